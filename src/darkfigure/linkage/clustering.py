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
    sql = (f"select uid_l, uid_r, match_weight from {pred.physical_name} "
           f"where match_weight >= {floor!r} order by uid_l, uid_r")
    e = db_api.query_sql(sql, output_type="pandas")
    bits = e["match_weight"].to_numpy(dtype=float) - base
    lam = lam0
    if refit and len(bits) and n > 1:
        total = n * (n - 1) / 2.0
        ln_bf = bits * np.log(2.0)
        for _ in range(500):
            new = float(expit(logit(lam) + ln_bf).sum() / total)
            new = min(max(new, 1e-12), 0.5)
            if abs(new - lam) <= 1e-7 * lam:
                lam = new
                break
            lam = new
    p = expit(logit(lam) + bits * np.log(2.0))
    keep = p >= threshold
    return ((e["uid_l"].to_numpy(dtype=np.int64)[keep], e["uid_r"].to_numpy(dtype=np.int64)[keep], p[keep]),
            float(lam))


#: Platt-type correction of the plaintext match probabilities: logit p is shifted by these amounts for pairs
#: where both registrations have a date of birth, and for the others. Fitted by logistic regression of the true
#: match indicator on logit p (slope 1) over the scored pairs of the tuning settings ("standard", "messy"; seeds
#: 1-2, about 5,000 persons each) of darkfigure.linkage.synthetic. Fellegi-Sunter posteriors are over-confident
#: because the comparisons are not independent given the match status (names say sex and origin; a namesake
#: born in the same year agrees on more than random pairs do); the shifts take the odds down by a factor 1.4
#: (2 without a date of birth). benchmarks/linkage_quality_study.py reports the effect on held-out settings.
CALIBRATION_SHIFT = (-0.35, -0.70)


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
) -> np.ndarray:
    """Persons from scored record pairs: connected components, with registrations lacking a date of birth
    attached to their single best match.

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
    # label = smallest record number in the cluster
    smallest = pd.Series(np.arange(n)).groupby(lab).transform("min").to_numpy(dtype=np.int64)
    return smallest
