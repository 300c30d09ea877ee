"""Stratified estimation that scales out: many strata, many replicates of the data, a content-keyed cache.

:func:`estimate_strata` (``darkfigure strata``) splits capture histories by stratum columns, states
per stratum whether it can be estimated (:mod:`.units`), runs the log-linear model or LCMCR on
every stratum of every replicate (worker processes or Spark, :mod:`.engines`), keeps each result
under a hash of its content (:mod:`.cache`), and combines replicates and strata (:mod:`.core`).
:mod:`.simulate` draws stratified populations with a known truth.
"""

from .core import COMBINE, StrataResult, combine, estimate_strata, read_replicates
from .simulate import StratifiedPopulation, impute_replicates, simulate_strata

__all__ = ["COMBINE", "StrataResult", "StratifiedPopulation", "combine", "estimate_strata", "impute_replicates",
           "read_replicates", "simulate_strata"]
