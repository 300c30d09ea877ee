"""to_frame() holds the figures of the CSV the command writes, dark figure included; to_polars() (tester 12b, L7)."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import darkfigure as dfg

#: a 0-df model with a huge N̂: not identified, the CSV's total holds the published lower limit
BLOWUP = "A,B,C,count\n1,0,0,300\n0,1,0,200\n0,0,1,250\n1,1,0,2\n1,0,1,3\n0,1,1,2\n1,1,1,4\n"


def _same(frame: pd.DataFrame, csv: pd.DataFrame) -> None:
    """Every column of the CSV is in the frame with the same values (numbers within 1e-6 relative)."""
    assert len(frame) == len(csv)
    for c in csv.columns:
        assert c in frame.columns, c
        a, b = frame[c].reset_index(drop=True), csv[c]
        if pd.api.types.is_numeric_dtype(b):
            x, y = pd.to_numeric(a, errors="coerce").to_numpy(float), b.to_numpy(float)
            assert np.array_equal(np.isnan(x), np.isnan(y)), c
            ok = ~np.isnan(y)
            np.testing.assert_allclose(x[ok], y[ok], rtol=1e-6, err_msg=c)
        else:
            assert a.fillna("").astype(str).tolist() == b.fillna("").astype(str).tolist(), c


def _synthetic(seed: int = 3, n: int = 900) -> pd.DataFrame:
    """Person rows: three independent lists, a sex covariate and two years."""
    rng = np.random.default_rng(seed)
    caught = rng.random((n, 3)) < 0.35
    keep = caught.any(axis=1)
    return pd.DataFrame(caught[keep].astype(int), columns=list("ABC")).assign(
        sex=rng.choice(["f", "m"], keep.sum()), year=rng.choice([2020, 2021], keep.sum()))


def test_estimate_to_frame_equals_estimates_csv(tmp_path):
    res = dfg.estimate("spina_bifida_ny", search="cruyff", ci="parametric", reps=100, seed=1, n_jobs=1)
    res.raw.write(tmp_path)
    csv = pd.read_csv(tmp_path / "estimates.csv", keep_default_na=False, na_values=[""])
    frame = res.to_frame()
    assert {"dark_figure", "dark_figure_lower", "dark_figure_upper", "status"} <= set(frame.columns)
    _same(frame, csv)


def test_not_identified_to_frame_holds_the_published_lower_limit(tmp_path):
    data = tmp_path / "blowup.csv"
    data.write_text(BLOWUP)
    res = dfg.estimate(str(data), seed=1, reps=100, n_jobs=1)
    res.raw.write(tmp_path / "o")
    csv = pd.read_csv(tmp_path / "o" / "estimates.csv")
    frame = res.to_frame()
    _same(frame, csv)
    assert frame.loc[0, "status"] == "not identified" and np.isnan(frame.loc[0, "nhat"])
    assert abs(frame.loc[0, "lower"] - res.to_publish()["low"]) < 1e-6


def test_other_methods_rows_carry_the_dark_figure():
    r = dfg.Heterogeneity("Mh-darroch").fit("kosovo_1999").result
    row = r.to_frame().iloc[0]
    assert abs(row["dark_figure"] - (r.nhat - r.n_observed)) < 1e-6
    assert abs(row["dark_figure_lower"] - (r.confidence_interval.low - r.n_observed)) < 1e-6
    assert row["status"] == r.status


def test_monitor_to_frame_is_monitor_csv_with_the_dark_figure(tmp_path):
    m = dfg.monitor(_synthetic(), lists="A,B,C", covariates="sex", year="year", seed=1, reps=20, progress=False,
                    search="none", ci="parametric")
    m.write(tmp_path)
    csv = pd.read_csv(tmp_path / "monitor.csv", keep_default_na=False, na_values=[""])
    frame = m.to_frame()
    _same(frame, csv)
    np.testing.assert_allclose(frame["dark_figure"], frame["nhat"] - frame["observed"])


def test_strata_to_frame_is_totals_csv_with_the_dark_figure(tmp_path):
    from darkfigure.strata import estimate_strata

    r = estimate_strata(_synthetic(n=1500), by="sex", lists=["A", "B", "C"], search="none", reps=40, seed=1,
                        n_jobs=1)
    r.write(tmp_path)
    csv = pd.read_csv(tmp_path / "totals.csv", keep_default_na=False, na_values=[""])
    frame = r.to_frame()
    _same(frame, csv)
    np.testing.assert_allclose(frame["dark_figure_lower"], frame["lower"] - frame["observed"])


def test_to_polars_holds_the_same_table():
    pl = pytest.importorskip("polars")
    d = _synthetic()
    res = dfg.estimate(pl.from_pandas(d.drop(columns="year")), lists="A,B,C", covariates="sex", search="none",
                       ci="parametric", reps=50, seed=1, n_jobs=1)
    frame, pol = res.to_frame(), res.to_polars()
    assert isinstance(pol, pl.DataFrame) and pol.columns == list(frame.columns)
    np.testing.assert_allclose(pol["dark_figure"].to_numpy(), frame["dark_figure"].to_numpy())


def test_to_polars_without_polars_says_how_to_install(monkeypatch):
    res = dfg.estimate("kosovo_1999", ci="none", search="none")
    monkeypatch.setitem(sys.modules, "polars", None)  # as if polars were not installed
    with pytest.raises(ImportError, match=r"darkfigure\[polars\]"):
        res.to_polars()
