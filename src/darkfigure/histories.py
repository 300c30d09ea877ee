"""Capture histories: who was seen by which list, by covariate stratum.

`CaptureHistories` is the central type of darkfigure. Everything upstream (files, linkage) produces one; every
estimator consumes one. It is immutable: methods that change it (`collapse`, `drop_lists`, `stratify`) return new objects.

The all-zero pattern (registered by no list) is never observed: it is what multiple systems estimation predicts
(the *dark figure*).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from ._frame_roles import check_unique_names, set_aside
from ._history_checks import (  # noqa: F401 - re-exported (darkfigure.histories.MAX_TOTAL_COUNT etc.)
    _COUNT_LIKE,
    _COUNT_NAMES,
    ALMOST_BINARY_SHARE,
    MAX_AUTO_LEVELS,
    MAX_TOTAL_COUNT,
    _almost_binary,
    _as_pandas,
    _blanks_to_missing,
    _check_names,
    _is_binary,
    _refuse_hidden_count,
    _refuse_per_person_count,
    _repeated_rows,
    _resolve_columns,
    _sorted_levels,
    _stray_values,
    _validate_counts,
    _whole_nonnegative,
    as_names,
    check_direct,
    whole_number_labels,
)
from ._history_eq import histories_eq, histories_hash
from ._list_checks import _plain_values, shadow_list_warnings
from ._list_names import auto_lists_notes
from ._reading_checks import _choose_count, _refuse_repeated_header, continuous_warnings
from .errors import DataError  # re-exported: darkfigure.histories.DataError

__all__ = ["CaptureHistories", "DataError"]


@dataclass(frozen=True, eq=False)  # == and hash compare the data (_history_eq; tester 13b, L7)
class CaptureHistories:
    """Counts of persons per capture pattern and covariate stratum.

    Build it with :meth:`from_table` (aggregated: one row per pattern and stratum with
    a count) or :meth:`from_records` (one row per person).

    Attributes
    ----------
    lists : tuple of str, length k >= 2
        Names of the lists (sources, registers).
    covariates : tuple of str
        Names of the categorical covariates (may be empty).
    levels : dict str -> tuple
        Sorted levels of each covariate (only levels with at least one observed person).
    table : pandas.DataFrame, shape (n_rows, k + n_covariates + 1)
        One row per observed pattern x stratum with ``count > 0``: the list columns
        (int8, 0/1), the covariate columns and ``count`` (int64). Never holds the
        all-zero pattern.
    name : str or None
        Where the data came from (dataset or file name), for reports.
    notes : tuple of str
        What was done to the data on the way in (lists dropped, rows summed), for reports.
    incomplete : pandas.DataFrame or None
        Only with ``missing="keep"``: persons with at least one unknown covariate value,
        aggregated like `table` (unknown values are NaN; categories as in `levels`).
        `table` then holds the persons whose covariates are all known. The estimators
        use them through the EM algorithm (:mod:`darkfigure.loglinear.em`).
    warnings : tuple of str
        What the reader warns of (rows repeating a pattern, summed), passed on to the result's warnings.

    Notes
    -----
    The structure follows the standard multiple-systems layout (e.g. Bird & King 2018,
    Annu. Rev. Stat. Appl. 5:95-118): a 2^k incomplete contingency table whose
    all-zero cell is structurally missing, one table per covariate stratum.
    """

    lists: tuple[str, ...]
    covariates: tuple[str, ...]
    levels: dict[str, tuple]
    table: pd.DataFrame = field(repr=False)
    name: str | None = None
    notes: tuple[str, ...] = ()
    incomplete: pd.DataFrame | None = field(default=None, repr=False)
    warnings: tuple[str, ...] = field(default=(), repr=False)  # e.g. repeated patterns summed (tester 12b, M1)

    __eq__, __hash__ = histories_eq, histories_hash

    def __post_init__(self) -> None:
        """Check the documented invariants when built directly: DataError if not (``_history_checks.check_direct``)."""
        check_direct(self)

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_table(
        cls,
        data: pd.DataFrame,
        lists: Sequence[str] | None = None,
        covariates: Sequence[str] | None = None,
        count: str = "count",
        *,
        name: str | None = None,
        on_empty_list: Literal["error", "drop"] = "error",
        missing: Literal["error", "keep"] = "error",
    ) -> CaptureHistories:
        """Build from an aggregated table: 0/1 list columns, covariates, a count column.

        Parameters
        ----------
        data : DataFrame, shape (n_rows, n_columns)
            One row per capture pattern (and covariate stratum). Rows with the same
            pattern and stratum are summed. Rows with count 0 are allowed (ignored).
        lists : sequence of str, optional
            List columns. Default: every column (other than `count`) whose values are
            all 0/1.
        covariates : sequence of str, optional
            Categorical covariate columns. Default: every other column.
        count : str
            Name of the count column (non-negative integers).
        name : str, optional
            Label of the data (dataset or file name).
        on_empty_list : {"error", "drop"}
            What to do with a list that registered nobody: stop with an error (default)
            or drop the list and record a note.
        missing : {"error", "keep"}
            Unknown (empty/NaN) covariate values: stop with an error (default) or keep
            those persons apart in :attr:`incomplete` (for the EM algorithm).

        Raises
        ------
        DataError
            (Rows in messages are counted from 1, the header not counted.)
            Empty table; unknown or missing column; fewer than 2 lists; a list column
            not coded 0/1; a negative, fractional or missing count; the all-zero
            pattern with a positive count; a covariate with missing values or a single
            level; a list that registered nobody (unless ``on_empty_list="drop"``).
        """
        data = _as_pandas(data)
        if data.shape[0] == 0 or data.shape[1] == 0:
            raise DataError("the table is empty: it needs one row per capture pattern and a count column")
        if count not in data.columns:
            raise DataError(
                f"no count column {count!r}; columns are {list(data.columns)}. "
                "Name the count column (count=...) or use CaptureHistories.from_records for one row per person."
            )
        others = [c for c in data.columns if c != count and str(c).strip().lower() in _COUNT_NAMES | _COUNT_LIKE]
        if others and _is_binary(data[count]):
            raise DataError(
                f"the count column {count!r} (count=..., --count) holds only 0 and 1, like a list, while column "
                f"{others[0]!r} looks like the counts: name the count column with --count {others[0]} (and {count!r} "
                "among the lists)"
            )
        auto = lists is None
        data = _blanks_to_missing(data)
        lists, covariates = cls._resolve_columns(data, lists, covariates, exclude={count}, missing=missing)
        counts = cls._validate_counts(data[count], count)
        spread = [c for c in data.columns if c != count and c not in {*lists, *covariates}]  # left out (15a, M1)
        frame = data[list(lists) + list(covariates) + spread].copy()
        frame["count"] = counts
        return cls._build(
            frame, lists, covariates, name=name, on_empty_list=on_empty_list, note_sums=True, auto_lists=auto,
            missing=missing, spread=tuple(spread),
        )

    @classmethod
    def from_records(
        cls,
        data: pd.DataFrame,
        lists: Sequence[str] | None = None,
        covariates: Sequence[str] | None = None,
        *,
        name: str | None = None,
        on_empty_list: Literal["error", "drop"] = "error",
        missing: Literal["error", "keep"] = "error",
    ) -> CaptureHistories:
        """Build from one row per person: 0/1 list columns and covariates; counted for you.

        Parameters
        ----------
        data : DataFrame, shape (n_persons, n_columns)
        lists, covariates, name, on_empty_list, missing
            As in :meth:`from_table`.

        Raises
        ------
        DataError
            As in :meth:`from_table`; also a person registered by no list.
        """
        data = _as_pandas(data)
        if data.shape[0] == 0 or data.shape[1] == 0:
            raise DataError("the table is empty: it needs one row per person with 0/1 list columns")
        auto = lists is None
        data = _blanks_to_missing(data)
        lists, covariates = cls._resolve_columns(data, lists, covariates, exclude=set(), missing=missing)
        frame = data[list(lists) + list(covariates)].copy()
        frame["count"] = 1
        return cls._build(
            frame, lists, covariates, name=name, on_empty_list=on_empty_list, auto_lists=auto, missing=missing
        )

    @classmethod
    def from_frame(
        cls,
        data: pd.DataFrame,
        lists: Sequence[str] | None = None,
        covariates: Sequence[str] | None = None,
        count: str = "count",
        *,
        year: str | None = None,
        identifiers: Literal["refuse", "keep"] = "refuse",
        **kwargs,
    ) -> CaptureHistories:
        """Build from either layout: aggregated if a `count` column exists, else per person.

        A column named (in any case) count, counts, freq, frequency, n, number or persons
        is taken as the count when `count` is left at its default and there is no
        ``count`` column. `year` (``--year``) is never the count nor left out. Identifiers, constant columns,
        Excel-date years, lists left out: :func:`darkfigure._frame_roles.set_aside` (`identifiers` passed on).

        See :meth:`from_table` and :meth:`from_records` for parameters and errors.
        """
        data = _as_pandas(data)
        _check_names(data)  # names that are numbers, and "A,B" for ["A", "B"] (tester 9, F7)
        _refuse_repeated_header(data)  # a table pasted twice, header and all (tester 10, F5)
        lists, covariates = as_names(lists, "lists"), as_names(covariates, "covariates")
        check_unique_names(data, lists, covariates)
        # common spellings of the count column (R's table() writes Freq); two of them refused (tester 10, F6)
        count, spare = _choose_count(data, count, lists, covariates)
        # identifiers, constant columns, Excel-date years, lists left out (tester 15b): _frame_roles
        data, said = set_aside(data.drop(columns=spare), lists, covariates, count, year, identifiers)
        if count in data.columns:
            h = cls.from_table(data, lists, covariates, count, **kwargs)
            said += [f"column(s) {', '.join(map(str, spare))} not used: the counts are read from {str(count)!r} "
                     "(--count)"] if spare else []
            return dataclasses.replace(h, notes=h.notes + tuple(said)) if said else h
        # a column named by --year is never the count (tester 15b, M1)
        cls._refuse_hidden_count(data.drop(columns=[year]) if year in data.columns and covariates is None else data,
                                 lists, covariates)
        h = cls.from_records(data, lists, covariates, **kwargs)
        return dataclasses.replace(h, notes=h.notes + tuple(said)) if said else h

    @classmethod
    def from_polars(cls, data, lists: Sequence[str] | None = None, covariates: Sequence[str] | None = None,
                    count: str = "count", **kwargs) -> CaptureHistories:
        """Build from a polars DataFrame or LazyFrame, aggregated or one row per person (as :meth:`from_frame`).

        Raises
        ------
        ImportError
            polars is not installed (``pip install 'darkfigure[polars]'``).
        TypeError
            `data` is not a polars DataFrame or LazyFrame.
        DataError
            As :meth:`from_frame`.
        """
        try:
            import polars as pl
        except ImportError as e:  # polars is optional
            raise ImportError("from_polars needs polars: pip install 'darkfigure[polars]' (or pip install polars)") from e
        if not isinstance(data, (pl.DataFrame, pl.LazyFrame)):
            raise TypeError(f"from_polars takes a polars DataFrame or LazyFrame, got {type(data).__name__}; "
                            "use CaptureHistories.from_frame for a pandas DataFrame")
        return cls.from_frame(_as_pandas(data), lists, covariates, count, **kwargs)

    # the input checks live in darkfigure._history_checks (moved unchanged); kept reachable as before
    _refuse_hidden_count = staticmethod(_refuse_hidden_count)
    _resolve_columns = staticmethod(_resolve_columns)
    _validate_counts = staticmethod(_validate_counts)

    @classmethod
    def _build(
        cls, frame, lists, covariates, *, name, on_empty_list, note_sums=False, auto_lists=False, missing="error",
        spread=()):
        frame = frame.copy()
        for c in lists:
            frame[c] = frame[c].astype(float).astype(np.int8)
        whole_number_labels(frame, covariates)  # a year is 2021, not "2021.0" (tester 17a, L10)
        pattern = frame[list(lists)].to_numpy()
        zero = (pattern.sum(axis=1) == 0) & (frame["count"].to_numpy() > 0)
        if zero.any():
            row = int(np.flatnonzero(zero)[0])
            hint = ""
            zero_one = [c for c in covariates if _is_binary(frame[c])]
            if zero_one:
                raise DataError(
                    f"row {row + 1} is registered by none of the lists {', '.join(map(str, lists))}, but covariate(s) "
                    f"{', '.join(map(str, zero_one))} are coded 0/1 like a list: if one of them is a list, name it "
                    "with the lists (--lists), not as a covariate (--covariates); to estimate from a subset of the "
                    "lists, first keep only the persons on at least one of them (those on none are not observed by "
                    "that subset) and leave the other lists out of the file"
                )
            elif auto_lists and covariates:
                stray = _stray_values(frame, covariates)
                if stray:
                    # a list column with a typo was read as a covariate: the all-zero row is a symptom, not the fault
                    c, v, r = stray[0]
                    raise DataError(
                        f"column {c!r} looks like a list (0/1) but row {r + 1} holds {v!r}: it was read as a covariate, "
                        f"so the lists were only {', '.join(map(str, lists))} and row {row + 1} seemed registered by "
                        f"none of them. Correct the value in {c!r} to 0 or 1 (or name the lists with --lists and the "
                        "covariates with --covariates)"
                    )
                hint = (
                    f" (The lists were taken to be the columns coded 0/1: {', '.join(map(str, lists))}; "
                    f"{', '.join(map(str, covariates))} hold other values and were read as covariates. If one of them "
                    "is a list, recode it 0/1 or name the lists with --lists.)"
                )
            raise DataError(
                f"row {row + 1} has the all-zero pattern (registered by no list) with a "
                "positive count; nobody can be observed that way. Remove the row: the all-zero "
                "cell is what is estimated." + hint
            )
        frame = frame[frame["count"].to_numpy() > 0]
        if frame.shape[0] == 0:
            raise DataError("all counts are zero: there is nobody to estimate from")
        notes: list[str] = []
        if auto_lists and len(lists) > 2:  # said only when the lists found may be wrong (s24 fresh clone L4)
            notes += auto_lists_notes(lists, [c for c in covariates if set(pd.unique(frame[c].dropna())) <= {
                1, 2, "1", "2"}])
        per_list = frame[list(lists)].mul(frame["count"], axis=0).sum()
        empty = [c for c in lists if per_list[c] == 0]
        if empty:
            if on_empty_list == "drop":
                lists = tuple(c for c in lists if c not in empty)
                notes.append(f"dropped list(s) with no records: {', '.join(empty)}")
                if len(lists) < 2:
                    raise DataError(
                        f"after dropping the empty list(s) {empty} fewer than 2 lists remain"
                    )
                frame = frame.drop(columns=empty)
            else:
                raise DataError(
                    f"list(s) {empty} registered nobody: a list with no records carries no "
                    "information and makes its parameters infinite. Drop it (on_empty_list='drop', "
                    "or --drop-empty-lists on the command line) or check the data."
                )
        full = [c for c in lists if per_list[c] == frame["count"].sum()]
        if full:
            # a list that registered everybody leaves nobody seen off it: every log-linear model (and the
            # Bayesian ones) then put N̂ at the number registered (tester report 6, M5)
            notes.append(
                f"list(s) {', '.join(map(repr, full))} are 1 in every row: they registered all "
                f"{int(frame['count'].sum()):,} observed persons, so N̂ will equal the number registered with an "
                "interval of zero width; that is not evidence that nobody was missed. If such a column is a "
                "covariate or an export error, name the lists (lists=[...], --lists)")
        levels = {}
        for c in covariates:
            col = frame[c]
            if col.isna().all():
                raise DataError(f"covariate {c!r} is empty in every row; leave it out (name the covariates with --covariates)")
            # a blank cell makes pandas read whole numbers (years, 0/1 codes) as floats: keep them whole
            if pd.api.types.is_float_dtype(col) and col.isna().any():
                known = col.dropna()
                if (known == np.round(known)).all():
                    frame[c] = col.astype("Int64")
        if missing == "keep" and covariates:
            unknown = frame[list(covariates)].isna().any(axis=1).to_numpy()
            if unknown.all():
                raise DataError("every person has an unknown covariate value: the EM algorithm needs persons "
                                "whose covariates are all known")
        else:
            unknown = np.zeros(frame.shape[0], dtype=bool)
        for c in covariates:
            lv = _sorted_levels(frame[c])
            if len(lv) < 2:
                first = lv[0].item() if hasattr(lv[0], "item") else lv[0]  # 2021, not np.int64(2021)
                raise DataError(
                    f"covariate {c!r} has a single level ({first!r}) among observed persons; "
                    "it cannot stratify anything. Leave it out."
                )
            levels[c] = lv
        key = list(lists) + list(covariates)
        incomplete = None
        if unknown.any():
            inc = frame[unknown]
            inc = inc.groupby(key, sort=True, observed=True, dropna=False)["count"].sum().reset_index()
            for c in covariates:
                inc[c] = pd.Categorical(_plain_values(inc[c]), categories=list(levels[c]))
            inc["count"] = inc["count"].astype(np.int64)
            incomplete = inc
            frame = frame[~unknown]
        n_before = frame.shape[0]
        example, warned = _repeated_rows(frame, key, lists, spread) if note_sums else (None, None)
        frame = frame.groupby(key, sort=True, observed=True, dropna=False)["count"].sum().reset_index()
        if note_sums and frame.shape[0] < n_before:
            notes.append(f"summed {n_before - frame.shape[0]} duplicate pattern row(s)" + (example or ""))
        for c in covariates:
            frame[c] = pd.Categorical(_plain_values(frame[c]), categories=list(levels[c]))  # 13b, L8
        frame["count"] = frame["count"].astype(np.int64)
        said = ([warned] if warned else []) + continuous_warnings(frame, levels)  # tester 12b, M1 and L6
        said += shadow_list_warnings(frame, lists) if auto_lists else []  # a 0/1 covariate taken as a list (L9)
        return cls(
            tuple(lists), tuple(covariates), levels, frame.reset_index(drop=True), name, tuple(notes), incomplete,
            tuple(said),
        )

    # ------------------------------------------------------------------ views
    @property
    def k(self) -> int:
        """Number of lists."""
        return len(self.lists)

    @property
    def n_observed(self) -> int:
        """Total number of distinct persons registered by at least one list (incomplete ones included)."""
        return int(self._all_rows()["count"].sum())

    @property
    def n_incomplete(self) -> int:
        """Number of persons with at least one unknown covariate value (0 unless ``missing="keep"``)."""
        return 0 if self.incomplete is None else int(self.incomplete["count"].sum())

    def missing_values(self) -> dict[str, int]:
        """Number of persons whose value of each covariate is unknown, {covariate: count}."""
        if self.incomplete is None:
            return {c: 0 for c in self.covariates}
        w = self.incomplete["count"].to_numpy()
        return {c: int(w[self.incomplete[c].isna().to_numpy()].sum()) for c in self.covariates}

    def drop_incomplete(self) -> CaptureHistories:
        """The same histories without the persons whose covariates are partly unknown (with a note).

        Dropping them biases N̂ downwards (those persons are counted nowhere); the EM
        algorithm keeps them (:func:`darkfigure.loglinear.em.em_fit`).
        """
        if self.incomplete is None:
            return self
        note = f"dropped {self.n_incomplete:,} person(s) with an unknown covariate value"
        return dataclasses.replace(self, incomplete=None, notes=self.notes + (note,))

    def _all_rows(self) -> pd.DataFrame:
        if self.incomplete is None:
            return self.table
        cols = list(self.lists) + ["count"]
        return pd.concat([self.table[cols], self.incomplete[cols]], ignore_index=True)

    def list_sizes(self) -> pd.Series:
        """Number of persons on each list, shape (k,)."""
        t = self._all_rows()
        return t[list(self.lists)].mul(t["count"], axis=0).sum().astype(np.int64)

    def full_lists(self) -> list[str]:
        """Lists that registered every observed person (each list's size equals :attr:`n_observed`).

        Nobody is seen off such a list, so the cells where it is 0 are all empty and every
        log-linear model fits the unobserved cell as 0: N̂ equals the number registered and
        its interval has zero width, whatever the other lists' overlaps say.
        """
        sizes = self.list_sizes()
        n = self.n_observed
        return [c for c in self.lists if n > 0 and int(sizes[c]) == n]

    def pairwise_overlaps(self) -> pd.DataFrame:
        """Persons on both lists i and j, DataFrame of shape (k, k) (diagonal: list sizes)."""
        t = self._all_rows()
        x = t[list(self.lists)].to_numpy(dtype=float)
        w = t["count"].to_numpy(dtype=float)
        m = (x * w[:, None]).T @ x
        return pd.DataFrame(m.astype(np.int64), index=self.lists, columns=self.lists)

    def empty_overlaps(self) -> list[tuple[str, str]]:
        """Pairs of lists that share no person (their interaction MLE is -inf)."""
        m = self.pairwise_overlaps().to_numpy()
        return [
            (self.lists[i], self.lists[j])
            for i in range(self.k)
            for j in range(i + 1, self.k)
            if m[i, j] == 0
        ]

    def empty_list_strata(self) -> list[tuple[str, str, object]]:
        """(list, covariate, level) where a list registered nobody in that covariate level.

        Such a list either could not register that subgroup (a structural zero to
        declare) or simply saw nobody there; a list x covariate interaction then has
        an MLE at -inf (its cells are fitted as 0).
        """
        out = []
        t = self.table
        if self.incomplete is not None:
            # persons whose value of c is known count for c, whatever else is unknown
            t = pd.concat([self.table, self.incomplete], ignore_index=True)
            for c in self.covariates:
                t[c] = pd.Categorical(t[c], categories=list(self.levels[c]))
        for c in self.covariates:
            g = t[list(self.lists)].mul(t["count"], axis=0).groupby(t[c], observed=False).sum()
            for lv in self.levels[c]:
                if lv not in g.index:
                    continue
                for name in self.lists:
                    if g.loc[lv, name] == 0:
                        out.append((name, c, lv))
        return out

    def pattern_counts(self) -> pd.Series:
        """Counts per capture pattern summed over covariates, indexed by '0101'-style strings."""
        t = self.collapse().table
        idx = t[list(self.lists)].astype(str).agg("".join, axis=1)
        return pd.Series(t["count"].to_numpy(), index=idx, name="count")

    def to_frame(self) -> pd.DataFrame:
        """The aggregated table (a copy): list columns, covariates, ``count``."""
        return self.table.copy()

    # ------------------------------------------------------------------ derivations
    def collapse(self, keep: Sequence[str] = ()) -> CaptureHistories:
        """Sum over all covariates except `keep`.

        Raises
        ------
        DataError
            If a name in `keep` is not a covariate.
        """
        for c in keep:
            if c not in self.covariates:
                raise DataError(f"unknown covariate {c!r}; covariates are {list(self.covariates)}")
        keep = tuple(c for c in self.covariates if c in keep)
        rows = self.table if self.incomplete is None else pd.concat([self.table, self.incomplete], ignore_index=True)
        # persons with an unknown value of a dropped covariate become complete; of a kept one, stay apart
        unknown = rows[list(keep)].isna().any(axis=1).to_numpy() if keep else np.zeros(len(rows), dtype=bool)
        key = list(self.lists) + list(keep)
        t = rows[~unknown].groupby(key, observed=True)["count"].sum().reset_index()
        t = t[t["count"] > 0].reset_index(drop=True)
        inc = None
        if unknown.any():
            inc = rows[unknown].groupby(key, observed=True, dropna=False)["count"].sum().reset_index()
            inc = inc[inc["count"] > 0].reset_index(drop=True)
        for c in keep:
            t[c] = pd.Categorical(t[c], categories=list(self.levels[c]))
            if inc is not None:
                inc[c] = pd.Categorical(inc[c], categories=list(self.levels[c]))
        return CaptureHistories(
            self.lists, keep, {c: self.levels[c] for c in keep}, t, self.name, self.notes, inc
        )

    def drop_lists(self, names: Sequence[str]) -> CaptureHistories:
        """Remove lists; persons seen only by them leave the data.

        Raises
        ------
        DataError
            Unknown list name or fewer than 2 lists left.
        """
        for c in names:
            if c not in self.lists:
                raise DataError(f"unknown list {c!r}; lists are {list(self.lists)}")
        keep = tuple(c for c in self.lists if c not in set(names))
        if len(keep) < 2:
            raise DataError("fewer than 2 lists would remain")
        t = self.table.drop(columns=list(names))
        t = t[t[list(keep)].sum(axis=1) > 0]
        t = t.groupby(list(keep) + list(self.covariates), observed=True)["count"].sum().reset_index()
        t = t[t["count"] > 0].reset_index(drop=True)
        return CaptureHistories(keep, self.covariates, self.levels, t, self.name, self.notes)

    def stratify(self, covariate: str) -> dict:
        """Split by the levels of one covariate: {level: CaptureHistories without it}.

        Raises
        ------
        DataError
            If `covariate` is not a covariate of the data.
        """
        if covariate not in self.covariates:
            raise DataError(f"unknown covariate {covariate!r}; covariates are {list(self.covariates)}")
        rest = tuple(c for c in self.covariates if c != covariate)
        out = {}
        for lv in self.levels[covariate]:
            t = self.table[self.table[covariate] == lv].drop(columns=[covariate])
            t = t.groupby(list(self.lists) + list(rest), observed=True)["count"].sum().reset_index()
            t = t[t["count"] > 0].reset_index(drop=True)
            levels = {c: _sorted_levels(t[c].astype(object)) for c in rest}
            for c in rest:
                t[c] = pd.Categorical(t[c].astype(object), categories=list(levels[c]))
            out[lv] = CaptureHistories(self.lists, rest, levels, t, f"{self.name} [{covariate}={lv}]", self.notes)
        return out

    def __str__(self) -> str:
        cov = ", ".join(f"{c} ({len(self.levels[c])} levels)" for c in self.covariates) or "none"
        return (
            f"CaptureHistories{' ' + repr(self.name) if self.name else ''}: {self.k} lists "
            f"({', '.join(self.lists)}), covariates: {cov}, {self.n_observed} persons observed"
        )
