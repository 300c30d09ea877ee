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
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from itertools import combinations, product
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .histories import CaptureHistories, DataError

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

_RESERVED = {"count"}


class ScenarioError(DataError):
    """A scenario that cannot be simulated; the message names the offending entry."""


# ----------------------------------------------------------------------------- specs
@dataclass(frozen=True)
class CovariateSpec:
    """A categorical covariate of the simulated persons.

    Attributes
    ----------
    name : str
    levels : tuple of str, length L >= 2
        The first level is the reference (no effect on capture).
    probabilities : tuple of float, length L
        P(level), when `given` is None.
    given : str or None
        An earlier covariate this one depends on.
    conditional : tuple of (str, tuple of float)
        P(level | level of `given`), one row per level of `given` (when `given` is set).
    """

    name: str
    levels: tuple[str, ...]
    probabilities: tuple[float, ...] = ()
    given: str | None = None
    conditional: tuple[tuple[str, tuple[float, ...]], ...] = ()


@dataclass(frozen=True)
class ListSpec:
    """One list (registration) of the scenario.

    Attributes
    ----------
    name : str
    baseline : float in (0, 1)
        Capture probability of a person at the reference levels (no dependence, no
        heterogeneity).
    effects : tuple of (covariate, level, log-odds)
        Additive effects on the logit of the capture probability; the covariate may be
        the year column (level = a year).
    cannot_register : tuple of (covariate, level)
        Levels this list cannot register (structural zeros).
    years : tuple of int
        Years in which the list existed (empty: all years).
    loading : float
        Multiplier of the heterogeneity shift for this list (default 1).
    """

    name: str
    baseline: float
    effects: tuple[tuple[str, Any, float], ...] = ()
    cannot_register: tuple[tuple[str, Any], ...] = ()
    years: tuple[int, ...] = ()
    loading: float = 1.0


@dataclass(frozen=True)
class Dependence:
    """Pairwise dependence between two lists.

    Attributes
    ----------
    lists : tuple of two str
    log_odds_ratio : float
        Conditional log-odds ratio given the other lists (the log-linear interaction
        parameter); positive: being on one list makes the other more likely.
    """

    lists: tuple[str, str]
    log_odds_ratio: float


@dataclass(frozen=True)
class Heterogeneity:
    """Unobserved heterogeneity of capture probabilities.

    Attributes
    ----------
    kind : {"none", "latent_class", "normal"}
    weights : tuple of float
        Class probabilities (latent class).
    shifts : tuple of float
        Log-odds shift of each class (latent class), times each list's ``loading``.
    sd : float
        Standard deviation of the normal random effect on the log-odds scale.
    """

    kind: str = "none"
    weights: tuple[float, ...] = ()
    shifts: tuple[float, ...] = ()
    sd: float = 0.0


