"""What :func:`~darkfigure.strata.core.estimate_strata` returns: the per-stratum table, the totals and their writing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from .reading import _plain

__all__ = ["StrataResult"]


@dataclass
class StrataResult:
    """What :func:`estimate_strata` returns.

    The total over the estimated strata also answers the result protocol of
    :mod:`darkfigure.results` (through :meth:`as_result`, a :class:`~darkfigure.results.Result`):
    ``nhat``, ``dark_figure``, ``n_observed`` (persons in the estimated strata),
    ``confidence_interval``, ``summary``, ``to_frame()`` (``totals`` with the dark figure; ``to_polars()``), ``_repr_html_``;
    ``to_dict()`` carries the protocol's keys beside those of ``strata.json``.

    Attributes
    ----------
    table : DataFrame
        One row per stratum: the ``by`` columns, ``observed`` (mean over replicates), ``nhat``,
        ``lower``, ``upper`` (+inf, written ``inf`` as in ``estimates.csv``, when the stratum's bootstrap
        replicates without a finite N̂ reach the upper quantile: N is not bounded above there),
        ``status`` (``estimated`` / ``not estimable`` / ``failed``),
        ``reason``, ``replicates`` (estimated in how many), ``var_share_replicates`` (empty with
        replicates without a finite N̂: the within variance is infinite), ``draws_unbounded``
        (bootstrap replicates without a finite N̂, counted as N̂* = +inf, over every replicate of the
        data; 0 for LCMCR), ``lists_used``, ``model`` (the chosen model), ``warnings``, ``seconds``
        (summed over replicates).
    totals : DataFrame
        ``group`` (``total`` or a ``by`` column), ``level``, ``strata`` (estimable strata
        added), ``observed``, ``nhat``, ``lower``, ``upper``, ``var_share_replicates``,
        ``strata_left_out``, ``observed_left_out`` (persons in strata not estimable, not in N̂),
        ``bootstrap_bias`` (log-linear: mean of the summed bootstrap draws minus the summed N̂, the
        bootstrap's estimate of the summed small-sample bias), ``nhat_uncorrected`` (log-linear: the
        plain sum of the strata's N̂; ``nhat`` is ``nhat_uncorrected - bootstrap_bias`` when the
        totals are bias-corrected, see `total_bias` of :func:`estimate_strata`), ``interval``
        (log-linear: what the intervals carry about the model, e.g. conditional on the jointly
        chosen model; ``settings["interval_note"]``). ``upper`` is +inf (``inf``) when a draw of the
        total, which adds draw b of every stratum, is infinite beyond the upper quantile; then
        ``nhat_bounded``, ``lower_bounded``, ``upper_bounded`` give the total over the strata with
        bounded intervals, and ``strata_unbounded``, ``observed_unbounded`` count the estimated
        strata left out of it and their persons (0 and empty when ``upper`` is finite).
        ``covers`` says what a row's N̂ counts: ``all strata``, or ``estimated strata only`` when strata
        that could not be estimated were left out (their persons are in ``observed_left_out``, not in N̂);
        ``lower_all_strata`` is then the lower limit of N over all strata of the row, ``lower`` plus
        ``observed_left_out`` (those persons were registered, so N cannot be below it; equal to ``lower``
        when nothing was left out). Added by :meth:`__post_init__` (tester 10, F15).
    unbounded_totals : list of dict
        One per total with an infinite upper end: ``group``, ``level``, ``nhat``, ``lower``, ``strata``,
        the bounded total (``nhat_bounded``, ...) and ``left_out`` (the strata left out of it, with
        their observed counts and replicates without a finite N̂); ``strata.json`` holds it.
    settings : dict
    warnings : list of str
        About the run as a whole (identifier-like columns, replicate files left out, strata that fit
        poorly, ...).
    counts : dict
        ``units``, ``computed``, ``from_cache``, ``strata``, ``estimated``, ``not_estimable``.
    seconds : float
    """

    table: pd.DataFrame
    totals: pd.DataFrame
    settings: dict
    warnings: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    unbounded_totals: list = field(default_factory=list)

    def __post_init__(self) -> None:
        """Say what each total covers and bound N over all strata (``covers``, ``lower_all_strata``; tester 10, F15).

        A total adds the estimated strata only; named ``total`` with the persons of the strata left out in a
        column apart, it read as the population. Each row now says whether it covers every stratum, and its
        lower end over all strata adds the left-out persons; the run's warnings say it for the overall total.
        """
        t = self.totals
        if not len(t) or "observed_left_out" not in t.columns or "covers" in t.columns:
            return
        from .bias_note import bias_warnings

        self.warnings.extend(bias_warnings(t, self.settings, self.table))  # a large correction said (tester 13b, M8)
        left = pd.to_numeric(t["observed_left_out"], errors="coerce").fillna(0.0)
        n_left = pd.to_numeric(t["strata_left_out"], errors="coerce").fillna(0).astype(int)
        some = (left > 0) | (n_left > 0)
        t["covers"] = np.where(some, "estimated strata only", "all strata")
        lower = pd.to_numeric(t["lower"], errors="coerce")
        # no estimated stratum: the persons registered are still a lower limit of N
        t["lower_all_strata"] = lower.fillna(0.0).where(pd.to_numeric(t["strata"], errors="coerce") > 0, 0.0) + left
        t.loc[~some & lower.isna(), "lower_all_strata"] = np.nan
        r = t.iloc[0]
        if bool(some.iloc[0]) and int(r["strata"]) > 0 and np.isfinite(float(r["nhat"])):
            k, k_left = int(r["strata"]), int(r["strata_left_out"])
            covered = "estimated stratum" if k == 1 else f"{k:,} estimated strata"
            gone = "stratum" if k_left == 1 else f"{k_left:,} strata"
            self.warnings.append(
                f"the total N̂ {float(r['nhat']):,.0f} ({float(r['lower']):,.0f} – "
                + (f"{float(r['upper']):,.0f}" if np.isfinite(float(r["upper"])) else "no finite upper limit")
                + ") covers the "
                f"{covered} only, not the population: the {float(r['observed_left_out']):,.0f} persons observed in the "
                f"{gone} left out are not in it. Over all strata, N is at least {float(r['lower_all_strata']):,.0f} (the "
                "total's lower limit plus those persons; totals.csv: covers, lower_all_strata); with no estimate for "
                "the strata left out, that lower limit is all that can be said of the whole")

    def as_result(self):
        """The total over the estimated strata as a :class:`~darkfigure.results.Result` (NaN when none is).

        ``groups`` holds the totals by ``by`` column (columns :data:`~darkfigure.results.FRAME_COLUMNS`).
        """
        from ..results import FRAME_COLUMNS, ConfidenceInterval, Result

        t = self.totals.iloc[0] if len(self.totals) else None
        ok = t is not None and t["strata"] > 0 and np.isfinite(t["nhat"])
        ms = self.settings.get("method_settings") or {}
        if self.settings["method"] == "loglinear":
            how = ms.get("ci") or "parametric"
            model = ms.get("model") or ("main effects" if ms.get("search") == "none" else f"search {ms.get('search')}")
            joint = self.settings.get("model_search")
            if joint:  # one model chosen across strata (pooled.py), fitted per stratum
                model = " / ".join(dict.fromkeys(str(m) for m in joint["models"] if m)) + " (chosen jointly across strata)"
        else:
            how, model = "credible", "latent classes"
        groups = self.totals[list(FRAME_COLUMNS)].copy() if len(self.totals) else None
        return Result(
            method=f"strata:{self.settings['method']}",
            nhat=float(t["nhat"]) if ok else float("nan"),
            n_observed=int(round(float(t["observed"]))) if ok else 0,
            confidence_interval=ConfidenceInterval(float(t["lower"]) if ok else float("nan"),
                                                   float(t["upper"]) if ok else float("nan"), how,
                                                   float(self.settings["level"])),
            warnings=tuple(self.warnings), model=f"{model} per stratum", status="ok" if ok else "not identified",
            raw=None, groups=groups)

    @property
    def nhat(self) -> float:
        """N̂ of the total over the estimated strata (NaN when no stratum is estimable)."""
        return self.as_result().nhat

    @property
    def n_observed(self) -> int:
        """Persons observed in the estimated strata (those the total's N̂ covers)."""
        return self.as_result().n_observed

    @property
    def dark_figure(self) -> float:
        """N̂ − observed for the total over the estimated strata."""
        return self.as_result().dark_figure

    @property
    def confidence_interval(self):
        """The total's :class:`~darkfigure.results.ConfidenceInterval`."""
        return self.as_result().confidence_interval

    @property
    def summary(self) -> pd.DataFrame:
        """One row with the columns of :data:`darkfigure.results.SUMMARY_COLUMNS` for the total."""
        return self.as_result().summary

    def to_frame(self) -> pd.DataFrame:
        """``totals.csv`` (overall, then by each ``by`` column) with ``dark_figure``, ``dark_figure_lower``,
        ``dark_figure_upper`` after ``upper`` (N̂ and its interval minus the persons observed), as estimates.csv
        has them. Always pandas, also for polars input (:meth:`to_polars`)."""
        from .._frames import with_dark_figure

        return with_dark_figure(self.totals)

    def to_polars(self) -> Any:
        """:meth:`to_frame` as a polars DataFrame (ImportError naming ``darkfigure[polars]`` without polars)."""
        from .._frames import to_polars

        return to_polars(self.to_frame())

    def _repr_html_(self) -> str:
        """Notebook display: the total as every result shows it, then the strata counts."""
        c = self.counts
        return (self.as_result()._repr_html_() + f"<p>{c['strata']:,} strata: {c['estimated']:,} estimated, "
                f"{c['not_estimable']:,} not (the <code>table</code> attribute has every stratum)</p>")

    def to_dict(self) -> dict:
        """JSON-able summary (``strata.json``): the result protocol's keys for the total, then settings, rule,
        counts, warnings, not-estimable strata."""
        from ..results import _jsonable

        bad = self.table[self.table["status"] != "estimated"]
        by = self.settings["by"]
        res = self.as_result()
        return {
            **{k: v for k, v in res.to_dict().items() if k not in ("details", "to_publish", "identifying_assumption")},
            "darkfigure_version": __version__,
            "settings": self.settings,
            "interval_note": self.settings.get("interval_note"),
            "estimability_rule": RULE_TEXT.format(**self.settings),
            # what the total's N̂ counts and the lower limit of N over all strata (tester 10, F15)
            "total_covers": None if not len(self.totals) else str(self.totals.iloc[0].get("covers", "all strata")),
            "lower_all_strata": None if not len(self.totals) else _jsonable(
                float(self.totals.iloc[0].get("lower_all_strata", np.nan))),
            "counts": self.counts,
            "warnings": self.warnings,
            "not_estimable": [
                {**{c: _plain(r[c]) for c in by}, "status": r["status"], "reason": r["reason"]}
                for _, r in bad.iterrows()
            ],
            # strata reported with no finite upper limit, and the totals that are unbounded with the total over
            # the strata with bounded intervals beside them (N̂* = inf for replicates without a finite N̂)
            "unbounded_strata": _jsonable([
                {**{c: _plain(r[c]) for c in by}, "observed": r["observed"], "nhat": r["nhat"], "lower": r["lower"],
                 "upper": r["upper"], "draws_unbounded": r.get("draws_unbounded", 0)}
                for _, r in self.table.iterrows()
                if r["status"] == "estimated" and not np.isfinite(float(r["upper"]))
            ]),
            "unbounded_totals": _jsonable(self.unbounded_totals),
            "seconds": self.seconds,
        }

    def write(self, out: str | Path, *, overwrite: bool = False) -> list[Path]:
        """Write ``strata.csv``, ``totals.csv`` and ``strata.json`` into folder `out` (created when missing).

        Through :func:`darkfigure.outputs.write_result` (as ``darkfigure strata --out``): atomic, listed in
        ``.darkfigure-outputs.json``, and never over a file darkfigure did not write unless `overwrite`.

        Returns
        -------
        list of Path
            The files written.

        Raises
        ------
        darkfigure.outputs.OutputError
            A file in `out` that darkfigure did not write would be replaced (nothing is written).
        OSError
            The folder cannot be written.
        """
        from ..outputs import write_result

        return write_result(out, self._write_files, overwrite=overwrite, command="strata")

    def _write_files(self, out: Path) -> list[Path]:
        """Write the files of :meth:`write` into `out` directly."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        files = [out / "strata.csv", out / "totals.csv", out / "strata.json"]
        self.table.to_csv(files[0], index=False)
        self.totals.to_csv(files[1], index=False)
        files[2].write_text(json.dumps(self.to_dict(), indent=2, default=str), encoding="utf-8")
        return files

    def __str__(self) -> str:
        from .bias_note import bias_line

        t = self.totals.iloc[0]
        c = self.counts
        if not c["estimated"]:
            return f"{c['strata']:,} strata, none estimable: no total" + "".join(f"\n  warning: {w}" for w in self.warnings)
        # the run's warnings (strata that fit poorly, did not converge, ...) as print(dfg.estimate(...)) shows them
        lev = self.settings["level"]
        if np.isfinite(t["upper"]):
            ci = f"{lev:.0%} interval {t['lower']:,.0f} – {t['upper']:,.0f}"
        else:  # never a number for the upper limit the data do not give (the warnings say why, and the bounded total)
            ci = f"{lev:.0%} interval: at least {t['lower']:,.0f}, no finite upper limit"
            if np.isfinite(t.get("upper_bounded", np.nan)):
                ci += (f"; over the strata with bounded intervals N̂ = {t['nhat_bounded']:,.0f}, "
                       f"{t['lower_bounded']:,.0f} – {t['upper_bounded']:,.0f}, {t['strata_unbounded']:,} "
                       f"{'stratum' if t['strata_unbounded'] == 1 else 'strata'} left out")
        over_all = ""
        if t.get("covers", "all strata") != "all strata" and np.isfinite(float(t.get("lower_all_strata", np.nan))):
            over_all = (f"; over all strata (with the {float(t['observed_left_out']):,.0f} persons of the strata not "
                        f"estimated) at least {float(t['lower_all_strata']):,.0f}")
        return (f"{c['strata']:,} strata: {c['estimated']:,} estimated, {c['not_estimable']:,} not; total over the "
                f"estimated strata{' only' if over_all else ''} N̂ = {t['nhat']:,.0f} ({ci}){over_all}; {c['computed']:,} unit(s) computed, "
                f"{c['from_cache']:,} from the cache" + bias_line(self.totals, self.settings)
                + self._model_line() + "".join(f"\n  warning: {w}" for w in self.warnings))

    def _model_line(self) -> str:
        """The model chosen jointly across strata and why (``--search pooled`` or auto's rule), or ''."""
        ms = self.settings.get("model_search")
        if not ms:
            return ""
        models = " / ".join(dict.fromkeys(str(m) for m in ms["models"] if m))
        note = self.settings.get("interval_note")
        return (f"\n  model of every stratum, chosen jointly across strata ({ms['why']}): {models}"
                + (f"\n  intervals: {note}" if note else ""))


RULE_TEXT = (
    "a stratum is estimable when (1) at least {min_observed} persons are observed in it; (2) at least 2 lists "
    "(log-linear) or 3 lists (LCMCR) have records in it (lists with none are left out of its fit); (3) a fixed "
    "model names no list without records; (4) the fit identifies N (a finite MLE / chains that did not diverge) "
    "and N̂ is at most {max_ratio} times the observed, and (log-linear) not nearly every bootstrap replicate lacks "
    "a finite N̂ (then not even the lower limit is bounded; replicates without one count as N̂* = inf, and above "
    "(1 - level) / 2 of them the stratum is reported with no finite upper limit). With replicates, a stratum must be "
    "estimable in every "
    "replicate"
)
