"""Dates of birth derived from a stated age (tester 17a, High 2): 1 July or 1 January of (registration year - age),
the age often a year off. Such a date against the person's exact date elsewhere counted as wholly different; now a
day-month far too frequent in one organisation marks its dates as age-derived, compared by their year (within 2).
Synthetic data only."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage import link, simulate_registrations


def _age_dates(frame: pd.DataFrame, share: float, md: str, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """`frame` with `share` of its dated rows given `md` of (registration year - stated age), the stated age off by
    -1, 0 or +1 year; returns the frame and which rows were changed (bool, shape (len(frame),))."""
    rng = np.random.default_rng(seed)
    f = frame.copy()
    dob = pd.to_datetime(f["date_of_birth"], errors="coerce")
    reg = pd.to_datetime(f["registration_date"], errors="coerce")
    pick = (dob.notna() & reg.notna() & (dob.dt.year >= 1905)).to_numpy() & (rng.random(len(f)) < share)
    age = ((reg - dob).dt.days // 365.25).to_numpy()
    stated = age + rng.choice([-1, 0, 0, 0, 1], len(f))
    year = reg.dt.year.to_numpy() - np.nan_to_num(stated).astype(int)
    new = np.array([f"{y:04d}-{md}" for y in year], dtype=object)
    f.loc[pick, "date_of_birth"] = new[pick]
    return f, pick


@pytest.fixture(scope="module")
def files():
    """Synthetic clearing-house registrations in which the shelters write 1 July of (registration year - age)."""
    sim = simulate_registrations("clearing_house", seed=7, scale=0.25)
    fr = {k: v.reset_index(drop=True) for k, v in sim.files().items()}
    fr["shelters"], changed = _age_dates(fr["shelters"], 0.6, "07-01", seed=1)
    return fr, changed


def test_a_convention_is_found_in_the_organisation_that_writes_it(files):
    from darkfigure.linkage.age_dates import age_day_months, age_derived_mask

    fr, changed = files
    df = pd.concat(list(fr.values()), ignore_index=True)
    t = age_day_months(df["organisation"].to_numpy(), df["date_of_birth"].to_numpy(), df["first_name"].to_numpy(),
                       df["surname"].to_numpy())
    got = set(zip(t["organisation"], t["day_month"]))
    assert ("shelters", "07-01") in got
    # no other organisation writes 1 July
    assert not any(md == "07-01" and o != "shelters" for o, md in got)
    mask = age_derived_mask(fr["shelters"])
    assert mask[changed].all()
    from darkfigure.linkage.prepare import _read_inputs

    notes = " ".join(_read_inputs(list(fr.values()))[0].attrs["notes"])
    assert "derived from an age" in notes and "'shelters': 07-01" in notes
    # a register that writes 15 June is found too, measured, not assumed
    other, moved = _age_dates(fr["police"], 0.5, "06-15", seed=2)
    t = age_day_months(other["organisation"].to_numpy(), other["date_of_birth"].to_numpy(),
                       other["first_name"].to_numpy(), other["surname"].to_numpy())
    assert moved.sum() >= 5 and "06-15" in set(t["day_month"])


def test_levels_compare_an_age_derived_date_by_its_year():
    from darkfigure.linkage.dob_levels import DOB_LEVELS, dob_levels

    dob = np.array(["1990-03-17", "1992-07-01", "1990-07-01", "1993-07-01", "1990-03-20"], dtype=object)
    left, right = np.zeros(4, np.int64), np.arange(1, 5)
    age = np.array([False, True, True, True, False])
    got = dob_levels(left, right, dob, age=age)
    want = ["one from an age, years 2 apart", "one from an age, same year", None, "within 62 days"]
    assert got[0] == DOB_LEVELS.index(want[0]) and got[1] == DOB_LEVELS.index(want[1])
    assert got[2] == len(DOB_LEVELS)  # three years off: still wholly different
    assert got[3] == DOB_LEVELS.index(want[3])  # no age-derived date: unchanged
    # a 1 January with the year right keeps its own level; two years off it gets the age level
    jan = np.array(["1990-03-17", "1990-01-01", "1988-01-01"], dtype=object)
    got = dob_levels(np.zeros(2, np.int64), np.array([1, 2]), jan, age=np.array([False, True, True]))
    assert got.tolist() == [DOB_LEVELS.index("same year, one is 1 January"),
                            DOB_LEVELS.index("one from an age, years 2 apart")]
    # without the flags (a register with no convention) the old levels
    old = dob_levels(left, right, dob)
    assert old[0] == len(DOB_LEVELS) and old[1] in (DOB_LEVELS.index("within 62 days"), DOB_LEVELS.index("same year"))


@pytest.mark.slow
def test_one_july_age_dates_are_linked_to_the_exact_dates(files):
    """Known truth: the pairs of a shelter's 1-July date and the same person's exact date elsewhere are linked
    (the code before this change linked 109 of 198 of these pairs, 0.55)."""
    fr, changed = files
    res = link(list(fr.values()), truth="true_person_id", seed=0)
    df = pd.concat(list(fr.values()), ignore_index=True)
    ids = set(fr["shelters"]["record_id"][changed])
    flag = ((df["organisation"] == "shelters") & df["record_id"].isin(ids)).to_numpy()
    key = res.links.set_index(["organisation", "record_id"])["person_id"]
    person = key.reindex(pd.MultiIndex.from_arrays([df["organisation"], df["record_id"]])).to_numpy()
    dob = df["date_of_birth"].astype(str).to_numpy()
    hit = tot = 0
    for _, g in df.groupby("true_person_id"):
        for i, j in itertools.combinations(g.index, 2):
            if flag[i] != flag[j] and dob[i] != dob[j] and str(dob[j if flag[i] else i]) >= "1905":
                tot += 1
                hit += person[i] == person[j]
    assert tot >= 20
    assert hit / tot >= 0.8, (hit, tot)
    labels = [lv.get("label_for_charts") for c in res.model["comparisons"] if c["output_column_name"] ==
              "date_of_birth" for lv in c["comparison_levels"]]
    assert "one from an age, years 2 apart" in labels
    q = res.quality.iloc[0]
    assert q["precision"] > 0.9


def test_age_blocking_rules_are_coded_as_integers(files):
    """The rules that block an age-derived date as a missing one have the form the integer-code blocking takes
    (engines.rule_codes), and join exactly the pairs of their plain SQL meaning. Before (7 Dec) they read
    ``l.dob_age = '1' and ...``, which rule_codes cannot code: at 1M registrations DuckDB then blocked on text
    (predict 96 -> 506 CPU-s)."""
    import duckdb

    import darkfigure.linkage.splink_model as sm
    from darkfigure.linkage.age_dates import AGE_COLUMN, AGE_FILTER_COLUMN
    from darkfigure.linkage.engines import _one_sided, _rule_sql, rule_codes
    from darkfigure.linkage.prepare import _prepare_plain, _read_inputs

    fr, _ = files
    p = _prepare_plain(_read_inputs(list(fr.values()))[0])
    assert p[AGE_COLUMN].notna().sum() > 100
    rules = sm._plain_settings(p)[1]
    age = [r for r in map(_rule_sql, rules) if AGE_FILTER_COLUMN in r]
    assert age, "no age rule was made"
    codes = rule_codes(p, rules)
    assert codes is not None
    # an age rule joins the pairs of its meaning: one side's date from an age, the keys equal
    rule = age[0]
    keys = rule.split(" is null and ", 1)[1]
    con = duckdb.connect()
    con.register("p", p.astype(object).where(p.notna(), None))
    side = rule.split(".", 1)[0]
    got = con.execute(f"select l.uid, r.uid from p l join p r on l.uid < r.uid and {rule}").fetchall()
    want = con.execute(f"select l.uid, r.uid from p l join p r on l.uid < r.uid and {side}.{AGE_COLUMN} = '1' "
                       f"and {keys}").fetchall()
    assert got and sorted(got) == sorted(want)
    assert all(len(_one_sided(r)) == 1 for r in age)
