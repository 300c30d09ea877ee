"""``build_report(run_dir)``: one self-contained HTML report from a run folder.

A run folder is what ``darkfigure estimate/monitor/compare --out DIR`` (and ``darkfigure
link``, the repeat-victimisation tables) write. The report reads every known result file
that is present and shows a section for each: the data (lists, overlaps, an UpSet plot
of the capture patterns), the model search and the chosen model's fit, N̂ and the dark
figure with their interval, the comparison of methods, the monitor's yearly trend,
visibility by subgroup, SDG 16.2.2 rates and the disclosure-controlled tables, record
linkage, repeat victimisation, and every warning in plain words
(:mod:`darkfigure.report.explain`).

The page is one HTML file: plots are PNG ``data:`` URIs, tables can be downloaded as
CSV through ``data:`` links with a ``download`` attribute, the style sheet is inline and
there is no script, so it opens offline and from an e-mail attachment.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..histories import CaptureHistories, DataError
from . import plots
from .explain import Explanation, explain

__all__ = ["RunFolderError", "Run", "load_run", "build_report", "render_report", "RESULT_FILES", "LINKAGE_FILES",
           "RESULT_KEYS"]

#: The files a run folder may hold, and the command that writes each; a report needs at least one.
RESULT_FILES: dict[str, str] = {
    "result.json": "darkfigure estimate or monitor",
    "monitor.csv": "darkfigure monitor",
    "compare.csv": "darkfigure compare",
    "links.csv": "darkfigure link",
    "revictimisation.csv": "darkfigure revictimisation",
    "revictimisation_curve.csv": "darkfigure revictimisation",
}

#: The other files of ``darkfigure link``: read only next to its ``links.csv`` (``darkfigure simulate --persons``
#: writes a persons.csv and a histories.csv of its own, which are not linkage results).
LINKAGE_FILES = ("persons.csv", "histories.csv", "linkage_quality.csv", "linkage_weights.csv",
                 "linkage_sensitivity.csv")
#: Keys every result.json of ``darkfigure estimate`` or ``monitor`` holds.
RESULT_KEYS = ("data", "settings", "nhat")

_REVICT_COLUMNS = ["group", "level", "offence", "k_years", "persons", "events", "censored", "cumulative", "lower",
                   "upper", "naive"]
_FIRST_COLUMNS = ["group", "level", "offence", "k_years", "persons", "events", "cumulative", "lower", "upper"]
_CURVE_COLUMNS = ["group", "level", "offence", "time_years", "at_risk", "events", "cumulative", "lower", "upper"]
_SENSITIVITY_COLUMNS = ["threshold", "persons", "nhat", "lower", "upper"]
_MAX_ROWS = 400  # rows of a table shown on the page (the CSV download has them all, up to _MAX_CSV_ROWS)
_MAX_CSV_ROWS = 5000


class RunFolderError(DataError):
    """The run folder is missing, holds no darkfigure results, or a result file is unreadable."""


# ----------------------------------------------------------------------------- reading
@dataclass
class Run:
    """What a run folder holds (each entry None when its file is absent).

    Attributes
    ----------
    folder : Path
    result : dict or None
        ``result.json`` (estimate or monitor run).
    estimates, search_path, histories_table : DataFrame or None
        ``estimates.csv``, ``search_path.csv`` and ``capture_histories.csv`` (or a
        linkage run's ``histories.csv``).
    compare, compare_info : DataFrame / dict or None
        ``compare.csv`` and ``compare.json``.
    monitor, published, years : DataFrame or None
        ``monitor.csv``, ``monitor_published.csv`` (as text) and ``years.csv``.
    links, persons, linkage_quality, linkage_weights, linkage_sensitivity : DataFrame or None
        The outputs of ``darkfigure link``.
    revictimisation, revictimisation_curve, revictimisation_first : DataFrame or None
        ``revictimisation.csv``, ``revictimisation_curve.csv`` and
        ``revictimisation_first_offence.csv``.
    revictimisation_info : dict or None
        ``revictimisation.json``: the notes and settings of the repeat-victimisation tables.
    problems : list of str
        Result files present but unreadable or lacking columns (shown as warnings).
    """

    folder: Path
    result: dict | None = None
    estimates: pd.DataFrame | None = None
    search_path: pd.DataFrame | None = None
    histories_table: pd.DataFrame | None = None
    histories_file: str | None = None
    compare: pd.DataFrame | None = None
    compare_info: dict | None = None
    monitor: pd.DataFrame | None = None
    published: pd.DataFrame | None = None
    years: pd.DataFrame | None = None
    links: pd.DataFrame | None = None
    persons: pd.DataFrame | None = None
    linkage_quality: pd.DataFrame | None = None
    linkage_weights: pd.DataFrame | None = None
    linkage_sensitivity: pd.DataFrame | None = None
    revictimisation: pd.DataFrame | None = None
    revictimisation_curve: pd.DataFrame | None = None
    revictimisation_first: pd.DataFrame | None = None
    revictimisation_info: dict | None = None
    problems: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _read_csv(run: Run, name: str, *, columns: list[str] | None = None, text: bool = False) -> pd.DataFrame | None:
    p = run.folder / name
    if not p.is_file():
        return None
    try:
        kw: dict[str, Any] = {"dtype": str, "keep_default_na": False} if text else {}
        df = pd.read_csv(p, **kw)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError, OSError) as e:
        run.problems.append(f"{name} could not be read ({e}); its section is left out")
        return None
    if columns:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            run.problems.append(
                f"{name} lacks the column(s) {', '.join(missing)} (it has {', '.join(map(str, df.columns))}); "
                "its section is left out"
            )
            return None
    run.files.append(name)
    return df


def _read_json(run: Run, name: str, *, required: bool) -> dict | None:
    p = run.folder / name
    if not p.is_file():
        return None
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as e:
        msg = f"{p} is not valid JSON ({e}); run the estimate again to rewrite it"
        if required:
            raise RunFolderError(msg) from None
        run.problems.append(msg)
        return None
    if not isinstance(d, dict):
        if required:
            raise RunFolderError(f"{p} does not hold a darkfigure result (a JSON object was expected)")
        run.problems.append(f"{name} does not hold a JSON object; left out")
        return None
    run.files.append(name)
    return d


def load_run(run_dir: str | Path) -> Run:
    """Read every known result file of a run folder.

    Parameters
    ----------
    run_dir : path
        Folder written by ``darkfigure estimate/monitor/compare --out`` or ``darkfigure link``.

    Returns
    -------
    Run

    Raises
    ------
    RunFolderError
        The folder does not exist, holds none of :data:`RESULT_FILES`, or its
        ``result.json`` is not valid JSON or lacks the keys of an estimate
        (:data:`RESULT_KEYS`). The files of a linkage (:data:`LINKAGE_FILES`) are read
        only next to its ``links.csv``. Optional files that cannot be read are
        recorded in ``Run.problems`` instead.
    """
    folder = Path(run_dir)
    if not folder.exists():
        raise RunFolderError(f"run folder {str(folder)!r} does not exist; give the --out folder of a darkfigure run")
    if not folder.is_dir():
        raise RunFolderError(f"{str(folder)!r} is a file, not a run folder; give the --out folder of a darkfigure run")
    present = [f for f in RESULT_FILES if (folder / f).is_file()]
    if not present:
        by_cmd: dict[str, list[str]] = {}
        for f, cmd in RESULT_FILES.items():
            by_cmd.setdefault(cmd, []).append(f)
        expected = "; ".join(f"{'/'.join(fs)} ({cmd} --out)" for cmd, fs in by_cmd.items())
        hint = "Run e.g. `darkfigure estimate DATA --out DIR` first"
        if (folder / "histories.csv").is_file() and (folder / "truth.csv").is_file():
            hint = (f"This looks like the output of `darkfigure simulate` (histories.csv, truth.csv): estimate from "
                    f"it with `darkfigure estimate {folder / 'histories.csv'} --out DIR --report`")
        raise RunFolderError(f"no darkfigure results in {str(folder)!r}: expected {expected}. {hint}")
    run = Run(folder)
    run.result = _read_json(run, "result.json", required=True)
    if run.result is not None:
        lacking = [k for k in RESULT_KEYS if k not in run.result]
        if lacking:
            raise RunFolderError(
                f"{folder / 'result.json'} does not hold the result of darkfigure estimate or monitor (it lacks "
                f"{', '.join(lacking)}); run the estimate again with --out to rewrite it"
            )
    run.estimates = _read_csv(run, "estimates.csv", columns=["group", "level", "observed", "nhat", "lower", "upper"])
    if run.estimates is not None:
        run.estimates["level"] = run.estimates["level"].map(_as_label)
    run.search_path = _read_csv(run, "search_path.csv")
    run.compare = _read_csv(run, "compare.csv", columns=["method", "nhat", "lower", "upper"])
    run.compare_info = _read_json(run, "compare.json", required=False)
    mcols = ["group", "level", "year", "observed", "nhat", "lower", "upper", "visibility", "visibility_lower",
             "visibility_upper"]
    run.monitor = _read_csv(run, "monitor.csv", columns=mcols)
    if run.monitor is not None:
        for c in ("level", "year"):
            run.monitor[c] = run.monitor[c].map(_as_label)
    run.published = _read_csv(run, "monitor_published.csv", text=True)
    run.years = _read_csv(run, "years.csv")
    linkage = (folder / "links.csv").is_file()
    if linkage:
        run.links = _read_csv(run, "links.csv")
        run.persons = _read_csv(run, "persons.csv")
        run.linkage_quality = _read_csv(run, "linkage_quality.csv")
        run.linkage_weights = _read_csv(run, "linkage_weights.csv")
        run.linkage_sensitivity = _read_csv(run, "linkage_sensitivity.csv", columns=_SENSITIVITY_COLUMNS)
    run.revictimisation = _read_csv(run, "revictimisation.csv", columns=_REVICT_COLUMNS)
    run.revictimisation_curve = _read_csv(run, "revictimisation_curve.csv", columns=_CURVE_COLUMNS)
    run.revictimisation_first = _read_csv(run, "revictimisation_first_offence.csv", columns=_FIRST_COLUMNS)
    run.revictimisation_info = _read_json(run, "revictimisation.json", required=False)
    for name in ("capture_histories.csv", "histories.csv") if linkage else ("capture_histories.csv",):
        t = _read_csv(run, name)
        if t is not None:
            run.histories_table, run.histories_file = t, name
            break
    return run


def _text(s: pd.Series) -> pd.Series:
    """A column as text, '' for missing values (CSV readers turn empty text cells into NaN)."""
    return s.map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))


def _as_label(v) -> str:
    """A level or year as text: '' for missing, '2015' for 2015.0."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# ----------------------------------------------------------------------------- formatting
def _f(v) -> float:
    if v is None:
        return float("nan")
    if isinstance(v, str):
        s = v.strip().lower()
        if s in ("inf", "+inf", "infinity"):
            return float("inf")
        if s == "-inf":
            return float("-inf")
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def fmt_count(v) -> str:
    """A count or N̂ as ``12,345`` ('–' when missing, '∞' when infinite)."""
    x = _f(v)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:,.0f}"


