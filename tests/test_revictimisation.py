"""Repeat victimisation: Kaplan–Meier by hand, coverage on simulated registers, and bad input."""

from __future__ import annotations

import json
import math
import os
import re
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import darkfigure
from darkfigure.cli import app
from darkfigure.histories import DataError
from darkfigure.monitoring.revictimisation import (
    CURVE_COLUMNS,
    FIRST_OFFENCE_COLUMNS,
    TABLE_COLUMNS,
    aalen_johansen,
    kaplan_meier,
    revictimisation,
    simulate_revictimisation,
)

Z95 = 1.959963984540054
END = pd.Timestamp("2020-12-31")


def _day(offset_from_end: int) -> str:
    return (END - pd.Timedelta(days=offset_from_end)).strftime("%Y-%m-%d")


def hand_example():
    """Six persons with a common end of follow-up; follow-up and event days after registration.

    p1 followed 3000 days: violence on day 400, sexual offence on day 1500
    p2 followed  800 days: nothing (censored on day 800, the day p3 and p4 have events: a tie)
    p3 followed 2000 days: sexual offence on day 800, violence on day 1000
    p4 followed  900 days: violence on day 800
    p5 followed  300 days: nothing after registration; records on the registration day and before it
    p6 followed 2500 days: nothing
    """
    follow = {"p1": 3000, "p2": 800, "p3": 2000, "p4": 900, "p5": 300, "p6": 2500}
    sex = {"p1": "female", "p2": "female", "p3": "female", "p4": "male", "p5": "male", "p6": "male"}
    reg = {p: END - pd.Timedelta(days=f) for p, f in follow.items()}
    victims = pd.DataFrame({
        "person_id": list(follow), "first_registration": [reg[p].strftime("%Y-%m-%d") for p in follow],
        "sex": [sex[p] for p in follow],
    })
    ev = [("p1", 400, "violence"), ("p1", 1500, "sexual offence"), ("p3", 800, "sexual offence"),
          ("p3", 1000, "violence"), ("p4", 800, "violence"), ("p5", 0, "violence"), ("p5", -200, "property")]
    later = pd.DataFrame({
        "person_id": [p for p, _, _ in ev],
        "date": [(reg[p] + pd.Timedelta(days=d)).strftime("%Y-%m-%d") for p, d, _ in ev],
        "offence": [o for _, _, o in ev],
    })
    return victims, later


def km_by_definition(times, events, k):
    """Product limit from its definition, one distinct event time at a time, in exact fractions."""
    s, gw = Fraction(1), Fraction(0)
    for t in sorted({t for t, e in zip(times, events) if e and t <= k}):
        n = sum(1 for u in times if u >= t)
        d = sum(1 for u, e in zip(times, events) if e and u == t)
        s *= Fraction(n - d, n)
        gw += Fraction(d, n * (n - d))
    return 1 - s, gw


def loglog(f, gw, z=Z95):
    s = 1 - float(f)
    sigma = math.sqrt(float(gw)) / abs(math.log(s))
    return 1 - s ** math.exp(-z * sigma), 1 - s ** math.exp(z * sigma)


