"""Random numbers for the LCMCR sampler (:mod:`darkfigure.bayes.lcmcr`), compiled with numba.

xoshiro256++ (Blackman & Vigna 2021) with the exact distributions named at each function: ziggurat
normal and Marsaglia-Tsang gamma (2000), Hoermann's BTRS binomial and PTRS Poisson (1993), Beta as a
ratio of gammas. ``lcmcr`` imports them at module level so its jitted sampler calls them (numba
``cache=True`` on both sides).

Every generator comes twice. ``_xxx_r(st, ...)`` takes the xoshiro256++ state as a tuple of four uint64 words and
returns ``(value, st)``: the sampler threads that tuple through its loops, so the state stays in registers (numba
inlines the small generators); a state kept in an array is loaded and stored around every draw, which made a gamma
variate cost ~34 ns instead of ~7 ns. ``_xxx(s, ...)`` is the same draw on a state array ``s`` (uint64, shape (4,)),
updated in place, for tests and callers outside the sampler; both give the same numbers from the same state.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

#: Poisson means above which the (exact to ~1e-6 relative) normal approximation is used.
_POISSON_NORMAL = 1e12
#: Largest n0 representable; reaching it marks the chain as diverged.
_N0_MAX = 2**62


# ----------------------------------------------------------------------------- random numbers
# xoshiro256++ (Blackman & Vigna 2021, ACM TOMS 47(4):36) inlined in the sampler: a call through
# NumPy's Generator costs an indirect call per number (~12 ns), this ~1 ns. Its 4 x 64-bit state
# is seeded from a numpy.random.SeedSequence (``generate_state``), so every chain is reproducible.
# The distributions below are the standard exact algorithms named at each function.
_U64_1 = np.uint64(1)
_TWO_M53 = 1.0 / 9007199254740992.0  # 2^-53


def _rng_state(seed_sequence: np.random.SeedSequence) -> np.ndarray:
    """The sampler's random-number state from a SeedSequence: xoshiro256++ words (uint64, shape (4,))."""
    s = seed_sequence.generate_state(4, dtype=np.uint64)
    if not s.any():  # the one forbidden state (probability 2^-256)
        s[0] = 1
    return s


@njit(cache=True, nogil=True, inline="always")
def _load(s):  # pragma: no cover - compiled
    """The state tuple of a state array."""
    return (s[0], s[1], s[2], s[3])


@njit(cache=True, nogil=True, inline="always")
def _store(s, st):  # pragma: no cover - compiled
    """Write the state tuple back into the state array."""
    s[0], s[1], s[2], s[3] = st[0], st[1], st[2], st[3]


@njit(cache=True, nogil=True, inline="always")
def _next_r(st):  # pragma: no cover - compiled
    """xoshiro256++: ``(64 random bits, next state)``."""
    s0, s1, s2, s3 = st
    x = s0 + s3
    result = ((x << np.uint64(23)) | (x >> np.uint64(41))) + s0
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << np.uint64(45)) | (s3 >> np.uint64(19))
    return result, (s0, s1, s2, s3)


