"""darkfigure: multiple systems estimation of hidden populations.

From overlapping registrations of several organisations (lists) to an estimate of
how many persons exist, registered and unregistered (the dark figure), by Poisson
log-linear models as in the Dutch human-trafficking monitor (Cruyff's ``mse``),
SparseMSE and Rcapture.
"""

from typing import TYPE_CHECKING

from .errors import DataError

__version__ = "0.1.0"
__all__ = ["CaptureHistories", "DataError", "estimate_strata", "load_dataset", "__version__"]

if TYPE_CHECKING:
    from .histories import CaptureHistories

# pandas, NumPy and the estimators load on first use, not on `import darkfigure` (the command line's
# --help and --version stay fast)
_LAZY = {
    "CaptureHistories": ("histories", "CaptureHistories"),
    "load_dataset": ("datasets", "load"),
    "estimate_strata": ("strata", "estimate_strata"),
}


def __getattr__(name: str):
    """Load the public names of :data:`__all__` on first use (PEP 562)."""
    if name in _LAZY:
        from importlib import import_module

        module, attr = _LAZY[name]
        value = getattr(import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'darkfigure' has no attribute {name!r}")
