"""validate exits 3, not 0, when no held-out list could be re-estimated (tester 12b, L10)."""
import pandas as pd


def test_validate_with_lists_that_share_nobody_exits_3(tmp_path, cli):
    f = tmp_path / "nooverlap3.csv"
    pd.DataFrame({"A": [1, 0, 0], "B": [0, 1, 0], "C": [0, 0, 1], "count": [50, 40, 30]}).to_csv(f, index=False)
    cli(["validate", f, "--methods", "loglinear-bic", "--out", tmp_path / "v"], code=3,
        says=["no held-out list could be re-estimated"])
    assert (tmp_path / "v" / "validate.csv").is_file()  # the table is still written: it says why per list
