"""Tester report 14b, M3: a file whose 'organisation' column names another file's organisation is warned about
(the two registers would silently become one list). Synthetic frames only."""

import pandas as pd

from darkfigure.linkage.organisations import unify_organisations


def _frame(org: str, n: int, source: str) -> pd.DataFrame:
    f = pd.DataFrame({"organisation": [org] * n, "record_id": [f"{source}{i}" for i in range(n)]})
    f.attrs["source"] = source
    return f


def test_one_organisation_in_two_files_is_warned_with_both_files_and_counts():
    frames = [_frame("shelters", 7, "police_as_shelters.csv"), _frame("shelters", 5, "shelters_small.csv"),
              _frame("kmar", 4, "kmar_small.csv")]
    _, warnings = unify_organisations(frames)
    said = [w for w in warnings if "'shelters' has registrations in 2 files" in w]
    assert len(said) == 1
    assert "police_as_shelters.csv: 7" in said[0] and "shelters_small.csv: 5" in said[0]
    assert not any("'kmar'" in w for w in warnings)


def test_one_file_per_organisation_gives_no_such_warning():
    frames = [_frame("shelters", 5, "shelters.csv"), _frame("kmar", 4, "kmar.csv")]
    _, warnings = unify_organisations(frames)
    assert not any("files (" in w for w in warnings)
