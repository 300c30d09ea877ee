"""Session 14's leftovers from tester report 13b (Low items L5, L6, L7, L10, L11): names in linkage errors, notebook
display of monitor and linkage results, CaptureHistories equality, the package namespace, the plaintext note."""

from __future__ import annotations

import pytest

from darkfigure.linkage import RegistrationError, link, pseudonymise, simulate_registrations


@pytest.fixture(scope="module")
def regs():
    """A small simulated clearing house (synthetic persons), one frame per organisation."""
    r = simulate_registrations(seed=1, population=200).registrations
    return [r[r["organisation"] == o].reset_index(drop=True) for o in r["organisation"].unique()[:3]]


def test_frames_with_different_keys_are_named_by_number_and_organisation(regs):
    # L5: pseudonymise's frames were all called "registrations" ("key id e711…: registrations; key id 15a6…:
    # registrations, registrations, registrations")
    frames = [pseudonymise(f, (b"k" if i == 0 else b"j") * 16) for i, f in enumerate(regs)]
    orgs = [str(f["organisation"].iloc[0]) for f in regs]
    with pytest.raises(RegistrationError, match="different keys") as e:
        link(frames)
    msg = str(e.value)
    for i, o in enumerate(orgs, start=1):
        assert f"registrations #{i} ({o})" in msg
    assert ": registrations," not in msg and ": registrations;" not in msg


@pytest.fixture(scope="module")
def mon():
    """The monitor of the bundled simulated data (Cruyff's simdat), a small bootstrap."""
    import darkfigure as dfg

    # one model, a parametric bootstrap of 20: seconds (the default search and averaged bootstrap take 15+ s here)
    return dfg.monitor("cruyff_simdat", year="Y", seed=1, reps=20, ci="parametric", search="none", progress=False)


def test_monitor_result_displays_briefly_and_round_trips_json(mon):
    # L6: no __str__, _repr_html_ or to_dict, and an 18 KB repr (the whole estimate)
    import json

    r = repr(mon)
    assert r.startswith("MonitorResult(year='Y'") and len(r) < 300
    text = str(mon)
    assert text != r and "N̂ over all years" in text and f"{mon.estimate.nhat:,.0f}" in text
    years = mon.table[(mon.table["group"] == "total") & (mon.table["year"].astype(str) != "")]
    assert len(years) > 1
    for y, n in zip(years["year"], years["nhat"]):  # one line per year with its N̂
        assert any(ln.split()[:1] == [str(y)] and f"{n:,.0f}" in ln for ln in text.splitlines())
    page = mon._repr_html_()
    assert page.startswith("<div>") and "<table" in page and f"{mon.estimate.nhat:,.0f}" in page
    d = json.loads(json.dumps(mon.to_dict(), allow_nan=False))
    assert d["year"] == "Y" and len(d["table"]) == len(mon.table)
    assert d["estimate"]["nhat"] == pytest.approx(mon.estimate.nhat)
    assert len(mon.to_frame()) == len(mon.table)


def test_linkage_result_repr_is_one_line():
    # L6: the dataclass repr printed every table (4.7 KB); built directly (a link run takes half a minute here)
    import pandas as pd

    from darkfigure import CaptureHistories
    from darkfigure.linkage import LinkageResult

    persons = pd.DataFrame({"person_id": range(60), "A": [1, 1, 0] * 20, "B": [0, 1, 1] * 20})
    links = pd.DataFrame({"organisation": ["A"] * 40 + ["B"] * 40, "record_id": range(80),
                          "person_id": [p for p in range(60) if p % 3 != 2] + [p for p in range(60) if p % 3 != 0]})
    h = CaptureHistories.from_records(persons[["A", "B"]], lists=["A", "B"])
    res = LinkageResult(links=links, persons=persons, histories=h, lists=("A", "B"), covariates=(),
                        encoding="plaintext", engine="duckdb", threshold=0.5, covariate_rule="most_frequent",
                        notes=["n"] * 200, weights=pd.DataFrame({"weight": range(500)}))
    r = repr(res)
    assert r.startswith("LinkageResult(persons=60, registrations=80, lists=('A', 'B')") and "\n" not in r
    assert len(r) < 300
    page = res._repr_html_()
    assert "60 persons" in page and "<td>40</td>" in page


def test_capture_histories_compare_and_hash_by_their_data():
    # L7: h == h2 raised "The truth value of a DataFrame is ambiguous", hash(h) "unhashable type: 'dict'"
    import pandas as pd

    from darkfigure import CaptureHistories

    df = pd.DataFrame({"A": [1, 0, 1, 1], "B": [0, 1, 1, 1], "sex": ["f", "m", "f", "m"], "count": [5, 7, 3, 2]})
    h = CaptureHistories.from_table(df, lists=["A", "B"], covariates=["sex"], count="count", name="one")
    same = CaptureHistories.from_table(df.iloc[::-1], lists=["A", "B"], covariates=["sex"], count="count",
                                       name="other name")  # rows in another order, another name
    more = CaptureHistories.from_table(df.assign(count=[5, 7, 3, 3]), lists=["A", "B"], covariates=["sex"],
                                       count="count")
    assert h == same and hash(h) == hash(same) and len({h, same}) == 1
    assert h != more and not (h == more)
    assert h != "not histories"
    swapped = CaptureHistories.from_table(df, lists=["B", "A"], covariates=["sex"], count="count")
    assert h != swapped  # the lists' order is part of the data


def test_dir_of_the_package_shows_its_public_names_only():
    # L10: dir(darkfigure) listed Any and TYPE_CHECKING
    import darkfigure as dfg
    import darkfigure.linkage  # noqa: F401  (a loaded subpackage stays reachable by tab completion)

    names = dir(dfg)
    assert "Any" not in names and "TYPE_CHECKING" not in names and "_LAZY" not in names
    assert set(dfg.__all__) <= set(names) and "linkage" in names


def test_note_on_matches_never_compared_says_which_case_applies(tmp_path):
    # L11: "none are expected, or their number cannot be estimated (pseudonymised files)" read as ambiguous on a
    # plaintext link folder
    import json
    from types import SimpleNamespace

    from darkfigure.cli.estimate import link_encoding, unblocked_text

    lk = SimpleNamespace(unblocked_added=None)
    for enc in ("plaintext", "pseudonymised"):
        folder = tmp_path / enc
        folder.mkdir()
        (folder / "linkage_settings.json").write_text(json.dumps({"encoding": enc, "threshold": 0.5}))
        assert link_encoding(folder) == enc
    plain, pseudo = unblocked_text(lk, "plaintext"), unblocked_text(lk, "pseudonymised")
    assert "expects none" in plain and "pseudonymised" not in plain and " or " not in plain
    assert "cannot be estimated from pseudonymised files" in pseudo and "expect" not in pseudo
    assert link_encoding(tmp_path / "nowhere") is None and "(plaintext files)" in unblocked_text(lk, None)
    assert "2.5 expected" in unblocked_text(SimpleNamespace(unblocked_added=2.5), "plaintext")