def test_hand_example_exact():
    victims, later = hand_example()
    res = revictimisation(victims, later, end_of_followup="2020-12-31")
    tab = res.table.set_index(["group", "level", "offence"])
    # (follow-up or event day, event) per person for each outcome, days; k = 5 years = 1826.25 days
    outcomes = {
        "any": ([400, 800, 800, 800, 300, 2500], [1, 0, 1, 1, 0, 0], Fraction(3, 5), Fraction(3, 10)),
        "violence": ([400, 800, 1000, 800, 300, 2500], [1, 0, 1, 1, 0, 0], Fraction(7, 10), Fraction(19, 30)),
        "sexual offence": ([1500, 800, 800, 900, 300, 2500], [1, 0, 1, 0, 0, 0], Fraction(3, 5), Fraction(11, 20)),
    }
    for off, (days, ev, f_exact, gw_exact) in outcomes.items():
        f, gw = km_by_definition(days, ev, 1826.25)
        assert (f, gw) == (f_exact, gw_exact)  # the definition, worked out by hand in the docstring's numbers
        row = tab.loc[("total", "", off)]
        assert row["cumulative"] == pytest.approx(float(f), abs=1e-12)
        lo, hi = loglog(f, gw)
        assert (row["lower"], row["upper"]) == pytest.approx((lo, hi), abs=1e-12)
        assert row["persons"] == 6
        assert row["events"] == sum(ev)
        assert row["censored"] == sum(1 for d, e in zip(days, ev) if not e and d < 1826.25)
        assert row["naive"] == pytest.approx(sum(ev) / 6)
    # the records of p5 on and before the day of registration do not count
    assert any("on or before" in n and n.startswith("2 ") for n in res.notes)
    # subgroups. male: p4 (800), p5 (censored 300), p6 (censored 2500) -> 1 - 1/2; p6 is still followed at 5 years
    assert tab.loc[("sex", "male", "any"), "cumulative"] == pytest.approx(1 / 2)
    # female: p1 (400), p2 (censored 800), p3 (800): nobody is followed beyond day 800, so the share within 5 years
    # is not estimable (p2 might be re-victimised later): empty, with a note, not 2/3
    assert np.isnan(tab.loc[("sex", "female", "any"), "cumulative"])
    assert any("not estimable" in n and "sex = female, offence any, k = 5" in n for n in res.notes)
    # within 2 years (730.5 days) it is: 1 - 2/3 (p2 and p3 are still followed at 2 years)
    two = revictimisation(victims, later, end_of_followup="2020-12-31", k_years=2).table
    assert two.query("group == 'sex' and level == 'female' and offence == 'any'")["cumulative"].iloc[0] == (
        pytest.approx(1 / 3))
    # the curve: steps at days 400 and 800
    cur = res.curve[(res.curve["group"] == "total") & (res.curve["offence"] == "any")]
    assert cur["time_years"].tolist() == pytest.approx([400 / 365.25, 800 / 365.25])
    assert cur["at_risk"].tolist() == [5, 4] and cur["events"].tolist() == [1, 2]
    assert cur["cumulative"].tolist() == pytest.approx([1 / 5, 3 / 5])
    # first later offence (Aalen–Johansen): violence 1/5 + 4/5 * 1/4 = 2/5, sexual offence 4/5 * 1/4 = 1/5
    fo = res.first_offence.set_index(["group", "level", "offence"])
    assert fo.loc[("total", "", "violence"), "cumulative"] == pytest.approx(2 / 5)
    assert fo.loc[("total", "", "sexual offence"), "cumulative"] == pytest.approx(1 / 5)
    assert fo.loc[("total", "", "violence"), "events"] == 2
    assert list(res.table.columns) == TABLE_COLUMNS
    assert list(res.curve.columns) == CURVE_COLUMNS
    assert list(res.first_offence.columns) == FIRST_OFFENCE_COLUMNS


def test_per_person_end_of_followup_column_and_other_k():
    victims, later = hand_example()
    victims["end_of_followup"] = "2020-12-31"
    # p6 left follow-up (emigrated) on day 1000 after registration
    victims.loc[5, "end_of_followup"] = (pd.Timestamp(victims.loc[5, "first_registration"])
                                         + pd.Timedelta(days=1000)).strftime("%Y-%m-%d")
    res = revictimisation(victims, later, k_years=[1, 2])  # the column end_of_followup is found by name
    any_ = res.table[(res.table["group"] == "total") & (res.table["offence"] == "any")].set_index("k_years")
    f1, _ = km_by_definition([400, 800, 800, 800, 300, 1000], [1, 0, 1, 1, 0, 0], 365.25)
    f2, _ = km_by_definition([400, 800, 800, 800, 300, 1000], [1, 0, 1, 1, 0, 0], 730.5)
    assert f1 == 0  # no event in the first year: 0 without an interval
    assert any_.loc[1.0, "cumulative"] == 0 and np.isnan(any_.loc[1.0, "lower"])
    assert any_.loc[2.0, "cumulative"] == pytest.approx(float(f2))
    assert f2 == Fraction(1, 5)
    assert res.settings["end_of_followup"].startswith("per person")


