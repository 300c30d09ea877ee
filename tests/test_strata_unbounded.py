"""darkfigure strata: bootstrap replicates without a finite N̂ count as N̂* = +inf (issue 16).

Before, such replicates were redrawn from the finite ones, so a tiny stratum in which the data hardly bound N
got a narrow interval (and the totals inherited it). Now: per stratum, the percentiles with +inf at the top
(``quantile_with_inf``, as ``estimate``), an unbounded upper end said in the row's warnings; totals add draw b of
every stratum (an infinite draw makes the sum infinite) and, when that leaves the total unbounded above, give
the total over the strata with bounded intervals beside it, naming the strata left out.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from darkfigure.loglinear.percentiles import quantile_with_inf
from darkfigure.strata import combine, estimate_strata, simulate_strata
from darkfigure.strata.combining import bounded_subtotal
from darkfigure.strata.units import _unbounded_as_inf


def _strict_json(text: str):
    """json.loads that refuses NaN / Infinity (not JSON; other tools cannot read them)."""
    def bad(c):
        raise ValueError(f"non-JSON constant {c} in strata.json")
    return json.loads(text, parse_constant=bad)


# ----------------------------------------------------------------------------- units and combine
def test_unbounded_replicates_become_inf_never_redrawn():
    d = np.array([10.0, np.nan, 12.0, np.inf, 11.0])
    out, k = _unbounded_as_inf(d)
    assert k == 2 and np.isinf(out[[1, 3]]).all() and list(out[[0, 2, 4]]) == [10.0, 12.0, 11.0]
    same, k0 = _unbounded_as_inf(np.array([1.0, 2.0]))
    assert k0 == 0 and list(same) == [1.0, 2.0]


def test_combine_counts_inf_draws_at_the_top():
    rng = np.random.default_rng(0)
    d = rng.normal(100, 10, size=(1, 200))
    d[0, :10] = np.inf  # 5% without a finite N̂: above the 2.5% tail, so the upper end is unbounded
    c = combine(np.array([100.0]), d, np.array([40.0]), "rubin", 0.95)
    assert math.isinf(c["upper"]) and c["draws_unbounded"] == 10
    assert c["lower"] == pytest.approx(quantile_with_inf(d.ravel(), [0.025])[0])
    # what redrawing from the finite ones gave: a finite upper limit near the finite draws' 97.5% quantile
    assert np.quantile(d[np.isfinite(d)], 0.975) < 130
    d[0, :10] = rng.normal(100, 10, size=10)
    d[0, :3] = np.inf  # 1.5%: counted at the top, the upper end stays finite
    c = combine(np.array([100.0]), d, np.array([40.0]), "rubin", 0.95)
    assert math.isfinite(c["upper"]) and c["upper"] == pytest.approx(quantile_with_inf(d.ravel(), [0.975])[0])
    assert c["upper"] > np.quantile(d[np.isfinite(d)], 0.975)  # pushed up by the three infinite draws


def test_combine_replicates_with_inf_draws_pool_them():
    rng = np.random.default_rng(1)
    pts = np.array([480.0, 510.0, 530.0])
    d = np.vstack([rng.lognormal(np.log(p), 0.05, size=300) for p in pts])
    finite = combine(pts, d, np.full(3, 300.0), "rubin", 0.95)
    assert finite["combined_by"] == "rubin" and finite["draws_unbounded"] == 0
    d[0, :40] = np.inf  # Rubin's within variance is infinite: the mixture of the replicates' draws instead
    c = combine(pts, d, np.full(3, 300.0), "rubin", 0.95)
    assert c["combined_by"] == "pooled" and math.isinf(c["upper"]) and np.isnan(c["var_share_replicates"])
    assert c["lower"] == pytest.approx(quantile_with_inf(d.ravel(), [0.025])[0])
    assert c["nhat"] == pytest.approx(pts.mean())


def test_bounded_subtotal_leaves_out_unbounded_strata_first():
    B = 100
    rng = np.random.default_rng(2)
    fin = rng.normal(1000, 20, size=(1, B))  # strata with finite draws, already added up

    def stratum(name, n_inf, obs):
        dr = rng.normal(50, 5, size=(1, B))
        dr[0, :n_inf] = np.inf
        return {"name": name, "points": np.array([50.0]), "draws": dr, "bias": np.zeros(1),
                "observed": np.array([obs]), "unbounded": n_inf > 2, "share": n_inf / B, "n_inf": n_inf}

    inf = [stratum("small", 2, 20.0), stratum("tiny", 30, 10.0)]
    acc = {"points": np.array([1100.0]), "bias": np.zeros(1), "observed": np.array([530.0]), "draws": fin,
           "strata": 5, "inf": inf}

    def total_fn(points, draws, bias, obs):
        c = combine(points, draws, obs, "rubin", 0.95)
        return c["nhat"], c["lower"], c["upper"], c

    sub = bounded_subtotal(acc, total_fn)
    # "tiny" (own interval unbounded) goes; "small" (2 of 100 infinite: 2%, below the 2.5% tail) stays
    assert sub["strata_unbounded"] == 1 and [x["stratum"] for x in sub["left_out"]] == ["tiny"]
    assert sub["observed_unbounded"] == pytest.approx(10.0) and sub["strata_bounded"] == 4
    want = fin + inf[0]["draws"]
    assert sub["nhat_bounded"] == pytest.approx(1050.0)
    assert sub["upper_bounded"] == pytest.approx(quantile_with_inf(want.ravel(), [0.975])[0])
    # three strata with 2 of 100 infinite draws each: none unbounded alone (type 7: the 97.5% quantile of 100 draws
    # reaches the third largest), their sum is (6 infinite draws); strata go until 2 are left: two of the three
    inf3 = [stratum(f"s{i}", 2, 20.0) for i in range(3)]
    for i, x in enumerate(inf3):  # different draws infinite in each
        x["draws"] = np.roll(x["draws"], 2 * i, axis=1)
    acc3 = {**acc, "inf": inf3, "points": np.array([1150.0]), "observed": np.array([560.0]), "strata": 6}
    sub3 = bounded_subtotal(acc3, total_fn)
    assert sub3["strata_unbounded"] == 2 and sub3["strata_bounded"] == 4 and math.isfinite(sub3["upper_bounded"])
    assert not any(x["interval_unbounded"] for x in sub3["left_out"])


# ----------------------------------------------------------------------------- known truth
@pytest.fixture(scope="module")
def tiny():
    """Strata of 20-300 persons, lists registering 8-30%: a few strata of 10-15 observed barely bound N.

    Seed 4: stratum r001/2002 has N = 74 and 15 observed; the old code (replicates without N̂ redrawn from the
    others) gave it 15 – 68, missing the truth; the replicates without a finite N̂ are 9% of 200 here.
    """
    sim = simulate_strata(4, 3, lists=3, size=(20, 300), capture=(0.08, 0.3), seed=4)
    r = estimate_strata(sim.persons, by="region,period", reps=200, search="none", seed=4, n_jobs=1,
                        total_bias="report")
    return sim, r


def test_tiny_stratum_is_reported_unbounded_not_narrow(tiny):
    sim, r = tiny
    t = r.table.merge(sim.truth[["region", "period", "N"]], on=["region", "period"])
    row = t[(t["region"] == "r001") & (t["period"] == 2002)].iloc[0]
    assert row["status"] == "estimated" and row["N"] == 74 and row["observed"] == 15
    assert math.isinf(row["upper"]) and row["lower"] <= row["N"]  # was 15 – 68 (the truth outside)
    assert row["draws_unbounded"] > 0.025 * 200
    assert f"{row['draws_unbounded']} of 200 bootstrap replicates had no finite N̂" in row["warnings"]
    assert "no finite upper end" in row["warnings"] and "publish at most the lower limit" in row["warnings"]
    # every unbounded stratum keeps its point and lower limit (never a number for the upper)
    unb = t[np.isinf(t["upper"])]
    assert len(unb) >= 1 and unb["nhat"].notna().all() and (unb["lower"] <= unb["nhat"]).all()
    # strata whose replicates all have an N̂ say nothing about it
    assert not t.loc[t["draws_unbounded"].eq(0), "warnings"].str.contains("finite N̂").any()


def test_total_unbounded_with_the_bounded_total_beside_it(tiny, tmp_path):
    sim, r = tiny
    tot = r.totals.iloc[0]
    t = r.table
    est = t[t["status"] == "estimated"]
    assert math.isinf(tot["upper"]) and tot["lower"] <= tot["nhat"]
    assert tot["nhat"] == pytest.approx(est["nhat"].sum())  # plain sums (total_bias="report")
    left = r.unbounded_totals[0]
    assert left["group"] == "total" and tot["strata_unbounded"] == len(left["left_out"]) >= 1
    names = {x["stratum"] for x in left["left_out"]}
    assert "r001/2002" in names
    key = est["region"].astype(str) + "/" + est["period"].astype(str)
    kept = est[~key.isin(names)]
    assert tot["observed_unbounded"] == pytest.approx(est.loc[key.isin(names), "observed"].sum())
    assert tot["nhat_bounded"] == pytest.approx(kept["nhat"].sum())
    assert tot["lower_bounded"] <= tot["nhat_bounded"] <= tot["upper_bounded"] < math.inf
    # the same strata estimated on their own (same unit seeds: derived from the stratum key) give that total
    persons = sim.persons.copy()
    pkey = persons["region"].astype(str) + "/" + persons["period"].astype(str)
    alone = estimate_strata(persons[~pkey.isin(names)], by="region,period", reps=200, search="none", seed=4,
                            n_jobs=1, total_bias="report").totals.iloc[0]
    assert alone["nhat"] == pytest.approx(tot["nhat_bounded"])
    assert (alone["lower"], alone["upper"]) == pytest.approx((tot["lower_bounded"], tot["upper_bounded"]))
    # said in the warnings, the string form, and the files (inf as estimates.csv writes it; strict JSON)
    w = " ".join(r.warnings)
    assert "no finite upper end" in w and "r001/2002" in w and "Publish at most a lower limit" in w
    assert "no finite upper limit" in str(r) and "over the strata with bounded intervals" in str(r)
    r.write(tmp_path)
    csv = pd.read_csv(tmp_path / "totals.csv")
    assert math.isinf(csv.loc[0, "upper"]) and csv.loc[0, "upper_bounded"] == pytest.approx(tot["upper_bounded"])
    d = _strict_json((tmp_path / "strata.json").read_text(encoding="utf-8"))
    # numbers or null, the infinity flagged beside its null (as result.json's interval; review of 13a)
    assert d["confidence_interval"]["high"] is None and d["confidence_interval"]["high_unbounded"] is True
    assert d["unbounded_totals"][0]["upper"] is None and d["unbounded_totals"][0]["upper_unbounded"] is True
    assert {x["stratum"] for x in d["unbounded_totals"][0]["left_out"]} == names
    assert any(s["region"] == "r001" and s["period"] == 2002 and s["upper"] is None and s["upper_unbounded"]
               for s in d["unbounded_strata"])
    assert '"inf"' not in (tmp_path / "strata.json").read_text(encoding="utf-8")
    assert "1.7e" not in (tmp_path / "totals.csv").read_text() + (tmp_path / "strata.csv").read_text()


def test_no_unbounded_replicate_no_change():
    """Strata large enough that every replicate has an N̂: no column or warning about it, totals as before."""
    sim = simulate_strata(2, 2, seed=5)
    r = estimate_strata(sim.persons, by="region,period", reps=200, search="none", seed=1, n_jobs=1)
    assert r.table["draws_unbounded"].eq(0).all() and np.isfinite(r.table["upper"]).all()
    tot = r.totals
    assert tot["strata_unbounded"].eq(0).all() and tot[["nhat_bounded", "lower_bounded", "upper_bounded"]].isna().all().all()
    assert not r.unbounded_totals and not any("finite" in w for w in r.warnings)
    assert r.to_dict()["unbounded_totals"] == [] and r.to_dict()["unbounded_strata"] == []


def test_replicates_of_the_data_with_unbounded_draws(tmp_path):
    """Multiple imputations: a stratum with infinite draws is combined by pooled draws (Rubin's rules need a finite
    within variance), its upper end unbounded when they reach the tail; strata without them keep Rubin's rules."""
    from darkfigure.strata import impute_replicates

    sim = simulate_strata(4, 3, lists=3, size=(20, 300), capture=(0.08, 0.3), seed=4)
    data, reps = impute_replicates(sim.persons, sim.lists, missing_share=0.2, replicates=3, seed=5)
    for i, f in enumerate(reps):
        f.to_csv(tmp_path / f"imp{i}.csv", index=False)
    r = estimate_strata(data, by="region,period", replicates=tmp_path, reps=100, search="none", seed=4, n_jobs=1)
    t = r.table[r.table["status"] == "estimated"]
    unb = t[np.isinf(t["upper"])]
    assert len(unb) >= 1 and unb["draws_unbounded"].gt(0.025 * 300).all()
    assert unb["warnings"].str.contains("over the 3 replicates of the data", regex=False).all()
    assert unb["var_share_replicates"].isna().all()  # undefined: the within variance is infinite
    fin = t[t["draws_unbounded"].eq(0)]
    assert len(fin) >= 1 and fin["var_share_replicates"].notna().all() and np.isfinite(fin["upper"]).all()
    tot = r.totals.iloc[0]
    assert math.isinf(tot["upper"]) and tot["lower_bounded"] <= tot["nhat_bounded"] <= tot["upper_bounded"] < math.inf


