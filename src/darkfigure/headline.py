"""Why the methods disagree, and a reasoned headline range (rules in docs/headline_rules.md).

Every multiple systems estimate rests on an assumption about how the lists overlap that
the observed table can only partly test. :func:`headline` takes a :func:`darkfigure.comparison.compare`
table, writes per method the assumption it makes, what the data say about it (goodness of
fit, heterogeneity checks with Chao's lower bound, leave-one-list-out validation,
identifiability) and a verdict (``kept`` or ``dropped: ...``), and from the kept methods a
headline range. Explicit rules, applied in a fixed order, each writing one plain sentence
when it fires — never a vote, never a weighting the reader cannot see:

1. ``no-estimate`` — a method without a finite N̂ (failed, not applicable, no MLE) is left out.
2. ``not-identified`` — an interval with no finite upper limit, or one more than
   ``BARELY_IDENTIFIED`` times the persons observed, cannot narrow a range: left out.
3. ``poor-fit`` — a model whose deviance rejects it (p < ``GOF_ALPHA`` on a table that is not
   sparse) is contradicted by the data: dropped.
4. ``failed-validation`` — a method whose intervals miss the known list size in most
   held-out lists (Binette & Steorts 2022) and is off by more than ``VALIDATION_LOG_RATIO``:
   dropped.
5. ``below-chao`` — when the checks detect heterogeneity and the lists show no negative
   dependence, a method whose N̂ lies more than ``CHAO_Z`` standard errors below Chao's lower
   bound (Chao 1987; Rivest & Baillargeon 2007) is dropped, and ``chao-raise`` lifts the low
   end of the headline to the bound's lower limit.
6. ``chao-vs-negative-dependence`` — when the bound lies above a log-linear N̂ but lists that
   should overlap share nobody (or a pairwise interaction is significantly negative), the data
   cannot tell heterogeneity from negative dependence: nobody is dropped for it, the bound's
   interval joins the range and the headline says the data cannot choose.
7. ``two-lists`` / ``agree`` / ``cannot-choose`` / ``none-kept`` — the headline spans the kept
   methods' intervals; with 2 lists it says their agreement checks nothing (they are
   essentially the same 2-list model); otherwise whether they overlap (agree) or not (the
   data cannot choose between their assumptions), or that no method survived (then the span
   of every identified method, with that warning).

:func:`publish_statement` applies the same rules to one :class:`~darkfigure.estimation.Estimate`
and its checks: what to publish from ``darkfigure estimate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _dist as stats  # chi2.sf/ppf without importing scipy.stats (0.4–0.9 s)
from .histories import CaptureHistories

__all__ = [
    "ASSUMPTIONS",
    "Headline",
    "headline",
    "annotate",
    "goodness_of_fit",
    "chao_bound",
    "negative_dependence",
    "publish_statement",
    "format_p",
]

#: deviance p-value below which a model is taken to be contradicted by the table (as diagnostics.GOF_ALPHA)
GOF_ALPHA = 0.05
#: share of observable cells fitted below 1 above which the chi-square reference is not trusted (as diagnostics)
SPARSE_SHARE = 0.2
#: on a sparse table the deviance test flags only beyond this multiple of its chi-square critical value
SPARSE_FACTOR = 2.0
#: an upper limit above this many times the persons observed: the data barely identify N (as estimate.py)
BARELY_IDENTIFIED = 50.0
#: one-sided z: N̂ this many standard errors below Chao's bound contradicts heterogeneity (as diagnostics.CHAO_Z)
CHAO_Z = 1.645
#: validation fails when fewer than this share of held-out lists is covered ...
VALIDATION_COVERAGE = 0.5
#: ... and the median |log(N̂ / |L|)| exceeds this (N̂ off by more than 25% on a typical held-out list)
VALIDATION_LOG_RATIO = float(np.log(1.25))
#: an empty overlap of two lists is evidence of negative dependence when independence would put this many there
EMPTY_OVERLAP_EXPECTED = 3.0
#: methods the validation does not rerun: LCMCR's sampler takes ~10-40 s per run, k runs are not affordable
NOT_VALIDATED = ("lcmcr",)

_LOGLINEAR = ("loglinear-model", "loglinear-bic", "loglinear-aic", "loglinear-pvalue", "bic-exhaustive", "downhill")

#: the heterogeneity checks of darkfigure.diagnostics, in words
_CHECK_WORDS = {"heterogeneity": "the heterogeneity score tests", "residuals_by_number_of_lists":
                "the residuals by number of lists", "chao_lower_bound": "N̂ below Chao's lower bound"}

#: the assumption each method makes, in plain words (what an analyst would defend)
ASSUMPTIONS: dict[str, str] = {
    "loglinear-model": "list dependence as in the given log-linear model; no highest-order interaction; persons "
    "equally catchable within a covariate stratum",
    "loglinear-bic": "list dependence modelled (log-linear, pairwise terms chosen by BIC); no highest-order "
    "interaction; no heterogeneity beyond the covariates",
    "loglinear-aic": "list dependence modelled (log-linear, terms chosen by AIC); no highest-order interaction; "
    "no heterogeneity beyond the covariates",
    "loglinear-pvalue": "list dependence modelled (log-linear, terms added while significant); no highest-order "
    "interaction; no heterogeneity beyond the covariates",
    "M0": "independent lists that all catch every person with the same probability",
    "Mt": "independent lists, each with its own capture probability; every person equally catchable",
    "Mh-chao": "individual heterogeneity of catchability (Chao's lower bound), lists otherwise alike",
    "Mh-poisson2": "individual heterogeneity (Poisson form), lists otherwise alike",
    "Mh-darroch": "individual heterogeneity (Darroch's normal form), lists otherwise alike",
    "Mh-gamma3.5": "individual heterogeneity (gamma form), lists otherwise alike",
    "Mth-chao": "individual heterogeneity (Chao's lower bound) and lists that differ; no other list dependence",
    "Mth-poisson2": "individual heterogeneity (Poisson form) and lists that differ; no other list dependence",
    "Mth-darroch": "individual heterogeneity (Darroch's normal form) and lists that differ; no other list dependence",
    "Mth-gamma3.5": "individual heterogeneity (gamma form) and lists that differ; no other list dependence",
    "bic-exhaustive": "list dependence modelled (log-linear, best by BIC among all hierarchical models, model "
    "choice repeated in the bootstrap); no highest-order interaction",
    "downhill": "list dependence modelled (log-linear, greedy BIC search repeated in the bootstrap); no "
    "highest-order interaction",
    "lcmcr": "latent classes: persons fall in unobserved classes with their own capture probabilities; lists "
    "independent within a class (Bayesian)",
    "dga": "Bayesian model averaging over decomposable graphs of list dependence; no highest-order interaction",
}

#: methods whose model has no individual heterogeneity of catchability (Chao's bound can contradict them)
HOMOGENEOUS = (*_LOGLINEAR, "M0", "Mt", "dga")


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


def _names(ms) -> str:
    ms = list(ms)
    return ms[0] if len(ms) == 1 else ", ".join(ms[:-1]) + " and " + ms[-1]


@dataclass
class Headline:
    """A headline range and the plain sentences that explain it.

    Attributes
    ----------
    low, high : float or None
        The range to report (persons); None when no method gives an estimate.
    reasons : list of str
        One sentence per rule that fired, in the order the rules apply.
    rules : list of str
        The identifiers of the rules that fired (``poor-fit``, ``agree``, ...; see docs/headline_rules.md).
    kept : list of str
        Methods whose intervals make the range.
    dropped : dict
        ``{method: why}`` for every other row.
    data_can_choose : bool
        False when the kept methods disagree, none survived, heterogeneity and negative
        dependence cannot be told apart, or there are only 2 lists (no check is possible).
    evidence : dict
        The shared checks: Chao's bound, heterogeneity flags, negative dependence, validation summary.
    """

    low: float | None
    high: float | None
    reasons: list[str]
    rules: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    dropped: dict = field(default_factory=dict)
    data_can_choose: bool = True
    evidence: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-able form: what ``compare.json`` holds under ``headline``."""
        return {"low": self.low, "high": self.high, "reasons": list(self.reasons), "rules": list(self.rules),
                "kept": list(self.kept), "dropped": dict(self.dropped), "data_can_choose": bool(self.data_can_choose),
                "evidence": self.evidence}

    def __str__(self) -> str:
        rng = "no range" if self.low is None else f"{_fmt(self.low)} – {_fmt(self.high)}"
        return f"headline: {rng}\n" + "\n".join(f"- {r}" for r in self.reasons)


