"""The check whether missing dates cluster in persons, where it cannot be made, and as a structured field
(review s17, items 1-2). Synthetic prepared registrations only; no Splink.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
