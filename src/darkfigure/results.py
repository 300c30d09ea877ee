"""One result protocol for every method: :class:`Result`, :class:`ConfidenceInterval`, :class:`Comparison`.

Each estimator keeps its own detailed result type (:class:`~darkfigure.estimation.Estimate`,
:class:`~darkfigure.heterogeneity.HeterogeneityFit`, :class:`~darkfigure.bayes.lcmcr.LCMCRResult`,
:class:`~darkfigure.bayes.dga.DGAResult`, :class:`~darkfigure.loglinear.selection_bootstrap.SelectionBootstrap`);
:class:`Result` wraps any of them (``result.raw``) behind the same attributes, so that a notebook
can put the methods side by side: ``nhat``, ``dark_figure``, ``n_observed``,
``confidence_interval`` (``low``, ``high``, ``method``, ``level``, as scipy.stats results),
``warnings``, ``summary`` (a one-row DataFrame with the same columns for every method),
``to_frame()`` (``to_polars()``), ``to_dict()``, ``plot()`` and ``_repr_html_`` for notebooks.

An N̂ that the data cannot identify is NaN here, never a huge number: every adapter applies the house rule of
``darkfigure estimate`` and ``compare`` (:func:`apply_house_rule`), and the number the model gave is kept only in
``nhat_not_identified`` (tester report 10, F4).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .result_json import _jsonable, _num, _sign_inf  # noqa: F401  (_num: imported from here by other modules)
from .result_linkage import interval_method, linkage_html, linkage_lines

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .bayes.dga import DGAResult
    from .bayes.lcmcr import LCMCRResult
    from .estimation import Estimate
    from .heterogeneity import HeterogeneityFit
    from .loglinear.selection_bootstrap import SelectionBootstrap

__all__ = [
    "SUMMARY_COLUMNS", "FRAME_COLUMNS", "ConfidenceInterval", "Result", "Comparison", "from_estimate",
    "from_heterogeneity", "from_lcmcr", "from_dga", "from_selection_bootstrap", "apply_house_rule",
]

#: Columns of :attr:`Result.summary`, the same for every method.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "method", "model", "n_observed", "nhat", "dark_figure", "lower", "upper", "interval", "level", "status",
    "warnings", "nhat_not_identified",
)
#: Columns every :meth:`Result.to_frame` starts with (then the dark figure's and ``status``, as estimates.csv).
FRAME_COLUMNS: tuple[str, ...] = ("group", "level", "observed", "nhat", "lower", "upper")

#: heterogeneity fits whose N̂ is not an estimate (the MLE does not exist); as darkfigure.comparison
_NOT_AN_ESTIMATE = ("boundary", "not identified", "not converged")


@dataclass(frozen=True)
class ConfidenceInterval:
    """An interval for the population size N, as scipy.stats results give one.

    Attributes
    ----------
    low, high : float
        Limits in persons (``high = inf`` when the data set no finite upper limit; NaN
        when no interval was computed).
    method : str
        How it was made: ``"profile"``, ``"parametric"``, ``"averaged"``,
        ``"nonparametric-bca"``, ``"bca"`` (MultipleSystemsEstimation's bootstrap that
        repeats the model choice), ``"credible"`` (equal-tailed posterior interval) or ``"none"``.
    level : float
        Confidence (or credible) level, e.g. 0.95.

    Unpacks as ``low, high = ci``.
    """

    low: float
    high: float
    method: str
    level: float

    def __iter__(self) -> Iterator[float]:
        return iter((self.low, self.high))

    def to_dict(self) -> dict[str, Any]:
        """``{"low", "high", "high_unbounded", "method", "level"}`` in JSON types: a missing limit (NaN) is None, an
        infinite ``high`` None with ``high_unbounded`` true (as result.json's interval, darkfigure.result_json)."""
        return {"low": _num(self.low), "high": _num(self.high), "high_unbounded": _sign_inf(float(self.high)) > 0,
                "method": self.method, "level": float(self.level)}


def _fmt(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return "no finite limit" if math.isinf(v) else f"{v:,.0f}"


@dataclass(frozen=True, eq=False)
class Result:
    """The result of any method under one protocol (see the module docstring).

    Attributes
    ----------
    method : str
        The method's name as :func:`darkfigure.comparison.compare` names it (``"loglinear"``,
        ``"Mh-darroch"``, ``"lcmcr"``, ``"dga"``, ``"downhill"``, ``"bic-exhaustive"``, ...).
    nhat : float
        Estimated population size N̂ (persons, registered and not); the posterior median
        for the Bayesian methods. NaN when the data do not identify N under this method.
    n_observed : int
        Persons registered by at least one list, n.
    confidence_interval : ConfidenceInterval
        Kept when N is not identified: its lower limit is what may be published then.
    warnings : tuple of str
        Everything the user must know to trust (or not) the number.
    model : str
        The model chosen or fitted, in words.
    status : str
        ``"ok"``; ``"not identified"`` (the house rule, :func:`apply_house_rule`); ``"no MLE: boundary"`` etc.
        for a heterogeneity fit whose MLE does not exist. In both cases ``nhat`` is NaN.
    raw : object
        The method's own result (``Estimate``, ``HeterogeneityFit``, ``LCMCRResult``,
        ``DGAResult`` or ``SelectionBootstrap``) with every detail.
    groups : DataFrame or None
        Subgroup estimates (columns :data:`FRAME_COLUMNS`) where the method gives them.
    distribution : tuple of (ndarray, ndarray) or None
        ``(values of N, weights)``: posterior draws or grid, or bootstrap replicates,
        shape (m,) each; drawn by :meth:`plot`.
    nhat_not_identified : float
        The N̂ the model gave when it is not an estimate (status not ok; as ``compare.csv``'s column of that
        name), for diagnosis only, never to publish; NaN when ``nhat`` is the estimate.
    """

    method: str
    nhat: float
    n_observed: int
    confidence_interval: ConfidenceInterval
    warnings: tuple[str, ...] = ()
    model: str = ""
    status: str = "ok"
    raw: Any = field(default=None, repr=False)
    groups: pd.DataFrame | None = field(default=None, repr=False)
    distribution: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    nhat_not_identified: float = math.nan

    @property
    def dark_figure(self) -> float:
        """Estimated persons no list registered, N̂ - n (NaN when N̂ is); with N̂ corrected for linkage error n is the
        persons corrected by the same rule (``raw.persons_subtracted``; tester 16a, finding 4)."""
        from .dark_floor import floored_dark_figure

        sub = getattr(self.raw, "persons_subtracted", None) if getattr(self.raw, "linkage", None) is not None else None
        # floored at 0: N̂ corrected below the persons corrected is said in the warnings, never a negative figure
        return floored_dark_figure(float(self.nhat), self.n_observed if sub is None else float(sub))

    @property
    def summary(self) -> pd.DataFrame:
        """One row with the columns :data:`SUMMARY_COLUMNS` (the same for every method)."""
        ci = self.confidence_interval
        row = {
            "method": self.method, "model": self.model, "n_observed": int(self.n_observed),
            "nhat": float(self.nhat), "dark_figure": float(self.dark_figure), "lower": float(ci.low),
            "upper": float(ci.high), "interval": ci.method, "level": float(ci.level), "status": self.status,
            "warnings": " | ".join(self.warnings), "nhat_not_identified": float(self.nhat_not_identified),
        }
        return pd.DataFrame([row], columns=list(SUMMARY_COLUMNS))

    def to_frame(self) -> pd.DataFrame:
        """Estimates by group, the total first, with the figures of ``estimates.csv`` (:func:`._frames.result_frame`).

        :data:`FRAME_COLUMNS`, ``dark_figure``, ``dark_figure_lower``, ``dark_figure_upper`` and ``status``; a
        log-linear result is its ``estimates.csv`` exactly. Always a pandas DataFrame, also when the data came
        as a polars frame: :meth:`to_polars` gives the same table in polars.
        """
        from ._frames import result_frame

        return result_frame(self)

    def to_polars(self) -> Any:
        """:meth:`to_frame` as a polars DataFrame (ImportError naming ``darkfigure[polars]`` without polars)."""
        from ._frames import to_polars

        return to_polars(self.to_frame())

    def to_publish(self) -> dict | None:
        """What to publish from this result (log-linear :func:`darkfigure.estimate` results; None for the others).

        The dict of :func:`darkfigure.headline.publish_statement`: ``low``, ``high``,
        ``statement``, ``rules``, ``publish_interval``; computed once and kept.
        """
        if "_publish" not in self.__dict__:
            f = getattr(self.raw, "to_publish", None)
            # frozen dataclass: cache beside the fields, as functools.cached_property does
            self.__dict__["_publish"] = f() if callable(f) else None
        return self.__dict__["_publish"]

    @property
    def identifying_assumption(self) -> dict | None:
        """N̂ as the untestable highest-order interaction is relaxed (log-linear results; None when not computed).

        The dict of :meth:`darkfigure.sensitivity.IdentifyingAssumption.to_dict`, plus ``summary``,
        the one-line range the command line prints.
        """
        ident = getattr(self.raw, "identifying", None)
        if ident is None:
            return None
        d = _jsonable(ident.to_dict())
        if hasattr(ident, "summary_line"):
            d["summary"] = ident.summary_line()
        return d

    def to_dict(self) -> dict[str, Any]:
        """Everything in plain JSON-able types; ``details`` holds the method's own result.

        Log-linear results also carry ``to_publish`` (:meth:`to_publish`) and
        ``identifying_assumption`` (:attr:`identifying_assumption`); None for other methods.
        """
        raw = self.raw
        if raw is None:
            details = None
        elif hasattr(raw, "to_dict"):
            details = raw.to_dict()
        elif hasattr(raw, "summary") and callable(raw.summary):
            details = raw.summary()
        else:
            details = {k: v for k, v in vars(raw).items() if not isinstance(v, np.ndarray)}
        return {
            "method": self.method,
            "model": self.model,
            "status": self.status,
            "n_observed": int(self.n_observed),
            "nhat": _num(self.nhat),
            "dark_figure": _num(self.dark_figure),
            "confidence_interval": self.confidence_interval.to_dict(),
            "warnings": list(self.warnings),
            "nhat_not_identified": _num(self.nhat_not_identified),
            "to_publish": _jsonable(self.to_publish()),
            "identifying_assumption": self.identifying_assumption,
            "groups": None if self.groups is None else _jsonable(self.groups),
            "details": _jsonable(details),
        }

    def plot(self, ax: Axes | None = None) -> Axes:
        """Draw N̂, its interval and the persons observed; with the posterior or bootstrap distribution if any.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw (default: a new figure).

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3))
        ci = self.confidence_interval
        if self.distribution is not None and len(self.distribution[0]):
            values, weights = self.distribution
            ok = np.isfinite(values)
            ax.hist(values[ok], bins=50, weights=weights[ok], color="#9ecae1", density=True)
            ax.set_ylabel("density")
            for v, style in ((ci.low, ":"), (ci.high, ":"), (self.nhat, "-")):
                if np.isfinite(v):
                    ax.axvline(v, color="#08519c", linestyle=style)
        else:
            hi = ci.high if np.isfinite(ci.high) else np.nan
            if np.isfinite(self.nhat):
                ax.errorbar([self.nhat], [0], xerr=[[self.nhat - ci.low], [hi - self.nhat]] if np.isfinite(ci.low)
                            and np.isfinite(hi) else None, fmt="o", color="#08519c", capsize=4)
            ax.set_yticks([])
        ax.axvline(self.n_observed, color="grey", linestyle="--", label=f"observed {self.n_observed:,}")
        ax.set_xlabel("population size N")
        ax.set_title(f"{self.method}: N̂ {_fmt(self.nhat)} ({ci.level:.0%} {ci.method} {_fmt(ci.low)} – {_fmt(ci.high)})")
        ax.legend(loc="best", frameon=False)
        return ax

    def _persons_said(self) -> str:
        """" (N̂ corrected minus the persons observed 3,123 as corrected for linkage, 3,411 as linked)" beside a dark
        figure corrected for linkage error (tester 16a, finding 4); "" otherwise."""
        from .result_linkage import persons_words

        lk = getattr(self.raw, "linkage", None)
        pc = getattr(lk, "persons_corrected", None) if lk is not None else None
        said = persons_words(pc, self.n_observed) if lk is not None else ""
        below = "; N̂ corrected lies below them, see the warnings" if said and pc is not None and self.nhat < pc else ""
        return f" (N̂ corrected minus the {said}{below})" if said else ""

    def __str__(self) -> str:
        ci = self.confidence_interval
        head = (f"{self.method}: N̂ = {_fmt(self.nhat)} ({ci.level:.0%} {ci.method} interval {_fmt(ci.low)} – "
                f"{_fmt(ci.high)}); observed {self.n_observed:,}; dark figure {_fmt(self.dark_figure)}{self._persons_said()}")
        if self.model:
            head += f"; model {self.model}"
            avg, fit = getattr(self.raw, "averaged", None), getattr(self.raw, "fit", None)
            if avg is not None and len(avg.fits) > 1 and fit is not None and np.isfinite(fit.nhat):
                # the two N̂ of a model average named (s15, the demo): the warnings speak of the chosen model
                head += (f" (the search's choice, its own N̂ {_fmt(fit.nhat)}; N̂ above is the average over "
                         f"{len(avg.fits)} models of the search path)")
        if self.status != "ok":
            head += f" [{self.status}]"
        head += linkage_lines(self)  # as linked, corrected, linkage errors (the CLI's panel; tester 13b, M7)
        ident = self.identifying_assumption
        if ident is not None and ident.get("summary"):
            head += f"\n  assumption: {ident['summary']}"
        head += "".join(f"\n  warning: {w}" for w in self.warnings)
        pub = self.to_publish()
        return head + (f"\n  to publish: {pub['statement']}" if pub else "")

    def _repr_html_(self) -> str:
        """Notebook display: the headline, the summary row and the warnings."""
        ci = self.confidence_interval
        head = (f"<p><b>{html.escape(self.method)}</b>: N̂ = <b>{_fmt(self.nhat)}</b> ({ci.level:.0%} "
                f"{html.escape(ci.method)} interval {_fmt(ci.low)} – {_fmt(ci.high)}); observed "
                f"{self.n_observed:,}; dark figure {_fmt(self.dark_figure)}{html.escape(self._persons_said())}</p>")
        table = self.summary.drop(columns=["warnings"]).to_html(index=False, na_rep="–", float_format="{:,.1f}".format)
        warn = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        ident = self.identifying_assumption
        assume = (f"<p>assumption: {html.escape(ident['summary'])}</p>" if ident is not None and ident.get("summary")
                  else "")
        pub = self.to_publish()
        publish = f"<p><b>to publish:</b> {html.escape(pub['statement'])}</p>" if pub else ""
        return (f'<div class="darkfigure-result">{head}{linkage_html(self)}{table}{assume}' + (f"<ul>{warn}</ul>" if warn else "")
                + publish + "</div>")


# ------------------------------------------------------------------------------------- adapters
def from_estimate(est: Estimate, method: str = "loglinear") -> Result:
    """The protocol view of a log-linear :class:`~darkfigure.estimation.Estimate`.

    N̂ is the estimate's (model-averaged with ``ci="averaged"``), NaN when the chosen
    model does not identify N or the data do not bound it (``Estimate.status``, e.g. a list
    that registered everyone); ``groups`` is the estimate's table by covariate level.
    """
    identified = bool(est.fit.identified) and est.status == "ok"  # the house rule of estimate's own status
    nhat = float(est.nhat) if identified else math.nan
    dist = None
    if est.bootstrap is not None and est.bootstrap.replicates is not None:
        reps = np.asarray(est.bootstrap.replicates, dtype=float)
        reps = reps[:, 0] if reps.ndim == 2 else reps
        dist = (reps, np.ones_like(reps))
    groups = est.estimates.loc[:, [c for c in FRAME_COLUMNS if c in est.estimates.columns]].copy()
    return Result(
        method=method,
        nhat=nhat,
        n_observed=int(est.n_observed),
        confidence_interval=ConfidenceInterval(float(est.lower), float(est.upper), interval_method(est), float(est.level)),
        # the reason N is not identified first, as every other adapter puts it
        warnings=tuple(sorted(est.warnings, key=lambda w: not w.startswith("N is not identified"))),
        model=est.fit.model.label(),
        status="ok" if identified and np.isfinite(nhat) else "not identified",
        raw=est,
        groups=groups,
        distribution=dist,
        nhat_not_identified=math.nan if identified else float(est.nhat),
    )


def from_heterogeneity(fit: HeterogeneityFit, level: float = 0.95, full_lists: Sequence[str] = ()) -> Result:
    """The protocol view of a :class:`~darkfigure.heterogeneity.HeterogeneityFit` (M0, Mt, Mh, Mth).

    A fit whose MLE does not exist (status boundary, not identified, not converged) gets N̂ NaN (its number in
    ``nhat_not_identified``), the status ``"no MLE: <status>"`` and a warning that it is not an estimate, as
    ``compare.csv``; a fit the house rule calls not identified (:func:`apply_house_rule`, with `full_lists`: the
    lists that registered every observed person, :meth:`CaptureHistories.full_lists`) is marked so.
    """
    w = list(fit.warnings)
    if fit.status == "ok":
        status = "ok"
    elif fit.status in _NOT_AN_ESTIMATE:
        status = f"no MLE: {fit.status}"
        w.append(f"status {fit.status}: the MLE does not exist, so this N̂ is not an estimate "
                 "(not drawn in the forest plot)")
    else:
        status = fit.status
        w.append(f"status {fit.status}")
    lvl = fit.interval.level if fit.interval is not None else level
    estimate = fit.status not in _NOT_AN_ESTIMATE  # "extended": N is identified although some cells fit as 0
    return apply_house_rule(Result(
        method=fit.model,
        nhat=float(fit.nhat) if estimate else math.nan,
        n_observed=int(fit.n_observed),
        confidence_interval=ConfidenceInterval(float(fit.low), float(fit.high), "profile", float(lvl)),
        warnings=tuple(w),
        model=fit.model,
        status=status,
        raw=fit,
        nhat_not_identified=math.nan if estimate else float(fit.nhat),
    ), full_lists)


def from_lcmcr(r: LCMCRResult) -> Result:
    """The protocol view of an :class:`~darkfigure.bayes.lcmcr.LCMCRResult`: N̂ the posterior median."""
    draws = np.asarray(r.draws, dtype=float).ravel()
    return Result(
        method="lcmcr",
        nhat=float(r.median),
        n_observed=int(r.n_observed),
        confidence_interval=ConfidenceInterval(float(r.ci_low), float(r.ci_high), "credible", float(r.level)),
        warnings=tuple(r.warnings),
        model=f"K = {r.settings.get('K', 10)} latent classes; R-hat {r.rhat:.3f}, ESS {r.ess:,.0f}",
        raw=r,
        distribution=(draws, np.ones_like(draws)),
    )


def from_dga(r: DGAResult) -> Result:
    """The protocol view of a :class:`~darkfigure.bayes.dga.DGAResult`: N̂ the posterior median.

    When the posterior does not identify N (``r.unidentified``), N̂ and the interval are NaN, ``status`` is
    ``"not identified"`` and the first warning says why; ``raw`` and ``distribution`` keep the posterior.
    """
    top = r.graphs.iloc[0] if len(r.graphs) else None
    model = "model average" + (f" (top graph weight {top['weight']:.2f})" if top is not None and "weight" in top
                               else "")
    # the grid's posterior mass, spread over the integers each grid point stands for
    weights = np.asarray(r.probabilities, dtype=float) / np.asarray(r.widths, dtype=float)
    # not identified (bayes._dga_core.unidentified_reason, the rule of `estimate --method dga` and compare): no N̂
    ok = getattr(r, "unidentified", None) is None
    why = () if ok else (f"N is not identified by these data: {r.unidentified}",)
    return Result(
        method="dga",
        nhat=float(r.median) if ok else float("nan"),
        n_observed=int(r.n_observed),
        confidence_interval=ConfidenceInterval(float(r.ci_low) if ok else float("nan"),
                                               float(r.ci_high) if ok else float("nan"), "credible", float(r.level)),
        warnings=(*why, *r.warnings),
        status="ok" if ok else "not identified",
        model=model,
        raw=r,
        distribution=(np.asarray(r.N, dtype=float), weights),
        nhat_not_identified=math.nan if ok else float(r.median),
    )


def from_selection_bootstrap(b: SelectionBootstrap, n_observed: int, method: str | None = None,
                             full_lists: Sequence[str] = ()) -> Result:
    """The protocol view of a :class:`~darkfigure.loglinear.selection_bootstrap.SelectionBootstrap` (downhill, BIC).

    `n_observed` is the persons of the table bootstrapped; `method` defaults to ``"downhill"`` or ``"bic-exhaustive"`` after ``b.method``.
    The house rule applies (:func:`apply_house_rule`; `full_lists` as for :func:`from_heterogeneity`).
    """
    from .comparison import _model_text

    reps = np.asarray(b.replicates, dtype=float)
    return apply_house_rule(Result(
        method=method or ("downhill" if b.method == "downhill" else "bic-exhaustive"),
        nhat=float(b.nhat),
        n_observed=int(n_observed),
        confidence_interval=ConfidenceInterval(float(b.confidence_interval.low), float(b.confidence_interval.high),
                                               "bca", float(b.level)),
        warnings=tuple(b.warnings),
        model=_model_text(b),
        raw=b,
        distribution=(reps, np.ones_like(reps)),
    ), full_lists)


def apply_house_rule(result: Result, full_lists: Sequence[str] = ()) -> Result:
    """`result` as it is when the data identify N; otherwise marked not identified, as ``darkfigure estimate`` does.

    The rule is :func:`darkfigure.pipeline.checks.unidentified_reason` (reused, not copied; docs/headline_rules.md):
    N̂ above ``MAX_RATIO`` (100) times the persons observed, a profile interval with no upper limit, or a list in
    `full_lists` (those that registered every observed person). Every result with a finite N̂ is judged (status
    ``"ok"``, or a heterogeneity fit's ``"extended"``, whose N̂ is otherwise an estimate). A marked result has N̂ NaN, the model's number in ``nhat_not_identified``, status
    ``"not identified"`` and a first warning saying why; its interval is kept, as ``compare.csv`` keeps a row's
    lower limit: that is what may be published (not where a list holds everyone: the limits are forced there and
    both are NaN) (tester report 10: ``Heterogeneity('M0')`` gave 1,002,001 with
    status ok for 2,001 persons observed, which ``estimate`` and ``compare`` call not identified).
    """
    import dataclasses

    from .pipeline.checks import unidentified_reason

    ci = result.confidence_interval
    if not np.isfinite(result.nhat):
        if len(full_lists) and np.isfinite([ci.low, ci.high]).any():  # forced limits are no interval either
            return dataclasses.replace(result, confidence_interval=ConfidenceInterval(math.nan, math.nan, ci.method,
                                                                                      ci.level))
        return result
    why = unidentified_reason(result.nhat, ci.high, result.n_observed, ci_method=ci.method, full_lists=full_lists)
    if why is None:
        return result
    if len(full_lists):  # the model's limits are forced there, not estimated (tester 14b L4): no interval at all
        ci = ConfidenceInterval(math.nan, math.nan, ci.method, ci.level)
        low = f"; report only that {result.n_observed:,} persons were registered"
    else:
        low = f"; report only a lower limit, at least {ci.low:,.0f} persons" if np.isfinite(ci.low) else ""
    warn = (f"N is not identified by these data: {why}. N̂ is not an estimate of N (nhat is NaN; the model's "
            f"number is in nhat_not_identified, not to be published){low}")
    return dataclasses.replace(result, nhat=math.nan, status="not identified", nhat_not_identified=float(result.nhat),
                               confidence_interval=ci, warnings=(warn, *result.warnings))


# ------------------------------------------------------------------------------------- comparison
@dataclass(frozen=True, eq=False)
class Comparison:
    """Every applicable method's :class:`Result` side by side (what :func:`darkfigure.compare` returns).

    Attributes
    ----------
    results : dict of str to Result
        The methods that ran, in the order of the table.
    table : DataFrame
        One row per method, derived from `results` (plus the methods that did not apply or
        failed): ``method, nhat, lower, upper, interval, seconds, warnings, model, status`` —
        the table ``darkfigure compare`` writes to ``compare.csv``.
    n_observed : int
        Persons registered by at least one list.
    skipped : dict of str to str
        Methods that did not apply or failed, and why.
    headline : Headline or None
        The headline range with its reasons, rules, kept and dropped methods
        (:class:`darkfigure.headline.Headline`, as ``compare.json`` → ``headline``); None with
        ``headline=False``.
    seed : int or None
        The seed the samplers and bootstraps ran with: drawn when none was given (tester 12b, M5).
    notes : tuple of str
        What the reader should know beside the table: a drawn seed and how to repeat the run with it.
    """

    results: dict[str, Result]
    table: pd.DataFrame
    n_observed: int
    skipped: dict[str, str] = field(default_factory=dict)
    headline: Any = None
    seed: int | None = None
    notes: tuple[str, ...] = ()

    def __getitem__(self, method: str) -> Result:
        return self.results[method]

    def __iter__(self) -> Iterator[str]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def summary(self) -> pd.DataFrame:
        """The :attr:`Result.summary` rows of every method that ran, stacked (columns :data:`SUMMARY_COLUMNS`)."""
        rows = [r.summary for r in self.results.values()]
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=list(SUMMARY_COLUMNS))

    def to_frame(self) -> pd.DataFrame:
        """The comparison table (a copy of :attr:`table`, as ``compare.csv``); pandas also for polars input."""
        return self.table.copy()

    def to_polars(self) -> Any:
        """:meth:`to_frame` as a polars DataFrame (ImportError naming ``darkfigure[polars]`` without polars)."""
        from ._frames import to_polars

        return to_polars(self.to_frame())

    def to_dict(self) -> dict[str, Any]:
        """``{"n_observed", "methods": {name: Result.to_dict()}, "skipped": {...}, "headline": {...}}`` in JSON types.

        ``headline`` is :meth:`darkfigure.headline.Headline.to_dict` (None without a headline).
        """
        return {"n_observed": int(self.n_observed), "seed": self.seed, "notes": list(self.notes),
                "methods": {m: r.to_dict() for m, r in self.results.items()},
                "skipped": dict(self.skipped),
                "headline": None if self.headline is None else _jsonable(self.headline.to_dict())}

    def plot(self, ax: Axes | None = None) -> Axes:
        """Forest plot: each method's N̂ and interval on one axis, the persons observed as a line.

        Methods whose N̂ is not an estimate (no MLE, not identified) are left out, as in
        ``darkfigure compare``'s plot.
        """
        import matplotlib.pyplot as plt

        shown = [r for r in self.results.values() if r.status == "ok" and np.isfinite(r.nhat)]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.4 * max(len(shown), 2) + 1))
        for i, r in enumerate(shown):
            lo, hi = r.confidence_interval.low, r.confidence_interval.high
            if np.isfinite(lo) and np.isfinite(hi):
                ax.plot([lo, hi], [i, i], color="#08519c")
            ax.plot([r.nhat], [i], "o", color="#08519c")
        ax.set_yticks(range(len(shown)), [r.method for r in shown])
        ax.invert_yaxis()
        ax.axvline(self.n_observed, color="grey", linestyle="--", label=f"observed {self.n_observed:,}")
        ax.set_xlabel("population size N")
        ax.legend(loc="best", frameon=False)
        return ax

    def __str__(self) -> str:
        return self.table.drop(columns=["warnings"]).to_string(index=False) + "".join(f"\nnote: {n}" for n in self.notes)

    def _repr_html_(self) -> str:
        """Notebook display: the comparison table."""
        t = self.table.drop(columns=["warnings"])
        return ('<div class="darkfigure-comparison">'
                f"<p>{len(self.results)} method(s) ran; observed {self.n_observed:,}</p>"
                + t.to_html(index=False, na_rep="–", float_format="{:,.1f}".format) + "</div>")
