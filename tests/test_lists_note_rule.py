"""The note "lists taken to be the 0/1 columns ..." only where the lists found may be wrong (s24 fresh clone, L4:
every run on 0/1 list columns printed it, the bundled demo dataset too).

The rule: a bundled dataset's lists are its documented 0/1 columns (no note); in other data the note is given when
a column taken as a list has a name that reads like a property of the person, or a column coded 1/2 was read as a
covariate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure import datasets
from darkfigure._list_names import auto_lists_notes, name_reads_like_covariate
from darkfigure.histories import CaptureHistories
from darkfigure.io import read_histories

NOTE = "lists taken to be the 0/1 columns"


def _persons(extra: dict | None = None, n: int = 800, seed: int = 5) -> pd.DataFrame:
    """Person rows on three lists (each seen by at least one), with `extra` columns of generated values."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 3)) < 0.35
    x = x[x.any(axis=1)]
    d = pd.DataFrame(x.astype(int), columns=["police", "ngo", "inspect"])
    for name, make in (extra or {}).items():
        d[name] = make(rng, len(d))
    return d


@pytest.mark.parametrize("name", datasets.names())
def test_no_note_on_a_bundled_dataset(name):
    h = read_histories(name, missing="keep")
    assert not any(NOTE in n for n in h.notes), h.notes
    assert h.lists == datasets.list_columns(name) == datasets.load(name).lists
    # the same lists and covariates as read without naming them
    auto = CaptureHistories.from_frame(datasets.load_frame(name))
    assert (auto.lists, auto.covariates) == (h.lists, h.covariates)


def test_demo_estimate_prints_no_lists_note(cli):
    out = cli(["estimate", "netherlands_2010_2015", "--ci", "none", "--search", "none"], code=0)
    assert NOTE not in " ".join(out.split()), out


def test_no_note_when_no_list_name_could_be_a_covariate():
    h = read_histories(_persons())
    assert h.lists == ("police", "ngo", "inspect")
    assert not any(NOTE in n for n in h.notes), h.notes


def test_note_when_a_list_name_reads_like_a_covariate():
    d = _persons({"nationality_eu": lambda rng, n: (rng.random(n) < 0.4).astype(int)})
    h = read_histories(d)
    assert "nationality_eu" in h.lists
    (note,) = [n for n in h.notes if NOTE in n]
    assert "nationality_eu reads like a property of the person" in note and "--lists" in note
    assert "police" not in note.split(";", 1)[1]  # only the suspect column is named as one
    # named lists: nothing guessed, nothing said
    named = read_histories(d, lists=["police", "ngo", "inspect"], covariates=["nationality_eu"])
    assert not any(NOTE in n for n in named.notes)


def test_note_for_a_list_coded_1_2_read_as_a_covariate():
    d = _persons({"L4": lambda rng, n: np.where(np.arange(n) % 3 == 0, 1, 2)})
    (note,) = [n for n in read_histories(d).notes if NOTE in n]
    assert "L4 coded 1/2 were read as covariates" in note
    assert "property of the person" not in note


@pytest.mark.parametrize(("name", "reads"), [
    ("sex_m", True), ("isMinor", True), ("nationality_eu", True), ("age18plus", True), ("FemaleVictim", True),
    ("foreign-born", True), ("police", False), ("ngo", False), ("EXH", False), ("S1", False), ("PFNCA", False),
    ("sexual_exploitation_unit", False), ("coordinators", False), ("manpower", False),
])
def test_name_rule(name, reads):
    assert name_reads_like_covariate(name) is reads


def test_auto_lists_notes_none_for_plain_list_names():
    assert auto_lists_notes(["police", "ngo", "A", "S1"]) == []
    assert len(auto_lists_notes(["police", "ngo", "is_adult"])) == 1
