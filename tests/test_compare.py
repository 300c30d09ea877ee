"""compare(): every method side by side, wired to the right estimator (values from the R peers)."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.comparison import METHODS, compare


def test_compare_kosovo_against_peers(reference):
    t = compare(
        "kosovo_1999", ["loglinear-pvalue", "Mt", "Mh-darroch", "dga", "bic-exhaustive", "downhill"], seed=1
    ).set_index("method")
    # SparseMSE stepwise 14,341.66; Rcapture Mt 7,394.59 [7,148, 7,656]; dga 12,595 [9,827, 16,544]
    assert t.loc["loglinear-pvalue", "nhat"] == pytest.approx(14341.6638, rel=1e-6)
    assert t.loc["Mt", "nhat"] == pytest.approx(7394.5867, rel=1e-6)
    assert (round(t.loc["Mt", "lower"]), round(t.loc["Mt", "upper"])) == (7148, 7656)
    assert (t.loc["dga", "nhat"], t.loc["dga", "lower"], t.loc["dga", "upper"]) == (12595, 9827, 16544)
    rc = pd.read_csv(reference / "rcapture.csv")
    darroch = rc[(rc["dataset"] == "kosovo_aggregate") & (rc["function"] == "closedp.t") & (rc["settings"] == "model Mh Darroch")]
    assert len(darroch) == 1
    assert t.loc["Mh-darroch", "nhat"] == pytest.approx(float(darroch["estimate"].iloc[0]), rel=1e-6)
    # MultipleSystemsEstimation's BIC choice [123,14,34]: 10,357, with the BCa interval of a bootstrap
    # that repeats the choice (among the 20 best, the package's default): Silverman, Chan & Vincent
    # (2024) Table 6 [6,947, 18,010] over all 113 models; the downhill search: 10,357 [7,133, 18,681].
    # Monte-Carlo quantities (1,000 replicates): within 10 %.
    for m, (lo, hi) in {"bic-exhaustive": (6947, 18010), "downhill": (7133, 18681)}.items():
        assert round(t.loc[m, "nhat"]) == 10357
        assert t.loc[m, "interval"] == "bca"
        assert abs(t.loc[m, "lower"] / lo - 1) < 0.1 and abs(t.loc[m, "upper"] / hi - 1) < 0.1, (m, t.loc[m])
        assert "[123,14,34]" in t.loc[m, "model"]
    assert set(t["interval"]) <= {"profile", "credible", "bca"}
    assert (t["seconds"] >= 0).all()


def test_unknown_method_and_not_applicable():
    with pytest.raises(ValueError, match="unknown method"):
        compare("hiv_rome", ["magic"])
    t = compare("new_orleans_2016", ["dga"])  # 8 lists
    assert t["nhat"].isna().all() and "not applicable" in t["warnings"].iloc[0]


def test_compare_cli_writes_table_and_forest_plot(tmp_path):
    r = CliRunner().invoke(app, ["compare", "hiv_rome", "--methods", "Mt,Mh-darroch,dga", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    t = pd.read_csv(tmp_path / "compare.csv")
    assert list(t.columns[:7]) == ["method", "nhat", "lower", "upper", "interval", "seconds", "warnings"]
    assert list(t["method"]) == ["Mt", "Mh-darroch", "dga"]
    assert (tmp_path / "forest.png").stat().st_size > 1000
    assert (tmp_path / "forest.svg").read_text().startswith("<?xml")


def test_method_names_are_the_documented_ones():
    assert set(METHODS) >= {
        "loglinear-bic", "loglinear-aic", "loglinear-pvalue", "M0", "Mt", "Mh-chao", "Mh-poisson2", "Mh-darroch",
        "Mh-gamma3.5", "Mth-chao", "Mth-poisson2", "Mth-darroch", "Mth-gamma3.5", "bic-exhaustive", "downhill", "lcmcr",
        "dga",
    }
    assert METHODS.index("downhill") == METHODS.index("bic-exhaustive") + 1
