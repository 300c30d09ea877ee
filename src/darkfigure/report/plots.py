"""The report's plots, drawn with matplotlib and returned as ``data:image/png;base64`` URIs.

Every function draws one figure with the Agg backend (no display needed) and returns a
URI that an ``<img src=...>`` embeds, so the report is one file that opens offline.
PNG at a modest resolution keeps the report small (a few tens of kB per plot).
"""

from __future__ import annotations

import base64
import functools
import io
import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "upset_plot",
    "band_plot",
    "interval_plot",
    "forest_plot",
    "step_curves_plot",
    "to_data_uri",
    "weight_histogram_plot",
    "assumption_plot",
    "take_missing_glyphs",
]

_DPI = 100
_BLUE = "#1f4e79"
_LIGHT = "#9fb7d3"
_GREY = "#6b6b6b"


#: characters matplotlib's font could not draw since the last :func:`take_missing_glyphs` (e.g. CJK or emoji in
#: list names: they show as boxes in the plots; the HTML tables show them)
_MISSING: set[str] = set()
_GLYPH = re.compile(r"Glyph (\d+) .*missing from font")


def _quiet_glyphs(fn):
    """Run a plot function with matplotlib's "Glyph ... missing from font" UserWarnings kept off the terminal.

    The characters are collected for :func:`take_missing_glyphs` (the report says once that some could not be
    drawn); every other warning is shown as it would have been.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        """The plot, with matplotlib's missing-glyph warnings collected instead of printed."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.filterwarnings("always", message=r"Glyph \d+ .* missing from font")
            out = fn(*args, **kwargs)
        for w in caught:
            m = _GLYPH.search(str(w.message))
            if m:
                _MISSING.add(chr(int(m.group(1))))
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        return out

    return wrapper


def take_missing_glyphs() -> list[str]:
    """The characters the plots drawn since the last call could not draw (sorted), and forget them."""
    out = sorted(_MISSING)
    _MISSING.clear()
    return out


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def to_data_uri(fig) -> str:
    """Render a matplotlib figure as a PNG ``data:`` URI and close it."""
    plt = _plt()
    buf = io.BytesIO()
    # metadata without the software version: the same run gives the same bytes
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


