"""How often a person's two registrations carry wholly different dates of birth, estimated from the register.

The plaintext model has levels for the common date errors (a typo, a day/month swap, a
year, day or month off); what is left — "same year" and "wholly different" — was given a
fixed m of 0.3 % each (:data:`darkfigure.linkage.splink_model.DOB_GROSS_ERROR`), because
expectation–maximisation on name-blocked pairs cannot tell a person recorded with a wrong
date from a namesake. Registers differ here: an estimated age turned into 1 January of a
guessed year, a date a few weeks off, a year ten off. Where gross errors affect 3 % of
the matches, a fixed 0.3 % makes every such pair a near-certain non-match (a penalty
about ten times too strong), and the expected number of missed links that ``link``
reports without the truth comes out about half the true one.

:func:`dob_gross_error` estimates the two levels' m from the pairs of dated registrations
that share an exact first name and surname (:func:`~darkfigure.linkage.dob_levels.namesake_pairs`),
as a two-class latent class model of two comparisons (Goodman 1974; the Fellegi–Sunter
mixture of Winkler 1988) — the date-of-birth level and the days between the two
registrations — with the non-match class fixed at the distributions among random pairs
of registrations (namesakes are born, and registered, at unrelated times) and the match
class free. The registration gap identifies the mixture: matches are mostly registered
around one case, namesakes at any time; the date-of-birth errors of a person's
registrations are taken to be independent of when they were made.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .dob_levels import DOB_LEVELS, DOB_M_MIN_MATCHES, dob_levels, namesake_pairs

__all__ = ["GAP_BINS", "dob_gross_error"]

#: upper ends (days) of the registration-gap classes of the latent class model; the last class is everything beyond
GAP_BINS = (30, 90, 180, 365, 730)
#: fewest pairs, and least total-variation distance between the match class's registration gaps and the random
#: pairs', for an estimate: below either the mixture is not identified and the fixed floor stands
GROSS_MIN_PAIRS = 500
GROSS_MIN_SEPARATION = 0.15
#: largest estimated m of each of the two levels (a register where a tenth of the matches' dates are wholly wrong
#: has dates that say little; beyond this the estimate is more likely a failure of the model's assumptions)
GROSS_MAX = 0.1
#: random pairs for the non-match distributions
GROSS_RANDOM_PAIRS = 1_000_000
#: bootstrap tables, and the quantile of their estimates used (a one-sided 90 % lower bound)
GROSS_BOOTSTRAP = 200
GROSS_LOWER_QUANTILE = 0.1


def _dob_class(a: np.ndarray, b: np.ndarray, parts) -> np.ndarray:
    """Date classes of pairs: 0 exact, 1 a near miss (the levels with errors of their own), 2 same year, 3 else."""
    lev = dob_levels(a, b, None, parts)
    sy, other = DOB_LEVELS.index("same year"), len(DOB_LEVELS)
    exact = (lev == DOB_LEVELS.index("exact")) | (lev == DOB_LEVELS.index("exact, 1 January"))
    return np.select([exact, lev == sy, lev == other], [0, 2, 3], 1)


def _gap_class(a: np.ndarray, b: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Registration-gap classes of pairs (:data:`GAP_BINS`); -1 where a registration date is missing."""
    d = np.abs(day[a] - day[b])
    out = np.searchsorted(np.asarray(GAP_BINS, float), d, side="left")
    return np.where(np.isfinite(d), out, -1)


def _latent_class(n: np.ndarray, u_d: np.ndarray, u_g: np.ndarray, iters: int = 3000, tol: float = 1e-9):
    """EM of the two-class model ``n[..., d, g] ~ pi m_d[d] m_g[g] + (1 - pi) u_d[d] u_g[g]`` with u fixed.

    Vectorised over leading axes of `n` (bootstrap replicates of the table).

    Parameters
    ----------
    n : float array, shape (..., D, G): pair counts by date class and gap class.
    u_d, u_g : float arrays, shapes (D,), (G,): the non-match class's distributions.

    Returns
    -------
    (pi, m_d, m_g): arrays of shapes (...), (..., D), (..., G): the match share and the match class's distributions.
    """
    n = np.asarray(n, float)
    lead = n.shape[:-2]
    u = np.outer(u_d, u_g)
    pi = np.full(lead, 0.3)
    # start the match class at exact dates and short gaps, as matches are
    m_d = np.broadcast_to(np.array([0.85, 0.1, 0.025, 0.025]), lead + (n.shape[-2],)).copy()
    m_g = np.linspace(2.0, 0.2, n.shape[-1])
    m_g = np.broadcast_to(m_g / m_g.sum(), lead + (n.shape[-1],)).copy()
    total = n.sum(axis=(-2, -1))
    for _ in range(iters):
        pm = pi[..., None, None] * m_d[..., :, None] * m_g[..., None, :]
        den = pm + (1 - pi)[..., None, None] * u
        w = n * np.divide(pm, den, out=np.zeros_like(pm), where=den > 0)
        s = np.maximum(w.sum(axis=(-2, -1)), 1e-300)
        new_pi = s / total
        new_d, new_g = w.sum(axis=-1) / s[..., None], w.sum(axis=-2) / s[..., None]
        step = max(np.abs(new_pi - pi).max(), np.abs(new_d - m_d).max(), np.abs(new_g - m_g).max())
        pi, m_d, m_g = new_pi, new_d, new_g
        if step < tol:
            break
    return pi, m_d, m_g


