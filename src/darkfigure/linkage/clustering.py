"""From scored pairs to persons: the edges kept at a threshold and their clustering.

Pairs at or above the match probability threshold become edges (with the pairs' prior
re-estimated when asked); :func:`cluster_links` joins them into persons, attaching a
registration without a date of birth to its single best match instead of chaining
common names through it (:func:`compete_missing_dates`). Used by
:func:`darkfigure.linkage.link.link`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._dob_evidence import level_log_bf


def _records(df: pd.DataFrame, has_dob: np.ndarray, covs: Sequence[str]) -> pd.DataFrame:
    """The registrations without personal data: what re-clustering needs (see LinkageResult.records)."""
    r = pd.DataFrame({
        "organisation": df["organisation"].astype(str).to_numpy(),
        "record_id": df["record_id"].astype(str).to_numpy(),
        "registration_date": df["registration_date"].astype(str).to_numpy(),
        "has_date_of_birth": np.asarray(has_dob, dtype=bool),
    })
    for c in covs:
        r[c] = df[c].to_numpy(dtype=object)
    return r


def _close(db_api, engine: str) -> None:
    try:
        if engine == "duckdb":
            db_api.duckdb_con.close()
        else:
            db_api.delete_tables_created_by_splink_from_db()
    except Exception:  # noqa: BLE001 - cleanup must not hide the real error
        pass


def _weight_counts(db_api, pred) -> pd.DataFrame:
    sql = f"select floor(match_weight) as bin, count(*) as pairs from {pred.physical_name} group by 1 order by 1"
    out = db_api.query_sql(sql, output_type="pandas")
    out["bin"] = out["bin"].astype(float)
    return out


def _edges(db_api, pred, threshold: float, lam0: float, n: int, refit: bool
           ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], float]:
    """Scored pairs with match probability >= `threshold`, after (optionally) re-estimating the prior.

    Splink's match weight is ``log2(lam0 / (1 - lam0)) + log2 BF`` (BF: the product of the
    comparisons' m/u ratios). The prior lam0 comes from exact agreement with an assumed
    recall, which is too low when many true matches carry errors. With `refit`, the
    prior is the fixed point of the EM update for the match proportion over all
    ``n (n - 1) / 2`` record pairs with the m and u probabilities held fixed
    (Winkler 1988; Jaro 1989, JASA 84:414-420): ``lam = sum_ij p_ij(lam) / (n (n - 1) / 2)``
    with ``p_ij(lam) = lam BF_ij / (lam BF_ij + 1 - lam)``; pairs not blocked together
    count as p = 0, and pairs scored below p = 1e-7 at lam0 are left out (negligible).
    """
    from scipy.special import expit, logit

    base = float(logit(lam0) / np.log(2.0))
    floor = float(logit(1e-7) / np.log(2.0)) if refit else float(logit(threshold) / np.log(2.0))
    # record numbers as 32-bit integers when they fit: a million registrations give tens of millions of scored
    # pairs, and these arrays sit beside the engine's own tables (peak memory)
    uid = "cast(uid_l as integer) as uid_l, cast(uid_r as integer) as uid_r" if n < 2**31 - 1 else "uid_l, uid_r"
    sql = (f"select {uid}, match_weight from {pred.physical_name} "
           f"where match_weight >= {floor!r} order by uid_l, uid_r")
    e = db_api.query_sql(sql, output_type="pandas")
    left, right = e["uid_l"].to_numpy(), e["uid_r"].to_numpy()
    bits = e["match_weight"].to_numpy(dtype=float) - base
    del e
    lam = lam0
    ln2 = np.log(2.0)
    if refit and len(bits) and n > 1:
        total = n * (n - 1) / 2.0
        for _ in range(500):
            # in chunks: no temporary as long as all the pairs
            new = sum(float(expit(logit(lam) + bits[i:i + _CHUNK] * ln2).sum()) for i in range(0, bits.size, _CHUNK))
            new = min(max(new / total, 1e-12), 0.5)
            if abs(new - lam) <= 1e-7 * lam:
                lam = new
                break
            lam = new
    # p >= threshold, without the probabilities of all pairs
    keep = np.flatnonzero(bits >= (logit(threshold) - logit(lam)) / ln2)
    p = expit(logit(lam) + bits[keep] * ln2)
    return (left[keep].astype(np.int64), right[keep].astype(np.int64), p), float(lam)


#: pairs per chunk in the prior's fixed-point iteration of :func:`_edges`
_CHUNK = 4_000_000


#: Platt-type correction of the plaintext match probabilities: logit p is shifted by these amounts for pairs
#: where both registrations have a date of birth, and for the others. Fitted by logistic regression of the true
#: match indicator on logit p (slope 1) over the scored pairs of the tuning settings ("standard", "messy"; seeds
#: 1-2, about 5,000 persons each) of darkfigure.linkage.synthetic. Fellegi-Sunter posteriors are over-confident
#: because the comparisons are not independent given the match status (names say sex and origin; a namesake
#: born in the same year agrees on more than random pairs do); the shifts took the odds down by a factor 1.4
#: (2 without a date of birth). Since sex and nationality are weighed by their agreement among namesakes (which
#: removed that double counting) the dated pairs are under-confident instead: refitted on the same settings and
#: seeds (13,419 pairs with both dates; +2.31 on the old -0.35, +2.04 to +2.06 when fitted on the pairs between
#: 0.01 and 0.99 only) the shift raises their odds by a factor 7. The second value is not used when the dated
#: pairs can teach the undated ones (calibrate_masked). benchmarks/linkage_quality_study.py reports the effect.
CALIBRATION_SHIFT = (1.95, -0.70)


def calibrate(probability: np.ndarray, has_dob_pair: np.ndarray, shift: tuple[float, float] = CALIBRATION_SHIFT
              ) -> np.ndarray:
    """Match probabilities corrected for the Fellegi-Sunter model's over-confidence (Platt 1999 scaling, slope 1).

    ``p' = expit(logit(p) + shift[0])`` for pairs where both registrations have a date of
    birth (`has_dob_pair` True), ``shift[1]`` for the others; see
    :data:`CALIBRATION_SHIFT` for where the shifts come from.

    Parameters
    ----------
    probability : float array, shape (m,); has_dob_pair : bool array, shape (m,);
    shift : (float, float), logit shifts (0, 0: no correction).

    Returns
    -------
    float array, shape (m,), in (0, 1).
    """
    from scipy.special import expit, logit

    p = np.clip(np.asarray(probability, dtype=float), 1e-12, 1 - 1e-12)
    return expit(logit(p) + np.where(np.asarray(has_dob_pair, dtype=bool), shift[0], shift[1]))


#: lowest match probability (before calibration) of the scored pairs that :func:`calibrate_masked` learns from
MASKED_FLOOR = 1e-7


def calibrate_masked(left: np.ndarray, right: np.ndarray, probability: np.ndarray, has_dob: np.ndarray,
                     dob: np.ndarray, model: dict, tf_dob: np.ndarray | None = None
                     ) -> tuple[np.ndarray, tuple[float, float]]:
    """Calibrated match probabilities: :func:`calibrate` for dated pairs, :func:`masked_date_calibration` for the rest.

    Pairs where both registrations have a date of birth get the fixed shift
    ``CALIBRATION_SHIFT[0]``; the others ``expit(a + b logit p)`` with (a, b) learnt on
    this register's dated pairs with their dates hidden (falling back to the shift
    ``CALIBRATION_SHIFT[1]`` when too few dated pairs qualify).

    Parameters
    ----------
    left, right, probability : arrays, shape (m,): the scored pairs and their match probabilities.
    has_dob : bool array, shape (n,); dob : object array, shape (n,) (ISO dates, None when missing).
    model : dict: the linkage model (m and u of the date comparison); tf_dob : float array, shape (n,), optional.

    Returns
    -------
    (probabilities, shape (m,); (a, b), nan when the fallback was used)
    """

    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    both = has_dob[left] & has_dob[right]
    q = calibrate(probability, both)
    return apply_masked_calibration(probability, both, q,
                                    date_of_birth_log_bf(left[both], right[both], dob, model, tf_dob))


def apply_masked_calibration(probability: np.ndarray, both: np.ndarray, q: np.ndarray,
                             log_bf_dob: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """Undated pairs' probabilities from the calibration learnt on dated pairs with their dates hidden.

    Parameters
    ----------
    probability : float array, shape (m,)
        The model's match probabilities.
    both : bool array, shape (m,)
        Both records of the pair have a date of birth.
    q : float array, shape (m,)
        The dated pairs' calibrated probabilities (undated entries are replaced).
    log_bf_dob : float array, shape (both.sum(),)
        The date-of-birth log Bayes factor of every dated pair.

    Returns
    -------
    (float array of shape (m,), (a, b))
        Probabilities with undated pairs at expit(a + b logit p), and the fitted (a, b) of
        :func:`masked_date_calibration` (NaN when it could not be fitted; q unchanged then).
    """
    from scipy.special import expit, logit

    lp = logit(np.clip(np.asarray(probability, float), 1e-12, 1 - 1e-12))
    a, b = masked_date_calibration(lp[both], log_bf_dob, q[both])
    if np.isfinite(a):
        q = np.where(both, q, expit(a + b * lp))
    return q, (a, b)


def compete_missing_dates(
    n: int, left: np.ndarray, right: np.ndarray, probability: np.ndarray, has_dob: np.ndarray, threshold: float
) -> np.ndarray:
    """Match probabilities of the pairs of a registration without a date of birth, shared among its candidates.

    Without a date of birth a registration of "Thi Linh Nguyen" scores high against
    every Thi Linh Nguyen, and each pair on its own says "probably the same person".
    But the registration is of one person at most. Let the candidates be grouped into
    persons by :func:`cluster_links` at `threshold`. With o_g the largest posterior
    odds ``p / (1 - p)`` of a pair with group g, the probability that the registration
    is the person of group g and of none of the others is
    ``o_g / (1 + sum_h o_h)`` (one-to-one matching; cf. the bipartite matching of
    Sadinle 2017, JASA 112:600-612, and the assignment step of Jaro 1989). A pair
    (i, j) gets ``o_ij / (1 + o_ij + sum_{h != g(j)} o_h)``; a pair of two registrations
    without a date takes the smaller of its two values. Pairs of two registrations with
    a date of birth are unchanged.

    Parameters
    ----------
    n : int
        Number of records.
    left, right, probability : arrays of shape (m,)
        The scored pairs: record indices and match probabilities.
    has_dob : bool array of shape (n,)
        Whether each record has a date of birth.
    threshold : float
        Match probability of a link.

    Returns
    -------
    float array, shape (m,): the adjusted probabilities (never larger than the input).
    """
    p = np.asarray(probability, dtype=float)
    dl, dr = has_dob[left], has_dob[right]
    group = cluster_links(n, left, right, p, has_dob, threshold)
    odds = p / np.maximum(1.0 - p, 1e-300)
    out = p.copy()
    for side, other, sd in ((left, right, dl), (right, left, dr)):
        m = np.flatnonzero(~sd)  # pairs whose `side` record has no date of birth
        if not m.size:
            continue
        rec, grp, o = side[m], group[other[m]], odds[m]
        # largest odds per (record, group), then their sum per record
        key = pd.DataFrame({"r": rec, "g": grp, "o": o})
        best = key.groupby(["r", "g"], sort=False)["o"].max()
        total = best.groupby(level=0).sum()
        own = best.reindex(pd.MultiIndex.from_arrays([rec, grp])).to_numpy()
        rest = total.reindex(rec).to_numpy() - own
        adj = o / (1.0 + o + rest)
        out[m] = np.minimum(out[m], adj)
    return out


def cluster_links(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    probability: np.ndarray,
    has_dob: np.ndarray,
    threshold: float,
    accept: np.ndarray | None = None,
    split: bool | None = None,
) -> np.ndarray:
    """Persons from scored record pairs: connected components, with registrations lacking a date of birth
    attached to their single best match, then split where their pairs say several persons.

    Plain connected components at a threshold chain: a registration of "Jing Chen" with
    no date of birth matches every Jing Chen above the threshold and would merge them
    all into one person. Here the records with a date of birth are clustered by
    connected components of the pairs at or above `threshold`, so are the records
    without one among themselves, and each group of the latter joins the one cluster
    it has its most probable pair with (ties: the lowest record number).

    Parameters
    ----------
    n : number of records (numbered 0..n-1).
    left, right : int arrays, shape (m,): the scored pairs.
    probability : float array, shape (m,): their match probabilities.
    has_dob : bool array, shape (n,): the record has a date of birth.
    threshold : match probability at or above which a pair is a link.
    accept : bool array, shape (m,), optional: the pairs that are links (overrides
        `threshold`; e.g. one draw of the links from their match probabilities). The
        probabilities still choose the best match of a record without a date of birth.
    split : bool, optional
        Split each cluster by :func:`split_clusters` (greedy additive edge contraction of
        the log-odds of all its scored pairs): a cluster chained through one strong pair
        while its other pairs say "different persons" is cut. Default: True with a
        `threshold`, False with `accept` (a drawn linkage is kept as drawn).

    Returns
    -------
    int array, shape (n,): the cluster of each record, labelled by its smallest record
    number (so that the labels do not depend on the engine or on pair order).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    keep = probability >= threshold if accept is None else np.asarray(accept, dtype=bool)
    if keep.shape != probability.shape:
        raise ValueError(f"accept has {keep.size} values for {probability.size} pairs")
    lft, rgt, p = left[keep], right[keep], probability[keep]
    dl, dr = has_dob[lft], has_dob[rgt]
    same = dl == dr
    g = coo_matrix((np.ones(int(same.sum()), dtype=np.int8), (lft[same], rgt[same])), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    mixed = ~same
    if mixed.any():
        nodob = np.where(dl[mixed], rgt[mixed], lft[mixed])
        withdob = np.where(dl[mixed], lft[mixed], rgt[mixed])
        comp = lab[nodob]
        order = np.lexsort((withdob, -p[mixed], comp))
        first = np.ones(order.size, dtype=bool)
        first[1:] = comp[order][1:] != comp[order][:-1]
        # a component of records without a date never contains one with a date: the relabelling is one step
        mapping = np.arange(int(lab.max()) + 1)
        mapping[comp[order][first]] = lab[withdob[order][first]]
        lab = mapping[lab]
    if split if split is not None else accept is None:
        lab = split_clusters(lab, left, right, probability, threshold)
    # label = smallest record number in the cluster
    smallest = pd.Series(np.arange(n)).groupby(lab).transform("min").to_numpy(dtype=np.int64)
    return smallest


#: largest weight, in log-odds below the threshold, that one scored pair of a cluster carries against joining its two
#: records (:func:`split_clusters`): a true match whose registrations both carry errors can score 0.01, and one such
#: pair must not cut a person whose other pairs agree (capped at 2: odds 1 to 7.4; fitted on the tuning seeds 1-2 of
#: darkfigure.linkage.synthetic's settings, where no cap cut recall by 0.005-0.01 for 0.001 of precision)
SPLIT_MAX_AGAINST = 2.0


def split_clusters(labels: np.ndarray, left: np.ndarray, right: np.ndarray, probability: np.ndarray,
                   threshold: float = 0.5, max_against: float = SPLIT_MAX_AGAINST) -> np.ndarray:
    """Clusters split where the match probabilities of all their pairs say several persons.

    Connected components chain: A-B at 0.99 and B-C at 0.6 make one person of A, B and C
    even when A-C is at 0.01 (two namesakes and a registration without a date of birth
    that fits both). Within each cluster, the records are re-grouped by greedy additive
    edge contraction (Keuper et al. 2015, "Efficient decomposition of image and mesh
    graphs by lifted multicuts", ICCV; a heuristic for correlation clustering, Bansal,
    Blum & Chawla 2004, Machine Learning 56:89-113): starting from single records, the two
    groups whose cross pairs have the largest sum of ``logit p - logit threshold`` are
    merged while that sum is positive. At threshold 0.5 this is the greedy maximiser of
    the partition's likelihood when the pairs are independent (the product of the odds
    ``p / (1 - p)`` of the pairs within persons, as in the partition draws of
    :func:`~darkfigure.linkage.partition_draws.draw_partitions`); a pair never scored
    (not blocked together, or below the stored floor) is neutral, and a pair counts at
    most `max_against` against a merge (the pairwise model's confidence in "different
    persons" is overstated when both registrations carry errors). Groups are merged only
    within one input cluster, so the result refines `labels`; a lone pair is kept when
    its probability is at or above `threshold`, as without the split.

    Parameters
    ----------
    labels : int array, shape (n,): the cluster of each record (e.g. of :func:`cluster_links`).
    left, right : int arrays, shape (m,): the scored pairs (record numbers).
    probability : float array, shape (m,): their match probabilities.
    threshold : float in (0, 1): the match probability of a link.
    max_against : float >= 0: the largest weight (log-odds below `threshold`) of one pair against a merge.

    Returns
    -------
    int array, shape (n,): the refined cluster of each record, labelled by its smallest record number.
    """
    from scipy.special import logit

    lab = np.asarray(labels, dtype=np.int64)
    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    n = lab.size
    size = np.bincount(lab, minlength=n)
    inside = (lab[left] == lab[right]) & (size[lab[left]] >= 3) & (left != right)  # a pair cluster is one link: kept
    if not inside.any():
        return lab
    w = logit(np.clip(np.asarray(probability, float)[inside], 1e-9, 1 - 1e-9)) - float(logit(threshold))
    w = np.maximum(w, -float(max_against))
    a, b = left[inside], right[inside]
    # the records of the clusters to split, grouped by cluster (record order within), and each one's local number
    recs = np.flatnonzero(size[lab] >= 3)
    recs = recs[np.argsort(lab[recs], kind="stable")]
    cl, first = np.unique(lab[recs], return_index=True)
    rec_ptr = np.r_[first, recs.size].astype(np.int64)
    local = np.empty(n, np.int64)
    local[recs] = np.arange(recs.size) - np.repeat(first, np.diff(rec_ptr))
    order = np.argsort(lab[a], kind="stable")
    a, b, w = a[order], b[order], w[order]
    edge_ptr = np.searchsorted(lab[a], cl, side="left").astype(np.int64)
    edge_ptr = np.r_[edge_ptr, a.size].astype(np.int64)
    root = _contract_kernel()(rec_ptr, edge_ptr, local[a], local[b], w, SPLIT_DENSE_MAX)
    big = np.flatnonzero(root[rec_ptr[:-1]] < 0)  # clusters too large for the dense kernel (rare): by a heap
    for c in big.tolist():
        m = slice(edge_ptr[c], edge_ptr[c + 1])
        root[rec_ptr[c]:rec_ptr[c + 1]] = _contract_heap(int(rec_ptr[c + 1] - rec_ptr[c]), local[a[m]], local[b[m]],
                                                         w[m])
    out = lab.copy()
    # new labels above n cannot collide with the input's; then each cluster is labelled by its smallest record
    out[recs] = n + recs[root + np.repeat(rec_ptr[:-1], np.diff(rec_ptr))]
    return pd.Series(np.arange(n)).groupby(out).transform("min").to_numpy(dtype=np.int64)


#: largest cluster that :func:`split_clusters` contracts with a dense (k, k) matrix in compiled code; larger ones
#: (chains through common names at a million registrations) go through a heap in Python
SPLIT_DENSE_MAX = 400


def _contract_kernel():
    """The compiled greedy additive edge contraction of :func:`split_clusters` (numba, compiled on first use)."""
    from numba import njit

    @njit(cache=True)
    def contract(rec_ptr, edge_ptr, li, lj, w, kmax):  # pragma: no cover - numba
        """Per cluster c (records rec_ptr[c]:rec_ptr[c+1], edges edge_ptr[c]:edge_ptr[c+1] with local ends li, lj
        and weights w): the local number of each record's group after contraction; -1 for clusters above kmax."""
        out = np.empty(rec_ptr[-1], np.int64)
        for c in range(rec_ptr.size - 1):
            k = rec_ptr[c + 1] - rec_ptr[c]
            base = rec_ptr[c]
            if k > kmax:
                for i in range(k):
                    out[base + i] = -1
                continue
            W = np.zeros((k, k))
            for e in range(edge_ptr[c], edge_ptr[c + 1]):
                W[li[e], lj[e]] += w[e]
                W[lj[e], li[e]] += w[e]
            active = np.ones(k, np.bool_)
            grp = np.arange(k)
            while True:
                best, bx, by = 0.0, -1, -1
                for x in range(k):
                    if not active[x]:
                        continue
                    for y in range(x + 1, k):
                        if active[y] and W[x, y] > best:
                            best, bx, by = W[x, y], x, y
                if bx < 0:
                    break
                # contract by into bx: the weights of their neighbours add up
                for z in range(k):
                    W[bx, z] += W[by, z]
                    W[z, bx] += W[z, by]
                W[bx, bx] = 0.0
                active[by] = False
                for i in range(k):
                    if grp[i] == by:
                        grp[i] = bx
            for i in range(k):
                out[base + i] = grp[i]
        return out

    return contract


def _contract_heap(k: int, li: np.ndarray, lj: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Greedy additive edge contraction of one cluster of k records (local numbers) with a heap: group of each."""
    import heapq

    adj: list[dict[int, float]] = [{} for _ in range(k)]
    for x, y, v in zip(li.tolist(), lj.tolist(), w.tolist()):
        adj[x][y] = adj[x].get(y, 0.0) + v
        adj[y][x] = adj[y].get(x, 0.0) + v
    alive = [True] * k
    parent = list(range(k))
    heap = [(-v, x, y) for x in range(k) for y, v in adj[x].items() if x < y and v > 0]
    heapq.heapify(heap)
    while heap:
        v, x, y = heapq.heappop(heap)
        # stale entries: a group merged away, or the weight changed since the entry was pushed
        if not (alive[x] and alive[y]) or adj[x].get(y) != -v:
            continue
        for z, u in adj[y].items():
            del adj[z][y]
            if z == x:
                continue
            t = adj[x].get(z, 0.0) + u
            adj[x][z] = adj[z][x] = t
            if t > 0:
                heapq.heappush(heap, (-t, min(x, z), max(x, z)))
        adj[y] = {}
        alive[y] = False
        parent[y] = x
    out = np.arange(k)
    for i in range(k):
        r = i
        while parent[r] != r:
            r = parent[r]
        out[i] = r
    return out


#: date-of-birth comparison levels of the plaintext model (splink_model._plain_settings), by label, in order
_DOB_LEVELS = ("exact, 1 January", "exact", "one digit differs", "day/month swapped", "year off by 1-2",
               "day off by 1-2", "month off by 1", "two parts off a little", "same year, one is 1 January",
               "same year")


_BF_CHUNK = 2_000_000


def date_of_birth_log_bf(left: np.ndarray, right: np.ndarray, dob: np.ndarray, model: dict,
                         tf_dob: np.ndarray | None = None) -> np.ndarray:
    """Natural log of the date-of-birth Bayes factor ``m/u`` (with Splink's term-frequency adjustment) of pairs.

    Recomputes, for the scored pairs, the contribution of the plaintext date-of-birth
    comparison (levels of ``splink_model._plain_settings``, first level that applies) to
    the match weight: ``log(m_k / u_k)`` for level k, plus for the levels adjusted by the
    date's term frequency ``log(u_exact) - log(max(tf_l, tf_r))`` (Splink 4's
    ``_tf_adjustment_sql``; Winkler 1989). A pair where a date is missing contributes 0
    (Splink's null level).

    Parameters
    ----------
    left, right : int arrays, shape (m,): record numbers of the pairs.
    dob : object array, shape (n,): ISO dates of birth (``YYYY-MM-DD``, None when missing).
    model : dict: the linkage model (``LinkageResult.model``, Splink's settings with m and u).
    tf_dob : float array, shape (n,), optional: the term frequency of each record's date.

    Returns
    -------
    float array, shape (m,): the log Bayes factors (nan where the model has no m or u for the level).
    """
    if left.size > _BF_CHUNK:  # bounded memory: (pairs, 10) byte matrices per chunk
        return np.concatenate([date_of_birth_log_bf(left[i:i + _BF_CHUNK], right[i:i + _BF_CHUNK], dob, model, tf_dob)
                               for i in range(0, left.size, _BF_CHUNK)])
    comp = next((c for c in model.get("comparisons", []) if c.get("output_column_name") == "date_of_birth"), None)
    out = np.full(left.size, np.nan)
    if comp is None:
        return out
    lev = {c.get("label_for_charts"): c for c in comp["comparison_levels"]}
    d = pd.Series(dob, dtype=object)
    have = d.notna().to_numpy()
    # the dates as a (n, 10) byte matrix: parts and character differences without a Python loop over pairs
    raw = np.frombuffer(d.fillna("0000-00-00").astype(str).to_numpy().astype("S10").tobytes(), dtype=np.uint8)
    chars = raw.reshape(-1, 10) if raw.size else np.zeros((0, 10), np.uint8)
    dig = chars.astype(np.int64) - 48
    y = dig[:, 0] * 1000 + dig[:, 1] * 100 + dig[:, 2] * 10 + dig[:, 3]
    mo = dig[:, 5] * 10 + dig[:, 6]
    dd = dig[:, 8] * 10 + dig[:, 9]
    jan1 = (mo == 1) & (dd == 1)
    a, b = np.asarray(left, np.int64), np.asarray(right, np.int64)
    both = have[a] & have[b]
    exact = both & (chars[a] == chars[b]).all(axis=1)
    # Levenshtein <= 1 between two 10-character dates is one substituted character
    hamming1 = (chars[a] != chars[b]).sum(axis=1) == 1
    ya, yb, ma, mb, da, db = y[a], y[b], mo[a], mo[b], dd[a], dd[b]
    conds = [
        exact & jan1[a],
        exact,
        hamming1 & ~jan1[a] & ~jan1[b],
        (ya == yb) & (ma == db) & (da == mb),
        (ma == mb) & (da == db) & (np.abs(ya - yb) <= 2),
        (ya == yb) & (ma == mb) & (np.abs(da - db) <= 2),
        (ya == yb) & (da == db) & (np.abs(ma - mb) == 1),
        (np.abs(ya - yb) <= 2) & (((np.abs(ma - mb) <= 1) & (np.abs(da - db) <= 2)) | ((ma == db) & (da == mb))),
        (ya == yb) & (jan1[a] | jan1[b]),
        ya == yb,
    ]
    level = np.full(a.size, len(conds), dtype=np.int64)  # the else level
    for k in range(len(conds) - 1, -1, -1):
        level[conds[k] & both] = k
    return level_log_bf(comp, lev, [*_DOB_LEVELS, None], level, both, a, b, tf_dob, out)


def masked_date_calibration(logit_p: np.ndarray, log_bf_dob: np.ndarray, target: np.ndarray,
                            min_probability: float = 0.01) -> tuple[float, float]:
    """Calibration of match probabilities without a date of birth, learnt by hiding the dates of dated pairs.

    A pair of which one registration lacks a date of birth is judged on names, sex,
    nationality and registration dates alone, and how much a shared name says depends on
    how many namesakes the register holds — which differs between registers and which
    the Fellegi–Sunter model (conditional independence, term frequencies from few
    counts) gets wrong. The pairs where both dates are known show it: with the date's
    contribution removed, ``x = logit p - log BF_dob`` is the evidence such a pair would
    have had without dates, and its match probability with the dates (`target`, taken
    as the truth) says how often that evidence belongs to one person. A logistic
    regression ``target ~ expit(a + b x)`` (soft labels, maximum likelihood) over the
    dated pairs with ``expit(x) >= min_probability`` gives (a, b); undated pairs then
    get ``expit(a + b logit p)``. This is Platt (1999) scaling fitted on the register
    itself, with the known dates as the labels.

    Parameters
    ----------
    logit_p : float array, shape (m,): logit of the dated pairs' match probabilities (before calibration).
    log_bf_dob : float array, shape (m,): their date-of-birth log Bayes factors (:func:`date_of_birth_log_bf`).
    target : float array, shape (m,): their match probabilities with the dates (calibrated).
    min_probability : float: pairs whose probability without the date is below this are left out.

    Returns
    -------
    (a, b) : floats; (nan, nan) when fewer than 20 pairs, or fewer than 5 matches or non-matches, qualify.
    """
    from scipy.optimize import minimize
    from scipy.special import expit, log_expit, logit

    x = np.asarray(logit_p, float) - np.asarray(log_bf_dob, float)
    t = np.clip(np.asarray(target, float), 0.0, 1.0)
    keep = np.isfinite(x) & np.isfinite(t) & (x >= logit(min_probability))
    x, t = x[keep], t[keep]
    if x.size < 20 or t.sum() < 5 or (1 - t).sum() < 5:
        return float("nan"), float("nan")

    def nll(theta):
        """Negative log-likelihood of the logistic calibration and its gradient, theta = (intercept, slope)."""
        z = theta[0] + theta[1] * x
        ll = t * log_expit(z) + (1 - t) * log_expit(-z)
        r = t - expit(z)
        return -ll.sum(), -np.array([r.sum(), (r * x).sum()])

    res = minimize(nll, np.array([0.0, 1.0]), jac=True, method="L-BFGS-B",
                   bounds=[(-20, 20), (0.05, 5.0)])
    return float(res.x[0]), float(res.x[1])
