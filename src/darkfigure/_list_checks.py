"""A data check on the columns taken as lists when the lists were not named (tester 12b, L9).

A 0/1 covariate (``nationality_eu``) whose name the word check of :mod:`darkfigure._history_checks` does not
know was taken as a list: N̂ 1,208 instead of 1,896. The data themselves give a sign: everybody in a table of
capture histories was registered by at least one list, so a covariate column read as a list never holds the
only 1 of its row — every person it "registered" was seen by a real list too. A real list with many persons
almost always registers some of them alone. :func:`shadow_list_warnings` warns (never refuses: a real list can
have no persons of its own in a small table, or be a sub-register of another) when a column taken as a list
has at least :data:`MIN_PERSONS` persons and none of them on it alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._list_names import name_reads_like_covariate

__all__ = ["MIN_PERSONS", "shadow_list_warnings"]


#: persons a column must mark before "none of them on it alone" is a sign it is no list
MIN_PERSONS = 20


def shadow_list_warnings(frame: pd.DataFrame, lists: Sequence[str], count: str = "count",
                         min_persons: int = MIN_PERSONS) -> list[str]:
    """Warnings for columns taken as lists whose persons were all seen by another list too.

    Parameters
    ----------
    frame : DataFrame
        The aggregated table: the 0/1 list columns and `count` (persons per row).
    lists : sequence of str
        The columns taken as lists (found as the 0/1 columns, not named by the user).
    count : str
        The count column.
    min_persons : int
        Persons a list must hold before the check speaks (default :data:`MIN_PERSONS`).

    Returns
    -------
    list of str
        One warning per such column, naming it and saying how to state the lists (``--lists``, ``lists=``);
        empty when every list registered somebody alone, or holds fewer than `min_persons` persons.
    """
    if len(lists) < 3:  # with 2 lists a covariate cannot hide among them: one list would hold the other
        return []
    x = frame[list(lists)].to_numpy(dtype=np.int64)
    w = pd.to_numeric(frame[count], errors="coerce").fillna(0).to_numpy(dtype=float)
    alone = x.sum(axis=1) == 1
    out = []
    for j, c in enumerate(lists):
        on = x[:, j] == 1
        persons = float(w[on].sum())
        if persons < min_persons or float(w[on & alone].sum()) > 0:
            continue
        person_like = name_reads_like_covariate(c)
        out.append(
            f"column {c!r} was taken as a list (it is coded 0/1), but none of its {persons:,.0f} persons was "
            f"registered by it alone: all of them were seen by another list too. That is what a 0/1 covariate "
            f"read as a list looks like"
            + (" (and its name reads like a property of the person)" if person_like else "")
            + f", and a covariate taken as a list changes N̂ completely. If {c!r} describes the person, name the "
            f"lists (--lists, lists=[...]) so that it is read as a covariate; if it is a list, name it among the "
            "lists to confirm (a real list can have no persons of its own in a small table, e.g. a sub-register "
            "of another list)"
        )
    return out


def two_value_hint(data: pd.DataFrame, columns: Sequence[str]) -> str:
    """The hint after "needs at least 2 lists": the columns with one or two values, 0/1 ones apart (13b, L3).

    The hint called every such column "not 0/1", also ``'ABA' (0, 1)``. A 0/1 column is now named as a list that
    was not chosen (name it in ``lists=``); another two-valued column as one to recode 1/0. ``""`` when none.
    """
    from ._history_checks import _is_binary

    def shown(cols: Sequence[str]) -> str:
        """Up to six columns with their first two values, e.g. ``'sex' (F, M)``."""
        return "; ".join(f"{c!r} ({', '.join(map(str, pd.unique(data[c].dropna())[:2]))})" for c in cols[:6])

    binary = [c for c in columns if _is_binary(data[c])]
    other = [c for c in columns if c not in binary]
    hint = ""
    if binary:
        hint += (f" Columns coded 0/1 but not taken as lists: {shown(binary)}: if they are lists, name them in "
                 "lists=[...] / --lists.")
    if other:
        hint += (f" Columns with one or two values (blank cells aside) that are not 0/1: {shown(other)}: if they "
                 "are lists, recode them 1 (registered) / 0 (not, not blank).")
    return hint


def _plain_values(s: pd.Series) -> pd.Series:
    """A categorical column as its plain values (object), any other column as it is (tester 13b, L8).

    ``pd.Categorical(column, categories=levels)`` of a categorical column whose dtype holds categories not among
    `levels` (unused ones, such as a polars Enum's) raised pandas' deprecation warning "Constructing a
    Categorical with a dtype and values containing non-null entries not in that dtype's categories", which a
    future pandas turns into an error; the plain values are recoded without it.
    """
    return s.astype(object) if isinstance(s.dtype, pd.CategoricalDtype) else s
