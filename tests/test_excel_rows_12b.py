"""An error in an Excel sheet names the row Excel shows too, not only the N-th row under the header (tester 12b, L13)."""
import pandas as pd
import pytest

from darkfigure.errors import DataError
from darkfigure.io import read_histories


def test_excel_error_names_the_sheet_row(tmp_path):
    pytest.importorskip("openpyxl")
    t = pd.DataFrame({"A": [1, 0, 0, 1], "B": [0, 1, None, 1], "C": [0, 0, 1, 1], "count": [5, 4, 3, 2]})
    f = tmp_path / "t.xlsx"
    t.to_excel(f, index=False)
    with pytest.raises(DataError, match=r"list column 'B' has a missing value in row 3 \(row 4 of the sheet\)"):
        read_histories(f)
    c = tmp_path / "t.csv"
    t.to_csv(c, index=False)
    with pytest.raises(DataError, match=r"missing value in row 3; code"):  # a CSV keeps the data-row number
        read_histories(c)
