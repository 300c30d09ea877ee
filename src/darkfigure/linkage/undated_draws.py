"""Registrations without a date of birth in the linkage draws: one calibrated assignment per draw (tester 14a, H2).

An undated registration whose name several dated persons carry cannot be resolved by the point linkage, which
rightly leaves it alone. The partition sampler (:func:`~darkfigure.linkage.partition_draws.draw_partitions`) then
left it alone too in most draws: it weighs joining a person by the *product* of the odds of the registration's
pairs with that person's members, so a person of two registrations each at p = 0.2 gets odds 0.0625, and the
pairs of one undated registration with namesakes are individually weak (median p 0.18 for the true ones on
tester 14a's mild seed 131). There 61% of the undated registrations stayed alone in the draws against 30% in
truth, and the draws joined 12% of the missed true pairs.

Here each undated registration (with the other undated registrations of its drawn person: a *unit*) is detached
from the dated registrations in every draw and assigned afresh, once per draw, to one of the drawn persons with a
dated registration it was scored against, or to nobody (a multinomial, so it never joins two namesakes in one
draw):

* the probability that it matches somebody is calibrated on the **dated** registrations of its organisation:
  ``q_O`` = the share of them whose as-linked person holds another dated registration, a registration the
  linkage left alone counting ``1 - prod(1 - p)`` over its scored pairs with other dated ones (its missed
  links; ``Q_FROM_PAIRS``: on tester 14a's heavy seed 241, q per organisation 0.55-0.67 linked only, 0.55-0.68
  so, 0.55-0.69 true). Assumption: a missing
  date of birth is unrelated to being registered again, given the organisation (on tester 14a's generator
  q of the dated registrations as linked was 0.60-0.74 per organisation and the true share of the undated ones
  0.60-0.74; a registry that leaves the date out mostly for one-off contacts breaks it);
* the weight of candidate person k is the odds ``o_k`` of the mean match probability of the unit's scored pairs
  with k's dated members (the Fellegi-Sunter evidence: name agreement and frequency, sex, nationality,
  covariates), and ``P(k) = o_k / (kappa + S)``, ``P(nobody) = kappa / (kappa + S)``, ``S = sum o_k``: a
  one-to-one assignment with prior odds ``1 / kappa`` (Sadinle 2017, J. Amer. Statist. Assoc. 112:600-612,
  bipartite matching, one record at a time). ``kappa_O = c (1 - q_O) / q_O``, with one c set so that the expected
  number of undated registrations matched, on the as-linked persons, is ``sum q_O`` over all of them (those
  without a candidate are taken as unmatched; :func:`undated_model`): units with strong candidates are matched more often than those with weak
  ones, and in total as often as the dated registrations are. Since 2026-12-07 c is the mode of a posterior with
  a normal prior on log c at 0 (sd ``LOG_C_SD``, 1): where the target nears the number of units with a candidate,
  the exact c ran to 0.007 and joined candidates of pairwise probability 0.005 with probability 0.6
  (:func:`_shrunk_c`);
* ``o_k`` is multiplied by a factor for k already holding a dated registration of the unit's organisation (a
  duplicate; ``rho_in``/``rho_out``). A unit of registrations of several organisations takes the mean of its
  members' kappa and the mean of their factors, each by its own organisation (it took whichever came last).

The point linkage is unchanged: only the draws (and so N̂ corrected and its interval) see this.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["UndatedModel", "undated_model", "unit_kappa", "with_trait", "assign_undated", "assign_undated_draws",
           "assign_undated_draws_noted"]

#: weigh a candidate person by whether it already holds a dated registration of the unit's organisation
SAME_ORGANISATION_FACTOR = True
#: q_O from the expected share (linked, or 1 - prod(1 - p) over the scored dated pairs) instead of the linked share
Q_FROM_PAIRS = True
#: with a trait, a unit of several undated registrations has its own prior (:func:`unit_kappa`)
UNIT_TRAIT = True
#: the range of the scale c of kappa (bisection on log c); c stopping at a bound is recorded and warned
_C_BOUNDS = (1e-6, 1e6)
#: sd of the normal prior on log c (:func:`_shrunk_c`); None: c solves the calibration exactly (before 2026-12-07)
LOG_C_SD: float | None = 1.0
#: match probabilities are clipped to this distance from 0 and 1 before their odds are taken
_P_CLIP = 1e-6


@dataclass
class UndatedModel:
    """What :func:`assign_undated` needs, computed once per link run by :func:`undated_model`.

    Attributes
    ----------
    undated : bool array, shape (n,): registrations without a date of birth.
    edge_u, edge_d : int arrays, shape (m,): the scored pairs of an undated registration (``edge_u``) with a dated
        one (``edge_d``).
    edge_p : float array, shape (m,): their match probabilities.
    kappa : float array, shape (n,): the prior weight of "nobody" of each registration's organisation.
    q : dict organisation -> float: the dated registrations' share with another dated registration in their person.
    org : int array, shape (n,): the organisation code of each registration.
    rho_in, rho_out : float arrays, shape (n_organisations,): the factor on a candidate's odds when the person
        already holds a dated registration of the unit's organisation, and when not (:func:`undated_model`).
    c : the fitted scale of kappa (:func:`undated_model`).
    c_exact : the c that solves the calibration exactly (``c`` is shrunk from it towards 1, :func:`_shrunk_c`).
    c_bound : None, or ``"lower"``/``"upper"`` when c stopped at that bound of ``_C_BOUNDS`` (warned).
    fit : None, or ``(s_r, q_r, names, unit)``: per registration its as-linked unit's summed candidate odds, its
        organisation's q (before any trait share), its organisation's name and its as-linked unit (-1: none), kept
        so that :func:`with_trait` refits c.
    trait : None, or ``(theta, rho)``: the share of persons undated everywhere and, shape (n,), the missing rate
        of a dated-capable person at each registration's organisation (:func:`unit_kappa`).
    """

    undated: np.ndarray
    edge_u: np.ndarray
    edge_d: np.ndarray
    edge_p: np.ndarray
    kappa: np.ndarray
    q: dict
    org: np.ndarray | None = None
    rho_in: np.ndarray | None = None
    rho_out: np.ndarray | None = None
    c: float = float("nan")
    c_exact: float = float("nan")
    c_bound: str | None = None
    fit: tuple | None = None
    trait: tuple | None = None


def _unit_candidates(model: UndatedModel, labels: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Units and their candidate persons under one partition `labels` (shape (n,)).

    Returns ``(cand, unit)``: ``cand`` a DataFrame ``unit, person, odds`` (one row per unit and candidate person,
    the odds of the mean p of the unit's scored pairs with that person's dated members), and ``unit`` an int array
    of shape (n,) (-1: dated, or undated in a person that no scored pair ties to a dated registration).
    """
    n = labels.size
    unit = np.full(n, -1, dtype=np.int64)
    if model.edge_u.size == 0:
        return pd.DataFrame({"unit": [], "person": [], "odds": []}), unit
    # a unit: the undated registrations of one drawn person, when one of them was scored against a dated one
    tied = np.unique(labels[model.edge_u])
    und = model.undated & np.isin(labels, tied)
    unit[und] = pd.factorize(labels[und])[0]
    e = pd.DataFrame({"unit": unit[model.edge_u], "person": labels[model.edge_d], "p": model.edge_p})
    g = e.groupby(["unit", "person"], sort=True)["p"].mean().reset_index()
    pc = np.clip(g["p"].to_numpy(float), _P_CLIP, 1 - _P_CLIP)
    odds = pc / (1 - pc)
    if model.rho_in is not None:
        # the person already registered by a member's organisation: a duplicate, rarer than a registration
        # elsewhere; a unit of several organisations takes the mean of its members' factors (each by its own)
        dated = ~model.undated
        n_org = int(model.org.max()) + 1
        held = pd.Index(labels[dated] * n_org + model.org[dated]).unique()
        mem = pd.DataFrame({"unit": unit[und], "org": model.org[und]})
        rows = g[["unit", "person"]].reset_index().merge(mem, on="unit")
        pu, ou = rows["person"].to_numpy(np.int64), rows["org"].to_numpy(np.int64)
        inside = held.get_indexer(pu * n_org + ou) >= 0
        f = pd.Series(np.where(inside, model.rho_in[ou], model.rho_out[ou])).groupby(rows["index"].to_numpy()).mean()
        odds = odds * f.reindex(np.arange(len(g))).to_numpy()
    return g.assign(odds=odds).drop(columns="p"), unit


