"""Hostile inputs: ordinary file mistakes (kinds 2 and 3 of issue 12) and their cousins.

Each case writes a small file, runs ``darkfigure estimate`` on it and checks the exit
code, that no traceback came out, that the message names the column/row/list/option,
and that the input folder is unchanged (checksums before and after).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from darkfigure import datasets
from darkfigure.histories import CaptureHistories, DataError

KOSOVO = datasets.load_frame("kosovo_1999")  # EXH, ABA, OSCE, HRW, count


def _write(folder: Path, name: str, content) -> Path:
    p = folder / name
    if isinstance(content, pd.DataFrame):
        if name.endswith(".xlsx"):
            content.to_excel(p, index=False)
        else:
            content.to_csv(p, index=False)
    elif isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding="utf-8")
    return p


def _kos(**changes) -> pd.DataFrame:
    d = KOSOVO.copy()
    for (row, col), v in changes.get("cells", {}).items():
        d[col] = d[col].astype(object)
        d.loc[row, col] = v
    return d.rename(columns=changes.get("rename", {}))


def _persons(n=300, seed=0, k=3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = (rng.random((n, k)) < 0.4).astype(int)
    x = x[x.sum(1) > 0]
    d = pd.DataFrame(x, columns=[f"L{i + 1}" for i in range(k)])
    d["sex"] = rng.choice(["F", "M"], len(d))
    return d


# (file name, content, extra CLI args, expected exit code, strings the message must contain)
CASES = {
    "stray 2 in a list column": ("a.csv", _kos(cells={(3, "ABA"): 2}), [], 2, ["'ABA'", "row 4", "2"]),
    "stray 7 in a per-person list column": (
        "a.csv", _persons().assign(L2=lambda d: d["L2"].where(d.index != 5, 7)), [], 2, ["'L2'", "row 6", "7"]),
    "repeated column name": ("a.csv", "A,B,A,count\n1,0,1,5\n0,1,1,3\n1,1,0,4\n1,1,1,2\n", [], 2,
                             ["'A'", "more than once"]),
    "Dutch count column aantal": ("a.csv", _kos(rename={"count": "aantal"}), [], 2, ["'aantal'", "--count aantal"]),
    "German count column Anzahl": ("a.csv", _kos(rename={"count": "Anzahl"}), [], 2, ["'Anzahl'", "--count Anzahl"]),
    "count column with an unknown name": ("a.csv", _kos(rename={"count": "hoeveel"}), [], 2,
                                          ["'hoeveel'", "aggregated", "--count hoeveel"]),
    "aantal named with --count works": ("a.csv", _kos(rename={"count": "aantal"}), ["--count", "aantal", "--ci", "none"],
                                        0, ["14,342"]),
    "count of 1e15": ("a.csv", _kos(cells={(0, "count"): 1e15}), [], 2, ["'count'", "row 1", "more than live on Earth"]),
    "counts summing past the world": ("a.csv", _kos(cells={(0, "count"): 6e9, (1, "count"): 6e9}), [], 2,
                                      ["'count'", "1.2e+10"]),
    "negative count": ("a.csv", _kos(cells={(2, "count"): -4}), [], 2, ["'count'", "row 3", "non-negative"]),
    "fractional count": ("a.csv", _kos(cells={(5, "count"): 2.5}), [], 2, ["'count'", "row 6", "whole numbers"]),
    "thousands separator in a count": ("a.csv", _kos(cells={(0, "count"): "1,027"}), [], 2,
                                       ["'count'", "row 1", "'1,027'", "thousands separators"]),
    "decimal comma in a count": ("a.csv", _kos(cells={(0, "count"): "27,0"}).to_csv(sep=";", index=False), [], 2,
                                 ["'count'", "row 1", "'27,0'", "decimal comma"]),
    "text in the count column": ("a.csv", _kos(cells={(1, "count"): "ten"}), [], 2, ["'count'", "row 2", "'ten'"]),
    "missing count": ("a.csv", "A,B,C,count\n1,0,1,5\n0,1,1,\n1,1,0,4\n", [], 2, ["'count'", "row 2"]),
    "--count names a missing column": ("a.csv", _kos(), ["--count", "N"], 2, ["'N'", "--count", "columns are"]),
    "--lists names a list twice": ("a.csv", _kos(), ["--lists", "EXH,EXH,ABA"], 2, ["'EXH'", "twice", "--lists"]),
    "--covariates names a list": ("a.csv", _kos(), ["--covariates", "EXH"], 2, ["EXH", "--lists", "--covariates"]),
    "a column both list and covariate": ("a.csv", _persons(), ["--lists", "L1,L2,L3", "--covariates", "L3,sex"], 2,
                                         ["'L3'", "both as a list and as a covariate"]),
    "unknown list": ("a.csv", _kos(), ["--lists", "EXH,ABA,ZZ"], 2, ["'ZZ'", "unknown list column"]),
    "unknown covariate": ("a.csv", _persons(), ["--covariates", "age"], 2, ["'age'", "unknown covariate column"]),
    "yes/no list columns": ("a.csv", "A,B,C\nyes,no,yes\nno,yes,yes\nyes,yes,no\n", [], 2,
                            ["'A'", "(yes, no)", "recode"]),
    "one list only": ("a.csv", "A,sex\n1,F\n1,M\n1,F\n", [], 2, ["at least 2 lists"]),
    "all-zero row": ("a.csv", "A,B,C,count\n1,0,1,5\n0,0,0,3\n1,1,0,4\n0,1,1,2\n", [], 2, ["row 2", "all-zero"]),
    "list that registered nobody": ("a.csv", _persons().assign(L3=0).query("L1 + L2 > 0"), ["--lists", "L1,L2,L3"], 2,
                                    ["'L3'", "--drop-empty-lists"]),
    # an identifier not named is left out with a note (tester 15b, M1); named as a covariate, it is refused
    "identifier column": ("a.csv", _persons().assign(pid=lambda d: np.arange(len(d)) * 7 + 1000),
                          ["--covariates", "sex,pid"], 2, ["'pid'", "identifier", "--covariates"]),
    # a constant column not named is left out with a note (tester 15b, L10); named, it is refused
    "single-level covariate": ("a.csv", "A,B,C,sex,count\n1,0,1,M,5\n0,1,1,M,3\n1,1,0,M,4\n1,1,1,M,2\n",
                               ["--covariates", "sex"], 2, ["'sex'", "single level"]),
    "missing covariate values": ("a.csv", _persons().assign(sex=lambda d: d["sex"].where(d.index % 9 > 0)), [], 2,
                                 ["'sex'", "--missing em"]),
    "empty file": ("a.csv", "", [], 2, ["empty"]),
    "header only": ("a.csv", "A,B,C,count\n", [], 2, ["no rows"]),
    "latin-1 file": ("a.csv", "A,B,C,sexe\n1,0,1,f\xe9m\n0,1,1,m\n1,1,0,f\xe9m\n".encode("latin-1"), [], 2,
                     ["a.csv", "UTF-8"]),
    "json file": ("a.json", '{"A": [1]}', [], 2, ["a.json", ".csv"]),
    "semicolon separated (works)": ("a.csv", _kos().to_csv(sep=";", index=False), ["--ci", "none"], 0, ["14,342"]),
    "UTF-8 BOM (works)": ("a.csv", b"\xef\xbb\xbf" + _kos().to_csv(index=False).encode(), ["--ci", "none"], 0,
                          ["14,342"]),
    "--sheet on a CSV": ("a.csv", _kos(), ["--sheet", "Data"], 2, ["--sheet", "Excel"]),
    "lists marked x or blank": ("a.csv", "A,B,C\nx,,x\n,x,x\nx,x,\n", [], 2, ["'A'", "(x)", "recode"]),
    "one list marked x, blanks elsewhere": ("a.csv", "A,B,C\n1,0,x\n0,1,x\n1,1,\n1,0,\n", ["--covariates", "C"],
                                            2, ["'C'", "only 'x' and empty cells"]),
    "--lists in the wrong case": ("a.csv", _kos(), ["--lists", "exh,ABA,OSCE"], 2, ["'exh'", "did you mean 'EXH'"]),
    "--covariates misspelt": ("a.csv", _persons(), ["--covariates", "sexe"], 2, ["'sexe'", "did you mean 'sex'"]),
    "one row per person with a column n (lists per person)": (
        "a.csv", _persons().assign(n=lambda d: d[["L1", "L2", "L3"]].sum(axis=1)), [], 2,
        ["column 'n' would be taken as the count", "one row per person", "--count n"]),
    "one row per person with n, --count n taken as said": (
        "a.csv", _persons().assign(n=lambda d: d[["L1", "L2", "L3"]].sum(axis=1)), ["--count", "n", "--ci", "none"], 0,
        ["N̂"]),
    "list coded 1/2 (SPSS) is named in a note": (
        "a.csv", _persons(600).assign(L4=lambda d: np.where(np.arange(len(d)) % 3 == 0, 1, 2)), ["--ci", "none"], 0,
        ["L4", "coded 1/2", "recoded"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_file_mistakes_get_a_clear_message(case, tmp_path, cli, untouched):
    name, content, args, code, says = CASES[case]
    data = _write(tmp_path, name, content)
    check = untouched(tmp_path)
    cli(["estimate", data, *args], code=code, says=says)
    check()


def test_excel_data_on_the_second_sheet(tmp_path, cli, untouched):
    p = tmp_path / "book.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"note": ["the data are on the next sheet"]}).to_excel(w, sheet_name="Read me", index=False)
        KOSOVO.to_excel(w, sheet_name="Data", index=False)
    check = untouched(tmp_path)
    cli(["estimate", p], code=2, says=["'Read me'", "'Data'", "--sheet"])
    out = cli(["estimate", p, "--sheet", "Data", "--ci", "none"], code=0, says=["14,342"])
    assert "sheet 'Data'" in out
    cli(["estimate", p, "--sheet", "1", "--ci", "none"], code=0, says=["14,342"])
    cli(["estimate", p, "--sheet", "Daten"], code=2, says=["'Daten'", "'Read me'", "'Data'"])
    check()


def test_excel_first_sheet_empty(tmp_path, cli):
    p = tmp_path / "book.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame().to_excel(w, sheet_name="Leeg", index=False)
        KOSOVO.to_excel(w, sheet_name="Tabel", index=False)
    cli(["estimate", p], code=2, says=["'Leeg'", "--sheet", "'Tabel'"])


def test_repeated_column_names_in_a_data_frame_and_a_workbook(tmp_path):
    d = pd.DataFrame([[1, 0, 1, 5], [0, 1, 1, 3], [1, 1, 0, 4]], columns=["A", "B", "A", "count"])
    with pytest.raises(DataError, match="'A'"):
        CaptureHistories.from_frame(d)
    p = tmp_path / "dup.xlsx"
    d.to_excel(p, index=False)
    from darkfigure.io import read_histories

    with pytest.raises(DataError, match="'A'.*more than once"):
        read_histories(p)


def test_a_real_three_level_covariate_is_not_taken_for_a_list_with_a_typo():
    d = _persons(600, seed=3)
    d["parity"] = np.random.default_rng(3).choice([0, 1, 2], len(d), p=[0.4, 0.3, 0.3])
    h = CaptureHistories.from_frame(d)
    assert h.lists == ("L1", "L2", "L3") and "parity" in h.covariates


def test_per_person_data_with_a_numeric_covariate_is_not_taken_for_a_count():
    d = _persons(800, seed=4)
    d["age_group"] = np.random.default_rng(4).choice([1, 2, 3, 4, 5, 6], len(d))
    h = CaptureHistories.from_frame(d)
    assert h.n_observed == len(d) and "age_group" in h.covariates


def test_compare_on_bad_counts_never_shows_a_traceback(tmp_path, cli):
    data = _write(tmp_path, "a.csv", _kos(cells={(0, "count"): 1e15}))
    cli(["compare", data, "--methods", "M0,Mt"], code=2, says=["'count'", "row 1"])
    data = _write(tmp_path, "b.csv", _kos(cells={(3, "ABA"): 2}))
    cli(["compare", data], code=2, says=["'ABA'", "row 4"])
    cli(["validate", data], code=2, says=["'ABA'", "row 4"])
