"""The names of the groups in the long tables (estimates.csv, monitor.csv, truth.csv, ...).

A row of these tables belongs to a *group*: ``total``, one covariate (``sex``) or a pair
of covariates, named by joining the two names with ``:`` (``sex:age``) as its ``level``
joins their levels (``female:adult``) and as R writes an interaction (``sex:age``).
Covariate names cannot contain ``:`` (``_history_checks._check_term_names`` refuses
them), so the name of a pair splits back into its covariates without ambiguity.

Tables written before this convention joined a pair with ``x`` (``sexxage``; a covariate
named ``sexx`` made that ambiguous). :func:`modernise_group_names` reads that old form
back wherever it splits in exactly one way into two covariates of the same table, so an
old run folder still reports.
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


def split_group_name(name: str, covariates: Iterable[str]) -> tuple[str, ...] | None:
    """The covariates a ``group`` name stands for, given the table's single covariates.

    Parameters
    ----------
    name : str
        ``total``, a covariate, ``A:B``, or the old form ``AxB``.
    covariates : iterable of str
        The single covariates of the table (the groups whose levels hold no ``:``).

    Returns
    -------
    tuple of str or None
        ``()`` for the total, ``(name,)`` for a covariate, ``(A, B)`` for a pair; None when
        `name` is neither, or is an old ``AxB`` name that splits into two covariates of
        `covariates` in no way or in more than one (``sexxage`` with covariates ``sex``,
        ``sexx``, ``age``, ``xage``).
    """
    name = str(name)
    known = {str(c) for c in covariates}
    if name == "total":
        return ()
    if name in known:
        return (name,)
    parts = name.split(PAIR_SEPARATOR)
    if len(parts) == 2 and all(p in known for p in parts) and parts[0] != parts[1]:
        return (parts[0], parts[1])
    splits = [(a, name[len(a) + 1:]) for a in known
              if name.startswith(a + LEGACY_PAIR_SEPARATOR) and name[len(a) + 1:] in known - {a}]
    return splits[0] if len(splits) == 1 else None


def modernise_group_names(group: pd.Series, level: pd.Series) -> pd.Series:
    """`group` with old pair names (``sexxage``) rewritten as ``sex:age`` where that is unambiguous.

    The single covariates are the table's own groups whose levels hold no ``:``; a group
    whose levels do hold one and whose name splits in exactly one way into two of them
    (:func:`split_group_name`) gets the new name. Everything else is returned as it is.

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
    pair_level = level.astype(str).str.contains(PAIR_SEPARATOR, regex=False).to_numpy()
    singles = set(g[~pair_level]) - {"total"}
    rename = {}
    for name in set(g[pair_level]):
        parts = split_group_name(name, singles)
        if parts is not None and len(parts) == 2:
            rename[name] = group_name(parts)
    if not rename:
        return group
    return group.where(~g.isin(list(rename)), g.map(rename))
