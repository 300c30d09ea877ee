"""The reading step: capture histories from what the user gave (file, frame, dataset name, link run folder)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..histories import CaptureHistories, DataError
from ..io import read_histories

__all__ = ["Reading", "read_step", "drop_incomplete", "require_year", "with_year"]


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

    A ``darkfigure link`` output folder is read as its histories and its linkage run; the
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
    if (linkage is None or str(linkage).lower() == "none") and linkage_run is None and not _is_dir(data):
        linkage = "none"  # resolve_linkage's answer, without importing the linkage package (0.1 s)
    else:
        from ..linkage.uncertainty import resolve_linkage

        data, linkage_run, linkage = resolve_linkage(data, linkage_run, linkage)
    h = read_histories(
        data, lists=lists, covariates=with_year(covariates, year), count=count, on_empty_list=on_empty_list,
        missing="error" if missing == "error" else "keep",
    )
    h, warnings = drop_incomplete(h, missing)
    return Reading(histories=h, linkage_run=linkage_run, linkage=linkage, warnings=warnings)


def _is_dir(data: Any) -> bool:
    """Whether `data` names a folder (a `darkfigure link` output, read by ``resolve_linkage``)."""
    from pathlib import Path

    return isinstance(data, (str, Path)) and Path(data).is_dir()


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
        Naming the year column and the covariates there are.
    """
    if year is not None and year not in h.covariates:
        raise DataError(f"year column {year!r} is not among the covariates {list(h.covariates)}")


def with_year(covariates: list[str] | None, year: str | None) -> list[str] | None:
    """The covariates to read, with the year column added when it was named apart (as Cruyff's ``mse``
    takes ``year=`` beside the covariates); None (every other column) stays None."""
    if covariates is None or year is None or year in covariates:
        return covariates
    return [*covariates, year]
