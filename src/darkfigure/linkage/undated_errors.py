"""Expected false and missed links of the registrations without a date of birth, from their assignment model.

:func:`~darkfigure.linkage.quality.expected_link_errors` sums ``p`` over the scored pairs left apart and
``1 - p`` over the linked ones. For an undated registration those sums are wrong twice (tester 15a, M3):

* its pairs with the several namesakes of one person are not independent events: it is one person or none,
  so its pairs with all members of the person it belongs to are missed together, scored or not (a person of
  three dated registrations: three missed pairs, of which blocking may have scored one);
* its pairwise p is not calibrated as the probability of being that person (the name evidence among namesakes
  is weak; median p 0.18 for the true pairs on tester 14a's mild seed 131). On tester 15a's realistic seeds
  1-2 and tester 14a's mild seed 131 the missed pairs with an undated registration were 70, 69 and 645; the
  sum of p gave 52, 48 and 414.

Here an undated registration (with the other undated registrations of its as-linked person: a *unit*) is taken
to be one of its candidate persons k (the as-linked persons with a dated registration it was scored against)
with probability ``P(k) = o_k / (kappa + S)`` or nobody's, exactly as the linkage draws assign it
(:mod:`darkfigure.linkage.undated_draws`, calibrated on the dated registrations' re-registration share), with
the dated registrations held as linked. Then, per unit U and candidate k with D_k dated registrations:

* expected missed links ``sum over k != L of P(k) |U| |D_k|`` (L the unit's as-linked person);
* expected false links ``(1 - P(L)) |U| |D_L|`` (``P(L) = 0`` when L's dated members are no candidate).

These replace the pairwise sums for the pairs of a unit's registration with a dated registration (scored or
not); the pairs of two undated registrations keep the pairwise sums. On the same three tuning populations the
unit-level P(k) was calibrated (candidates not linked, P 0.1-0.3: 134 expected, 165 true; 0.3-0.5: 98 and 90;
linked units at P 0.9-0.97: 212 and 205 right), and the missed pairs of an undated with a dated registration
were 86, 52 and 584 expected against 68, 66 and 612 true (sums of p: about 52, 48 and 414 with the undated-undated
pairs); held out, docs/methods/linkage.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["unit_probabilities", "undated_link_errors"]

def unit_probabilities(model, labels: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The probability of every candidate person of every unit, as :func:`~darkfigure.linkage.undated_draws.assign_undated` draws it.

    Parameters
    ----------
    model : :class:`~darkfigure.linkage.undated_draws.UndatedModel` (of :func:`~darkfigure.linkage.undated_draws.undated_model`).
    labels : int array, shape (n,): a partition (labels 0..n-1, e.g. factorised as-linked persons).

    Returns
    -------
    ``(cand, unit)``: ``cand`` a DataFrame ``unit, person, prob`` (one row per unit and candidate person; the
    units' probability of nobody is 1 minus their rows' sum), ``unit`` an int array of shape (n,) (-1: dated,
    or undated in a person that no scored pair ties to a dated registration).

    Notes
    -----
    The candidate odds are those of ``undated_draws._unit_candidates`` itself (called here, not copied, so a
    unit of several organisations takes the mean of its members' factors in both; review of s16) and the
    probability of nobody is the units' mean kappa, as in ``assign_undated``; tests/test_undated_link_errors.py
    checks them against the frequencies of ``assign_undated``.
    """
    from .undated_draws import _unit_candidates, unit_kappa

    lab = np.asarray(labels, dtype=np.int64)
    cand, unit = _unit_candidates(model, lab)
    if len(cand) == 0:
        return pd.DataFrame({"unit": [], "person": [], "prob": []}), unit
    n_units = int(unit.max()) + 1
    u = cand["unit"].to_numpy(np.int64)
    odds = cand["odds"].to_numpy(float)
    kappa = unit_kappa(model, unit, n_units)
    total = kappa + np.bincount(u, weights=odds, minlength=n_units)
    return pd.DataFrame({"unit": u, "person": cand["person"].to_numpy(np.int64), "prob": odds / total[u]}), unit


