"""link warns about a registration year that holds very few persons: estimated by year it makes the total a floor
(tester 19a, M4)."""

import pandas as pd

from darkfigure.linkage.input_checks import sparse_years_warnings


def test_a_year_with_two_of_900_persons_is_warned():
    persons = pd.DataFrame({"year": [2022] * 450 + [2023] * 448 + [2024] * 2})
    w = sparse_years_warnings(persons)
    assert len(w) == 1 and "2024 (2 persons)" in w[0] and "900 persons" in w[0] and "floor" in w[0]


def test_no_warning_for_even_or_small_populations():
    assert sparse_years_warnings(pd.DataFrame({"year": [2022] * 300 + [2023] * 280})) == []
    assert sparse_years_warnings(pd.DataFrame({"year": [2022] * 30 + [2023] * 5})) == []  # 5 is 14% of them
    assert sparse_years_warnings(pd.DataFrame({"year": [2022] * 30})) == []
    assert sparse_years_warnings(pd.DataFrame({"sex": ["F"] * 3})) == []
