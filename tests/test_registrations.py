"""The registration format: reading, validation messages, kinds, normalisation."""

from datetime import date, datetime

import pandas as pd
import pytest

from darkfigure.histories import DataError
from darkfigure.linkage import RegistrationError, read_registration_files, read_registrations, registration_kind
from darkfigure.linkage.pseudonymise import pseudonymise
from darkfigure.linkage.registrations import (
    covariate_columns,
    fold_ascii,
    normalise_date,
    normalise_name,
    normalise_nationality,
    normalise_sex,
)

TODAY = date(2026, 1, 1)
KEY = b"a-test-key-of-32-bytes-0123456789"


def _frame(**changes) -> pd.DataFrame:
    df = pd.DataFrame({
        "record_id": ["A1", "A2", "A3"],
        "organisation": ["police"] * 3,
        "registration_date": ["2023-02-01", "2023-03-15", "2024-12-31"],
        "first_name": ["Anna", "Łukasz", "Thị Lan"],
        "surname": ["van der Berg", "Wiśniewski", "Nguyễn"],
        "date_of_birth": ["1990-05-17", "", "2001-01-01"],
        "sex": ["female", "male", "F"],
        "nationality": ["NL", "PL", "VN"],
        "exploitation": ["sexual", "labour", "labour"],
    })
    for k, v in changes.items():
        df[k] = v
    return df


def test_reads_csv_parquet_and_excel_alike(tmp_path):
    df = _frame()
    df.to_csv(tmp_path / "r.csv", index=False)
    df.to_parquet(tmp_path / "r.parquet", index=False)
    x = df.copy()
    x["registration_date"] = pd.to_datetime(x["registration_date"])  # Excel stores dates as dates
    x.to_excel(tmp_path / "r.xlsx", index=False)
    got = [read_registrations(tmp_path / f, today=TODAY) for f in ("r.csv", "r.parquet", "r.xlsx")]
    for g in got:
        assert g.attrs["kind"] == "plaintext"
        assert g["registration_date"].tolist() == ["2023-02-01", "2023-03-15", "2024-12-31"]
        assert g["date_of_birth"].tolist() == ["1990-05-17", "", "2001-01-01"]
        assert g["first_name"].tolist() == ["Anna", "Łukasz", "Thị Lan"]
        assert covariate_columns(g) == ["exploitation"]
    assert got[0].attrs["source"] == "r.csv"
    # record ids keep leading zeros in CSV
    _frame(record_id=["007", "008", "009"]).to_csv(tmp_path / "z.csv", index=False)
    assert read_registrations(tmp_path / "z.csv", today=TODAY)["record_id"].tolist() == ["007", "008", "009"]


def test_missing_columns_name_the_file_and_columns(tmp_path):
    _frame().drop(columns=["surname", "sex"]).to_csv(tmp_path / "ngo.csv", index=False)
    with pytest.raises(RegistrationError, match=r"ngo\.csv: missing column\(s\) surname, sex"):
        read_registrations(tmp_path / "ngo.csv", today=TODAY)
    assert issubclass(RegistrationError, DataError)


@pytest.mark.parametrize(
    "changes, pattern",
    [
        ({"record_id": ["A1", "A2", "A1"]}, r"column 'record_id' repeats 'A1' in rows 1, 3"),
        ({"record_id": ["A1", "", "A3"]}, r"column 'record_id' is empty in row\(s\) 2"),
        ({"organisation": ["police", " ", "police"]}, r"column 'organisation' is empty in row\(s\) 2"),
        ({"registration_date": ["2023-02-01", "17/05/2023", "2023-02-30"]},
         r"column 'registration_date' has values that are not ISO dates.*row\(s\) 2 \('17/05/2023'\), 3 \('2023-02-30'\)"),
        ({"registration_date": ["2023-02-01", "", "2023-02-01"]}, r"column 'registration_date' is empty in row\(s\) 2"),
        ({"registration_date": ["2023-02-01", "2026-03-01", "2023-02-01"]},
         r"'registration_date' lies in the future \(after 2026-01-01\) in row\(s\) 2 \('2026-03-01'\)"),
        ({"date_of_birth": ["1990-05-17", "05-17-1990", ""]},
         r"column 'date_of_birth' has values that are not ISO dates.*row\(s\) 2 \('05-17-1990'\)"),
        ({"date_of_birth": ["1990-05-17", "2023-04-01", ""]},
         r"'date_of_birth' is after the registration date in row\(s\) 2 \('2023-04-01 > 2023-03-15'\)"),
    ],
)
def test_validation_errors_name_column_row_and_value(changes, pattern):
    with pytest.raises(RegistrationError, match=pattern):
        read_registrations(_frame(**changes), name="police.csv", today=TODAY)


