"""The publication report (``darkfigure report RUN --audience public``): what a rapporteur can publish.

Beside the analyst report (:mod:`darkfigure.report.build`), one offline HTML page for
publication, built from the same run folder (``estimate``, ``monitor`` or ``compare``):

* **Rounded figures.** Every estimate is rounded to the precision its interval supports
  (:func:`rounding_unit`): "about 5,000 (4,000–7,000)", never "5,123 (4,012–7,345)".
* **The trend by year** with its band, **visibility by subgroup** (registered ÷ estimated)
  with intervals, **SDG 16.2.2 rates** per 100,000 inhabitants (when the run has a
  population table; otherwise omitted with a note).
* **Only disclosure-controlled tables**: every row goes through
  :func:`darkfigure.monitoring.disclosure.suppress` (primary and secondary suppression of
  small counts), and a hidden row shows no number at all.
* **Linkage-corrected figures** when the run corrected N̂ for record-linkage error.
* **A methods note** written from the run's settings, **the caveats that matter** in
  plain words (a fixed catalogue keyed by the run's checks and warnings; the others are
  counted and left to the analyst report), and, when present, the sensitivity to the
  identifying assumption (``result.json`` ``identifying_assumption``, in plain rounded
  words written from its numbers) and the reasoned headline of ``compare`` (``compare.json``
  ``headline``: one translated sentence per rule that fired, the methods it left out marked
  in the "Estimates by method" table; the English reasons stay in the analyst report).
* **The key figure follows the run's verdict** (``result.json`` ``to_publish``): when N̂ is
  not to be published, the page shows the range or the lower limit that may be.
* **Readable labels** for lists, covariates and levels (:mod:`darkfigure.report.labels`),
  **in English or Dutch** through a gettext catalogue (``report/locale/<lang>/LC_MESSAGES/
  darkfigure.po``, compiled to ``.mo`` by ``scripts/translations.py``) and jinja2's i18n
  extension, so that more languages can follow.
* Optionally a **PDF** printed by headless Chromium (:func:`print_pdf`).
"""

from __future__ import annotations

import gettext
import math
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import DataError
from . import plots
from .build import Run, _single_level, load_run
from .explain import explain
from .labels import LANGUAGES, LabelCatalogue, load_labels, unknown_keys

__all__ = ["LOCALE_DIR", "DOMAIN", "Figure", "rounding_unit", "round_figure", "format_number", "translations",
           "render_public_report", "build_public_report", "print_pdf", "find_chromium", "DEFAULT_THRESHOLD",
           "ChromiumMissing", "unknown_label_keys"]

#: Folder of the gettext catalogues (``<lang>/LC_MESSAGES/darkfigure.po`` and ``.mo``).
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "darkfigure"
#: Disclosure threshold K when the run records none (estimate and compare runs): the monitor's default.
DEFAULT_THRESHOLD = 10


def translations(lang: str) -> gettext.NullTranslations:
    """The gettext translations of the public report in `lang` (English: the source texts).

    Raises
    ------
    DataError
        `lang` is not one of :data:`~darkfigure.report.labels.LANGUAGES`, or its compiled
        catalogue (``.mo``) is missing from the installation.
    """
    lang = str(lang).strip().lower()  # --lang EN is English
    if lang not in LANGUAGES:
        raise DataError(f"--lang {lang!r} is not available; choose one of {', '.join(LANGUAGES)}")
    if lang == "en":
        return gettext.NullTranslations()
    try:
        return gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[lang])
    except OSError:
        raise DataError(
            f"the translation catalogue for --lang {lang} is missing ({LOCALE_DIR / lang / 'LC_MESSAGES'}/"
            f"{DOMAIN}.mo); reinstall darkfigure or run scripts/translations.py to compile it"
        ) from None


# ----------------------------------------------------------------------------- rounding
def rounding_unit(lower: float, upper: float, value: float | None = None, *, smallest: float = 1.0) -> float:
    """The rounding unit a figure's interval supports: a power of ten.

    Rule: the unit is the largest power of ten not above half the interval's width,
    ``10 ** floor(log10((upper - lower) / 2))`` — the figure and its interval ends keep
    the digits down to the first significant digit of the half-width (the "±" of the
    interval) and no more. So 5,123 (4,012–7,345), half-width 1,667, is rounded to
    thousands: "5,000 (4,000–7,000)"; 8,291 (7,998–8,646), half-width 324, to hundreds.

    Then guards, so that no number loses its first digit:

    * the value and a positive lower end keep at least one significant digit
      (unit <= 10 ** floor(log10(x)) for x = value, lower): 12,345 (7,400–27,000),
      half-width 9,800, is "12,000 (7,000–27,000)", not "10,000 (10,000–30,000)";
    * the unit is at least `smallest` (1 for counts of persons, 0.1 for percentages,
      0.01 for rates per 100,000), which wins over the guard above.

    With an open upper end (inf) the half-width is ``value - lower``; without an interval
    (NaN ends) the value is given to two significant digits.

    Parameters
    ----------
    lower, upper : float
        The interval (same units as `value`).
    value : float, optional
        The point estimate.
    smallest : float
        A power of ten: the finest unit allowed.

    Returns
    -------
    float
        A power of ten.

    References
    ----------
    The convention of reporting a measurement to the first significant digit of its
    uncertainty (JCGM 100:2008, *Guide to the expression of uncertainty in measurement*,
    7.2.6); UNODC's MSE research briefs publish rounded figures such as "about 5,000".
    """
    lo, hi = float(lower), float(upper)
    v = float(value) if value is not None else float("nan")
    smallest_e = round(math.log10(smallest))
    if math.isfinite(lo) and math.isfinite(hi) and hi > lo:
        hw = (hi - lo) / 2
    elif math.isfinite(lo) and math.isinf(hi) and math.isfinite(v) and v > lo:
        hw = v - lo
    else:
        hw = float("nan")
    if math.isfinite(hw) and hw > 0:
        e = math.floor(math.log10(hw))
    elif math.isfinite(v) and v != 0:
        e = math.floor(math.log10(abs(v))) - 1  # no interval: two significant digits
    else:
        e = smallest_e
    for x in (v, lo):
        if math.isfinite(x) and x > 0:
            e = min(e, math.floor(math.log10(x)))
    return 10.0 ** max(e, smallest_e)


def _round(x: float, e: int) -> float:
    """`x` rounded half away from zero to a multiple of 10**e (exact decimal arithmetic)."""
    if not math.isfinite(x):
        return x
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(e), rounding=ROUND_HALF_UP))