def fmt_num(v, digits: int = 1) -> str:
    """A number with `digits` decimals and thousands separators."""
    x = _f(v)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:,.{digits}f}"


def fmt_pct(v, digits: int = 1) -> str:
    """A share of 1 as a percentage."""
    x = _f(v)
    if not math.isfinite(x):
        return "–"
    return f"{100 * x:.{digits}f}%"


def fmt_p(v) -> str:
    """A p-value."""
    x = _f(v)
    if math.isnan(x):
        return "–"
    return "< 0.001" if x < 0.001 else f"{x:.3f}"


def fmt_interval(lo, hi, fmt=fmt_count) -> str:
    """``lo – hi`` (an open upper end reads 'no upper limit')."""
    a, b = _f(lo), _f(hi)
    if math.isnan(a) and math.isnan(b):
        return "–"
    right = "no upper limit" if math.isinf(b) else fmt(b)
    return f"{fmt(a)} – {right}"


def _csv_uri(df: pd.DataFrame) -> str:
    data = df.head(_MAX_CSV_ROWS).to_csv(index=False).encode("utf-8")
    return "data:text/csv;charset=utf-8;base64," + base64.b64encode(data).decode("ascii")


@dataclass
class TableView:
    """A table as the template shows it: text cells and a CSV download of the raw values.

    Attributes
    ----------
    id : str
        HTML id of the table.
    columns : list of str
    rows : list of list of str
    numeric : list of bool
        Right-align these columns.
    filename : str
        Name offered by the download link.
    csv_uri : str
        ``data:text/csv`` URI of the raw values.
    marked : list of bool
        Rows to highlight (e.g. the chosen model).
    note : str or None
        A line under the table.
    """

    id: str
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    filename: str
    csv_uri: str
    marked: list[bool] = field(default_factory=list)
    note: str | None = None


def _view(
    id: str, shown: pd.DataFrame, raw: pd.DataFrame, filename: str, *, numeric: list[str] | None = None,
    marked: list[bool] | None = None, note: str | None = None,
) -> TableView:
    numeric = numeric or []
    rows = shown.astype(str).values.tolist()
    extra = None
    if len(rows) > _MAX_ROWS:
        extra = f"showing the first {_MAX_ROWS} of {len(rows)} rows; the download has {min(len(raw), _MAX_CSV_ROWS)}"
        rows = rows[:_MAX_ROWS]
    return TableView(
        id=id,
        columns=[str(c) for c in shown.columns],
        rows=rows,
        numeric=[c in numeric or "interval" in str(c) for c in shown.columns],  # ranges: right-aligned, unbroken
        filename=filename,
        csv_uri=_csv_uri(raw),
        marked=(marked or [False] * len(rows))[: len(rows)],
        note="; ".join(x for x in (note, extra) if x) or None,
    )


def _generic_view(id: str, df: pd.DataFrame, filename: str, *, max_rows: int = 200) -> TableView:
    """Any CSV as read (numbers rounded for reading), for files whose columns may vary."""
    shown = df.head(max_rows).copy()
    numeric = []
    for c in shown.columns:
        if pd.api.types.is_float_dtype(shown[c]):
            vals = shown[c]
            finite = vals[np.isfinite(vals)]
            if len(finite) and (finite.abs() <= 1).all():
                shown[c] = vals.map(lambda v: fmt_num(v, 3))
            else:
                shown[c] = vals.map(lambda v: fmt_num(v, 1) if abs(_f(v)) < 1000 else fmt_count(v))
            numeric.append(c)
        elif pd.api.types.is_integer_dtype(shown[c]):
            shown[c] = shown[c].map(fmt_count)
            numeric.append(c)
        else:
            shown[c] = _text(shown[c])
    note = f"showing the first {max_rows} of {len(df)} rows" if len(df) > max_rows else None
    return _view(id, shown, df, filename, numeric=numeric, note=note)


# ----------------------------------------------------------------------------- sections
@dataclass
class Message:
    """One warning or note with its explanation."""

    source: str
    text: str
    explanation: Explanation


def _split_message(text: str) -> list[str]:
    # the bootstrap joins several sentences "N of B replicates ..." with "; "
    parts = re.split(r";\s+(?=\d+ of \d+ )", text.strip())
    return [p for p in parts if p]