def test_dates_with_midnight_times_and_date_objects_are_accepted():
    df = _frame(registration_date=["2023-02-01T00:00:00", datetime(2023, 3, 15), date(2024, 12, 31)])
    got = read_registrations(df, today=TODAY)
    assert got["registration_date"].tolist() == ["2023-02-01", "2023-03-15", "2024-12-31"]


def test_kinds_and_mixtures(tmp_path):
    plain = _frame()
    pseudo = pseudonymise(plain, KEY)
    assert registration_kind(plain) == "plaintext" and registration_kind(pseudo) == "pseudonymised"
    got = read_registrations(pseudo, today=TODAY)
    assert got.attrs["kind"] == "pseudonymised" and got.attrs["bloom_bits"] == 1000 and len(got.attrs["key_id"]) == 16
    both = pseudo.assign(first_name=plain["first_name"])
    with pytest.raises(RegistrationError, match="plaintext identifiers .* and encodings"):
        read_registrations(both, today=TODAY)
    plain.to_csv(tmp_path / "police.csv", index=False)
    pseudonymise(_frame(organisation=["ngo"] * 3), KEY).to_csv(tmp_path / "ngo.csv", index=False)
    with pytest.raises(RegistrationError, match=r"mix plaintext \(police\.csv\) and pseudonymised \(ngo\.csv\)"):
        read_registration_files([tmp_path / "police.csv", tmp_path / "ngo.csv"], today=TODAY)
    other_key = pseudonymise(_frame(organisation=["kmar"] * 3), b"another-key-0123456789")
    other_key.to_csv(tmp_path / "kmar.csv", index=False)
    with pytest.raises(RegistrationError, match=r"different keys \(key id .*: ngo\.csv; key id .*: kmar\.csv\)"):
        read_registration_files([tmp_path / "ngo.csv", tmp_path / "kmar.csv"], today=TODAY)
    # the same (organisation, record_id) in two files
    with pytest.raises(RegistrationError, match=r"organisation 'ngo' record_id 'A1' is in ngo\.csv and ngo2\.csv"):
        (tmp_path / "ngo2.csv").write_bytes((tmp_path / "ngo.csv").read_bytes())
        read_registration_files([tmp_path / "ngo.csv", tmp_path / "ngo2.csv"], today=TODAY)
    ok = read_registration_files([tmp_path / "police.csv", _frame(organisation=["kmar"] * 3)], today=TODAY)
    assert [f.attrs["source"] for f in ok] == ["police.csv", "registrations #2"]


def test_pseudonymised_files_are_validated():
    pseudo = pseudonymise(_frame(), KEY)
    bad = pseudo.copy()
    bad.loc[1, "key_id"] = "0123456789abcdef"
    with pytest.raises(RegistrationError, match="'key_id' is not the same on every row"):
        read_registrations(bad, today=TODAY)
    bad = pseudo.copy()
    bad.loc[2, "bf_surname"] = "Nguyen!"
    with pytest.raises(RegistrationError, match=r"'bf_surname' is not a base64 Bloom filter in row\(s\) 3"):
        read_registrations(bad, today=TODAY)
    bad = pseudo.copy()
    bad.loc[0, "tok_surname"] = "berg"
    with pytest.raises(RegistrationError, match=r"'tok_surname' is not a hex token .* row\(s\) 1"):
        read_registrations(bad, today=TODAY)
    with pytest.raises(RegistrationError, match="missing column.*tok_block_sn_dob"):
        read_registrations(pseudo.drop(columns=["tok_block_sn_dob"]), today=TODAY)


