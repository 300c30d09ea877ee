"""Persons and capture histories from links: one row per person, lists and resolved covariates.

:func:`persons_from_links` (a person id per registration) and :func:`persons_from_pairs`
(scored pairs, clustered at a threshold) give the persons table and the capture
histories of :class:`~darkfigure.linkage.link.LinkageResult`; a covariate registered
differently by two organisations is resolved by ``covariate_rule``. Sex and nationality are
compared in a normalised form (``female``, ``V`` -> ``f``) but written in the organisations'
own spelling: the most common one of each value in the whole file (:func:`_normalise_covariates`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from ..histories import MAX_AUTO_LEVELS, CaptureHistories, DataError
from ..pipeline.first_year import REGISTRATION_YEAR
from .clustering import cluster_links
from .prepare import IDENTIFIERS, _map_unique
from .registrations import normalise_nationality, normalise_sex

COVARIATE_RULES = ("most_frequent", "earliest")


# ---------------------------------------------------------------------------- persons
def _covariate_columns(df, covariates, truth, orgs) -> tuple[list[str], list[str]]:
    """The covariate columns to carry to the persons and notes on those left out.

    Raises DataError for an unknown or identifying covariate, a name clash, or a `truth` column with empty cells
    (checked here, before the linkage runs).
    """
    from .input_checks import missing_truth_error

    if truth is not None and truth in df.columns and (msg := missing_truth_error(df, truth)):
        raise DataError(msg)
    skip = set(IDENTIFIERS) | {"key_id", truth}
    notes: list[str] = []
    if covariates is not None:
        covs = list(dict.fromkeys(covariates))
        for c in covs:
            if c not in df.columns:
                raise DataError(f"covariate {c!r} not found; the columns are {list(df.columns)}")
            if c in skip or str(c).startswith(("tok_", "bf_")):
                raise DataError(f"column {c!r} identifies persons or registrations; it cannot be a covariate")
    else:
        from .registrations import covariate_columns

        covs = []
        pool = (["sex"] if "sex" in df.columns else []) + [c for c in covariate_columns(df) if c not in skip]
        from .clear_columns import FREE_TEXT_CHARACTERS, FREE_TEXT_WORDS, text_shape

        for c in pool:
            nlev = df[c].nunique(dropna=True)
            text = df[c].dropna()
            if len(text) > 20_000:  # the medians of a sample: the whole column at 1M registrations costs seconds
                text = text.sample(20_000, random_state=0)
            text = text.astype(str).str.strip()
            text = text[text != ""]
            length, words = text_shape(text) if len(text) else (0.0, 0.0)
            if length > FREE_TEXT_CHARACTERS and words >= FREE_TEXT_WORDS:  # both: long category labels stay
                # case notes with a few templated values passed as a covariate, phone numbers and all, and estimate
                # then offered to impute them (new-user test s23, finding 5): free text is left out, as pseudonymise
                # warns about it
                notes.append(f"column {c!r} left out of the covariates: it looks like free text (median {length:.0f} "
                             f"characters, {words:.0f} words), which may identify a person; name it with "
                             "covariates=[...] / --covariates to keep it")
                continue
            if nlev > MAX_AUTO_LEVELS:
                notes.append(f"column {c!r} left out of the covariates: {nlev} distinct values (name it with "
                             "covariates=[...] / --covariates to keep it)")
                continue
            covs.append(c)
        if "nationality" in df.columns and (df["nationality"].astype(str).str.strip() != "").any():
            # carried only when named (a few values are covariates, 150 are strata nobody can estimate), but said
            # (tester 21a L1: left out of histories.csv without a word)
            notes.append("nationality is compared as evidence of one person but not carried as a covariate; name "
                         "it (--covariates sex,nationality,...) or add a coarser column (e.g. Dutch/non-Dutch) to "
                         "estimate by it")
    clash = [c for c in covs if c in orgs or c in ("year", "person_id", "count")]
    if clash:
        raise DataError(
            f"covariate column(s) {clash} have the name of an organisation or of an output column "
            "(year, person_id, count); rename them"
            + (" (link writes 'year' itself: the year of each person's first registration, from registration_date, "
               "which estimate and monitor on the link folder use only when named, --year year; a year that belongs "
               "to the person, such as the year of exploitation, is a covariate under another name: rename the "
               "column)" if "year" in clash else "")
        )
    return covs, notes


def _normalise_covariates(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with ``sex`` and ``nationality`` in one spelling per value: the organisations' own, not ``f``/``m``.

    Linkage compares the normalised values (:func:`~darkfigure.linkage.names.normalise_sex`: ``F``,
    ``female``, ``V``, ``vrouw`` -> ``f``; ``NL`` -> ``nl``), but the persons and capture histories keep
    the user's coding: each normalised value is written as its most common original spelling among all
    registrations (surrounding blanks dropped; ties: the spelling met first in input order). So the levels
    are those of the registration files (``female``/``male``, or ``V``/``M``), two spellings of one value
    (``V`` at one organisation, ``female`` at another) still count as one value when a person's covariate
    is resolved (:func:`_resolve`), and every person with that value gets the same spelling. If the
    organisations use two codings, each value gets its own most common spelling (``female`` and ``M`` when
    those are the commoner). Values that normalise to nothing (blank, ``unknown``, ``onbekend``) become
    missing, as before.

    Parameters
    ----------
    df : DataFrame, shape (n, ...)
        Registrations; columns other than ``sex`` and ``nationality`` are returned as they are.

    Returns
    -------
    DataFrame, shape (n, ...)
        A copy.
    """
    df = df.copy()
    for c, f in (("sex", normalise_sex), ("nationality", normalise_nationality)):
        if c in df.columns:
            df[c] = _usual_spelling(df[c], f)
    return df


