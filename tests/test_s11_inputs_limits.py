"""Registration input limits and messages (tester report 11, findings 4 and 10): a name too long to be a name is
refused at reading; an Excel file read from the wrong sheet says which sheet was read and which exist. Synthetic."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from darkfigure.linkage import read_registrations, simulate_registrations
from darkfigure.linkage.input_checks import MAX_NAME_CHARS
from darkfigure.linkage.registrations import RegistrationError

TODAY = date(2030, 1, 1)


@pytest.fixture(scope="module")
def police():
    """A small synthetic police registration file."""
    return simulate_registrations("clearing_house", seed=3, scale=0.02).files()["police"].reset_index(drop=True)


def test_a_name_longer_than_the_limit_is_refused_with_file_column_row_and_record(police, tmp_path):
    p = police.copy()
    p.loc[2, "surname"] = "A" * (MAX_NAME_CHARS * 50)
    path = tmp_path / "police.csv"
    p.to_csv(path, index=False)
    with pytest.raises(RegistrationError) as e:
        read_registrations(path, today=TODAY)
    msg = str(e.value)
    assert "police.csv" in msg and "'surname'" in msg and "row 3" in msg and repr(p.loc[2, "record_id"]) in msg
    assert f"{MAX_NAME_CHARS * 50:,} characters" in msg and "row 1 = the line under the header" in msg


def test_a_long_but_possible_name_is_read(police):
    p = police.copy()
    p.loc[0, "first_name"] = "Maria " * (MAX_NAME_CHARS // 6)  # just under the limit
    assert len(read_registrations(p, today=TODAY)) == len(p)


def test_excel_on_the_wrong_sheet_names_the_sheet_read_and_the_sheets(police, tmp_path):
    path = tmp_path / "police.xlsx"
    with pd.ExcelWriter(path) as w:
        pd.DataFrame({"about": ["registrations are on the next sheet"]}).to_excel(w, sheet_name="readme", index=False)
        police.to_excel(w, sheet_name="data", index=False)
    with pytest.raises(RegistrationError) as e:
        read_registrations(path, today=TODAY)
    msg = str(e.value)
    assert "read sheet 'readme'" in msg and "'readme', 'data'" in msg and "--sheet" in msg


def test_link_sheet_reads_the_registrations_from_the_named_sheet(tmp_path):
    from typer.testing import CliRunner

    from darkfigure.cli import app

    f = simulate_registrations("clearing_house", seed=3, scale=0.03).files()
    path = tmp_path / "police.xlsx"
    with pd.ExcelWriter(path) as w:
        pd.DataFrame({"about": ["registrations are on the next sheet"]}).to_excel(w, sheet_name="readme", index=False)
        f["police"].to_excel(w, sheet_name="data", index=False)
    paths = [str(path)]
    for k in ("kmar", "shelters"):
        f[k].to_csv(tmp_path / f"{k}.csv", index=False)
        paths.append(str(tmp_path / f"{k}.csv"))
    run = CliRunner().invoke
    r = run(app, ["link", *paths, "--out", str(tmp_path / "no"), "--max-pairs", "100000"])
    assert r.exit_code == 2 and "read sheet 'readme'" in " ".join(r.output.split())
    r = run(app, ["link", *paths, "--out", str(tmp_path / "bad"), "--sheet", "nope", "--max-pairs", "100000"])
    assert r.exit_code == 2 and "'readme', 'data'" in " ".join(r.output.split())
    r = run(app, ["link", *paths, "--out", str(tmp_path / "lk"), "--sheet", "data", "--max-pairs", "100000"])
    assert r.exit_code == 0, r.output
    links = pd.read_csv(tmp_path / "lk" / "links.csv")
    assert (links["organisation"] == "police").sum() == len(f["police"])
