"""The monitor's rows with linkage uncertainty: the interval each row publishes, as estimate's rows do.

:func:`darkfigure.linkage.combine.published_interval` row by row (the union with the interval as linked
where the draws' one came out narrower, tester report 9, F19; the hull of as linked, mean over the draws
and N̂ corrected where the draws are shifted beyond their Monte-Carlo error, tester report 14a, M1), said
in warnings naming the rows (per year label), as :mod:`darkfigure.pipeline.extras` says the total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["LINKAGE_COLUMNS", "widen_rows"]

#: monitor.csv's columns of a run corrected for linkage error, after the others; the names of estimates.csv
#: (``nhat`` is N̂ corrected there and here), with the share of the interval's width due to linkage beside
#: that of its variance (result.json's linkage block: ``1 - sqrt(1 - share_linkage)``, of the published interval
#: where it was widened for a shift, combine.width_share)
LINKAGE_COLUMNS = ["nhat_as_linked", "lower_as_linked", "upper_as_linked", "lower_draws", "upper_draws",
                   "interval_widened", "nhat_mean_draws", "interval_shifted", "share_linkage", "width_share_linkage",
                   "observed_corrected"]


def _per_row(mt, lk, column: str) -> np.ndarray:
    """`column` of the linkage estimates (one value per bootstrap cell) for each row of `mt`; NaN where unknown."""
    cells = np.asarray(getattr(mt, "cells", []) or [], int)
    out = np.full(len(mt.table), np.nan)
    le = getattr(lk, "estimates", None)
    if le is None or column not in le.columns or cells.size != out.size:
        return out
    v = le[column].to_numpy(float)
    ok = (cells >= 0) & (cells < v.size)
    out[ok] = v[cells[ok]]
    return out


def _label(g, lv, y) -> str:
    """A row's name in the warnings: ``total``, ``sex=f``, with `` in 2019`` for a year row."""
    return ("total" if g == "total" else f"{g}={lv}") + (f" in {y}" if y else "")


def widen_rows(mt, as_linked: pd.DataFrame, est) -> None:
    """:func:`_widen_rows`, then the persons of each row corrected for linkage error as N̂ is (in place).

    ``observed_corrected`` per row (the linkage estimates' persons corrected by the rule of N̂, mapped by
    ``mt.cells``; :func:`darkfigure.linkage.combine.corrected_persons`) and the visibility and its interval
    made from them, ``observed_corrected / (nhat, upper, lower)``: N̂ corrected over the as-linked persons mixed
    two linkages (tester report 16a, finding 4). ``observed`` stays as linked.
    """
    from .tables import _ratio

    _widen_rows(mt, as_linked, est)
    t = mt.table
    pc = _per_row(mt, getattr(est, "linkage", None), "observed_corrected")
    if len(pc) != len(t) or not np.isfinite(pc).any():
        return
    pc = np.where(np.isfinite(pc), pc, t["observed"].to_numpy(float))
    t["observed_corrected"] = pc
    for c, end in (("visibility", "nhat"), ("visibility_lower", "upper"), ("visibility_upper", "lower")):
        if c in t.columns:
            t[c] = np.minimum([_ratio(o, e) for o, e in zip(pc, t[end].to_numpy(float))], 1.0)
    _union_visibility(t, pc)