@_quiet_glyphs
def upset_plot(patterns: pd.Series, list_sizes: pd.Series, *, max_patterns: int = 40) -> str:
    """UpSet plot of capture patterns: persons per pattern, which lists make it, list sizes.

    The layout of Lex, Gehlenborg, Strobelt, Vuillemot & Pfister (2014), *UpSet:
    visualization of intersecting sets*, IEEE TVCG 20(12):1983-1992: a bar per capture
    pattern (the persons registered by exactly that set of lists), a dot matrix below
    naming the lists of each pattern, and the list sizes at the left.

    Parameters
    ----------
    patterns : Series
        Persons per capture pattern, indexed by ``'0101'``-style strings in the order
        of `list_sizes` (:meth:`CaptureHistories.pattern_counts`).
    list_sizes : Series
        Persons per list, indexed by list name.
    max_patterns : int
        Only the largest patterns are drawn (the title says how many are left out).

    Returns
    -------
    str
        PNG data URI.
    """
    plt = _plt()
    from matplotlib.gridspec import GridSpec

    lists = [str(x) for x in list_sizes.index]
    k = len(lists)
    p = patterns[patterns > 0].sort_values(ascending=False, kind="stable")
    n_all = len(p)
    p = p.iloc[:max_patterns]
    m = len(p)
    width = min(12.0, 3.0 + 0.22 * max(m, 8))
    fig = plt.figure(figsize=(width, 2.6 + 0.28 * k))
    # room between the two panels for the list names (inches); matplotlib's wspace is a share of the
    # mean panel width, so with usable width W and gap g: wspace = 2 g / (W - g)
    gap = 0.15 + 0.075 * max(len(s) for s in lists)
    usable = width * (0.98 - 0.04)
    gs = GridSpec(2, 2, figure=fig, width_ratios=[1.3, max(m, 4) * 0.22], height_ratios=[2.2, 0.3 * k + 0.3],
                  wspace=2 * gap / (usable - gap), hspace=0.04)
    ax_bar = fig.add_subplot(gs[0, 1])
    ax_mat = fig.add_subplot(gs[1, 1], sharex=ax_bar)
    ax_size = fig.add_subplot(gs[1, 0], sharey=ax_mat)
    x = np.arange(m)
    ax_bar.bar(x, p.to_numpy(), color=_BLUE, width=0.7)
    top = float(p.max()) if m else 1.0
    for xi, v in zip(x, p.to_numpy()):
        ax_bar.text(xi, v + top * 0.01, f"{int(v):,}", ha="center", va="bottom", fontsize=6, rotation=90)
    ax_bar.set_ylim(0, top * 1.25)
    ax_bar.set_ylabel("persons")
    ax_bar.spines[["top", "right"]].set_visible(False)
    ax_bar.tick_params(axis="x", bottom=False, labelbottom=False)
    shown = f"the {m} largest of {n_all} patterns" if n_all > m else f"all {n_all} observed patterns"
    ax_bar.set_title(f"Persons by capture pattern ({shown})", fontsize=10)
    y = np.arange(k)[::-1]
    for xi, code in zip(x, p.index):
        on = np.array([c == "1" for c in str(code)][:k])
        ax_mat.scatter(np.full(k, xi), y, s=22, color=np.where(on, "#222222", "#dddddd"), zorder=2)
        if on.sum() > 1:
            ax_mat.plot([xi, xi], [y[on].min(), y[on].max()], color="#222222", lw=1.2, zorder=1)
    ax_mat.set_yticks(y)
    ax_mat.set_yticklabels(lists)
    ax_mat.tick_params(axis="y", left=False, labelleft=True, labelright=False, pad=4)
    ax_mat.tick_params(axis="x", bottom=False, labelbottom=False)
    for s in ax_mat.spines.values():
        s.set_visible(False)
    ax_mat.set_ylim(-0.6, k - 0.4)
    ax_mat.set_xlim(-0.6, max(m, 1) - 0.4)
    sizes = list_sizes.to_numpy(dtype=float)
    ax_size.barh(y, sizes, color=_GREY, height=0.6)
    ax_size.invert_xaxis()
    ax_size.tick_params(axis="y", left=False, right=False, labelleft=False, labelright=False)
    ax_size.spines[["top", "left", "right"]].set_visible(False)
    ax_size.set_xlabel("list size", fontsize=8)
    ax_size.tick_params(axis="x", labelsize=7)
    fig.subplots_adjust(left=0.04, right=0.98, top=0.9, bottom=0.12)
    return to_data_uri(fig)


def _decimal_comma(x: float, percent: bool = False) -> str:
    """A tick label with a decimal comma and point thousands (Dutch): 12.345; 0,5; 61,0%."""
    s = f"{100 * x:,.1f}%" if percent else (f"{x:,.0f}" if abs(x) >= 1000 or x == int(x) else f"{x:.3g}")
    return s.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _format_axis(axis, *, percent: bool = False, decimal_comma: bool = False, thousands: bool = True) -> None:
    """Tick labels of a value axis: Dutch decimal comma (:func:`_decimal_comma`), percentages of 1, or counts with
    thousands separators (`thousands`; otherwise matplotlib's own labels)."""
    from matplotlib.ticker import FuncFormatter, PercentFormatter, StrMethodFormatter

    if decimal_comma:
        axis.set_major_formatter(FuncFormatter(lambda v, _pos: _decimal_comma(v, percent)))
    elif percent:
        axis.set_major_formatter(PercentFormatter(1.0))
    elif thousands:
        axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def _finish(fig, ax, *, legend: str | None = None, grid: str = "both") -> str:
    """Light grid, no top and right spines, the legend (at `legend`, if any), tight layout: the PNG data URI."""
    ax.grid(axis=grid, alpha=0.3)
    if legend is not None:
        ax.legend(fontsize=8, loc=legend)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return to_data_uri(fig)


