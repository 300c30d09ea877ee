"""Wording and option checks on the README walkthrough's outputs (s24 fresh-clone user, L4 and L5)."""

from __future__ import annotations

import itertools
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from darkfigure.cli.estimate import unblocked_text
from darkfigure.estimation import estimate
from darkfigure.headline import headline
from darkfigure.histories import CaptureHistories
from s11_link_folder import small_folder


def _flat(text: str) -> str:
    """Output with rich's line wrapping and box borders removed."""
    return re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", text))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return small_folder(tmp_path_factory.mktemp("s25") / "link")


def test_no_caveat_about_matches_never_compared_when_none_are_expected():
    # L4a: "true matches never compared (not blocked together; 0.0 expected) are added to each draw ..., which
    # under-counts matches with errors in several fields" -- a caveat about nothing
    for added in (0.0, 0.04):
        text = unblocked_text(SimpleNamespace(unblocked_added=added), "plaintext")
        assert "under-counts" not in text and "added to each draw" not in text and "expects none" in text
    text = unblocked_text(SimpleNamespace(unblocked_added=0.3), "plaintext")
    assert "0.3 expected" in text and "under-counts" in text


def test_linkage_none_on_the_link_folder_says_drop_it(folder):
    # L4b: "Give the link output folder with --linkage correct to carry it" although the folder was given
    w = " ".join(estimate(str(folder), linkage="none", ci="none", covariates=[], assumption_range=None).warnings)
    assert "Drop --linkage none (or give --linkage correct)" in w and "Give the link output folder" not in w
    w = " ".join(estimate(str(folder / "histories.csv"), ci="none", covariates=[], assumption_range=None).warnings)
    assert "Give the link output folder with --linkage correct" in w and "Drop --linkage none" not in w


def test_seed_with_nothing_random_is_refused_on_a_link_folder_too(folder, cli):
    # L5: refused on a plain file, but run on a link folder with --linkage none, where nothing is random either
    base = ["estimate", folder, "--covariates", "", "--ci", "none", "--assumption-range", "off"]
    out = _flat(cli([*base, "--linkage", "none", "--seed", "1"], code=2))
    assert "--seed 1 would be ignored" in out and "no linkage draws" in out
    out = _flat(cli([*base, "--linkage", "none", "--jobs", "2"], code=2))
    assert "--jobs 2 would be ignored" in out
    out = _flat(cli(["estimate", folder / "histories.csv", "--covariates", "", "--ci", "none", "--seed", "1"], code=2))
    assert "--seed 1 would be ignored" in out
    # the linkage draws are random: with them the seed is used and accepted
    cli([*base, "--linkage-draws", "2", "--linkage-reps", "0", "--seed", "1"], code=0)


def test_poor_fits_all_below_1e16_are_said_once():
    # L4c: "p-values from below 1e-16 (Mth-chao) down to below 1e-16 (M0)"
    rows = [{"A": a, "B": b, "C": c, "D": d, "count": 200} for a, b, c, d in itertools.product([0, 1], repeat=4)
            if a + b + c + d]
    h = CaptureHistories.from_table(pd.DataFrame(rows), lists=list("ABCD"))

    def row(m, dev):
        from darkfigure.headline import goodness_of_fit

        p = goodness_of_fit(dev, 9, None)["p_value"]
        return {"method": m, "nhat": 4000.0, "lower": 3900.0, "upper": 4100.0, "status": "ok", "deviance": dev,
                "df": 9, "p_value": p, "sparse": False}

    t = pd.DataFrame([row(f"Mh-{i}", 1000.0 + 10 * i) for i in range(5)]
                     + [{"method": "lcmcr", "nhat": 5000.0, "lower": 4500.0, "upper": 5600.0, "status": "ok",
                         "deviance": np.nan, "df": np.nan, "p_value": np.nan, "sparse": False}])
    s = headline(t, h, checks=[], chao=None).reasons[0]
    assert "the deviance tests of these 5 all give p-values below 1e-16" in s and "from below" not in s