@dataclass
class Figure:
    """A figure with its interval, rounded to the precision the interval supports.

    Attributes
    ----------
    value, lower, upper : float
        Rounded (NaN where missing; inf for an open upper end).
    unit : float
        The rounding unit (:func:`rounding_unit`).
    text, lower_text, upper_text : str
        Formatted in the report's language (thousands separators, decimal mark).
    suffix : str
        "%" for percentages, else "".
    """

    value: float
    lower: float
    upper: float
    unit: float
    text: str = ""
    lower_text: str = ""
    upper_text: str = ""
    suffix: str = ""

    @property
    def ok(self) -> bool:
        """Whether there is a figure at all (a finite value)."""
        return math.isfinite(self.value)

    @property
    def has_interval(self) -> bool:
        """Whether a lower end is known (the upper end may be open)."""
        return math.isfinite(self.lower)

    @property
    def open_upper(self) -> bool:
        """Whether the interval has no upper limit."""
        return math.isinf(self.upper)


def format_number(x: float, unit: float, lang: str = "en") -> str:
    """`x` with the decimals of `unit` and the language's separators (en 12,345.6; nl 12.345,6)."""
    if not math.isfinite(x):
        return "∞" if x > 0 else "–"
    decimals = max(0, -round(math.log10(unit)))
    s = f"{x:,.{decimals}f}"
    if lang == "nl":
        s = s.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return s


def round_figure(value: float, lower: float, upper: float, *, smallest: float = 1.0, lang: str = "en",
                 scale: float = 1.0, suffix: str = "") -> Figure:
    """Round a figure and its interval together (:func:`rounding_unit`) and format them.

    Parameters
    ----------
    value, lower, upper : float
        The figure and its interval, in the units of the data.
    smallest : float
        Finest unit allowed (after `scale`).
    lang : str
        Language of the number format.
    scale : float
        Multiply first (100 for shares shown as percentages).
    suffix : str
        Appended to each formatted number ("%").

    Returns
    -------
    Figure
    """
    v, lo, hi = (float(x) * scale if x is not None else float("nan") for x in (value, lower, upper))
    u = rounding_unit(lo, hi, v, smallest=smallest)
    e = round(math.log10(u))
    rv, rlo, rhi = _round(v, e), _round(lo, e), _round(hi, e)
    return Figure(rv, rlo, rhi, u, format_number(rv, u, lang), format_number(rlo, u, lang),
                  format_number(rhi, u, lang), suffix)


