"""Without --seed a bootstrap run draws a seed, says it and records it, so that it can be repeated (tester 12b, M5)."""
import json
import re

import pandas as pd

import darkfigure as dfg

T = pd.DataFrame({"A": [1, 0, 0, 1, 1, 0, 1], "B": [0, 1, 0, 1, 0, 1, 1], "C": [0, 0, 1, 0, 1, 1, 1],
                  "count": [50, 40, 30, 5, 4, 3, 1]})


def test_cli_estimate_draws_says_and_records_a_seed(tmp_path, cli):
    f = tmp_path / "t.csv"
    T.to_csv(f, index=False)
    out = cli(["estimate", f, "--reps", "60", "--search", "none", "--out", tmp_path / "a"], code=0)
    said = re.search(r"seed (\d+) \(none given, so one was drawn\): pass --seed (\d+) to reproduce", out)
    assert said and said.group(1) == said.group(2), out
    res = json.loads((tmp_path / "a" / "result.json").read_text())
    assert res["settings"]["seed"] == int(said.group(1)) and res["settings"]["seed_drawn"] is True
    cli(["estimate", f, "--reps", "60", "--search", "none", "--seed", said.group(1), "--out", tmp_path / "b"], code=0)
    again = json.loads((tmp_path / "b" / "result.json").read_text())
    assert "seed_drawn" not in again["settings"]
    one = pd.read_csv(tmp_path / "a" / "estimates.csv")
    two = pd.read_csv(tmp_path / "b" / "estimates.csv")
    assert ((one[["lower", "upper"]] - two[["lower", "upper"]]).abs() < 1e-9).all().all()  # the run repeated


def test_api_estimate_records_the_drawn_seed_and_draws_none_without_a_bootstrap():
    r = dfg.estimate(T, reps=60, search="none")
    seed = r.raw.settings["seed"]
    assert isinstance(seed, int) and any(f"pass seed={seed} to reproduce" in n for n in r.raw.notes)
    again = dfg.estimate(T, reps=60, search="none", seed=seed)
    assert abs(again.confidence_interval.low - r.confidence_interval.low) < 1e-9
    assert abs(again.confidence_interval.high - r.confidence_interval.high) < 1e-9
    assert dfg.estimate(T, ci="none", search="none").raw.settings["seed"] is None  # nothing random, nothing drawn


def test_cli_compare_draws_says_and_records_a_seed(tmp_path, cli):
    f = tmp_path / "t.csv"
    T.to_csv(f, index=False)
    out = cli(["compare", f, "--methods", "loglinear-bic,Mt", "--no-validation", "--out", tmp_path / "c"], code=None)
    said = re.search(r"seed (\d+) \(none given, so one was drawn\): pass --seed (\d+) to reproduce", out)
    assert said and said.group(1) == said.group(2), out
    assert json.loads((tmp_path / "c" / "compare.json").read_text())["seed"] == int(said.group(1))


def test_cli_estimate_refuses_before_drawing_a_seed(tmp_path, cli):
    # tester 14a, L4: histories made elsewhere with --linkage correct printed a drawn seed, then refused
    f = tmp_path / "t.csv"
    T.to_csv(f, index=False)
    out = cli(["estimate", f, "--reps", "60", "--search", "none", "--linkage", "correct"], code=2)
    assert "--linkage" in out and "none given, so one was drawn" not in out, out


def test_cli_monitor_refuses_before_drawing_a_seed(tmp_path, cli):
    # as estimate (tester 14a, L4): a refusal of the input prints no drawn seed first
    f = tmp_path / "t.csv"
    pd.concat([T.assign(year=2020), T.assign(year=2021)]).to_csv(f, index=False)
    out = cli(["monitor", f, "--year", "year", "--linkage", "correct", "--out", tmp_path / "o"], code=2)
    assert "--linkage none" in out and "none given, so one was drawn" not in out, out