def undated_model(records: pd.DataFrame, pairs: pd.DataFrame, labels: np.ndarray,
                  trait: dict | None = None) -> UndatedModel | None:
    """The assignment model of the undated registrations, calibrated on the as-linked persons.

    Parameters
    ----------
    records : DataFrame, shape (n, ...) with ``organisation`` and ``has_date_of_birth``.
    pairs : DataFrame ``record_l, record_r, match_probability`` (the scored pairs, 0-based positions).
    labels : int array, shape (n,): the as-linked person of every registration.
    trait : dict or None
        Missing dates a person's trait: :func:`~darkfigure.linkage.undated_trait.trait_estimate` (used when
        ``applied``): with ``s_O`` the share of O's undated registrations whose person can have a dated
        registration, an undated registration is matched with prior probability ``q_O s_O`` instead of ``q_O``,
        a unit of several with :func:`unit_kappa`'s. None: every s_O is 1.

    Returns
    -------
    UndatedModel, or None when no undated registration was scored against a dated one (nothing to assign).

    Notes
    -----
    Per organisation O, ``q_O`` is the share of its dated registrations whose person holds another dated
    registration (an organisation without dated registrations takes the share of all of them), and
    ``kappa_O = c (1 - q_O) / q_O``: the prior odds of a match ``q_O / (1 - q_O)`` against the pairwise odds'
    one prior per pair, ``c``, common to all organisations. ``c`` solves ``sum_r S_r / (kappa_r + S_r) = sum_r
    q_r`` over all undated registrations (``S_r`` the summed odds of r's unit's candidates as linked, 0 without
    any: a registration compared with no dated one is almost always truly unmatched, so its organisation's share
    falls on those with a candidate; counting only those under-joined on tester 15a's nodob20 seed 1), by
    bisection on log c within ``_C_BOUNDS``. Where the target exceeds what joining every unit with a candidate
    gives (many undated registrations without one, or a high q), c stops at the lower bound and every such unit
    joins; that, or the upper bound, is recorded in ``c_bound`` and warned (it was silent). With ``Q_FROM_PAIRS`` a dated registration the linkage left without
    another dated one counts ``1 - prod(1 - p)`` over its scored pairs with dated registrations of other persons,
    not 0 (the linkage's missed dated links lower the linked share). One kappa per
    organisation, each fitted on its own undated registrations, was noisy (0.003-2.7 on the project's no_dob
    seed 6011, whose undated registrations were then over-joined).
    """
    lab = pd.factorize(np.asarray(labels))[0].astype(np.int64)
    dated = records["has_date_of_birth"].to_numpy(bool)
    undated = ~dated
    a = pairs["record_l"].to_numpy(np.int64)
    b = pairs["record_r"].to_numpy(np.int64)
    p = pairs["match_probability"].to_numpy(float)
    finite = np.isfinite(p)  # a NaN probability would poison the cumulative sums of every later unit (review)
    ab = undated[a] & dated[b] & finite
    ba = dated[a] & undated[b] & finite
    eu, ed, ep = np.r_[a[ab], b[ba]], np.r_[b[ab], a[ba]], np.r_[p[ab], p[ba]]
    if eu.size == 0:
        return None
    orgs = records["organisation"].astype(str).to_numpy()
    dated_per_person = np.bincount(lab[dated], minlength=lab.max() + 1)
    other = dated_per_person[lab] - 1 >= 1
    q_reg = other.astype(float)
    if Q_FROM_PAIRS:
        # a dated registration the linkage left alone may still have its match among its scored dated pairs
        dd = dated[a] & dated[b] & finite & (lab[a] != lab[b])
        lone = np.zeros(lab.size)
        pd_ = np.clip(p[dd], 0.0, 1 - _P_CLIP)
        np.add.at(lone, a[dd], np.log1p(-pd_))
        np.add.at(lone, b[dd], np.log1p(-pd_))
        q_reg = np.where(other, 1.0, 1 - np.exp(lone))
    q_all = float(q_reg[dated].mean()) if dated.any() else 0.0
    org = pd.factorize(orgs)[0].astype(np.int64)
    n_org = int(org.max()) + 1
    model = UndatedModel(undated, eu, ed, ep, np.full(lab.size, 1e-6), {}, org)
    if SAME_ORGANISATION_FACTOR:
        # P(the matched person holds another dated registration of O) among O's matched dated registrations,
        # against the share of dated persons that O registered (a namesake that is not the match)
        key = lab[dated] * n_org + org[dated]
        per = pd.Series(key).value_counts()
        again = per.reindex(key).to_numpy() >= 2
        persons_d = np.unique(lab[dated]).size
        rin, rout = np.ones(n_org), np.ones(n_org)
        for o in range(n_org):
            m = dated & (org == o)
            if not (m & other).any() or persons_d == 0:
                continue
            num = float(again[(org[dated] == o) & other[dated]].mean())
            den = float(np.unique(lab[m]).size / persons_d)
            num, den = min(max(num, 1e-3), 1 - 1e-3), min(max(den, 1e-3), 1 - 1e-3)
            rin[o], rout[o] = num / den, (1 - num) / (1 - den)
        model.rho_in, model.rho_out = rin, rout
    cand, unit = _unit_candidates(model, lab)
    s_unit = cand.groupby("unit")["odds"].sum()
    s = np.zeros(lab.size)
    has = unit >= 0
    s[has] = s_unit.reindex(unit[has]).fillna(0.0).to_numpy()
    # one scale c for all organisations, kappa_O = c (1 - q_O) / q_O: the prior odds of a match are q_O / (1 - q_O),
    # the pairwise odds o_k carry the evidence times one constant prior per pair (c), fitted so that the undated
    # registrations are matched, in total, as often as the dated ones of their organisations
    qr = np.full(lab.size, q_all)
    for o in pd.unique(orgs):
        m = orgs == o
        model.q[o] = float(q_reg[m & dated].mean()) if (m & dated).any() else q_all
        qr[m] = model.q[o]
    model.fit = (s, qr, orgs, unit)
    return with_trait(model, trait, None, stacklevel=3)


