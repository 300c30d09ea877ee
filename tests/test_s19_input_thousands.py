"""A count column written with thousands separators is refused, quoting the cell as written (tester 19a, H4, L6)."""

import pandas as pd
import pytest

from darkfigure.errors import DataError
from darkfigure.io import read_histories

ROWS = [("1;0;0", "1.300"), ("0;1;0", "250"), ("0;0;1", "200"), ("1;1;0", "60"), ("1;0;1", "50"),
        ("0;1;1", "40"), ("1;1;1", "12")]


def _dutch(tmp_path, header="A;B;C;aantal", first="1.300"):
    p = tmp_path / "dutch.csv"
    lines = [header] + [f"{a};{first if i == 0 else n}" for i, (a, n) in enumerate(ROWS)]
    p.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return p


def test_dutch_count_with_point_thousands_is_refused(tmp_path):
    with pytest.raises(DataError) as e:
        read_histories(_dutch(tmp_path))
    msg = str(e.value)
    assert "'aantal'" in msg and "thousands separators" in msg and "row 1 has '1.300'" in msg and "1300" in msg


def test_named_count_quotes_the_cell_as_written(tmp_path):
    with pytest.raises(DataError) as e:
        read_histories(_dutch(tmp_path, first="12.450"), count="aantal")
    assert "'12.450'" in str(e.value) and "1.3" not in str(e.value).replace("12.450", "")


def test_comma_thousands_in_a_comma_file(tmp_path):
    p = tmp_path / "en.csv"
    p.write_text("A,B,C,count\n" + "\n".join(f"{a.replace(';', ',')},\"{'1,300' if i == 0 else n}\""
                                              for i, (a, n) in enumerate(ROWS)) + "\n")
    with pytest.raises(DataError, match=r"'count'.*row 1 has '1,300'.*thousands"):
        read_histories(p)


def test_data_frame_with_text_counts():
    df = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "aantal": ["1.300", "250", "12"]})
    with pytest.raises(DataError, match="thousands separators"):
        read_histories(df)


def test_plain_counts_and_a_named_covariate_are_read(tmp_path):
    h = read_histories(_dutch(tmp_path, first="1300"), count="aantal")
    assert h.n_observed == 1300 + 250 + 200 + 60 + 50 + 40 + 12
    # a column the user names as a covariate is theirs to decide
    p = tmp_path / "cov.csv"
    p.write_text("A,B,size\n1,0,1.300\n0,1,2.500\n1,1,1.300\n")
    assert read_histories(p, lists=["A", "B"], covariates=["size"]).n_observed == 3
