"""Linkage quality on the named registration settings: precision, recall, estimated against true link errors.

For each setting of :data:`darkfigure.linkage.synthetic.REGISTRATION_SCENARIOS` (its role,
tuning or held-out, is printed) and each seed, synthetic clearing-house registrations
(about 5,000 persons, 8,000 registrations) are linked by :func:`darkfigure.linkage.link`
(DuckDB, default threshold 0.5), plaintext and, with ``--bloom``, pseudonymised with
Bloom filters. Printed per run: pairwise precision and recall, found against true
persons, and the expected numbers of false and missed links that ``link`` estimates
without the truth (``linkage_errors.csv``) beside the true numbers, in total and as the
largest relative error over the pairs of organisations with at least 20 true links.

Run: python benchmarks/linkage_quality_study.py [--seeds 1 2 3] [--settings typos no_dob] [--bloom] [--scale 1]

Measured (plaintext, means over seeds; a loaded 2-core machine, 30-50 s per ``link``), before -> after the
fuzzy blocking keys, the registration-date comparison, the 1 January and gross-name-error levels and the
calibrated probabilities::

    setting (role)              seeds   precision        recall           estimated / true: false, missed links
    standard (tuning)           1-3     0.981 -> 0.987   0.992 -> 0.994   0.65, 3.87 -> 1.05, 2.45
    messy (tuning)              1-3     0.967 -> 0.975   0.962 -> 0.976   1.02, 1.10 -> 1.55, 1.34
    typos (held out)            1-3     0.985 -> 0.989   0.976 -> 0.975   not run before -> 2.31, 0.67
    dob_errors (held out)       1-3     0.968 -> 0.983   0.971 -> 0.975   not run before -> 2.41, 0.91
    no_dob (held out)           1-3     0.924 -> 0.936   0.939 -> 0.959   not run before -> 1.01, 1.36
    recurring_names (held out)  1-3     0.941 -> 0.952   0.962 -> 0.973   not run before -> 0.86, 1.60
    typos (held out)            11-13   0.981 -> 0.985   0.971 -> 0.976   1.24, 0.93 -> 1.80, 0.67
    dob_errors (held out)       11-13   0.970 -> 0.980   0.969 -> 0.978   1.20, 0.85 -> 2.08, 0.96
    no_dob (held out)           11-13   0.925 -> 0.934   0.949 -> 0.963   0.72, 1.55 -> 0.99, 1.43
    recurring_names (held out)  11-13   0.940 -> 0.953   0.965 -> 0.976   0.55, 1.69 -> 0.84, 1.54

The targets (precision >= 0.98 and recall >= 0.97 held out) are met on typos and dob_errors, not on no_dob
and recurring_names, where namesakes of whom one registration lacks a date of birth remain the main source
of false links. The estimated error counts are within 25% of the truth in few settings: the calibration is
one logit shift fitted on the tuning settings, and over-states the false links where typos are common.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from darkfigure.linkage import link, pseudonymise, simulate_registrations
from darkfigure.linkage.quality import true_link_errors
from darkfigure.linkage.synthetic import REGISTRATION_SCENARIOS

KEY = b"linkage quality study key, 32 b!"


def run(setting: str, seed: int, encoding: str, scale: float) -> dict:
    sim = simulate_registrations("clearing_house", seed=seed, errors=setting, scale=scale)
    files = list(sim.files().values())
    if encoding == "bloom":
        files = [pseudonymise(f, KEY) for f in files]  # true_person_id is kept as a covariate-like column
    t0 = time.perf_counter()
    res = link(files, truth="true_person_id", seed=0, weights=False)
    secs = time.perf_counter() - t0
    q = res.quality.iloc[0]
    truth = sim.registrations.set_index(["organisation", "record_id"]).loc[
        pd.MultiIndex.from_frame(res.links[["organisation", "record_id"]]), "true_person_id"].to_numpy()
    tr = true_link_errors(res.links["organisation"].to_numpy(), truth, res.links["person_id"].to_numpy())
    est = res.linkage_errors.merge(tr, on=["organisation_l", "organisation_r"], suffixes=("_est", "_true"))
    big = est[est["true_matches"] >= 20]

    def rel(col: str) -> float:
        """Largest |estimated - true| / max(true, 5) over the pairs of organisations with >= 20 true links."""
        if big.empty:
            return float("nan")
        return float((np.abs(big[f"{col}_est"] - big[f"{col}_true"]) / np.maximum(big[f"{col}_true"], 5)).max())

    return {
        "setting": setting, "role": REGISTRATION_SCENARIOS[setting].role, "encoding": encoding, "seed": seed,
        "registrations": len(res.links), "true_persons": int(q["true_persons"]), "found_persons": int(q["found_persons"]),
        "precision": q["precision"], "recall": q["recall"],
        "false_est": est["false_links_est"].sum(), "false_true": est["false_links_true"].sum(),
        "missed_est": est["missed_links_est"].sum(), "missed_true": est["missed_links_true"].sum(),
        "false_worst_rel": rel("false_links"), "missed_worst_rel": rel("missed_links"), "seconds": secs,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--settings", nargs="+", default=list(REGISTRATION_SCENARIOS))
    ap.add_argument("--bloom", action="store_true", help="also link Bloom-filter (pseudonymised) files")
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    rows = []
    pd.set_option("display.width", 200)
    for setting in a.settings:
        for enc in ("plaintext", "bloom") if a.bloom else ("plaintext",):
            for seed in a.seeds:
                r = run(setting, seed, enc, a.scale)
                rows.append(r)
                print(f"{r['setting']:16s} {r['role']:8s} {enc:9s} seed {seed}: P {r['precision']:.4f} R {r['recall']:.4f} "
                      f"persons {r['found_persons']}/{r['true_persons']}; false links est {r['false_est']:.0f} "
                      f"true {r['false_true']:.0f}; missed est {r['missed_est']:.0f} true {r['missed_true']:.0f} "
                      f"({r['seconds']:.0f} s)", flush=True)
    df = pd.DataFrame(rows)
    df["false_ratio"] = df["false_est"] / df["false_true"].clip(lower=1)
    df["missed_ratio"] = df["missed_est"] / df["missed_true"].clip(lower=1)
    summary = df.groupby(["setting", "role", "encoding"], sort=False).agg(
        runs=("seed", "size"), precision_mean=("precision", "mean"), precision_min=("precision", "min"),
        recall_mean=("recall", "mean"), recall_min=("recall", "min"), false_ratio=("false_ratio", "mean"),
        missed_ratio=("missed_ratio", "mean"))
    print("\nMeans over seeds (ratio = estimated / true count of false or missed links):")
    print(summary.round(4).to_string())


if __name__ == "__main__":
    main()