# ----------------------------------------------------------------------------- reading the run
def _f(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


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

    def fig(self, value, lower, upper) -> Figure:
        """A count with its interval, rounded (an end below the threshold is not shown as such)."""
        return round_figure(value, lower, upper, lang=self.lang)

    def pct(self, value, lower, upper) -> Figure:
        """A share of 1 as a percentage with its interval."""
        return round_figure(value, lower, upper, smallest=0.1, lang=self.lang, scale=100, suffix="%")

    def rate(self, value, lower, upper) -> Figure:
        """A rate per 100,000 with its interval."""
        return round_figure(value, lower, upper, smallest=0.01, lang=self.lang)


def _level_text(c: _Ctx, group: str, level: str) -> tuple[str, str]:
    """(covariate label, level label) of a row; a pair of levels ``a:b`` of group ``AxB`` is joined."""
    return c.labels.covariate_label(group), c.labels.level_label(group, level)


def _headline(c: _Ctx, run: Run, t: pd.DataFrame | None) -> dict | None:
    _ = c._
    res = run.result or {}
    if res:
        total = t[(t["group"] == "total") & (t["year"] == "")] if t is not None else None
        lk = res.get("linkage") or {}
        if total is not None and len(total):
            r = total.iloc[0]
            nhat, lo, hi, obs = _f(r["nhat"]), _f(r["lower"]), _f(r["upper"]), _f(r["observed"])
        elif lk.get("nhat_corrected") is not None:
            nhat, lo, hi = _f(lk["nhat_corrected"]), _f(lk.get("lower")), _f(lk.get("upper"))
            obs = _f((res.get("data") or {}).get("observed"))
        else:
            iv = res.get("interval") or {}
            nhat, lo, hi = _f(res.get("nhat")), _f(iv.get("lower")), _f(iv.get("upper"))
            obs = _f((res.get("data") or {}).get("observed"))
        if not math.isfinite(nhat):
            return {"kind": "none", "observed": c.count(obs)}
        out: dict[str, Any] = {"kind": "estimate", "fig": c.fig(nhat, lo, hi), "observed": c.count(obs),
                               "corrected": lk.get("nhat_corrected") is not None}
        if obs >= c.threshold and nhat > 0:
            out["visibility"] = c.pct(obs / nhat, obs / hi if hi > 0 else float("nan"),
                                      obs / lo if lo > 0 else float("nan"))
            out["ratio"] = round_figure(nhat / obs, lo / obs, hi / obs, smallest=0.01, lang=c.lang)
        iv = res.get("interval") or {}
        out["level"] = f"{_f(iv.get('level', 0.95)):.0%}"
        tp = res.get("to_publish")
        if isinstance(tp, dict):
            pub = _to_publish(c, tp, out)
            if out["corrected"] and pub.get("why"):
                # to_publish judged the estimate as linked; the corrected figure stays, with the verdict beside it
                pub = {"publish_note": pub["why"]}
            out.update(pub)
        return out
    info = run.compare_info or {}
    obs = _f((info.get("data") or {}).get("observed"))
    hl = info.get("headline")
    if isinstance(hl, dict) and math.isfinite(_f(hl.get("low"))) and math.isfinite(_f(hl.get("high"))):
        lo, hi = _f(hl["low"]), _f(hl["high"])
        f = round_figure((lo + hi) / 2, lo, hi, lang=c.lang)
        out = {"kind": "range", "low": f.lower_text, "high": f.upper_text, "observed": c.count(obs),
               "reasoned": True}
        out.update(_headline_reasons(c, run, hl))
        return out
    cmp_ = run.compare
    if cmp_ is not None and len(cmp_):
        n = pd.to_numeric(cmp_["nhat"], errors="coerce")
        n = n[np.isfinite(n)]
        if len(n):
            f = round_figure(float(n.median()), float(n.min()), float(n.max()), lang=c.lang)
            return {"kind": "range", "low": f.lower_text, "high": f.upper_text, "observed": c.count(obs),
                    "reasons": [], "reasoned": False, "missing_headline": run.compare_info is not None
                    or run.result is None}
    return None


#: The headline's reasons for dropping a method (``compare.json`` headline ``dropped``), by the start of the text.
_DROP_KINDS = (("no estimate", "no-estimate"), ("not identified", "not-identified"), ("poor fit", "poor-fit"),
               ("failed validation", "failed-validation"), ("below chao", "below-chao"))


def _drop_kind(reason: str) -> str:
    """The rule (``no-estimate``, ``poor-fit``, ...) that dropped a method, from its reason text; "" if unknown."""
    r = str(reason).strip().lower()
    return next((k for start, k in _DROP_KINDS if r.startswith(start)), "")


def _drop_phrase(c: _Ctx, reason: str) -> str:
    """A short translated phrase for why the headline left a method out (the "Estimates by method" table)."""
    _ = c._
    return {"no-estimate": _("left out: no estimate"),
            "not-identified": _("left out: the data do not bound it"),
            "poor-fit": _("left out: does not fit the data"),
            "failed-validation": _("left out: failed the hold-out test"),
            "below-chao": _("left out: too low for victims who differ in visibility")}.get(
        _drop_kind(reason), _("left out (see the analyst report)"))


def _method_family(c: _Ctx, method: str) -> str:
    """A method named in words for a sentence (no codes): its family, e.g. "models in which victims differ"."""
    _ = c._
    low = str(method).lower()
    if low.startswith("loglinear-"):
        return _("the log-linear model chosen by a stepwise search")
    if low in ("bic-exhaustive", "exhaustive", "downhill"):
        return _("the log-linear models whose choice is repeated in every resample")
    if low.startswith("mth"):
        return _("the models in which both victims and registers differ")
    if low.startswith("mh"):
        return _("the models in which victims differ in visibility")
    if low == "m0":
        return _("the model in which all registers and victims are alike")
    if low == "mt":
        return _("the model of independent registers")
    if low == "lcmcr":
        return _("the model of latent classes of victims")
    if low == "dga":
        return _("the average over dependence graphs")
    return _method_label(c, method)


def _upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def _families(c: _Ctx, methods) -> str:
    """Methods as a readable enumeration of their families, each family once ("a, b and c")."""
    names: list[str] = []
    for m in methods:
        f = _method_family(c, m)
        if f not in names:
            names.append(f)
    if len(names) <= 1:
        return "".join(names)
    return c._("{a} and {b}").format(a=", ".join(names[:-1]), b=names[-1])


def _headline_reasons(c: _Ctx, run: Run, hl: dict) -> dict:
    """The compare headline in plain, translated sentences: one per rule that fired (``compare.json`` headline).

    Built from ``rules``, ``kept``, ``dropped`` and ``data_can_choose`` (darkfigure.headline,
    docs/headline_rules.md), never from the English ``reasons`` (which quote method codes,
    deviances and p-values: they stay in the analyst report). Returns ``verdict`` (agree,
    one-left, cannot-choose, two-explanations, none-kept or unknown), ``reasons`` (sentences) and ``status`` (method ->
    kept/left-out phrase for the "Estimates by method" table; empty without ``kept``).
    """
    _ = c._
    rules = [str(r) for r in hl.get("rules") or []]
    kept = [str(m) for m in hl.get("kept") or []]
    dropped = {str(k): str(v) for k, v in (hl.get("dropped") or {}).items()}
    by_rule: dict[str, list[str]] = {}
    for m, why in dropped.items():
        by_rule.setdefault(_drop_kind(why), []).append(m)
    rows = {}
    if run.compare is not None:
        rows = {str(r["method"]): r for _i, r in run.compare.iterrows()}
    if "none-kept" in rules:
        verdict = "none-kept"
    elif "cannot-choose" in rules:
        verdict = "cannot-choose"
    elif "chao-vs-negative-dependence" in rules or hl.get("data_can_choose") is False:
        verdict = "two-explanations"  # the kept methods agree, but the data cannot tell two causes apart
    elif "agree" in rules:
        verdict = "one-left" if len(kept) == 1 else "agree"
    else:
        verdict = "unknown"
    reasons: list[str] = []
    other = 0
    for rule in rules:
        ms = by_rule.get(rule, [])
        if rule == "no-estimate":
            reasons.append(_("{methods} gave no estimate on these data and are left out.").format(
                methods=_upper_first(_families(c, ms)) if ms else _("Some methods")))
        elif rule == "not-identified":
            reasons.append(_("The data set no upper limit to the number of victims under {methods}, which are "
                             "therefore left out.").format(methods=_families(c, ms) or _("some methods")))
        elif rule == "poor-fit":
            reasons.append(_("These methods describe the overlap between the registers in a way the data "
                             "contradict, and are left out: {methods}.").format(
                methods=_families(c, ms) or _("some methods")))
        elif rule == "failed-validation":
            reasons.append(_("Leaving out one register at a time and estimating its known size from the others, "
                             "{methods} missed by a wide margin; they are left out.").format(
                methods=_families(c, ms) or _("some methods")))
        elif rule == "below-chao":
            if ms:
                reasons.append(_("Victims differ in how likely they are to be registered, so the true number is at "
                                 "least a known minimum; {methods} lie clearly below it and are left out.").format(
                    methods=_families(c, ms)))
            else:
                reasons.append(_("Victims differ in how likely they are to be registered; none of the remaining "
                                 "methods lies below the minimum this implies."))
        elif rule == "chao-raise":
            reasons.append(_("Because victims differ in how likely they are to be registered, the low end of the "
                             "range is raised to the minimum this implies."))
        elif rule == "chao-vs-negative-dependence":
            reasons.append(_("The data cannot tell whether victims differ in how likely they are to be registered "
                             "or whether some registers tend to miss each other's victims; the range covers both."))
        elif rule == "agree":
            live = [m for m in kept if m in rows and math.isfinite(_f(rows[m]["lower"]))
                    and math.isfinite(_f(rows[m]["upper"]))]
            if len(kept) == 1:
                reasons.append(_("One method is left, {methods}; the range is its interval.").format(
                    methods=_families(c, kept)))
            elif live:
                a, b = max(_f(rows[m]["lower"]) for m in live), min(_f(rows[m]["upper"]) for m in live)
                f = round_figure((a + b) / 2, a, b, lang=c.lang)
                reasons.append(_("The {n} methods left ({methods}) agree: their intervals overlap between about "
                                 "{low} and {high}. The range spans all their intervals.").format(
                    n=len(kept), methods=_families(c, kept), low=f.lower_text, high=f.upper_text))
            else:
                reasons.append(_("The {n} methods left ({methods}) agree: their intervals overlap.").format(
                    n=len(kept), methods=_families(c, kept)))
        elif rule == "cannot-choose":
            reasons.append(_("The {n} methods left ({methods}) give figures whose intervals do not all overlap, "
                             "and the data cannot tell which is right; the range spans them all.").format(
                n=len(kept), methods=_families(c, kept)))
        elif rule == "none-kept":
            reasons.append(_("Every method is contradicted by some check of the data: the range spans every method "
                             "that gives an estimate and needs a closer look before it is published."))
        else:
            other += 1
    if not rules:
        other = len(hl.get("reasons") or [])
    status = {}
    if kept or dropped:
        status = {m: (_("used for the range") if m in kept else _drop_phrase(c, dropped.get(m, "")))
                  for m in rows}
    return {"verdict": verdict, "reasons": reasons, "status": status, "other_reasons": other}


def _to_publish(c: _Ctx, tp: dict, est: dict) -> dict:
    """The key figure as ``result.json`` ``to_publish`` allows (darkfigure.headline.publish_statement).

    When the run says not to publish N̂ with its interval (``publish_interval`` false), the page
    shows what it may publish instead: the range ``low``–``high``, or "at least ``low``" when
    ``high`` is null, with one translated sentence per rule; with no ``low`` at all, no figure.
    Returns the keys to update the headline dict with (``kind`` ``publish-range``,
    ``publish-floor`` or ``none``, ``low``, ``high``, ``why``; ``publish_note`` for a caveat
    that keeps the point estimate).
    """
    _ = c._
    rules = [str(r) for r in tp.get("rules") or []]
    if tp.get("publish_interval") is True:
        if "no-checks" in rules:
            return {"publish_note": _("No check of how the registers overlap can be run on these data (with two "
                                      "registers none can), so the figure rests on its model alone; publish it only "
                                      "with that caveat.")}
        if set(rules) - {"agree"}:  # a rule this page has no sentence for: say that there is a caveat
            return {"publish_note": _("The analysis publishes this figure with a caveat; the analyst report says "
                                      "which.")}
        return {}
    why = {
        "poor-fit": _("The model does not fit how the registers overlap, so its single figure is not published; "
                      "only the range is. A comparison of several methods (darkfigure compare) gives a "
                      "better-founded range."),
        "not-identified": _("The registers overlap too little to set an upper limit: only a lower limit can be "
                            "published."),
        "heterogeneity": _("Victims differ in how likely they are to be registered, so the model's figure is "
                           "likely too low: only its lower limit is published, as a floor."),
        "below-chao": _("Victims differ in how likely they are to be registered, and the model's figure lies below "
                        "the minimum this implies: only that minimum is published, as a floor."),
        "chao-vs-negative-dependence": _("The data cannot tell whether victims differ in how likely they are to be "
                                         "registered or whether some registers tend to miss each other's victims, "
                                         "so only a lower limit is published."),
        "none-kept": _("The data do not determine the number of victims under the model."),
    }
    texts = [why[r] for r in rules if r in why]
    if not texts:
        texts = [_("The analysis advises against publishing the model's single figure; the analyst report says "
                   "why.")]
    lo, hi = _f(tp.get("low")), _f(tp.get("high"))
    if not math.isfinite(lo):
        return {"kind": "none", "why": texts[0]}
    if "heterogeneity" in rules:
        hi = float("nan")  # the statement publishes the lower limit as a floor
    if math.isfinite(hi) and hi > lo:
        f = round_figure((lo + hi) / 2, lo, hi, lang=c.lang)
        return {"kind": "publish-range", "low": f.lower_text, "high": f.upper_text, "why": " ".join(dict.fromkeys(texts))}
    f = round_figure(lo, float("nan"), float("nan"), lang=c.lang)
    return {"kind": "publish-floor", "low": f.text, "why": " ".join(dict.fromkeys(texts))}


def _check_result(res: dict, folder: Path) -> None:
    """Refuse a ``result.json`` whose N̂ or interval are not numbers (a hand-edited or damaged file).

    Raises
    ------
    DataError
        ``nhat`` is neither a number nor null, ``interval`` is missing while N̂ is a number,
        or one of its ends is neither a number nor null (the message names the field).
    """
    where = f"{str(Path(folder) / 'result.json')!r}"

    def num(v) -> bool:
        """True for None or a real number (bool excluded): what result.json may hold for a figure."""
        return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))

    if "nhat" not in res:
        return  # a monitor's result.json: the figures are in monitor.csv
    if not num(res["nhat"]):
        raise DataError(f"{where}: 'nhat' is {res['nhat']!r}, not a number; the file was edited or damaged — run "
                        "darkfigure estimate again to rewrite it")
    iv = res.get("interval")
    if iv is None and res["nhat"] is not None:
        raise DataError(f"{where}: 'interval' is missing although N̂ is {res['nhat']!r}; the file was edited or "
                        "damaged — run darkfigure estimate again to rewrite it")
    if iv is not None:
        if not isinstance(iv, dict):
            raise DataError(f"{where}: 'interval' must be a table with lower and upper, not {iv!r}; run darkfigure "
                            "estimate again")
        for k in ("lower", "upper"):
            if not num(iv.get(k)):
                raise DataError(f"{where}: interval '{k}' is {iv.get(k)!r}, not a number; the file was edited or "
                                "damaged — run darkfigure estimate again to rewrite it")


