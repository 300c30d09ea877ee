"""Rule ``"mixed"`` of the linkage correction: which draws each of its two branches reads.

``mixed`` (:func:`~darkfigure.linkage.combine.correction_shift`; not the default) is, with A the N̂ as linked and
M the mean N̂ over the linkage draws, M where M < A and the bootstrap bias correction A - (M - A) otherwise. The two
branches live in two worlds (docs/methods/linkage.md, "The matches never compared" and "N̂ corrected"):

* M as an estimate (``"toward"``, ``"mean"``, and mixed where M < A): the draws are the posterior over linkages, so
  the true matches blocking never compared are **merged** into each draw (they are links the linkage missed);
* the bias correction (``"bias"``, and mixed where M >= A): the as-linked persons play the truth and the draws the
  linkage's errors around them, which miss the matches never compared as the linkage did, so they are **split
  off** (:func:`~darkfigure.linkage.unblocked.for_bias_correction`); merged, they lower M and so *raise* A - (M - A),
  the wrong way for missed links.

Until 2026-12-06 ``mixed`` read the merged draws in both branches, so its bias branch was not the bias correction
that ``"bias"`` computes. :func:`mixed_uncertainty` draws with the matches merged, chooses the side on the total
there (as ``correction_shift``), and where M >= A draws again from the same seed with them split off and applies the
rule to those draws. That costs a second set of draws in that branch only, and only when the run has matches never
compared; without them the two kinds of draws are the same and one set is made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

__all__ = ["needs_two_draw_sets", "mixed_uncertainty"]


def needs_two_draw_sets(run: Any, correction: str) -> bool:
    """Whether :func:`mixed_uncertainty` is needed: rule ``"mixed"``, on any run.

    `run`: a :class:`~darkfigure.linkage.link_run.LinkRun`. The two branches differ in their draws even without
    matches never compared: the "toward" branch assigns the undated registrations (undated_draws.py), the bias
    branch keeps the plain partition draws, as ``correction="bias"`` does (review: without never-compared matches
    the bias branch used the assigned draws). False for any other rule and for a run already marked to split them.
    """
    table = getattr(run, "unblocked", None)
    return correction == "mixed" and not (table is not None and "split" in table.columns)


def mixed_uncertainty(uncertainty: Callable[..., Any], run: Any, refit: Any, **kw) -> Any:
    """:func:`~darkfigure.linkage.uncertainty.linkage_uncertainty` with ``correction="mixed"``, each branch on its
    own draws (module docstring).

    Parameters
    ----------
    uncertainty : callable
        :func:`~darkfigure.linkage.uncertainty.linkage_uncertainty` (passed in: that module calls this one).
    run, refit
        As for ``linkage_uncertainty``; `run` has matches never compared (:func:`needs_two_draw_sets`).
    **kw
        The other arguments of ``linkage_uncertainty`` but ``correction``. Without a ``seed`` one is drawn
        (recorded in the result), so that both draw sets share their partitions.

    Returns
    -------
    LinkageEstimate
        ``correction == "mixed"``. Where the merged draws' mean lies below N̂ as linked (on the total): those
        draws (the point and interval of ``"toward"``). Otherwise: the draws with the never-compared matches split
        off, N̂ corrected ``A - |M - A|`` from their mean M, and a note saying which draws made it.

    Raises
    ------
    As ``linkage_uncertainty``.
    """
    from .unblocked import for_bias_correction

    kw = dict(kw)
    kw.pop("correction", None)
    if kw.get("seed") is None:
        kw["seed"] = int(np.random.SeedSequence().generate_state(1)[0])
    merged = uncertainty(run, refit, correction="toward", **kw)
    m, a = float(merged.estimates["nhat_mean_draws"].iloc[0]), float(merged.nhat_as_linked)
    if np.isfinite(m) and np.isfinite(a) and m < a:
        # below as linked: mixed is the draws' mean there, as "toward" (correction_shift's side, on the total)
        return replace(merged, correction="mixed")
    if kw.get("as_linked") is None:
        e = merged.estimates
        labels = e[[c for c in ("group", "level", "observed") if c in e.columns]].copy()
        kw["as_linked"] = (labels, e["nhat_as_linked"].to_numpy(float), None)  # not refitted: the same N̂ as linked
    # this branch is the bias correction by definition: "bias" on the split draws, not "mixed" again (whose side
    # would follow the split draws' mean and could come out "toward" while the note says bias; review s15-rv2)
    split = replace(uncertainty(for_bias_correction(run), refit, correction="bias", **kw), correction="mixed")
    split.seconds += merged.seconds
    split.notes = [*split.notes, (
        f"correction mixed: the mean over the draws with the matches never compared merged ({m:,.0f}) is not below "
        f"N̂ as linked ({a:,.0f}), so N̂ corrected is the bias correction, made from draws that split those matches "
        f"off as the linkage missed them (mean {float(split.estimates['nhat_mean_draws'].iloc[0]):,.0f}; "
        "docs/methods/linkage.md)")]
    return split
