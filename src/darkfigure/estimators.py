"""Every method as an estimator object, in the scikit-learn / lifelines manner.

Settings go in the constructor; ``fit(histories)`` runs the method and returns the
estimator itself, which then answers the result protocol of :class:`darkfigure.results.Result`
(``nhat``, ``dark_figure``, ``n_observed``, ``confidence_interval``, ``warnings``,
``summary``, ``to_frame()``, ``to_polars()``, ``to_dict()``, ``plot()``, ``_repr_html_``); the full result
is ``result_`` and the method's own result type ``result_.raw``::

    import darkfigure as dfg

    h = dfg.load_dataset("kosovo")
    fit = dfg.Heterogeneity("Mh-darroch").fit(h)
    fit.nhat, fit.confidence_interval.high

The estimators wrap the existing functions (nothing is re-implemented here):

* :class:`LogLinear` — :func:`darkfigure.estimation.estimate`: Poisson log-linear models
  with Cruyff's stepwise search, the stratified, p-value or exhaustive search, or a fixed
  model, and the averaged / parametric / nonparametric / profile intervals.
* :class:`ModelAveraging` — the same with the model-averaged N̂ and interval (Buckland,
  Burnham & Augustin 1997).
* :class:`PValueSearch` — SparseMSE's stepwise p-value search (Chan, Silverman & Vincent 2021).
* :class:`Heterogeneity` — Rcapture's M0, Mt, Mh and Mth (:func:`darkfigure.heterogeneity.fit_heterogeneity`).
* :class:`LCMCR` — the latent-class model of Manrique-Vallier (2016) (:func:`darkfigure.bayes.lcmcr.lcmcr`).
* :class:`DGA` — Bayesian model averaging over decomposable graphs (Madigan & York 1997;
  :func:`darkfigure.bayes.dga.dga`).
* :class:`Downhill` and :class:`BICExhaustive` — MultipleSystemsEstimation's downhill and
  BIC choices with a bootstrap that repeats the choice (Silverman, Chan & Vincent 2024;
  :mod:`darkfigure.loglinear.downhill`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias

from .results import ConfidenceInterval, Result

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from .histories import CaptureHistories

    #: what ``fit`` takes: capture histories, a pandas or polars frame, a file or a bundled dataset name
    HistoriesLike: TypeAlias = CaptureHistories | pd.DataFrame | str | Path | Any

__all__ = [
    "Estimator",
    "NotFittedError",
    "LogLinear",
    "ModelAveraging",
    "PValueSearch",
    "Heterogeneity",
    "LCMCR",
    "DGA",
    "Downhill",
    "BICExhaustive",
    "ESTIMATORS",
]


class NotFittedError(AttributeError):
    """A fitted attribute was asked of an estimator before ``fit``."""


def _histories(data: Any, read: dict[str, Any] | None = None) -> CaptureHistories:
    """CaptureHistories from any input ``fit`` takes, with ``fit``'s reading options (:func:`darkfigure.io.read_histories`)."""
    from .io import read_histories

    return read_histories(data, **(read or {}))


