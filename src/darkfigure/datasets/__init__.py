"""Bundled real multiple-systems datasets, loadable by name.

Each dataset is an aggregated table (0/1 list columns, optional categorical
covariates, ``count``) except ``cruyff_simdat``, which has one row per person.
Sources are in :data:`DATASETS` and in ``data/SOURCES.md`` beside this file.
No dataset holds personal data: they are published aggregate tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pandas as pd

from ..histories import CaptureHistories, DataError

__all__ = ["DATASETS", "R_NAMES", "DatasetInfo", "list_columns", "load", "load_frame", "load_r", "names"]


@dataclass(frozen=True)
class DatasetInfo:
    """Metadata of a bundled dataset: what it is and where it comes from."""

    name: str
    description: str
    source: str
    year: str | None = None


DATASETS: dict[str, DatasetInfo] = {
    d.name: d
    for d in [
        DatasetInfo(
            "uk_2013",
            "Potential victims of modern slavery, UK 2013; lists LA local authorities, NG NGOs, "
            "PF police forces, GO government organisations, GP general public, NCA National Crime Agency",
            "Home Office strategic assessment (Silverman 2014); R package SparseMSE `UKdat`. "
            "Published: 10,000-13,000",
        ),
        DatasetInfo("uk_2013_5lists", "UK 2013 with PF and NCA merged", "R package SparseMSE `UKdat_5`"),
        DatasetInfo(
            "netherlands_2010_2015",
            "Presumed trafficking victims registered at CoMensha, pooled 2010-2015; lists I labour "
            "inspectorate, K Royal Marechaussee, O shelters/residential care, P police, R regional "
            "coordinators, Z other reporters",
            "UNODC & Dutch National Rapporteur research brief (2017) via Silverman (2020, JRSS A, "
            "Table 2); R package SparseMSE `Ned`",
        ),
        DatasetInfo(
            "netherlands_2010_2015_5lists", "Netherlands 2010-2015 with I and O merged", "R package SparseMSE `Ned_5`"
        ),
        DatasetInfo(
            "new_orleans_2016",
            "Trafficking victims, New Orleans; 8 anonymised agencies A-H",
            "Bales, Murphy & Silverman (2020); R package SparseMSE `NewOrl`. Published stepwise estimate 1,184",
        ),
        DatasetInfo("new_orleans_2016_5lists", "New Orleans with lists merged to 5", "R package SparseMSE `NewOrl_5`"),
        DatasetInfo(
            "western_us_2019",
            "Sex-trafficking victims at a US western site; 5 anonymised lists A-E",
            "Farrell et al. (2019, NIJ report); R package SparseMSE `Western`. Published stepwise 2,483",
        ),
        DatasetInfo(
            "artificial_3", "Artificial 3-list table where some models are not identifiable", "R package SparseMSE `Artificial_3`"
        ),
        DatasetInfo("hiv_rome", "People with HIV, Rome; 4 reporting centres c1-c4", "Abeni et al. (1994, Epidemiology); Rcapture `HIV`"),
        DatasetInfo(
            "lesbian_allegheny",
            "Lesbian population, Allegheny County; 4 mailing lists A-D",
            "Aaron et al. (2003, JECH); Rcapture `lesbian`",
        ),
        DatasetInfo(
            "kosovo_1999",
            "Killings in Kosovo, 1999; lists EXH exhumations, ABA American Bar Association, OSCE, HRW Human Rights Watch",
            "Ball et al. (2002); R package LCMCR `kosovo_aggregate`",
        ),
        DatasetInfo(
            "scotland_pwid_2003",
            "People who inject drugs, Scotland; 4 sources, covariates Region, Gender, Age",
            "King et al.; R package conting `ScotPWID`",
        ),
        DatasetInfo(
            "spina_bifida_ny",
            "Spina bifida births, upstate New York; 3 sources, covariate eth (ethnicity)",
            "Hook et al.; R package conting `spina`",
        ),
        DatasetInfo(
            "dga_example_3list", "The 3-list example of Madigan & York (1997)", "R package dga, `bma.cr` documentation"
        ),
        DatasetInfo(
            "dga_example_5list", "The 5-list example of Madigan & York (1997)", "R package dga, `bma.cr` documentation"
        ),
        DatasetInfo(
            "cruyff_simdat",
            "Simulated MSE data in the shape of the Dutch study (one row per person): registers R1-R4, "
            "covariates X1-X3 (2 levels), X4 (3 levels), Y year 1-4",
            "Cruyff's R package `mse`, `simdat`",
            year="Y",
        ),
    ]
}


#: Names of these tables in the R packages (SparseMSE, Rcapture, LCMCR, dga, conting, Cruyff's mse),
#: as used in ../shared/reference; ``*_collapsed`` are the tables summed over their covariates.
R_NAMES: dict[str, str] = {
    "UKdat": "uk_2013",
    "UKdat_5": "uk_2013_5lists",
    "Ned": "netherlands_2010_2015",
    "Ned_5": "netherlands_2010_2015_5lists",
    "NewOrl": "new_orleans_2016",
    "NewOrl_5": "new_orleans_2016_5lists",
    "Western": "western_us_2019",
    "Artificial_3": "artificial_3",
    "HIV": "hiv_rome",
    "lesbian": "lesbian_allegheny",
    "kosovo_aggregate": "kosovo_1999",
    "Kosovo": "kosovo_1999",
    "ScotPWID_collapsed": "scotland_pwid_2003",
    "spina_collapsed": "spina_bifida_ny",
    "dga_example_3list": "dga_example_3list",
    "dga_example_5list": "dga_example_5list",
    "simdat": "cruyff_simdat",
}


def load_r(r_name: str) -> CaptureHistories:
    """Load a dataset by its R package name, summed over covariates (as the R runs used it).

    Raises
    ------
    DataError
        Unknown R name (the message lists the known ones).
    """
    if r_name not in R_NAMES:
        raise DataError(f"unknown R dataset name {r_name!r}; known: {', '.join(sorted(R_NAMES))}")
    h = load(R_NAMES[r_name])
    return h.collapse() if h.covariates and r_name != "simdat" else h


def names() -> list[str]:
    """Names of the bundled datasets, sorted."""
    return sorted(DATASETS)


def load_frame(name: str) -> pd.DataFrame:
    """The raw table of a bundled dataset as a DataFrame.

    Raises
    ------
    DataError
        Unknown dataset name (the message lists the known ones).
    """
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; bundled datasets are: {', '.join(names())}")
    with resources.files(__package__).joinpath("data", f"{name}.csv").open("r", encoding="utf-8") as f:
        return pd.read_csv(f)


def list_columns(name: str) -> tuple[str, ...]:
    """The lists of a bundled dataset, as documented: its 0/1 columns (data/SOURCES.md: every file has one 0/1
    column per list; its covariates are categorical, none coded 0/1).

    Named when the dataset is read (:func:`load`, :func:`darkfigure.io.read_histories` without lists), so that no
    run on a bundled dataset says the lists were guessed from the 0/1 columns (s24 fresh clone, L4).

    Raises
    ------
    DataError
        Unknown dataset name.
    """
    df = load_frame(name)
    return tuple(c for c in df.columns if c != "count" and set(pd.unique(df[c].dropna())) <= {0, 1})


def load(name: str) -> CaptureHistories:
    """Load a bundled dataset as :class:`CaptureHistories`.

    Parameters
    ----------
    name : str
        One of :func:`names` (e.g. ``"uk_2013"``).

    Raises
    ------
    DataError
        Unknown dataset name.
    """
    df = load_frame(name)
    return CaptureHistories.from_frame(df, list(list_columns(name)), name=name)
