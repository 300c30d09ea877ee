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

    Returns
    -------
    Figure
    """
    v, lo, hi = (float(x) * scale if x is not None else float("nan") for x in (value, lower, upper))
    u = rounding_unit(lo, hi, v, smallest=smallest)
    e = round(math.log10(u))
    # the ends outward (lower down, upper up): a rounded interval never claims more precision than the computed
    # one, so its coverage is at least the stated level (rounding 9,829-16,378 to 10,000-16,000 would narrow it)
    rv, rlo, rhi = _round(v, e), _round(lo, e, ROUND_FLOOR), _round(hi, e, ROUND_CEILING)
    return Figure(rv, rlo, rhi, u, format_number(rv, u, lang), format_number(rlo, u, lang),
                  format_number(rhi, u, lang), suffix)
