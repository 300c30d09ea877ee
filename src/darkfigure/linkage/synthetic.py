"""Synthetic registrations with a known truth: per-organisation files for testing record linkage.

:func:`simulate_registrations` draws a population from a scenario with
:func:`darkfigure.simulation.simulate` (the same seed gives the same capture histories),
gives every registered person an identity, and writes one registration per list that
captured the person, as organisations would have recorded it:

* **Identity.** Origin group (Dutch / EU / non-EU) from the scenario covariate
  ``nationality_group`` or ``nationality`` when it has these levels (otherwise drawn
  35/25/40%); a country within the group (shares in ``data/origins.csv``); sex from
  the covariate ``sex`` (otherwise 50/50); first name by country and sex and surname by
  country (and sex where surnames have gendered forms: Polish, Bulgarian, Slovak,
  Ukrainian, Ghanaian) from the packaged lists in ``data/`` (extracted once from
  Faker's locales by ``scripts/extract_names.py``; heavy-tailed frequencies, so common
  names recur as they do in real registers). Age on 1 January of the person's year:
  12-17 for the covariate level ``age = minor``, otherwise 18 + Gamma(2, 6) years (mean
  30); 5% of non-EU persons carry the official date of birth 1 January (as when the
  real date is unknown). The date of birth precedes every registration.
* **Registrations.** One per list that captured the person, dated uniformly within the
  person's year (never after yesterday). Within-organisation duplicates: a registration
  is copied, with probability ``duplicate``, as a second registration of the same person
  by the same organisation (another record_id and date, its own errors).
* **Errors**, independently per registration with the probabilities of
  :class:`ErrorRates`: name-form variants (accents dropped, Dutch particles written
  "Berg, van der" or left out, only one part of a compound first name or double surname,
  another transliteration of a Cyrillic name, a diminutive such as Kees for Cornelis),
  typos in first name and surname (keyboard-neighbour substitution, deletion,
  transposition of neighbours, a doubled or undoubled letter), first name and surname
  swapped, date of birth missing, wrong (day and month swapped, year, day or month off
  by one) or a placeholder (1 January of the birth year, 1900-01-01), sex or nationality
  missing, a person-level covariate (form of exploitation, age group) recorded with
  another value or left empty; and some organisations (probability ``uppercase_surnames`` each) write
  surnames in capitals. Particles may also be written joined to the name (Vanderberg,
  Elamrani).
* **Settings.** :data:`REGISTRATION_SCENARIOS` names several settings (error rates up to
  20% missing dates of birth, 15% typos per name field, 10% duplicates; a name skew that
  makes one first name + surname recur among hundreds of persons at a million
  registrations; extra surname particles such as van der, de, El, bin). Linkage was tuned
  on those marked ``tuning`` and is reported on the ``held_out`` ones.

  How much names recur decides how far a linkage can go where the date of birth is
  missing. The packaged frequencies (``name_skew`` 1) already concentrate names more than a
  population register does: among the Dutch persons of ``large_register`` at a million
  registrations "de Jong" is 2.1%, "de Vries" 1.8%, "Jansen" 1.7% of the surnames, against
  0.53%, 0.45% and 0.46% of the Dutch population (Meertens Institute, Nederlandse
  Familienamenbank, from the municipal population register of 2007: 86,534, 73,152 and
  75,698 bearers of 16.4 million), and one full name (Nguyễn Thị Hải) is carried by 376
  persons. ``recurring_names`` (exponent 1.6) makes them 11 times the register's ("de
  Jong" 6.1%, a person shares the full name with 30 others on average against 6 with the
  packaged frequencies): a stress setting, on which registrations without a date of birth
  cannot all be told from their namesakes (``benchmarks/link_scale_diagnosis.py``).

The truth is kept aside: ``true_person_id`` in every registration (real files have no
such column; ``darkfigure link --truth true_person_id`` uses it to measure linkage
quality), ``persons`` (one row per registered person with the true identity, lists and
covariates), ``errors`` (which errors each registration received) and ``truth`` (the
true N per group and year, as :class:`darkfigure.simulation.Simulation` gives it).

Columns of the registrations: ``record_id, organisation, registration_date, first_name,
surname, date_of_birth, sex, nationality`` (ISO 3166-1 alpha-2 country code), then the
scenario's covariates other than sex (a covariate named ``nationality`` is written as
``nationality_group`` because ``nationality`` holds the country), then
``true_person_id``.

Everything is vectorised with numpy except the string edits of the registrations that
receive an error (a Python loop over that minority): a million registrations take a
few seconds (``benchmarks/bench_registrations.py``).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..simulation import Scenario, ScenarioError, Simulation, load_scenario, simulate

# Name pools and variants, and the error injection, live in their own modules (moved unchanged).
from ._synthetic_errors import _file_name, _registrations
from ._synthetic_names import _NATIONALITY_COVARIATES, _names
from .registrations import PARTICLES, REQUIRED_COLUMNS

__all__ = ["ErrorRates", "REGISTRATION_SCENARIOS", "RegistrationScenario", "RegistrationSimulation", "scaled_scenario",
           "simulate_registrations"]

_GROUPS = ("Dutch", "EU", "non-EU")
_DEFAULT_GROUP_SHARES = (0.35, 0.25, 0.40)
_JAN1_SHARE_NON_EU = 0.05


@dataclass(frozen=True)
class ErrorRates:
    """Probabilities of recording errors, per registration (each drawn independently).

    Attributes
    ----------
    name_variant : float
        Another form of the first name or surname (accents, particles, compound parts,
        transliteration, diminutive), chosen among the forms that exist for the name.
    typo_first_name, typo_surname : float
        One typing error in the field.
    swap_names : float
        First name and surname exchanged.
    dob_missing : float
        Date of birth left empty.
    dob_wrong : float
        Date of birth wrong: day/month swapped (when the day is <= 12), else year, day or
        month off by one; exclusive with `dob_missing`.
    dob_placeholder : float
        Date of birth replaced by a placeholder: 1 January of the birth year (as when only
        the year is known) or 1900-01-01 (a system's "unknown"), half each. Recorded in
        ``errors.dob_wrong`` as ``placeholder_jan1`` / ``placeholder_1900``. Exclusive with
        the two above: ``dob_missing + dob_wrong + dob_placeholder <= 1``.
    sex_missing, nationality_missing : float
        Field left empty.
    duplicate : float
        Probability that a registration has a second registration of the same person by
        the same organisation (within-organisation duplicate).
    uppercase_surnames : float
        Probability, per organisation, that it writes surnames in capitals (a style, not
        an error; normalisation removes it).
    covariate_changed : float
        Probability that a registration records another value of a person-level covariate
        (each covariate other than sex and nationality independently: another form of
        exploitation, the other age group), as when police record sexual and a shelter
        labour exploitation, or the age group changes across years. Recorded in
        ``errors.covariates_changed`` (the covariates changed, comma-separated).
    covariate_missing : float
        Probability that a registration leaves a person-level covariate empty (each
        independently); ``errors.covariates_missing``.

    Defaults are meant to be realistic but linkable (a few per cent each; together about
    a quarter of the registrations carry at least one error).
    """

    name_variant: float = 0.05
    typo_first_name: float = 0.04
    typo_surname: float = 0.05
    swap_names: float = 0.02
    dob_missing: float = 0.06
    dob_wrong: float = 0.03
    dob_placeholder: float = 0.0
    sex_missing: float = 0.01
    nationality_missing: float = 0.02
    duplicate: float = 0.03
    uppercase_surnames: float = 0.3
    covariate_changed: float = 0.0
    covariate_missing: float = 0.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if not (isinstance(v, (int, float)) and 0.0 <= float(v) <= 1.0):
                raise ScenarioError(f"error rate {f.name} must be a probability in [0, 1], got {v!r}")
        if self.dob_missing + self.dob_wrong + self.dob_placeholder > 1:
            raise ScenarioError("dob_missing + dob_wrong + dob_placeholder must not exceed 1 (a date is missing, "
                                "wrong or a placeholder)")

    @classmethod
    def none(cls) -> ErrorRates:
        """No errors and no duplicates: every registration holds the true identity."""
        return cls(**{f.name: 0.0 for f in dataclasses.fields(cls)})


@dataclass(frozen=True)
class RegistrationScenario:
    """A named setting of the registration simulator: recording errors and how names recur.

    Attributes
    ----------
    name, description : str
    errors : ErrorRates
    name_skew : float
        Exponent applied to the name lists' frequencies (1: as packaged; 2: squared and
        renormalised, so the common names become far more common: a Zipf law with twice
        the exponent). With 1.6 at a million registrations one first name + surname is
        carried by hundreds of persons.
    particles : float
        Share of persons whose surname carries a particle (van der, de, El, Al, bin, Ben,
        da, ...; by origin), on top of those in the name lists.
    role : {"tuning", "held_out"}
        Whether the linkage was tuned on this setting or only evaluated on it
        (``benchmarks/linkage_quality_study.py`` reports both separately).
    """

    name: str
    description: str
    errors: ErrorRates
    name_skew: float = 1.0
    particles: float = 0.0
    role: str = "held_out"


#: moderate errors with 10% missing dates of birth: the errors of the two settings for a million registrations
#: (``recurring_names``, ``large_register``), which differ in how often names recur
_LARGE_REGISTER_ERRORS = ErrorRates(name_variant=0.06, typo_first_name=0.08, typo_surname=0.08, swap_names=0.03,
                                    dob_missing=0.10, dob_wrong=0.05, dob_placeholder=0.02, sex_missing=0.03,
                                    nationality_missing=0.05, duplicate=0.05)

#: Named registration settings. The linkage was tuned on the "tuning" ones; the "held_out" ones are for reporting.
REGISTRATION_SCENARIOS: dict[str, RegistrationScenario] = {
    s.name: s
    for s in (
        RegistrationScenario("standard", "the defaults of ErrorRates: a few per cent of each error", ErrorRates(),
                             role="tuning"),
        RegistrationScenario(
            "messy", "15% without a date of birth, 12% typos per name, 5% duplicates, particles",
            ErrorRates(name_variant=0.08, typo_first_name=0.12, typo_surname=0.12, swap_names=0.03, dob_missing=0.15,
                       dob_wrong=0.05, dob_placeholder=0.02, sex_missing=0.03, nationality_missing=0.05,
                       duplicate=0.05),
            particles=0.10, role="tuning"),
        RegistrationScenario(
            "typos", "15% typos per name, 12% name variants, 5% swapped names, 8% duplicates",
            ErrorRates(name_variant=0.12, typo_first_name=0.15, typo_surname=0.15, swap_names=0.05, dob_missing=0.05,
                       dob_wrong=0.04, dob_placeholder=0.01, sex_missing=0.05, nationality_missing=0.10,
                       duplicate=0.08),
            particles=0.15),
        RegistrationScenario(
            "no_dob", "20% without a date of birth, 10% duplicates, skewed names (exponent 1.5)",
            ErrorRates(name_variant=0.06, typo_first_name=0.08, typo_surname=0.08, swap_names=0.03, dob_missing=0.20,
                       dob_wrong=0.06, dob_placeholder=0.03, sex_missing=0.05, nationality_missing=0.08,
                       duplicate=0.10),
            name_skew=1.5, particles=0.05),
        RegistrationScenario(
            "dob_errors", "12% wrong dates of birth of every kind, 5% placeholders, 10-15% missing sex/nationality",
            ErrorRates(name_variant=0.08, typo_first_name=0.06, typo_surname=0.06, swap_names=0.04, dob_missing=0.08,
                       dob_wrong=0.12, dob_placeholder=0.05, sex_missing=0.10, nationality_missing=0.15,
                       duplicate=0.06),
            particles=0.05),
        RegistrationScenario(
            "recurring_names", "names much more concentrated (exponent 1.6) with moderate errors: for 1M registrations",
            _LARGE_REGISTER_ERRORS,
            name_skew=1.6, particles=0.10),
        RegistrationScenario(
            "large_register", "the errors of recurring_names with the packaged name frequencies: for 1M registrations",
            _LARGE_REGISTER_ERRORS,
            particles=0.10),
        RegistrationScenario(
            "inconsistent_covariates", "covariates recorded differently: 20% of registrations with another form of "
            "exploitation / age group, 15% without; 15% without a date of birth, skewed names (exponent 1.5)",
            ErrorRates(name_variant=0.06, typo_first_name=0.08, typo_surname=0.08, swap_names=0.03, dob_missing=0.15,
                       dob_wrong=0.05, dob_placeholder=0.02, sex_missing=0.05, nationality_missing=0.08,
                       duplicate=0.06, covariate_changed=0.20, covariate_missing=0.15),
            name_skew=1.5, particles=0.05),
    )
}


@dataclass(frozen=True)
class RegistrationSimulation:
    """Synthetic registrations of a simulated population and the truth behind them.

    Attributes
    ----------
    simulation : Simulation
        The population and its capture histories (``simulation.histories`` are the true
        histories of the registrations).
    registrations : DataFrame, shape (n_registrations, 8 + n_covariates + 1)
        All organisations together, sorted by organisation (scenario order), date and
        record_id; columns as in the module docstring, ending with ``true_person_id``.
    persons : DataFrame, shape (n_registered_persons, ...)
        The truth per registered person: ``true_person_id``, true ``first_name``,
        ``surname``, ``date_of_birth``, ``sex``, ``nationality`` (country code), ``origin``
        (Dutch/EU/non-EU), the scenario covariates, the year column, one 0/1 column per
        list and ``n_registrations`` (duplicates included).
    errors : DataFrame, shape (n_registrations, ...)
        Per registration (same order as `registrations`): ``record_id``,
        ``organisation``, ``true_person_id``, ``duplicate_of`` (record_id of the
        registration it duplicates, or ""), ``name_variant`` (kind or ""),
        ``typo_first_name``, ``typo_surname`` (kind or ""), ``swap_names``,
        ``dob_missing`` (bool), ``dob_wrong`` (kind or ""), ``sex_missing``,
        ``nationality_missing`` (bool), ``covariates_changed``, ``covariates_missing``
        (covariate names, comma-separated, or "").
    error_rates : ErrorRates
    seed : int
        The entropy actually used (drawn when None was given), to reproduce the draw.
    """

    simulation: Simulation
    registrations: pd.DataFrame = field(repr=False)
    persons: pd.DataFrame = field(repr=False)
    errors: pd.DataFrame = field(repr=False)
    error_rates: ErrorRates = field(default_factory=ErrorRates)
    seed: int = 0

    @property
    def truth(self) -> pd.DataFrame:
        """True N per group, level and year (``group, level, year, N``), as :attr:`Simulation.truth`."""
        return self.simulation.truth

    @property
    def organisations(self) -> tuple[str, ...]:
        """The organisations (the scenario's lists), in scenario order."""
        return self.simulation.lists

    def files(self) -> dict[str, pd.DataFrame]:
        """One registration frame per organisation (what each organisation would send)."""
        r = self.registrations
        return {o: r[r["organisation"] == o].reset_index(drop=True) for o in self.organisations}

    def write(self, out: str | Path, fmt: str = "csv", *, overwrite: bool = False) -> list[Path]:
        """Write ``registrations/<organisation>.csv``, ``persons_truth.csv`` and ``registration_errors.csv``.

        Written through :func:`darkfigure.outputs.write_result` (as the command line writes): atomic, listed in
        the folder's ``.darkfigure-outputs.json``, never over a file darkfigure did not write unless
        `overwrite` (writing again into the same folder is fine).

        Parameters
        ----------
        out : path
            Folder (created if needed).
        fmt : {"csv", "parquet"}
            Format of the registration files (the truth files are always CSV).
        overwrite : bool
            Replace files in `out` that darkfigure did not write.

        Returns
        -------
        list of Path
            The files written. Each is written to a temporary file and renamed, so a
            failure leaves no half-written file.

        Raises
        ------
        ValueError
            Unknown `fmt`.
        darkfigure.outputs.OutputError
            A file in `out` that darkfigure did not write would be replaced (the message names it and
            ``overwrite=True``); nothing is written then.
        OSError
            The folder cannot be created or written.
        """
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
        from ..outputs import write_result

        return write_result(out, lambda d: self._write_files(d, fmt), overwrite=overwrite, command="simulate")

    def _write_files(self, out: Path, fmt: str) -> list[Path]:
        """Write the files of :meth:`write` into `out` directly."""
        out = Path(out)
        reg_dir = out / "registrations"
        reg_dir.mkdir(parents=True, exist_ok=True)
        files = []
        for org, df in self.files().items():
            files.append(_atomic_write(df, reg_dir / f"{_file_name(org)}.{fmt}"))
        files.append(_atomic_write(self.persons, out / "persons_truth.csv"))
        files.append(_atomic_write(self.errors, out / "registration_errors.csv"))
        return files


def _atomic_write(df: pd.DataFrame, path: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        if path.suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# ----------------------------------------------------------------------------- simulation
def scaled_scenario(
    scenario: Scenario | Mapping | str | Path, scale: float = 1.0, population: int | None = None
) -> Scenario:
    """The scenario with its population sizes multiplied by `scale` (or rescaled to a total of `population`).

    Capture probabilities are unchanged, so the expected number of registrations scales
    alike. Poisson scenarios keep drawing N per year (around the scaled means).

    Raises
    ------
    ScenarioError
        A non-positive scale or population, or an invalid scenario.
    """
    sc = load_scenario(scenario)
    if population is not None:
        if population <= 0:
            raise ScenarioError(f"population must be positive, got {population}")
        scale = population / float(sum(sc.population))
    if not scale > 0:
        raise ScenarioError(f"scale must be positive, got {scale}")
    if scale == 1.0:
        return sc
    return dataclasses.replace(sc, population=tuple(p * scale for p in sc.population))


def simulate_registrations(
    scenario: Scenario | Mapping | str | Path = "clearing_house",
    seed: int | None = None,
    *,
    scale: float = 1.0,
    population: int | None = None,
    errors: ErrorRates | str | None = None,
    name_skew: float | None = None,
    particles: float | None = None,
    today: date | None = None,
) -> RegistrationSimulation:
    """Simulate a population and the registration files its organisations would send.

    Parameters
    ----------
    scenario : Scenario, mapping, path or bundled name
        See :func:`darkfigure.simulation.load_scenario`; the lists are the organisations.
        ``clearing_house`` (6 organisations, about 5,000 registered victims and 8,000
        registrations) is the default.
    seed : int, optional
        Seed of everything; the capture histories equal those of ``simulate(scenario,
        seed)`` (unscaled), and the identities and errors come from an independent stream.
    scale : float
        Multiplies the scenario's population sizes (e.g. 125 for about a million
        registrations with ``clearing_house``).
    population : int, optional
        Total population over all years instead of `scale` (sizes rescaled in proportion).
    errors : ErrorRates or str, optional
        Recording errors (default :class:`ErrorRates()`; ``ErrorRates.none()`` for clean
        data), or the name of a setting in :data:`REGISTRATION_SCENARIOS` (its errors,
        name skew and particles; `name_skew` and `particles` given here take precedence).
    name_skew : float, optional
        Exponent on the name lists' frequencies (default 1: as packaged); see
        :class:`RegistrationScenario`.
    particles : float, optional
        Share of persons given a surname particle (default 0).
    today : date, optional
        Registration dates stay before this day (default: today).

    Returns
    -------
    RegistrationSimulation

    Raises
    ------
    ScenarioError
        An invalid scenario, a non-positive scale, a scenario year after `today`, or a
        covariate named like a registration column other than ``sex``/``nationality``.

    References
    ----------
    The error types follow the ones reported for person registers and used in synthetic
    linkage benchmarks (Christen 2012, *Data Matching*, ch. 6 and Christen & Vatsalan
    2013, "Flexible and extensible generation and corruption of personal data", CIKM):
    typographical edits, name variants, swapped fields, missing values and duplicates.
    """
    sc = scaled_scenario(scenario, scale, population)
    if isinstance(errors, str):
        if errors not in REGISTRATION_SCENARIOS:
            raise ScenarioError(f"unknown registration setting {errors!r}; choose one of {sorted(REGISTRATION_SCENARIOS)}")
        rs = REGISTRATION_SCENARIOS[errors]
        errors = rs.errors
        name_skew = rs.name_skew if name_skew is None else name_skew
        particles = rs.particles if particles is None else particles
    errors = errors if errors is not None else ErrorRates()
    name_skew = 1.0 if name_skew is None else float(name_skew)
    particles = 0.0 if particles is None else float(particles)
    if not 0 < name_skew <= 5:
        raise ScenarioError(f"name_skew must be in (0, 5], got {name_skew}")
    if not 0 <= particles <= 1:
        raise ScenarioError(f"particles must be a share in [0, 1], got {particles}")
    today = today or date.today()
    if max(sc.years) > today.year:
        raise ScenarioError(f"scenario year {max(sc.years)} lies in the future: registrations cannot be dated")
    clash = set(sc.covariate_names) & (set(REQUIRED_COLUMNS) - {"sex", "nationality"} | {"true_person_id"})
    if clash:
        raise ScenarioError(f"covariate(s) {sorted(clash)} have the name of a registration column; rename them")
    entropy = int(np.random.SeedSequence(seed).entropy)
    sim = simulate(sc, seed=entropy)
    rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(1 << 20,)))
    persons = _persons(sim, rng, name_skew, particles)
    regs, err = _registrations(sim, persons, errors, rng, today)
    return RegistrationSimulation(sim, regs, persons, err, errors, entropy)


