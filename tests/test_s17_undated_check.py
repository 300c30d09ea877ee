"""The check whether missing dates cluster in persons, where it cannot be made, and as a structured field
(review s17, items 1-2). Synthetic prepared registrations only; no Splink.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage.date_conflicts import model_checks
from darkfigure.linkage.undated_mechanism import undated_clustering

ERRORS = pd.DataFrame({"organisation_l": ["a"], "organisation_r": ["b"], "false_links": [0.0], "missed_links": [0.0]})


def _prep(undated, names: int = 5, persons: int = 60, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Persons registered by organisations a and b, names from `names` first names (so namesakes of different
    organisations; `names=0`: every person a name of their own); `undated(org, person)` -> bool."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(persons):
        fn = f"f{rng.integers(0, names)}" if names else f"f{i}"
        for o in ("a", "b"):
            rows.append((fn, "s", "M", "n", o, 18628 + i, np.nan if undated(o, i) else 5000.0 + i, i))
    d = pd.DataFrame(rows, columns=["fn", "sn", "sex", "nat", "org", "reg_day", "dob_day", "person"])
    return d.drop(columns=["person"]), d["person"].to_numpy()


def _notes(prep, person):
    """The notes and warnings of model_checks about the clustering check."""
    warned, notes = model_checks(prep, person, ERRORS, None)
    return [w for w in warned if "cluster in persons" in w], [n for n in notes if "dates of birth" in n
                                                             and ("undated" in n or "cluster" in n)]


def test_every_registration_undated_says_the_check_could_not_be_made():
    prep, person = _prep(lambda o, i: True)
    c = undated_clustering(prep)
    assert c["pairs"] > 0 and c["undated_share"] == 1.0  # the case that printed "s.e. 0.00, z nan"
    warned, notes = _notes(prep, person)
    assert not warned
    assert len(notes) == 1 and "could not be checked" in notes[0] and "every named registration lacks" in notes[0]
    assert "nan" not in notes[0] and "s.e. 0.00" not in notes[0]


def test_no_namesake_pairs_says_so():
    prep, person = _prep(lambda o, i: i % 3 == 0, names=0)
    prep["sn"] = [f"s{k}" for k in range(len(prep))]  # no two registrations share a name
    assert undated_clustering(prep)["pairs"] == 0
    _, notes = _notes(prep, person)
    assert len(notes) == 1 and "could not be checked" in notes[0] and "no two named registrations" in notes[0]


def test_organisations_all_or_none_undated_say_so():
    prep, person = _prep(lambda o, i: o == "a")  # a: no dates at all; b: every date
    c = undated_clustering(prep)
    assert c["expected"] == 0 or not np.isfinite(c["z"])
    _, notes = _notes(prep, person)
    assert len(notes) == 1 and "either all dated or all undated" in notes[0]
    assert "nan" not in notes[0]


def test_a_check_that_is_made_keeps_its_note():
    prep, person = _prep(lambda o, i: (i * 7 + (o == "a")) % 5 == 0, names=3, persons=200)
    c = undated_clustering(prep)
    assert np.isfinite(c["z"]) and c["se"] > 0
    _, notes = _notes(prep, person)
    assert len(notes) == 1 and "pairs both undated, R = " in notes[0]


# ----------------------------------------------------------------------------- item 1: a structured field
def test_model_checks_fill_the_structured_field():
    from darkfigure.linkage.undated_mechanism import R_WARNING

    prep, person = _prep(lambda o, i: (i * 7 + (o == "a")) % 5 == 0, names=3, persons=200)
    found: dict = {}
    model_checks(prep, person, ERRORS, None, found=found)
    f, c = found["undated_clustering"], undated_clustering(prep)
    assert f["ratio"] == pytest.approx(c["ratio"]) and f["se"] == pytest.approx(c["se"])
    assert f["z"] == pytest.approx(c["z"]) and f["undated_share"] == pytest.approx(c["undated_share"])
    assert f["pairs"] == c["pairs"] and f["warned"] is False and f["not_made"] is None
    assert f["ratio_warning"] == R_WARNING
    # a check that could not be made: no figures, the reason
    found = {}
    model_checks(*_prep(lambda o, i: True), ERRORS, None, found=found)
    f = found["undated_clustering"]
    assert f["ratio"] is None and f["se"] is None and f["z"] is None and "every named registration" in f["not_made"]
    json.dumps(f, allow_nan=False)
    # not run (pseudonymised: no prepared plaintext)
    found = {}
    model_checks(None, person, ERRORS, None, found=found)
    assert found == {"undated_clustering": None}


def test_a_warned_check_says_warned():
    rng = np.random.default_rng(4)
    trait = rng.random(400) < 0.3  # a person's trait: undated at both organisations
    prep, person = _prep(lambda o, i: bool(trait[i]), names=40, persons=400)
    found: dict = {}
    warned, _ = model_checks(prep, person, ERRORS, None, found=found)
    assert any("cluster in persons" in w for w in warned)
    assert found["undated_clustering"]["warned"] is True and found["undated_clustering"]["ratio"] > 1.3


def test_estimate_result_json_carries_the_link_folders_field(tmp_path):
    from darkfigure.estimation import estimate
    from darkfigure.linkage.uncertainty import read_link_run
    from synthetic_pairs import true_pairs, write_link_folder

    tp = true_pairs(3, 600, 50)
    from darkfigure.linkage.uncertainty import LinkRun

    folder = write_link_folder(LinkRun(tp.records, tp.pairs(0.9, 0.02), 0.5), tmp_path / "lk")
    field = {"ratio": 1.7, "se": 0.2, "z": 3.5, "undated_share": 0.12, "pairs": 400, "undated_pairs": 30,
             "warned": True, "not_made": None}
    (folder / "linkage_settings.json").write_text(json.dumps({"threshold": 0.5, "undated_clustering": field}))
    run = read_link_run(folder)
    assert run.undated_clustering == field
    h = run.histories().collapse([])
    e = estimate(h, linkage_run=run, search="none", ci="parametric", reps=50, seed=1, linkage_draws=3,
                 linkage_reps=0, n_jobs=1)
    assert e.to_dict()["linkage"]["undated_clustering"] == field
    e0 = estimate(h, linkage_run=LinkRun(run.records, run.pairs, 0.5), search="none", ci="parametric", reps=50,
                  seed=1, linkage_draws=3, linkage_reps=0, n_jobs=1)
    assert e0.to_dict()["linkage"]["undated_clustering"] is None  # not computed: null


@pytest.mark.slow
def test_link_writes_the_field_and_estimate_copies_it(tmp_path):
    from darkfigure.estimation import estimate
    from darkfigure.linkage import link
    from darkfigure.linkage.synthetic import simulate_registrations
    from darkfigure.linkage.uncertainty import read_link_run

    regs = simulate_registrations("clearing_house", seed=1, population=400).registrations
    res = link(regs.drop(columns=["true_person_id"]), seed=0, threads=1, weights=False)
    assert res.undated_clustering is not None and res.undated_clustering["pairs"] > 0
    res.write(tmp_path / "lk")
    saved = json.loads((tmp_path / "lk" / "linkage_settings.json").read_text())["undated_clustering"]
    assert saved["ratio"] == pytest.approx(res.undated_clustering["ratio"])
    assert {"ratio", "se", "z", "undated_share", "warned"} <= set(saved)
    run = read_link_run(tmp_path / "lk")
    e = estimate(run.histories().collapse([]), linkage_run=run, search="none", ci="parametric", reps=50, seed=1,
                 linkage_draws=3, linkage_reps=0, n_jobs=1)
    assert e.to_dict()["linkage"]["undated_clustering"] == saved
