"""Simulated populations and registrations with a known truth.

A *scenario* (a small TOML file, read with :mod:`tomllib`) declares a closed
population per year, categorical covariates, and k lists (registrations) whose
capture probabilities depend on the covariates and the year. :func:`simulate`
draws one population from it and returns the true numbers (per year and subgroup)
together with the capture histories the lists would have produced, so that every
estimator can be checked against the truth.

How a person's capture pattern is drawn
---------------------------------------
Within a stratum s (one combination of covariate levels) in year t, the capture
pattern x in {0,1}^k of a person has the log-linear distribution

    P(x | s, t) ∝ exp( sum_j x_j theta_j(s, t) + sum_{j<l} gamma_jl x_j x_l ),
    theta_j(s, t) = logit(baseline_j) + sum_c effect_j[c][level_c(s)] + effect_j[year][t].

With no dependence (gamma = 0) the lists are independent Bernoulli draws with
``P(list j) = expit(theta_j(s, t))``: ``baseline`` is the capture probability of a
person at the reference levels (those without an effect). ``gamma_jl`` is the
*conditional* log-odds ratio of lists j and l given every other list, which is
exactly the j:l interaction parameter of the Poisson log-linear model
(Bishop, Fienberg & Holland 1975, *Discrete Multivariate Analysis*, ch. 6;
Fienberg 1972, Biometrika 59:591-603). This construction was chosen over the
Bahadur representation (whose correlations are bounded by the margins, so not every
value is valid) and over a latent-variable construction (which creates dependence of
every order, outside the log-linear family): a scenario with list x covariate
effects and pairwise dependence is then exactly a hierarchical log-linear model with
the list:covariate and list:list terms, so a fit of that model family contains the
truth and coverage can be checked. (With gamma != 0, ``baseline`` is the capture
probability given that the dependent lists did not register the person.)

Unmodelled heterogeneity (what log-linear models with observed covariates cannot
see) is a separate, explicit option: a latent class (each person belongs to class c
with probability w_c, adding ``shift_c * loading_j`` to every theta_j; Agresti 1994,
Biometrics 50:494-500; Manrique-Vallier 2016, Biometrics 72:1246-1254) or a normal
random effect (``z ~ N(0, sd^2)`` per person, adding ``z * loading_j``; Coull &
Agresti 1999, Biometrics 55:294-301).

Structural zeros: a list that cannot register a covariate level, or did not exist in
a year, has ``theta_j = -inf`` there (capture probability 0). The simulation returns
these declarations in the CSV layout ``list,covariate,level`` that
``darkfigure estimate --structural-zeros`` reads.

Randomness: one :class:`numpy.random.SeedSequence` per call, spawned into one
independent stream per year, so the same seed gives the same population and adding a
year leaves the earlier years unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations, product
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .group_names import group_name
from .histories import CaptureHistories
from .scenario import (
    CovariateSpec,
    Dependence,
    Heterogeneity,
    ListSpec,
    Scenario,
    ScenarioError,
    load_scenario,
    scenario_names,
)

__all__ = [
    "CovariateSpec",
    "Dependence",
    "Heterogeneity",
    "ListSpec",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "load_scenario",
    "scenario_names",
    "simulate",
]




# ----------------------------------------------------------------------------- simulation
@dataclass(frozen=True)
class Simulation:
    """One simulated population: the truth and what the lists registered.

    Attributes
    ----------
    scenario : Scenario
    seed : int or None
    complete : DataFrame, shape (T * n_strata * 2^k, k + n_covariates + 2)
        Every cell of the complete table with its true count: list columns (0/1, the
        first list varying fastest), covariates, ``year`` column (named
        ``scenario.year_column``), ``count``. The all-zero pattern holds the persons no
        list registered.
    histories : DataFrame, shape (n_rows, k + n_covariates [+ 1] + 1)
        The observed aggregated table: rows of `complete` with a count > 0 and a
        pattern that is not all zero; the year column only when there is more than
        one year. ``darkfigure estimate`` reads it as it is.
    truth : DataFrame, shape (n_rows, 4)
        True N: columns ``group`` (``total``, a covariate, or ``A:B`` for a pair of
        covariates), ``level`` (empty for the total, ``a:b`` for a pair), ``year``
        (nullable integer; missing for all years together) and ``N``.
    """

    scenario: Scenario
    seed: int | None
    complete: pd.DataFrame = field(repr=False)
    histories: pd.DataFrame = field(repr=False)
    truth: pd.DataFrame = field(repr=False)

    @property
    def lists(self) -> tuple[str, ...]:
        """List names."""
        return self.scenario.list_names

    @property
    def covariates(self) -> tuple[str, ...]:
        """Covariates of `histories`: the scenario's covariates, then the year column if T > 1."""
        yc = (self.scenario.year_column,) if len(self.scenario.years) > 1 else ()
        return self.scenario.covariate_names + yc

    @property
    def year_column(self) -> str | None:
        """The year column of `histories` (None with a single year)."""
        return self.scenario.year_column if len(self.scenario.years) > 1 else None

    @property
    def n_total(self) -> int:
        """True population size, all years together."""
        return int(self.complete["count"].sum())

    @property
    def n_observed(self) -> int:
        """Persons registered by at least one list."""
        return int(self.histories["count"].sum())

    def true_n(self, **levels) -> int:
        """True N of the subgroup with the given levels, e.g. ``true_n(form="sexual", year=2017)``.

        Raises
        ------
        KeyError
            A keyword that is not a covariate or the year column.
        """
        d = self.complete
        m = np.ones(len(d), dtype=bool)
        for c, v in levels.items():
            if c not in d.columns or c in self.lists or c == "count":
                raise KeyError(f"{c!r} is not a covariate; covariates are {list(self.covariates)}")
            m &= (d[c] == v).to_numpy() if c == self.scenario.year_column else (d[c] == str(v)).to_numpy()
        return int(d.loc[m, "count"].sum())

    def structural_zeros(self) -> pd.DataFrame:
        """The scenario's structural zeros, ``list, covariate, level`` (see :meth:`Scenario.structural_zeros`)."""
        return self.scenario.structural_zeros()

    def capture_histories(self) -> CaptureHistories:
        """The observed histories as :class:`~darkfigure.histories.CaptureHistories`.

        Raises
        ------
        DataError
            When the draw is unusable as data (e.g. a list registered nobody).
        """
        return CaptureHistories.from_table(
            self.histories, lists=list(self.lists), covariates=list(self.covariates), name=self.scenario.name
        )

    def persons(self, observed_only: bool = True) -> pd.DataFrame:
        """One row per person: ``person`` id, list columns, covariates, year.

        Parameters
        ----------
        observed_only : bool
            Only the registered persons (True, the default) or everyone, the unregistered
            (all list columns 0) included.

        Returns
        -------
        DataFrame of shape (n_persons, 1 + k + n_covariates + 1)
        """
        src = self.histories if observed_only else self.complete
        rows = src.loc[src.index.repeat(src["count"].to_numpy())].drop(columns="count").reset_index(drop=True)
        rows.insert(0, "person", np.arange(1, len(rows) + 1))
        return rows

    def write(self, out: str | Path, persons: bool = False, *, overwrite: bool = False) -> list[Path]:
        """Write ``histories.csv``, ``truth.csv`` and (if any) ``structural_zeros.csv`` into folder `out`.

        Written through :func:`darkfigure.outputs.write_result` (as the command line writes): atomic, listed in
        the folder's ``.darkfigure-outputs.json``, never over a file darkfigure did not write unless
        `overwrite` (writing again into the same folder is fine).

        Parameters
        ----------
        out : path
        persons : bool
            Also write ``persons.csv`` (one row per registered person).
        overwrite : bool
            Replace files in `out` that darkfigure did not write.

        Returns
        -------
        list of Path
            The files written.

        Raises
        ------
        darkfigure.outputs.OutputError
            A file in `out` that darkfigure did not write would be replaced (the message names it and
            ``overwrite=True``); nothing is written then.
        OSError
            When the folder cannot be created or written.
        """
        from .outputs import write_result

        return write_result(out, lambda d: self._write_files(d, persons), overwrite=overwrite, command="simulate")

    def _write_files(self, out: Path, persons: bool) -> list[Path]:
        """Write the files of :meth:`write` into `out` directly."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        files = [out / "histories.csv", out / "truth.csv"]
        self.histories.to_csv(files[0], index=False)
        self.truth.to_csv(files[1], index=False)
        sz = self.structural_zeros()
        if len(sz):
            files.append(out / "structural_zeros.csv")
            sz.to_csv(files[-1], index=False)
        if persons:
            files.append(out / "persons.csv")
            self.persons().to_csv(files[-1], index=False)
        return files


def _strata(covs: tuple[CovariateSpec, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Level indices of every stratum, shape (S, C), and their probabilities, shape (S,)."""
    if not covs:
        return np.zeros((1, 0), dtype=np.int64), np.ones(1)
    idx = np.array(list(product(*[range(len(c.levels)) for c in covs])), dtype=np.int64)
    prob = np.ones(len(idx))
    pos = {c.name: j for j, c in enumerate(covs)}
    for j, c in enumerate(covs):
        if c.given is None:
            prob *= np.asarray(c.probabilities)[idx[:, j]]
        else:
            table = np.array([p for _, p in c.conditional])  # (L_parent, L)
            prob *= table[idx[:, pos[c.given]], idx[:, j]]
    return idx, prob


