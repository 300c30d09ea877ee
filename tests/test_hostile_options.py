"""Hostile option combinations (kinds 5-7 of issue 12): conflicts said, runaway work refused, compare's limits.

Every case checks the exit code, that no traceback came out and that the message names
the option (or the method / list); writers leave foreign files unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure import datasets
from darkfigure.comparison import MAX_LISTS_DOWNHILL, compare, forest_plot, plan
from darkfigure.estimation import MAX_REPS, estimate
from darkfigure.histories import CaptureHistories

# (args, exit code, strings the message must contain)
CASES = {
    "--model with --search exhaustive": (["estimate", "kosovo_1999", "--model", "EXH:ABA", "--search", "exhaustive"],
                                         2, ["--model", "--search exhaustive"]),
    "--model with --search pvalue": (["estimate", "kosovo_1999", "--model", "EXH:ABA", "--search", "pvalue"], 2,
                                     ["--model", "--search pvalue"]),
    "--criterion aic with --search pvalue": (["estimate", "kosovo_1999", "--search", "pvalue", "--criterion", "aic"],
                                             2, ["--criterion aic", "--search pvalue"]),
    "--criterion with --model": (["estimate", "kosovo_1999", "--model", "EXH:ABA", "--criterion", "aic"], 2,
                                 ["--criterion", "--model"]),
    "--criterion with --search none": (["estimate", "kosovo_1999", "--search", "none", "--criterion", "bic"], 2,
                                       ["--criterion", "--search none"]),
    "--pthresh without pvalue": (["estimate", "kosovo_1999", "--pthresh", "0.05"], 2, ["--pthresh", "pvalue"]),
    "--percentile with parametric": (["estimate", "kosovo_1999", "--percentile"], 2, ["--percentile", "nonparametric"]),
    "--reps with --ci none": (["estimate", "kosovo_1999", "--ci", "none", "--reps", "500"], 2, ["--reps", "--ci none"]),
    "--reps with --ci profile": (["estimate", "kosovo_1999", "--ci", "profile", "--reps", "500"], 2,
                                 ["--reps", "--ci profile"]),
    "--reps a billion": (["estimate", "kosovo_1999", "--reps", "1000000000"], 2, ["--reps", "1,000,000,000", "100,000"]),
    "--reps a billion (monitor)": (["monitor", "cruyff_simdat", "--year", "Y", "--out", "m", "--reps", "1000000000"], 2,
                                   ["--reps", "100,000"]),
    "--reps a billion (compare)": (["compare", "kosovo_1999", "--reps", "1000000000"], 2, ["--reps", "100,000"]),
    "--reps 5": (["estimate", "kosovo_1999", "--reps", "5"], 2, ["--reps 5", "far too few"]),
    "--jobs 0": (["estimate", "kosovo_1999", "--jobs", "0"], 2, ["worker processes", "0"]),
    "--level 1.5": (["estimate", "kosovo_1999", "--level", "1.5"], 2, ["level"]),
    "--missing maybe": (["estimate", "kosovo_1999", "--missing", "maybe"], 2, ["--missing", "'maybe'"]),
    "--search bogus": (["estimate", "kosovo_1999", "--search", "bogus"], 2, ["search", "'bogus'"]),
    "--ci bogus": (["estimate", "kosovo_1999", "--ci", "bogus"], 2, ["ci", "'bogus'"]),
    "--year-degree without --year": (["estimate", "cruyff_simdat", "--year-degree", "2"], 2, ["--year-degree", "--year"]),
    "--year not a covariate": (["estimate", "kosovo_1999", "--year", "jaar"], 2, ["'jaar'"]),
    "--model names an unknown list": (["estimate", "kosovo_1999", "--model", "EXH:ZZ"], 2, ["'ZZ'"]),
    "--sheet on a bundled dataset": (["estimate", "kosovo_1999", "--sheet", "2"], 2, ["--sheet"]),
    "monitor --ci profile": (["monitor", "cruyff_simdat", "--year", "Y", "--out", "m", "--ci", "profile"], 2,
                             ["--ci", "'profile'"]),
    "monitor without a year column": (["monitor", "kosovo_1999", "--year", "year", "--out", "m"], 2, ["'year'"]),
    "compare unknown method": (["compare", "kosovo_1999", "--methods", "M0,Mq"], 2, ["'Mq'", "known"]),
    "compare --year-degree without --year": (["compare", "cruyff_simdat", "--year-degree", "2"], 2, ["--year"]),
    "validate on two lists": (["validate", "two.csv"], 2, ["at least 3 lists", "2"]),
    "validate unknown list option": (["validate", "kosovo_1999", "--lists", "EXH,ABA,ZZ"], 2, ["'ZZ'"]),
    "dataset name typo": (["estimate", "kosovo"], 2, ["'kosovo'", "kosovo_1999"]),
    "a folder as data": (["estimate", "."], 2, [".csv"]),
    "simulate unknown scenario": (["simulate", "nosuch", "--out", "s"], 2, ["'nosuch'", "dutch_like"]),
    "revictimisation k-years text": (["revictimisation", "v.csv", "l.csv", "--out", "r", "--k-years", "five"], 2,
                                     ["--k-years", "'five'"]),
    "report of an empty folder": (["report", "."], 2, ["no darkfigure results"]),
    "pseudonymise without a key": (["pseudonymise", "two.csv", "--out", "p.csv"], 2, ["DARKFIGURE_KEY"]),
    "demo with an unknown engine": (["demo", "--engine", "hadoop", "--out", "d"], 2, ["--engine", "'hadoop'"]),
    "demo --reps a billion": (["demo", "--reps", "1000000000", "--out", "d"], 2, ["--reps", "100,000"]),
    "--reps 0": (["estimate", "kosovo_1999", "--reps", "0"], 2, ["--reps", "positive"]),
    "--jobs 500": (["estimate", "kosovo_1999", "--jobs", "500"], 2, ["--jobs 500", "at most"]),
    "monitor --jobs 500": (["monitor", "cruyff_simdat", "--year", "Y", "--out", "m", "--jobs", "500"], 2, ["--jobs"]),
    "simulate --scale a million": (["simulate", "dutch_like", "--scale", "1e6", "--out", "s"], 2, ["--scale", "1000"]),
    "simulate --scale negative": (["simulate", "dutch_like", "--scale", "-1", "--out", "s"], 2, ["scale", "positive"]),
    "link --max-pairs 1e12": (["link", "two.csv", "--max-pairs", "1e12", "--out", "l"], 2, ["--max-pairs"]),
    "monitor --suppress-below -5": (["monitor", "cruyff_simdat", "--year", "Y", "--out", "m", "--suppress-below", "-5",
                                     "--reps", "20"], 2, ["--suppress-below", "-5"]),
    "estimate --out the input file": (["estimate", "two.csv", "--out", "two.csv", "--ci", "none"], 2,
                                      ["'two.csv'", "not a folder"]),
    "structural zeros file is the data": (["estimate", "two.csv", "--structural-zeros", "two.csv"], 2,
                                          ["list,covariate,level"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_conflicting_or_absurd_options_are_refused(case, tmp_path, cli, untouched, monkeypatch):
    monkeypatch.delenv("DARKFIGURE_KEY", raising=False)
    pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [100, 80, 20]}).to_csv(tmp_path / "two.csv", index=False)
    check = untouched(tmp_path)
    args, code, says = CASES[case]
    cli(args, code=code, says=says, cwd=tmp_path)
    check()
    assert not any(p.name.startswith(".darkfigure-staging") for p in tmp_path.rglob("*"))


def test_library_refuses_the_same_conflicts():
    with pytest.raises(ValueError, match="conflict"):
        estimate("kosovo_1999", model="EXH:ABA", search="exhaustive", ci="none")
    with pytest.raises(ValueError, match="cap"):
        estimate("kosovo_1999", ci="parametric", reps=MAX_REPS + 1)


def _independent(k: int, n: int = 2000, seed: int = 1) -> CaptureHistories:
    rng = np.random.default_rng(seed)
    x = (rng.random((n, k)) < rng.uniform(0.15, 0.3, k)).astype(int)
    x = x[x.sum(1) > 0]
    return CaptureHistories.from_records(pd.DataFrame(x, columns=[f"L{i + 1}" for i in range(k)]))


def test_compare_on_many_lists_states_the_size_and_skips_what_cannot_finish(tmp_path, cli):
    h = _independent(12)
    run, skip = plan(h)
    assert {"downhill", "bic-exhaustive", "lcmcr", "dga"} <= set(skip) and "M0" in run
    assert "12 lists" in skip["downhill"] and str(MAX_LISTS_DOWNHILL) in skip["downhill"]
    p = tmp_path / "k12.csv"
    h.to_frame().to_csv(p, index=False)
    out = cli(["compare", p, "--methods", "downhill,bic-exhaustive,M0"], code=0,
              says=["12 lists", "4,095", "running 1 method", "skipping 2"])
    assert "not applicable" in out


def test_compare_on_two_lists_does_not_run_lcmcr():
    h = CaptureHistories.from_table(pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [100, 80, 20]}))
    t = compare(h, ["lcmcr", "Mh-chao", "M0"], seed=1)
    lc = t.set_index("method").loc["lcmcr"]
    assert np.isnan(lc["nhat"]) and "not identified from two lists" in lc["warnings"] and lc["status"] == "not applicable"
    assert "at least 3 lists" in t.set_index("method").loc["Mh-chao", "warnings"]
    assert np.isfinite(t.set_index("method").loc["M0", "nhat"])


def test_heterogeneity_rows_without_an_mle_are_marked_and_not_drawn(tmp_path, monkeypatch):
    t = compare(datasets.load("artificial_3"), ["M0", "Mt", "Mh-chao", "Mh-poisson2", "Mth-chao", "Mth-poisson2"])
    marked = t[t["status"].str.startswith("no MLE")]
    assert len(marked) >= 1, t[["method", "status"]]
    assert all("not an estimate" in w for w in marked["warnings"])
    drawn = {}
    import matplotlib.axes

    real = matplotlib.axes.Axes.set_yticklabels

    def spy(self, labels, *a, **k):
        drawn["labels"] = [str(x) for x in labels]
        return real(self, labels, *a, **k)

    monkeypatch.setattr(matplotlib.axes.Axes, "set_yticklabels", spy)
    forest_plot(t, tmp_path / "f")
    assert not set(marked["method"]) & set(drawn["labels"])
    assert set(t.loc[t["status"] == "ok", "method"]) <= set(drawn["labels"])


def test_compare_and_validate_take_the_data_options(tmp_path, cli):
    d = datasets.load_frame("kosovo_1999")
    d["empty"] = 0
    i = np.arange(len(d))
    d["region"] = np.where(i % 3 == 0, "north", np.where(i % 3 == 1, "south", None))
    p = tmp_path / "k.csv"
    d.to_csv(p, index=False)
    cli(["compare", p, "--methods", "M0"], code=2, says=["'region'", "--missing em"])
    cli(["compare", p, "--methods", "M0", "--missing", "drop"], code=2, says=["'empty'", "--drop-empty-lists"])
    out = cli(["compare", p, "--methods", "M0", "--drop-empty-lists", "--missing", "drop", "--lists",
               "EXH,ABA,OSCE,HRW,empty"], code=0, says=["M0"])
    assert "Traceback" not in out
    cli(["validate", p, "--methods", "M0", "--drop-empty-lists", "--covariates", "", "--lists", "EXH,ABA,OSCE,HRW,empty"],
        code=0, says=["EXH"])
    cli(["compare", "kosovo_1999", "--methods", "M0", "--model", "EXH:ABA,EXH:OSCE"], code=0, says=["loglinear-model"])


def test_estimate_on_sixteen_lists_refuses_the_search_and_says_what_to_do(tmp_path, cli):
    p = tmp_path / "k16.csv"
    _independent(16, n=1500).to_frame().to_csv(p, index=False)
    cli(["estimate", p, "--ci", "none"], code=2, says=["16 lists", "65,535", "--search none", "--model"])
    cli(["monitor", p, "--year", "L1", "--out", tmp_path / "m"], code=2, says=["16 lists"])


def test_compare_terminal_marks_rows_without_an_mle(cli):
    out = cli(["compare", "artificial_3", "--methods", "Mh-poisson2,M0"], code=0)
    squashed = "".join(out.split())
    assert "Mh-poisson2[noMLE]" in squashed.replace("│", "") and "M0[noMLE]" not in squashed.replace("│", "")