@_quiet_glyphs
def band_plot(
    x: Sequence,
    y: Sequence[float],
    lower: Sequence[float],
    upper: Sequence[float],
    *,
    observed: Sequence[float] | None = None,
    xlabel: str = "year",
    ylabel: str = "estimated number N̂",
    title: str | None = None,
    label: str = "N̂",
    band_label: str = "interval",
    step: bool = False,
    percent: bool = False,
    observed_label: str = "registered",
    decimal_comma: bool = False,
) -> str:
    """A line with an interval band (the yearly trend; N̂ against a linkage threshold).

    Parameters
    ----------
    x : sequence
        Positions (years, thresholds); strings are placed at equal spacing.
    y, lower, upper : sequence of float
        The estimate and its interval (NaN/inf ends are left open).
    observed : sequence of float, optional
        Registered counts drawn as a second line (labelled `observed_label`).
    step : bool
        Draw a step function (a Kaplan-Meier curve) instead of a line.
    percent : bool
        Label the y axis as percentages of 1.
    decimal_comma : bool
        Tick labels with a decimal comma and point thousands (the Dutch public report).

    Returns
    -------
    str
        PNG data URI.
    """
    plt = _plt()
    xs = list(x)
    try:
        xv = np.asarray([float(v) for v in xs])
        labels = None
    except (TypeError, ValueError):
        xv, labels = np.arange(len(xs), dtype=float), [str(v) for v in xs]
    yv = np.asarray(y, dtype=float)
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    hi = np.where(np.isfinite(hi), hi, np.nan)
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    kw = {"step": "post"} if step else {}
    ax.fill_between(xv, lo, hi, color=_LIGHT, alpha=0.6, label=band_label, lw=0, **kw)
    if step:
        ax.step(xv, yv, where="post", color=_BLUE, lw=2, label=label)
    else:
        ax.plot(xv, yv, color=_BLUE, lw=2, marker="o", label=label)
    if observed is not None:
        ax.plot(xv, np.asarray(observed, dtype=float), color=_GREY, lw=1.5, marker="s", ls="--", label=observed_label)
    if labels is not None:
        ax.set_xticks(xv)
        ax.set_xticklabels(labels)
    elif not step and len(xv) <= 15 and np.allclose(xv, np.round(xv)):
        ax.set_xticks(xv)
        ax.set_xticklabels([f"{v:.0f}" for v in xv])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _format_axis(ax.yaxis, percent=percent, decimal_comma=decimal_comma)
    if decimal_comma and labels is None and not (not step and len(xv) <= 15 and np.allclose(xv, np.round(xv))):
        _format_axis(ax.xaxis, decimal_comma=True)
    ax.set_ylim(bottom=0)
    if title:
        ax.set_title(title, fontsize=10)
    return _finish(fig, ax, legend="best")