def _usual_spelling(values: pd.Series, normalise) -> np.ndarray:
    """Each value as the most common original spelling of its normalised value, shape (n,); None if missing.

    `normalise` maps a value to its compared form ("" for missing or unknown). Ties between spellings
    of one normalised value go to the spelling met first in `values`' order.
    """
    obj = values.reset_index(drop=True).astype(object)
    norm = _map_unique(obj, lambda v: normalise(v) or None)
    ok = norm.notna().to_numpy()
    out = np.full(len(obj), None, dtype=object)
    if not ok.any():
        return out
    orig = _map_unique(obj[ok], lambda v: v.strip() if isinstance(v, str) else v)
    n_code, n_uniq = pd.factorize(norm[ok])
    o_code, o_uniq = pd.factorize(orig)
    key = n_code.astype(np.int64) * len(o_uniq) + o_code
    uk, first, count = np.unique(key, return_index=True, return_counts=True)
    value = uk // len(o_uniq)
    # per normalised value: the commonest spelling, then the one met first
    order = np.lexsort((first, -count, value))
    best = np.ones(order.size, dtype=bool)
    best[1:] = value[order][1:] != value[order][:-1]
    spelling = np.empty(len(n_uniq), dtype=object)
    spelling[value[order][best]] = np.asarray(o_uniq, dtype=object)[(uk % len(o_uniq))[order][best]]
    out[ok] = spelling[n_code]
    return out