@dataclass(frozen=True)
class Scenario:
    """A population and its registrations, as declared in a scenario TOML file.

    Build it with :meth:`from_toml`, :meth:`from_dict` or :func:`load_scenario`.
    The TOML layout (every key but ``years``, ``population``, ``lists`` optional)::

        name = "example"
        years = [2016, 2017, 2018]
        year_column = "year"
        population = 1000               # per year; or a list per year; or
        # [population] size = [..]; poisson = true   (N per year ~ Poisson(size))

        [covariates.sex]
        levels = ["female", "male"]
        probabilities = [0.7, 0.3]
        [covariates.form]
        levels = ["sexual", "labour", "other"]
        given = "sex"                   # P(form | sex)
        probabilities = { female = [0.7, 0.1, 0.2], male = [0.2, 0.6, 0.2] }

        [lists.police]
        baseline = 0.3                  # capture probability at the reference levels
        effects = { sex = { male = -0.3 }, year = { 2018 = 0.2 } }
        [lists.inspectorate]
        baseline = 0.2
        cannot_register = { form = ["sexual"] }
        years = [2017, 2018]            # did not exist in 2016

        [[dependence]]
        lists = ["police", "inspectorate"]
        log_odds_ratio = 0.7

        [heterogeneity]                 # or kind = "normal", sd = 1.0
        kind = "latent_class"
        weights = [0.8, 0.2]
        shifts = [0.0, -1.5]

    Attributes
    ----------
    name, description : str
    years : tuple of int, length T
    population : tuple of float, length T
        Population size per year (exact), or the Poisson mean when `poisson`.
    poisson : bool
    covariates : tuple of CovariateSpec
    lists : tuple of ListSpec, length k >= 2
    dependence : tuple of Dependence
    heterogeneity : Heterogeneity
    year_column : str
        Name of the year column in the histories (written only with more than one year).

    References
    ----------
    The pattern model and the heterogeneity options are described (with sources) in the
    module docstring of :mod:`darkfigure.simulation`.
    """

    name: str
    years: tuple[int, ...]
    population: tuple[float, ...]
    lists: tuple[ListSpec, ...]
    covariates: tuple[CovariateSpec, ...] = ()
    dependence: tuple[Dependence, ...] = ()
    heterogeneity: Heterogeneity = field(default_factory=Heterogeneity)
    poisson: bool = False
    year_column: str = "year"
    description: str = ""

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        """Read a scenario from a TOML file (layout in the class docstring).

        Raises
        ------
        ScenarioError
            Missing file, invalid TOML, or an invalid entry (named in the message).
        """
        p = Path(path)
        if not p.exists():
            raise ScenarioError(f"scenario file {str(p)!r} not found; bundled scenarios: {', '.join(scenario_names())}")
        try:
            d = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise ScenarioError(f"scenario file {p.name!r} is not valid TOML: {e}") from None
        return cls.from_dict(d, name=p.stem)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, name: str | None = None) -> Scenario:
        """Build and validate a scenario from the dictionary a TOML file parses to.

        Parameters
        ----------
        d : mapping
            Keys as in the TOML layout of the class docstring.
        name : str, optional
            Used when `d` has no ``name``.

        Raises
        ------
        ScenarioError
            Unknown key, missing ``years``/``population``/``lists``, probabilities that
            are negative or do not sum to 1, a baseline outside (0, 1), an effect or
            structural zero naming an unknown covariate, level, list or year, a list
            that can register nobody, fewer than 2 lists.
        """
        known = {
            "name", "description", "years", "year_column", "population", "covariates", "lists", "dependence",
            "heterogeneity",
        }
        for key in d:
            if key not in known:
                raise ScenarioError(f"unknown scenario key {key!r}; keys are {sorted(known)}")
        for key in ("years", "population", "lists"):
            if key not in d:
                raise ScenarioError(f"the scenario needs {key!r}")
        years = _years(d["years"])
        year_col = str(d.get("year_column", "year"))
        population, poisson = _population(d["population"], years)
        covs = _covariates(d.get("covariates", {}))
        cov_names = {c.name for c in covs}
        if year_col in cov_names:
            raise ScenarioError(f"covariate {year_col!r} has the name of the year column; rename one (year_column = ...)")
        lists_d = d["lists"]
        if not isinstance(lists_d, Mapping) or len(lists_d) < 2:
            raise ScenarioError("the scenario needs at least 2 lists ([lists.NAME] tables)")
        lists = tuple(_list_spec(str(n), v, covs, years, year_col) for n, v in lists_d.items())
        names = [x.name for x in lists]
        clash = (set(names) & cov_names) | (set(names) & {year_col}) | ((set(names) | cov_names) & _RESERVED)
        if clash:
            raise ScenarioError(f"name(s) {sorted(clash)} used twice (lists, covariates, year column and 'count' must differ)")
        deps = tuple(_dependence(x, names) for x in _as_list(d.get("dependence", []), "dependence"))
        pairs = [tuple(sorted(x.lists)) for x in deps]
        if len(set(pairs)) < len(pairs):
            raise ScenarioError("a pair of lists has two [[dependence]] entries")
        het = _heterogeneity(d.get("heterogeneity", {}))
        return cls(
            name=str(d.get("name", name or "scenario")),
            years=years,
            population=population,
            lists=lists,
            covariates=covs,
            dependence=deps,
            heterogeneity=het,
            poisson=poisson,
            year_column=year_col,
            description=str(d.get("description", "")),
        )

    # ------------------------------------------------------------------ views
    @property
    def list_names(self) -> tuple[str, ...]:
        """Names of the lists, in declaration order."""
        return tuple(x.name for x in self.lists)

    @property
    def covariate_names(self) -> tuple[str, ...]:
        """Names of the covariates (year not included), in declaration order."""
        return tuple(c.name for c in self.covariates)

    def structural_zeros(self) -> pd.DataFrame:
        """The scenario's structural zeros as declarations ``list, covariate, level``.

        Levels a list cannot register give ``(list, covariate, level)``; years in which
        a list did not exist give ``(list, year_column, year)`` (only with more than
        one year, when the histories have a year column).

        Returns
        -------
        DataFrame of shape (n_declarations, 3)
        """
        rows = []
        for ls in self.lists:
            for c, lv in ls.cannot_register:
                rows.append((ls.name, c, lv))
            if ls.years and len(self.years) > 1:
                for y in self.years:
                    if y not in ls.years:
                        rows.append((ls.name, self.year_column, y))
        return pd.DataFrame(rows, columns=["list", "covariate", "level"])


