"""A ';'-separated file whose counts carry Dutch thousands separators (1.000) is refused, not read as 1 (tester 12b, M7)."""
import pytest

from darkfigure.errors import DataError
from darkfigure.io import read_histories

ROWS = ["1;0;0;{}", "0;1;0;{}", "0;0;1;{}", "1;1;0;5", "1;0;1;4", "0;1;1;3", "1;1;1;1"]


def _file(tmp_path, first3, sep_header="A;B;C;count"):
    """A small synthetic ';'-file whose first three counts are `first3` as written."""
    f = tmp_path / "nl.csv"
    f.write_text("\n".join([sep_header] + [r.format(v) for r, v in zip(ROWS, [*first3, 0, 0, 0, 0])]) + "\n")
    return f


def test_whole_thousands_with_a_point_are_refused_naming_column_and_row(tmp_path):
    f = _file(tmp_path, ["12", "2.000", "3.000"])
    with pytest.raises(DataError, match=r"column 'count' of 'nl.csv' has '2.000' in row 2 \(2 value\(s\) like it\): "
                                        r"in a ';'-separated file .* that is 2000 written with a thousands separator, "
                                        r"but it would be read as 2\. Save the file without thousands separators"):
        read_histories(f)


def test_plain_counts_and_real_decimals_in_a_semicolon_file_are_not_taken_for_thousands(tmp_path):
    assert read_histories(_file(tmp_path, ["1000", "2000", "3000"])).n_observed == 6013
    # a decimal point followed by other than three digits is no thousands separator: the usual fractional message
    with pytest.raises(DataError, match="must hold whole numbers"):
        read_histories(_file(tmp_path, ["1.5", "2", "3"]))