@njit(cache=True, nogil=True, inline="always")
def _uniform_r(st):  # pragma: no cover - compiled
    """U(0, 1) on the 2^53 grid [0, 1)."""
    r, st = _next_r(st)
    return np.float64(r >> np.uint64(11)) * _TWO_M53, st


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tables of the 256-layer ziggurat for N(0, 1) (Marsaglia & Tsang 2000, J. Stat. Softw. 5(8);
    the layout of NumPy's ``random_standard_normal``): thresholds ki (uint64, on the 2^52 grid),
    widths wi and densities fi (float), shape (256,) each."""
    r = _ZIG_R
    v = r * math.exp(-0.5 * r * r) + math.sqrt(math.pi / 2) * math.erfc(r / math.sqrt(2))  # area of a layer
    m1 = 2.0**52
    ki = np.zeros(256, dtype=np.uint64)
    wi = np.zeros(256)
    fi = np.zeros(256)
    dn = tn = r
    q = v / math.exp(-0.5 * dn * dn)
    ki[0] = np.uint64((dn / q) * m1)
    wi[0], wi[255] = q / m1, dn / m1
    fi[0], fi[255] = 1.0, math.exp(-0.5 * dn * dn)
    for i in range(254, 0, -1):
        dn = math.sqrt(-2.0 * math.log(v / dn + math.exp(-0.5 * dn * dn)))
        ki[i + 1] = np.uint64((dn / tn) * m1)
        tn = dn
        fi[i] = math.exp(-0.5 * dn * dn)
        wi[i] = dn / m1
    return ki, wi, fi


#: start of the ziggurat's tail (256 layers)
_ZIG_R = 3.6541528853610088
_ZIG_KI, _ZIG_WI, _ZIG_FI = _ziggurat_tables()


@njit(cache=True, nogil=True)
def _normal_slow_r(st, idx, neg, x):  # pragma: no cover - compiled
    """The ziggurat's rare branches (~1% of draws): ``(accepted, value, st)``; not inlined, to keep the
    inlined fast path small."""
    if idx == 0:  # the tail beyond r (Marsaglia 1964)
        while True:
            u, st = _uniform_r(st)
            xx = -math.log1p(-u) / _ZIG_R
            u, st = _uniform_r(st)
            yy = -math.log1p(-u)
            if yy + yy > xx * xx:
                return True, (-(_ZIG_R + xx) if neg else _ZIG_R + xx), st
    u, st = _uniform_r(st)
    return (_ZIG_FI[idx - 1] - _ZIG_FI[idx]) * u + _ZIG_FI[idx] < math.exp(-0.5 * x * x), x, st


@njit(cache=True, nogil=True, inline="always")
def _normal_r(st):  # pragma: no cover - compiled
    """N(0, 1) by the ziggurat (Marsaglia & Tsang 2000; one 64-bit number 99% of the time)."""
    while True:
        r, st = _next_r(st)
        idx = np.int64(r & np.uint64(0xFF))
        r >>= np.uint64(8)
        neg = (r & _U64_1) != 0
        rabs = (r >> _U64_1) & np.uint64(0x000FFFFFFFFFFFFF)
        x = np.float64(rabs) * _ZIG_WI[idx]
        if neg:
            x = -x
        if rabs < _ZIG_KI[idx]:
            return x, st
        ok, x, st = _normal_slow_r(st, idx, neg, x)
        if ok:
            return x, st


def _exp_ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tables of the 256-layer ziggurat for Exp(1) (Marsaglia & Tsang 2000, J. Stat. Softw. 5(8); the layout of
    NumPy's ``random_standard_exponential``): thresholds ke (uint64, on the 2^53 grid), widths we and
    densities fe (float), shape (256,) each."""
    de = _ZIGE_R
    ve = math.exp(-de) * (de + 1.0)  # area of a layer: the base rectangle and the tail beyond r
    m2 = 2.0**53
    ke = np.zeros(256, dtype=np.uint64)
    we = np.zeros(256)
    fe = np.zeros(256)
    q = ve / math.exp(-de)
    ke[0] = np.uint64((de / q) * m2)
    we[0], we[255] = q / m2, de / m2
    fe[0], fe[255] = 1.0, math.exp(-de)
    te = de
    for i in range(254, 0, -1):
        de = -math.log(ve / de + math.exp(-de))
        ke[i + 1] = np.uint64((de / te) * m2)
        te = de
        fe[i] = math.exp(-de)
        we[i] = de / m2
    return ke, we, fe


#: start of the exponential ziggurat's tail (256 layers)
_ZIGE_R = 7.69711747013104972
_ZIGE_KE, _ZIGE_WE, _ZIGE_FE = _exp_ziggurat_tables()


@njit(cache=True, nogil=True)
def _exponential_slow_r(st, idx, x):  # pragma: no cover - compiled
    """The exponential ziggurat's rare branches (~1.5% of draws): ``(accepted, value, st)``."""
    u, st = _uniform_r(st)
    if idx == 0:  # the tail beyond r: r + Exp(1) (memoryless), 1 - U so that log never sees 0
        return True, _ZIGE_R - math.log1p(-u), st
    return (_ZIGE_FE[idx - 1] - _ZIGE_FE[idx]) * u + _ZIGE_FE[idx] < math.exp(-x), x, st


@njit(cache=True, nogil=True, inline="always")
def _exponential_r(st):  # pragma: no cover - compiled
    """Exp(1) by the ziggurat (Marsaglia & Tsang 2000; NumPy's algorithm): one 64-bit number and no logarithm
    ~98.5% of the time, where ``-log(1 - U)`` costs a logarithm per draw."""
    while True:
        r, st = _next_r(st)
        r >>= np.uint64(3)
        idx = np.int64(r & np.uint64(0xFF))
        r >>= np.uint64(8)
        x = np.float64(r) * _ZIGE_WE[idx]
        if r < _ZIGE_KE[idx]:
            return x, st
        ok, x, st = _exponential_slow_r(st, idx, x)
        if ok:
            return x, st


@njit(cache=True, nogil=True, inline="always")
def _gamma_mt_r(st, d, c):  # pragma: no cover - compiled
    """Gamma(d + 1/3, 1) by Marsaglia & Tsang (2000, ACM TOMS 26:363); ``c = 1 / sqrt(9 d)``."""
    while True:
        x, st = _normal_r(st)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u, st = _uniform_r(st)
        x2 = x * x
        if u < 1.0 - 0.0331 * x2 * x2:
            return d * v, st
        if math.log(u) < 0.5 * x2 + d * (1.0 - v + math.log(v)):
            return d * v, st


@njit(cache=True, nogil=True)
def _gamma_r(st, shape):  # pragma: no cover - compiled
    """Gamma(shape, 1): Marsaglia & Tsang for shape >= 1; below 1 as Gamma(1 + shape) U^(1/shape)."""
    if shape < 1.0:
        d = shape + 1.0 - 1.0 / 3.0
        g, st = _gamma_mt_r(st, d, 1.0 / math.sqrt(9.0 * d))
        u, st = _uniform_r(st)
        return g * (1.0 - u) ** (1.0 / shape), st
    d = shape - 1.0 / 3.0
    return _gamma_mt_r(st, d, 1.0 / math.sqrt(9.0 * d))


#: 1 / sqrt(9 (m - 1/3)) for whole shapes m < 4096 (m = 0 unused): the list probabilities' shapes
_MT_C = np.concatenate([[0.0], 1.0 / np.sqrt(9.0 * (np.arange(1, 4096) - 1.0 / 3.0))])


@njit(cache=True, nogil=True, inline="always")
def _gamma_int_r(st, m):  # pragma: no cover - compiled
    """Gamma(m, 1) for a whole number m >= 1 (Marsaglia & Tsang, its constant from a table)."""
    d = m - 1.0 / 3.0
    c = _MT_C[m] if m < 4096 else 1.0 / math.sqrt(9.0 * d)
    return _gamma_mt_r(st, d, c)


@njit(cache=True, nogil=True)
def _beta_pair_r(st, a, b):  # pragma: no cover - compiled
    """``(X, 1 - X, st)`` for X ~ Beta(1 + a, 1 + b), a, b whole numbers >= 0, each computed directly
    (no 1 - X cancellation). With a = b = 0 (an empty latent class) X = U; else as ``G_a / (G_a + G_b)``
    of two gamma variates (Marsaglia-Tsang, no logarithm on its fast path: an inversion
    ``1 - X = U^(1/(1 + b))`` for a = 0 needs a log, an exp and an expm1, which cost twice as much)."""
    if a == 0 and b == 0:  # Beta(1, 1); 1 - U is exact on the 2^-53 grid
        u, st = _uniform_r(st)
        return u, 1.0 - u, st
    x, st = _gamma_int_r(st, 1 + a)
    y, st = _gamma_int_r(st, 1 + b)
    return x / (x + y), y / (x + y), st


@njit(cache=True, nogil=True)
def _log_gamma_variate_r(st, shape):  # pragma: no cover - compiled
    """log of a Gamma(shape, 1) variate; below shape 1 as log Gamma(1 + shape) + log(U) / shape,
    which keeps tiny shapes (alpha + 0 persons) from underflowing to log(0)."""
    if shape < 1.0:
        g, st = _gamma_r(st, shape + 1.0)
        u, st = _uniform_r(st)
        return math.log(g) + math.log(1.0 - u) / shape, st
    g, st = _gamma_r(st, shape)
    return math.log(g), st


#: 1 / k for k < 256 (k = 0 unused): the steps of the binomial inversion
_INV = np.concatenate([[0.0], 1.0 / np.arange(1, 256)])
#: log k! for k < 256, exact (math.lgamma); above, Stirling's series (:func:`_log_factorial`)
_LOG_FACT = np.array([math.lgamma(k + 1.0) for k in range(256)])
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@njit(cache=True, nogil=True, inline="always")
def _log_factorial(k):  # pragma: no cover - compiled
    """log k! for a whole number k >= 0 (float): a table below 256, else Stirling's series to the k^-5 term
    (truncation error below 1 / (1260 k^5) < 1e-15 at k = 256), one log instead of an lgamma call."""
    if k < 256.0:
        return _LOG_FACT[np.int64(k)]
    x = k + 1.0
    r = 1.0 / (x * x)
    return (x - 0.5) * math.log(x) - x + _HALF_LOG_2PI + (1.0 / 12.0 - (1.0 / 360.0 - r / 1260.0) * r) / x


@njit(cache=True, nogil=True, inline="always")
def _binomial_r(st, n, p):  # pragma: no cover - compiled
    """Binomial(n, p) for n >= 0: inversion when min(p, 1 - p) n < 10, else Hoermann's BTRS
    (1993, J. Comput. Appl. Math. 46:101, transformed rejection with squeeze; the constants of the
    slow test are computed only when a draw reaches it, its log-factorials by :func:`_log_factorial`)."""
    if n <= 0 or p <= 0.0:
        return np.int64(0), st
    if p >= 1.0:
        return np.int64(n), st
    flip = p > 0.5
    q = 1.0 - p if flip else p  # success probability used, <= 1/2
    k = np.int64(0)
    nq = n * q
    if nq < 10.0:
        # inversion from 0 (numpy's algorithm): expected n q + 1 steps; the ratio of successive
        # probabilities (n - k + 1) q / (k r) as a / k - s with 1 / k from a table (no division per step).
        # P(0) = (1 - q)^n >= 1 - n q (Bernoulli's inequality), so u < 1 - n q is a 0 without computing P(0).
        u, st = _uniform_r(st)
        if u < 1.0 - nq:
            return (n if flip else np.int64(0)), st
        r = 1.0 - q
        sr = q / r
        a1 = (n + 1) * sr
        qn = math.exp(n * math.log1p(-q))
        bound = float(n)
        if bound > 30.0:  # a guard against rounding; only steps beyond n q + 10 sd ever test it
            bound = min(bound, nq + 10.0 * math.sqrt(nq * r + 1.0))
        px = qn
        while u > px:
            k += 1
            if k > bound:
                k = 0
                px = qn
                u, st = _uniform_r(st)
            else:
                u -= px
                px *= (a1 * _INV[k] if k < 256 else a1 / k) - sr
    else:
        spq = math.sqrt(nq * (1.0 - q))
        b = 1.15 + 2.53 * spq
        a = -0.0873 + 0.0248 * b + 0.01 * q
        c = nq + 0.5
        vr = 0.92 - 4.2 / b
        alpha = 0.0
        lpq = 0.0
        m = 0.0
        h = 0.0
        ready = False
        while True:
            u, st = _uniform_r(st)
            u -= 0.5
            v, st = _uniform_r(st)
            us = 0.5 - abs(u)
            kf = math.floor((2.0 * a / us + b) * u + c)
            if us >= 0.07 and v <= vr:
                k = np.int64(kf)
                break
            if kf < 0 or kf > n:
                continue
            if not ready:  # the constants of Hoermann's step 3, once per call and only when needed
                alpha = (2.83 + 5.1 / b) * spq
                lpq = math.log(q / (1.0 - q))
                m = math.floor((n + 1) * q)
                h = _log_factorial(m) + _log_factorial(n - m)
                ready = True
            # log f(k) / f(m) against the hat (Hoermann's step 3)
            v = v * alpha / (a / (us * us) + b)
            if v > 0.0 and math.log(v) <= h - _log_factorial(kf) - _log_factorial(n - kf) + (kf - m) * lpq:
                k = np.int64(kf)
                break
    return (n - k if flip else k), st


@njit(cache=True, nogil=True)
def _poisson_r(st, lam):  # pragma: no cover - compiled
    """Poisson(lam): multiplication below 10, Hoermann's PTRS (1993, Insurance Math. Econom.
    12:39) up to 1e12, the normal approximation above (relative error ~1e-6)."""
    if lam <= 0.0:
        return np.int64(0), st
    if lam < 10.0:
        enlam = math.exp(-lam)
        k = 0
        prod = 1.0
        while True:
            u, st = _uniform_r(st)
            prod *= u
            if prod > enlam:
                k += 1
            else:
                return np.int64(k), st
    if lam >= _POISSON_NORMAL:
        z, st = _normal_r(st)
        v = lam + math.sqrt(lam) * z
        return (_N0_MAX if v >= _N0_MAX else np.int64(round(v))), st
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u, st = _uniform_r(st)
        u -= 0.5
        v, st = _uniform_r(st)
        us = 0.5 - abs(u)
        kf = math.floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return np.int64(kf), st
        if kf < 0.0 or (us < 0.013 and v > us):
            continue
        if v > 0.0 and (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
                        <= -lam + kf * loglam - math.lgamma(kf + 1.0)):
            return np.int64(kf), st


# ----------------------------------------------------------------------------- on a state array
# The same draws on a state array s (uint64, shape (4,)) updated in place, for tests and other callers.
@njit(cache=True, nogil=True)
def _next_u64(s):  # pragma: no cover - compiled
    """xoshiro256++: the next 64 random bits; `s` (uint64, shape (4,)) updated in place."""
    r, st = _next_r(_load(s))
    _store(s, st)
    return r


@njit(cache=True, nogil=True)
def _uniform(s):  # pragma: no cover - compiled
    """U(0, 1) on the 2^53 grid [0, 1)."""
    x, st = _uniform_r(_load(s))
    _store(s, st)
    return x


@njit(cache=True, nogil=True)
def _normal(s):  # pragma: no cover - compiled
    """N(0, 1) by the ziggurat (:func:`_normal_r`)."""
    x, st = _normal_r(_load(s))
    _store(s, st)
    return x


@njit(cache=True, nogil=True)
def _exponential(s):  # pragma: no cover - compiled
    """Exp(1) by the ziggurat (:func:`_exponential_r`)."""
    x, st = _exponential_r(_load(s))
    _store(s, st)
    return x


@njit(cache=True, nogil=True)
def _gamma_mt(s, d, c):  # pragma: no cover - compiled
    """Gamma(d + 1/3, 1) by Marsaglia & Tsang (:func:`_gamma_mt_r`)."""
    x, st = _gamma_mt_r(_load(s), d, c)
    _store(s, st)
    return x


@njit(cache=True, nogil=True)
def _gamma(s, shape):  # pragma: no cover - compiled
    """Gamma(shape, 1) (:func:`_gamma_r`)."""
    x, st = _gamma_r(_load(s), shape)
    _store(s, st)
    return x


@njit(cache=True, nogil=True)
def _gamma_int(s, m):  # pragma: no cover - compiled
    """Gamma(m, 1) for a whole number m >= 1 (:func:`_gamma_int_r`)."""
    x, st = _gamma_int_r(_load(s), m)
    _store(s, st)
    return x


@njit(cache=True, nogil=True)
def _beta_pair(s, a, b):  # pragma: no cover - compiled
    """``(X, 1 - X)`` for X ~ Beta(1 + a, 1 + b) (:func:`_beta_pair_r`)."""
    x, y, st = _beta_pair_r(_load(s), a, b)
    _store(s, st)
    return x, y


@njit(cache=True, nogil=True)
def _log_gamma_variate(s, shape):  # pragma: no cover - compiled
    """log of a Gamma(shape, 1) variate (:func:`_log_gamma_variate_r`)."""
    x, st = _log_gamma_variate_r(_load(s), shape)
    _store(s, st)
    return x


@njit(cache=True, nogil=True)
def _binomial(s, n, p):  # pragma: no cover - compiled
    """Binomial(n, p) (:func:`_binomial_r`)."""
    x, st = _binomial_r(_load(s), n, p)
    _store(s, st)
    return x


@njit(cache=True, nogil=True)
def _poisson(s, lam):  # pragma: no cover - compiled
    """Poisson(lam) (:func:`_poisson_r`)."""
    x, st = _poisson_r(_load(s), lam)
    _store(s, st)
    return x
