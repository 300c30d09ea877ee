"""Sensitivity of N̂ to the identifying assumption of a log-linear model.

Every log-linear multiple systems estimate rests on one assumption the data cannot
test: the highest-order list interaction (the k-way term of k lists) is zero. The
observed cells say nothing about it; it alone turns the model for the observed
table into a number for the unobserved cell (Aleshin-Guendel, Sadinle & Wakefield,
"The central role of the identifying assumption in population size estimation",
Biometrics 2024, arXiv:2101.09304). This module shows how N̂ moves when that
interaction is fixed at another value, and gives partial-identification bounds on N
when it is only known to be bounded (Sun, Van Baelen, Plettinckx & Crawford,
"Partial identification and dependence-robust confidence intervals for
capture-recapture surveys", arXiv:2008.00127, 2020: bounds on the highest-order
interaction term of the log-linear model, confidence set by profile likelihood).

The parameter psi
-----------------
With lists coded 0/1 (corner-point parametrisation, as R's ``glm``), the k-way
interaction of the complete 2^k table of expected counts m is the contrast

    lambda_1..k = sum over patterns w of (-1)^(k - |w|) log m_w,

and the unobserved cell m_0 enters it with the sign (-1)^k. We define

    psi = exp((-1)^k lambda_1..k),    i.e.  lambda_1..k = (-1)^k log psi.

In words: psi is the odds ratio between any two lists among the persons missed by
all the other lists (a 2 x 2 table that contains the unobserved cell), divided by
what the lower-order terms of the model imply for it. For 2 lists it is simply the
odds ratio between the two lists, m_11 m_00 / (m_10 m_01); for 3 lists it is
OR(1, 2 | not on list 3) / OR(1, 2 | on list 3). psi = 1 is the usual assumption;
psi > 1 means the lists are more positively dependent among the unobserved than the
model extrapolates, hence more persons unobserved and a larger N̂; psi < 1 the
opposite. The same psi applies in every covariate stratum.

Relaxing the assumption to a given psi is the chosen model with the offset log psi
on the unobserved cell of every stratum (equivalently, its k-way term fixed at
(-1)^k log psi). The unobserved cells are not in the likelihood, so the fit of the
observed cells is unchanged and the unobserved fitted count is multiplied by psi:

    N̂(psi) = N̂ + (psi - 1) m̂_0,     m̂_0 = N̂ - n (the usual dark figure),

and so for every subgroup (its own unobserved cells scaled by psi). For a model
average (``ci="averaged"``) each model's unobserved cells scale alike, so the
average moves the same way. With declared structural zeros a stratum's k-way
contrast involves cells that cannot be observed; psi is then defined through the
model's extrapolated values of those cells, which amounts to the same statement:
that stratum's unobserved count is psi times what the model extrapolates. A stratum
whose unobserved cell the (extended) MLE fits as 0 stays at 0.

Bounds under bounded dependence
-------------------------------
Sun et al. (2020) bound the highest-order interaction, |lambda_1..k| <= log psi_max,
and report the identification region of N and a confidence set: the union over the
bounded parameter of profile-likelihood intervals. Here the region is
``[N̂(psi_lo), N̂(psi_hi)]`` (N̂ increases with psi) and the confidence set is the union
of the multinomial profile-likelihood intervals (Cormack 1992, as
:func:`darkfigure.loglinear.profile.profile_interval`) of the chosen model with the
offset log psi, taken at the two ends of the range: each limit moves monotonically
with psi, so the union over the range is the span from the lower end's lower limit to
the upper end's upper limit. These intervals are conditional on the chosen model.
For a model average the bounds are instead the averaged interval moved by psi, on the
basis of the range and the headline (:mod:`darkfigure.sensitivity_bounds`; the chosen
model's stay in ``bounds["chosen_model"]``). Sun et al.'s other assumption (bounds on
pairwise capture probabilities) is not implemented.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError
from .group_names import group_name

# checking tools, re-exported here so imports from this module keep working
from .sensitivity_checking import kway_contrast, simulate_kway

__all__ = [
    "DEFAULT_RANGE",
    "DEFAULT_POINTS",
    "IdentifyingAssumption",
    "parse_range",
    "psi_grid",
    "sensitivity",
    "identifying_assumption",
    "kway_contrast",
    "simulate_kway",
]

#: default range of psi: the dependence among the unobserved half or twice what the model extrapolates
DEFAULT_RANGE: tuple[float, float] = (0.5, 2.0)
#: default number of grid points (odd, so that psi = 1 is the middle point of a range symmetric on the log scale)
DEFAULT_POINTS = 9
OPTION = "--assumption-range"


def parse_range(value: Any, option: str = OPTION) -> tuple[float, float] | None:
    """Read a range of psi: ``"0.5,2"``, a pair of numbers, or ``"off"``/``"none"``/None (no sensitivity).

    Parameters
    ----------
    value : str, sequence of two numbers, or None
    option : str
        The option's name, for the error message.

    Returns
    -------
    (lo, hi) with 0 < lo <= hi, or None when switched off.

    Raises
    ------
    DataError
        Not two numbers, a psi <= 0 or not finite, or lo > hi; the message names `option`.
    """
    if value is None:
        return None
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("off", "none", "no", "false", ""):
            return None
        parts = [p for p in v.replace(";", ",").split(",") if p.strip()]
        try:
            nums = [float(p) for p in parts]
        except ValueError:
            raise DataError(
                f"{option} must be two numbers 'lo,hi' (e.g. 0.5,2) or 'off'; got {value!r}"
            ) from None
    else:
        try:
            nums = [float(x) for x in value]
        except (TypeError, ValueError):
            raise DataError(f"{option} must be two numbers (lo, hi), e.g. (0.5, 2); got {value!r}") from None
    if len(nums) != 2:
        raise DataError(f"{option} must be two numbers 'lo,hi' (e.g. 0.5,2); got {len(nums)} value(s): {value!r}")
    lo, hi = nums
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0 or hi <= 0:
        raise DataError(
            f"{option}: psi is an odds ratio and must be positive and finite; got {lo:g},{hi:g}. "
            "Use e.g. 0.5,2 (dependence among the unobserved half to twice what the model assumes)"
        )
    if lo > hi:
        raise DataError(f"{option}: the lower end {lo:g} is above the upper end {hi:g}; give 'lo,hi', e.g. {hi:g},{lo:g}")
    return lo, hi


def psi_grid(lo: float, hi: float, points: int = DEFAULT_POINTS) -> np.ndarray:
    """Log-spaced grid of psi over ``[lo, hi]``, with psi = 1 added when it lies inside.

    Parameters
    ----------
    lo, hi : float
        Ends of the range, ``0 < lo <= hi``.
    points : int
        Odd number of log-spaced points (>= 3); with a range symmetric on the log scale
        (e.g. 1/2 to 2) the middle point is psi = 1.

    Returns
    -------
    ndarray of shape (points,) or (points + 1,), increasing.

    Raises
    ------
    DataError
        `points` not an odd integer >= 3, or a bad range.
    """
    lo, hi = parse_range((lo, hi))  # type: ignore[misc]
    if int(points) != points or points < 3 or points % 2 == 0:
        raise DataError(f"the grid of psi needs an odd number of points >= 3 (so psi = 1 can be the middle); got {points}")
    g = np.exp(np.linspace(math.log(lo), math.log(hi), int(points)))
    if lo == hi:
        g = np.array([lo])
    if lo <= 1.0 <= hi:
        g = np.where(np.isclose(g, 1.0, rtol=1e-12, atol=0), 1.0, g)
        if not np.any(g == 1.0):
            g = np.sort(np.append(g, 1.0))
    return g


@dataclass
class IdentifyingAssumption:
    """N̂ as the identifying assumption (no k-way list interaction) is relaxed to psi in a range.

    Attributes
    ----------
    k : int
        Number of lists (the relaxed term is the k-way list interaction).
    range : (float, float)
        The range of psi tried.
    grid : DataFrame
        ``psi, nhat, dark_figure`` at every grid point (psi increasing).
    nhat : float
        The usual N̂ (psi = 1).
    n_observed : int
    low, high : float
        N̂ at the ends of the range (N̂ increases with psi): the estimated identification
        region of N under ``psi in range``.
    subgroups : DataFrame
        ``group, level, observed, nhat, unobserved, low, high`` for every subgroup total
        (the total first); ``unobserved`` is the fitted unobserved count at psi = 1, so
        ``N̂_g(psi) = nhat + (psi - 1) * unobserved``.
    bounds : dict
        Sun et al. (2020) bounds: ``psi`` (the bounded range), ``estimate`` ([low, high]),
        ``confidence`` ([lower, upper] or None), ``level``, ``method``, ``ends`` (the
        profile interval at each end), ``note``.
    averaged : bool
        Whether N̂ is a model average (each model's unobserved cells scaled alike).
    explanation : str
        One plain sentence for a reader.
    as_linked : bool
        Whether the run corrected N̂ for linkage error: this range is then computed on the histories as linked
        (N̂ at psi = 1 is the as-linked N̂, not the corrected headline), and says so (tester report 10, F10).
    """

    k: int
    range: tuple[float, float]
    grid: pd.DataFrame
    nhat: float
    n_observed: int
    low: float
    high: float
    subgroups: pd.DataFrame
    bounds: dict = field(default_factory=dict)
    averaged: bool = False
    explanation: str = ""
    as_linked: bool = False
    #: the as-linked figures (nhat, persons, low, high, confidence) when moved to N̂ corrected (sensitivity_linkage)
    as_linked_range: dict | None = None

    parameter: str = (
        "ψ = exp((-1)^k λ), λ the k-way list interaction (lists coded 0/1): the odds ratio between any two lists "
        "among persons missed by all other lists, relative to what the model's lower-order terms imply; ψ = 1 is "
        "the usual assumption (no k-way interaction), ψ > 1 more persons unobserved; the same ψ in every stratum"
    )

    def nhat_at(self, psi: float | np.ndarray) -> float | np.ndarray:
        """N̂ at `psi` (scalar or array, > 0): ``N̂ + (psi - 1) (N̂ - n)``."""
        p = np.asarray(psi, dtype=float)
        if np.any(~(p > 0)):
            raise DataError("psi must be positive")
        out = self.nhat + (p - 1.0) * (self.nhat - self.n_observed)
        return float(out) if out.ndim == 0 else out

    def summary_line(self) -> str:
        """One line for the printed summary."""
        lo, hi = self.range
        conf = self.bounds.get("confidence")
        c = "" if not conf else (
            f"; {self.bounds['level']:.0%} interval over the whole range {conf[0]:,.0f} – "
            + ("no upper limit" if not np.isfinite(conf[1]) else f"{conf[1]:,.0f}")
            + _basis_words(self.bounds)
        )
        return (
            # ψ said in words where it is printed (s23: a new user could not tell what it was)
            f"N̂ from {self.low:,.0f} to {self.high:,.0f} as the dependence among the unobserved (ψ: the odds ratio "
            f"of any two lists among persons all other lists missed) goes from "
            f"{_fmt_psi(lo)} to {_fmt_psi(hi)} times what the model assumes "
            f"(ψ = 1: {self.nhat:,.0f}{' as linked, before the linkage correction' if self.as_linked else ''}"
            + (f", N̂ corrected for linkage error: the range as linked, {self.as_linked_range['low']:,.0f} – "
               f"{self.as_linked_range['high']:,.0f}, moved to the corrected unobserved count"
               if self.as_linked_range else "") + f"){c}"
        )

    def to_dict(self) -> dict:
        """Plain JSON types: what ``result.json`` holds under ``identifying_assumption``."""

        # None for NaN and infinities; an infinite bound flagged beside it (confidence_unbounded: one boolean per
        # end), as every result.json (darkfigure.result_json)
        from .result_json import _jsonable
        from .result_json import _num as num

        b = _jsonable(dict(self.bounds))
        return {
            "parameter": self.parameter,
            "lists": self.k,
            "range": [float(self.range[0]), float(self.range[1])],
            "grid": [{"psi": float(r.psi), "nhat": num(r.nhat)} for r in self.grid.itertuples()],
            "nhat": num(self.nhat),
            "low": num(self.low),
            "high": num(self.high),
            "averaged": self.averaged,
            "as_linked": self.as_linked,
            "as_linked_range": _jsonable(self.as_linked_range),
            "subgroups": [
                {"group": str(r.group), "level": str(r.level), "observed": int(r.observed), "nhat": num(r.nhat),
                 "unobserved": num(r.unobserved), "low": num(r.low), "high": num(r.high)}
                for r in self.subgroups.itertuples()
            ],
            "bounds": b,
            "explanation": self.explanation,
        }


def _basis_words(bounds: dict) -> str:
    """Which estimate the bounds are for, when a model average could leave it unclear (tester report 13a, F2)."""
    basis, chosen = bounds.get("basis"), bounds.get("chosen_model") or {}
    if basis == "headline interval":
        return " (the averaged interval moved alike)"
    if basis in ("corrected interval", "corrected interval, widened"):  # sensitivity_linkage (tester 18a, M4)
        return (" (the interval with linkage uncertainty moved alike" + (
            "; where it reaches the as-linked one, that one with the persons as linked)" if "widened" in basis else ")"))
    if basis == "chosen model, widened":
        return (f" (the chosen model {chosen.get('model')}'s, N̂ {chosen.get('nhat', float('nan')):,.0f}, widened to "
                "contain the range)")
    return ""


def _fmt_psi(p: float) -> str:
    """1/2 rather than 0.5 for reciprocals of whole numbers, else a short decimal."""
    if p < 1 and abs(1 / p - round(1 / p)) < 1e-9:
        return f"1/{round(1 / p)}"
    return f"{p:g}"


def _hidden_by_group(fit, groups: Sequence[tuple[str, ...]]) -> tuple[list[pd.DataFrame], list[np.ndarray]]:
    """Per group spec: the fit's ``nhat_by`` table and the fitted unobserved count of each group."""
    tables, hidden = [], []
    t = fit.table
    h = np.where(t.hidden, np.nan_to_num(fit.fitted, nan=0.0), 0.0)
    for g in groups:
        idx, _ = t.group_index(tuple(g))
        d = fit.nhat_by(tuple(g))
        tables.append(d)
        hidden.append(np.bincount(idx, weights=h, minlength=len(d)))
    return tables, hidden


def sensitivity(
    fits: Sequence[Any],
    weights: Sequence[float] | None = None,
    *,
    range: tuple[float, float] | str | None = DEFAULT_RANGE,  # noqa: A002 - the option's name
    points: int = DEFAULT_POINTS,
    groups: Sequence[tuple[str, ...]] | None = None,
    level: float = 0.95,
    profile: bool = True,
    nhat: float | None = None,
    interval: tuple[float, float] | None = None,
) -> IdentifyingAssumption:
    """N̂ over a range of psi for a fitted log-linear model (or a weighted average of several).

    Parameters
    ----------
    fits : sequence of LogLinearFit
        The chosen model (one fit), or the models of an average; all identified, all
        fitted to the same table. The first is the one whose profile intervals bound N.
    weights : sequence of float, optional
        Model-average weights (default: one fit, weight 1).
    range : (lo, hi) or "lo,hi"
        Range of psi (see the module docstring), ``0 < lo <= hi``; default (1/2, 2).
    points : int
        Odd number of log-spaced grid points (psi = 1 added when inside the range).
    groups : sequence of tuples of covariate names, optional
        Subgroup margins (default: the total only; ``()`` is the total).
    level : float
        Level of the profile-likelihood bounds.
    profile : bool
        Compute the Sun et al. confidence set (two profile-likelihood fits); False gives
        the point range only.
    nhat : float, optional
        The usual N̂ to check against (e.g. an ``Estimate``'s N̂); a mismatch beyond 1e-6
        relative raises, so that psi = 1 always reproduces the number reported.
    interval : (float, float), optional
        The headline interval of a model average (persons). With several `fits` the bounds
        are then this interval moved by psi (:func:`darkfigure.sensitivity_bounds.averaged_bounds`),
        on the same basis as the range; the chosen model's profile bounds stay in
        ``bounds["chosen_model"]``. Without it, a model average's bounds are the chosen
        model's, widened to contain the range and N̂, and labelled so.

    Returns
    -------
    IdentifyingAssumption

    Raises
    ------
    DataError
        A bad range (named ``--assumption-range``), a fit that is not log-linear or does
        not identify N.
    """
    from .loglinear.fit import LogLinearFit

    rng_ = parse_range(range)
    if rng_ is None:
        raise DataError(f"{OPTION} is off: no sensitivity to compute")
    lo, hi = rng_
    fits = list(fits)
    if not fits:
        raise DataError("no fitted model given")
    for f in fits:
        if not isinstance(f, LogLinearFit):
            raise DataError(
                f"{OPTION} applies to log-linear models only (their identifying assumption is the k-way list "
                f"interaction); got {type(f).__name__}. Turn it off ({OPTION} off) for other methods"
            )
        if not f.identified:
            raise DataError(f"{OPTION}: the model {f.model.label()} does not identify N, so there is nothing to vary")
    w = np.ones(1) if weights is None else np.asarray(weights, dtype=float)
    if len(w) != len(fits) or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
        raise ValueError("weights must be non-negative, one per fit, and add up to 1")
    groups = [()] if groups is None else [tuple(g) for g in groups]
    if () not in groups:
        groups = [(), *groups]
    grid = psi_grid(lo, hi, points)
    k = fits[0].table.histories.k
    n = fits[0].n_observed
    # subgroup totals and unobserved counts, averaged over the models
    base_tables, _ = _hidden_by_group(fits[0], groups)
    nh = [np.zeros(len(d)) for d in base_tables]
    hid = [np.zeros(len(d)) for d in base_tables]
    for f, wi in zip(fits, w):
        tabs, hs = _hidden_by_group(f, groups)
        for j in np.arange(len(groups)):
            nh[j] += wi * tabs[j]["nhat"].to_numpy(dtype=float)
            hid[j] += wi * hs[j]
    rows = []
    for g, d, a, b in zip(groups, base_tables, nh, hid):
        for i in np.arange(len(d)):
            r = d.iloc[int(i)]
            rows.append({
                "group": group_name(g),
                "level": "" if not g else ":".join(str(r[c]) for c in g),
                "observed": int(r["observed"]),
                "nhat": float(a[i]),
                "unobserved": float(b[i]),
                "low": float(a[i] + (lo - 1.0) * b[i]),
                "high": float(a[i] + (hi - 1.0) * b[i]),
            })
    sub = pd.DataFrame(rows)
    n0 = float(hid[0][0])
    n_hat = float(nh[0][0])
    if nhat is not None and not math.isclose(n_hat, float(nhat), rel_tol=1e-6, abs_tol=1e-6):
        raise ValueError(f"the models give N̂ = {n_hat:,.3f} at psi = 1, not the {nhat:,.3f} reported")
    g_nhat = n_hat + (grid - 1.0) * n0
    gtab = pd.DataFrame({"psi": grid, "nhat": g_nhat, "dark_figure": g_nhat - n})
    low, high = float(n_hat + (lo - 1.0) * n0), float(n_hat + (hi - 1.0) * n0)
    bounds: dict = {
        "method": "Sun, Van Baelen, Plettinckx & Crawford (2020): highest-order interaction bounded to psi in the "
        "range; estimate = identification region [N̂(psi_lo), N̂(psi_hi)], confidence = union of the chosen "
        "model's multinomial profile-likelihood intervals over the range (taken at its two ends)",
        "psi": [float(lo), float(hi)],
        "estimate": [low, high],
        "confidence": None,
        "level": float(level),
        "conditional_on_chosen_model": True,
        "ends": [],
        "note": None,
    }
    if profile:
        bounds.update(_profile_bounds(fits[0], lo, hi, level))
        if len(fits) > 1:
            _average_basis(bounds, fits[0], interval, n, lo, hi, low, high, n_hat)
    sizes = f"{low:,.0f} and {high:,.0f}"
    expl = (
        f"N̂ = {n_hat:,.0f} assumes that the {k} lists depend on each other among the persons no list registered "
        f"exactly as the model extrapolates from those registered (no {k}-list interaction), which the data cannot "
        f"check; if that dependence is between {_fmt_psi(lo)} and {_fmt_psi(hi)} times as strong (odds ratio ψ), "
        f"N lies between {sizes}"
    )
    conf = bounds.get("confidence")
    if conf is not None:
        top = "no upper limit" if not np.isfinite(conf[1]) else f"{conf[1]:,.0f}"
        basis = {"headline interval": f"{level:.0%} bounds: the model-averaged interval moved alike",
                 "chosen model, widened": f"{level:.0%} bounds: the chosen model's profile likelihood, widened to "
                 "contain the range"}.get(bounds.get("basis", ""), f"{level:.0%} profile-likelihood bounds")
        expl += f", and with sampling error between {conf[0]:,.0f} and {top} ({basis})"
    expl += "."
    return IdentifyingAssumption(
        k=k, range=(float(lo), float(hi)), grid=gtab, nhat=n_hat, n_observed=int(n), low=low, high=high,
        subgroups=sub, bounds=bounds, averaged=len(fits) > 1, explanation=expl,
    )


def _average_basis(bounds: dict, chosen, interval, n: int, lo: float, hi: float, low: float, high: float,
                   n_hat: float) -> None:
    """Put a model average's bounds on the headline's basis, in place (tester report 13a, F2).

    The chosen model's profile bounds move to ``bounds["chosen_model"]``; ``confidence`` becomes the
    headline `interval` moved by psi (:func:`.sensitivity_bounds.averaged_bounds`), or without one the chosen
    model's bounds widened to contain the range ``[low, high]`` and N̂ (``basis`` says which).
    """
    from .sensitivity_bounds import averaged_bounds, contain_range

    bounds["chosen_model"] = {"model": chosen.model.label(), "nhat": float(chosen.nhat),
                              "confidence": bounds.get("confidence"), "ends": bounds.get("ends", [])}
    avg = averaged_bounds(*interval, n, lo, hi) if interval is not None else None
    if avg is not None:
        bounds.update(
            confidence=contain_range(avg, low, high, n_hat), ends=[], basis="headline interval",
            conditional_on_chosen_model=False,
            method="Sun, Van Baelen, Plettinckx & Crawford (2020): highest-order interaction bounded to psi in the "
            "range; estimate = identification region [N̂(psi_lo), N̂(psi_hi)] of the model average; confidence = "
            "the model-averaged interval [L, U] moved alike, [n + psi_lo (L - n), n + psi_hi (U - n)] (each "
            "replicate's unobserved count scaled by psi); the chosen model's profile-likelihood bounds are in "
            "chosen_model")
    elif bounds.get("confidence") is not None:
        bounds.update(confidence=contain_range(bounds["confidence"], low, high, n_hat), basis="chosen model, widened")


def _profile_bounds(fit, lo: float, hi: float, level: float) -> dict:
    """Union of the profile-likelihood intervals with offset log psi at the two ends of the range."""
    from .loglinear.profile import profile_interval

    ends, lows, highs, notes = [], [], [], []
    for p in (lo, hi) if lo != hi else (lo,):
        try:
            pr = profile_interval(fit, level=level, hidden_offset=math.log(p))
        except (ValueError, RuntimeError, FloatingPointError, np.linalg.LinAlgError) as e:
            notes.append(f"profile at psi = {p:g} failed ({e})")
            continue
        ends.append({"psi": float(p), "lower": float(pr.low), "upper": float(pr.high),
                     "upper_bounded": bool(pr.upper_bounded)})
        lows.append(pr.low)
        highs.append(pr.high if pr.upper_bounded else math.inf)
    out: dict = {"ends": ends}
    if notes or not ends:
        out["note"] = "; ".join(notes) or "no profile interval"
        return out
    out["confidence"] = [float(min(lows)), float(max(highs))]
    return out


def identifying_assumption(
    result: Any,
    *,
    range: tuple[float, float] | str | None = DEFAULT_RANGE,  # noqa: A002 - the option's name
    points: int = DEFAULT_POINTS,
    profile: bool = True,
    groups: Sequence[tuple[str, ...]] | None = None,
) -> IdentifyingAssumption:
    """Sensitivity of an :class:`~darkfigure.estimation.Estimate` to its identifying assumption.

    Uses the chosen model, or with ``ci="averaged"`` the averaged models and their
    weights (so that psi = 1 gives the N̂ reported); the profile-likelihood bounds are
    the chosen model's. Subgroups: the estimate's default margins.

    Parameters
    ----------
    result : Estimate
        A log-linear estimate (``darkfigure.estimation.estimate``) with an identified N̂.
    range, points, profile, groups
        As :func:`sensitivity` (groups default: the total, each covariate and pair).

    Returns
    -------
    IdentifyingAssumption

    Raises
    ------
    DataError
        Not a log-linear estimate (e.g. a heterogeneity, LCMCR or dga result), N̂ not
        identified, or a bad range; the message names ``--assumption-range``.
    """
    from .loglinear.fit import LogLinearFit

    fit = getattr(result, "fit", None)
    if not isinstance(fit, LogLinearFit) or not hasattr(result, "averaged"):
        what = getattr(result, "method", None) or getattr(result, "name", None) or type(result).__name__
        raise DataError(
            f"{OPTION} applies to log-linear estimates only (their identifying assumption is the k-way list "
            f"interaction); {what!s} is not one. Use it with `darkfigure estimate`, or turn it off ({OPTION} off)"
        )
    if not fit.identified:
        raise DataError(f"{OPTION}: N̂ is not identified for the chosen model, so there is nothing to vary")
    avg = result.averaged
    if avg is not None and len(avg.fits) > 1:
        fits, weights = list(avg.fits), list(np.asarray(avg.weights, dtype=float))
        # the chosen model first: its profile intervals give the bounds
        j = next((i for i, f in enumerate(fits) if f.model == fit.model), None)
        if j is None:
            fits, weights = [fit, *fits], [0.0, *weights]
        else:
            fits.insert(0, fits.pop(j))
            weights.insert(0, weights.pop(j))
        weights = list(np.asarray(weights) / np.sum(weights))
    else:
        fits, weights = [fit], None
    if groups is None:
        from .loglinear.bootstrap import default_groups

        groups = default_groups(fit.table, result.settings.get("year") if isinstance(result.settings, dict) else None)
    interval = (float(result.lower), float(result.upper)) if len(fits) > 1 else None
    return sensitivity(fits, weights, range=range, points=points, groups=groups, level=result.level,
                       profile=profile, nhat=result.nhat, interval=interval)