def _calendar_year(y) -> bool:
    """Whether a year label reads as a calendar year (four digits), not a code such as 1-4."""
    return bool(re.fullmatch(r"\d{4}", str(y).strip()))


def _period(c: _Ctx, t: pd.DataFrame | None) -> str:
    """The years of the run as words: "2019–2021", or "years 1–4" when the years are coded."""
    if t is None:
        return ""
    years = sorted((y for y in t["year"].unique() if y), key=lambda y: (len(str(y)), str(y)))
    if not years:
        return ""
    span = years[0] if len(years) == 1 else f"{years[0]}–{years[-1]}"
    if all(_calendar_year(y) for y in years):
        return span
    return (c._("year {years}") if len(years) == 1 else c._("years {years}")).format(years=span)


def _trend(c: _Ctx, run: Run, t: pd.DataFrame | None, hidden: np.ndarray | None) -> dict | None:
    _ = c._
    if t is None or hidden is None:
        return None
    year_col = ((run.result or {}).get("monitor") or {}).get("year") or (
        (run.result or {}).get("settings") or {}).get("year")
    if run.monitor is not None:
        sel = (t["group"] == "total") & (t["year"] != "")
    elif year_col:
        sel = t["group"] == str(year_col)
    else:
        return None
    idx = np.flatnonzero(sel.to_numpy())
    if len(idx) == 0:
        return None
    rows = []
    for i in idx:
        r = t.iloc[i]
        year = r["year"] if run.monitor is not None else r["level"]
        if hidden[i]:
            rows.append({"year": year, "hidden": True, "observed": "<" + str(c.threshold)
                         if _f(r["observed"]) < c.threshold else "x"})
            continue
        rows.append({"year": year, "hidden": False, "observed": c.count(r["observed"]),
                     "fig": c.fig(r["nhat"], r["lower"], r["upper"]),
                     "visibility": c.pct(r["visibility"], r["visibility_lower"], r["visibility_upper"])})
    sub = t.iloc[idx]
    keep = ~hidden[idx]
    nan = np.nan
    plot = plots.band_plot(
        [row["year"] for row in rows],
        np.where(keep, pd.to_numeric(sub["nhat"], errors="coerce"), nan),
        np.where(keep, pd.to_numeric(sub["lower"], errors="coerce"), nan),
        np.where(keep, pd.to_numeric(sub["upper"], errors="coerce"), nan),
        observed=np.where(keep, pd.to_numeric(sub["observed"], errors="coerce"), nan),
        xlabel=_("year"), ylabel=_("number of victims"), label=_("estimated"), band_label=_("interval"),
        observed_label=_("registered"), title=_("Estimated and registered victims by year"),
        decimal_comma=c.lang == "nl",
    )
    return {"rows": rows, "plot": plot}