def test_normalisation():
    for v in ("van der Berg", "Van der Berg", "Berg, van der", "VAN DER BERG", "Berg", "berg"):
        assert normalise_name(v, surname=True) == "berg", v
    assert normalise_name("van der Berg") == "van der berg"  # particles only leave surnames
    assert normalise_name("De", surname=True) == "de"  # a particle alone is the name
    assert normalise_name("'s Gravensande", surname=True) == "gravensande"
    assert normalise_name("Jan-Willem") == normalise_name("Jan  Willem") == "jan willem"
    assert normalise_name("Łukasz") == "lukasz" and normalise_name("Nguyễn") == "nguyen" and normalise_name("Yılmaz") == "yilmaz"
    assert normalise_name("Ørsted") == "orsted" and normalise_name("Groß") == "gross" and normalise_name(None) == ""
    assert normalise_name(float("nan")) == "" and normalise_name("O'Brien") == "o brien"
    assert fold_ascii("Ştefan Đặng") == "Stefan Dang"

    assert normalise_date("2021-03-04") == "2021-03-04" and normalise_date("") == "" and normalise_date(None) == ""
    assert normalise_date(pd.Timestamp("2021-03-04")) == "2021-03-04"
    for bad in ("04-03-2021", "2021-02-29", "2021/03/04", "20210304"):
        with pytest.raises(ValueError):
            normalise_date(bad)
    assert [normalise_sex(v) for v in ("F", "female", "V", "vrouw", "M", "man", "", "onbekend", "X")] == [
        "f", "f", "f", "f", "m", "m", "", "", "x"
    ]
    assert normalise_nationality(" NL ") == "nl" and normalise_nationality(None) == ""


def test_vietnamese_van_is_not_the_dutch_particle():
    from darkfigure.linkage.registrations import normalise_names

    # written with its breve, Văn is a Vietnamese name; so are Đỗ and Lê (de/do/le are particles elsewhere)
    assert normalise_name("Văn Anh", surname=True) == "van anh" != normalise_name("Anh", surname=True)
    assert normalise_name("Lê Văn", surname=True) == "le van" and normalise_name("Đỗ", surname=True) == "do"
    # without the breve, the other name says which "Van" it is
    assert normalise_name("Van Anh", surname=True, other="Nguyễn") == "van anh"
    assert normalise_name("VAN ANH", surname=True, other="TRAN") == "van anh"
    assert normalise_name("Van Anh", surname=True, other="Pieter") == "anh"
    assert normalise_name("van Dijk", surname=True, other="Jan") == "dijk"
    # Dutch particle groups are dropped whatever the other name
    assert normalise_name("van der Berg", surname=True, other="Nguyen") == "berg"
    got = normalise_names(pd.Series(["Van Anh", "Van Anh", None, "van Dijk"]), True,
                          pd.Series(["Nguyen", "Jansen", "x", "Jan"]))
    assert got.tolist() == ["van anh", "anh", "", "dijk"]


def test_semicolon_and_non_utf8_registration_files(tmp_path):
    from darkfigure.linkage.registrations import RegistrationError, read_registrations

    head = "record_id;organisation;registration_date;first_name;surname;date_of_birth;sex;nationality\n"
    f = tmp_path / "semi.csv"
    f.write_text(head + "1;police;2023-01-02;Anna;Jansen;1990-03-04;female;NL\n", encoding="utf-8")
    assert read_registrations(f)["surname"].iloc[0] == "Jansen"
    g = tmp_path / "latin.csv"
    g.write_bytes((head.replace(";", ",") + "1,police,2023-01-02,Zo\u00eb,Jansen,1990-03-04,female,NL\n").encode("latin-1"))
    with pytest.raises(RegistrationError, match="not UTF-8"):
        read_registrations(g)
