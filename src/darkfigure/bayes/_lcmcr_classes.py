"""Class probabilities and class counts per capture pattern for the LCMCR sampler (:mod:`._lcmcr_sampler`).

Step 1 of an iteration (:mod:`darkfigure.bayes.lcmcr`) needs, for every observed pattern m, the unnormalised
class probabilities ``p_mk = pi_k prod_j lambda_jk^x_mj (1 - lambda_jk)^(1 - x_mj)`` and a draw of
``Multinomial(c_m, p_m / sum_k p_mk)``. :func:`_pattern_probs` computes them for all patterns at once, class by
class with the patterns innermost (loops the compiler vectorises, where one pattern at a time was a chain of
dependent additions per pattern), with each pattern's most probable class ``b_m`` and the suffix sums of the
other classes. The counts are then drawn most probable class first: ``c_m - r`` persons in ``b_m`` with
``r ~ Binomial(c_m, sum_{k != b_m} p_mk / sum_k p_mk)`` (:func:`_others_r` places the r others). This is the
multinomial exactly (a count and then the rest given it), and as the posterior puts nearly every person in one
or two of the K classes, r is nearly always 0: one uniform per pattern instead of one per person.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._random import _binomial_r, _uniform_r

#: Persons left to place below which a multinomial switches to categorical draws.
_SMALL = 16


@njit(cache=True, nogil=True)
def _active_classes(nu, n, act, emp, cum_e):  # pragma: no cover - compiled
    """Split the classes for :func:`_pattern_counts_r`: the active ones (``nu[k] >= 1e-3 / n``, `n` the persons
    observed) into ``act[:na]``, the others into ``emp[:ne]`` with ``cum_e[i] = sum_{l <= i} nu[emp[l]]``;
    returns ``(na, ne, nu_e)``, ``nu_e = cum_e[ne - 1]`` (0 when none). Any split gives the same distribution;
    this one makes a proposal outside the active classes rare (at most ~K 1e-3 / n of the weight)."""
    K = nu.shape[0]
    tau = 1e-3 / n
    na = 0
    ne = 0
    acc = 0.0
    for k in range(K):
        if nu[k] >= tau:
            act[na] = k
            na += 1
        else:
            emp[ne] = k
            acc += nu[k]
            cum_e[ne] = acc
            ne += 1
    return na, ne, acc


@njit(cache=True, nogil=True, inline="always")
def _pattern_counts_r(st, m, c, nu, tab, bit, act, na, emp, ne, cum_e, nu_e, pa, sxa, cnt_a, outk):
    """Draw the classes of the c persons of pattern m (``Multinomial(c, p_m / sum_k p_mk)``, as the module
    docstring), only the active classes ``act[:na]`` (:func:`_active_classes`) computed in full.

    Returns ``(st, ok, kb, xb, more)``: `xb` persons go to class `kb` (the most probable active class); when
    `more`, others were added to `outk` (K,), which the caller adds to its totals and sets back to 0; ``ok`` is
    False, and nothing drawn, when the active classes' probabilities underflow (sum below 1e-280: the caller
    redoes the pattern on the log scale). `pa`, `sxa` (>= K + 1), `cnt_a`: scratch.

    A person proposes the classes ``act`` with their probabilities ``p_mk`` and the others with ``nu_k`` (an
    upper bound of ``p_mk = nu_k prod_j P(x_mj | k)``); a proposed other class k is accepted with probability
    ``prod_j P(x_mj | k)``, else the person proposes again: rejection sampling, so the classes drawn follow
    ``p_mk`` exactly, with the products of the inactive classes computed only when one is proposed. In counts:
    ``r ~ Binomial(rem, 1 - p_best / (S_A + nu_e))`` persons leave the best active class (nearly always 0), of
    them ``y ~ Binomial(r, nu_e / (S_A - p_best + nu_e))`` propose an inactive class, the rest are placed among
    the other active classes (:func:`_others_r`); the rejected ones start again."""
    J = tab.shape[0]
    ib = 0
    for i in range(na):
        k = act[i]
        v = nu[k]
        for j in range(J):
            v *= tab[j, bit[m, j], k]
        pa[i] = v
        if v > pa[ib]:
            ib = i
    acc = 0.0
    sxa[na] = 0.0
    for ii in range(na):
        i = na - 1 - ii
        if i != ib:
            acc += pa[i]
        sxa[i] = acc
    kb = act[ib]
    if na == 0 or not acc + pa[ib] > 1e-280:
        return st, False, kb, np.int64(0), False
    xb = np.int64(0)
    more = False
    rem = c
    other = acc + nu_e
    while rem > 0:
        r, st = _split_best_r(st, rem, pa[ib], other)
        xb += rem - r
        if r == 0:
            break
        y = np.int64(0)
        if nu_e > 0.0:
            y, st = _binomial_r(st, r, nu_e / other)
        more = True
        if r > y:
            for i in range(na):
                cnt_a[i] = 0
            st = _others_r(st, r - y, pa[:na], sxa, ib, cnt_a[:na])
            for i in range(na):
                outk[act[i]] += cnt_a[i]
        rem = 0
        for _ in range(y):
            u, st = _uniform_r(st)
            w = nu_e * (1.0 - u)
            t = 0
            for q in range(ne - 1):
                t += cum_e[q] < w
            k = emp[t]
            g = 1.0
            for j in range(J):
                g *= tab[j, bit[m, j], k]
            u, st = _uniform_r(st)
            if u < g:
                outk[k] += 1
            else:
                rem += 1
    return st, True, kb, xb, more


@njit(cache=True, nogil=True, inline="always")
def _pattern_logp(m, nu, log_nu, haslog, tab, bit, logp):  # pragma: no cover - compiled
    """Log-probabilities of pattern m's persons in each class into `logp` (K,): log of the class weight
    (`log_nu[k]` where ``haslog[k]``, else log of `nu[k]`) plus the lists' log-probabilities; returns their
    largest (for rescaling when the probabilities underflow)."""
    K = logp.shape[0]
    J = tab.shape[0]
    mx = -np.inf
    for k in range(K):
        lp = log_nu[k] if haslog[k] else (math.log(nu[k]) if nu[k] > 0.0 else -np.inf)
        for j in range(J):
            lp += math.log(tab[j, bit[m, j], k])
        logp[k] = lp
        if lp > mx:
            mx = lp
    return mx


@njit(cache=True, nogil=True)
def _log_column(m, nu, log_nu, haslog, tab, bit, pk, pbest, best, sx, logp):  # pragma: no cover - compiled
    """Pattern m's column of :func:`_pattern_probs` again on the log scale, when its probabilities underflowed
    (their sum below 1e-280): ``pk[:, m]`` rescaled so that its largest is 1, with its best class and suffix
    sums. `log_nu[k]` is used where ``haslog[k]`` (else log of `nu[k]`); `logp`: scratch of length >= K."""
    K = pk.shape[0]
    mx = _pattern_logp(m, nu, log_nu, haslog, tab, bit, logp[:K])
    b = 0
    for k in range(K):
        pk[k, m] = math.exp(logp[k] - mx)
        if pk[k, m] > pk[b, m]:
            b = k
    best[m] = b
    pbest[m] = pk[b, m]
    acc = 0.0
    for kk in range(K):
        k = K - 1 - kk
        if k != b:
            acc += pk[k, m]
        sx[k, m] = acc


@njit(cache=True, nogil=True)
def _best_suffix(p, sx):  # pragma: no cover - compiled
    """The most probable class b of `p` (K,) (the first of equal ones), with ``sx[k] = sum_{l >= k, l != b}
    p[l]`` written into `sx` (length >= K + 1, ``sx[K] = 0``); returns b."""
    K = p.shape[0]
    b = 0
    for k in range(1, K):
        if p[k] > p[b]:
            b = k
    acc = 0.0
    sx[K] = 0.0
    for kk in range(K):
        k = K - 1 - kk
        if k != b:
            acc += p[k]
        sx[k] = acc
    return b


@njit(cache=True, nogil=True, inline="always")
def _split_best_r(st, n, pb, sx0):  # pragma: no cover - compiled
    """``(r, st)``: r ~ Binomial(n, sx0 / (sx0 + pb)) persons outside the most probable class (probability
    `pb`; `sx0` the others' sum); 0 without a draw when the others have probability 0."""
    if n <= 0 or not sx0 > 0.0:
        return np.int64(0), st
    return _binomial_r(st, n, sx0 / (sx0 + pb))


@njit(cache=True, nogil=True, inline="always")
def _others_r(st, r, p, sx, b, out):  # pragma: no cover - compiled
    """Place r persons among the classes other than `b` in proportion to `p` (K,), adding them to `out` (K,);
    return the random state. `sx` (>= K): ``sx[k] = sum_{l >= k, l != b} p[l]`` (:func:`_best_suffix`).

    The classes in their order, skipping b: a binomial per class (the count given those before) while more
    than ``_SMALL`` persons are left, then one categorical draw per person by inverse CDF on the suffix sums:
    with ``w = sx[k] (1 - U)`` the person goes to the last class t with ``sx[t] >= w``, which is never b (its
    ``sx[b] = sx[b + 1]``) nor a class of probability 0 (w > 0)."""
    K = p.shape[0]
    rem = r
    last = K - 1 if b != K - 1 else K - 2
    for k in range(K):
        if rem == 0:
            return st
        if k == b:
            continue
        if rem <= _SMALL:
            sk = sx[k]
            for _ in range(rem):
                u, st = _uniform_r(st)
                w = sk * (1.0 - u)
                t = k
                for q in range(k + 1, K):
                    t += sx[q] >= w
                out[t] += 1
            return st
        if not sx[k] > 0.0:
            break
        x, st = _binomial_r(st, rem, p[k] / sx[k])
        out[k] += x
        rem -= x
    if rem > 0:  # only when the suffix sums ran out before the persons (rounding): the last class takes them
        out[last] += rem
    return st
