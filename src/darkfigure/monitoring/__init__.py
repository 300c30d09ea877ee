"""The monitor: per-year and per-subgroup estimates, visibility, SDG 16.2.2 rates and safe tables.

* :mod:`~darkfigure.monitoring.yearly`: per-year N̂ from one joint model (year as covariate) and
  from separate models per year, side by side.
* :mod:`~darkfigure.monitoring.tables`: observed, N̂, interval and visibility (observed ÷ N̂) for the
  total, each year, each level and each pair of levels.
* :mod:`~darkfigure.monitoring.sdg`: SDG indicator 16.2.2, N̂ per 100,000 inhabitants.
* :mod:`~darkfigure.monitoring.disclosure`: small-cell suppression ("<10") with secondary suppression.
* :func:`monitor`: all of it in one call (``darkfigure monitor``).
"""

from .core import RATE_COLUMNS, MonitorResult, monitor
from .disclosure import publish, recoverable, relations, suppress
from .sdg import add_rates, population_for, read_population
from .tables import MONITOR_COLUMNS, MonitorTable, monitor_table
from .yearly import YearlyComparison, compare_years

__all__ = [
    "MONITOR_COLUMNS",
    "RATE_COLUMNS",
    "MonitorResult",
    "MonitorTable",
    "YearlyComparison",
    "add_rates",
    "compare_years",
    "monitor",
    "monitor_table",
    "population_for",
    "publish",
    "read_population",
    "recoverable",
    "relations",
    "suppress",
]
