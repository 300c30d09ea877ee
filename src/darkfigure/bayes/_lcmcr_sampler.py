"""The compiled Gibbs sampler of LCMCR (:mod:`darkfigure.bayes.lcmcr`): one chain, on counts per capture pattern.

The steps of an iteration and the model are described in :mod:`darkfigure.bayes.lcmcr`'s docstring; the
random numbers come from :mod:`._random` (imported at module level so numba compiles the calls).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._lcmcr_classes import (
    _SMALL,
    _active_classes,
    _best_suffix,
    _log_column,
    _others_r,
    _pattern_counts_r,
    _pattern_logp,
    _split_best_r,
)
from ._random import (
    _N0_MAX,
    _beta_pair_r,
    _binomial_r,
    _exponential_r,
    _gamma_int_r,
    _gamma_r,
    _load,
    _log_gamma_variate_r,
    _poisson_r,
    _rng_state,
    _store,
    _uniform_r,
)

#: Most lists for which step 1 draws by rejection over the inactive classes (see _chain_kernel).
_REJECTION_MAX_LISTS = 4
#: Redraws of n0 allowed by the optional R-style cap before giving up (R: 100,000, then an error).
_MAX_REJECTIONS = 100_000


# ----------------------------------------------------------------------------- sampler
@njit(cache=True, nogil=True, inline="always")
def _multinomial_ordered_r(st, n, p, order, suffix, out):  # pragma: no cover - compiled
    """Draw ``out ~ Multinomial(n, p / sum(p))`` in place, visiting the classes in `order`; return the random
    state. `suffix`: scratch of length K + 1.

    Any order gives the same distribution (each count is drawn from its conditional given those before);
    the largest p first is fastest. While more than ``_SMALL`` persons remain: a binomial per class;
    then one categorical draw per person, by inverse CDF on the suffix sums (summed from the smallest p, no
    cancellation): a person with ``w = S_i (1 - U)`` goes to the first class t with ``S_{t+1} < w``, which
    never picks a class with p = 0 since w > 0. The suffix sums do not increase, so t - i is the number of
    ``S_l >= w`` for l > i: counted without branches (a search loop's exit is a mispredicted branch per person)."""
    K = p.shape[0]
    acc = 0.0
    suffix[K] = 0.0
    for i in range(K - 1, -1, -1):
        out[i] = 0
        acc += p[order[i]]
        suffix[i] = acc
    return _multinomial_suffix_r(st, n, p, order, suffix, out)


@njit(cache=True, nogil=True, inline="always")
def _multinomial_suffix_r(st, n, p, order, suffix, out):  # pragma: no cover - compiled
    """:func:`_multinomial_ordered_r` once its suffix sums ``suffix[i] = sum_{l>=i} p[order[l]]`` are in `suffix`
    and `out` is zero (the sampler has them at hand when a pattern's largest class is the first)."""
    K = p.shape[0]
    remaining = n
    for i in range(K - 1):
        if remaining == 0:
            return st
        if remaining <= _SMALL:
            si = suffix[i]
            for _ in range(remaining):
                u, st = _uniform_r(st)
                w = si * (1.0 - u)
                t = i
                for q in range(i + 1, K):
                    t += suffix[q] >= w
                out[order[t]] += 1
            return st
        if suffix[i] <= 0.0:
            break
        k = order[i]
        x, st = _binomial_r(st, remaining, p[k] / suffix[i])
        out[k] = x
        remaining -= x
    out[order[K - 1]] += remaining
    return st


@njit(cache=True, nogil=True)
def _multinomial_ordered(s, n, p, order, suffix, out):  # pragma: no cover - compiled
    """:func:`_multinomial_ordered_r` on a random state array `s` (uint64, shape (4,)), updated in place."""
    _store(s, _multinomial_ordered_r(_load(s), n, p, order, suffix, out))


@njit(cache=True, nogil=True)
def _prepare_chain(cells, freq, K, samples):  # pragma: no cover - compiled
    """The arrays of one chain at its start (as LCMCR's Initializes), in the order :func:`_chain_kernel` takes them
    after its first ten arguments, with the scalar state ``istate = [n0, kept, diverged, capped]`` (int64) and
    ``fstate = [alpha]`` (float) last."""
    M, J = cells.shape
    n = 0
    for m in range(M):
        n += freq[m]
    # tab[j, x, k]: P(x on list j | class k), x = 0 (1 - lambda, drawn directly for accuracy near 1) or 1
    tab = np.empty((J, 2, K))
    nu = np.empty(K)
    log_nu = np.empty(K)
    count0 = np.zeros(K, dtype=np.int64)
    ones = np.zeros((J, K), dtype=np.int64)
    tot = np.zeros(K, dtype=np.int64)
    logp = np.empty(K)
    prob = np.empty(K)
    p0k = np.empty(K)
    order = np.empty(K, dtype=np.int64)
    suffix = np.empty(K + 1)
    # patterns visited in lexicographic order, so that consecutive ones share a prefix of lists and the
    # products over that prefix (pref[j] = nu * prod_{l<j} P(x_l | class)) are reused; common[i]: the shared length
    visit = np.arange(M)
    if J <= 62:
        key = np.zeros(M, dtype=np.int64)
        for m in range(M):
            for j in range(J):
                key[m] = 2 * key[m] + (1 if cells[m, j] != 0 else 0)
        visit = np.argsort(key, kind="mergesort")
    common = np.zeros(M, dtype=np.int64)
    for i in range(1, M):
        a, b = visit[i - 1], visit[i]
        c = 0
        while c < J and (cells[a, c] != 0) == (cells[b, c] != 0):
            c += 1
        common[i] = c
    pref = np.empty((J + 1, K))
    # active and other classes (_active_classes) and the scratch of _pattern_counts_r
    act = np.zeros(K, dtype=np.int64)
    emp = np.zeros(K, dtype=np.int64)
    cum_e = np.zeros(K)
    pa = np.zeros(K)
    sxa = np.zeros(K + 1)
    cnt_a = np.zeros(K, dtype=np.int64)
    # an underflowing pattern on the log scale (_log_column): its class probabilities, best class, suffix sums
    pk = np.zeros((K, M))
    pbest = np.zeros(M)
    best = np.zeros(M, dtype=np.int64)
    sx = np.zeros((K + 1, M))
    # bit[m, j]: 1 if pattern m is on list j; the lists of pattern m: on_idx[on_ptr[m]:on_ptr[m + 1]]
    bit = np.zeros((M, J), dtype=np.int64)
    on_ptr = np.zeros(M + 1, dtype=np.int64)
    for m in range(M):
        on_ptr[m + 1] = on_ptr[m]
        for j in range(J):
            if cells[m, j] != 0:
                bit[m, j] = 1
                on_ptr[m + 1] += 1
    on_idx = np.empty(on_ptr[M], dtype=np.int64)
    for m in range(M):
        c = on_ptr[m]
        for j in range(J):
            if cells[m, j] != 0:
                on_idx[c] = j
                c += 1
    outk = np.zeros(K, dtype=np.int64)
    haslog = np.ones(K, dtype=np.bool_)  # log_nu[k] is set (else only nu[k], which is then far from underflow)
    n0_trace = np.empty(samples, dtype=np.int64)
    alpha_trace = np.empty(samples)
    kstar_trace = np.empty(samples, dtype=np.int64)
    scratch_tab = np.empty((J, 2, K))
    scratch_f = np.empty(K)
    scratch_i = np.empty(K, dtype=np.int64)
    scratch_b = np.empty(K, dtype=np.bool_)
    # start (as LCMCR's Initializes): marginal frequencies, alpha = 0.3 / K, weights 0.9 / 0.1
    for j in range(J):
        c = 0
        for m in range(M):
            if cells[m, j] != 0:
                c += freq[m]
        pj = c / n
        for k in range(K):
            tab[j, 1, k] = pj
            tab[j, 0, k] = 1.0 - pj
    if K > 4:
        for k in range(K):
            nu[k] = 0.225 if k < 4 else 0.1 / (K - 4)
    else:
        for k in range(K):
            nu[k] = 1.0 / K
    for k in range(K):
        log_nu[k] = math.log(nu[k])
    istate = np.zeros(4, dtype=np.int64)
    fstate = np.full(1, 0.3 / K)
    return (n, tab, nu, log_nu, count0, ones, tot, logp, prob, p0k, order, suffix, visit, common, pref, act, emp,
            cum_e, pa, sxa, cnt_a, pk, pbest, best, sx, bit, on_ptr, on_idx, outk, haslog, n0_trace, alpha_trace,
            kstar_trace, scratch_tab, scratch_f, scratch_i, scratch_b, istate, fstate)


#: Iterations of the first block of a chain; later blocks are sized to take about ``_BLOCK_SECONDS`` each.
_FIRST_BLOCK = 2000
#: Wall time aimed at per block: Python handles signals (Ctrl-C, SIGTERM handlers) and stop requests between blocks.
_BLOCK_SECONDS = 0.15


def _run_chain(cells, freq, K, a_alpha, b_alpha, warmup, burnin, samples, thinning, n0_cap, s, block=None, stop=None):
    """Run one chain; return the kept n0, alpha and occupied-class counts, a divergence flag and
    how often the optional cap ``n0 <= n0_cap`` (``n0_cap < 0``: none) could not be met.

    `s`: the chain's random-number state (:func:`_rng_state`), advanced in place. The compiled loop runs in blocks
    of iterations, so that a signal (Ctrl-C) is acted on within a block (~0.15 s by default; `block`: a fixed
    number of iterations per block) and `stop` (a callable, checked between blocks) can end the chain early by
    returning True, which raises :class:`ChainStopped`. The random state and every array are carried from block
    to block, so the draws do not depend on the block size (the same seed gives the same draws)."""
    import time

    arrs = _prepare_chain(cells, freq, K, samples)
    total = warmup + burnin + samples * thinning
    it = 0
    size = _FIRST_BLOCK if block is None else max(1, int(block))
    while it < total:
        end = min(total, it + size)
        t0 = time.perf_counter()
        _chain_kernel(freq, K, a_alpha, b_alpha, warmup, burnin, samples, thinning, n0_cap, s, it, end, *arrs)
        if block is None:  # aim at _BLOCK_SECONDS per block whatever the table's cost per iteration
            dt = time.perf_counter() - t0
            size = int(min(max(size * _BLOCK_SECONDS / max(dt, 1e-6), 100), 4 * size))
        it = end
        if stop is not None and it < total and stop():
            raise ChainStopped(f"chain stopped after {it:,} of {total:,} iterations")
    istate = arrs[-2]
    n0_trace, alpha_trace, kstar_trace = arrs[30], arrs[31], arrs[32]
    return n0_trace, alpha_trace, kstar_trace, int(istate[2]), int(istate[3])


class ChainStopped(Exception):
    """A chain ended early at the request of its `stop` callable (another chain was interrupted)."""


# no reference counting in the kernel (_nrt=False): the arrays are the caller's, allocated once; numba otherwise
# increments and decrements (atomically) an array's count around helper calls inside the loops
@njit(cache=True, nogil=True, _nrt=False)
def _chain_kernel(
    freq, K, a_alpha, b_alpha, warmup, burnin, samples, thinning, n0_cap, s, it0, it1, n, tab, nu, log_nu, count0,
    ones, tot, logp, prob, p0k, order, suffix, visit, common, pref, act, emp, cum_e, pa, sxa, cnt_a, pk, pbest, best,
    sx, bit, on_ptr, on_idx, outk, haslog, n0_trace, alpha_trace, kstar_trace, scratch_tab, scratch_f, scratch_i, scratch_b, istate, fstate
):  # pragma: no cover - compiled
    """Iterations ``it0 .. it1 - 1`` of :func:`_run_chain` on the arrays of :func:`_prepare_chain` (every one
    allocated there). `n`: persons observed; the scalars carried between blocks are in ``istate = [n0, kept,
    diverged, capped]`` and ``fstate = [alpha]``, the random state in `s`, all updated in place."""
    M = freq.shape[0]
    J = tab.shape[0]
    n0 = istate[0]
    kept = istate[1]
    diverged = istate[2]
    capped = istate[3]
    alpha = fstate[0]
    st = _load(s)  # the random state, kept in registers (a tuple) and written back at the end
    # step 1 by rejection over the inactive classes (_lcmcr_classes) up to 4 lists (verdata's strata: ~1.2x
    # faster), else every class of every pattern (6 lists, the Netherlands: ~1.25x faster that way); both exact
    rejection = J <= _REJECTION_MAX_LISTS

    for it in range(it0, it1):
        if rejection:
            # 1. classes of the observed, per pattern, and their totals per class (tot) and per list and class (ones):
            #    only the active classes' probabilities computed, the others by rejection (_pattern_counts_r)
            na, ne, nu_e = _active_classes(nu, n, act, emp, cum_e)
            for k in range(K):
                tot[k] = 0
            for j in range(J):
                for k in range(K):
                    ones[j, k] = 0
            for m in range(M):
                c = freq[m]
                st, ok, bc, x, more = _pattern_counts_r(st, m, c, nu, tab, bit, act, na, emp, ne, cum_e, nu_e, pa, sxa,
                                                        cnt_a, outk)
                if not ok:  # underflow: the pattern on the log scale, every class, most probable first
                    _log_column(m, nu, log_nu, haslog, tab, bit, pk, pbest, best, sx, logp)
                    bc = best[m]
                    r, st = _split_best_r(st, c, pbest[m], sx[0, m])
                    x = c - r
                    more = r > 0
                    if more:
                        st = _others_r(st, r, pk[:, m], sx[:, m], bc, outk)
                tot[bc] += x
                for c2 in range(on_ptr[m], on_ptr[m + 1]):
                    ones[on_idx[c2], bc] += x
                if more:
                    for k in range(K):
                        tot[k] += outk[k]
                    for c2 in range(on_ptr[m], on_ptr[m + 1]):
                        j = on_idx[c2]
                        for k in range(K):
                            ones[j, k] += outk[k]
                    for k in range(K):
                        outk[k] = 0
        else:  # as before the rejection scheme: every class of every pattern, lists' products shared along
            # the lexicographic order (more lists and persons per pattern: J > 4, as the Netherlands' 6, ran faster)
            # 1. classes of the observed, per pattern, and their totals per class (tot) and per list and class (ones)
            for k in range(K):
                pref[0, k] = nu[k]
                tot[k] = 0
            for j in range(J):
                for k in range(K):
                    ones[j, k] = 0
            for i in range(M):
                m = visit[i]
                for j in range(common[i] if i > 0 else 0, J):
                    x = bit[m, j]
                    for k in range(K):
                        pref[j + 1, k] = pref[j, k] * tab[j, x, k]
                # the most probable class first (the first of equal ones), then the class order (which the
                # stick-breaking prior keeps roughly decreasing): a full sort per pattern cost more than it saved
                # from the last class down: the suffix sums S_k = sum_{l>=k} p_l for the categorical draws below come
                # with the same pass (summed from the smallest classes, no cancellation), and `bk` is the first of
                # equal largest ones (>=, going down)
                acc = 0.0
                bk = K - 1
                pb = -1.0
                for k in range(K - 1, -1, -1):
                    v = pref[J, k]
                    prob[k] = v
                    acc += v
                    suffix[k] = acc
                    ge = v >= pb  # branch-free (select): which class is largest is not predictable
                    pb = v if ge else pb
                    bk = k if ge else bk
                if not acc > 1e-280:  # underflow: redo on the log scale
                    mx = _pattern_logp(m, nu, log_nu, haslog, tab, bit, logp[:K])
                    for k in range(K):
                        prob[k] = math.exp(logp[k] - mx)
                    bk = 0
                    for k in range(1, K):
                        if prob[k] > prob[bk]:
                            bk = k
                    acc = 0.0
                    for k in range(K - 1, -1, -1):
                        acc += prob[k]
                        suffix[k] = acc
                c = freq[m]
                if c <= _SMALL:
                    # few persons: one categorical draw each, in the class order (no binomials, so no ordering), each
                    # added to the totals at once (a few scalar increments instead of whole rows of counts)
                    for _ in range(c):
                        u, st = _uniform_r(st)
                        w = acc * (1.0 - u)
                        t = 0
                        for q in range(1, K):
                            t += suffix[q] >= w
                        tot[t] += 1
                        for c2 in range(on_ptr[m], on_ptr[m + 1]):
                            ones[on_idx[c2], t] += 1
                    continue
                elif bk == 0:
                    # the class order is the order the binomials take: its suffix sums are those of the pass above
                    for k in range(K):
                        order[k] = k
                        outk[k] = 0
                    st = _multinomial_suffix_r(st, c, prob, order, suffix, outk)
                else:
                    order[0] = bk
                    i2 = 1
                    for k in range(K):
                        if k != bk:
                            order[i2] = k
                            i2 += 1
                    st = _multinomial_ordered_r(st, c, prob, order, suffix, outk)
                # the pattern's counts added to the totals per class and per (list, class) while they are at hand
                for k in range(K):
                    tot[k] += outk[k]
                for c in range(on_ptr[m], on_ptr[m + 1]):
                    j = on_idx[c]
                    for k in range(K):
                        ones[j, k] += outk[k]
        # 2. list probabilities: Beta(1 + on list, 1 + not on list incl. the unobserved)
        for j in range(J):
            for k in range(K):
                a = ones[j, k]
                b = tot[k] - a + count0[k]
                if a == 0 and b == 0:  # an empty class: Beta(1, 1), as _beta_pair_r draws it, without the call
                    u, st = _uniform_r(st)
                    tab[j, 1, k] = u
                    tab[j, 0, k] = 1.0 - u
                else:
                    tab[j, 1, k], tab[j, 0, k], st = _beta_pair_r(st, a, b)
        # 3. class weights by stick-breaking: on the linear scale while what is left of the stick,
        #    R = prod_{l<k} (1 - V_l), is above 1e-250 and the second shape alpha + rest is >= 1 (then
        #    1 - V >= ~1e-16 and nothing underflows); on the log scale from there on (tiny alpha, rest = 0)
        rest = n + n0
        acc = 0.0
        R = 1.0
        linear = True
        for k in range(K - 1):
            nk = tot[k] + count0[k]
            rest -= nk
            b = alpha + rest
            if linear and (R < 1e-250 or b < 1.0):
                linear = False
                acc = math.log(R)
            if linear:
                # V_k = G1 / (G1 + G2), G1 ~ Gamma(1 + nk), G2 ~ Gamma(b), also for an empty class (nk = 0):
                # Marsaglia-Tsang needs no logarithm on its fast path, inversion a log, an exp and an expm1
                haslog[k] = False
                g1, st = _gamma_int_r(st, 1 + nk)
                g2, st = _gamma_r(st, b)
                sg = g1 + g2
                nu[k] = g1 / sg * R
                R *= g2 / sg
                continue
            if nk == 0:
                # an empty class: V_k ~ Beta(1, alpha + rest) by inversion, log(1 - V) = -E / (alpha + rest) with
                # E = -log(U) ~ Exp(1) drawn by the ziggurat (no logarithm).
                # R = exp(acc) is carried along: while it is above 1e-250, nu_k = V R (and V >= ~1e-16) is a
                # normal number, so log nu_k is left to be taken where needed (haslog False); 1 - V = exp(l1m)
                # gives V = 1 - exp(l1m) without cancellation below l1m = -log 2, expm1 above
                # exp(x) is exactly 0 below x = -746 and log(1) = 0: those calls are skipped (the same numbers)
                ex, st = _exponential_r(st)
                l1m = -ex / (alpha + rest)
                e = math.exp(l1m) if l1m > -746.0 else 0.0
                v = 1.0 - e if l1m < -0.6931471805599453 else -math.expm1(l1m)
                if R > 1e-250:
                    haslog[k] = False
                    nu[k] = v * R
                else:
                    haslog[k] = True
                    lv = acc + (0.0 if v == 1.0 else (math.log(v) if v > 0.0 else -np.inf))
                    log_nu[k] = lv
                    nu[k] = math.exp(lv) if lv > -746.0 else 0.0
                acc += l1m
                R *= e
                continue
            haslog[k] = True
            lg1, st = _log_gamma_variate_r(st, 1.0 + nk)
            lg2, st = _log_gamma_variate_r(st, alpha + rest)
            mx = max(lg1, lg2)
            ls = mx + math.log(math.exp(lg1 - mx) + math.exp(lg2 - mx))
            log_nu[k] = lg1 - ls + acc
            acc += lg2 - ls
            R = math.exp(acc)
            nu[k] = math.exp(log_nu[k])
        if linear:
            nu[K - 1] = R
            log_nu[K - 1] = math.log(R)
        else:
            log_nu[K - 1] = acc
            nu[K - 1] = math.exp(acc)
        haslog[K - 1] = True
        # 4. probability of being missed by every list, and the number missed
        p0 = 0.0
        q = 0.0
        for k in range(K):
            pr = 1.0
            qk = 0.0  # 1 - pr without cancellation: 1 - prod_{l<=j}(1 - lambda_l) = q_{j-1} + lambda_j prod_{l<j}
            for j in range(J):
                qk += tab[j, 1, k] * pr
                pr *= tab[j, 0, k]
            p0k[k] = nu[k] * pr
            p0 += p0k[k]
            q += nu[k] * qk
        if p0 <= 0.0:
            n0 = 0
        elif q <= 0.0:
            n0 = _N0_MAX
            diverged = 1
        else:
            for _ in range(_MAX_REJECTIONS):
                g, st = _gamma_r(st, float(n))
                n0, st = _poisson_r(st, g * (p0 / q))
                if n0_cap < 0 or n0 <= n0_cap:
                    break
            if n0_cap >= 0 and n0 > n0_cap:
                n0 = n0_cap
                capped += 1
            if n0 >= _N0_MAX:
                diverged = 1
        # 5. classes of the unobserved, most probable class first as in step 1
        for k in range(K):
            count0[k] = 0
        if n0 > 0:
            bc = _best_suffix(p0k, suffix)
            r, st = _split_best_r(st, n0, p0k[bc], suffix[0])
            count0[bc] = n0 - r
            if r > 0:
                st = _others_r(st, r, p0k, suffix, bc, count0)
        # 6. concentration (held fixed during the warm-up)
        if it >= warmup:
            g, st = _gamma_r(st, a_alpha + K - 1.0)
            alpha = g / (b_alpha - log_nu[K - 1])
        elif it == warmup - 1:
            # reorder the classes by decreasing weight (LCMCR's permute_latent_classes_by_nu)
            for i in range(K):
                order[i] = i
            for i in range(1, K):
                key = order[i]
                j = i - 1
                while j >= 0 and nu[order[j]] < nu[key]:
                    order[j + 1] = order[j]
                    j -= 1
                order[j + 1] = key
            for j in range(J):
                for x in range(2):
                    for k in range(K):
                        scratch_tab[j, x, k] = tab[j, x, order[k]]
                    for k in range(K):
                        tab[j, x, k] = scratch_tab[j, x, k]
            for k in range(K):
                scratch_f[k] = nu[order[k]]
            for k in range(K):
                nu[k] = scratch_f[k]
            for k in range(K):
                scratch_f[k] = log_nu[order[k]]
            for k in range(K):
                log_nu[k] = scratch_f[k]
            for k in range(K):
                scratch_b[k] = haslog[order[k]]
            for k in range(K):
                haslog[k] = scratch_b[k]
            for k in range(K):
                scratch_i[k] = count0[order[k]]
            for k in range(K):
                count0[k] = scratch_i[k]
        # keep
        done = it + 1 - warmup - burnin
        if done > 0 and done % thinning == 0:
            ks = 0
            for k in range(K):
                if tot[k] + count0[k] > 0:
                    ks += 1
            n0_trace[kept] = n0
            alpha_trace[kept] = alpha
            kstar_trace[kept] = ks
            kept += 1
    _store(s, st)
    istate[0] = n0
    istate[1] = kept
    istate[2] = diverged
    istate[3] = capped
    fstate[0] = alpha


def warm_up() -> None:
    """Compile the sampler, or load it from numba's cache, in this process (a 4-iteration run on a
    2-list table). Call it before forking worker processes so that they inherit the compiled code
    instead of each loading it (~0.3 s of CPU per process). Once done, later calls return at once (a
    stratum's chain calls it too, and forked workers inherit the flag with the code)."""
    if _WARM:
        return
    cells = np.array([[1, 0], [0, 1], [1, 1]], dtype=np.int8)
    _run_chain(cells, np.array([5, 5, 2], dtype=np.int64), 2, 0.25, 0.25, 0, 0, 4, 1, -1,
               _rng_state(np.random.SeedSequence(0)))
    _WARM.append(True)


#: non-empty once :func:`warm_up` ran in this process
_WARM: list = []
