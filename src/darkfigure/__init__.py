"""darkfigure: multiple systems estimation of hidden populations.

From overlapping registrations of several organisations (lists) to an estimate of
how many persons exist, registered and unregistered (the dark figure), by Poisson
log-linear models as in the Dutch human-trafficking monitor (Cruyff's ``mse``),
SparseMSE and Rcapture.
"""

from typing import TYPE_CHECKING, Any

from .errors import DataError

__version__ = "0.1.0"
__all__ = [
    "CaptureHistories",
    "DataError",
    "load_dataset",
    "estimate",
    "compare",
    "monitor",
    "link",
    "pseudonymise",
    "simulate",
    "estimate_strata",
    "Result",
    "ConfidenceInterval",
    "Comparison",
    "LogLinear",
    "ModelAveraging",
    "PValueSearch",
    "Heterogeneity",
    "LCMCR",
    "DGA",
    "Downhill",
    "BICExhaustive",
    "__version__",
]

if TYPE_CHECKING:
    from .api import compare, estimate
    from .datasets import load as load_dataset
    from .estimators import DGA, LCMCR, BICExhaustive, Downhill, Heterogeneity, LogLinear, ModelAveraging, PValueSearch
    from .histories import CaptureHistories
    from .linkage.link import link
    from .linkage.pseudonymise import pseudonymise
    from .monitoring import monitor
    from .results import Comparison, ConfidenceInterval, Result
    from .simulation import simulate

# pandas, NumPy and the estimators load on first use, not on `import darkfigure` (the command line's
# --help and --version stay fast); the functions live in modules of other names (estimation,
# comparison, simulation, monitoring) so that importing a module never replaces the function
_LAZY = {
    "CaptureHistories": ("histories", "CaptureHistories"),
    "load_dataset": ("datasets", "load"),
    "estimate": ("api", "estimate"),
    "compare": ("api", "compare"),
    "monitor": ("monitoring", "monitor"),
    "link": ("linkage.link", "link"),
    "pseudonymise": ("linkage.pseudonymise", "pseudonymise"),
    "simulate": ("simulation", "simulate"),
    **{name: ("results", name) for name in ("Result", "ConfidenceInterval", "Comparison")},
    **{name: ("estimators", name) for name in ("LogLinear", "ModelAveraging", "PValueSearch", "Heterogeneity",
                                               "LCMCR", "DGA", "Downhill", "BICExhaustive")},
    "estimate_strata": ("strata", "estimate_strata"),
}


def __getattr__(name: str) -> Any:
    """Load the public names of :data:`__all__` on first use (PEP 562)."""
    if name in _LAZY:
        from importlib import import_module

        module, attr = _LAZY[name]
        value = getattr(import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'darkfigure' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names (:data:`__all__`) and the subpackages already imported (``darkfigure.linkage``), for tab
    completion: not the typing helpers and private names of this module (tester 13b, L10)."""
    from types import ModuleType

    loaded = {n for n, v in globals().items() if isinstance(v, ModuleType) and not n.startswith("_")}
    return sorted(set(__all__) | loaded)
