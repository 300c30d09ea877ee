"""validate(): hold out each list and re-estimate its size (Binette & Steorts 2022)."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure import CaptureHistories, DataError, datasets
from darkfigure.cli import app
from darkfigure.validate import holdout_histories, validate


def test_holdout_keeps_the_persons_on_the_list_seen_elsewhere():
    h = datasets.load("kosovo_1999")
    sub = holdout_histories(h, "EXH")
    t = h.table
    seen_elsewhere = t[(t["EXH"] == 1) & (t[["ABA", "OSCE", "HRW"]].sum(axis=1) > 0)]["count"].sum()
    assert sub.lists == ("ABA", "OSCE", "HRW")
    assert sub.n_observed == seen_elsewhere
    assert h.list_sizes()["EXH"] == 1910


def test_independent_lists_recover_each_list_size():
    """With truly independent lists, Mt re-estimates every list's size: |log ratio| small, covered."""
    rng = np.random.default_rng(3)
    n = 30000
    p = np.array([0.3, 0.25, 0.2, 0.35])
    caught = rng.random((n, 4)) < p
    df = pd.DataFrame(caught[caught.any(axis=1)].astype(int), columns=list("ABCD"))
    res = validate(CaptureHistories.from_records(df), ["Mt"])
    assert len(res) == 4
    assert (res["log_ratio"].abs() < 0.05).all()
    assert res["covered"].sum() >= 3


def test_needs_three_lists():
    df = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [5, 4, 3]})
    with pytest.raises(DataError, match="at least 3 lists"):
        validate(CaptureHistories.from_table(df))


def test_validate_cli(tmp_path):
    r = CliRunner().invoke(app, ["validate", "hiv_rome", "--methods", "Mt", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    t = pd.read_csv(tmp_path / "validate.csv")
    assert list(t["list"]) == ["c1", "c2", "c3", "c4"]
    assert {"size", "log_ratio", "covered"} <= set(t.columns)


def test_validate_cli_says_why_a_list_has_no_estimate():
    # tester 9, F24: rows without an estimate carried their reason only in validate.csv
    r = CliRunner().invoke(app, ["validate", "artificial_3", "--methods", "Mt"])
    assert r.exit_code == 3, r.output  # nothing validated: exit 3 (tester 12b, L10)
    text = " ".join(r.output.split())
    assert "no held-out list could be re-estimated" in text
    assert "list C" in text and "nothing to validate" in text