def _logits(sc: Scenario, strata: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """theta (T, S, k) and a mask (T, S, k) of where each list can register."""
    covs = sc.covariates
    pos = {c.name: j for j, c in enumerate(covs)}
    T, S, k = len(sc.years), len(strata), len(sc.lists)
    theta = np.zeros((T, S, k))
    able = np.ones((T, S, k), dtype=bool)
    for j, ls in enumerate(sc.lists):
        theta[:, :, j] = math.log(ls.baseline / (1 - ls.baseline))
        for cov, lv, val in ls.effects:
            if cov == sc.year_column:
                theta[sc.years.index(lv), :, j] += val
            else:
                c = pos[cov]
                theta[:, strata[:, c] == covs[c].levels.index(lv), j] += val
        for cov, lv in ls.cannot_register:
            c = pos[cov]
            able[:, strata[:, c] == covs[c].levels.index(lv), j] = False
        if ls.years:
            for t, y in enumerate(sc.years):
                if y not in ls.years:
                    able[t, :, j] = False
    return theta, able


def _draw_patterns(rng, n: int, logw: np.ndarray, ok: np.ndarray, het: Heterogeneity, load: np.ndarray) -> np.ndarray:
    """Counts per pattern (P,) of `n` persons with log-weights `logw` (P,) on allowed patterns `ok`."""
    P = len(logw)
    if n == 0:
        return np.zeros(P, dtype=np.int64)
    lw = np.where(ok, logw, -np.inf)
    if het.kind == "none" or (het.kind == "normal" and het.sd == 0):
        return rng.multinomial(n, _softmax(lw))
    if het.kind == "latent_class":
        out = np.zeros(P, dtype=np.int64)
        for nc, shift in zip(rng.multinomial(n, het.weights), het.shifts):
            if nc:
                out += rng.multinomial(nc, _softmax(lw + shift * load))
        return out
    z = rng.normal(0.0, het.sd, size=n)
    w = lw[None, :] + z[:, None] * load[None, :]
    w = np.exp(w - w.max(axis=1, keepdims=True))
    cdf = np.cumsum(w, axis=1)
    u = rng.random(n) * cdf[:, -1]
    pick = np.minimum((cdf < u[:, None]).sum(axis=1), P - 1)
    return np.bincount(pick, minlength=P).astype(np.int64)


def _softmax(lw: np.ndarray) -> np.ndarray:
    w = np.exp(lw - lw.max())
    return w / w.sum()


def simulate(scenario: Scenario | Mapping | str | Path, seed: int | None = None) -> Simulation:
    """Draw one population and its registrations from a scenario.

    Per year t: the population size N_t (the declared size, or Poisson(size) when
    ``poisson``); its split over the covariate strata (multinomial with the
    covariates' joint probabilities); in each stratum the split over the 2^k capture
    patterns (multinomial with the log-linear pattern probabilities of the module
    docstring; per latent class, or per person for a normal random effect). Lists
    have probability 0 where they cannot register or did not exist.

    Parameters
    ----------
    scenario : Scenario, mapping, path or bundled name
        See :func:`load_scenario`.
    seed : int, optional
        Seed of the :class:`numpy.random.SeedSequence`; the same seed gives the same
        population (one spawned stream per year).

    Returns
    -------
    Simulation
        ``complete`` (all cells, the unregistered included), ``histories`` (the
        observed aggregated table), ``truth`` (``group, level, year, N``).

    Raises
    ------
    ScenarioError
        An invalid scenario (see :meth:`Scenario.from_dict`).

    References
    ----------
    Pattern probabilities: the hierarchical log-linear model of a 2^k table (Bishop,
    Fienberg & Holland 1975, *Discrete Multivariate Analysis*, ch. 6; Fienberg 1972,
    Biometrika 59:591-603). Heterogeneity: latent classes (Agresti 1994, Biometrics
    50:494-500) or a normal random effect on the logit (Coull & Agresti 1999,
    Biometrics 55:294-301). Seeding: numpy's ``SeedSequence.spawn``.
    """
    sc = load_scenario(scenario)
    covs = sc.covariates
    k = len(sc.lists)
    strata, pstrata = _strata(covs)
    theta, able = _logits(sc, strata)
    patterns = np.array(list(product([0, 1], repeat=k)), dtype=np.int64)[:, ::-1]  # first list fastest
    P, S, T = len(patterns), len(strata), len(sc.years)
    names = sc.list_names
    gamma = np.zeros((k, k))
    for dep in sc.dependence:
        gamma[names.index(dep.lists[0]), names.index(dep.lists[1])] = dep.log_odds_ratio
    dep_term = np.einsum("pi,ij,pj->p", patterns, gamma, patterns)
    load = patterns @ np.array([ls.loading for ls in sc.lists], dtype=float)
    counts = np.zeros((T, S, P), dtype=np.int64)
    streams = np.random.SeedSequence(seed).spawn(T)
    for t in range(T):
        rng = np.random.default_rng(streams[t])
        size = sc.population[t]
        n_t = int(rng.poisson(size)) if sc.poisson else int(size)
        n_s = rng.multinomial(n_t, pstrata)
        for s in np.flatnonzero(n_s):
            logw = patterns @ theta[t, s] + dep_term
            ok = ~(patterns[:, ~able[t, s]] == 1).any(axis=1)
            counts[t, s] = _draw_patterns(rng, int(n_s[s]), logw, ok, sc.heterogeneity, load)
    complete = _complete_frame(sc, patterns, strata, counts)
    return Simulation(sc, seed, complete, _observed(sc, complete), _truth(sc, strata, counts.sum(axis=2)))


def _complete_frame(sc: Scenario, patterns, strata, counts) -> pd.DataFrame:
    T, S, P = counts.shape
    t_idx = np.repeat(np.arange(T), S * P)
    s_idx = np.tile(np.repeat(np.arange(S), P), T)
    p_idx = np.tile(np.arange(P), T * S)
    cols: dict[str, Any] = {}
    for j, name in enumerate(sc.list_names):
        cols[name] = patterns[p_idx, j].astype(np.int8)
    for c, spec in enumerate(sc.covariates):
        cols[spec.name] = np.asarray(spec.levels, dtype=object)[strata[s_idx, c]]
    cols[sc.year_column] = np.asarray(sc.years, dtype=np.int64)[t_idx]
    cols["count"] = counts.reshape(-1)
    return pd.DataFrame(cols)


def _observed(sc: Scenario, complete: pd.DataFrame) -> pd.DataFrame:
    lists = list(sc.list_names)
    seen = complete[lists].to_numpy().sum(axis=1) > 0
    h = complete[seen & (complete["count"].to_numpy() > 0)]
    if len(sc.years) == 1:
        h = h.drop(columns=sc.year_column)
    return h.reset_index(drop=True)


def _truth(sc: Scenario, strata: np.ndarray, n_ts: np.ndarray) -> pd.DataFrame:
    """The true N per group, level and year from the stratum sizes n_ts (T, S)."""
    covs = sc.covariates
    frame = pd.DataFrame({c.name: np.asarray(c.levels, dtype=object)[strata[:, j]] for j, c in enumerate(covs)})
    groups: list[tuple[str, ...]] = [()] + [(c.name,) for c in covs] + [tuple(p) for p in combinations(sc.covariate_names, 2)]
    rows = []
    for g in groups:
        if g:
            levels = list(product(*[next(c for c in covs if c.name == v).levels for v in g]))
            key = frame[list(g)].astype(str).agg(":".join, axis=1).to_numpy()
        else:
            levels, key = [()], np.full(len(frame), "")
        gname = group_name(g)
        for yi in [None, *range(len(sc.years))]:
            n = n_ts.sum(axis=0) if yi is None else n_ts[yi]
            for lv in levels:
                label = ":".join(lv)
                rows.append((gname, label, None if yi is None else sc.years[yi], int(n[key == label].sum())))
    out = pd.DataFrame(rows, columns=["group", "level", "year", "N"])
    out["year"] = out["year"].astype("Int64")
    return out
