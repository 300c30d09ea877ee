"""Impossible numbers (kind 4 of issue 12): no limit below the number observed, no visibility above 100%.

The data: in stratum F every person is on list A, and the model A:sex fits the F cells
with A = 0 (the unobserved one among them) as 0, so F's dark figure is estimated at 0.
The parametric bootstrap redraws the observed counts too, so F's replicate N̂ spread
around the 35 observed: the raw percentile interval (26–46) fell below 35. Checked in the
terminal, estimates.csv, result.json, monitor.csv, monitor_published.csv and the report.
"""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pandas as pd
import pytest

from darkfigure.estimation import estimate, truncate_at_observed


def _zero_stratum(years=False) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for sex in "MF":
        for p in itertools.product([0, 1], repeat=3):
            if sum(p) == 0 or (sex == "F" and p[0] == 0):
                continue
            n = int(rng.integers(5, 40)) if sex == "M" else int(rng.integers(5, 12))
            rows.append({"A": p[0], "B": p[1], "C": p[2], "sex": sex, "count": n})
    d = pd.DataFrame(rows)
    if years:
        d = pd.concat([d.assign(year=2020), d.assign(year=2021)], ignore_index=True)
    return d


def _limits_ok(t: pd.DataFrame, lower="lower", upper="upper") -> None:
    obs = pd.to_numeric(t["observed"], errors="coerce")
    for c in (lower, upper):
        v = pd.to_numeric(t[c], errors="coerce")
        ok = v.isna() | (v >= obs) | obs.isna()
        assert ok.all(), t[~ok]


def test_estimate_never_puts_a_limit_below_the_observed():
    res = estimate(_zero_stratum(), lists=["A", "B", "C"], model="A:sex", reps=200, seed=1)
    t = res.estimates
    _limits_ok(t)
    f = t[(t["group"] == "sex") & (t["level"] == "F")].iloc[0]
    assert f["lower"] == f["observed"] == 35  # raised from about 26
    assert any("set to that number" in w and "sex=F" in w for w in res.warnings)
    assert res.lower >= res.n_observed


def test_cli_outputs_have_no_impossible_numbers(tmp_path, cli):
    data = tmp_path / "z.csv"
    _zero_stratum().to_csv(data, index=False)
    out = cli(["estimate", data, "--model", "A:sex", "--reps", "200", "--seed", "1", "--out", tmp_path / "o"], code=0,
              says=["sex=F", "set to that number"])
    assert "26" not in [w for line in out.splitlines() if "│ sex" in line and " F " in line for w in line.split()]
    _limits_ok(pd.read_csv(tmp_path / "o" / "estimates.csv"))
    r = json.loads((tmp_path / "o" / "result.json").read_text())
    assert r["interval"]["lower"] >= r["data"]["observed"]


@pytest.mark.slow
def test_monitor_tables_have_no_visibility_above_one(tmp_path, cli):
    data = tmp_path / "z.csv"
    _zero_stratum(years=True).to_csv(data, index=False)
    out = tmp_path / "m"
    cli(["monitor", data, "--year", "year", "--model", "A:sex", "--reps", "200", "--seed", "1", "--out", out,
         "--report"], code=0)
    full = pd.read_csv(out / "monitor.csv", keep_default_na=False)
    _limits_ok(full)
    for c in ("visibility", "visibility_lower", "visibility_upper"):
        v = pd.to_numeric(full[c], errors="coerce")
        assert (v.isna() | (v <= 1)).all(), full[c]
    # sex=F: every person there is on A, and A:sex fits its unseen cell as 0: no N̂, so no visibility (14b, H1)
    f_rows = full[full["level"].astype(str) == "F"]
    assert len(f_rows) and (f_rows["visibility"] == "").all(), f_rows
    pub = pd.read_csv(out / "monitor_published.csv", dtype=str, keep_default_na=False)
    for c in ("visibility", "visibility_lower", "visibility_upper"):
        v = pd.to_numeric(pub[c], errors="coerce")
        assert (v.dropna() <= 1).all()
    html = (out / "report.html").read_text()
    shares = [float(x) for x in re.findall(r"(?<![\d.,])(\d{1,3}(?:\.\d+)?)%", html)]
    assert shares and max(shares) <= 100, sorted(shares)[-5:]


def test_truncation_helper_names_rows_and_leaves_good_rows_alone():
    t = pd.DataFrame({"group": ["total", "sex", "sex"], "level": ["", "F", "M"], "observed": [100, 33, 67],
                      "nhat": [120, 33, 87], "lower": [105, 23, 70], "upper": [140, 43, 110]})
    out, note = truncate_at_observed(t)
    assert out["lower"].tolist() == [105, 33, 70] and out["upper"].tolist() == [140, 43, 110]
    assert "sex=F" in note and "23" in note and "sex=M" not in note
    same, none = truncate_at_observed(t.assign(lower=[105, 40, 70]))
    assert none is None and same["lower"].tolist() == [105, 40, 70]
