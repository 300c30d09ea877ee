"""The lower limit to publish when N has no upper limit: one rule for ``estimate`` and ``compare`` (tester 12b, M6).

"Publish at most a lower limit" gave 20,891 in ``estimate`` (its own bootstrap interval's lower end) and 14,160 in
``compare`` (the smallest lower end of the methods left, raised to Chao's bound) for the same table. Both now ask
:func:`unbounded_floor`:

* the candidates are lower limits of models under which the data set no upper limit (``estimate``: its own
  interval's; ``compare``: the kept methods' and those that open the upper end) and the lower limit of Chao's lower
  bound (Mth Chao; Rivest & Baillargeon 2007), which the data give whatever the list dependence;
* the floor is the smallest of them (a model the data cannot bound from above is no firmer ground for a high floor
  than the others), never below the persons registered;
* when the checks detect heterogeneity and no list pair shows negative dependence, N lies above Chao's bound
  (Chao 1987), so the floor is raised to the bound's lower limit.

The two commands agree whenever Chao's bound is the smallest claim or heterogeneity is detected; they can still
differ when ``compare`` holds a method whose lower limit lies below both ``estimate``'s and Chao's (then compare's
is the smaller, more cautious floor, and it says which method gives it).
"""

from __future__ import annotations

import math

__all__ = ["unbounded_floor"]


def unbounded_floor(n_obs: int, lowers: dict, chao: dict | None, *, heterogeneity: bool = False,
                    negative_dependence: bool = False) -> tuple[float, str]:
    """The lower limit to publish when N has no upper limit, and where it comes from.

    Parameters
    ----------
    n_obs : int
        Persons registered.
    lowers : dict str -> float
        Lower limits (persons) of the candidate models, by a name used in the returned source ("this run's
        model-averaged parametric-bootstrap interval", "Mth-chao", ...); NaN/inf/None are skipped.
    chao : dict or None
        :func:`darkfigure.evidence.chao_bound` (``low``: the bound's lower limit), None when not available.
    heterogeneity, negative_dependence : bool
        Whether the checks detect heterogeneity, and whether some list pair shows negative dependence (then the
        bound may overstate N and is not used to raise the floor).

    Returns
    -------
    (floor, source) : float persons (>= n_obs) and the words naming its source.
    """
    cands = [(float(v), str(k)) for k, v in lowers.items() if v is not None and math.isfinite(float(v))]
    clow = float(chao["low"]) if chao and chao.get("low") is not None and math.isfinite(float(chao["low"])) else None
    if clow is not None:
        cands.append((clow, "Chao's lower bound"))
    if not cands:
        return float(n_obs), "the persons registered"
    low, src = min(cands, key=lambda c: c[0])
    if clow is not None and heterogeneity and not negative_dependence and clow > low:
        low, src = clow, "Chao's lower bound"
    if low <= n_obs:
        return float(n_obs), "the persons registered"
    return low, src