def _histories(run: Run) -> CaptureHistories | None:
    t = run.histories_table
    if t is None:
        return None
    info = (run.result or {}).get("data") or (run.compare_info or {}).get("data") or {}
    lists = info.get("lists") or None
    covariates = info.get("covariates")
    if lists and covariates is None:
        covariates = []
    try:
        return CaptureHistories.from_frame(t, lists, covariates, name=info.get("name"), on_empty_list="drop",
                                           missing="keep")
    except (DataError, ValueError, KeyError) as e:
        run.problems.append(f"{run.histories_file} could not be read as capture histories ({e}); the data summary "
                            "shows the list sizes only")
        return None


def _all_persons(h: CaptureHistories) -> pd.DataFrame:
    """Every registered person's row: list columns, covariates and ``count``.

    With unknown covariate values kept (``missing="keep"``, runs with ``--missing em``),
    ``h.table`` holds the complete cases only and ``h.incomplete`` the rest (unknown
    values NaN); both together are the data.
    """
    cols = [*h.lists, *h.covariates, "count"]
    inc = getattr(h, "incomplete", None)
    if inc is None or len(inc) == 0:
        return h.table[cols]
    return pd.concat([h.table[cols], inc[cols]], ignore_index=True)


def _data_section(run: Run, h: CaptureHistories | None) -> dict | None:
    res = run.result or {}
    info = res.get("data") or (run.compare_info or {}).get("data") or {}
    if h is None and not info:
        return None
    out: dict[str, Any] = {"name": (h.name if h is not None else None) or info.get("name") or ""}
    if h is not None:
        # every person counts, those with an unknown covariate value (kept by --missing em) included
        rows = _all_persons(h)
        lists = [str(x) for x in h.lists]
        flags = rows[list(h.lists)].to_numpy(dtype=np.int64)
        weights = rows["count"].to_numpy(dtype=np.int64)
        n_obs = int(weights.sum())
        sizes = pd.Series((flags * weights[:, None]).sum(axis=0), index=lists)
        out["observed"] = fmt_count(n_obs)
        out["k"] = h.k
        sz = pd.DataFrame({"list": lists, "persons": sizes.to_numpy()})
        sz["share of observed"] = sz["persons"] / max(n_obs, 1)
        shown = sz.assign(persons=sz["persons"].map(fmt_count))
        shown["share of observed"] = sz["share of observed"].map(fmt_pct)
        out["sizes"] = _view("list-sizes", shown, sz, "list_sizes.csv", numeric=["persons", "share of observed"])
        ov = pd.DataFrame((flags * weights[:, None]).T @ flags, index=lists, columns=lists)
        off = ov.to_numpy(dtype=float).copy()
        np.fill_diagonal(off, np.nan)
        top = np.nanmax(off) if np.isfinite(off).any() and np.nanmax(off) > 0 else 1.0
        cells = []
        for i, a in enumerate(ov.index):
            row = []
            for j, _b in enumerate(ov.columns):
                v = int(ov.iat[i, j])
                alpha = 0.0 if i == j else 0.08 + 0.6 * v / top
                row.append({"text": fmt_count(v), "diag": i == j, "zero": i != j and v == 0,
                            "style": f"background: rgba(31,78,121,{alpha:.2f})" if i != j else ""})
            cells.append({"list": str(a), "cells": row})
        raw = ov.copy()
        raw.insert(0, "list", lists)
        out["overlaps"] = {"lists": lists, "rows": cells, "csv_uri": _csv_uri(raw),
                           "filename": "pairwise_overlaps.csv"}
        codes = pd.Series(["".join(map(str, r)) for r in flags], dtype=object)
        pats = pd.Series(weights).groupby(codes, sort=True).sum()
        pats = pats[pats > 0]
        out["upset"] = plots.upset_plot(pats, sizes)
        pt = pd.DataFrame([list(map(int, code)) for code in pats.index], columns=lists)
        pt["persons"] = pats.to_numpy()
        pt = pt.sort_values("persons", ascending=False, kind="stable").reset_index(drop=True)
        on = pt[lists].to_numpy()
        pt.insert(0, "lists", [" + ".join(a for a, x in zip(lists, r) if x) for r in on])
        shown = pt[["lists", "persons"]].assign(persons=pt["persons"].map(fmt_count))
        out["patterns"] = _view("patterns", shown, pt, "capture_patterns.csv", numeric=["persons"])
        out["n_patterns"] = len(pt)
        covs = []
        for c in h.covariates:
            # dropna=False: a person whose other covariate is unknown still counts under this one's level
            counts = rows.groupby(c, observed=False, dropna=False)["count"].sum()
            unknown = int(counts[counts.index.isna()].sum())
            counts = counts[~counts.index.isna()]
            text = ", ".join(f"{_as_label(lv)} ({fmt_count(n)})" for lv, n in counts.items())
            if unknown:
                text += f", unknown ({fmt_count(unknown)})"
            covs.append({"name": str(c), "levels": text, "n": len(counts)})
        out["covariates"] = covs
        out["empty_overlaps"] = [f"{lists[i]} ∩ {lists[j]}" for i in range(len(lists))
                                 for j in range(i + 1, len(lists)) if ov.iat[i, j] == 0]
    else:
        sizes = info.get("list_sizes") or {}
        out["observed"] = fmt_count(info.get("observed"))
        out["k"] = len(info.get("lists") or sizes)
        if sizes:
            sz = pd.DataFrame({"list": list(sizes), "persons": list(sizes.values())})
            out["sizes"] = _view("list-sizes", sz.assign(persons=sz["persons"].map(fmt_count)), sz, "list_sizes.csv",
                                 numeric=["persons"])
        out["covariates"] = [{"name": c, "levels": "", "n": ""} for c in info.get("covariates") or []]
        out["empty_overlaps"] = [" ∩ ".join(p) for p in info.get("empty_overlaps") or []]
    szs = (res.get("settings") or {}).get("structural_zeros") or []
    out["structural_zeros"] = [f"list {a} cannot register {c} = {lv}" for a, c, lv in szs]
    out["notes"] = list(info.get("notes") or []) + list(((res.get("monitor") or {}).get("years_notes")) or [])
    out["source_file"] = run.histories_file
    return out


def _model_label(model: dict) -> str:
    inter = model.get("interactions") or []
    return "main effects only (lists independent given the covariates)" if not inter else " + ".join(inter)


_CHECK_LABELS = {"goodness_of_fit": "goodness of fit", "residuals_by_number_of_lists": "residuals by number of lists",
                 "chao_lower_bound": "Chao's lower bound (heterogeneity)",
                 "heterogeneity": "heterogeneity (lists positively dependent alike)"}
# the check's own name at the start of its message ("goodness of fit: ...", "Chao's lower bound: not computed — ...")
_CHECK_PREFIX = re.compile(
    r"^\s*(goodness of fit|residuals by number of lists|chao'?s lower bound|heterogeneity)\s*:\s*", re.I)
_NOT_COMPUTED = re.compile(r"^\s*not computed\s*(?:[—–:-]\s*)?", re.I)


def _check_view(c: dict) -> dict:
    """One model check of result.json as "label — status: detail" (status passed, flagged or not computed).

    A check is not computed when result.json says so (``computed: false``) or, for files
    without that key, when it has no statistic, is not flagged and its message says
    "not computed". The statistic may be null: the message carries the figures.
    """
    name = str(c.get("name") or "check")
    label = _CHECK_LABELS.get(name, name.replace("_", " "))
    message = str(c.get("message") or "")
    flagged = bool(c.get("flagged"))
    detail = _CHECK_PREFIX.sub("", message, count=1)
    detail = re.sub(r"^Chao'?s lower bound (?=under|is\b)", "the bound ", detail, count=1)
    not_computed = c.get("computed") is False or (
        not flagged and c.get("statistic") is None and _NOT_COMPUTED.match(detail) is not None)
    if not_computed:
        detail = _NOT_COMPUTED.sub("", detail, count=1)
    status = "flagged" if flagged else ("not computed" if not_computed else "passed")
    return {"name": label, "status": status, "flagged": flagged, "detail": detail, "message": message}


