"""One organisation writing sex as ISO/IEC 5218 digits beside letters elsewhere (tester 18a, M5)."""

import pandas as pd

from darkfigure.linkage.sex_coding import iso5218_sex


def _frame(org, sexes):
    return pd.DataFrame({"organisation": org, "sex": sexes})


def test_iso_digits_beside_letters_are_read_as_letters_and_warned():
    a, b = _frame("police", ["F", "M", "F"]), _frame("kmar", ["1", "2", "0", ""])
    said = iso5218_sex([a, b])
    assert b["sex"].tolist() == ["M", "F", "", ""]
    assert a["sex"].tolist() == ["F", "M", "F"]
    assert len(said) == 1 and "'kmar'" in said[0] and "ISO/IEC 5218" in said[0]


def test_digits_everywhere_are_one_coding_and_left_alone():
    a, b = _frame("police", ["1", "2"]), _frame("kmar", ["2", "1"])
    assert iso5218_sex([a, b]) == [] and a["sex"].tolist() == ["1", "2"]


def test_zero_one_is_warned_not_guessed():
    a, b = _frame("police", ["F", "M"]), _frame("kmar", ["0", "1", "1"])
    said = iso5218_sex([a, b])
    assert b["sex"].tolist() == ["0", "1", "1"]
    assert len(said) == 1 and "0/1" in said[0] and "'kmar'" in said[0]