# ----------------------------------------------------------------------------- parsing helpers
def _as_list(v, what: str) -> list:
    if isinstance(v, (list, tuple)):
        return list(v)
    raise ScenarioError(f"{what} must be an array, got {type(v).__name__}")


def _years(v) -> tuple[int, ...]:
    vals = _as_list(v, "years")
    if not vals:
        raise ScenarioError("years must hold at least one year")
    try:
        ys = tuple(int(y) for y in vals)
    except (TypeError, ValueError):
        raise ScenarioError(f"years must be whole numbers, got {vals}") from None
    if len(set(ys)) < len(ys):
        raise ScenarioError(f"years repeat a year: {list(ys)}")
    return ys


def _population(v, years: tuple[int, ...]) -> tuple[tuple[float, ...], bool]:
    poisson = False
    if isinstance(v, Mapping):
        unknown = set(v) - {"size", "poisson"}
        if unknown:
            raise ScenarioError(f"unknown population key(s) {sorted(unknown)}; use size and poisson")
        if "size" not in v:
            raise ScenarioError("population needs size = N (or a list, one per year)")
        poisson = bool(v.get("poisson", False))
        v = v["size"]
    sizes = v if isinstance(v, (list, tuple)) else [v] * len(years)
    if len(sizes) != len(years):
        raise ScenarioError(f"population has {len(sizes)} sizes for {len(years)} years")
    try:
        out = tuple(float(s) for s in sizes)
    except (TypeError, ValueError):
        raise ScenarioError(f"population sizes must be numbers, got {sizes}") from None
    for s in out:
        if not np.isfinite(s) or s < 0 or (not poisson and s != round(s)):
            raise ScenarioError(
                f"population size {s:g} is not a whole number >= 0 (use poisson = true for a mean)"
            )
    return out, poisson


def _probs(v, n: int, what: str) -> tuple[float, ...]:
    vals = _as_list(v, what)
    try:
        p = np.asarray(vals, dtype=float)
    except (TypeError, ValueError):
        raise ScenarioError(f"{what} must be numbers, got {vals}") from None
    if p.shape != (n,):
        raise ScenarioError(f"{what} has {p.size} probabilities for {n} levels")
    if (p < 0).any() or not np.isfinite(p).all() or abs(p.sum() - 1) > 1e-6:
        raise ScenarioError(f"{what} must be non-negative and sum to 1, got {vals}")
    return tuple(float(x) for x in p / p.sum())


def _covariates(d) -> tuple[CovariateSpec, ...]:
    if not isinstance(d, Mapping):
        raise ScenarioError("covariates must be tables [covariates.NAME]")
    out: list[CovariateSpec] = []
    for name, spec in d.items():
        name = str(name)
        if not isinstance(spec, Mapping):
            raise ScenarioError(f"covariate {name!r} must be a table with levels and probabilities")
        unknown = set(spec) - {"levels", "probabilities", "given"}
        if unknown:
            raise ScenarioError(f"covariate {name!r}: unknown key(s) {sorted(unknown)}")
        levels = tuple(str(x) for x in _as_list(spec.get("levels", []), f"levels of {name!r}"))
        if len(levels) < 2 or len(set(levels)) < len(levels):
            raise ScenarioError(f"covariate {name!r} needs at least 2 distinct levels, got {list(levels)}")
        if "probabilities" not in spec:
            raise ScenarioError(f"covariate {name!r} needs probabilities")
        given = spec.get("given")
        if given is None:
            out.append(CovariateSpec(name, levels, _probs(spec["probabilities"], len(levels), f"probabilities of {name!r}")))
            continue
        parent = next((c for c in out if c.name == given), None)
        if parent is None:
            raise ScenarioError(
                f"covariate {name!r} is given {given!r}, which is not a covariate declared before it"
            )
        table = spec["probabilities"]
        if not isinstance(table, Mapping) or set(map(str, table)) != set(parent.levels):
            raise ScenarioError(
                f"covariate {name!r} given {given!r} needs probabilities = {{ level of {given}: [..] }} for "
                f"exactly the levels {list(parent.levels)}"
            )
        cond = tuple(
            (lv, _probs(table[lv], len(levels), f"probabilities of {name!r} given {given} = {lv}"))
            for lv in parent.levels
        )
        out.append(CovariateSpec(name, levels, (), str(given), cond))
    return tuple(out)