def _unordered(m: np.ndarray, names: Sequence[str], column: str) -> pd.DataFrame:
    """A (k, k) matrix of pair counts by (organisation of the undated, of the dated registration) as rows per
    unordered pair of organisations, in the order of `names` (as ``quality._org_pair_frame``)."""
    k = len(names)
    rows = [{"organisation_l": names[x], "organisation_r": names[y],
             column: float(m[x, x] if x == y else m[x, y] + m[y, x])} for x in range(k) for y in range(x, k)]
    return pd.DataFrame(rows)


def undated_link_errors(organisations: Sequence[str] | np.ndarray, has_date_of_birth: np.ndarray,
                        pairs: pd.DataFrame, labels: np.ndarray,
                        trait: dict | None = None) -> tuple[pd.DataFrame, np.ndarray] | None:
    """Expected missed and false links between undated and dated registrations, per pair of organisations.

    Parameters
    ----------
    organisations : array of str, shape (n,).
    has_date_of_birth : bool array, shape (n,).
    pairs : DataFrame ``record_l, record_r, match_probability`` (the scored pairs, 0-based positions).
    labels : int array, shape (n,): the as-linked person of every registration.
    trait : dict or None: missing dates a person's trait, as :func:`~darkfigure.linkage.undated_draws.undated_model`
        takes it (:mod:`~darkfigure.linkage.undated_trait`). None: missingness per registration.

    Returns
    -------
    None when no undated registration was scored against a dated one; else ``(table, unit)``: ``table`` one row
    per unordered pair of organisations (order of first appearance, as
    :func:`~darkfigure.linkage.quality.expected_link_errors`) with ``undated_missed_links`` and
    ``undated_false_links`` (the module docstring's sums), and ``unit`` the int array of shape (n,) of
    :func:`unit_probabilities` (>= 0: the registration's pairs with dated registrations are counted here).

    Raises
    ------
    ValueError
        Arrays whose lengths do not agree.
    """
    from .undated_draws import undated_model

    orgs = np.asarray(organisations, dtype=object).astype(str)
    dob = np.asarray(has_date_of_birth, dtype=bool)
    lab = pd.factorize(np.asarray(labels))[0].astype(np.int64)
    if not (orgs.size == dob.size == lab.size):
        raise ValueError(f"organisations ({orgs.size}), has_date_of_birth ({dob.size}) and labels ({lab.size}) "
                         "must have one value per registration")
    model = undated_model(pd.DataFrame({"organisation": orgs, "has_date_of_birth": dob}), pairs, lab, trait)
    if model is None:
        return None
    cand, unit = unit_probabilities(model, lab)
    names = list(pd.unique(orgs))
    code = pd.Index(names).get_indexer(orgs)
    k = len(names)
    n_units = int(unit.max()) + 1
    members = unit >= 0
    # registrations per organisation: of each unit (rows) and the dated ones of each as-linked person
    uc = np.zeros((n_units, k))
    np.add.at(uc, (unit[members], code[members]), 1.0)
    home = np.full(n_units, -1, dtype=np.int64)
    home[unit[members]] = lab[members]
    u, person, prob = cand["unit"].to_numpy(np.int64), cand["person"].to_numpy(np.int64), cand["prob"].to_numpy()
    # dated registrations per organisation of the persons that are candidates or homes only (1M registrations:
    # a row per person would be 80 MB), persons renumbered 0..m-1
    needed = pd.Index(np.unique(np.r_[person, home]))
    at = needed.get_indexer(lab[dob])
    dc = np.zeros((len(needed), k))
    np.add.at(dc, (at[at >= 0], code[dob][at >= 0]), 1.0)
    person, home = needed.get_indexer(person), needed.get_indexer(home)
    linked = person == home[u]
    # missed: the unit goes to another person k (all of k's dated registrations, scored or not)
    missed = uc[u[~linked]].T @ (prob[~linked, None] * dc[person[~linked]])
    # false: the unit is not its as-linked person's; that person no candidate at all: certainly not
    false = uc[u[linked]].T @ ((1.0 - prob[linked])[:, None] * dc[person[linked]])
    no_cand = np.ones(n_units, dtype=bool)
    no_cand[u[linked]] = False
    false += uc[no_cand].T @ dc[home[no_cand]]
    table = _unordered(missed, names, "undated_missed_links").merge(
        _unordered(false, names, "undated_false_links"), on=["organisation_l", "organisation_r"])
    return table, unit