def _validation_summary(v: pd.DataFrame) -> dict[str, dict]:
    """Per method: hold-outs with an estimate, how many covered |L|, median |log(N̂/|L|)|."""
    out = {}
    if v is None or not len(v):
        return out
    v = v[v["method"].astype(str) != ""]
    for m, g in v.groupby("method"):
        g = g[np.isfinite(g["log_ratio"].astype(float))]
        with_ci = g[g["covered"].notna()]
        out[str(m)] = {
            "held_out": int(len(g)),
            "with_interval": int(len(with_ci)),
            "covered": int((with_ci["covered"] == True).sum()),  # noqa: E712 (object column of bools)
            "median_abs_log_ratio": float(g["log_ratio"].abs().median()) if len(g) else None,
        }
    return out


def run_validation(h: CaptureHistories, methods, *, seed: int | None, reps: int, **options) -> pd.DataFrame | None:
    """Leave-one-list-out validation (:func:`darkfigure.validate.validate`) of `methods`, kept affordable.

    LCMCR is not rerun (``NOT_VALIDATED``), bootstraps use at most 200 replicates, and no
    headline is computed inside (no recursion). None with fewer than 4 lists (a hold-out
    would leave 2 lists, too few for most methods).
    """
    from .validate import validate

    ms = [m for m in methods if m not in NOT_VALIDATED]
    if h.k < 4 or not ms:
        return None
    return validate(h, ms, seed=seed, reps=min(int(reps), 200), headline=False, **options)


