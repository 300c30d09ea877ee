"""Reading the data and the replicates of ``estimate_strata`` (``--by`` strata, ``--replicates`` folders)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = ["read_replicates"]

_DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".xlsx", ".xls")


def _plain(v):
    """A NumPy scalar as the plain Python value (stratum keys compare and print as the data's values)."""
    return v.item() if hasattr(v, "item") else v


def _read_frame(path, count: str):
    """The table of a file (or the frame itself)."""
    from ..io import read_table

    if isinstance(path, pd.DataFrame):
        return path
    if type(path).__module__.split(".")[0] == "polars":  # as the other front doors: polars frames via to_pandas
        from ..histories import _as_pandas

        return _as_pandas(path)
    from .. import datasets

    if str(path) in datasets.DATASETS and not Path(str(path)).exists():  # a bundled dataset, as estimate takes it
        return datasets.load_frame(str(path))
    return read_table(path)


def _numeric_levels(frame: pd.DataFrame, by, name: str, notes: list | None) -> pd.DataFrame:
    """`frame` with every ``--by`` column of text whose known values all read as numbers read as numbers.

    A CSV file's reader does this already ("2015" and "2015.0" in one column are both the number 2015);
    a pandas frame handed in from Python keeps the text, and two spellings of one number would become
    two strata with the same label in strata.csv (tester 9, F16). Here both ways give the same strata,
    and a data frame of text codes agrees with replicate files read from CSV. Values that differ only in
    how the number is written (merged into one level) are named in `notes`; the caller's frame is not
    changed (a copy is returned when a column is converted).
    """
    out = frame
    for c in by:
        s = frame[c]
        if not (isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
            continue
        s = s.astype(object)
        known = s[s.notna()]
        # the distinct values only: a column of a million rows has a handful of levels
        uniq = pd.unique(known.to_numpy(dtype=object))
        if not len(uniq) or any(isinstance(v, (bool, np.bool_)) for v in uniq):
            continue
        text = pd.Series([str(v) for v in uniq], dtype=object)
        num = pd.to_numeric(text, errors="coerce")
        if num.isna().any() or not np.isfinite(num.to_numpy(dtype=float)).all():
            continue  # some text that is no number (or inf): the levels stay text, as a CSV reader keeps them
        spellings = text.groupby(num.to_numpy()).unique()
        merged = spellings[spellings.map(len) > 1]
        if len(merged) and notes is not None:
            ex = "; ".join(" and ".join(repr(v) for v in sorted(vs)) + f" -> {int(n) if float(n).is_integer() else n}"
                           for n, vs in list(merged.items())[:3])
            notes.append(f"--by {c!r} in {name}: values that differ only in how the number is written were taken as "
                         f"one level ({ex}{'; ...' if len(merged) > 3 else ''}), as a CSV file's reader takes them")
        if out is frame:
            out = frame.copy()
        # integers when every value is a whole number written as one, else floats (NaN for an empty cell), as
        # read_csv gives them
        out[c] = pd.to_numeric(s.map(dict(zip(uniq, num.tolist(), strict=True))))
    return out


def _histories(frame: pd.DataFrame, lists, by, count: str, name: str, on_empty_list: str = "error",
               notes: list | None = None):
    """Capture histories of `frame` with the `by` columns as covariates (a one-level column kept as a constant).

    ``--by`` columns of text that all read as numbers are read as numbers first (:func:`_numeric_levels`,
    as a CSV file's reader does; what it merges is appended to `notes`).

    Raises DataError naming the file (`name`) for a missing ``--by`` or list column, or a one-level
    column with unknown values.
    """
    from ..io import read_histories

    cols = (list(lists) if lists else []) + list(by)
    if count in frame.columns:
        cols.append(count)
    missing = [c for c in by if c not in frame.columns]
    if missing:
        from ..pipeline.first_year import REGISTRATION_YEAR

        per_year = (f" ({REGISTRATION_YEAR}, one unit per person and calendar year of registration, is built from a "
                    "link folder's registrations by `estimate` and `monitor --year registration_year`; strata takes "
                    "the per-person histories)") if REGISTRATION_YEAR in missing else ""
        raise DataError(f"--by column(s) {missing} not in {name}; its columns are {list(map(str, frame.columns))}"
                        + per_year)
    frame = _numeric_levels(frame, by, name, notes)
    # the count and the lists are not strata (tester 7, 25: a pandas message / advice about unused options)
    if count in by and count in frame.columns:
        raise DataError(f"--by {count}: {count!r} is the count column of {name} (persons per row); stratify by a "
                        "covariate such as region, period or sex")
    as_list = [c for c in by if lists and c in lists]  # without --lists a 0/1 --by column (minor) is a covariate
    if as_list:
        raise DataError(f"--by {','.join(as_list)}: {as_list[0]!r} is a list of {name} (0/1: registered or not); "
                        "stratify by a covariate such as region, period or sex")
    if lists:
        gone = [a for a in lists if a not in frame.columns]
        if gone:
            raise DataError(f"list column(s) {gone} not in {name} (--lists); its columns are "
                            f"{list(map(str, frame.columns))}")
        frame = frame[cols]
    else:
        frame = frame[[c for c in frame.columns if c in by or c == count or _binary(frame[c])]]
    # a --by column with one level is one stratum (CaptureHistories refuses it as a covariate): set apart
    const = {}
    for c in by:
        vals = frame[c].dropna().unique()
        if len(vals) <= 1:
            if frame[c].isna().any():
                raise DataError(f"--by column {c!r} in {name} has a single known level and {int(frame[c].isna().sum())}"
                                " unknown value(s): impute them (--replicates) or leave the column out of --by")
            const[c] = _plain(vals[0]) if len(vals) else None
    covs = [c for c in by if c not in const]
    if const:
        frame = frame.drop(columns=list(const))
    h = read_histories(frame, lists=lists, covariates=covs, count=count, missing="keep", on_empty_list=on_empty_list,
                       identifiers="keep")  # an identifier --by is said stratum by stratum
    if const:
        import dataclasses

        t = h.table.assign(**const)
        inc = None if h.incomplete is None else h.incomplete.assign(**const)
        levels = {**h.levels, **{c: (v,) for c, v in const.items()}}
        h = dataclasses.replace(h, table=t, incomplete=inc, levels=levels)
    return h


def _binary(s: pd.Series) -> bool:
    """Whether a column holds only 0/1 (a list column)."""
    v = pd.to_numeric(s, errors="coerce")
    return bool(v.notna().all() and v.isin([0, 1]).all())


def _check_levels(h, reference, by) -> None:
    """Raise DataError when a replicate's ``--by`` values are not levels of DATA (`reference`).

    A replicate coded otherwise (regions 100-105 where DATA has 0-5) passes the checks of persons and
    capture histories, but would make strata of its own and leave DATA's strata empty in it: every
    stratum would then be "not estimable" for want of persons (tester 9, F1). Imputations fill DATA's
    unknown values with its levels, and linkage draws take their covariates from DATA's records, so a
    value DATA does not have is a coding that disagrees. Levels compare as the strata's keys do
    (2015 == 2015.0; the text "2015" is read as a number by :func:`_numeric_levels` on both sides).
    """
    for c in by:
        ref_lv = [_plain(v) for v in reference.levels.get(c, ())]
        known = set(ref_lv)
        new = [_plain(v) for v in h.levels.get(c, ()) if _plain(v) not in known]
        if new:
            def show(vals):
                """The first six values and how many there are in all."""
                return ", ".join(map(str, vals[:6])) + (f", ... ({len(vals):,} in all)" if len(vals) > 6 else "")
            raise DataError(f"its --by column {c!r} has value(s) that DATA does not have: {show(new)} (DATA's levels: "
                            f"{show(ref_lv)}); a replicate must code the --by columns as DATA does")


def _pattern_counts(h) -> pd.Series:
    """Persons per capture pattern (``"0101"``...), complete and incomplete rows together."""
    t = h.table if h.incomplete is None else pd.concat([h.table, h.incomplete], ignore_index=True)
    key = t[list(h.lists)].astype(int).astype(str).agg("".join, axis=1)
    return t.groupby(key)["count"].sum().sort_index()


def read_replicates(folder: str | Path, reference, by, count: str = "count", kind: str = "imputation",
                    ignore=()):
    """Read a folder of replicates of the data and check they agree with the reference histories.

    Parameters
    ----------
    folder : path
        Files (CSV/TSV/Parquet/Excel), one replicate each (e.g. one multiple imputation of
        missing covariates, or one linkage draw), read in sorted name order. Hidden files are
        skipped; other files (README, notes.txt: not CSV/TSV/Parquet/Excel, or a ``.txt`` with no
        list or ``--by`` column) are ignored, named in one note of the returned messages.
    reference : CaptureHistories
        The data (DATA): its lists are the lists every replicate must have.
    by : list of str
        Stratum columns: every replicate needs them, with no unknown value and no value that is not
        a level of DATA (a file coded otherwise is left out, naming the values).
    kind : {"imputation", "linkage"}
        ``imputation``: every file holds the same persons with the same capture histories (only
        covariates differ), checked as the same count of every capture pattern as DATA;
        ``linkage``: the persons may differ between files (linkage draws), only the lists must agree.
    ignore : sequence of str
        List columns left out of DATA (they registered nobody, ``--drop-empty-lists``): not counted
        as extra lists of a replicate.

    Returns
    -------
    (list of CaptureHistories, list of str, list of str)
        The agreeing replicates, their file names, and one message per file left out (the run goes
        on without it; an empty or unreadable file too).

    Raises
    ------
    DataError
        Not a folder, no data file in it, or no file that agrees.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"--replicates {str(folder)!r} is not a folder: give a folder of replicate files")
    # hidden files (.darkfigure-outputs.json, .DS_Store) are never data; other non-data files (README, notes) are
    # named in one note so that a replicate the user meant to give is not missed silently
    every = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    files = [p for p in every if p.suffix.lower() in _DATA_SUFFIXES]
    not_data = [p.name for p in every if p.suffix.lower() not in _DATA_SUFFIXES]
    if not files:
        raise DataError(f"--replicates {str(folder)!r} holds no CSV/Parquet/Excel file")
    ref_lists = list(reference.lists)
    ref_patterns = _pattern_counts(reference) if kind == "imputation" else None
    ok, names, left = [], [], []
    merged: list[str] = []  # --by values spelled two ways (2015, 2015.0), merged as in DATA
    for p in files:
        try:
            frame = _read_frame(p, count)
        except DataError as e:
            if p.suffix.lower() == ".txt":  # a .txt that is no table (notes): not a data file, not a bad replicate
                not_data.append(p.name)
                continue
            # an empty or unreadable file is one bad replicate, left out as any other (tester 9, F2)
            left.append(f"replicate file {p.name!r} left out: {e}")
            continue
        if p.suffix.lower() == ".txt" and not any(str(c) in map(str, ref_lists) or str(c) in by
                                                  for c in frame.columns):
            not_data.append(p.name)  # text without any list or --by column: notes, not a replicate
            continue
        try:
            extra = [c for c in frame.columns if c not in ref_lists and c not in by and c != count
                     and _binary(frame[c]) and str(c) not in map(str, reference.covariates) and str(c) not in ignore]
            absent = [a for a in ref_lists if a not in frame.columns]
            if absent or extra:
                raise DataError(
                    f"its lists differ from DATA's ({', '.join(ref_lists)}):"
                    + (f" missing {', '.join(map(str, absent))}" if absent else "")
                    + (f" extra 0/1 column(s) {', '.join(map(str, extra))}" if extra else "")
                )
            h = _histories(frame, ref_lists, by, count, p.name, notes=merged)
            _check_levels(h, reference, by)
            if h.n_incomplete:
                nmiss = {c: n for c, n in h.missing_values().items() if n}
                raise DataError(f"{h.n_incomplete:,} person(s) with unknown values ({nmiss}): a replicate must fill "
                                "every value of the --by columns")
            if ref_patterns is not None:
                pc = _pattern_counts(h)
                if int(pc.sum()) != int(ref_patterns.sum()):
                    raise DataError(f"it holds {int(pc.sum()):,} persons, DATA {int(ref_patterns.sum()):,}: "
                                    "imputations must hold the same persons (for linkage draws, whose persons "
                                    "differ, use --replicate-kind linkage)")
                diff = pc.sub(ref_patterns, fill_value=0)
                diff = diff[diff != 0]
                if len(diff):
                    pat = diff.index[0]
                    desc = ",".join(f"{a}={c}" for a, c in zip(ref_lists, pat, strict=True))
                    raise DataError(f"its persons' capture histories differ from DATA's (pattern {desc}: "
                                    f"{int(pc.get(pat, 0)):,} vs {int(ref_patterns.get(pat, 0)):,}): imputations "
                                    "may change covariates only (for linkage draws use --replicate-kind linkage)")
            ok.append(h)
            names.append(p.name)
        except DataError as e:
            left.append(f"replicate file {p.name!r} left out: {e}")
    if len(ok) > 1:
        # copies of one replicate add no between-replicate variance: the combined interval would look as if the
        # imputation (or linkage) uncertainty were in it (tester 9, F21); said, not refused
        import hashlib

        def _digest(h) -> str:
            t = h.table.sort_values(list(h.table.columns[:-1])).reset_index(drop=True)
            return hashlib.sha1(pd.util.hash_pandas_object(t.astype(str), index=False).to_numpy().tobytes()).hexdigest()

        groups: dict[str, list[str]] = {}
        for h, n in zip(ok, names, strict=True):
            groups.setdefault(_digest(h), []).append(n)
        same = [g for g in groups.values() if len(g) > 1]
        if same:
            shown = "; ".join(", ".join(repr(n) for n in g[:4]) + (", ..." if len(g) > 4 else "") for g in same[:3])
            left.append(f"replicate files with identical contents: {shown}. Replicates must be drawn independently "
                        "(each imputation or linkage draw its own); copies add no between-replicate variance, so the "
                        "combined intervals understate that uncertainty")
    if merged:
        left.append(merged[0] + (f" (and in {len(merged) - 1:,} more replicate file(s))" if len(merged) > 1 else ""))
    if not_data:
        left.insert(0, f"--replicates {folder.name!r}: {', '.join(repr(n) for n in not_data)} ignored (not a data "
                       "file: no list or --by column, or not CSV/TSV/Parquet/Excel)")
    if not ok:
        raise DataError(f"no file in --replicates {str(folder)!r} agrees with DATA: " + "; ".join(left[:3]))
    return ok, names, left
