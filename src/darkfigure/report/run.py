"""The run folder of a report: which result files it holds, read and checked (:func:`load_run`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..group_names import modernise_group_names
from ..histories import DataError
from ..outputs import read_manifest, run_of, sha256
from ..result_json import legacy_interval
from .views import _as_label

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

_ESTIMATE_OUT = ("result.json", "estimates.csv", "search_path.csv", "capture_histories.csv")
#: Files one command writes together: in a run folder, those present must come from the same run.
WRITTEN_TOGETHER: dict[str, tuple[str, ...]] = {
    "monitor": ("monitor.csv", "monitor_published.csv", "monitor_published_columns.csv", "years.csv", *_ESTIMATE_OUT),
    "estimate": _ESTIMATE_OUT,
    "compare": ("compare.csv", "compare.json", "capture_histories.csv"),
    "link": ("links.csv", *LINKAGE_FILES),
    "revictimisation": ("revictimisation.csv", "revictimisation_curve.csv", "revictimisation_first_offence.csv",
                        "revictimisation.json"),
}


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
    linkage_settings : dict or None
        ``linkage_settings.json`` of ``darkfigure link`` (its ``warnings`` are shown).
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
    linkage_settings: dict | None = None
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
    if {"group", "level"} <= set(df.columns):
        # a folder written before pairs were named "sex:age" says "sexxage": read it as the new name
        df["group"] = modernise_group_names(df["group"], df["level"])
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
        elif (folder / "strata.json").is_file() or (folder / "totals.csv").is_file():
            # a strata run: its tables are the results; say so rather than "no results" (tester 9, F9)
            raise RunFolderError(
                f"{str(folder)!r} holds a `darkfigure strata` run: `report` does not cover strata runs yet. Its "
                "results are strata.csv (one row per stratum), totals.csv (sums over strata with intervals) and "
                "strata.json (settings, warnings); to report one stratum, run `darkfigure estimate` on its histories")
        raise RunFolderError(f"no darkfigure results in {str(folder)!r}: expected {expected}. {hint}")
    run = Run(folder)
    # interval.upper null + upper_unbounded (darkfigure.result_json): as "inf" for the report's readers
    run.result = legacy_interval(_read_json(run, "result.json", required=True))
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
        run.linkage_settings = _read_json(run, "linkage_settings.json", required=False)
    run.revictimisation = _read_csv(run, "revictimisation.csv", columns=_REVICT_COLUMNS)
    run.revictimisation_curve = _read_csv(run, "revictimisation_curve.csv", columns=_CURVE_COLUMNS)
    run.revictimisation_first = _read_csv(run, "revictimisation_first_offence.csv", columns=_FIRST_COLUMNS)
    run.revictimisation_info = _read_json(run, "revictimisation.json", required=False)
    for name in ("capture_histories.csv", "histories.csv") if linkage else ("capture_histories.csv",):
        t = _read_csv(run, name)
        if t is not None:
            run.histories_table, run.histories_file = t, name
            break
    _check_one_run(run)
    return run



def _check_one_run(run: Run) -> None:
    """Refuse a folder whose result files come from different darkfigure runs (a report would mix them).

    A run's files are known from the folder's manifest (:mod:`darkfigure.outputs`): of the files
    one command writes together (:data:`WRITTEN_TOGETHER`), those present must share one run.
    Files of other commands may be upstream runs (the ``link`` whose histories an estimate
    read) and are not compared. Files missing from the manifest cannot be placed and are not
    compared either.

    Raises
    ------
    RunFolderError
        Naming the files of each run and what to do.
    """
    manifest = read_manifest(run.folder)
    if not manifest:
        run.problems.append("the folder has no darkfigure manifest (.darkfigure-outputs.json, e.g. copied without "
                            "hidden files): the report cannot confirm that its files are the ones darkfigure wrote")
        return
    loaded = set(run.files)
    # a file edited after darkfigure wrote it: the report would show numbers no run computed (tester 7, 18)
    edited = sorted(f for f in loaded if f in manifest and manifest[f].get("sha256")
                    and sha256(run.folder / f) != manifest[f]["sha256"])
    if edited:
        raise RunFolderError(
            f"{', '.join(edited)} in {str(run.folder)!r} changed since darkfigure wrote {'them' if len(edited) > 1 else 'it'} "
            "(its SHA-256 differs from the one in .darkfigure-outputs.json): a report would show numbers no run "
            "computed. Run the command again with --out to rewrite the results, and report that folder"
        )
    for files in WRITTEN_TOGETHER.values():
        runs: dict[str, list[str]] = {}
        for f in files:
            if f in loaded and f in manifest:
                runs.setdefault(run_of(manifest[f]), []).append(f)
        if len(runs) < 2:
            continue
        parts = []
        for fs in runs.values():
            e = manifest[fs[0]]
            parts.append(f"{', '.join(fs)} from the `{e.get('command') or '?'}` run of {e.get('written', '?')}")
        raise RunFolderError(
            f"the results in {str(run.folder)!r} come from different darkfigure runs: {'; '.join(parts)}. "
            "A report would mix them. Run the command again into an empty --out folder (or delete the files of "
            "the older run) and report that folder"
        )
