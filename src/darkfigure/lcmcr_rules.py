"""When LCMCR's posterior does not identify N: THE rule for the latent-class model everywhere.

``dfg.LCMCR``, ``darkfigure compare`` (and ``dfg.compare``) and ``darkfigure strata --method lcmcr`` all ask
this module (tester report 10, F1). Three cases:

* **two lists** (or fewer): a latent-class model has more parameters than the 3 observed cells, so it is not
  identified at all; it is refused before sampling (:func:`require_lists`), as ``dfg.DGA`` and the Mh/Mth
  models refuse two lists.
* **a list that shares nobody with any other list** (structural): the persons only that list saw may come from
  a latent class that only it registers; that class's size and the list's capture probability in it trade off
  without changing the likelihood of the observed cells, so the data set no upper limit to N. The sampler then
  returns whatever its prior makes of the ridge (tester 10: 56,393 for 750 persons on three lists that share
  nobody, with good R-hat).
* **a list that registered every observed person** (structural, tester 14b H3): nobody is seen off it, so the
  other lists say nothing about the persons no list saw; the posterior only repeats the prior's belief that the
  list misses nobody (dga printed 175 (175-209) for 175 persons, LCMCR 176), where the log-linear path exits 3.
* **an upper credible limit above 50 times the persons observed** (or not finite): dga's rule
  (:func:`darkfigure.bayes._dga_core.unidentified_reason`, threshold ``BARELY_IDENTIFIED``, rule 2 of
  docs/headline_rules.md), reused here, not copied.

Then N̂ and the interval are NaN, the status is ``"not identified"`` and the first warning says why.

Apart from identification, **chains that have not converged** (R-hat > 1.1 or bulk ESS < 100:
:func:`darkfigure.bayes.diagnostics.not_converged_reason`; the Netherlands' posterior has modes near 50,000 and
140,000 and R's sampler, like ours, stays in one for long stretches, tester 15b M3): N̂ and the interval are NaN,
the status is ``"not converged"`` (:func:`mark_not_converged`), ``compare`` leaves the row out of the headline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["MIN_LISTS", "require_lists", "two_lists_reason", "isolated_lists", "full_lists_reason",
           "unidentified_reason", "histories_reason", "mark_not_identified", "mark_not_converged"]

#: lists a latent-class model needs (with 2 lists it has more parameters than the 3 observed cells)
MIN_LISTS = 3


def two_lists_reason(k: int) -> str:
    """The clause that says why a latent-class model cannot be fitted to `k` (< 3) lists (``compare``'s wording)."""
    return (f"a latent-class model is not identified from {'two lists' if k == 2 else f'{k} list(s)'} (it has more "
            f"parameters than the {2 ** k - 1} observed cells); use 3 or more lists")


def require_lists(k: int, lists: Sequence[str]) -> None:
    """Refuse fewer than :data:`MIN_LISTS` lists, as ``dfg.DGA`` and ``dfg.Heterogeneity('Mh-chao')`` do.

    Parameters
    ----------
    k : int
        Number of lists.
    lists : sequence of str
        Their names (for the message).

    Raises
    ------
    ValueError
        When ``k < 3``; the message says what to use instead.
    """
    if k < MIN_LISTS:
        raise ValueError(
            f"LCMCR needs at least {MIN_LISTS} lists; these data have {k} ({', '.join(map(str, lists))}): "
            f"{two_lists_reason(k)}. With 2 lists use the log-linear model (dfg.LogLinear) or M0/Mt "
            "(dfg.Heterogeneity('Mt')), whose N̂ rests on the lists' independence.")


def isolated_lists(cells: np.ndarray, counts: np.ndarray, lists: Sequence[str]) -> list[str]:
    """The lists with records none of whose persons is on another list.

    Parameters
    ----------
    cells : ndarray of 0/1, shape (P, k)
        Observed capture patterns.
    counts : ndarray of int, shape (P,)
        Persons per pattern.
    lists : sequence of str, length k

    Returns
    -------
    list of str
        In the order of `lists`; empty when every list with records shares somebody with another list.
    """
    x = np.asarray(cells, dtype=np.int64).reshape(-1, len(lists))
    w = np.asarray(counts, dtype=np.int64)
    on = (x * w[:, None]).sum(axis=0)
    shared = (x * (w * (x.sum(axis=1) >= 2))[:, None]).sum(axis=0)
    return [str(a) for a, o, s in zip(lists, on, shared, strict=True) if o > 0 and s == 0]


def full_lists_reason(full: Sequence[str], *, posterior: bool = False) -> str | None:
    """The clause for lists that registered every observed person (``CaptureHistories.full_lists``), or None.

    Parameters
    ----------
    full : sequence of str
        The lists with every observed person on them (empty: none).
    posterior : bool
        Add that a posterior there only repeats its prior (dga, LCMCR).

    Returns
    -------
    str or None
        The wording of ``pipeline.checks.unidentified_reason`` for the same case, so every method says it alike.
    """
    if not len(full):
        return None
    return (f"list(s) {', '.join(map(repr, full))} registered every observed person, so the other lists carry no "
            "information about the persons no list saw: N is not bounded above"
            + (" (a posterior there only repeats the prior's belief that the list misses nobody)" if posterior else ""))


def unidentified_reason(cells: np.ndarray, counts: np.ndarray, lists: Sequence[str], upper: float | None) -> str | None:
    """Why LCMCR's posterior does not identify N on these patterns, or None when it does.

    Parameters
    ----------
    cells, counts, lists
        As :func:`isolated_lists` (the table LCMCR saw, covariates summed over).
    upper : float or None
        Upper limit of the equal-tailed credible interval of N (persons); None to apply only the structural rule
        (before sampling).

    Returns
    -------
    str or None
        A plain clause for messages.
    """
    alone = isolated_lists(cells, counts, lists)
    if alone:
        one = len(alone) == 1
        return (f"list{'' if one else 's'} {', '.join(alone)} share{'s' if one else ''} nobody with any other list: "
                "the persons seen only there may come from a latent class that only that list registers, whose size "
                "the data do not bound, so N has no upper limit under the latent-class model")
    x = np.asarray(cells, dtype=np.int64).reshape(-1, len(lists))
    w = np.asarray(counts, dtype=np.int64)
    total = int(w.sum())
    full = full_lists_reason([str(a) for a, o in zip(lists, (x * w[:, None]).sum(axis=0), strict=True)
                              if total > 0 and o == total], posterior=True)
    if full:
        return full
    if upper is None:
        return None
    from .bayes._dga_core import unidentified_reason as dga_reason  # dga's threshold, one definition

    return dga_reason(float(np.asarray(counts).sum()), float(upper), False)


def histories_reason(h: Any, upper: float | None) -> str | None:
    """:func:`unidentified_reason` for a :class:`~darkfigure.histories.CaptureHistories` (covariates summed over)."""
    t = h.collapse().table
    return unidentified_reason(t[list(h.lists)].to_numpy(), t["count"].to_numpy(), list(h.lists), upper)


def mark_not_identified(result: Any, why: str) -> Any:
    """A :class:`~darkfigure.results.Result` with N̂ and its interval NaN, status ``"not identified"`` and `why` first.

    ``raw`` and ``distribution`` keep the posterior, as ``from_dga`` does for dga.
    """
    import dataclasses

    from .results import ConfidenceInterval

    ci = result.confidence_interval
    return dataclasses.replace(
        result, nhat=float("nan"), status="not identified",
        confidence_interval=ConfidenceInterval(float("nan"), float("nan"), ci.method, ci.level),
        warnings=(f"N is not identified by these data: {why}", *result.warnings))


def mark_not_converged(result: Any, why: str) -> Any:
    """A :class:`~darkfigure.results.Result` whose sampler's chains did not converge: N̂ and its interval NaN, the
    posterior median kept in ``nhat_not_identified`` (a number that is not an estimate), status ``"not converged"``
    and `why` (:func:`darkfigure.bayes.diagnostics.not_converged_reason`) first among the warnings.

    ``raw`` and ``distribution`` keep the draws for diagnosis; ``to_publish`` (from ``raw``) says not to publish.
    """
    import dataclasses

    from .results import ConfidenceInterval

    ci = result.confidence_interval
    return dataclasses.replace(
        result, nhat=float("nan"), status="not converged", nhat_not_identified=float(result.nhat),
        confidence_interval=ConfidenceInterval(float("nan"), float("nan"), ci.method, ci.level),
        warnings=(f"not converged: {why}", *result.warnings))
