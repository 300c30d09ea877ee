"""Checks of capture-history input: count columns, 0/1 list columns, column roles (moved from ``histories``).

Used by :class:`darkfigure.histories.CaptureHistories` when it reads a table; moved here unchanged
(the static methods ``_refuse_hidden_count``, ``_resolve_columns`` and ``_validate_counts`` are
these functions). Errors name the column and row and say what to do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ._list_names import _PERSON_WORDS, _reads_like_covariate  # noqa: F401 - moved (still importable here)
from ._repeat_checks import _repeated_rows  # noqa: F401 - moved (still importable here)
from .cell_checks import refuse_formula_levels, refuse_formula_names, refuse_long_cells
from .errors import DataError

_COUNT_NAMES = {"count", "counts", "freq", "frequency", "n", "number", "persons"}
#: names of a count column in other languages and abbreviations: never taken silently as a covariate
_COUNT_LIKE = {
    "aantal", "anzahl", "antal", "nombre", "numero", "número", "cantidad", "conteggio", "liczba", "lukumäärä",
    "frequentie", "frecuencia", "frequenza", "fréquence", "häufigkeit", "total", "totaal", "cnt", "num", "nr",
    "weight", "gewicht", "victims", "slachtoffers", "personen", "personas", "npersons", "n_persons",
}
#: more persons than live on Earth: a misread column, and beyond what the float fit resolves
MAX_TOTAL_COUNT = 10**10
#: a column is "almost 0/1" (a list with a typo?) when at most this share of its rows hold another value
ALMOST_BINARY_SHARE = 0.1
#: covariates found by default (not named by the user) may have at most this many levels
MAX_AUTO_LEVELS = 30


def _stray_values(frame: pd.DataFrame, columns) -> list[tuple[str, object, int]]:
    """Columns that are mostly 0/1 with a few other values: (column, first other value, its 0-based row)."""
    out = []
    for c in columns:
        v = frame[c]
        as_num = pd.to_numeric(v, errors="coerce")
        is01 = as_num.isin([0, 1]).to_numpy()
        if is01.mean() >= 0.5 and not is01.all():
            r = int(np.flatnonzero(~is01 & v.notna().to_numpy())[0]) if (~is01 & v.notna().to_numpy()).any() else None
            if r is not None:
                val = v.iloc[r]
                out.append((str(c), val.item() if hasattr(val, "item") else val, r))
    return out


def _is_binary(s: pd.Series) -> bool:
    """Whether `s` holds only 0 and 1 (as numbers; missing values ignored; False when empty)."""
    vals = pd.unique(s.dropna())
    try:
        return len(vals) > 0 and set(np.asarray(vals, dtype=float).tolist()) <= {0.0, 1.0}
    except (TypeError, ValueError):
        return False


def _almost_binary(s: pd.Series) -> tuple[int, object] | None:
    """(first row, value) of the stray value when `s` is 0/1 but for a few rows (at most 10%, 2 values); else None."""
    v = pd.to_numeric(s, errors="coerce")
    if s.notna().sum() < 3 or v.isna().sum() > s.isna().sum():
        return None  # too short, or text values: not a 0/1 column with a typo
    known = v.dropna()
    ok = known.isin([0, 1])
    other = known[~ok]
    if other.empty or not ok.any() or known[ok].nunique() < 2:
        return None
    if len(other) > ALMOST_BINARY_SHARE * len(known) or other.nunique() > 2:
        return None
    row = int(np.flatnonzero(s.index == other.index[0])[0])
    val = s.loc[other.index[0]]
    return row, (val.item() if hasattr(val, "item") else val)


def _whole_nonnegative(s: pd.Series) -> bool:
    """Whether every value of `s` is a whole number >= 0 (False when empty or not numeric)."""
    v = pd.to_numeric(s, errors="coerce")
    if v.isna().any() or v.empty:
        return False
    return bool((v >= 0).all() and (v == np.round(v)).all())


def _blanks_to_missing(data: pd.DataFrame) -> pd.DataFrame:
    """Cells holding only spaces are unknown values, not a level named ' '."""
    out = None
    for c in data.columns:
        s = data[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            blank = s.astype(str).str.strip().eq("") & s.notna()
            if blank.any():
                if out is None:
                    out = data.copy()
                out[c] = s.mask(blank)
    return data if out is None else out


def _sorted_levels(values: Iterable) -> tuple:
    """The distinct non-missing `values`, sorted (by their text when they do not compare)."""
    vals = list(pd.unique(pd.Series(list(values)).dropna()))
    try:
        return tuple(sorted(vals))
    except TypeError:
        return tuple(sorted(vals, key=str))


def _as_pandas(data) -> pd.DataFrame:
    """A pandas DataFrame from a pandas or polars frame (or anything ``pd.DataFrame`` takes).

    A polars DataFrame (or LazyFrame, collected) is converted with ``to_pandas``; polars is
    never imported here, so it stays an optional dependency.
    """
    if isinstance(data, pd.DataFrame):
        return data
    if type(data).__module__.split(".")[0] == "polars":
        if hasattr(data, "collect") and not hasattr(data, "to_pandas"):
            data = data.collect()
        return data.to_pandas()
    if isinstance(data, (str, bytes, int, float, bool, type(None))) or np.isscalar(data):
        raise DataError(f"the data must be a data frame (pandas or polars), a file path, a bundled dataset name or "
                        f"CaptureHistories, not {type(data).__name__} {data!r:.60}; e.g. dfg.estimate(df) or "
                        "dfg.estimate('histories.csv')")
    try:
        return pd.DataFrame(data)
    except (ValueError, TypeError) as e:
        raise DataError(f"the data ({type(data).__name__}) cannot be read as a table ({e}); give a data frame "
                        "(pandas or polars), a file path, a bundled dataset name or CaptureHistories") from None


#: characters that split or join the names in a model term (``A:B``, ``A*B``, ``A:B + C:D``, ``A:B, C:D``) or
#: a formula (``Freq ~ A + B``): a list or covariate named with one cannot be written in --model or a formula
_TERM_CHARS = (":", "+", ",", "*", "~")
#: names the formulas use themselves (R's ``Freq ~ ...`` response and ``(Intercept)``)
_FORMULA_WORDS = {"Freq", "(Intercept)"}


def as_names(value, option: str) -> list | None:
    """A names argument as a list: ``"sex"`` -> ``["sex"]``, ``"A,B,C"`` -> ``["A", "B", "C"]`` (tester 9, F7).

    The one normaliser of the Python API's list-like name arguments (``lists``,
    ``covariates``, ``methods``, ``by``, ...), read as the command line reads them
    (comma-separated, blanks around names dropped). A list, tuple, set or pandas Index is
    returned as a list; None as None.

    Parameters
    ----------
    value : str, iterable of names, or None
    option : str
        The argument's name, for the message (``"lists"``).

    Raises
    ------
    DataError
        A value that is neither a string nor an iterable of names (e.g. ``lists=5``); an
        empty string.
    """
    if value is None:
        return None
    if isinstance(value, str):
        names = [s.strip() for s in value.split(",") if s.strip()]
        if not names:
            raise DataError(f"{option}={value!r} names no column: give names, e.g. {option}=['A', 'B'] or 'A,B'")
        return names
    if isinstance(value, (bytes, int, float, bool)) or not isinstance(value, Iterable):
        raise DataError(f"{option} must be a list of names or a comma-separated string ({option}='A,B'), "
                        f"not {type(value).__name__} {value!r:.60}")
    return list(value)


def _check_names(data: pd.DataFrame) -> None:
    """Column names must be text: numbers as names cannot be told from values in --model or the outputs."""
    bad = [c for c in data.columns if not isinstance(c, str)]
    if bad:
        raise DataError(
            f"column name(s) {bad[:6]} of the data are not text ({type(bad[0]).__name__}): a data frame made from an "
            "array has numbers as names. Name the columns, e.g. df.columns = ['police', 'ngo', 'health', 'count'] "
            "(the lists, covariates and the count), or df.columns = df.columns.astype(str)")


def _check_term_names(lists, covariates, count) -> None:
    """Refuse list and covariate names that break model terms or formulas, naming the column (tester 9, F17)."""
    for role, names in (("list", lists), ("covariate", covariates)):
        for c in names:
            s = str(c)
            bad = [ch for ch in _TERM_CHARS if ch in s]
            if bad:
                why = ("which joins the names in a model term (EXH:ABA)"
                       + (" and the two covariates of a pair in the output tables (sex:age)"
                          if role == "covariate" and bad[0] == ":" else "") if bad[0] in ":*" else
                       "which separates names in --lists/--covariates and model terms (EXH:ABA, ABA:OSCE)"
                       if bad[0] == "," else "which separates the terms of a model or formula (EXH:ABA + ABA:OSCE)"
                       if bad[0] == "+" else "which separates the response of a formula from its terms")
                fix = s
                for ch in _TERM_CHARS:
                    fix = fix.replace(ch, "_")
                raise DataError(f"{role} column name {s!r} contains {bad[0]!r}, {why}; rename the column "
                                f"(e.g. {fix!r})")
            if s in _FORMULA_WORDS or s in (str(count), "count"):
                # "count" is also the name of the counts in the histories darkfigure builds and writes
                what = ("the count column's name" if s in (str(count), "count") else
                        "the response of the model formulas (Freq ~ ...)" if s == "Freq" else
                        "the formulas' intercept")
                raise DataError(f"{role} column name {s!r} is {what}, so formulas and model terms with it would be "
                                f"ambiguous; rename the column (e.g. {s.strip('()') + '_list'!r})")


def _refuse_hidden_count(data: pd.DataFrame, lists, covariates) -> None:
    """No count column was found: refuse a column that looks like one instead of reading rows as persons.

    A column looks like a count when it holds whole numbers >= 0 (not only 0/1), is not a
    list the user named, and either has a count's name in another language (``aantal``,
    ``Anzahl``, ``nombre``, ...) or the table is aggregated: no two rows share their
    pattern and other columns while the column takes 5 or more values.
    """
    named = set(lists or ()) | set(covariates or ())
    for c in data.columns:
        if c in set(lists or ()) or (covariates is not None and c in named):
            continue  # the user said what it is
        s = data[c]
        if not _whole_nonnegative(s) or _is_binary(s):
            continue
        by_name = str(c).strip().lower() in _COUNT_LIKE
        rest = [x for x in data.columns if x != c and (x in named or covariates is None)]
        aggregated = (
            s.nunique() >= 5 and len(rest) >= 2 and not data.duplicated(subset=rest).any()
            and int(pd.to_numeric(s).max()) > 1
        )
        if by_name or aggregated:
            why = "its name is a count's" if by_name else (
                f"it holds {s.nunique()} different whole numbers and no two rows share their other columns "
                "(an aggregated table)"
            )
            raise DataError(
                f"column {c!r} looks like the number of persons per row ({why}), but it is not named as the count, "
                f"so each row would be read as one person. If it is the count, pass count={c!r} (--count {c}); "
                "if each row really is one person, name the covariates (--covariates) without it"
            )


def _resolve_columns(data, lists, covariates, exclude, missing="error"):
    """The list and covariate columns of `data` (tuples of names): those given, checked, or found (0/1
    columns are lists, the others covariates), leaving out `exclude`. DataError naming the column when a
    name is unknown, a list is not 0/1, a covariate level holds ``:`` (:func:`_refuse_separator_in_levels`), or a
    covariate has missing values (unless ``missing="keep"``)."""
    if missing not in ("error", "keep"):
        raise ValueError(f"missing must be 'error' or 'keep', not {missing!r}")
    _check_names(data)
    lists, covariates = as_names(lists, "lists"), as_names(covariates, "covariates")
    cols = [c for c in data.columns if c not in exclude]
    for role, given in (("list", lists), ("covariate", covariates)):
        for c in given or ():
            if c not in data.columns:
                import difflib

                close = difflib.get_close_matches(str(c), [str(x) for x in data.columns], n=1, cutoff=0.6)
                close += [str(x) for x in data.columns if str(x).strip().lower() == str(c).strip().lower()]
                raise DataError(
                    f"unknown {role} column {c!r}; the columns are {list(data.columns)}"
                    + (f" (did you mean {close[-1]!r}?)" if close else "")
                )
    if lists is None:
        pool = [c for c in cols if c not in set(covariates or ())]
        lists = [c for c in pool if _is_binary(data[c])]
        for c in pool:
            stray = None if c in lists else _almost_binary(data[c])
            if stray is not None:
                row, val = stray
                raise DataError(
                    f"column {c!r} is coded 0/1 except in row {row + 1}, which has {val!r}: a list column with a "
                    f"typo? It would be read as a covariate and N̂ would come from the other lists. Fix that "
                    f"value, or name the lists (--lists) and covariates (--covariates) explicitly"
                )
        person = [c for c in lists if _reads_like_covariate(c)]
        if person:
            c = person[0]
            raise DataError(
                f"column {c!r} is coded 0/1 and would be taken as a list, but its name reads like a property of the "
                f"person (a covariate), not an organisation that registered them; a covariate taken as a list "
                f"changes N̂ completely. Name the lists (--lists A,B,C; lists=[...]): {c!r} is then read as a "
                f"covariate (or name the covariates with --covariates). If {c!r} really is a list, name it in "
                "--lists with the others"
            )
    lists = list(dict.fromkeys(lists))
    if covariates is None:
        covariates = [c for c in cols if c not in set(lists)]
        for c in covariates:
            nlev = data[c].nunique(dropna=True)
            if nlev > MAX_AUTO_LEVELS:
                raise DataError(
                    f"column {c!r} has {nlev} distinct values, too many for a covariate (an identifier or a "
                    f"misnamed count?). Name the covariates with covariates=[...] (--covariates), the count "
                    f"column with count=... (--count), or remove the column"
                )
    covariates = list(dict.fromkeys(covariates))
    # ':' joins the columns of an interaction term (EXH:ABA), '+' and ',' separate terms: none can be in a name
    _check_term_names(lists, covariates, next(iter(exclude), "count"))
    refuse_formula_names(lists, "list")  # =HYPERLINK("x") as a list name (tester 19a, M6)
    refuse_formula_names(covariates, "covariate")
    overlap = set(lists) & set(covariates)
    if overlap:
        c = sorted(overlap, key=str)[0]
        raise DataError(
            f"column {c!r} is given both as a list and as a covariate (--lists/--covariates): a list column says "
            "who registered a person, a covariate describes the person; name it in only one of them"
        )
    if len(lists) < 2:
        two = [c for c in cols if c not in lists and 1 <= data[c].nunique(dropna=True) <= 2]
        from ._list_checks import two_value_hint

        hint = two_value_hint(data, two)  # 0/1 columns apart from the others (tester 13b, L3)
        raise DataError(
            f"multiple systems estimation needs at least 2 lists; found {len(lists)} "
            f"({lists}) among the columns read, {[str(c) for c in cols]}. List columns must be coded 0/1; name "
            "them with lists=[...] / --lists." + hint
        )
    for c in lists:
        s = data[c]
        if s.isna().any():
            row = int(np.flatnonzero(s.isna().to_numpy())[0])
            raise DataError(f"list column {c!r} has a missing value in row {row + 1}; code every list 0/1")
        if not _is_binary(s):
            bad = s[~s.astype(str).isin(["0", "1", "0.0", "1.0", "True", "False"])]
            row = int(np.flatnonzero(s.index == bad.index[0])[0]) if len(bad) else 0
            val = bad.iloc[0] if len(bad) else s.iloc[0]
            val = val.item() if hasattr(val, "item") else val
            raise DataError(
                f"list column {c!r} must be coded 0/1 (1 = registered by this list); "
                f"row {row + 1} has {val!r}. Recode it, or pass it as a covariate."
            )
    _refuse_separator_in_levels(data, covariates)
    refuse_long_cells(data, covariates)  # a 10 MB level hung the printing (tester 19a, M5)
    refuse_formula_levels(data, covariates, what="covariate")  # =1+1 reached estimates.csv (19a, M6)
    for c in covariates:
        s = data[c]
        if s.isna().any() and missing == "error":
            row = int(np.flatnonzero(s.isna().to_numpy())[0])
            marks = {"x", "1", "1.0", "yes", "y", "ja", "j", "v", "*", "✓", "true"}
            if s.nunique(dropna=True) == 1 and str(s.dropna().iloc[0]).strip().lower() in marks:
                raise DataError(
                    f"column {c!r} holds only {s.dropna().iloc[0]!r} and empty cells: if it is a list (marked = "
                    "registered), recode it 1/0; if it is a covariate, fill the empty cells with a level"
                )
            nrow = int(s.isna().sum())
            cnt = next((x for x in exclude if x in data.columns), None)  # aggregated rows: say persons, not rows
            persons = None if cnt is None else pd.to_numeric(data.loc[s.isna(), cnt], errors="coerce").sum()
            what = (f"is missing for {int(persons):,} person(s) in {nrow:,} row(s)"
                    if persons is not None and np.isfinite(persons) and int(persons) != nrow
                    else f"has {nrow} missing value(s)")
            raise DataError(
                f"covariate {c!r} {what}, the first in row {row + 1}; "
                "impute them by EM (missing='em', --missing em), drop those persons "
                "(--missing drop), fill "
                "them with an explicit level such as 'unknown' (not in the year column: a year must be a whole "
                "number), or leave the covariate out"
            )
    return tuple(lists), tuple(covariates)


def _refuse_separator_in_levels(data: pd.DataFrame, covariates) -> None:
    """Refuse a covariate level holding ``:``, which joins the levels of a pair (``female:adult``; S11).

    The group and level columns of the output tables join a pair's covariates and levels with
    :data:`darkfigure.group_names.PAIR_SEPARATOR`, so a level ``a:b`` of ``region`` would read as two
    levels in ``sex:region``. Only text levels are checked; numbers cannot hold ``:``. Vectorised over
    the distinct values, so a table of millions of persons costs one ``unique`` per covariate.

    Parameters
    ----------
    data : DataFrame
        The table as read (rows counted from 1 in the message, the header not counted).
    covariates : iterable of str
        The covariate columns of `data`.

    Raises
    ------
    DataError
        Naming the column, the level, the first row holding it and the fix (replace ``:`` e.g. by ``-``).
    """
    for c in covariates:
        if c not in data.columns:
            continue
        s = data[c]
        bad = [v for v in pd.unique(s.dropna()) if isinstance(v, str) and ":" in v]
        if not bad:
            continue
        level = bad[0]
        row = int(np.flatnonzero((s == level).to_numpy())[0])
        raise DataError(
            f"covariate {str(c)!r} has the level {level!r} (row {row + 1}), which contains ':'; ':' joins the levels "
            f"of two covariates in the output tables (sex:age, female:adult), so this level would be ambiguous. "
            f"Replace ':' in the level, e.g. by '-' ({level.replace(':', '-')!r})"
            + (f"; {len(bad) - 1} other level(s) of {str(c)!r} hold ':' too" if len(bad) > 1 else "")
        )


def _validate_counts(s: pd.Series, name: str) -> np.ndarray:
    """Count column `s` (called `name`) as int64 persons per row; DataError naming the row when a count is
    missing, not a number, negative, not whole, or the total exceeds MAX_TOTAL_COUNT."""
    if s.isna().any():
        row = int(np.flatnonzero(s.isna().to_numpy())[0])
        raise DataError(f"count column {name!r} is missing in row {row + 1}")
    try:
        v = pd.to_numeric(s, errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError):
        bad = pd.to_numeric(s, errors="coerce").isna().to_numpy()
        row = int(np.flatnonzero(bad)[0])
        val = str(s.iloc[row])
        hint = ""
        if re.fullmatch(r"\s*\d{1,3}([,.' ]\d{3})+\s*", val):
            hint = ": it looks like a number with thousands separators; save the file without them"
        elif re.fullmatch(r"\s*\d+,\d+\s*", val):
            hint = ": it looks like a decimal comma; counts are whole numbers written without separators"
        raise DataError(f"count column {name!r} must be numeric; row {row + 1} has {val!r}{hint}") from None
    def as_read(row: int) -> str:
        """Row `row`'s count as the file holds it (':g' showed 1131.0000000001 as "1131": tester 9, F12)."""
        raw = s.iloc[row]
        return raw.strip() if isinstance(raw, str) else repr(float(v[row])).removesuffix(".0")

    if (v < 0).any():
        row = int(np.flatnonzero(v < 0)[0])
        raise DataError(f"count column {name!r} must be non-negative; row {row + 1} has {as_read(row)}")
    if not np.isfinite(v).all() or (v > 2**53).any():
        row = int(np.flatnonzero(~np.isfinite(v) | (v > 2**53))[0])
        raise DataError(f"count column {name!r} has an impossible count in row {row + 1}: {str(s.iloc[row])!r}")
    if (v != np.round(v)).any():
        row = int(np.flatnonzero(v != np.round(v))[0])
        raise DataError(
            f"count column {name!r} must hold whole numbers of persons; row {row + 1} has {as_read(row)}, "
            "which is not a whole number"
        )
    if v.sum() > MAX_TOTAL_COUNT:
        row = int(np.argmax(v))
        raise DataError(
            f"count column {name!r} sums to {v.sum():.3g} persons (row {row + 1} has {v[row]:.3g}), more than live "
            f"on Earth: a misread column (an identifier, a sum, a misplaced decimal?); the model fit cannot carry "
            f"such counts either (limit {MAX_TOTAL_COUNT:.0e} in total). Check the column or name another with --count"
        )
    return v.astype(np.int64)


