"""Default identities: one first name + surname + date of birth on implausibly many of one organisation's registrations.

Tester 18a (H2): an organisation that writes one real-looking identity for unknown persons ("Jan Jansen",
1990-01-01, on 120 of kmar's 400 registrations) passed without a word. The name is no placeholder
(:mod:`.placeholder_names`), :func:`~darkfigure.linkage.placeholder_names.frequent_name_warnings` takes a name
whose registrations all carry one date for one person registered often, and :mod:`.placeholder_dates` counts
distinct names per date (one). The model was then trained on thousands of identical pairs (EM prior 0.159,
calibration slope 20) and the links between the *other* organisations went from 4 false of 84 to 62 false of 138;
with all of kmar's rows so written, 1,200 registrations became 198 persons.

The rule (per organisation, from what one person can have). A person has several registrations at one
organisation through duplicates and re-registrations over the years; how often is the organisation's own repeat
rate, measured on its identities (compared name + date of birth, as link normalises them) carried by fewer than
:data:`DEFAULT_IDENTITY_MIN` registrations: ``r`` = the larger of ``r1`` = the share of identities with 2+
registrations, (#2+ + 1) / (# + 2), and the share of those with 2+ that have 3+, (#3+ + r1) / (#2+ + 1) (the
heavier tail where persons differ in how often they return; shrunk to r1 where few identities repeat). A geometric count of registrations per identity,
``P(count >= k) = r^(k-1)``, then gives the number of identities expected to reach ``k``: ``identities x
r^(k-1)``. An identity is a default when that expectation is below :data:`DEFAULT_IDENTITY_P`, its count is at
least :data:`DEFAULT_IDENTITY_MIN` and at least :data:`DEFAULT_IDENTITY_SHARE` of the organisation's
registrations (a frequent visitor of a large organisation stays below that share).

Are its registrations one person? (review s18, L1: with over-dispersed repeat counts a real person registered 20+
times crossed the geometric tail in 3-8 of 20 simulated organisations.) Where sex or nationality is recorded, an
identity written for unknown persons carries the values of many persons, while one person's registrations
disagree only by recording error. For each such attribute, the registrations of the identity that differ from its
most frequent value are set against Binomial(k, e), e the organisation's own rate of differing values within its
ordinary repeated identities (shrunk towards 5% by 20 pseudo-registrations, floored at
:data:`DEFAULT_IDENTITY_RECORDING_ERROR`); the attributes' counts are added and their null distribution is the
convolution of the binomials. Where at least one attribute is informative (at least
:data:`DEFAULT_IDENTITY_MIN_VALUES` values on the identity and two values in the organisation) and the attributes
could show many persons (the tail at the differing values expected from the organisation's own value shares is below
:data:`DEFAULT_IDENTITY_EVIDENCE`; a nationality 95% one value cannot, review s19) the identity is a
default only if that tail probability is below :data:`DEFAULT_IDENTITY_EVIDENCE`; otherwise the count rule alone
decides.

What is done: the registrations carrying a default identity have their names and date of birth read as missing,
as placeholder names and dates are (:func:`darkfigure.linkage.prepare._prepare_plain`): they are then compared on
sex, nationality, registration date and covariates only, and drop out of the training pairs of the model (which
are pairs agreeing on a date of birth or on the names). A warning names the organisation, the identity, its count
and what to do.

Measured: no identity is flagged on the bundled simulator (``simulate_registrations("clearing_house")``,
errors standard/no_dob/typos) nor on the tester's generator (mild and hard populations, with within-organisation
duplicates and re-victimisation); the tester's cases ``placeholder_real`` and ``placeholder_all`` are flagged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_IDENTITY_EVIDENCE", "DEFAULT_IDENTITY_MIN", "DEFAULT_IDENTITY_P", "DEFAULT_IDENTITY_SHARE",
           "default_identities", "default_identity_warnings", "plain_default_identities"]

#: fewest registrations of one identity at one organisation that can make it a default identity
DEFAULT_IDENTITY_MIN = 8
#: least share of the organisation's registrations that a default identity carries
DEFAULT_IDENTITY_SHARE = 0.005
#: the organisation's identities expected to reach the count (geometric tail) below which it is a default
DEFAULT_IDENTITY_P = 1e-3
#: tail probability of the identity's differing sex/nationality values under one person below which it is a default
DEFAULT_IDENTITY_EVIDENCE = 1e-3
#: least rate of differing values assumed within one person's registrations (recording error)
DEFAULT_IDENTITY_RECORDING_ERROR = 0.02
#: fewest recorded values of an attribute on the identity for the attribute to be evidence
DEFAULT_IDENTITY_MIN_VALUES = 5


def _differing(values: pd.Series, groups: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per group: recorded values (not missing) and those that differ from the group's most frequent value.

    values, groups : shape (n,); missing values are NaN/None. Returns two int arrays aligned with
    ``groups.unique()`` order of first appearance (k, d).
    """
    d = pd.DataFrame({"g": groups.to_numpy(), "v": values.to_numpy()}).dropna()
    if d.empty:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    counts = d.groupby(["g", "v"], sort=False).size()
    k = counts.groupby(level=0, sort=False).sum()
    top = counts.groupby(level=0, sort=False).max()
    return k.to_numpy(np.int64), (k - top).to_numpy(np.int64)


