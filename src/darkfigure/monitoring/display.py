"""Notebook and terminal display of a :class:`~darkfigure.monitoring.core.MonitorResult` (tester 13b, L6).

The dataclass repr printed the whole joint estimate (18 KB); these give the per-year totals instead: ``str`` a
plain-text table, ``_repr_html_`` the same as HTML, ``repr`` one line, and ``to_dict`` the JSON-able form
(numbers or null, an infinite limit flagged beside its null as in ``result.json``).
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

__all__ = ["monitor_repr", "monitor_text", "monitor_html", "monitor_dict"]


def _fmt(v: Any) -> str:
    """A count as shown: ``12,237``, ``∞`` for an infinite limit, ``–`` for a missing one (the report's format)."""
    from ..report.views import fmt_count  # lazily: the report package loads its templates

    return fmt_count(v)


def _year_totals(m) -> pd.DataFrame:
    """The rows of the total per year (``group == "total"`` and a year), as shown: year, observed, N̂, interval."""
    t = m.table
    rows = t[(t["group"] == "total") & (t["year"].astype(str) != "")]
    return pd.DataFrame({"year": rows["year"].astype(str), "observed": rows["observed"].map(_fmt),
                         "N̂": rows["nhat"].map(_fmt), "lower": rows["lower"].map(_fmt),
                         "upper": rows["upper"].map(_fmt), "visibility": rows["visibility"].map(
                             lambda v: "–" if pd.isna(v) else f"{float(v):.0%}")})


def _head(m) -> tuple[str, str]:
    """The first two lines: what was monitored, and N̂ over all years with its interval."""
    e = m.estimate
    year = m.monitor.year if m.monitor is not None else e.settings.get("year")
    n_years = int(((m.table["group"] == "total") & (m.table["year"].astype(str) != "")).sum())
    first = f"darkfigure monitor: year column {year!r}, {n_years} year(s), {int(e.n_observed):,} persons observed"
    hi = "no finite upper limit" if math.isinf(float(e.upper)) else _fmt(e.upper)
    ci = ("no interval" if math.isnan(float(e.lower))
          else f"{float(e.level):.0%} {e.ci_method} interval {_fmt(e.lower)} – {hi}")
    return first, f"N̂ over all years {_fmt(e.nhat)} ({ci})"


def _tail(m) -> str:
    """Where the rest is: the full and published tables, the suppressed cells, the warnings."""
    n_sup = int((m.suppressed != 0).sum()) if m.suppressed is not None else 0
    return (f"{len(m.table):,} rows in .table (every group by year; .to_frame() adds the dark figure); .published "
            f"has them disclosure-controlled (cells under {m.threshold} persons: {n_sup} suppressed); "
            f"{len(m.estimate.warnings)} warning(s) in .estimate.warnings")


def monitor_repr(m) -> str:
    """One line: year column, years, rows, the total N̂ and its interval, suppressed cells."""
    e = m.estimate
    year = m.monitor.year if m.monitor is not None else e.settings.get("year")
    n_sup = int((m.suppressed != 0).sum()) if m.suppressed is not None else 0
    return (f"MonitorResult(year={year!r}, rows={len(m.table)}, nhat={float(e.nhat):.6g}, "
            f"interval=({float(e.lower):.6g}, {float(e.upper):.6g}), suppressed={n_sup})")


def monitor_text(m) -> str:
    """The heading lines, the totals per year as a plain-text table, and where the rest is."""
    first, second = _head(m)
    years = _year_totals(m)
    body = years.to_string(index=False) if len(years) else "(no per-year rows)"
    return "\n".join([first, second, body, _tail(m)])


def monitor_html(m) -> str:
    """:func:`monitor_text` as HTML for notebooks (the per-year totals as a table)."""
    first, second = _head(m)
    years = _year_totals(m)
    table = years.to_html(index=False, escape=True, border=0) if len(years) else ""
    return (f"<div><p><b>{html.escape(first)}</b><br>{html.escape(second)}</p>{table}"
            f"<p><small>{html.escape(_tail(m))}</small></p></div>")


def monitor_dict(m) -> dict[str, Any]:
    """JSON-able: the settings of the monitor, its table (``monitor.csv``), the published table and the joint
    estimate (``result.json``'s dict); figures are numbers or null (darkfigure.result_json)."""
    from ..result_json import _jsonable

    e = m.estimate
    return _jsonable({
        "year": m.monitor.year if m.monitor is not None else e.settings.get("year"),
        "suppress_below": int(m.threshold),
        "suppressed_primary": int((m.suppressed == 1).sum()) if m.suppressed is not None else 0,
        "suppressed_secondary": int((m.suppressed == 2).sum()) if m.suppressed is not None else 0,
        "table": m.table,
        "published": m.published,
        "years": None if m.years is None else m.years.table,
        "estimate": e.to_dict(),
    })
