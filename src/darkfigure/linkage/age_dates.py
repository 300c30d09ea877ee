"""Dates of birth derived from a stated age: day-months an organisation gives far more often than 1 in 365.

Tester 17a (High 2): many registries record an age, not a date of birth, and write a date
from it: 1 January of (registration year - age), or 1 July (the mid-year convention), with
the stated age itself often a year off. Such a date says "born within about two years of
this year" and nothing about the day: against the person's exact date elsewhere it fell
to "same year" or "wholly different" (1 July: 83-100% of the true pairs missed, 2 years
off: ~100%; 358 of 1,464 missed pairs in the tester's hard setting).

The rule (measured per organisation, not assumed). Birthdays spread over the year, so a
day-month carries about 1/365.25 of an organisation's dated persons (counted as distinct
identities, name + date of birth: one person registered twice keeps one date, and namesakes
with their own dates are persons of their own; names without letters tell nobody apart and
such a registration counts as its own person). A day-month is an age convention in organisation o when its count there is at
least :data:`AGE_MD_RATIO` times the expected count and at least :data:`AGE_MD_MIN`, and
either (a) its Poisson upper-tail probability in o is below :data:`AGE_MD_STRONG_P` (a
convention of o alone: a register that writes 15 June), or (b) it is below
:data:`AGE_MD_ORG_P` in o and the day-month is a convention over all organisations
pooled (each person once; tail probability below :data:`AGE_MD_STRONG_P`): the pooled test finds the
conventions (1 January, 1 July), the milder test in o says which organisations use them
(a small organisation's eight 1-July dates against two expected). With 366 day-months and
a few organisations tested, the strong bound keeps false conventions rare; a false one
costs the near-miss levels of that day-month's dates (they are compared by year instead).

The comparison levels (:func:`age_levels`): "one date from an age, same year", "..., years
1 apart" and "..., 2 apart", right after the exact levels: such a date's near misses of the other date
(a day off, within 62 days) are chance, and the levels for them had m near 0 (a
1-July date in the same year as the true date was missed in 57% of the pairs when the
level came after them). Exact agreement stays first, and a 1 January with the year right or
one off keeps the levels made for it ("same year, one is 1 January", "one is 1 January, year
off by 1"): a 1 January that is a true documented date (refugees' documents without a day)
is compared as before, and only gains the level "2 apart"; where the day-month is no
convention of the organisation nothing changes. Their m come from the namesake mixture
(:func:`darkfigure.linkage.dob_levels.dob_level_m`), its u from Splink's random pairs.
Blocking (:func:`age_blocking_rules`): such a date is blocked as a missing date is (a name
and the Soundex code of the other), since the rules on date parts never bring a 1-July
date two years off together with the exact date when a name carries a typo.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._content_memo import content_memo
from .placeholder_dates import _name_codes, _per_distinct

__all__ = ["AGE_COLUMN", "AGE_FILTER_COLUMN", "AGE_LEVELS", "AGE_MD_MIN", "AGE_MD_ORG_P", "AGE_MD_RATIO", "AGE_MD_STRONG_P", "AGE_YEARS",
           "age_blocking_rules", "age_day_months", "age_derived_mask", "age_flags", "age_levels", "age_note"]

#: prepared column: "1" where the date of birth is probably derived from an age, null otherwise
AGE_COLUMN = "dob_age"
#: blocking column added by :func:`age_blocking_rules`: null where the date is age-derived, "0" otherwise, so that its
#: rules read ``l.blk_dob_not_age is null and ...``, the form the integer-code blocking (engines.rule_codes) takes; the
#: form ``l.dob_age = '1'`` is not, and one such rule sent all of DuckDB's blocking back to Splink's joins on text
#: (1M registrations: predict 96 -> 506 CPU-s, 4 GB spilled to disk; 7 Dec). "blk": dropped with the other blocking
#: columns once the codes are made (link.py)
AGE_FILTER_COLUMN = "blk_dob_not_age"
#: labels of the date-of-birth levels of :func:`age_levels`: birth years 0, 1 and 2 (:data:`AGE_YEARS`) apart, each
#: with its own m and u (two years apart needs the stated age off as well: rarer among one person's registrations)
AGE_LEVELS = ("one from an age, same year", "one from an age, years 1 apart", "one from an age, years 2 apart")
#: the most years apart of an age-derived date and a date of the same person (stated age a year off, plus the year
#: of the arithmetic)
AGE_YEARS = 2
#: fewest distinct persons (name + date) on a day-month, and the least ratio to its expected count, for an age convention
AGE_MD_MIN = 5
AGE_MD_RATIO = 3.0
#: Poisson upper-tail probability below which a day-month is a convention by itself (in one organisation or pooled)
AGE_MD_STRONG_P = 1e-6
#: ... and below which a pooled convention is one of this organisation too
AGE_MD_ORG_P = 0.01


def _poisson_sf(k: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """P(X >= k) for X ~ Poisson(mu), elementwise (k, mu float arrays of one shape)."""
    from scipy.stats import poisson

    return poisson.sf(np.asarray(k, float) - 1, np.asarray(mu, float))


def _lettered(values: Sequence) -> np.ndarray:
    """The names with those holding no letter (emoji, ``"###"``, digits) as None, shape (n,): such a name tells no
    persons apart (tester 18a, L3: all-emoji names collapsed into 15 "persons" and a day-month looked frequent)."""
    codes, out = _per_distinct(values, lambda v: v if isinstance(v, str) and any(c.isalpha() for c in v) else None)
    return out[codes]


@content_memo
def age_day_months(org: Sequence, dob: Sequence, first: Sequence, surname: Sequence,
                   before: str = "1905-01-01") -> pd.DataFrame:
    """The day-months each organisation gives to far more registrations than birthdays would (the module's rule).

    Parameters
    ----------
    org : organisation of each registration, shape (n,).
    dob : date of birth as ISO text (``""``/None/NaN when missing), shape (n,); dates before `before` are
        placeholders and not counted.
    first, surname : the names as written, shape (n,) (distinct persons, name + date, are counted, not rows; a name
        without letters counts as no name).
    before : ISO date before which dates of birth are placeholders.

    Returns
    -------
    DataFrame with ``organisation``, ``day_month`` (``MM-DD``), ``names`` (distinct persons, name + date, on it),
    ``expected`` (persons expected from the spread of birthdays), ``dated`` (distinct dated persons of the
    organisation); one row
    per age convention, most frequent first (empty when none).
    """
    cols = ["organisation", "day_month", "names", "expected", "dated"]
    dc, dv = _per_distinct(dob, lambda v: "" if v is None or pd.isna(v) else str(v)[:10])
    # on integer codes of the distinct dates and day-months, never one string per registration (a million
    # registrations: per-row strings and the tuples of a MultiIndex held 0.3 GB at the peak of link's reading; 7 Dec)
    v_code, v_uniq = pd.factorize(np.array([str(x) for x in dv], dtype=object))  # raw values may fold to one date
    v_uniq = np.asarray(v_uniq, dtype=object)
    valid = np.array([x != "" and x >= before and len(x) == 10 for x in v_uniq], dtype=bool)
    d_all = v_code[dc]
    keep = valid[d_all]
    if not keep.any():
        return pd.DataFrame(columns=cols)
    o_code, o_uniq = pd.factorize(pd.Series(org, dtype=object).astype(str).to_numpy(dtype=object)[keep])
    o_uniq = np.asarray(o_uniq, dtype=object)
    d_code = d_all[keep]
    md_of_v, md_uniq = pd.factorize(np.array([x[5:10] for x in v_uniq], dtype=object))
    md_uniq = np.asarray(md_uniq, dtype=object)
    name = _name_codes(_lettered(first), _lettered(surname))[keep].astype(np.int64)
    # a registration without a name (or with names without letters: emoji, "###") counts as its own person
    name = np.where(name >= 0, name, -1 - np.arange(name.size, dtype=np.int64))
    # a person is a distinct (name, date of birth): a Zipf-common name is carried by many persons, each with their
    # own date (counting distinct names put 1,086 "dated persons" where 1,777 were; tester 18a, M2); name * dates +
    # date is one integer per pair (names may be negative: still distinct)
    person = pd.factorize(name * np.int64(len(v_uniq)) + d_code)[0]
    t = pd.DataFrame({"o": o_code, "md": md_of_v[d_code], "person": person}).drop_duplicates()
    dated = t.groupby("o").size()
    dated.index = o_uniq[dated.index.to_numpy()]
    counts = t.groupby(["o", "md"]).size().rename("names").reset_index()
    counts["o"], counts["md"] = o_uniq[counts["o"].to_numpy()], md_uniq[counts["md"].to_numpy()]
    counts = counts.sort_values(["o", "md"], kind="stable").reset_index(drop=True)  # the order of string groups
    share = np.where(counts["md"].to_numpy() == "02-29", 0.25 / 365.25, 1 / 365.25)
    counts["dated"] = dated.reindex(counts["o"]).to_numpy(dtype=float)
    counts["expected"] = counts["dated"] * share
    n = counts["names"].to_numpy(dtype=float)
    big = (n >= AGE_MD_MIN) & (n >= AGE_MD_RATIO * counts["expected"].to_numpy())
    p_org = _poisson_sf(n, counts["expected"].to_numpy())
    # pooled over the organisations: each person once (registered by three organisations, counted three times the
    # counts were overdispersed for a Poisson test; tester 18a, M2)
    persons = t.drop_duplicates(["md", "person"])
    pooled = persons.groupby("md").size()
    pooled.index = md_uniq[pooled.index.to_numpy()]
    pooled = pooled.sort_index()
    total = float(persons.shape[0])
    mu = np.where(pooled.index.to_numpy() == "02-29", 0.25 / 365.25, 1 / 365.25) * total
    pv = pooled.to_numpy(dtype=float)
    conv = set(pooled.index[(_poisson_sf(pv, mu) < AGE_MD_STRONG_P) & (pv >= AGE_MD_RATIO * mu)])
    ok = big & ((p_org < AGE_MD_STRONG_P) | ((p_org < AGE_MD_ORG_P) & counts["md"].isin(conv).to_numpy()))
    out = counts[ok].rename(columns={"o": "organisation", "md": "day_month"})
    out["dated"] = out["dated"].astype(int)
    return out.sort_values("names", ascending=False, kind="stable")[cols].reset_index(drop=True)


def age_derived_mask(df: pd.DataFrame) -> np.ndarray:
    """Whether each registration's date of birth falls on an age convention of its organisation, shape (n,) bool.

    Parameters
    ----------
    df : plaintext registrations with ``organisation`` and ``date_of_birth`` (ISO text); ``first_name`` and
        ``surname`` when present (else every dated row counts as its own name).
    """
    from .placeholder_dates import organisation_date_mask

    return organisation_date_mask(df, age_day_months, "day_month", slice(5, 10))


def age_note(frames) -> list[str]:
    """A note naming, per organisation, the day-months read as dates derived from an age (empty list: none).

    Parameters
    ----------
    frames : validated plaintext registration frames (``organisation``, ``date_of_birth`` as ISO text, names when
        present); frames without these columns (pseudonymised files) are left out.
    """
    from .placeholder_dates import dates_table

    t = dates_table(frames, age_day_months)
    if t.empty:
        return []
    parts = [f"{r.organisation!r}: {r.day_month} on {r.names:,} of {r.dated:,} dated persons ({r.expected:.1f} "
             "expected)" for r in t.itertuples(index=False)]
    return [f"dates of birth on these day-months look derived from an age (far more frequent than birthdays): "
            f"{'; '.join(parts)}. They are compared by their year (within {AGE_YEARS} years) wherever they are not "
            "exactly the other date"]


def age_flags(records: pd.DataFrame | None) -> np.ndarray | None:
    """The age-derived flag of each prepared registration (bool, shape (n,)), or None without :data:`AGE_COLUMN`."""
    if records is None or AGE_COLUMN not in records.columns:
        return None
    return records[AGE_COLUMN].notna().to_numpy()


def age_levels(p: pd.DataFrame, fix) -> list:
    """The Splink levels "one date from an age, same year", "..., years 1 apart", "..., 2 apart" (empty: none is).

    Placed right after the exact levels: a date written from an age carries its year and nothing about the day,
    so its near misses (a digit, a day or a month off, within 62 days: m near 0 among namesakes, the register's own
    near misses being typos of real dates) are no evidence against the pair, and its year is all that is compared.

    Parameters
    ----------
    p : prepared plaintext registrations (``dob_y`` and :data:`AGE_COLUMN`).
    fix : callable: label -> the level's configuration (its m estimated from namesakes, fixed), as in
        :func:`darkfigure.linkage.splink_model._plain_settings`.
    """
    import splink.comparison_level_library as cll

    if AGE_COLUMN not in p.columns or not p[AGE_COLUMN].notna().any():
        return []
    one = f"({AGE_COLUMN}_l is not null or {AGE_COLUMN}_r is not null)"
    # a 1 January with the year right or one off keeps the levels made for it ("same year, one is 1 January", ...)
    jan = "(dob_md_l = '01-01' or dob_md_r = '01-01')"
    conds = [f"{one} and abs(cast(dob_y_l as int) - cast(dob_y_r as int)) = {k}" + (f" and not {jan}" if k <= 1 else "")
             for k in range(AGE_YEARS + 1)]
    return [cll.CustomLevel(c, label_for_charts=lab).configure(**fix(lab)) for c, lab in zip(conds, AGE_LEVELS)]


def age_condition(age: np.ndarray | None, a: np.ndarray, b: np.ndarray, ya: np.ndarray, yb: np.ndarray,
                  jan1: np.ndarray) -> tuple[np.ndarray, ...]:
    """NumPy mirror of :func:`age_levels`' conditions: pairs (a, b) with an age-derived date, years 0, 1, 2 apart
    (0 and 1 not where a date is 1 January: the 1-January levels take those).

    age : bool array, shape (n,), or None (no pair qualifies); a, b : record numbers, shape (m,); ya, yb : years,
    shape (m,); jan1 : bool array, shape (n,): the date is 1 January. Returns one bool array of shape (m,) per label
    of :data:`AGE_LEVELS`.
    """
    if age is None:
        return (np.zeros(np.asarray(a).size, dtype=bool),) * len(AGE_LEVELS)
    one, jan = age[a] | age[b], jan1[a] | jan1[b]
    return tuple(one & (np.abs(ya - yb) == k) & ((k > 1) | ~jan) for k in range(AGE_YEARS + 1))


def age_blocking_rules(p: pd.DataFrame, keys: Sequence, budget: float | None = None) -> list[str]:
    """Blocking rules that compare an age-derived date as a missing one: on a name and the other's Soundex code.

    Parameters
    ----------
    p : prepared plaintext registrations.
    keys : sequence of ``((left column, right column), ...)``: the keys of the rules for a missing date.
    budget : most pairs a rule may add (default :data:`darkfigure.linkage.prepare.COARSE_RULE_PAIRS`); rules over it
        are left out.

    Returns
    -------
    list of str: SQL rules ``l.blk_dob_not_age is null and l.a = r.b and ...`` (and with ``r.blk_dob_not_age``) (empty when
    no date is age-derived). With rules, `p` gains the column :data:`AGE_FILTER_COLUMN` (null exactly where
    :data:`AGE_COLUMN` is set), so that the rules have the ``key = key and side.column is null`` form that
    :func:`darkfigure.linkage.engines.rule_codes` codes as integers (any other form makes DuckDB block on text).
    """
    from .prepare import COARSE_RULE_PAIRS, _rule_pairs

    if AGE_COLUMN not in p.columns or not p[AGE_COLUMN].notna().any():
        return []
    budget = COARSE_RULE_PAIRS if budget is None else budget
    out: list[str] = []
    not_age = np.where(p[AGE_COLUMN].notna().to_numpy(), None, "0")
    for k in keys:
        cols = sorted({c for pair in k for c in pair})
        # _rule_pairs counts records lacking a column (on the left) against all: null where the date is age-derived
        side = p[cols].assign(**{AGE_FILTER_COLUMN: not_age})
        if _rule_pairs(side, k, AGE_FILTER_COLUMN) > budget:
            continue
        ks = " and ".join(f"l.{a} = r.{b}" for a, b in k)
        out += [f"l.{AGE_FILTER_COLUMN} is null and {ks}", f"r.{AGE_FILTER_COLUMN} is null and {ks}"]
    if out:
        p[AGE_FILTER_COLUMN] = not_age
    return out