@_quiet_glyphs
def interval_plot(
    labels: Sequence[str],
    value: Sequence[float],
    lower: Sequence[float],
    upper: Sequence[float],
    *,
    groups: Sequence[str] | None = None,
    xlabel: str = "",
    percent: bool = False,
    reference: float | None = None,
    reference_label: str = "",
    decimal_comma: bool = False,
) -> str:
    """Points with horizontal interval bars, one row per label (visibility by subgroup).

    Parameters
    ----------
    labels : sequence of str
        Row labels, drawn top to bottom.
    value, lower, upper : sequence of float
    groups : sequence of str, optional
        Group of each row (a covariate): rows of a group share a colour.
    percent : bool
        Format the axis as percentages of 1.
    reference : float, optional
        A vertical reference line (e.g. the visibility of the total).
    decimal_comma : bool
        Tick labels with a decimal comma (the Dutch public report).

    Returns
    -------
    str
        PNG data URI.
    """
    plt = _plt()
    n = len(labels)
    v = np.asarray(value, dtype=float)
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    y = np.arange(n)[::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.3 * max(n, 3) + 1.1))
    colours = plt.get_cmap("tab10")
    gs = list(groups) if groups is not None else [""] * n
    uniq = list(dict.fromkeys(gs))
    for gi, g in enumerate(uniq):
        idx = np.array([i for i, x in enumerate(gs) if x == g])
        ax.errorbar(
            v[idx], y[idx], xerr=[np.where(np.isfinite(lo[idx]), v[idx] - lo[idx], 0),
                                  np.where(np.isfinite(hi[idx]), hi[idx] - v[idx], 0)],
            fmt="o", color=colours(gi % 10), capsize=3, label=g or None,
        )
    if reference is not None and np.isfinite(reference):
        ax.axvline(reference, color=_GREY, ls=":", lw=1)
        if reference_label:
            ax.text(reference, n - 0.5, " " + reference_label, color=_GREY, fontsize=8, va="bottom")
    ax.set_yticks(y)
    ax.set_yticklabels(list(labels))
    ax.set_ylim(-0.7, n - 0.1)
    ax.set_xlabel(xlabel)
    _format_axis(ax.xaxis, percent=percent, decimal_comma=decimal_comma, thousands=False)
    return _finish(fig, ax, grid="x")


@_quiet_glyphs
def forest_plot(table: pd.DataFrame, *, observed: int | None = None, title: str | None = None) -> str:
    """The forest plot of a ``compare.csv`` table (:func:`darkfigure.comparison.forest_plot`) as a data URI.

    Returns
    -------
    str
        PNG data URI.
    """
    import tempfile
    from pathlib import Path

    from ..comparison import forest_plot as draw

    with tempfile.TemporaryDirectory() as d:
        png = draw(table, Path(d) / "forest", title=title, observed=observed)[0]
        return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


