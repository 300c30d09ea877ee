"""An independent generator of organisations' registrations: the held-out check of ``darkfigure link``.

Written by a tester on 2026-12-06 (tester report 12) WITHOUT
reading or using darkfigure's own registration simulator (:mod:`darkfigure.linkage.synthetic`,
which was used to tune the linkage). It is therefore held out: never tune the linkage or the
estimation on it without saying so in the commit and in the figures that cite it
(``benchmarks/independent_linkage_check.py``). Already said there: the date-of-birth levels of
s12-dob (merged in bbf9772) were checked against the truth of the tester's runs (seeds 101, 201-204,
301-303), so use fresh seeds for a held-out figure. The statistical behaviour is that of the tester's
``gen/gen_regs.py`` (same seed, same registrations); only the packaging changed.

What it models
--------------
* Persons: ``persons`` (N) people of 8 origins (NL .30, RO .17, BG .12, NG .12, VN .08, UA .09,
  MA .07, CN .05); an exploitation type (sexual, labour, criminal, other) with origin-specific
  probabilities; sex (female 92% among sexual exploitation, 35% otherwise); age (NL: 15-40 with
  minors, others 18-54, plus 0-2 years) and age group (minor, 18-24, 25-39, 40+); an exploitation
  episode in 2021-2023 and a date of birth from it; a latent heterogeneity (normal, sd 0.8).
* Names: first name (by sex) and surname drawn from the origin's pool in :mod:`.names` with Zipf
  weights ``1 / rank**s``; ``skew`` sets the exponents (first name, surname): ``"default"``
  (0.8, 0.6), ``"strong"`` (1.1, 1.0: many namesakes) or ``"flat"`` (0.3, 0.2: few namesakes).
* Capture by 6 organisations (lists), logistic in covariates and the heterogeneity: ``police``
  (sexual/criminal +, labour -, NL +), ``labour_inspectorate`` (labour ++, women -, minors -),
  ``border_police`` (NL --, NG +, CN +); list-dependent: ``shelters`` (+ police, women, sexual),
  ``ngo_fairwork`` (- police, + labour inspectorate, non-NL +), ``youth_care`` (minors ++, + police).
* Registrations per captured person (1, a within-organisation duplicate with probability ``dup``,
  a third with ``dup / 5``), dated within 400 days of the episode (duplicates 30-500 days later,
  at most 2023-12-31), each with independent errors. Rates per registration:

  ============================  ========  =====
  error                         moderate  heavy
  ============================  ========  =====
  no date of birth              15%       25%
  wrong date of birth (*)       7%        12%
  typo, per name (**)           11%       20%
  first name / surname swapped  3%        5%
  spelling variant, if any      25%       40%
  in-organisation duplicate     5%        8%
  no sex                        3%        6%
  no nationality                5%        10%
  ============================  ========  =====

  plus, in both settings, 10% UPPER- and 5% lower-case names and 4% no exploitation type.
  (*) day/month swapped, ±1 day, year ±1/2/10, 1 January placeholder (half of them with the year
  ±1) or ±40 days. (**) deletion, insertion, substitution, transposition or a phonetic change.

The truth is the column ``true_person_id`` of the registrations; the true capture histories are
one row per observed person with the 6 lists (0/1) and the covariates sex, exploitation, age_group.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .names import VARIANTS, F, M, S

#: error rates per registration of each setting (see the module docstring)
SETTINGS: dict[str, dict[str, float]] = {
    "moderate": dict(miss_dob=.15, wrong_dob=.07, typo=.11, swap=.03, variant=.25, dup=.05, miss_sex=.03,
                     miss_nat=.05),
    "heavy": dict(miss_dob=.25, wrong_dob=.12, typo=.20, swap=.05, variant=.40, dup=.08, miss_sex=.06,
                  miss_nat=.10),
}
#: Zipf exponents (first name, surname) of each name skew
SKEWS: dict[str, tuple[float, float]] = {"default": (0.8, 0.6), "strong": (1.1, 1.0), "flat": (0.3, 0.2)}
ORIGINS = ["NL", "RO", "BG", "NG", "VN", "UA", "MA", "CN"]
ORIGIN_SHARES = np.array([.30, .17, .12, .12, .08, .09, .07, .05])
NATIONALITY = dict(NL="NLD", RO="ROU", BG="BGR", NG="NGA", VN="VNM", UA="UKR", MA="MAR", CN="CHN")
#: probabilities of sexual, labour, criminal, other exploitation by origin
EXPLOITATION = dict(NL=[.55, .15, .25, .05], RO=[.45, .40, .10, .05], BG=[.50, .35, .10, .05],
                    NG=[.75, .10, .10, .05], VN=[.15, .40, .40, .05], UA=[.35, .50, .10, .05],
                    MA=[.30, .25, .40, .05], CN=[.40, .45, .10, .05])
ALPHABET = "abcdefghijklmnopqrstuvwxyz"
PHONETIC = {"y": "i", "i": "y", "k": "c", "c": "k", "j": "y", "v": "w", "w": "v", "u": "oe", "ph": "f", "s": "z",
            "e": "a"}


@dataclass
class IndependentRegistrations:
    """The output of :func:`generate`.

    Attributes
    ----------
    registrations : DataFrame, one row per registration
        ``record_id, organisation, registration_date, first_name, surname, date_of_birth, sex,
        nationality, exploitation, age_group, true_person_id`` (dates as ``YYYY-MM-DD`` text,
        missing values as empty strings), in the darkfigure registration format.
    population : DataFrame, shape (persons, 5 + 6)
        Every person: ``true_person_id, sex, exploitation, age_group, origin`` and the 6 lists (0/1).
    histories : DataFrame, one row per observed person
        The true capture histories: the 6 lists (0/1), ``sex, exploitation, age_group``.
    lists : list of str
        The organisations in generation order.
    seed, setting, persons, skew
        The arguments of :func:`generate`.
    """

    registrations: pd.DataFrame
    population: pd.DataFrame
    histories: pd.DataFrame
    lists: list[str]
    seed: int
    setting: str
    persons: int
    skew: str

    def write(self, out: str | Path) -> list[Path]:
        """Write the files of the tester's script into `out` (created; existing files are refused).

        ``regs/<organisation>.csv`` (with ``true_person_id``), ``truth.csv`` (record_id,
        organisation, true_person_id), ``population.csv`` and ``true_histories.csv``.

        Raises
        ------
        FileExistsError
            One of these files exists already (never overwrite a file this did not write).
        """
        out = Path(out)
        by_org = dict(tuple(self.registrations.groupby("organisation")))
        paths = [out / "regs" / f"{o}.csv" for o in by_org] + [out / n for n in
                                                               ("truth.csv", "population.csv", "true_histories.csv")]
        if existing := [str(p) for p in paths if p.exists()]:
            raise FileExistsError(f"{', '.join(existing)} exist(s) already: give an empty or new folder")
        (out / "regs").mkdir(parents=True, exist_ok=True)
        for o, g in by_org.items():
            g.to_csv(out / "regs" / f"{o}.csv", index=False)
        self.registrations[["record_id", "organisation", "true_person_id"]].to_csv(out / "truth.csv", index=False)
        self.population.to_csv(out / "population.csv", index=False)
        self.histories.to_csv(out / "true_histories.csv", index=False)
        return paths


def generate(seed: int, setting: str, persons: int, skew: str = "default") -> IndependentRegistrations:
    """Simulate one population and its registrations by 6 organisations (the module docstring says how).

    Parameters
    ----------
    seed : int
        Seed of :func:`numpy.random.default_rng`; every random draw comes from it, in the order of
        the tester's script (so that the same seed gives the same registrations).
    setting : {"moderate", "heavy"}
        Error rates (:data:`SETTINGS`).
    persons : int
        Population size N (the persons never captured are in `population` only).
    skew : {"default", "strong", "flat"}
        Concentration of the name frequencies (:data:`SKEWS`; the tester's environment variable SKEW).

    Returns
    -------
    IndependentRegistrations

    Raises
    ------
    ValueError
        An unknown setting or skew, or fewer than 1 person.
    """
    if setting not in SETTINGS:
        raise ValueError(f"setting must be one of {', '.join(SETTINGS)}, not {setting!r}")
    if skew not in SKEWS:
        raise ValueError(f"skew must be one of {', '.join(SKEWS)}, not {skew!r}")
    if persons < 1:
        raise ValueError(f"persons must be at least 1, not {persons}")
    n, err, rng = int(persons), SETTINGS[setting], np.random.default_rng(seed)

    def zipf_pick(names: list[str], s: float) -> str:
        """One name of `names` (in rank order) with probability proportional to 1 / rank**s."""
        w = 1 / np.arange(1, len(names) + 1) ** s
        return names[rng.choice(len(names), p=w / w.sum())]

    # ---- persons
    orig = rng.choice(ORIGINS, n, p=ORIGIN_SHARES)
    expl = np.empty(n, dtype=object)
    for i, o in enumerate(orig):
        expl[i] = rng.choice(["sexual", "labour", "criminal", "other"], p=EXPLOITATION[o])
    female = np.where(expl == "sexual", rng.random(n) < .92, rng.random(n) < .35)
    sex = np.where(female, "F", "M")
    age = np.where(orig == "NL", rng.choice([15, 16, 17, 18, 19, 20, 22, 25, 30, 40], n),
                   rng.integers(18, 55, n)) + rng.integers(0, 3, n)
    agegrp = pd.cut(age, [0, 17, 24, 39, 200], labels=["minor", "18-24", "25-39", "40+"]).astype(str)
    epi = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, n), "D")  # exploitation episode
    dob = [e - pd.Timedelta(days=int(a * 365.25 + rng.integers(0, 365))) for e, a in zip(epi, age)]
    sk_f, sk_s = SKEWS[skew]
    fn = [zipf_pick((F if f else M)[o], sk_f) for f, o in zip(female, orig)]
    sn = [zipf_pick(S[o], sk_s) for o in orig]
    het = rng.normal(0, 0.8, n)  # unobserved heterogeneity (latent visibility)

    # ---- capture: logistic models with covariates + dependence between lists
    def lg(x: np.ndarray) -> np.ndarray:
        """The logistic function."""
        return 1 / (1 + np.exp(-x))

    is_f, minor = female.astype(float), (agegrp == "minor").astype(float)
    e_s, e_l, e_c = (expl == "sexual") * 1., (expl == "labour") * 1., (expl == "criminal") * 1.
    nl = (orig == "NL") * 1.
    p_cap = {
        "police": lg(-1.3 + .5 * e_s + .6 * e_c - .6 * e_l + .3 * nl + .4 * het),
        "labour_inspectorate": lg(-3.2 + 2.4 * e_l - .5 * is_f - 1.5 * minor + .3 * het),
        "border_police": lg(-2.0 - 1.5 * nl + .5 * (orig == "NG") + .4 * (orig == "CN") + .2 * het),
    }
    cap = {o: rng.random(n) < p for o, p in p_cap.items()}
    # shelters: referrals from the police; NGO: those who avoid the police, referred by the inspectorate
    cap["shelters"] = rng.random(n) < lg(-2.6 + 1.3 * cap["police"] + .8 * is_f + .6 * e_s + .5 * het)
    cap["ngo_fairwork"] = rng.random(n) < lg(-1.6 - .9 * cap["police"] + .7 * cap["labour_inspectorate"]
                                             + .4 * (1 - nl) + .4 * het)
    cap["youth_care"] = rng.random(n) < lg(-4.0 + 3.3 * minor + .8 * cap["police"] + .3 * het)
    orgs = list(cap)

    # ---- errors
    def typo(s: str) -> str:
        """One deletion, insertion, substitution, transposition or phonetic change of `s`."""
        if len(s) < 2:
            return s
        i = rng.integers(0, len(s))
        k = rng.integers(0, 5)
        if k == 0:
            return s[:i] + s[i + 1:]
        if k == 1:
            return s[:i] + ALPHABET[rng.integers(26)] + s[i:]
        if k == 2:
            return s[:i] + ALPHABET[rng.integers(26)] + s[i + 1:]
        if k == 3 and i < len(s) - 1:
            return s[:i] + s[i + 1] + s[i] + s[i + 2:]
        for a, b in PHONETIC.items():
            if a in s[1:]:
                return s[0] + s[1:].replace(a, b, 1)
        return s + s[-1]

    def variant(s: str) -> str:
        """A spelling variant of `s` with the setting's probability, when :data:`.names.VARIANTS` has one."""
        if s in VARIANTS and rng.random() < err["variant"]:
            return VARIANTS[s][rng.integers(len(VARIANTS[s]))]
        return s

    def case(s: str) -> str:
        """`s` in upper case (10%), lower case (5%) or unchanged."""
        r = rng.random()
        return s.upper() if r < .10 else (s.lower() if r < .15 else s)

    def bad_dob(d: pd.Timestamp) -> pd.Timestamp:
        """A wrong date of birth: day/month swap, ±1 day, year off, 1 January (year ±1) or ±40 days."""
        k = rng.integers(0, 5)
        if k == 0 and d.day <= 12 and d.day != d.month:
            return d.replace(day=d.month, month=d.day)
        if k == 1:
            return d + pd.Timedelta(days=int(rng.choice([-1, 1])))
        if k == 2:
            try:
                return d.replace(year=d.year + int(rng.choice([-10, -2, -1, 1, 2])))
            except ValueError:  # 29 February
                return d + pd.Timedelta(days=365)
        if k == 3:
            return d.replace(month=1, day=1)
        if rng.random() < .5:
            return d.replace(year=d.year + int(rng.choice([-1, 1])), month=1, day=1)
        return d + pd.Timedelta(days=int(rng.integers(-40, 40)))

    rows = []
    for o in orgs:
        nrec = 0
        for p in np.flatnonzero(cap[o]):
            ndup = 1 + (rng.random() < err["dup"]) + (rng.random() < err["dup"] / 5)
            for d in range(ndup):
                nrec += 1
                f, s = variant(fn[p]), variant(sn[p])
                if rng.random() < err["typo"]:
                    f = typo(f)
                if rng.random() < err["typo"]:
                    s = typo(s)
                if rng.random() < err["swap"]:
                    f, s = s, f
                f, s = case(f), case(s)
                r = rng.random()
                if r < err["miss_dob"]:
                    db = ""
                elif r < err["miss_dob"] + err["wrong_dob"]:
                    db = bad_dob(dob[p]).strftime("%Y-%m-%d")
                else:
                    db = dob[p].strftime("%Y-%m-%d")
                rd = epi[p] + pd.Timedelta(days=int(rng.integers(0, 400) if d == 0 else rng.integers(30, 500)))
                rd = min(rd, pd.Timestamp("2023-12-31"))
                if db and db > rd.strftime("%Y-%m-%d"):  # no birth after registration
                    db = dob[p].strftime("%Y-%m-%d")
                rows.append(dict(record_id=f"{o[:3].upper()}-{seed}-{nrec:05d}", organisation=o,
                                 registration_date=rd.strftime("%Y-%m-%d"), first_name=f, surname=s,
                                 date_of_birth=db,
                                 sex="" if rng.random() < err["miss_sex"] else sex[p],
                                 nationality="" if rng.random() < err["miss_nat"] else NATIONALITY[orig[p]],
                                 exploitation=expl[p] if rng.random() > .04 else "",
                                 age_group=agegrp[p], true_person_id=f"P{p:06d}"))
    reg = pd.DataFrame(rows)
    pop = pd.DataFrame(dict(true_person_id=[f"P{p:06d}" for p in range(n)], sex=sex, exploitation=expl,
                            age_group=agegrp, origin=orig, **{o: cap[o].astype(int) for o in orgs}))
    obs = pop[pop[orgs].sum(axis=1) > 0]
    hist = obs[orgs + ["sex", "exploitation", "age_group"]].reset_index(drop=True)
    return IndependentRegistrations(reg, pop, hist, orgs, seed, setting, n, skew)


def _main(argv: list[str] | None = None) -> None:
    """``python -m independent_registrations SEED SETTING N OUTDIR`` (SKEW from the environment, as the tester's)."""
    import sys

    a = sys.argv[1:] if argv is None else argv
    if len(a) != 4:
        raise SystemExit("usage: python -m independent_registrations SEED moderate|heavy N OUTDIR")
    res = generate(int(a[0]), a[1], int(a[2]), skew=os.environ.get("SKEW") or "default")
    res.write(a[3])
    print(f"seed={res.seed} setting={res.setting} N={res.persons} observed={len(res.histories)} "
          f"registrations={len(res.registrations)} per org:", res.registrations.organisation.value_counts().to_dict())
