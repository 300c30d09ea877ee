"""Synthetic victim and later-victimisation registers with a known truth (for tests and the demo).

:func:`simulate_revictimisation` draws persons with covariates, a registration date,
a time to the next victimisation with proportional hazards by subgroup, the kind of
offence and censoring at the end of follow-up, and returns the true cumulative shares
next to the two registers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd

from .registers import ANY, DAYS_PER_YEAR

# ----------------------------------------------------------------------------------------------------------------------
# synthetic data with a known truth

# covariate -> level -> (share of persons, hazard ratio of re-victimisation)
DEFAULT_SUBGROUPS: dict[str, dict[str, tuple[float, float]]] = {
    "sex": {"female": (0.7, 1.0), "male": (0.3, 0.7)},
    "exploitation": {"sexual": (0.55, 1.0), "labour": (0.3, 0.6), "criminal": (0.15, 1.6)},
}
# kind of later offence -> share of the hazard of any later victimisation
DEFAULT_OFFENCES: dict[str, float] = {"violence": 0.5, "sexual offence": 0.3, "property": 0.2}


@dataclass
class SimulatedRevictimisation:
    """Synthetic registers with known re-victimisation shares.

    Attributes
    ----------
    victims : DataFrame
        ``person_id, first_registration`` (YYYY-MM-DD text) and the covariates.
    later : DataFrame
        ``person_id, date, offence``: every observed later victimisation, including some on
        or before first registration (which must not count) and repeats.
    truth : DataFrame
        ``group, level, offence, k_years, truth``: the true marginal cumulative incidence
        P(T <= k) of each row of :attr:`RevictimisationResult.table`.
    first_offence_truth : DataFrame
        ``group, level, offence, k_years, truth``: the true cumulative incidence of a first
        later offence of each kind (competing risks).
    end_of_followup : str
    """

    victims: pd.DataFrame
    later: pd.DataFrame
    truth: pd.DataFrame
    first_offence_truth: pd.DataFrame
    end_of_followup: str

    def write(self, out: str | Path, *, overwrite: bool = False) -> list[Path]:
        """Write ``victims.csv``, ``later.csv`` and ``truth.csv`` into folder `out`; returns the files written.

        Written through :func:`darkfigure.outputs.write_result` (as the command line writes): atomic, listed in
        the folder's ``.darkfigure-outputs.json``, never over a file darkfigure did not write unless
        `overwrite` (writing again into the same folder is fine).

        Raises
        ------
        darkfigure.outputs.OutputError
            A file in `out` that darkfigure did not write would be replaced (the message names it and
            ``overwrite=True``); nothing is written then.
        OSError
            When the folder cannot be created or written.
        """
        from ..outputs import write_result

        return write_result(out, self._write_files, overwrite=overwrite, command="simulate")

    def _write_files(self, out: Path) -> list[Path]:
        """Write the files of :meth:`write` into `out` directly."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        files = [out / "victims.csv", out / "later.csv", out / "truth.csv"]
        self.victims.to_csv(files[0], index=False)
        self.later.to_csv(files[1], index=False)
        self.truth.to_csv(files[2], index=False)
        return files


