"""darkfigure strata: per-stratum estimation, replicates, totals, the cache, restarts and bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from darkfigure.errors import DataError
from darkfigure.strata import combine, estimate_strata, impute_replicates, simulate_strata
from darkfigure.strata.cache import ResultCache

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(scope="module")
def sim():
    return simulate_strata(4, 3, seed=5)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.drop(columns="seconds", errors="ignore").reset_index(drop=True),
                                  b.drop(columns="seconds", errors="ignore").reset_index(drop=True))


# ----------------------------------------------------------------------------- combining
def test_combine_one_replicate_is_percentiles():
    rng = np.random.default_rng(0)
    d = rng.normal(500, 30, size=(1, 400))
    c = combine(np.array([505.0]), d, np.array([300.0]), "rubin", 0.95)
    assert c["nhat"] == pytest.approx(505.0)
    assert c["lower"] == pytest.approx(np.quantile(d, 0.025))
    assert c["upper"] == pytest.approx(np.quantile(d, 0.975))
    assert c["var_share_replicates"] == pytest.approx(0.0, abs=1e-12)


def test_combine_rubin_by_hand():
    rng = np.random.default_rng(1)
    pts = np.array([480.0, 510.0, 530.0, 495.0])
    d = np.vstack([rng.lognormal(np.log(p), 0.05, size=300) for p in pts])
    c = combine(pts, d, np.full(4, 300.0), "rubin", 0.9)
    q = np.log(pts)
    U = np.log(d).var(axis=1, ddof=1).mean()
    Bq = q.var(ddof=1)
    T = U + 1.25 * Bq
    nu = 3 * (1 + U / (1.25 * Bq)) ** 2
    t = stats.t.ppf(0.95, nu)
    assert c["nhat"] == pytest.approx(pts.mean())
    assert c["lower"] == pytest.approx(np.exp(q.mean() - t * np.sqrt(T)))
    assert c["upper"] == pytest.approx(np.exp(q.mean() + t * np.sqrt(T)))
    W = d.var(axis=1, ddof=1).mean()
    B = pts.var(ddof=1)
    assert c["var_share_replicates"] == pytest.approx(1.25 * B / (W + 1.25 * B))


def test_combine_pooled_is_quantiles_of_all_draws():
    rng = np.random.default_rng(2)
    d = rng.normal(1000, 50, size=(3, 200)) + np.array([[0], [100], [200]])
    c = combine(d.mean(axis=1), d, np.full(3, 500.0), "pooled", 0.95)
    assert c["lower"] == pytest.approx(np.quantile(d.ravel(), 0.025))
    assert c["upper"] == pytest.approx(np.quantile(d.ravel(), 0.975))
    assert 0.5 < c["var_share_replicates"] < 1  # replicates 100 apart, within sd 50


# ----------------------------------------------------------------------------- known truth
def test_loglinear_strata_cover_the_truth_and_total_adds_draws(sim, tmp_path):
    cache = tmp_path / "cache"
    r = estimate_strata(sim.persons, by=["region", "period"], reps=300, seed=3, n_jobs=1, cache=cache)
    assert r.counts["estimated"] == 12 and r.counts["computed"] == 12
    m = r.table.merge(sim.truth, on=["region", "period"])
    covered = ((m["lower"] <= m["N"]) & (m["N"] <= m["upper"])).sum()
    assert covered >= 10  # 95% intervals over 12 strata: 10 or more with probability 0.98
    tot = r.totals.iloc[0]
    assert tot["group"] == "total" and tot["strata"] == 12
    assert tot["nhat_uncorrected"] == pytest.approx(m["nhat"].sum())
    # the total's interval is the quantiles of the sum of the strata's draws, far narrower than adding limits;
    # by default bias-corrected: point minus the summed small-sample bias b of the strata's chosen models (each
    # from the chosen model's own parametric replicates, not from the averaged replicates that repeat the
    # search), the draws shifted by -2b
    store = ResultCache(cache)
    units = [store.get(p.stem) for p in cache.glob("??/*.npz")]
    draws = sum(u["draws"] for u in units)
    b = sum(u["bias"] for u in units)
    assert abs(b) < abs(draws.mean() - m["nhat"].sum())  # here the search's replicates drift further than the MLE
    assert tot["bootstrap_bias"] == pytest.approx(b)
    assert tot["nhat"] == pytest.approx(m["nhat"].sum() - b)
    assert tot["lower"] == pytest.approx(np.quantile(draws - 2 * b, 0.025))
    assert tot["upper"] == pytest.approx(np.quantile(draws - 2 * b, 0.975))
    assert tot["upper"] - tot["lower"] < 0.6 * (m["upper"].sum() - m["lower"].sum())
    assert tot["lower"] <= sim.total <= tot["upper"]
    # total_bias="report": the plain sums and the plain quantiles (all from the cache: nothing recomputed)
    plain = estimate_strata(sim.persons, by=["region", "period"], reps=300, seed=3, n_jobs=1, cache=cache,
                            total_bias="report")
    assert plain.counts["computed"] == 0
    ptot = plain.totals.iloc[0]
    assert ptot["nhat"] == pytest.approx(m["nhat"].sum())
    assert ptot["lower"] == pytest.approx(np.quantile(draws, 0.025))
    assert ptot["upper"] == pytest.approx(np.quantile(draws, 0.975))
    # margins by each --by column
    assert set(r.totals["group"]) == {"total", "region", "period"}
    reg = r.totals[r.totals["group"] == "region"].set_index("level")["nhat"]
    assert reg.sum() == pytest.approx(tot["nhat"])


def test_results_do_not_depend_on_order_or_workers(sim):
    a = estimate_strata(sim.persons, by="region,period", reps=100, seed=9, n_jobs=1)
    shuffled = sim.persons.sample(frac=1.0, random_state=4).reset_index(drop=True)
    b = estimate_strata(shuffled, by="region,period", reps=100, seed=9, n_jobs=2)
    _same(a.table, b.table)
    _same(a.totals, b.totals)
    c = estimate_strata(sim.persons, by="region,period", reps=100, seed=10, n_jobs=1)
    assert not np.allclose(a.table["upper"], c.table["upper"])  # the run seed matters


def test_cache_reruns_only_what_changed(sim, tmp_path):
    cache = tmp_path / "c"
    a = estimate_strata(sim.persons, by="region,period", reps=100, seed=1, n_jobs=1, cache=cache)
    b = estimate_strata(sim.persons, by="region,period", reps=100, seed=1, n_jobs=1, cache=cache)
    assert b.counts["computed"] == 0 and b.counts["from_cache"] == 12
    _same(a.table, b.table)
    changed = sim.persons.drop(index=sim.persons.index[(sim.persons["region"] == "r001")
                                                       & (sim.persons["period"] == 2001)][:5])
    c = estimate_strata(changed, by="region,period", reps=100, seed=1, n_jobs=1, cache=cache)
    assert c.counts["computed"] == 1
    d = estimate_strata(sim.persons, by="region,period", reps=101, seed=1, n_jobs=1, cache=cache)
    assert d.counts["computed"] == 12  # a setting is part of the key


def test_cache_refuses_a_foreign_folder(tmp_path):
    (tmp_path / "mine.txt").write_text("hello")
    with pytest.raises(DataError, match="did not create"):
        ResultCache(tmp_path)


# ----------------------------------------------------------------------------- replicates
def test_replicates_rubin_and_share(sim, tmp_path):
    data, reps = impute_replicates(sim.persons, sim.lists, missing_share=0.25, replicates=4, seed=2)
    d = tmp_path / "reps"
    d.mkdir()
    for i, f in enumerate(reps):
        f.to_csv(d / f"imp{i}.csv", index=False)
    r = estimate_strata(data, by="region,period", replicates=d, reps=60, seed=1, n_jobs=2)
    assert r.counts["replicates"] == 4 and r.counts["units"] == 48
    assert r.settings["combine"] == "rubin"
    est = r.table[r.table["status"] == "estimated"]
    assert len(est) == 12 and (est["replicates"] == 4).all()
    assert ((est["var_share_replicates"] > 0) & (est["var_share_replicates"] < 1)).all()
    # strata's observed counts vary between imputations (a mean), the total's does not
    assert (est["observed"] % 1 != 0).any()
    assert r.totals.iloc[0]["observed"] == len(sim.persons)
    # without replicates the persons with an unknown region are a row of their own, never silently dropped
    r0 = estimate_strata(data, by="region,period", reps=60, seed=1, n_jobs=1)
    row = r0.table[r0.table["region"].isna()].iloc[0]
    assert row["status"] == "not estimable" and "unknown value of region" in row["reason"]
    assert row["observed"] == data["region"].isna().sum()
    assert r0.totals.iloc[0]["observed_left_out"] == row["observed"]


def test_replicate_files_that_disagree_are_left_out_with_a_message(sim, tmp_path):
    data, reps = impute_replicates(sim.persons, sim.lists, missing_share=0.2, replicates=3, seed=1)
    d = tmp_path / "reps"
    d.mkdir()
    for i, f in enumerate(reps):
        f.to_csv(d / f"imp{i}.csv", index=False)
    reps[0].drop(columns="C").to_csv(d / "imp_nolist.csv", index=False)
    reps[1].iloc[10:].to_csv(d / "imp_fewer.csv", index=False)
    bad = reps[2].copy()
    bad.loc[bad.index[:3], ["A", "B", "C"]] = [1, 1, 1]
    bad.to_csv(d / "imp_changed.csv", index=False)
    r = estimate_strata(data, by="period", replicates=d, reps=20, seed=1, n_jobs=1)
    assert r.counts["replicates"] == 3
    text = " ".join(r.warnings)
    assert "'imp_nolist.csv' left out" in text and "missing C" in text
    assert "'imp_fewer.csv' left out" in text and "persons" in text
    assert "'imp_changed.csv' left out" in text and "capture histories differ" in text
    # linkage draws may hold different persons
    r2 = estimate_strata(data, by="period", replicates=d, reps=20, seed=1, n_jobs=1, replicate_kind="linkage")
    assert r2.counts["replicates"] == 5
    # nothing agrees: a clear error
    e = tmp_path / "allbad"
    e.mkdir()
    reps[0].drop(columns="C").to_csv(e / "x.csv", index=False)
    with pytest.raises(DataError, match="no file in --replicates"):
        estimate_strata(data, by="period", replicates=e, reps=20, n_jobs=1)


def test_lcmcr_pools_posterior_draws(sim, tmp_path, monkeypatch):
    # short chains: the not-converged rule (R-hat > 1.1, bulk ESS < 100; tests/test_s15_rv2_review.py) is switched
    # off (in this process: n_jobs=1; a unit's seed does not depend on where it runs), so that pooling is tested
    from darkfigure.bayes import lcmcr

    monkeypatch.setattr(lcmcr, "not_converged_reason", lambda *a, **k: None)
    data, reps = impute_replicates(sim.persons, sim.lists, missing_share=0.2, replicates=2, seed=3)
    d = tmp_path / "reps"
    d.mkdir()
    for i, f in enumerate(reps):
        f.to_csv(d / f"imp{i}.csv", index=False)
    cache = tmp_path / "cache"
    r = estimate_strata(data, by="region", replicates=d, method="lcmcr", burnin=200, samples=100, thinning=5,
                        chains=2, seed=4, n_jobs=1, cache=cache)
    assert r.settings["combine"] == "pooled" and r.settings["draws_per_unit"] == 200
    assert (r.table["status"] == "estimated").all()
    truth = sim.truth.groupby("region")["N"].sum()
    m = r.table.set_index("region")
    assert ((m["lower"] <= truth) & (truth <= m["upper"])).sum() >= 3


def test_lcmcr_strata_that_did_not_converge_are_counted_for_the_run(sim, monkeypatch):
    # chains far too short to converge: every stratum says so, and the run says how many did. The rule that leaves
    # strata beyond doubt unestimated (R-hat > 1.1, bulk ESS < 100) is switched off here, so that these short chains
    # stand for strata between the strict and the loose limits (tests/test_s15_rv2_review.py tests the rule)
    from darkfigure.bayes import lcmcr

    monkeypatch.setattr(lcmcr, "not_converged_reason", lambda *a, **k: None)
    r = estimate_strata(sim.persons, by="region", method="lcmcr", burnin=20, samples=30, thinning=1, chains=2,
                        seed=5, n_jobs=1)
    est = r.table[r.table["status"] == "estimated"]
    flagged = est["warnings"].str.contains("R-hat|bulk ESS").sum()
    assert flagged >= 1
    run = [w for w in r.warnings if "estimated strata" in w and "not reliable yet" in w]
    assert len(run) == 1 and f"of {len(est)} estimated strata" in run[0]


# ----------------------------------------------------------------------------- bad input
def test_identifier_like_by_column_and_one_list_strata(tmp_path):
    rng = np.random.default_rng(0)
    n = 1500
    x = (rng.random((n, 3)) < 0.4).astype(int)
    x[x.sum(axis=1) == 0, 0] = 1
    f = pd.DataFrame(x, columns=["A", "B", "C"])
    f["person"] = [f"p{i}" for i in range(n)]
    r = estimate_strata(f, by="person", reps=50, n_jobs=1, cache=tmp_path / "cache")
    assert r.counts["estimated"] == 0 and r.counts["not_estimable"] == n
    # rules 1-3 are applied before dispatch: no unit is fitted, none is written to the cache
    assert r.counts["computed"] == 0 and r.counts["from_cache"] == 0
    assert not list((tmp_path / "cache").glob("??/*.npz"))
    assert "looks like an identifier" in " ".join(r.warnings)
    assert r.table["reason"].str.contains("only 1 person").all()
    # a stratum where one list only has records: not estimable, said why; the others go on
    g = f.drop(columns="person").copy()
    g["region"] = np.where(np.arange(n) < 300, "north", "south")
    g.loc[g["region"] == "north", ["B", "C"]] = 0
    g.loc[g["region"] == "north", "A"] = 1
    r = estimate_strata(g, by="region", reps=50, n_jobs=1)
    t = r.table.set_index("region")
    assert t.loc["north", "status"] == "not estimable"
    assert "only 1 list(s) with records (A)" in t.loc["north", "reason"]
    assert t.loc["south", "status"] == "estimated"
    assert r.totals.iloc[0]["strata_left_out"] == 1 and r.totals.iloc[0]["observed_left_out"] == 300


def test_options_are_checked(sim):
    with pytest.raises(ValueError, match="--method"):
        estimate_strata(sim.persons, by="region", method="dga")
    with pytest.raises(DataError, match="--by column"):
        estimate_strata(sim.persons, by="province")
    with pytest.raises(ValueError, match="--reps"):
        estimate_strata(sim.persons, by="region", reps=5)
    with pytest.raises(ValueError, match="--total-bias"):
        estimate_strata(sim.persons, by="region", total_bias="remove")


# ----------------------------------------------------------------------------- kill and restart
@pytest.mark.slow
def test_killed_run_restarts_with_only_what_is_missing(tmp_path):
    sim = simulate_strata(6, 5, seed=8)
    data = tmp_path / "d.csv"
    sim.persons.to_csv(data, index=False)
    out, cache = tmp_path / "out", tmp_path / "out" / ".strata-cache"
    args = [sys.executable, "-m", "darkfigure.cli", "strata", str(data), "--by", "region,period", "--reps", "1000",
            "--seed", "2", "--jobs", "1", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    p = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and len(list(cache.glob("??/*.npz"))) < 5 and p.poll() is None:
            time.sleep(0.05)
        assert p.poll() is None, "the run ended before it could be killed"
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    finally:
        if p.poll() is None:
            p.kill()
    done = len(list(cache.glob("??/*.npz")))
    assert 5 <= done < 30
    assert not (out / "strata.csv").exists()
    again = estimate_strata(data, by="region,period", reps=1000, seed=2, n_jobs=2, cache=cache)
    assert again.counts["from_cache"] == done and again.counts["computed"] == 30 - done
    fresh = estimate_strata(data, by="region,period", reps=1000, seed=2, n_jobs=2)
    _same(again.table, fresh.table)
    _same(again.totals, fresh.totals)


def test_cli_strata_writes_and_reuses_the_cache(sim, tmp_path, cli):
    data = tmp_path / "d.csv"
    sim.persons.to_csv(data, index=False)
    out = tmp_path / "out"
    cli(["strata", str(data), "--by", "region,period", "--reps", "50", "--jobs", "1", "--out", str(out)], code=0,
        says=["12 strata", "12 estimated", "12 unit(s) computed"])
    t = pd.read_csv(out / "strata.csv")
    assert list(t.columns[:8]) == ["region", "period", "observed", "nhat", "lower", "upper", "status", "reason"]
    cli(["strata", str(data), "--by", "region,period", "--reps", "50", "--jobs", "1", "--out", str(out)], code=0,
        says=["0 unit(s) computed, 12 from the cache", "corrected for the strata's summed small-sample bias"])
    t = pd.read_csv(out / "totals.csv")
    assert t.loc[0, "nhat"] == pytest.approx(t.loc[0, "nhat_uncorrected"] - t.loc[0, "bootstrap_bias"], rel=1e-9)
    cli(["strata", str(data), "--by", "region", "--method", "nope"], code=2, says=["--method"])


def test_progress_shows_strata_done_and_time_left(monkeypatch):
    import io

    from darkfigure.strata.engines import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    buf = Tty()
    monkeypatch.setattr(sys, "stderr", buf)
    p = Progress(5, {0: 2, 1: 1}, cached=3)
    p.advance(0)
    p.advance(0)
    p.advance(1)
    p.close()
    text = buf.getvalue()
    assert "strata 3/5 done" in text and "strata 5/5 done" in text and "left" in text


@pytest.mark.slow
def test_bias_corrected_total_covers_over_many_small_strata():
    """50 strata of 20-80 persons, the main-effects model right in each: the plain sum of the strata's N̂ carries
    their summed small-sample bias; the bias-corrected total (the default) removes it and covers the true total
    (measured in benchmarks/strata_bias_study.py: 0.95-1.00 corrected against 0.00-0.55 plain on 12-40 populations
    per setting). 20 deterministic populations: 95% intervals cover 16 or more with probability 0.98."""
    covered, rel_c, rel_p = 0, [], []
    for s in range(20):
        sim = simulate_strata(5, 10, size=(20, 80), capture=(0.2, 0.5), seed=500 + s)
        truth = float(sim.truth["N"].sum())
        c = estimate_strata(sim.persons, by="region,period", reps=100, seed=s, n_jobs=1).totals.iloc[0]
        covered += bool(c["lower"] <= truth <= c["upper"])
        rel_c.append(c["nhat"] / truth - 1)
        rel_p.append(c["nhat_uncorrected"] / truth - 1)
    assert covered >= 16, covered
    assert abs(np.mean(rel_c)) < abs(np.mean(rel_p)), (np.mean(rel_c), np.mean(rel_p))


# ----------------------------------------------------------------------------- fit, front doors, protocol
def _dependent_lists(n_per: int = 1500, seed: int = 0) -> tuple[pd.DataFrame, int]:
    """Two strata of known size whose lists A and B refer persons to each other (main effects fit poorly)."""
    rng = np.random.default_rng(seed)
    frames = []
    for s in ("north", "south"):
        a = rng.random(n_per) < 0.3
        b = np.where(a, rng.random(n_per) < 0.7, rng.random(n_per) < 0.1)
        c = rng.random(n_per) < 0.3
        f = pd.DataFrame({"A": a, "B": b, "C": c}).astype(int)
        f["region"] = s
        frames.append(f[f[["A", "B", "C"]].any(axis=1)])
    return pd.concat(frames, ignore_index=True), 2 * n_per


def test_poor_fit_is_counted_and_the_default_searches_a_model():
    data, truth = _dependent_lists()
    fixed = estimate_strata(data, by="region", search="none", reps=100, seed=1, n_jobs=1)
    text = " ".join(fixed.warnings)
    assert "2 of 2 estimated strata fit the model poorly" in text and "--search" in text
    assert fixed.settings["method_settings"]["ci"] == "parametric"
    # print() shows the run's warnings, as print(dfg.estimate(...)) does
    assert "\n  warning: 2 of 2 estimated strata fit the model poorly" in str(fixed)
    default = estimate_strata(data, by="region", reps=100, seed=1, n_jobs=1)
    assert default.settings["method_settings"]["search"] == "auto"
    assert default.settings["method_settings"]["ci"] == "averaged"
    assert "fit the model poorly" not in " ".join(default.warnings)
    assert 'search="auto"' in estimate_strata.__doc__ and "main-effects model by default" not in estimate_strata.__doc__
    # A-B referrals make the main-effects N̂ too small; the searched model brings it back towards the truth
    assert fixed.nhat < 0.9 * truth
    assert abs(default.nhat - truth) < abs(fixed.nhat - truth)


def test_polars_frames_are_accepted():
    pl = pytest.importorskip("polars")
    data, _ = _dependent_lists(400, seed=2)
    a = estimate_strata(data, by="region", search="none", reps=50, seed=1, n_jobs=1)
    b = estimate_strata(pl.from_pandas(data), by=["region"], search="none", reps=50, seed=1, n_jobs=1)
    _same(a.table, b.table)
    _same(a.totals, b.totals)


def test_strata_result_answers_the_result_protocol():
    import json

    from darkfigure.results import FRAME_COLUMNS, SUMMARY_COLUMNS, ConfidenceInterval

    data, _ = _dependent_lists(400, seed=3)
    r = estimate_strata(data, by="region", search="none", reps=50, seed=1, n_jobs=1)
    tot = r.totals.iloc[0]
    assert r.nhat == pytest.approx(tot["nhat"]) and r.n_observed == len(data)
    assert r.dark_figure == pytest.approx(tot["nhat"] - len(data))
    ci = r.confidence_interval
    assert isinstance(ci, ConfidenceInterval) and tuple(ci) == pytest.approx((tot["lower"], tot["upper"]))
    assert ci.method == "parametric" and ci.level == pytest.approx(0.95)
    assert list(r.summary.columns) == list(SUMMARY_COLUMNS) and r.summary.loc[0, "status"] == "ok"
    assert set(FRAME_COLUMNS) | {"dark_figure"} <= set(r.to_frame().columns) and r.to_frame().iloc[0]["group"] == "total"
    d = json.loads(json.dumps(r.to_dict()))
    assert d["nhat"] == pytest.approx(tot["nhat"]) and d["confidence_interval"]["method"] == "parametric"
    assert d["counts"]["strata"] == 2 and "estimability_rule" in d
    assert "N̂ = <b>" in r._repr_html_() and "2 strata" in r._repr_html_()
    # nothing estimable: NaN, never a number
    none = estimate_strata(data.assign(pid=np.arange(len(data))), by="pid", reps=20, n_jobs=1)
    assert np.isnan(none.nhat) and none.summary.loc[0, "status"] == "not identified"


def test_ignored_options_are_named():
    data, _ = _dependent_lists(300, seed=4)
    r = estimate_strata(data, by="region", search="none", reps=20, K=3, chains=3, n_jobs=1)
    assert "--K, --chains are not used by --method loglinear" in " ".join(r.warnings)
    r = estimate_strata(data, by="region", search="none", reps=20, n_jobs=1)
    assert "not used by" not in " ".join(r.warnings)


def test_cli_strata_exit_code_and_empty_lists(tmp_path, cli):
    data, _ = _dependent_lists(300, seed=5)
    f = tmp_path / "d.csv"
    data.assign(D=0, pid=np.arange(len(data))).to_csv(f, index=False)
    # a list that registered nobody: the error names an option strata has, and the option works
    cli(["strata", str(f), "--by", "region", "--reps", "20", "--jobs", "1", "--search", "none"], code=2,
        says=["--drop-empty-lists"])
    cli(["strata", str(f), "--by", "region", "--reps", "20", "--jobs", "1", "--search", "none", "--drop-empty-lists"],
        code=0, says=["list(s) D registered nobody and were left out"])
    # no stratum estimable: exit 3 (the data cannot identify N), as estimate
    cli(["strata", str(f), "--by", "pid", "--reps", "20", "--jobs", "1", "--drop-empty-lists"], code=3,
        says=["could not be estimated"])


def test_non_data_files_in_a_replicate_folder_are_ignored_with_a_note(sim, tmp_path):
    data, reps = impute_replicates(sim.persons, sim.lists, missing_share=0.2, replicates=2, seed=1)
    d = tmp_path / "reps"
    d.mkdir()
    for i, f in enumerate(reps):
        f.to_csv(d / f"imp{i}.csv", index=False)
    (d / "notes.txt").write_text("notes")
    (d / "README").write_text("two imputations of region\n")
    (d / ".DS_Store").write_bytes(b"\x00\x01")
    r = estimate_strata(data, by="period", replicates=d, reps=20, seed=1, n_jobs=1)
    assert r.counts["replicates"] == 2
    text = " ".join(r.warnings)
    assert "'README', 'notes.txt' ignored (not a data file" in text
    assert "left out" not in text and "DS_Store" not in text


def test_cli_names_the_row_of_unknown_by_values_unknown_not_nan(sim, tmp_path, cli):
    data, _ = impute_replicates(sim.persons, sim.lists, missing_share=0.1, replicates=1, seed=1)
    f = tmp_path / "d.csv"
    data.to_csv(f, index=False)
    out = cli(["strata", str(f), "--by", "region", "--search", "none", "--reps", "20", "--jobs", "1",
               "--out", str(tmp_path / "o")], code=0, says=["region=(unknown)"])
    assert "region=nan" not in out and "region=<NA>" not in out
    t = pd.read_csv(tmp_path / "o" / "strata.csv")
    assert t["region"].isna().sum() == 1  # the same row: an empty key in strata.csv


def test_ctrl_c_says_what_the_cache_keeps_and_exits_130(sim, tmp_path, cli, monkeypatch):
    import darkfigure.strata.core as core

    def two_then_ctrl_c(units, on_result, n_jobs=1):
        from darkfigure.strata.units import run_unit

        for u in units[:2]:
            on_result(u, run_unit(u))
        raise KeyboardInterrupt

    monkeypatch.setattr(core, "run_local", two_then_ctrl_c)
    data = tmp_path / "d.csv"
    sim.persons.to_csv(data, index=False)
    out = tmp_path / "out"
    args = ["strata", str(data), "--by", "region,period", "--search", "none", "--reps", "20", "--jobs", "1",
            "--out", str(out)]
    cli(args, code=130, says=["interrupted: 2 of 12 strata kept in the cache; rerun the same command to resume"])
    assert not (out / "strata.csv").exists()
    monkeypatch.undo()
    cli(args, code=0, says=["10 unit(s) computed, 2 from the cache"])
    with pytest.raises(KeyboardInterrupt) as e:  # the API: a KeyboardInterrupt that says the same
        monkeypatch.setattr(core, "run_local", two_then_ctrl_c)
        estimate_strata(sim.persons, by="region,period", search="none", reps=20, n_jobs=1, seed=9)
    assert e.value.done == 2 and e.value.total == 12 and "nothing is kept" in e.value.message


# ----------------------------------------------------------------------------- structural zeros
def _zero_data(sim):
    """List C did not exist in period 2000: its registrations there are removed (persons seen by C alone go)."""
    p = sim.persons.copy()
    p.loc[p["period"] == 2000, "C"] = 0
    return p[p[["A", "B", "C"]].sum(axis=1) > 0].reset_index(drop=True)


def test_structural_zeros_leave_the_list_out_of_the_strata_with_that_level(sim, tmp_path, cli):
    data = _zero_data(sim)
    sz = pd.DataFrame({"list": ["C"], "covariate": ["period"], "level": ["2000"]})
    r = estimate_strata(data, by="region,period", structural_zeros=sz, search="none", reps=30, seed=1, n_jobs=1)
    assert r.settings["structural_zeros"] == [["C", "period", 2000]]
    t = r.table
    in2000 = t["period"] == 2000
    assert in2000.sum() == 4 and (t.loc[in2000, "lists_used"] == "A,B").all()
    assert t.loc[in2000, "warnings"].str.contains("list C cannot register period = 2000 (structural zero)", regex=False).all()
    assert (t.loc[~in2000, "lists_used"] == "A,B,C").all()
    assert not t.loc[~in2000, "warnings"].str.contains("structural zero").any()
    # the strata of 2000 are fitted on A and B alone: the same N̂ as a two-list run of those strata
    two = estimate_strata(data[data["period"] == 2000].drop(columns="C"), by="region,period", search="none",
                          reps=30, seed=1, n_jobs=1)
    np.testing.assert_allclose(t.loc[in2000, "nhat"].to_numpy(), two.table["nhat"].to_numpy(), rtol=1e-9)
    # a declaration the data contradict, or on a column that is not a --by column: refused, naming what to do
    with pytest.raises(DataError, match="observed person"):
        estimate_strata(sim.persons, by="region,period", structural_zeros=sz, reps=20, n_jobs=1)
    with pytest.raises(DataError, match="'period' is not a --by column.*add period to --by"):
        estimate_strata(data, by="region", structural_zeros=sz, reps=20, n_jobs=1)
    with pytest.raises(DataError, match="unknown level"):
        estimate_strata(data, by="region,period", structural_zeros=[("C", "period", 1999)], reps=20, n_jobs=1)
    # a replicate (here a linkage draw) with persons in the declared cells is left out, the others are used
    d = tmp_path / "draws"
    d.mkdir()
    data.to_csv(d / "draw1.csv", index=False)
    bad = data.copy()
    bad.loc[bad.index[:2], "C"] = 1  # the first persons are in period 2000
    bad.to_csv(d / "draw2.csv", index=False)
    rr = estimate_strata(data, by="region,period", structural_zeros=sz, replicates=d, replicate_kind="linkage",
                         search="none", reps=20, seed=1, n_jobs=1)
    assert rr.counts["replicates"] == 1
    assert any("'draw2.csv' left out: structural zero declared for list 'C'" in w for w in rr.warnings)
    # the command line
    f, zf = tmp_path / "d.csv", tmp_path / "sz.csv"
    data.to_csv(f, index=False)
    sz.to_csv(zf, index=False)
    cli(["strata", str(f), "--by", "region,period", "--structural-zeros", str(zf), "--search", "none", "--reps", "20",
         "--jobs", "1", "--out", str(tmp_path / "o")], code=0, says=["12 estimated"])
    assert pd.read_csv(tmp_path / "o" / "strata.csv")["warnings"].str.contains("structural zero").sum() == 4
    cli(["strata", str(f), "--by", "region", "--structural-zeros", str(zf)], code=2,
        says=["'period' is not a --by column"])


def test_a_search_in_many_small_strata_is_warned_about():
    sim = simulate_strata(5, 4, lists=3, size=(40, 80), capture=(0.3, 0.5), seed=11)
    r = estimate_strata(sim.persons, by="region,period", reps=20, seed=1, n_jobs=1, search="cruyff", ci="parametric")
    assert r.counts["estimated"] >= 20
    assert any("small strata" in w and "biased upwards" in w for w in r.warnings)
    fixed = estimate_strata(sim.persons, by="region,period", reps=20, seed=1, n_jobs=1, search="none")
    assert not any("small strata" in w for w in fixed.warnings)


def test_per_stratum_warnings_are_summarised_by_kind():
    """Tester report 6, M4: flagged checks and lists left out in single strata reach the run's warnings."""
    from darkfigure.strata.core import stratum_warning_summary

    table = pd.DataFrame({
        "year": [2015, 2015, 2017, 2018, 2019], "sex": ["f", "m", "m", "m", "m"],
        "warnings": [
            "list(s) coordinators registered nobody in this stratum and were left out of its fit | model: a:b",
            "list(s) coordinators registered nobody in this stratum and were left out of its fit",
            "Chao's lower bound under heterogeneity (Mth Chao) is 1,878 (se 120); the chosen model's N̂ ...",
            "goodness of fit: deviance 37.7 on 24 df (p = 0.037); the model does not describe ... | model: x",
            "model: main effects",
        ],
    })
    w = stratum_warning_summary(table, ["year", "sex"])
    assert w.startswith("4 of 5 strata carry warnings (year/sex): ")
    assert "list(s) left out (registered nobody there): 2 (2015/f, 2015/m)" in w
    assert "model does not fit (goodness of fit): 1 (2018/m)" in w and "N̂ below Chao's lower bound: 1 (2017/m)" in w
    assert "2019/m" not in w and w.endswith("strata.csv, column warnings")
    assert stratum_warning_summary(table.iloc[4:], ["year", "sex"]) is None


