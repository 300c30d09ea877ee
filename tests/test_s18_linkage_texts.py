"""Tester report 18a, H3, M3, M4, L2 and L1: what a run corrected for linkage error says when its draws are shifted.

* H3: the headline gives the true reason of each kind of widening, and the share of the width from linkage is
  that of the interval published (terminal, result.json, report.html).
* M3: "to publish" never begins with "Publish N̂" beside the linkage's caveats (publish_interval is false).
* M4: the identifying-assumption range is on the scale of N̂ corrected.
* L2: each limit of the dark figure's interval subtracts the persons of the linkage it came from.
* L1: a darkfigure RuntimeWarning raised during `link` becomes a `warning:` line.

Synthetic registrations only (``synthetic_pairs``); no Splink.
"""

from __future__ import annotations

import io
import json
import math
import warnings

import numpy as np
import pytest

from darkfigure.linkage.combine import SHIFTED, WIDENED, widening_words, width_share
from synthetic_pairs import below_threshold_run


@pytest.fixture(scope="module")
def shifted(tmp_path_factory):
    """An estimate whose draws join more than the as-linked persons (as tests/test_linkage_decides_publish.py: a
    third of the true pairs scored just below the threshold), with the identifying-assumption range, written."""
    from darkfigure.estimation import estimate

    run = below_threshold_run()
    e = estimate(run.histories().collapse([]), linkage_run=run, search="none", ci="parametric", reps=100, seed=3,
                 linkage_draws=4, linkage_reps=20, n_jobs=1, assumption_range=(0.5, 2.0))
    out = tmp_path_factory.mktemp("s18") / "o"
    e.write(out)
    return e, out


# ----------------------------------------------------------------------------- H3
def test_widening_words_give_each_kind_its_reason():
    assert widening_words(True, True) == SHIFTED and widening_words(False, True) == SHIFTED
    assert widening_words(True, False) == WIDENED and widening_words(False, False) is None


def test_width_share_is_the_published_intervals_after_a_shift():
    # hard_1 of tester 18a: draws 3,785-4,557 with 10.4% of their variance from linkage, published 3,785-8,615
    got = width_share([0.104, 0.104, np.nan], [3785.0] * 3, [4557.0] * 3, [3785.0] * 3, [8615.0] * 3,
                      [True, False, True])
    own = 1 - math.sqrt(1 - 0.104)
    assert got[0] == pytest.approx(1 - (4557 - 3785) * math.sqrt(1 - 0.104) / (8615 - 3785))
    assert got[0] > 0.8 and got[1] == pytest.approx(own) and np.isnan(got[2])
    # a shifted row without a finite published width: not computed, never 100%
    assert np.isnan(width_share(0.1, 1.0, 2.0, 1.0, np.inf, True)[0])


def test_estimate_reports_the_width_share_of_the_published_interval(shifted):
    e, out = shifted
    lk = e.linkage
    assert lk.shifted
    ws = (lk.upper_draws - lk.lower_draws) * math.sqrt(1 - lk.share_linkage)
    assert lk.width_share_linkage == pytest.approx(1 - ws / (lk.upper - lk.lower))
    assert lk.width_share_linkage_draws == pytest.approx(1 - math.sqrt(1 - lk.share_linkage))
    block = json.loads((out / "result.json").read_text(encoding="utf-8"))["linkage"]
    assert block["width_share_linkage"] == pytest.approx(lk.width_share_linkage)
    assert block["width_share_linkage_draws"] == pytest.approx(lk.width_share_linkage_draws)
    assert WIDENED not in block["interval_note"] and SHIFTED in block["interval_note"]
    assert WIDENED not in str(lk)


def test_terminal_says_the_shift_and_the_published_width_share(shifted, monkeypatch):
    from rich.console import Console

    import darkfigure.cli.estimate as cli
    from darkfigure.report.views import fmt_pct

    e, _ = shifted
    buf = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=buf, width=2000, color_system=None))
    cli._print_result(e)
    cli._print_linkage(e.linkage, e)
    text = buf.getvalue()
    head = next(line for line in text.splitlines() if "N̂ corrected for linkage error (see below)" in line)
    assert SHIFTED in head and WIDENED not in head
    assert f"{fmt_pct(e.linkage.width_share_linkage)} of its width from linkage, the widening" in text
    assert f"{fmt_pct(e.linkage.share_linkage)} of its variance and " in text  # the draws' own, beside them


