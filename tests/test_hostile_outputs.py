"""Hostile inputs, kind 1 (data loss): darkfigure never writes over its input or a file it did not write.

Every test checks the exit code, that no traceback came out, that the message names the
file, and (checksums before and after) that no file outside darkfigure's own outputs changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import darkfigure
from darkfigure import datasets
from darkfigure.outputs import MANIFEST, OutputError, read_manifest, write_file, write_folder

REVIC = Path(darkfigure.__file__).parent / "demo_data" / "revictimisation"


def _kosovo(path: Path) -> Path:
    datasets.load_frame("kosovo_1999").to_csv(path, index=False)
    return path


def test_input_named_like_an_output_in_the_out_folder_is_never_replaced(tmp_path, cli, untouched):
    data = _kosovo(tmp_path / "capture_histories.csv")
    (tmp_path / "estimates.csv").write_text("my own work\n")
    check = untouched(tmp_path)
    for extra in ([], ["--overwrite"]):
        cli(["estimate", data, "--ci", "none", "--out", tmp_path, *extra], code=2,
            says=["capture_histories.csv", "input"])
    check()
    assert not (tmp_path / MANIFEST).exists()


def test_a_file_darkfigure_did_not_write_is_refused_then_replaced_with_overwrite(tmp_path, cli, untouched):
    out = tmp_path / "out"
    out.mkdir()
    (out / "estimates.csv").write_text("my own work\n")
    (out / "notes.txt").write_text("keep me\n")
    check = untouched(out)
    cli(["estimate", "hiv_rome", "--ci", "none", "--out", out], code=2,
        says=["estimates.csv", "not written by darkfigure", "--overwrite"])
    check()
    assert not (out / "result.json").exists(), "a refused run must write nothing"
    cli(["estimate", "hiv_rome", "--ci", "none", "--out", out, "--overwrite"], code=0)
    check(allowed={"estimates.csv"})
    assert "my own work" not in (out / "estimates.csv").read_text()


def test_own_outputs_are_replaced_but_not_once_changed_by_hand(tmp_path, cli):
    out = tmp_path / "run"
    cli(["estimate", "hiv_rome", "--ci", "none", "--out", out], code=0)
    m = read_manifest(out)
    assert {"estimates.csv", "result.json", "capture_histories.csv"} <= set(m)
    cli(["estimate", "hiv_rome", "--ci", "none", "--out", out], code=0)  # a rerun is fine
    with open(out / "estimates.csv", "a") as f:
        f.write("edited by hand\n")
    cli(["estimate", "hiv_rome", "--ci", "none", "--out", out], code=2,
        says=["estimates.csv", "changed since darkfigure wrote it"])
    assert "edited by hand" in (out / "estimates.csv").read_text()


def test_an_earlier_output_used_as_input_is_never_written(tmp_path, cli, untouched):
    out = tmp_path / "run"
    cli(["estimate", "hiv_rome", "--ci", "none", "--out", out], code=0)
    check = untouched(out)
    cli(["estimate", out / "capture_histories.csv", "--ci", "none", "--out", out, "--overwrite"], code=2,
        says=["capture_histories.csv", "input"])
    check()


def test_report_out_over_a_data_file_is_refused(tmp_path, cli, untouched):
    run = tmp_path / "run"
    cli(["estimate", "hiv_rome", "--ci", "none", "--out", run], code=0)
    data = _kosovo(tmp_path / "data.csv")
    check = untouched(tmp_path)
    cli(["report", run, "--out", data], code=2, says=["data.csv", "not written by darkfigure"])
    cli(["report", run, "--out", run / "result.json", "--overwrite"], code=2, says=["result.json", "input"])
    check()
    cli(["report", run, "--out", tmp_path / "r.html"], code=0)
    cli(["report", run, "--out", tmp_path / "r.html"], code=0)  # its own report: replaced
    check()


def test_report_of_a_missing_folder_creates_nothing(tmp_path, cli):
    cli(["report", tmp_path / "nowhere"], code=2, says=["nowhere", "does not exist"])
    assert not (tmp_path / "nowhere").exists()


def test_estimate_report_does_not_replace_a_users_report_html(tmp_path, cli, untouched):
    out = tmp_path / "o"
    out.mkdir()
    (out / "report.html").write_text("<p>mine</p>")
    check = untouched(out)
    cli(["estimate", "hiv_rome", "--ci", "none", "--out", out, "--report"], code=2, says=["report.html"])
    check()


def test_out_that_is_a_file(tmp_path, cli, untouched):
    f = tmp_path / "afile"
    f.write_text("x")
    check = untouched(tmp_path)
    cli(["estimate", "hiv_rome", "--ci", "none", "--out", f], code=2, says=["afile", "not a folder"])
    check()


def test_compare_validate_and_simulate_refuse_foreign_files(tmp_path, cli, untouched):
    for name in ("compare.csv", "validate.csv", "histories.csv"):
        (tmp_path / name).write_text("mine\n")
    check = untouched(tmp_path)
    cli(["compare", "hiv_rome", "--methods", "M0,Mt", "--out", tmp_path], code=2, says="compare.csv")
    cli(["validate", "hiv_rome", "--methods", "M0", "--out", tmp_path], code=2, says="validate.csv")
    cli(["simulate", "dutch_like", "--seed", "1", "--out", tmp_path], code=2, says="histories.csv")
    check()


def test_monitor_refuses_a_foreign_monitor_csv(tmp_path, cli, untouched):
    sim = tmp_path / "sim"
    cli(["simulate", "dutch_like", "--seed", "1", "--out", sim], code=0)
    out = tmp_path / "mon"
    out.mkdir()
    (out / "monitor_published.csv").write_text("already published\n")
    check = untouched(tmp_path)
    cli(["monitor", sim / "histories.csv", "--year", "year", "--ci", "parametric", "--reps", "20", "--seed", "1",
         "--structural-zeros", sim / "structural_zeros.csv", "--out", out], code=2, says="monitor_published.csv")
    check()


def test_pseudonymise_never_writes_its_input_or_a_foreign_file(tmp_path, cli, untouched, monkeypatch):
    reg = tmp_path / "police.csv"
    src = Path(darkfigure.__file__).parent / "demo_data" / "registrations"
    first = sorted(src.glob("*.csv"))[0]
    reg.write_bytes(first.read_bytes())
    other = tmp_path / "other.csv"
    other.write_text("keep\n")
    key = tmp_path / "key.csv"  # a key saved under a table name: still never written
    key.write_text("0123456789abcdef0123456789abcdef\n")
    check = untouched(tmp_path)
    cli(["pseudonymise", reg, "--key-file", key, "--out", reg, "--overwrite"], code=2, says=["police.csv", "input"])
    cli(["pseudonymise", reg, "--key-file", key, "--out", key, "--overwrite"], code=2, says=["key.csv", "input"])
    cli(["pseudonymise", reg, "--key-file", key, "--out", other], code=2, says=["other.csv", "not written"])
    check()
    cli(["pseudonymise", reg, "--key-file", key, "--out", tmp_path / "p.csv"], code=0)
    check()


def test_revictimisation_refuses_a_foreign_table(tmp_path, cli, untouched):
    out = tmp_path / "rv"
    out.mkdir()
    (out / "revictimisation.csv").write_text("mine\n")
    check = untouched(out)
    cli(["revictimisation", REVIC / "victims.csv", REVIC / "later.csv", "--end-of-followup", "2024-12-31",
         "--out", out], code=2, says="revictimisation.csv")
    check()


# ------------------------------------------------------------------ the helper itself
def test_write_folder_is_all_or_nothing(tmp_path):
    (tmp_path / "b.csv").write_text("foreign")

    def writer(d: Path):
        (d / "a.csv").write_text("1")
        (d / "b.csv").write_text("2")
        return [d / "a.csv", d / "b.csv"]

    with pytest.raises(OutputError, match="b.csv"):
        write_folder(tmp_path, writer)
    assert not (tmp_path / "a.csv").exists() and (tmp_path / "b.csv").read_text() == "foreign"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".darkfigure-staging")]
    files, ret = write_folder(tmp_path, writer, overwrite=True)
    assert [p.name for p in files] == ["a.csv", "b.csv"] and ret == files


def test_a_corrupt_manifest_protects_everything(tmp_path):
    write_folder(tmp_path, lambda d: (d / "x.csv").write_text("1"))
    (tmp_path / MANIFEST).write_text("{not json")
    with pytest.raises(OutputError, match="x.csv"):
        write_folder(tmp_path, lambda d: (d / "x.csv").write_text("2"))
    assert (tmp_path / "x.csv").read_text() == "1"


def test_a_failing_writer_leaves_nothing_behind(tmp_path):
    def boom(d: Path):
        (d / "half.csv").write_text("1")
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_folder(tmp_path, boom)
    assert list(tmp_path.iterdir()) == []


def test_write_file_records_the_manifest_and_subfolders_work(tmp_path):
    write_file(tmp_path / "r.html", lambda p: p.write_text("<p>"))
    write_folder(tmp_path / "o", lambda d: ((d / "sub").mkdir(), (d / "sub" / "f.csv").write_text("1")))
    assert "r.html" in read_manifest(tmp_path)
    assert "sub/f.csv" in json.loads((tmp_path / "o" / MANIFEST).read_text())["files"]
    write_folder(tmp_path / "o", lambda d: ((d / "sub").mkdir(), (d / "sub" / "f.csv").write_text("2")))
    assert pd.read_csv(tmp_path / "o" / "sub" / "f.csv", header=None).iloc[0, 0] == 2


def test_a_symlink_to_the_input_is_the_input(tmp_path, cli, untouched):
    data = _kosovo(tmp_path / "data.csv")
    out = tmp_path / "o"
    out.mkdir()
    (out / "capture_histories.csv").symlink_to(data)
    check = untouched(tmp_path)
    cli(["estimate", data, "--ci", "none", "--out", out, "--overwrite"], code=2, says=["input"])
    check()


def test_refusal_comes_before_the_work(tmp_path, cli, untouched):
    """A foreign file in --out is refused before the estimate runs (nothing printed but the error)."""
    (tmp_path / "result.json").write_text("{}")
    check = untouched(tmp_path)
    out = cli(["estimate", "kosovo_1999", "--seed", "1", "--out", tmp_path], code=2, says=["result.json"])
    assert "Model search" not in out and "N̂" not in out
    out = cli(["monitor", "cruyff_simdat", "--year", "Y", "--seed", "1", "--out", tmp_path], code=2, says="result.json")
    assert "Total, years and levels" not in out
    check()
