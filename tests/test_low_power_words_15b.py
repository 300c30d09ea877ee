"""Tester report 15b, M5: a weak heterogeneity check "did not detect", it did not "pass", and the sensitivity range
is published as a condition on ψ, never as "the one N lies in" (terminal, report.html and the public page, en+nl).

The bundled ``uk_2013`` counts (heterogeneity check power 8%), no person-level data.
"""

from __future__ import annotations

import html
import json
import re
import shutil

import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.cli.common import _check_marks
from darkfigure.diagnostics import LOW_POWER, unflagged_state
from darkfigure.estimation import estimate
from darkfigure.publish import publish_statement
from darkfigure.report.public_rounding import round_range
from darkfigure.report.sections_fit import _check_view

runner = CliRunner()


def _flat(s: str) -> str:
    """The visible text of a page (style sheet and tags removed), whitespace collapsed."""
    s = re.sub(r"<style.*?</style>", " ", s, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", s)))


@pytest.fixture(scope="module")
def uk():
    """uk_2013 with a profile interval: the statement that publishes the sensitivity range (low-power check)."""
    return estimate("uk_2013", ci="profile")


def test_statement_says_the_range_as_a_condition(uk):
    """The range is what N lies in *if* ψ lies within the chosen ψ range; "the one N lies in" is gone."""
    p = publish_statement(uk)
    assert "sensitivity-range" in p["rules"]
    s = p["statement"]
    assert "the one N lies in" not in s and "give that range as" not in s
    rng = f"{p['low']:,.0f}–{p['high']:,.0f}"
    a, b = uk.identifying.range
    assert (a, b) == pytest.approx((0.5, 2.0))
    assert (f"if the unobserved persons' dependence (ψ) lies within 1/2–2× of what the model assumes, N lies in {rng}"
            in s)
    assert "a choice (--assumption-range), not a bound the data give" in s


def test_terminal_line_says_not_detected(uk):
    """The model-checks line: "heterogeneity not detected (… only 8% of the time: its power)", never "… passed"."""
    het = next(c for c in uk.checks if c.name == "heterogeneity")
    power = het.details["power_hard_to_reach"]
    assert power < LOW_POWER and not het.flagged
    line = _check_marks(uk.checks)
    assert f"heterogeneity not detected (the test would detect a 30% hard-to-reach group only {power:.0%} of the time: its power)" in line
    assert not re.search(r"heterogeneity[^;]*passed", line)
    assert "residuals by number of lists [green]passed[/]" in line  # the others still pass


def test_cli_prints_not_detected(tmp_path):
    """The estimate command's printed line (the terminal the tester read)."""
    r = runner.invoke(app, ["estimate", "uk_2013", "--ci", "profile", "--out", str(tmp_path / "o")],
                      env={"COLUMNS": "400"})
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "heterogeneity not detected (the test would detect a 30% hard-to-reach group only 8% of the time: its power)" in out
    assert "its power) passed" not in out and "heterogeneity passed" not in out
    assert "the one N lies in" not in out


@pytest.mark.parametrize("power, name, want", [
    (0.08, "heterogeneity", "not detected (the test would detect a 30% hard-to-reach group only 8% of the time: its power)"),
    (0.49, "heterogeneity", "not detected (the test would detect a 30% hard-to-reach group only 49% of the time: its power)"),
    (0.5, "heterogeneity", "passed"),
    (0.9, "heterogeneity", "passed"),
    (None, "heterogeneity", "passed"),  # no stated power (an older result.json): the word it had
    (0.08, "chao_lower_bound", "passed"),  # the power is the heterogeneity check's own
])
def test_unflagged_state(power, name, want):
    """The rule on its own: below :data:`LOW_POWER` a computed, unflagged heterogeneity check did not detect."""
    assert unflagged_state(name, {"power_hard_to_reach": power} if power is not None else {}) == want


def test_report_html_check_status():
    """report.html's check list reads result.json's checks with the same words as the terminal."""
    het = {"name": "heterogeneity", "statistic": -0.75, "flagged": False, "computed": True,
           "message": "heterogeneity: common pairwise interaction z = -0.75", "details": {"power_hard_to_reach": 0.08}}
    assert _check_view(het)["status"] == "not detected (the test would detect a 30% hard-to-reach group only 8% of the time: its power)"
    assert _check_view(het | {"details": {"power_hard_to_reach": 0.8}})["status"] == "passed"
    assert _check_view(het | {"flagged": True})["status"] == "flagged"
    gof = {"name": "goodness_of_fit", "statistic": 0.99, "flagged": False, "computed": True,
           "message": "goodness of fit: deviance 29.5 on 50 df (p = 0.99); the table is sparse …, so the chi-square "
                      "p-value is unreliable and is not used — see the residuals by number of lists"}
    assert _check_view(gof)["status"] == "not used (sparse table)"


def test_public_page_states_the_condition(tmp_path):
    """The public page's sensitivity-range sentence names the ψ span as a condition, in en and nl."""
    d = tmp_path / "est"
    r = runner.invoke(app, ["estimate", "uk_2013", "--seed", "1", "--reps", "50", "--jobs", "1", "--out", str(d)])
    assert r.exit_code == 0, r.output
    res = json.loads((d / "result.json").read_text())
    lo, hi = res["interval"]["lower"], res["interval"]["upper"]
    res["to_publish"] = {"low": 0.5 * lo, "high": 2 * hi, "rules": ["agree", "heterogeneity-low-power",
                                                                     "sensitivity-range"],
                         "publish_interval": False, "statement": "Publish with the range"}
    res["identifying_assumption"]["range"] = [0.5, 2.0]
    run = tmp_path / "run"
    shutil.copytree(d, run)
    (run / "result.json").write_text(json.dumps(res))
    (run / ".darkfigure-outputs.json").unlink(missing_ok=True)  # a hand-edited file
    for lang, cond in (("en", "If that dependence is between 0.5 and 2 times as strong as the model assumes, the "
                              "number lies between about {lo} and {hi}"),
                       ("nl", "Is die afhankelijkheid tussen 0,5 en 2 keer zo sterk als het model aanneemt, dan "
                              "ligt het aantal tussen ongeveer {lo} en {hi}")):
        r = runner.invoke(app, ["report", str(run), "--audience", "public", "--lang", lang])
        assert r.exit_code == 0, r.output
        page = _flat((run / f"report_public_{lang}.html").read_text())
        f = round_range(0.5 * lo, 2 * hi, lang=lang)
        assert cond.format(lo=f.lower_text, hi=f.upper_text) in page
        assert "Allowing also for the assumption" not in page and "Houdt men ook rekening" not in page