def _visibility(c: _Ctx, run: Run, t: pd.DataFrame | None, hidden: np.ndarray | None) -> dict | None:
    _ = c._
    if t is None or hidden is None:
        return None
    res = run.result or {}
    year_col = (res.get("monitor") or {}).get("year") or (res.get("settings") or {}).get("year")
    sel = (t["year"] == "") & (t["group"] != "total") & _single_level(t["level"])
    if year_col:
        sel &= t["group"] != str(year_col)
    idx = np.flatnonzero(sel.to_numpy())
    if len(idx) == 0:
        return None
    rows = []
    for i in idx:
        r = t.iloc[i]
        group, level = _level_text(c, r["group"], r["level"])
        row: dict[str, Any] = {"group": group, "level": level, "hidden": bool(hidden[i])}
        if hidden[i]:
            row["observed"] = f"<{c.threshold}" if _f(r["observed"]) < c.threshold else "x"
        else:
            row.update(observed=c.count(r["observed"]), fig=c.fig(r["nhat"], r["lower"], r["upper"]),
                       visibility=c.pct(r["visibility"], r["visibility_lower"], r["visibility_upper"]))
        rows.append(row)
    shown = [i for i in idx if not hidden[i]]
    plot = None
    if shown:
        s = t.iloc[shown]
        labs = [f"{g}: {lv}" for g, lv in (_level_text(c, a, b) for a, b in zip(s["group"], s["level"]))]
        total = t[(t["group"] == "total") & (t["year"] == "")]
        ref = _f(total["visibility"].iloc[0]) if len(total) else None
        plot = plots.interval_plot(
            labs, s["visibility"], s["visibility_lower"], s["visibility_upper"],
            groups=[c.labels.covariate_label(g) for g in s["group"]], percent=True,
            xlabel=_("share of victims registered (registered ÷ estimated)"), reference=ref,
            reference_label=_("all victims") if ref is not None else "", decimal_comma=c.lang == "nl",
        )
    return {"rows": rows, "plot": plot}


def _sdg(c: _Ctx, run: Run, t: pd.DataFrame | None, hidden: np.ndarray | None) -> dict | None:
    if t is None or hidden is None or "rate_per_100k" not in t.columns:
        return None
    res = run.result or {}
    year_col = (res.get("monitor") or {}).get("year")
    rows = []
    for i in range(len(t)):
        r = t.iloc[i]
        if r["group"] != "total" and (r["year"] != "" or not _single_level(pd.Series([r["level"]])).iloc[0]
                                      or r["group"] == year_col):
            continue  # the total by year, and each subgroup over all years
        if r["group"] == "total":
            group, level = c._("All victims"), ""
        else:
            group, level = _level_text(c, r["group"], r["level"])
        row: dict[str, Any] = {"group": group, "level": level, "year": r["year"] or c._("all years"),
                               "hidden": bool(hidden[i])}
        if not hidden[i]:
            if not math.isfinite(_f(r["rate_per_100k"])):
                continue
            row["fig"] = c.rate(r["rate_per_100k"], r.get("rate_lower"), r.get("rate_upper"))
        rows.append(row)
    return {"rows": rows} if rows else None


def _method_label(c: _Ctx, method: str) -> str:
    _ = c._
    m = str(method)
    low = m.lower()
    if low.startswith("loglinear-"):
        how = m.split("-", 1)[1].lower()
        return _("Log-linear model, registers may depend on each other (chosen by {how})").format(
            how=_("significance tests") if how == "pvalue" else how.upper().replace("AICC", "AICc"))
    if low in ("bic-exhaustive", "exhaustive"):
        return _("Log-linear model, all models searched (BIC)")
    if low == "downhill":
        return _("Log-linear model, downhill search")
    if low.startswith("mth"):
        return _("Victims differ in visibility, registers differ ({code})").format(code=m)
    if low.startswith("mh"):
        return _("Victims differ in visibility ({code})").format(code=m)
    if m == "M0":
        return _("All registers and victims alike (M0)")
    if m == "Mt":
        return _("Registers independent (Mt)")
    if low == "lcmcr":
        return _("Latent classes of victims (LCMCR)")
    if low == "dga":
        return _("Averaged over dependence graphs (dga)")
    return m


def _compare(c: _Ctx, run: Run, status: dict | None = None) -> dict | None:
    """The "Estimates by method" table; `status` (method -> phrase) marks what the headline kept or left out."""
    cmp_ = run.compare
    if cmp_ is None or not len(cmp_):
        return None
    status = status or {}
    rows = []
    for _i, r in cmp_.iterrows():
        n = _f(r["nhat"])
        row = {"method": _method_label(c, r["method"]), "ok": math.isfinite(n)}
        if math.isfinite(n):
            row["fig"] = c.fig(n, r["lower"], r["upper"])
        row["status"] = status.get(str(r["method"]), "")
        rows.append(row)
    return {"rows": rows, "has_status": bool(status)}


def _sensitivity(c: _Ctx, run: Run) -> dict | None:
    _ = c._
    ia = (run.result or {}).get("identifying_assumption")
    if not isinstance(ia, dict):
        return None
    lo, hi = _f(ia.get("low")), _f(ia.get("high"))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    f = round_figure((lo + hi) / 2, lo, hi, lang=c.lang)
    out: dict[str, Any] = {"low": f.lower_text, "high": f.upper_text, "explanation": _assumption_text(c, ia)}
    pts = _grid_points(ia.get("grid"))
    if len(pts) >= 2:
        xs, ys = zip(*sorted(pts))
        out["range"] = (f"{format_number(xs[0], rounding_unit(xs[0], xs[0], xs[0], smallest=0.01), c.lang)}–"
                        f"{format_number(xs[-1], rounding_unit(xs[-1], xs[-1], xs[-1], smallest=0.01), c.lang)}")
        out["plot"] = plots.band_plot(
            list(xs), ys, [lo] * len(ys), [hi] * len(ys), xlabel=_("assumed dependence among the unregistered"),
            ylabel=_("number of victims"), label=_("estimated"), band_label=_("range"),
            title=_("The estimate as the untestable assumption is relaxed"), decimal_comma=c.lang == "nl",
        )
    return out