def unit_kappa(model: UndatedModel, unit: np.ndarray, n_units: int) -> np.ndarray:
    """The prior weight of "nobody" of each unit, shape (n_units,) (`unit` of :func:`_unit_candidates`).

    The mean kappa of the unit's registrations; with a trait (``model.trait``), a unit of k >= 2 undated
    registrations is one person undated k times: it has a dated registration elsewhere with prior probability
    ``q s_k``, q the mean of its organisations' and ``s_k = (1 - θ) prod rho / (θ + (1 - θ) prod rho)`` (Bayes
    under the mixture of :mod:`~darkfigure.linkage.undated_trait`; k = 1 gives ``s_O = 1 - θ / u_O``), so
    ``kappa = c (1 - q s_k) / (q s_k)``; :func:`with_trait` fits c with these priors for the as-linked units.
    """
    members = unit >= 0
    count = np.bincount(unit[members], minlength=n_units).astype(float)
    kappa = np.bincount(unit[members], weights=model.kappa[members], minlength=n_units) / np.maximum(count, 1)
    w = _several_w(model, unit, n_units)
    return kappa if w is None else np.where(np.isfinite(w), model.c * w, kappa)


def _several_w(model: UndatedModel, unit: np.ndarray, n_units: int) -> np.ndarray | None:
    """``(1 - q s_k) / (q s_k)`` of every unit of k >= 2 registrations, NaN for the others, shape (n_units,);
    None without a trait (:func:`unit_kappa`)."""
    members = unit >= 0
    count = np.bincount(unit[members], minlength=n_units).astype(float)
    if model.trait is None or not (count >= 2).any():
        return None
    theta, rho = model.trait
    q = np.bincount(unit[members], weights=model.fit[1][members], minlength=n_units) / np.maximum(count, 1)
    prod = np.exp(np.bincount(unit[members], weights=np.log(np.maximum(rho[members], 1e-12)), minlength=n_units))
    s_k = (1 - theta) * prod / (theta + (1 - theta) * prod)
    pi = np.clip(q * s_k, 1e-6, 1 - 1e-3)
    return np.where(count >= 2, (1 - pi) / pi, np.nan)


