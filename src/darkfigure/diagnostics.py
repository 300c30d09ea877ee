"""Checks for what a log-linear model may have missed, above all unmodelled heterogeneity.

Persons differ in how likely they are to be registered (a hard-to-reach group is
rarely on any list). Heterogeneity that no covariate explains makes the lists look
positively dependent and biases log-linear N̂ downwards; it is often barely visible
in the observed table (Fienberg, Johnson & Junker 1999, JRSS A 162:383-405;
International Working Group for Disease Monitoring and Forecasting 1995). Four
checks, each of which can flag it:

* ``goodness_of_fit``: the residual deviance of the chosen model against chi-square
  on its residual df; flagged at p < 0.05.
* ``residuals_by_number_of_lists``: observed and fitted numbers of persons on
  exactly j = 1..k lists, with Pearson residuals (O - E)/sqrt(E). Heterogeneity leaves
  more persons on many lists than a homogeneous model fits. Flagged when some
  |residual| > 2.5.
* ``chao_lower_bound``: Chao's lower bound under heterogeneity (model Mth Chao of
  Rcapture, Chao 1987, Biometrics 43:783-791; Rivest & Baillargeon 2007) from the
  same lists; a model's N̂ below it by more than 1.645 standard errors of the bound
  (one-sided 5%) says the model has not captured heterogeneity (or there is negative
  dependence between lists). Not computed with declared structural zeros, where the
  pooled frequencies of capture do not follow the Mth model.
* ``heterogeneity``: three one-sided tests aimed at heterogeneity that acts on every
  list alike (a hard-to-reach group), see :func:`heterogeneity_check`: score tests, on
  the chosen model, of one common interaction for every pair of lists (Darroch et al.'s
  Mh term, 1993) and of Chao's first lower-bound column (more persons on 3+ lists than
  fitted); and Rivest's pattern — with every pairwise list interaction added, all of
  them positive (an intersection-union test, Berger 1982). Flagged when a z exceeds
  ``HETEROGENEITY_Z``. The message says how far N̂ moves when the heterogeneity term, or
  Chao's lower-bound terms, are added to the chosen model. After an AIC search (the
  default with covariates) they test the search's BIC choice instead, whose list
  interactions have not absorbed the heterogeneity (:func:`heterogeneity_reference`).
  Every result also states the check's power on its own table against a reference
  hard-to-reach group (``HARD_SHARE`` of the population at capture / ``HARD_FACTOR``),
  and how far such a group would move that model's N̂, so that "not flagged" on a table
  that cannot show the group is not read as "homogeneous".

What the observed table cannot say: heterogeneity that touches every list alike leaves
its strongest trace in the unobserved cell; in the observed cells it shows only as small,
uniform positive dependence, which (a) genuine positive dependence between every pair of
lists imitates exactly and (b) at low capture probabilities is within noise. The power
of any check on the observed table is bounded accordingly (measured in
``benchmarks/heterogeneity_check_study.py``; figures in docs/heterogeneity_check.md).

Each check has a plain-words message; the flagged ones become warnings of the estimate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _dist as stats  # scipy.stats costs 0.4-0.9 s to import
from ._blas import single_threaded
from .diagnostics_heterogeneity import (  # noqa: F401 - all still importable from here
    HARD_FACTOR,
    HARD_SHARE,
    LOW_POWER,
    _nhat_chao,
    _nhat_with,
    _pairwise_pattern,
    _power_hard_to_reach,
    _score_z,
    _thinning_matrix,
    power_text,
    power_words,
    unflagged_state,
)
from .heterogeneity_models import MTH_CHAO_WORDS

#: a check's name as the terminal says it, where its identifier is not words enough (s23 new user, finding 11)
CHECK_NAMES = {"chao_lower_bound": "N̂ against Chao's lower bound"}

__all__ = ["Check", "model_checks", "heterogeneity_check", "heterogeneity_reference"]

RESIDUAL_LIMIT = 2.5
GOF_ALPHA = 0.05
CHAO_Z = 1.645
#: one-sided threshold of the three heterogeneity tests (tuned in benchmarks/heterogeneity_check_study.py)
HETEROGENEITY_Z = 1.645


@dataclass
class Check:
    """One diagnostic: its name, the figure it rests on, whether it flags, and what to do.

    Attributes
    ----------
    name : str
        ``goodness_of_fit``, ``residuals_by_number_of_lists``, ``chao_lower_bound`` or
        ``heterogeneity``.
    statistic : float
        The figure: a p-value, a Pearson residual, how many standard errors N̂ lies
        below Chao's bound (negative: above), or the largest z of the three heterogeneity
        tests; NaN when the check was not computed.
    statistic_name : str
        ``p_value``, ``pearson_residual``, ``z_below_chao_bound`` or ``z_heterogeneity``.
    flagged : bool
    computed : bool
        False when the check does not apply (the message says why).
    message : str
    details : dict
        Further figures of the check (the ``heterogeneity`` check: its three z values and
        the N̂ of the heterogeneity models); in ``result.json`` only when not empty.
    """

    name: str
    statistic: float
    flagged: bool
    message: str
    statistic_name: str = ""
    computed: bool = True
    details: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The name in words (``"goodness of fit"``, ``"N̂ against Chao's lower bound"``); the heterogeneity
        check adds its stated power.

        ``"heterogeneity (the test would detect a 30% hard-to-reach group 63% of the time: its power)"``, so that
        the terminal's "passed" is not read as "homogeneous" where the check could hardly see such a group.
        """
        words = CHECK_NAMES.get(self.name, self.name.replace("_", " "))
        power = self.details.get("power_hard_to_reach", float("nan")) if self.details else float("nan")
        if self.name == "heterogeneity" and self.computed and np.isfinite(power):
            words += f" ({power_words(power)})"
        return words

    def to_dict(self) -> dict:
        """Plain JSON-able form (what ``result.json`` holds under ``checks``); NaN statistic -> None."""
        st = float(self.statistic)
        return {
            "name": self.name,
            "statistic": st if np.isfinite(st) else None,
            "statistic_name": self.statistic_name,
            "flagged": bool(self.flagged),
            "computed": bool(self.computed),
            "message": self.message,
        } | ({"details": _plain(self.details)} if self.details else {})


