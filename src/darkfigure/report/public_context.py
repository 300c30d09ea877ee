"""What every part of the publication report reads: the run's published rows and threshold, and :class:`_Ctx` (language, labels, rounding)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .labels import LabelCatalogue
from .public_rounding import Figure, format_number, round_figure
from .run import Run
from .sections_fit import _single_level
from .views import _f

#: Disclosure threshold K when the run records none (estimate and compare runs): the monitor's default.
DEFAULT_THRESHOLD = 10


# ----------------------------------------------------------------------------- reading the run
def _threshold(run: Run) -> int:
    m = (run.result or {}).get("monitor") or {}
    k = m.get("suppress_below")
    return int(k) if isinstance(k, (int, float)) and k >= 0 else DEFAULT_THRESHOLD


def _rows_table(run: Run) -> pd.DataFrame | None:
    """The run's rows as a monitor table (group, level, year, observed, nhat, lower, upper, visibility...).

    ``monitor.csv`` as it is; for an estimate run, the total and the single levels of
    ``estimates.csv`` (linkage-corrected when the run corrected) with year "" (pairs of
    levels are never shown, so they are left out of the disclosure relations too).
    """
    if run.monitor is not None:
        t = run.monitor.copy()
        for c in ("group", "level", "year"):
            t[c] = t[c].astype(str).replace("nan", "")
        return t.reset_index(drop=True)
    if run.estimates is None:
        return None
    e = run.estimates.copy()
    e["group"] = e["group"].astype(str)
    e["level"] = e["level"].astype(str).replace("nan", "")
    covs = set(((run.result or {}).get("settings") or {}).get("covariates") or [])
    keep = (e["group"] == "total") | (e["group"].isin(covs) & _single_level(e["level"]))
    t = e[keep][["group", "level", "observed", "nhat", "lower", "upper"]].copy()
    t.insert(2, "year", "")
    t.loc[t["group"] == "total", "level"] = ""
    obs = pd.to_numeric(t["observed"], errors="coerce")
    if "observed_corrected" in e.columns:  # N̂ corrected for linkage: the persons corrected alike (tester 16a, 4)
        obs = pd.to_numeric(e.loc[keep, "observed_corrected"], errors="coerce").fillna(obs)
        t["persons_subtracted"] = obs
    t["visibility"] = obs / t["nhat"]
    t["visibility_lower"] = obs / t["upper"]
    t["visibility_upper"] = obs / t["lower"]
    return t.reset_index(drop=True)


def _grid_points(grid: Any) -> list[tuple[float, float]]:
    """(assumption value, N̂) pairs from ``identifying_assumption.grid``, whatever its layout."""
    pts: list[tuple[float, float]] = []
    if isinstance(grid, dict):
        ys = grid.get("nhat")
        xs = next((grid[k] for k in grid if k != "nhat" and isinstance(grid[k], list)), None)
        if isinstance(xs, list) and isinstance(ys, list):
            pts = list(zip(map(_f, xs), map(_f, ys)))
    elif isinstance(grid, list):
        for g in grid:
            if isinstance(g, dict) and "nhat" in g:
                x = next((g[k] for k in g if k not in ("nhat", "lower", "upper") and isinstance(g[k], (int, float))),
                         None)
                pts.append((_f(x), _f(g["nhat"])))
            elif isinstance(g, (list, tuple)) and len(g) >= 2:
                pts.append((_f(g[0]), _f(g[1])))
    return [(x, y) for x, y in pts if math.isfinite(x) and math.isfinite(y)]


# ----------------------------------------------------------------------------- the page
@dataclass
class _Ctx:
    """What the template needs, built in one language."""

    lang: str
    _: Any
    labels: LabelCatalogue
    threshold: int
    caveats: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, v) -> str:
        """A count of persons as published: '<K' below the disclosure threshold."""
        x = _f(v)
        if not math.isfinite(x):
            return "–"
        if x < self.threshold:
            return f"<{self.threshold}"
        return format_number(round(x), 1, self.lang)

    def hidden_count(self, v) -> str:
        """The count a suppressed row shows: '<K' below the threshold, 'x' when it is hidden only so that
        totals cannot be differenced back to a small count (secondary suppression)."""
        return f"<{self.threshold}" if _f(v) < self.threshold else "x"

    def fig(self, value, lower, upper, floor: float | None = None) -> Figure:
        """A count with its interval, rounded (an end below the threshold is not shown as such); `floor`
        (the registered count) bounds the rounded lower end from below."""
        return round_figure(value, lower, upper, lang=self.lang, floor=floor)

    def pct(self, value, lower, upper) -> Figure:
        """A share of 1 as a percentage with its interval, rounded once from the stored value.

        The unit its interval supports, to the nearest (not outward, as counts): 0.3186–0.3812 is "32%–38%",
        where outward rounding gave "31%–39%" (tester report 10, F9). Rounded once from the stored share, as the
        terminal does: first to 0.1% (as ``monitor_published.csv`` writes it) and then to 1% turned 0.33476 into
        33.5% and then 34% while monitor.csv and the terminal said 33% (tester 12b, M2). A share's interval
        follows from N̂'s (registered ÷ N̂), whose published interval is the one rounded outward.
        """
        return round_figure(value, lower, upper, smallest=0.1, lang=self.lang, scale=100, suffix="%", outward=False)

    def rate(self, value, lower, upper) -> Figure:
        """A rate per 100,000 with its interval."""
        return round_figure(value, lower, upper, smallest=0.01, lang=self.lang)


def _level_text(c: _Ctx, group: str, level: str) -> tuple[str, str]:
    """(covariate label, level label) of a row; a pair of levels ``a:b`` of group ``A:B`` is joined."""
    return c.labels.covariate_label(group), c.labels.level_label(group, level)