class Estimator:
    """Base of the estimator objects: constructor settings, ``fit``, the result protocol after fitting.

    Subclasses implement ``_fit(data) -> Result``. ``get_params()`` returns the settings.
    """

    #: name of the method in :data:`darkfigure.comparison.METHODS` (or the family's)
    method: ClassVar[str] = ""
    _params: ClassVar[tuple[str, ...]] = ()
    #: the reading options of the last ``fit`` (lists, covariates, count, on_empty_list); replaced, never mutated
    _read: dict[str, Any] = {}  # noqa: RUF012 (a class-level empty default; fit assigns a new dict per instance)

    def get_params(self) -> dict[str, Any]:
        """The constructor settings, ``{name: value}``."""
        return {p: getattr(self, p) for p in self._params}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def fit(self, histories: HistoriesLike, *, lists: list[str] | None = None, covariates: list[str] | None = None,
            count: str = "count", on_empty_list: str = "error") -> Estimator:
        """Run the method on `histories` and return self (``result_`` and the protocol attributes set).

        Parameters
        ----------
        histories : CaptureHistories, pandas or polars DataFrame, path or bundled dataset name
            Aggregated (0/1 list columns, covariates, ``count``) or one row per person.
        lists, covariates : list of str, optional
            The list columns and covariate columns of a table (default: the 0/1 columns are
            the lists), as ``dfg.estimate`` and ``--lists`` / ``--covariates``.
        count : str
            The count column of an aggregated table (``--count``; default ``count``, or
            ``Freq``/``n`` when found).
        on_empty_list : {"error", "drop"}
            A list that registered nobody: refuse (default) or drop it (``--drop-empty-lists``).

        Returns
        -------
        self

        Raises
        ------
        DataError
            Invalid data or settings (the message names the column, list or option).
        """
        # only what the caller set, so that LogLinear's `options` and the readers' own defaults still apply
        self._read = {k: v for k, v in (("lists", lists), ("covariates", covariates), ("count", count),
                                        ("on_empty_list", on_empty_list))
                      if v != {"count": "count", "on_empty_list": "error"}.get(k)}
        self.result_ = self._fit(histories)
        return self

    def _fit(self, data: Any) -> Result:  # pragma: no cover - abstract
        raise NotImplementedError

    # ---- the result protocol, delegated to result_
    @property
    def result(self) -> Result:
        """The fitted :class:`~darkfigure.results.Result` (raises NotFittedError before ``fit``)."""
        r = self.__dict__.get("result_")
        if r is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call .fit(histories) first")
        return r

    @property
    def nhat(self) -> float:
        """N̂, persons (see :attr:`Result.nhat`)."""
        return self.result.nhat

    @property
    def nhat_not_identified(self) -> float:
        """The model's N̂ when it is not an estimate (``nhat`` NaN), for diagnosis only; else NaN."""
        return self.result.nhat_not_identified

    @property
    def dark_figure(self) -> float:
        """N̂ - n, persons no list registered."""
        return self.result.dark_figure

    @property
    def n_observed(self) -> int:
        """Persons registered by at least one list."""
        return self.result.n_observed

    @property
    def confidence_interval(self) -> ConfidenceInterval:
        """The interval for N (low, high, method, level)."""
        return self.result.confidence_interval

    @property
    def warnings(self) -> tuple[str, ...]:
        """Everything the user must know to trust (or not) the number."""
        return self.result.warnings

    @property
    def summary(self) -> pd.DataFrame:
        """One-row DataFrame, columns :data:`darkfigure.results.SUMMARY_COLUMNS`."""
        return self.result.summary

    def to_frame(self) -> pd.DataFrame:
        """Estimates by group with the figures of estimates.csv (see :meth:`Result.to_frame`; pandas, also for polars input)."""
        return self.result.to_frame()

    def to_polars(self) -> Any:
        """:meth:`to_frame` as a polars DataFrame (see :meth:`Result.to_polars`)."""
        return self.result.to_polars()

    def to_dict(self) -> dict[str, Any]:
        """Everything in JSON types (see :meth:`Result.to_dict`)."""
        return self.result.to_dict()

    def plot(self, ax: Axes | None = None) -> Axes:
        """N̂, interval and distribution (see :meth:`Result.plot`)."""
        return self.result.plot(ax)

    def _repr_html_(self) -> str:
        if self.__dict__.get("result_") is None:
            import html

            return f"<p>{html.escape(repr(self))} (not fitted)</p>"
        return self.result._repr_html_()


class LogLinear(Estimator):
    """Poisson log-linear model of the capture histories with a model search and an interval.

    The settings are those of :func:`darkfigure.estimation.estimate` (see there for every
    choice): ``search`` in ``auto, cruyff, stratified, pvalue, pvalue-pairs, exhaustive, none``;
    ``ci`` in ``averaged, parametric, nonparametric, nonparametric-conditional, profile, none``;
    ``reps`` bootstrap replicates and their ``seed``; ``level``; ``model`` a fixed model's
    interactions (``"A:B, B:C"``); ``year``/``year_degree`` the year column; ``missing``
    ``error, em, drop``; ``options`` any further keyword of ``estimate``.

    Fitted: ``result_`` (raw: :class:`~darkfigure.estimation.Estimate`); ``to_frame()``
    gives N̂ for the total and every covariate level.
    """

    method = "loglinear"
    _params: ClassVar[tuple[str, ...]] = ("search", "criterion", "model", "ci", "reps", "seed", "level", "pthresh", "max_order",
               "average_criterion", "year", "year_degree", "missing", "options")

    def __init__(
        self,
        search: str = "auto",
        *,
        criterion: Literal["bic", "aic"] | None = None,
        model: str | list[str] | None = None,
        ci: str = "averaged",
        reps: int = 1000,
        seed: int | None = None,
        level: float = 0.95,
        pthresh: float = 0.02,
        max_order: int = 2,
        average_criterion: Literal["aic", "bic"] = "aic",
        year: str | None = None,
        year_degree: int | None = None,
        missing: Literal["error", "em", "drop"] = "error",
        options: dict[str, Any] | None = None,
    ) -> None:
        self.search, self.criterion, self.model, self.ci = search, criterion, model, ci
        self.reps, self.seed, self.level, self.pthresh = reps, seed, level, pthresh
        self.max_order, self.average_criterion = max_order, average_criterion
        self.year, self.year_degree, self.missing = year, year_degree, missing
        self.options = dict(options or {})

    def _fit(self, data: Any) -> Result:
        from .estimation import estimate
        from .results import from_estimate

        kw = {k: v for k, v in self.get_params().items() if k != "options"}
        return from_estimate(estimate(data, **kw, **{**self.options, **self._read}),
                             method=self.method)


