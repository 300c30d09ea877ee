"""Do the linkage draws rejoin the persons the point linkage split? Pairs of as-linked persons against the truth.

For the dated registrations of a truth-known link run: every pair of as-linked persons with at least one scored
dated pair between them, binned by the largest match probability of those pairs and split by the persons' sizes
(1x1: two lone registrations; 1xm: one and a person of several; mxm), with the share that is truly one person (the
persons' majority true identities agree) and the share of draws that join them (mean over their cross pairs), for
each join rule of :func:`darkfigure.linkage.partition_draws.draw_partitions`; then the dated persons (and true
persons split) as linked, in the draws, and true, and the largest cross p of the true persons the linkage split.

Populations: a folder with ``link/`` (``darkfigure link --truth``) and ``truth.csv`` (``record_id, person_id``),
as tester 18a's ``pipeline.sh`` writes; or ``sim:ERRORS:SEED`` (the project's ``clearing_house`` simulator, linked
here). Measured 2026-12-07 (docs/methods/linkage.md, "Split persons in the draws").

Run: ``nice python benchmarks/split_persons_study.py /work/tester18a_gen/runs/hard_1 sim:no_dob:5000 [--draws 20]``
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from darkfigure.linkage.link_run import LinkRun, read_link_run
from darkfigure.linkage.partition_draws import draw_partitions


def load(spec: str):
    """(LinkRun, true identity per registration) of a population folder or ``sim:ERRORS:SEED``."""
    if spec.startswith("sim:"):
        from darkfigure.linkage import link, simulate_registrations

        _, errors, seed = spec.split(":")
        regs = simulate_registrations("clearing_house", seed=int(seed), errors=errors).registrations
        run = LinkRun.from_result(link(regs, truth="true_person_id", seed=int(seed), threads=1))
        m = regs.set_index(regs["record_id"].astype(str))["true_person_id"].astype(str)
    else:
        run = read_link_run(f"{spec}/link")
        m = pd.read_csv(f"{spec}/truth.csv", dtype=str).set_index("record_id")["person_id"]
    return run, m.reindex(run.records["record_id"].astype(str)).to_numpy()


def fragment_pairs(run: LinkRun, truth: np.ndarray, draws: np.ndarray) -> pd.DataFrame:
    """One row per pair of as-linked persons (dated registrations) joined by a scored dated pair."""
    dated = run.records["has_date_of_birth"].to_numpy(bool)
    lab0 = run.labels()
    P = run.pairs
    lo, ro = P["record_l"].to_numpy(np.int64), P["record_r"].to_numpy(np.int64)
    p = P["match_probability"].to_numpy(float)
    k = dated[lo] & dated[ro] & (lab0[lo] != lab0[ro])
    lo, ro, p = lo[k], ro[k], p[k]
    tog = np.mean([d[lo] == d[ro] for d in draws], axis=0)
    df = pd.DataFrame({"a": np.minimum(lab0[lo], lab0[ro]), "b": np.maximum(lab0[lo], lab0[ro]), "p": p, "tog": tog})
    g = df.groupby(["a", "b"]).agg(maxp=("p", "max"), drawn=("tog", "mean")).reset_index()
    size = pd.Series(lab0[dated]).value_counts()
    maj = pd.Series(truth[dated]).groupby(lab0[dated]).agg(lambda s: s.value_counts().index[0])
    na, nb = size.reindex(g["a"]).to_numpy(), size.reindex(g["b"]).to_numpy()
    g["sizes"] = np.where((na == 1) & (nb == 1), "1x1", np.where((na == 1) | (nb == 1), "1xm", "mxm"))
    g["one"] = maj.reindex(g["a"]).to_numpy() == maj.reindex(g["b"]).to_numpy()
    return g


def persons(run: LinkRun, truth: np.ndarray, lab: np.ndarray) -> tuple[int, int]:
    """(dated persons, true persons among the dated registrations split over several persons)."""
    d = run.records["has_date_of_birth"].to_numpy(bool)
    return int(pd.Series(lab[d]).nunique()), int((pd.Series(lab[d]).groupby(truth[d]).nunique() > 1).sum())


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("populations", nargs="+")
    ap.add_argument("--draws", type=int, default=20)
    a = ap.parse_args(argv)
    bins = [0.05, 0.2, 0.5, 0.8, 1.0001]
    for spec in a.populations:
        run, truth = load(spec)
        P, d = run.pairs, run.records["has_date_of_birth"].to_numpy(bool)
        lab0 = run.labels()
        print(f"== {spec}: dated persons true {pd.Series(truth[d]).nunique()}, as linked (persons, true split) "
              f"{persons(run, truth, lab0)}")
        for rule in ("product", "max"):
            draws = draw_partitions(len(run.records), P["record_l"].to_numpy(np.int64),
                                    P["record_r"].to_numpy(np.int64), P["match_probability"].to_numpy(float),
                                    a.draws, 1, start=lab0, rule=rule, dated=d)
            st = np.mean([persons(run, truth, x) for x in draws], axis=0)
            g = fragment_pairs(run, truth, draws)
            g = g[g.maxp >= bins[0]]
            g["bin"] = pd.cut(g.maxp, bins, right=False)
            t = g.groupby(["sizes", "bin"], observed=True).agg(n=("one", "size"), maxp=("maxp", "mean"),
                                                               one=("one", "mean"), drawn=("drawn", "mean"))
            print(f"-- rule {rule}: draws (persons, true split) {np.round(st, 1)}")
            print(t.round(3).to_string())
        P2 = P[d[P.record_l] & d[P.record_r]]
        lo, ro = P2["record_l"].to_numpy(), P2["record_r"].to_numpy()
        k = (truth[lo] == truth[ro]) & (lab0[lo] != lab0[ro])
        mx = pd.Series(P2["match_probability"].to_numpy()[k]).groupby(truth[lo][k]).max()
        n_split = pd.Series(lab0[d]).groupby(truth[d]).nunique()
        cp = mx.reindex(n_split.index[n_split > 1]).fillna(0.0).to_numpy()
        print("true persons split as linked, their largest cross p:",
              dict(zip(["none scored", "<0.01", "0.01-0.05", "0.05-0.2", "0.2-0.5", "0.5-0.8", ">=0.8"],
                       np.histogram(cp, [0, 1e-12, 0.01, 0.05, 0.2, 0.5, 0.8, 1.0001])[0].tolist(), strict=True)))


if __name__ == "__main__":
    main()
