"""A folder of histories.csv and a links.csv without match probabilities is said to allow no linkage correction
(tester 14b, L9). Synthetic tables only."""

from __future__ import annotations

import pandas as pd
import pytest

from darkfigure.estimation import estimate

_ROWS = [(1, 0, 0, 120), (0, 1, 0, 80), (0, 0, 1, 60), (1, 1, 0, 30), (1, 0, 1, 20), (0, 1, 1, 15), (1, 1, 1, 5)]


@pytest.fixture
def fake(tmp_path):
    d = tmp_path / "fakelink"
    d.mkdir()
    pd.DataFrame(_ROWS, columns=["A", "B", "C", "count"]).to_csv(d / "histories.csv", index=False)
    (d / "links.csv").write_text("a,b\n")
    return d


def test_api_says_no_correction_was_possible(fake):
    e = estimate(fake, ci="none")
    assert any("no linkage correction was possible" in w for w in e.warnings)


def test_cli_says_no_correction_was_possible(cli, fake):
    cli(["estimate", fake, "--ci", "none"], code=0, says=["no linkage correction was possible"])


def test_a_plain_file_gets_no_such_warning(fake):
    e = estimate(fake / "histories.csv", ci="none")
    assert not any("no linkage correction was possible" in w for w in e.warnings)


def test_row_numbers_say_how_they_count(tmp_path):
    """L7 (tester 14b): 'row 2' in estimate's messages is the second line under the header, said as link says it."""
    from darkfigure.errors import DataError

    f = tmp_path / "neg.csv"
    f.write_text("A,B,C,count\n1,0,0,5\n0,1,0,-3\n")
    with pytest.raises(DataError, match=r"row 2 has -3 .*row 1 = the line under the header"):
        estimate(f, ci="none")
