"""Drawing linkages from the match probabilities of a link run (Sadinle 2018, Ann. Appl. Stat. 12:1013).

Partitions of the registrations into persons by a Gibbs sampler (:func:`draw_partitions`) or
by independent pair draws re-clustered as ``link`` does (:func:`draw_links`); the calibration
of the probabilities (:func:`calibration_table`) and the expected false and missed links
(:func:`expected_link_errors_total`, Di Consiglio & Tuoto 2015). Moved unchanged from
:mod:`darkfigure.linkage.uncertainty` (still importable from there).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .link_run import LinkRun

#: The join weight of the default linkage draws (:func:`draw_partitions`' ``rule``): "positive" since 2026-12-07
#: (the product of the pair odds split persons the point linkage had right and rejoined few it had split).
DRAW_RULE = "positive"
_RULES = ("product", "max", "positive")


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
    """The compiled Gibbs sweep of :func:`draw_partitions` (numba imported and the kernel compiled on first use)."""
    from numba import njit

    @njit(cache=True)
    def sweep_draws(indptr, nbr, logodds, use, labels, n_draws, thin, burn, seed, rule):  # pragma: no cover - numba
        """Gibbs sweeps over records (CSR neighbours `indptr`/`nbr`, pair log-odds, `use` the edges that count):
        `n_draws` partitions, shape (n_draws, n_records), after `burn` sweeps and every `thin` sweeps; seeded.
        `rule` 0: a candidate's log weight is the sum of the pair log-odds, 1: their maximum, 2: the sum of the
        positive ones (their maximum when none is positive)."""
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
                    if not use[e]:
                        continue
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
                    elif score[found] == -np.inf or logodds[e] == -np.inf:
                        score[found] = -np.inf  # a cannot-link (probability 0): never joined, whatever the rule
                    elif rule == 0:
                        score[found] += logodds[e]
                    elif rule == 2 and score[found] > 0 and logodds[e] > 0:
                        score[found] += logodds[e]  # agreeing pairs multiply their odds
                    elif logodds[e] > score[found]:
                        score[found] = logodds[e]
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
                    thin: int = 2, rule: str = "product", dated: np.ndarray | None = None) -> np.ndarray:
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
    are neutral (blocking leaves them out, it does not say they differ). The linkage
    correction's default (:data:`DRAW_RULE`) is ``rule="positive"``: pairs that speak
    against a match (p < 0.5) are not multiplied in beyond the best one.

    Parameters
    ----------
    n : number of records.
    left, right : int arrays, shape (m,): the scored pairs (0-based record positions).
    probability : float array, shape (m,): their match probabilities (clipped to [1e-9, 1 - 1e-9]); a pair at
        exactly 0 is a cannot-link (:func:`~darkfigure.linkage.twin_evidence.with_cannot_links`): a record never
        joins a person holding its cannot-link partner, under every `rule`.
    n_draws : int >= 1
    seed : int or None
    start : int array, shape (n,), optional: the starting partition (e.g. the as-linked
        persons; labels in 0..n-1). Default: every record alone.
    burn, thin : sweeps discarded first, and sweeps between kept draws.
    rule : {"product", "max", "positive"}
        The weight of joining a person: ``"product"`` (default) the product of the odds of
        the record's scored pairs with its members, as above; ``"max"`` the odds of the
        largest of those match probabilities; ``"positive"`` the product of the odds above
        1 (p > 0.5), or the largest odds when none is (agreeing pairs multiply, as in the
        product; pairs against a match do not, since each would count the prior odds of a
        match again). With ``"max"`` and ``"positive"`` the conditionals are not those of one
        joint distribution: the chain is a heuristic sampler (irreducible, so it has a
        stationary distribution), chosen because on truth-known registrations a single
        dated registration and a person of several dated registrations were one person
        about as often as the largest probability of their pairs says (tester 18a's hard
        setting), while the product's odds made them far too rare; "max" alone split
        persons whose pairs all lie near 0.9; on the project's simulator every rule
        over-joins such pairs (docs/methods/linkage.md, "Split persons in the draws").
    dated : bool array, shape (n,), optional
        Registrations with a date of birth. With ``rule`` other than "product", a dated registration
        weighs only its pairs with dated registrations (the undated ones are assigned
        afterwards by :mod:`~darkfigure.linkage.undated_draws`, so they do not bridge two
        dated persons); ignored with ``"product"``.

    Returns
    -------
    int array, shape (n_draws, n): the person (a label in 0..n-1) of every record in each draw.

    Raises
    ------
    ValueError
        Probabilities outside [0, 1]; `start` labels outside 0..n-1; `n_draws` < 1; an unknown
        `rule`; `dated` not of length `n`.
    """
    p = np.asarray(probability, dtype=float)
    if rule not in _RULES:
        raise ValueError(f"rule must be one of {', '.join(_RULES)}, not {rule!r}")
    if n_draws < 1:
        raise ValueError(f"the number of linkage draws must be at least 1 (got {n_draws})")
    if p.size and (not np.isfinite(p).all() or p.min() < 0 or p.max() > 1):
        raise ValueError("match probabilities must lie in [0, 1]")
    lab = np.arange(n, dtype=np.int64) if start is None else pd.factorize(np.asarray(start))[0].astype(np.int64)
    if lab.size != n:
        raise ValueError(f"start has {lab.size} labels for {n} records")
    pc = np.clip(p, 1e-9, 1 - 1e-9)
    lo = np.where(p <= 0, -np.inf, np.log(pc / (1 - pc)))  # 0: a cannot-link (twin_evidence.with_cannot_links)
    indptr, nbr, lw = _csr(n, np.asarray(left, np.int64), np.asarray(right, np.int64), lo)
    use = np.ones(nbr.size, dtype=np.bool_)
    if rule != "product" and dated is not None:
        d = np.asarray(dated, dtype=bool)
        if d.size != n:
            raise ValueError(f"dated has {d.size} values for {n} records")
        owner = np.repeat(np.arange(n), np.diff(indptr))
        # a dated registration ignores its pairs with undated ones, but never a cannot-link (review s20 L2)
        use = ~(d[owner] & ~d[nbr]) | np.isneginf(lw)
    seed32 = int(np.random.SeedSequence(seed).generate_state(1)[0])
    return _gibbs_kernel()(indptr, nbr, lw, use, lab.copy(), int(n_draws), int(thin), int(burn), seed32,
                           _RULES.index(rule))


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
    pairs left in different persons, except the pairs of an undated registration with a
    dated one, counted by the assignment model of the undated registrations
    (:func:`~darkfigure.linkage.undated_errors.undated_link_errors`), plus the matches
    blocking never compared (``run.unblocked``, when estimated).

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
    from .undated_trait import applied_trait, run_trait

    lab = run.labels() if labels is None else np.asarray(labels)
    e = expected_link_errors(run.records["organisation"].to_numpy(), run.pairs, lab, run.threshold,
                             run.records["has_date_of_birth"].to_numpy(bool), applied_trait(run_trait(run)))
    unblocked = 0.0 if run.unblocked is None else float(run.unblocked["unblocked_matches"].sum())
    return float(e["false_links"].sum()), float(e["missed_links"].sum()) + unblocked
