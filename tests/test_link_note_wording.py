"""link's notes read right by a statistician who does not know the code (s24 fresh clone, L4): the rule of the
undated-clustering check said as a rule beside the verdict, and the note on untrained u levels kept out of the
terminal (it asks nothing of the user) but in linkage_settings.json, in plain words."""

from __future__ import annotations

import json

from darkfigure.linkage import simulate_registrations
from darkfigure.linkage.splink_levels import unobserved_u_notes
from darkfigure.linkage.undated_mechanism import R_WARNING, SHARE_WARNING, Z_WARNING, undated_clustering_messages


def _check(ratio: float, z: float, share: float) -> dict:
    return {"ratio": ratio, "z": z, "se": 0.38, "expected": 6.6, "pairs": 2455, "undated_pairs": 6,
            "undated_share": share}


def test_undated_rule_is_said_as_a_rule_not_as_a_finding():
    warned, notes = undated_clustering_messages(_check(0.91, -0.2, 0.06))
    assert warned == [] and len(notes) == 1
    note = notes[0]
    # the s24 wording put the rule's conclusion last, beside R = 0.91, as if it were the finding
    assert not note.rstrip(")").endswith("missing dates cluster in persons"), note
    assert (f"The rule: missing dates are said to cluster in persons when R is above {R_WARNING}, z above "
            f"{Z_WARNING:.0f} and at least {SHARE_WARNING:.0%} of the named registrations undated (here 6%); "
            "not met here") in note
    assert "R = 0.91" in note


def test_undated_rule_met_points_to_the_warning():
    warned, notes = undated_clustering_messages(_check(2.0, 5.0, 0.2))
    assert len(warned) == 1 and "cluster in persons" in warned[0]
    assert notes[0].endswith("(here 20%); met here: see the warning"), notes[0]


def test_unobserved_u_note_in_plain_words():
    assert unobserved_u_notes([], 1000.0) == []
    (note,) = unobserved_u_notes(["name: both one edit", "date_of_birth: one from an age, same year"], 2e6)
    assert "none of the 2,000,000 random pairs of registrations showed" in note
    assert "how often different persons agree by chance" in note
    assert "name: both one edit; date_of_birth: one from an age, same year" in note
    assert "once in 2,000,000 pairs of different persons" in note
    assert "set to 1 / random pairs" not in note


def test_link_keeps_the_u_note_in_the_settings_file_not_on_the_terminal(tmp_path, monkeypatch, cli):
    import importlib

    link_module = importlib.import_module("darkfigure.linkage.link")  # the module: the package's `link` is the function
    real = link_module.fill_unobserved_u

    def filled(linker, n_pairs):  # whatever levels these small files leave untrained, one is named for sure
        return [*real(linker, n_pairs), "name: a level for this test"]

    monkeypatch.setattr(link_module, "fill_unobserved_u", filled)
    files = simulate_registrations("clearing_house", seed=3, scale=0.02).files()
    paths = []
    for name in ("police", "shelters"):
        paths.append(tmp_path / f"{name}.csv")
        files[name].to_csv(paths[-1], index=False)
    out = cli(["link", *paths, "--out", tmp_path / "link"], code=0)
    flat = " ".join(out.split())
    assert "random pairs" not in flat and "a level for this test" not in flat, out
    settings = json.loads((tmp_path / "link" / "linkage_settings.json").read_text(encoding="utf-8"))
    assert not any("a level for this test" in n for n in settings["notes"])
    (note,) = settings["model_notes"]
    assert "name: a level for this test" in note and "random pairs of registrations showed" in note