def persons_from_links(
    registrations: pd.DataFrame,
    person_id: Sequence | pd.Series | np.ndarray,
    *,
    covariate_rule: Literal["most_frequent", "earliest"] = "most_frequent",
    covariates: Sequence[str] | None = None,
    by_year: bool = False,
) -> tuple[pd.DataFrame, CaptureHistories]:
    """Persons and capture histories from registrations and a given person per registration.

    What :func:`link` does after clustering, for links found another way: e.g. the
    true links of synthetic registrations (``person_id=regs["true_person_id"]``), to
    compare N̂ from linked data with N̂ from the truth under the same rules.

    Parameters
    ----------
    registrations : DataFrame, shape (n, ...)
        Registrations in the format of :mod:`.registrations` (``organisation``,
        ``registration_date`` and covariates are used).
    person_id : sequence of length n
        The person of each registration.
    covariate_rule, covariates
        As in :func:`link`.
    by_year : bool
        One row per person and calendar year of registration, with the covariate ``registration_year``
        (the lists that registered the person in that year), instead of one row per person with the year of
        first registration: the units of per-year estimates (``monitor --year registration_year``).

    Returns
    -------
    (persons, histories)
        As :attr:`LinkageResult.persons` (person ids renumbered ``P0000001``... in order
        of first appearance) and :attr:`LinkageResult.histories`.

    Raises
    ------
    DataError
        Fewer than two organisations; `person_id` of the wrong length or with missing
        values; unknown covariates; no valid registration date.
    """
    if covariate_rule not in COVARIATE_RULES:
        raise ValueError(f"covariate_rule must be one of {COVARIATE_RULES}, not {covariate_rule!r}")
    df = _normalise_covariates(registrations.reset_index(drop=True))
    pid = pd.Series(np.asarray(person_id, dtype=object))
    if len(pid) != len(df):
        raise DataError(f"person_id has {len(pid)} values for {len(df)} registrations")
    if pid.isna().any():
        raise DataError(f"person_id is missing for registration {int(np.flatnonzero(pid.isna().to_numpy())[0]) + 1}")
    orgs = tuple(pd.unique(df["organisation"].astype(str)))
    if len(orgs) < 2:
        raise DataError("multiple systems estimation needs registrations from at least 2 organisations (lists)")
    skip = [c for c in df.columns if c not in (covariates or ()) and df[c].astype(str).equals(pid.astype(str))]
    covs, _ = _covariate_columns(df, covariates, skip[0] if skip else None, orgs)
    _, persons, h, _ = _assemble(df, pd.factorize(pid)[0], orgs, covs, covariate_rule, by_year)
    return persons, h


def persons_from_pairs(
    records: pd.DataFrame,
    pairs: pd.DataFrame,
    accept: float | np.ndarray = 0.5,
    *,
    covariate_rule: Literal["most_frequent", "earliest"] = "most_frequent",
    covariates: Sequence[str] | None = None,
    by_year: bool = False,
) -> tuple[np.ndarray, pd.DataFrame, CaptureHistories]:
    """Re-cluster scored pairs into persons and capture histories, by the rules of :func:`link`.

    The same steps as :func:`link` after scoring: :func:`cluster_links` (connected
    components of the accepted pairs; a registration without a date of birth joins its
    most probable accepted match only), then persons with covariates resolved by
    `covariate_rule` and the year of the first registration. Used to redraw linkages
    from the match probabilities (linkage averaging, Sadinle 2018, "Bayesian propagation
    of record linkage uncertainty into population size estimation", Ann. Appl. Stat.
    12:1013-1038) and to re-cluster at another threshold without re-training.

    Parameters
    ----------
    records : DataFrame, shape (n, 4 + c)
        :attr:`LinkageResult.records` (or records.parquet of a ``link`` folder):
        ``organisation``, ``record_id``, ``registration_date``, ``has_date_of_birth``
        and covariate columns.
    pairs : DataFrame, shape (m, 3)
        :attr:`LinkageResult.pairs` (pairs.parquet): ``record_l``, ``record_r`` (0-based
        positions in `records`), ``match_probability``.
    accept : float in (0, 1) or bool array of shape (m,)
        A threshold (pairs with match probability >= it are links) or the accepted
        pairs themselves.
    covariate_rule : {"most_frequent", "earliest"}
        As in :func:`link`.
    covariates : list of str, optional
        Covariate columns of `records` to carry (default: all columns of `records`
        other than the four above).
    by_year : bool
        One row per person and calendar year of registration, with the covariate ``registration_year``
        (the lists that registered the person in that year), instead of one row per person with the year of
        first registration: the units of per-year estimates (``monitor --year registration_year``).

    Returns
    -------
    (labels, persons, histories)
        labels: int array, shape (n,), the cluster of each record (its smallest record
        position); persons and histories as :attr:`LinkageResult.persons` and
        :attr:`LinkageResult.histories` (person ids ``P0000001``... in order of first
        appearance in `records`).

    Raises
    ------
    DataError
        Missing columns; record positions outside ``0..n-1``; fewer than two
        organisations; an unknown covariate.
    ValueError
        A threshold outside (0, 1); a mask of the wrong length; unknown covariate rule.
    """
    if covariate_rule not in COVARIATE_RULES:
        raise ValueError(f"covariate_rule must be one of {COVARIATE_RULES}, not {covariate_rule!r}")
    need = {"organisation", "record_id", "registration_date", "has_date_of_birth"}
    miss = need - set(records.columns)
    if miss:
        raise DataError(f"records lack the column(s) {sorted(miss)} (use LinkageResult.records / records.parquet)")
    miss = {"record_l", "record_r", "match_probability"} - set(pairs.columns)
    if miss:
        raise DataError(f"pairs lack the column(s) {sorted(miss)} (use LinkageResult.pairs / pairs.parquet)")
    n = len(records)
    left = pairs["record_l"].to_numpy(dtype=np.int64)
    right = pairs["record_r"].to_numpy(dtype=np.int64)
    prob = pairs["match_probability"].to_numpy(dtype=float)
    if len(left) and (min(left.min(), right.min()) < 0 or max(left.max(), right.max()) >= n):
        raise DataError(f"pairs refer to records outside 0..{n - 1}: records and pairs come from different runs")
    if np.ndim(accept) == 0:
        if not 0 < float(accept) < 1:
            raise ValueError(f"a match-probability threshold must be between 0 and 1, not {accept}")
        mask = None
        threshold = float(accept)
    else:
        mask = np.asarray(accept, dtype=bool)
        if mask.shape != prob.shape:
            raise ValueError(f"accept has {mask.size} values for {prob.size} pairs")
        threshold = 0.5
    has_dob = records["has_date_of_birth"].to_numpy(dtype=bool)
    labels = cluster_links(n, left, right, prob, has_dob, threshold, accept=mask)
    df = records.reset_index(drop=True)
    orgs = tuple(pd.unique(df["organisation"].astype(str)))
    if len(orgs) < 2:
        raise DataError("multiple systems estimation needs registrations from at least 2 organisations (lists)")
    if covariates is None:
        covs = [c for c in df.columns if c not in need]
    else:
        covs = list(dict.fromkeys(covariates))
        bad = [c for c in covs if c not in df.columns]
        if bad:
            raise DataError(f"covariate(s) {bad} not in records; the columns are {list(df.columns)}")
    _, persons, h, _ = _assemble(df, labels, orgs, covs, covariate_rule, by_year)
    return labels, persons, h


