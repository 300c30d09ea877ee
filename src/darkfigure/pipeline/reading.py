"""The reading step: capture histories from what the user gave (file, frame, dataset name, link run folder)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..histories import CaptureHistories, DataError
from ..io import read_histories
from .first_year import PER_YEAR, REGISTRATION_YEAR, first_year_covariate, is_link_output

__all__ = ["per_year_histories", "wants_per_year", "with_per_year_note", "data_folder", "resolve_link_data", "linkage_none_warning", "no_probabilities_warning", "Reading", "read_step", "drop_incomplete", "require_year", "with_year"]


@dataclass
class Reading:
    """What :func:`read_step` read.

    Attributes
    ----------
    histories : CaptureHistories
        The capture histories; persons with an unknown covariate value are kept apart in
        ``histories.incomplete`` unless ``missing="error"`` refused them.
    linkage_run : LinkRun or None
        The ``darkfigure link`` run behind the data (records and scored pairs), when there is one.
    linkage : str
        ``"correct"`` or ``"none"``: what to do about linkage error
        (:func:`darkfigure.linkage.uncertainty.resolve_linkage`).
    warnings : list of str
        What the reading did that the user must know (persons dropped).
    """

    histories: CaptureHistories
    linkage_run: Any = None
    linkage: str | None = None
    warnings: list[str] = field(default_factory=list)


def read_step(
    data: Any,
    *,
    lists: list[str] | None = None,
    covariates: list[str] | None = None,
    count: str = "count",
    year: str | None = None,
    on_empty_list: str = "error",
    missing: str = "error",
    linkage_run: Any = None,
    linkage: str | None = None,
) -> Reading:
    """Read capture histories as ``estimate`` and ``monitor`` do.

    A ``darkfigure link`` output folder is read as its histories and its linkage run; it, and its
    histories.csv given as the file, are read without the ``year`` link writes unless `covariates` or `year` name it
    (:func:`~darkfigure.pipeline.first_year.first_year_covariate`); the
    year column is read with the covariates even when named apart (:func:`with_year`);
    persons with an unknown covariate value are refused (``missing="error"``), kept for the
    EM algorithm (``"em"``; ``"keep"`` for a front door that passes ``missing`` on to ``estimate``)
    or dropped with a warning (``"drop"``, :func:`drop_incomplete`).

    Parameters
    ----------
    data : CaptureHistories, DataFrame, path, dataset name or link run folder
    lists, covariates, count, on_empty_list
        As :func:`darkfigure.io.read_histories`.
    year : str, optional
        The year column (added to `covariates` when they are named and it is not among them).
    missing : {"error", "em", "drop", "keep"}
    linkage_run, linkage
        As :func:`darkfigure.linkage.uncertainty.resolve_linkage`.

    Returns
    -------
    Reading

    Raises
    ------
    DataError
        Unreadable data, an unknown column, a list that registered nobody (with
        ``on_empty_list="error"``), unknown covariate values with ``missing="error"``, or
        ``linkage="correct"`` without match probabilities (each message names the column,
        row, list or option).
    """
    folder = data  # before a link folder is resolved to its histories.csv
    plain = linkage_run is None and (linkage is None or str(linkage).lower() == "none")
    maybe_link = isinstance(data, (str, os.PathLike)) and (os.path.isdir(data) or Path(data).name == "histories.csv")
    if plain and not maybe_link:
        linkage = "none"  # what resolve_link_data returns here, without importing the linkage package (~0.1 s)
    else:
        data, linkage_run, linkage = resolve_link_data(data, linkage_run, linkage)
    per_year = wants_per_year(covariates, year) and (linkage_run is not None or is_link_output(folder))
    if per_year and isinstance(data, CaptureHistories) and REGISTRATION_YEAR in data.covariates:
        linkage_run = linkage_run.per_year() if linkage_run is not None else None  # rebuilt already (the CLI)
        per_year = False
    elif per_year:
        data, linkage_run = per_year_histories(folder, linkage_run)
    h = read_histories(
        data, lists=lists, covariates=with_year(covariates, year), count=count, on_empty_list=on_empty_list,
        missing="error" if missing == "error" else "keep", year=year,
    )
    if per_year:
        h = with_per_year_note(h)
    # link's year of first registration: asked for only (s24); a link folder's histories.csv given as the file too,
    # with or without its match probabilities
    if (linkage_run is not None and not isinstance(folder, CaptureHistories)) or is_link_output(folder):
        h = first_year_covariate(h, covariates, year)
    h, warnings = drop_incomplete(h, missing)
    warnings = list(getattr(h, "warnings", ())) + warnings  # e.g. repeated patterns summed (tester 12b, M1)
    warnings += no_probabilities_warning(folder, linkage_run)
    return Reading(histories=h, linkage_run=linkage_run, linkage=linkage, warnings=warnings)


def with_per_year_note(h: CaptureHistories) -> CaptureHistories:
    """`h` (histories per person and calendar year, :func:`per_year_histories`) with the note saying what a unit is
    (:data:`~darkfigure.pipeline.first_year.PER_YEAR`), as estimate and monitor print it."""
    from dataclasses import replace

    return replace(h, notes=(*h.notes, PER_YEAR), warnings=h.warnings)


def wants_per_year(covariates: Any, year: str | None) -> bool:
    """True when the year (``--year``) or a covariate (a list, or ``--covariates`` as comma-separated text) is
    :data:`~darkfigure.pipeline.first_year.REGISTRATION_YEAR`."""
    named = [c.strip() for c in covariates.split(",")] if isinstance(covariates, str) else list(covariates or ())
    return REGISTRATION_YEAR in (year, *named)


def per_year_histories(folder: Any, run: Any) -> tuple[Any, Any]:
    """The histories of a link run per person and calendar year of registration, and the run set to draw them so.

    ``--year registration_year`` (or the covariate named) on a ``darkfigure link`` output: one unit per person
    and calendar year in which a list registered the person, seen by that year's lists (the population of a
    per-year estimate is that of the year; :func:`darkfigure.linkage.persons._by_year`). The folder's
    histories.csv holds one row per person, so the units are rebuilt from its records.parquet and
    pairs.parquet at the run's threshold, and every linkage draw is split into years the same way
    (:meth:`~darkfigure.linkage.link_run.LinkRun.per_year`).

    Parameters
    ----------
    folder : path, LinkageResult or CaptureHistories
        What the user gave (a link folder, its histories.csv).
    run : LinkRun or None
        The run read from it.

    Returns
    -------
    (DataFrame, LinkRun)
        The histories as a table (lists, covariates with ``registration_year``, ``count``; unknown covariate
        values empty) for :func:`~darkfigure.io.read_histories`, and the run with ``by_year`` set.

    Raises
    ------
    DataError
        The folder has no records.parquet and pairs.parquet (a link output without its match
        probabilities): per-year units cannot be rebuilt from histories.csv; or every registration falls in
        one calendar year.
    """
    if run is None:
        raise DataError(
            f"{REGISTRATION_YEAR} needs the registrations of the link run ({str(folder)!r} has no records.parquet "
            "and pairs.parquet): histories.csv holds one row per person, not one per person and year. Re-run "
            "`darkfigure link` (it writes them), or use --year year for the year of first registration")
    from ..linkage.draw_files import histories_rows

    run = run.per_year()
    h = run.histories()
    if REGISTRATION_YEAR not in h.covariates:  # one calendar year: the units are the persons
        raise DataError(
            f"every registration of the link run ({run.source or 'the link folder'}) falls in one calendar year: "
            f"{REGISTRATION_YEAR} has a single value and its units are the persons of histories.csv. Estimate the "
            "folder without --year (its N̂ is that year's)")
    return histories_rows(h), run


def data_folder(data: Any) -> str | None:
    """The base name of the folder given as the data (a ``darkfigure link`` output folder), else None.

    The run's report is titled with it (``link_2024``) rather than with the histories.csv read inside it
    (tester 20); a file, frame or dataset name keeps its own name (``data.name`` of result.json).

    Parameters
    ----------
    data : path, str or anything else ``estimate`` takes

    Returns
    -------
    str or None
    """
    if not isinstance(data, (str, os.PathLike)) or not os.path.isdir(data):
        return None
    return Path(data).resolve().name or None


def resolve_link_data(data: Any, run: Any, linkage: str | None) -> tuple[Any, Any, str]:
    """:func:`darkfigure.linkage.uncertainty.resolve_linkage`, with the checks of a link folder's histories.

    A ``darkfigure link`` output folder, or its ``histories.csv`` given directly, is
    recognised. With ``linkage="correct"`` its histories.csv must be the file ``link`` wrote
    (its SHA-256 in the folder's manifest, :mod:`darkfigure.outputs`): an edited or filtered
    file would be "corrected" with draws of another population. With ``linkage="none"`` (or
    the histories file read directly) the run is still returned, so that ``estimate`` says
    that N̂ takes the linkage as error-free.

    Returns
    -------
    (data, run, linkage) : as :func:`~darkfigure.linkage.uncertainty.resolve_linkage`.

    Raises
    ------
    DataError
        As :func:`~darkfigure.linkage.uncertainty.resolve_linkage`; a link folder whose
        histories.csv changed since ``link`` wrote it, with ``linkage="correct"``.
    """
    from ..linkage.link_run import HISTORIES_FILE, is_link_folder, read_link_run
    from ..linkage.uncertainty import resolve_linkage

    folder = None
    if run is None and isinstance(data, (str, Path)):
        p = Path(data)
        if p.is_dir() and is_link_folder(p):
            folder = p
        elif p.is_file() and p.name == HISTORIES_FILE and is_link_folder(p.parent):
            folder = p.parent
    direct = folder is not None and not Path(data).is_dir()
    data, run, linkage = resolve_linkage(data, run, linkage)
    if folder is None:
        return data, run, linkage
    if linkage == "correct":
        from ..outputs import read_manifest, sha256

        entry = read_manifest(folder).get(HISTORIES_FILE)
        if entry is not None and entry.get("sha256") != sha256(folder / HISTORIES_FILE):
            raise DataError(
                f"{folder / HISTORIES_FILE} changed since `darkfigure link` wrote it (its SHA-256 differs from the "
                f"one in {folder.name}/.darkfigure-outputs.json): the linkage draws are made from the folder's "
                "records.parquet and pairs.parquet, so they would correct a different population. Re-run "
                "`darkfigure link` on the registrations you mean, or estimate from the edited histories with "
                "--linkage none (no linkage correction)")
    if direct and run is None:
        try:
            run = read_link_run(folder)  # only to say that the linkage is taken as error-free
        except DataError:
            run = None
    return data, run, linkage


def no_probabilities_warning(data: Any, run: Any) -> list[str]:
    """The warning for a folder read as a link output without its match probabilities (tester 14b, L9: a folder
    of histories.csv and a junk links.csv was estimated without a word), or an empty list."""
    if run is not None or not isinstance(data, (str, os.PathLike)) or not os.path.isdir(data):
        return []
    return [f"{str(data)!r} holds histories.csv and links.csv but no match probabilities of a `darkfigure link` run "
            "(pairs.parquet and records.parquet): no linkage correction was possible, so N̂ and its interval take "
            "the persons in histories.csv as linked without error. Re-run `darkfigure link` for a folder that "
            "carries them, or give histories.csv itself to say that no linkage correction is meant"]


def linkage_none_warning(run: Any, linkage: str | None, data: Any = None) -> list[str]:
    """The warning that N̂ and its interval take the linkage as error-free (histories of a link run, no correction).

    `data` is what the user gave: when it is the link output folder itself, the advice is to drop
    ``--linkage none`` (s24 fresh-clone user, L4: "Give the link output folder" although it was given).
    """
    if run is None or linkage != "none":
        return []
    src = getattr(run, "source", "") or "a `darkfigure link` run"
    folder = isinstance(data, (str, os.PathLike)) and os.path.isdir(data)
    todo = ("Drop --linkage none (or give --linkage correct) to carry it" if folder else
            "Give the link output folder with --linkage correct to carry it")
    return [f"the persons come from a record linkage ({src}) taken here as error-free (--linkage none): N̂ and its "
            f"interval carry no linkage error (missed links raise N̂, false links lower it). {todo}"]


def drop_incomplete(h: CaptureHistories, missing: str) -> tuple[CaptureHistories, list[str]]:
    """With ``missing="drop"``, the histories without the persons whose covariate value is unknown.

    Returns
    -------
    (CaptureHistories, list of str)
        The histories (unchanged for ``"error"``/``"em"`` or when nobody is incomplete) and
        the warning that N̂ is then biased downwards.
    """
    if missing != "drop" or not h.n_incomplete:
        return h, []
    n_drop = h.n_incomplete
    return h.drop_incomplete(), [
        f"{n_drop:,} registered person(s) with an unknown covariate value were dropped: they are counted "
        "nowhere, so N̂ is biased downwards; use missing='em' (--missing em) to keep them"
    ]


def require_year(h: CaptureHistories, year: str | None) -> None:
    """Refuse a year column that is not among the covariates of `h` (nothing to do when `year` is None).

    Raises
    ------
    DataError
        Naming the year column and the columns there are (a list named as the year is said to be one).
    """
    if year is not None and year in h.covariates:
        _require_year_values(h, year)
        return
    if year is None:
        return
    if year in h.lists:
        raise DataError(f"year column {year!r} was read as a list (a 0/1 column of registrations), not a covariate: "
                        "give the column that holds the year, or name the lists (--lists, lists=[...])")
    cols = ", ".join([*h.lists, *h.covariates])
    raise DataError(f"no column {year!r} in the data (columns: {cols}, and the count): --year (year=...) names "
                    "the column that holds the year")


def _is_year(v: Any) -> bool:
    """True when `v` reads as a year: a whole number (int, integral float or digits as text). Any whole number, not
    only 1000-9999: years numbered 1, 2, 3 (R mse's simdat, ``Y``) are years of a trend too."""
    try:
        x = float(str(v).strip())
    except ValueError:
        return False
    return x.is_integer()


def _require_year_values(h: CaptureHistories, year: str) -> None:
    """Refuse a year column with values that are not years ("unknown", "2023 (provisional)", "2021/22").

    Such values were taken as years of their own: a trend row "unknown" with an N̂ of its own, a label
    "2023 (provisional)" beside 2023 (tester 17a, M5). A year row must be a calendar year for the per-year
    estimates and the trend to mean anything; an unknown year is a missing covariate value, which the reader
    handles (left out with a note, or kept with ``--missing em``).

    Raises
    ------
    DataError
        Naming the column, each value that is not a year (at most five) with the persons registered under it,
        and what to do.
    """
    bad = [lv for lv in h.levels[year] if not _is_year(lv)]
    if not bad:
        return
    t = h.table
    counts = t.groupby(t[year].astype(str), observed=True)["count"].sum() if "count" in t else None
    said = ", ".join(f"{str(v)!r}" + (f" ({int(counts.get(str(v), 0)):,} persons)" if counts is not None else "")
                     for v in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
    raise DataError(f"year column {year!r} has values that are not years: {said}. A year must be a whole number "
                    "such as 2021: leave the year of those rows empty (an unknown year: --missing drop leaves those "
                    "persons out, --missing em keeps them) or correct them; a column that is not a calendar year (e.g. '2021/22') can be "
                    "a covariate (--covariates) instead of --year")


def with_year(covariates: list[str] | None, year: str | None) -> list[str] | None:
    """The covariates to read, with the year column added when it was named apart (as Cruyff's ``mse``
    takes ``year=`` beside the covariates); None (every other column) stays None."""
    if covariates is None or year is None or year in covariates:
        return covariates
    return [*covariates, year]
