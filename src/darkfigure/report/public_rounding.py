"""Rounding for publication: every figure to the precision its interval supports (:func:`rounding_unit`), written in the report's language."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal


# ----------------------------------------------------------------------------- rounding
def rounding_unit(lower: float, upper: float, value: float | None = None, *, smallest: float = 1.0) -> float:
    """The rounding unit a figure's interval supports: a power of ten.

    Rule: the unit is the largest power of ten not above half the interval's width,
    ``10 ** floor(log10((upper - lower) / 2))`` — the figure and its interval ends keep
    the digits down to the first significant digit of the half-width (the "±" of the
    interval) and no more. So 5,123 (4,012–6,845), half-width 1,417, is rounded to
    thousands: "5,000 (4,000–7,000)"; 8,291 (7,998–8,646), half-width 324, to hundreds:
    "8,300 (7,900–8,700)". :func:`round_figure` rounds the value to the nearest unit and the
    interval's ends outward (lower down, upper up), so that the published interval contains
    the computed one.

    Then guards, so that no number loses its first digit:

    * the value and a positive lower end keep at least one significant digit
      (unit <= 10 ** floor(log10(x)) for x = value, lower): 12,345 (7,400–27,000),
      half-width 9,800, is "12,000 (7,000–27,000)", not "10,000 (0–30,000)";
    * no end of the interval moves by a tenth of itself (:data:`MAX_END_MOVE`) or more when
      rounded outward; otherwise the unit is one power of ten finer: 30,000 (19,613–48,033),
      half-width 14,210, is "30,000 (19,000–49,000)", not "30,000 (10,000–50,000)";
    * the unit is at least `smallest` (1 for counts of persons, 0.1 for percentages,
      0.01 for rates per 100,000), which wins over the guards above.

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
    e = max(e, smallest_e)
    # no end moves by a tenth of itself or more: 30,000 (19,613-48,033) is "30,000 (19,000-49,000)", not
    # "30,000 (10,000-50,000)" (tester report 9, F13). One step finer suffices: the lower end is at least one unit.
    while e > smallest_e and any(_moves_too_far(x, e, r) for x, r in ((lo, ROUND_FLOOR), (hi, ROUND_CEILING))):
        e -= 1
    return 10.0 ** e


#: the largest share of itself an interval end may move when rounded outward (one more digit is kept otherwise)
MAX_END_MOVE = 0.10


def _moves_too_far(x: float, e: int, rounding: str) -> bool:
    """Whether rounding `x` outward to a multiple of 10**e moves it by :data:`MAX_END_MOVE` of itself or more."""
    if not (math.isfinite(x) and x > 0):
        return False
    return abs(_round(x, e, rounding) - x) >= MAX_END_MOVE * x