def _ratio_text(c: _Ctx, x: float) -> str:
    """An odds ratio as words: 0.5 -> "0.5", 2 -> "2" (two significant digits, the language's decimal mark)."""
    if not (x > 0 and math.isfinite(x)):
        return "–"
    t = f"{_round(x, math.floor(math.log10(x)) - 1):g}"
    return t.replace(".", ",") if c.lang == "nl" else t


def _assumption_text(c: _Ctx, ia: dict) -> str:
    """The identifying assumption in plain, rounded, translated words (``result.json`` ``identifying_assumption``).

    Written from the numbers (the odds-ratio range studied, the range of N̂ and, when present,
    the confidence bounds), never from the English ``explanation``, which quotes N̂ unrounded
    and names ψ and profile likelihood: that stays in the analyst report.
    """
    _ = c._
    rng = ia.get("range") or ((ia.get("bounds") or {}).get("psi"))
    if not (isinstance(rng, (list, tuple)) and len(rng) == 2):
        pts = _grid_points(ia.get("grid"))
        rng = [min(x for x, _y in pts), max(x for x, _y in pts)] if len(pts) >= 2 else None
    text = _("The estimate assumes that, among the victims no register found, the registers depend on each other "
             "as the model infers from the registered victims; the data cannot check this.")
    if rng is not None and all(math.isfinite(_f(x)) and _f(x) > 0 for x in rng):
        text += " " + _("The range above allows that dependence to be between {a} and {b} times as strong.").format(
            a=_ratio_text(c, _f(rng[0])), b=_ratio_text(c, _f(rng[1])))
    conf = (ia.get("bounds") or {}).get("confidence")
    if isinstance(conf, (list, tuple)) and len(conf) == 2 and all(math.isfinite(_f(x)) for x in conf):
        a, b = _f(conf[0]), _f(conf[1])
        g = round_figure((a + b) / 2, a, b, lang=c.lang)
        text += " " + _("Allowing for chance as well, it lies between about {low} and {high}.").format(
            low=g.lower_text, high=g.upper_text)
    return text


# caveats that matter for a publication, keyed by the analyst report's explanation keys
def _caveat_texts(_) -> dict[str, tuple[str, str]]:
    return {
        "not-identified": (_("Some figures cannot be estimated"), _(
            "For some figures the registers do not overlap enough to tell how many victims none of them found; "
            "those figures are not given.")),
        "upper-far": (_("The data barely determine the total"), _(
            "The registers overlap too little to pin the total down: the interval is very wide. Treat the "
            "figures as very uncertain.")),
        "chao-lower-bound": (_("The estimate may be too low"), _(
            "Some victims are much less likely to be registered than others, and the model may not capture all "
            "of this. The true number may be higher than the estimate.")),
        "heterogeneity": (_("Victims differ in how visible they are"), _(
            "The registers tend to find the same victims, a sign that some victims are much harder to find than "
            "others; the estimate may be too low.")),
        "residuals-by-lists": (_("More victims on several registers than expected"), _(
            "More victims appear on several registers than the model expects; the estimate may be too low.")),
        "poor-fit": (_("The model fits the data poorly"), _(
            "The model's assumptions about how the registers overlap do not match the data well; the estimate "
            "may be biased.")),
        "open-interval": (_("No upper limit"), _("The data set no upper limit to the number of victims.")),
        "em-imputed": (_("Some characteristics were unknown"), _(
            "For some victims a characteristic (such as sex or age) was not recorded; it was filled in "
            "statistically from the other information, which adds uncertainty to the subgroup figures.")),
        "few-replicates": (_("The interval is approximate"), _(
            "The interval was computed from few repetitions of the resampling, so its ends are rough. Compute it "
            "again with more replicates before publishing.")),
        "unobserved-zero": (_("The model says nobody was missed"), _(
            "The model puts the number of unregistered victims at zero; that is rarely credible and the figure "
            "should not be published without expert review.")),
        "not-converged": (_("A computation did not settle"), _(
            "One of the computations did not converge; its figure is less reliable.")),
        "rhat": (_("A computation did not settle"), _(
            "One of the computations did not converge; its figure is less reliable.")),
        "ess": (_("A computation did not settle"), _(
            "One of the computations did not converge; its figure is less reliable.")),
        "sparse": (_("Small numbers"), _("Some subgroups are small; their figures are uncertain.")),
    }


_CHECK_KEYS = {"goodness_of_fit": "poor-fit", "residuals_by_number_of_lists": "residuals-by-lists",
               "chao_lower_bound": "chao-lower-bound", "heterogeneity": "heterogeneity"}


def _caveats(c: _Ctx, run: Run, t: pd.DataFrame | None) -> None:
    _ = c._
    texts = _caveat_texts(_)
    res = run.result or {}
    keys: list[str] = []
    shown = [] if t is None else [pd.to_numeric(t["nhat"], errors="coerce")]
    if run.compare is not None:
        shown.append(pd.to_numeric(run.compare["nhat"], errors="coerce"))
    if res and not math.isfinite(_f(res.get("nhat"))) or any((~np.isfinite(x)).any() for x in shown):
        keys.append("not-identified")
    other = 0
    for ch in res.get("checks") or []:
        if isinstance(ch, dict) and ch.get("flagged") and ch.get("name") in _CHECK_KEYS:
            keys.append(_CHECK_KEYS[ch["name"]])
    warnings = [str(w) for w in res.get("warnings") or []]
    warnings += [str(w) for w in ((res.get("linkage") or {}).get("warnings") or [])]
    if run.compare is not None and "warnings" in run.compare.columns:
        for w in run.compare["warnings"].dropna().astype(str):
            warnings += [p.strip() for p in w.split(" | ") if p.strip()]
    for w in warnings:
        k = explain(w).key
        if k == "not-identified":  # said from the figures themselves (below): a warning may concern a model not used
            continue
        if k in texts:
            keys.append(k)
        else:
            other += 1
    seen: set[str] = set()
    for k in keys:
        title, text = texts[k]
        if title in seen:
            continue
        seen.add(title)
        c.caveats.append({"title": title, "text": text})
    iv = res.get("interval") or {}
    if iv.get("conditional_on_chosen_model"):
        c.caveats.append({"title": _("The interval assumes the chosen model is right"), "text": _(
            "The interval does not include the uncertainty of choosing the model among others that fit about as "
            "well; the real uncertainty is larger.")})
    if res.get("identifying_assumption"):
        c.caveats.append({"title": _("An assumption that cannot be tested"), "text": _(
            "Every estimate of this kind rests on an assumption about the victims no register found, which the "
            "data cannot check. The section on that assumption shows how much the estimate moves when it is "
            "relaxed.")})
    if other:
        c.notes.append(c._("{n} further technical message(s) are explained in the analyst report "
                           "(darkfigure report without --audience public).").format(n=other))