def _one_person_tail(org_rows: pd.DataFrame, ident: object, counts: pd.Series,
                     attributes: list[str]) -> tuple[float | None, int]:
    """P(at least the identity's differing values | its registrations are one person), and those values.

    org_rows : the organisation's registrations (``v`` the identity, one column per attribute, missing as NaN);
    counts : registrations per identity at the organisation. Returns (None, 0) when no attribute is informative.
    """
    from scipy.stats import binom

    ordinary = counts[(counts >= 2) & (counts < DEFAULT_IDENTITY_MIN)].index
    own = org_rows["v"] == ident
    pmf, seen, if_many = np.ones(1), 0, 0.0
    for a in attributes:
        col = org_rows[a]
        k, d = _differing(col[own], org_rows.loc[own, "v"])
        if k.size == 0 or k[0] < DEFAULT_IDENTITY_MIN_VALUES or col.dropna().nunique() < 2:
            continue
        # differing values expected if the rows were many of the organisation's persons (its value shares)
        if_many += float(k[0]) * (1.0 - float(col.dropna().value_counts(normalize=True).iloc[0]))
        rep = org_rows["v"].isin(ordinary)
        kk, dd = _differing(col[rep], org_rows.loc[rep, "v"])
        many = kk >= 2
        e = max(DEFAULT_IDENTITY_RECORDING_ERROR, (dd[many].sum() + 1.0) / (kk[many].sum() + 20.0))
        pmf = np.convolve(pmf, binom.pmf(np.arange(k[0] + 1), k[0], e))
        seen += int(d[0])
    if pmf.size == 1 or pmf[int(np.ceil(if_many)):].sum() >= DEFAULT_IDENTITY_EVIDENCE:
        # no attribute could show many persons (95% one nationality, sex not recorded: review s19, M4): the count
        # rule alone decides
        return None, 0
    return float(min(1.0, pmf[seen:].sum())), seen


def _repeat_rate(counts: np.ndarray) -> float:
    """The repeat rate r of an organisation from the registration counts of its ordinary identities (< the floor).

    counts : int array, shape (k,), each >= 1. Returns the larger of (#(>=2) + 1) / (k + 2) and
    (#(>=3) + r1) / (#(>=2) + 1), r1 the first; 1/2 with no identity at all (every registration on the default).
    """
    c = np.asarray(counts)
    c = c[c < DEFAULT_IDENTITY_MIN]
    two, three = int((c >= 2).sum()), int((c >= 3).sum())
    r1 = (two + 1) / (c.size + 2)
    return max(r1, (three + r1) / (two + 1))


