"""Two runs into one --out folder at once: the second is refused at the start (tester report 7, 13)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from darkfigure.outputs import OutputError, hold_folder, preflight


def _holder(folder):
    # another process that claims the folder and keeps it until it is killed
    code = textwrap.dedent(f"""
        import sys, time
        from darkfigure.outputs import hold_folder
        hold_folder({str(folder)!r})
        print("held", flush=True)
        time.sleep(60)
    """)
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "held"
    return p


def test_a_folder_held_by_another_run_is_refused_then_free_once_it_ends(tmp_path):
    out = tmp_path / "out"
    p = _holder(out)
    try:
        with pytest.raises(OutputError, match="another darkfigure run is writing to .* now"):
            preflight(out, ["result.json"])
        assert not out.exists()  # refused before anything was created
    finally:
        p.kill()
        p.wait()
    preflight(out, ["result.json"])  # the system released the killed process's claim
    hold_folder(out)  # a process may claim its own folder again


def test_cli_refuses_a_folder_in_use(tmp_path, cli):
    out = tmp_path / "busy"
    p = _holder(out)
    try:
        cli(["estimate", "kosovo_1999", "--ci", "profile", "--out", out], code=2,
            says=["another darkfigure run is writing to", "choose another --out folder"])
    finally:
        p.kill()
        p.wait()


def test_report_out_may_be_a_folder(tmp_path, cli):
    run = tmp_path / "run"
    cli(["estimate", "kosovo_1999", "--ci", "profile", "--out", run], code=0)
    cli(["report", run, "--out", tmp_path / "reports"], code=0)
    assert (tmp_path / "reports" / "report.html").stat().st_size > 1000
    # Kosovo's chosen model does not fit: its verdict publishes no figure, so no public page is written
    cli(["report", run, "--audience", "public", "--out", tmp_path / "reports"], code=2, says=["no public page"])
    assert not (tmp_path / "reports" / "report_public_en.html").exists()
    uk = tmp_path / "uk"
    cli(["estimate", "uk_2013", "--ci", "profile", "--out", uk], code=0)
    cli(["report", uk, "--audience", "public", "--out", tmp_path / "reports"], code=0)
    assert (tmp_path / "reports" / "report_public_en.html").exists()
    cli(["report", run, "--out", tmp_path / "one.html"], code=0)
    assert (tmp_path / "one.html").exists()
    cli(["report", run, "--out", run], code=0, says=["report.html"])  # the run folder itself: the default file