def _model_section(run: Run) -> dict | None:
    res = run.result
    if not res or not res.get("model"):
        return None
    from scipy import stats

    m = res["model"]
    dev, df = _f(m.get("deviance")), m.get("df")
    p = float(stats.chi2.sf(dev, df)) if isinstance(df, int) and df > 0 and math.isfinite(dev) else float("nan")
    settings = res.get("settings") or {}
    # with imputed covariate values the deviance is that of the completed table: no test of the model
    imputed = settings.get("missing") == "em" and bool((settings.get("imputed") or {}).get("persons"))
    gof = ("not computed (with imputed covariate values the deviance is that of the completed table)" if imputed
           else fmt_p(p) + ("" if math.isnan(p) else " (deviance against χ² on the residual df)"))
    fit = [
        ("model", _model_label(m)),
        ("formula", m.get("formula") or ""),
        ("status", {"ok": "ok (the MLE exists)", "extended": "extended MLE (some cells fitted as 0)"}.get(
            m.get("status"), str(m.get("status")))),
        ("deviance", fmt_num(dev, 2)),
        ("residual df", str(df)),
        ("goodness of fit p-value", gof),
        ("parameters", str(m.get("parameters", "–"))),
        ("AIC", fmt_num(m.get("aic"), 2)),
        ("BIC", fmt_num(m.get("bic"), 2)),
    ]
    if m.get("existence"):
        fit.append(("existence of the MLE", m["existence"]))
    out: dict[str, Any] = {"fit": fit, "gof_p": float("nan") if imputed else p}
    checks = [c for c in res.get("checks") or [] if isinstance(c, dict)]
    if checks:
        out["checks"] = [_check_view(c) for c in checks]
    s = res.get("search")
    if s:
        names = {"bic": "BIC", "aic": "AIC", "aicc": "AICc", "pvalue": "p-value threshold"}
        how = names.get(s.get("criterion"), s.get("criterion"))
        out["search"] = f"{s.get('method')} search, model chosen by {how}"
    elif settings.get("model"):
        out["search"] = "no search: the model was fixed by the user"
    else:
        out["search"] = "no search: main effects model"
    path = run.search_path
    if path is None and s and s.get("path"):
        path = pd.DataFrame(s["path"])
    if path is not None and len(path):
        chosen = m.get("formula")
        crit = s.get("criterion") if s else "bic"
        note = None
        if s and s.get("method") == "exhaustive" and crit in path.columns:
            total = len(path)
            path = path.sort_values(crit, kind="stable").head(30)
            note = f"the 30 best of {total:,} models by {crit.upper()}; search_path.csv in the run folder has them all"
        path = path.reset_index(drop=True)
        shown = pd.DataFrame()
        if "phase" in path.columns:
            shown["phase"] = _text(path["phase"])
        step = _text(path["step"]) if "step" in path.columns else pd.Series([""] * len(path))
        shown["step"] = step.replace("", "main effects").to_numpy()
        for c, lab, d in (("df", "df", None), ("deviance", "deviance", 1), ("aic", "AIC", 1), ("bic", "BIC", 1),
                          ("pvalue", "p-value", -1), ("nhat", "N̂", 0)):
            if c in path.columns:
                if d is None:
                    shown[lab] = path[c].map(lambda v: fmt_count(v))
                elif d == -1:
                    shown[lab] = path[c].map(lambda v: "" if math.isnan(_f(v)) else f"{_f(v):.2g}")
                elif d == 0:
                    st = path["status"] if "status" in path.columns else pd.Series(["ok"] * len(path))
                    shown[lab] = [fmt_count(v) if s_ in ("ok", "extended") else "not identified"
                                  for v, s_ in zip(path[c], st)]
                else:
                    shown[lab] = path[c].map(lambda v, d=d: fmt_num(v, d))
        if "status" in path.columns:
            shown["status"] = path["status"].astype(str)
        marked = (path["model"] == chosen).tolist() if "model" in path.columns and chosen else [False] * len(path)
        if any(marked):
            first = marked.index(True)
            marked = [i == first for i in range(len(marked))]
            shown["step"] = [s_ + " ◀ chosen" if mk else s_ for s_, mk in zip(shown["step"], marked)]
        out["path"] = _view("search-path", shown, path, "search_path.csv",
                            numeric=["df", "deviance", "AIC", "BIC", "p-value", "N̂"], marked=marked, note=note)
    return out


def _single_level(level: pd.Series) -> pd.Series:
    return ~level.astype(str).str.contains(":", regex=False)


def _estimate_section(run: Run) -> dict | None:
    res = run.result
    if not res:
        return None
    iv = res.get("interval") or {}
    obs = _f((res.get("data") or {}).get("observed"))
    nhat = _f(res.get("nhat"))
    lo, hi = _f(iv.get("lower")), _f(iv.get("upper"))
    level = _f(iv.get("level"))
    method = str(iv.get("method") or "none")
    kind = {
        "parametric": "parametric bootstrap (percentile; Cruyff's boot_mse)",
        "nonparametric-bca": "nonparametric bootstrap with model re-selection, BCa",
        "nonparametric-percentile": "nonparametric bootstrap with model re-selection, percentile",
        "profile": "profile likelihood",
        "none": "no interval computed",
    }.get(method, method)
    out: dict[str, Any] = {
        "identified": math.isfinite(nhat),
        "nhat": fmt_count(nhat),
        "observed": fmt_count(obs),
        "level": f"{level:.0%}" if math.isfinite(level) else "",
        "interval": fmt_interval(lo, hi) if method != "none" else "no interval computed",
        "has_interval": math.isfinite(lo),
        "dark": fmt_count(nhat - obs),
        "dark_interval": fmt_interval(lo - obs, hi - obs) if math.isfinite(lo) else "",
        "visible": fmt_pct(obs / nhat, 0) if math.isfinite(nhat) and nhat > 0 else "–",
        "method": "Poisson log-linear model (multiple systems estimation)",
        "interval_kind": kind,
    }
    b = res.get("bootstrap") or {}
    settings = res.get("settings") or {}
    out["details"] = [
        ("method", out["method"]),
        ("interval", f"{out['level']} {kind}".strip()),
        ("seed", str(settings.get("seed") if settings.get("seed") is not None else "none (not reproducible)")),
        ("replicates", fmt_count(b.get("replicates")) if b else "–"),
    ]
    if b.get("status_counts"):
        out["details"].append(("replicate outcomes", ", ".join(f"{k}: {v:,}" for k, v in b["status_counts"].items())))
    est = run.estimates
    if est is not None and len(est) > 1:
        single = est[(est["group"] == "total") | _single_level(est["level"])]
        shown = pd.DataFrame({
            "group": single["group"].astype(str), "level": single["level"].astype(str),
            "registered": single["observed"].map(fmt_count), "N̂": single["nhat"].map(fmt_count),
            "interval": [fmt_interval(a, b_) for a, b_ in zip(single["lower"], single["upper"])],
            "dark figure": (single["nhat"] - single["observed"]).map(fmt_count),
        })
        out["table"] = _view("estimates", shown, est, "estimates.csv", numeric=["registered", "N̂", "dark figure"],
                             note="pairs of levels are in the download (estimates.csv)"
                             if len(single) < len(est) else None)
    return out