def headline(
    table: pd.DataFrame,
    h: CaptureHistories,
    *,
    checks: list[dict] | None = None,
    validation: pd.DataFrame | None = None,
    chao: dict | None | bool = True,
) -> Headline:
    """Apply the headline rules to a :func:`~darkfigure.comparison.compare` table.

    Parameters
    ----------
    table : DataFrame
        ``compare`` output: ``method, nhat, lower, upper, status`` and, where a deviance
        test is defined, ``deviance, df, p_value, sparse``.
    h : CaptureHistories
        The data the methods saw.
    checks : list of dict, optional
        ``Check.to_dict()`` of the log-linear BIC choice (goodness of fit, residuals,
        Chao's bound, heterogeneity): which heterogeneity checks flag.
    validation : DataFrame, optional
        :func:`darkfigure.validate.validate` output for (some of) the methods.
    chao : dict, None or True
        Chao's bound as :func:`chao_bound` returns it (True: compute it; None: none).

    Returns
    -------
    Headline
        Also sets nothing on `table` (see :func:`annotate` for the per-method columns).
    """
    rows = {str(r["method"]): r for _, r in table.iterrows()}
    reasons: list[str] = []
    rules: list[str] = []
    dropped: dict[str, str] = {}
    n_obs = h.n_observed
    if chao is True:
        chao = chao_bound(h)
    val = _validation_summary(validation)
    ev: dict = {"chao_bound": chao, "validation": val}

    def finite(v) -> bool:
        """True when v is a finite real number (None, NaN, ±inf and strings are not)."""
        return v is not None and isinstance(v, (int, float, np.floating)) and bool(np.isfinite(v))

    # 1. no estimate
    none = [m for m, r in rows.items() if str(r.get("status", "ok")) != "ok" or not finite(r["nhat"])]
    for m in none:
        dropped[m] = "no estimate (" + str(rows[m].get("status", "not identified")) + ")"
    if none:
        rules.append("no-estimate")
        reasons.append(f"{_names(none)} gave no estimate here (not applicable, failed, or no MLE), so "
                       f"{'it is' if len(none) == 1 else 'they are'} left out.")
    live = [m for m in rows if m not in dropped]
    # 2. not identified: no finite upper limit, or one beyond BARELY_IDENTIFIED x observed
    weak = [m for m in live if not finite(rows[m]["upper"]) and not np.isnan(rows[m]["upper"])
            or finite(rows[m]["upper"]) and rows[m]["upper"] > BARELY_IDENTIFIED * max(n_obs, 1)]
    for m in weak:
        dropped[m] = "not identified: the data barely identify N under its model"
    if weak:
        rules.append("not-identified")
        reasons.append(
            f"The data barely identify N under {_names(weak)}: "
            + "; ".join(f"{m}'s upper limit is {_fmt(rows[m]['upper']) if finite(rows[m]['upper']) else 'infinite'}"
                        for m in weak)
            + f" (more than {BARELY_IDENTIFIED:g} times the {n_obs:,} persons observed, or none), so "
            f"{'it' if len(weak) == 1 else 'they'} cannot narrow the range and {'is' if len(weak) == 1 else 'are'} "
            "left out.")
    live = [m for m in live if m not in dropped]
    # 3. poor fit
    def misfit(r) -> bool:
        """True when row r's deviance test rejects its model (gross-misfit rule on sparse tables; docs/headline_rules.md)."""
        if not ("p_value" in r and finite(r["p_value"]) and finite(r["deviance"])):
            return False  # no deviance test for this method
        crit = float(stats.chi2.ppf(1 - GOF_ALPHA, int(r["df"])))
        return r["p_value"] < GOF_ALPHA and (not bool(r.get("sparse", False)) or r["deviance"] > SPARSE_FACTOR * crit)

    bad = [m for m in live if misfit(rows[m])]
    for m in bad:
        # the deviance itself is in the method's evidence; the verdict does not repeat it
        dropped[m] = "poor fit (its deviance test rejects the model, see fit)"
    if bad:
        rules.append("poor-fit")
        if len(bad) <= 3:
            what = "; ".join(f"{m} deviance {rows[m]['deviance']:,.1f} on {int(rows[m]['df'])} df "
                             f"({format_p(rows[m]['p_value'])})" for m in bad)
        else:  # many: the range of p-values, not every deviance (each is in its method's evidence)
            ps = sorted(bad, key=lambda m: -rows[m]["p_value"])
            def pv(m):
                """Method m's deviance-test p-value as text ('below 1e-16' rather than 0)."""
                q = rows[m]["p_value"]
                return "below 1e-16" if q < 1e-16 else f"{q:.2g}"

            what = (f"the deviance tests of these {len(bad)} give p-values from {pv(ps[0])} ({ps[0]}) down to "
                    f"{pv(ps[-1])} ({ps[-1]})")
        reasons.append(
            f"The data contradict {_names(bad)}: {what}"
            + f" — below {GOF_ALPHA:g} (on a sparse table: a deviance more than {SPARSE_FACTOR:g} times its critical "
            "value), so the way " + ("this model says" if len(bad) == 1 else "these models say")
            + " the lists overlap does not match the table; " + ("it is" if len(bad) == 1 else "they are") + " dropped"
            + (" (each method's deviance is in its evidence)." if len(bad) > 3 else "."))
    live = [m for m in live if m not in dropped]
    # 4. leave-one-list-out validation
    failed = []
    for m in live:
        s = val.get(m)
        if not s or s["with_interval"] < 3 or s["median_abs_log_ratio"] is None:
            continue
        if s["covered"] < VALIDATION_COVERAGE * s["with_interval"] and s["median_abs_log_ratio"] > VALIDATION_LOG_RATIO:
            failed.append(m)
            dropped[m] = (f"failed validation (covered {s['covered']} of {s['with_interval']} held-out lists; "
                          f"typically off by a factor {np.exp(s['median_abs_log_ratio']):.2f})")
    if failed:
        rules.append("failed-validation")
        reasons.append(
            f"Holding out each list and re-estimating its known size from the others, {_names(failed)} "
            f"missed: " + "; ".join(f"{m} covered {val[m]['covered']} of {val[m]['with_interval']} lists, typically "
                                    f"off by a factor {np.exp(val[m]['median_abs_log_ratio']):.2f}" for m in failed)
            + (" — its assumption fails on these data, so it is dropped" if len(failed) == 1 else
               " — their assumptions fail on these data, so they are dropped") + " (Binette & Steorts 2022).")
    live = [m for m in live if m not in dropped]
    # 5./6. heterogeneity: Chao's lower bound
    flags = {c["name"]: bool(c.get("flagged")) for c in (checks or []) if c.get("computed", True)}
    ev["heterogeneity_flags"] = flags
    detected = [_CHECK_WORDS[n] for n in _CHECK_WORDS if flags.get(n)]
    ev["heterogeneity_detected"] = bool(detected)
    neg = negative_dependence(h, chao["nhat"], checks) if chao else []
    ev["negative_dependence"] = neg
    chao_raise = False
    can_choose = True
    # Chao's bound is Mth Chao's N̂: when that model itself fails its deviance test, every quote of the bound says so
    cwhich = (f" (from Mth Chao, whose own fit the table contradicts, {format_p(chao.get('p_value'))}: read the bound "
              "with care)" if chao and chao.get("contradicted") else "")
    if chao and detected:
        below = [m for m in live if m in HOMOGENEOUS and "chao" not in m
                 and (chao["nhat"] - rows[m]["nhat"]) / chao["se"] > CHAO_Z]
        if neg:
            rules.append("chao-vs-negative-dependence")
            can_choose = False
            reasons.append(
                f"Chao's lower bound under heterogeneity is {_fmt(chao['nhat'])} ({_fmt(chao['low'])}–"
                f"{_fmt(chao['high'])}){cwhich} and the checks flag it ({', '.join(detected)}), but {'; '.join(neg)}: "
                "negative dependence, which makes the bound overstate N. The data cannot tell heterogeneity from "
                "negative dependence, so no method is dropped for lying below the bound and the bound's interval "
                "joins the range.")
        else:
            chao_raise = True
            for m in below:
                dropped[m] = f"below Chao's lower bound ({_fmt(rows[m]['nhat'])} < {_fmt(chao['nhat'])})"
            rules.append("below-chao")
            reasons.append(
                f"The checks detect heterogeneity of registration ({', '.join(detected)}) and no list pair shows "
                f"negative dependence, so Chao's lower bound {_fmt(chao['nhat'])} (se {_fmt(chao['se'])}){cwhich} holds: "
                + (f"{_names(below)} assume{'s' if len(below) == 1 else ''} every person equally catchable and "
                   f"{'lies' if len(below) == 1 else 'lie'} more than {CHAO_Z} standard errors below it, so "
                   f"{'it is' if len(below) == 1 else 'they are'} dropped."
                   if below else "no kept method lies below it."))
    live = [m for m in live if m not in dropped]
    # 7. the range
    def span(ms):
        """Lower and upper limits (N̂ where a limit is missing) of methods ms: two lists of persons."""
        lo = [rows[m]["lower"] if finite(rows[m]["lower"]) else rows[m]["nhat"] for m in ms]
        hi = [rows[m]["upper"] if finite(rows[m]["upper"]) else rows[m]["nhat"] for m in ms]
        return lo, hi

    if live:
        lo, hi = span(live)
        low, high = float(min(lo)), float(max(hi))
        if h.k == 2:
            # every method reduces to (nearly) the same 2-list model: their agreement checks nothing
            can_choose = False
            rules.append("two-lists")
            reasons.append(
                f"With 2 lists the methods left ({_names(live)}) are essentially the same 2-list model (the two "
                "lists independent" + (" within each covariate stratum" if h.covariates else "")
                + "), so their agreement means nothing: no check of the identifying assumption is possible with 2 "
                f"lists, and the headline {_fmt(low)}–{_fmt(high)} rests on that assumption alone.")
        elif max(lo) <= min(hi):
            rules.append("agree")
            reasons.append(
                f"{'The one method left' if len(live) == 1 else f'The {len(live)} methods left'} ({_names(live)}) "
                + ("gives" if len(live) == 1 else f"agree: their intervals share {_fmt(max(lo))}–{_fmt(min(hi))}, "
                   "and the headline spans") + f" {_fmt(low)}–{_fmt(high)}.")
        else:
            can_choose = False
            rules.append("cannot-choose")
            a = live[int(np.argmin(hi))]
            b = live[int(np.argmax(lo))]
            reasons.append(
                f"The data cannot choose: {a} ({ASSUMPTIONS.get(a, a)}; N̂ {_fmt(rows[a]['nhat'])}, "
                f"{_fmt(rows[a]['lower'])}–{_fmt(rows[a]['upper'])}) and {b} ({ASSUMPTIONS.get(b, b)}; N̂ "
                f"{_fmt(rows[b]['nhat'])}, {_fmt(rows[b]['lower'])}–{_fmt(rows[b]['upper'])}) both survive the checks "
                f"but their intervals do not overlap, so the headline is the wide range they all span, "
                f"{_fmt(low)}–{_fmt(high)}.")
    else:
        pool = [m for m in rows if m not in none and m not in weak]
        if not pool:
            rules.append("none-kept")
            return Headline(None, None, reasons + ["No method gives an identified estimate, so there is no range to "
                                                   "report: the data do not identify N."], rules, [], dropped,
                            False, ev)
        can_choose = False
        lo, hi = span(pool)
        low, high = float(min(lo)), float(max(hi))
        rules.append("none-kept")
        reasons.append(
            f"Every method's assumption is contradicted by some check, so the data cannot choose: the headline "
            f"falls back to the range spanned by every identified method ({_names(pool)}), {_fmt(low)}–"
            f"{_fmt(high)}, and is not fit to publish without a closer look.")
    if chao and "chao-vs-negative-dependence" in rules:
        low, high = min(low, chao["low"]), max(high, chao["high"])
    if chao_raise and chao["low"] > low:
        rules.append("chao-raise")
        reasons.append(
            f"Under the heterogeneity the checks detect, N is at least Chao's lower bound: the low end is raised from "
            f"{_fmt(low)} to the bound's lower limit {_fmt(chao['low'])}.")
        low = float(chao["low"])
        high = max(high, low)
    low = max(low, float(n_obs))
    return Headline(low, high, reasons, rules, live, dropped, can_choose, ev)