def default_identities(org: Sequence, identity: Sequence,
                       attributes: Mapping[str, Sequence] | None = None) -> pd.DataFrame:
    """The default identities of each organisation (the module's rule).

    Parameters
    ----------
    org : organisation of each registration, shape (n,).
    identity : the compared identity of each registration (first name, surname and date of birth as link normalises
        them, joined), None/NaN where any of the three is missing, shape (n,).
    attributes : optional ``{name: values}``, each of shape (n,), normalised (e.g. sex and nationality; None/NaN
        where missing): evidence whether an identity's registrations are one person (the module's docstring).

    Returns
    -------
    DataFrame, one row per default identity, most registrations first (empty when none): ``organisation``,
    ``identity``, ``rows`` (its registrations), ``registrations`` (the organisation's), ``identities`` (the
    organisation's distinct complete identities), ``repeated`` (share of its other identities with 2+ registrations), ``repeat_rate`` (r), ``expected`` (identities expected to reach
    ``rows``: identities x r^(rows - 1)), ``differing`` (its registrations whose sex or nationality differs
    from its most frequent value), ``one_person`` (the tail probability of that under one person; NaN where no
    attribute is informative).

    Raises
    ------
    ValueError
        An attribute whose length differs from `org`'s.
    """
    cols = ["organisation", "identity", "rows", "registrations", "identities", "repeated", "repeat_rate",
            "expected", "differing", "one_person"]
    o = pd.Series(np.asarray(org, dtype=object)).astype(str)
    v = pd.Series(np.asarray(identity, dtype=object))
    totals = o.value_counts(sort=False)
    known = v.notna().to_numpy()
    counts = pd.DataFrame({"o": o[known], "v": v[known]}).groupby(["o", "v"], sort=False).size()
    if counts.empty:
        return pd.DataFrame(columns=cols)
    floor = np.maximum(DEFAULT_IDENTITY_MIN,
                       DEFAULT_IDENTITY_SHARE * totals.reindex(counts.index.get_level_values(0)).to_numpy())
    cand = counts[counts.to_numpy() >= floor]
    attrs = {}
    for a, x in (attributes or {}).items():
        x = pd.Series(np.asarray(x, dtype=object))
        if len(x) != len(o):
            raise ValueError(f"attribute {a!r} has {len(x)} values for {len(o)} registrations")
        attrs[a] = x.where(x.notna() & (x.astype(str) != ""), None)
    frame = pd.DataFrame({"o": o, "v": v, **attrs})
    rows = []
    for oo in pd.unique(cand.index.get_level_values(0)):
        c = counts.loc[oo].to_numpy()
        r = _repeat_rate(c)
        ordinary = c[c < DEFAULT_IDENTITY_MIN]
        repeated = float((ordinary >= 2).mean()) if ordinary.size else 0.0
        mine = frame[frame["o"] == oo]
        for vv, k in cand.loc[oo].items():
            expected = c.size * r ** (int(k) - 1)
            if expected >= DEFAULT_IDENTITY_P:
                continue
            # one real person registered often keeps one sex and nationality (review s18, L1)
            tail, differing = _one_person_tail(mine, vv, counts.loc[oo], list(attrs))
            if tail is not None and tail >= DEFAULT_IDENTITY_EVIDENCE:
                continue
            rows.append((oo, vv, int(k), int(totals[oo]), int(c.size), repeated, r, expected, differing,
                         np.nan if tail is None else tail))
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("rows", ascending=False, kind="stable").reset_index(drop=True)


#: what is done with a default identity, and what to do, by where it is found (:func:`default_identity_warnings`)
_DONE = {
    "link": ("Its names and date of birth are read as missing (these registrations are compared on sex, nationality, "
             "registration date and covariates only, and left out of the model's training pairs)",
             "Ask {o!r} to leave unknown names and dates of birth empty (or to correct them) and run link again"),
    "pseudonymise": ("Its names and date of birth are encoded as missing, as link reads them in plaintext",
                     "Leave unknown names and dates of birth empty (or correct them) before pseudonymising"),
    "pseudonymised": ("Encoded, it cannot be read as missing here: these registrations are linked to one another",
                      "Ask {o!r} to pseudonymise its file again with darkfigure's pseudonymise (which encodes such "
                      "an identity as missing) or with unknown names and dates left empty, and run link again"),
}


