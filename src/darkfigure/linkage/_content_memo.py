"""Remember the last results of a pure function of large arrays, keyed by the arrays' content.

The placeholder-date and age-convention finders (and the name codes they count persons by) run over the same
registrations for link's notes (as read) and for its masks (prepared), and inside one another; at a million registrations each call cost 3-5 CPU-s
(``benchmarks/bench_link.py``, 7 Dec). The key is a digest of pandas' element hashes of every array
argument (about 0.1 s per million values), so a result is reused only for equal content.
"""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["content_memo"]

#: results kept per function (the note's and the mask's frames, and a test's)
_KEEP = 4


def _digest(values: Any) -> str | None:
    """A digest of `values`' content (arrays, Series, scalars), or None when it cannot be hashed (never cached)."""
    h = hashlib.blake2b(digest_size=20)
    try:
        if isinstance(values, (str, int, float, bool)) or values is None:
            h.update(repr(values).encode())
        else:
            a = np.asarray(values, dtype=object)
            h.update(str(a.shape).encode())
            h.update(pd.util.hash_array(a.ravel()).tobytes())
    except (TypeError, ValueError):
        return None
    return h.hexdigest()


def content_memo(f: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a pure function returning a DataFrame or ndarray: equal argument contents give a copy of a
    remembered result (the last :data:`_KEEP` per function)."""
    cache: OrderedDict[tuple, Any] = OrderedDict()

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        """`f` on these arguments, from the memory when their contents were seen (replaced by f's docstring)."""
        key = tuple([_digest(a) for a in args] + [(k, _digest(v)) for k, v in sorted(kwargs.items())])
        if any(p is None or (isinstance(p, tuple) and p[1] is None) for p in key):
            return f(*args, **kwargs)  # content that cannot be hashed: computed, not remembered
        if key in cache:
            cache.move_to_end(key)
            return cache[key].copy()
        out = f(*args, **kwargs)
        cache[key] = out.copy()
        while len(cache) > _KEEP:
            cache.popitem(last=False)
        return out

    wrapper.cache_clear = cache.clear  # type: ignore[attr-defined]
    return wrapper