class ModelAveraging(LogLinear):
    """Model-averaged log-linear N̂: smoothed AIC (or BIC) weights over the models the search visited.

    N̂ and the parametric-bootstrap interval come from the mixture of those models
    (Buckland, Burnham & Augustin 1997, Biometrics 53:603): the interval carries the
    model-selection uncertainty. As :class:`LogLinear` with ``ci="averaged"``.
    """

    method = "model-averaging"
    _params = tuple(p for p in LogLinear._params if p != "ci")

    def __init__(self, search: str = "auto", *, average_criterion: Literal["aic", "bic"] = "aic",
                 **kwargs: Any) -> None:
        if "ci" in kwargs:
            raise TypeError("ModelAveraging's interval is the averaged one; use LogLinear(ci=...) for another")
        super().__init__(search, ci="averaged", average_criterion=average_criterion, **kwargs)


class PValueSearch(LogLinear):
    """SparseMSE's stepwise p-value search (Chan, Silverman & Vincent 2021, JASA 116:1297).

    From the main-effects model, add the pair of lists whose interaction is most
    significant while its p-value is below ``pthresh`` (0.02). ``pairs_only=True`` is
    exactly SparseMSE's ``stepwisefit`` (``search="pvalue-pairs"``); False also offers
    list x covariate terms (``search="pvalue"``). Other settings as :class:`LogLinear`.
    """

    method = "loglinear-pvalue"
    _params = ("pairs_only",) + tuple(p for p in LogLinear._params if p != "search")

    def __init__(self, pthresh: float = 0.02, *, pairs_only: bool = True, **kwargs: Any) -> None:
        if "search" in kwargs:
            raise TypeError("PValueSearch's search is the p-value search; use LogLinear(search=...) for another")
        self.pairs_only = pairs_only
        super().__init__("pvalue-pairs" if pairs_only else "pvalue", pthresh=pthresh, **kwargs)

    def _fit(self, data: Any) -> Result:
        from .estimation import estimate
        from .results import from_estimate

        kw = {k: getattr(self, k) for k in LogLinear._params if k != "options"}
        return from_estimate(estimate(data, **kw, **{**self.options, **self._read}),
                             method=self.method)