def _persons(sim: Simulation, rng: np.random.Generator, name_skew: float = 1.0, particles: float = 0.0) -> pd.DataFrame:
    """One row per registered person with a true identity (order random, ids 1..n)."""
    sc = sim.scenario
    lists = list(sc.list_names)
    c = sim.complete
    seen = (c[lists].to_numpy().sum(axis=1) > 0) & (c["count"].to_numpy() > 0)
    obs = c[seen].reset_index(drop=True)
    idx = np.repeat(np.arange(len(obs)), obs["count"].to_numpy())
    idx = idx[rng.permutation(len(idx))]
    n = len(idx)
    cols: dict[str, Any] = {"true_person_id": np.arange(1, n + 1)}
    cov = {name: obs[name].to_numpy(dtype=object)[idx] for name in sc.covariate_names}
    year = obs[sc.year_column].to_numpy()[idx].astype(np.int64)

    sex = _sex(cov.get("sex"), n, rng)
    group = _group(sc, cov, n, rng)
    names = _names()
    country = np.empty(n, dtype=object)
    for g in _GROUPS:
        m = np.flatnonzero(group == g)
        o = names.origins[names.origins["group"] == g]
        country[m] = o["origin"].to_numpy(dtype=object)[rng.choice(len(o), size=len(m), p=_p(o["share"]))]
    first = np.empty(n, dtype=object)
    sur = np.empty(n, dtype=object)
    for o in pd.unique(country):
        for s in ("female", "male"):
            m = np.flatnonzero((country == o) & (sex == s))
            if not len(m):
                continue
            nm, p = names.first[(o, s)]
            first[m] = nm[rng.choice(len(nm), size=len(m), p=_skew(p, name_skew))]
            nm, p = names.surname.get((o, s)) or names.surname[(o, "")]
            sur[m] = nm[rng.choice(len(nm), size=len(m), p=_skew(p, name_skew))]
    # Brazilian and Portuguese persons often carry two surnames
    two = np.flatnonzero(np.isin(country, ["BR", "PT"]) & (rng.random(n) < 0.4))
    for o in ("BR", "PT"):
        m = two[country[two] == o]
        nm, p = names.surname[(o, "")]
        sur[m] = sur[m] + " " + nm[rng.choice(len(nm), size=len(m), p=p)]

    if particles > 0:
        # a particle in front of a surname that has none: by origin group (Dutch van der, EU de/da, Arabic El/bin)
        has = np.array([str(x).split()[0].lower() in PARTICLES for x in sur])
        pick = np.flatnonzero(~has & (rng.random(n) < particles))
        for i in pick:
            opts = _PARTICLE_CHOICES[group[i]]
            sur[i] = f"{opts[rng.integers(len(opts))]} {sur[i]}"

    minor = (cov["age"] == "minor") if "age" in cov else np.zeros(n, dtype=bool)
    age = np.where(minor, rng.integers(12, 18, size=n), 18 + np.minimum(rng.gamma(2.0, 6.0, size=n), 52).astype(int))
    jan1 = np.array([f"{y}-01-01" for y in range(1900, 2200)], dtype="datetime64[D]")
    year_start = jan1[year - 1900]
    birth_year_start = jan1[year - age - 1 - 1900]
    # born in the year before (age on 1 January = age), on a uniform day of that year
    span = (jan1[year - age - 1900] - birth_year_start).astype(np.int64)
    dob = birth_year_start + (rng.random(n) * span).astype(np.int64)
    official_jan1 = (group == "non-EU") & (rng.random(n) < _JAN1_SHARE_NON_EU)
    dob[official_jan1] = birth_year_start[official_jan1]
    assert (dob < year_start).all()

    cols.update(first_name=first, surname=sur, date_of_birth=dob.astype(str), sex=sex, nationality=country,
                origin=group)
    for name in sc.covariate_names:
        if name != "sex":
            cols["nationality_group" if name == "nationality" else name] = cov[name]
    cols[sc.year_column] = year
    L = obs[lists].to_numpy().astype(np.int8)[idx]
    for j, name in enumerate(lists):
        cols[name] = L[:, j]
    return pd.DataFrame(cols)


