"""Scenarios of simulated populations: the specs, their TOML form and the bundled scenarios.

A scenario declares a closed population per year, categorical covariates, k lists whose
capture probabilities depend on the covariates and the year, pairwise dependence between
lists, unmodelled heterogeneity and structural zeros (how a population is drawn from it:
:mod:`darkfigure.simulation`). Bundled scenarios are the TOML files in ``darkfigure/scenarios``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._history_checks import _check_term_names
from .histories import DataError

__all__ = [
    "CovariateSpec",
    "Dependence",
    "Heterogeneity",
    "ListSpec",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "scenario_names",
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
            that can register nobody, fewer than 2 lists, a covariate level holding ``:``.
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
        try:  # refused here, not when the simulated histories are read: truth.csv names a pair of covariates a:b
            _check_term_names(names, [*cov_names, year_col], "count")
        except DataError as e:
            raise ScenarioError(f"scenario: {str(e).replace('the column', 'it in the scenario')}") from None
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
        colon = [x for x in levels if ":" in x]  # joins a pair's levels in truth.csv (female:adult)
        if colon:
            raise ScenarioError(f"covariate {name!r}: level {colon[0]!r} contains ':', which joins the levels of a "
                                f"pair in the outputs; replace it, e.g. by '-' ({colon[0].replace(':', '-')!r})")
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
