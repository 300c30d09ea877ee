"""N̂ that carries the linkage's uncertainty: linkage draws × the estimator's own bootstrap.

A record-linkage run (:func:`darkfigure.linkage.link`) keeps every scored record pair
with its Fellegi–Sunter match probability (``pairs.parquet``) and the registrations
without personal data (``records.parquet``). The persons, and so the capture
histories, are one clustering of those pairs at a threshold; other clusterings are
almost as plausible. This module

1. **draws linkages** from the match probabilities: partitions of the registrations
   into persons by a Gibbs sampler in which a registration joins a person with
   probability proportional to the product of the odds ``p / (1 - p)`` of its scored
   pairs with that person's members (:func:`draw_partitions`; a lone pair is joined with
   probability p, and weak pairs do not chain persons together), or, simpler, each pair
   independently with its probability and the accepted pairs re-clustered by the rules
   of ``link`` (:func:`draw_links`). This is the linkage averaging of Sadinle (2018,
   "Bayesian propagation of record linkage uncertainty into population size estimation
   of human rights violations", Ann. Appl. Stat. 12:1013-1038), with the Fellegi–Sunter
   posteriors of the linkage run in place of his model's;
2. **re-estimates** N̂ (and every subgroup and year total) on each drawn linkage with
   the estimator's own bootstrap (any estimator: a callable returning point estimates
   and bootstrap replicates per labelled group cell);
3. **combines** both in one place (:func:`combine_draws`): the corrected N̂ is the mean
   over the linkage draws (the posterior mean under the linkage distribution, Sadinle
   2018, sec. 4), the interval the percentiles of all replicates of all draws pooled
   (the mixture of the estimator's sampling distributions over the linkage
   distribution, as multiple imputations are pooled by HRDAG's verdata), and the share
   of the variance due to linkage from the law of total variance
   ``Var = E_d[Var(N̂ | d)] + Var_d(E[N̂ | d])`` (Rubin 1987, *Multiple imputation for
   nonresponse in surveys*, eq. 3.1.5, without the finite-draw factor).

The expected numbers of false links (accepted pairs that are not the same person,
``sum(1 - p)`` over the pairs joined in the as-linked persons) and of missed links
(pairs left apart that are, ``sum(p)`` over the others) come from the same
probabilities (the estimators of linkage error of Di Consiglio & Tuoto 2015,
"Coverage evaluation on probabilistic data linkage", J. Off. Stat. 31:415-429, with
the Fellegi–Sunter posteriors in place of a clerical sample).

True matches that were never compared (not blocked together) are missed in every
draw; their expected number per pair of organisations (``unblocked_matches`` of
``linkage_errors.csv``, estimated by capture-recapture on the identifiers) is added to
each draw by merging persons at random (:func:`add_unblocked_matches`). What it cannot
see: matches scored below ``PAIR_FLOOR``; and it is as good as the calibration of the
match probabilities (:func:`calibration_table` measures it on synthetic data).
``benchmarks/linkage_uncertainty_study.py`` measures what remains.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..histories import CaptureHistories, DataError

__all__ = [
    "CombinedDraws",
    "LinkageEstimate",
    "LinkRun",
    "add_unblocked_matches",
    "calibration_table",
    "combine_draws",
    "correct_estimate",
    "draw_links",
    "draw_partitions",
    "expected_link_errors_total",
    "is_link_folder",
    "linkage_uncertainty",
    "loglinear_refit",
    "read_link_run",
    "resolve_linkage",
]

LINKAGE_MODES = ("correct", "none")

#: files of a ``darkfigure link`` output folder that the correction needs
PAIRS_FILE, RECORDS_FILE, HISTORIES_FILE = "pairs.parquet", "records.parquet", "histories.csv"

#: columns of records.parquet that are not covariates
RECORD_COLUMNS = ("organisation", "record_id", "registration_date", "has_date_of_birth")


# ----------------------------------------------------------------------------- the link run
@dataclass
class LinkRun:
    """A record-linkage run as the estimators need it.

    Attributes
    ----------
    records : DataFrame, shape (n_registrations, 4 + n_covariates)
        ``organisation, record_id, registration_date, has_date_of_birth`` and covariates
        (:attr:`darkfigure.linkage.LinkageResult.records`).
    pairs : DataFrame, shape (n_pairs, 3)
        ``record_l, record_r, match_probability`` (:attr:`LinkageResult.pairs`).
    threshold : float
        The match probability at or above which the run joined two registrations.
    covariate_rule : str
        How the run chose a person's covariate value (``most_frequent`` or ``earliest``).
    source : str
        Where it was read from (folder name), for messages.
    unblocked : DataFrame or None
        ``organisation_l, organisation_r, unblocked_matches``: the expected matching
        record pairs that blocking never compared, per pair of organisations
        (:func:`~darkfigure.linkage.quality.unblocked_matches`; ``linkage_errors.csv``).
        Every draw adds that many links at random (:func:`add_unblocked_matches`);
        None: not estimated (pseudonymised files), none added.
    """

    records: pd.DataFrame
    pairs: pd.DataFrame
    threshold: float = 0.5
    covariate_rule: str = "most_frequent"
    source: str = ""
    unblocked: pd.DataFrame | None = None

    @classmethod
    def from_result(cls, result) -> LinkRun:
        """From a :class:`~darkfigure.linkage.LinkageResult` (needs its ``pairs`` and ``records``).

        Raises
        ------
        DataError
            The result has no pairs or records (made by a version of ``link`` that did not keep them).
        """
        if getattr(result, "pairs", None) is None or getattr(result, "records", None) is None:
            raise DataError("this linkage result has no match probabilities (pairs/records); re-run `darkfigure link`")
        return cls(result.records, result.pairs, float(result.threshold), result.covariate_rule, "linkage result",
                   _unblocked_table(getattr(result, "linkage_errors", None)))

    def histories(self, accept: float | np.ndarray | None = None) -> CaptureHistories:
        """Capture histories of one clustering.

        `accept`: None (the run's threshold), another threshold, a bool mask of accepted
        pairs (re-clustered by ``link``'s rules), or an int array of shape
        (n_registrations,) giving the person of every registration (a drawn partition).
        """
        from .link import persons_from_links, persons_from_pairs

        acc = self.threshold if accept is None else accept
        if np.ndim(acc) == 1 and np.asarray(acc).dtype.kind in "iu":
            covs = [c for c in self.records.columns if c not in RECORD_COLUMNS]
            return persons_from_links(self.records.drop(columns=["has_date_of_birth"]), np.asarray(acc),
                                      covariate_rule=self.covariate_rule, covariates=covs)[1]
        return persons_from_pairs(self.records, self.pairs, acc, covariate_rule=self.covariate_rule)[2]

    def labels(self, accept: np.ndarray | None = None) -> np.ndarray:
        """The person of every registration at the run's threshold (or with the accepted pairs `accept`, a bool
        array of shape (n_pairs,)), int array of shape (n_registrations,)."""
        from .link import cluster_links

        return cluster_links(len(self.records), self.pairs["record_l"].to_numpy(np.int64),
                             self.pairs["record_r"].to_numpy(np.int64),
                             self.pairs["match_probability"].to_numpy(float),
                             self.records["has_date_of_birth"].to_numpy(bool), self.threshold, accept)


def is_link_folder(path: Any) -> bool:
    """True when `path` is a folder written by ``darkfigure link`` (it holds histories.csv and links.csv)."""
    try:
        p = Path(path)
        return p.is_dir() and (p / HISTORIES_FILE).is_file() and (p / "links.csv").is_file()
    except (TypeError, OSError):
        return False


def read_link_run(folder: str | Path) -> LinkRun | None:
    """Read the match probabilities of a ``link`` output folder; None when it has none.

    The threshold and covariate rule are read from ``linkage_settings.json`` when the
    folder has one; otherwise the threshold is the one at which re-clustering the pairs
    gives back the folder's persons (0.5, ``link``'s default, is tried first).

    Raises
    ------
    DataError
        pairs.parquet and records.parquet disagree (different runs), or only one of them is present.
    """
    folder = Path(folder)
    has_p, has_r = (folder / PAIRS_FILE).is_file(), (folder / RECORDS_FILE).is_file()
    if not (has_p or has_r):
        return None
    if has_p != has_r:
        missing = RECORDS_FILE if has_p else PAIRS_FILE
        raise DataError(f"{folder} has no {missing}: the link output is incomplete; re-run `darkfigure link`")
    pairs = pd.read_parquet(folder / PAIRS_FILE)
    records = pd.read_parquet(folder / RECORDS_FILE)
    need = {"record_l", "record_r", "match_probability"}
    if need - set(pairs.columns):
        raise DataError(f"{folder / PAIRS_FILE} lacks the column(s) {sorted(need - set(pairs.columns))}")
    if set(RECORD_COLUMNS) - set(records.columns):
        raise DataError(f"{folder / RECORDS_FILE} lacks the column(s) {sorted(set(RECORD_COLUMNS) - set(records.columns))}")
    n = len(records)
    if len(pairs) and (pairs[["record_l", "record_r"]].to_numpy().max() >= n or pairs[["record_l", "record_r"]].to_numpy().min() < 0):
        raise DataError(f"{folder}: pairs.parquet refers to registrations that records.parquet does not have")
    threshold, rule = None, "most_frequent"
    settings = folder / "linkage_settings.json"
    if settings.is_file():
        s = json.loads(settings.read_text())
        threshold, rule = s.get("threshold"), s.get("covariate_rule", rule)
    errors = pd.read_csv(folder / "linkage_errors.csv") if (folder / "linkage_errors.csv").is_file() else None
    run = LinkRun(records, pairs, 0.5 if threshold is None else float(threshold), rule, folder.name,
                  _unblocked_table(errors))
    if threshold is None and (folder / "persons.csv").is_file():
        n_persons = sum(1 for _ in open(folder / "persons.csv", encoding="utf-8")) - 1
        from .link import cluster_links

        left, right = pairs["record_l"].to_numpy(np.int64), pairs["record_r"].to_numpy(np.int64)
        prob = pairs["match_probability"].to_numpy(float)
        dob = records["has_date_of_birth"].to_numpy(bool)
        for t in (0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.3, 0.2, 0.1, 0.05):
            if np.unique(cluster_links(n, left, right, prob, dob, t)).size == n_persons:
                run.threshold = t
                break
    return run


def _unblocked_table(errors: pd.DataFrame | None) -> pd.DataFrame | None:
    """The ``unblocked_matches`` of a linkage_errors table (None when it has none or all are 0)."""
    cols = ["organisation_l", "organisation_r", "unblocked_matches"]
    if errors is None or any(c not in errors.columns for c in cols):
        return None
    t = errors[cols].copy()
    t["organisation_l"] = t["organisation_l"].astype(str)
    t["organisation_r"] = t["organisation_r"].astype(str)
    t["unblocked_matches"] = pd.to_numeric(t["unblocked_matches"], errors="coerce").fillna(0.0).clip(lower=0.0)
    return t if t["unblocked_matches"].sum() > 0 else None


def add_unblocked_matches(labels: np.ndarray, organisations: np.ndarray, unblocked: pd.DataFrame,
                          rng: np.random.Generator) -> np.ndarray:
    """One draw of the matches blocking never compared, added to a partition by merging persons at random.

    A true match that was never compared is missed in every linkage draw, so the draws
    alone cannot correct N̂ for it. Which registrations they are is unknown, only how
    many there are expected to be between organisations A and B (u_AB). Each draw
    takes ``K ~ Poisson(u_AB)`` and merges K persons registered by A and not by B with
    K persons registered by B and not by A, chosen at random (for A = B, K pairs of
    persons registered by A: duplicates never compared). This moves the capture
    histories as the missed links would (two persons seen by one list each become one
    seen by both), which is what N̂ depends on; which covariate cell the merged persons
    fall in is left to chance.

    Parameters
    ----------
    labels : int array, shape (n,): the person of every registration (one partition).
    organisations : array of str, shape (n,).
    unblocked : DataFrame ``organisation_l, organisation_r, unblocked_matches``.
    rng : numpy Generator.

    Returns
    -------
    int array, shape (n,): the labels after the merges (a merged person takes the lower label).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    lab = pd.factorize(np.asarray(labels))[0]
    orgs = np.asarray(organisations).astype(str)
    m = int(lab.max()) + 1 if lab.size else 0
    names = pd.Index(pd.unique(orgs))
    seen = np.zeros((m, len(names)), dtype=bool)
    seen[lab, names.get_indexer(orgs)] = True
    a_out, b_out = [], []
    for a_name, b_name, u in unblocked.itertuples(index=False):
        ia, ib = names.get_indexer([a_name])[0], names.get_indexer([b_name])[0]
        k = int(rng.poisson(float(u))) if u > 0 and ia >= 0 and ib >= 0 else 0
        if k == 0:
            continue
        if ia == ib:
            pool = np.flatnonzero(seen[:, ia])
            k = min(k, pool.size // 2)
            pick = rng.choice(pool, size=2 * k, replace=False)
            a_out.append(pick[:k])
            b_out.append(pick[k:])
        else:
            pa = np.flatnonzero(seen[:, ia] & ~seen[:, ib])
            pb = np.flatnonzero(seen[:, ib] & ~seen[:, ia])
            k = min(k, pa.size, pb.size)
            a_out.append(rng.choice(pa, size=k, replace=False))
            b_out.append(rng.choice(pb, size=k, replace=False))
    if not a_out:
        return lab
    a, b = np.concatenate(a_out), np.concatenate(b_out)
    g = coo_matrix((np.ones(a.size, np.int8), (a, b)), shape=(m, m))
    _, comp = connected_components(g, directed=False)
    return comp[lab]


# ----------------------------------------------------------------------------- draws
def draw_links(probability: np.ndarray, n_draws: int, seed: int | None) -> np.ndarray:
    """Linkages drawn from match probabilities: a bool matrix of shape (n_draws, n_pairs).

    Each pair is a link in a draw with its probability, independently of the other
    pairs and draws (the accepted pairs are then re-clustered, which closes them
    transitively as ``link`` does).

    Parameters
    ----------
    probability : float array, shape (n_pairs,), values in [0, 1]
    n_draws : int >= 1
    seed : int or None

    Raises
    ------
    ValueError
        Probabilities outside [0, 1] or NaN; `n_draws` < 1.
    """
    p = np.asarray(probability, dtype=float)
    if n_draws < 1:
        raise ValueError(f"the number of linkage draws must be at least 1 (got {n_draws})")
    if p.size and (not np.isfinite(p).all() or p.min() < 0 or p.max() > 1):
        raise ValueError("match probabilities must lie in [0, 1]")
    rng = np.random.default_rng(seed)
    return rng.random((n_draws, p.size)) < p


def _csr(n: int, left: np.ndarray, right: np.ndarray, weight: np.ndarray):
    """Symmetric adjacency of the scored pairs in CSR form: (indptr (n+1,), neighbours, weights)."""
    a = np.r_[left, right]
    b = np.r_[right, left]
    w = np.r_[weight, weight]
    o = np.argsort(a, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])
    return indptr, b[o].astype(np.int64), w[o].astype(np.float64)


