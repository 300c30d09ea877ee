"""Public report: rounded lower ends never fall below the number registered; methods without an estimate show none (tester 9, F22)."""

from __future__ import annotations

import pytest

from darkfigure.report.public_rounding import round_figure


@pytest.mark.parametrize("value, lower, upper, registered", [(24, 14, 68, 13), (62, 13.0, 880, 13), (310, 101, 2900, 100)])
def test_lower_end_floored_at_the_registered_count(value, lower, upper, registered):
    plain = round_figure(value, lower, upper)
    floored = round_figure(value, lower, upper, floor=registered)
    assert floored.lower >= registered and floored.lower <= lower  # never below the registered, never above computed
    assert floored.upper == plain.upper and floored.value == plain.value
    if plain.lower >= registered:
        assert floored.lower_text == plain.lower_text


def test_floor_never_raises_a_lower_end_below_the_registered_count():
    # a computed lower end below the registered count (not possible for N̂, but for a share) is left as rounded
    f = round_figure(24, 9, 68, floor=13)
    assert f.lower == round_figure(24, 9, 68).lower


def test_public_compare_table_floors_and_drops_no_estimate_rows(tmp_path):
    from typer.testing import CliRunner

    from darkfigure.cli import app

    data = tmp_path / "sparse3.csv"
    data.write_text("A,B,C,count\n1,0,0,5\n0,1,0,3\n0,0,1,4\n1,1,0,1\n")
    r = CliRunner().invoke(app, ["compare", str(data), "--seed", "1", "--methods", "Mh-poisson2,lcmcr,Mt",
                                 "--out", str(tmp_path / "c")])
    assert r.exit_code in (0, 3), r.output
    r = CliRunner().invoke(app, ["report", str(tmp_path / "c"), "--audience", "public", "--out", str(tmp_path / "p")])
    assert r.exit_code == 0, r.output
    import re

    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (tmp_path / "p" / "report_public_en.html").read_text()))
    row = page[page.find("(Mh-poisson2)"):][:60]
    assert "no estimate" in row and "(" not in row.split(")", 1)[1][:25]
    lows = [int(m.replace(",", "")) for m in re.findall(r"\d[\d,]* \((\d[\d,]*)–", page)]
    assert lows and min(lows) >= 13
