"""Scored pairs without Splink for linkage tests: every true pair of synthetic registrations plus random false pairs.

Synthetic registrations only (:func:`darkfigure.linkage.simulate_registrations`); no personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from darkfigure.linkage import simulate_registrations


@dataclass
class TruePairs:
    """Registrations (``regs``), their records table for a LinkRun, the true pairs (``left``, ``right``)
    and random false pairs (``false_l``, ``false_r``), all as row positions of ``regs``."""

    regs: pd.DataFrame
    records: pd.DataFrame
    left: np.ndarray
    right: np.ndarray
    false_l: np.ndarray
    false_r: np.ndarray

    def pairs(self, p_true: float, p_false: float) -> pd.DataFrame:
        """The scored pairs table: true pairs at `p_true`, false pairs at `p_false`."""
        return pd.DataFrame({
            "record_l": np.r_[self.left, self.false_l], "record_r": np.r_[self.right, self.false_r],
            "match_probability": np.r_[np.full(self.left.size, p_true), np.full(self.false_l.size, p_false)],
        })


def true_pairs(seed: int, population: int, n_false: int, sex=None) -> TruePairs:
    """Registrations of `population` persons (``clearing_house``, `seed`) with all true pairs and up to `n_false`
    random false pairs (drawn with seed 0); `sex` maps the sex column of the records table (default as is)."""
    regs = simulate_registrations("clearing_house", seed=seed, population=population).registrations
    regs = regs.reset_index(drop=True)
    truth = regs["true_person_id"].astype(str).to_numpy()
    groups = pd.Series(np.arange(len(regs))).groupby(truth).apply(list)
    left, right = np.array([(a, b) for g in groups if len(g) > 1 for a, b in combinations(sorted(g), 2)]).T
    rng = np.random.default_rng(0)
    fl, fr = rng.integers(0, len(regs), n_false), rng.integers(0, len(regs), n_false)
    keep = (truth[fl] != truth[fr]) & (fl < fr)
    records = pd.DataFrame({
        "organisation": regs["organisation"].astype(str), "record_id": regs["record_id"].astype(str),
        "registration_date": regs["registration_date"].astype(str),
        "has_date_of_birth": regs["date_of_birth"].notna().to_numpy(),
        "sex": regs["sex"] if sex is None else sex(regs["sex"]),
    })
    return TruePairs(regs, records, left, right, fl[keep], fr[keep])


def write_link_folder(run, folder):
    """A `darkfigure link` output folder without Splink for `run` (a LinkRun): records, pairs, an empty links.csv and
    histories.csv written through darkfigure.outputs (so the manifest vouches for it). Returns `folder`."""
    from darkfigure.outputs import write_file

    folder.mkdir()
    run.records.to_parquet(folder / "records.parquet")
    run.pairs.to_parquet(folder / "pairs.parquet")
    pd.DataFrame({"record_l": [], "record_r": []}).to_csv(folder / "links.csv", index=False)
    h = run.histories().collapse([])
    write_file(folder / "histories.csv", lambda p: h.to_frame().to_csv(p, index=False), command="link")
    return folder


def below_threshold_run():
    """A LinkRun whose draws join more than the as-linked persons: a third of the true pairs of ``true_pairs(3, 2500,
    300)`` scored just below the threshold (0.45 at 0.5), the rest at 0.95, false pairs at 0.02."""
    from darkfigure.linkage.uncertainty import LinkRun

    tp = true_pairs(3, 2500, 300)
    pairs = tp.pairs(0.95, 0.02)
    low = np.random.default_rng(1).random(tp.left.size) < 1 / 3
    pairs.loc[np.flatnonzero(low), "match_probability"] = 0.45
    return LinkRun(tp.records, pairs, 0.5)
