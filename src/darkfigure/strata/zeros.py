"""Structural zeros in stratified estimation (``darkfigure strata --structural-zeros``).

A declaration ``(list L, covariate C, level S)`` says that L cannot register anyone with
C = S (or, with C the year column, that L did not exist in year S; see
:mod:`darkfigure.structural`). In ``strata`` every stratum is fitted as a log-linear model
(or LCMCR) of the lists alone, without covariates, so the declaration is honoured as follows:

* C is a ``--by`` column: every stratum has a single level of C. In the strata with C = S,
  list L cannot register anyone, so L is left out of their fit (said in the stratum's
  warnings); the model of the remaining lists is the one of the incomplete table of Zwane,
  van der Pal-de Bruin & van der Heijden (2004, Statistics in Medicine 23:2267-2281)
  restricted to that stratum: the structural-zero cells are exactly those with L = 1, and
  they leave the likelihood. In the other strata L stays in.
* C is not a ``--by`` column: refused (:class:`~darkfigure.errors.DataError`). Inside a
  stratum the persons with C = S and the others would be pooled in one table of the lists,
  and honouring the zero would need C in the stratum's model (a complete table with C as a
  covariate and the zero cells removed), which changes every stratum's model and its search.
  Adding C to ``--by`` gives the separation exactly, and ``darkfigure estimate
  --structural-zeros`` models C as a covariate of one joint model.
"""

from __future__ import annotations

import pandas as pd

from ..errors import DataError
from ..structural import _match_level, _show, read_structural_zeros, year_zero_hint

__all__ = ["resolve_strata_zeros", "zero_lists", "check_replicate_zeros"]


def resolve_strata_zeros(declarations, reference, by: list[str]) -> pd.DataFrame:
    """Check structural-zero declarations against the strata's data and resolve their levels.

    Parameters
    ----------
    declarations : path, DataFrame or iterable of (list, covariate, level)
        As :func:`darkfigure.structural.read_structural_zeros`.
    reference : CaptureHistories
        The data (DATA) read with the `by` columns as covariates.
    by : list of str
        The stratum columns.

    Returns
    -------
    DataFrame, shape (n_declarations, 3)
        ``list, covariate, level`` with each level as the data spell it.

    Raises
    ------
    DataError
        An unknown list; a covariate that is not a ``--by`` column (see the module docstring);
        a level the column does not have; a list declared unable to register every level of a
        column; observed persons in the declared cells (the list did register them).
    """
    d = read_structural_zeros(declarations)
    levels = []
    for i, r in d.iterrows():
        row = f"structural zero row {i + 1} ({r['list']}, {r['covariate']}, {r['level']})"
        if r["list"] not in reference.lists:
            raise DataError(f"{row}: unknown list {r['list']!r}; the lists are {list(reference.lists)}")
        if r["covariate"] not in by:
            raise DataError(
                f"{row}: {r['covariate']!r} is not a --by column. Each stratum is fitted on its lists alone, so a "
                f"stratum that mixes {r['covariate']} = {r['level']} with other levels cannot leave {r['list']} out "
                f"for those persons only; add {r['covariate']} to --by ({r['list']} is then left out of the strata "
                f"with {r['covariate']} = {r['level']}), or use `darkfigure estimate --structural-zeros`, which "
                f"models {r['covariate']} as a covariate"
            )
        have = tuple(reference.levels.get(r["covariate"], ()))
        lv = _match_level(r["level"], have)
        if lv is None:
            raise DataError(f"{row}: unknown level {r['level']!r} of {r['covariate']!r}; its levels (among observed "
                            f"persons) are [{', '.join(_show(v) for v in have)}]")
        levels.append(lv)
    d["level"] = pd.Series(levels, index=d.index, dtype=object)
    d = d.drop_duplicates().reset_index(drop=True)
    for (name, cov), g in d.groupby(["list", "covariate"], sort=False):
        if len(g) >= len(reference.levels.get(cov, ())):
            raise DataError(f"structural zeros: list {name!r} is declared unable to register every level of {cov!r}, "
                            "so it could register nobody; drop the list instead")
    check_replicate_zeros(reference, d, "DATA")
    return d


def check_replicate_zeros(h, zeros: pd.DataFrame, name: str) -> None:
    """Raise DataError when `h` (DATA or one replicate) has observed persons in a declared structural zero."""
    t = h.table
    for _, r in zeros.iterrows():
        if r["covariate"] not in t.columns:
            continue
        n = int(t.loc[(t[r["list"]] == 1) & (t[r["covariate"]] == r["level"]), "count"].sum())
        if n:
            raise DataError(
                f"structural zero declared for list {r['list']!r} and {r['covariate']} = {_show(r['level'])}, but "
                f"{name} has {n:,} observed person(s) in those cells ({r['list']} = 1): the list did register that "
                "subgroup, so the declaration is wrong (or the data are)" + year_zero_hint(r["covariate"])
            )


def zero_lists(zeros: pd.DataFrame | None, by: list[str], key: tuple) -> dict[str, str]:
    """The lists a stratum leaves out by declaration: {list: "covariate = level"} for the stratum `key`."""
    out: dict[str, str] = {}
    if zeros is None:
        return out
    for _, r in zeros.iterrows():
        v = key[by.index(r["covariate"])]
        if v == r["level"] or str(v) == str(r["level"]):
            out.setdefault(r["list"], f"{r['covariate']} = {_show(r['level'])}")
    return out
