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
