"""What :func:`~darkfigure.strata.core.estimate_strata` settles before it dispatches the units.

The split of the histories into strata and the order of their keys, the checks of options
one method ignores and of lists that registered nobody, the choice of one log-linear model
across strata (``--search auto``/``pooled``) and :class:`StrataInterrupted`, raised on
Ctrl-C with the count of strata done.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .. import __version__
from .cache import unit_key
from .reading import _plain
from .units import Unit, quick_verdict

#: a --by column with more levels than this share of the persons is most likely an identifier
_ID_LIKE_SHARE = 0.5


def _split(h, by) -> dict:
    """{stratum key tuple: (cells int8 (P, k), counts int64 (P,))} over the complete rows of `h`."""
    t = h.table
    lists = list(h.lists)
    out = {}
    if t.empty:
        return out
    for key, g in t.groupby(list(by), sort=True, observed=True, dropna=True):
        key = key if isinstance(key, tuple) else (key,)
        out[tuple(_plain(k) for k in key)] = (g[lists].to_numpy(dtype=np.int8), g["count"].to_numpy(dtype=np.int64))
    return out


def _sort_keys(keys):
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=lambda k: tuple(map(str, k)))


#: defaults of the options one method uses and the other ignores (for the warning of :func:`_ignored_options`)
_LOGLINEAR_ONLY = {"model": None, "search": "auto", "ci": None, "reps": 500, "criterion": None,
                   "total_bias": "correct"}
_LCMCR_ONLY = {"K": None, "burnin": 10000, "samples": 1000, "thinning": 100, "chains": 2}
#: a search per stratum in at least this many strata whose median observed count is below _SMALL_STRATUM is warned
#: about; ``--search auto`` chooses one model jointly across strata (pooled.py) when the median is below _SMALL_STRATUM
_SMALL_SEARCHED_STRATA, _SMALL_STRATUM = 20, 200
#: --search values of the log-linear model in strata: estimate's, and "pooled" (one model across strata)
_SEARCHES = ("auto", "pooled", "cruyff", "stratified", "pvalue", "pvalue-pairs", "exhaustive", "none")
_OPTION_NAMES = {"K": "--K", "total_bias": "--total-bias"}


def _ignored_options(method: str, **given) -> list[str]:
    """The options (as ``--name``) set away from their default that `method` does not use."""
    other = _LCMCR_ONLY if method == "loglinear" else _LOGLINEAR_ONLY
    return [_OPTION_NAMES.get(k, f"--{k}") for k, d in other.items() if given.get(k) != d]


def _dropped_lists(frame: pd.DataFrame, ref, lists, by, count: str) -> list[str]:
    """List columns of `frame` that the histories `ref` left out (they registered nobody)."""
    from .reading import _binary

    cand = list(lists) if lists else [c for c in frame.columns if c not in by and c != count and _binary(frame[c])]
    return [str(c) for c in cand if str(c) not in map(str, ref.lists) and str(c) not in map(str, ref.covariates)]


class StrataInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`estimate_strata`: `done` of `total` strata were complete (in the cache when `cached`).

    A KeyboardInterrupt, so code that does not know it stops as before; the CLI prints
    :attr:`message` and exits 130.
    """

    def __init__(self, done: int, total: int, cached: bool) -> None:
        super().__init__(done, total, cached)
        self.done, self.total, self.cached = done, total, cached

    @property
    def message(self) -> str:
        """One line for the user: what is kept and how to resume."""
        if not self.cached:
            return (f"interrupted: {self.done:,} of {self.total:,} strata were done, but without --out or --cache "
                    "nothing is kept; a rerun starts over")
        return (f"interrupted: {self.done:,} of {self.total:,} strata kept in the cache; rerun the same command "
                "to resume")


def _choose_pooled(units: list[Unit], msettings: dict, search: str, ci_given: str | None, lists_all: tuple, M: int,
                   criterion: str | None, max_ratio: float) -> tuple[list[Unit], dict, dict | None]:
    """Decide whether one model is chosen across strata, choose it per replicate of the data, and give every unit it.

    The rule of ``--search auto``: one model across strata (:func:`~darkfigure.strata.pooled.pooled_search`)
    when at least 2 strata can be fitted (rules 1-3 of :mod:`darkfigure.strata.units`) and their median
    observed count is below ``_SMALL_STRATUM`` (200), unless ``--ci averaged`` asks for the per-stratum
    search's model-averaged interval; otherwise Cruyff's search in each stratum, as before.

    Returns the units (with the chosen model, restricted to each unit's lists with records, in their
    settings and cache keys), the run's method settings and a description for ``settings["model_search"]``
    (None when each stratum searches its own model).
    """
    from .pooled import pooled_search, stratum_terms

    fittable = [u for u in units if quick_verdict(u) is None]
    sizes = [int(np.sum(u.counts)) for u in fittable]
    n_strata = len({u.stratum for u in fittable})
    med = float(np.median(sizes)) if sizes else float("nan")
    if search == "pooled":
        why = "--search pooled"
    elif ci_given != "averaged" and n_strata >= 2 and med < _SMALL_STRATUM:
        why = (f"--search auto: the median of the {n_strata:,} strata to fit has {med:,.0f} persons observed, under "
               f"{_SMALL_STRATUM}, where a search in each stratum on its own biases the totals upwards")
    else:
        return units, msettings, None
    msettings = {**msettings, "search": "pooled", "ci": ci_given or "parametric"}
    crit = (criterion or "bic").lower()
    choices = []
    for r in range(M):
        mine = [u for u in fittable if u.replicate == r]
        choices.append(pooled_search([(u.lists, u.cells, u.counts) for u in mine], lists_all, criterion=crit,
                                     max_ratio=max_ratio) if mine else None)
    out = []
    for u in units:
        ch = choices[u.replicate]
        per_list = (np.asarray(u.cells, dtype=np.int64) * np.asarray(u.counts)[:, None]).sum(axis=0)
        used = [a for a, c in zip(u.lists, per_list, strict=True) if c > 0]
        st = {**msettings, "model": None if ch is None else stratum_terms(ch.model, used),
              "pooled_model": None if ch is None else ch.label}
        out.append(replace(u, settings=st, key=unit_key(u.lists, u.cells, u.counts, u.method, st, u.seed,
                                                         __version__)))
    labels = [None if c is None else c.label for c in choices]
    info = {"search": "pooled", "why": why, "criterion": crit, "models": labels,
            "strata_searched": [0 if c is None else c.strata for c in choices],
            "rule": ("one log-linear model structure for all strata, with stratum-specific parameters: the "
                     f"stepwise search from main effects that minimises the sum over strata of each stratum's "
                     f"{crit.upper()}, among models that identify N̂ in every stratum; --search auto does this when "
                     f"the median stratum to fit has under {_SMALL_STRATUM} persons observed")}
    return out, msettings, info
