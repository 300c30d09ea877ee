"""darkfigure link: organisation spellings, organisations without usable names, empty files (tester report 6:
H3, M7, M8). Small synthetic registrations keep these fast."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.linkage import link, read_registration_files, simulate_registrations
from darkfigure.linkage.registrations import RegistrationError, unify_organisations

FAST = {"max_pairs": 1e5, "seed": 0, "weights": False}
TODAY = date(2030, 1, 1)


@pytest.fixture(scope="module")
def files():
    sim = simulate_registrations("clearing_house", seed=7, scale=0.03)
    return {k: v.copy() for k, v in sim.files().items()}


def _three(files):
    """Three organisations' files (copies)."""
    return [files[k].copy() for k in ("police", "kmar", "shelters")]


# ------------------------------------------------------------------ H3: one organisation, several spellings
def test_case_space_accent_spellings_are_one_organisation(files):
    police, kmar, shelters = _three(files)
    idx = police.index
    police.loc[idx[::4], "organisation"] = "POLICE"
    police.loc[idx[1::4], "organisation"] = " Políce "
    kmar.loc[kmar.index[:2], "organisation"] = "KMAR"
    frames = read_registration_files([police, kmar, shelters], today=TODAY)
    orgs = pd.concat([f["organisation"] for f in frames])
    assert set(orgs) == {"police", "kmar", "shelters"}  # the commonest spelling of each
    notes = frames[0].attrs["set_notes"]
    said = " ".join(notes)
    assert "'POLICE'" in said and "'Políce'" in said and "'police'" in said and "'KMAR'" in said
    assert frames[0].attrs["set_warnings"] == []  # merged, nothing left to warn about


def test_look_alike_organisations_in_one_file_warn_with_counts(files):
    police, kmar, shelters = _three(files)
    idx = police.index
    police.loc[idx[::3], "organisation"] = "Politie"
    police.loc[idx[1::6], "organisation"] = "POLICE"
    frames = read_registration_files([police, kmar, shelters], today=TODAY)
    warnings = frames[0].attrs["set_warnings"]
    assert len(warnings) == 1
    w = warnings[0]
    n_politie = len(idx[::3])
    assert "'Politie'" in w and f"{n_politie:,} registration" in w and "'police'" in w
    assert "organisation" in w and "run link again" in w and "--rename-organisations 'Politie=police" in w
    # kmar and shelters do not look like police
    assert "kmar" not in w and "shelters" not in w


def test_file_with_several_unrelated_organisations_warns(files):
    police, kmar, shelters = _three(files)
    combined = pd.concat([police, kmar], ignore_index=True)
    frames = read_registration_files([combined, shelters], today=TODAY)
    w = " ".join(frames[0].attrs["set_warnings"])
    assert "registrations #1 holds 2 organisations" in w and f"'kmar' ({len(kmar):,})" in w


def test_look_alike_rule():
    from darkfigure.linkage.registrations import _look_alike

    assert _look_alike("police", "politie") and _look_alike("police", "police nl") and _look_alike("kmar", "k mar")
    assert not _look_alike("police", "kmar") and not _look_alike("org1", "org2") and not _look_alike("a", "b")
    assert not _look_alike("inspectorate", "coordinators") and not _look_alike("shelters", "fairwork")


def test_unify_organisations_leaves_distinct_names_alone(files):
    frames = [f.copy() for f in _three(files)]
    for i, f in enumerate(frames):
        f.attrs["source"] = f"f{i}"
    notes, warnings = unify_organisations(frames)
    assert notes == [] and warnings == []
    assert [f["organisation"].iloc[0] for f in frames] == ["police", "kmar", "shelters"]


def test_link_merges_capitalised_organisation_and_warns_about_variant(files, tmp_path):
    police, kmar, shelters = _three(files)
    police.loc[police.index[::3], "organisation"] = "POLICE"
    police.loc[police.index[1::4], "organisation"] = "Politie"
    res = link([police, kmar, shelters], **FAST)
    assert len(res.lists) == 4 and "POLICE" not in res.lists  # police, Politie, kmar, shelters: never 'POLICE'
    assert any("'POLICE'" in n for n in res.notes)
    assert any("'Politie'" in w for w in res.warnings)
    res.write(tmp_path / "lk", plot=False)
    settings = json.loads((tmp_path / "lk" / "linkage_settings.json").read_text())
    assert any("'Politie'" in w for w in settings["warnings"])


def test_rename_organisations_maps_a_variant_and_refuses_unknown_names(files, tmp_path):
    police, kmar, shelters = _three(files)
    police.loc[police.index[::3], "organisation"] = "Politie"
    frames = read_registration_files([police, kmar, shelters], today=TODAY,
                                     rename_organisations={"Politie": "police"})
    assert set(frames[0]["organisation"]) == {"police"} and frames[0].attrs["set_warnings"] == []
    assert any("'Politie' renamed 'police'" in n for n in frames[0].attrs["set_notes"])
    with pytest.raises(RegistrationError, match=r"'Polizei'.*in no registration file.*'Politie'"):
        read_registration_files([police, kmar, shelters], today=TODAY, rename_organisations={"Polizei": "police"})
    paths = []
    for name, f in (("police.csv", police), ("kmar.csv", kmar)):
        f.to_csv(tmp_path / name, index=False)
        paths.append(str(tmp_path / name))
    r = CliRunner().invoke(app, ["link", *paths, "--out", str(tmp_path / "o"), "--rename-organisations", "Politie"])
    assert r.exit_code == 2 and "OLD=NEW" in r.output and not (tmp_path / "o").exists()