def _union_visibility(t: pd.DataFrame, pc: np.ndarray) -> None:
    """The visibility interval of rows widened or shifted: each limit over the persons of its own linkage (in place).

    Where the interval published is the union of the draws' and the as-linked one, a limit from the as-linked
    interval over the persons corrected mixed two linkages (fixer s18 texts; as the dark figure's interval,
    :func:`darkfigure.dark_floor.dark_interval`): the visibility interval is the union of the persons corrected over
    the draws' limits and the persons as linked over the as-linked limits, with the points (N̂ as linked, the draws'
    mean, N̂ corrected) of a shifted row. `pc`: persons corrected per row, shape (rows,). Capped at 1.
    """
    need = {"visibility_lower", "visibility_upper", "lower_draws", "upper_draws", "lower_as_linked",
            "upper_as_linked", "nhat_as_linked", "nhat_mean_draws", "interval_widened", "interval_shifted",
            "observed"}
    if not need <= set(t.columns):
        return
    f = {c: t[c].to_numpy(float) for c in need - {"interval_widened", "interval_shifted"}}
    wid, sh = (t[c].fillna(False).to_numpy(bool) for c in ("interval_widened", "interval_shifted"))
    obs, nh = f["observed"], t["nhat"].to_numpy(float)
    use = (wid | sh) & np.isfinite(f["lower_draws"]) & np.isfinite(f["lower_as_linked"]) & np.isfinite(obs)
    if not use.any():
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        pts = [np.where(sh, obs / f["nhat_as_linked"], np.nan), np.where(sh, pc / f["nhat_mean_draws"], np.nan),
               np.where(sh, pc / nh, np.nan)]
        lo = np.fmin.reduce([pc / f["upper_draws"], obs / f["upper_as_linked"], *pts])
        hi = np.fmax.reduce([pc / f["lower_draws"], obs / f["lower_as_linked"], *pts])
    t.loc[use, "visibility_lower"] = np.minimum(lo[use], 1.0)
    t.loc[use, "visibility_upper"] = np.minimum(hi[use], 1.0)


def _widen_rows(mt, as_linked: pd.DataFrame, est) -> None:
    """Each row of the monitor table `mt` publishes the interval estimate's rows would (in place).

    `as_linked` is the monitor table of the as-linked bootstrap, row for row; `est` the estimate
    with its ``linkage`` (its ``estimates`` hold ``nhat_mean_draws`` and ``mc_se_draws`` per
    bootstrap cell, mapped to the rows by ``mt.cells``). Rows widened for width only
    (narrower than as linked) by more than Monte-Carlo noise allows (:func:`_monitor_tolerance`)
    are named in a warning of `est`, the others counted in a note (tester report 11, F8). Rows
    whose draws are shifted say that the linkage decides the answer: a warning per year's
    total (N̂ as linked, mean over the draws, N̂ corrected, the interval published), and one
    naming the other rows shifted. The visibility interval follows the interval published.
    """
    # the label WIDENED is said once, on the linkage panel's row of the draws' own interval, as estimate says it
    # (s23 new user, finding 6): the rows' warning and note say what was done, "the union of the two"
    from ..linkage.combine import RULE_TEXT, SHIFTED, published_interval, shortfall
    from .tables import _ratio

    t = mt.table
    if len(as_linked) != len(t):
        return
    lk = getattr(est, "linkage", None)
    pre_lo, pre_hi = t["lower"].to_numpy(float), t["upper"].to_numpy(float)  # the draws' own, before the union
    lo0, hi0 = as_linked["lower"].to_numpy(float), as_linked["upper"].to_numpy(float)
    a, m = as_linked["nhat"].to_numpy(float), _per_row(mt, lk, "nhat_mean_draws")
    lo, hi, wid, shifted = published_interval(pre_lo, pre_hi, lo0, hi0, a, m, _per_row(mt, lk, "mc_se_draws"),
                                              point=t["nhat"].to_numpy(float))
    _add_columns(t, *_total_as_estimated(mt, est, as_linked, pre_lo, pre_hi, wid), m, shifted,
                 _per_row(mt, lk, "share_linkage"), (lo, hi))
    if not (wid.any() or shifted.any()):
        t["lower"], t["upper"] = lo, hi  # at most widened to contain the row's own N̂ (review)
        return
    t["lower"], t["upper"] = lo, hi
    wid = wid & ~shifted  # a shifted row is said as such, not as Monte-Carlo error (as extras._narrower_rows)
    # visibility = observed / N: the union of the two visibility intervals, or that of the hull published
    obs = t["observed"].to_numpy(float) if "observed" in t.columns else np.full(len(t), np.nan)
    for c, f, end in (("visibility_lower", np.fmin, hi), ("visibility_upper", np.fmax, lo)):
        v = t[c].to_numpy(float).copy()
        v[wid] = f(v[wid], as_linked[c].to_numpy(float)[wid])
        v[shifted] = np.minimum([_ratio(o, e) for o, e in zip(obs[shifted], end[shifted])], 1.0)
        t[c] = v
    if shifted.any():
        _say_shifted(t, shifted, a, lo0, hi0, m, est, RULE_TEXT.get(getattr(lk, "correction", ""), ""), SHIFTED)
    if not wid.any():
        return
    # said once, for the rows the monitor publishes: estimate's count of estimates.csv's subgroup rows is dropped
    # (tester 11, F8: both were printed); beyond Monte-Carlo noise a warning, within it a note
    for said in (getattr(est, "warnings", None), getattr(est, "notes", None)):
        if isinstance(said, list):
            said[:] = [w for w in said if "subgroup rows of estimates.csv" not in w]
    short = shortfall(pre_lo, pre_hi, lo0, hi0)
    tol = _monitor_tolerance(est, rows=int(np.isfinite(short).sum()))  # the rows judged together (s24 L3)
    beyond = wid & (short > tol)
    names = [_label(g, lv, y) for g, lv, y in zip(t["group"][beyond], t["level"][beyond], t["year"][beyond])]
    k, within = len(names), int(wid.sum()) - len(names)
    if k:
        est.warnings.append(
            f"monitor: in {k:,} of {len(t):,} rows ({', '.join(names[:3])}{', ...' if k > 3 else ''}) the interval "
            f"with linkage uncertainty came out narrower than the interval as linked by more than the {tol:.0%} that "
            "Monte-Carlo noise of the linkage draws x replicates allows: those rows publish the union of the two "
            "(columns interval_widened, lower_draws, upper_draws of monitor.csv); raise --linkage-draws and "
            "--linkage-reps for intervals of their own")
    if within and isinstance(getattr(est, "notes", None), list):
        est.notes.append(
            f"monitor: {within:,} of {len(t):,} rows came out narrower with linkage uncertainty than as linked, by no "
            f"more than the {tol:.0%} Monte-Carlo noise of the replicates allows; they publish the union of the two "
            "(columns interval_widened, lower_draws, upper_draws of monitor.csv)")


