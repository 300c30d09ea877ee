"""The result of :func:`darkfigure.estimation.estimate`: :class:`Estimate`, its ``to_dict`` (``result.json``) and ``write``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..histories import CaptureHistories
from ..loglinear.bootstrap import BootstrapResult
from ..loglinear.design import CompleteTable
from ..loglinear.fit import LogLinearFit
from ..loglinear.search import SearchResult
from .unseen_zero import unseen_zero_summary

__all__ = ["Estimate"]

#: estimates.csv's status of a row whose interval excluded its own N̂ and was widened to include it
_WIDENED = "interval widened to include N̂"


@dataclass
class Estimate:
    """The result of :func:`estimate`: N̂, interval, model, search path and warnings.

    Attributes
    ----------
    histories : CaptureHistories
    table : CompleteTable
    fit : LogLinearFit
        The chosen model's fit.
    search : SearchResult or None
        The model search (None when the model was fixed).
    ci_method : str
        ``"parametric"``, ``"nonparametric-bca"`` or ``-percentile`` (n random),
        ``"nonparametric-conditional-bca"`` or ``-percentile`` (n fixed, SparseMSE),
        ``"profile"`` or ``"none"``.
    level : float
    lower, upper : float
        Interval for the total N̂ (``upper = inf`` when there is no finite upper limit).
    estimates : DataFrame
        ``group, level, observed, nhat, lower, upper``: total, every covariate level
        and every pair of levels (and with a year column each level by year).
    bootstrap : BootstrapResult or None
        The estimator's own bootstrap on the histories as given. With a linkage correction
        these are the *as-linked* replicates (``result.json`` ``bootstrap`` describes them);
        the pooled replicates behind the corrected interval are ``linkage.bootstrap``.
    profile : object or None
        The profile-likelihood interval, when computed.
    warnings : list of str
        Everything the user must know to trust (or not) the numbers.
    notes : list of str
        What was done to the data on the way in (``histories.notes``).
    settings : dict
    seconds : dict
        Wall time of each stage.
    checks : list of darkfigure.diagnostics.Check
        Goodness of fit, residuals by number of lists, Chao's lower bound and the
        heterogeneity check: what may flag unmodelled heterogeneity (flagged ones are
        also in `warnings`).
    averaged : darkfigure.loglinear.averaging.AveragedEstimate or None
        The models averaged over and their weights (``ci="averaged"``); N̂ and the
        estimates table are then the model-averaged ones, `fit` the single best model.
    conditional : bool or None
        True when the interval holds the chosen model fixed (``parametric``,
        ``profile``, or any interval of a model given by the user / a search that
        visited one model); False when it carries the model-selection uncertainty;
        None without an interval.
    linkage : LinkageEstimate or None
        N̂ corrected for linkage error (a link run's data).
    pooling : darkfigure.loglinear.pooling.PoolingResult or None
        Pooled (mixed-effects) and stratified subgroup N̂ (``pooling="partial"``); also in
        `estimates` as ``nhat_stratified, nhat_pooled, lower_pooled, upper_pooled``.
    """

    histories: CaptureHistories
    table: CompleteTable
    fit: LogLinearFit
    search: SearchResult | None
    ci_method: str
    level: float
    lower: float
    upper: float
    estimates: pd.DataFrame
    bootstrap: BootstrapResult | None = None
    profile: Any = None
    warnings: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)
    checks: list = field(default_factory=list)
    averaged: Any = None
    conditional: bool | None = None
    linkage: Any = None  # LinkageEstimate (darkfigure.linkage.uncertainty) when the data was a link run
    identifying: Any = None  # IdentifyingAssumption (darkfigure.sensitivity): N̂ as the k-way interaction is relaxed
    pooling: Any = None  # PoolingResult (darkfigure.loglinear.pooling) with pooling="partial"

    @property
    def nhat(self) -> float:
        """Estimated population size (observed + dark figure); model-averaged with ``ci="averaged"``;
        corrected for linkage error when the data was a link run (``linkage``)."""
        if self.linkage is not None:
            return float(self.linkage.nhat_corrected)  # one headline: corrected for linkage error
        if self.averaged is not None and self.bootstrap is not None:
            return float(self.bootstrap.estimate[0])
        return self.fit.nhat

    @property
    def status(self) -> str:
        """``"ok"``, or ``"not identified"`` when the data do not identify N (the model's N̂ is not identified,
        or is one the data do not bound: :func:`darkfigure.pipeline.checks.unidentified_reason`)."""
        from .checks import unidentified_reason

        if not self.fit.identified:
            return "not identified"
        why = unidentified_reason(self.nhat, self.upper, self.n_observed, ci_method=self.ci_method,
                                  full_lists=self.histories.full_lists())
        return "ok" if why is None else "not identified"

    def full_strata(self) -> list[dict]:
        """Strata where a list registered every person observed there and the model put N̂ at those persons
        (:func:`darkfigure.pipeline.full_strata.forced_strata`): N is not bounded above there, so the rows
        holding their persons (the total) count them at their number registered only (tester 14b, H1)."""
        from .full_strata import forced_strata

        return forced_strata(self.histories, self.estimates)

    def estimates_to_write(self) -> pd.DataFrame:
        """``estimates`` as ``estimates.csv`` holds it: no N̂ where it is not an estimate; always a ``status`` column.

        The ``status`` column (``ok``/``not identified``/``N̂ floored at observed``: a subgroup whose fitted N̂ lay
        below its persons registered, written as that number with dark figure 0; ``interval widened to include
        N̂``: the interval excluded its own N̂, :func:`darkfigure.pipeline.interval.include_estimate`) is always
        written (the same columns in every run). When the
        run's N̂ is not an estimate, the total's ``lower`` holds the lower limit 'to publish' gives (and
        ``dark_figure_lower`` that minus the persons registered). A row is ``not identified`` when the run is, or when its N̂ is more than
        :data:`~darkfigure.pipeline.checks.MAX_RATIO` times its observed count; its ``nhat``,
        ``lower`` and ``upper`` (and ``*_as_linked``) are left empty, never a bare number. After
        ``upper`` come ``dark_figure``, ``dark_figure_lower``, ``dark_figure_upper`` (N̂ and its
        interval minus the persons registered).
        """
        from .checks import MAX_RATIO

        t = self.estimates.copy()
        nh = pd.to_numeric(t["nhat"], errors="coerce").to_numpy(float)
        obs = pd.to_numeric(t.get("observed", pd.Series(np.nan, index=t.index)), errors="coerce").to_numpy(float)
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(nh) | (nh > MAX_RATIO * np.maximum(obs, 1))
        if self.status != "ok":
            bad[:] = True
        from .full_strata import stratum_rows

        own, holding, said = stratum_rows(t, self.full_strata())  # a stratum not bounded above (tester 14b, H1)
        bad[own] = True
        # the same columns in every run (tester 12b, M6): status always; the total's published lower limit (what
        # 'to publish' says, publish_floor) stays in `lower` when N̂ is not an estimate
        t["status"] = np.where(bad, "not identified", "ok")
        floored = [i for i in self.estimates.attrs.get("nhat_floored", []) if i < len(t) and not bad[i]]
        t.loc[t.index[floored], "status"] = "N̂ floored at observed"  # fitted below the registered (tester 12b, L1)
        t.loc[t.index[[i for i in holding if not bad[i]]], "status"] = said
        from .interval import outside_limits

        for i in range(len(t)):
            # the interval excluded N̂ and was widened to include it (pipeline.interval.include_estimate)
            if outside_limits(self.estimates, i) is not None and not bad[i]:
                st = t.at[t.index[i], "status"]
                t.at[t.index[i], "status"] = _WIDENED if st == "ok" else f"{st}; {_WIDENED}"
        if bad.any():
            cols = [c for c in t.columns if c.startswith(("nhat", "lower", "upper"))]
            t.loc[bad, cols] = np.nan
            floor = self.to_publish().get("low") if bad[0] and self.status != "ok" else None
            if floor is not None and "lower" in t.columns:
                t.loc[t.index[0], "lower"] = float(floor)
        return _with_dark_figure(t, self._persons_corrected_rows(t))

    @property
    def n_observed(self) -> int:
        """Persons observed by at least one list."""
        return self.histories.n_observed

    @property
    def persons_subtracted(self) -> float:
        """The persons observed that the dark figure subtracts from N̂: :attr:`n_observed` (as linked), or, when N̂ is
        corrected for linkage error, the persons corrected by the same rule from the same draws
        (``linkage.persons_corrected``; :func:`darkfigure.linkage.combine.corrected_persons`; tester 16a, 4)."""
        pc = float(getattr(self.linkage, "persons_corrected", np.nan)) if self.linkage is not None else np.nan
        return pc if np.isfinite(pc) else float(self.n_observed)

    @property
    def dark_figure(self) -> float:
        """Estimated number of persons no list registered: N̂ minus :attr:`persons_subtracted` (one linkage), floored
        at 0 (N̂ corrected below the persons corrected: :mod:`darkfigure.dark_floor`, said in the warnings)."""
        from ..dark_floor import floored_dark_figure

        return floored_dark_figure(self.nhat, self.persons_subtracted)

    def _persons_corrected_rows(self, t: pd.DataFrame) -> np.ndarray | None:
        """Persons corrected for linkage error per row of `t` (the linkage's ``observed_corrected``), or None."""
        le = getattr(getattr(self, "linkage", None), "estimates", None)
        if le is None or "observed_corrected" not in le.columns or len(le) != len(t):
            return None
        same = (le["group"].astype(str).to_numpy() == t["group"].astype(str).to_numpy()).all() and (
            le["level"].astype(str).to_numpy() == t["level"].astype(str).to_numpy()).all()
        return le["observed_corrected"].to_numpy(float) if same else None

    def to_dict(self) -> dict:
        """Everything in plain JSON-able types (what ``result.json`` holds)."""
        from ..loglinear.mc_error import limit_mc_se
        from ..result_json import interval_limits
        from ..results import _num  # None for NaN, "inf"/"-inf" for infinities (not the interval: result_json)

        path = None
        if self.search is not None:
            p = self.search.path.copy()
            path = json.loads(p.to_json(orient="records"))
        f = self.fit
        out = {
            "darkfigure_version": __version__,
            "data": {
                "name": self.histories.name,
                "lists": list(self.histories.lists),
                "covariates": list(self.histories.covariates),
                "observed": self.n_observed,
                "list_sizes": {k: int(v) for k, v in self.histories.list_sizes().items()},
                "empty_overlaps": [list(p) for p in self.histories.empty_overlaps()],
                "notes": list(self.histories.notes),
            },
            "settings": self.settings,
            "model": {
                "formula": f.model.formula(),
                "interactions": [":".join(t) for t in f.model.terms if len(t) > 1],
                "status": f.status,
                "nhat": _num(f.nhat),
                "deviance": _num(f.deviance),
                "df": f.df_residual,
                "parameters": f.rank,
                "aic": _num(f.aic),
                "aicc": _num(f.aicc),
                "bic": _num(f.bic),
                "existence": None if f.existence is None else f.existence.message(),
            },
            "status": self.status,
            # an N̂ the data do not identify is not written as one (the model block keeps the model's figure)
            "nhat": _num(self.nhat) if self.status == "ok" else None,
            "dark_figure": _num(self.dark_figure) if self.status == "ok" else None,
            # a stratum where a list holds everyone counts at its persons registered: the total is a lower bound
            "nhat_lower_bound": bool(forced := self.full_strata()),
            "strata_not_bounded": [{k: s.get(k) for k in ("covariate", "level", "observed")} for s in forced],
            "interval": {
                # an infinite upper limit is null + upper_unbounded, never the string "inf" (tester 13a, F6.1)
                "method": self.ci_method, "level": self.level, **interval_limits(self.lower, self.upper),
                # how far another seed moves each bootstrap limit (tester 15b, L2); None where a rule set it
                "monte_carlo_se": limit_mc_se(self.bootstrap, self.lower, self.upper),
                "conditional_on_chosen_model": self.conditional,
                "with_linkage_uncertainty": bool(self.linkage is not None and np.isfinite(self.upper)),
                # the union with the as-linked interval where the draws' came out narrower (tester report 9, F19),
                # or where they were shifted from N̂ as linked (the reason: linkage.interval_shifted; tester 21a L3)
                "widened_to_as_linked": bool(getattr(self.linkage, "widened", False)
                                             or getattr(self.linkage, "shifted", False)),
                # rows whose interval excluded their own N̂, with the limits before widening (include_estimate)
                "widened_to_include_nhat": self._outside_rows(),
            },
            "averaging": None
            if self.averaged is None
            else {
                "criterion": self.averaged.criterion,
                "models": [
                    {"model": f.model.label(), "weight": float(w), "nhat": _num(f.nhat)}
                    for f, w in zip(self.averaged.fits, self.averaged.weights)
                ],
            },
            "bootstrap": None
            if self.bootstrap is None
            else {
                "method": self.bootstrap.method,
                "interval": self.bootstrap.interval_method,
                "replicates": self.bootstrap.n_replicates,
                "seed": self.bootstrap.seed,
                "status_counts": self.bootstrap.status_counts,
                "acceleration": self.bootstrap.acceleration,
                "random_n": self.bootstrap.random_n,
                "jackknife_failures": self.bootstrap.jackknife_failures,
                "unseen_fitted_0_replicates": None if self.bootstrap.unseen_zero is None
                else np.flatnonzero(self.bootstrap.unseen_zero).tolist(),
                # kept in the interval; how many and what they do to the lower limit (pipeline.unseen_zero)
                "unseen_fitted_0": unseen_zero_summary(self.bootstrap, float(self.lower),
                                                       int(self.histories.n_observed)),
            },
            "search": None
            if self.search is None
            else {"method": self.search.method, "criterion": self.search.criterion, "path": path},
            "warnings": list(self.warnings),
            "checks": [c.to_dict() for c in self.checks],
            "to_publish": self.to_publish(),
            **self._linkage_block(),
            "identifying_assumption": None if self.identifying is None else self.identifying.to_dict(),
            **({"pooling": self.pooling.to_dict()} if self.pooling is not None else {}),
            "seconds": self.seconds,
        }
        return out

    def _outside_rows(self) -> list[dict]:
        """Rows whose interval excluded their own N̂ (``estimates.attrs["nhat_outside"]``): group, level, N̂ and
        the limits before they were widened to include it (:func:`darkfigure.pipeline.interval.include_estimate`)."""
        from ..results import _num
        from .interval import outside_limits

        t, rows = self.estimates, []
        for i in range(len(t)):
            lim = outside_limits(t, i)
            if lim is not None:
                r = t.iloc[i]
                rows.append({"group": str(r.get("group", "")), "level": str(r.get("level", "")),
                             "nhat": _num(float(r["nhat"])), "lower": _num(lim[0]), "upper": _num(lim[1]),
                             **({"upper_unbounded": True} if lim[1] == np.inf else {})})
        return rows

    def _linkage_block(self) -> dict:
        """The ``linkage`` entry of ``result.json``: the correction, or that the linkage was taken as error-free.

        With a correction: the as-linked figures from the same estimator as the corrected ones
        (``estimator``), and ``conditional_on_chosen_model`` (True when the interval holds the
        chosen model fixed, so it lacks the model-selection uncertainty). Histories from a
        ``link`` run estimated with ``--linkage none``: ``assumes_error_free_linkage`` true. A run
        linked with ``--truth``: ``quality_against_truth`` (``LinkRun.truth_quality``) in either; ``undated_clustering``
        (``link``'s check whether missing dates cluster in persons, ``LinkRun.undated_clustering``; null when not
        computed) in either.
        """
        from ..linkage.combine import rule_block
        from ..results import _num

        if self.linkage is not None:
            d = self.linkage.to_dict()
            t = self.estimates
            d["corrected"], d["assumes_error_free_linkage"] = True, False
            d["estimator"] = "model average" if self.averaged is not None and len(self.averaged.fits) > 1 \
                else "chosen model"
            d["conditional_on_chosen_model"] = (False if d["estimator"] == "model average"
                                                else None if self.conditional is None else True)
            if d["estimator"] == "model average":
                d["method"] = ("linkage draws from the match probabilities; the model average refitted on each draw "
                               "(its candidates, weights recomputed) x the as-linked averaged bootstrap, which redoes "
                               "the model selection, scaled by each draw's N̂ (pooled percentiles)")
            from ..result_json import _flag

            for c in ("lower_as_linked", "upper_as_linked"):
                d[c] = _num(t[c].iloc[0]) if c in t.columns else None
                _flag(d, c, float(t[c].iloc[0]) if c in t.columns else None)  # null + <c>_unbounded (review)
            d.update(rule_block(self.linkage))  # the mean over draws and whether it decided the answer (14a)
            bp = getattr(self.linkage, "by_pair", None)
            if bp is not None:
                d["by_pair"] = [{k: (_num(v) if isinstance(v, (float, np.floating)) else v) for k, v in r.items()}
                                for r in bp.to_dict(orient="records")]
            truth = self.settings.get("linkage_quality_against_truth")  # `darkfigure link --truth` (LinkRun)
            d["undated_clustering"] = self.settings.get("linkage_undated_clustering")  # link's check (null: none)
            return {"linkage": {**d, **({"quality_against_truth": truth} if truth else {})}}
        if self.settings.get("linkage_source"):
            truth = self.settings.get("linkage_quality_against_truth")
            return {"linkage": {
                "corrected": False, "assumes_error_free_linkage": True, "source": self.settings["linkage_source"],
                "note": "the persons come from a record linkage, taken here as error-free: N̂ and its interval carry "
                        "no linkage error (--linkage correct on the link output folder carries it)",
                "undated_clustering": self.settings.get("linkage_undated_clustering"),
                **({"quality_against_truth": truth} if truth else {}),
            }}
        return {}

    def to_publish(self) -> dict:
        """What to publish, from this estimate and its checks (:func:`darkfigure.headline.publish_statement`)."""
        from ..headline import publish_statement

        return publish_statement(self)

    def write(self, out: str | Path, *, extra: dict | None = None, overwrite: bool = False) -> list[Path]:
        """Write ``estimates.csv``, ``result.json``, ``capture_histories.csv`` (and ``search_path.csv``) into `out`.

        ``capture_histories.csv`` is the aggregated table the model was fitted to (list
        columns, covariates, ``count``; persons with an unknown covariate value follow
        with that cell empty), so that ``darkfigure report`` can describe the data;
        ``result.json`` also records the date the results were written (``run_date``, UTC).
        Written through :func:`darkfigure.outputs.write_result` (as the command line writes): atomic, listed in
        the folder's ``.darkfigure-outputs.json``, never over a file darkfigure did not write unless
        `overwrite` (writing again into the same folder is fine).

        Parameters
        ----------
        out : path
            Folder (created when missing).
        extra : dict, optional
            More top-level entries of ``result.json`` (the monitor adds its settings).
        overwrite : bool
            Replace files in `out` that darkfigure did not write.

        Returns
        -------
        list of Path
            The files written.

        Raises
        ------
        darkfigure.outputs.OutputError
            A file in `out` that darkfigure did not write would be replaced (the message names it and
            ``overwrite=True``); nothing is written then.
        OSError
            When the folder cannot be created or written.
        """
        from ..outputs import write_result

        return write_result(out, lambda d: self._write_files(d, extra), overwrite=overwrite, command="estimate")

    def _write_files(self, out: Path, extra: dict | None) -> list[Path]:
        """Write the files of :meth:`write` into `out` directly."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        files = []
        p = out / "estimates.csv"
        self.estimates_to_write().to_csv(p, index=False)
        files.append(p)
        d = self.to_dict()
        d["run_date"] = datetime.now(UTC).isoformat(timespec="seconds")
        d.update(extra or {})
        p = out / "result.json"
        p.write_text(json.dumps(d, indent=2, default=str), encoding="utf-8")
        files.append(p)
        p = out / "capture_histories.csv"
        h = self.histories
        rows = h.to_frame() if h.incomplete is None else pd.concat([h.to_frame(), h.incomplete], ignore_index=True)
        rows.to_csv(p, index=False)
        files.append(p)
        if self.search is not None:
            p = out / "search_path.csv"
            self.search.path.to_csv(p, index=False)
            files.append(p)
        return files

    def __str__(self) -> str:
        hi = "no finite upper limit" if not np.isfinite(self.upper) else f"{self.upper:,.0f}"
        lo = "-" if not np.isfinite(self.lower) else f"{self.lower:,.0f}"
        cond = {True: ", conditional on the chosen model", False: ", with model-selection uncertainty"}.get(
            self.conditional, ""
        )
        model = (
            f"averaged over {len(self.averaged.fits)} model(s), the search's choice {self.fit.model.label()}"
            if self.averaged is not None
            else f"model {self.fit.model.label()}"
        )
        return (
            f"N̂ = {self.nhat:,.0f} ({self.level:.0%} {self.ci_method} interval {lo} – {hi}{cond}); "
            f"observed {self.n_observed:,}; {model}"
        )


def _with_dark_figure(t: pd.DataFrame, persons_corrected: np.ndarray | None = None) -> pd.DataFrame:
    """`t` with ``dark_figure``, ``dark_figure_lower``, ``dark_figure_upper`` added (tester report 6, L1).

    The dark figure is N̂ minus the persons registered, and its interval the interval of N̂
    minus them (the number registered is known, so it carries N̂'s uncertainty unchanged);
    empty where N̂ or its interval is. Placed after ``upper`` (before any ``*_as_linked``,
    ``share_linkage`` or ``status`` columns). With `persons_corrected` (shape (len(t),): N̂ corrected for
    linkage error, the persons corrected by the same rule from the same draws) those are subtracted instead, and
    written as ``observed_corrected`` after the three (``observed`` stays as linked): a dark figure from one
    linkage, never corrected N̂ minus as-linked persons (tester 16a, finding 4); where the interval was widened to
    the as-linked one, the dark figure's is the union of both scales' (:func:`darkfigure.dark_floor.dark_interval`:
    each limit minus the persons of its own linkage; tester 18a, L2). Each is floored at 0
    (:func:`darkfigure.dark_floor.floored_dark_figure`): never a negative dark figure.
    """
    if not {"nhat", "lower", "upper", "observed"} <= set(t.columns):
        return t
    from ..dark_floor import dark_interval, floored_dark_figure

    obs = pd.to_numeric(t["observed"], errors="coerce")
    if persons_corrected is None and "observed_corrected" in t.columns:  # monitor.csv corrected for linkage
        obs = pd.to_numeric(t["observed_corrected"], errors="coerce").fillna(obs)
    elif persons_corrected is not None:
        pc = np.asarray(persons_corrected, float).reshape(-1)
        obs = pd.Series(np.where(np.isfinite(pc), pc, obs.to_numpy(float)), index=t.index)
    at = list(t.columns).index("upper") + 1

    def col(c: str, kind=float):
        """Column `c` of the table as a float array (NaN where not a number), or as bools with ``kind=bool``."""
        return pd.to_numeric(t[c], errors="coerce").to_numpy(float) if kind is float else \
            t[c].fillna(False).astype(bool).to_numpy()

    # floored at 0: N̂ corrected below the persons corrected (rule "bias") is no negative dark figure (s17); a limit
    # of the interval published minus the persons of the linkage it came from (dark_interval; tester 18a, L2)
    linked = {"lower_as_linked", "upper_as_linked", "nhat_as_linked", "lower_draws", "upper_draws", "nhat_mean_draws",
              "interval_widened", "interval_shifted"} <= set(t.columns) and (
        persons_corrected is not None or "observed_corrected" in t.columns)
    lo, hi = dark_interval(col("lower"), col("upper"), obs.to_numpy(float), *((
        (col("lower_as_linked"), col("upper_as_linked"), col("nhat_as_linked"), col("observed")),
        (col("lower_draws"), col("upper_draws"), col("nhat_mean_draws"), col("interval_widened", bool),
         col("interval_shifted", bool))) if linked else ()), point=col("nhat") if linked else None)
    for i, (name, v) in enumerate((("dark_figure", floored_dark_figure(col("nhat"), obs.to_numpy(float))),
                                   ("dark_figure_lower", lo), ("dark_figure_upper", hi))):
        t.insert(at + i, name, v)
    if persons_corrected is not None:
        t.insert(at + 3, "observed_corrected", obs.to_numpy(float))
    return t
