"""Single-threaded BLAS inside darkfigure's hot loops.

The estimators make thousands of small matrix products (cells x parameters). Multi-
threaded OpenBLAS gains nothing on them and, on a busy machine, its spinning threads
slowed a model search 27-fold (4.7 s -> 126 s on 2 cores). Parallelism comes from
processes over bootstrap replicates instead.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TypeVar

from threadpoolctl import ThreadpoolController

__all__ = ["single_threaded"]

F = TypeVar("F", bound=Callable)
_controller: ThreadpoolController | None = None
_state = threading.local()


def single_threaded(func: F) -> F:
    """Decorator: run `func` with BLAS limited to one thread (nested calls pay nothing)."""

    @functools.wraps(func)
    def _wrapper(*args, **kwargs):
        global _controller
        if getattr(_state, "active", False):
            return func(*args, **kwargs)
        if _controller is None:
            _controller = ThreadpoolController()
        _state.active = True
        try:
            with _controller.limit(limits=1, user_api="blas"):
                return func(*args, **kwargs)
        finally:
            _state.active = False

    return _wrapper  # type: ignore[return-value]
