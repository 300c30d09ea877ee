"""``pseudonymise`` checks what it leaves in clear (tester 13b, H1); API and command line alike.

Synthetic registrations only (``simulate_registrations``): invented names and dates of birth.
"""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import darkfigure as dfg
from darkfigure.linkage import simulate_registrations
from darkfigure.linkage.clear_columns import PseudonymisationWarning
from darkfigure.linkage.keys import PseudonymisationError

KEY = b"0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def police() -> pd.DataFrame:
    """One organisation's synthetic registrations, without the simulation's true person id."""
    sim = simulate_registrations("clearing_house", seed=5, scale=0.05, today=date(2026, 1, 1))
    return sim.files()["police"].drop(columns=["true_person_id"]).reset_index(drop=True)


def _quiet(*args, **kwargs) -> pd.DataFrame:
    """``dfg.pseudonymise`` with its Python warnings silenced (the test looks at attrs)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PseudonymisationWarning)
        return dfg.pseudonymise(*args, **kwargs)


@pytest.mark.parametrize("column", ["case_notes", "email", "born"])
def test_a_clear_column_holding_names_or_dates_of_birth_is_refused(police, column) -> None:
    """Free text naming the person, an e-mail address of the first name, or the date of birth written as
    dd/mm/yyyy in another column: refused, naming the column, its share and what to do."""
    d = police.copy()
    d[column] = {
        "case_notes": "client " + d.first_name + " " + d.surname + " seen today",
        "email": d.surname.str.lower().str.replace(" ", ".") + "@example.org",
        "born": d.date_of_birth.str[8:10] + "/" + d.date_of_birth.str[5:7] + "/" + d.date_of_birth.str[:4],
    }[column]
    with pytest.raises(PseudonymisationError) as e:
        _quiet(d, KEY)
    msg = str(e.value)
    assert repr(column) in msg and "%" in msg and "--keep-clear" in msg and "drop" in msg


def test_a_record_id_made_of_names_is_refused_with_renumbering_advice(police) -> None:
    d = police.copy()
    d["record_id"] = d.surname.str.upper() + "-" + d.date_of_birth.str.replace("-", "") + "-" + d.index.astype(str)
    with pytest.raises(PseudonymisationError, match="record_id.*number the registrations afresh"):
        _quiet(d, KEY)


def test_keep_lets_a_vouched_column_through_and_refuses_identifiers(police) -> None:
    d = police.copy()
    d["case_notes"] = "client " + d.first_name + " seen"
    out = _quiet(d, KEY, keep=["case_notes"])
    assert out["case_notes"].tolist() == d["case_notes"].tolist()
    with pytest.raises(PseudonymisationError, match="never kept in clear"):
        _quiet(d, KEY, keep=["surname"])
    with pytest.raises(PseudonymisationError, match="'nope'"):
        _quiet(d, KEY, keep="nope")


def test_a_few_chance_matches_are_not_refused(police) -> None:
    """Two rows whose note happens to hold the name: below the share and count that make a pattern."""
    d = police.copy()
    d["note"] = "none"
    d.loc[:1, "note"] = d.loc[:1, "first_name"]
    out = _quiet(d, KEY)
    assert "note" in out.columns


def test_warnings_reach_attrs_and_python_warnings(police) -> None:
    """Identifier-like and free-text covariates are named; every attrs warning is also a UserWarning."""
    d = police.copy()
    d["phone"] = "+31 6 " + pd.Series(range(len(d))).astype(str).str.zfill(8)
    d["remarks"] = "long story about the situation that has many words in it"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = dfg.pseudonymise(d, KEY)
    said = out.attrs["warnings"]
    joined = " ".join(said)
    assert "'phone'" in joined and "'remarks'" in joined and "identifier" in joined and "free text" in joined
    got = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert set(said) <= set(got)
    quiet = _quiet(d, KEY, keep=["phone", "remarks", "age", "nationality_group", "exploitation"])
    assert quiet.attrs["warnings"] == []


def test_cli_refuses_and_keeps_like_the_api(police, tmp_path: Path) -> None:
    """``darkfigure pseudonymise`` refuses the same column (exit 2, nothing written) and takes --keep-clear."""
    from typer.testing import CliRunner

    from darkfigure.cli import app

    d = police.copy()
    d["email"] = d.first_name.str.lower() + "@example.org"
    src = tmp_path / "police.csv"
    d.to_csv(src, index=False)
    keyfile = tmp_path / "key.txt"
    keyfile.write_bytes(KEY)
    out = tmp_path / "enc.csv"
    r = CliRunner().invoke(app, ["pseudonymise", str(src), "--key-file", str(keyfile), "--out", str(out)])
    assert r.exit_code == 2 and "'email'" in r.output and not out.exists()
    r = CliRunner().invoke(app, ["pseudonymise", str(src), "--key-file", str(keyfile), "--out", str(out),
                                 "--keep-clear", "email"])
    assert r.exit_code == 0, r.output
    assert "email" in pd.read_csv(out).columns
