"""A subgroup N̂ below its persons registered is not written as a negative dark figure (tester report 12b, L1).

Such N̂ (the model's fitted values summed over a margin the model does not hold) is floored at the observed count
everywhere (estimates table, hence terminal, estimates.csv, result.json and report), the dark figure is then 0, and
estimates.csv's status column says "N̂ floored at observed".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure.pipeline.interval import truncate_at_observed


def test_truncate_floors_nhat_and_names_the_row():
    t = pd.DataFrame({"group": ["total", "x"], "level": ["", "a:b"], "observed": [100, 2],
                      "nhat": [150.0, 1.67], "lower": [120.0, 1.2], "upper": [200.0, 5.9]})
    out, note = truncate_at_observed(t)
    assert out.loc[1, "nhat"] == pytest.approx(2.0) and out.loc[1, "lower"] == pytest.approx(2.0)
    assert out.loc[0, "nhat"] == pytest.approx(150.0)
    assert out.attrs["nhat_floored"] == [1]
    assert "x=a:b" in note and "floored at observed" in note
    assert (out["nhat"] >= out["lower"]).all()


@pytest.mark.slow
def test_simdat_csv_has_no_negative_dark_figure(tmp_path, cli):
    cli(["estimate", "cruyff_simdat", "--year", "Y", "--year-degree", "2", "--seed", "1", "--reps", "200",
         "--out", tmp_path / "o"], code=None)
    est = pd.read_csv(tmp_path / "o" / "estimates.csv")
    ok = est["nhat"].notna()
    assert (est.loc[ok, "dark_figure"] >= -1e-9).all()
    assert (est.loc[ok, "nhat"] >= est.loc[ok, "lower"] - 1e-9).all()
    fl = est[est["status"] == "N̂ floored at observed"]
    assert len(fl) >= 1 and np.allclose(fl["nhat"], fl["observed"])
