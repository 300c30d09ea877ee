"""Age bands and phone numbers that start with '+' or '-' are covariate levels, not formulas (tester 20): only
what a spreadsheet would run with effect is refused, and a kept level reaches the CSV outputs unchanged."""

from datetime import date

import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure.cell_checks import formula_like
from darkfigure.cli import app
from darkfigure.errors import DataError
from darkfigure.io import read_histories
from darkfigure.linkage import RegistrationError, read_registrations
from test_registrations import _frame  # three registrations, one organisation

TODAY = date(2026, 1, 1)
HOSTILE = ["=1+1", "@SUM(1)", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "+SUM(A1)", '=HYPERLINK("x")',
           "\t+cmd|' /C calc'!A0", "\r=1+1", " -SUM(A1)", "+cmd", "-x", "-+cmd",
           "+1+1", "-2-3", "+1/0", "+$A$1", "+1<2"]  # computed by a spreadsheet: shown as another value (review s20)
BENIGN = ["+65 jaar", "-18", "65+", "+31 6 1234 5678", "-", "--", "-1", "+3.5", " +65 jaar", "\t-18", "18-64"]


def test_only_formulas_with_effect_are_formula_like():
    assert formula_like(pd.Series(HOSTILE, dtype=object)).all()
    assert not formula_like(pd.Series(BENIGN, dtype=object)).any()


def _table(levels):
    return pd.DataFrame({"A": [1, 0, 1] * 2, "B": [0, 1, 1] * 2, "age": [levels[0]] * 3 + [levels[1]] * 3,
                         "count": [5, 7, 2, 4, 6, 1]})


def test_age_band_levels_are_read():
    h = read_histories(_table(["+65 jaar", "-18"]), lists=["A", "B"], covariates=["age"])
    assert h.n_observed == 25
    with pytest.raises(DataError, match=r"column 'age' has \"\+cmd\|' /C calc'!A0\" in row 1.*holds '\|'"):
        read_histories(_table(["+cmd|' /C calc'!A0", "-18"]), lists=["A", "B"], covariates=["age"])


def test_refusal_says_how_to_write_a_band():
    with pytest.raises(DataError, match=r"'\+65 \(jaar\)' in row 1.*write it as '65\+ \(jaar\)'"):
        read_histories(_table(["+65 (jaar)", "-18"]), lists=["A", "B"], covariates=["age"])
    with pytest.raises(DataError, match=r"'=1\+1' in row 4.*starts with '='.*without the leading '='") as e:
        read_histories(_table(["-18", "=1+1"]), lists=["A", "B"], covariates=["age"])
    assert "write it as" not in str(e.value)


def test_registration_age_band_kept_and_hostile_refused():
    f = read_registrations(_frame(age_band=["+65 jaar", "-18", "18-64"]), name="ngo.csv", today=TODAY)
    assert f["age_band"].tolist() == ["+65 jaar", "-18", "18-64"]
    with pytest.raises(RegistrationError, match=r"ngo\.csv: column 'age_band' has \"-2\+3\+cmd.*row 3.*formula"):
        read_registrations(_frame(age_band=["+65 jaar", "-18", "-2+3+cmd|' /C calc'!A0"]), name="ngo.csv",
                           today=TODAY)


def test_age_band_reaches_the_csv_outputs_unchanged(tmp_path):
    rows = [(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1) if a + b + c]
    counts = {"+65 jaar": [30, 25, 8, 20, 6, 5, 2], "-18": [40, 35, 10, 28, 9, 7, 3]}
    df = pd.DataFrame([(*r, lev, n) for lev, ns in counts.items() for r, n in zip(rows, ns)],
                      columns=["A", "B", "C", "age", "count"])
    f = tmp_path / "bands.csv"
    df.to_csv(f, index=False)
    r = CliRunner().invoke(app, ["estimate", str(f), "--ci", "none", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    for name in ("estimates.csv", "capture_histories.csv"):
        text = (tmp_path / "o" / name).read_text()
        assert ",+65 jaar," in text and ",-18," in text, name