def test_report_says_the_shift_and_the_published_width_share(shifted):
    from darkfigure.report import build_report
    from darkfigure.report.views import fmt_pct

    e, out = shifted
    html = build_report(out).read_text(encoding="utf-8").replace("&#39;", "'")
    assert WIDENED not in html
    assert f"{fmt_pct(e.linkage.width_share_linkage)} of its width, the widening to cover N̂ as linked" in html


# ----------------------------------------------------------------------------- M3
def test_to_publish_does_not_lead_with_publish_beside_the_linkage_caveats(shifted):
    e, _ = shifted
    p = e.to_publish()
    s = str(p["statement"])
    assert "linkage-decides" in p["rules"] and p["publish_interval"] is False
    assert not s.startswith("Publish")
    if p["rules"][0] == "agree":
        assert s.startswith(f"Do not publish N̂ {e.nhat:,.0f} as it stands")
        assert f"publish the interval {e.lower:,.0f}–{e.upper:,.0f}, not the point" in s


def test_linkage_lead_words():
    from darkfigure.publish_caveats import linkage_lead

    assert linkage_lead(["failed-replicates"], 100.0, 90.0, 120.0) is None
    both = linkage_lead(["linkage-warnings", "linkage-decides"], 2987.0, 2798.0, 3587.0)
    assert both.startswith("Do not publish N̂ 2,987 as it stands") and "warnings resolved" in both
    assert "publish the interval 2,798–3,587, not the point" in both
    alone = linkage_lead(["linkage-warnings"], 2987.0, 2798.0, 3587.0)
    assert alone.startswith("Do not publish N̂ 2,987 (2,798–3,587) as it stands") and "publish the interval" not in alone


# ----------------------------------------------------------------------------- M4
def test_identifying_assumption_is_on_the_corrected_scale(shifted):
    e, out = shifted
    ia, lk = e.identifying, e.linkage
    assert ia is not None and not ia.as_linked and ia.as_linked_range is not None
    pc = lk.persons_corrected
    assert ia.nhat == pytest.approx(e.nhat)
    assert ia.low == pytest.approx(e.nhat - 0.5 * (e.nhat - pc))
    assert ia.high == pytest.approx(e.nhat + (e.nhat - pc))
    assert ia.as_linked_range["nhat"] == pytest.approx(lk.nhat_as_linked)
    line = ia.summary_line()
    assert "before the linkage correction" not in line and "N̂ corrected for linkage error" in line
    lo, hi = ia.bounds["confidence"]
    assert lo <= ia.low <= e.nhat <= ia.high <= hi
    if lk.widened or lk.shifted:  # each linkage's interval moved with its own persons (never U - n_c beside U as linked)
        pc_hi = pc + 2.0 * (lk.upper_draws - pc)
        assert hi == pytest.approx(max(pc_hi, ia.as_linked_range["confidence"][1], ia.high))
        assert ia.bounds["basis"] == "corrected interval, widened"
    sub = ia.subgroups
    assert sub.iloc[0]["nhat"] == pytest.approx(e.nhat)
    block = json.loads((out / "result.json").read_text(encoding="utf-8"))["identifying_assumption"]
    assert block["as_linked"] is False and block["as_linked_range"]["nhat"] == pytest.approx(lk.nhat_as_linked)


# ----------------------------------------------------------------------------- L2
def test_dark_interval_subtracts_each_limits_own_persons():
    from darkfigure.dark_floor import dark_interval

    # mild_1 of tester 18a: the lower limit from the draws, the upper one from the interval as linked
    lo, hi = dark_interval(2798.0, 3587.0, 2166.28, (3141.8, 3587.0, 3351.8, 2278.0),
                           (2798.0, 3206.7, 2987.5, True, True))
    assert lo == pytest.approx(2798.0 - 2166.28) and hi == pytest.approx(3587.0 - 2278.0)
    # without a widening: the interval minus the persons; never below 0
    assert dark_interval(2798.0, 3206.7, 2166.28, (3141.8, 3587.0, 3351.8, 2278.0),
                         (2798.0, 3206.7, 2987.5, False, False)) == pytest.approx((2798.0 - 2166.28, 3206.7 - 2166.28))
    assert dark_interval(100.0, 130.0, 120.0) == (0.0, pytest.approx(10.0))