def test_not_estimable_beyond_follow_up_is_nan_with_note():
    victims, later = hand_example()
    res = revictimisation(victims, later, end_of_followup="2020-12-31", k_years=10)
    row = res.table[(res.table["group"] == "total") & (res.table["offence"] == "any")].iloc[0]
    assert np.isnan(row["cumulative"]) and np.isnan(row["lower"]) and np.isnan(row["upper"])
    assert row["naive"] == pytest.approx(0.5)
    assert any("not estimable" in n and "all persons, offence any, k = 10" in n for n in res.notes)


def test_kaplan_meier_matches_scipy_ecdf_with_ties():
    """scipy.stats.ecdf (an independent implementation): the curve and its log-log interval, with tied days."""
    from scipy import stats

    rng = np.random.default_rng(3)
    t = np.ceil(rng.exponential(3, 400) * 365.25) / 365.25
    c = np.ceil(rng.uniform(0, 8, 400) * 365.25) / 365.25
    e, obs = t <= c, np.minimum(t, c)
    ref = stats.ecdf(stats.CensoredData(uncensored=obs[e], right=obs[~e]))
    ci = ref.sf.confidence_interval(0.9, method="log-log")
    km = kaplan_meier(obs, e, level=0.9)
    for k in (0.5, 1, 2.5, 4, 6):
        f, lo, hi = km.at(k)
        assert f == pytest.approx(1 - ref.sf.evaluate(k), rel=1e-12)
        assert (lo, hi) == pytest.approx((1 - ci.high.evaluate(k), 1 - ci.low.evaluate(k)), rel=1e-10)


def test_aalen_johansen_with_one_kind_is_kaplan_meier():
    rng = np.random.default_rng(3)
    t = np.round(rng.exponential(3, 300), 1)
    c = rng.uniform(0, 8, 300)
    e = t <= c
    obs = np.minimum(t, c)
    km = kaplan_meier(obs, e)
    f, lo, hi = km.at(4.0)
    ev, f1, lo1, hi1 = aalen_johansen(obs, np.where(e, 0, -1), 1, 4.0)
    assert f1[0] == pytest.approx(f, rel=1e-12)
    assert (lo1[0], hi1[0]) == pytest.approx((lo, hi), rel=1e-9)
    assert ev[0] == np.sum(e & (obs <= 4.0))


def test_cumulative_incidences_of_first_offence_add_up_to_any():
    sim = simulate_revictimisation(1500, seed=11)
    res = revictimisation(sim.victims, sim.later, end_of_followup=sim.end_of_followup, k_years=[2, 5])
    fo = res.first_offence.groupby(["group", "level", "k_years"])["cumulative"].sum()
    km = res.table[res.table["offence"] == "any"].set_index(["group", "level", "k_years"])["cumulative"]
    assert np.allclose(fo.sort_index().to_numpy(), km.loc[fo.sort_index().index].to_numpy(), atol=1e-12)


