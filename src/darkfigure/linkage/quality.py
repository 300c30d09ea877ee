"""Linkage quality: pairwise and cluster metrics against a known truth, and match-weight tables.

Why it matters for multiple systems estimation: N̂ is computed from the capture
histories that linkage builds. A false match merges two persons into one (fewer
observed persons, more overlap between lists), so N̂ shrinks; a missed match
splits one person into two (more persons, less overlap), so N̂ grows. The size of
both errors is measured here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .unblocked import unblocked_matches  # noqa: F401 - moved there, re-exported

__all__ = ["pairwise_quality", "weight_histogram", "plot_weight_histogram", "expected_link_errors", "true_link_errors",
           "unblocked_matches"]


def _pairs(n: np.ndarray) -> float:
    n = np.asarray(n, dtype=float)
    return float((n * (n - 1) / 2).sum())


def pairwise_quality(truth: Sequence | pd.Series, found: Sequence | pd.Series) -> dict[str, float]:
    """Compare a linkage (found person per record) with the true person per record.

    Parameters
    ----------
    truth, found : sequences of length n (records)
        True and found person identifier of each record, in the same record order.
        Missing true identifiers are not allowed.

    Returns
    -------
    dict
        ``records``; ``true_persons``, ``found_persons`` (number of clusters);
        ``true_pairs``, ``found_pairs``, ``correct_pairs`` (record pairs put in one
        person by the truth, by the linkage, by both);
        ``precision = correct/found``, ``recall = correct/true``, ``f1`` (their
        harmonic mean) — the pairwise measures of Christen (2012, *Data Matching*,
        ch. 7); ``adjusted_rand`` (Hubert & Arabie 1985, J. Classif. 2:193-218);
        ``bcubed_precision``, ``bcubed_recall``, ``bcubed_f1`` (Bagga & Baldwin 1998:
        averaged over records, the share of a record's found cluster that truly
        belongs with it, and of its true cluster that was found with it).
        Precision is 1 when no pair was linked; recall is 1 when there are no true pairs.

    Raises
    ------
    ValueError
        Different lengths, or a missing true identifier.
    """
    t = pd.Series(np.asarray(truth, dtype=object))
    f = pd.Series(np.asarray(found, dtype=object))
    if len(t) != len(f):
        raise ValueError(f"truth has {len(t)} records but the linkage has {len(f)}")
    if t.isna().any() or (t.astype(str).str.strip() == "").any():
        row = int(np.flatnonzero((t.isna() | (t.astype(str).str.strip() == "")).to_numpy())[0])
        raise ValueError(f"the true person identifier is missing in record {row}")
    n = len(t)
    ti = pd.factorize(t)[0]
    fi = pd.factorize(f)[0]
    joint = pd.Series(1, index=pd.MultiIndex.from_arrays([ti, fi])).groupby(level=[0, 1]).size().to_numpy()
    a = np.bincount(ti)
    b = np.bincount(fi)
    tp, true_pairs, found_pairs = _pairs(joint), _pairs(a), _pairs(b)
    precision = tp / found_pairs if found_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    total = n * (n - 1) / 2
    expected = true_pairs * found_pairs / total if total else 0.0
    mx = (true_pairs + found_pairs) / 2
    ari = (tp - expected) / (mx - expected) if mx != expected else 1.0
    # B-cubed: for a record in true cluster i and found cluster j, precision n_ij/b_j, recall n_ij/a_i
    key = pd.DataFrame({"t": ti, "f": fi})
    nij = key.groupby(["t", "f"])["t"].transform("size").to_numpy(dtype=float)
    bp = float(np.mean(nij / b[fi])) if n else 1.0
    br = float(np.mean(nij / a[ti])) if n else 1.0
    bf = 2 * bp * br / (bp + br) if bp + br else 0.0
    return {
        "records": n,
        "true_persons": int(a.size),
        "found_persons": int(b.size),
        "true_pairs": int(true_pairs),
        "found_pairs": int(found_pairs),
        "correct_pairs": int(tp),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "adjusted_rand": float(ari),
        "bcubed_precision": bp,
        "bcubed_recall": br,
        "bcubed_f1": bf,
    }


def weight_histogram(counts: pd.DataFrame, threshold: float | None = None) -> pd.DataFrame:
    """Shape a count of scored record pairs per match-weight bin into the published table.

    Parameters
    ----------
    counts : DataFrame with columns ``bin`` (lower edge, in bits = log2 Bayes factor)
        and ``pairs`` (number of compared record pairs in ``[bin, bin + width)``).
    threshold : float, optional
        Match probability used for clustering; marks the bins at or above it.

    Returns
    -------
    DataFrame ``weight_lower, weight_upper, probability_lower, probability_upper, pairs,
    share, above_threshold``, sorted by weight. The match probability of a weight w is
    ``2^w / (1 + 2^w)`` (Fellegi & Sunter 1969, JASA 64:1183-1210; the weight includes
    the prior odds of a match, as in Splink).

    Without a known truth this distribution is the main check on a linkage: true
    matches and non-matches should form two humps with few pairs in between; many
    pairs near the threshold mean the clusters (and N̂) depend on where it is put.
    """
    c = counts.sort_values("bin").reset_index(drop=True)
    edges = c["bin"].to_numpy(dtype=float)
    width = float(np.min(np.diff(edges))) if len(edges) > 1 else 1.0
    lo, hi = edges, edges + width
    out = pd.DataFrame(
        {
            "weight_lower": lo,
            "weight_upper": hi,
            "probability_lower": _prob(lo),
            "probability_upper": _prob(hi),
            "pairs": c["pairs"].to_numpy(dtype=np.int64),
        }
    )
    tot = out["pairs"].sum()
    out["share"] = out["pairs"] / tot if tot else 0.0
    if threshold is not None:
        out["above_threshold"] = (out["probability_lower"] >= threshold).astype(int)
    return out


def _prob(w: np.ndarray) -> np.ndarray:
    from scipy.special import expit

    return expit(np.asarray(w, dtype=float) * np.log(2.0))


def plot_weight_histogram(hist: pd.DataFrame, path: str | Path, threshold: float | None = None) -> Path:
    """Draw the match-weight histogram (log count of pairs by weight) to a PNG file.

    Parameters
    ----------
    hist : DataFrame from :func:`weight_histogram`.
    path : file name of the PNG.
    threshold : match probability of the clustering threshold, drawn as a vertical line.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar(hist["weight_lower"], hist["pairs"], width=hist["weight_upper"] - hist["weight_lower"], align="edge",
           color="#4c72b0")
    ax.set_yscale("log")
    ax.set_xlabel("match weight (log2 Bayes factor incl. prior)")
    ax.set_ylabel("record pairs")
    if threshold is not None:
        ax.axvline(float(np.log2(threshold / (1 - threshold))), color="#c44e52", ls="--",
                   label=f"threshold p = {threshold:g}")
        ax.legend()
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _org_pair_frame(orgs: np.ndarray, a: np.ndarray, b: np.ndarray, values: dict[str, np.ndarray],
                    names: Sequence[str]) -> pd.DataFrame:
    """Sum `values` over record pairs (a, b) by unordered pair of organisations, in the order of `names`."""
    code = pd.Index(names).get_indexer(orgs)
    i, j = code[a], code[b]
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    k = len(names)
    out = []
    grid = [(x, y) for x in range(k) for y in range(x, k)]
    key = lo * k + hi
    for v in values.values():
        out.append(np.bincount(key, weights=np.asarray(v, dtype=float), minlength=k * k))
    rows = []
    for x, y in grid:
        rows.append({"organisation_l": names[x], "organisation_r": names[y],
                     **{col: float(o[x * k + y]) for col, o in zip(values, out)}})
    return pd.DataFrame(rows)


