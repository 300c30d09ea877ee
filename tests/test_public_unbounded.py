"""The public report of runs whose interval has no upper limit (tester report 9, F6 and F10), and ranges rounded
at their own precision (F13)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from tests.test_monitor_unbounded import MON_SPARSE

from darkfigure.report.public_rounding import round_figure, round_range


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "script", "title")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script", "title")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _text(path) -> str:
    p = _Text()
    p.feed(path.read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", " ".join(p.parts))


@pytest.fixture(scope="module")
def lp1(tmp_path_factory):
    """Tester 9's lp1.csv: two lists sharing one person; the averaged interval has no upper limit."""
    from typer.testing import CliRunner

    from darkfigure.cli import app

    d = tmp_path_factory.mktemp("lp1")
    data = d / "lp1.csv"
    data.write_text("A,B,count\n1,0,40\n0,1,30\n1,1,1\n")
    r = CliRunner().invoke(app, ["estimate", str(data), "--ci", "averaged", "--seed", "1", "--reps", "200",
                                 "--jobs", "1", "--out", str(d / "o")])
    assert r.exit_code == 0, r.output
    return d / "o"


def test_public_report_of_an_unbounded_interval_shows_the_lower_limit(lp1, cli):
    res = json.loads((lp1 / "result.json").read_text())
    # JSON has no infinity: null plus an explicit flag (tester 13a, F6.1; darkfigure.result_json)
    assert res["interval"]["upper"] is None and res["interval"]["upper_unbounded"] is True
    low = res["to_publish"]["low"]
    floor = round_range(low, float("inf"))  # a published floor is rounded down (386 -> 380), never up
    assert floor.lower <= low
    for lang, says in (("en", f"At least about {floor.lower_text} victims."),
                       ("nl", f"Minstens ongeveer {floor.lower_text.replace(',', '.')} slachtoffers.")):
        out = cli(["report", lp1, "--audience", "public", "--lang", lang, "--out", lp1 / f"p_{lang}.html"], code=0)
        assert "edited or damaged" not in out
        page = _text(lp1 / f"p_{lang}.html")
        assert says in page, page[:600]
    assert "only a lower limit can be published" in _text(lp1 / "p_en.html")
    assert f"{res['nhat']:,.0f}" not in _text(lp1 / "p_en.html")  # N̂ itself is not published


def test_real_garbage_in_result_json_is_still_refused(lp1, cli, tmp_path):
    import shutil

    d = tmp_path / "edited"
    shutil.copytree(lp1, d)
    res = json.loads((d / "result.json").read_text())
    (d / ".darkfigure-outputs.json").unlink(missing_ok=True)
    for bad in ("lots", "1e3", True, [1]):
        res["interval"]["upper"] = bad
        (d / "result.json").write_text(json.dumps(res))
        cli(["report", d, "--audience", "public", "--out", d / "p.html", "--overwrite"], code=2,
            says=["interval 'upper' is", "the file was edited or damaged"])


def test_public_monitor_rows_without_upper_limit(tmp_path, cli):
    data = tmp_path / "mon_sparse.csv"
    data.write_text(MON_SPARSE)
    out = tmp_path / "o"
    cli(["monitor", data, "--year", "year", "--seed", "1", "--reps", "200", "--jobs", "1", "--out", out], code=0)
    for lang, least, most in (("en", "at least", "at most"), ("nl", "minstens", "hoogstens")):
        cli(["report", out, "--audience", "public", "--lang", lang, "--out", out / f"p_{lang}.html"], code=0)
        page = _text(out / f"p_{lang}.html")
        # the years publish their lower limit only (600 and 560 rounded down to two significant digits), never N̂ 1,408 / 1,667
        assert f"2020 92 {least} 600 {most} 15%" in page, page
        assert f"2021 100 {least} 550 {most} 18%" in page, page
        assert "1,408" not in page and "1.408" not in page and "1,400" not in page and "1.400" not in page
        assert "4,808" not in page and "4.808" not in page
    # the analyst report: trend and publication tables say "no upper limit" as its estimates table does
    cli(["report", out, "--out", out / "analyst.html"], code=0)
    page = _text(out / "analyst.html")
    assert "2020 92 1,408 600 no upper limit 1,316" in page  # trend: year, registered, N̂, lower, upper, dark figure
    assert "total 2020 92 1,408 600 – no upper limit 6.5% 0.0%–15.3%" in page  # the publication table (as written)
    assert "598" not in page and "4,808" not in page and "∞" not in page.split("Warnings")[0]


