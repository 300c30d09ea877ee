"""Estimated m and u of the Splink comparison model (:mod:`darkfigure.linkage.splink_model`).

The rates that are estimated from the registrations before Splink's EM rather than trained
by it: m of disagreement on person-level covariates, sex and nationality and of
"registered more than a year apart" from confident matches (exact first name, surname and
date of birth), and u of agreement among namesakes born in different years, with their
priors and bounds.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

#: prior guess of m of disagreement on a person-level covariate (age group, form of exploitation) among true
#: matches, and its weight in pseudo-pairs: :func:`covariate_disagreement` shrinks the rate seen among confident
#: matches towards it
COVARIATE_DISAGREEMENT = 0.05
COVARIATE_PRIOR_PAIRS = 20.0
#: bounds of the estimated m of disagreement: never an absolute veto, never more than a coin toss
COVARIATE_M_BOUNDS = (0.02, 0.5)
#: identifying columns whose exact agreement makes a confident match (plaintext, pseudonymised)
_CONFIDENT = (("fn", "sn", "dob"), ("tok_first_name", "tok_surname", "tok_date_of_birth"))


def _evidence_cols(p: pd.DataFrame) -> list[str]:
    return sorted((c for c in p.columns if c.startswith("ev") and c[2:].isdigit()), key=lambda c: int(c[2:]))


def covariate_disagreement(p: pd.DataFrame) -> dict[str, tuple[float, int]]:
    """m of disagreement on each evidence covariate, estimated from confident matches.

    Organisations record a person's covariates differently (police: sexual exploitation,
    a shelter: labour; the age group changes across years), at a rate no fixed value
    fits. Confident matches are pairs of registrations that agree exactly on first name,
    surname and date of birth (all present; plaintext ``fn, sn, dob`` or the keyed tokens):
    nearly all are one person, and their covariates are compared where both are present
    (a missing value is no evidence, as in the comparison's null level). The rate is
    shrunk towards :data:`COVARIATE_DISAGREEMENT` with :data:`COVARIATE_PRIOR_PAIRS`
    pseudo-pairs (a Beta prior; few confident matches leave the guess) and kept within
    :data:`COVARIATE_M_BOUNDS`. Disagreements among these pairs that are two namesakes
    born on one day inflate it slightly, which weakens the evidence (the safe side).

    Parameters
    ----------
    p : DataFrame, shape (n_registrations, ...)
        Prepared registrations with the identifying columns and ``ev0, ev1, ...``
        (missing as null).

    Returns
    -------
    dict
        ``{"ev0": (m, n_pairs), ...}``: the m of disagreement and the number of confident
        pairs with both values present. Empty when `p` has no evidence columns.
    """
    return _confident_disagreement(p, _evidence_cols(p), COVARIATE_DISAGREEMENT, COVARIATE_M_BOUNDS)


#: largest group of registrations agreeing exactly on name and date of birth whose pairs count as confident matches
#: (a larger group is a placeholder date shared by namesakes rather than one person)
CONFIDENT_MAX_GROUP = 20


def _confident_groups(p: pd.DataFrame, cols: Sequence[str]) -> tuple[list[str] | None, pd.DataFrame]:
    """The identifying columns and the registrations (with `cols`) whose exact name and date recur 2-20 times."""
    ident = next((list(k) for k in _CONFIDENT if set(k) <= set(p.columns)), None)
    if ident is None:
        return None, pd.DataFrame()
    q = p.loc[p[ident].notna().all(axis=1), ident + [c for c in cols if c not in ident]]
    k = q.groupby(ident, sort=False)[ident[0]].transform("size")
    return ident, q[(k >= 2) & (k <= CONFIDENT_MAX_GROUP)]


def _confident_disagreement(p: pd.DataFrame, cols: Sequence[str], prior: float, bounds: tuple[float, float]
                            ) -> dict[str, tuple[float, int]]:
    """Shrunk share of the confident pairs (both values present) that disagree on each of `cols`.

    ``(disagreeing + COVARIATE_PRIOR_PAIRS * prior) / (pairs + COVARIATE_PRIOR_PAIRS)``
    (the posterior mean under a Beta prior), clipped to `bounds`; see
    :func:`covariate_disagreement`.
    """
    ident, q = _confident_groups(p, cols)
    lo, hi = bounds
    out: dict[str, tuple[float, int]] = {}
    for c in cols:
        dis, pairs = 0.0, 0
        if ident is not None:
            qc = q.loc[q[c].notna(), ident + [c]]
            if len(qc):
                pairs = int(_pairs(qc, ident))
                dis = float(pairs - _pairs(qc, [*ident, c]))
        m = (dis + COVARIATE_PRIOR_PAIRS * prior) / (pairs + COVARIATE_PRIOR_PAIRS)
        out[c] = (float(min(max(m, lo), hi)), pairs)
    return out


#: prior guess of m of disagreement on sex or nationality among true matches (a recording error, a second
#: nationality), its weight in pseudo-pairs and the bounds of the estimate (:func:`sex_nat_disagreement`)
SEX_NAT_DISAGREEMENT = 0.01
SEX_NAT_M_BOUNDS = (0.005, 0.5)


def sex_nat_disagreement(p: pd.DataFrame, columns: Sequence[str]) -> dict[str, tuple[float, int]]:
    """m of disagreement on sex and nationality, estimated from confident matches.

    As :func:`covariate_disagreement` (pairs agreeing exactly on first name, surname and
    date of birth; a missing value is no evidence), shrunk towards
    :data:`SEX_NAT_DISAGREEMENT` with :data:`COVARIATE_PRIOR_PAIRS` pseudo-pairs and kept
    within :data:`SEX_NAT_M_BOUNDS`: where organisations record sex or nationality
    differently (a second nationality, sex unknown recorded as one of the two) the
    disagreement weighs less, where they never disagree it weighs more than the 1 % guess.
    The lower bound stays above what error-free registrations show: the confident
    matches are the registrations without name or date errors, whose other fields are
    likely cleaner too.

    Parameters
    ----------
    p : DataFrame, shape (n_registrations, ...)
        Prepared registrations with the identifying columns and `columns` (missing as null).
    columns : sequence of str
        The columns compared (``sex``, ``nat`` or their keyed tokens).

    Returns
    -------
    dict
        ``{column: (m, n_pairs)}`` for the columns of `columns` present in `p`.
    """
    return _confident_disagreement(p, [c for c in columns if c in p.columns], SEX_NAT_DISAGREEMENT,
                                   SEX_NAT_M_BOUNDS)


#: which u of a covariate is taken (fewer: u from random pairs)
_NAMESAKES = (("fn", "sn", "dob_y"), ("tok_first_name", "tok_surname", "tok_birth_year"))
NAMESAKE_MIN_PAIRS = 50


def _pairs(q: pd.DataFrame, keys: list[str]) -> float:
    """Number of pairs of rows of q that agree on all of keys (sum of k(k-1)/2 over the groups)."""
    k = q.groupby(keys, sort=False).size()
    return float((k * (k - 1) // 2).sum())


def namesake_agreement(p: pd.DataFrame, columns: Sequence[str]) -> dict[str, tuple[float, int]]:
    """u of agreement on each of `columns`, among namesakes born in different years.

    Random pairs understate how often namesakes agree: a first name implies the sex,
    which shapes the form of exploitation, and a name the origin. u is therefore taken
    from pairs of registrations with the same first name and surname and different birth
    years (both present): nearly all are different persons (a year recorded wrongly is
    rare), of the kind the evidence must separate. The rate is the larger of theirs and
    that of two random registrations (Σ share², over the values present): different
    birth years make namesakes disagree on a covariate that follows age (the age group)
    more often than namesakes do, and the larger agreement is the weaker evidence either
    way. Kept within [0.01, 0.99].

    Parameters
    ----------
    p : DataFrame, shape (n_registrations, ...)
        Prepared registrations with ``fn, sn, dob_y`` (or the tokens ``tok_first_name,
        tok_surname, tok_birth_year``) and `columns` (missing as null).
    columns : sequence of str
        The columns compared exactly (e.g. ``sex, nat, ev0``).

    Returns
    -------
    dict
        ``{column: (u, n_pairs)}`` for the columns with at least
        :data:`NAMESAKE_MIN_PAIRS` such pairs (both values present); the others are left
        to Splink's random pairs.
    """
    keys = next((list(k) for k in _NAMESAKES if set(k) <= set(p.columns)), None)
    out: dict[str, tuple[float, int]] = {}
    if keys is None:
        return out
    name, year = keys[:2], keys[2]
    for c in columns:
        q = p.loc[p[keys + [c]].notna().all(axis=1), keys + [c]]
        if not len(q):
            continue
        pairs = _pairs(q, name) - _pairs(q, keys)
        if pairs < NAMESAKE_MIN_PAIRS:
            continue
        agree = _pairs(q, [*name, c]) - _pairs(q, [*name, year, c])
        # the larger of this and the agreement of two random registrations (sum of squared shares): conditioning on
        # different birth years understates agreement on a covariate that follows age (the age group)
        f = p[c].value_counts(normalize=True).to_numpy()
        out[c] = (float(min(max(agree / pairs, float((f**2).sum()), 0.01), 0.99)), int(pairs))
    return out


def covariate_agreement_among_namesakes(p: pd.DataFrame) -> dict[str, tuple[float, int]]:
    """u of agreement on each evidence covariate (``ev0, ev1, ...``) among namesakes: :func:`namesake_agreement`."""
    return namesake_agreement(p, _evidence_cols(p))


#: later: re-victimisation, which the EM training blocks would not show) and the bounds of its estimate
#: (:func:`registration_gap_else`)
REGISTRATION_GAP_ELSE = 0.05
REGISTRATION_GAP_BOUNDS = (0.01, 0.5)
#: the gap (days) beyond which two registrations are "more than a year apart"
REGISTRATION_GAP_YEAR = 365


def registration_gap_else(p: pd.DataFrame) -> tuple[float, int]:
    """m of "registered more than a year apart" among true matches, estimated from confident matches.

    How often one person is registered again more than a year later depends on the
    register (re-victimisation, a case followed for years); no fixed value fits, and the
    EM training blocks do not show it (m fixed there). The confident matches of
    :func:`covariate_disagreement` (exact first name, surname and date of birth: nearly
    all one person) show it directly: the share of their pairs registered more than
    :data:`REGISTRATION_GAP_YEAR` days apart, shrunk towards
    :data:`REGISTRATION_GAP_ELSE` with :data:`COVARIATE_PRIOR_PAIRS` pseudo-pairs (a
    Beta prior) and kept within :data:`REGISTRATION_GAP_BOUNDS` (never an absolute veto).

    Parameters
    ----------
    p : DataFrame, shape (n_registrations, ...)
        Prepared registrations with the identifying columns and ``reg_day`` (days since
        1970-01-01, missing as null).

    Returns
    -------
    (m, n_pairs) : the estimate and the number of confident pairs with both dates
    (``(REGISTRATION_GAP_ELSE, 0)`` without ``reg_day`` or identifying columns).
    """
    import numpy as np

    far, pairs = 0, 0
    ident, q = _confident_groups(p, ["reg_day"]) if "reg_day" in p.columns else (None, pd.DataFrame())
    if ident is not None and len(q):
        q = q.loc[q["reg_day"].notna(), ident + ["reg_day"]]
        q = q.assign(_g=q.groupby(ident, sort=False).ngroup().to_numpy(), _i=np.arange(len(q)))
        j = q[["_g", "_i", "reg_day"]].merge(q[["_g", "_i", "reg_day"]], on="_g", suffixes=("_l", "_r"))
        j = j[j["_i_l"] < j["_i_r"]]
        pairs = len(j)
        gap = (j["reg_day_l"].astype("float64") - j["reg_day_r"].astype("float64")).abs()
        far = int((gap > REGISTRATION_GAP_YEAR).sum())
    m = (far + COVARIATE_PRIOR_PAIRS * REGISTRATION_GAP_ELSE) / (pairs + COVARIATE_PRIOR_PAIRS)
    lo, hi = REGISTRATION_GAP_BOUNDS
    return float(min(max(m, lo), hi)), int(pairs)