def dob_gross_error(p: pd.DataFrame, floor: float, seed: int = 0) -> tuple[float, float, str]:
    """m of the date levels "same year" and "wholly different", estimated from the register, never below `floor`.

    Method (module docstring): the pairs of dated registrations with one exact first name and
    surname are classed by date (exact; a near miss; same year; else) and by the days between
    their registrations (:data:`GAP_BINS`); the counts are fitted by a two-class latent class
    model whose non-match class is the product of the two distributions among random pairs of
    registrations, by EM. The match class's shares of "same year" and "else" are the estimates.
    Not identified — fewer than :data:`GROSS_MIN_PAIRS` pairs or
    :data:`~darkfigure.linkage.dob_levels.DOB_M_MIN_MATCHES` expected matches, registration dates
    missing, or the matches' registration gaps within :data:`GROSS_MIN_SEPARATION` (total
    variation) of the random pairs' — the floor is returned with the reason.

    Parameters
    ----------
    p : DataFrame, shape (n_registrations, ...)
        Prepared plaintext registrations with ``fn``, ``sn``, ``dob`` (ISO dates, null when
        missing) and ``reg_day`` (days since 1970, nullable).
    floor : float
        The smallest m returned for each level (the model's fixed value before this estimate).
    seed : int
        Seed of the sampled namesake pairs and of the random pairs.

    Returns
    -------
    (m_same_year, m_else, note) : each m in [floor, :data:`GROSS_MAX`]; `note` says what was
    estimated, from how many pairs, or why the floor stands.

    Raises
    ------
    ValueError
        `floor` not in (0, GROSS_MAX].
    """
    if not 0 < floor <= GROSS_MAX:
        raise ValueError(f"floor must be in (0, {GROSS_MAX}], not {floor}")
    if not {"fn", "sn", "dob", "reg_day"} <= set(p.columns):
        return floor, floor, "not estimated (no names, dates of birth or registration dates)"
    rng = np.random.default_rng(seed)
    pairs = namesake_pairs(p, rng)
    if pairs is None:
        return floor, floor, "not estimated (no dated registrations share a name)"
    a, b, dated, parts = pairs
    day = pd.to_numeric(p["reg_day"], errors="coerce").to_numpy(dtype=float)
    g = _gap_class(a, b, day)
    ok = g >= 0
    if ok.sum() < GROSS_MIN_PAIRS:
        return floor, floor, f"not estimated ({int(ok.sum())} dated pairs with one name; {GROSS_MIN_PAIRS} needed)"
    d = _dob_class(a[ok], b[ok], parts)
    n_d, n_g = 4, len(GAP_BINS) + 1
    n = np.zeros((n_d, n_g))
    np.add.at(n, (d, g[ok]), 1.0)
    ra, rb = rng.choice(dated, GROSS_RANDOM_PAIRS), rng.choice(dated, GROSS_RANDOM_PAIRS)
    keep = ra != rb
    u_d = np.bincount(_dob_class(ra[keep], rb[keep], parts), minlength=n_d) / keep.sum()
    have = np.flatnonzero(np.isfinite(day))
    ga, gb = rng.choice(have, GROSS_RANDOM_PAIRS), rng.choice(have, GROSS_RANDOM_PAIRS)
    keep = ga != gb
    u_g = np.bincount(_gap_class(ga[keep], gb[keep], day), minlength=n_g) / keep.sum()
    # a class no random pair reached (all registrations within 30 days of each other): not a usable reference
    u_d, u_g = np.maximum(u_d, 1.0 / GROSS_RANDOM_PAIRS), np.maximum(u_g, 1.0 / GROSS_RANDOM_PAIRS)
    u_d, u_g = u_d / u_d.sum(), u_g / u_g.sum()
    pi, m_d, m_g = _latent_class(n, u_d, u_g)
    pi, m_d, m_g = float(pi), m_d, m_g
    sep = 0.5 * np.abs(m_g - u_g).sum()
    matches = pi * n.sum()
    if matches < DOB_M_MIN_MATCHES or sep < GROSS_MIN_SEPARATION:
        return floor, floor, (f"not identified ({matches:,.0f} expected matches among {int(n.sum()):,} pairs with one "
                              f"name; registration gaps of matches {sep:.2f} from random pairs)")
    # the one-sided lower bound over bootstrap tables: the share of matches in "else" is the difference of two
    # large counts (all "else" pairs less the namesakes' expected share), so an error of 2 % in pi moves it by
    # 0.02 at 5,000 persons; the fixed floor is left only where the register shows gross errors
    boot = rng.multinomial(int(n.sum()), (n / n.sum()).ravel(), size=GROSS_BOOTSTRAP).reshape((-1,) + n.shape)
    _, bd, _ = _latent_class(boot, u_d, u_g)
    lower = np.quantile(bd[:, 2:], GROSS_LOWER_QUANTILE, axis=0)
    m_sy, m_else = (float(np.clip(lower[k], floor, GROSS_MAX)) for k in (0, 1))
    return m_sy, m_else, (f"estimated from {int(n.sum()):,} dated pairs with one name ({matches:,.0f} expected "
                          f"matches): same year {m_d[2]:.4f}, else {m_d[3]:.4f}; lower {GROSS_LOWER_QUANTILE:.0%} "
                          f"bootstrap bounds {lower[0]:.4f}, {lower[1]:.4f}; used {m_sy:.4f}, {m_else:.4f} "
                          f"(floor {floor})")