def test_write_files_and_cli(tmp_path):
    sim = simulate_revictimisation(600, seed=5)
    v, w = tmp_path / "victims.csv", tmp_path / "later.csv"
    sim.victims.to_csv(v, index=False)
    sim.later.to_csv(w, index=False)
    res = revictimisation(v, w, end_of_followup=sim.end_of_followup, covariates=["sex"])
    files = res.write(tmp_path / "out")
    assert [f.name for f in files] == ["revictimisation.csv", "revictimisation_curve.csv",
                                      "revictimisation_first_offence.csv", "revictimisation.json"]
    # no temporary file left; the only hidden file is darkfigure's manifest of what it wrote
    assert not list((tmp_path / "out").glob("*.tmp"))
    assert [p.name for p in (tmp_path / "out").glob(".*")] == [".darkfigure-outputs.json"]
    # the notes and settings are kept beside the tables (the report shows them)
    info = json.loads(files[3].read_text(encoding="utf-8"))
    assert info["notes"] == res.notes and any("follow-up shorter than 5 years" in n for n in info["notes"])
    st = info["settings"]
    assert st["end_of_followup"] == sim.end_of_followup and st["k_years"] == [5.0] and st["level"] == 0.95
    assert st["covariates"] == ["sex"] and st["persons"] == 600
    assert (st["id_col"], st["date_col"], st["later_date_col"], st["offence_col"]) == (
        "person_id", "first_registration", "date", "offence")
    assert info["darkfigure_version"] == darkfigure.__version__
    assert abs(datetime.fromisoformat(info["run_date"]) - datetime.now(UTC)) < timedelta(minutes=5)
    mask = os.umask(0o022)
    os.umask(mask)
    assert all(f.stat().st_mode & 0o777 == 0o666 & ~mask for f in files)  # not private: as readable as any CSV
    tab = pd.read_csv(files[0])
    assert list(tab.columns) == TABLE_COLUMNS and list(pd.read_csv(files[1]).columns) == CURVE_COLUMNS
    assert set(tab["group"]) == {"total", "sex"}
    r = CliRunner().invoke(app, [
        "revictimisation", str(v), str(w), "--end-of-followup", sim.end_of_followup, "--covariates", "sex,exploitation",
        "--out", str(tmp_path / "cli"),
    ])
    assert r.exit_code == 0, r.output
    assert "Kaplan" in r.output and "naive" in r.output
    cli_info = json.loads((tmp_path / "cli" / "revictimisation.json").read_text(encoding="utf-8"))
    assert cli_info["settings"]["covariates"] == ["sex", "exploitation"]
    cli_tab = pd.read_csv(tmp_path / "cli" / "revictimisation.csv", keep_default_na=False)
    tot = cli_tab[(cli_tab["group"] == "total") & (cli_tab["offence"] == "any")].iloc[0]
    assert tot["level"] == "" and tot["k_years"] == 5
    assert float(tot["cumulative"]) == pytest.approx(
        res.table.query("group == 'total' and offence == 'any'")["cumulative"].iloc[0])


@pytest.mark.slow
def test_coverage_and_naive_bias_on_simulated_registers():
    """200 replicates, 45% re-victimised within 5 years, staggered entry over 8 years (64% followed < 5 years)."""
    ss = np.random.SeedSequence(20240601)
    hits, naive, est = [], [], []
    hits_first = []
    truth = first_truth = None
    for child in ss.spawn(200):
        sim = simulate_revictimisation(1000, seed=child, k_years=[5])
        res = revictimisation(sim.victims, sim.later, end_of_followup=sim.end_of_followup)
        key = ["group", "level", "offence", "k_years"]
        m = res.table.merge(sim.truth, on=key, validate="one_to_one")
        f = res.first_offence.merge(sim.first_offence_truth, on=key, validate="one_to_one")
        if truth is None:
            truth, first_truth = m[key + ["truth"]], f[key + ["truth"]]
        hits.append(((m["lower"] <= m["truth"]) & (m["truth"] <= m["upper"])).to_numpy())
        hits_first.append(((f["lower"] <= f["truth"]) & (f["truth"] <= f["upper"])).to_numpy())
        naive.append(m["naive"].to_numpy())
        est.append(m["cumulative"].to_numpy())
    cover = pd.Series(np.mean(hits, axis=0), index=pd.MultiIndex.from_frame(truth[["group", "level", "offence"]]))
    cover_first = pd.Series(np.mean(hits_first, axis=0),
                            index=pd.MultiIndex.from_frame(first_truth[["group", "level", "offence"]]))
    total_any = truth.index[(truth["group"] == "total") & (truth["offence"] == "any")][0]
    t = truth["truth"].to_numpy()
    assert t[total_any] == pytest.approx(0.45)
    # the interval covers the truth: the total, every kind of later offence, every subgroup
    assert cover[("total", "", "any")] >= 0.90, cover
    assert cover.min() >= 0.90, cover.sort_values().head()
    assert cover_first.min() >= 0.90, cover_first.sort_values().head()
    # Kaplan–Meier is unbiased here; the naive share is far below the truth (censoring counted as "no")
    mean_est, mean_naive = np.mean(est, axis=0), np.mean(naive, axis=0)
    assert abs(mean_est[total_any] - 0.45) < 0.01
    assert mean_naive[total_any] < 0.45 - 0.08
    assert np.all(mean_naive < 0.85 * t)  # every group and offence: about a quarter too low