def test_strata_run_says_its_strata_warnings(sim):
    r = estimate_strata(sim.persons, by="region,period", reps=50, seed=1, n_jobs=1)
    flagged = [s for s in r.table["warnings"].astype(str) if any(
        p.strip() and not p.strip().startswith("model:") for p in s.split(" | "))]
    said = [w for w in r.warnings if "strata carry warnings" in w]
    assert bool(said) == bool(flagged)
    if flagged:
        assert said[0].startswith(f"{len(flagged)} of {len(r.table)} strata") and said[0] in r.to_dict()["warnings"]


def test_the_stratum_model_has_its_own_column(sim):
    r = estimate_strata(sim.persons, by="region,period", reps=30, seed=2, n_jobs=1)
    t = r.table
    assert list(t.columns).index("model") == list(t.columns).index("warnings") - 1
    est = t["status"].eq("estimated")
    assert (t.loc[est, "model"].str.len() > 0).all()
    parts = [p.strip() for w in t["warnings"].astype(str) for p in w.split(" | ")]
    assert not any(p.startswith("model: ") for p in parts)


def test_by_the_count_or_a_named_list_is_refused_plainly():
    # tester 7, 25: --by count gave pandas' "cannot insert count, already exists"; --by a list gave advice about
    # options the user had not used
    from darkfigure.datasets import load_frame
    from darkfigure.strata.reading import _histories

    k = load_frame("kosovo_1999")
    with pytest.raises(DataError, match="--by count: 'count' is the count column of k.csv"):
        _histories(k, None, ["count"], "count", "k.csv")
    with pytest.raises(DataError, match="--by EXH: 'EXH' is a list of k.csv"):
        _histories(k, ["EXH", "ABA", "OSCE", "HRW"], ["EXH"], "count", "k.csv")
    # a 0/1 covariate stays a valid stratum
    k["minor"] = [0, 1] * 7 + [0]
    h = _histories(k, None, ["minor"], "count", "k.csv")
    assert h.covariates == ("minor",) and "minor" not in h.lists