def _gibbs_kernel():
    from numba import njit

    @njit(cache=True)
    def sweep_draws(indptr, nbr, logodds, labels, n_draws, thin, burn, seed):  # pragma: no cover - numba
        """Gibbs sweeps over records (CSR neighbours `indptr`/`nbr`, pair log-odds): `n_draws` partitions,
        shape (n_draws, n_records), after `burn` sweeps and every `thin` sweeps; seeded."""
        n = labels.size
        np.random.seed(seed)
        size = np.zeros(n, dtype=np.int64)
        for i in range(n):
            size[labels[i]] += 1
        free = np.empty(n, dtype=np.int64)
        nfree = 0
        for c in range(n):
            if size[c] == 0:
                free[nfree] = c
                nfree += 1
        out = np.empty((n_draws, n), dtype=np.int64)
        cand = np.empty(n, dtype=np.int64)
        score = np.empty(n, dtype=np.float64)
        total = burn + n_draws * thin
        for it in range(total):
            for i in range(n):
                lo, hi = indptr[i], indptr[i + 1]
                if lo == hi:
                    continue
                # candidate clusters: those of i's scored neighbours; weight = product of the pair odds
                m = 0
                for e in range(lo, hi):
                    c = labels[nbr[e]]
                    found = -1
                    for t in range(m):
                        if cand[t] == c:
                            found = t
                            break
                    if found < 0:
                        cand[m] = c
                        score[m] = logodds[e]
                        m += 1
                    else:
                        score[found] += logodds[e]
                # the option "alone" (log weight 0), then the candidates
                mx = 0.0
                for t in range(m):
                    if score[t] > mx:
                        mx = score[t]
                z = np.exp(-mx)
                for t in range(m):
                    z += np.exp(score[t] - mx)
                u = np.random.random() * z
                acc = np.exp(-mx)
                new = -1
                if u >= acc:
                    for t in range(m):
                        acc += np.exp(score[t] - mx)
                        if u < acc:
                            new = cand[t]
                            break
                    if new < 0:
                        new = cand[m - 1]
                old = labels[i]
                if new < 0:
                    if size[old] == 1:
                        continue  # already alone
                    nfree -= 1
                    new = free[nfree]
                if new == old:
                    continue
                size[old] -= 1
                if size[old] == 0:
                    free[nfree] = old
                    nfree += 1
                size[new] += 1
                labels[i] = new
            if it >= burn and (it - burn + 1) % thin == 0:
                out[(it - burn) // thin] = labels
        return out

    return sweep_draws


def draw_partitions(n: int, left: np.ndarray, right: np.ndarray, probability: np.ndarray, n_draws: int,
                    seed: int | None, *, start: np.ndarray | None = None, burn: int = 10,
                    thin: int = 2) -> np.ndarray:
    """Partitions of the records into persons drawn from the pairwise match probabilities (Gibbs sampler).

    Independent draws of the pairs, closed transitively, chain: a weak pair between two
    persons merges them whole. Here a partition is drawn as in the Bayesian record
    linkage of Sadinle (2014, "Detecting duplicates in a homicide registry using a
    Bayesian partitioning approach", Ann. Appl. Stat. 8:2404-2434; 2018 for population
    size): each record in turn is reassigned to the person of one of its scored
    neighbours, or left alone, with probability proportional to the product of the
    posterior odds ``p / (1 - p)`` of its scored pairs with the members of that person
    (1 when alone). A lone pair is then joined with probability p, as its match
    probability says; a record is joined to a person only if it matches all members it
    was compared with (one pair at 0.9 and one at 0.01: odds 0.09). Pairs never compared
    are neutral (blocking leaves them out, it does not say they differ).

    Parameters
    ----------
    n : number of records.
    left, right : int arrays, shape (m,): the scored pairs (0-based record positions).
    probability : float array, shape (m,): their match probabilities (clipped to [1e-9, 1 - 1e-9]).
    n_draws : int >= 1
    seed : int or None
    start : int array, shape (n,), optional: the starting partition (e.g. the as-linked
        persons; labels in 0..n-1). Default: every record alone.
    burn, thin : sweeps discarded first, and sweeps between kept draws.

    Returns
    -------
    int array, shape (n_draws, n): the person (a label in 0..n-1) of every record in each draw.

    Raises
    ------
    ValueError
        Probabilities outside [0, 1]; `start` labels outside 0..n-1; `n_draws` < 1.
    """
    p = np.asarray(probability, dtype=float)
    if n_draws < 1:
        raise ValueError(f"the number of linkage draws must be at least 1 (got {n_draws})")
    if p.size and (not np.isfinite(p).all() or p.min() < 0 or p.max() > 1):
        raise ValueError("match probabilities must lie in [0, 1]")
    lab = np.arange(n, dtype=np.int64) if start is None else pd.factorize(np.asarray(start))[0].astype(np.int64)
    if lab.size != n:
        raise ValueError(f"start has {lab.size} labels for {n} records")
    pc = np.clip(p, 1e-9, 1 - 1e-9)
    indptr, nbr, lw = _csr(n, np.asarray(left, np.int64), np.asarray(right, np.int64), np.log(pc / (1 - pc)))
    seed32 = int(np.random.SeedSequence(seed).generate_state(1)[0])
    return _gibbs_kernel()(indptr, nbr, lw, lab.copy(), int(n_draws), int(thin), int(burn), seed32)


def calibration_table(probability: np.ndarray, is_match: np.ndarray,
                      bins: Sequence[float] = (0, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99, 0.999, 1.0)) -> pd.DataFrame:
    """Calibration of match probabilities against known matches (synthetic data).

    Parameters
    ----------
    probability : float array, shape (n_pairs,)
    is_match : bool array, shape (n_pairs,): the two records are truly the same person.
    bins : increasing bin edges in [0, 1] (the last bin includes 1).

    Returns
    -------
    DataFrame ``bin, pairs, mean_probability, share_matches, expected_matches, matches``:
    calibrated probabilities have ``mean_probability`` ≈ ``share_matches`` in every bin.
    """
    p = np.asarray(probability, float)
    y = np.asarray(is_match, bool)
    edges = np.asarray(bins, float)
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, edges.size - 2)
    rows = []
    for j in range(edges.size - 1):
        m = idx == j
        if m.any():
            rows.append({"bin": f"[{edges[j]:g}, {edges[j + 1]:g})", "pairs": int(m.sum()),
                         "mean_probability": float(p[m].mean()), "share_matches": float(y[m].mean()),
                         "expected_matches": float(p[m].sum()), "matches": int(y[m].sum())})
    return pd.DataFrame(rows)