# ----------------------------------------------------------------------------------------------------------------------
# bad input


def _kw():
    return {"end_of_followup": "2020-12-31"}


def test_missing_columns_are_named():
    v, w = hand_example()
    with pytest.raises(DataError, match="no column 'first_registration'"):
        revictimisation(v.drop(columns="first_registration"), w, **_kw())
    with pytest.raises(DataError, match="later-victimisation register has no column 'offence'"):
        revictimisation(v, w.drop(columns="offence"), **_kw())
    with pytest.raises(DataError, match="no column 'age'"):
        revictimisation(v, w, covariates=["age"], **_kw())


def test_dates_after_end_of_followup_name_the_row():
    v, w = hand_example()
    w.loc[3, "date"] = "2021-03-01"
    with pytest.raises(DataError, match=r"row 4 \(person 'p3'\): date 2021-03-01 is after the end of follow-up 2020-12-31"):
        revictimisation(v, w, **_kw())
    v, w = hand_example()
    v.loc[1, "first_registration"] = "2021-01-05"
    with pytest.raises(DataError, match=r"victim register row 2 \(person 'p2'\): first registration 2021-01-05 is after"):
        revictimisation(v, w, **_kw())


def test_unparseable_and_empty_dates_name_row_and_value():
    v, w = hand_example()
    w.loc[2, "date"] = "31/12/2019"
    with pytest.raises(DataError, match=r"row 3 \(person 'p3'\): 'date' value '31/12/2019' is not a date"):
        revictimisation(v, w, **_kw())
    v, w = hand_example()
    v.loc[4, "first_registration"] = ""
    with pytest.raises(DataError, match=r"victim register row 5 \(person 'p5'\): 'first_registration' is empty"):
        revictimisation(v, w, **_kw())
    with pytest.raises(DataError, match="neither a date"):
        revictimisation(*hand_example(), end_of_followup="end of 2020")
    with pytest.raises(DataError, match="give the end of follow-up"):
        revictimisation(*hand_example())


def test_unknown_persons_noted_or_refused():
    v, w = hand_example()
    w2 = pd.concat([w, pd.DataFrame({"person_id": ["x1", "x1", "x2"], "date": ["2019-01-01"] * 3,
                                     "offence": ["violence"] * 3})], ignore_index=True)
    res = revictimisation(v, w2, **_kw())
    assert any(n.startswith("3 rows of the later-victimisation register (2 persons") for n in res.notes)
    base = revictimisation(v, w, **_kw())
    pd.testing.assert_frame_equal(res.table, base.table)
    w3 = w.assign(person_id=w["person_id"].str.upper())
    with pytest.raises(DataError, match="none of the 7 rows .* linked with the same id"):
        revictimisation(v, w3, **_kw())


def test_other_bad_input():
    v, w = hand_example()
    with pytest.raises(DataError, match=r"row 2: person 'p1' appears more than once"):
        revictimisation(pd.concat([v.iloc[:1], v]), w, **_kw())
    v2 = v.copy()
    v2.loc[2, "sex"] = None
    with pytest.raises(DataError, match=r"row 3 \(person 'p3'\): covariate 'sex' is empty"):
        revictimisation(v2, w, **_kw())
    w2 = w.copy()
    w2.loc[0, "offence"] = ""
    with pytest.raises(DataError, match=r"row 1 \(person 'p1'\): 'offence' is empty"):
        revictimisation(v, w2, **_kw())
    with pytest.raises(ValueError, match="k_years"):
        revictimisation(v, w, k_years=0, **_kw())
    with pytest.raises(ValueError, match="level"):
        revictimisation(v, w, level=95, **_kw())
    with pytest.raises(DataError, match="not found"):
        revictimisation("/nonexistent/victims.csv", w, **_kw())


