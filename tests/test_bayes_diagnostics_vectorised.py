"""The vectorised R-hat/ESS internals (issue #16) against the loop forms they replaced (posterior's algorithm)."""

from __future__ import annotations

import numpy as np
import pytest

from darkfigure.bayes.diagnostics import _average_ranks, _geyer_keep, _phi_inv, _rank_normalise


def _geyer_loop(rho: np.ndarray, n: int):
    """Geyer's initial positive and initial monotone sequences as loops (posterior's ``ess``)."""
    keep = np.zeros(n)
    keep[0], keep[1] = 1.0, rho[1]
    t = 1
    even, odd = 1.0, rho[1]
    while t < n - 3 and even + odd > 0.0:
        even, odd = rho[t + 1], rho[t + 2]
        if even + odd >= 0.0:
            keep[t + 1], keep[t + 2] = even, odd
        t += 2
    max_t = t - 2
    if even > 0.0:
        keep[max_t + 1] = even
    t = 1
    while t <= max_t - 2:
        if keep[t + 1] + keep[t + 2] > keep[t - 1] + keep[t]:
            keep[t + 1] = keep[t + 2] = (keep[t - 1] + keep[t]) / 2.0
        t += 2
    return keep, max_t


def _ar1(seed: int, chains: int, n: int, phi: float) -> np.ndarray:
    """AR(1) chains (chains, n) with coefficient `phi`."""
    e = np.random.default_rng(seed).normal(size=(chains, n))
    x = np.zeros_like(e)
    for t in range(n):
        x[:, t] = (phi * x[:, t - 1] if t else 0.0) + e[:, t]
    return x


@pytest.mark.parametrize("n", [4, 5, 6, 7, 12, 40, 501])
@pytest.mark.parametrize("phi", [-0.9, -0.3, 0.0, 0.5, 0.95, 0.999])
def test_vectorised_geyer_truncation_equals_the_loops(n, phi):
    for seed in range(5):
        x = _ar1(seed, 1, n, phi)[0]
        xc = x - x.mean()
        rho = np.array([1.0] + [float(xc[: n - k] @ xc[k:] / (xc @ xc)) for k in range(1, n)])
        got, got_t = _geyer_keep(rho, n)
        want, want_t = _geyer_loop(rho, n)
        assert got_t == want_t
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


@pytest.mark.parametrize("rounding", [None, 0])
def test_normal_scores_from_the_table_equal_the_direct_formula(rounding):
    x = _ar1(3, 2, 300, 0.7) * 3
    if rounding is not None:
        x = np.round(x, rounding)  # ties: half-integer average ranks
    want = _phi_inv((_average_ranks(x) - 0.375) / (x.size + 0.25))
    np.testing.assert_allclose(_rank_normalise(x), want, rtol=1e-12, atol=0)
