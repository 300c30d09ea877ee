"""SparseMSE's existence LP (sparse._lp_positive_margin) is solved once per distinct (design, counts): the memo
gives the solver's own value, tells different inputs apart, and stays bounded."""

from __future__ import annotations

import numpy as np
import pytest

from darkfigure.loglinear import sparse


def _design(k: int = 3) -> np.ndarray:
    """Intercept and main effects on the 2^k - 1 observable cells of k lists."""
    cells = np.array([[(c >> j) & 1 for j in range(k)] for c in range(1, 2**k)], dtype=float)
    return np.column_stack([np.ones(len(cells)), cells])


@pytest.fixture
def counted(monkeypatch):
    calls = []
    solve = sparse._solve_positive_margin

    def spy(m, counts):
        calls.append(1)
        return solve(m, counts)

    monkeypatch.setattr(sparse, "_solve_positive_margin", spy)
    monkeypatch.setattr(sparse, "_LP_MEMO", {})
    return calls


def test_memo_gives_the_solvers_value_once_per_distinct_lp(counted):
    x = _design()
    interior = np.array([5.0, 3, 2, 4, 1, 2, 1])
    boundary = np.array([5.0, 3, 0, 4, 0, 0, 0])  # everyone on one list only: the margins force the overlaps to 0
    a = sparse._lp_positive_margin(x, interior)
    b = sparse._lp_positive_margin(x, boundary)
    assert a == sparse._solve_positive_margin(x, interior) and a > 1e-7
    assert b == sparse._solve_positive_margin(x, boundary) and b <= 1e-7
    assert len(counted) == 4  # two through the memo, two direct
    # the same LP again (also given as a 0/1 integer design): from the memo, the same value
    assert sparse._lp_positive_margin(x.astype(int), interior.copy()) == a
    assert sparse._lp_positive_margin(x, boundary) == b
    assert len(counted) == 4
    # a different count or design is a different LP
    sparse._lp_positive_margin(x, interior + np.eye(7)[0])
    sparse._lp_positive_margin(x[:, :3], interior)
    assert len(counted) == 6


def test_memo_stays_bounded(counted):
    x = _design()
    for i in range(300):
        sparse._lp_positive_margin(x, np.full(7, 1.0 + i))
    assert 0 < len(sparse._LP_MEMO) <= 256
    assert len(counted) == 300