def annotate(table: pd.DataFrame, hl: Headline) -> pd.DataFrame:
    """Add the columns ``assumption``, ``evidence`` and ``verdict`` to a compare table (a copy).

    ``evidence`` gathers, per method, the deviance test, the validation summary, N̂ against
    Chao's bound and the interval width; ``verdict`` is ``kept`` or ``dropped: <why>``.
    """
    t = table.copy()
    chao = hl.evidence.get("chao_bound")
    val = hl.evidence.get("validation") or {}
    ev, verdict = [], []
    for _, r in t.iterrows():
        m = str(r["method"])
        parts = []
        if "p_value" in r and r.get("p_value") is not None and np.isfinite(r["p_value"]):
            parts.append(f"fit: deviance {r['deviance']:,.1f} on {int(r['df'])} df, {format_p(r['p_value'])}"
                         + (" (sparse table: only a gross misfit counts)" if bool(r.get("sparse", False)) else ""))
        elif m in ("lcmcr", "dga"):
            parts.append("fit: no deviance test (Bayesian, averaged over models or classes)")
        if m in val:
            s = val[m]
            parts.append(f"validation: covered {s['covered']} of {s['with_interval']} held-out lists, "
                         f"median |log(N̂/|L|)| {s['median_abs_log_ratio']:.2f}" if s["median_abs_log_ratio"] is not None
                         else "validation: no hold-out estimate")
        elif m in NOT_VALIDATED and val:
            parts.append("validation: not rerun (sampler too slow for one run per list)")
        if chao and np.isfinite(r["nhat"]) and m in HOMOGENEOUS:
            z = (chao["nhat"] - r["nhat"]) / chao["se"]
            parts.append(f"N̂ {abs(z):.1f} se {'below' if z > 0 else 'above'} Chao's bound {_fmt(chao['nhat'])}"
                         + (" (Mth Chao's N̂, a model the table contradicts)" if chao.get("contradicted") else ""))
        if "extended MLE" in str(r.get("warnings", "")):
            parts.append("extended MLE (some cells fitted as 0; N̂ still identified)")
        if np.isfinite(r["lower"]) and np.isfinite(r["upper"]) and r["lower"] > 0:
            parts.append(f"interval: upper limit {r['upper'] / r['lower']:.2f} times the lower")
        elif np.isfinite(r["nhat"]) and not np.isnan(r["upper"]) and not np.isfinite(r["upper"]):
            parts.append("no finite upper limit")
        ev.append("; ".join(parts))
        verdict.append("kept" if m in hl.kept else "dropped: " + hl.dropped.get(m, "not used"))
    t["assumption"] = [ASSUMPTIONS.get(str(m), "") for m in t["method"]]
    t["evidence"] = ev
    t["verdict"] = verdict
    return t