def _refuse_per_person_count(data: pd.DataFrame, count) -> None:
    """Refuse a column taken as the count by its name alone (``n``, ``number``, ...) in what looks like one row per
    person: most rows repeat another row, or the "count" is each row's number of lists (tester report 7, 23).

    Raises
    ------
    DataError
        Naming the column, what makes it doubtful and the two ways out (--count NAME, or rename/drop it).
    """
    others = [c for c in data.columns if c != count]
    if len(data) < 5 or not others:
        return
    ndup = int(data.duplicated(subset=others).sum())
    binary = [c for c in others if data[c].dropna().isin([0, 1]).all() and data[c].notna().all()]
    cnt = pd.to_numeric(data[count], errors="coerce")
    on_lists = len(binary) >= 2 and bool((data[binary].sum(axis=1) == cnt).all())
    if ndup <= len(data) // 2 and not on_lists:
        return
    why = []
    if ndup > len(data) // 2:
        why.append(f"{ndup:,} of its {len(data):,} rows repeat another row")
    if on_lists:
        why.append(f"in every row it equals the number of lists ({', '.join(map(str, binary))}) the row is on")
    raise DataError(
        f"column {str(count)!r} would be taken as the count (the persons each row stands for) by its name alone, but "
        f"{' and '.join(why)}: the file looks like one row per person. If so, rename or drop column {str(count)!r} "
        f"(or name the covariates with --covariates, covariates=[...]); if {str(count)!r} is the count, say so with "
        f"--count {count} (count=...)"
    )


