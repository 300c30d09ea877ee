"""What :func:`~darkfigure.strata.core.estimate_strata` settles before it dispatches the units.

The split of the histories into strata and the order of their keys, the checks of options
one method ignores, of the fixed ``--model`` and of lists that registered nobody, the choice of
one log-linear model across strata (``--search auto``/``pooled``) and :class:`StrataInterrupted`, raised on
Ctrl-C with the count of strata done.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import DataError
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
    # the rows of each stratum taken from two arrays, not a data frame per stratum (~10x faster, issue #16)
    cells = t[lists].to_numpy(dtype=np.int8)
    counts = t["count"].to_numpy(dtype=np.int64)
    for key, idx in t.groupby(list(by), sort=True, observed=True, dropna=True).indices.items():
        key = key if isinstance(key, tuple) else (key,)
        out[tuple(_plain(k) for k in key)] = (cells[idx], counts[idx])
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
#: the collapsed-table comparison (pooled.collapsed_search) is skipped beyond this many list x covariate columns
_COLLAPSED_MAX_COLUMNS = 600


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


def _check_model(model: str, lists: tuple, by: list[str], dropped: list[str]) -> str:
    """The fixed ``--model`` read as ``estimate --model`` reads it, checked against the data's lists.

    Both ``A:B,B:C`` and ``A:B + B:C`` (:func:`darkfigure.loglinear.terms.parse_terms`, the parser of
    ``estimate``). Each stratum is fitted on its lists alone, so every name must be a list of the
    data; a list that has records in the data but none in some strata is handled per stratum
    (rule 3 of :mod:`darkfigure.strata.units`).

    Returns
    -------
    str
        The model as ``A:B,B:C`` (the form the units and the cache keys carry).

    Raises
    ------
    DataError
        A term that cannot be read, or a name that is not a list of the data (a ``--by`` column, a
        list dropped with ``--drop-empty-lists``, or a name the data do not have), naming the token.
    """
    from ..loglinear.terms import parse_terms

    try:
        terms = parse_terms(model)
    except ValueError as e:
        raise DataError(f"--model {model!r}: {e}") from None
    for t in terms:
        for name in t:
            if name in lists:
                continue
            if name in by:
                why = (f"{name!r} is a --by column: it is constant within each stratum, whose lists are fitted with "
                       "their own main effects there (the list x stratum terms); give interactions of lists only")
            elif name in dropped:
                why = f"list {name!r} registered nobody and was left out (--drop-empty-lists)"
            else:
                why = f"{name!r} is not a list of the data"
            raise DataError(f"--model {model!r}, term {':'.join(t)}: {why} (lists: {', '.join(lists)})")
    if not terms:
        raise DataError(f"--model {model!r} names no interaction; give e.g. 'A:B,B:C' or use --search none")
    return ",".join(":".join(t) for t in terms)



def _choose_pooled(units: list[Unit], msettings: dict, search: str, ci_given: str | None, lists_all: tuple, M: int,
                   criterion: str | None, max_ratio: float, keys: list | None = None, by: list[str] | None = None
                   ) -> tuple[list[Unit], dict, dict | None]:
    """Decide whether one model is chosen across strata, choose it per replicate of the data, and give every unit it.

    The rule of ``--search auto``: one model across strata (:func:`~darkfigure.strata.pooled.pooled_search`)
    when at least 2 strata can be fitted (rules 1-3 of :mod:`darkfigure.strata.units`) and their median
    observed count is below ``_SMALL_STRATUM`` (200), unless ``--ci averaged`` asks for the per-stratum
    search's model-averaged interval; otherwise Cruyff's search in each stratum, as before.

    Each unit gets the chosen model restricted to its lists with records, less the interactions its
    own table cannot fit (:func:`~darkfigure.strata.pooled.stratum_model`: with them N̂ would not be
    identified there), in its settings (``model``, ``pooled_model``, ``pooled_dropped``) and cache key.
    With `keys` and `by` (the strata's keys, indexed by ``Unit.stratum``, and the stratifying columns)
    the same search is also run on the table collapsed over strata (lists x `by`,
    :func:`~darkfigure.strata.pooled.collapsed_search`, on the first replicate of the data) and a
    warning says when its interactions differ, which terms, and how far the strata's summed N̂ moves.

    Returns the units, the run's method settings and a description for ``settings["model_search"]``
    (None when each stratum searches its own model): ``models``, ``strata_searched``, ``why``, ``rule``,
    ``interval`` (:data:`~darkfigure.strata.pooled.CONDITIONAL_NOTE`), ``left_out`` (per replicate,
    the strata that leave a term out), ``collapsed`` (the collapsed table's model and the totals) and
    ``warnings`` (for the run's warnings).
    """
    from .pooled import CONDITIONAL_NOTE, _stratum_fit, collapsed_search, pooled_search, restrict_terms, stratum_terms

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
    mine_by_rep = []
    for r in range(M):
        mine = [u for u in fittable if u.replicate == r]
        mine_by_rep.append(mine)
        choices.append(pooled_search([(u.lists, u.cells, u.counts) for u in mine], lists_all, criterion=crit,
                                     max_ratio=max_ratio) if mine else None)
    fit_of: dict[tuple[int, int], tuple] = {}
    for u in fittable:
        ch = choices[u.replicate]
        if ch is not None:
            fit_of[(u.stratum, u.replicate)] = _stratum_fit(ch.model, u.lists, u.cells, u.counts, max_ratio)
    out = []
    left_out: list[list[dict]] = [[] for _ in range(M)]
    name = (lambda si: "/".join(str(k) for k in keys[si])) if keys is not None else str
    for u in units:
        ch = choices[u.replicate]
        per_list = (np.asarray(u.cells, dtype=np.int64) * np.asarray(u.counts)[:, None]).sum(axis=0)
        used = [a for a, c in zip(u.lists, per_list, strict=True) if c > 0]
        got = fit_of.get((u.stratum, u.replicate))
        terms, dropped = (got[0], got[1]) if got is not None else (
            None if ch is None else stratum_terms(ch.model, used), [])
        st = {**msettings, "model": terms, "pooled_model": None if ch is None else ch.label}
        if dropped:
            st["pooled_dropped"] = list(dropped)
            left_out[u.replicate].append({"stratum": name(u.stratum), "terms": list(dropped),
                                          "observed": int(np.sum(u.counts))})
        out.append(replace(u, settings=st, key=unit_key(u.lists, u.cells, u.counts, u.method, st, u.seed,
                                                         __version__)))
    labels = [None if c is None else c.label for c in choices]
    warns: list[str] = []
    lo = left_out[0]
    if lo:
        terms_n: dict[str, list[dict]] = {}
        for x in lo:
            for t in x["terms"]:
                terms_n.setdefault(t, []).append(x)
        for t, xs in terms_n.items():
            shown = ", ".join(x["stratum"] for x in xs[:3]) + (", ..." if len(xs) > 3 else "")
            warns.append(f"{t}, chosen jointly across strata, is left out of the fits of {len(xs):,} of "
                         f"{len(mine_by_rep[0]):,} strata ({sum(x['observed'] for x in xs):,} persons observed; "
                         f"{shown}) where with it N̂ is not identified (their overlaps are too sparse): there N̂ "
                         "assumes no such dependence (each stratum's model is in strata.csv)"
                         + (" (first replicate of the data)" if M > 1 else ""))
    two: dict[str, list[str]] = {}
    for u in mine_by_rep[0]:
        per_list = (np.asarray(u.cells, dtype=np.int64) * np.asarray(u.counts)[:, None]).sum(axis=0)
        used = [a for a, c in zip(u.lists, per_list, strict=True) if c > 0]
        lost = restrict_terms(choices[0].model, used) if choices[0] is not None and len(used) == 2 else None
        if lost:
            two.setdefault(lost, []).append(name(u.stratum))
    for t, names in two.items():
        # measured: labour_zeros by year x sex x form, the sexual strata fitted on police and ngo only, -20%
        warns.append(f"{len(names):,} strata are fitted on two lists only ({', '.join(names[:3])}"
                     f"{', ...' if len(names) > 3 else ''}) although the joint model has {t}: with two lists N̂ can "
                     "only assume them independent, so these strata's N̂ are too low if the lists depend positively "
                     "there as elsewhere (a model of all strata with the --by columns as covariates, darkfigure estimate, "
                     "can carry the dependence over to them)")
    collapsed = None
    n_nuis = 0 if keys is None or not by else len(lists_all) * (1 + sum(
        len({str(keys[u.stratum][c]) for u in mine_by_rep[0]}) - 1 for c in range(len(by))))
    if n_nuis > _COLLAPSED_MAX_COLUMNS:  # a q x q solve per IRLS step: a --by column with thousands of levels
        collapsed = {"skipped": f"{n_nuis:,} list x covariate columns (more than {_COLLAPSED_MAX_COLUMNS:,})"}
    elif keys is not None and by and choices[0] is not None and len(choices[0].searched) >= 2:
        ch0, mine = choices[0], mine_by_rep[0]
        sel = [mine[i] for i in ch0.searched]
        cc = collapsed_search([(u.lists, u.cells, u.counts) for u in sel], lists_all,
                              [keys[u.stratum] for u in sel], criterion=crit)
        a, b = set(ch0.model.interactions), set(cc.model.interactions)
        collapsed = {"model": cc.label, "same": a == b}
        if a != b:
            nh_joint = np.array([fit_of[(u.stratum, 0)][2] for u in sel], dtype=float)
            nh_coll = np.array([_stratum_fit(cc.model, u.lists, u.cells, u.counts, max_ratio)[2] for u in sel],
                               dtype=float)
            ok = np.isfinite(nh_joint) & np.isfinite(nh_coll)
            tj, tc = float(nh_joint[ok].sum()), float(nh_coll[ok].sum())
            collapsed.update(total_joint=tj, total_collapsed=tc, strata_compared=int(ok.sum()))
            only_j = sorted(":".join(t) for t in a - b)
            only_c = sorted(":".join(t) for t in b - a)
            diff = "; ".join(p for p in (
                f"the table collapsed over strata also has {', '.join(only_c)}" if only_c else "",
                f"the joint model also has {', '.join(only_j)}" if only_j else "") if p)
            warns.append(
                f"the model chosen jointly across strata ({ch0.label}) differs in its list x list terms from the one "
                f"the same search picks on the table collapsed over strata (lists x {', '.join(by)}, one list x "
                f"covariate effect per level): {cc.label} — {diff}. With the collapsed table's terms the strata's "
                f"N̂ would add up to {tc:,.0f} instead of {tj:,.0f} ({(tc - tj) / tj:+.1%}; plain sums over "
                f"{int(ok.sum()):,} strata, before the bias correction). The totals' intervals do not include this "
                "choice; compare " + (f"--model '{','.join(':'.join(t) for t in sorted(b))}'" if b else
                                      "--search none") + " or fewer, larger strata")
    info = {"search": "pooled", "why": why, "criterion": crit, "models": labels,
            "strata_searched": [0 if c is None else c.strata for c in choices],
            "rule": ("one log-linear model structure for all strata, with stratum-specific parameters: the "
                     f"stepwise search from main effects that minimises the {crit.upper()} of one model of all "
                     "strata (stratum-specific list main effects, interactions common to the strata), among models "
                     "whose common interactions have a finite MLE; a stratum whose own table cannot fit an "
                     "interaction (N̂ not identified with it) leaves it out and says so; --search auto does this "
                     f"when the median stratum to fit has under {_SMALL_STRATUM} persons observed"),
            "interval": CONDITIONAL_NOTE, "left_out": left_out, "collapsed": collapsed, "warnings": warns}
    return out, msettings, info