def test_fit_row_writes_the_df_with_the_thousands_separator(tmp_path, cli):
    # L4d: "deviance 1,607.6 on 2942 df"
    rng = np.random.default_rng(1)
    rows = [{"A": p[0], "B": p[1], "C": p[2], "g": f"g{g}", "count": int(rng.poisson(4 if sum(p) == 1 else 2))}
            for g in range(200) for p in itertools.product([0, 1], repeat=3) if sum(p)]
    f = tmp_path / "wide.csv"
    pd.DataFrame(rows).to_csv(f, index=False)
    out = _flat(cli(["estimate", f, "--lists", "A,B,C", "--covariates", "g", "--search", "none", "--ci", "none",
                     "--assumption-range", "off"], code=None))
    assert re.search(r"deviance [\d,.]+ on 1,\d{3} df; AIC", out), out
    assert not re.search(r"on \d{4,} df", out)


def test_subgroup_rows_judged_together_are_not_flagged_by_chance():
    # L3: the README's walkthrough (--reps 400 --linkage-draws 10: 200 pooled replicates against 400) warned that
    # 2 of 55 subgroup rows were narrower "by more than the 17% that Monte-Carlo noise allows" and asked to raise
    # the settings the README chose; two standard errors per row flag about 2.3% of rows by chance alone
    from darkfigure.linkage.combine import narrower_tolerance, shortfall

    rng = np.random.default_rng(25)
    runs, rows, b1, b0 = 300, 55, 200, 400
    x1 = rng.standard_normal((runs, rows, b1))
    x0 = rng.standard_normal((runs, rows, b0))
    q1, q0 = np.quantile(x1, [0.025, 0.975], axis=2), np.quantile(x0, [0.025, 0.975], axis=2)
    short = shortfall(q1[0].ravel(), q1[1].ravel(), q0[0].ravel(), q0[1].ravel()).reshape(runs, rows)
    one, together = narrower_tolerance(b1, b0), narrower_tolerance(b1, b0, rows=rows)
    assert one == pytest.approx(0.167, abs=0.005) and together > one
    assert (short > one).any(axis=1).mean() > 0.4  # per-row tolerance: most runs warn about some row
    assert (short > together).any(axis=1).mean() < 0.08  # judged together: about 2.3% of runs
    assert narrower_tolerance(b1, b0, rows=1) == one


def test_a_heterogeneity_flag_is_said_as_a_sign_with_its_false_alarm_rate():
    # M2: on the README walkthrough (simulated N = 8,200) "N̂ 8,310 ... is likely too low: the checks detect
    # heterogeneity": the flag (persons on 3+ lists z = 2.0 against 1.645) is a one-sided 5% test that the simulated
    # population itself trips (the true histories give z = 2.1); it shows a sign, not that N̂ is likely too low
    from darkfigure.datasets import load
    from darkfigure.diagnostics import Check
    from darkfigure.publish import publish_statement

    fake = SimpleNamespace(histories=load("hiv_rome"), nhat=5000.0, lower=4500.0, upper=5600.0,
                           checks=[Check("heterogeneity", 2.0, True, "")], fit=SimpleNamespace(identified=True))
    p = publish_statement(fake)
    assert p["rules"] == ["heterogeneity"] and p["low"] == pytest.approx(4500)
    s = p["statement"]
    assert "likely too low" not in s and "may be too low" in s and "a sign of heterogeneity" in s
    assert "also flag 3–8% of simulated populations without it" in s and "publish its lower limit 4,500" in s


@pytest.mark.parametrize("draws_wider", [False, True])
def test_few_pooled_replicates_are_said_only_when_they_set_a_published_end(draws_wider):
    # L3: the walkthrough's draws' interval (7,977-8,733) lay inside the as-linked one (7,948-8,791), which was
    # published as the union; "its ends carry more Monte-Carlo error (raise --linkage-draws or --linkage-reps)"
    # then spoke of ends nobody publishes
    from darkfigure.pipeline.extras import _interval_warnings

    lo_d, hi_d = (7900.0, 8850.0) if draws_wider else (7977.0, 8733.0)
    lk = SimpleNamespace(lower_draws=lo_d, upper_draws=hi_d, lower=min(lo_d, 7948.0), upper=max(hi_d, 8791.0),
                         widened=not draws_wider, shifted=False, replicates=None, level=0.95, notes=[],
                         nhat_corrected=8310.0, nhat_as_linked=8326.0)
    est = pd.DataFrame({"group": ["total"], "level": [""], "lower": [lk.lower], "upper": [lk.upper],
                        "lower_as_linked": [7948.0], "upper_as_linked": [8791.0]})
    said = _interval_warnings(lk, est, SimpleNamespace(bootstrap=SimpleNamespace(n_replicates=400)), 10, 20)
    assert any("pools 10 linkage draws x 20 bootstrap replicates = 200" in w for w in said) == draws_wider
