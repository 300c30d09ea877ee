"""Whether the LCMCR sampler is compiled yet, for a notice before a long first run (tester 12b, M3).

Kept apart from :mod:`._lcmcr_sampler`: numba's cache is keyed by that file's time stamp, so any edit there
recompiles the sampler (~85 s).
"""

from __future__ import annotations

from .._numba_cache import dispatcher_compiled

#: what the terminal says before an LCMCR run whose compiled sampler is not in numba's cache yet
COMPILE_NOTE = ("compiling the LCMCR sampler once (1-2 minutes on an idle machine, a few minutes on a busy one; "
                "later runs reuse it)")


def sampler_compiled() -> bool | None:
    """Whether the LCMCR sampler is ready without compiling (in this process or in numba's cache).

    As :func:`darkfigure.loglinear.exhaustive_fit.kernel_compiled`: reads numba's cache index of
    :func:`._lcmcr_sampler._chain_kernel` (``__pycache__/*.nbi``); True when compiled here or an entry
    matches this source, numba version, CPU and bytecode; False when a run would compile first (a fresh
    clone: ~85 s); None when it cannot be told (numba's private cache API changed): callers then say nothing.
    """
    try:
        from ._lcmcr_sampler import _WARM, _chain_kernel
    except Exception:  # noqa: BLE001 - a hint only; never let it stop a run
        return None
    return True if _WARM else dispatcher_compiled(_chain_kernel)
