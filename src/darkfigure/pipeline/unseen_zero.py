"""Bootstrap replicates whose model fits an unseen cell as 0 (N̂* = n* there): kept, counted and said.

In a bootstrap replicate the refitted (nonparametric: re-selected) model can send a parameter to -inf so that the
unseen cell of the total or of a stratum is fitted as 0, a model that claims nobody was missed there. On Cruyff's
``simdat`` (``--ci nonparametric``) 10 of 20 replicates do, and the interval's lower limit falls to the persons
observed, as R's ``mse`` gives it.

The decision (closing notes 13/14, leftover): **they are kept** in the interval, as ``mse::boot_mse`` and SparseMSE
keep them, and never silently:

* they are the models the search chooses on resampled data, which is the variability a re-selecting bootstrap is
  meant to carry; dropping them would condition the interval on the search not reaching the boundary and move it
  up (it would claim more than the data give);
* counting them as "not identified" would put them at N̂* = +inf, the top of the interval (the rule for unbounded
  replicates, :meth:`~darkfigure.loglinear.bootstrap.BootstrapResult.intervals`), the opposite end from where their
  N̂* lies; their N̂* = n* is a boundary fit, not an unbounded one;
* what is lost is the lower limit's meaning: where they fill the lower tail (more than (1 - level)/2 of the
  replicates) the lower limit is the persons registered, no estimate of how few were missed. That is said with
  the limit the other replicates give (a warning, ``result.json`` ``bootstrap.unseen_fitted_0`` and a caveat in
  "to publish").
"""

from __future__ import annotations

import numpy as np

from ..loglinear.percentiles import bca_interval, quantile_with_inf

__all__ = ["unseen_zero_summary", "unseen_zero_words"]


def unseen_zero_summary(boot, lower: float, n_obs: int) -> dict | None:
    """What the replicates with an unseen cell fitted as 0 do to the total's lower limit, or None when there are none.

    Parameters
    ----------
    boot : BootstrapResult or None
        With ``unseen_zero`` (bool, shape (B,)) and ``replicates`` (B, groups; total first).
    lower : float
        The total's lower limit as published (persons; after truncation at the observed).
    n_obs : int
        Persons observed.

    Returns
    -------
    dict with ``replicates`` (how many), ``of`` (B), ``kept`` (always True: the decision in the module docstring),
    ``lower_limit`` (as published), ``lower_without_them`` (the lower limit of the other replicates by the same
    method as the published one: BCa when `boot` has an acceleration and BCa is defined on them, else type 7
    percentiles; unbounded ones at +inf as in the interval, never below `n_obs`; None when fewer than 2 remain) and
    ``decide_lower_limit`` (True when they are more than the lower tail's share, (1 - level)/2, of the replicates
    *and* the published lower limit is at or below the largest of their totals: otherwise it lies among the other
    replicates and does not rest on them).
    """
    flags = getattr(boot, "unseen_zero", None) if boot is not None else None
    if flags is None:
        return None
    flags = np.asarray(flags, dtype=bool)
    k, b = int(flags.sum()), int(flags.size)
    if k == 0 or b == 0:
        return None
    alpha = (1.0 - float(getattr(boot, "level", 0.95))) / 2.0
    tot = np.asarray(boot.replicates, dtype=float)[:, 0]
    rest = tot[~flags]
    without = None
    if rest.size >= 2:
        # unbounded or failed replicates at the top, as BootstrapResult.intervals counts them
        v = np.where(np.isfinite(rest), rest, np.inf)
        q = float("nan")
        acc = getattr(boot, "acceleration", None)
        if getattr(boot, "interval_method", "percentile") == "bca" and acc is not None:
            q = float(bca_interval(v, float(np.asarray(boot.estimate)[0]), float(acc), (alpha,))[0])
        if np.isnan(q):  # percentile, or BCa undefined on them (all on one side of N̂), as intervals() falls back
            q = float(quantile_with_inf(v, [alpha], method="linear")[0])
        without = max(q, float(n_obs)) if np.isfinite(q) else None
    low = float(lower) if np.isfinite(lower) else None
    top = float(np.max(tot[flags]))  # their totals are their n*: the largest of them, with a rounding tolerance
    among = low is not None and np.isfinite(top) and low <= top + max(0.5, 1e-9 * abs(top))
    return {"replicates": k, "of": b, "kept": True, "lower_limit": low,
            "lower_without_them": without, "decide_lower_limit": bool(k / b > alpha and among)}


def unseen_zero_words(summary: dict | None) -> str | None:
    """The sentence for the warnings and "to publish" when those replicates decide the lower limit, else None."""
    if not summary or not summary["decide_lower_limit"]:
        return None
    from ..evidence import _fmt

    low = summary["lower_limit"]
    other = summary["lower_without_them"]
    alt = (f"; the other {summary['of'] - summary['replicates']:,} replicates alone would put it at {_fmt(other)}"
           if other is not None else "")
    return (f"the lower limit {_fmt(low) if low is not None else ''} rests on the {summary['replicates']:,} of "
            f"{summary['of']:,} bootstrap replicates whose model fits an unseen cell as 0 (nobody missed there, "
            "N̂* = the persons they drew), a claim the data cannot support; they are kept, as R's mse keeps them "
            f"(dropping them would move the interval up), so read that limit as the persons registered, not as an "
            f"estimate of how few were missed{alt}")