def expected_link_errors_total(run: LinkRun, labels: np.ndarray | None = None) -> tuple[float, float]:
    """Expected false and missed links of the as-linked persons, summed over all pairs of organisations.

    The totals of :func:`~darkfigure.linkage.quality.expected_link_errors` (what
    ``linkage_errors.csv`` holds per pair of organisations): false links ``sum(1 - p)``
    over the record pairs joined in one person, missed links ``sum(p)`` over the scored
    pairs left in different persons, plus the matches blocking never compared
    (``run.unblocked``, when estimated).

    Parameters
    ----------
    run : LinkRun
    labels : int array, shape (n_registrations,), optional: the person of each registration
        (default: re-clustered at the run's threshold).

    Returns
    -------
    (false_links, missed_links) : floats
    """
    from .quality import expected_link_errors

    lab = run.labels() if labels is None else np.asarray(labels)
    e = expected_link_errors(run.records["organisation"].to_numpy(), run.pairs, lab)
    unblocked = 0.0 if run.unblocked is None else float(run.unblocked["unblocked_matches"].sum())
    return float(e["false_links"].sum()), float(e["missed_links"].sum()) + unblocked


# ----------------------------------------------------------------------------- combination
@dataclass
class CombinedDraws:
    """Linkage draws × bootstrap replicates combined (:func:`combine_draws`).

    Attributes
    ----------
    point : ndarray, shape (G,)
        Mean over the draws of each group cell's N̂ (the corrected N̂; total first).
    lower, upper : ndarray, shape (G,)
        Percentiles of all replicates of all draws pooled.
    var_linkage : ndarray, shape (G,)
        Variance of the draws' point estimates (between draws).
    var_estimator : ndarray, shape (G,)
        Mean within-draw bootstrap variance.
    share_linkage : ndarray, shape (G,)
        ``var_linkage / (var_linkage + var_estimator)``: the share of the variance (and
        so, roughly, of the squared width) of the interval due to linkage.
    n_draws : int
        Draws with a finite estimate.
    """

    point: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    var_linkage: np.ndarray
    var_estimator: np.ndarray
    share_linkage: np.ndarray
    n_draws: int