def _model_terms(c: _Ctx, res: dict) -> tuple[list[str], list[str]]:
    """(pairs of dependent lists, covariates registration depends on) of the chosen model, labelled."""
    lists = set((res.get("data") or {}).get("lists") or [])
    pairs, by = [], []
    for term in ((res.get("model") or {}).get("interactions") or []):
        parts = str(term).split(":")
        ls = [p for p in parts if p in lists]
        cs = [p for p in parts if p not in lists]
        if len(ls) >= 2 and not cs:
            pairs.append(" – ".join(c.labels.list_label(x) for x in ls))
        elif ls and cs:
            for x in cs:
                lab = c.labels.covariate_label(x)
                if lab not in by:
                    by.append(lab)
    return pairs, by


def _methods_note(c: _Ctx, run: Run) -> list[str]:
    _ = c._
    res = run.result or {}
    info = res.get("data") or (run.compare_info or {}).get("data") or {}
    lists = [c.labels.list_label(x) for x in info.get("lists") or []]
    out = []
    if lists:
        out.append(_("The number of victims was estimated by multiple systems estimation (capture–recapture) "
                     "from the registers of {k} organisations ({lists}): the overlap between the registers shows how "
                     "many victims none of them found.").format(
            k=len(lists), lists=", ".join(lists)))
    settings = res.get("settings") or {}
    covs = [c.labels.covariate_label(x) for x in settings.get("covariates") or info.get("covariates") or []]
    if res:
        avg = res.get("averaging")
        search = res.get("search") or {}
        crit = {"bic": "BIC", "aic": "AIC", "aicc": "AICc", "pvalue": _("significance tests")}
        if avg:
            out.append(_("The estimate is an average over the log-linear models that fit the data about equally "
                         "well, weighted by {crit}.").format(crit=crit.get(str(avg.get("criterion")), "AIC")))
        elif settings.get("model"):
            out.append(_("A log-linear model given by the analyst was used."))
        elif search:
            out.append(_("A log-linear model was chosen by {crit} in a stepwise search among models in which "
                         "registers may depend on each other.").format(
                crit=crit.get(str(search.get("criterion")), str(search.get("criterion")))))
        pairs, by = _model_terms(c, res)
        if pairs:
            out.append(_("In the chosen model these registers depend on each other: {pairs}.").format(
                pairs="; ".join(pairs)))
        elif res.get("model"):
            out.append(_("In the chosen model the registers are independent of each other."))
        if covs:
            out.append(_("The model takes these characteristics of the victims into account: {covs}.").format(
                covs=", ".join(covs)))
        if by:
            out.append(_("The chance of being registered differs by: {covs}.").format(covs=", ".join(by)))
        iv = res.get("interval") or {}
        b = res.get("bootstrap") or {}
        kinds = {"parametric": _("parametric bootstrap"), "averaged": _("bootstrap over the averaged models"),
                 "nonparametric-bca": _("nonparametric bootstrap"),
                 "nonparametric-percentile": _("nonparametric bootstrap"), "profile": _("profile likelihood")}
        kind = kinds.get(str(iv.get("method")), str(iv.get("method") or ""))
        level = f"{_f(iv.get('level', 0.95)):.0%}"
        if b.get("replicates"):
            out.append(_("The intervals are {level} intervals from a {kind} with {reps} replicates (random seed "
                         "{seed}).").format(level=level, kind=kind, reps=format_number(b["replicates"], 1, c.lang),
                                            seed=settings.get("seed")))
        elif iv.get("method") and iv.get("method") != "none":
            out.append(_("The intervals are {level} intervals ({kind}).").format(level=level, kind=kind))
        lk = res.get("linkage") or {}
        if lk.get("nhat_corrected") is not None:
            out.append(_("Records of the same person in different registers were linked by probabilistic record "
                         "linkage; the figures are corrected for linkage errors and their intervals include the "
                         "uncertainty of the linkage (estimate as linked: {asl}).").format(
                asl=c.fig(lk.get("nhat_as_linked"), lk.get("lower"), lk.get("upper")).text))
    elif run.compare_info is not None or run.compare is not None:
        ci = run.compare_info or {}
        out.append(_("Several estimation methods were applied to the same data; each rests on its own "
                     "assumptions about the registers and the victims (random seed {seed}, {reps} bootstrap "
                     "replicates).").format(seed=ci.get("seed"), reps=format_number(_f(ci.get("reps")), 1, c.lang)))
    out.append(_("Tables show no number of registered victims below {k}: such cells are marked <{k}, and cells "
                 "from which they could be derived are marked x (statistical disclosure control).").format(
        k=c.threshold))
    version = res.get("darkfigure_version") or (run.compare_info or {}).get("darkfigure_version") or __version__
    date = str(res.get("run_date") or (run.compare_info or {}).get("run_date") or "")[:10]
    out.append(_("Computed with darkfigure {version} on {date}.").format(version=version, date=date or "–"))
    return out