def _assumption_section(run: Run) -> dict | None:
    """Sensitivity to the identifying assumption (result.json's ``identifying_assumption``): curve and tables."""
    ia = (run.result or {}).get("identifying_assumption") if isinstance(run.result, dict) else None
    if not isinstance(ia, dict) or not ia.get("grid"):
        return None
    grid = pd.DataFrame(ia["grid"])
    psi, nh = grid["psi"].map(_f), grid["nhat"].map(_f)
    obs = _f((run.result.get("data") or {}).get("observed"))
    b = ia.get("bounds") or {}
    conf = b.get("confidence") or [None, None]
    level = _f(b.get("level"))
    lev = f"{level:.0%}" if math.isfinite(level) else ""
    out: dict[str, Any] = {"explanation": str(ia.get("explanation") or ""), "level": lev}
    out["facts"] = [
        ("ψ range", " to ".join(f"{_f(v):g}" for v in ia.get("range") or [])),
        ("N̂ over the range", fmt_interval(ia.get("low"), ia.get("high"))),
        ("usual N̂ (ψ = 1)", fmt_count(ia.get("nhat"))),
        (f"{lev} bounds (Sun et al. 2020)", fmt_interval(*conf) if conf[0] is not None else "not computed"),
        ("what ψ is", str(ia.get("parameter") or "")),
    ]
    try:
        out["plot"] = plots.assumption_plot(psi, nh, usual=_f(ia.get("nhat")), observed=obs if math.isfinite(obs)
                                            else None, bounds=[_f(v) for v in conf] if conf[0] is not None else None,
                                            level=lev)
    except Exception as e:  # noqa: BLE001 - a plot must never stop the report
        run.problems.append(f"the identifying-assumption plot could not be drawn ({e})")
    shown = pd.DataFrame({
        "ψ": [f"{v:.3g}" for v in psi], "N̂": nh.map(fmt_count), "dark figure": (nh - obs).map(fmt_count),
        "visible": [fmt_pct(obs / v, 0) if v > 0 else "–" for v in nh],
    })
    out["table"] = _view("identifying-assumption", shown, grid, "identifying_assumption.csv",
                         numeric=["ψ", "N̂", "dark figure", "visible"], marked=[v == 1.0 for v in psi])
    sub = pd.DataFrame(ia.get("subgroups") or [])
    if len(sub) > 1:
        sub = sub[(sub["group"] == "total") | _single_level(sub["level"])]
        lo, hi = (ia.get("range") or [None, None])[:2]
        shown = pd.DataFrame({
            "group": sub["group"].astype(str), "level": sub["level"].astype(str),
            "registered": sub["observed"].map(fmt_count), "N̂": sub["nhat"].map(fmt_count),
            f"N̂ over ψ {lo:g}–{hi:g}": [fmt_interval(a, c) for a, c in zip(sub["low"], sub["high"])],
        })
        out["subgroups"] = _view("identifying-assumption-subgroups", shown, pd.DataFrame(ia["subgroups"]),
                                 "identifying_assumption_subgroups.csv", numeric=["registered", "N̂"])
    return out


def _trend_section(run: Run) -> dict | None:
    res = run.result or {}
    year = (res.get("monitor") or {}).get("year") or (res.get("settings") or {}).get("year")
    rows = None
    if run.monitor is not None:
        m = run.monitor
        rows = m[(m["group"] == "total") & (m["year"] != "")].copy()
        src = "monitor.csv"
    elif run.estimates is not None and year:
        e = run.estimates
        rows = e[e["group"].astype(str) == str(year)].copy()
        rows["year"] = rows["level"].map(_as_label)
        rows["visibility"] = rows["observed"] / rows["nhat"]
        rows["visibility_lower"] = rows["observed"] / rows["upper"]
        rows["visibility_upper"] = rows["observed"] / rows["lower"]
        src = "estimates.csv"
    if rows is None or len(rows) == 0:
        return None
    rows = rows.reset_index(drop=True)
    raw = rows[["year", "observed", "nhat", "lower", "upper", "visibility", "visibility_lower", "visibility_upper"]]
    shown = pd.DataFrame({
        "year": rows["year"].astype(str),
        "registered": rows["observed"].map(fmt_count),
        "N̂": rows["nhat"].map(fmt_count),
        "lower": rows["lower"].map(fmt_count),
        "upper": rows["upper"].map(fmt_count),
        "dark figure": (rows["nhat"] - rows["observed"]).map(fmt_count),
        "visible": [f"{fmt_pct(v, 1)} ({fmt_interval(a, b, lambda x: fmt_pct(x, 1))})" for v, a, b in
                    zip(rows["visibility"], rows["visibility_lower"], rows["visibility_upper"])],
    })
    lv = ((run.result or {}).get("interval") or {}).get("level", 0.95)
    plot = plots.band_plot(rows["year"].tolist(), rows["nhat"], rows["lower"], rows["upper"],
                           observed=rows["observed"], band_label=f"{_f(lv):.0%} interval",
                           title="Estimated number per year (N̂) and number registered")
    out = {"plot": plot, "table": _view("trend-table", shown, raw, "trend.csv",
                                        numeric=["registered", "N̂", "lower", "upper", "dark figure", "visible"]),
           "source": src}
    if run.years is not None and {"year", "joint_nhat", "separate_nhat"} <= set(run.years.columns):
        out["years"] = _generic_view("years-table", run.years, "years.csv")
    return out


def _visibility_section(run: Run) -> dict | None:
    if run.monitor is not None:
        m = run.monitor
        year = ((run.result or {}).get("monitor") or {}).get("year")
        rows = m[(m["year"] == "") & (m["group"] != "total") & _single_level(m["level"])]
        if year:
            rows = rows[rows["group"] != year]
        total = m[(m["group"] == "total") & (m["year"] == "")]
        src = "monitor.csv"
    elif run.estimates is not None:
        e = run.estimates.copy()
        covs = set(((run.result or {}).get("settings") or {}).get("covariates") or [])
        year = ((run.result or {}).get("settings") or {}).get("year")
        e["visibility"] = e["observed"] / e["nhat"]
        e["visibility_lower"] = e["observed"] / e["upper"]
        e["visibility_upper"] = e["observed"] / e["lower"]
        rows = e[e["group"].isin(covs - {year})]
        total = e[e["group"] == "total"]
        src = "estimates.csv"
    else:
        return None
    if len(rows) == 0:
        return None
    rows = rows.reset_index(drop=True)
    ref = float(total["visibility"].iloc[0]) if len(total) else None
    labels = [f"{g}: {lv}" for g, lv in zip(rows["group"], rows["level"])]
    plot = plots.interval_plot(labels, rows["visibility"], rows["visibility_lower"], rows["visibility_upper"],
                               groups=rows["group"].astype(str).tolist(), percent=True,
                               xlabel="visibility: registered ÷ estimated (interval)", reference=ref,
                               reference_label="all" if ref is not None else "")
    shown = pd.DataFrame({
        "group": rows["group"].astype(str), "level": rows["level"].astype(str),
        "registered": rows["observed"].map(fmt_count), "N̂": rows["nhat"].map(fmt_count),
        "N̂ interval": [fmt_interval(a, b) for a, b in zip(rows["lower"], rows["upper"])],
        "visible": rows["visibility"].map(fmt_pct),
        "visible interval": [fmt_interval(a, b, fmt_pct)
                             for a, b in zip(rows["visibility_lower"], rows["visibility_upper"])],
    })
    raw = rows[["group", "level", "observed", "nhat", "lower", "upper", "visibility", "visibility_lower",
                "visibility_upper"]]
    return {"plot": plot, "table": _view("visibility-table", shown, raw, "visibility.csv",
                                         numeric=["registered", "N̂", "visible"]),
            "total": fmt_pct(ref) if ref is not None else "–", "source": src}