def _target_variance(qr: np.ndarray, undated: np.ndarray, model: UndatedModel) -> float:
    """Variance of the calibration target ``sum_r q_r`` as a guess of the undated registrations' true matches.

    Binomial: each undated registration r is matched with probability q_r, ``sum q_r (1 - q_r)``; plus the
    sampling variance of each organisation's q, estimated from its n_d dated registrations,
    ``(sum of its q_r)^2 (1 - q) / (q n_d)``.
    """
    q = qr[undated]
    var = float(np.sum(q * (1 - q)))
    if model.org is None:
        return max(var, 1e-9)
    orgs = model.org[undated]
    dated_per_org = np.bincount(model.org[~model.undated], minlength=int(model.org.max()) + 1)
    for o in np.unique(orgs):
        m = orgs == o
        nd = max(int(dated_per_org[o]), 1)
        qo = float(q[m].mean())
        var += float(q[m].sum()) ** 2 * (1 - qo) / (qo * nd)
    return max(var, 1e-9)


def _shrunk_c(matched, target: float, variance: float) -> float:
    """The scale c of kappa as the mode of its posterior: a normal prior on log c at 0 (sd ``LOG_C_SD``: the
    pairwise odds are calibrated as they stand) and the target seen with the binomial noise `variance`.

    Solving ``matched(c) = target`` exactly lets c run to 0.007 or 7 where few undated registrations have a
    candidate or the target nears the number that have one: then a candidate of pairwise probability 0.005 is
    joined with probability 0.6 (the project's ``standard`` seed 5002: target 313 matched of 328 with a
    candidate, true 294; the expected missed links of the undated registrations 3.6 times the true ones over
    seeds 5000-5002). Minimises ``(matched(log c) - target)^2 / (2 variance) + (log c)^2 / (2 LOG_C_SD^2)``
    over ``_C_BOUNDS`` (a grid of log c, then Brent's method around its best point).
    """
    from scipy.optimize import minimize_scalar

    def loss(x: float) -> float:
        """Negative log posterior of log c = x (up to a constant)."""
        return (matched(x) - target) ** 2 / (2 * variance) + x * x / (2 * LOG_C_SD ** 2)

    grid = np.linspace(np.log(_C_BOUNDS[0]), np.log(_C_BOUNDS[1]), 57)
    vals = [loss(x) for x in grid]
    i = int(np.argmin(vals))
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    res = minimize_scalar(loss, bounds=(a, b), method="bounded", options={"xatol": 1e-4})
    return float(np.exp(res.x if res.fun <= vals[i] else grid[i]))


