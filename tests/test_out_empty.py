"""`--out ""` is refused, not taken as the current folder (tester 14b, L3)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("cmd", [["estimate", "kosovo_1999", "--ci", "none"], ["compare", "kosovo_1999"],
                                 ["strata", "kosovo_1999", "--by", "EXH"]])
def test_empty_out_is_refused(cli, tmp_path, cmd):
    cli([*cmd, "--out", ""], code=2, says=["--out", "an empty path"], cwd=tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing written into the current folder


def test_blank_out_is_refused_for_report(cli, tmp_path):
    cli(["report", tmp_path, "--out", "  "], code=2, says=["an empty path"], cwd=tmp_path)
