"""The names of the groups in the long tables (estimates.csv, monitor.csv, truth.csv, ...).

A row of these tables belongs to a *group*: ``total``, one covariate (``sex``) or a pair
of covariates, named by joining the two names with ``:`` (``sex:age``) as its ``level``
joins their levels (``female:adult``) and as R writes an interaction (``sex:age``); a
pair by year in estimates.csv is ``sex:age:year``.
Covariate names cannot contain ``:`` (``_history_checks._check_term_names`` refuses
them), so the name of a pair splits back into its covariates without ambiguity; nor can
covariate levels (``_history_checks._refuse_separator_in_levels``), so a pair's level
splits back into its covariates' levels.

Tables written before this convention joined a pair with ``x`` (``sexxage``: unreadable, and
ambiguous when covariates are named ``sexx`` and ``xage``: ``sexxxage``).
:func:`modernise_group_names` reads that old form back wherever it splits in exactly one
way into covariates of the same table, so an old run folder still reports.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

__all__ = ["PAIR_SEPARATOR", "LEGACY_PAIR_SEPARATOR", "group_name", "split_group_name", "modernise_group_names"]

#: joins the covariates of a pair in a group name (and their levels in the ``level`` column)
PAIR_SEPARATOR = ":"
#: what joined them in tables written by darkfigure before the ``:`` convention (``sexxage``)
LEGACY_PAIR_SEPARATOR = "x"


def group_name(covariates: Iterable[str]) -> str:
    """The ``group`` of a row broken down by `covariates`: ``total``, ``sex`` or ``sex:age``.

    Parameters
    ----------
    covariates : iterable of str
        No name (the total), one covariate or several (a pair).

    Returns
    -------
    str
    """
    names = [str(c) for c in covariates]
    return "total" if not names else PAIR_SEPARATOR.join(names)


def split_group_name(name: str, covariates: Iterable[str], parts: int | None = None) -> tuple[str, ...] | None:
    """The covariates a ``group`` name stands for, given the table's single covariates.

    Parameters
    ----------
    name : str
        ``total``, a covariate, ``A:B`` (``A:B:Y`` for a pair by year), or the old form ``AxB``
        (``AxBxY``).
    covariates : iterable of str
        The single covariates of the table (the groups whose levels hold no ``:``).
    parts : int, optional
        How many covariates the group has (the number of ``:``-separated parts of its
        levels), when known: an old name must split into that many.

    Returns
    -------
    tuple of str or None
        ``()`` for the total, ``(name,)`` for a covariate, ``(A, B)`` for a pair; None when
        `name` is neither, or is an old ``AxB`` name that splits into distinct covariates of
        `covariates` in no way or in more than one (``sexxage`` with covariates ``sex``,
        ``sexx``, ``age``, ``xage``).
    """
    name = str(name)
    known = frozenset(str(c) for c in covariates)
    if name == "total":
        return ()
    if name in known and parts in (None, 1):
        return (name,)
    split = tuple(name.split(PAIR_SEPARATOR))
    if len(split) >= 2 and set(split) <= known and len(set(split)) == len(split) and parts in (None, len(split)):
        return split
    ways = [w for w in _legacy_splits(name, known) if len(w) >= 2 and parts in (None, len(w))]
    return ways[0] if len(ways) == 1 else None


def _legacy_splits(name: str, known: frozenset) -> list[tuple[str, ...]]:
    """Every way to write `name` as distinct names of `known` joined by ``x`` (the old group names)."""
    out = [(name,)] if name in known else []
    for a in known:
        if name.startswith(a + LEGACY_PAIR_SEPARATOR):
            out += [(a, *rest) for rest in _legacy_splits(name[len(a) + 1:], known - {a})]
    return out


def modernise_group_names(group: pd.Series, level: pd.Series) -> pd.Series:
    """`group` with old pair names (``sexxage``) rewritten as ``sex:age`` where that is unambiguous.

    The single covariates are the table's own groups whose levels hold no ``:``; a group
    whose levels do hold one and whose name splits in exactly one way into as many of them
    as its levels have parts (:func:`split_group_name`; ``X1xX2xY`` of estimates.csv too)
    gets the new name. Everything else is returned as it is.

    Parameters
    ----------
    group, level : Series of the same length
        The ``group`` and ``level`` columns of a table.

    Returns
    -------
    Series
        The ``group`` column, same index.
    """
    g = group.astype(str)
    lv = level.astype(str)
    n_parts = (lv.str.count(PAIR_SEPARATOR) + 1).to_numpy()
    pair_level = n_parts >= 2
    singles = set(g[~pair_level]) - {"total"}
    rename = {}
    for name, k in set(zip(g[pair_level], n_parts[pair_level])):
        parts = split_group_name(name, singles, int(k))
        if parts is not None and len(parts) >= 2:
            rename[name] = group_name(parts)
    if not rename:
        return group
    return group.where(~g.isin(list(rename)), g.map(rename))
