"""What ``print(result)`` and the notebook say about a linkage-corrected estimate (tester 13b, M7).

``dfg.estimate(link_result, ...)`` gives N̂ corrected for linkage error, with an interval pooled over linkage
draws; ``print(result)`` read "N̂ = 1,816 (95% parametric interval ...)", the same as for error-free data, and
the as-linked figure hid in the assumption line. The command line prints a "linkage error" panel. Here the same
content for :class:`~darkfigure.results.Result`: :func:`interval_method` names the interval
(``"parametric with linkage draws"``), :func:`linkage_lines` and :func:`linkage_html` give the panel's lines
(N̂ as linked and its interval, N̂ corrected, the share of the variance from linkage, the expected false and
missed links, the quality against the truth when ``link`` had one). The same lines carry the seed drawn when
none was given (:func:`seed_sentence`; tester 13b, L9).
"""

from __future__ import annotations

import html
import math
from typing import Any

__all__ = ["interval_method", "linkage_html", "linkage_lines", "linkage_sentences", "persons_words", "seed_sentence"]


def _fmt(v: Any, digits: int = 0) -> str:
    """A count with thousands separators; ``–`` for a missing value."""
    try:
        v = float(v)
    except (TypeError, ValueError):
        return "–"
    return "–" if math.isnan(v) else ("no finite limit" if math.isinf(v) else f"{v:,.{digits}f}")


def persons_words(corrected: Any, as_linked: Any) -> str:
    """The words beside a dark figure corrected for linkage error: "persons observed 3,123 as corrected for linkage,
    3,411 as linked", or once, "persons observed 3,411 as linked (unchanged by the linkage correction)", when the two
    print alike (review s17: "3,411 as corrected for linkage, 3,411 as linked" said one number twice); "" when the
    corrected persons are missing. What :func:`darkfigure.linkage.combine.persons_clause` says, said once."""
    try:
        c, a = float(corrected), float(as_linked)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(c):
        return ""
    if f"{c:,.0f}" == f"{a:,.0f}":
        return f"persons observed {a:,.0f} as linked (unchanged by the linkage correction)"
    return f"persons observed {c:,.0f} as corrected for linkage, {a:,.0f} as linked"


def interval_method(est: Any) -> str:
    """The interval's method as a :class:`~darkfigure.results.ConfidenceInterval` names it.

    An estimate corrected for linkage error (``est.linkage`` set) pools its bootstrap over linkage draws:
    ``"<ci_method> with linkage draws"`` (e.g. ``"parametric with linkage draws"``); otherwise ``est.ci_method``.
    """
    ci = str(est.ci_method)
    return ci if getattr(est, "linkage", None) is None or ci == "none" else f"{ci} with linkage draws"


def linkage_sentences(result: Any) -> list[str]:
    """The linkage panel of ``darkfigure estimate`` as sentences, for a Result of a linkage-corrected estimate.

    Returns
    -------
    list of str
        Empty when `result` carries no linkage correction; else what was corrected (N̂ as linked with its
        interval taking the linkage as error-free, N̂ corrected, the share of the variance from linkage), the
        expected linkage errors and, when ``link`` had a truth column, the quality against it.
    """
    est = getattr(result, "raw", None)
    lk = getattr(est, "linkage", None)
    if lk is None:
        return []
    as_linked = f"N̂ as linked {_fmt(lk.nhat_as_linked)}"
    table = getattr(est, "estimates", None)
    if table is not None and "lower_as_linked" in table.columns and len(table):
        lo, hi = table["lower_as_linked"].iloc[0], table["upper_as_linked"].iloc[0]
        if math.isfinite(float(lo)):
            as_linked += f" ({lk.level:.0%} interval {_fmt(lo)} – {_fmt(hi)}, taking the linkage as error-free)"
    shifted = getattr(lk, "shifted", False) and math.isfinite(getattr(lk, "width_share_linkage", math.nan))
    out = [f"corrected for linkage error: {as_linked}; N̂ corrected {_fmt(lk.nhat_corrected)}; " +
           # widened for a shift of the draws: the published width is mostly linkage (tester 18a, H3)
           (f"{lk.width_share_linkage:.1%} of the interval's width from linkage, widened to cover N̂ as linked (the "
            f"draws are shifted from it); {lk.share_linkage:.1%} of the draws' variance" if shifted else
            f"{lk.share_linkage:.1%} of the interval's variance from linkage" if math.isfinite(lk.share_linkage)
            else "the share of the interval's variance from linkage not computed (some replicates set no upper "
            "limit)") + f" ({lk.draws} linkage draws)",
           f"linkage errors: expected false links {_fmt(lk.false_links, 1)}, missed links {_fmt(lk.missed_links, 1)} "
           f"(from the match probabilities; an undated registration's pairs by its assignment model); persons {lk.persons_as_linked:,} as linked, {_fmt(lk.persons_drawn)} on "
           f"average over the draws, {_fmt(getattr(lk, 'persons_corrected', math.nan))} corrected by the same rule as N̂ "
           "(what the dark figure subtracts)"]
    truth = (getattr(est, "settings", None) or {}).get("linkage_quality_against_truth")
    if truth:
        out.append(f"linkage against the truth column: pairwise precision {float(truth.get('precision', math.nan)):.3f}"
                   f", recall {float(truth.get('recall', math.nan)):.3f}")
    return out


def seed_sentence(result: Any) -> list[str]:
    """The note that a seed was drawn (``raw.notes``, :func:`darkfigure._seeds.seed_note`), as a list of 0 or 1.

    ``print(dfg.estimate(h))`` without a seed hid the drawn seed in ``result.raw.notes`` (tester 13b, L9).
    """
    notes = getattr(getattr(result, "raw", None), "notes", None) or []
    return [str(n) for n in notes if "so one was drawn" in str(n)][:1]


def linkage_lines(result: Any) -> str:
    """:func:`linkage_sentences` and :func:`seed_sentence` as indented lines for ``str(result)`` (``""`` if none)."""
    return "".join(f"\n  {s}" for s in linkage_sentences(result) + seed_sentence(result))


def linkage_html(result: Any) -> str:
    """:func:`linkage_sentences` and :func:`seed_sentence` as an HTML paragraph for ``_repr_html_`` (``""`` if none)."""
    said = linkage_sentences(result) + seed_sentence(result)
    return f"<p>{'<br>'.join(html.escape(s) for s in said)}</p>" if said else ""
