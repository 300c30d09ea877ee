"""Structural zeros by design: lists that cannot register a subgroup, or did not exist in a year.

A declaration ``(list L, covariate C, level S)`` says that list L cannot register
anyone with C = S (the labour inspectorate and sexual exploitation), or, with C the
year column, that L did not exist in year S. Every cell of the complete table with
L = 1 and C = S is then a structural zero: it cannot hold anyone, so it leaves the
likelihood (it is neither an observed zero nor part of the hidden population). The
subgroup C = S is estimated from the lists that can see it, and a list x C term has
no parameter for level S (its column vanishes on the cells left and is aliased).

This is the multiple-record systems estimator for registrations that refer to
different but overlapping populations (Zwane, van der Pal-de Bruin & van der
Heijden 2004, Statistics in Medicine 23:2267-2281), i.e. a log-linear model of an
incomplete contingency table (Bishop, Fienberg & Holland 1975, *Discrete
Multivariate Analysis*, ch. 5).

The declarations file is a CSV with columns ``list,covariate,level`` (one row per
declaration), as ``darkfigure estimate --structural-zeros FILE`` reads it and
``darkfigure simulate`` writes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .histories import CaptureHistories, DataError
from .loglinear.design import CompleteTable

__all__ = ["COLUMNS", "read_structural_zeros", "validate_structural_zeros", "structural_zero_mask", "complete_table",
           "year_zero_hint"]

COLUMNS = ("list", "covariate", "level")


def read_structural_zeros(source: str | Path | pd.DataFrame | Iterable[tuple]) -> pd.DataFrame:
    """Read structural-zero declarations.

    Parameters
    ----------
    source : path, DataFrame or iterable of (list, covariate, level)
        A CSV file (or DataFrame) with columns ``list``, ``covariate``, ``level``
        (case and surrounding spaces in the header are ignored; other columns are
        refused), or the triples themselves.

    Returns
    -------
    DataFrame of shape (n_declarations, 3)
        Columns ``list``, ``covariate`` (str) and ``level`` (as read); duplicate rows
        removed.

    Raises
    ------
    DataError
        Missing file, missing or extra columns, an empty cell, no declarations.
    """
    if isinstance(source, (str, Path)):
        p = Path(source)
        if not p.exists():
            raise DataError(f"structural-zeros file {str(p)!r} not found")
        try:
            df = pd.read_csv(p, dtype=str, keep_default_na=False)
        except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as e:
            raise DataError(f"cannot read the structural-zeros file {p.name!r}: {e}") from None
        where = f"structural-zeros file {p.name!r}"
    elif isinstance(source, pd.DataFrame):
        df, where = source.copy(), "structural zeros"
    else:
        rows = [tuple(r) for r in source]
        if any(len(r) != 3 for r in rows):
            raise DataError("structural zeros must be (list, covariate, level) triples")
        df, where = pd.DataFrame(rows, columns=list(COLUMNS)), "structural zeros"
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in COLUMNS if c not in df.columns]
    extra = [c for c in df.columns if c not in COLUMNS]
    if missing or extra:
        raise DataError(
            f"{where} must have exactly the columns list,covariate,level (one row per list that cannot register "
            f"a level); {'missing ' + str(missing) if missing else ''}{' ' if missing and extra else ''}"
            f"{'unexpected ' + str(extra) if extra else ''}"
        )
    df = df[list(COLUMNS)]
    for c in COLUMNS:
        blank = df[c].isna() | (df[c].astype(str).str.strip() == "")
        if blank.any():
            row = int(np.flatnonzero(blank.to_numpy())[0])
            raise DataError(f"{where}: row {row + 1} has no {c}")
    df["list"] = df["list"].astype(str).str.strip()
    df["covariate"] = df["covariate"].astype(str).str.strip()
    df["level"] = [v.strip() if isinstance(v, str) else v for v in df["level"]]
    if len(df) == 0:
        raise DataError(f"{where} holds no declarations")
    return df.drop_duplicates().reset_index(drop=True)


def _match_level(value, levels: tuple) -> object | None:
    """The level of `levels` equal to `value` (compared as text, then as numbers), or None."""
    for lv in levels:
        if lv == value or str(lv) == str(value):
            return lv
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    for lv in levels:
        try:
            if float(lv) == v:
                return lv
        except (TypeError, ValueError):
            continue
    return None


def _show(v) -> str:
    """A level as a message shows it: text quoted, numbers plain (never ``np.int64(2017)``)."""
    return repr(v) if isinstance(v, str) else str(v)


def validate_structural_zeros(histories: CaptureHistories, declarations) -> pd.DataFrame:
    """Check declarations against the data and resolve their levels.

    Parameters
    ----------
    histories : CaptureHistories
    declarations : path, DataFrame or iterable of (list, covariate, level)
        See :func:`read_structural_zeros`.

    Returns
    -------
    DataFrame of shape (n_declarations, 3)
        ``list, covariate, level`` with each level as the data spell it (e.g. the
        integer 2016 for a year read from a CSV).

    Raises
    ------
    DataError
        A list that is not a list of the data, a covariate that is not a covariate (for a
        year, the year column must be one of the covariates), a level the covariate does
        not have; a list declared unable to register every level of a covariate (it would
        register nobody); a declaration whose cells hold observed persons (the message
        names the list, covariate, level and the number of persons).
    """
    d = read_structural_zeros(declarations)
    h = histories
    levels = []
    for i, r in d.iterrows():
        row = f"structural zero row {i + 1} ({r['list']}, {r['covariate']}, {r['level']})"
        if r["list"] not in h.lists:
            raise DataError(f"{row}: unknown list {r['list']!r}; the lists are {list(h.lists)}")
        if r["covariate"] not in h.covariates:
            hint = " (a year column must be one of the covariates)" if h.covariates else " (the data have no covariates)"
            raise DataError(
                f"{row}: unknown covariate {r['covariate']!r}; the covariates are {list(h.covariates)}{hint}"
            )
        lv = _match_level(r["level"], h.levels[r["covariate"]])
        if lv is None:
            raise DataError(
                f"{row}: unknown level {r['level']!r} of {r['covariate']!r}; its levels (among observed persons) "
                f"are [{', '.join(_show(v) for v in h.levels[r['covariate']])}]"
            )
        levels.append(lv)
    d["level"] = pd.Series(levels, index=d.index, dtype=object)
    d = d.drop_duplicates(subset=list(COLUMNS)).reset_index(drop=True)
    for (name, cov), g in d.groupby(["list", "covariate"], sort=False):
        if len(g) >= len(h.levels[cov]):
            raise DataError(
                f"structural zeros: list {name!r} is declared unable to register every level of {cov!r}, so it "
                "could register nobody; drop the list instead"
            )
    t = h.table
    for _, r in d.iterrows():
        hit = (t[r["list"]] == 1) & (t[r["covariate"]] == r["level"])
        n = int(t.loc[hit, "count"].sum())
        if n:
            raise DataError(
                f"structural zero declared for list {r['list']!r} and {r['covariate']} = {_show(r['level'])}, but {n} "
                f"observed person(s) are in those cells ({r['list']} = 1, {r['covariate']} = {_show(r['level'])}): the list "
                "did register that subgroup, so the declaration is wrong (or the data are)" + year_zero_hint(r["covariate"])
            )
    return d


def year_zero_hint(covariate: str) -> str:
    """The hint added to a refused structural zero of a year column (tester 21a M5, in words).

    A person's year is one year (with a link folder, the year of their first registration), so a list that only
    began registering in 2018 still holds persons whose year is 2017 when it registered them in 2018: it is not
    absent from the 2017 stratum, only from 2017's registrations. Empty for other covariates.
    """
    if str(covariate).strip().lower() not in {"year", "jaar", "registration_year", "first_year"}:
        return ""
    return (f". If the list truly did not exist in that year: {covariate!r} is each person's year (with a link "
            "folder, the year of their first registration), so persons of that year whom the list registered in a "
            "later year are in the cell and it is no structural zero. Declare only the years before any of its "
            "persons' years, or none: estimate finds the list's empty years itself and fits them as zero")


def structural_zero_mask(table: CompleteTable, declarations) -> np.ndarray:
    """The cells of `table` that the declarations make structural zeros.

    Parameters
    ----------
    table : CompleteTable
        Any complete table of the data (its own `structural_zeros` are ignored).
    declarations : path, DataFrame or iterable of (list, covariate, level)

    Returns
    -------
    ndarray of bool, shape (n_cells,)
        True where some declared list is 1 and its covariate has the declared level:
        the ``structural_zeros`` argument of :class:`~darkfigure.loglinear.design.CompleteTable`.

    Raises
    ------
    DataError
        As :func:`validate_structural_zeros`.

    References
    ----------
    Zwane, van der Pal-de Bruin & van der Heijden (2004), Statistics in Medicine
    23:2267-2281 (registrations covering different subpopulations); Bishop, Fienberg
    & Holland (1975), ch. 5 (incomplete tables).
    """
    d = validate_structural_zeros(table.histories, declarations)
    cells = table.cells
    mask = np.zeros(len(cells), dtype=bool)
    for _, r in d.iterrows():
        mask |= (cells[r["list"]].to_numpy() == 1) & (cells[r["covariate"]] == r["level"]).to_numpy()
    return mask


def complete_table(
    histories: CaptureHistories,
    structural_zeros=None,
    *,
    year: str | None = None,
    year_degree: int | None = None,
) -> CompleteTable:
    """The complete table of `histories` with declared structural zeros left out of the likelihood.

    Parameters
    ----------
    histories : CaptureHistories
    structural_zeros : path, DataFrame or iterable of (list, covariate, level), optional
        Declarations (see :func:`read_structural_zeros`); None for none.
    year, year_degree
        As :class:`~darkfigure.loglinear.design.CompleteTable`.

    Returns
    -------
    CompleteTable
        With ``structural_zeros`` set (None when there are no declarations).

    Raises
    ------
    DataError
        Invalid declarations (see :func:`validate_structural_zeros`), or the table's own errors.
    """
    table = CompleteTable(histories, year=year, year_degree=year_degree)
    if structural_zeros is None:
        return table
    mask = structural_zero_mask(table, structural_zeros)
    if not mask.any():
        return table
    return CompleteTable(histories, year=year, year_degree=year_degree, structural_zeros=mask)
