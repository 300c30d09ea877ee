"""Tester report 12, L5: ``link --max-pairs`` below 10,000 and ``--threads`` 0 or negative are refused with the
reason, before anything is read."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.cli.linkage import MIN_PAIRS


@pytest.mark.parametrize(("args", "said"), [
    (["--max-pairs", "10"], ["--max-pairs must be between 10,000", "random pairs", "u "]),
    (["--max-pairs", str(MIN_PAIRS - 1)], ["--max-pairs must be between"]),
    (["--threads", "0"], ["--threads must be at least 1", "not 0"]),
    (["--threads", "-2"], ["--threads must be at least 1", "not -2"]),
])
def test_bad_link_options_are_refused(tmp_path, args, said):
    r = CliRunner().invoke(app, ["link", "a.csv", "b.csv", "--out", str(tmp_path / "o"), *args])
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert all(s in text for s in said), text
    assert not (tmp_path / "o").exists()