def _total_as_estimated(mt, est, as_linked: pd.DataFrame, lo_d, hi_d, wid):
    """N̂ and interval as linked, the draws' own interval and the widening flag per row; the total's as estimate's.

    The monitor's total row (bootstrap cell 0) carries the interval estimate published (``est.lower``) in both
    monitor tables, already widened, so its interval as linked, its own interval and its flag are estimates.csv's
    (``lower_as_linked, upper_as_linked`` of ``est.estimates``; the linkage estimate's ``lower_draws,
    upper_draws, widened``, :func:`darkfigure.pipeline.extras`); the other rows keep theirs.
    Returns copies (as-linked table with ``nhat, lower, upper``, lower, upper, widened), shape (rows,) each.
    """
    lk = getattr(est, "linkage", None)
    al = as_linked[["nhat", "lower", "upper"]].reset_index(drop=True).astype(float)
    lo_d, hi_d, wid = np.array(lo_d, float), np.array(hi_d, float), np.array(wid, bool)
    cells = np.asarray(getattr(mt, "cells", []) or [], int)
    if cells.size != lo_d.size:
        return al, lo_d, hi_d, wid
    tot = (cells == 0) & (mt.table["group"] == "total").to_numpy()
    lo0, hi0 = float(getattr(lk, "lower_draws", np.nan)), float(getattr(lk, "upper_draws", np.nan))
    if np.isfinite(lo0) and np.isfinite(hi0):
        lo_d[tot], hi_d[tot], wid[tot] = lo0, hi0, bool(getattr(lk, "widened", False))
    e = getattr(est, "estimates", None)
    if isinstance(e, pd.DataFrame) and len(e) and {"lower_as_linked", "upper_as_linked"} <= set(e.columns):
        al.loc[tot, "lower"], al.loc[tot, "upper"] = float(e["lower_as_linked"].iloc[0]), float(
            e["upper_as_linked"].iloc[0])
    return al, lo_d, hi_d, wid


