"""Checks of a ``darkfigure link`` run against the capture histories read with it (moved from
:mod:`darkfigure.pipeline.extras`): the persons each organisation shares, the run's persons and the
histories table rebuilt cell by cell from records.parquet + pairs.parquet."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..histories import CaptureHistories, DataError

__all__ = ["check_link_histories", "check_link_run", "shared_persons"]


def shared_persons(h: CaptureHistories) -> pd.DataFrame:
    """Persons registered by both lists of every pair of lists (organisations).

    Returns
    -------
    DataFrame
        ``list_a, list_b, persons``: one row per pair, in the order of ``h.lists``.
    """
    t = h.table
    lists = list(h.lists)
    cols = t[lists].to_numpy(dtype=np.int64)
    n = t["count"].to_numpy(dtype=float) if "count" in t.columns else np.ones(len(t))
    both = cols.T[:, None, :] * cols.T[None, :, :]  # (L, L, rows)
    m = (both * n).sum(axis=2)
    rows = [(lists[i], lists[j], int(round(m[i, j]))) for i in range(len(lists)) for j in range(i + 1, len(lists))]
    return pd.DataFrame(rows, columns=["list_a", "list_b", "persons"])


def check_link_run(run: Any, h: CaptureHistories, missing: str) -> None:
    """Refuse a linkage correction the data cannot support, before any draw is made.

    Parameters
    ----------
    run : LinkRun
    h : CaptureHistories
        The as-linked histories the estimate was fitted to.
    missing : {"error", "em", "drop"}
        What the estimate did with persons whose covariate value is unknown (``"drop"`` may
        leave fewer persons than the run has).

    Raises
    ------
    DataError
        Organisations that share nobody (every one and every pair without a shared person
        named: their overlaps, which N̂ and its correction rest on, are absent); histories
        whose persons are not those of the run (edited or filtered since ``link``).
    """
    pairs = shared_persons(h)
    none = pairs[pairs["persons"] == 0]
    if len(none):
        lists = list(h.lists)
        alone = [a for a in lists if not ((pairs["persons"] > 0) & ((pairs["list_a"] == a) | (pairs["list_b"] == a))).any()]
        what = (f"organisation(s) {', '.join(alone)} share no person with any other organisation; " if alone else "")
        few = pairs[(pairs["persons"] > 0) & (pairs["persons"] < 5)]
        if len(few):
            what += ("pairs sharing fewer than 5 persons (likely false links): "
                     + "; ".join(f"{a} & {b} ({n})" for a, b, n in few.to_numpy()) + "; ")
        if alone:
            raise DataError(
                f"{what}the pairs {'; '.join(f'{a} & {b}' for a, b in none[['list_a', 'list_b']].to_numpy())} share "
                "nobody in the linked data: the overlaps that N̂ and its linkage correction rest on are absent, so no "
                "corrected N̂ is estimated. Check their registrations (another key, another period?) or leave them "
                "out (link again without them)"
            )
    check_link_histories(run, h, missing)


def check_link_histories(run: Any, h: CaptureHistories, missing: str) -> None:
    """Refuse histories whose persons are not those of the link run (edited or filtered since ``link``).

    The number of persons, then every capture pattern x covariate stratum cell, against the
    histories that the run's records and pairs give at its threshold (:meth:`LinkRun.histories`,
    collapsed to the covariates of `h`). Called before any model is fitted.

    Raises
    ------
    DataError
        Naming the file, the first differing cells and the two ways out (re-run ``link``, or
        ``--linkage none``).
    """
    rebuilt = run.histories()
    persons = int(rebuilt.n_observed)
    if h.n_observed > persons or (h.n_observed != persons and missing != "drop"):
        raise DataError(
            f"the capture histories hold {h.n_observed:,} persons, but the link run's records and pairs "
            f"({run.source or 'the link folder'}) give {persons:,} at its threshold: the histories were edited, "
            "filtered or come from another run, so the linkage draws would correct a different population. Give the "
            "unchanged link output folder (re-run `darkfigure link` after changing the registrations), or estimate "
            "from the edited histories with --linkage none"
        )
    _check_cells(run, rebuilt, h, missing)


def _cells(h: CaptureHistories, lists: list[str], covariates: list[str]) -> pd.Series:
    """Persons per capture pattern x covariate stratum (unknown values kept apart), indexed by strings."""
    rows = h.table if h.incomplete is None else pd.concat([h.table, h.incomplete], ignore_index=True)
    key = pd.DataFrame({c: rows[c].astype(int).astype(str) for c in lists}).agg("".join, axis=1)
    for c in covariates:
        key = key + f" {c}=" + rows[c].astype(object).map(lambda v: "unknown" if pd.isna(v) else str(v))
    out = rows["count"].groupby(key.to_numpy()).sum()
    return out[out > 0]


def _check_cells(run: Any, rebuilt: CaptureHistories, h: CaptureHistories, missing: str) -> None:
    """Refuse histories that differ, in any pattern x stratum cell, from the ones the link run's records.parquet and
    pairs.parquet give at its threshold (after the same collapse to the covariates used): the linkage draws are
    made from those files, so an edited histories.csv would be "corrected" into another population's N̂."""
    src = f"{run.source}/histories.csv" if run.source else "the capture histories"
    unknown = [c for c in (*h.lists, *h.covariates) if c not in (*rebuilt.lists, *rebuilt.covariates)]
    if unknown:
        return  # lists or covariates the run cannot reproduce: refused by the correction itself (correct_estimate)
    extra = [c for c in h.covariates if c not in rebuilt.covariates]  # a list used as a covariate: left to it too
    if extra or [c for c in h.lists if c not in rebuilt.lists]:
        return
    rebuilt = rebuilt.collapse(list(h.covariates))
    if missing == "drop":
        rebuilt = rebuilt.drop_incomplete()
    a = _cells(h, list(h.lists), list(h.covariates))
    b = _cells(rebuilt, list(h.lists), list(h.covariates))
    both = pd.concat([a.rename("histories"), b.rename("rebuilt")], axis=1).fillna(0).astype(np.int64)
    diff = both[both["histories"] != both["rebuilt"]]
    if len(diff) == 0:
        return
    shown = "; ".join(f"{cell}: {r.histories:,} in the histories, {r.rebuilt:,} from the link run"
                      for cell, r in diff.head(3).iterrows())
    raise DataError(
        f"{src} differs from the capture histories that the link run's records.parquet and pairs.parquet give at "
        f"its threshold ({run.threshold:g}) in {len(diff):,} cell(s) (pattern of {', '.join(h.lists)} and "
        f"covariates): {shown}. The linkage draws are made from records.parquet and pairs.parquet, so the edited "
        "table would be 'corrected' into another population's N̂. Re-run `darkfigure link` on the registrations you "
        "mean, or estimate from the edited table as it is with --linkage none (N̂ then assumes error-free linkage)"
    )
