"""Group names of the long tables: a pair of covariates is ``sex:age`` (tester F26; was ``sexxage``).

Old run folders (``sexxage``) still report: the name is read back where it splits one way only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.group_names import group_name, modernise_group_names, split_group_name
from darkfigure.histories import CaptureHistories, DataError
from darkfigure.monitoring import monitor
from darkfigure.monitoring.disclosure import relations, suppress
from darkfigure.scenario import Scenario, ScenarioError
from darkfigure.simulation import simulate

runner = CliRunner()

SCENARIO = {
    "name": "pairs",
    "years": [2020, 2021],
    "year_column": "year",
    "population": {"size": [1500, 1600]},
    "covariates": {
        "sex": {"levels": ["female", "male"], "probabilities": [0.6, 0.4]},
        "age": {"levels": ["adult", "minor"], "probabilities": [0.85, 0.15]},
    },
    "lists": {
        "A": {"baseline": 0.25, "effects": {"sex": {"male": -0.5}}},
        "B": {"baseline": 0.2},
        "C": {"baseline": 0.15, "effects": {"age": {"minor": 0.6}}},
    },
}


def test_group_name_joins_with_a_colon():
    assert group_name(()) == "total"
    assert group_name(("sex",)) == "sex"
    assert group_name(("sex", "age")) == "sex:age"
    assert group_name(("sex", "age", "year")) == "sex:age:year"


def test_split_reads_new_and_unambiguous_old_names():
    covs = {"sex", "age", "year"}
    assert split_group_name("total", covs) == ()
    assert split_group_name("sex", covs) == ("sex",)
    assert split_group_name("sex:age", covs) == ("sex", "age")
    assert split_group_name("sexxage", covs) == ("sex", "age")
    assert split_group_name("sexxagexyear", covs, 3) == ("sex", "age", "year")
    assert split_group_name("sexxage", covs, 3) is None  # the levels say three covariates
    assert split_group_name("sex:height", covs) is None  # not a covariate of the table
    # covariates named "sexx" and "xage" make "sexxxage" ambiguous (sex x xage, sexx x age): not guessed
    assert split_group_name("sexxxage", {"sex", "sexx", "age", "xage"}) is None
    assert split_group_name("sexxage", {"sex", "sexx", "age", "xage"}) == ("sex", "age")
    assert split_group_name("sexxage", {"sexx", "age"}) is None  # "sexx" + "age" would need "sexxxage"
    assert split_group_name("sexxxage", {"sexx", "age"}) == ("sexx", "age")


def test_modernise_renames_only_pairs_that_split_one_way():
    t = pd.DataFrame({
        "group": ["total", "sex", "sex", "age", "age", "sexxage", "sexxage", "sexx", "sexxxage"],
        "level": ["", "f", "m", "a", "m", "f:a", "m:m", "1", "1:a"],
    })
    g = modernise_group_names(t["group"], t["level"])
    assert g.tolist() == ["total", "sex", "sex", "age", "age", "sex:age", "sex:age", "sexx", "sexx:age"]
    amb = pd.DataFrame({"group": ["sex", "sexx", "age", "xage", "sexxxage"], "level": ["f", "1", "a", "b", "f:a"]})
    assert modernise_group_names(amb["group"], amb["level"]).tolist() == amb["group"].tolist()


def _toy_monitor_table() -> pd.DataFrame:
    rows = [("total", "", "", 60)]
    cells = {("f", "a"): 20, ("f", "m"): 4, ("m", "a"): 30, ("m", "m"): 6}
    for s in ("f", "m"):
        rows.append(("sex", s, "", sum(v for (a, _), v in cells.items() if a == s)))
    for a in ("a", "m"):
        rows.append(("age", a, "", sum(v for (_, b), v in cells.items() if b == a)))
    rows += [("sex:age", f"{s}:{a}", "", v) for (s, a), v in cells.items()]
    return pd.DataFrame(rows, columns=["group", "level", "year", "observed"])


def test_disclosure_relations_read_old_and_new_pair_names_alike():
    new = _toy_monitor_table()
    old = new.assign(group=new["group"].str.replace("sex:age", "sexxage", regex=False))
    rel = relations(new)
    assert any(len(ch) == 2 and all(new.loc[c, "group"] == "sex:age" for c in ch) for _, ch in rel)
    assert relations(old) == rel
    np.testing.assert_array_equal(suppress(old, 10), suppress(new, 10))
    assert (suppress(new, 10) > 0).sum() >= 2  # the small cells and their partners: the check can fail


def test_simulated_truth_and_monitor_name_pairs_with_a_colon(tmp_path):
    sim = simulate(SCENARIO, seed=4)
    assert "sex:age" in set(sim.truth["group"]) and not sim.truth["group"].str.contains("xage").any()
    mon = monitor(sim.histories, year="year", reps=20, seed=1, n_jobs=1, suppress_below=30)
    t = mon.table
    pair = t[(t["group"] == "sex:age") & (t["year"] == "")]
    assert len(pair) == 4 and (pair["level"].str.count(":") == 1).all()
    # the truth and the monitor share the group names
    assert set(t["group"]) <= set(sim.truth["group"]) | {"year"}
    run = tmp_path / "run"
    mon.write(run)
    assert "sex:age" in set(pd.read_csv(run / "monitor_published.csv", dtype=str, keep_default_na=False)["group"])


def test_old_run_folder_with_sexxage_still_reports(tmp_path):
    """A monitor folder written before the ':' names (``sexxage``) reports as before, the pairs renamed."""
    sim = simulate(SCENARIO, seed=4)
    run = tmp_path / "old"
    monitor(sim.histories, year="year", reps=20, seed=1, n_jobs=1, suppress_below=30).write(run)
    for name in ("monitor.csv", "monitor_published.csv"):
        p = run / name
        p.write_text(p.read_text(encoding="utf-8").replace("sex:age", "sexxage"), encoding="utf-8")
        assert "sexxage" in p.read_text(encoding="utf-8")
    # the edited files no longer match the checksums of the folder's manifest; a folder that old has none
    (run / ".darkfigure-outputs.json").unlink(missing_ok=True)
    for args in (["report", str(run)], ["report", str(run), "--audience", "public"]):
        r = runner.invoke(app, args)
        assert r.exit_code == 0, r.output
    page = (run / "report.html").read_text(encoding="utf-8")
    assert "sex:age" in page and "sexxage" not in page


def test_colon_in_a_covariate_name_is_refused_where_covariates_are_declared():
    df = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "sex:age": ["x", "y", "x"], "count": [3, 4, 5]})
    with pytest.raises(DataError, match=r"'sex:age' contains ':'.*pair.*rename the column \(e.g. 'sex_age'\)"):
        CaptureHistories.from_table(df, lists=["A", "B"])
    with pytest.raises(DataError, match=r"covariate column name 'sex:age' contains ':'"):
        CaptureHistories(("A", "B"), ("sex:age",), {"sex:age": ("x", "y")}, df)
    bad = {**SCENARIO, "covariates": {"sex:age": SCENARIO["covariates"]["sex"]},
           "lists": {k: {"baseline": 0.2} for k in "ABC"}}
    with pytest.raises(ScenarioError, match=r"'sex:age' contains ':'.*rename it in the scenario"):
        Scenario.from_dict(bad)


def test_bundled_demo_truth_uses_colon_pairs():
    import darkfigure

    truth = pd.read_csv(Path(darkfigure.__file__).parent / "demo_data" / "truth.csv", keep_default_na=False)
    pairs = truth[truth["level"].str.contains(":")]
    assert len(pairs) > 0 and pairs["group"].str.count(":").eq(1).all()
    covs = set(truth.loc[(truth["group"] != "total") & ~truth["level"].str.contains(":"), "group"])
    assert all(set(g.split(":")) <= covs for g in pairs["group"])
