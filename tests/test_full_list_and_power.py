"""A list that registered everyone is not an estimate (tester 7, 8); 'to publish' carries a weak heterogeneity
check's power (tester 7, 9)."""

from __future__ import annotations

import json

import pytest

from darkfigure import datasets
from darkfigure.estimation import estimate
from darkfigure.publish import LOW_POWER

KOSOVO = datasets.load_frame("kosovo_1999")  # EXH, ABA, OSCE, HRW, count


@pytest.fixture
def everyone(tmp_path):
    f = tmp_path / "everyone.csv"
    KOSOVO[KOSOVO["EXH"] == 1].to_csv(f, index=False)
    return f


def test_full_list_is_not_identified_in_the_api(everyone):
    e = estimate(everyone, ci="profile")
    d = e.to_dict()
    assert d["status"] == "not identified" and d["nhat"] is None and d["dark_figure"] is None
    assert all(not c["computed"] and c["message"].startswith("not applicable") for c in d["checks"])
    assert d["to_publish"]["statement"].startswith("Do not publish an N̂: list(s) 'EXH' registered every observed")
    assert d["to_publish"]["low"] == 1910 and d["to_publish"]["high"] is None
    said = [w for w in e.warnings + e.notes if "registered every observed person" in w or "1 in every row" in w]
    assert len(said) == 1, said  # one message, not a note and a warning with the same text
    t = e.estimates_to_write()
    assert t.loc[0, "status"] == "not identified" and t["nhat"].isna().all()


def test_full_list_python_api_says_the_same(everyone):
    import math

    import darkfigure as dfg

    r = dfg.estimate(everyone, ci="profile")
    assert r.status == "not identified" and math.isnan(r.nhat)


def test_full_list_exits_3_without_a_figure(cli, everyone, tmp_path):
    out = cli(["estimate", everyone, "--ci", "profile", "--out", tmp_path / "o"], code=3,
              says=["not identified by these data",  # the banner (a panel: its lines are cut by borders)
                    "to publish: Do not publish an N̂: list(s) 'EXH' registered every observed person, so the other "
                    "lists carry no information about the persons no list saw: N is not bounded above",
                    "goodness of fit not applicable", "heterogeneity not applicable"])
    assert "profile-likelihood interval" not in out and "dark figure" not in out and "passed" not in out
    res = json.loads((tmp_path / "o" / "result.json").read_text())
    assert res["status"] == "not identified" and res["nhat"] is None


def test_full_list_gives_no_compare_headline(everyone):
    from darkfigure.comparison import compare

    hl = compare(everyone, ["loglinear-bic", "Mt"], seed=1).attrs["headline"]
    assert hl["low"] is None and hl["high"] is None and "N is not bounded above" in hl["reasons"][0]


def test_full_list_compare_exits_3(cli, everyone):
    cli(["compare", everyone, "--methods", "loglinear-bic,Mt", "--reps", "50", "--no-validation"], code=3,
        says=["headline: no range", "List(s) 'EXH' registered every observed person"])


def test_low_power_heterogeneity_check_is_said_in_to_publish():
    e = estimate("uk_2013", ci="profile")
    het = next(c for c in e.checks if c.name == "heterogeneity")
    power = het.details["power_hard_to_reach"]
    assert power < LOW_POWER and not het.flagged
    p = e.to_dict()["to_publish"]
    assert p["rules"][:3] == ["agree", "heterogeneity-low-power", "sensitivity-range"]
    assert (f"the heterogeneity check finds none, but it would detect a hard-to-reach 30% of persons (registered by "
            f"every list with 1/4 of the others' probability) only {power:.0%} of the time (its power)") in p["statement"]
    assert "the interval does not cover heterogeneity the check cannot detect" in p["statement"]
    assert "the checks find no heterogeneity it misses" not in p["statement"]