def _sdg_section(run: Run) -> dict | None:
    m = run.monitor
    if m is None or "rate_per_100k" not in m.columns:
        return None
    rows = m[_single_level(m["level"])].reset_index(drop=True)
    shown = pd.DataFrame({
        "group": rows["group"].astype(str), "level": rows["level"].astype(str),
        "year": rows["year"].replace("", "all").astype(str), "N̂": rows["nhat"].map(fmt_count),
        "per 100,000": rows["rate_per_100k"].map(lambda v: fmt_num(v, 2)),
        "interval": [fmt_interval(a, b, lambda x: fmt_num(x, 2)) for a, b in
                     zip(rows.get("rate_lower", np.nan), rows.get("rate_upper", np.nan))],
    })
    keep = ["group", "level", "year", "nhat", *[c for c in ("rate_per_100k", "rate_lower", "rate_upper") if c in rows]]
    return {"table": _view("sdg-table", shown, rows[keep], "sdg_16_2_2.csv", numeric=["N̂", "per 100,000"])}


def _published_view(p: pd.DataFrame) -> pd.DataFrame:
    """The publication table for reading: plain column names, numbers formatted, each interval in one column.

    Cells that disclosure control replaced (``<10``, ``x``) are shown as they are.
    """

    def cell(v, fmt):
        """One cell formatted by `fmt`; '–' when empty, suppressed marks ('<10', 'x') as they are."""
        s = "" if v is None else str(v).strip()
        if s == "" or s.lower() == "nan":
            return "–"
        try:
            return fmt(float(s))
        except ValueError:
            return s  # '<10', 'x'

    def count(v):
        """A count with thousands separators."""
        return cell(v, fmt_count)

    def pct(v):
        """A share as a whole percentage."""
        return cell(v, lambda x: fmt_pct(x, 0))

    def rate(v):
        """A rate per 100,000 with two decimals."""
        return cell(v, lambda x: fmt_num(x, 2))

    def col(name):
        """Column `name`, or empty cells when the table lacks it."""
        return p[name] if name in p.columns else pd.Series([""] * len(p), index=p.index)

    out = pd.DataFrame({
        "group": col("group").astype(str).replace("nan", ""),
        "level": col("level").astype(str).replace("nan", ""),
        "year": [str(y) if str(y) not in ("", "nan") else "all" for y in col("year")],
        "observed": col("observed").map(count),
        "N̂": col("nhat").map(count),
        "N̂ interval": [f"{count(a)}–{count(b)}" if count(a) != "x" else "x" for a, b in zip(col("lower"), col("upper"))],
        "visible": col("visibility").map(pct),
        "visible interval": [f"{pct(a)}–{pct(b)}" if pct(a) != "x" else "x"
                             for a, b in zip(col("visibility_lower"), col("visibility_upper"))],
    })
    if "rate_per_100k" in p.columns:
        out["per 100,000"] = p["rate_per_100k"].map(rate)
        out["per 100,000 interval"] = [f"{rate(a)}–{rate(b)}" if rate(a) != "x" else "x"
                                       for a, b in zip(col("rate_lower"), col("rate_upper"))]
    return out


def _published_section(run: Run) -> dict | None:
    p = run.published
    if p is None:
        return None
    info = (run.result or {}).get("monitor") or {}
    k = info.get("suppress_below")
    if k is None:
        found = sorted({int(x[1:]) for col in ("observed",) if col in p for x in p[col] if re.fullmatch(r"<\d+", x)})
        k = found[0] if found else None
    shown = _published_view(p)
    return {
        "table": _view("published-table", shown, p, "monitor_published.csv",
                       numeric=[c for c in shown.columns if c not in ("group", "level", "year")]),
        "threshold": k,
        "primary": info.get("suppressed_primary"),
        "secondary": info.get("suppressed_secondary"),
    }


def _compare_section(run: Run, observed: int | None) -> dict | None:
    t = run.compare
    if t is None:
        return None
    t = t.copy()
    for c in ("nhat", "lower", "upper"):
        t[c] = pd.to_numeric(t[c], errors="coerce")
    for c in ("interval", "warnings", "model"):
        if c not in t.columns:
            t[c] = ""
        t[c] = _text(t[c])
    shown = pd.DataFrame({
        "method": t["method"].astype(str), "N̂": t["nhat"].map(fmt_count),
        "interval": [fmt_interval(a, b) for a, b in zip(t["lower"], t["upper"])],
        "kind": t["interval"], "model": t["model"],
        "warnings": t["warnings"].map(lambda s: f"{len(s.split(' | '))} (see Warnings)" if s else ""),
    })
    if "seconds" in t.columns:
        shown.insert(4, "seconds", t["seconds"].map(lambda v: fmt_num(v, 2)))
    ok = t[np.isfinite(t["nhat"])]
    plot = plots.forest_plot(t, observed=observed) if len(ok) else None
    rng = f"{fmt_count(ok['nhat'].min())} to {fmt_count(ok['nhat'].max())}" if len(ok) else "–"
    return {"table": _view("compare-table", shown, run.compare, "compare.csv", numeric=["N̂", "seconds"]),
            "plot": plot, "range": rng, "n": len(ok), "n_all": len(t)}


def _linkage_section(run: Run) -> dict | None:
    parts = [run.links, run.persons, run.linkage_quality, run.linkage_weights, run.linkage_sensitivity]
    lk = (run.result or {}).get("linkage") if isinstance(run.result, dict) else None
    if all(x is None for x in parts) and not lk:
        return None
    out: dict[str, Any] = {"facts": []}
    if lk:
        # N̂ corrected for linkage error (darkfigure.linkage.uncertainty): result.json's linkage block
        level = _f(lk.get("level", 0.95))
        out["facts"] += [
            ("N̂ as linked", fmt_count(lk.get("nhat_as_linked"))),
            ("N̂ corrected for linkage error", fmt_count(lk.get("nhat_corrected"))),
            (f"{level:.0%} interval with linkage uncertainty", fmt_interval(lk.get("lower"), lk.get("upper"))),
            ("share of its variance / width from linkage",
             f"{fmt_pct(lk.get('share_linkage'))} / {fmt_pct(lk.get('width_share_linkage'))}"),
            ("expected false / missed links (compared pairs)",
             f"{fmt_num(lk.get('false_links'))} / {fmt_num(lk.get('missed_links'))}"),
            ("linkage draws", fmt_count(lk.get("draws"))),
        ]
    if run.links is not None:
        # links.csv holds one row per registration (organisation, record_id, person_id), not pairs
        out["facts"].append(("registrations assigned to a person (links.csv)", fmt_count(len(run.links))))
    if run.persons is not None:
        out["facts"].append(("persons after linkage", fmt_count(len(run.persons))))
    if run.linkage_quality is not None:
        out["quality"] = _generic_view("linkage-quality", run.linkage_quality, "linkage_quality.csv")
    w = run.linkage_weights
    if w is not None:
        out["weights"] = _generic_view("linkage-weights", w, "linkage_weights.csv")
        if {"weight_lower", "weight_upper", "pairs"} <= set(w.columns) and len(w):
            out["weights_plot"] = plots.weight_histogram_plot(w)
    s = run.linkage_sensitivity
    if s is not None and len(s):
        s = s.sort_values("threshold", kind="stable").reset_index(drop=True)
        out["sensitivity"] = _view(
            "linkage-sensitivity",
            pd.DataFrame({"threshold": s["threshold"].map(lambda v: f"{_f(v):g}"),
                          "persons": s["persons"].map(fmt_count), "N̂": s["nhat"].map(fmt_count),
                          "interval": [fmt_interval(a, b) for a, b in zip(s["lower"], s["upper"])]}),
            run.linkage_sensitivity, "linkage_sensitivity.csv", numeric=["persons", "N̂"],
        )
        if np.isfinite(pd.to_numeric(s["nhat"], errors="coerce")).any():
            out["sensitivity_plot"] = plots.band_plot(
                s["threshold"].tolist(), s["nhat"], s["lower"], s["upper"], observed=s["persons"],
                xlabel="match threshold (match probability)", title="N̂ by linkage threshold",
                observed_label="linked persons",
            )
    return out