def _add_columns(t: pd.DataFrame, as_linked: pd.DataFrame, lo_d, hi_d, wid, m, shifted, share, published) -> None:
    """The linkage columns of monitor.csv (:data:`LINKAGE_COLUMNS`) on `t`, row for row, in place.

    N̂ and interval as linked (the as-linked monitor table), the draws' own interval before any widening
    (`lo_d`, `hi_d`), whether the interval published was widened to the as-linked one (`wid`) or made to cover
    as linked, the draws' mean and N̂ corrected (`shifted`; :func:`~darkfigure.linkage.combine.published_interval`),
    the mean over the draws (`m`) and the share of the variance due to linkage (`share`, the law of total
    variance per bootstrap cell) with the share of the width it implies, of the interval `published` (lower,
    upper) where it was widened for a shift (:func:`~darkfigure.linkage.combine.width_share`; tester 18a, H3).
    Arrays of shape (rows,); NaN where a row has no bootstrap cell.
    """
    from ..linkage.combine import width_share

    share = np.asarray(share, float)
    width = width_share(share, lo_d, hi_d, published[0], published[1], shifted)
    for c, v in (("nhat_as_linked", as_linked["nhat"].to_numpy(float)),
                 ("lower_as_linked", as_linked["lower"].to_numpy(float)),
                 ("upper_as_linked", as_linked["upper"].to_numpy(float)), ("lower_draws", lo_d), ("upper_draws", hi_d),
                 ("interval_widened", np.asarray(wid, bool)), ("nhat_mean_draws", m),
                 ("interval_shifted", np.asarray(shifted, bool)), ("share_linkage", share),
                 ("width_share_linkage", width)):
        t[c] = v


def _say_shifted(t: pd.DataFrame, shifted, a, lo0, hi0, m, est, rule: str, label: str) -> None:
    """The warnings that the linkage decides the answer in rows of the monitor (tester report 14a, M1).

    One per year's total (its N̂ as linked with interval, the mean over the draws, N̂ corrected, the
    interval published: the words of estimate's warning on the total), one naming the other rows
    shifted (subgroups; the all-years total is said by estimate itself).
    """
    draws = int(getattr(getattr(est, "linkage", None), "draws", 0) or 0)
    c, lo, hi = t["nhat"].to_numpy(float), t["lower"].to_numpy(float), t["upper"].to_numpy(float)
    total, yr = (t["group"] == "total").to_numpy(), t["year"].astype(str).to_numpy()
    for i in np.flatnonzero(shifted & total & (yr != "")):
        est.warnings.append(
            f"monitor: the linkage decides the answer in {yr[i]}: N̂ as linked is {a[i]:,.0f} ({lo0[i]:,.0f} – "
            f"{hi0[i]:,.0f}), the mean over the {draws} linkage draws {m[i]:,.0f}, shifted by {m[i] - a[i]:+,.0f} "
            f"({(m[i] - a[i]) / a[i]:+.1%}) beyond their Monte-Carlo error; N̂ corrected is {c[i]:,.0f} ({rule}). "
            f"The interval published is {lo[i]:,.0f} – {hi[i]:,.0f}, {label}")
    rest = shifted & ~total
    if rest.any():
        names = [_label(g, lv, y) for g, lv, y in zip(t["group"][rest], t["level"][rest], t["year"][rest])]
        k = len(names)
        est.warnings.append(
            f"monitor: the linkage decides the answer in {k:,} of {len(t):,} rows too ({', '.join(names[:3])}"
            f"{', ...' if k > 3 else ''}): their interval is {label}")


def _monitor_tolerance(est, rows: int = 1) -> float:
    """:func:`darkfigure.linkage.combine.narrower_tolerance` for the replicates behind `est`'s two intervals,
    over `rows` rows judged together."""
    from ..linkage.combine import narrower_tolerance

    lk = getattr(est, "linkage", None)
    pooled = getattr(lk, "replicates", None)
    n_pooled = pooled.shape[0] if pooled is not None else int(getattr(lk, "draws", 0) or 0)
    if not n_pooled:
        return 0.0  # nothing known of the replicates: every narrower row is said
    boot = getattr(est, "bootstrap", None)
    return narrower_tolerance(n_pooled, int(getattr(boot, "n_replicates", 0) or 0), getattr(lk, "level", 0.95),
                              rows=rows)