def _plain(d: dict) -> dict:
    """JSON-able copy of a details dict (non-finite numbers -> None)."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out[k] = _plain(v)
        elif isinstance(v, (bool, np.bool_)):
            out[k] = bool(v)
        elif isinstance(v, (int, float, np.integer, np.floating)):
            out[k] = float(v) if np.isfinite(v) else None
        else:
            out[k] = v
    return out


def capture_frequencies(fit) -> pd.DataFrame:
    """Observed and fitted persons on exactly j lists, j = 1..k, with Pearson residuals.

    Parameters
    ----------
    fit : LogLinearFit

    Returns
    -------
    DataFrame with columns ``lists, observed, fitted, residual`` (k rows).
    """
    t = fit.table
    obs = t.observable
    j = t.cells[list(t.histories.lists)].to_numpy(dtype=np.int64).sum(axis=1)
    k = t.histories.k
    o = np.bincount(j[obs], weights=t.y[obs], minlength=k + 1)[1:]
    e = np.bincount(j[obs], weights=fit.fitted[obs], minlength=k + 1)[1:]
    r = np.divide(o - e, np.sqrt(e), out=np.zeros_like(e), where=e > 0)
    return pd.DataFrame({"lists": np.arange(1, k + 1), "observed": o, "fitted": e, "residual": r})


def model_checks(
    fit, histories, *, structural_zeros: bool = False, imputed: bool = False, reference=None
) -> list[Check]:
    """Run the four checks on a fitted model with an identified N̂.

    Parameters
    ----------
    fit : LogLinearFit
        The chosen model (identified N̂).
    histories : CaptureHistories
        The data it was fitted to (persons with unknown covariate values included).
    structural_zeros : bool
        Whether structural zeros were declared (the Chao check is then not computed).
    imputed : bool
        Whether covariate values were imputed by EM (the deviance is then that of a
        completed table, not a goodness-of-fit statistic: not computed).
    reference : LogLinearFit, optional
        The model the heterogeneity check tests, when it is not `fit` (see
        :func:`heterogeneity_reference`); the other checks are always on `fit`.

    Returns
    -------
    list of Check (empty when N̂ is not identified).

    Notes
    -----
    The chi-square reference of the deviance needs fitted values that are not small;
    when more than 20% of the observable cells are fitted below 1 (typical of tables
    lists x several covariates) the p-value is shown but not used to flag.
    """
    if not fit.identified:
        return []
    out: list[Check] = []
    obs = fit.table.observable
    if imputed:
        out.append(
            Check(
                "goodness_of_fit", float("nan"), False,
                "goodness of fit: not computed — with imputed covariate values the deviance is that of the "
                "completed table, not a test of the model",
                "p_value", computed=False,
            )
        )
    elif fit.df_residual > 0:
        p = float(stats.chi2.sf(fit.deviance, fit.df_residual))
        sparse = float(np.mean(fit.fitted[obs] < 1.0)) if obs.any() else 0.0
        flag = p < GOF_ALPHA and sparse <= 0.2
        msg = f"goodness of fit: deviance {fit.deviance:,.1f} on {fit.df_residual:,} df (p = {p:.2g})"
        if sparse > 0.2:
            msg += (
                f"; the table is sparse ({sparse:.0%} of its cells are fitted below 1 person), so the chi-square "
                "p-value is unreliable and is not used — see the residuals by number of lists"
            )
        elif flag:
            msg += (
                "; the model does not describe how the lists overlap — dependence or heterogeneity it "
                "leaves out biases N̂"
            )
        out.append(Check("goodness_of_fit", p, flag, msg, "p_value"))
    if histories.k >= 3:
        cf = capture_frequencies(fit)
        i = int(np.argmax(np.abs(cf["residual"].to_numpy())))
        r = float(cf["residual"].iloc[i])
        flag = abs(r) > RESIDUAL_LIMIT
        row = cf.iloc[i]
        out.append(
            Check(
                "residuals_by_number_of_lists",
                r,
                bool(flag),
                f"residuals by number of lists: largest for persons on {int(row['lists'])} list(s), observed "
                f"{row['observed']:,.0f} vs fitted {row['fitted']:,.1f} (Pearson residual {r:+.1f})"
                + (
                    "; more persons on many lists than the model expects is the mark of unmodelled heterogeneity "
                    "(a hard-to-reach group): the chosen model's N̂ is then too low"
                    if flag
                    else ""
                ),
                "pearson_residual",
            )
        )
    if histories.k >= 3 and structural_zeros:
        out.append(
            Check(
                "chao_lower_bound", float("nan"), False,
                "Chao's lower bound: not computed — with structural zeros the lists cannot all register "
                "everybody, which the bound assumes",
                "z_below_chao_bound", computed=False,
            )
        )
    elif histories.k >= 3:
        lb = _chao_lower_bound(histories)
        if lb is not None:
            nhat_lb, se = lb
            z = (nhat_lb - fit.nhat) / se if se > 0 else 0.0
            flag = z > CHAO_Z
            out.append(
                Check(
                    "chao_lower_bound",
                    float(z),
                    bool(flag),
                    f"Chao's lower bound under heterogeneity (from {MTH_CHAO_WORDS}) is {nhat_lb:,.0f} (se {se:,.0f}); "
                    f"the chosen model's N̂ {fit.nhat:,.0f} is {abs(z):.1f} standard errors {'below' if z > 0 else 'above'} it"
                    + (
                        ": the model has not captured heterogeneity of registration (or lists are negatively "
                        "dependent), so its N̂ is likely too low; compare heterogeneity models and latent class "
                        "models (darkfigure compare)"
                        if flag
                        else ""
                    ),
                    "z_below_chao_bound",
                )
            )
    if histories.k >= 3 and imputed:
        out.append(
            Check(
                "heterogeneity", float("nan"), False,
                "heterogeneity: not computed — with imputed covariate values the completed table follows the model "
                "by construction, so a score test on it is not a test",
                "z_heterogeneity", computed=False,
            )
        )
    elif histories.k >= 3 and (reference is None or reference is fit or not reference.identified):
        out.append(heterogeneity_check(fit))
    elif histories.k >= 3:
        c = heterogeneity_check(reference)
        c.details["reference_model"] = reference.model.label()
        c.message = c.message.replace(f"the chosen model's N̂ {reference.nhat:,.0f}; with a heterogeneity term on it",
                                      f"the tested model's N̂ {reference.nhat:,.0f}; with a heterogeneity term on it")
        c.message = c.message.replace(
            "heterogeneity: ",
            f"heterogeneity: tested on the BIC choice among the searched models, {reference.model.label()}, as the "
            "AIC choice's extra list interactions absorb part of what it tests; ", 1)
        out.append(c)
    return out


def heterogeneity_reference(fit, search=None):
    """The model the heterogeneity check should test: the BIC choice among the models an AIC search visited.

    An AIC search (``estimate``'s default ``stratified`` search with covariates) keeps the
    small positive list interactions that a hard-to-reach group leaves on the observed
    table, so they are in the chosen model and the score tests of
    :func:`heterogeneity_check` see little of them, while N̂ stays biased. BIC's log(n)
    penalty leaves them out. Measured in ``benchmarks/heterogeneity_check_study.py``
    (100 populations each of 8 settings with covariates, 30% hard to reach at capture /4):
    testing the AIC choice flagged 18-40%, the BIC choice on the same search path 31-81%
    (as Cruyff's BIC search), with false alarms 1-6% against 3-7% on the homogeneous
    versions (figures in docs/heterogeneity_check.md). The message names the model tested.

    Parameters
    ----------
    fit : LogLinearFit
        The chosen model.
    search : SearchResult or None
        The search that chose it (None: a fixed model).

    Returns
    -------
    LogLinearFit
        `fit` itself unless `search` chose by AIC; then the identified model on the
        search's path with the smallest BIC (costs no fit: the search fitted it).
    """
    if search is None or getattr(search, "criterion", None) != "aic":
        return fit
    fits = [f for f in search.fits if f.identified and np.isfinite(f.bic)]
    return min(fits, key=lambda f: f.bic) if fits else fit


@single_threaded
def heterogeneity_check(fit, *, threshold: float = HETEROGENEITY_Z) -> Check:
    """Test a chosen log-linear model for heterogeneity of registration that acts on every list.

    Three one-sided tests on the observed table, at the chosen model's MLE (score tests:
    no refit; the third: one fit):

    1. **Common pairwise interaction** (``z_common_pairwise``): the score statistic for
       adding the column ``q = f(f-1)/2`` (f = number of lists of the cell; the number of
       pairs of lists the person is on) with one coefficient across all strata. This is
       the heterogeneity term of Darroch's Mh model (Darroch, Fienberg, Glonek & Junker
       1993, JASA 88:1137-1148; Rivest & Baillargeon 2007 write it ``tau = f^2/2``, which
       differs from q by a multiple of f) added on top of the chosen dependences and
       list x covariate terms. Heterogeneity that no covariate explains makes every pair
       of lists look positively dependent alike; the search leaves such small
       interactions out. Not computed when the chosen model already holds every pairwise
       list interaction (q is then in its span).
    2. **Persons on many lists** (``z_many_lists``): the score statistic for Chao's first
       lower-bound column ``max(f - 2, 0)`` (Rivest & Baillargeon 2007's Mth Chao basis):
       more persons on 3 or more lists than the model expects, given those on 1 and 2.
       A hard-to-reach group bends the number-of-lists profile most between 1 and 3
       lists, where this column has its curvature (with 3 lists it is the same test as 1).
    3. **All pairwise interactions positive** (``z_min_pairwise``): the chosen model with
       every pairwise list interaction added; the smallest of their z values. Flagging when
       it exceeds the threshold is an intersection-union test (Berger 1982, Technometrics
       24:295-300) of "some pair of lists is not positively associated": its false-alarm
       rate is at most the one-sided level whatever the other pairs do, so dependence
       between a few lists (referrals) does not trigger it. Strong heterogeneity, which
       the search models as a positive interaction between every pair, does
       (Rivest & Levesque 2001's pattern; Fienberg, Johnson & Junker 1999).

    Flagged when the largest z exceeds `threshold`. The false-alarm rate of the
    combination is measured, not guaranteed (tests 1 and 2 are strongly correlated):
    3-8% at the default threshold in the study's ten homogeneous settings. All are
    computed when possible, with the N̂ of two heterogeneity models built on the chosen
    one (chosen model + q: Darroch's Mh; chosen model + Chao's lower-bound columns
    ``max(f - j + 1, 0)``, j = 3..k, negative ones removed as Rcapture does: Mth Chao,
    Rivest & Baillargeon 2007) — how far heterogeneity models move N̂.

    Every result also states the check's **power on this table** (``power_hard_to_reach``)
    against a reference alternative — ``HARD_SHARE`` (30%) of each stratum hard to reach,
    each registration kept with probability ``1 / HARD_FACTOR`` (capture / 4), built on
    the chosen model's fitted complete table and scaled to the observed n — and the error
    of the chosen model's N̂ on that alternative (``nhat_error_hard_to_reach``), see
    :func:`_power_hard_to_reach`. The study compared it, stated on homogeneous populations,
    with the flag rate measured on their hard30 versions (11 settings): within 0.13 of it
    (0.13-0.78 stated, 0.08-0.81 measured; higher where the hard group makes the search add
    list interactions), and the stated N̂ error (-13 to -16%) within 1 point of the
    tested model's measured bias there (docs/heterogeneity_check.md). On Dutch-like tables (capture
    10-20% per list) it is 8-30% (the Netherlands 2010-2015 table: 8%): not flagging says
    little, and the message says so.
    The check draws nothing at random (no seed): the same table gives the same figures.

    Parameters
    ----------
    fit : LogLinearFit
        The chosen model with an identified N̂, fitted to k >= 3 lists.
    threshold : float
        One-sided z threshold of the three tests (default ``HETEROGENEITY_Z``).

    Returns
    -------
    Check
        ``name="heterogeneity"``, ``statistic`` the largest z (NaN when no test can be
        computed), ``details`` with ``z_common_pairwise``, ``z_many_lists``, ``z_min_pairwise``,
        ``pairwise_z``, ``nhat`` / ``nhat_common_pairwise`` / ``nhat_chao_columns``, and
        ``power_hard_to_reach`` / ``nhat_error_hard_to_reach`` / ``hard_to_reach`` (the
        alternative's share and factor).

    Raises
    ------
    ValueError
        Fewer than 3 lists (with 2 lists no heterogeneity term can be tested).

    Notes
    -----
    Neither test can tell heterogeneity from genuine positive dependence between every
    pair of lists (the two are the same log-linear model on the observed cells), and
    neither measures heterogeneity's effect on the unobserved cell: the moved N̂ are what
    those models say, not bounds.
    """
    t = fit.table
    k = t.histories.k
    if k < 3:
        raise ValueError("the heterogeneity check needs at least 3 lists")
    obs = t.observable
    f = t.cells[list(t.histories.lists)].to_numpy(dtype=np.float64).sum(axis=1)
    q = f * (f - 1) / 2
    x = t.design(fit.model)[obs]
    chao_cols = np.column_stack([np.maximum(f - j + 1, 0.0) for j in range(3, k + 1)])
    z1, z3 = _score_z(x, fit.fitted[obs], t.y[obs], np.column_stack([q[obs], chao_cols[obs, 0]]))
    z2, pairs = _pairwise_pattern(fit)
    zs = [v for v in (z1, z3, z2) if np.isfinite(v)]
    stat = max(zs) if zs else float("nan")
    flag = bool(zs) and stat > threshold
    n_q = _nhat_with(fit, q[:, None]) if np.isfinite(z1) else float("nan")
    n_c = _nhat_chao(fit, f, chao_cols)
    power, _, bias_alt = _power_hard_to_reach(fit, np.column_stack([q, chao_cols[:, 0]]), threshold)
    details = {
        "z_common_pairwise": z1,
        "z_many_lists": z3,
        "z_min_pairwise": z2,
        "threshold": threshold,
        "pairwise_z": pairs,
        "nhat": fit.nhat,
        "nhat_common_pairwise": n_q,
        "nhat_chao_columns": n_c,
        "power_hard_to_reach": power,
        "nhat_error_hard_to_reach": bias_alt,  # NaN (null in result.json) when it cannot be computed
        # why the error is missing although the power is there (tester report 9, F11: a diverged fit gave 1e301)
        "nhat_error_hard_to_reach_reason": (
            "the alternative does not identify N̂" if np.isfinite(power) and not np.isfinite(bias_alt) else None),
        "hard_to_reach": {"share": HARD_SHARE, "factor": HARD_FACTOR},
    }
    if not zs:
        return Check(
            "heterogeneity", float("nan"), False,
            "heterogeneity: not computed — the chosen model already holds the heterogeneity terms and the model "
            "with every pairwise list interaction has no finite MLE",
            "z_heterogeneity", computed=False, details=details,
        )

    def _moved(v: float, what: str) -> str:
        if not np.isfinite(v):
            return f"{what}: not identified"
        return f"{what} {v:,.0f} ({(v / fit.nhat - 1):+.0%})"

    parts = []
    parts.append(
        "common pairwise interaction z = " + (f"{z1:+.2f}" if np.isfinite(z1) else "– (already in the model)")
    )
    parts.append("persons on 3+ lists z = " + (f"{z3:+.2f}" if np.isfinite(z3) else "– (already in the model)"))
    parts.append(
        "smallest pairwise interaction z = "
        + (f"{z2:+.2f}" if np.isfinite(z2) else "– (the model with every pair of lists has no finite MLE)")
    )
    moved = (
        f"the chosen model's N̂ {fit.nhat:,.0f}; with a heterogeneity term on it: "
        + _moved(n_q, "Darroch's Mh term")
        + "; "
        + _moved(n_c, "Chao's lower-bound terms")
    )
    msg = f"heterogeneity: {', '.join(parts)} (flagged above {threshold:.2f}); {moved}"
    if flag:
        # say what raised the flag: the pairwise statistics (lists dependent alike) or the persons on 3+ lists
        # (a fresh-clone user read "positively dependent alike" beside a smallest pairwise z of -2.19, s24)
        pairwise = any(np.isfinite(v) and v > threshold for v in (z1, z2))
        seen = ("The lists look positively dependent alike" if pairwise else
                "More persons are on three or more lists than the model expects")
        msg += (
            f". {seen}, the mark of a group that every list is less likely to "
            "register (or of positive dependence between every pair of lists, which the lists cannot tell apart): "
            "the log-linear N̂ is then biased — usually too low — by more than these models can measure; compare "
            "latent-class and heterogeneity models (darkfigure compare)"
        )
    if np.isfinite(power):
        err = (f"the tested model's N̂ would be {abs(bias_alt):.0%} {'too low' if bias_alt < 0 else 'too high'}"
               if np.isfinite(bias_alt) else
               f"the error of the tested model's N̂ could not be computed ({details['nhat_error_hard_to_reach_reason']})")
        msg += (
            f". Power: if {HARD_SHARE:.0%} of the population were hard to reach (capture probability "
            f"/{HARD_FACTOR:g} on every list), {err} and this check would flag it about {power_text(power)} of the time"
        )
        if not flag and power < 0.5:
            msg += "; not flagging says little here"
    return Check("heterogeneity", float(stat), flag, msg, "z_heterogeneity", details=details)


def _chao_lower_bound(histories) -> tuple[float, float] | None:
    from .heterogeneity import fit_heterogeneity
    from .histories import CaptureHistories

    rows = histories._all_rows()
    lists = list(histories.lists)
    pooled = rows.groupby(lists, as_index=False)["count"].sum()
    try:
        h = CaptureHistories.from_table(pooled, lists=lists, covariates=[])
        m = fit_heterogeneity(h, "Mth-chao", interval=False)
    except (ValueError, np.linalg.LinAlgError):
        return None
    if not (np.isfinite(m.nhat) and np.isfinite(m.se)):
        return None
    return float(m.nhat), float(m.se)