def _round(x: float, e: int, rounding: str = ROUND_HALF_UP) -> float:
    """`x` rounded to a multiple of 10**e (exact decimal arithmetic): half away from zero by default, or down
    (``ROUND_FLOOR``) / up (``ROUND_CEILING``) for the ends of an interval."""
    if not math.isfinite(x):
        return x
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(e), rounding=rounding))


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
    bound : str
        "" (the figure with its interval), "at-least" (only the lower end is published: the interval has no
        upper limit) or "at-most" (only the upper end: a share registered whose N̂ has no upper limit).
    """

    value: float
    lower: float
    upper: float
    unit: float
    text: str = ""
    lower_text: str = ""
    upper_text: str = ""
    suffix: str = ""
    bound: str = ""

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
                 scale: float = 1.0, suffix: str = "", floor: float | None = None, outward: bool = True) -> Figure:
    """Round a figure and its interval together (:func:`rounding_unit`) and format them.

    The value goes to the nearest multiple of the unit (half away from zero); the interval's ends go outward
    (the lower end down, the upper end up), so the published interval contains the computed one and keeps at
    least its coverage.

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
    floor : float, optional
        The number registered (after `scale`): a lower end rounded down below it, while the computed lower end
        is not, is shown as that number itself (13 registered, 17.8 -> "13", not "10").
    outward : bool
        False: the ends go to the nearest multiple of the unit too (shares, which the published tables give
        rounded to the nearest 0.1%: see ``_Ctx.pct`` in :mod:`darkfigure.report.public_context`).

    Returns
    -------
    Figure
    """
    v, lo, hi = (float(x) * scale if x is not None else float("nan") for x in (value, lower, upper))
    u = rounding_unit(lo, hi, v, smallest=smallest)
    e = round(math.log10(u))
    # the ends outward (lower down, upper up): a rounded interval never claims more precision than the computed
    # one, so its coverage is at least the stated level (rounding 9,829-16,378 to 10,000-16,000 would narrow it)
    if outward:
        rv, rlo, rhi = _round(v, e), _round(lo, e, ROUND_FLOOR), _round(hi, e, ROUND_CEILING)
    else:
        rv, rlo, rhi = _round(v, e), _round(lo, e), _round(hi, e)
    lo_text = format_number(rlo, u, lang)
    if floor is not None and math.isfinite(floor) and rlo < floor <= lo:
        rlo, lo_text = float(floor), format_number(float(floor), rounding_unit(floor, floor, floor), lang)
    return Figure(rv, rlo, rhi, u, format_number(rv, u, lang), lo_text, format_number(rhi, u, lang), suffix)


def round_to_unit(value: float, unit: float, lang: str = "en") -> str:
    """`value` rounded to the nearest multiple of `unit` (a power of ten, e.g. a :class:`Figure`'s), formatted.

    For figures said beside a rounded one at its precision (the public page's ``linkage-decides`` caveat gives
    N̂ as linked and the mean over the linkage draws at the unit of N̂ corrected). '–' for a missing value.
    """
    x = float(value)
    return format_number(_round(x, round(math.log10(unit))), unit, lang) if math.isfinite(x) else "–"


def round_range(low: float, high: float, *, smallest: float = 1.0, lang: str = "en") -> Figure:
    """Round a range without a point estimate ("between about L and H"): two significant digits per end, outward.

    One rule for every published range (tester report 10, F9): each end goes outward (the low end down, the high
    end up) to two significant digits of itself, ``10 ** (floor(log10(x)) - 1)``; where the range is narrower
    than that, both ends go to the same finer step, the first digit of the half-width
    ``10 ** floor(log10((high - low) / 2))``, so the range keeps its digits; never finer than `smallest`. Ends of
    one order of magnitude therefore share one step. So 19,613–48,033 is "19,000 and 49,000", 18,685–51,836
    "18,000 and 52,000", 7,076–19,033 "7,000 and 20,000", 186–42,662 "180 and 43,000", 7,234–9,876 "7,200 and
    9,900" and 8,150–8,170 "8,150 and 8,170". An end moves by less than a tenth of itself (at most one unit in
    its second digit), as the ends of a figure's interval (:data:`MAX_END_MOVE`). Earlier rules rounded one end
    to two digits and the other to one or three (19,613–48,033 as "19,000 and 50,000", 7,076–19,033 as "7,000
    and 19,100"). The published range holds the computed one.

    Parameters
    ----------
    low, high : float
        The range (high may be inf: no upper limit, e.g. a floor "at least about 380"); NaN for a missing end.
    smallest : float
        A power of ten: the finest unit allowed.
    lang : str
        Language of the number format.

    Returns
    -------
    Figure
        ``value`` NaN (no point estimate), ``lower``/``upper`` and their texts rounded outward; ``unit`` the
        finer of the two ends' units.
    """
    lo, hi = float(low), float(high)
    smallest_e = round(math.log10(smallest))
    width_e = math.floor(math.log10((hi - lo) / 2)) if math.isfinite(lo) and math.isfinite(hi) and hi > lo else None

    def end(x: float, rounding: str) -> tuple[float, float]:
        """`x` rounded outward to two significant digits (or the range's finer step), and the unit."""
        if not math.isfinite(x) or x == 0:
            return x, 10.0 ** smallest_e
        e = math.floor(math.log10(abs(x))) - 1
        if width_e is not None:
            e = min(e, width_e)
        e = max(e, smallest_e)
        return _round(x, e, rounding), 10.0 ** e

    (rlo, ulo), (rhi, uhi) = end(lo, ROUND_FLOOR), end(hi, ROUND_CEILING)
    return Figure(float("nan"), rlo, rhi, min(ulo, uhi), "", format_number(rlo, ulo, lang),
                  format_number(rhi, uhi, lang))