def test_record_ids_shared_by_two_organisations_get_a_note(files):
    police, kmar, shelters = _three(files)
    shelters.loc[shelters.index[:2], "record_id"] = police["record_id"].iloc[:2].to_numpy()
    frames = read_registration_files([police, kmar, shelters], today=TODAY)
    said = " ".join(frames[0].attrs["set_notes"])
    assert "2 record_id(s) are used by more than one organisation" in said and "'police', 'shelters'" in said
    assert " ".join(read_registration_files([police, kmar], today=TODAY)[0].attrs["set_notes"]) == ""


# ------------------------------------------------------------------ M7: an organisation without usable names
def test_organisation_without_usable_names_warns_in_terminal_and_settings(files, tmp_path):
    police, kmar, shelters = _three(files)
    police["first_name"] = "🙂"
    police["surname"] = "#?!"
    paths = []
    for f in (kmar, shelters, police):
        p = tmp_path / f"{f['organisation'].iloc[0]}.csv"
        f.to_csv(p, index=False)
        paths.append(str(p))
    out = tmp_path / "lk"
    r = CliRunner().invoke(app, ["link", *paths, "--out", str(out), "--max-pairs", "100000"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "warning:" in text and f"'police': {len(police):,} of its {len(police):,} registrations (100%)" in text
    assert "date of birth" in text
    settings = json.loads((out / "linkage_settings.json").read_text())
    assert any("'police'" in w and "(100%)" in w for w in settings["warnings"])
    by_org = settings["names_unusable_by_organisation"]
    assert by_org["police"]["share"] == pytest.approx(1.0) and by_org["police"]["given_without_letters"] == len(police)
    assert by_org["kmar"]["without_names"] == 0
    # and in the report of the link folder: the linkage section and the warnings list
    from darkfigure.report import build_report

    page = build_report(out, tmp_path / "report.html").read_text(encoding="utf-8")
    linkage = page[page.index('<section id="linkage">'):]
    linkage = linkage[:linkage.index("</section>")]
    assert "have no usable name" in linkage and "police" in linkage
    assert 'data-kind="link-no-usable-names"' in page


def test_few_unusable_names_stay_a_note(files):
    police, kmar, shelters = _three(files)
    police.loc[police.index[:2], ["first_name", "surname"]] = "###"
    res = link([police, kmar, shelters], **FAST)
    assert not any("usable name" in w for w in res.warnings)
    assert any("no letters" in n for n in res.notes)
    t = res.nameless.set_index("organisation")
    assert t.loc["police", "without_names"] == 2


# ------------------------------------------------------------------ M8: a file with a header but no rows
def test_header_only_file_says_to_leave_it_out(files, tmp_path):
    police, kmar, _ = _three(files)
    paths = []
    for name, f in (("police.csv", police), ("kmar.csv", kmar), ("empty_org.csv", kmar.iloc[:0])):
        f.to_csv(tmp_path / name, index=False)
        paths.append(tmp_path / name)
    with pytest.raises(RegistrationError, match=r"empty_org\.csv.*no rows.*leave (it|the file) out"):
        read_registration_files(paths, today=TODAY)
    r = CliRunner().invoke(app, ["link", *map(str, paths), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "empty_org.csv" in r.output and "leave" in r.output


def test_nameless_table_and_threshold_on_pseudonymised_columns():
    from darkfigure.linkage.prepare import _nameless_by_organisation, _nameless_warnings

    df = pd.DataFrame({"organisation": ["a"] * 4 + ["b"] * 5})
    prep = pd.DataFrame({"tok_first_name": [None, None, "x", "y", None, "x", "x", "x", "x"],
                         "tok_surname": [None, None, None, "y", None, "x", "x", "x", "x"]})
    t = _nameless_by_organisation(df, prep, ("tok_first_name", "tok_surname")).set_index("organisation")
    assert t.loc["a", "without_names"] == 2 and t.loc["b", "without_names"] == 1
    assert t["given_without_letters"].sum() == 0  # no clear names in a pseudonymised file
    said = _nameless_warnings(t.reset_index())
    assert len(said) == 2 and "'a': 2 of its 4 registrations (50%)" in said[0] and "(20%)" in said[1]


@pytest.mark.parametrize("name, why", [("police+kmar", "contains '+'"), ("A:B", "contains ':'"),
                                       ("Freq", "word of the model formulas")])
def test_organisation_names_that_break_model_terms_are_refused_before_linking(files, name, why):
    # tester 9, F17: such a name became a list name that `estimate` refuses, after the whole linkage
    police, kmar, shelters = _three(files)
    police["organisation"] = name
    import re

    with pytest.raises(RegistrationError, match=re.escape(why) + ".*--rename-organisations"):
        read_registration_files([police, kmar, shelters], today=TODAY)
    ok = read_registration_files([police, kmar, shelters], today=TODAY, rename_organisations={name: "police_kmar"})
    assert set(ok[0]["organisation"]) == {"police_kmar"}