class Heterogeneity(Estimator):
    """Rcapture's closed-population models M0, Mt, Mh and Mth (``closedp.t`` / ``closedpCI.t``).

    ``model`` one of ``M0, Mt, Mh-chao, Mh-poisson2, Mh-darroch, Mh-gamma3.5, Mth-chao,
    Mth-poisson2, Mth-darroch, Mth-gamma3.5`` (Rivest & Baillargeon 2007; Darroch et al.
    1993); the interval is the multinomial profile likelihood at ``level``. Covariates
    are summed over. Mh and Mth need 3 or more lists. Fitted raw result:
    :class:`~darkfigure.heterogeneity.HeterogeneityFit`; its status says when the MLE
    does not exist (then N̂ is NaN: not an estimate). When the data do not identify N by the house rule of
    ``darkfigure estimate`` (:func:`darkfigure.results.apply_house_rule`: N̂ above 100 times the persons observed,
    a profile interval with no upper limit, a list that registered everyone), N̂ is NaN, ``status`` is
    ``"not identified"``, the first warning says why and the model's number is in ``nhat_not_identified``.

    Raises
    ------
    ValueError
        At construction: an unknown model name (the message lists the available ones), or Mb/Mbh, or an
        unknown ``correction``.
    """

    _params = ("model", "level", "interval", "neg", "correction")

    def __init__(self, model: str = "Mh-darroch", *, level: float = 0.95, interval: bool = True, neg: bool = True,
                 correction: Literal["rcapture", "exact"] = "rcapture") -> None:
        from .heterogeneity_models import model_spec

        model_spec(model)  # an unknown name is refused here, not at fit time (tester report 7, 26)
        if correction not in ("rcapture", "exact"):
            raise ValueError(f"correction must be 'rcapture' or 'exact', not {correction!r}")
        self.model, self.level, self.interval, self.neg, self.correction = model, level, interval, neg, correction

    @property
    def method(self) -> str:  # type: ignore[override]
        """The model's name, as in the comparison table."""
        return self.model

    def _fit(self, data: Any) -> Result:
        from .heterogeneity import fit_heterogeneity
        from .results import from_heterogeneity

        h = _histories(data, self._read).collapse()
        f = fit_heterogeneity(h, self.model, interval=self.interval, level=self.level, neg=self.neg,
                              correction=self.correction)
        # the house rule of `darkfigure estimate` and compare (N̂ > 100x observed, ...): NaN, never a huge N̂
        return from_heterogeneity(f, level=self.level, full_lists=h.full_lists())


class LCMCR(Estimator):
    """Posterior of N under the non-parametric latent-class model (Manrique-Vallier 2016, Biometrics 72:1246).

    Settings as :func:`darkfigure.bayes.lcmcr.lcmcr`: ``K`` latent classes, the
    Gamma(``a_alpha``, ``b_alpha``) prior of the stick-breaking concentration, ``burnin``,
    ``samples``, ``thinning``, ``chains`` and their ``seed``. N̂ is the posterior median,
    the interval the equal-tailed credible interval at ``level``. Covariates are summed over.

    When the data do not identify N under the model (:mod:`darkfigure.lcmcr_rules`: a list that shares nobody with
    any other list, or an upper credible limit above 50 times the persons observed, dga's rule), N̂ and the
    interval are NaN, ``status`` is ``"not identified"`` and the first warning says why, as ``darkfigure compare``
    reports it; ``raw`` keeps the posterior.

    Raises
    ------
    ValueError
        At ``fit``: fewer than 3 lists (a latent-class model is not identified from two lists), as ``DGA`` and
        ``Heterogeneity("Mh-chao")`` refuse them.
    """

    method = "lcmcr"
    _params = ("K", "a_alpha", "b_alpha", "burnin", "samples", "thinning", "chains", "seed", "level", "n_jobs")

    def __init__(self, K: int = 10, *, a_alpha: float = 0.25, b_alpha: float = 0.25, burnin: int = 10000,
                 samples: int = 1000, thinning: int = 100, chains: int = 4, seed: int | None = None,
                 level: float = 0.95, n_jobs: int | None = None) -> None:
        self.K, self.a_alpha, self.b_alpha = K, a_alpha, b_alpha
        self.burnin, self.samples, self.thinning, self.chains = burnin, samples, thinning, chains
        self.seed, self.level, self.n_jobs = seed, level, n_jobs

    def _fit(self, data: Any) -> Result:
        from .bayes.lcmcr import lcmcr
        from .lcmcr_rules import histories_reason, mark_not_converged, mark_not_identified, require_lists
        from .results import from_lcmcr

        p = self.get_params()
        level, n_jobs = p.pop("level"), p.pop("n_jobs")
        h = _histories(data, self._read).collapse()
        require_lists(h.k, h.lists)  # before sampling: two lists never identify a latent-class model
        r = from_lcmcr(lcmcr(h, **p, level=level, n_jobs=n_jobs))
        why = histories_reason(h, r.confidence_interval.high)
        if why is None:
            # chains that disagree (R-hat > 1.1, bulk ESS < 100): no estimate either (lcmcr_rules; tester 15b, M3)
            bad = r.raw.not_converged
            return r if bad is None else mark_not_converged(r, bad)
        import dataclasses

        # the posterior median is kept for diagnosis under the name every result uses (results.apply_house_rule)
        return dataclasses.replace(mark_not_identified(r, why), nhat_not_identified=r.nhat)