def _level_key(value, cov: str, covs: tuple[CovariateSpec, ...], years, year_col: str, where: str):
    """The level `value` of `cov` as stored (str for covariates, int for years), validated."""
    if cov == year_col:
        try:
            y = int(value)
        except (TypeError, ValueError):
            raise ScenarioError(f"{where}: {value!r} is not a year") from None
        if y not in years:
            raise ScenarioError(f"{where}: year {y} is not among the years {list(years)}")
        return y
    spec = next((c for c in covs if c.name == cov), None)
    if spec is None:
        raise ScenarioError(
            f"{where}: unknown covariate {cov!r}; covariates are {[c.name for c in covs] + [year_col]}"
        )
    if str(value) not in spec.levels:
        raise ScenarioError(f"{where}: unknown level {value!r} of {cov!r}; levels are {list(spec.levels)}")
    return str(value)


def _list_spec(name: str, v, covs, years, year_col: str) -> ListSpec:
    if not isinstance(v, Mapping):
        raise ScenarioError(f"list {name!r} must be a table with a baseline capture probability")
    unknown = set(v) - {"baseline", "effects", "cannot_register", "years", "loading"}
    if unknown:
        raise ScenarioError(f"list {name!r}: unknown key(s) {sorted(unknown)}")
    try:
        base = float(v.get("baseline", float("nan")))
    except (TypeError, ValueError):
        base = float("nan")
    if not 0 < base < 1:
        raise ScenarioError(f"list {name!r} needs baseline = a capture probability strictly between 0 and 1")
    effects = []
    eff = v.get("effects", {})
    if not isinstance(eff, Mapping):
        raise ScenarioError(f"list {name!r}: effects must be {{ covariate = {{ level = log-odds }} }}")
    for cov, levels in eff.items():
        if not isinstance(levels, Mapping):
            raise ScenarioError(f"list {name!r}: effects.{cov} must be {{ level = log-odds }}")
        for lv, val in levels.items():
            key = _level_key(lv, str(cov), covs, years, year_col, f"list {name!r} effects")
            try:
                val = float(val)
            except (TypeError, ValueError):
                raise ScenarioError(f"list {name!r}: effect of {cov} = {lv} must be a number") from None
            if not np.isfinite(val):
                raise ScenarioError(f"list {name!r}: effect of {cov} = {lv} must be finite (use cannot_register)")
            effects.append((str(cov), key, val))
    zeros = []
    cr = v.get("cannot_register", {})
    if not isinstance(cr, Mapping):
        raise ScenarioError(f"list {name!r}: cannot_register must be {{ covariate = [levels] }}")
    active = tuple(_years(v["years"])) if "years" in v else ()
    for y in active:
        if y not in years:
            raise ScenarioError(f"list {name!r}: year {y} is not among the years {list(years)}")
    for cov, levels in cr.items():
        for lv in _as_list(levels, f"cannot_register.{cov} of list {name!r}"):
            key = _level_key(lv, str(cov), covs, years, year_col, f"list {name!r} cannot_register")
            if str(cov) == year_col:
                active = tuple(y for y in (active or years) if y != key)
            else:
                zeros.append((str(cov), key))
    if "years" in v or any(str(c) == year_col for c in cr):
        if not active:
            raise ScenarioError(f"list {name!r} exists in none of the years")
    for spec in covs:
        if {lv for c, lv in zeros if c == spec.name} >= set(spec.levels):
            raise ScenarioError(f"list {name!r} cannot register any level of {spec.name!r}: it would register nobody")
    try:
        loading = float(v.get("loading", 1.0))
    except (TypeError, ValueError):
        raise ScenarioError(f"list {name!r}: loading must be a number") from None
    return ListSpec(name, base, tuple(effects), tuple(dict.fromkeys(zeros)), active, loading)


