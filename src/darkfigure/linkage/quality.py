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

__all__ = ["pairwise_quality", "weight_histogram", "plot_weight_histogram"]


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