@pytest.mark.parametrize("low, high, text", [
    (19612.5, 48033.1, "19,000 and 49,000"),   # tester 9, F13: was "10,000 and 50,000"; tester 10, F9: "50,000"
    (18684.9, 51835.6, "18,000 and 52,000"),   # was "10,000 and 60,000"
    (7076.2, 19032.9, "7,000 and 20,000"),     # tester 10, F9: was "7,000 and 19,100" (2 digits, then 3)
    (186.1, 42662.4, "180 and 43,000"),        # each end two significant digits of itself
    (7234.0, 9876.0, "7,200 and 9,900"),       # ends of one magnitude share one step
    (8150.0, 8170.0, "8,150 and 8,170"),       # a narrow range keeps its digits (the half-width's step)
    (671.0, 2471.0, "670 and 2,500"),
])
def test_range_ends_at_two_significant_digits(low, high, text):
    f = round_range(low, high)
    assert f"{f.lower_text} and {f.upper_text}" == text
    assert f.lower <= low and f.upper >= high  # outward: the published range holds the computed one
    assert (low - f.lower) < 0.1 * low and (f.upper - high) < 0.1 * high  # no end moves by a tenth
    nl = round_range(low, high, lang="nl")
    assert nl.lower_text == f.lower_text.replace(",", ".")


def _significant(x: float) -> int:
    """Significant digits of a whole number as printed (trailing zeros do not count)."""
    return len(str(int(round(x))).rstrip("0")) if x else 0


def test_range_ends_never_move_far_on_random_ranges():
    import numpy as np

    rng = np.random.default_rng(11)
    for _ in range(2000):
        lo = float(10 ** rng.uniform(1.5, 6))
        hi = lo * float(rng.uniform(1.001, 20))
        f = round_range(lo, hi)
        assert f.lower <= lo and f.upper >= hi
        for x, r in ((lo, f.lower), (hi, f.upper)):
            assert abs(r - x) < max(0.1 * x, 1.0), (lo, hi, f)
        if hi - lo >= 0.2 * hi:  # a wide range: two significant digits at most at both ends (one rule, F9)
            assert _significant(f.lower) <= 2 and _significant(f.upper) <= 2, (lo, hi, f)


def test_figures_with_a_point_keep_their_ends_within_a_tenth():
    # a point estimate with a wide interval whose low end would lose half of itself at the width's unit
    f = round_figure(30000, 19613, 48033)
    assert (f.text, f.lower_text, f.upper_text) == ("30,000", "19,000", "49,000")
    # tester 9's "Nationaliteit Nederlands 10.100 (9.000-11.000)": one unit (hundreds) for point and ends
    f = round_figure(10084.6, 9032.6, 10985.4, lang="nl")
    assert (f.text, f.lower_text, f.upper_text, f.unit) == ("10.100", "9.000", "11.000", 100.0)


def _assumption_pages(lp1, cli, d, to_publish: dict | None = None) -> tuple[str, str]:
    """lp1's run copied to `d` with an assumption range of 19,612-48,033 (chance: 18,685-51,836) and, when given,
    `to_publish` merged into its result; its public pages in English and Dutch, as text."""
    import shutil

    shutil.copytree(lp1, d)
    res = json.loads((d / "result.json").read_text())
    res["identifying_assumption"]["low"], res["identifying_assumption"]["high"] = 19612.5, 48033.1
    res["identifying_assumption"]["bounds"]["confidence"] = [18684.9, 51835.6]
    if to_publish is not None:
        res["to_publish"] = {**(res.get("to_publish") or {}), **to_publish}
    (d / "result.json").write_text(json.dumps(res))
    (d / ".darkfigure-outputs.json").unlink(missing_ok=True)
    for lang in ("en", "nl"):
        cli(["report", d, "--audience", "public", "--lang", lang, "--out", d / f"p_{lang}.html", "--overwrite"],
            code=0)
    return _text(d / "p_en.html"), _text(d / "p_nl.html")


def test_public_page_rounds_the_assumption_range_at_its_precision(lp1, cli, tmp_path):
    en, nl = _assumption_pages(lp1, cli, tmp_path / "ia")
    assert "the estimate lies between about 19,000 and 49,000" in en  # one rule for both ends (tester 10, F9)
    assert "Allowing for chance as well, it lies between about 18,000 and 52,000" in en
    assert "tussen ongeveer 19.000 en 49.000" in nl and "tussen ongeveer 18.000 en 52.000" in nl
    assert "10,000 and" not in en


def test_public_lower_limit_beside_an_assumption_range_reaching_below_it(lp1, cli, tmp_path):
    # tester 12b, L15: "at least about 35,000" beside "between about 25,000 and 77,000" read as a contradiction
    for published_high, says in ((None, True), (60000.0, False)):
        en, nl = _assumption_pages(lp1, cli, tmp_path / f"ia_{published_high}", {"low": 30000.0, "high": published_high})
        assert ("the lower limit of the key figure holds only under the assumption the model itself makes" in en) is says
        assert ("De ondergrens van het kerncijfer geldt dus alleen onder de eigen aanname" in nl) is says
