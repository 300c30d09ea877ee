"""The reading step: capture histories from what the user gave."""

from __future__ import annotations


def with_year(covariates: list[str] | None, year: str | None) -> list[str] | None:
    """The covariates to read, with the year column added when it was named apart (as Cruyff's ``mse``
    takes ``year=`` beside the covariates); None (every other column) stays None."""
    if covariates is None or year is None or year in covariates:
        return covariates
    return [*covariates, year]