def combine_draws(points: np.ndarray, replicates: np.ndarray | None, level: float = 0.95) -> CombinedDraws:
    """Combine point estimates per linkage draw with the estimator's bootstrap replicates per draw.

    The one place where linkage uncertainty and the estimator's own uncertainty meet
    (every estimator uses it): the corrected estimate is the mean over draws (linkage
    averaging, Sadinle 2018), the interval the `level` percentiles (R quantile type 7)
    of all replicates pooled over draws (a draw from the pooled replicates is a draw
    from the estimator's sampling distribution under a random linkage), and the
    variance is split by the law of total variance (Rubin 1987, eq. 3.1.5).

    Parameters
    ----------
    points : ndarray, shape (D, G)
        Point estimate of every group cell (total first) on each of D linkage draws;
        NaN where a draw gave none.
    replicates : ndarray, shape (D, B, G), or None
        Bootstrap replicates of each draw (NaN for failed ones). None: linkage
        uncertainty only (the interval is the percentiles of `points`).
    level : float in (0, 1)

    Returns
    -------
    CombinedDraws

    Raises
    ------
    ValueError
        Shapes that do not agree; fewer than 2 draws with a finite total.
    """
    pts = np.asarray(points, float)
    if pts.ndim != 2:
        raise ValueError(f"points must have shape (draws, groups), not {pts.shape}")
    ok = np.isfinite(pts[:, 0])
    if ok.sum() < 2:
        raise ValueError("fewer than 2 linkage draws gave a finite N̂: the linkage uncertainty cannot be measured")
    pts = pts[ok]
    alpha = (1 - level) / 2
    point = np.nanmean(pts, axis=0)
    var_between = np.nanvar(pts, axis=0, ddof=1)
    if replicates is None:
        lo, hi = np.nanquantile(pts, [alpha, 1 - alpha], axis=0)
        var_within = np.zeros_like(point)
    else:
        reps = np.asarray(replicates, float)
        if reps.ndim != 3 or reps.shape[0] != ok.size or reps.shape[2] != pts.shape[1]:
            raise ValueError(f"replicates must have shape (draws, reps, groups) = ({ok.size}, B, {pts.shape[1]}), "
                             f"not {reps.shape}")
        reps = reps[ok]
        pooled = reps.reshape(-1, reps.shape[2])
        with np.errstate(all="ignore"):
            lo, hi = np.nanquantile(pooled, [alpha, 1 - alpha], axis=0)
            var_within = np.nanmean(np.nanvar(reps, axis=1, ddof=1), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = var_between / (var_between + var_within)
    return CombinedDraws(point, lo, hi, var_between, var_within, share, int(ok.sum()))


# ----------------------------------------------------------------------------- estimate
#: refit(histories, seed) -> (labels DataFrame[group, level], points (G,), replicates (B, G) or None)
Refit = Callable[[CaptureHistories, int], tuple[pd.DataFrame, np.ndarray, np.ndarray | None]]


@dataclass
class LinkageEstimate:
    """N̂ as linked, N̂ corrected for linkage error and the interval with linkage uncertainty.

    Attributes
    ----------
    nhat_as_linked : float
        N̂ from the persons of the linkage run (its threshold).
    nhat_corrected : float
        Mean N̂ over the linkage draws.
    lower, upper : float
        Interval for N with linkage uncertainty (draws × bootstrap).
    level : float
    share_linkage : float
        Share of the interval's variance due to linkage (law of total variance); its
        share of the width is :attr:`width_share_linkage`.
    false_links, missed_links : float
        Expected false and missed links of the as-linked persons among the compared pairs.
    persons_as_linked : int
    persons_drawn : float
        Mean number of persons over the draws.
    draws : int
        Linkage draws used (with a finite N̂).
    reps_per_draw : int
        Bootstrap replicates per draw (0: linkage uncertainty only).
    estimates : DataFrame
        ``group, level, observed, nhat, lower, upper, nhat_as_linked, share_linkage``:
        corrected figures for the total and every subgroup (and year) cell; ``observed``
        is that of the as-linked persons.
    draw_nhat : ndarray, shape (D,)
        N̂ of each draw.
    seed : int or None
    seconds : float
    warnings : list of str
    """

    nhat_as_linked: float
    nhat_corrected: float
    lower: float
    upper: float
    level: float
    share_linkage: float
    false_links: float
    missed_links: float
    persons_as_linked: int
    persons_drawn: float
    draws: int
    reps_per_draw: int
    estimates: pd.DataFrame
    draw_nhat: np.ndarray = field(repr=False)
    replicates: np.ndarray | None = field(default=None, repr=False)
    bootstrap: Any = field(default=None, repr=False)
    seed: int | None = None
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    sampler: str = "partition"

    @property
    def width_share_linkage(self) -> float:
        """Share of the interval's width due to linkage: ``1 - sqrt(1 - share_linkage)``.

        The interval without linkage uncertainty would be ``sqrt(E Var(N̂ | d) / Var(N̂))``
        times as wide (normal approximation).
        """
        return float(1 - np.sqrt(max(0.0, 1 - self.share_linkage)))

    def corrected_bootstrap(self, template):
        """A :class:`~darkfigure.loglinear.bootstrap.BootstrapResult` holding the corrected figures.

        `template` is the as-linked estimate's bootstrap (its group labels and observed
        counts, in the order of :attr:`estimates`); the estimates become the corrected
        N̂ and the replicates the pooled replicates of all linkage draws, so that
        everything built on a bootstrap (the monitor's tables, visibility, SDG rates)
        carries the linkage uncertainty. None without replicates.
        """
        from dataclasses import replace

        if self.replicates is None or template is None or template.estimate.shape[0] != self.replicates.shape[1]:
            return None
        return replace(template, method=f"{template.method} x linkage draws", interval_method="percentile",
                       estimate=self.estimates["nhat"].to_numpy(float), replicates=self.replicates,
                       status_counts={"ok": int(np.isfinite(self.replicates[:, 0]).sum())}, acceleration=None,
                       jackknife=None, jackknife_weights=None)

    def to_dict(self) -> dict:
        """The ``linkage`` block of ``result.json`` (plain JSON types)."""

        def num(v):
            """A float for JSON: None where it is not finite."""
            v = float(v)
            return v if np.isfinite(v) else None

        return {
            "method": ("linkage draws from the match probabilities ("
                       + ("partitions, Gibbs sampler" if self.sampler == "partition" else "independent pairs")
                       + ") x the estimator's bootstrap per draw (pooled percentiles)"),
            "sampler": self.sampler,
            "nhat_as_linked": num(self.nhat_as_linked),
            "nhat_corrected": num(self.nhat_corrected),
            "lower": num(self.lower),
            "upper": num(self.upper),
            "level": self.level,
            "share_linkage": num(self.share_linkage),
            "width_share_linkage": num(self.width_share_linkage),
            "false_links": num(self.false_links),
            "missed_links": num(self.missed_links),
            "persons_as_linked": int(self.persons_as_linked),
            "persons_drawn": num(self.persons_drawn),
            "draws": int(self.draws),
            "reps_per_draw": int(self.reps_per_draw),
            "seed": self.seed,
            "seconds": round(self.seconds, 2),
            "warnings": list(self.warnings),
        }

    def __str__(self) -> str:
        return (f"N̂ as linked {self.nhat_as_linked:,.0f}; corrected for linkage error {self.nhat_corrected:,.0f} "
                f"({self.level:.0%} interval with linkage uncertainty {self.lower:,.0f} – {self.upper:,.0f}, "
                f"{self.share_linkage:.0%} of its variance from linkage; {self.draws} linkage draws)")


def _draw_task(args):
    """Worker: re-cluster and refit a chunk of draws. Returns [(labels, points, reps) or None]."""
    run, masks, refit, seeds = args
    out = []
    for mask, s in zip(masks, seeds):
        try:
            if run.unblocked is not None:
                # the matches never compared: a draw of them per linkage draw (its own stream of the draw's seed)
                if np.asarray(mask).dtype == bool:
                    mask = run.labels(mask)
                mask = add_unblocked_matches(mask, run.records["organisation"].to_numpy(), run.unblocked,
                                             np.random.default_rng([int(s), 7]))
            h = run.histories(mask)
            out.append(refit(h, int(s)))
        except (DataError, ValueError, RuntimeError, np.linalg.LinAlgError):
            out.append(None)
    return out


def linkage_uncertainty(
    run: LinkRun,
    refit: Refit,
    *,
    draws: int = 50,
    seed: int | None = None,
    level: float = 0.95,
    n_jobs: int | None = None,
    as_linked: tuple[pd.DataFrame, np.ndarray, np.ndarray | None] | None = None,
    sampler: str = "partition",
    progress: bool = False,
) -> LinkageEstimate:
    """N̂ corrected for linkage error, with an interval carrying the linkage's uncertainty, for any estimator.

    Parameters
    ----------
    run : LinkRun
        Records and scored pairs of a linkage run.
    refit : callable (CaptureHistories, seed) -> (labels, points, replicates)
        The estimator: `labels` a DataFrame with ``group, level`` (and ``observed``) per
        group cell, total first; `points` shape (G,); `replicates` shape (B, G) (its own
        bootstrap) or None. Must be picklable when ``n_jobs > 1`` (see :func:`loglinear_refit`).
    draws : int
        Linkage draws (default 50).
    seed : int or None
        Seeds the draws and the bootstraps (one stream per draw).
    level : float
    n_jobs : int, optional
        Processes (default: all cores, at most `draws`).
    as_linked : (labels, points, replicates), optional
        The estimator's result on the as-linked persons, when already computed.
    sampler : {"partition", "pairs"}
        How linkages are drawn: partitions by :func:`draw_partitions` (default; a
        record joins a person only if it matches the members it was compared with), or
        independent pairs by :func:`draw_links`, re-clustered by ``link``'s rules.
    progress : bool
        A progress bar of the draws on a terminal (each draw keeps its own seed, so the
        result does not depend on how draws are grouped into tasks).

    Returns
    -------
    LinkageEstimate

    Raises
    ------
    DataError
        No scored pairs; no draw gave an estimate.
    """
    t0 = time.perf_counter()
    if len(run.pairs) == 0:
        raise DataError("the linkage run scored no record pairs: there is no linkage uncertainty to carry")
    ss = np.random.SeedSequence(seed)
    s_draw, s_boot = ss.spawn(2)
    p = run.pairs["match_probability"].to_numpy(float)
    if sampler == "partition":
        masks = draw_partitions(len(run.records), run.pairs["record_l"].to_numpy(np.int64),
                                run.pairs["record_r"].to_numpy(np.int64), p, draws,
                                int(s_draw.generate_state(1)[0]), start=run.labels())
    elif sampler == "pairs":
        masks = draw_links(p, draws, int(s_draw.generate_state(1)[0]))
    else:
        raise ValueError(f"sampler must be 'partition' or 'pairs', not {sampler!r}")
    boot_seeds = s_boot.generate_state(draws)
    if as_linked is None:
        as_linked = refit(run.histories(), int(boot_seeds[0]))
    labels0, points0, _ = as_linked
    key0 = labels0["group"].astype(str) + "\x1f" + labels0["level"].astype(str)
    from ..loglinear.bootstrap import _progress

    jobs = max(1, min(int(n_jobs or os.cpu_count() or 1), draws))
    # a few draws per task: the progress bar moves, and the workers stay busy to the end
    chunks = [c for c in np.array_split(np.arange(draws), min(draws, 4 * jobs)) if c.size]
    tasks = [(run, masks[c], refit, boot_seeds[c]) for c in chunks]
    results = []
    with _progress(progress, draws, "linkage draws") as advance:
        if jobs == 1:
            for t in tasks:
                results += _draw_task(t)
                advance(len(t[3]))
        else:
            import multiprocessing

            # forkserver: the caller may hold DuckDB/Splink threads, which a fork would copy mid-flight
            with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("forkserver")) as ex:
                for t, rs in zip(tasks, ex.map(_draw_task, tasks), strict=True):
                    results += rs
                    advance(len(t[3]))
    G = len(labels0)
    pts = np.full((draws, G), np.nan)
    B = max((r[2].shape[0] for r in results if r is not None and r[2] is not None), default=0)
    reps = np.full((draws, B, G), np.nan) if B else None
    persons = []
    for d, r in enumerate(results):
        if r is None:
            continue
        lab, pt, rp = r
        idx = pd.Index(lab["group"].astype(str) + "\x1f" + lab["level"].astype(str)).get_indexer(key0)
        have = idx >= 0
        pts[d, have] = np.asarray(pt, float)[idx[have]]
        if reps is not None and rp is not None:
            reps[d][np.ix_(np.arange(rp.shape[0]), np.flatnonzero(have))] = np.asarray(rp, float)[:, idx[have]]
        if "observed" in lab.columns:
            persons.append(float(np.asarray(lab["observed"], float)[0]))
    warnings = []
    failed = int(np.isnan(pts[:, 0]).sum())
    if failed:
        warnings.append(f"{failed} of {draws} linkage draws gave no finite N̂ and are left out")
    if failed > draws - 2:
        raise DataError(f"only {draws - failed} of {draws} linkage draws gave an estimate: the linkage uncertainty "
                        "cannot be measured")
    comb = combine_draws(pts, reps, level)
    false_links, missed_links = expected_link_errors_total(run)
    est = labels0[["group", "level"]].copy()
    if "observed" in labels0.columns:
        est["observed"] = labels0["observed"].to_numpy()
    est["nhat"], est["lower"], est["upper"] = comb.point, comb.lower, comb.upper
    est["nhat_as_linked"] = np.asarray(points0, float)
    est["share_linkage"] = comb.share_linkage
    return LinkageEstimate(
        nhat_as_linked=float(points0[0]),
        nhat_corrected=float(comb.point[0]),
        lower=float(comb.lower[0]),
        upper=float(comb.upper[0]),
        level=level,
        share_linkage=float(comb.share_linkage[0]),
        false_links=false_links,
        missed_links=missed_links,
        persons_as_linked=int(run.histories().n_observed) if "observed" not in labels0.columns
        else int(round(float(labels0["observed"].iloc[0]))),
        persons_drawn=float(np.mean(persons)) if persons else float("nan"),
        draws=comb.n_draws,
        reps_per_draw=B,
        estimates=est,
        draw_nhat=pts[:, 0],
        replicates=None if reps is None else reps[np.isfinite(pts[:, 0])].reshape(-1, G),
        seed=seed,
        seconds=time.perf_counter() - t0,
        warnings=warnings,
        sampler=sampler,
    )


