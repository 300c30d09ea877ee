"""darkfigure: multiple systems estimation of hidden populations.

From overlapping registrations of several organisations (lists) to an estimate of
how many persons exist, registered and unregistered (the dark figure), by Poisson
log-linear models as in the Dutch human-trafficking monitor (Cruyff's ``mse``),
SparseMSE and Rcapture.
"""

from .histories import CaptureHistories, DataError

__version__ = "0.1.0"
__all__ = ["CaptureHistories", "DataError", "__version__"]