def test_estimates_csv_dark_interval_takes_each_scale(shifted):
    from darkfigure.dark_floor import dark_interval

    e, _ = shifted
    t = e.estimates_to_write()
    r = t.iloc[0]
    lo, hi = dark_interval(r["lower"], r["upper"], r["observed_corrected"],
                           (r["lower_as_linked"], r["upper_as_linked"], r["nhat_as_linked"], r["observed"]),
                           (r["lower_draws"], r["upper_draws"], r["nhat_mean_draws"], True, True))
    assert (r["dark_figure_lower"], r["dark_figure_upper"]) == pytest.approx((lo, hi))
    assert r["dark_figure_upper"] == pytest.approx(max(r["upper_draws"] - r["observed_corrected"],
                                                       r["upper_as_linked"] - r["observed"]))
    assert (t["dark_figure_lower"].dropna() >= 0).all()
    assert r["dark_figure_lower"] <= r["dark_figure"] <= r["dark_figure_upper"]


# ----------------------------------------------------------------------------- L1
def test_link_says_its_own_runtime_warnings_as_warning_lines():
    from darkfigure.cli.linkage import _said_warnings

    ours = "/x/site-packages/darkfigure/linkage/undated_errors.py"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn_explicit("the scale c of the prior of 'nobody' stopped at its lower bound 1e-06",
                               RuntimeWarning, ours, 118)
        warnings.warn_explicit("the scale c of the prior of 'nobody' stopped at its lower bound 1e-06",
                               RuntimeWarning, ours, 118)
        warnings.warn_explicit("said already", RuntimeWarning, ours, 120)
        warnings.warn_explicit("invalid value encountered in divide", RuntimeWarning, ours, 130)
        warnings.warn_explicit("a library's own", UserWarning, "/x/site-packages/other/mod.py", 1)
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        said = _said_warnings(caught, ["link: said already, in the result"])
    assert said == ["the scale c of the prior of 'nobody' stopped at its lower bound 1e-06"]
    assert sorted(str(w.message) for w in again) == ["a library's own", "invalid value encountered in divide"]


def test_agree_with_linkage_caveats_leads_with_do_not_publish(shifted, monkeypatch):
    """The fixture's model fits poorly; with every check passed (and a link warning) the rule is ``agree``, whose
    statement began "Publish N̂ … with its interval" beside "resolve it and link again before publishing"."""
    import copy

    import darkfigure.publish as pub

    e, _ = shifted
    fake = copy.copy(e)
    fake.checks = [copy.copy(c) for c in e.checks]
    for c in fake.checks:
        c.flagged = False
    fake.warnings = [*e.warnings, "link: some registrations share a name. They may be one person"]
    monkeypatch.setattr(pub, "goodness_of_fit", lambda *a, **k: {"flagged": False, "p_value": 0.5, "deviance": 1.0,
                                                                 "df": 1})
    low_power = fake.to_publish()  # the check's power is low here: the sensitivity range is what to publish
    s = str(low_power["statement"])
    assert "heterogeneity-low-power" in low_power["rules"] and s.startswith(f"Do not publish N̂ {e.nhat:,.0f} as it")
    assert "publish a range, never the point alone. Apart from the linkage, publish N̂" in s
    monkeypatch.setattr(pub, "_weak_heterogeneity_check", lambda *a, **k: None)
    p = fake.to_publish()
    s = str(p["statement"])
    assert p["rules"][0] == "agree" and {"linkage-warnings", "linkage-decides"} <= set(p["rules"])
    assert p["publish_interval"] is False
    assert s.startswith(f"Do not publish N̂ {e.nhat:,.0f} as it stands") and "Apart from the linkage, " in s
    assert f"publish the interval {e.lower:,.0f}–{e.upper:,.0f}, not the point" in s and "Publish" not in s
    assert "resolve it and link again before publishing" in s  # the caveat stays