def with_trait(model: UndatedModel, trait: dict | None, theta: float | None = None,
               stacklevel: int = 2) -> UndatedModel:
    """`model` (the same object) with kappa and c fitted for the trait estimate `trait` at share `theta`.

    `trait` is :func:`~darkfigure.linkage.undated_trait.trait_estimate` (ignored unless ``applied``), `theta` the
    share of persons undated everywhere (None: its ``theta``). The prior probability that an undated registration
    of O is matched is ``q_O s_O`` (``s_O = 1 - θ / u_O``; 1 without a trait); c solves
    ``sum_r S_r / (kappa_r + S_r) = sum_r q_r s_r`` over the undated registrations (:func:`undated_model`'s notes;
    kappa_r of a registration in an as-linked unit of several: the unit's, :func:`unit_kappa`). Warns
    (RuntimeWarning) when c stops at a bound of ``_C_BOUNDS``.
    """
    from .undated_trait import trait_rho, trait_shares

    s, qr, orgs, unit = model.fit
    model.c_bound, model.trait = None, None
    if trait and trait.get("applied"):
        theta = float(trait["theta"] if theta is None else theta)
        qr = qr * pd.Series(orgs).map(trait_shares(trait, theta)).fillna(1.0).to_numpy(float)
        if UNIT_TRAIT:
            model.trait = (theta, pd.Series(orgs).map(trait_rho(trait, theta)).fillna(1.0).to_numpy(float))
    qr = np.clip(qr, 1e-3, 1 - 1e-3)
    w = (1 - qr) / qr
    w_fit = w  # kappa stays a registration's own; c is fitted with the as-linked units' priors (unit_kappa)
    several = _several_w(model, unit, int(unit.max()) + 1) if unit.size and unit.max() >= 0 else None
    if several is not None:
        at = np.where(unit >= 0, several[np.maximum(unit, 0)], np.nan)
        w_fit = np.where(np.isfinite(at), at, w)
    # the target counts every undated registration: one without a candidate was compared with no dated one, so it
    # is almost always truly unmatched, and the share q of its organisation falls on those with a candidate
    # (counting only those under-joined: t15a nodob20 seed 1, 1,454 of 1,760 with a candidate, N̂ +0.1 -> +8.0%);
    # where even joining every one with a candidate falls short, c stops at its lower bound, recorded and warned
    undated = model.undated
    su, wu, target = s[undated], w_fit[undated], float(qr[undated].sum())
    lo, hi = np.log(_C_BOUNDS[0]), np.log(_C_BOUNDS[1])

    def matched(log_c):
        """Expected undated registrations matched at c = exp(log_c) (falls as c grows)."""
        return float(np.sum(su / (np.exp(log_c) * wu + su)))

    if matched(lo) <= target:
        c, model.c_bound = _C_BOUNDS[0], "lower"
    elif matched(hi) >= target:
        c, model.c_bound = _C_BOUNDS[1], "upper"
    else:
        for _ in range(60):  # bisection on log c
            mid = (lo + hi) / 2
            if matched(mid) > target:
                lo = mid
            else:
                hi = mid
        c = float(np.exp((lo + hi) / 2))
    model.c_exact = float(c)
    if LOG_C_SD is not None:
        c = _shrunk_c(matched, target, _target_variance(qr, undated, model))
    if model.c_bound is not None:
        # at the lower bound even joining (almost surely) every unit with a candidate matches fewer than the
        # target; at the upper bound even the weakest prior of "somebody" matches more (wording mended, review)
        said = ("fewer than the target even with every undated registration that has a candidate joined almost "
                "surely" if model.c_bound == "lower" else "more than the target even with the prior of 'nobody' at "
                "its strongest")
        warnings.warn(f"undated registrations without a date of birth (linkage draws and expected link errors): the "
                      f"scale c of the prior of 'nobody' stopped at its {model.c_bound} bound {model.c_exact:g}: expected "
                      f"matches {matched(np.log(model.c_exact)):.1f}, {said} (target {target:.1f}, the dated registrations' share of "
                      f"their organisations)", RuntimeWarning, stacklevel=stacklevel)
    model.c = float(c)
    model.kappa = c * w
    return model


