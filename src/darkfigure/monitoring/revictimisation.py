"""Repeat victimisation: the share of registered victims who are victims of a crime again within k years.

The Dutch monitor of trafficking victims linked its victim register to the police
register of victims of any offence and found that 45% of registered victims were
victims of a crime again within five years (Nationaal Rapporteur Mensenhandel,
*Slachtoffermonitor mensenhandel*). This module measures that share from two
linked registers:

* the **victim register** (one row per person): ``person_id``, the date of first
  registration (``first_registration``, ISO dates), covariates (sex, age group, form
  of exploitation, ...) and optionally each person's end of follow-up (death,
  emigration, the end of the data);
* the **register of later victimisations** (one row per victimisation of any
  offence): ``person_id``, ``date``, ``offence`` (the kind of the later offence).

Time runs from first registration; time in years is days / 365.25. A person's
*re-victimisation time* is the time to the first victimisation **after** the date of
first registration. Victimisations on or before that date are not
re-victimisations: the victimisation that led to the registration is often in the
police register too, on the same day, and earlier ones happened before the person
was a registered victim; they are dropped (with a note saying how many). A person
without a later victimisation is *censored* at the end of follow-up: we know only
that the re-victimisation time, if any, is longer than the follow-up.

Because persons registered late were followed for less than k years, the share
"re-victimised within k years ÷ persons" (the *naive* share, also reported) is biased
downward: persons censored before k years count as never re-victimised. The
Kaplan–Meier product-limit estimator (Kaplan & Meier 1958) uses each person for as
long as they were followed and is consistent under independent censoring
(registration date and end of follow-up unrelated to the risk of re-victimisation).

Files (the report reads them):

* ``revictimisation.csv``: :data:`TABLE_COLUMNS`, one row per group, level and
  offence at each k;
* ``revictimisation_curve.csv``: :data:`CURVE_COLUMNS`, the Kaplan–Meier step
  function at its event times (over the whole follow-up);
* ``revictimisation_first_offence.csv``: :data:`FIRST_OFFENCE_COLUMNS`, the
  Aalen–Johansen cumulative incidence of the *first* later offence by its kind
  (competing risks).

References
----------
Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete
observations. JASA 53:457-481.
Greenwood, M. (1926). The natural duration of cancer. Reports on Public Health and
Medical Subjects 33, HMSO.
Kalbfleisch, J. D. & Prentice, R. L. (2002). *The Statistical Analysis of Failure Time
Data*, 2nd ed., Wiley, chapter 1 (the log(-log) interval).
Aalen, O. O. & Johansen, S. (1978). An empirical transition matrix for
non-homogeneous Markov chains based on censored observations. Scand. J. Statist.
5:141-150.
Marubini, E. & Valsecchi, M. G. (1995). *Analysing Survival Data from Clinical Trials
and Observational Studies*, Wiley, chapter 10 (delta-method variance of the
cumulative incidence).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .registers import ANY, DAYS_PER_YEAR, _first_days, _level_key, _n, _prepare, _years
from .revictimisation_simulation import (
    DEFAULT_OFFENCES,
    DEFAULT_SUBGROUPS,
    SimulatedRevictimisation,
    simulate_revictimisation,
)
from .survival import KaplanMeier, _z, aalen_johansen, kaplan_meier

__all__ = [
    "CURVE_COLUMNS",
    "DAYS_PER_YEAR",
    "DEFAULT_OFFENCES",
    "DEFAULT_SUBGROUPS",
    "FIRST_OFFENCE_COLUMNS",
    "KaplanMeier",
    "RevictimisationResult",
    "SimulatedRevictimisation",
    "TABLE_COLUMNS",
    "aalen_johansen",
    "kaplan_meier",
    "revictimisation",
    "simulate_revictimisation",
]

TABLE_COLUMNS = [
    "group", "level", "offence", "k_years", "persons", "events", "censored", "cumulative", "lower", "upper", "naive",
]
CURVE_COLUMNS = ["group", "level", "offence", "time_years", "at_risk", "events", "cumulative", "lower", "upper"]
FIRST_OFFENCE_COLUMNS = ["group", "level", "offence", "k_years", "persons", "events", "cumulative", "lower", "upper"]
FEW_AT_RISK = 10


# ----------------------------------------------------------------------------------------------------------------------
# the result


@dataclass
class RevictimisationResult:
    """Re-victimisation within k years of first registration, by group and kind of later offence.

    Attributes
    ----------
    table : DataFrame of shape (n_rows, 11)
        :data:`TABLE_COLUMNS` (``revictimisation.csv``). One row per group (``total`` or a
        covariate), level (empty for the total), offence (``any`` or a kind) and k:
        ``persons``; ``events``, re-victimisations within k years (time <= k);
        ``censored``, persons whose follow-up ended before k years without one (time < k);
        ``cumulative`` the Kaplan–Meier share re-victimised within k years with its
        log(-log) interval ``lower``, ``upper`` (NaN when not estimable or undefined);
        ``naive`` = events / persons, which ignores censoring.
    curve : DataFrame
        :data:`CURVE_COLUMNS` (``revictimisation_curve.csv``): each Kaplan–Meier curve at its
        event times (years), over the whole follow-up.
    first_offence : DataFrame
        :data:`FIRST_OFFENCE_COLUMNS` (``revictimisation_first_offence.csv``): the Aalen–Johansen
        share whose *first* later victimisation within k years was of each kind (these add
        up to the ``any`` row).
    notes : list of str
        Plain-language notes: short follow-up, estimates not estimable, dropped rows.
    settings : dict
        k_years, level, end_of_followup, covariates, offences, persons, later_victimisations
        (counted ones: after first registration, of registered persons) and the column names
        id_col, date_col, later_date_col, offence_col.
    """

    table: pd.DataFrame
    curve: pd.DataFrame
    first_offence: pd.DataFrame
    notes: list[str]
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The notes and settings as written to ``revictimisation.json`` (JSON-ready).

        Keys: ``darkfigure_version``, ``run_date`` (UTC, ISO 8601), ``settings`` (end of
        follow-up, k_years, level, covariates, offences, the id and date columns, persons,
        later victimisations) and ``notes``.
        """
        from .. import __version__

        return {
            "darkfigure_version": __version__,
            "run_date": datetime.now(UTC).isoformat(timespec="seconds"),
            "settings": self.settings,
            "notes": list(self.notes),
        }

    def write(self, out: str | Path, *, overwrite: bool = False) -> list[Path]:
        """Write ``revictimisation.csv``, ``revictimisation_curve.csv``, ``revictimisation_first_offence.csv``
        and ``revictimisation.json`` (notes and settings, :meth:`to_dict`; ``darkfigure report`` shows them).

        Written through :func:`darkfigure.outputs.write_result` (as the command line writes): atomic, listed in
        the folder's ``.darkfigure-outputs.json``, never over a file darkfigure did not write unless
        `overwrite` (writing again into the same folder is fine).
        A failure leaves no half-written file.

        Returns
        -------
        list of Path

        Raises
        ------
        darkfigure.outputs.OutputError
            A file in `out` that darkfigure did not write would be replaced (the message names it and
            ``overwrite=True``); nothing is written then.
        OSError
            When the folder cannot be created or written.
        """
        from ..outputs import write_result

        return write_result(out, self._write_files, overwrite=overwrite, command="revictimisation")

    def _write_files(self, out: Path) -> list[Path]:
        """Write the files of :meth:`write` into `out` directly."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        frames = {
            "revictimisation.csv": self.table,
            "revictimisation_curve.csv": self.curve,
            "revictimisation_first_offence.csv": self.first_offence,
        }
        info = json.dumps(self.to_dict(), indent=2, default=str)
        temps: list[tuple[str, Path]] = []
        try:
            for name, df in [*frames.items(), ("revictimisation.json", None)]:
                fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
                os.close(fd)
                temps.append((name, Path(tmp)))
                if df is None:
                    Path(tmp).write_text(info, encoding="utf-8")
                else:
                    df.to_csv(tmp, index=False)
                os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; these are as readable as any CSV
            for name, tmp in temps:
                os.replace(tmp, out / name)
        finally:
            for _, tmp in temps:
                if tmp.exists():
                    tmp.unlink()
        return [out / name for name in [*frames, "revictimisation.json"]]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def revictimisation(
    victims: pd.DataFrame | str | Path,
    later: pd.DataFrame | str | Path,
    *,
    k_years: float | Sequence[float] = 5,
    end_of_followup: str | Any | None = None,
    covariates: Sequence[str] | None = None,
    level: float = 0.95,
    id_col: str = "person_id",
    date_col: str = "first_registration",
    later_date_col: str = "date",
    offence_col: str = "offence",
) -> RevictimisationResult:
    """Share of registered victims re-victimised within k years of first registration (Kaplan–Meier).

    For every group (all persons, and each level of each covariate) and every kind of
    later offence (``any``, and each kind j):

    * **any**: time to the first victimisation of any kind after first registration;
    * **kind j**: time to the first victimisation *of kind j* after first registration;
      victimisations of other kinds are not events and do not end follow-up. Its
      Kaplan–Meier estimate is the *marginal* cumulative incidence P(T_j <= k), the share
      victimised by offence j within k years whatever else happened to them. This is not
      a competing-risks cumulative incidence, and need not be: an offence of another kind
      neither ends the person's follow-up nor prevents a later offence of kind j, so it is
      not a competing event, and T_j is observed (or censored at the end of follow-up)
      for everyone. Under independent censoring (end of follow-up unrelated to T_j) the
      estimate is consistent for "the share ever re-victimised by offence j within k
      years". The kinds' shares overlap and need not add up to ``any``. Competing risks do
      arise for the kind of the *first* later offence (a first offence of another kind
      rules out "first by j"): that version is in ``first_offence`` (Aalen–Johansen;
      :func:`aalen_johansen`) and adds up to ``any``.

    The naive share, events within k ÷ persons, is reported alongside: it counts persons
    censored before k as not re-victimised and so is biased downward.

    Parameters
    ----------
    victims : DataFrame or path (CSV, TSV, Parquet, Excel)
        The victim register, one row per person: `id_col`, `date_col` (ISO dates) and
        covariates; optionally a per-person end of follow-up column.
    later : DataFrame or path
        Later victimisations of any offence, one row each: `id_col`, `later_date_col`,
        `offence_col`. Several rows per person are fine; rows dated on or before the
        person's first registration are dropped (not re-victimisations), rows of persons
        absent from the victim register are dropped with a note (the register of all
        victims of crime holds many who never were registered victims).
    k_years : float or sequence of float
        The horizon(s) k in years (default 5). Time in years is days / 365.25.
    end_of_followup : date, 'YYYY-MM-DD', or a column name of `victims`
        The end of follow-up for everyone (usually the last date the later register
        covers), or the column holding each person's end (death, emigration). None: the
        column ``end_of_followup`` of the victim register.
    covariates : sequence of str, optional
        Covariates for subgroups. None: every other column of the victim register with at
        most 20 levels. ``[]``: the total only.
    level : float
        Confidence level of the intervals (default 0.95).
    id_col, date_col, later_date_col, offence_col : str
        Column names.

    Returns
    -------
    RevictimisationResult

    Raises
    ------
    DataError
        A missing column (named); an empty, duplicated or unmatched person id; a date that
        is empty or not a date (row and value named); a first registration or later
        victimisation after the end of follow-up (row named); an empty covariate or
        offence; no person of the later register in the victim register.
    ValueError
        k_years not positive, level outside (0, 1).
    """
    ks = [float(k_years)] if np.isscalar(k_years) else [float(k) for k in k_years]
    if not ks or any(not np.isfinite(k) or k <= 0 for k in ks):
        raise ValueError(f"k_years must be positive numbers of years (got {k_years!r})")
    _z(level)
    data = _prepare(
        victims, later, end_of_followup=end_of_followup, covariates=covariates, id_col=id_col, date_col=date_col,
        later_date_col=later_date_col, offence_col=offence_col,
    )
    n = data.ids.size
    follow = (data.end - data.start) / DAYS_PER_YEAR
    # time and event for "any" and each kind
    first_any = _first_days(n, data.person, data.day)
    outcomes: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _te(first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ev = first >= 0
        return np.where(ev, (first - data.start) / DAYS_PER_YEAR, follow), ev

    outcomes[ANY] = _te(first_any)
    for j, name in enumerate(data.offences):
        m = data.offence == j
        outcomes[name] = _te(_first_days(n, data.person[m], data.day[m]))
    # kind of the first later victimisation (competing risks): ties on that day go to the first kind by name
    first_kind = np.full(n, -1, dtype=np.int64)
    if data.person.size:
        at_first = data.day == first_any[data.person]
        fk = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(fk, data.person[at_first], data.offence[at_first])
        first_kind = np.where(first_any >= 0, fk, -1)
        n_kinds_first = pd.Series(data.offence[at_first]).groupby(data.person[at_first]).nunique()
        n_tied = int((n_kinds_first > 1).sum())
        if n_tied:
            data.notes.append(
                f"{_n(n_tied, 'person')} had later victimisations of several kinds on the day of their first one; in the "
                "first-offence table each counts once, under the first kind by name"
            )

    groups: list[tuple[str, str, np.ndarray]] = [("total", "", np.ones(n, dtype=bool))]
    for c, vals in data.covariates.items():
        for lv in sorted(pd.unique(vals).tolist(), key=_level_key):
            groups.append((c, lv, vals == lv))

    rows, curves, firsts = [], [], []
    not_estimable: list[str] = []
    few: list[str] = []
    no_events: list[str] = []
    for (g, lv, mask), off in product(groups, [ANY, *data.offences]):
        t, e = outcomes[off][0][mask], outcomes[off][1][mask]
        km = kaplan_meier(t, e, level=level)
        label = "all persons" if g == "total" else f"{g} = {lv}"
        for k in ks:
            f, lo, hi = km.at(k)
            events = int(np.sum(e & (t <= k)))
            cens = int(np.sum(~e & (t < k)))
            rows.append((g, lv, off, k, int(mask.sum()), events, cens, f, lo, hi, events / max(int(mask.sum()), 1)))
            at_k = km.at_risk_at(k)
            where = f"{label}, offence {off}, k = {k:g}"
            if np.isnan(f):
                not_estimable.append(where)
            elif f == 0:
                no_events.append(where)
            elif at_k < FEW_AT_RISK:
                few.append(f"{where} ({at_k} at risk)")
        curves.append(pd.DataFrame({
            "group": g, "level": lv, "offence": off, "time_years": km.time, "at_risk": km.at_risk,
            "events": km.events, "cumulative": km.cumulative, "lower": km.lower, "upper": km.upper,
        }))
    if data.offences:
        for g, lv, mask in groups:
            tm, km_ = outcomes[ANY][0][mask], first_kind[mask]
            for k in ks:
                ev, f, lo, hi = aalen_johansen(tm, km_, len(data.offences), k, level=level)
                for j, name in enumerate(data.offences):
                    firsts.append((g, lv, name, k, int(mask.sum()), int(ev[j]), f[j], lo[j], hi[j]))

    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    curve = pd.concat(curves, ignore_index=True)[CURVE_COLUMNS] if curves else pd.DataFrame(columns=CURVE_COLUMNS)
    first_offence = pd.DataFrame(firsts, columns=FIRST_OFFENCE_COLUMNS)

    notes = list(data.notes)
    for k in ks:
        short = float(np.mean(follow < k))
        if short > 0:
            tot = table[(table["group"] == "total") & (table["offence"] == ANY) & (table["k_years"] == k)].iloc[0]
            at_k = int(np.sum(outcomes[ANY][0] >= k))
            notes.append(
                f"follow-up shorter than {_years(k)} for {short:.0%} of persons: the estimate at {_years(k)} relies "
                f"on the {_n(at_k, 'person')} still followed (and not yet re-victimised) at {_years(k)}"
                + (
                    f"; the naive share {tot['naive']:.1%} (re-victimised within {_years(k)} ÷ persons) counts the "
                    f"{_n(int(tot['censored']), 'person')} censored earlier as not re-victimised, against the "
                    f"Kaplan–Meier {tot['cumulative']:.1%}"
                    if np.isfinite(tot["cumulative"]) else ""
                )
            )
    if not_estimable:
        notes.append(
            "not estimable (nobody followed that long; shown as empty, not as a number): " + "; ".join(not_estimable)
        )
    if no_events:
        notes.append("no re-victimisation within k years (0%, no log(-log) interval): " + "; ".join(no_events))
    if few:
        notes.append(f"fewer than {FEW_AT_RISK} persons at risk at k years, the estimate is unstable: " + "; ".join(few))
    settings = {
        "k_years": ks, "level": level, "end_of_followup": data.end_text, "covariates": list(data.covariates),
        "offences": list(data.offences), "persons": n, "later_victimisations": int(data.person.size),
        "id_col": id_col, "date_col": date_col, "later_date_col": later_date_col, "offence_col": offence_col,
    }
    return RevictimisationResult(table, curve, first_offence, notes, settings)
