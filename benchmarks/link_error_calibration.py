"""Are the expected false and missed links calibrated? Per pair, by the persons around it, against a known truth.

For each synthetic population (``clearing_house`` registrations in a named error setting of
:data:`darkfigure.linkage.synthetic.REGISTRATION_SCENARIOS`) the registrations are linked
(:func:`darkfigure.linkage.link`, defaults) and every scored pair is set beside the truth:

* pairs left apart, by the probability the estimate gives them
  (:func:`darkfigure.linkage.quality.expected_link_errors`: its own p, lowered by
  ``_apart_probability`` above the threshold) and by the persons they join: two lone
  registrations (``1x1``), a lone registration and a person of several (``1xm``), two persons
  of several (``mxm``): expected against true matches;
* pairs linked (in one person, scored or not), by 1 - q: expected against true false links;
* per population: the estimated false and missed links (with the matches never compared,
  ``unblocked_matches``) against ``true_link_errors`` (every pair of one true person in two
  found persons), and the true missed pairs that were never scored, split into those between
  two persons that share a scored pair and the others.

Measured 2026-12-06 on seeds 5000-5002 of standard, typos, no_dob and recurring_names (the
tuning populations of the chains in ``quality._joined_probability``; the reporting seeds of
``linkage_uncertainty_study.py`` are 3000-3012): see docs/methods/linkage.md, "Expected false and
missed links".

The matches never compared (``unblocked_matches``, now ``darkfigure.linkage.unblocked``) were tuned on the same
populations (2026-12-06, later): 84 estimated where 78 are (was 14: the swapped-name comparisons of its
exact-agreement lists compared codes of two separate factorisations); by setting standard 13/3, typos 7/34, no_dob
23/26, recurring_names 40/15. The missed links in all: 471 estimated, 480 true (was 401). Tester 12's seeds
201-203 and 301-303 (``independent_linkage_check.py``) were used too: 122 where 133 are (was 24).

Run: ``nice -n 10 python benchmarks/link_error_calibration.py --seeds 5000-5002`` (about 30 s a
population on 2 cores).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from darkfigure.linkage import link, simulate_registrations
from darkfigure.linkage.quality import (
    _apart_probability,
    _cluster_pairs,
    _joined_probability,
    true_link_errors,
)

BINS = [0, 0.003, 0.01, 0.03, 0.1, 0.3, 0.5, 0.9, 1.0001]


def one_population(setting: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Link one population; return (pairs apart, pairs linked, totals) beside the truth."""
    regs = simulate_registrations("clearing_house", seed=seed, errors=setting).registrations
    res = link(regs, seed=seed, threads=2)
    orgs, pairs, thr = res.records["organisation"].to_numpy(), res.pairs, float(res.threshold)
    lab = pd.factorize(res.links["person_id"].to_numpy())[0]
    t = pd.factorize(regs["true_person_id"].astype(str).to_numpy())[0]
    n = lab.size
    a, b = pairs["record_l"].to_numpy(np.int64), pairs["record_r"].to_numpy(np.int64)
    lo, hi, p = np.minimum(a, b), np.maximum(a, b), pairs["match_probability"].to_numpy(float)
    inside = lab[lo] == lab[hi]
    ca, cb = _cluster_pairs(lab)
    qj = _joined_probability(n, lo, hi, p, inside, ca, cb, thr)
    q = _apart_probability(lab, lo, hi, p, inside, thr)
    size = np.bincount(lab)
    one_l, one_r = size[lab[lo]] == 1, size[lab[hi]] == 1
    kind = np.where(one_l & one_r, "1x1", np.where(one_l | one_r, "1xm", "mxm"))
    out = ~inside
    apart = pd.DataFrame({"kind": kind[out], "p": p[out], "q": q[out], "true": t[lo[out]] == t[hi[out]]})
    linked = pd.DataFrame({"q": qj, "false": t[ca] != t[cb]})
    tr = true_link_errors(orgs, regs["true_person_id"], lab)
    le = res.linkage_errors
    # true missed pairs never scored: between two found persons that share a scored pair, or not
    ta, tb = _cluster_pairs(t)
    split = lab[ta] != lab[tb]
    scored = pd.Index(ta * n + tb).isin(pd.Index(lo * n + hi))
    k = int(lab.max()) + 1
    touch = pd.Index(np.minimum(lab[ta], lab[tb]) * k + np.maximum(lab[ta], lab[tb])).isin(
        pd.Index(np.minimum(lab[lo[out]], lab[hi[out]]) * k + np.maximum(lab[lo[out]], lab[hi[out]])))
    totals = {"setting": setting, "seed": seed, "false_est": float(le["false_links"].sum()),
              "false_true": int(tr["false_links"].sum()), "missed_est": float(le["missed_links"].sum()),
              "unblocked_est": float(le["unblocked_matches"].sum()) if "unblocked_matches" in le else 0.0,
              "missed_true": int(tr["missed_links"].sum()), "missed_true_scored": int((split & scored).sum()),
              "missed_true_unscored_touching": int((split & ~scored & touch).sum()),
              "missed_true_never_compared": int((split & ~scored & ~touch).sum())}
    return apart, linked, totals


def tables(apart: pd.DataFrame, linked: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Calibration of the pairs apart (by kind and bin of q) and of the linked pairs (by bin of 1 - q)."""
    apart = apart.assign(bin=pd.cut(apart["q"], BINS, right=False))
    ta = apart.groupby(["kind", "bin"], observed=True).agg(pairs=("q", "size"), own_p=("p", "sum"),
                                                          expected=("q", "sum"), true=("true", "sum"))
    linked = linked.assign(bin=pd.cut(1 - linked["q"], BINS, right=False), e=1 - linked["q"])
    tl = linked.groupby("bin", observed=True).agg(pairs=("q", "size"), expected_false=("e", "sum"),
                                                 false=("false", "sum"))
    return ta, tl


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--settings", default="standard,typos,no_dob,recurring_names")
    ap.add_argument("--seeds", default="5000-5002", help="first-last")
    a = ap.parse_args()
    first, last = (int(x) for x in a.seeds.split("-"))
    parts = [one_population(s, seed) for s in a.settings.split(",") for seed in range(first, last + 1)]
    ta, tl = tables(pd.concat([x[0] for x in parts]), pd.concat([x[1] for x in parts]))
    tot = pd.DataFrame([x[2] for x in parts])
    with pd.option_context("display.width", 250, "display.max_rows", 200):
        print("pairs left apart: expected (q) and true matches\n", ta.round(1).to_string(), sep="")
        print("pairs linked: expected and true false links\n", tl.round(1).to_string(), sep="")
        print(tot.round(1).to_string(index=False))


if __name__ == "__main__":
    main()
