"""``strata --replicates``: files that disagree with DATA are left out naming what differs (tester 9, F1, F2);
``--by`` levels spelled two ways are one stratum (F16); an unwritable ``--cache`` is refused before any work (F14).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure.errors import DataError
from darkfigure.strata import core, estimate_strata, impute_replicates, simulate_strata

FAST = {"search": "none", "reps": 20, "seed": 1, "n_jobs": 1}


@pytest.fixture(scope="module")
def imputed():
    sim = simulate_strata(4, 3, seed=5)
    return impute_replicates(sim.persons, sim.lists, missing_share=0.2, replicates=3, seed=1)


def _folder(path, frames):
    path.mkdir()
    for i, f in enumerate(frames):
        f.to_csv(path / f"imp{i}.csv", index=False)
    return path


def test_a_replicate_coded_with_other_by_values_is_left_out_naming_them(imputed, tmp_path):
    # F1: regions coded otherwise in one file made every stratum "not estimable: only 0 person(s) observed"
    data, reps = imputed
    d = _folder(tmp_path / "reps", reps[:2])
    other = reps[2].copy()
    other["region"] = other["region"].str.replace("r", "x", regex=False)
    other.to_csv(d / "imp_other.csv", index=False)
    r = estimate_strata(data, by="region", replicates=d, **FAST)
    assert r.counts["replicates"] == 2
    text = " ".join(r.warnings)
    assert "'imp_other.csv' left out" in text and "'region' has value(s) that DATA does not have: x000" in text
    assert "DATA's levels: r000" in text
    assert not r.table["region"].astype(str).str.startswith("x").any()
    assert (r.table["status"] == "estimated").all() and (r.table["replicates"] == 2).all()


def test_numeric_by_codes_shifted_in_a_replicate_are_left_out(imputed, tmp_path):
    # the tester's case: 0..5 in DATA, 100..105 in one imputation (numbers read from CSV on both sides)
    data, reps = imputed
    d = _folder(tmp_path / "reps", reps[:2])
    shifted = reps[2].copy()
    shifted["period"] = shifted["period"] + 100
    shifted.to_csv(d / "imp_shifted.csv", index=False)
    r = estimate_strata(data, by="period", replicates=d, **FAST)
    assert r.counts["replicates"] == 2
    periods = sorted(data["period"].unique())
    assert f"'period' has value(s) that DATA does not have: {periods[0] + 100}" in " ".join(r.warnings)
    assert sorted(r.table["period"]) == periods
    # only such files: the clear error naming the first of them
    e = tmp_path / "allshifted"
    e.mkdir()
    shifted.to_csv(e / "x.csv", index=False)
    with pytest.raises(DataError, match="no file in --replicates .* 'x.csv' left out: its --by column 'period'"):
        estimate_strata(data, by="period", replicates=e, **FAST)


def test_a_stratum_absent_from_a_replicate_says_so(imputed, tmp_path):
    # linkage draws may hold other persons: a draw without anybody of one region leaves that stratum out, and its
    # reason names the draw (not "only 0 person(s) observed")
    data, reps = imputed
    d = _folder(tmp_path / "draws", reps[:2])
    gone = sorted(data["region"].dropna().unique())[1]
    reps[2][reps[2]["region"] != gone].to_csv(d / "draw_without.csv", index=False)
    r = estimate_strata(data, by="region", replicates=d, replicate_kind="linkage", **FAST)
    assert r.counts["replicates"] == 3
    row = r.table[r.table["region"] == gone].iloc[0]
    assert row["status"] == "not estimable"
    assert row["reason"] == f"estimable in 2 of 3 replicates only: region={gone} is absent from replicate " \
                            "'draw_without.csv'"
    assert "0 person(s)" not in row["reason"]
    others = r.table[r.table["region"] != gone]
    assert (others["status"] == "estimated").all()


def test_an_empty_file_in_the_folder_is_left_out_not_fatal(imputed, tmp_path):
    # F2: one 0-byte file stopped the run ("error: file 'imp_08_empty.csv' is empty")
    data, reps = imputed
    d = _folder(tmp_path / "reps", reps)
    (d / "imp_08_empty.csv").write_bytes(b"")
    r = estimate_strata(data, by="period", replicates=d, **FAST)
    assert r.counts["replicates"] == 3
    msg = [w for w in r.warnings if "'imp_08_empty.csv' left out" in w]
    assert len(msg) == 1 and "empty" in msg[0]


def test_an_empty_file_in_the_folder_via_the_command_line(imputed, tmp_path, cli):
    data, reps = imputed
    f = tmp_path / "data.csv"
    data.to_csv(f, index=False)
    d = _folder(tmp_path / "reps", reps[:2])
    (d / "imp_empty.csv").write_bytes(b"")
    cli(["strata", f, "--by", "period", "--replicates", d, "--search", "none", "--reps", "20", "--jobs", "1"],
        code=0, says=["2 replicate(s)", "'imp_empty.csv' left out"])


# ----------------------------------------------------------------------------- F16: one number, two spellings
def test_by_values_spelled_two_ways_are_one_stratum(imputed, tmp_path):
    data, _ = imputed
    data = data.dropna(subset=["region"])
    p = data.assign(period=data["period"].astype(str))
    first = p.index[p["period"] == p["period"].iloc[0]][:40]
    p.loc[first, "period"] = p.loc[first, "period"] + ".0"
    before = p.copy()
    r = estimate_strata(p, by="period", **FAST)
    pd.testing.assert_frame_equal(p, before)  # the caller's frame is not changed
    assert len(r.table) == data["period"].nunique()
    assert r.table["period"].is_unique
    assert any("values that differ only in how the number is written were taken as one level" in w
               and "'2000' and '2000.0' -> 2000" in w for w in r.warnings)
    # the same strata and counts as the same table read from a CSV file
    f = tmp_path / "p.csv"
    p.to_csv(f, index=False)
    rc = estimate_strata(f, by="period", **FAST)
    np.testing.assert_array_equal(r.table["observed"].to_numpy(), rc.table["observed"].to_numpy())
    np.testing.assert_array_equal(r.table["period"].to_numpy(), rc.table["period"].to_numpy())


def test_text_codes_stay_text_and_agree_with_csv_replicates(imputed, tmp_path):
    # region codes "r000" are not numbers: kept as they are; period given as text "2000" in a frame agrees with
    # replicate files whose period CSV reads as numbers (it would have been left out as another coding)
    data, reps = imputed
    d = _folder(tmp_path / "reps", reps)
    text = data.assign(period=data["period"].astype(str))
    r = estimate_strata(text, by="region,period", replicates=d, **FAST)
    assert r.counts["replicates"] == 3
    assert not [w for w in r.warnings if "left out" in w and "replicate file" in w]
    assert set(r.table["region"].dropna()) == set(data["region"].dropna())
    assert not any("how the number is written" in w for w in r.warnings)


# ----------------------------------------------------------------------------- F14: --cache refused up front
def test_an_unwritable_cache_is_refused_before_any_work(imputed, tmp_path, monkeypatch):
    data, _ = imputed
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")

    def no_work(*a, **k):
        raise AssertionError("the data were read before the cache folder was checked")

    monkeypatch.setattr(core, "_read_frame", no_work)
    with pytest.raises(DataError, match="cannot write the strata cache to .*Nothing was computed"):
        estimate_strata(data, by="period", cache=blocker / "cache", **FAST)
    with pytest.raises(DataError, match="is a file; give a folder"):
        estimate_strata(data, by="period", cache=blocker, **FAST)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("x")
    with pytest.raises(DataError, match="did not create"):
        estimate_strata(data, by="period", cache=foreign, **FAST)
    assert not (blocker.parent / "cache").exists()


def test_the_check_of_a_new_cache_leaves_nothing_behind(imputed, tmp_path):
    from darkfigure.strata.cache import MARKER, check_cache_folder

    check_cache_folder(tmp_path / "new" / "cache")
    assert not (tmp_path / "new").exists()
    data, _ = imputed
    estimate_strata(data.dropna(), by="period", cache=tmp_path / "new" / "cache", **FAST)
    assert (tmp_path / "new" / "cache" / MARKER).is_file()


def test_cli_unwritable_cache_exits_2_before_computing(imputed, tmp_path, cli):
    data, _ = imputed
    f = tmp_path / "data.csv"
    data.to_csv(f, index=False)
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    out = cli(["strata", f, "--by", "period", "--search", "none", "--reps", "20", "--jobs", "1",
               "--cache", blocker / "cache"], code=2, says=["cannot write the strata cache", "Nothing was computed"])
    assert "internal error" not in out and "joint" not in out


def test_cache_created_by_a_run_started_together_is_accepted(tmp_path):
    # tester 9, F25: the other run's folder holds its atomic write's temporary file before the marker
    import threading

    from darkfigure.strata.cache import MARKER, check_cache_folder

    folder = tmp_path / "shared_cache"
    folder.mkdir()
    (folder / ".tmp-marker-being-written").write_text("x")
    t = threading.Timer(0.3, lambda: (folder / MARKER).write_text("darkfigure strata result cache\n"))
    t.start()
    try:
        check_cache_folder(folder)  # waits for the marker instead of refusing
    finally:
        t.join()


def test_identical_replicate_files_are_named(imputed, tmp_path):
    # tester 9, F21: three copies of one imputation gave a between-replicate variance of 0 without a word
    data, reps = imputed
    d = _folder(tmp_path / "reps", [reps[0], reps[0], reps[1]])
    r = estimate_strata(data, by="region", replicates=d, **FAST)
    text = " ".join(r.warnings)
    assert "identical contents: 'imp0.csv', 'imp1.csv'" in text and "imp2.csv" not in text.split("identical")[1][:40]
    distinct = _folder(tmp_path / "distinct", reps)
    assert not any("identical contents" in w for w in estimate_strata(data, by="region", replicates=distinct,
                                                                       **FAST).warnings)
