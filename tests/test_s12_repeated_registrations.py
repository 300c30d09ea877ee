"""Tester report 12, M3: a file holding registrations repeated hundreds of times with new record_ids is refused
at reading with the cause and the remedy (it ended in "cannot reshape array of size 0" after the linkage)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.linkage import read_registrations, simulate_registrations
from darkfigure.linkage.input_checks import MAX_COPIES
from darkfigure.linkage.registrations import RegistrationError

TODAY = date(2030, 1, 1)


@pytest.fixture(scope="module")
def police():
    return simulate_registrations("clearing_house", seed=5, scale=0.02).files()["police"].reset_index(drop=True)


def _repeat(df, k):
    """Every one of the first three registrations k times in all, with new record ids."""
    big = pd.concat([df] + [df.iloc[:3]] * (k - 1), ignore_index=True)
    big["record_id"] = [f"R{i}" for i in range(len(big))]
    return big


def test_hundreds_of_copies_are_refused_naming_cause_and_rows(police):
    with pytest.raises(RegistrationError) as e:
        read_registrations(_repeat(police, 2 * MAX_COPIES), name="big.csv", today=TODAY)
    msg = str(e.value)
    assert "big.csv" in msg and "3 registration(s) appear more than" in msg and "identical" in msg
    assert f"{2 * MAX_COPIES:,} times, rows 1, " in msg and "Keep one row per registration" in msg


def test_a_few_copies_and_anonymous_rows_are_accepted(police):
    read_registrations(_repeat(police, 4), today=TODAY)
    anon = _repeat(police, 2 * MAX_COPIES)
    anon.loc[:, ["first_name", "surname", "date_of_birth"]] = ""  # nothing to identify: alike by nature
    read_registrations(anon, today=TODAY)


def test_link_cli_refuses_the_repeated_file(police, tmp_path):
    p = tmp_path / "big.csv"
    _repeat(police, 2 * MAX_COPIES).to_csv(p, index=False)
    r = CliRunner().invoke(app, ["link", str(p), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "identical in every column" in " ".join(r.output.split())
