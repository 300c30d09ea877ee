"""The evidence the headline rules weigh: the deviance test, Chao's lower bound, negative dependence.

Shared by :func:`darkfigure.headline.headline` (a comparison of methods) and
:func:`darkfigure.publish.publish_statement` (one estimate); rules in docs/headline_rules.md.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .histories import CaptureHistories

__all__ = ["goodness_of_fit", "chao_bound", "negative_dependence", "format_p"]

#: deviance p-value below which a model is taken to be contradicted by the table (as diagnostics.GOF_ALPHA)
GOF_ALPHA = 0.05
#: share of observable cells fitted below 1 above which the chi-square reference is not trusted (as diagnostics)
SPARSE_SHARE = 0.2
#: on a sparse table the deviance test flags only beyond this multiple of its chi-square critical value
SPARSE_FACTOR = 2.0
#: an upper limit above this many times the persons observed: the data barely identify N (as pipeline.checks.WIDE_RATIO)
BARELY_IDENTIFIED = 50.0
#: one-sided z: N̂ this many standard errors below Chao's bound contradicts heterogeneity (as diagnostics.CHAO_Z)
CHAO_Z = 1.645
#: an empty overlap of two lists is evidence of negative dependence when independence would put this many there
EMPTY_OVERLAP_EXPECTED = 3.0

#: the heterogeneity checks of darkfigure.diagnostics, in words
_CHECK_WORDS = {"heterogeneity": "the heterogeneity score tests", "residuals_by_number_of_lists":
                "the residuals by number of lists", "chao_lower_bound": "N̂ below Chao's lower bound"}


def goodness_of_fit(deviance: float, df: int, fitted: np.ndarray | None = None) -> dict:
    """Deviance test of a fitted model against chi-square on its residual df.

    Parameters
    ----------
    deviance : float
        Residual (Poisson) deviance over the observable cells.
    df : int
        Residual degrees of freedom.
    fitted : ndarray of shape (n_cells,), optional
        Fitted counts of the observable cells; when more than ``SPARSE_SHARE`` of them are
        below 1 the chi-square reference is unreliable and the test does not flag
        (same rule as :func:`darkfigure.diagnostics.model_checks`).

    Returns
    -------
    dict with ``deviance, df, p_value`` (None when df <= 0 or the deviance is not finite),
    ``sparse`` (bool) and ``flagged`` (bool: p < ``GOF_ALPHA`` on a table that is not sparse;
    on a sparse table, the deviance above ``SPARSE_FACTOR`` times the chi-square critical value).
    """
    dev = float(deviance) if deviance is not None else float("nan")
    df = int(df) if df is not None else 0
    p = float(stats.chi2.sf(dev, df)) if df > 0 and np.isfinite(dev) else None
    sparse = bool(fitted is not None and len(fitted) and np.mean(np.asarray(fitted, dtype=float) < 1.0) > SPARSE_SHARE)
    # on a sparse table a cell's deviance averages at most ~1.16 (Poisson mean near 1) instead of 1 and its sd at
    # most ~1.55 instead of 1.41, so twice the chi-square critical value is still far beyond what a true model gives
    gross = bool(p is not None and dev > SPARSE_FACTOR * stats.chi2.ppf(1 - GOF_ALPHA, df))
    return {"deviance": dev if np.isfinite(dev) else None, "df": df, "p_value": p, "sparse": sparse,
            "flagged": bool(p is not None and p < GOF_ALPHA and (not sparse or gross))}


def chao_bound(h: CaptureHistories) -> dict | None:
    """Chao's lower bound under heterogeneity (Mth Chao, Rivest & Baillargeon 2007) with its profile interval.

    Parameters
    ----------
    h : CaptureHistories
        At least 3 lists (covariates are summed over).

    Returns
    -------
    dict with ``nhat, se, low, high`` (persons; the 95% multinomial profile interval of
    Rcapture's ``closedpCI.t``), ``model`` (``"Mth-chao"``), its deviance test ``deviance, df,
    p_value`` and ``contradicted`` (True when :func:`goodness_of_fit` flags that model: the
    bound is then quoted with that warning), or None with fewer than 3 lists or when the
    bound is not identified.
    """
    if h.k < 3:
        return None
    from .heterogeneity import fit_heterogeneity

    try:
        f = fit_heterogeneity(h.collapse(), "Mth-chao")
    except (ValueError, np.linalg.LinAlgError):
        return None
    if f.status != "ok" or not (np.isfinite(f.nhat) and np.isfinite(f.se)):
        return None
    lo, hi = (f.low, f.high) if f.interval is not None else (f.nhat - 1.96 * f.se, f.nhat + 1.96 * f.se)
    # the bound is Mth Chao's N̂: when that model itself fits the table poorly, whoever quotes the bound must say so
    fitted = getattr(f, "fitted", None)
    g = goodness_of_fit(f.deviance, f.df, None if fitted is None else np.asarray(fitted, dtype=float))
    return {"nhat": float(f.nhat), "se": float(f.se), "low": float(max(lo, h.n_observed)), "high": float(hi),
            "model": "Mth-chao", "deviance": g["deviance"], "df": g["df"], "p_value": g["p_value"],
            "contradicted": bool(g["flagged"])}


def negative_dependence(h: CaptureHistories, n: float, checks: list[dict] | None = None) -> list[str]:
    """Signs that some lists are negatively dependent (which makes Chao's bound overstate N).

    Parameters
    ----------
    h : CaptureHistories
    n : float
        A population size to judge empty overlaps by (Chao's bound: the larger N, the fewer
        shared persons independence predicts, so the judgement is conservative).
    checks : list of dict, optional
        ``Check.to_dict()`` of a log-linear model; the ``heterogeneity`` check's
        ``pairwise_z`` (every pairwise interaction in the model) is read.

    Returns
    -------
    list of str
        One phrase per sign: a pair of lists sharing nobody though independence puts more
        than ``EMPTY_OVERLAP_EXPECTED`` persons there (|A||B|/n), or a pairwise interaction
        with z < -1.96. Empty when there is none.
    """
    out = []
    sizes = h.list_sizes()
    for a, b in h.empty_overlaps():
        e = float(sizes[a]) * float(sizes[b]) / max(float(n), 1.0)
        if e > EMPTY_OVERLAP_EXPECTED:
            out.append(f"lists {a} and {b} share nobody where independence would put about {e:,.0f} persons")
    for c in checks or []:
        if c.get("name") == "heterogeneity":
            for pair, z in ((c.get("details") or {}).get("pairwise_z") or {}).items():
                if z is not None and np.isfinite(z) and z < -1.96:
                    out.append(f"the interaction {pair} is negative (z = {z:+.1f})")
    return out


def format_p(p) -> str:
    """``"p = 1.6e-07"``, or ``"p < 1e-16"`` below double precision's resolution (never ``"p = 0"``)."""
    if p is None or not np.isfinite(p):
        return "p unknown"
    return "p < 1e-16" if p < 1e-16 else f"p = {p:.2g}"


def _fmt(v) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{v:,.0f}"
