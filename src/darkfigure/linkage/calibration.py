"""Calibration of the plaintext match probabilities before clustering.

The logit shift of pairs with and without a date of birth (:func:`calibrate`; for dated pairs optionally
fitted on the register from their date levels, :func:`dated_date_calibration`), the
logistic recalibration of pairs without a date taught by the dated pairs with their
date-of-birth evidence masked (:func:`calibrate_masked`, :func:`masked_date_calibration`),
which also weighs how common the pair's names are in the register (:func:`name_frequency_features`),
and the date-of-birth Bayes factor it removes (:func:`date_of_birth_log_bf`). Used by
:func:`darkfigure.linkage.link.link` and :mod:`darkfigure.linkage.clustering`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ._dob_evidence import _BF_CHUNK, date_of_birth_log_bf, level_log_bf  # noqa: F401  (re-exported)
from ._masked_teach import masked_misspelt, taught_pairs
from .age_dates import age_flags
from .dob_levels import DOB_LEVELS as _DOB_LEVELS  # noqa: F401  (re-exported)

#: Platt-type correction of the plaintext match probabilities: logit p is shifted by these amounts for pairs
#: where both registrations have a date of birth, and for the others. Fitted by logistic regression of the true
#: match indicator on logit p (slope 1) over the scored pairs of the tuning settings ("standard", "messy"; seeds
#: 1-2, about 5,000 persons each) of darkfigure.linkage.synthetic. Fellegi-Sunter posteriors are over-confident
#: because the comparisons are not independent given the match status (names say sex and origin; a namesake
#: born in the same year agrees on more than random pairs do); the shifts took the odds down by a factor 1.4
#: (2 without a date of birth). Since sex and nationality are weighed by their agreement among namesakes (which
#: removed that double counting) the dated pairs are under-confident instead: refitted on the same settings and
#: seeds (13,419 pairs with both dates; +2.31 on the old -0.35, +2.04 to +2.06 when fitted on the pairs between
#: 0.01 and 0.99 only) the shift raises their odds by a factor 7. The second value is not used when the dated
#: pairs can teach the undated ones (calibrate_masked). benchmarks/linkage_quality_study.py reports the effect.
#: The shift that calibrates dated pairs differs by register (+1.3 on recurring_names at 8,000 registrations, +0.8 at
#: 20,000, +1.0 at 100,000, +2.3 at 1M, fitted on the truth; benchmarks/link_scale_diagnosis.py);
#: dated_date_calibration fits it on each register from its date levels (DATED_SELF_CALIBRATION, on since 6 December).
CALIBRATION_SHIFT = (1.95, -0.70)


def calibrate(probability: np.ndarray, has_dob_pair: np.ndarray, shift: tuple[float, float] = CALIBRATION_SHIFT
              ) -> np.ndarray:
    """Match probabilities corrected for the Fellegi-Sunter model's over-confidence (Platt 1999 scaling, slope 1).

    ``p' = expit(logit(p) + shift[0])`` for pairs where both registrations have a date of
    birth (`has_dob_pair` True), ``shift[1]`` for the others; see
    :data:`CALIBRATION_SHIFT` for where the shifts come from.

    Parameters
    ----------
    probability : float array, shape (m,); has_dob_pair : bool array, shape (m,);
    shift : (float, float), logit shifts (0, 0: no correction).

    Returns
    -------
    float array, shape (m,), in (0, 1).
    """
    from scipy.special import expit, logit

    p = np.clip(np.asarray(probability, dtype=float), 1e-12, 1 - 1e-12)
    return expit(logit(p) + np.where(np.asarray(has_dob_pair, dtype=bool), shift[0], shift[1]))


#: lowest match probability (before calibration) of the scored pairs that :func:`calibrate_masked` learns from
MASKED_FLOOR = 1e-7


def calibrate_masked(left: np.ndarray, right: np.ndarray, probability: np.ndarray, has_dob: np.ndarray,
                     dob: np.ndarray, model: dict, tf_dob: np.ndarray | None = None,
                     records: pd.DataFrame | None = None, name_frequencies: bool = True,
                     fitted: dict | None = None) -> tuple[np.ndarray, tuple[float, float]]:
    """Calibrated match probabilities: :func:`calibrate` for dated pairs, :func:`masked_date_calibration` for the rest.

    Pairs where both registrations have a date of birth get the fixed shift
    ``CALIBRATION_SHIFT[0]`` (with :data:`DATED_SELF_CALIBRATION` the shift of
    :func:`dated_date_calibration`, fitted on this register's dated pairs by their date
    levels, where it can be fitted); the others ``expit(a + b logit p + c . z)`` with (a, b, c)
    learnt on this register's dated pairs with their dates hidden, z the pair's
    :func:`name_frequency_features` (with `name_frequencies`) and :func:`registration_features`
    when `records` is given (falling back to the shift ``CALIBRATION_SHIFT[1]`` when too few
    dated pairs qualify).

    Parameters
    ----------
    left, right, probability : arrays, shape (m,): the scored pairs and their match probabilities.
    has_dob : bool array, shape (n,); dob : object array, shape (n,) (ISO dates, None when missing).
    model : dict: the linkage model (m and u of the date comparison); tf_dob : float array, shape (n,), optional.
    records : DataFrame, shape (n, k), optional: each registration's normalised first name and surname (columns
        ``fn`` and ``sn``, None when missing) and, where present, registration day ``reg_day``, organisation
        ``org`` and covariates compared as evidence ``ev0, ev1, ...`` (:func:`registration_features`); without
        it the curve uses logit p alone.
    name_frequencies : bool: weigh :func:`name_frequency_features` too (needs ``fn`` and ``sn``); False where the
        dated pairs with misspelt names were compared because of their dates
        (:func:`~darkfigure.linkage.splink_model.misspelt_names_blocked`).
    fitted : dict, optional: filled with ``"dated": (a, b)`` of :func:`dated_date_calibration` (nan: the shift).

    Returns
    -------
    (probabilities, shape (m,); (a, b), nan when the fallback was used)
    """

    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    both = has_dob[left] & has_dob[right]
    q = calibrate(probability, both)
    z = taught = None
    if records is not None:
        # no name rules for misspelt names: learn from the pairs no date chose (_masked_teach), with name features
        taught = None if name_frequencies else taught_pairs(left[both], right[both], records)
        codes = _name_codes(records["fn"], records["sn"]) if name_frequencies else None
        reg = _registration_codes(records)

        def z(idx: np.ndarray) -> np.ndarray:
            """Name-frequency and registration features of the pairs idx."""
            a, b = left[idx], right[idx]
            names = _name_features(a, b, codes) if codes is not None else np.zeros((a.size, 0))
            return np.column_stack([names, _registration_features(a, b, reg)])

    order = np.minimum(left, right) * (int(has_dob.size) + 1) + np.maximum(left, right)
    log_bf = date_of_birth_log_bf(left[both], right[both], dob, model, tf_dob, age_flags(records))
    uncut = _uncut_namesakes(left[both], right[both], records) if records is not None and not name_frequencies else None
    if DATED_SELF_CALIBRATION:
        q = apply_dated_calibration(probability, both, q, log_bf, order, fitted, uncut)
    out, ab = apply_masked_calibration(probability, both, q, log_bf, z, order)
    if taught is not None:  # misspelt undated pairs: a second fit on the pairs no date chose (_masked_teach)
        out = masked_misspelt(probability, both, q, out, np.where(taught | uncut, log_bf, np.nan), left, right, records)
    return out, ab


#: calibrate the dated pairs on the register itself (:func:`dated_date_calibration`) instead of the fixed shift. On
#: since the m of the date levels come from namesake pairs (dob_levels.dob_level_m; EM's fell 2-7 fold at 1M, so the
#: date levels misled the fit): the dated pairs then need +1.1 to +2.5 at 5,000 persons and about 0 at 200,000 and 1M
#: registrations with recurring names (fitted on the truth), which no fixed shift gives; the fit, on the pairs whose
#: dates blocking did not select (_uncut_namesakes), gives +0.37 at 200k: benchmarks/link_scale_diagnosis.py.
DATED_SELF_CALIBRATION = True


#: most registrations with one exact first name and surname whose dated pairs teach the dated calibration when the
#: coarse name rules are left out (:func:`_uncut_namesakes`): below the blocks engines.cap_blocks keeps (MAX_BLOCK 60)
UNCUT_NAME_GROUP = 40


def _uncut_namesakes(left: np.ndarray, right: np.ndarray, records: pd.DataFrame) -> np.ndarray:
    """Pairs (left, right) with one exact first name and surname carried by at most UNCUT_NAME_GROUP registrations.

    Every such pair is compared by the rule on the pair of names whatever its dates say
    (its blocks are small enough to be kept whole), so the dates of these pairs are not
    selected by the blocking. Where the rules on two letters of both names are left out
    (large registers) the other pairs with strong name evidence are compared only when
    their dates partly agree (a name with the day and month or the year of birth), which
    makes agreeing dates look commoner among them than among the pairs' matches and
    non-matches alike and biased :func:`dated_date_calibration` up by 1.0-1.3 logits at
    200,000 and 1M registrations (``benchmarks/link_scale_diagnosis.py``).
    """
    fn, sn = records["fn"].to_numpy(dtype=object), records["sn"].to_numpy(dtype=object)
    code = pd.MultiIndex.from_arrays([fn, sn]).factorize()[0] if fn.size else np.zeros(0, np.int64)
    code = np.where(pd.isna(fn) | pd.isna(sn), -1, code)
    count = np.bincount(code[code >= 0], minlength=int(code.max(initial=-1)) + 1) if code.size else np.zeros(0)
    a, b = np.asarray(left, np.int64), np.asarray(right, np.int64)
    same = (code[a] >= 0) & (code[a] == code[b])
    return same & (count[np.maximum(code[a], 0)] <= UNCUT_NAME_GROUP) if count.size else same


def apply_dated_calibration(probability: np.ndarray, both: np.ndarray, q: np.ndarray, log_bf_dob: np.ndarray,
                            order: np.ndarray | None = None, fitted: dict | None = None,
                            eligible: np.ndarray | None = None) -> np.ndarray:
    """Dated pairs' probabilities from :func:`dated_date_calibration` fitted on this register's dated pairs.

    Parameters
    ----------
    probability : float array, shape (m,): the model's match probabilities.
    both : bool array, shape (m,): both records of the pair have a date of birth.
    q : float array, shape (m,): the probabilities so far (the fixed shift :func:`calibrate`); kept where the
        curve cannot be fitted, and for the undated pairs.
    log_bf_dob : float array, shape (both.sum(),): the dated pairs' date-of-birth log Bayes factors.
    order : int array, shape (m,), optional: as in :func:`apply_masked_calibration` (thinning to
        :data:`MASKED_FIT_MAX` pairs, reproducible whatever order the pairs came in).
    fitted : dict, optional: filled with ``"dated": (a, b)``.
    eligible : bool array, shape (both.sum(),), optional: the dated pairs that may teach the curve (default all;
        :func:`_uncut_namesakes`).

    Returns
    -------
    float array, shape (m,): `q` with the dated pairs at ``expit(a + b (logit p - log BF) + log BF)``.
    """
    from scipy.special import expit, logit

    lp = logit(np.clip(np.asarray(probability, float), 1e-12, 1 - 1e-12))
    dated = np.flatnonzero(both)
    bf = np.asarray(log_bf_dob, float)
    x = lp[dated] - bf
    fit = np.isfinite(x) & (x >= logit(MASKED_MIN_PROBABILITY))
    fit = np.flatnonzero(fit if eligible is None else fit & np.asarray(eligible, bool))
    if order is not None and fit.size > MASKED_FIT_MAX:
        fit = fit[np.argsort(np.asarray(order)[dated[fit]], kind="stable")][::-(-fit.size // MASKED_FIT_MAX)]
    a, b = dated_date_calibration(x[fit], bf[fit])
    if fitted is not None:
        fitted["dated"] = (a, b)
    if not np.isfinite(a):
        return q
    q = q.copy()
    ok = np.isfinite(x)
    q[dated[ok]] = expit(a + b * x[ok] + bf[ok])
    return q


def dated_date_calibration(x: np.ndarray, log_bf_dob: np.ndarray, free_slope: bool = False) -> tuple[float, float]:
    """Calibration of the dated pairs' evidence beside the date of birth, identified by the dates themselves.

    For a pair of registrations that both record a date of birth, ``x = logit p - log BF_dob``
    is the evidence of everything but the date (names, sex, nationality, registrations,
    and the prior odds). How often that evidence belongs to one person depends on the
    register (how many namesakes it holds, how the model's conditional independence errs
    there), so a fixed correction fitted on other registers does not carry over. The
    dates tell it without the truth: given the match status, the date-of-birth comparison
    is nearly independent of the other evidence (two namesakes are born in the same year
    no more often than two random persons), so the pairs' observed date levels are a
    mixture ``pi(x) m_k + (1 - pi(x)) u_k`` with known ``m_k / u_k = BF`` (the model's m,
    and u from random pairs). With ``pi(x) = expit(a + b x)`` the likelihood of the date
    levels, up to a factor without (a, b), is ``prod_i (pi_i BF_i + 1 - pi_i)``; its maximum
    gives (a, b), and a pair's match probability is the posterior
    ``expit(a + b x + log BF)``. The label-free counterpart of :func:`masked_date_calibration`
    (the date is the label there too); cf. the EM fit of a mixture with one known
    component ratio (Winkler 1988).

    Only pairs with ``expit(x) >= MASKED_MIN_PROBABILITY`` are used: the blocking compares
    pairs with little name evidence only when their dates agree, which would make
    agreeing dates look more common than they are among such pairs.

    Parameters
    ----------
    x : float array, shape (m,): logit p minus the date-of-birth log Bayes factor of the qualifying dated pairs.
    log_bf_dob : float array, shape (m,): their date-of-birth log Bayes factors (:func:`date_of_birth_log_bf`).
    free_slope : bool: fit b too (default: b = 1, a logit shift of the evidence beside the date).

    Returns
    -------
    (a, b) : floats; nan when fewer than 50 pairs qualify or the dates cannot tell (fewer than 10 pairs with a
    date level for and 10 against a match).
    """
    from scipy.optimize import minimize
    from scipy.special import expit, log_expit

    x, bf = np.asarray(x, float), np.asarray(log_bf_dob, float)
    keep = np.isfinite(x) & np.isfinite(bf)
    x, bf = x[keep], bf[keep]
    if x.size < 50 or (bf > 0).sum() < 10 or (bf < 0).sum() < 10:
        return float("nan"), float("nan")
    X = np.column_stack([np.ones_like(x), x])

    def nll(theta):
        """Negative log-likelihood of the date levels, -sum log(pi BF + 1 - pi), and its gradient."""
        s = X @ theta
        lm, ln = log_expit(s) + bf, log_expit(-s)
        ll = np.logaddexp(lm, ln)
        # d/ds log(pi BF + 1 - pi) = pi (1 - pi) (BF - 1) / (pi BF + 1 - pi) = post - pi, post the posterior
        r = np.exp(lm - ll) - expit(s)
        return -ll.sum(), -(X.T @ r)

    # slope 1 (a logit shift, as the fixed one it replaces) unless `free_slope`: at 5,000 persons the free slope
    # (1.35 on recurring_names) cost held-out recall (misspelt names with an agreeing date pushed down)
    slope = (0.05, 5.0) if free_slope else (1.0, 1.0)
    res = minimize(nll, np.r_[0.0, 1.0], jac=True, method="L-BFGS-B", bounds=[(-20, 20), slope])
    return float(res.x[0]), float(res.x[1])


def apply_masked_calibration(probability: np.ndarray, both: np.ndarray, q: np.ndarray,
                             log_bf_dob: np.ndarray, features: Callable[[np.ndarray], np.ndarray] | None = None,
                             order: np.ndarray | None = None) -> tuple[np.ndarray, tuple[float, float]]:
    """Undated pairs' probabilities from the calibration learnt on dated pairs with their dates hidden.

    Parameters
    ----------
    probability : float array, shape (m,)
        The model's match probabilities.
    both : bool array, shape (m,)
        Both records of the pair have a date of birth.
    q : float array, shape (m,)
        The dated pairs' calibrated probabilities (undated entries are replaced).
    log_bf_dob : float array, shape (both.sum(),)
        The date-of-birth log Bayes factor of every dated pair.
    features : callable, optional
        ``features(idx)`` gives further evidence of the pairs ``idx`` (int array, shape (j,)) as
        a float array of shape (j, k) that the curve weighs (:func:`name_frequency_features`);
        called for the dated pairs that teach the curve and for the undated pairs only, so
        that a million registrations' tens of millions of pairs need no (m, k) matrix.
    order : int array, shape (m,), optional
        A key that orders the pairs whatever order they came in (e.g. ``left * n + right``);
        with it, more than :data:`MASKED_FIT_MAX` qualifying dated pairs are thinned to every
        k-th in that order before the fit (without it all are used).

    Returns
    -------
    (float array of shape (m,), (a, b))
        Probabilities with undated pairs at expit(a + b logit p + c . features), and the
        fitted (a, b) of :func:`masked_date_calibration` (NaN when it could not be fitted;
        q unchanged then).
    """
    from scipy.special import expit, logit

    lp = logit(np.clip(np.asarray(probability, float), 1e-12, 1 - 1e-12))
    dated, undated = np.flatnonzero(both), np.flatnonzero(~both)
    # only the dated pairs that can qualify (masked_date_calibration's own filter, repeated) get features; beyond
    # MASKED_FIT_MAX of them every k-th in the order of `order` (reproducible whatever order the engine returned the
    # pairs in) is enough for a handful of coefficients
    x = lp[dated] - np.asarray(log_bf_dob, float)
    fit = np.flatnonzero(np.isfinite(x) & (x >= logit(MASKED_MIN_PROBABILITY)))
    if order is not None and fit.size > MASKED_FIT_MAX:
        fit = fit[np.argsort(np.asarray(order)[dated[fit]], kind="stable")][::-(-fit.size // MASKED_FIT_MAX)]
    bf = np.asarray(log_bf_dob, float)[fit]
    a, b, *c = masked_date_calibration(lp[dated][fit], bf, q[dated][fit],
                                       features=None if features is None else features(dated[fit]))
    if np.isfinite(a):
        q = q.copy()
        z = lp[undated] * b + a
        if c:
            z += np.asarray(features(undated), float) @ np.asarray(c)
        q[undated] = expit(z)
    return q, (a, b)


#: pairs whose match probability without the date of birth is below this do not teach :func:`masked_date_calibration`
MASKED_MIN_PROBABILITY = 0.01
#: most dated pairs that teach :func:`apply_masked_calibration` when it can order them (197,229 qualify at 200,000
#: registrations with recurring names, about five times as many at 1M: every k-th is used, which bounds the fit)
MASKED_FIT_MAX = 200_000


def masked_date_calibration(logit_p: np.ndarray, log_bf_dob: np.ndarray, target: np.ndarray,
                            min_probability: float = MASKED_MIN_PROBABILITY, features: np.ndarray | None = None
                            ) -> tuple[float, ...]:
    """Calibration of match probabilities without a date of birth, learnt by hiding the dates of dated pairs.

    A pair of which one registration lacks a date of birth is judged on names, sex,
    nationality and registration dates alone, and how much a shared name says depends on
    how many namesakes the register holds — which differs between registers and which
    the Fellegi–Sunter model (conditional independence, term frequencies from few
    counts) gets wrong. The pairs where both dates are known show it: with the date's
    contribution removed, ``x = logit p - log BF_dob`` is the evidence such a pair would
    have had without dates, and its match probability with the dates (`target`, taken
    as the truth) says how often that evidence belongs to one person. A logistic
    regression ``target ~ expit(a + b x)`` (soft labels, maximum likelihood) over the
    dated pairs with ``expit(x) >= min_probability`` gives (a, b); undated pairs then
    get ``expit(a + b logit p)``. This is Platt (1999) scaling fitted on the register
    itself, with the known dates as the labels.

    With `features` (columns z, e.g. :func:`name_frequency_features`) the curve is
    ``expit(a + b x + c . z)``: evidence the Fellegi–Sunter model weighs wrongly for the
    register at hand (how common a misspelt name is) is re-weighed by the same dated
    pairs. The coefficients c carry a weak ridge penalty (``c^2 / 2``: one pair's worth)
    and lie in [-5, 5], so that a feature the qualifying pairs never vary stays at 0.

    Parameters
    ----------
    logit_p : float array, shape (m,): logit of the dated pairs' match probabilities (before calibration).
    log_bf_dob : float array, shape (m,): their date-of-birth log Bayes factors (:func:`date_of_birth_log_bf`).
    target : float array, shape (m,): their match probabilities with the dates (calibrated).
    min_probability : float: pairs whose probability without the date is below this are left out.
    features : float array, shape (m, k), optional: further evidence of the pairs (finite).

    Returns
    -------
    (a, b, c_1, ..., c_k) : floats; all nan when fewer than 20 pairs, or fewer than 5 matches or non-matches,
    qualify (k = 0 without `features`).

    Raises
    ------
    ValueError
        `features` has another number of rows than `logit_p`, or values that are not finite.
    """
    from scipy.optimize import minimize
    from scipy.special import expit, log_expit, logit

    x = np.asarray(logit_p, float) - np.asarray(log_bf_dob, float)
    t = np.clip(np.asarray(target, float), 0.0, 1.0)
    f = None if features is None else np.asarray(features, float)
    # no pairs (a register whose every dated pair is below min_probability): reshape(0, -1) cannot infer k
    z = (np.zeros((x.size, 0)) if f is None else f.reshape(x.size, -1) if f.size
         else np.zeros((x.size, f.shape[-1] if f.ndim == 2 else 0)))
    if not np.isfinite(z).all():
        raise ValueError("the calibration features must be finite")
    k = z.shape[1]
    keep = np.isfinite(x) & np.isfinite(t) & (x >= logit(min_probability))
    x, t, z = x[keep], t[keep], z[keep]
    if x.size < 20 or t.sum() < 5 or (1 - t).sum() < 5:
        return (float("nan"),) * (2 + k)
    X = np.column_stack([np.ones_like(x), x, z])
    ridge = np.r_[0.0, 0.0, np.ones(k)]

    def nll(theta):
        """Penalised negative log-likelihood of the logistic calibration and its gradient, theta = (a, b, c)."""
        s = X @ theta
        ll = t * log_expit(s) + (1 - t) * log_expit(-s)
        r = t - expit(s)
        return -ll.sum() + 0.5 * (ridge * theta ** 2).sum(), -(X.T @ r) + ridge * theta

    res = minimize(nll, np.r_[0.0, 1.0, np.zeros(k)], jac=True, method="L-BFGS-B",
                   bounds=[(-20, 20), (0.05, 5.0), *([(-5.0, 5.0)] * k)])
    return tuple(float(v) for v in res.x)


#: the columns of :func:`registration_features` (one disagreement column per covariate compared as evidence)
REGISTRATION_FEATURES = ("log(1 + days between the registrations)", "registered by one organisation",
                         "covariate ev<k> recorded differently")


def registration_features(left: np.ndarray, right: np.ndarray, records: pd.DataFrame) -> np.ndarray:
    """What the registrations say beside names, for the date-masked calibration (:data:`REGISTRATION_FEATURES`).

    The Fellegi–Sunter model weighs the days between two registrations, one organisation
    or two, and a covariate recorded differently with m and u from the whole register
    (and conditional independence); how much they say when the date of birth cannot, and
    alongside how common the names are, is what :func:`masked_date_calibration` re-weighs
    on the dated pairs with their dates hidden. None of them chooses which pairs are
    compared (the blocking rules use names and dates), so the dated pairs that teach the
    weights are selected as the undated pairs are. Columns, per pair: ``log(1 + |days
    between the registrations|)`` (0 where a date is missing); 1 when both come from one
    organisation; per covariate column ``ev0, ev1, ...`` 1 when both have a value and the
    values differ. Columns of `records` that are absent give no column (registration
    gap, organisation) or none at all (covariates).

    Parameters
    ----------
    left, right : int arrays, shape (m,): record numbers of the pairs.
    records : DataFrame, shape (n, ...): ``reg_day`` (days, nullable), ``org``, ``ev0, ev1, ...`` (optional).

    Returns
    -------
    float array, shape (m, k).
    """
    return _registration_features(np.asarray(left, np.int64), np.asarray(right, np.int64),
                                  _registration_codes(records))


def _registration_codes(records: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per registration: day number (nan when unknown), organisation and covariate codes (-1 when missing)."""
    out: dict[str, np.ndarray] = {}
    if "reg_day" in records.columns:
        out["reg_day"] = pd.to_numeric(records["reg_day"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if "org" in records.columns:
        out["org"] = pd.factorize(records["org"], use_na_sentinel=True)[0]
    for c in sorted(c for c in records.columns if c.startswith("ev") and c[2:].isdigit()):
        out[c] = pd.factorize(records[c], use_na_sentinel=True)[0]
    return out


def _registration_features(a: np.ndarray, b: np.ndarray, codes: dict[str, np.ndarray]) -> np.ndarray:
    """:func:`registration_features` of pairs (a, b) from the registrations' :func:`_registration_codes`."""
    cols = []
    if "reg_day" in codes:
        gap = np.abs(codes["reg_day"][a] - codes["reg_day"][b])
        cols.append(np.log1p(np.where(np.isfinite(gap), gap, 0.0)))
    if "org" in codes:
        cols.append(((codes["org"][a] == codes["org"][b]) & (codes["org"][a] >= 0)).astype(float))
    for c in (k for k in codes if k.startswith("ev")):
        x, y = codes[c][a], codes[c][b]
        cols.append(((x >= 0) & (y >= 0) & (x != y)).astype(float))
    return np.column_stack(cols) if cols else np.zeros((a.size, 0))


#: share of the longer name's letters (as a multiset) that two names must share to count as one name misspelt
#: (:func:`name_frequency_features`): one or two typos in a name of 6+ letters keep 0.7 of them, "Merel" / "Eline"
#: 0.6, "Volcke" / "Rite" 0.33
CLOSE_LETTERS = 0.7

#: the columns of :func:`name_frequency_features`
NAME_FEATURES = ("names misspelt", "names misspelt x log surname count", "names misspelt x log first name count",
                 "names exact x log full name count", "first names differ x log count of the rarer",
                 "surnames differ x log count of the rarer")


def name_frequency_features(left: np.ndarray, right: np.ndarray, first: pd.Series | np.ndarray,
                            surname: pd.Series | np.ndarray) -> np.ndarray:
    """How common the pair's names are in the register, for the date-masked calibration (:data:`NAME_FEATURES`).

    The Fellegi–Sunter name comparison weighs exact agreement by the name's frequency
    (Winkler 1989) but a misspelt pair at the average u of its level: "Isbael
    Nascimentoalmeiad" / "Isabel Nascimentoalmeida" counts as little as "Le Wang" /
    "Li Wang", although a random other person comes close to a rare name far less
    often than to a common one (the u of a misspelling is value-specific too). Without
    a date of birth that evidence decides. Columns, per pair:

    0. the names misspelt: not equal (nor equal with first name and surname swapped), but each
       name shares at least :data:`CLOSE_LETTERS` of its letters with its counterpart (in the
       same or the swapped field): 1, else 0 (one name wholly different is no misspelling);
    1. column 0 times log of the larger number of registrations carrying either record's surname;
    2. the same for the first name;
    3. the names equal (or swapped) times log of the number of registrations carrying the full name
       (a name shared by many registrations is shared by namesakes more than its term frequency over
       distinct identities says, and the other way round for a name one person carries);
    4. the first names differ (names misspelt) times log of the count of the rarer of the
       two first names: a typo makes a spelling nobody else carries (count 1, log 0), while two first
       names that several registrations carry each ("Monica" / "Sinica", "Nelu" / "Relu") are more
       often two persons;
    5. the same for the surnames.

    Counts are registrations in the register (a typo's count is 1, so the larger of the two
    sides is the correctly spelt name's). A pair with a missing name gets zeros. The weights
    are learnt by :func:`masked_date_calibration` from the register's dated pairs.

    Parameters
    ----------
    left, right : int arrays, shape (m,): record numbers of the pairs.
    first, surname : arrays, shape (n,): each registration's normalised first name and surname (None if missing).

    Returns
    -------
    float array, shape (m, 6).
    """
    return _name_features(np.asarray(left, np.int64), np.asarray(right, np.int64), _name_codes(first, surname))


def _name_codes(first, surname) -> dict[str, np.ndarray]:
    """Per registration: codes of the first name and surname (-1 missing), log counts of the three name values."""
    fn, sn = pd.Series(np.asarray(first, dtype=object)), pd.Series(np.asarray(surname, dtype=object))
    out: dict[str, np.ndarray] = {"ok": (fn.notna() & sn.notna()).to_numpy()}
    # the swapped comparison needs first names and surnames in one code space
    c, uniq = pd.factorize(pd.concat([fn, sn], ignore_index=True), use_na_sentinel=True)
    out["fn"], out["sn"] = c[:fn.size], c[fn.size:]
    # letters a-z of each distinct name (other characters ignored), for the letter overlap of two names
    letters = np.zeros((len(uniq), 26), np.uint8)
    for i, v in enumerate(uniq):
        k = np.frombuffer(str(v).encode("ascii", "ignore"), np.uint8).astype(np.int64) - 97
        k = k[(k >= 0) & (k < 26)]
        np.add.at(letters[i], k, 1)
    out["letters"] = letters
    for key, v in (("fn", fn), ("sn", sn), ("full", fn.str.cat(sn, sep="|"))):
        k, u = pd.factorize(v, use_na_sentinel=True)
        cnt = np.bincount(k[k >= 0], minlength=len(u)).astype(float)
        out[f"log_{key}"] = np.log(np.where(k >= 0, cnt[np.maximum(k, 0)], 1.0))
    return out


def _name_features(a: np.ndarray, b: np.ndarray, codes: dict[str, np.ndarray]) -> np.ndarray:
    """:func:`name_frequency_features` of pairs (a, b) from the registrations' :func:`_name_codes`."""
    cf, cs = codes["fn"], codes["sn"]
    both = codes["ok"][a] & codes["ok"][b]
    exact = both & (((cf[a] == cf[b]) & (cs[a] == cs[b])) | ((cf[a] == cs[b]) & (cs[a] == cf[b])))
    # misspelt: each name close to its counterpart (in the same or in swapped fields); one name wholly different
    # ("Jolijn Volcke" / "Jolijn Rite") is another person's name, not a typo, and gets no features
    def close(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Names x and y (codes) share at least :data:`CLOSE_LETTERS` of the longer one's letters."""
        out = np.zeros(x.size, bool)
        for i in range(0, x.size, 1_000_000):  # bounded memory: (chunk, 26) letter counts
            lx, ly = codes["letters"][x[i:i + 1_000_000]], codes["letters"][y[i:i + 1_000_000]]
            common = np.minimum(lx, ly).sum(axis=1, dtype=np.int64)
            longer = np.maximum(lx.sum(axis=1, dtype=np.int64), ly.sum(axis=1, dtype=np.int64))
            out[i:i + 1_000_000] = common >= CLOSE_LETTERS * np.maximum(longer, 1)
        return out

    m = np.flatnonzero(both & ~exact)
    differ = np.zeros(a.size, bool)
    if m.size:
        am, bm = a[m], b[m]
        differ[m] = (close(cf[am], cf[bm]) & close(cs[am], cs[bm])) | (close(cf[am], cs[bm]) & close(cs[am], cf[bm]))
    ls, lf, lfull = codes["log_sn"], codes["log_fn"], codes["log_full"]
    fn_differs, sn_differs = differ & (cf[a] != cf[b]), differ & (cs[a] != cs[b])
    return np.column_stack([differ, differ * np.maximum(ls[a], ls[b]), differ * np.maximum(lf[a], lf[b]),
                            exact * np.maximum(lfull[a], lfull[b]), fn_differs * np.minimum(lf[a], lf[b]),
                            sn_differs * np.minimum(ls[a], ls[b])]).astype(float)
