"""An --out folder that cannot be created or written stops every writing command before any work (tester 7, 4)."""

from __future__ import annotations

import pytest

from darkfigure.outputs import preflight


@pytest.mark.parametrize("args", [
    ["estimate", "kosovo_1999", "--ci", "profile"],
    ["compare", "kosovo_1999", "--methods", "loglinear-bic"],
    ["simulate", "kosovo"],
    ["strata", "netherlands_2010_2015", "--by", "region"],
    ["monitor", "netherlands_2010_2015", "--year", "year"],
])
def test_unwritable_out_refused_before_any_work(cli, tmp_path, args):
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    out = cli([*args, "--out", blocker / "sub"], code=2,
              says=["cannot write", "Not a directory", "Nothing was computed: choose a folder you can create and write"])
    assert "model search" not in out and "N̂" not in out  # refused before the estimate, not after it


def test_preflight_probe_leaves_no_folder_or_file_behind(tmp_path):
    out = tmp_path / "a" / "b"
    preflight(out, ["estimates.csv"])
    assert not (tmp_path / "a").exists()  # created to test the write, then removed: a failed run leaves nothing
    out.mkdir(parents=True)
    preflight(out, ["estimates.csv"])
    assert list(out.iterdir()) == []