class DGA(Estimator):
    """Bayesian model averaging over decomposable graphical models (Madigan & York 1997; dga's ``bma.cr``).

    Settings as :func:`darkfigure.bayes.dga.dga`: ``delta`` (hyper-Dirichlet prior per
    cell, default 2^-k), ``prior`` on N (``"1/N"``, ``"uniform"`` or a callable), ``level``.
    3 to 5 lists; covariates are summed over. N̂ is the posterior median.
    """

    method = "dga"
    _params = ("delta", "prior", "level", "n_top")

    def __init__(self, delta: float | None = None, *, prior: Any = "1/N", level: float = 0.95,
                 n_top: int = 10) -> None:
        self.delta, self.prior, self.level, self.n_top = delta, prior, level, n_top

    def _fit(self, data: Any) -> Result:
        from .bayes.dga import dga
        from .results import from_dga

        return from_dga(dga(_histories(data, self._read).collapse(), self.delta, self.prior, level=self.level, n_top=self.n_top))


class _SelectionBootstrapEstimator(Estimator):
    """Shared by :class:`Downhill` and :class:`BICExhaustive`: a bootstrap that repeats the model choice."""

    def _run(self, table: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit(self, data: Any) -> Result:
        from .pipeline.table import lists_table
        from .results import from_selection_bootstrap

        h = _histories(data, self._read)
        try:
            run = self._run(lists_table(h))
        except RuntimeError as e:  # "no admissible model": where a list holds everyone, say why (tester 14b H3)
            from .lcmcr_rules import full_lists_reason

            why = full_lists_reason(h.full_lists())
            if why is None:
                raise
            from .errors import DataError

            raise DataError(f"N is not identified by these data: {why}") from e
        return from_selection_bootstrap(run, h.n_observed, self.method, full_lists=h.full_lists())


class Downhill(_SelectionBootstrapEstimator):
    """MultipleSystemsEstimation's downhill search with a BCa bootstrap that repeats it in every replicate.

    Silverman, Chan & Vincent (2024), Statistics and Computing 34:44, sec. 5.2. Settings as
    :func:`darkfigure.loglinear.selection_bootstrap.downhill_bootstrap`; ``condition_on_n=True``
    resamples the n observed persons as the package does (the comparison's form).
    Covariates are summed over. N̂ is NaN when the data do not identify N (as :class:`Heterogeneity`).
    """

    method = "downhill"
    _params = ("reps", "seed", "level", "max_order", "max_iter", "condition_on_n")

    def __init__(self, *, reps: int = 1000, seed: int | None = None, level: float = 0.95,
                 max_order: int | None = None, max_iter: int = 20, condition_on_n: bool = True) -> None:
        self.reps, self.seed, self.level = reps, seed, level
        self.max_order, self.max_iter, self.condition_on_n = max_order, max_iter, condition_on_n

    def _run(self, table: Any) -> Any:
        from .loglinear.selection_bootstrap import downhill_bootstrap

        return downhill_bootstrap(table, **self.get_params())


class BICExhaustive(_SelectionBootstrapEstimator):
    """MultipleSystemsEstimation's ``estimate_population_bic``: the BIC-best admissible model, BCa bootstrap.

    Every hierarchical model up to ``max_order`` is fitted and ranked by BIC; each replicate
    repeats the choice among the ``ntop`` best (Silverman, Chan & Vincent 2024, secs. 3-4).
    Settings as :func:`darkfigure.loglinear.selection_bootstrap.bic_bootstrap`. At most 6 lists;
    covariates are summed over. N̂ is NaN when the data do not identify N (as :class:`Heterogeneity`).
    """

    method = "bic-exhaustive"
    _params = ("ntop", "max_order", "reps", "seed", "level", "condition_on_n")

    def __init__(self, *, ntop: int | None | str = "default", max_order: int | None = None, reps: int = 1000,
                 seed: int | None = None, level: float = 0.95, condition_on_n: bool = True) -> None:
        self.ntop, self.max_order, self.reps, self.seed = ntop, max_order, reps, seed
        self.level, self.condition_on_n = level, condition_on_n

    def _run(self, table: Any) -> Any:
        from .loglinear.selection_bootstrap import bic_bootstrap

        return bic_bootstrap(table, **self.get_params())


#: every estimator class, by name
ESTIMATORS: dict[str, type[Estimator]] = {
    c.__name__: c
    for c in (LogLinear, ModelAveraging, PValueSearch, Heterogeneity, LCMCR, DGA, Downhill, BICExhaustive)
}