def test_lower_end_with_inf_draws_is_the_smaller_of_inf_and_redrawn():
    # many strata with a few +inf draws each: the total's draws are infinite in most replicates, which pushed the
    # lower percentile to a high percentile of the all-finite draws (above N̂ on dutch_like by year x sex x form x
    # age); the lower end now is the smaller of that and the one with each stratum's +inf draws redrawn
    from darkfigure.strata.combining import combine, finite_redraw

    rng = np.random.default_rng(3)
    B, S = 200, 15
    strata = [rng.normal(100.0, 10.0, size=(1, B)) for _ in range(S)]
    for d in strata:
        d[0, rng.choice(B, size=14, replace=False)] = np.inf  # 7% each: the sum is infinite in ~2/3 of draws
    total = sum(strata)
    low = sum(finite_redraw(d, f"s{i}") for i, d in enumerate(strata))
    plain = combine(np.array([1500.0]), total, np.array([300.0]), "pooled", 0.95)
    both = combine(np.array([1500.0]), total, np.array([300.0]), "pooled", 0.95, draws_low=low)
    assert math.isinf(both["upper"]) and math.isinf(plain["upper"])
    assert both["lower"] == pytest.approx(min(plain["lower"], np.quantile(low.ravel(), 0.025)))
    assert both["lower"] < plain["lower"]
    # redrawn values come from the same row's finite draws, reproducibly
    r1, r2 = finite_redraw(strata[0], "a"), finite_redraw(strata[0], "a")
    assert np.array_equal(r1, r2) and np.isfinite(r1).all()
    assert set(r1.ravel()) <= set(strata[0][np.isfinite(strata[0])].ravel())
