"""`darkfigure demo`: registrations → linkage → estimates → monitor → report, end to end."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.demo import demo_data as darkfigure_demo_data


@pytest.mark.slow
def test_demo_end_to_end(tmp_path):
    out = tmp_path / "demo"
    r = CliRunner().invoke(app, ["demo", "--out", str(out), "--reps", "50", "--seed", "3", "--jobs", "1"])
    assert r.exit_code == 0, r.output
    report = out / "report.html"
    assert report.exists() and report.stat().st_size < 5_000_000
    assert str(report.resolve()) in r.output.replace("\n", "")
    for f in ("links.csv", "persons.csv", "histories.csv", "linkage_quality.csv", "monitor.csv",
              "monitor_published.csv", "estimates.csv", "result.json", "revictimisation.csv"):
        assert (out / f).exists(), f
    q = pd.read_csv(out / "linkage_quality.csv").iloc[0]
    assert q["precision"] >= 0.95 and q["recall"] >= 0.95
    # N̂ near the simulated truth (8,200 victims, 2022-2024); missed links (recall < 1) push it up a little
    m = pd.read_csv(out / "monitor.csv", keep_default_na=False)
    tot = m[(m["group"] == "total") & (m["year"].astype(str) == "")].iloc[0]
    assert abs(float(tot["nhat"]) / 8200 - 1) < 0.1
    # the histories keep the registrations' spelling of sex (female/male, not f/m), and the monitor's groups
    # (pairs named sex:age) are the truth's, so each row can be set beside its true N
    persons = pd.read_csv(out / "persons.csv", keep_default_na=False)
    assert set(persons["sex"]) - {""} == {"female", "male"}
    truth = pd.read_csv(darkfigure_demo_data() / "truth.csv", keep_default_na=False)
    rows = m[m["group"] != "year"]
    assert rows["group"].str.contains(":").any() and set(rows["group"]) <= set(truth["group"])
    key = set(zip(truth["group"], truth["level"].astype(str), truth["year"].astype(str)))
    assert all((g, str(lv), str(y)) in key for g, lv, y in zip(rows["group"], rows["level"], rows["year"]))
    assert "8,200" in r.output
    # the linkage correction beside the truth: N̂ as linked, from the true links, corrected with its interval
    assert "N̂ corrected for linkage error" in r.output and "(true links)" in r.output
    # the interval labelled as estimate labels it, and the run's advice on publishing (tester 8, F10)
    flat = " ".join(r.output.split())
    assert "conditional on the chosen model; with linkage uncertainty" in flat and "to publish: " in flat
    # the legend beneath the table: what N̂ and the rows' words are, and the re-victimised interval (s23)
    assert "N̂ intervals in brackets: 95% parametric-bootstrap interval;" in flat
    assert "N̂: estimated number of persons, registered or not; as linked: before the linkage correction" in flat
    assert "re-victimised: 95% Kaplan–Meier interval" in flat
    import json

    lk = json.loads((out / "result.json").read_text())["linkage"]
    assert lk["lower"] < lk["nhat_corrected"] < lk["upper"] and lk["draws"] >= 10
    html = report.read_text(encoding="utf-8")
    for section in ("Record linkage", "Repeat victimisation", "Yearly trend", "SDG"):
        assert section in html, section


def test_demo_data_is_bundled():
    from darkfigure.demo import demo_data

    d = demo_data()
    assert len(list((d / "registrations").glob("*.csv"))) == 6
    regs = pd.concat(pd.read_csv(f) for f in (d / "registrations").glob("*.csv"))
    assert {"record_id", "organisation", "registration_date", "first_name", "surname", "date_of_birth"} <= set(regs.columns)
    assert (d / "population.csv").exists() and (d / "revictimisation" / "victims.csv").exists()


def test_demo_folds_the_warnings_of_its_own_settings_into_one_note():
    # the real warnings: too few replicates (interval_kind), subgroup rows narrower than as linked (estimate)
    # and the monitor's rows widened to the union (tester report 10, F11)
    from types import SimpleNamespace

    from darkfigure.demo import LINKAGE_DRAWS, LINKAGE_REPS, demo_warnings
    from darkfigure.monitoring.linkage_rows import widen_rows as _widen_rows
    from darkfigure.pipeline.extras import _narrower_subgroups
    from darkfigure.pipeline.interval import interval_kind

    _, few = interval_kind("parametric", False, 200)
    assert len(few) == 1 and "lie beyond each end" in few[0]
    est = pd.DataFrame({"group": ["total", "sex", "sex"], "level": ["", "f", "m"], "lower": [90.0, 40, 41],
                        "upper": [110.0, 60, 70], "lower_as_linked": [90.0, 38, 40],
                        "upper_as_linked": [110.0, 62, 69]})
    sub = _narrower_subgroups(est, LINKAGE_DRAWS, LINKAGE_REPS)
    assert sub is not None and "in 1 of 2 subgroup rows" in sub
    table = pd.DataFrame({"group": ["total", "total", "sex"], "level": ["", "", "f"], "year": ["", "2020", ""],
                          "nhat": [100.0, 50, 50],
                          "lower": [90.0, 40, 40], "upper": [110.0, 60, 60], "visibility_lower": [0.5, 0.5, 0.5],
                          "visibility_upper": [0.6, 0.6, 0.6]})
    as_linked = table.assign(lower=[85.0, 38, 41], upper=[115.0, 62, 59])
    holder = SimpleNamespace(warnings=[])
    _widen_rows(SimpleNamespace(table=table), as_linked, holder)
    assert len(holder.warnings) == 1 and "in 2 of 3 rows" in holder.warnings[0]
    other = "31 person(s) had unknown covariate values"
    out = demo_warnings([other, *few, sub, *holder.warnings], 200)
    assert out[0] == other and len(out) == 2
    note = out[1]
    assert note.startswith("demo: 200 bootstrap replicates and 10 linkage draws x 20 replicates are deliberately few")
    assert "rough" in note and "in 2 of 3 rows" in note and "--reps 1000" in note
    # nothing to fold: the warnings as they are
    assert demo_warnings([other], 200) == [other]
    # fewer replicates than 200 give the other wording of the same warning
    _, few50 = interval_kind("parametric", False, 50)
    assert demo_warnings(few50, 50)[0].startswith("demo: 50 bootstrap replicates")
