"""The ``year`` column of a ``darkfigure link`` output: each person's year of first registration.

``link`` writes it (:func:`darkfigure.linkage.persons._assemble`), but over a window of several years it is
not a fixed property of the person: it is the earliest of the years of the person's registrations, so a
person registered by more lists is more often first seen early. A covariate of a log-linear model must be
a property of the person, defined for the never-registered too; the year of first registration is
undefined for them, and the N̂ of a "year" stratum then holds the persons first registered that year plus
the unobserved the model puts there. Measured (``benchmarks/first_year_study.py``, true links): with
registrations dated uniformly over 2023-2024 the total N̂ with year as a covariate was 6.9% too high on
independent lists (1,818 against N = 1,700, 50 seeds; the 2024 stratum held 377 of the 397 never
registered, the 2023 stratum 139 who do not exist) and on benchmarks.independent_registrations (1,817,
20 seeds), without it -0.1% and -1.5%; after ``link`` (4 seeds, s24) 1,854 against 1,693. Where every
person's registrations fall in one year (the ``clearing_house`` simulator) it changed the total by 0.04%.

So every command on a link output (the folder, or the histories.csv ``link`` wrote in it:
:func:`is_link_output`) leaves it out unless it is asked for (``--covariates ...,year`` or ``--year year``;
``strata --by year``), and says so in a note; when it is asked for, a note (strata: a warning) says what its
N̂ per year are. A covariate stratum is one 2^k table whose all-zero cell is that stratum's unobserved (Bird &
King 2018, Annu. Rev. Stat. Appl. 5:95-118), so the stratum must exist for the unobserved too. An MSE
population is that of a reference period (Zult, van der Heijden & Bakker 2024, arXiv:2406.17637), and per-year
figures in the field are estimated per year (UNODC & Dutch National Rapporteur 2017, "A multiple systems
estimation of the numbers of presumed human trafficking victims in the Netherlands in 2010-2015 by year, age,
gender, form of exploitation and nationality"). ``--year registration_year`` (:data:`REGISTRATION_YEAR`) gives
those units from one link run: one per person and calendar year of registration, seen by that year's lists
(:func:`darkfigure.pipeline.reading.per_year_histories`); measured on the registrations above (16 seeds, 4,000
persons present in each year) the per-year N̂ averaged 4,046 and 4,012, against 2,143 and 2,128 by first year.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..histories import CaptureHistories

__all__ = ["FIRST_YEAR", "REGISTRATION_YEAR", "LEFT_OUT", "NOTES", "PER_YEAR", "USED", "unit_words", "first_year_covariate", "first_year_notes", "for_link_output",
           "is_link_output"]

#: the column ``link`` writes: each person's year of first registration
FIRST_YEAR = "year"
#: the covariate of histories per person and calendar year of registration (``--year registration_year`` on a link
#: output: :func:`darkfigure.pipeline.reading.per_year_histories`), the units of per-year estimates
REGISTRATION_YEAR = "registration_year"

LEFT_OUT = (
    "year (each person's year of first registration, which `link` writes) is not used as a covariate: over "
    "several years it depends on how many lists registered a person (a person on more lists is more often first "
    "registered early), not on the person alone, so N̂ per first-registration year are no numbers of victims per "
    "year and can bias the total. For N̂ per calendar year give --year registration_year (one unit per person "
    "and year of registration); --covariates ...,year (or --year year) uses it anyway"
)
USED = (
    "year here is each person's year of first registration (written by `link`): a year's N̂ counts the persons "
    "first registered that year plus the never-registered persons the model puts in that year, who have no "
    "registration year. It is a number of victims of that year only if every person's registrations fall in one "
    "calendar year; otherwise it is not, and the total can be biased (leave year out, or give --year "
    "registration_year for N̂ per calendar year)"
)
PER_YEAR = (
    "registration_year: one unit per person and calendar year in which a list registered the person, seen by "
    "that year's lists, rebuilt from the link run's registrations (a year's N̂ is the victims of that year, "
    "registered or not). A person registered in two years counts in both, so a total over the years counts "
    "person-years, not persons"
)


def first_year_covariate(h: CaptureHistories, covariates: Sequence[str] | str | None,
                         year: str | None) -> CaptureHistories:
    """Histories of a link output with its ``year`` left out unless asked for, and a note saying which.

    Parameters
    ----------
    h : CaptureHistories
        Histories read from a ``darkfigure link`` output (its ``histories.csv`` or a ``LinkageResult``).
    covariates : list of str, str or None
        The covariates asked for (a list, or the comma-separated text of ``--covariates``; None: every
        other column, the default).
    year : str or None
        The year column asked for (``--year``).

    Returns
    -------
    CaptureHistories
        `h` summed over ``year`` with the note :data:`LEFT_OUT` when neither `covariates` nor `year` names it
        (`year` naming another column of the user's does not); `h` with the note :data:`USED` when it was
        asked for; `h` unchanged without a ``year``
        covariate.
    """
    if FIRST_YEAR not in h.covariates:
        return h
    named = [c.strip() for c in covariates.split(",")] if isinstance(covariates, str) else list(covariates or [])
    if year != FIRST_YEAR and FIRST_YEAR not in named:
        # not named: also when --year names a column of the user's own (link's year came in with every column)
        kept = h.collapse([c for c in h.covariates if c != FIRST_YEAR])
        return replace(kept, notes=(*h.notes, LEFT_OUT), warnings=h.warnings)
    return replace(h, notes=(*h.notes, USED))


def unit_words(notes: Sequence[str]) -> str:
    """What one row of the histories counts, for the terminal's data line: "persons", or "person-years (a person
    per calendar year of registration)" for histories per person and year (:data:`PER_YEAR` among `notes`)."""
    return "person-years (a person per calendar year of registration)" if PER_YEAR in notes else "persons"


#: the two notes, for the commands that print only some of the histories' notes (monitor, compare, validate)
NOTES = (LEFT_OUT, USED, PER_YEAR)


def first_year_notes(notes: Sequence[str]) -> list[str]:
    """The notes of :func:`first_year_covariate` among `notes` (a histories' or an estimate's), in order."""
    return [n for n in notes if n in NOTES]


def is_link_output(data: Any) -> bool:
    """True for a ``darkfigure link`` output folder, or the histories.csv in one given as a file.

    Recognised as :func:`darkfigure.pipeline.reading.resolve_link_data` recognises them (a folder with
    histories.csv and links.csv, :func:`~darkfigure.linkage.link_run.is_link_folder`), so that a command reads
    the same file the same way whether it takes the folder or not; a histories.csv elsewhere, a frame or
    CaptureHistories are no link output here.
    """
    if not isinstance(data, (str, os.PathLike)):
        return False
    try:
        p = Path(data)
        if not (p.is_dir() or (p.name == "histories.csv" and p.is_file())):
            return False  # the usual case, without importing the linkage package
    except (TypeError, OSError, ValueError):
        return False
    from ..linkage.link_run import is_link_folder

    return is_link_folder(p if p.is_dir() else p.parent)


def for_link_output(h: CaptureHistories, data: Any, covariates: Sequence[str] | str | None,
                    year: str | None) -> CaptureHistories:
    """:func:`first_year_covariate` when `data` (what the histories `h` were read from) is a link output
    (:func:`is_link_output`), else `h` unchanged."""
    return first_year_covariate(h, covariates, year) if is_link_output(data) else h