@_quiet_glyphs
def step_curves_plot(curves: Sequence[tuple[str, pd.DataFrame]], *, k_years: float | None = None) -> str:
    """Cumulative incidence curves (Kaplan-Meier steps) with interval bands.

    Parameters
    ----------
    curves : sequence of (label, DataFrame)
        Each frame has columns ``time_years, cumulative, lower, upper`` (shares of 1).
    k_years : float, optional
        Horizon drawn as a vertical line (the "within k years" of the table).

    Returns
    -------
    str
        PNG data URI.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    colours = plt.get_cmap("tab10")
    for i, (label, d) in enumerate(curves):
        d = d.sort_values("time_years")
        t = d["time_years"].to_numpy(dtype=float)
        c = d["cumulative"].to_numpy(dtype=float)
        lo = d["lower"].to_numpy(dtype=float)
        hi = d["upper"].to_numpy(dtype=float)
        if t.size == 0 or t[0] > 0:
            t, c, lo, hi = np.r_[0.0, t], np.r_[0.0, c], np.r_[0.0, lo], np.r_[0.0, hi]
        col = colours(i % 10)
        ax.fill_between(t, lo, hi, step="post", color=col, alpha=0.18, lw=0)
        ax.step(t, c, where="post", color=col, lw=1.8, label=label)
    if k_years is not None and np.isfinite(k_years):
        ax.axvline(k_years, color=_GREY, ls=":", lw=1)
        ax.text(k_years, ax.get_ylim()[1] * 0.95, f" {k_years:g} years", color=_GREY, fontsize=8, va="top")
    _format_axis(ax.yaxis, percent=True)
    ax.set_xlabel("years since first registration")
    ax.set_ylabel("share victimised again")
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    return _finish(fig, ax, legend="upper left")


@_quiet_glyphs
def weight_histogram_plot(table: pd.DataFrame, *, threshold: float | None = None) -> str:
    """Match-weight histogram of a linkage (``linkage_weights.csv``): scored pairs per weight bin.

    Parameters
    ----------
    table : DataFrame
        Columns ``weight_lower, weight_upper, pairs`` (and ``above_threshold``), as
        :func:`darkfigure.linkage.quality.weight_histogram` writes; weights in bits
        (log2 Bayes factor, Fellegi & Sunter 1969).
    threshold : float, optional
        Match probability of the linkage, drawn at its weight log2(p / (1 - p)).

    Returns
    -------
    str
        PNG data URI.
    """
    plt = _plt()
    lo = table["weight_lower"].to_numpy(dtype=float)
    hi = table["weight_upper"].to_numpy(dtype=float)
    n = table["pairs"].to_numpy(dtype=float)
    above = table["above_threshold"].to_numpy(dtype=int) if "above_threshold" in table else np.zeros(len(n), int)
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    ax.bar(lo, n, width=hi - lo, align="edge", color=np.where(above == 1, _BLUE, _LIGHT), edgecolor="white", lw=0.3)
    if threshold is not None and 0 < threshold < 1:
        ax.axvline(np.log2(threshold / (1 - threshold)), color="#b22222", ls="--", lw=1, label="threshold")
        ax.legend(fontsize=8)
    if (n > 0).any() and n.max() / max(n[n > 0].min(), 1) > 100:
        ax.set_yscale("log")
    ax.set_xlabel("match weight (bits: log2 Bayes factor)")
    ax.set_ylabel("record pairs")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return to_data_uri(fig)


@_quiet_glyphs
def assumption_plot(
    psi: Sequence[float],
    nhat: Sequence[float],
    *,
    usual: float,
    observed: float | None = None,
    bounds: Sequence[float] | None = None,
    level: str = "95%",
    as_linked: bool = False,
) -> str:
    """N̂ against psi (log axis) as the identifying assumption is relaxed (:mod:`darkfigure.sensitivity`).

    Parameters
    ----------
    psi, nhat : sequence of float, shape (n_points,)
        The grid of psi and N̂ at each point.
    usual : float
        The usual N̂ (psi = 1), marked.
    observed : float, optional
        Persons registered, drawn as a dotted line (N cannot be below it).
    bounds : (lower, upper), optional
        Sun et al.'s confidence bounds over the range, drawn as dashed lines (an infinite upper one is left out).
    level : str
        Label of the bounds' level.
    as_linked : bool
        Whether the curve is for the histories as linked while the run's headline N̂ is corrected for linkage
        error: the marked N̂ is then labelled "as linked".

    Returns
    -------
    str
        PNG data URI.
    """
    plt = _plt()
    x = np.asarray(psi, dtype=float)
    y = np.asarray(nhat, dtype=float)
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    ax.plot(x, y, color=_BLUE, lw=2, marker="o", ms=4, label="N̂(ψ)")
    ax.plot([1.0], [usual], marker="D", ms=9, color="#c0392b", ls="none", label=f"usual N̂ (ψ = 1){' as linked' if as_linked else ''}: {usual:,.0f}")
    if bounds is not None:
        for j, b in enumerate(bounds):
            if b is not None and np.isfinite(b):
                ax.axhline(b, color=_BLUE, ls="--", lw=1, alpha=0.7, label=f"{level} bounds" if j == 0 else None)
    if observed is not None:
        ax.axhline(observed, color=_GREY, ls=":", lw=1.5, label=f"registered: {observed:,.0f}")
    ax.set_xscale("log")
    from matplotlib.ticker import FixedLocator, NullLocator

    ticks = sorted({float(v) for v in (x[0], 1.0, x[-1])} | {t for t in (0.5, 2.0) if x[0] <= t <= x[-1]})
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([(f"1/{1 / t:g}" if t < 1 and abs(1 / t - round(1 / t)) < 1e-9 else f"{t:g}") for t in ticks])
    ax.set_xlabel("ψ: dependence among the unobserved relative to the model's (odds ratio, log scale)")
    ax.set_ylabel("estimated number N̂")
    _format_axis(ax.yaxis)
    ax.set_ylim(bottom=0)
    return _finish(fig, ax, legend="upper left")