def _pooling_section(run: Run) -> dict | None:
    """Pooled beside unpooled subgroup N̂ (``estimate --pooling partial``): result.json's pooling block."""
    pool = (run.result or {}).get("pooling") if isinstance(run.result, dict) else None
    if not isinstance(pool, dict) or not pool.get("subgroups"):
        return None
    t = pd.DataFrame(pool["subgroups"])
    for c in ("observed", "nhat_stratified", "nhat_common", "nhat_pooled", "lower_pooled", "upper_pooled"):
        t[c] = pd.to_numeric(t.get(c), errors="coerce")
    est = run.estimates
    run_nhat = None
    if est is not None and {"group", "level", "nhat"} <= set(est.columns):
        key = est.assign(level=est["level"].map(_as_label)).set_index(["group", "level"])["nhat"]
        run_nhat = [key.get((g, _as_label(lv))) for g, lv in zip(t["group"], t["level"])]
    shown = pd.DataFrame({
        "subgroup": [("all" if g == "total" else f"{g} = {lv}") for g, lv in zip(t["group"], t["level"])],
        "registered": t["observed"].map(fmt_count),
        "N̂ (this run)": ["–" if v is None else fmt_count(v) for v in (run_nhat or [None] * len(t))],
        "N̂ stratified": t["nhat_stratified"].map(lambda v: fmt_count(v) if np.isfinite(v) else "not identified"),
        "N̂ pooled": t["nhat_pooled"].map(fmt_count),
        "pooled interval": [fmt_interval(a, b) for a, b in zip(t["lower_pooled"], t["upper_pooled"])],
    })
    comps = pool.get("variance_components") or {}
    sds = ", ".join(f"{k} {math.sqrt(_f(v)):.2f}" for k, v in comps.items() if v is not None)
    iv = pool.get("interval") or {}
    facts = [
        ("model", "list effects vary by stratum as random effects (mixed-effects log-linear model); list x list "
                  "terms as in the chosen model: " + (", ".join(pool.get("fixed_list_interactions") or []) or "none")),
        ("standard deviation of the list x covariate effects (log scale)", sds or "–"),
        ("interval", f"{_f(iv.get('level', 0.95)):.0%} parametric bootstrap, {fmt_count(iv.get('reps'))} replicates, "
                     f"seed {iv.get('seed')}"),
    ]
    return {"facts": facts,
            "table": _view("pooling", shown, t, "pooling.csv", numeric=["registered", "N̂ (this run)",
                                                                        "N̂ stratified", "N̂ pooled"])}


def _revictimisation_section(run: Run) -> dict | None:
    r, c = run.revictimisation, run.revictimisation_curve
    if r is None and c is None:
        return None
    out: dict[str, Any] = {"plots": []}
    ks: list[float] = []
    if r is not None:
        shown = pd.DataFrame({
            "group": _text(r["group"]), "level": r["level"].map(_as_label),
            "later offence": _text(r["offence"]),
            "within (years)": r["k_years"].map(lambda v: f"{_f(v):g}"),
            "persons": r["persons"].map(fmt_count), "re-victimised": r["events"].map(fmt_count),
            "censored": r["censored"].map(fmt_count),
            "cumulative share": r["cumulative"].map(fmt_pct),
            "interval": [fmt_interval(a, b, fmt_pct) for a, b in zip(r["lower"], r["upper"])],
            "naive share": r["naive"].map(fmt_pct),
        })
        out["table"] = _view("revictimisation-table", shown, r, "revictimisation.csv",
                             numeric=["persons", "re-victimised", "censored", "cumulative share", "naive share"])
        ks = sorted(set(pd.to_numeric(r["k_years"], errors="coerce").dropna().tolist()))
        out["k"] = ", ".join(f"{k:g}" for k in ks)
    fo = run.revictimisation_first
    if fo is not None:
        shown = pd.DataFrame({
            "group": _text(fo["group"]), "level": fo["level"].map(_as_label),
            "first later offence": _text(fo["offence"]),
            "within (years)": fo["k_years"].map(lambda v: f"{_f(v):g}"),
            "persons": fo["persons"].map(fmt_count), "first offence of this kind": fo["events"].map(fmt_count),
            "cumulative share": fo["cumulative"].map(fmt_pct),
            "interval": [fmt_interval(a, b, fmt_pct) for a, b in zip(fo["lower"], fo["upper"])],
        })
        out["first"] = _view("revictimisation-first", shown, fo, "revictimisation_first_offence.csv",
                             numeric=["persons", "first offence of this kind", "cumulative share"])
    if c is not None and len(c):
        c = c.copy()
        for col in ("time_years", "cumulative", "lower", "upper"):
            c[col] = pd.to_numeric(c[col], errors="coerce")
        c["group"] = _text(c["group"])
        c["level"] = c["level"].map(_as_label)
        c["offence"] = _text(c["offence"])
        overall = c["group"].isin(["total", "all", ""])
        k_line = max(ks) if ks else None

        def curves(d: pd.DataFrame, label) -> list:
            """(label, rows) per (group, level, offence) of a curve table, any offence first."""
            keys = list(dict.fromkeys(zip(d["group"], d["level"], d["offence"])))
            keys.sort(key=lambda k: (k[2] not in ("any", "all", ""), k))  # "any later offence" first
            return [(label(*k), d[(d["group"] == k[0]) & (d["level"] == k[1]) & (d["offence"] == k[2])])
                    for k in keys[:8]], len(keys)

        by_offence, n1 = curves(c[overall], lambda g, lv, off: "any offence" if off in ("any", "") else off)
        if by_offence:
            out["plots"].append({"uri": plots.step_curves_plot(by_offence, k_years=k_line),
                                 "caption": "All persons, by kind of later offence"
                                 + (f" ({len(by_offence)} of {n1} curves)" if n1 > len(by_offence) else "")})
        sub = c[~overall & c["offence"].isin(["any", "all", ""])]
        by_group, n2 = curves(sub, lambda g, lv, off: f"{g} = {lv}")
        if by_group:
            out["plots"].append({"uri": plots.step_curves_plot(by_group, k_years=k_line),
                                 "caption": "Any later offence, by subgroup"
                                 + (f" ({len(by_group)} of {n2} curves)" if n2 > len(by_group) else "")})
        out["curve_csv"] = _csv_uri(run.revictimisation_curve)
    return out


def _revictimisation_about(info: dict | None, *, with_run: bool) -> list[tuple[str, str]]:
    """Settings of the repeat-victimisation tables (``revictimisation.json``) for "About this run"."""
    if not info:
        return []
    st = info.get("settings") or {}
    out: list[tuple[str, str]] = []
    if with_run:  # the folder's own version and date are the estimate's; these are the tables'
        out.append(("repeat victimisation: darkfigure version, run date",
                    f"{info.get('darkfigure_version') or '–'}, {info.get('run_date') or 'not recorded'}"))
    if st.get("end_of_followup") is not None:
        out.append(("repeat victimisation: end of follow-up", str(st["end_of_followup"])))
    ks = st.get("k_years")
    if ks is not None:
        ks = ks if isinstance(ks, list) else [ks]
        out.append(("repeat victimisation: within (years)", ", ".join(f"{_f(k):g}" for k in ks)))
    if st.get("level") is not None:
        out.append(("repeat victimisation: confidence level", fmt_pct(st["level"], 0)))
    if "covariates" in st:
        out.append(("repeat victimisation: subgroups (covariates)", ", ".join(map(str, st["covariates"] or []))
                    or "none"))
    cols = [(lab, st.get(k)) for k, lab in (("id_col", "person id"), ("date_col", "first registration"),
                                           ("later_date_col", "later date"), ("offence_col", "offence"))]
    if any(v for _, v in cols):
        out.append(("repeat victimisation: columns", ", ".join(f"{lab} {v!s}" for lab, v in cols if v)))
    if st.get("persons") is not None:
        out.append(("repeat victimisation: persons", fmt_count(st["persons"])))
    if st.get("later_victimisations") is not None:
        out.append(("repeat victimisation: later victimisations counted", fmt_count(st["later_victimisations"])))
    return out


