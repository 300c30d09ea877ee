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

# calibration of the match probabilities, re-exported here so imports from this module keep working
from .calibration import (  # noqa: F401
    _BF_CHUNK,
    _DOB_LEVELS,
    CALIBRATION_SHIFT,
    MASKED_FLOOR,
    apply_masked_calibration,
    calibrate,
    calibrate_masked,
    date_of_birth_log_bf,
    masked_date_calibration,
)


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
#: weight against a merge of a pair at probability exactly 0 in :func:`split_clusters`: a cannot-link (two registrations
#: of one organisation and one day under different first names, twin_evidence.with_cannot_links), never outweighed
CANNOT_LINK_WEIGHT = 1e9


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
    persons" is overstated when both registrations carry errors); a pair at probability exactly 0 is a
    cannot-link (weight :data:`CANNOT_LINK_WEIGHT`: its records never end in one group). Groups are merged only
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
    prob = np.asarray(probability, float)[inside]
    w = logit(np.clip(prob, 1e-9, 1 - 1e-9)) - float(logit(threshold))
    w = np.where(prob <= 0, -CANNOT_LINK_WEIGHT, np.maximum(w, -float(max_against)))  # 0: a cannot-link
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


def calibration_note(fitted: dict, a: float, b: float, shift: tuple[float, float]) -> str:
    """The link note saying how the match probabilities were corrected for over-confidence.

    Parameters
    ----------
    fitted : dict
        ``calibrate_masked``'s ``fitted`` (``"dated"``: the dated pairs' (a, b) when fitted on the register).
    a, b : float
        The undated pairs' calibration, learnt from the dated pairs with their dates hidden (NaN: not learnt).
    shift : (float, float)
        The fixed logit shifts (with, without a date of birth) used where nothing was fitted.
    """
    ad, bd = fitted.get("dated", (float("nan"), float("nan")))
    with_dob = (f"with dates of birth: logit a + b x + log BF_dob, x = logit p - log BF_dob, a = {ad:.2f}, "
                f"b = {bd:.2f}, fitted on their date levels" if np.isfinite(ad)
                else f"logit shifted by {shift[0]:g} with dates of birth")
    how = (f"without: logit a + b logit p, a = {a:.2f}, b = {b:.2f}, learnt from the dated pairs with their "
           "dates hidden" if np.isfinite(a) else f"without: shifted by {shift[1]:g}")
    return f"match probabilities corrected for over-confidence ({with_dob}; {how})"
