"""Whether a numba function is compiled already, in this process or in numba's on-disk cache.

Used for the one-time "compiling ... once" notices before long first runs (the exhaustive search's
kernel, the LCMCR sampler): reading numba's cache index is a file read, compiling is 20-90 s.
"""

from __future__ import annotations


def dispatcher_compiled(dispatcher) -> bool | None:
    """Whether calling `dispatcher` (a ``numba.njit(cache=True)`` function) would run without compiling.

    True when this process has compiled it already (``dispatcher.overloads``) or numba's cache
    index (``__pycache__/*.nbi`` beside its module) holds an entry for this source file, numba
    version, CPU and bytecode — what numba's own lookup requires
    (``numba.core.caching.Cache._index_key``); False when a call would compile (a fresh
    installation, an edited module, a new numba). None when it cannot be told (numba's private
    cache API changed): callers then say nothing.

    Parameters
    ----------
    dispatcher : numba Dispatcher
        The compiled function (``cache=True``).

    Returns
    -------
    bool or None.
    """
    try:
        if dispatcher.overloads:
            return True
        cache = dispatcher._cache
        index = cache._cache_file._load_index()
        codegen = dispatcher.targetctx.codegen()
        return any(key[1:] == cache._index_key(key[0], codegen)[1:] for key in index)
    except Exception:  # noqa: BLE001 - a hint only; never let it stop a run
        return None