# ----------------------------------------------------------------------------- log-linear
@dataclass
class loglinear_refit:  # noqa: N801 - a picklable function object, named as the function it stands for
    """The log-linear estimator as a :data:`Refit` for :func:`linkage_uncertainty`.

    Each drawn linkage is collapsed to `covariates`, fitted with the fixed model
    `model` (the one chosen on the as-linked data: re-selecting it on every draw would
    cost a search per draw) and given a parametric bootstrap of `reps` replicates
    (Cruyff's ``boot_mse``; with unknown covariate values the bootstrap that redoes the
    EM). Totals are reported for the same groups as the main estimate (total, covariate
    levels, pairs, and by `year`).

    Parameters
    ----------
    model : list of str
        Interactions, e.g. ``["police:kmar", "police:sex"]`` (``[]``: main effects).
    covariates : list of str
        Covariates kept (the others are summed over).
    reps : int
        Parametric bootstrap replicates per draw (0: none, linkage uncertainty only).
    year, year_degree, structural_zeros, level :
        As :func:`darkfigure.estimation.estimate`.
    """

    model: list[str]
    covariates: list[str]
    reps: int = 20
    year: str | None = None
    year_degree: int | None = None
    structural_zeros: Any = None
    level: float = 0.95
    missing: str = "em"

    def __call__(self, h: CaptureHistories, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
        from ..estimation import estimate

        if self.reps and self.reps < 20:
            # estimate() refuses fewer replicates; never fall back silently to no bootstrap
            raise ValueError(f"reps per linkage draw must be 0 (linkage uncertainty only) or at least 20, not {self.reps}")
        hk = h.collapse([c for c in self.covariates if c in h.covariates])
        if self.missing == "drop" and hk.n_incomplete:
            hk = hk.drop_incomplete()  # as the as-linked estimate did (--missing drop)
        missing = [c for c in self.covariates if c not in hk.covariates]
        if missing:
            raise DataError(f"covariate(s) {missing} have a single level in this linkage draw")
        boot = self.reps >= 20
        e = estimate(hk, model=self.model or None, search="none", ci="parametric" if boot else "none",
                     reps=max(self.reps, 20), seed=seed, level=self.level, year=self.year,
                     year_degree=self.year_degree, structural_zeros=self.structural_zeros,
                     missing="em" if hk.n_incomplete else "error", n_jobs=1)  # 'drop' already applied above
        if not e.fit.identified:
            raise DataError("N̂ not identified on this linkage draw")
        t = e.estimates
        labels = t[["group", "level", "observed"]].reset_index(drop=True)
        if boot:
            return labels, e.bootstrap.estimate.copy(), e.bootstrap.replicates.copy()
        return labels, t["nhat"].to_numpy(float), None


# ----------------------------------------------------------------------------- front-door helpers
def resolve_linkage(data: Any, run: LinkRun | None, linkage: str | None) -> tuple[Any, LinkRun | None, str]:
    """What ``estimate``/``monitor`` do with their DATA and ``--linkage`` option (one place for both).

    A ``darkfigure link`` output folder is read as its capture histories
    (``histories.csv``) and its linkage run (:func:`read_link_run`). `linkage` defaults
    to ``"correct"`` when a run with match probabilities is there, else ``"none"``.

    Returns
    -------
    (data, run, linkage) : the data to read histories from, the run (or None), the mode.

    Raises
    ------
    ValueError
        `linkage` not ``correct``/``none``.
    DataError
        ``linkage="correct"`` without match probabilities (histories made elsewhere):
        refused, never an uncorrected N̂ labelled corrected; a folder that is not a link output.
    """
    if linkage is not None:
        linkage = str(linkage).lower()
        if linkage not in LINKAGE_MODES:
            raise ValueError(f"linkage must be one of {LINKAGE_MODES}, not {linkage!r}")
    if run is None and isinstance(data, (str, Path)) and Path(data).is_dir():
        if not is_link_folder(data):
            raise DataError(f"{data} is a folder but not the output of `darkfigure link` (no histories.csv and "
                            "links.csv): give a capture-history file or a link output folder")
        run = read_link_run(data)
        data = Path(data) / HISTORIES_FILE
    if linkage is None:
        linkage = "correct" if run is not None else "none"
    if linkage == "correct" and run is None:
        raise DataError(
            "--linkage correct needs the match probabilities of a `darkfigure link` run (pairs.parquet and "
            "records.parquet in its output folder); these capture histories carry none (made elsewhere, or by an "
            "older version of link), so N̂ cannot be corrected for linkage error. Give the link output folder as "
            "DATA, or use --linkage none to estimate from the histories as they are, without a linkage correction"
        )
    return data, run, linkage


def isolated_lists(h: CaptureHistories) -> list[str]:
    """Lists (organisations) that share no person with any other list."""
    t = h.table
    lists = list(h.lists)
    cols = t[lists].to_numpy(dtype=np.int64)
    n = t["count"].to_numpy(dtype=float) if "count" in t.columns else np.ones(len(t))
    multi = cols.sum(axis=1) >= 2
    shared = (cols[multi] * n[multi, None]).sum(axis=0)
    return [a for a, v in zip(lists, shared) if v == 0]


def correct_estimate(run: LinkRun, h: CaptureHistories, fit, table: pd.DataFrame, boot, *, draws: int = 50,
                     reps: int = 20, seed: int | None = None, level: float = 0.95, year: str | None = None,
                     year_degree: int | None = None, structural_zeros: Any = None,
                     n_jobs: int | None = None, missing: str = "em",
                     progress: bool = False) -> tuple[LinkageEstimate, pd.DataFrame]:
    """The linkage correction of a log-linear estimate (what ``estimate(..., linkage="correct")`` runs).

    Parameters
    ----------
    run : LinkRun
    h : CaptureHistories
        The as-linked histories the estimate was fitted to.
    fit : LogLinearFit
        The chosen model's fit (its interactions are refitted on every draw).
    table : DataFrame
        The estimate's ``estimates`` table (``group, level, observed, nhat, lower, upper``).
    boot : BootstrapResult or None
    draws, reps, seed, level, year, year_degree, structural_zeros, n_jobs
        See :func:`darkfigure.estimation.estimate` and :func:`linkage_uncertainty`.
        `reps` (bootstrap replicates per draw) is 0 or at least 20.
    missing : {"em", "drop", "error"}
        What the as-linked estimate did with persons whose covariate is unknown; every
        draw does the same.
    progress : bool
        A progress bar of the linkage draws on a terminal.

    Returns
    -------
    (LinkageEstimate, DataFrame)
        The linkage block and the estimates table with the corrected ``nhat, lower,
        upper`` and the as-linked ``nhat_as_linked, lower_as_linked, upper_as_linked``,
        plus ``share_linkage``.

    Raises
    ------
    DataError
        An organisation shares nobody with the others (its linkage error cannot be
        estimated: said, not estimated); lists or covariates chosen that the link run
        cannot reproduce.
    """
    if reps and reps < 20:
        raise ValueError(f"linkage_reps (--linkage-reps) must be 0 (linkage uncertainty only) or at least 20 "
                         f"bootstrap replicates per linkage draw, not {reps}")
    alone = isolated_lists(h)
    if alone:
        raise DataError(
            f"organisation(s) {', '.join(alone)} share no person with any other organisation in the linked data: "
            "the overlaps that N̂ and its linkage correction rest on are absent for them, so no corrected N̂ is "
            "estimated. Check their registrations (another key, another period?) or leave them out"
        )
    orgs = list(pd.unique(run.records["organisation"].astype(str)))
    if sorted(orgs) != sorted(h.lists):
        raise DataError(f"the linkage correction re-links all organisations of the run ({', '.join(orgs)}); "
                        f"the estimate has the lists {', '.join(h.lists)}: do not choose lists with a link folder")
    known = set(run.records.columns) | {"year"}
    bad = [c for c in h.covariates if c not in known]
    if bad:
        raise DataError(f"covariate(s) {bad} are not in the link run's records.parquet; re-link with them")
    model = [":".join(t) for t in fit.model.terms if len(t) > 1]
    refit = loglinear_refit(model, list(h.covariates), reps=reps, year=year, year_degree=year_degree,
                            structural_zeros=structural_zeros, level=level, missing=missing)
    labels = table[["group", "level", "observed"]].reset_index(drop=True)
    le = linkage_uncertainty(run, refit, draws=draws, seed=seed, level=level, n_jobs=n_jobs, progress=progress,
                             as_linked=(labels, table["nhat"].to_numpy(float), None))
    persons = run.histories().n_observed
    if persons != h.n_observed:
        le.warnings.append(
            f"re-clustering the scored pairs at the run's threshold ({run.threshold:g}) gives {persons:,} persons, "
            f"the capture histories {h.n_observed:,}: the folder's files may come from different runs")
    out = table.copy()
    out["nhat_as_linked"], out["lower_as_linked"], out["upper_as_linked"] = out["nhat"], out["lower"], out["upper"]
    for c in ("nhat", "lower", "upper", "share_linkage"):
        out[c] = le.estimates[c].to_numpy()
    le.bootstrap = le.corrected_bootstrap(boot)
    return le, out