def _assemble(df, labels, orgs, covs, rule, by_year: bool = False
              ) -> tuple[pd.DataFrame, pd.DataFrame, CaptureHistories, list[str]]:
    notes: list[str] = []
    n = len(df)
    # person ids numbered by the first registration in input order: the same on every engine
    code = pd.factorize(np.asarray(labels))[0]
    n_persons = int(code.max()) + 1 if n else 0
    ids = np.array([f"P{i + 1:07d}" for i in range(n_persons)], dtype=object)
    org = df["organisation"].astype(str).to_numpy()
    links = pd.DataFrame({"organisation": org, "record_id": df["record_id"].astype(str).to_numpy(),
                          "person_id": ids[code]})
    date = pd.to_datetime(df["registration_date"], errors="coerce")
    # rank of each registration in time (ties and missing dates: input order)
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), date.isna().to_numpy(), date.to_numpy()))] = np.arange(n)
    persons = pd.DataFrame({"person_id": ids})
    seen = np.zeros((n_persons, len(orgs)), dtype=np.int8)
    seen[code, pd.Index(orgs).get_indexer(org)] = 1
    for j, o in enumerate(orgs):
        persons[o] = seen[:, j]
    for c in covs:
        persons[c] = _resolve(code, n_persons, df[c], rank, rule)
        if persons[c].isna().any():
            k = int(persons[c].isna().sum())
            notes.append(
                f"covariate {c!r}: {k} person(s) with no value in any registration; left empty (estimate and "
                "monitor keep them with --missing em)"
            )
    year = date.dt.year.to_numpy(dtype=float)
    first = np.full(n_persons, np.inf)
    np.fmin.at(first, code, np.where(np.isnan(year), np.inf, year))
    if not np.isfinite(first).all():
        raise DataError("some persons have no valid registration_date; every registration needs an ISO date")
    persons["year"] = first.astype(np.int64)
    if by_year:
        # a registration without a valid date belongs to the person's first year (the only year it can be said of)
        persons = _by_year(persons, code, np.where(np.isnan(year), first[code], year), org, orgs, df, covs, rank, rule)
    yc = REGISTRATION_YEAR if by_year else "year"
    hcovs = [c for c in (*covs, yc) if persons[c].nunique() >= 2]
    for c in (*covs, yc):
        if c not in hcovs:
            notes.append(f"covariate {c!r} has a single level among the persons; left out of the capture histories")
    try:
        h = CaptureHistories.from_records(persons, lists=list(orgs), covariates=hcovs, name="linked registrations",
                                          on_empty_list="error", missing="keep")
    except DataError as e:
        raise DataError(f"the linked persons do not form valid capture histories: {e}") from None
    return links, persons, h, notes


