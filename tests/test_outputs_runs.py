"""One run per output folder: a run that replaces an earlier run's results removes that run's other files.

Tester report 4, H1: `estimate --out F` into a folder `monitor` wrote left monitor.csv and the
reports of the monitor run beside the new result.json, and `report --audience public` published
the mix. darkfigure now removes its own superseded files (listed in the manifest, unchanged,
never an input, never a file it did not write), says so, and `report` refuses a folder whose
result files come from different runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from darkfigure.outputs import MANIFEST, read_manifest, run_of, write_folder
from darkfigure.report.run import RunFolderError, load_run

TOY = "A,B,C,count\n1,0,0,20\n0,1,0,23\n0,0,1,17\n1,1,0,5\n1,0,1,4\n0,1,1,6\n1,1,1,2\n"


def _files(d: Path) -> set[str]:
    return {p.name for p in d.iterdir() if p.is_file()}


def _writes(**files: str):
    """A writer that writes `files` ({name: text}; dots in names written as '_' are not needed)."""

    def w(d: Path):
        for name, text in files.items():
            (d / name).write_text(text)

    return w


def test_monitor_then_estimate_into_the_same_folder_removes_the_monitor_run(tmp_path, cli, untouched):
    out = tmp_path / "mon"
    cli(["monitor", "cruyff_simdat", "--year", "Y", "--ci", "parametric", "--reps", "20", "--seed", "1",
         "--out", out, "--report"], code=0)
    cli(["report", out, "--audience", "public", "--lang", "en"], code=0)
    assert {"monitor.csv", "monitor_published.csv", "report.html", "report_public_en.html"} <= _files(out)
    assert "1,043" in (out / "report_public_en.html").read_text()  # the monitor's count of registered persons
    (out / "notes.txt").write_text("my own notes\n")  # a user's file: never removed
    (tmp_path / "in").mkdir()
    data = tmp_path / "in" / "toy.csv"
    data.write_text(TOY)
    check_data = untouched(tmp_path / "in")
    said = cli(["estimate", data, "--ci", "profile", "--out", out], code=0,
               says=["removed", "of the earlier `monitor` run", "monitor.csv", "monitor_published.csv",
                     "report_public_en.html"])
    assert "kept" not in said
    left = _files(out)
    assert not left & {"monitor.csv", "monitor_published.csv", "years.csv", "report.html", "report_public_en.html"}
    assert {"result.json", "estimates.csv", "notes.txt"} <= left
    assert (out / "notes.txt").read_text() == "my own notes\n"
    check_data()
    assert set(read_manifest(out)) == left - {"notes.txt", MANIFEST}
    assert len({run_of(e) for e in read_manifest(out).values()}) == 1
    cli(["report", out, "--audience", "public", "--lang", "en"], code=0)
    assert "1,043" not in (out / "report_public_en.html").read_text()  # the monitor's registered count is gone


def test_estimate_report_then_estimate_without_report_removes_the_stale_report(tmp_path, cli):
    out = tmp_path / "run"
    cli(["estimate", "hiv_rome", "--ci", "none", "--out", out, "--report"], code=0)
    said = cli(["estimate", "hiv_rome", "--ci", "none", "--out", out, "--report"], code=0)
    assert "removed" not in said and (out / "report.html").is_file()  # rewritten, not announced as removed
    cli(["estimate", "hiv_rome", "--ci", "none", "--out", out], code=0,
        says=["removed 1 file of the earlier `report` run", "report.html"])
    assert not (out / "report.html").exists() and (out / "result.json").is_file()
    assert "report.html" not in read_manifest(out)


def test_a_users_file_and_a_changed_file_are_never_removed(tmp_path):
    notes = []
    write_folder(tmp_path, _writes(**{"a.csv": "1", "b.csv": "1", "c.csv": "1"}), command="one")
    (tmp_path / "mine.csv").write_text("user")
    (tmp_path / "c.csv").write_text("edited by hand")
    write_folder(tmp_path, _writes(**{"a.csv": "2"}), command="two", notify=notes.append)
    assert _files(tmp_path) == {"a.csv", "c.csv", "mine.csv", MANIFEST}
    assert (tmp_path / "mine.csv").read_text() == "user" and (tmp_path / "c.csv").read_text() == "edited by hand"
    assert len(notes) == 2
    assert "removed 1 file of the earlier `one` run" in notes[0] and "b.csv" in notes[0]
    assert "kept c.csv" in notes[1] and "changed" in notes[1]
    assert "c.csv" in read_manifest(tmp_path)  # still known as the earlier run's: report can tell the mix


def test_an_input_inside_the_folder_is_never_removed(tmp_path):
    notes = []
    write_folder(tmp_path, _writes(**{"a.csv": "1", "data.csv": "x"}), command="one")
    (tmp_path / "own.csv").write_text("user data")
    write_folder(tmp_path, _writes(**{"a.csv": "2"}), command="two", notify=notes.append,
                 inputs=[tmp_path / "data.csv", tmp_path / "own.csv"])
    assert (tmp_path / "data.csv").read_text() == "x" and (tmp_path / "own.csv").read_text() == "user data"
    assert len(notes) == 1 and "kept data.csv" in notes[0] and "input" in notes[0]


def test_without_notify_the_removal_is_a_warning(tmp_path):
    write_folder(tmp_path, _writes(**{"a.csv": "1", "b.csv": "1"}), command="one")
    with pytest.warns(UserWarning, match="removed 1 file of the earlier `one` run.*b.csv"):
        write_folder(tmp_path, _writes(**{"a.csv": "2"}), command="two")


def test_an_upstream_run_stays_and_its_rerun_removes_what_was_made_from_it(tmp_path):
    notes = []
    write_folder(tmp_path, _writes(**{"links.csv": "l", "histories.csv": "h"}), command="link")
    write_folder(tmp_path, _writes(**{"result.json": "{}"}), command="estimate", notify=notes.append,
                 inputs=[tmp_path / "histories.csv"])
    assert notes == [] and _files(tmp_path) == {"links.csv", "histories.csv", "result.json", MANIFEST}
    m = read_manifest(tmp_path)
    assert m["result.json"]["from"] == [run_of(m["histories.csv"])] and m["result.json"]["command"] == "estimate"
    assert m["result.json"]["run"] != m["links.csv"]["run"] and m["result.json"]["written"]
    # a new linkage replaces histories.csv: the estimate made from the old one is stale
    write_folder(tmp_path, _writes(**{"links.csv": "l2", "histories.csv": "h2"}), command="link",
                 notify=notes.append)
    assert not (tmp_path / "result.json").exists() and len(notes) == 1 and "`estimate` run" in notes[0]


def test_an_old_manifest_without_run_ids_groups_files_by_command_and_time(tmp_path):
    write_folder(tmp_path, _writes(**{"monitor.csv": "m", "result.json": "{}"}), command="monitor")
    path = tmp_path / MANIFEST
    d = json.loads(path.read_text())
    for e in d["files"].values():  # as written before runs were recorded
        e.pop("run"), e.pop("from")
    d["files"]["report.html"] = {"sha256": "0" * 64, "written": "2026-01-01T00:00:00+00:00", "command": "report"}
    (tmp_path / "report.html").write_text("<p>")  # changed since: kept
    path.write_text(json.dumps(d))
    notes = []
    write_folder(tmp_path, _writes(**{"result.json": "{ }"}), command="estimate", notify=notes.append)
    assert not (tmp_path / "monitor.csv").exists()
    assert any("`monitor` run" in n and "monitor.csv" in n for n in notes)
    assert any("kept report.html" in n for n in notes)


def _monitor_csv() -> str:
    cols = ["group", "level", "year", "observed", "nhat", "lower", "upper", "visibility", "visibility_lower",
            "visibility_upper"]
    return ",".join(cols) + "\nall,all,2019,10,20,15,30,0.5,0.3,0.6\n"


def test_report_refuses_a_folder_mixing_runs(tmp_path, cli):
    out = tmp_path / "run"
    cli(["estimate", "hiv_rome", "--ci", "none", "--out", out], code=0)
    load_run(out)  # one run: fine
    # a monitor.csv from another run beside the estimate's result.json (as an older darkfigure left it)
    write_folder(out, _writes(**{"monitor.csv": _monitor_csv()}), command="monitor")
    with pytest.raises(RunFolderError, match="different darkfigure runs"):
        load_run(out)
    for audience in ("analyst", "public"):
        cli(["report", out, "--audience", audience], code=2,
            says=["different darkfigure runs", "monitor.csv", "`monitor` run", "result.json", "`estimate` run"])
    assert not (out / "report.html").exists() and not (out / "report_public_en.html").exists()


def test_rewriting_one_report_keeps_the_other_reports(tmp_path):
    write_folder(tmp_path, _writes(**{"result.json": "{}"}), command="estimate")
    for name in ("report.html", "report_public_en.html"):
        write_folder(tmp_path, _writes(**{name: "<p>"}), command="report", inputs=[tmp_path / "result.json"])
    path = tmp_path / MANIFEST
    d = json.loads(path.read_text())
    d["files"]["report_public_en.html"].pop("run")  # also a report of an older darkfigure
    path.write_text(json.dumps(d))
    notes = []
    write_folder(tmp_path, _writes(**{"report.html": "<p>2"}), command="report", notify=notes.append,
                 inputs=[tmp_path / "result.json"])
    assert notes == [] and (tmp_path / "report_public_en.html").is_file()


def test_report_refuses_a_result_file_edited_after_the_run(tmp_path, cli):
    # tester 7, 18: an edited result.json or estimates.csv was rendered (N̂ outside its own interval) without a word
    out = tmp_path / "run"
    cli(["estimate", "hiv_rome", "--ci", "none", "--out", out], code=0)
    result = json.loads((out / "result.json").read_text())
    result["nhat"] = 99999.9
    (out / "result.json").write_text(json.dumps(result))
    with pytest.raises(RunFolderError, match="result.json in .* changed since darkfigure wrote it"):
        load_run(out)
    cli(["report", out], code=2, says=["result.json", "changed since darkfigure wrote it", "SHA-256"])
    assert not (out / "report.html").exists()
    # copied without the hidden manifest: reported, with the report saying it cannot check the files
    copy = tmp_path / "copy"
    copy.mkdir()
    cli(["estimate", "hiv_rome", "--ci", "none", "--out", out, "--overwrite"], code=0)
    for f in out.iterdir():
        if f.name != MANIFEST:
            (copy / f.name).write_bytes(f.read_bytes())
    assert any("no darkfigure manifest" in p for p in load_run(copy).problems)
