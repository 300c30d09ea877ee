"""Tester report 15b, L9: a ';'-separated population table (a Dutch spreadsheet export) is read as the data are."""

from __future__ import annotations

import pandas as pd
import pytest

from darkfigure.io import plain_numbers, read_text_cells
from darkfigure.monitoring.sdg import read_population


def test_semicolon_population_table_with_dot_thousands(tmp_path):
    f = tmp_path / "pop.csv"
    f.write_text("\ufeffyear;sex;population\r\n2015;female;8.800.000\r\n2015;male;8.700.000\r\n2016;female;8850000\r\n",
                 encoding="utf-8")
    pop = read_population(f)  # was: "the population table has no 'year' column; ... ['year;sex;population']"
    assert list(pop.columns) == ["year", "sex", "population"]
    assert pop["population"].tolist() == pytest.approx([8.8e6, 8.7e6, 8.85e6])
    assert pop["year"].tolist() == ["2015", "2015", "2016"]


def test_comma_population_table_unchanged(tmp_path):
    f = tmp_path / "pop.csv"
    f.write_text('year,sex,population\n2015,female,"8,800,000"\n2015,male,8700000\n', encoding="utf-8")
    pop = read_population(f)
    assert pop["population"].tolist() == pytest.approx([8.8e6, 8.7e6])
    assert read_text_cells(f).attrs["separator"] == ","


def test_plain_numbers_reads_the_decimal_comma_of_a_semicolon_file():
    s = pd.Series(["1.234.567", "12,5", " 800 "])
    assert plain_numbers(s, ";").tolist() == ["1234567", "12.5", "800"]
    assert plain_numbers(pd.Series(["1,234,567"]), ",").tolist() == ["1234567"]
