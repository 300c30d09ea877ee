"""The checks step: what the data, the chosen fit and the interval say about trusting N̂.

Warnings are plain sentences for the user (``Estimate.warnings``); the model checks are
:class:`darkfigure.diagnostics.Check` objects (``Estimate.checks``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .. import _dist as stats  # scipy.stats costs 0.4-0.9 s to import
from ..histories import CaptureHistories
from ..loglinear.fit import LogLinearFit
from ..loglinear.search import SearchResult

__all__ = ["data_warnings", "fit_warnings", "goodness_of_fit_p", "checks_step", "wide_interval_warnings",
           "MAX_RATIO", "unidentified_reason", "unidentified_warnings"]

#: p-value of the deviance test below which the chosen model is said to fit poorly
POOR_FIT_P = 0.001
#: an upper limit above this multiple of the number observed says the data barely identify N
WIDE_RATIO = 50
#: N̂ above this multiple of the number observed is not an estimate: the data do not identify N (the
#: likelihood runs to the boundary). The same rule as ``darkfigure strata`` (``--max-ratio``, default 100).
MAX_RATIO = 100.0
#: persons registered above which the data are said to look like a misread count (tester 14b, L6)
HUGE_OBSERVED = 10**8


def data_warnings(h: CaptureHistories, structural_zeros: pd.DataFrame | None = None) -> list[str]:
    """Warnings about the data before any fit: lists that share nobody, lists empty in a subgroup.

    Parameters
    ----------
    h : CaptureHistories
    structural_zeros : DataFrame, optional
        Validated declarations (``list, covariate, level``): a list empty in a declared subgroup
        is expected, not warned of.

    Returns
    -------
    list of str
    """
    warnings = []
    if h.n_observed > HUGE_OBSERVED:  # the input check refuses 1e10; a misplaced decimal shows far below (14b, L6)
        warnings.append(
            f"{h.n_observed:,} persons registered, more than {HUGE_OBSERVED:,.0f}: far more than any register of a "
            "hidden population holds. Check the count column for a misplaced decimal or thousands separator, or a "
            "column read as the count that is not one (--count)")
    full = h.full_lists()
    if full:
        names = ", ".join(map(repr, full))
        warnings.append(
            f"list(s) {names} registered every observed person ({h.n_observed:,}): nobody is seen off them, so "
            "the other lists carry no information about the persons no list saw and N is not bounded above: no "
            "N̂ is given (every log-linear model would put it at the number registered, with an interval of zero "
            "width, forced by the data, not estimated). Report only that at least "
            f"{h.n_observed:,} persons were registered. If the column is a covariate or an export error, name the "
            "lists with --lists")
    for c in h.covariates:  # "female"/"Female"/"FEMALE ": one level typed three ways becomes three subgroups
        spelt: dict[str, list[str]] = {}
        for lv in h.levels[c]:
            spelt.setdefault(" ".join(str(lv).split()).casefold(), []).append(str(lv))
        same = [v for v in spelt.values() if len(v) > 1]
        if same:
            warnings.append(
                f"covariate {c!r} has levels that differ only in case or spaces: "
                + "; ".join("/".join(map(repr, v)) for v in same)
                + ": each is estimated as a subgroup of its own; recode them to one spelling if they are the same")
    warnings += _identifier_warnings(h)
    ov = h.pairwise_overlaps().to_numpy(dtype=float)
    lists = list(h.lists)
    twins = [(lists[i], lists[j], int(ov[i, i])) for i in range(len(lists)) for j in range(i + 1, len(lists))
             if ov[i, i] > 0 and ov[i, i] == ov[j, j] == ov[i, j]]
    for a, b, n in twins:  # a list exported twice (tester 7, 27): named, not left to an MLE-existence warning
        warnings.append(
            f"lists {a!r} and {b!r} registered exactly the same {n:,} persons: one is probably a copy of the "
            "other (or two names of one organisation); as two lists they look perfectly dependent. Leave one out "
            "(--lists) unless they truly are two sources")
    empties = h.empty_overlaps()
    if empties:
        warnings.append(
            "lists that share nobody: "
            + ", ".join(f"{a}∩{b}" for a, b in empties)
            + "; models with their interaction fit those cells as 0 (extended MLE)"
        )
    holes = h.empty_list_strata()
    if structural_zeros is not None:
        declared = {(r.list, r.covariate, r.level) for r in structural_zeros.itertuples()}
        holes = [x for x in holes if x not in declared]
    if holes:
        shown = ", ".join(f"{a} in {c}={lv}" for a, c, lv in holes[:10])
        warnings.append(
            f"list(s) with no records in a subgroup: {shown}{' …' if len(holes) > 10 else ''}. If the list "
            "could not register that subgroup (or did not exist that year), it is a structural zero; otherwise "
            "a model with that list x covariate interaction fits those cells as 0"
        )
    return warnings


def _identifier_warnings(h: CaptureHistories, min_levels: int = 5) -> list[str]:
    """Covariates that look like identifiers: at least `min_levels` levels, 90% of them on a single row of the
    aggregated table (one capture history each: a record or row number, as an ``id`` column 1..15 on 15 rows).
    Every level is then a subgroup of its own, seen in one cell, and N̂ says more about the column than the data
    (tester report 9, F11: kosovo with such a column gave 7,399 instead of 14,342 without a word about it)."""
    out = []
    for c in h.covariates:
        rows = h.table.groupby(c, observed=True).size()
        if len(rows) >= min_levels and (rows == 1).mean() >= 0.9:
            out.append(
                f"column {c!r} looks like an identifier, not a covariate: {len(rows):,} levels, "
                f"{int((rows == 1).sum()):,} of them on a single row (one capture history each), so every level is "
                "a subgroup of its own and N̂ depends on the column, not on the lists. Leave it out: name the "
                "covariates with --covariates (covariates=[...] in Python), or none with --covariates ''")
    return out


def goodness_of_fit_p(fit: LogLinearFit) -> float | None:
    """p-value of the deviance test of `fit` against the saturated model (chi-square on the residual df).

    Returns
    -------
    float or None
        None when N̂ is not identified or no residual df is left (nothing to test).
    """
    if not fit.identified or fit.df_residual <= 0:
        return None
    return float(stats.chi2.sf(fit.deviance, fit.df_residual))


def fit_warnings(fit: LogLinearFit, search: SearchResult | None) -> list[str]:
    """Warnings of the search and the fit, and when N̂ is not identified or the model fits poorly.

    Parameters
    ----------
    fit : LogLinearFit
        The chosen model's fit.
    search : SearchResult or None

    Returns
    -------
    list of str
        The search's warnings, the fit's, then "not identified" or the deviance test's
        (p < :data:`POOR_FIT_P`).
    """
    warnings = list(search.warnings) if search is not None else []
    warnings += fit.warnings
    if not fit.identified:
        warnings.append(
            "N̂ is not identified for the chosen model: no estimate is given. Use a simpler model "
            "or more lists."
        )
    p_fit = goodness_of_fit_p(fit)
    if p_fit is not None and p_fit < POOR_FIT_P:
        warnings.append(
            f"the chosen model fits the observed table poorly (deviance {fit.deviance:,.1f} on "
            f"{fit.df_residual:,} df, {'p < 1e-16' if p_fit < 1e-16 else f'p = {p_fit:.1g}'}): its assumptions about how the lists overlap do not "
            "hold, so N̂ may be far off; compare other methods (darkfigure compare)"
        )
    return warnings


def checks_step(
    fit: LogLinearFit, h: CaptureHistories, search: SearchResult | None, *, structural_zeros: bool, imputed: bool,
    complete_table=None,
) -> tuple[list, list[str]]:
    """The model checks (goodness of fit, residuals by number of lists, Chao's bound, heterogeneity).

    Parameters
    ----------
    fit : LogLinearFit
    h : CaptureHistories
    search : SearchResult or None
        An AIC search's small list interactions absorb the heterogeneity the check looks for,
        so the check tests the search's BIC choice (:func:`darkfigure.diagnostics.heterogeneity_reference`).
    structural_zeros, imputed : bool
        Declared structural zeros; covariate values imputed by EM (some checks do not apply).
    complete_table : CompleteTable, optional
        With `imputed`: the table of the persons whose covariate values are all known. The chosen
        model (and the heterogeneity check's reference model) is refitted to it by ordinary maximum
        likelihood and the goodness-of-fit and heterogeneity checks run on that fit
        (:func:`complete_case_checks`); without it they are marked not computed.

    Returns
    -------
    (list of Check, list of str)
        The checks (:func:`darkfigure.diagnostics.model_checks`) and the messages of the flagged
        ones (a poor goodness of fit below 0.001 is said by :func:`fit_warnings` already).
    """
    from ..diagnostics import heterogeneity_reference, model_checks

    full = h.full_lists()
    if full:  # N is not bounded (unidentified_reason): a check of the model's N̂ would read as a verdict on nothing
        from ..diagnostics import Check

        why = (f"not applicable: list(s) {', '.join(map(repr, full))} registered every observed person, so no N̂ "
               "is given to check")
        names = (("goodness_of_fit", "p_value"), ("residuals_by_number_of_lists", "pearson_residual"),
                 ("chao_lower_bound", "z_below_chao_bound"), ("heterogeneity", "z_heterogeneity"))
        return [Check(n, float("nan"), False, why, sn, computed=False) for n, sn in names], []
    if imputed and complete_table is not None:
        checks = complete_case_checks(fit, h, search, complete_table, structural_zeros=structural_zeros)
    else:
        checks = model_checks(fit, h, structural_zeros=structural_zeros, imputed=imputed,
                              reference=heterogeneity_reference(fit, search))
        for c in checks:
            if imputed and not c.computed:
                c.details["em"] = True  # publish_statement: a check EM kept from running counts against publishing
    # a poor fit of the fit itself was said above (fit_warnings); a complete-case refit's was not
    warnings = [c.message for c in checks
                if c.flagged and not (c.name == "goodness_of_fit" and c.statistic < POOR_FIT_P
                                      and not c.details.get("complete_cases"))]
    return checks, warnings


def wide_interval_warnings(fit: LogLinearFit, upper: float, n_observed: int) -> list[str]:
    """The warning when the upper limit is more than :data:`WIDE_RATIO` times the number observed."""
    if fit.identified and np.isfinite(upper) and upper > WIDE_RATIO * max(n_observed, 1):
        return [
            f"the upper limit ({upper:,.0f}) is more than 50 times the observed count: the data "
            "barely identify N; treat the estimate with great caution"
        ]
    return []


def unidentified_reason(nhat: float, upper: float, n_observed: int, *, ci_method: str | None,
                        full_lists: Sequence[str] = ()) -> str | None:
    """Why the data do not identify N although the model gave a finite N̂, or None when they do.

    The house rule (docs/headline_rules.md): N̂ above :data:`MAX_RATIO` times the number observed,
    N̂ equal to the number observed with an upper limit there too (or no interval: the unseen cell fitted as 0),
    or a profile-likelihood interval with no finite upper limit (the likelihood does not fall off
    as N grows: Cormack 1992; Fienberg, Johnson & Junker 1999), is not an estimate of N.

    Parameters
    ----------
    nhat, upper : float
        N̂ and the upper limit of its interval (persons; ``inf`` when unbounded, NaN without an interval).
    n_observed : int
        Persons observed by at least one list.
    ci_method : str or None
        The interval's method (``"profile"`` makes an infinite upper limit a proof of non-identification;
        a bootstrap's infinite limit is said by :func:`wide_interval_warnings` and the publish rules).
    full_lists : sequence of str
        Lists that registered every observed person (:meth:`CaptureHistories.full_lists`): nobody is
        seen off them, so the others carry no information about the unobserved and every model's
        N̂ is the number registered with a zero-width interval, forced rather than estimated.

    Returns
    -------
    str or None
        A plain clause ("N̂ (1,003,670) is 334 times the 3,003 observed, …").
    """
    n = max(int(n_observed), 1)
    if len(full_lists):
        return (f"list(s) {', '.join(map(repr, full_lists))} registered every observed person, so the other lists "
                "carry no information about the persons no list saw: N is not bounded above")
    if np.isfinite(nhat) and nhat > MAX_RATIO * n:
        return (f"N̂ ({nhat:,.0f}) is {nhat / n:,.0f} times the {n_observed:,} persons observed, more than the "
                f"{MAX_RATIO:g} times any credible estimate reaches")
    if ci_method == "profile" and np.isinf(upper):
        return "the profile-likelihood interval has no finite upper limit"
    if np.isfinite(nhat) and nhat - n_observed < 0.5 and (np.isnan(upper) or upper - n_observed < 0.5):
        # N̂ = n with no room above it: the model fits the unseen cell as 0 (tester 12b, L2: exit 3 as all-1 lists)
        return (f"N̂ equals the {n_observed:,} persons observed with no room above it: the model fits the unobserved "
                "cell as 0, saying nobody was missed, which the data cannot support")
    return None


def unidentified_warnings(fit: LogLinearFit, nhat: float, upper: float, lower: float, n_observed: int, *,
                          ci_method: str | None) -> list[str]:
    """The warning that N is not identified by these data (:func:`unidentified_reason`), or an empty list.

    Parameters
    ----------
    fit : LogLinearFit
        The chosen model's fit (a fit that is not identified is said by :func:`fit_warnings`).
    nhat, upper, lower : float
        N̂ and its interval (persons).
    n_observed : int
    ci_method : str or None

    Returns
    -------
    list of str
    """
    if not fit.identified:
        return []
    why = unidentified_reason(nhat, upper, n_observed, ci_method=ci_method)
    if why is None:
        return []
    floor = lower if np.isfinite(lower) and lower >= n_observed else float(n_observed)
    cause = ("it sits on the boundary, N = n" if "nobody was missed" in why
             else "the lists overlap too little to bound it from above")
    return [f"N is not identified by these data: {why}. N̂ is not an estimate of N ({cause}); report only a lower limit, at least {floor:,.0f} persons, and run darkfigure "
            "compare for methods that may bound it"]


def complete_case_checks(fit: LogLinearFit, h: CaptureHistories, search: SearchResult | None, complete_table, *,
                         structural_zeros: bool) -> list:
    """The model checks of an EM fit, run on the complete cases (tester report 15b, H1).

    The EM-completed table follows the chosen model by construction (the E-step shares the persons with
    an unknown value out in the model's own proportions), so a deviance or score test on it is no test.
    The complete-case table is observed data: the chosen model (and, for the heterogeneity check, the
    reference model of :func:`darkfigure.diagnostics.heterogeneity_reference`) is refitted to it by
    ordinary maximum likelihood and the four checks of :func:`darkfigure.diagnostics.model_checks` run
    on that fit. Under the EM's own assumption (values missing at random given the lists and the known
    covariates) the complete cases follow the same list-overlap structure when the share of unknown
    values does not depend on the lists; when it does, the checks can flag or pass for that reason, which
    each message says. A refit that does not identify N̂ leaves the checks not computed (``details["em"]``
    True: counted against publishing).

    Parameters
    ----------
    fit : LogLinearFit
        The EM fit of the chosen model.
    h : CaptureHistories
        The histories (``h.incomplete`` the persons with an unknown value).
    search : SearchResult or None
    complete_table : CompleteTable
        The table of the persons whose covariate values are all known.
    structural_zeros : bool

    Returns
    -------
    list of Check
    """
    from ..diagnostics import Check, heterogeneity_reference, model_checks
    from ..loglinear.fit import fit_model

    n_cc = int(round(float(np.sum(complete_table.y[complete_table.observable]))))
    n_out = int(round(float(h.incomplete["count"].sum()))) if h.incomplete is not None else 0
    ref = heterogeneity_reference(fit, search)
    try:
        cc_fit = fit_model(complete_table, fit.model)
        cc_ref = cc_fit if ref is fit else fit_model(complete_table, ref.model)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError):
        cc_fit = cc_ref = None
    if cc_fit is None or not cc_fit.identified:
        why = (f"not computed — with {n_out:,} person(s) whose covariate values were imputed by EM, the checks run on "
               "the persons whose values are all known, and the chosen model does not identify N̂ on them")
        # all four kept as not-computed entries: an omitted check would read as one that did not apply
        names = (("goodness_of_fit", "p_value"), ("residuals_by_number_of_lists", "pearson_residual"),
                 ("chao_lower_bound", "z_below_chao_bound"), ("heterogeneity", "z_heterogeneity"))
        return [Check(n, float("nan"), False, f"{n.replace('_', ' ')}: {why}", sn, computed=False,
                      details={"em": True}) for n, sn in names if n == "goodness_of_fit" or h.k >= 3]
    checks = model_checks(cc_fit, complete_table.histories, structural_zeros=structural_zeros,
                          reference=cc_ref if cc_ref is not None and cc_ref.identified else None)
    where = (f" (run on the {n_cc:,} persons whose covariate values are all known, the chosen model "
             f"refitted to them; the {n_out:,} with an imputed value are left out, as the EM-completed table follows "
             "the model by construction; a share of unknown values that differs between lists can move this check)")
    for c in checks:
        c.details["complete_cases"] = True
        head, sep, rest = c.message.partition(": ")
        c.message = f"{head}{where}{sep}{rest}"
    return checks
