"""Checks for what a log-linear model may have missed, above all unmodelled heterogeneity.

Persons differ in how likely they are to be registered (a hard-to-reach group is
rarely on any list). Heterogeneity that no covariate explains makes the lists look
positively dependent and biases log-linear N̂ downwards; it is often barely visible
in the observed table (Fienberg, Johnson & Junker 1999, JRSS A 162:383-405;
International Working Group for Disease Monitoring and Forecasting 1995). Three
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

Each check has a plain-words message; the flagged ones become warnings of the estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["Check", "model_checks"]

RESIDUAL_LIMIT = 2.5
GOF_ALPHA = 0.05
CHAO_Z = 1.645


@dataclass
class Check:
    """One diagnostic: its name, the figure it rests on, whether it flags, and what to do.

    Attributes
    ----------
    name : str
        ``goodness_of_fit``, ``residuals_by_number_of_lists`` or ``chao_lower_bound``.
    statistic : float
        The figure: a p-value, a Pearson residual, or how many standard errors N̂ lies
        below Chao's bound (negative: above); NaN when the check was not computed.
    statistic_name : str
        ``p_value``, ``pearson_residual`` or ``z_below_chao_bound``.
    flagged : bool
    computed : bool
        False when the check does not apply (the message says why).
    message : str
    """

    name: str
    statistic: float
    flagged: bool
    message: str
    statistic_name: str = ""
    computed: bool = True

    @property
    def label(self) -> str:
        """The name in words (``"goodness of fit"``)."""
        return self.name.replace("_", " ")

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
        }


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


def model_checks(fit, histories, *, structural_zeros: bool = False, imputed: bool = False) -> list[Check]:
    """Run the three checks on a fitted model with an identified N̂.

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
        msg = f"goodness of fit: deviance {fit.deviance:,.1f} on {fit.df_residual} df (p = {p:.2g})"
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
                    "(a hard-to-reach group): N̂ is then too low"
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
                    f"Chao's lower bound under heterogeneity (Mth Chao) is {nhat_lb:,.0f} (se {se:,.0f}); "
                    f"the model's N̂ {fit.nhat:,.0f} is {abs(z):.1f} standard errors {'below' if z > 0 else 'above'} it"
                    + (
                        ": the model has not captured heterogeneity of registration (or lists are negatively "
                        "dependent), so N̂ is likely too low; compare heterogeneity models and latent class "
                        "models (darkfigure compare)"
                        if flag
                        else ""
                    ),
                    "z_below_chao_bound",
                )
            )
    return out


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
