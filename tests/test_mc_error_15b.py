"""Tester report 15b, L2: the Monte-Carlo error of the bootstrap interval's limits, in result.json and one line.

The order-statistic standard error (:mod:`darkfigure.loglinear.mc_error`) is checked against the spread of sample
quantiles over repeated synthetic samples, and end to end on the bundled uk_2013 counts (no person-level data).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.estimation import estimate
from darkfigure.loglinear.mc_error import estimate_mc_line, limit_mc_se, mc_error_line, quantile_mc_se
from darkfigure.report.sections_fit import _interval_carries

runner = CliRunner()


@pytest.mark.parametrize("q", [0.025, 0.5, 0.975])
def test_quantile_se_matches_the_spread_over_seeds(q):
    """The standard error from one sample is the spread of the q-quantile over 400 samples of B = 1,000."""
    rng = np.random.default_rng(7)
    samples = rng.lognormal(9.3, 0.25, size=(400, 1000))  # skewed, like N̂'s replicates
    quantiles = np.quantile(samples, q, axis=1)
    se = np.array([quantile_mc_se(s, q) for s in samples])
    assert np.median(se) == pytest.approx(np.std(quantiles, ddof=1), rel=0.25)


def test_quantile_se_edges():
    """Unbounded replicates at the top make the upper limit's error infinite; too few replicates give NaN."""
    v = np.r_[np.arange(100.0), np.full(3, np.inf)]
    assert math.isinf(quantile_mc_se(v, 0.975))
    assert math.isfinite(quantile_mc_se(v, 0.025))
    assert math.isnan(quantile_mc_se(np.array([1.0]), 0.5))
    assert math.isnan(quantile_mc_se(np.arange(10.0), 1.0))


def test_limit_se_only_for_the_bootstraps_own_limits():
    """A limit a rule set (raised, widened) has no Monte-Carlo error of its own: None."""
    res = estimate("uk_2013", seed=1, reps=200)
    mc = limit_mc_se(res.bootstrap, res.lower, res.upper)
    assert mc["replicates"] == 200 and mc["lower"] > 1 and mc["upper"] > mc["lower"]
    assert limit_mc_se(res.bootstrap, res.lower - 50, res.upper)["lower"] is None
    assert limit_mc_se(None, res.lower, res.upper) is None
    d = res.to_dict()["interval"]["monte_carlo_se"]
    assert d["lower"] == pytest.approx(mc["lower"]) and d["upper"] == pytest.approx(mc["upper"])
    # the line estimate and monitor print, from the Estimate itself
    assert estimate_mc_line(res) == mc_error_line(res.lower, res.upper, mc)
    assert estimate_mc_line(estimate("uk_2013", ci="profile")) is None


def test_line_rounds_outward_to_the_errors_order():
    """The printed line: both errors, the interval rounded outward to each error's power of ten, 4x the reps."""
    line = mc_error_line(9828.5, 16378.1, {"lower": 102.0, "upper": 330.0, "replicates": 1000})
    assert "±102 (lower) and ±330 (upper) at 1,000 bootstrap replicates" in line
    # the interval as given (what "to publish" states) beside its rounding: one interval, two precisions (s23)
    assert "quote the interval 9,828–16,378 rounded outward to 9,800–16,400" in line and "--reps 4,000" in line
    line = mc_error_line(9828.5, 16378.1, {"lower": 0.4, "upper": 86.0, "replicates": 1000})
    assert "±86 (upper)" in line and "(lower)" not in line and "9,828–16,378 rounded outward to 9,828–16,380" in line
    assert mc_error_line(9828.5, 16378.1, {"lower": 0.4, "upper": 0.9, "replicates": 1000}) is None
    assert mc_error_line(9828.5, 16378.1, None) is None


