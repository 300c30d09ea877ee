"""Which subgroup makes a bootstrap interval unbounded (tester report 12b, H1).

A replicate whose refit leaves the unseen cell of some stratum unbounded gives that stratum, and every
subgroup holding it (the total among them), N̂* = +inf, while the other subgroups keep their finite N̂*
(:meth:`~darkfigure.loglinear.batch_refit._FixedModelRefit._partial`). :func:`unbounded_subgroups` names
the smallest subgroups whose unbounded replicates explain those of the total, so that a warning and the
"to publish" statement can say *which* subgroup cannot be bounded and what to do about it (merge or drop
the level, or declare a structural zero), instead of blaming the overlap of the registers as a whole.
"""

from __future__ import annotations

import numpy as np

__all__ = ["unbounded_subgroups", "describe_unbounded"]


def unbounded_subgroups(boot) -> list[dict]:
    """The subgroups that cause the total's unbounded replicates, smallest first.

    Parameters
    ----------
    boot : BootstrapResult
        With ``replicates`` of shape (B, n_group_cells), the total in column 0, and ``labels``.

    Returns
    -------
    list of dict with ``group`` (covariate names joined by ':'), ``level``, ``label`` ("eth=other"),
    ``observed`` (persons), ``unbounded`` (replicates with N̂* = ∞ there), ``replicates`` (B) and, when the
    named subgroups are levels of one covariate, ``without``: the total of the other levels (``nhat``,
    ``lower``, ``upper``, ``observed``; see :func:`_total_without`), a bounded figure for the rest.
    Empty when the total's upper limit is finite, when no subgroup is reported, or when the total is
    unbounded in replicates where every subgroup is (then the data as a whole, not one subgroup, are at
    fault). A subgroup is named when more than (1 - level)/2 of the replicates leave it unbounded and no
    subgroup named before it (fewer covariates first, then fewer persons observed) is unbounded in all of
    those replicates (it then only inherits that one's unbounded stratum: sex=m is unbounded because
    year=2022 is, the 2022 men being in both); when every subgroup is unbounded that often, none is named.
    """
    reps = np.asarray(boot.replicates, dtype=float)
    if reps.ndim != 2 or reps.shape[1] < 2 or reps.shape[0] == 0:
        return []
    b = reps.shape[0]
    alpha = (1 - float(boot.level)) / 2
    inf = ~np.isfinite(reps)
    if inf[:, 0].sum() <= alpha * b:
        return []
    cells, j = [], 0
    for g, lab in boot.labels:
        cols = [lab[c].astype(object).tolist() for c in g]
        for i in range(len(lab)):
            if g:
                level = ":".join(str(col[i]) for col in cols)
                cells.append((j, tuple(g), level))
            j += 1
    often = [(j, g, lv) for j, g, lv in cells if inf[:, j].sum() > alpha * b]
    if not often or len(often) == len(cells):
        return []  # no subgroup, or every subgroup unbounded: the data as a whole, not one subgroup
    cand = often
    order = sorted(cand, key=lambda c: (len(c[1]), float(boot.observed[c[0]]), c[0]))
    named: list[tuple] = []
    for c in order:
        # explained by a smaller subgroup already named: unbounded wherever c is
        if any(not (inf[:, c[0]] & ~inf[:, d[0]]).any() for d in named):
            continue
        named.append(c)
    covered = np.zeros(b, dtype=bool)
    for d in named:
        covered |= inf[:, d[0]]
    if (inf[:, 0] & ~covered).sum() > alpha * b:
        return []  # the total is unbounded where no subgroup is: not one subgroup's doing
    without = _total_without(boot, reps, cells, named, alpha)
    out = []
    for j, g, lv in named:
        name = ":".join(g)
        out.append({"group": name, "level": lv, "label": f"{name}={lv}", "observed": int(round(float(boot.observed[j]))),
                    "unbounded": int(inf[:, j].sum()), "replicates": int(b), **without})
    return out


def _total_without(boot, reps: np.ndarray, cells: list, named: list, alpha: float) -> dict:
    """The total over the other levels of the named subgroups' covariate: ``without`` (N̂, lower, upper).

    Only when every named subgroup is a level of the same one covariate (or covariate pair): the other levels of
    it then partition the rest of the population, and the sum of their replicate N̂* is the bootstrap distribution
    of the total without the named levels (percentiles, R's type 7, as the intervals). ``{}`` otherwise.
    """
    from .percentiles import quantile_with_inf

    groups = {g for _, g, _ in named}
    if len(groups) != 1:
        return {}
    g = groups.pop()
    bad = {j for j, _, _ in named}
    rest = [j for j, gg, _ in cells if gg == g and j not in bad]
    if not rest:
        return {}
    v = reps[:, rest].sum(axis=1)
    v = np.where(np.isfinite(v), v, np.inf)
    if np.isfinite(v).sum() < 2:
        return {}
    lo, hi = quantile_with_inf(v, [alpha, 1 - alpha], method="linear")
    obs = float(np.asarray(boot.observed)[rest].sum())
    return {"without": {"nhat": float(np.asarray(boot.estimate)[rest].sum()), "lower": max(float(lo), obs),
                        "upper": float(hi), "observed": int(round(obs))}}


def describe_unbounded(subs: list[dict]) -> str | None:
    """One warning sentence naming the subgroup(s) that make the total unbounded and the remedy, or None."""
    if not subs:
        return None
    what = ", ".join(f"{s['label']} ({s['observed']:,} observed; unbounded in {s['unbounded']:,} of "
                     f"{s['replicates']:,} replicates)" for s in subs[:4])
    more = f" and {len(subs) - 4} more" if len(subs) > 4 else ""
    return (f"the upper limit of the total is infinite because of subgroup {what}{more}: too few persons there "
            "to bound its N̂ from above, and the total includes it (subgroups without it keep finite intervals)"
            + _without_words(subs[0]) + ". "
            "Merge that level with another or drop its persons and rerun; if a list could not register that "
            "subgroup, declare a structural zero")


def _without_words(sub: dict) -> str:
    """'; without it the total is N̂ (L–U)' from a subgroup's ``without`` entry, or ''."""
    w = sub.get("without")
    if not w or not np.isfinite(w["upper"]):
        return ""
    return (f"; without it the total is {w['nhat']:,.0f} ({w['lower']:,.0f}–{w['upper']:,.0f}, "
            f"{w['observed']:,} observed)")
