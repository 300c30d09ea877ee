"""R of :mod:`darkfigure.linkage.undated_mechanism` on populations whose missing-date mechanism is known.

usage: python benchmarks/undated_mechanism_study.py [--half-person] [FOLDER ...]

Each FOLDER holds registration files (``gen/regs/*.csv``, ``registrations/*.csv`` or ``*.csv``: tester 16a's runs,
tester 15a's and 14a's populations; with ``--half-person`` half of their missing dates are first made a person's
trait by :func:`person_trait`, which needs a ``true_person_id`` column); the rows printed give the undated share, R (and, in brackets, with name
groups of name, sex and nationality alone: no covariates, no registration year), its s.e., z (and in brackets) and
the pairs compared. Without folders, this package's simulator
(:func:`darkfigure.linkage.synthetic.simulate_registrations`, scenario ``clearing_house``, seeds 1-2) is measured
on the registration settings standard, messy, no_dob, recurring_names and inconsistent_covariates, each as
simulated (missingness of the registration only) and with half of its missing dates made a person's trait
(:func:`person_trait`). Results of 2026-12-06: docs/methods/linkage.md, "Whether missing dates cluster in
persons".
"""

from __future__ import annotations

import glob
import sys

import numpy as np
import pandas as pd

from darkfigure.linkage.prepare import IDENTIFIERS, _evidence_columns, _prepare_plain, _read_inputs
from darkfigure.linkage.synthetic import simulate_registrations
from darkfigure.linkage.undated_mechanism import undated_clustering

OWN_SETTINGS = ("standard", "messy", "no_dob", "recurring_names", "inconsistent_covariates")


def person_trait(regs: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """`regs` (with ``true_person_id``, ``date_of_birth``) where `share` of the missing dates became a person's trait.

    A random ``share x undated share`` of the persons lose their date at every registration; each of the other
    missing dates is kept with probability ``1 - share`` (the rest get their date back): as tester 16a's generator.
    """
    rng = np.random.default_rng(seed)
    r = regs.copy()
    und = (r["date_of_birth"].isna() | r["date_of_birth"].astype(str).str.len().eq(0)).to_numpy()
    persons = r["true_person_id"].unique()
    trait = rng.choice(persons, int(len(persons) * und.mean() * share), replace=False)
    new = r["true_person_id"].isin(trait).to_numpy() | (und & (rng.random(len(r)) < 1 - share))
    r.loc[new, "date_of_birth"] = ""
    return r


def row(label: str, frames_or_files) -> str:
    """One printed row: label, undated share, R (unweighted), s.e., z, pairs."""
    df, _ = _read_inputs(frames_or_files)
    # the covariates compared as evidence, as link adds them (every column but the identifiers and the truth)
    covs = [c for c in df.columns if c not in (*IDENTIFIERS, "sex", "nationality", "true_person_id")]
    ev, _names = _evidence_columns(df, covs)
    p = pd.concat([_prepare_plain(df), ev.reset_index(drop=True)], axis=1)
    a = undated_clustering(p)
    b = undated_clustering(p, covariates=False, by_year=False)
    return (f"{label}\t{a['undated_share']:.3f}\t{a['ratio']:.2f} ({b['ratio']:.2f})\t{a['se']:.2f}\t{a['z']:.1f}"
            f" ({b['z']:.1f})\t{a['pairs']}")


def main(argv: list[str]) -> None:
    """Print the table for the folders in `argv`, or for the package's simulator when there are none."""
    print("population\tundated\tR (names only)\ts.e.\tz (names only)\tpairs")
    half = bool(argv) and argv[0] == "--half-person"
    for d in argv[1:] if half else argv:
        files = sorted(glob.glob(f"{d}/gen/regs/*.csv") or glob.glob(f"{d}/registrations/*.csv")
                       or [f for f in glob.glob(f"{d}/*.csv") if "true_hist" not in f])
        if half:  # the folder's registrations with half their missing dates made a person's trait (seed 1)
            regs = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True)
            print(row(f"{d} half person", [person_trait(regs, 0.5, 1)]), flush=True)
        else:
            print(row(d, files), flush=True)
    if argv:
        return
    for name in OWN_SETTINGS:
        for seed in (1, 2):
            regs = simulate_registrations("clearing_house", seed=seed, errors=name).registrations
            print(row(f"own {name} {seed} registration-level", [regs]), flush=True)
            print(row(f"own {name} {seed} half person", [person_trait(regs, 0.5, seed)]), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