def test_cli_bad_input_one_line_exit_2(tmp_path):
    v, w = hand_example()
    w.loc[0, "date"] = "2030-01-01"
    v.to_csv(tmp_path / "v.csv", index=False)
    w.to_csv(tmp_path / "w.csv", index=False)
    r = CliRunner().invoke(app, ["revictimisation", str(tmp_path / "v.csv"), str(tmp_path / "w.csv"),
                                 "--end-of-followup", "2020-12-31", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "after the end of follow-up" in r.output
    assert not (tmp_path / "o").exists()


def test_empty_later_register_and_ids_as_numbers_or_text(tmp_path):
    v, w = hand_example()
    w.iloc[:0].to_csv(tmp_path / "later.csv", index=False)  # nobody re-victimised: header only
    res = revictimisation(v, tmp_path / "later.csv", **_kw())
    assert res.table["offence"].tolist() == ["any"] * 3 and (res.table["cumulative"].fillna(0) == 0).all()
    assert res.first_offence.empty and res.curve.empty
    # ids 1..6 as numbers in one register and as text in the other are the same persons
    v2 = v.assign(person_id=range(1, 7))
    w2 = w.assign(person_id=w["person_id"].str[1:])
    a = revictimisation(v2, w2, **_kw()).table
    pd.testing.assert_frame_equal(a, revictimisation(v, w, **_kw()).table)


def test_later_register_ending_well_before_the_end_of_followup_is_noted():
    # the hand example's last later victimisation is p4's, 100 days before the end of follow-up 2020-12-31
    v, w = hand_example()
    last = _day(100)
    assert max(w["date"]) == last

    def gap_notes(res):
        return [n for n in res.notes if "later register's last date" in n]

    notes = gap_notes(revictimisation(v, w, **_kw()))
    assert notes == [
        f"the later register's last date is {last}, before the end of follow-up 2020-12-31 (100 days later): if "
        f"the register was closed at {last}, give --end-of-followup {last}, otherwise persons look event-free where "
        "nobody looked"
    ]
    # within 90 days: no note; with the register's own end as the end of follow-up: no note
    assert not gap_notes(revictimisation(v, w, end_of_followup=_day(15)))
    assert not gap_notes(revictimisation(v, w, end_of_followup=last))
    # a per-person end of follow-up: the latest end counts, the advice names the column
    v["end_of_followup"] = "2020-12-31"
    res = revictimisation(v, w)
    assert len(gap_notes(res)) == 1 and "column 'end_of_followup'" in gap_notes(res)[0]


def test_notes_use_the_singular_for_one():
    v, w = hand_example()
    w = w[w["date"] != w.loc[w["person_id"] == "p5", "date"].min()]  # p5 keeps only the registration-day record
    extra = pd.DataFrame({"person_id": ["zz", "p6", "p6"], "date": ["2019-06-01", _day(2400), _day(2400)],
                          "offence": ["violence", "violence", "property"]})
    res = revictimisation(v, pd.concat([w, extra], ignore_index=True), k_years=1, end_of_followup=_day(0))
    text = " | ".join(res.notes)
    assert "1 row of the later-victimisation register (1 person, e.g. 'zz') is of a person not in the victim " \
           "register; it was left out" in text
    assert "1 later victimisation dated on or before the person's first registration was not counted" in text
    assert "1 person had later victimisations of several kinds on the day of their first one" in text
    assert "follow-up shorter than 1 year for 17% of persons: the estimate at 1 year relies on the 4 persons" in text
    assert "(re-victimised within 1 year ÷ persons) counts the 1 person censored earlier" in text
    assert not re.search(r"\b1 (rows|persons|years|later victimisations)\b", text), text
    sim = simulate_revictimisation(60, seed=1)
    sim.victims["name"] = [f"N{i}" for i in range(60)]
    res = revictimisation(sim.victims, sim.later, end_of_followup=sim.end_of_followup)
    assert any(n.startswith("column 'name' of the victim register was not used as a covariate (more than 20 levels)")
               for n in res.notes), res.notes
    from darkfigure.report import explain

    assert {explain(n).key for n in res.notes} & {"unknown"} == set()