def assign_undated(labels: np.ndarray, model: UndatedModel, rng: np.random.Generator) -> np.ndarray:
    """One draw of the undated registrations' persons, given a drawn partition of the others.

    Parameters
    ----------
    labels : int array, shape (n,): one drawn partition (any labels).
    model : UndatedModel of the same run (:func:`undated_model`).
    rng : numpy Generator.

    Returns
    -------
    int array, shape (n,): `labels` with every unit detached from its dated registrations and given to one
    candidate person, or left a person of its own (new labels after the others), as the module docstring says.
    """
    lab = pd.factorize(np.asarray(labels))[0].astype(np.int64)
    cand, unit = _unit_candidates(model, lab)
    if not len(cand):
        return lab
    n_units = int(unit.max()) + 1
    members = unit >= 0
    kappa = unit_kappa(model, unit, n_units)
    u = cand["unit"].to_numpy(np.int64)
    odds = cand["odds"].to_numpy(float)
    total = kappa + np.bincount(u, weights=odds, minlength=n_units)
    # one uniform per unit; the candidates of a unit are consecutive (sorted by unit)
    draw = rng.random(n_units) * total
    # summed within each unit only: a running sum over all units loses a small unit's odds after many large ones
    cum_in = pd.Series(odds).groupby(u, sort=False).cumsum().to_numpy()
    # the first candidate whose cumulative odds exceed the draw; beyond all of them: nobody
    hit = cum_in > draw[u]
    first = np.full(n_units, -1, dtype=np.int64)
    rows = np.flatnonzero(hit)
    units_hit, at = np.unique(u[rows], return_index=True)  # rows are in unit order: the first per unit
    first[units_hit] = rows[at]
    person = np.where(first >= 0, cand["person"].to_numpy(np.int64)[np.maximum(first, 0)], -1)
    new = lab.copy()
    target = person[unit[members]]
    alone = lab.max() + 1 + unit[members]
    new[members] = np.where(target >= 0, target, alone)
    return pd.factorize(new)[0].astype(np.int64)