def simulate_revictimisation(
    n: int,
    *,
    cumulative_5y: float = 0.45,
    shape: float = 0.8,
    offences: Mapping[str, float] | None = None,
    subgroups: Mapping[str, Mapping[str, tuple[float, float]]] | None = None,
    entry_years: float = 8.0,
    end_of_followup: str = "2024-12-31",
    k_years: Sequence[float] = (1, 3, 5),
    repeat_probability: float = 0.4,
    earlier_probability: float = 0.3,
    seed: int | np.random.SeedSequence | None = None,
) -> SimulatedRevictimisation:
    """Simulate a victim register and a later-victimisation register with a known truth.

    Model: person i with covariate levels has hazard ratio r_i (product of the levels'
    ratios). The time to the first later offence of kind j is Weibull with cumulative hazard
    H_ij(t) = w_j r_i H5 (t/5)^shape (w_j the kind's share, sum w = 1), independent over
    kinds; so the time to any later offence has H_i(t) = r_i H5 (t/5)^shape. H5 is solved so
    that the share re-victimised within 5 years over the population is `cumulative_5y`
    (45% in the Dutch monitor). First registrations are uniform over the `entry_years`
    before `end_of_followup` (staggered entry: persons registered late are censored
    before 5 years), and only victimisations up to that date are in the later register.
    Noise that the estimator must ignore: repeats (a second offence of the same kind with
    probability `repeat_probability`) and, with probability `earlier_probability`, a
    victimisation on or before the day of first registration.

    Truths: kind j (marginal) F_j(k) = mean_i 1 - exp(-w_j r_i H5 (k/5)^shape); any
    F(k) = mean_i 1 - exp(-r_i H5 (k/5)^shape); first later offence of kind j
    (competing risks) w_j F(k), since every person's cause-specific hazards are
    proportional. Means over persons are exact expectations over the covariate
    distribution (levels independent with the given shares).

    Parameters
    ----------
    n : int
        Persons in the victim register.
    cumulative_5y : float
        The true share re-victimised (any offence) within 5 years, in (0, 1).
    shape : float
        Weibull shape (< 1: risk highest soon after registration).
    offences : mapping kind -> weight, optional
        Default :data:`DEFAULT_OFFENCES`.
    subgroups : mapping covariate -> level -> (share, hazard ratio), optional
        Default :data:`DEFAULT_SUBGROUPS`; ``{}`` for none.
    entry_years : float
        First registrations spread uniformly over this many years before the end.
    end_of_followup : str
        YYYY-MM-DD.
    k_years : sequence of float
        Horizons of the truth tables.
    repeat_probability, earlier_probability : float
    seed : int or SeedSequence, optional

    Returns
    -------
    SimulatedRevictimisation
    """
    from scipy.optimize import brentq

    if not 0 < cumulative_5y < 1:
        raise ValueError(f"cumulative_5y must be in (0, 1) (got {cumulative_5y})")
    rng = np.random.default_rng(seed)
    offences = dict(DEFAULT_OFFENCES if offences is None else offences)
    subgroups = {c: dict(v) for c, v in (DEFAULT_SUBGROUPS if subgroups is None else subgroups).items()}
    kinds = list(offences)
    wts = np.array([offences[k] for k in kinds], dtype=float)
    wts = wts / wts.sum()
    # every combination of levels with its probability and hazard ratio
    covs = list(subgroups)
    combos = list(product(*[list(subgroups[c]) for c in covs])) if covs else [()]
    prob = np.array([np.prod([subgroups[c][lv][0] for c, lv in zip(covs, cb)]) for cb in combos])
    prob = prob / prob.sum()
    ratio = np.array([np.prod([subgroups[c][lv][1] for c, lv in zip(covs, cb)]) for cb in combos])
    h5 = brentq(lambda h: float(prob @ (1 - np.exp(-ratio * h))) - cumulative_5y, 1e-9, 1e3)

    # the population
    ci = rng.choice(len(combos), size=n, p=prob)
    r = ratio[ci]
    end = np.datetime64(end_of_followup, "D").astype(np.int64)
    start = end - np.floor(rng.uniform(0, entry_years, n) * DAYS_PER_YEAR).astype(np.int64)
    # time to first offence of each kind: H(t) = w r h5 (t/5)^shape = E ~ Exp(1)
    ex = rng.exponential(size=(n, len(kinds)))
    tj = 5.0 * (ex / (wts[None, :] * r[:, None] * h5)) ** (1.0 / shape)
    # to whole days after registration, at least one day (a same-day record is not a re-victimisation)
    dj = np.maximum(np.ceil(tj * DAYS_PER_YEAR), 1).astype(np.int64)
    pid = np.array([f"V{i + 1:06d}" for i in range(n)])
    recs_p, recs_d, recs_k = [], [], []
    for j in range(len(kinds)):
        recs_p.append(np.arange(n))
        recs_d.append(start + dj[:, j])
        recs_k.append(np.full(n, j))
        rep = rng.random(n) < repeat_probability
        gap = np.ceil(rng.exponential(DAYS_PER_YEAR, n)).astype(np.int64)
        recs_p.append(np.flatnonzero(rep))
        recs_d.append((start + dj[:, j] + gap)[rep])
        recs_k.append(np.full(int(rep.sum()), j))
    earlier = rng.random(n) < earlier_probability
    recs_p.append(np.flatnonzero(earlier))
    recs_d.append(start[earlier] - rng.integers(0, 3 * 365, int(earlier.sum())))  # 0: the registration day itself
    recs_k.append(rng.integers(0, len(kinds), int(earlier.sum())))
    p_all, d_all, k_all = np.concatenate(recs_p), np.concatenate(recs_d), np.concatenate(recs_k)
    seen = d_all <= end
    order = np.lexsort((d_all[seen], p_all[seen]))
    later = pd.DataFrame({
        "person_id": pid[p_all[seen]][order],
        "date": pd.to_datetime(d_all[seen][order], unit="D").strftime("%Y-%m-%d"),
        "offence": np.array(kinds, dtype=object)[k_all[seen]][order],
    })
    victims = pd.DataFrame({"person_id": pid, "first_registration": pd.to_datetime(start, unit="D").strftime("%Y-%m-%d")})
    for c_i, c in enumerate(covs):
        victims[c] = np.array([cb[c_i] for cb in combos], dtype=object)[ci]

    # truths
    truth, first_truth = [], []
    groups: list[tuple[str, str, np.ndarray]] = [("total", "", np.ones(len(combos), dtype=bool))]
    for c_i, c in enumerate(covs):
        for lv in subgroups[c]:
            groups.append((c, lv, np.array([cb[c_i] == lv for cb in combos])))
    for g, lv, sel in groups:
        p = prob[sel] / prob[sel].sum()
        for k in k_years:
            hk = ratio[sel] * h5 * (k / 5.0) ** shape
            f_any = float(p @ (1 - np.exp(-hk)))
            truth.append((g, lv, ANY, float(k), f_any))
            for j, name in enumerate(kinds):
                truth.append((g, lv, name, float(k), float(p @ (1 - np.exp(-wts[j] * hk)))))
                first_truth.append((g, lv, name, float(k), float(wts[j] * f_any)))
    cols = ["group", "level", "offence", "k_years", "truth"]
    return SimulatedRevictimisation(
        victims, later, pd.DataFrame(truth, columns=cols), pd.DataFrame(first_truth, columns=cols), end_of_followup
    )