def publish_statement(est) -> dict:
    """What to publish from one :class:`~darkfigure.estimation.Estimate`: the headline rules on it and its checks.

    Parameters
    ----------
    est : Estimate
        With its ``checks`` (goodness of fit, residuals, Chao's bound, heterogeneity); its
        fit, bootstrap and interval are read too, so that the statement never contradicts
        the run's own warnings (docs/headline_rules.md, "what to publish").

    Returns
    -------
    dict with ``low``, ``high`` (persons; ``high`` None when this run cannot give the upper
    end; both None without an interval), ``statement`` (one plain paragraph), ``rules``
    (identifiers as in docs/headline_rules.md, the caveats ``fit-unclear``,
    ``failed-replicates`` and ``no-interval`` after the rule) and ``publish_interval`` (True
    when N̂'s interval may be published as it stands).
    """
    h = est.histories
    checks = [c.to_dict() for c in est.checks]
    flags = {c["name"]: bool(c["flagged"]) for c in checks if c.get("computed", True)}
    lo, hi, nh = float(est.lower), float(est.upper), float(est.nhat)
    n_obs = int(h.n_observed)
    has_ci = not (np.isnan(lo) and np.isnan(hi))
    rng = f"{_fmt(lo)}–{_fmt(hi)}"
    # N̂ with its interval, or N̂ alone when the run computed none (never "N̂ 12,350 (–––)")
    nhr = f"N̂ {_fmt(nh)} ({rng})" if has_ci else f"N̂ {_fmt(nh)}"
    low_, high_ = (lo, hi) if has_ci else (None, None)
    fit = est.fit
    if not fit.identified or not np.isfinite(nh):
        return {"low": None, "high": None, "rules": ["none-kept"], "publish_interval": False,
                "statement": "Nothing to publish: the data do not identify N under the chosen model."}
    # caveats the run's own warnings raise, said in every statement that keeps N̂
    caveats: list[tuple[str, str]] = []
    boot = getattr(est, "bootstrap", None)
    counts = (getattr(boot, "status_counts", None) or {}) if boot is not None else {}
    failed = int(counts.get("not identified", 0) or 0)
    if failed and has_ci:
        caveats.append(("failed-replicates", f"{failed} of {boot.n_replicates} bootstrap replicates gave no finite "
                        "N̂ and are left out, so the interval understates the uncertainty"))
    if not has_ci:
        caveats.append(("no-interval", "this run computed no uncertainty for N̂, which a published figure needs: "
                        "run it again with a bootstrap or the profile likelihood"))
    gof = None
    dev, df = getattr(fit, "deviance", None), getattr(fit, "df_residual", None)
    if dev is not None and df is not None and int(df) > 0 and "goodness_of_fit" in flags:
        t = getattr(fit, "table", None)
        fitted = fit.fitted[t.observable] if t is not None and getattr(fit, "fitted", None) is not None else None
        gof = goodness_of_fit(dev, int(df), fitted)
    if gof is not None and not flags.get("goodness_of_fit") and not gof["flagged"] and gof["p_value"] is not None \
            and gof["p_value"] < GOF_ALPHA:
        caveats.append(("fit-unclear", f"the deviance test rejects the model (deviance {gof['deviance']:,.1f} on "
                        f"{gof['df']} df, {format_p(gof['p_value'])}) but the table is sparse, so whether the model "
                        "fits cannot be judged reliably"))

    def out(low, high, rules, publish, statement, cav=True):
        """The publish statement as a dict (low/high in persons), with the caveats appended to its sentence."""
        cs = caveats if cav else [c for c in caveats if c[0] == "no-interval"]
        if cs:
            statement += " Caveat: " + "; ".join(c[1] for c in cs) + "."
        return {"low": low, "high": high, "rules": rules + [c[0] for c in cs],
                "publish_interval": bool(publish and has_ci and not cs), "statement": statement}

    # degenerate: the model fits the unseen cell as 0 (N̂ = n), e.g. everybody on every list
    hidden0 = False
    t = getattr(fit, "table", None)
    if t is not None and getattr(fit, "fitted", None) is not None:
        hidden0 = bool(np.any(np.asarray(fit.fitted)[t.hidden] == 0))
    if nh - n_obs < 0.5 or (has_ci and np.isfinite(lo) and np.isfinite(hi) and hi - lo < 0.5):
        return out(float(n_obs), None, ["degenerate"], False,
                   f"Do not publish {nhr}: the model says nobody was missed (N̂ equals the {n_obs:,} persons "
                   "observed"
                   + (", its interval has no width" if has_ci else "") + "), which the data cannot support; they do "
                   "not tell how many persons no list saw, so report only that at least "
                   f"{n_obs:,} persons were registered.", cav=False)
    if not np.isnan(hi) and (not np.isfinite(hi) or hi > BARELY_IDENTIFIED * max(n_obs, 1)):
        return out(lo if np.isfinite(lo) else float(n_obs), None, ["not-identified"], False,
                   f"Publish at most a lower limit, at least {_fmt(lo)}: the data barely identify N from "
                   "above under this model (run darkfigure compare for methods that may).", cav=False)
    if flags.get("goodness_of_fit") or (gof is not None and gof["flagged"]):
        return out(low_, high_, ["poor-fit"], False,
                   f"Do not publish {nhr} on its own: the chosen model does not fit how the lists overlap; run "
                   "darkfigure compare, whose headline weighs the other methods.", cav=False)
    zero = (" The model also claims nobody was missed in some stratum (its unseen cell fitted as 0), "
            "which the data cannot support." if hidden0 else "")
    if h.k == 2:
        return out(low_, high_, ["no-checks"], False,
                   f"{nhr} rests on its model alone: with 2 lists no check of the identifying assumption is "
                   "possible (that the two lists are independent" + (" within each covariate stratum"
                                                                      if h.covariates else "")
                   + "; other models give the same table and a different N), so publish it only with that caveat."
                   + zero)
    if not flags:
        return out(low_, high_, ["no-checks"], False,
                   f"{nhr} rests on its model alone: no check of how the lists overlap could be run on these "
                   "data, so publish it only with that caveat." + zero)
    detected = [_CHECK_WORDS[n] for n in _CHECK_WORDS if flags.get(n)]
    chao = chao_bound(h) if detected and "chao_lower_bound" in flags else None
    if detected and chao is not None and flags.get("chao_lower_bound"):
        neg = negative_dependence(h, chao["nhat"], checks)
        cb = f"Chao's lower bound under heterogeneity, {_fmt(chao['nhat'])} ({_fmt(chao['low'])}–{_fmt(chao['high'])})"
        if chao.get("contradicted"):
            cb += f" (from model Mth Chao, which itself fits the table poorly, {format_p(chao['p_value'])})"
        if neg:
            start = (f"The range to report starts at N̂'s lower limit {_fmt(lo)}" if has_ci
                     else f"The range to report starts near N̂ {_fmt(nh)}")
            return out(lo if has_ci else None, None, ["chao-vs-negative-dependence"], False,
                       f"{start} and reaches at least {cb}, not {nhr} alone, because the data cannot tell which is "
                       "wrong: N̂ is too low if persons differ in how likely they are to be registered, while the "
                       f"bound is too high if lists are negatively dependent ({'; '.join(neg)}), which the model "
                       "allows for and the bound does not. How far above the bound N may lie this model cannot say: "
                       "darkfigure compare gives the headline range with its reasons." + zero)
        return out(chao["low"], None, ["below-chao", "chao-raise"], False,
                   f"Do not publish {nhr}: the checks detect heterogeneity ({', '.join(detected)}) and N̂ lies "
                   f"below {cb}; the range to report starts at the bound's lower limit {_fmt(chao['low'])} and its "
                   "upper end needs models of heterogeneity (darkfigure compare).", cav=False)
    if detected:
        floor = (f"publish its lower limit {_fmt(lo)} as a floor" if has_ci and np.isfinite(lo)
                 else "treat it as a floor")
        return out(low_, high_, ["heterogeneity"], False,
                   f"{nhr} is likely too low: the checks detect heterogeneity ({', '.join(detected)}); {floor} and "
                   "take the range from darkfigure compare." + zero)
    why = ("the checks find no heterogeneity it misses (the identifying assumption — no highest-order "
           "interaction — remains untested)")
    if hidden0:
        return out(low_, high_, ["agree"], False, f"Publish {nhr} only with care: {why}." + zero)
    if any(c[0] == "fit-unclear" for c in caveats):
        return out(low_, high_, ["agree"], False, f"Publish {nhr} only with the caveats below: {why}.")
    if not has_ci:
        return out(low_, high_, ["agree"], False, f"Do not publish {nhr} yet: the model fits and {why}.")
    if failed:
        return out(low_, high_, ["agree"], False, f"Publish N̂ {_fmt(nh)} only with the caveat that its interval "
                   f"{rng} is too narrow: the model fits and {why}.")
    return out(low_, high_, ["agree"], True, f"Publish N̂ {_fmt(nh)} with its interval {rng}: the model fits and {why}.")