def assign_undated_draws(records: pd.DataFrame, pairs: pd.DataFrame, start: np.ndarray, draws: np.ndarray,
                         seed: int | None, trait: dict | None = None) -> np.ndarray:
    """:func:`assign_undated` applied to every drawn partition (rows of `draws`), seeded.

    Parameters
    ----------
    records, pairs : as :func:`undated_model`.
    start : int array, shape (n,): the as-linked persons (the calibration of q and kappa).
    draws : int array, shape (D, n): partitions of :func:`~darkfigure.linkage.partition_draws.draw_partitions`.
    seed : int or None: one stream for all draws (``default_rng([seed, 11])``); None draws fresh entropy from the
        operating system (not repeatable; the callers pass a seed derived from the run's).
    trait : dict or None
        :func:`~darkfigure.linkage.undated_trait.trait_estimate` of the link run (missing dates a person's trait).
        When applied, each draw takes its own θ (:func:`~darkfigure.linkage.undated_trait.draw_thetas`, stream
        ``default_rng([seed, 18])``) and the shares s_O it gives (:func:`with_trait`); else nothing changes.

    Returns
    -------
    int array, shape (D, n). `draws` itself when no undated registration was scored against a dated one.
    """
    from .undated_trait import applied_trait, draw_thetas

    thetas = draw_thetas(trait, len(draws), np.random.default_rng(None if seed is None else [int(seed), 18]))
    model = undated_model(records, pairs, start, applied_trait(trait))
    if model is None:
        return draws
    rng = np.random.default_rng(None if seed is None else [int(seed), 11])
    if thetas is None:
        return np.stack([assign_undated(d, model, rng) for d in np.asarray(draws)])
    out = []
    for d, th in zip(np.asarray(draws), thetas, strict=True):
        with warnings.catch_warnings():  # the bound of c is said once, by the fit at θ̂
            warnings.simplefilter("ignore", RuntimeWarning)
            with_trait(model, trait, th)
        out.append(assign_undated(d, model, rng))
    return np.stack(out)


def assign_undated_draws_noted(records: pd.DataFrame, pairs: pd.DataFrame, start: np.ndarray, draws: np.ndarray,
                               seed: int | None, trait: dict | None = None) -> tuple[np.ndarray, list[str]]:
    """:func:`assign_undated_draws`, with the calibration's warning (c at a bound) returned as text, not raised.

    ``estimate`` runs the linkage draws under a filter that ignores RuntimeWarnings (one replicate per draw has
    no within-draw variance), which hid the warning; the caller puts these messages in the result's warnings
    (review of s16). Parameters and the array returned as :func:`assign_undated_draws`.

    Returns
    -------
    (draws, messages) : int array of shape (D, n), list of str.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        out = assign_undated_draws(records, pairs, start, draws, seed, trait)
    said = list(dict.fromkeys(str(w.message) for w in caught if "stopped at its" in str(w.message)))
    for w in caught:  # anything else keeps its own way out
        if "stopped at its" not in str(w.message):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return out, said
