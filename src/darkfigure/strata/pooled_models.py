"""The model each stratum is fitted with under the structure chosen jointly across strata (``--search pooled``).

The chosen interactions among a stratum's own lists (:func:`restrict_terms`, :func:`stratum_terms`),
the stratum's table as its unit fits it (:func:`stratum_table`), and the fewest interactions left
out where that table cannot identify N̂ (:func:`stratum_model`); the method and its sources are in
:mod:`darkfigure.strata.pooled`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..loglinear.design import CompleteTable
from ..loglinear.fit import fit_model
from ..loglinear.terms import LogLinearModel

__all__ = ["restrict_terms", "stratum_model", "stratum_table", "stratum_terms"]


def restrict_terms(model: LogLinearModel, lists: Sequence[str]) -> str | None:
    """Interactions of `model` whose lists are all in `lists`, as ``"A:B,B:C"`` (None when there are none).

    A stratum whose list L registered nobody (or cannot, a structural zero) is fitted without L,
    so the terms with L leave its model; the others stay. Terms keep the model's variable order.
    """
    keep = set(map(str, lists))
    order = {v: i for i, v in enumerate(model.variables)}
    terms = sorted((t for t in model.interactions if set(t) <= keep), key=lambda t: (len(t), [order[v] for v in t]))
    return ",".join(":".join(t) for t in terms) or None


def stratum_terms(model: LogLinearModel, lists: Sequence[str]) -> str | None:
    """The model a stratum that fits `lists` gets from the jointly chosen `model` (None: main effects).

    Its interactions among `lists` (:func:`restrict_terms`); a stratum with two lists (the others
    registered nobody there, or cannot) gets main effects, the only model of two lists that
    identifies N̂.
    """
    return restrict_terms(model, lists) if len(lists) >= 3 else None


def stratum_table(lists: Sequence[str], cells: np.ndarray, counts: np.ndarray) -> tuple[list[str], CompleteTable]:
    """The lists with records and the complete table of one stratum, as :func:`~darkfigure.strata.units.run_unit`
    fits it (lists that registered nobody left out, rows with the same pattern summed).

    Parameters
    ----------
    lists : sequence of str, length k
    cells : ndarray of int8, shape (P, k)
    counts : ndarray of int64, shape (P,)

    Returns
    -------
    (list of str, CompleteTable)
    """
    from .units import _collapse_rows, _histories

    cells = np.asarray(cells, dtype=np.int8)
    counts = np.asarray(counts, dtype=np.int64)
    per_list = (cells * counts[:, None]).sum(axis=0)
    used = [str(a) for a, c in zip(lists, per_list, strict=True) if c > 0]
    idx = [list(lists).index(a) for a in used]
    sub = cells[:, idx]
    keep = sub.any(axis=1)
    return used, CompleteTable(_collapse_rows(_histories(used, sub[keep], counts[keep])))


def stratum_model(model: LogLinearModel, lists: Sequence[str], cells: np.ndarray, counts: np.ndarray, *,
                  max_ratio: float = 100.0) -> tuple[str | None, list[str]]:
    """The model one stratum is fitted with under the jointly chosen `model`, and the interactions it leaves out.

    The interactions of `model` among the stratum's lists with records (:func:`stratum_terms`). When
    that model does not identify N̂ in the stratum (no finite MLE or extended MLE of the unseen cell,
    or N̂ above `max_ratio` times the observed: e.g. nobody on both lists of a pair in a stratum of
    20 persons), the fewest of its interactions are left out that make it identify N̂ (ties: the
    lowest BIC of the stratum's fit), at worst all (main effects). The joint search judged the
    structure on the likelihood of all strata (module docstring); a stratum too small to carry a
    term loses it here only, and its warnings say so.

    Parameters
    ----------
    model : LogLinearModel
        The jointly chosen model (over all lists of the run).
    lists : sequence of str, length k
    cells : ndarray of int8, shape (P, k)
    counts : ndarray of int64, shape (P,)
    max_ratio : float

    Returns
    -------
    (str or None, list of str)
        The stratum's model as a ``--model`` string (None: main effects) and the interactions of
        ``stratum_terms(model, used)`` left out (``A:B``; empty when none is). A stratum where no
        sub-model identifies N̂ keeps ``stratum_terms(model, used)`` (it is not estimable either way).
    """
    terms, dropped, _ = _stratum_fit(model, lists, cells, counts, max_ratio)
    return terms, dropped


def _stratum_fit(model: LogLinearModel, lists, cells, counts, max_ratio: float) -> tuple[str | None, list[str], float]:
    """:func:`stratum_model` and the N̂ of the stratum's fit (NaN when even main effects do not identify it)."""
    from itertools import combinations

    from ..loglinear.terms import parse_terms

    used, table = stratum_table(lists, cells, counts)
    terms = stratum_terms(model, used)
    n = float(np.asarray(counts).sum())
    full = parse_terms(terms) if terms else []

    def fits(ts) -> tuple[bool, float, float]:
        """(identified with N̂ at most max_ratio × n, BIC, N̂) of the stratum table with interactions `ts`."""
        f = fit_model(table, LogLinearModel.make(table.variables, list(ts)))
        return bool(f.identified and np.isfinite(f.nhat) and f.nhat <= max_ratio * n), float(f.bic), float(f.nhat)

    ok, _, nhat = fits(full)
    if ok:
        return terms, [], nhat
    for r in range(1, len(full) + 1):
        best = None
        for gone in combinations(full, r):
            keep = [t for t in full if t not in gone]
            ok, bic, nh = fits(keep)
            if ok and (best is None or bic < best[0]):
                best = (bic, keep, gone, nh)
        if best is not None:
            kept = ",".join(":".join(t) for t in best[1]) or None
            return kept, [":".join(t) for t in best[2]], best[3]
    return terms, [], float("nan")  # not even main effects identify N̂: the stratum is not estimable, as before