def default_identity_warnings(table: pd.DataFrame, shown: dict | None = None, where: str = "link") -> list[str]:
    """One warning per default identity of :func:`default_identities`.

    Parameters
    ----------
    table : the frame :func:`default_identities` returns.
    shown : {identity: how it is named in the message (the names and date as written)}, optional.
    where : ``"link"`` (plaintext: read as missing), ``"pseudonymise"`` (the organisation's own file: encoded as
        missing) or ``"pseudonymised"`` (link on encoded files: only warned).

    Returns
    -------
    list of str (empty when `table` is)
    """
    shown = shown or {}
    done, todo = _DONE[where]
    out = []
    for t in table.itertuples(index=False):
        everyone = t.rows == t.registrations
        others = (f", while {t.repeated:.0%} of its other identities have two registrations or more: one person "
                  f"registered {t.rows:,} times is not expected there ({t.expected:.1g} of its {t.identities:,} "
                  "identities by a geometric tail)" if t.identities > 1 else "")
        if t.one_person == t.one_person:  # not NaN: sex or nationality was evidence
            others += (f", and {t.differing:,} of them differ from its most frequent sex or nationality, more than one "
                       f"person's registrations would (probability {t.one_person:.1g})")
        out.append(
            f"organisation {t.organisation!r}: one identity ({shown.get(t.identity, t.identity)}) is on {t.rows:,} of "
            f"its {t.registrations:,} registrations ({t.rows / t.registrations:.0%}){others}: a default identity "
            "written for unknown persons, which would link different persons into one and mislead the training of "
            f"the linkage model for every organisation. {done}"
            + (f"; that is every registration of {t.organisation!r}, which is then left without names and dates of "
               "birth and can share (almost) no person with the other organisations" if everyone and where != "pseudonymised"
               else "")
            + f". {todo.format(o=t.organisation)}; if it is one real person, their links are missed")
    return out


def plain_default_identities(regs: pd.DataFrame, first: pd.Series, surname: pd.Series, dob: pd.Series,
                             where: str = "pseudonymise") -> tuple[np.ndarray, list[str]]:
    """The registrations of a default identity in one plaintext file, and the warnings, for ``pseudonymise``.

    Parameters
    ----------
    regs : validated plaintext registrations (``organisation``, ``first_name``, ``surname``, ``date_of_birth``),
        shape (n, ...).
    first, surname : the normalised names as encoded (``""`` when missing), shape (n,).
    dob : the dates of birth as encoded (ISO text, ``""`` when missing), shape (n,).
    where : the wording of the warnings (:func:`default_identity_warnings`).

    Returns
    -------
    (mask, warnings): bool array of shape (n,) (True: the registration carries a default identity), list of str.
    """
    from .names import normalise_nationality, normalise_sex

    f, s, d = (pd.Series(np.asarray(x, dtype=object)).fillna("").astype(str) for x in (first, surname, dob))
    ident = (f + "|" + s + "|" + d).where((f != "") & (s != "") & (d != ""), None).to_numpy(dtype=object)
    org = regs["organisation"].astype(str).to_numpy(dtype=object)
    attrs = {}
    for c, norm in (("sex", normalise_sex), ("nationality", normalise_nationality)):
        if c in regs.columns:
            x = pd.Series(regs[c].to_numpy(dtype=object))
            u = pd.unique(x.dropna())
            attrs[c] = x.map(dict(zip(u, (norm(v) or None for v in u)))).to_numpy(dtype=object)
    table = default_identities(org, ident, attrs)
    if table.empty:
        return np.zeros(len(regs), dtype=bool), []
    hit = pd.MultiIndex.from_arrays([org, ident]).isin(list(zip(table["organisation"], table["identity"])))
    written = (regs["first_name"].astype(str) + " " + regs["surname"].astype(str) + ", born "
               + regs["date_of_birth"].astype(str)).to_numpy(dtype=object)
    shown = {v: repr(pd.Series(written[ident == v]).value_counts().index[0]) for v in table["identity"]}
    return np.asarray(hit, dtype=bool), default_identity_warnings(table, shown, where)
