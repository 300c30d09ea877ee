"""Evidence that keeps relatives apart: twins, siblings and villagers of one surname (tester 20a, H1).

Victims recruited in groups share a surname, a birth year (or one date of birth, for twins) and are often
registered together, by one organisation on one day (a raid). The name comparison then sees "surname exact",
the date comparison "exact", and the pair scored 0.94-0.99 even when the two differ in first name and sex.
Three pieces here, for plaintext registrations:

- :func:`sex_differ_level`: the sex comparison gets a level "sex differs and the first names differ"
  whose u is the disagreement of random pairs (about one half), not that of namesakes;
- :func:`same_day_names`: a comparison "registered by one organisation on one day under two different first
  names", a near-veto (likelihood ratio :data:`SAME_DAY_NAMES_M`);
- :func:`sex_twin_message`: a warning from ``link`` when found persons hold registrations with one exact date of
  birth, two different first names and two sexes (twins or siblings merged).

"Different first names" is :func:`~darkfigure.linkage.name_sql.first_names_differ` throughout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .name_sql import first_names_differ, names_clearly_differ, registered_as_two

__all__ = ["CANNOT_LINK", "SAME_DAY_NAMES_M", "SAME_DAY_ONE_SEX_M", "random_disagreement", "same_day_names", "sex_differ_level",
           "sex_twin_message", "sex_twin_pairs", "with_cannot_links"]

#: m of "one organisation, one day, two different first names and two sexes" (:func:`same_day_names`), fixed
SAME_DAY_NAMES_M = 1e-4
#: m of the same with one sex or a sex missing: -6.6 bits, a pair at 0.99 falls to about 0.5 and stays among the
#: scored pairs (the draws and the expected missed links see it), since a nickname duplicate of one day is possible
SAME_DAY_ONE_SEX_M = 1e-2
#: keep two registrations of one organisation and one day under different first names in two persons whatever a third
#: registration says (:func:`with_cannot_links`; the clustering's split reads a pair at probability 0 as a cannot-link)
CANNOT_LINK = True
#: rounds of :func:`with_cannot_links` at most (each re-clusters with the cannot-links found so far; tester 20a mild_1:
#: one pair joined only after the first round's cannot-links had re-grouped its cluster)
CANNOT_LINK_ROUNDS = 5


def random_disagreement(values: pd.Series) -> float:
    """Share of random pairs of registrations that disagree on a value: ``1 - sum(share**2)`` over the values present.

    Parameters
    ----------
    values : Series, shape (n,): the recorded values (missing as null; left out).

    Returns
    -------
    float in [0.01, 0.99] (0.5 when fewer than two values are present): the u of disagreement among random pairs.
    """
    v = values.dropna()
    if len(v) < 2:
        return 0.5
    share = v.value_counts(normalize=True).to_numpy(dtype=float)
    return float(np.clip(1.0 - np.sum(share ** 2), 0.01, 0.99))


def sex_differ_level(p: pd.DataFrame, column: str, m: float):
    """The sex level "sex differs and the first names differ", with m `m` and u that of random pairs.

    The sex comparison of :func:`~darkfigure.linkage.splink_model._sex_nat` takes its u among namesakes
    (a first name says the sex, so two persons who share one agree on sex far more often than random
    pairs do). That is right when the first names agree or nearly agree, and wrong when they differ: two
    registrations with different first names (twins, siblings, villagers of one surname) disagree on sex
    about as often as random pairs, one time in two, so a disagreement is strong evidence of two persons,
    not the namesakes' 0.5-2.5 bits (tester 20a: `Anh Le M` / `Lan Le F`, one date of birth, p 0.94).
    Here u is :func:`random_disagreement` of the column over all registrations.

    m is the comparison's m of disagreement (:func:`~darkfigure.linkage.splink_estimates.sex_nat_disagreement`,
    from confident matches, bounded), not one re-estimated for pairs whose first names differ: the confident
    matches agree on first name by construction and cannot estimate it, and EM would drive the m of a level
    filled mostly by different persons towards 0 (an absolute veto that varies from one register to the
    next). Keeping the bounded overall m keeps the penalty finite, ``log2(u / m)`` or 5-7 bits, so that a
    true match with a wrong first name and a wrong sex can still be linked by strong other evidence: the
    conservative choice. (Where a careless entry writes a wrong first name and a wrong sex together, the
    true m of this level is larger and the penalty too strong for such pairs; so are nicknames the name levels
    do not know, Jan / Johannes, with a sex recorded wrongly: tester 18a hard_1, whose generator makes both,
    lost recall 0.808 -> 0.807 while precision rose 0.939 -> 0.949.)

    Parameters
    ----------
    p : DataFrame: prepared plaintext registrations with `column`, ``fn``, ``sn``, ``fn_srt``, ``fn_tr`` and
        ``fn_vw``.
    column : the sex column (``sex``).
    m : the comparison's m of disagreement.

    Returns
    -------
    A Splink comparison level (to be placed after "agree" and before the namesakes' "differ").
    """
    import splink.comparison_level_library as cll

    return cll.CustomLevel(f"{column}_l <> {column}_r and {first_names_differ()}",
                           label_for_charts="differ, first names differ").configure(
        m_probability=m, fix_m_probability=True, u_probability=random_disagreement(p[column]), fix_u_probability=True)


def same_day_names():
    """A comparison: registered by one organisation on one day under two different first names (a near-veto).

    No organisation registers one person twice on one day under two first names; a raid registers a whole
    group (twins, siblings, villagers of one surname) on one day. In tester 20a every linked pair registered
    by one organisation on one date under first names differing in their first three letters was a false
    link (13/13 to 71/71). The level applies when the organisation and the registration day are equal and
    :func:`~darkfigure.linkage.name_sql.registered_as_two` (both first names present, neither a spelling,
    not even misspelt twice over, nor a transliteration, nor a part of the other, nor the other's surname, and
    the sex recorded on both and different: a first-name rule alone split same-day duplicates with a nickname or
    a double typo for good, review s20 H1).

    m is fixed at :data:`SAME_DAY_NAMES_M` (1e-4): for a true match to fall here one organisation must keep
    a duplicate of a person on the day of the first registration (a few percent of persons) and write
    a wholly different first name in one of them (the model's gross name error, 1e-3, of which this is a
    part): about 1e-5-1e-4; the larger is taken. u is fixed at 1 and the other level's m and u at 1 as
    well, so the comparison is one-sided: it weighs ``log2(1e-4) = -13.3`` bits against a match where it
    applies and nothing elsewhere. Taking u from random pairs (one organisation and one day is rare among
    them) would have made the level's rate among random pairs the evidence; the pairs it must separate are
    those that share a surname and a date of birth, and among different persons of that kind registration
    together is common (raids), not rare. Where the names clearly differ but one sex is recorded for both (or
    a sex is missing) the level is weaker, m :data:`SAME_DAY_ONE_SEX_M` (-6.6 bits): a same-day duplicate with a
    nickname (Liz / Elizabeth) is possible there, and the pair stays among the scored pairs. A pair with a missing
    organisation, registration date or first name is in the null level (no evidence).

    Returns
    -------
    A Splink comparison with output column ``same_day_names``.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    day = "org_l = org_r and reg_day_l = reg_day_r"
    missing = " or ".join(f"{c}_{s} is null" for c in ("org", "reg_day", "fn") for s in "lr")
    return cl.CustomComparison(output_column_name="same_day_names", comparison_levels=[
        cll.CustomLevel(missing, label_for_charts="organisation, registration day or first name missing").configure(
            is_null_level=True),
        cll.CustomLevel(f"{day} and {registered_as_two()}", label_for_charts="one organisation, one day, first "
                        "names and sexes differ").configure(m_probability=SAME_DAY_NAMES_M, fix_m_probability=True,
                                                            u_probability=1.0, fix_u_probability=True),
        # one sex (or a sex missing): a nickname duplicate stays possible, so weaker, and kept in the pairs
        cll.CustomLevel(f"{day} and {names_clearly_differ()}", label_for_charts="one organisation, one day, first "
                        "names differ").configure(m_probability=SAME_DAY_ONE_SEX_M, fix_m_probability=True,
                                                  u_probability=1.0, fix_u_probability=True),
        cll.ElseLevel().configure(m_probability=1.0, fix_m_probability=True, u_probability=1.0,
                                  fix_u_probability=True),
    ])


def sex_twin_pairs(prep: pd.DataFrame, labels: np.ndarray, same_day: bool = False) -> pd.DataFrame:
    """Pairs of registrations of one found person with one exact date of birth, two sexes and different first names.

    Parameters
    ----------
    prep : DataFrame, shape (n, ...): prepared plaintext registrations (``fn``, ``sn``, ``fn_srt``, ``fn_tr``,
        ``fn_vw``, ``dob``, ``sex``; with `same_day` also ``org`` and ``reg_day``).
    labels : int array, shape (n,): the found person of each registration.
    same_day : bool: instead the pairs registered by one organisation on one day with different first names
        (any sex and date of birth).

    Returns
    -------
    DataFrame with columns ``l``, ``r`` (row numbers, l < r) and ``person`` (the label); empty when a column
    is missing.
    """
    import duckdb

    need = ["fn", "sn", "fn_srt", "sn_srt", "fn_tr", "fn_vw", "sex"] + (["org", "reg_day"] if same_day else ["dob"])
    empty = pd.DataFrame({"l": [], "r": [], "person": []}, dtype=np.int64)
    if not set(need) <= set(prep.columns):
        return empty
    lab = np.asarray(labels, np.int64)
    rows = np.flatnonzero(np.bincount(lab, minlength=len(prep))[lab] >= 2)  # registrations of persons of 2+
    if not rows.size:
        return empty
    t = prep[need].iloc[rows].reset_index(drop=True)
    for c in need:  # plain object columns for DuckDB (Arrow-backed strings and nullable integers as they are)
        t[c] = t[c].astype(object).where(t[c].notna(), None)
    t["person"], t["row"] = lab[rows], rows
    keys = ("org", "reg_day") if same_day else ("dob",)
    sel_l = ", ".join(f"a.{c} as {c}_l" for c in need)
    sel_r = ", ".join(f"b.{c} as {c}_r" for c in need)
    on = " and ".join(f"a.{k} = b.{k}" for k in keys)
    # same day: the stricter rule of the veto (names not even misspelt twice over, two sexes; review s20 H1)
    where = registered_as_two() if same_day else f"{first_names_differ()} and sex_l <> sex_r"
    sql = (f"select l, r, person from (select a.row as l, b.row as r, a.person as person, {sel_l}, {sel_r} "
           f"from t a join t b on a.person = b.person and a.row < b.row and {on}) "
           f"where {where} order by l, r")
    con = duckdb.connect()
    try:
        con.register("t", t)
        return con.execute(sql).df().astype(np.int64)
    finally:
        con.close()


def sex_twin_message(prep: pd.DataFrame | None, labels: np.ndarray, records: pd.DataFrame | None = None,
                     examples: int = 3) -> list[str]:
    """The warning of ``link`` about found persons that may be twins or siblings merged (empty when there are none).

    A person whose registrations carry one exact date of birth, two different first names
    (:func:`~darkfigure.linkage.name_sql.first_names_differ`) and two sexes is more likely two relatives (twins,
    siblings with an estimated date) than one person with a wrong first name and a wrong sex.

    Parameters
    ----------
    prep : DataFrame or None: prepared plaintext registrations (:func:`sex_twin_pairs`); None or pseudonymised
        (no ``fn``): no warning.
    labels : int array, shape (n,): the found person of each registration.
    records : DataFrame, shape (n, ...), optional: each registration's ``organisation`` and ``record_id``, to cite
        examples as the other warnings do ("record 'X' of police"; no names in a warning). Without it the row
        numbers are cited.
    examples : how many persons to cite.

    Returns
    -------
    list of str: one warning or none.
    """
    if prep is None or "fn" not in prep.columns or "sex" not in prep.columns:
        return []
    pairs = sex_twin_pairs(prep, labels)
    if not len(pairs):
        return []
    persons = pairs.drop_duplicates("person")

    def cite(i: int) -> str:
        """Registration i as the warnings cite one."""
        if records is None:
            return f"row {i + 1}"
        return f"record {records['record_id'].iloc[i]!r} of {records['organisation'].iloc[i]}"

    cited = "; ".join(f"{cite(a)} and {cite(b)}" for a, b in persons[["l", "r"]].head(examples).itertuples(index=False))
    n = len(persons)
    return [f"{n:,} found person{'s' if n != 1 else ''} hold{'' if n != 1 else 's'} registrations with one exact date "
            f"of birth but two different first names and two sexes (e.g. {cited}): possibly twins or siblings "
            "merged into one person, which makes the persons observed and N̂ too low. Check these registrations "
            "with the organisations (a family or a group registered together, one date of birth estimated for "
            "several persons); each found person that is two persons counts one too few"]


def with_cannot_links(prep: pd.DataFrame | None, edges: tuple, floor: float, has_dob: np.ndarray,
                      thresholds) -> tuple:
    """The scored pairs at or above `floor`, plus the cannot-links of the found persons at probability 0.

    The near-veto of :func:`same_day_names` keeps the pair itself apart, but the two registrations can still
    be joined through a third (a registration of one of them elsewhere with the first name missing; tester 20a
    mild_1: all 8 same-day pairs left after the veto were joined so). Here the persons of
    :func:`~darkfigure.linkage.clustering.cluster_links` at each threshold are searched for two registrations of
    one organisation on one day with different first names (:func:`sex_twin_pairs` with ``same_day``); each such
    pair is set to probability 0 (scored) or added at 0 (below the floor or never compared), and the search is
    repeated on the new persons (at most :data:`CANNOT_LINK_ROUNDS` times: the greedy split can group the records
    of a cluster another way once some of its pairs are cannot-links).
    :func:`~darkfigure.linkage.clustering.split_clusters` reads a pair at probability 0 as a cannot-link, so
    re-clustering the saved pairs (``pairs.parquet``: the correction, :class:`~darkfigure.linkage.link_run.LinkRun`)
    splits them again. Only the pairs inside found persons are added: a raid of 30 registrations would
    otherwise add 435 pairs that no clustering would join.

    Parameters
    ----------
    prep : DataFrame of shape (n, ...) or None: prepared plaintext registrations; None (pseudonymised): no
        cannot-links.
    edges : (left, right, probability), arrays of shape (m,): the scored pairs, sorted by (left, right).
    floor : pairs below it are dropped (those added stay at 0).
    has_dob : bool array, shape (n,); thresholds : iterable of float (the run's thresholds).

    Returns
    -------
    (left, right, probability): the pairs kept and the cannot-links, sorted by (left, right).
    """
    from ._reproducible import in_pair_order
    from .clustering import cluster_links

    kept = edges[2] >= floor
    left, right, p = (np.asarray(e)[kept] for e in edges)
    if prep is None or not CANNOT_LINK or "fn" not in prep.columns:
        return left, right, p
    n = len(prep)
    for _ in range(CANNOT_LINK_ROUNDS):  # a split with cannot-links can group a cluster's records another way
        found = [sex_twin_pairs(prep, cluster_links(n, left, right, p, has_dob, float(t)), same_day=True)
                 for t in dict.fromkeys(float(x) for x in thresholds)]
        c = pd.concat(found, ignore_index=True)
        if not len(c):
            break
        cannot = np.unique(c["l"].to_numpy(np.int64) * n + c["r"].to_numpy(np.int64))
        key = np.minimum(left, right).astype(np.int64) * n + np.maximum(left, right)
        hit = np.isin(key, cannot)
        p = np.where(hit, 0.0, p)
        new = np.setdiff1d(cannot, key[hit])
        left, right = np.r_[left, new // n].astype(left.dtype), np.r_[right, new % n].astype(right.dtype)
        left, right, p = in_pair_order((left, right, np.r_[p, np.zeros(new.size)]), 0.0)[0]
    return left, right, p