def _by_year(persons: pd.DataFrame, code: np.ndarray, year: np.ndarray, org: np.ndarray, orgs: tuple, df: pd.DataFrame,
             covs: list[str], rank: np.ndarray, rule: str) -> pd.DataFrame:
    """One row per person and calendar year of registration: the lists that registered the person in that year.

    The unit of a per-year multiple systems estimate is a victim present in a reference period (the year),
    so a person registered in 2023 and 2024 is a unit of each year, seen by the lists of that year only
    (UNODC & Dutch National Rapporteur 2017, per-year estimates; Zult, van der Heijden & Bakker 2024,
    arXiv:2406.17637, on the reference period). Linking all years in one run keeps the evidence of the other
    years' registrations for the linkage itself. A covariate takes the person's value in that year by
    `rule`, and the person's value over all years where that year's registrations carry none.
    """
    y = year.astype(np.int64)
    unit, keys = pd.factorize(pd.MultiIndex.from_arrays([code, y]))
    n_units = len(keys)
    person = keys.get_level_values(0).to_numpy(np.int64)
    out = pd.DataFrame({"person_id": persons["person_id"].to_numpy()[person]})
    seen = np.zeros((n_units, len(orgs)), dtype=np.int8)
    seen[unit, pd.Index(orgs).get_indexer(org)] = 1
    for j, o in enumerate(orgs):
        out[o] = seen[:, j]
    for c in covs:
        v = _resolve(unit, n_units, df[c], rank, rule)
        overall = persons[c].to_numpy(dtype=object)[person]
        out[c] = np.where(pd.isna(v), overall, v)
    out[REGISTRATION_YEAR] = keys.get_level_values(1).to_numpy(np.int64)
    return out


def _resolve(code: np.ndarray, n_persons: int, values: pd.Series, rank: np.ndarray, rule: str) -> np.ndarray:
    """Value of a covariate per person: most frequent (ties: earliest registration) or earliest; None if none."""
    v = values.reset_index(drop=True)
    ok = (v.notna() & (v.astype(str).str.strip() != "")).to_numpy()
    vcode, levels = pd.factorize(v[ok])
    p, r = code[ok], rank[ok]
    out = np.full(n_persons, None, dtype=object)
    if not ok.any():
        return out
    if rule == "earliest":
        o = np.lexsort((r, p))
    else:
        # count and earliest rank of each (person, value); order by person, count desc, earliest rank
        key = p.astype(np.int64) * (len(levels) + 1) + vcode
        uk, inv = np.unique(key, return_inverse=True)
        cnt = np.bincount(inv)
        earliest = np.full(uk.size, np.iinfo(np.int64).max)
        np.minimum.at(earliest, inv, r)
        p, vcode = uk // (len(levels) + 1), uk % (len(levels) + 1)
        o = np.lexsort((earliest, -cnt, p))
    firsts = np.ones(o.size, dtype=bool)
    firsts[1:] = p[o][1:] != p[o][:-1]
    out[p[o][firsts]] = np.asarray(levels, dtype=object)[vcode[o][firsts]]
    return out
