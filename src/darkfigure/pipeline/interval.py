"""The interval step: N̂ by subgroup with its interval, limits below the number observed raised."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..loglinear.fit import LogLinearFit


def truncate_at_observed(
    table: pd.DataFrame, observed: str = "observed", lower: str = "lower", upper: str = "upper", label=None
) -> tuple[pd.DataFrame, str | None]:
    """Raise interval limits that lie below the number observed to that number (N >= n always).

    Why it happens: in the parametric bootstrap (Cruyff's ``boot_mse``) every replicate
    redraws the observed cells too, so a replicate's N̂*_b = n*_b + dark*_b varies with
    the replicate's own observed count n*_b. In a stratum whose dark figure is estimated
    at (or near) 0 the percentile interval of N̂*_b is then the spread of n*_b around n,
    and its lower end falls below the n persons actually registered (e.g. 26–46 for 35
    observed). N cannot be smaller than n, so such a limit is set to n and said so.

    Parameters
    ----------
    table : DataFrame
        Rows with columns `observed`, `lower`, `upper` (and ``group``/``level`` or `label`
        for the message).
    label : callable, optional
        Row -> text naming the row in the message (default ``group=level``).

    Returns
    -------
    (DataFrame, str or None)
        A copy with the limits raised, and a sentence naming the rows changed (None when
        none was).
    """
    if table.empty or lower not in table or observed not in table:
        return table, None
    obs = pd.to_numeric(table[observed], errors="coerce").to_numpy(dtype=float)
    t = table.copy()
    changed = np.zeros(len(t), dtype=bool)
    # rounding error of the fit (e.g. 499.9999999999994 for 500 persons all on every list) is no real shortfall
    tol = 1e-7 * np.maximum(obs, 1.0)
    cols = [c for c in ("nhat", lower, upper) if c in t.columns]
    for col in cols:
        v = pd.to_numeric(t[col], errors="coerce").to_numpy(dtype=float)
        noise = np.isfinite(v) & np.isfinite(obs) & (v < obs) & (v >= obs - tol)
        bad = np.isfinite(v) & np.isfinite(obs) & (v < obs - tol)
        if col == "nhat":
            bad[:] = False  # N̂ itself is reported as fitted (see the note below), never moved
        if noise.any() or bad.any():
            t[col] = np.where(noise | bad, obs, v)
            changed |= bad
    notes = []
    if "nhat" in t.columns:
        nh = pd.to_numeric(t["nhat"], errors="coerce").to_numpy(dtype=float)
        low = np.isfinite(nh) & np.isfinite(obs) & (nh < obs - tol)
        if low.any():
            k = int(low.sum())
            notes.append(
                f"in {k} row(s) N̂ is below the number observed (e.g. {_row_name(table.iloc[int(np.flatnonzero(low)[0])], label)}"
                f": {nh[low][0]:,.1f} for {obs[low][0]:,.0f}): N̂ of a subgroup is the sum of the model's fitted values "
                "(Cruyff's definition), and the model does not hold that subgroup's margin; read such rows as "
                "'at least the number observed', or add the subgroup's interaction to the model"
            )
    if not changed.any():
        return t, ("; ".join(notes) or None)

    rows = [_row_name(r, label) for _, r in table[changed].iterrows()]
    shown = ", ".join(f"{n} ({table[lower].iloc[i]:,.1f} < {obs[i]:,.0f})"
                      for n, i in zip(rows[:5], np.flatnonzero(changed)[:5], strict=False))
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    notes.insert(0, (
        f"interval limit(s) below the number observed were set to that number in {len(rows)} row(s): {shown}{more}. "
        "N cannot be smaller than the persons registered; the bootstrap put the limit there because each replicate "
        "redraws the observed count too, which dominates where the dark figure is estimated near 0"
    ))
    return t, "; ".join(notes)


def _row_name(r, label=None) -> str:
    """How a row of an estimates table is named in a message: ``group=level`` or ``total``."""
    if label is not None:
        return label(r)
    g, lv = str(r.get("group", "")), str(r.get("level", ""))
    return "total" if g in ("", "total") else f"{g}={lv}"


# how the default interval averages (chosen on the tuning settings of benchmarks/coverage_study.py)
_AVERAGING: dict = {"draw": "mixture", "bias": "none", "reselect": True}


def _point_table(fit: LogLinearFit, groups) -> pd.DataFrame:
    rows = []
    for g in groups:
        d = fit.nhat_by(g)
        for _, r in d.astype(object).iterrows():
            rows.append(
                {
                    "group": "total" if not g else "x".join(g),
                    "level": "" if not g else ":".join(str(r[c]) for c in g),
                    "observed": int(r["observed"]),
                    "nhat": float(r["nhat"]),
                    "lower": np.nan,
                    "upper": np.nan,
                }
            )
    return pd.DataFrame(rows)