def _dependence(v, names: list[str]) -> Dependence:
    if not isinstance(v, Mapping) or set(v) != {"lists", "log_odds_ratio"}:
        raise ScenarioError("each [[dependence]] needs exactly lists = [A, B] and log_odds_ratio = x")
    pair = [str(x) for x in _as_list(v["lists"], "dependence lists")]
    if len(pair) != 2 or pair[0] == pair[1]:
        raise ScenarioError(f"dependence joins two different lists, got {pair}")
    for x in pair:
        if x not in names:
            raise ScenarioError(f"dependence names unknown list {x!r}; lists are {names}")
    try:
        lor = float(v["log_odds_ratio"])
    except (TypeError, ValueError):
        raise ScenarioError("dependence log_odds_ratio must be a number") from None
    return Dependence((pair[0], pair[1]), lor)


def _heterogeneity(v) -> Heterogeneity:
    if not isinstance(v, Mapping):
        raise ScenarioError("heterogeneity must be a table with kind = none | latent_class | normal")
    kind = str(v.get("kind", "none"))
    if kind == "none":
        return Heterogeneity()
    if kind == "latent_class":
        if set(v) - {"kind", "weights", "shifts"}:
            raise ScenarioError("latent_class heterogeneity takes weights and shifts")
        shifts = tuple(float(s) for s in _as_list(v.get("shifts", []), "heterogeneity shifts"))
        if len(shifts) < 2:
            raise ScenarioError("latent_class heterogeneity needs at least 2 shifts (one per class)")
        w = _probs(v.get("weights", []), len(shifts), "heterogeneity weights")
        return Heterogeneity("latent_class", w, shifts)
    if kind == "normal":
        if set(v) - {"kind", "sd"}:
            raise ScenarioError("normal heterogeneity takes sd")
        sd = float(v.get("sd", 0.0))
        if not sd >= 0:
            raise ScenarioError("heterogeneity sd must be >= 0")
        return Heterogeneity("normal", sd=sd)
    raise ScenarioError(f"heterogeneity kind must be none, latent_class or normal, not {kind!r}")


# ----------------------------------------------------------------------------- bundled scenarios
def scenario_names() -> list[str]:
    """Names of the scenarios bundled in ``darkfigure/scenarios`` (usable in place of a path).

    Returns
    -------
    list of str
    """
    files = resources.files("darkfigure") / "scenarios"
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".toml"))


def load_scenario(scenario: Scenario | Mapping | str | Path) -> Scenario:
    """A scenario from a TOML path, a bundled scenario's name, a dict or a Scenario.

    Parameters
    ----------
    scenario : Scenario, mapping, path or str
        A path to a TOML file is read; otherwise a name from :func:`scenario_names`.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Neither an existing file nor a bundled name; or an invalid scenario.
    """
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, Mapping):
        return Scenario.from_dict(scenario)
    p = Path(scenario)
    if p.exists():
        return Scenario.from_toml(p)
    name = str(scenario)
    if name.endswith(".toml") and name[:-5] not in scenario_names():
        return Scenario.from_toml(p)  # a missing file: its error names the bundled scenarios
    name = name[:-5] if name.endswith(".toml") else name
    if name in scenario_names():
        res = resources.files("darkfigure") / "scenarios" / f"{name}.toml"
        d = tomllib.loads(res.read_text(encoding="utf-8"))
        return Scenario.from_dict(d, name=name)
    raise ScenarioError(f"no scenario file {name!r} and no bundled scenario of that name: {', '.join(scenario_names())}")


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
        True N: columns ``group`` (``total``, a covariate, or ``AxB`` for a pair of
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

    def write(self, out: str | Path, persons: bool = False) -> list[Path]:
        """Write ``histories.csv``, ``truth.csv`` and (if any) ``structural_zeros.csv`` into folder `out`.

        Parameters
        ----------
        out : path
        persons : bool
            Also write ``persons.csv`` (one row per registered person).

        Returns
        -------
        list of Path
            The files written.

        Raises
        ------
        OSError
            When the folder cannot be created or written.
        """
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
        gname = "total" if not g else "x".join(g)
        for yi in [None, *range(len(sc.years))]:
            n = n_ts.sum(axis=0) if yi is None else n_ts[yi]
            for lv in levels:
                label = ":".join(lv)
                rows.append((gname, label, None if yi is None else sc.years[yi], int(n[key == label].sum())))
    out = pd.DataFrame(rows, columns=["group", "level", "year", "N"])
    out["year"] = out["year"].astype("Int64")
    return out
