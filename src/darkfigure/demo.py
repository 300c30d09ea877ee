"""``darkfigure demo``: the whole chain on bundled synthetic registrations.

registrations of six organisations → record linkage (Splink, DuckDB) → capture
histories → monitor (N̂ per year and subgroup, visibility, SDG 16.2.2 rates,
disclosure-controlled tables) → repeat victimisation (Kaplan–Meier) → one HTML report.

The bundled data (``darkfigure/demo_data/``, built by ``scripts/make_demo_data.py``) are
simulated: no real person is in them. Because they are simulated, the true numbers are
known and the demo prints them beside the estimates.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

__all__ = ["DemoResult", "run_demo", "demo_data", "demo_warnings"]

COVARIATES = ("sex", "age", "nationality_group", "exploitation")
#: linkage draws x bootstrap replicates per draw of the demo's linkage correction: few, to keep the demo short
LINKAGE_DRAWS, LINKAGE_REPS = 10, 20


def demo_warnings(warnings: list[str], reps: int) -> list[str]:
    """The run's warnings as the demo prints them: those caused by its deliberately small settings as one note.

    The demo keeps its bootstrap (`reps`, 200 by default) and linkage correction (:data:`LINKAGE_DRAWS` draws x
    :data:`LINKAGE_REPS` replicates) small so that it runs in about a minute. The run then warns that the
    interval's ends rest on few replicates and that rows whose interval with linkage uncertainty came out
    narrower than as linked (Monte-Carlo error; :func:`darkfigure.linkage.combine.widen_to_as_linked`) publish
    the union, once for ``estimates.csv`` and once for the monitor's rows. Printed as they are, a demo ended in
    warnings about its own settings (tester report 10, F11); here they become one note that says the settings
    are deliberate, with the rows counted and the options for real work. ``result.json`` and the report keep
    every warning in full.

    Parameters
    ----------
    warnings : list of str
        The estimate's warnings (``Estimate.warnings``).
    reps : int
        The demo's bootstrap replicates.

    Returns
    -------
    list of str
        The other warnings unchanged, in order, then the note (when any warning was folded into it).
    """
    import re

    from .linkage.combine import WIDENED

    few = [w for w in warnings if "bootstrap replicates lie beyond each end" in w
           or w.startswith(f"only {reps} bootstrap replicates")]
    # the estimate's own warnings say "union of the two" and leave the label to the terminal's linkage panel
    widened = [w for w in warnings if WIDENED in w or "union of the two" in w]
    if not few and not widened:
        return list(warnings)
    rest = [w for w in warnings if w not in few and w not in widened]
    said = [f"{reps:,} bootstrap replicates and {LINKAGE_DRAWS} linkage draws x {LINKAGE_REPS} replicates are "
            "deliberately few, to keep the demo short"]
    if few:
        said.append("the intervals' ends are therefore rough")
    counts = [m.groups() for w in widened if (m := re.search(r"in ([\d,]+) of ([\d,]+) (?:subgroup )?rows", w))]
    if widened:
        rows = f"{counts[-1][0]} of {counts[-1][1]} rows" if counts else "some rows"
        said.append(f"in {rows} the interval with linkage uncertainty came out narrower than as linked by "
                    "Monte-Carlo error, so they publish the as-linked interval (the union of the two)")
    return rest + ["demo: " + "; ".join(said) + ". result.json and the report give these warnings in full; for "
                   "real work use --reps 1000 and raise --linkage-draws and --linkage-reps (darkfigure monitor)"]


def demo_data() -> Path:
    """Folder of the bundled synthetic demo data (registrations, truth, population, revictimisation)."""
    return Path(str(resources.files("darkfigure") / "demo_data"))


@dataclass
class DemoResult:
    """What :func:`run_demo` produced.

    Attributes
    ----------
    out : Path
        The run folder (every CSV/JSON of the stages and ``report.html``).
    report : Path
    registrations, persons, true_persons : int
        Registrations read, persons found by the linkage, persons truly registered.
    quality : dict
        Pairwise precision, recall and F1 of the linkage against the simulated truth.
    nhat, lower, upper : float
        N̂ for all years together and its interval.
    true_n : int
        The simulated population size (registered or not).
    revictimised, revictimised_lower, revictimised_upper, revictimised_truth : float
        Share re-victimised within 5 years (Kaplan–Meier), its interval and the truth.
    seconds : dict
        Wall time of each stage.
    interval : str
        What N̂'s interval is and carries, in the words of ``estimate``'s terminal (e.g. "95% parametric-bootstrap
        interval; conditional on the chosen model; with linkage uncertainty").
    to_publish : str
        The run's "to publish" statement (:func:`darkfigure.publish.publish_statement`).
    """

    out: Path
    report: Path
    registrations: int
    persons: int
    true_persons: int
    quality: dict
    nhat: float
    lower: float
    upper: float
    true_n: int
    revictimised: float
    revictimised_lower: float
    revictimised_upper: float
    revictimised_truth: float
    warnings: list[str] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)
    linkage: dict | None = None  # result.json's linkage block, with nhat_true_links (N̂ from the true links)
    interval: str = ""
    to_publish: str = ""


def _link_progress(t_start: float):
    """A progress callback for :func:`darkfigure.linkage.link`: one line per phase on standard error, with the time
    since `t_start` (``time.perf_counter()``)."""
    from ._stderr import write

    def say(message: str) -> None:
        """Print "link: <phase>… (N s so far)" to standard error."""
        write(f"link: {message}… ({time.perf_counter() - t_start:,.0f} s so far)")

    return say


def run_demo(
    out: str | Path,
    *,
    reps: int = 200,
    seed: int = 1,
    engine: str = "duckdb",
    threshold: float | None = None,
    n_jobs: int | None = None,
    progress: bool = False,
) -> DemoResult:
    """Run registrations → linkage → estimates → monitor → report on the bundled synthetic data.

    Parameters
    ----------
    out : path
        Folder for every output (created; existing files of the same names are replaced).
    reps : int
        Bootstrap replicates of the monitor (200 keeps the demo short; use 1,000 for real work).
    seed : int
        Seed of the linkage's u sampling and of the bootstrap.
    engine : {"duckdb", "spark"}
        Splink backend.
    threshold : float, optional
        Match probability at which two registrations are the same person (default:
        :func:`~darkfigure.linkage.link.link`'s).
    n_jobs : int, optional
        Bootstrap worker processes.
    progress : bool
        Progress bars on a terminal.

    Returns
    -------
    DemoResult

    Raises
    ------
    OSError
        The output folder cannot be written.
    """
    from .linkage.link import link
    from .monitoring import monitor
    from .monitoring.revictimisation import revictimisation
    from .report import build_report

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = demo_data()
    seconds: dict[str, float] = {}
    files = sorted((data / "registrations").glob("*.csv"))

    t = time.perf_counter()
    linked = link(
        files,
        engine=engine,
        **({} if threshold is None else {"threshold": threshold}),
        seed=seed,
        covariates=list(COVARIATES),
        truth="true_person_id",
        # the linkage is the demo's first ~30 s: one line per phase, as `darkfigure link` says (tester 12b, L11)
        progress=_link_progress(t) if progress else None,
    )
    linked.write(out)
    seconds["linkage"] = time.perf_counter() - t

    t = time.perf_counter()
    # persons whose registrations never gave a covariate value are kept by the EM algorithm
    hist = linked.histories
    pop = pd.read_csv(data / "population.csv")
    if "sex" in hist.levels:
        # the population file may spell sex otherwise than the registrations (F, female): name its rows as they do
        first = {str(v)[:1].lower(): v for v in hist.levels["sex"]}
        pop["sex"] = pop["sex"].map(lambda v: first.get(str(v)[:1].lower(), v))
    from .linkage.uncertainty import LinkRun

    mon = monitor(
        hist,
        year="year",
        population=pop,
        reps=reps,
        seed=seed,
        n_jobs=n_jobs,
        progress=progress,
        missing="em",
        # N̂ corrected for linkage error, with an interval carrying the linkage's uncertainty (few draws: a demo)
        linkage_run=LinkRun.from_result(linked),
        linkage_draws=LINKAGE_DRAWS,  # every draw refits the EM model with all covariates
        linkage_reps=LINKAGE_REPS,
    )
    mon.write(out)
    seconds["monitor"] = time.perf_counter() - t

    from .pipeline.phases import phase  # the stages after the monitor: a spinner on a terminal (tester 12b, L11)

    t = time.perf_counter()
    rdir = data / "revictimisation"
    with phase(progress, "repeat victimisation"):
        rv = revictimisation(
            rdir / "victims.csv", rdir / "later.csv", end_of_followup="2024-12-31", k_years=5)
    rv.notes.insert(
        0,
        "demo: repeat victimisation is measured on a separate synthetic victim register (3,000 persons, "
        "first registrations 2017-2024) and register of later victimisations, not on the linked persons above",
    )
    rv.write(out)
    seconds["revictimisation"] = time.perf_counter() - t

    t = time.perf_counter()
    with phase(progress, "report"):
        report = build_report(out)
    seconds["report"] = time.perf_counter() - t

    truth = pd.read_csv(data / "truth.csv", keep_default_na=False)
    true_n = int(truth.loc[(truth["group"] == "total") & (truth["year"].astype(str) == ""), "N"].iloc[0])
    regs = pd.concat([pd.read_csv(f, usecols=["true_person_id"]) for f in files])
    rv_truth = pd.read_csv(rdir / "truth.csv", keep_default_na=False)
    rv_true = rv_truth[(rv_truth["group"] == "total") & (rv_truth["offence"] == "any")]
    rv_true = float(rv_true.loc[rv_true["k_years"].astype(float) == 5.0, "truth"].iloc[0])
    tab = rv.table
    row = tab[(tab["group"] == "total") & (tab["offence"] == "any") & (tab["k_years"].astype(float) == 5.0)].iloc[0]
    q = {} if linked.quality is None else {k: float(v) for k, v in linked.quality.iloc[0].items()
                                           if k in ("precision", "recall", "f1")}
    est = mon.estimate
    lk = None
    if est.linkage is not None:
        from .estimation import estimate as _estimate
        from .histories import DataError
        from .linkage.link import persons_from_links

        # the reference for the linkage correction: N̂ of the same model on the true links
        regs_all = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True)
        regs_all = regs_all.replace("", None)
        _, ht = persons_from_links(regs_all.drop(columns=["first_name", "surname", "date_of_birth"]),
                                   regs_all["true_person_id"], covariates=[c for c in COVARIATES if c in regs_all])
        ht = ht.collapse([c for c in est.histories.covariates if c in ht.covariates])
        terms = [":".join(t) for t in est.fit.model.terms if len(t) > 1]
        try:
            with phase(progress, "N̂ of the same model on the true links (the linkage correction's reference)"):
                et = _estimate(ht, model=terms or None, search="none", ci="none", year="year",
                               missing="em" if ht.n_incomplete else "error")
            true_links = float(et.nhat)
        except (ValueError, DataError):
            true_links = float("nan")
        lk = est.linkage.to_dict() | {"nhat_true_links": true_links}
    # the interval labelled as estimate's terminal labels it (tester 8, F10), and the run's advice on publishing
    from .publish import ci_words

    carries = [f"{est.level:.0%} {ci_words(est.ci_method)}"]
    if getattr(est, "conditional", None) is not None:
        carries.append("conditional on the chosen model" if est.conditional else "includes model-selection uncertainty")
    if est.linkage is not None and math.isfinite(est.upper):
        carries.append("with linkage uncertainty")
        from .linkage.combine import widening_words  # the true reason of each kind (tester 18a, H3)

        why = widening_words(getattr(est.linkage, "widened", False), getattr(est.linkage, "shifted", False))
        carries += [why] if why else []
    return DemoResult(
        interval="; ".join(carries),
        to_publish=str(est.to_publish().get("statement") or ""),
        out=out,
        report=report,
        registrations=int(linked.links.shape[0]),
        persons=linked.n_persons,
        true_persons=int(regs["true_person_id"].nunique()),
        quality=q,
        nhat=float(est.nhat),
        lower=float(est.lower),
        upper=float(est.upper),
        true_n=true_n,
        revictimised=float(row["cumulative"]),
        revictimised_lower=float(row["lower"]),
        revictimised_upper=float(row["upper"]),
        revictimised_truth=rv_true,
        warnings=demo_warnings(est.warnings, reps),
        seconds=seconds,
        linkage=lk,
    )
