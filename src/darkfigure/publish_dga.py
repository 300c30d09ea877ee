"""The "to publish" statement of ``estimate --method dga``, importable without pandas or SciPy (the lean path)."""

from __future__ import annotations

__all__ = ["dga_statement"]


def dga_statement(nhat: float, lower: float, upper: float, level: float) -> dict:
    """What to publish from dga's posterior (``estimate --method dga``): the figure, with the caveat it cannot check.

    dga averages over decomposable graphs (Madigan & York 1997) and has no model checks of its own; heterogeneity
    (persons who differ in how likely they are to be registered) that no graph represents leaves N̂ too low and
    outside the credible interval. Checking it needs a log-linear fit, which would cost this path most of its
    speed (``estimate --method dga`` is 20-30x R's dga as a whole process), so the statement points to the
    commands that run the checks instead (tester 8, F3).

    Parameters
    ----------
    nhat, lower, upper : float
        Posterior median and credible limits (persons).
    level : float
        Credible level, e.g. 0.95.

    Returns
    -------
    dict with ``low``, ``high``, ``rules`` (``["agree", "checks-not-run"]``), ``publish_interval`` (False) and
    ``statement``, as :func:`publish_statement`.
    """
    rng = f"{lower:,.0f}–{upper:,.0f}"
    return {"low": lower, "high": upper, "rules": ["agree", "checks-not-run"], "publish_interval": False,
            "statement": f"Publish N̂ {nhat:,.0f} ({level:.0%} credible interval {rng}) only with the caveat that dga "
            "checks nothing: heterogeneity (persons who differ in how likely they are to be registered) would make "
            "N̂ too low and fall outside the interval. darkfigure compare DATA (or estimate without --method dga) "
            "runs the heterogeneity check and says how much it can see."}