def _context(run: Run, lang: str, labels: dict | None) -> dict:
    if run.result:
        _check_result(run.result, run.folder)
    tr = translations(lang)
    _ = tr.gettext
    res = run.result or {}
    info = res.get("data") or (run.compare_info or {}).get("data") or {}
    cat = LabelCatalogue(lang=lang, dataset=info.get("name"), user=labels)
    c = _Ctx(lang=lang, _=_, labels=cat, threshold=_threshold(run))
    from ..monitoring.disclosure import suppress

    t = _rows_table(run)
    hidden = None
    if t is not None:
        obs = pd.to_numeric(t["observed"], errors="coerce").fillna(0)
        hidden = suppress(t.assign(observed=obs), c.threshold) > 0
    ctx: dict[str, Any] = {
        "lang": lang,
        "headline": _headline(c, run, t),
        "period": _period(c, t),
        "trend": _trend(c, run, t, hidden),
        "visibility": _visibility(c, run, t, hidden),
        "sdg": _sdg(c, run, t, hidden),
        "comparison": None,
        "sensitivity": _sensitivity(c, run),
        "threshold": c.threshold,
    }
    ctx["comparison"] = _compare(c, run, (ctx["headline"] or {}).get("status"))
    shown_years = [r for r in (ctx["trend"] or {}).get("rows", []) if not r["hidden"]]
    ctx["latest"] = shown_years[-1] if len(shown_years) > 1 else None  # the sentence a yearly publication needs
    if ctx["latest"] is not None:
        ctx["latest"] = {**ctx["latest"], "coded": not _calendar_year(ctx["latest"]["year"])}
    ctx["sdg_missing"] = ctx["sdg"] is None and t is not None
    ctx["methods"] = _methods_note(c, run)
    _caveats(c, run, t)
    if hidden is not None and hidden.any():
        c.notes.insert(0, _("{n} table row(s) are hidden to protect small numbers of registered victims.").format(
            n=int(hidden.sum())))
    sizes = info.get("list_sizes") or {}
    ctx["lists"] = [{"name": cat.list_label(k), "n": c.count(v)} for k, v in sizes.items()]
    for kind, names in cat.unlabelled.items():
        if names:
            what = _("registers") if kind == "list" else _("characteristics")
            c.notes.append(_("No readable label is on file for these {what}, so their names are shown as words: "
                             "{names}. Give labels with --labels FILE.").format(what=what, names=", ".join(names)))
    ctx["caveats"] = c.caveats
    ctx["notes"] = c.notes
    name = info.get("name") or run.folder.name
    ctx["dataset"] = name
    ctx["built"] = datetime.now(UTC).strftime("%Y-%m-%d")
    ctx["version"] = __version__
    return ctx


def unknown_label_keys(run: Run, labels: dict | None) -> list[str]:
    """Entries of a labels file that name no list, covariate or level of `run` (see :func:`labels.unknown_keys`).

    The run's lists come from ``result.json``/``compare.json`` ``data.lists``; its covariates
    from the settings, ``data.covariates`` and the groups of its tables (the year column
    included); its levels from those tables.
    """
    if not labels:
        return []
    res = run.result or {}
    info = res.get("data") or (run.compare_info or {}).get("data") or {}
    lists = list(info.get("lists") or []) + list((info.get("list_sizes") or {}).keys())
    covs = set(map(str, (res.get("settings") or {}).get("covariates") or [])) | set(
        map(str, info.get("covariates") or []))
    year = (res.get("monitor") or {}).get("year") or (res.get("settings") or {}).get("year")
    if year:
        covs.add(str(year))
    levels: dict[str, set[str]] = {}
    t = _rows_table(run)
    if t is not None:
        for g, lv in zip(t["group"].astype(str), t["level"].astype(str)):
            if g == "total" or ":" in lv:
                continue
            covs.add(g)
            levels.setdefault(g, set()).add(lv)
    return unknown_keys(labels, lists, covs, levels)


def _environment(lang: str):
    from jinja2 import Environment, PackageLoader

    env = Environment(
        loader=PackageLoader("darkfigure.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(lang), newstyle=True)
    return env


def render_public_report(run: Run, lang: str = "en", labels: dict | None = None) -> str:
    """The publication report of a loaded run as an HTML string (see :func:`build_public_report`)."""
    lang = str(lang).strip().lower()
    ctx = _context(run, lang, labels)
    return _environment(lang).get_template("public.html.j2").render(**ctx)


def build_public_report(run_dir: str | Path, out: str | Path | None = None, *, lang: str = "en",
                        labels: str | Path | dict | None = None) -> Path:
    """Write the publication report of a run folder (one offline HTML file).

    Parameters
    ----------
    run_dir : path
        The ``--out`` folder of ``darkfigure estimate``, ``monitor`` or ``compare``.
    out : path, optional
        The HTML file (default ``run_dir/report_public_<lang>.html``). Written directly;
        the command line goes through :func:`darkfigure.outputs.write_file`.
    lang : {"en", "nl"}
    labels : path or dict, optional
        A labels file (:func:`~darkfigure.report.labels.load_labels`) or its content.

    Returns
    -------
    Path

    Raises
    ------
    DataError
        Unknown `lang`, a bad labels file, a folder without results
        (:class:`~darkfigure.report.build.RunFolderError`).
    """
    lang = str(lang).strip().lower()
    if lang not in LANGUAGES:
        raise DataError(f"--lang {lang!r} is not available; choose one of {', '.join(LANGUAGES)}")
    user = load_labels(labels) if isinstance(labels, (str, Path)) else labels
    run = load_run(run_dir)
    if run.result is None and run.compare is None:
        raise DataError(f"{str(run_dir)!r} holds no estimate (result.json) nor comparison (compare.csv): the public "
                        "report is for the --out folder of darkfigure estimate, monitor or compare")
    html = render_public_report(run, lang, user)
    target = Path(out) if out is not None else Path(run_dir) / f"report_public_{lang}.html"
    target.write_text(html, encoding="utf-8")
    return target


class ChromiumMissing(DataError):
    """No Chromium on PATH: the PDF cannot be printed (the command line skips it with a message)."""


def find_chromium() -> str | None:
    """The Chromium (or Chrome) binary on PATH, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def print_pdf(html: str | Path, pdf: str | Path, *, timeout: float = 120.0) -> Path:
    """Print an HTML file to PDF with headless Chromium (``--print-to-pdf``).

    Parameters
    ----------
    html : path
        The report to print (a local file; the page loads nothing from the network).
    pdf : path
        The PDF to write.
    timeout : float
        Seconds to wait for Chromium.

    Returns
    -------
    Path

    Raises
    ------
    ChromiumMissing
        No Chromium on PATH (the message says how to install it).
    DataError
        Chromium failed or wrote no PDF.
    """
    exe = find_chromium()
    if exe is None:
        raise ChromiumMissing("--pdf needs Chromium, which was not found on PATH (install it, e.g. `apt-get install "
                              "chromium`); the HTML report was written without a PDF")
    pdf = Path(pdf)
    with tempfile.TemporaryDirectory(prefix="darkfigure-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
               "--disable-background-networking", f"--user-data-dir={profile}", "--no-pdf-header-footer",
               f"--print-to-pdf={pdf}", Path(html).resolve().as_uri()]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                               env={**os.environ, "HOME": profile})
        except (OSError, subprocess.TimeoutExpired) as e:
            raise DataError(f"Chromium could not print the PDF ({e}); the HTML report was written") from None
    if not pdf.is_file() or pdf.stat().st_size == 0:
        tail = (r.stderr or "").strip().splitlines()[-1:] or ["no message"]
        raise DataError(f"Chromium wrote no PDF (exit {r.returncode}: {tail[0]}); the HTML report was written")
    return pdf