def _cluster_pairs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All record pairs (a < b) that share a cluster label."""
    order = np.argsort(labels, kind="stable")
    lab = labels[order]
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])
    sizes = np.diff(np.r_[starts, lab.size])
    a_out, b_out = [], []
    for size in np.unique(sizes[sizes > 1]):
        st = starts[sizes == size]
        idx = order[st[:, None] + np.arange(size)[None, :]]  # (clusters, size)
        ii, jj = np.triu_indices(size, 1)
        a, b = idx[:, ii].ravel(), idx[:, jj].ravel()
        a_out.append(np.minimum(a, b))
        b_out.append(np.maximum(a, b))
    if not a_out:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(a_out).astype(np.int64), np.concatenate(b_out).astype(np.int64)


#: largest number of two-step chains :func:`_joined_probability` builds (very large persons: the bound p_a p_b)
TWO_STEP_ROWS = 2e7


def _joined_probability(n: int, lo: np.ndarray, hi: np.ndarray, p: np.ndarray, inside: np.ndarray,
                        ca: np.ndarray, cb: np.ndarray, threshold: float | None = None) -> np.ndarray:
    """Probability that each pair (ca, cb) of registrations joined in one person is one person.

    A scored pair has its own match probability. A pair joined only through others is
    right when the chain that joins it is: its probability is the largest, over the
    registrations k it shares a scored pair with, of ``p_ak p_kb`` (both steps right,
    taken as independent); pairs joined only through longer chains (or in persons so large
    that the two-step chains exceed :data:`TWO_STEP_ROWS`) get ``p_a p_b`` with p_a the
    largest probability of a scored pair of a inside its person (an upper bound). A scored
    pair below `threshold` was joined through others too (its own score said no): it gets
    the larger of its own probability and its chain's (transitivity: a misspelt registration
    that two others match is one person with both, whatever its score against each). A
    scored pair at or above `threshold` gets the larger of its own probability and its best
    two-step chain (not the p_a p_b bound): if a~k and k~b then a~b, so P(a~b) >= P(a~k and
    k~b). On 12 tuning populations (four settings of darkfigure.linkage.synthetic, seeds
    5000-5002) the linked pairs at p 0.5-0.97 carried 441 expected false links with their own
    p where 340 were false; with the chains the expected false links were 379 against 433
    true in all (1-q per bin within 15 % of the false share from 0.03 up).
    """
    scored = pd.Series(p[inside], index=lo[inside] * n + hi[inside])
    scored = scored[~scored.index.duplicated()]
    own = scored.reindex(ca * n + cb).to_numpy(dtype=float, copy=True)
    best = np.zeros(n)
    np.maximum.at(best, lo[inside], p[inside])
    np.maximum.at(best, hi[inside], p[inside])
    below = np.isfinite(own) & (own < threshold) if threshold is not None else np.zeros(own.size, bool)
    above = np.isfinite(own) & ~below if threshold is not None else np.zeros(own.size, bool)
    q = np.where(below | above, np.nan, own)
    miss = np.isnan(q)
    deg = np.bincount(np.r_[lo[inside], hi[inside]], minlength=n)
    if miss.any() and float((deg.astype(float) ** 2).sum()) <= TWO_STEP_ROWS:
        # two steps: (a, k, p_ak) joined with (k, b, p_kb) over the scored pairs inside persons, both directions
        e = pd.DataFrame({"u": np.r_[lo[inside], hi[inside]], "k": np.r_[hi[inside], lo[inside]],
                          "w": np.r_[p[inside], p[inside]]})
        want = pd.Index(ca[miss] * n + cb[miss])
        two = e.merge(e.rename(columns={"u": "v", "w": "w2"}), on="k")
        two = two[two["u"] < two["v"]]
        key = two["u"].to_numpy(np.int64) * n + two["v"].to_numpy(np.int64)
        hit = want.isin(key) if len(key) else np.zeros(len(want), bool)
        if hit.any():
            path = pd.Series(two["w"].to_numpy() * two["w2"].to_numpy(), index=key)
            path = path[path.index.isin(want)].groupby(level=0).max()
            q[np.flatnonzero(miss)] = path.reindex(want).to_numpy()
    chain = q.copy()  # the two-step chains found (NaN: none)
    miss = np.isnan(q) & ~above
    q[miss] = best[ca[miss]] * best[cb[miss]]
    return np.where(below, np.fmax(own, q), np.where(above, np.fmax(own, chain), q))


def _apart_probability(labels: np.ndarray, lo: np.ndarray, hi: np.ndarray, p: np.ndarray, inside: np.ndarray,
                       threshold: float | None) -> np.ndarray:
    """Probability that each scored pair is one person, for pairs left in different persons (transitivity).

    A pair left apart joins two persons A and B; if they are one person, every pair between
    them is a missed link, and the other pairs between them are evidence too (a pair scored at
    or above `threshold` that the clustering left apart was split off by them: ``cluster_links``
    does not chain through weak links). The chance that A and B are one is taken as in the
    partition model of the linkage draws (:func:`~darkfigure.linkage.partition_draws.draw_partitions`:
    a registration joins a person with odds the product of the odds ``p / (1 - p)`` of its
    scored pairs with that person's members): ``expit(sum of logit p over the scored pairs
    between A and B)``, never more than the pair's own p. The mirror of
    :func:`_joined_probability`, which raises linked pairs scored below the threshold to their
    chain's probability.

    Until 2026-12-07 only the pairs at or above the threshold took the persons' odds (tuned on
    seeds 2000-2001 of ``standard``, ``typos``, ``no_dob``, ``recurring_names`` of
    darkfigure.linkage.synthetic: 80 such pairs carried 54.5 expected missed links with their
    own p where 18 were true; 15.5 with the persons' odds). The pairs below it then kept their
    own p, which counts a namesake person several times over: on seeds 5000-5002 of the same
    settings (12 populations, the code of 7 Dec) the pairs of two dated registrations left
    apart below the threshold between a person of several registrations and another carried
    153 expected missed links by their own p where 27 were true (between two persons of several:
    75 expected, none true); with the persons' odds 33 (27 true); over all such pairs 63 where
    82 are (by setting ``no_dob`` 17 / 21, ``recurring_names`` 22 / 23, ``standard`` 7 / 4,
    ``typos`` 17 / 34; by their own p 183 in all). Counting each pair of persons once with all
    its dated pairs (probability times the product of the persons' sizes) gave 98: the true
    missed pairs between two persons were all among the scored ones.

    Returns
    -------
    float array, shape (m,): the probability (entries of pairs inside one person: their p, unused;
    `threshold` None: every pair its own p).
    """
    q = np.asarray(p, dtype=float).copy()
    if threshold is None:
        return q
    out = ~inside  # every pair left apart (until 2026-12-07 only those at or above the threshold)
    if not out.any():
        return q
    from scipy.special import expit, logit

    la, lb = labels[lo[out]], labels[hi[out]]
    key = np.minimum(la, lb).astype(np.int64) * (int(labels.max()) + 1) + np.maximum(la, lb)
    z = logit(np.clip(q[out], 1e-12, 1 - 1e-12))
    person_pair = pd.Series(z).groupby(key).transform("sum").to_numpy()
    q[out] = np.minimum(q[out], expit(person_pair))
    return q

def expected_link_errors(
    organisations: Sequence[str] | np.ndarray,
    pairs: pd.DataFrame,
    labels: Sequence[int] | np.ndarray,
    threshold: float | None = 0.5,
    has_date_of_birth: Sequence[bool] | np.ndarray | None = None,
    trait: dict | None = None,
) -> pd.DataFrame:
    """Expected numbers of false and missed links per pair of organisations, from the match probabilities.

    No truth is needed: the Fellegi–Sunter posterior match probability p of each scored
    record pair (Fellegi & Sunter 1969, JASA 64:1183-1210; calibrated by the prior that
    :func:`~darkfigure.linkage.link.link` re-estimates over all pairs) is the chance that
    the two registrations are one person. A *link* is a pair of registrations that the
    linkage put in one person (the pairs that pairwise precision counts). Then

    * expected false links = sum over linked pairs of (1 - p); a linked pair that was not
      scored, or scored below `threshold` (joined only through a third registration k)
      gets p = max_k p_ak p_kb (both steps of the chain right; for a scored pair the larger
      of that and its own p), or, joined through a longer chain, p_a p_b with p_a the
      largest probability of a scored link of registration a inside its person; a pair
      scored at or above `threshold` takes the larger of its own p and its best two-step
      chain (:func:`_joined_probability`). Without
      the chains for scored pairs, a registration with typos in both names that two others
      match with certainty counts as nearly two false links (benchmarks/linkage_quality_study.py:
      estimated false links 1.1-2.0 times the true number, 0.7-1.2 with them);
    * expected missed links = sum over the scored pairs that were not linked of the
      probability that their two persons are one (the product of the odds of all scored pairs
      between them, never more than the pair's own p: :func:`_apart_probability`; until
      2026-12-07 only for pairs at or above `threshold`, the others by their own p, which
      counted a namesake person of several registrations once per pair). Pairs never compared (not blocked together)
      or scored below the floor of the pair table (0.001) are not counted, so this is a
      lower bound when blocking misses true matches;
    * with `has_date_of_birth`, the pairs of a registration without a date of birth with a dated one are
      counted instead by the assignment model of the undated registrations
      (:func:`~darkfigure.linkage.undated_errors.undated_link_errors`: the registration is one of its candidate
      persons, or nobody, so its pairs with all of that person's members are missed or linked together). On
      tester 15a's realistic seeds 1-2 and tester 14a's mild seed 131 the missed links (with the matches never
      compared) were 76, 80 and 487 by the sums of p, 110, 86 and 674 with the model, where 104, 95 and 717
      are; the false links 76, 66 and 121 by the sums, 69, 83 and 92 with it, where 64, 49 and 94 are
      (held out: docs/methods/linkage.md, "Registrations without a date of birth").

    The counts are record pairs, as in pairwise precision and recall; within-organisation
    pairs (duplicates) appear as rows with ``organisation_l == organisation_r``. They
    estimate what a missed link costs N̂ (a person split in two) and a false link (two
    persons merged), per pair of lists, for the correction of N̂ (Ding & Fienberg 1994;
    Di Consiglio & Tuoto 2015).

    Parameters
    ----------
    organisations : array of str, shape (n,)
        Organisation of each registration (`LinkageResult.records["organisation"]`).
    pairs : DataFrame, shape (m, 3)
        ``record_l, record_r, match_probability`` (`LinkageResult.pairs`).
    labels : int array, shape (n,)
        Cluster (person) of each registration, e.g. from
        :func:`~darkfigure.linkage.link.persons_from_pairs`.
    threshold : float or None
        The match probability at which the linkage joined two registrations (its
        ``threshold``); scored pairs below it that are linked were joined through others,
        scored pairs at or above it that are apart were split off by others.
        None: every scored pair keeps its own probability.
    has_date_of_birth : bool array, shape (n,), optional
        Whether each registration has a date of birth (`LinkageResult.records["has_date_of_birth"]`). None:
        every pair by the sums of p (as before 2026-12-06).
    trait : dict, optional
        Missing dates a person's trait: the applied estimate of :func:`~darkfigure.linkage.undated_trait.trait_estimate`
        for the undated registrations' assignment model (:func:`~darkfigure.linkage.undated_errors.undated_link_errors`).

    Returns
    -------
    DataFrame, one row per unordered pair of organisations (k (k + 1) / 2 rows, in order
    of first appearance): ``organisation_l, organisation_r, links`` (linked record pairs),
    ``false_links``, ``missed_links`` (expected), ``uncertain_pairs`` (scored pairs with
    0.05 <= p <= 0.95), ``expected_matches`` (expected number of truly matching record
    pairs: links - false + missed), ``undated_false_links``, ``undated_missed_links`` (the parts of
    ``false_links`` and ``missed_links`` from the assignment model of the undated registrations; 0 without
    `has_date_of_birth`).

    Raises
    ------
    ValueError
        Lengths that do not agree, or record positions outside ``0..n-1``.
    """
    orgs = np.asarray(organisations, dtype=object).astype(str)
    lab = pd.factorize(np.asarray(labels))[0]
    n = orgs.size
    if lab.size != n:
        raise ValueError(f"labels has {lab.size} values for {n} registrations")
    names = list(pd.unique(orgs))
    a = pairs["record_l"].to_numpy(dtype=np.int64)
    b = pairs["record_r"].to_numpy(dtype=np.int64)
    p = pairs["match_probability"].to_numpy(dtype=float)
    if a.size and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= n):
        raise ValueError(f"pairs refer to registrations outside 0..{n - 1}")
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    inside = lab[lo] == lab[hi]
    ca, cb = _cluster_pairs(lab)
    q = _joined_probability(n, lo, hi, p, inside, ca, cb, threshold)
    apart = _apart_probability(lab, lo, hi, p, inside, threshold)
    undated = None
    if has_date_of_birth is not None:
        dob = np.asarray(has_date_of_birth, dtype=bool)
        if dob.size != n:
            raise ValueError(f"has_date_of_birth has {dob.size} values for {n} registrations")
        from .undated_errors import undated_link_errors

        undated = undated_link_errors(orgs, dob, pairs, lab, trait)
    if undated is not None:
        # pairs of a unit's registration with a dated one: counted by the model, not by their own p
        unit = undated[1] >= 0

        def by_model(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            """Pairs (x, y) that :func:`undated_link_errors` counts (bool array of their shape)."""
            return (unit[x] & dob[y]) | (unit[y] & dob[x])

        q = np.where(by_model(ca, cb), 1.0, q)
        apart = np.where(by_model(lo, hi), 0.0, apart)
    links = _org_pair_frame(orgs, ca, cb, {"links": np.ones(ca.size), "false_links": 1.0 - q}, names)
    other = _org_pair_frame(orgs, lo, hi, {"missed_links": np.where(~inside, apart, 0.0),
                                           "uncertain_pairs": ((p >= 0.05) & (p <= 0.95)).astype(float)}, names)
    res = links.merge(other, on=["organisation_l", "organisation_r"])
    res["undated_false_links"], res["undated_missed_links"] = 0.0, 0.0
    if undated is not None:
        extra = res[["organisation_l", "organisation_r"]].merge(undated[0], how="left").fillna(0.0)
        res["undated_false_links"] = extra["undated_false_links"].to_numpy()
        res["undated_missed_links"] = extra["undated_missed_links"].to_numpy()
        res["false_links"] += res["undated_false_links"]
        res["missed_links"] += res["undated_missed_links"]
    res["expected_matches"] = res["links"] - res["false_links"] + res["missed_links"]
    first = ["organisation_l", "organisation_r", "links", "false_links", "missed_links", "uncertain_pairs",
             "expected_matches"]  # the columns before 2026-12-06 first, in their order
    return res[first + ["undated_false_links", "undated_missed_links"]]


def true_link_errors(organisations: Sequence[str] | np.ndarray, truth: Sequence, labels: Sequence) -> pd.DataFrame:
    """The true numbers of false and missed links per pair of organisations (synthetic data with a known truth).

    Same rows and record-pair counting as :func:`expected_link_errors`: ``links`` (pairs
    in one found person), ``false_links`` (of those, pairs of different true persons),
    ``missed_links`` (pairs of one true person put in different found persons),
    ``true_matches``.

    Raises
    ------
    ValueError
        Lengths that do not agree.
    """
    orgs = np.asarray(organisations, dtype=object).astype(str)
    t = pd.factorize(np.asarray(truth, dtype=object))[0]
    f = pd.factorize(np.asarray(labels))[0]
    if not (orgs.size == t.size == f.size):
        raise ValueError("organisations, truth and labels must have one value per registration")
    names = list(pd.unique(orgs))
    fa, fb = _cluster_pairs(f)
    ta, tb = _cluster_pairs(t)
    links = _org_pair_frame(orgs, fa, fb, {"links": np.ones(fa.size), "false_links": (t[fa] != t[fb]).astype(float)},
                            names)
    miss = _org_pair_frame(orgs, ta, tb, {"true_matches": np.ones(ta.size),
                                          "missed_links": (f[ta] != f[tb]).astype(float)}, names)
    return links.merge(miss, on=["organisation_l", "organisation_r"])