def test_cli_prints_the_error_and_result_json_stores_it(tmp_path):
    """`estimate uk_2013` with a bootstrap: the line after "to publish", and result.json's monte_carlo_se."""
    out = tmp_path / "o"
    r = runner.invoke(app, ["estimate", "uk_2013", "--seed", "2", "--reps", "200", "--jobs", "1", "--out", str(out)],
                      env={"COLUMNS": "400"})
    assert r.exit_code == 0, r.output
    iv = json.loads((out / "result.json").read_text())["interval"]
    mc = iv["monte_carlo_se"]
    assert mc["replicates"] == 200 and mc["lower"] > 1 and mc["upper"] > 1
    text = " ".join(r.output.split())
    assert f"±{mc['upper']:,.0f} (upper) at 200 bootstrap replicates" in text
    assert text.index("to publish:") < text.index("Monte-Carlo error of the interval's limits")
    # no bootstrap, no line and no figures
    r = runner.invoke(app, ["estimate", "uk_2013", "--ci", "profile", "--out", str(tmp_path / "p")])
    assert r.exit_code == 0 and "Monte-Carlo error" not in r.output
    assert json.loads((tmp_path / "p" / "result.json").read_text())["interval"]["monte_carlo_se"] is None
    # report.html says it beside the interval, read from result.json
    assert f"Monte-Carlo error of the limits ±{mc['lower']:,.0f} (lower) and ±{mc['upper']:,.0f} (upper) at 200 " \
        "replicates" in _interval_carries(iv, {}, iv["method"])
    assert "Monte-Carlo" not in _interval_carries(iv | {"monte_carlo_se": None}, {}, iv["method"])


def test_a_limit_near_unbounded_replicates_is_said_not_dropped():
    """Replicates without a bound inside a limit's Monte-Carlo band: the limit is flagged as possibly unbounded
    (it was stored as None, the value for a limit set by a rule, and the line said nothing; review of s16); a
    lower limit quoted coarser never falls below the persons registered."""
    from darkfigure.loglinear.mc_error import mc_error_line

    mc = {"replicates": 100, "lower": 7.5, "upper": None, "lower_unbounded": False, "upper_unbounded": True}
    line = mc_error_line(702.0, 1289.0, mc)
    assert line is not None and "may make the upper limit unbounded" in line
    assert mc_error_line(702.0, 1289.0, {**mc, "upper_unbounded": False}) is not None  # the lower's ±7 alone
    low = mc_error_line(640.0, 900.0, {"replicates": 1000, "lower": 102.0, "upper": None}, observed=626.0)
    assert low is not None and "quote the interval 640–900 rounded outward to 626–900" in low


def test_few_replicates_beyond_an_end_give_no_rounded_quote():
    """Tester 19a, L8: at 200 replicates (5 beyond each end of a 95 % interval) the stated error of a limit read
    ±8 to ±40 over seeds where the limit's spread was 31, and the line offered a quote rounded to 10. With fewer
    than 10 replicates beyond an end the line says the error is rough and asks for more replicates instead."""
    rough = {"lower": 8.0, "upper": 40.0, "replicates": 200, "tail_probability": 0.025}
    line = mc_error_line(1822.0, 2445.0, rough)
    assert "itself rough with only 5 replicates beyond each end" in line
    assert "quote the interval" not in line and "--reps 800" in line
    # enough replicates beyond each end: the rounded quote as before
    line = mc_error_line(1822.0, 2445.0, {**rough, "lower": 12.0, "replicates": 1000})
    assert "quote the interval 1,822–2,445 rounded outward to 1,820–2,450" in line and "rough" not in line
    # end to end: uk_2013 at 200 replicates stores the tail probability and prints the rough line
    res = estimate("uk_2013", seed=3, reps=200)
    mc = limit_mc_se(res.bootstrap, res.lower, res.upper)
    assert mc["tail_probability"] == pytest.approx(0.025)
    assert "itself rough" in estimate_mc_line(res)
    assert "only 5 replicates lie beyond each end" in _interval_carries(
        {"monte_carlo_se": mc, "method": "parametric"}, {}, "parametric")