def check_direct(h) -> None:
    """The invariants of a :class:`~darkfigure.histories.CaptureHistories` built directly (tester 9, F23).

    :meth:`~darkfigure.histories.CaptureHistories.from_table` and ``from_records`` establish them with
    messages that name rows; a direct construction used to give a wrong dark figure (all-zero rows
    counted as observed) or a raw KeyError/LinAlgError. Vectorised: well under a millisecond on tables
    of a few thousand rows.

    Parameters
    ----------
    h : CaptureHistories
        `lists` and `covariates` tuples of str (at least 2 lists), `levels` a dict with every covariate,
        `table` a data frame with the list, covariate and ``count`` columns.

    Raises
    ------
    DataError
        Any of the above not so; a covariate name with ``:`` (or another character of model
        terms, as :func:`_check_term_names`); a covariate level with ``:``; a list column with values
        other than 0/1; a negative, fractional or non-finite count; a row with the all-zero pattern and a positive count.
    """
    hint = "build it with CaptureHistories.from_table(frame, lists=[...]) or from_records(...)"
    for what in ("lists", "covariates"):
        v = getattr(h, what)
        if isinstance(v, str) or not isinstance(v, tuple) or not all(isinstance(x, str) for x in v):
            raise DataError(f"CaptureHistories: {what} must be a tuple of column names (str), got {v!r}; {hint}")
    if len(h.lists) < 2:
        raise DataError(f"CaptureHistories: at least 2 lists are needed, got {list(h.lists)}; {hint}")
    # a covariate named "a:b" would read as the pair a:b in the group names of the outputs (sex:age)
    _check_term_names((), h.covariates, "count")
    if not isinstance(h.levels, dict) or not set(h.covariates) <= set(h.levels):
        raise DataError(f"CaptureHistories: levels must be a dict with an entry for every covariate "
                        f"{list(h.covariates)}, got keys {list(h.levels) if isinstance(h.levels, dict) else h.levels!r}; {hint}")
    for c in h.covariates:  # a level "a:b" would read as a pair's level in the outputs (female:adult)
        bad = [v for v in h.levels[c] if isinstance(v, str) and ":" in v]
        if bad:
            raise DataError(f"CaptureHistories: covariate {c!r} has the level {bad[0]!r}, which contains ':' (it "
                            f"joins the levels of a pair in the outputs, female:adult); replace ':' in the level, "
                            f"e.g. by '-' ({bad[0].replace(':', '-')!r})")
    t = h.table
    if not isinstance(t, pd.DataFrame):
        raise DataError(f"CaptureHistories: table must be a pandas DataFrame, got {type(t).__name__}; {hint}")
    gone = [c for c in (*h.lists, *h.covariates, "count") if c not in t.columns]
    if gone:
        raise DataError(f"CaptureHistories: table has no column(s) {gone} (columns: {list(t.columns)}); {hint}")
    cells = t[list(h.lists)].to_numpy()
    if cells.size and not np.isin(cells, (0, 1)).all():
        bad = [c for c in h.lists if not t[c].isin((0, 1)).all()]
        raise DataError(f"CaptureHistories: list column(s) {bad} hold values other than 0/1; {hint}")
    counts = pd.to_numeric(t["count"], errors="coerce").to_numpy(dtype=float)
    if counts.size and (~np.isfinite(counts) | (counts < 0) | (counts != np.round(counts))).any():
        row = int(np.flatnonzero(~np.isfinite(counts) | (counts < 0) | (counts != np.round(counts)))[0])
        raise DataError(f"CaptureHistories: count must hold whole numbers >= 0; row {row} has "
                        f"{t['count'].iloc[row]}; {hint}")
    if cells.size and ((cells.sum(axis=1) == 0) & (counts > 0)).any():
        row = int(np.flatnonzero((cells.sum(axis=1) == 0) & (counts > 0))[0])
        raise DataError(f"CaptureHistories: row {row} has the all-zero pattern (nobody's list) with count "
                        f"{t['count'].iloc[row]}; persons no list saw are what is estimated, not data. Drop "
                        f"those rows or {hint}")


def whole_number_labels(frame: pd.DataFrame, covariates) -> None:
    """Covariate columns of whole numbers read as floats (an integer column with a blank cell, an Excel sheet) cast
    to nullable integers in place, so their levels read 2021, not "2021.0" (tester 17a, L10). Other columns are left
    as they are. `frame`: the table being built, one column per covariate."""
    for c in covariates:
        v = frame[c]
        if pd.api.types.is_float_dtype(v.dtype):
            x = v.to_numpy(dtype=float, na_value=np.nan)
            ok = np.isfinite(x)
            if ok.any() and np.all(x[ok] == np.round(x[ok])) and np.all(np.abs(x[ok]) < 2**53):
                frame[c] = v.astype("Int64")