_PARTICLE_CHOICES = {
    "Dutch": ("van", "van der", "de", "van den", "ter", "El", "Ben"),
    "EU": ("de", "da", "von", "van"),
    "non-EU": ("El", "Al", "bin", "Ben", "Abu", "de", "da"),
}


def _skew(p: np.ndarray, s: float) -> np.ndarray:
    """Name frequencies raised to the power s and renormalised (s = 1: unchanged)."""
    if s == 1.0:
        return p
    q = np.asarray(p, dtype=float) ** s
    return q / q.sum()


def _p(w) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    return w / w.sum()


def _sex(cov, n: int, rng) -> np.ndarray:
    if cov is None:
        return np.where(rng.random(n) < 0.5, "female", "male").astype(object)
    # levels other than these female spellings count as male (names are drawn by sex)
    fem = np.isin(np.char.lower(cov.astype(str)), ["female", "f", "woman", "women", "vrouw", "v"])
    return np.where(fem, "female", "male").astype(object)


def _group(sc: Scenario, cov: dict, n: int, rng) -> np.ndarray:
    for name in _NATIONALITY_COVARIATES:
        if name in cov and set(pd.unique(cov[name])) <= set(_GROUPS):
            return cov[name].astype(object)
    return np.asarray(_GROUPS, dtype=object)[rng.choice(3, size=n, p=_DEFAULT_GROUP_SHARES)]


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m