def _messages(run: Run) -> list[Message]:
    out: list[Message] = []
    seen: set[tuple[str, str]] = set()

    def add(source: str, text: str) -> None:
        """Record each sentence of a message once, with where it came from."""
        for part in _split_message(str(text)):
            if (source, part) in seen:
                continue
            seen.add((source, part))
            out.append(Message(source, part, explain(part)))

    res = run.result or {}
    src = "monitor" if res.get("monitor") else "estimate"
    for w in res.get("warnings") or []:
        add(src, w)
    for n in (res.get("data") or {}).get("notes") or []:
        add("data", n)
    for n in (res.get("monitor") or {}).get("years_notes") or []:
        add("separate yearly models", n)
    if run.compare is not None and "warnings" in run.compare.columns:
        for m, w in zip(run.compare["method"], _text(run.compare["warnings"])):
            for part in str(w).split(" | "):
                if part.strip():
                    add(f"compare: {m}", part.strip())
    for n in (run.revictimisation_info or {}).get("notes") or []:
        add("repeat victimisation", n)
    for p in run.problems:
        add("report", p)
    return out


# ----------------------------------------------------------------------------- rendering
_SECTIONS = [
    ("summary", "Summary"),
    ("data", "Data"),
    ("model", "Model search and fit"),
    ("estimates", "Estimates"),
    ("assumption", "Identifying assumption"),
    ("comparison", "Comparison of methods"),
    ("trend", "Yearly trend"),
    ("visibility", "Visibility by subgroup"),
    ("pooling", "Small subgroups: partial pooling"),
    ("sdg", "SDG 16.2.2 rates"),
    ("published", "Tables for publication"),
    ("linkage", "Record linkage"),
    ("revictimisation", "Repeat victimisation"),
    ("warnings", "Warnings and notes"),
    ("about", "About this run"),
]


def _context(run: Run) -> dict:
    h = _histories(run)
    res = run.result or {}
    ctx: dict[str, Any] = {
        "data": _data_section(run, h),
        "model": _model_section(run),
        "estimates": _estimate_section(run),
        "assumption": _assumption_section(run),
        "comparison": _compare_section(run, int(_all_persons(h)["count"].sum()) if h is not None else
                                       (res.get("data") or {}).get("observed")),
        "trend": _trend_section(run),
        "visibility": _visibility_section(run),
        "pooling": _pooling_section(run),
        "sdg": _sdg_section(run),
        "published": _published_section(run),
        "linkage": _linkage_section(run),
        "revictimisation": _revictimisation_section(run),
    }
    ctx["holds"] = [what for key, what in (("linkage", "record linkage results"), ("trend", "monitor tables"),
                                           ("revictimisation", "repeat-victimisation tables")) if ctx.get(key)]
    msgs = _messages(run)
    ctx["messages"] = msgs
    ctx["n_warnings"] = sum(m.explanation.severity == "warning" for m in msgs)
    ctx["n_notes"] = len(msgs) - ctx["n_warnings"]
    name = (ctx["data"] or {}).get("name") or res.get("data", {}).get("name") or run.folder.name
    kind = "monitor" if res.get("monitor") else ("estimate" if res else ("comparison" if run.compare is not None else
                                                                          "linkage and follow-up"))
    ctx["title"] = f"darkfigure report: {name}"
    ctx["kind"] = kind
    ctx["monitor_info"] = res.get("monitor")
    settings = res.get("settings") or {}
    cinfo = run.compare_info or {}
    rinfo = run.revictimisation_info or {}
    about = [
        ("darkfigure version of the run",
         str(res.get("darkfigure_version") or cinfo.get("darkfigure_version") or rinfo.get("darkfigure_version")
             or "–")),
        ("run date", str(res.get("run_date") or cinfo.get("run_date") or rinfo.get("run_date") or "not recorded")),
        ("report built", datetime.now(UTC).isoformat(timespec="seconds") + f" with darkfigure {__version__}"),
        ("run folder", str(run.folder)),
        ("files read", ", ".join(run.files)),
    ]
    for k in ("search", "criterion", "model", "ci", "reps", "seed", "level", "year", "year_degree", "pthresh"):
        if k in settings and settings[k] is not None:
            about.append((k, str(settings[k])))
    imp = settings.get("imputed") or {}
    if settings.get("missing") and (settings.get("covariates") or imp.get("persons")):
        text = str(settings["missing"])
        if imp.get("persons"):
            per = ", ".join(f"{c} {fmt_count(v)}" for c, v in imp.items() if c != "persons")
            text += (f": {fmt_count(imp['persons'])} persons with an unknown value kept, imputed by EM"
                     + (f" ({per})" if per else ""))
        else:
            text += {"em": ": no value was unknown", "drop": ": persons with an unknown value left out",
                     "error": ": none allowed"}.get(text, "")
        about.append(("unknown covariate values", text))
    szs = settings.get("structural_zeros") or []
    if szs:
        about.append(("structural zeros", "; ".join(f"list {a} cannot register {c} = {lv}" for a, c, lv in szs)))
    if not res and cinfo:
        about += [("seed", str(cinfo.get("seed"))), ("replicates", str(cinfo.get("reps")))]
    about += _revictimisation_about(run.revictimisation_info, with_run=bool(res or cinfo))
    secs = res.get("seconds") or {}
    if secs.get("total") is not None:
        about.append(("run time", f"{_f(secs['total']):.1f} s"))
    ctx["about"] = about
    ctx["sections"] = [(sid, title) for sid, title in _SECTIONS
                       if sid in ("summary", "warnings", "about") or ctx.get(sid)]
    ctx["has_counts"] = ctx["data"] is not None or ctx["trend"] is not None
    return ctx


def render_report(run: Run) -> str:
    """The report of a loaded run as an HTML string (see :func:`build_report`)."""
    from jinja2 import Environment, PackageLoader

    env = Environment(
        loader=PackageLoader("darkfigure.report", "templates"),
        autoescape=True,  # every value from the data is escaped (template names end in .j2)
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2").render(**_context(run))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def build_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write one self-contained HTML report of a run folder.

    Parameters
    ----------
    run_dir : path
        The ``--out`` folder of ``darkfigure estimate``, ``monitor`` or ``compare`` (and
        of ``darkfigure link`` and the repeat-victimisation tables): every known result
        file present gets its section (:data:`RESULT_FILES`).
    out : path, optional
        The HTML file to write (default ``run_dir/report.html``).

    Returns
    -------
    Path
        The file written. It is written to a temporary file first and renamed, so a
        failure leaves no half-written report.

    Raises
    ------
    RunFolderError
        The folder is missing or holds no results (the message names the expected
        files), or ``result.json`` is unreadable.
    OSError
        The report cannot be written.
    """
    run = load_run(run_dir)
    html = render_report(run)
    target = Path(out) if out is not None else run.folder / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(html)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; a report is as readable as the CSVs
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
