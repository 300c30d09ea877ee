"""The key figure of the publication report: the headline range of ``compare`` with its reasons, and the run's verdict on what may be published."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .public_context import _Ctx, _f
from .public_rounding import round_figure, round_range, round_to_unit
from .public_sections import _method_label, _ratio_text
from .run import Run


def _headline(c: _Ctx, run: Run, t: pd.DataFrame | None) -> dict | None:
    _ = c._
    res = run.result or {}
    if res:
        total = t[(t["group"] == "total") & (t["year"] == "")] if t is not None else None
        lk = res.get("linkage") or {}
        if total is not None and len(total):
            r = total.iloc[0]
            nhat, lo, hi, obs = _f(r["nhat"]), _f(r["lower"]), _f(r["upper"]), _f(r["observed"])
        elif lk.get("nhat_corrected") is not None:
            nhat, lo, hi = _f(lk["nhat_corrected"]), _f(lk.get("lower")), _f(lk.get("upper"))
            obs = _f((res.get("data") or {}).get("observed"))
        else:
            iv = res.get("interval") or {}
            nhat, lo, hi = _f(res.get("nhat")), _f(iv.get("lower")), _f(iv.get("upper"))
            obs = _f((res.get("data") or {}).get("observed"))
        pc = _f(lk.get("persons_corrected")) if lk.get("nhat_corrected") is not None else float("nan")
        if math.isfinite(pc):  # the persons registered as corrected for linkage error, as N̂ is (tester 19a, H2)
            obs = pc
        if not math.isfinite(nhat):
            return {"kind": "none", "observed": c.count(obs)}
        out: dict[str, Any] = {"kind": "estimate", "fig": c.fig(nhat, lo, hi), "observed": c.count(obs),
                               "corrected": lk.get("nhat_corrected") is not None}
        if obs >= c.threshold and nhat > 0:
            if total is not None and len(total) and "persons_subtracted" in total.columns:
                obs = _f(total.iloc[0]["persons_subtracted"])  # corrected for linkage as N̂ is (tester 16a, 4)
            vis = (obs / nhat, obs / hi if hi > 0 else float("nan"), obs / lo if lo > 0 else float("nan"))
            if total is not None and len(total) and {"visibility", "visibility_lower", "visibility_upper"} <= set(t):
                # the published table's own shares (monitor_published.csv), so page and table never disagree
                vis = tuple(_f(total.iloc[0][k]) for k in ("visibility", "visibility_lower", "visibility_upper"))
            out["visibility"] = c.pct(*vis)
            out["ratio"] = round_figure(nhat / obs, lo / obs, hi / obs, smallest=0.01, lang=c.lang)
        iv = res.get("interval") or {}
        out["level"] = f"{_f(iv.get('level', 0.95)):.0%}"
        tp = res.get("to_publish")
        if isinstance(tp, dict):
            pub = _to_publish(c, tp, out, lk, psi=(res.get("identifying_assumption") or {}).get("range"))
            if out["corrected"] and pub.get("why") and math.isfinite(hi) and "poor-fit" in (tp.get("rules") or []):
                # the misfit was of the records as linked, whose errors the corrected figure allows for: the figure
                # stays with the verdict beside it (tester 15a, H2). A verdict on the model itself (heterogeneity,
                # Chao's bound, ...) holds for the corrected figure too: the page follows it (the page showed "About
                # 8,100 (7,700-8,500)" under "only its lower limit is published, as a floor"; new user, s17)
                why = pub["why"]
                if "poor-fit" in (tp.get("rules") or []):  # the misfit was of the records as linked (15b, H2)
                    why = why.replace(_WHY_POOR_FIT(c), _(
                        "The model does not fit how the registers overlap as the records were linked; errors in "
                        "that linkage, which the corrected figure allows for, can cause such a misfit."))
                pub = {"publish_note": why}
            out.update(pub)
        return out
    info = run.compare_info or {}
    obs = _f((info.get("data") or {}).get("observed"))
    hl = info.get("headline")
    if isinstance(hl, dict) and math.isfinite(_f(hl.get("low"))) and math.isfinite(_f(hl.get("high"))):
        lo, hi = _f(hl["low"]), _f(hl["high"])
        f = round_range(lo, hi, lang=c.lang)  # each end at its own precision (tester 9, F13)
        out = {"kind": "range", "low": f.lower_text, "high": f.upper_text, "observed": c.count(obs),
               "reasoned": True}
        out.update(_headline_reasons(c, run, hl))
        return out
    if isinstance(hl, dict) and math.isfinite(_f(hl.get("low"))) and (hl.get("upper_open") or hl.get("high") is None):
        # rule no-upper-limit (darkfigure.headline): "at least low" as estimate's "publish at most a lower limit",
        # the floor rounded down so the page never claims more than the computed lower limit
        lo = _f(hl["low"])
        out = {"observed": c.count(obs), "reasoned": True}
        out.update(_headline_reasons(c, run, hl))
        subs = _open_subgroups(run, hl)
        why = (_("One group of victims ({group}, {n} registered) is too small to set an upper limit for, so the "
                 "total has none either: only a lower limit can be published.").format(
                   group=", ".join(g for g, _n in subs), n=c.count(subs[0][1])) if subs else
               _("The registers overlap too little to set an upper limit: only a lower limit can be published."))
        out.update({"kind": "publish-floor", "low": round_figure(lo, lo, float("nan"), lang=c.lang).lower_text,
                    "why": why})
        return out
    cmp_ = run.compare
    if cmp_ is not None and len(cmp_):
        n = pd.to_numeric(cmp_["nhat"], errors="coerce")
        n = n[np.isfinite(n)]
        if len(n):
            f = round_range(float(n.min()), float(n.max()), lang=c.lang)
            return {"kind": "range", "low": f.lower_text, "high": f.upper_text, "observed": c.count(obs),
                    "reasons": [], "reasoned": False, "missing_headline": run.compare_info is not None
                    or run.result is None}
    return None


def _WHY_POOR_FIT(c: _Ctx) -> str:  # noqa: N802 (a constant sentence, translated)
    """The key figure's sentence for the ``poor-fit`` rule, in the page's language."""
    return c._("The model does not fit how the registers overlap, so no figure from it is published: an estimate "
               "needs a comparison of several methods.")


def _open_subgroups(run: Run, hl: dict) -> list[tuple[str, float]]:
    """The subgroups (label, persons observed) that leave the upper end open in every method that opens it, or [].

    A compare headline with no upper end (rule ``no-upper-limit``) is blamed on the registers' overlap unless each
    method that opens it says in its warnings that one small subgroup does (the bootstrap's
    :func:`darkfigure.loglinear.unbounded.describe_unbounded` sentence, "because of subgroup eth=other (2
    observed"); then the page names that subgroup instead (tester 12b, H1).
    """
    import re

    if run.compare is None or "warnings" not in run.compare.columns:
        return []
    opening = [str(m) for m, why in (hl.get("dropped") or {}).items() if "has no upper end" in str(why)]
    found: list[tuple[str, float]] = []
    for m in opening:
        rows = run.compare[run.compare["method"].astype(str) == m]
        hit = re.search(r"because of subgroup (\S+) \(([\d,]+) observed", str(rows["warnings"].iloc[0])) \
            if len(rows) else None
        if hit is None:
            return []
        found.append((hit.group(1), float(hit.group(2).replace(",", ""))))
    return list(dict.fromkeys(found))


#: The headline's reasons for dropping a method (``compare.json`` headline ``dropped``), by the start of the text.
_DROP_KINDS = (("no estimate", "no-estimate"), ("not identified: on the boundary", "boundary"),
               ("not identified", "not-identified"), ("poor fit", "poor-fit"),
               ("failed validation", "failed-validation"), ("below chao", "below-chao"),
               ("no interval", "no-interval"))


def _drop_kind(reason: str) -> str:
    """The rule (``no-estimate``, ``poor-fit``, ...) that dropped a method, from its reason text; "" if unknown."""
    r = str(reason).strip().lower()
    return next((k for start, k in _DROP_KINDS if r.startswith(start)), "")


def _drop_phrase(c: _Ctx, reason: str) -> str:
    """A short translated phrase for why the headline left a method out (the "Estimates by method" table)."""
    _ = c._
    return {"no-estimate": _("left out: no estimate"),
            "not-identified": _("left out: the data do not bound it"),
            "boundary": _("left out: says nobody was missed"),
            "poor-fit": _("left out: does not fit the data"),
            "failed-validation": _("left out: failed the hold-out test"),
            "below-chao": _("left out: too low for victims who differ in visibility"),
            "no-interval": _("left out: no interval")}.get(
        _drop_kind(reason), _("left out (see the analyst report)"))


def _method_family(c: _Ctx, method: str) -> str:
    """A method named in words for a sentence (no codes): its family, e.g. "models in which victims differ"."""
    _ = c._
    low = str(method).lower()
    if low.startswith("loglinear-"):
        # one name per criterion: BIC's and AIC's rows are two methods, one may be kept and another left out
        crit = {"bic": "BIC", "aic": "AIC", "pvalue": _("significance tests")}.get(low.split("-", 1)[1], low.split("-", 1)[1])
        return _("the log-linear model chosen by a stepwise search ({criterion})").format(criterion=crit)
    if low in ("bic-exhaustive", "exhaustive", "downhill"):
        return _("the log-linear models whose choice is repeated in every resample")
    if low.startswith("mth"):
        return _("the models in which both victims and registers differ")
    if low.startswith("mh"):
        return _("the models in which victims differ in visibility")
    if low == "m0":
        return _("the model in which all registers and victims are alike")
    if low == "mt":
        return _("the model of independent registers")
    if low == "lcmcr":
        return _("the model of latent classes of victims")
    if low == "dga":
        return _("the average over dependence graphs")
    return _method_label(c, method)


def _upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def _families(c: _Ctx, methods, avoid=()) -> str:
    """Methods as a readable enumeration of their families, each family once ("a, b and c").

    A method whose family is also that of a method in `avoid` (those on the other side: kept against left out) is
    named by its own label, so that no name appears among both the kept and the left-out methods (tester 12b, M4).
    """
    other = {_method_family(c, a) for a in avoid}
    names: list[str] = []
    for m in methods:
        f = _method_family(c, m)
        if f in other:
            f = _method_label(c, m)
        if f not in names:
            names.append(f)
    if len(names) <= 1:
        return "".join(names)
    return c._("{a} and {b}").format(a=", ".join(names[:-1]), b=names[-1])


def _headline_reasons(c: _Ctx, run: Run, hl: dict) -> dict:
    """The compare headline in plain, translated sentences: one per rule that fired (``compare.json`` headline).

    Built from ``rules``, ``kept``, ``dropped`` and ``data_can_choose`` (darkfigure.headline,
    docs/headline_rules.md), never from the English ``reasons`` (which quote method codes,
    deviances and p-values: they stay in the analyst report). Returns ``verdict`` (agree,
    one-left, cannot-choose, two-explanations, none-kept or unknown), ``reasons`` (sentences) and ``status`` (method ->
    kept/left-out phrase for the "Estimates by method" table; empty without ``kept``).
    """
    _ = c._
    rules = [str(r) for r in hl.get("rules") or []]
    kept = [str(m) for m in hl.get("kept") or []]
    dropped = {str(k): str(v) for k, v in (hl.get("dropped") or {}).items()}
    by_rule: dict[str, list[str]] = {}
    for m, why in dropped.items():
        by_rule.setdefault(_drop_kind(why), []).append(m)
    rows = {}
    if run.compare is not None:
        rows = {str(r["method"]): r for _i, r in run.compare.iterrows()}
    if "none-kept" in rules:
        verdict = "none-kept"
    elif "cannot-choose" in rules:
        verdict = "cannot-choose"
    elif "chao-vs-negative-dependence" in rules or hl.get("data_can_choose") is False:
        verdict = "two-explanations"  # the kept methods agree, but the data cannot tell two causes apart
    elif "agree" in rules:
        verdict = "one-left" if len(kept) == 1 else "agree"
    else:
        verdict = "unknown"
    reasons: list[str] = []
    other = 0
    for rule in rules:
        ms = by_rule.get(rule, [])
        if rule == "no-estimate":
            reasons.append(_("{methods} gave no estimate on these data and are left out.").format(
                methods=_upper_first(_families(c, ms, kept)) if ms else _("Some methods")))
        elif rule == "boundary":
            reasons.append(_("{methods} say that nobody was missed, which the data cannot support, and are left "
                             "out.").format(methods=_upper_first(_families(c, ms, kept)) if ms else _("Some methods")))
        elif rule == "not-identified":
            reasons.append(_("The data set no upper limit to the number of victims under {methods}, which are "
                             "therefore left out.").format(methods=_families(c, ms, kept) or _("some methods")))
        elif rule == "poor-fit":
            reasons.append(_("These methods describe the overlap between the registers in a way the data "
                             "contradict, and are left out: {methods}.").format(
                methods=_families(c, ms, kept) or _("some methods")))
        elif rule == "failed-validation":
            reasons.append(_("Leaving out one register at a time and estimating its known size from the others, "
                             "{methods} missed by a wide margin; they are left out.").format(
                methods=_families(c, ms, kept) or _("some methods")))
        elif rule == "below-chao":
            if ms:
                reasons.append(_("Victims differ in how likely they are to be registered, so the true number is at "
                                 "least a known minimum; {methods} lie clearly below it and are left out.").format(
                    methods=_families(c, ms, kept)))
            else:
                reasons.append(_("Victims differ in how likely they are to be registered; none of the remaining "
                                 "methods lies below the minimum this implies."))
        elif rule == "chao-raise":
            reasons.append(_("Because victims differ in how likely they are to be registered, the low end of the "
                             "range is raised to the minimum this implies."))
        elif rule == "chao-vs-negative-dependence":
            reasons.append(_("The data cannot tell whether victims differ in how likely they are to be registered "
                             "or whether some registers tend to miss each other's victims; the range covers both."))
        elif rule == "agree":
            live = [m for m in kept if m in rows and math.isfinite(_f(rows[m]["lower"]))
                    and math.isfinite(_f(rows[m]["upper"]))]
            if len(kept) == 1:
                reasons.append(_("One method is left, {methods}; the range is its interval.").format(
                    methods=_families(c, kept, dropped)))
            elif live:
                a, b = max(_f(rows[m]["lower"]) for m in live), min(_f(rows[m]["upper"]) for m in live)
                f = round_range(a, b, lang=c.lang)
                reasons.append(_("The {n} methods left ({methods}) agree: their intervals overlap between about "
                                 "{low} and {high}. The range spans all their intervals.").format(
                    n=len(kept), methods=_families(c, kept, dropped), low=f.lower_text, high=f.upper_text))
            else:
                reasons.append(_("The {n} methods left ({methods}) agree: their intervals overlap.").format(
                    n=len(kept), methods=_families(c, kept, dropped)))
        elif rule == "cannot-choose":
            reasons.append(_("The {n} methods left ({methods}) give figures whose intervals do not all overlap, "
                             "and the data cannot tell which is right; the range spans them all.").format(
                n=len(kept), methods=_families(c, kept, dropped)))
        elif rule == "no-interval":
            reasons.append(_("No interval on these data from {methods}: a figure without an interval cannot set "
                             "the range and is left out of it.").format(
                methods=_families(c, ms, kept) if ms else _("some methods")))
        elif rule == "two-lists":
            reasons.append(_("With two registers the methods left rest on one and the same assumption (that being "
                             "on one register does not change the chance of being on the other), so their "
                             "agreement is no check of it."))
        elif rule == "none-kept":
            reasons.append(_("Every method is contradicted by some check of the data: the range spans every method "
                             "that gives an estimate and needs a closer look before it is published."))
        else:
            other += 1
    if not rules:
        other = len(hl.get("reasons") or [])
    status = {}
    if kept or dropped:
        status = {m: (_("used for the range") if m in kept else _drop_phrase(c, dropped.get(m, "")))
                  for m in rows}
    return {"verdict": verdict, "reasons": reasons, "status": status, "other_reasons": other}


def _decides_figures(c: _Ctx, fig: Any, lk: dict | None) -> dict | None:
    """The figures of the ``linkage-decides`` caveat as the page shows them (tester report 14a, M1), or None.

    `fig` is the headline's :class:`~darkfigure.report.public_rounding.Figure` (N̂ corrected with its interval,
    rounded), `lk` result.json's ``linkage`` block (``nhat_as_linked``, ``nhat_mean_draws``). N̂ as linked and the
    mean over the linkage draws are rounded to the headline's unit (to the nearest, as its N̂), so the three
    figures read alike; the interval is the headline's, rounded outward. None when a figure is missing.
    """
    if not isinstance(lk, dict) or fig is None or not getattr(fig, "ok", False) or not fig.has_interval:
        return None
    a, m = _f(lk.get("nhat_as_linked")), _f(lk.get("nhat_mean_draws"))
    if not (math.isfinite(a) and math.isfinite(m)):
        return None

    def at_unit(x: float) -> str:
        """`x` to the headline's unit in the page's language ('<K' below the disclosure threshold)."""
        return f"<{c.threshold}" if x < c.threshold else round_to_unit(x, fig.unit, c.lang)

    return {"as_linked": at_unit(a), "mean": at_unit(m), "corrected": fig.text, "low": fig.lower_text,
            "high": fig.upper_text}


def _caveat_texts(c: _Ctx, rules: list[str], publish_interval: bool, decides: dict | None = None) -> list[str]:
    """One translated sentence per caveat of ``to_publish`` (darkfigure.publish.publish_statement) that keeps N̂.

    The caveats are ``no-checks``, ``fit-unclear``, ``checks-not-run``, ``failed-replicates``,
    ``no-interval``, ``heterogeneity-low-power``, ``conditional-interval`` and ``linkage-decides``
    (docs/headline_rules.md); ``linkage-decides`` gives its three figures and the interval when `decides`
    (:func:`_decides_figures`) has them; ``agree`` alone with
    ``publish_interval`` false is the statement's "only with care" (the model fits some unseen cell
    as 0). A rule this page has no sentence for gives one generic sentence pointing to the analyst report.
    """
    _ = c._
    said = {
        "no-checks": _("No check of how the registers overlap can be run on these data (with two registers none "
                       "can), so the figure rests on its model alone; publish it only with that caveat."),
        "fit-unclear": _("Whether the model fits how the registers overlap cannot be judged reliably, because few "
                         "victims fall in some combinations of registers; publish the figure only with that caveat."),
        "checks-not-run": _("Some checks of the model could not be run on these data (for example where missing "
                            "values were filled in by the model); publish the figure only with that caveat."),
        "failed-replicates": _("Some of the repeated calculations behind the interval set no upper limit to the "
                               "number of victims: the data pin it down only weakly, and the upper end of the "
                               "interval is fragile."),
        "no-interval": _("No interval was computed for this figure, and a published figure needs one: the analysis "
                         "has to be run again with an interval before the figure is published."),
        "heterogeneity-low-power": _("The check for victims who differ in how likely they are to be registered has "
                                     "little power on these data; if they do differ, the figure is too low and the "
                                     "interval does not allow for it."),
        "conditional-interval": _("The interval takes the model chosen from several as given, so it leaves out the "
                                  "uncertainty of that choice and is too narrow."),
        "linkage-decides": _("How the records were linked decides the figure: the estimate as linked, the average "
                             "over the draws of the linkage and the corrected figure lie further apart than chance "
                             "explains, and the interval covers all three; publish the figure only after the linkage "
                             "has been checked."),
    }
    if decides:  # the figures the caveat is about, rounded as the page rounds its headline
        said["linkage-decides"] = _(
            "How the records were linked decides the figure: the estimate as linked (about {as_linked}), the "
            "average over the draws of the linkage (about {mean}) and the corrected figure (about {corrected}) lie "
            "further apart than chance explains, and the interval, {low} to {high}, covers all three; publish the "
            "figure only after the linkage has been checked.").format(**decides)
    if "sensitivity-range" in rules:  # the published range already allows for it (tester 13a, F1)
        said.pop("heterogeneity-low-power")
    known = set(said) | {"agree", "poor-fit", "not-identified", "heterogeneity", "below-chao", "chao-raise",
                         "chao-vs-negative-dependence", "none-kept", "degenerate", "unbounded-subgroup",
                         "implausible", "heterogeneity-low-power", "sensitivity-range"}
    texts = [said[r] for r in rules if r in said]
    if rules == ["agree"] and not publish_interval:
        texts.append(_("The model claims that nobody was missed in some group of victims, which the data cannot "
                       "support; publish the figure only with care."))
    if set(rules) - known:  # a rule this page has no sentence for: say that there is a caveat
        texts.append(_("The analysis publishes this figure with a caveat; the analyst report says which."))
    return list(dict.fromkeys(texts))


def _to_publish(c: _Ctx, tp: dict, est: dict, lk: dict | None = None, psi=None) -> dict:
    """The key figure as ``result.json`` ``to_publish`` allows (darkfigure.headline.publish_statement).

    When a rule withholds N̂ (``not-identified``, ``heterogeneity``, ``below-chao``,
    ``chao-vs-negative-dependence``, ``degenerate``), the page shows what it may
    publish instead: the range ``low``–``high``, or "at least ``low``" when ``high`` is null, with
    one translated sentence per rule and caveat; with no ``low`` at all, no figure. ``poor-fit`` gives no
    figure and no range (a model the data reject bounds nothing; tester 15b, H2) — the page itself is refused
    then (:data:`NO_FIGURE_RULES`), so this is for direct callers. When only
    caveats apply (``publish_interval`` false or true), N̂ stays with one sentence per caveat
    (:func:`_caveat_texts`), never "advises against". Returns the keys to update the headline dict
    with (``kind`` ``publish-range``, ``publish-floor`` or ``none``, ``low``, ``high``, ``why``;
    ``publish_note`` for caveats that keep the point estimate). `lk`: result.json's ``linkage`` block, whose
    as-linked N̂ and mean over the draws the ``linkage-decides`` caveat gives beside ``est["fig"]``. `psi`:
    result.json's ``identifying_assumption.range`` ([a, b]), the condition under which the ``sensitivity-range``
    holds N (said as a condition, never as the range N lies in; tester 15b, M5).
    """
    _ = c._
    rules = [str(r) for r in tp.get("rules") or []]
    why = {
        "poor-fit": _WHY_POOR_FIT(c),
        "not-identified": _("The registers overlap too little to set an upper limit: only a lower limit can be "
                            "published."),
        "heterogeneity": _("The checks show signs that victims differ in how likely they are to be registered, "
                           "so the model's figure may be too low: only its lower limit is published, as a floor."),
        "below-chao": _("Victims differ in how likely they are to be registered, and the model's figure lies below "
                        "the minimum this implies: only that minimum is published, as a floor."),
        "chao-vs-negative-dependence": _("The data cannot tell whether victims differ in how likely they are to be "
                                         "registered or whether some registers tend to miss each other's victims, "
                                         "so only a lower limit is published."),
        "none-kept": _("The data do not determine the number of victims under the model."),
        "degenerate": _("The model says that nobody was missed, which the data cannot support: only the number "
                        "registered is published, as a floor."),
        "linkage-first": _("The record linkage may have split victims into two records, which would make the "
                           "figure too high, while other checks suggest it is too low: no figure is published "
                           "until the linkage has been checked."),
    }
    subs = [x for x in tp.get("unbounded_subgroups") or [] if isinstance(x, dict)]
    if "unbounded-subgroup" in rules and subs:
        # the true reason: one small subgroup cannot be bounded, not the registers as a whole (tester 12b, H1)
        why["not-identified"] = _("One group of victims ({group}, {n} registered) is too small to set an upper limit "
                                  "for, so the total has none either: only a lower limit can be published.").format(
            group=", ".join(str(x.get("label", "")) for x in subs), n=c.count(_f(subs[0].get("observed"))))
    withheld = [why[r] for r in rules if r in why]
    caveats = _caveat_texts(c, rules, tp.get("publish_interval") is True, _decides_figures(c, est.get("fig"), lk))
    lo, hi = _f(tp.get("low")), _f(tp.get("high"))
    if "sensitivity-range" in rules and math.isfinite(lo) and math.isfinite(hi) and hi > lo:
        # the figure stays, with the wider range to publish beside it (tester 13a, F1; docs/headline_rules.md)
        f = round_range(lo, hi, lang=c.lang)
        a, b = _psi_pair(c, psi)
        caveats.insert(0, (_(
            "The check for victims who differ in how likely they are to be registered has little power on these "
            "data, and such differences would make the figure too low. The figure also rests on an assumption the "
            "data cannot check: how the registers depend on each other among the victims none of them found. If "
            "that dependence is between {a} and {b} times as strong as the model assumes, the number lies between "
            "about {low} and {high}, a wider range than the figure's interval; if not, it can lie outside it.")
            if a else _(
            "The check for victims who differ in how likely they are to be registered has little power on these "
            "data, and such differences would make the figure too low. The figure also rests on an assumption the "
            "data cannot check: how the registers depend on each other among the victims none of them found. If "
            "that dependence is within the span the analysis allows for, the number lies between about {low} and "
            "{high}, a wider range than the figure's interval; if not, it can lie outside it.")).format(
            a=a, b=b, low=f.lower_text, high=f.upper_text))
    if tp.get("publish_interval") is True or not withheld:
        return {"publish_note": " ".join(caveats)} if caveats else {}
    texts = withheld + caveats
    if not math.isfinite(lo) or "poor-fit" in rules or "linkage-first" in rules:  # no range either (15b, H2; 17a)
        return {"kind": "none", "why": " ".join(dict.fromkeys(texts))}
    if "heterogeneity" in rules:
        hi = float("nan")  # the statement publishes the lower limit as a floor
    if math.isfinite(hi) and hi > lo:
        f = round_range(lo, hi, lang=c.lang)
        return {"kind": "publish-range", "low": f.lower_text, "high": f.upper_text, "why": " ".join(dict.fromkeys(texts))}
    # a floor is rounded down, as every published lower end (386 -> "at least about 380", never "390")
    f = round_range(lo, float("inf"), lang=c.lang)
    return {"kind": "publish-floor", "low": f.lower_text, "why": " ".join(dict.fromkeys(texts))}


def _psi_pair(c: _Ctx, psi) -> tuple[str, str]:
    """The ends of the identifying assumption's ψ range as the page's sensitivity section writes them ("0.5", "2";
    nl "0,5"), or ("", "").

    `psi`: result.json's ``identifying_assumption.range`` ([a, b]); anything else (an older result.json, no range)
    gives empty words, and the page then names no figures for the span.
    """
    try:
        ends = [float(x) for x in psi]
    except (TypeError, ValueError):
        return "", ""
    if len(ends) != 2 or not all(math.isfinite(x) and x > 0 for x in ends):
        return "", ""
    return _ratio_text(c, ends[0]), _ratio_text(c, ends[1])


#: ``to_publish`` rules under which the run's verdict publishes no figure of its model at all (no point, no range,
#: no floor): the model does not fit, no interval was computed, or no model of the search is fit to publish
NO_FIGURE_RULES = {
    "poor-fit": "the chosen model does not fit how the lists overlap, so neither its figure nor its interval is a "
                "range for N",
    "no-interval": "the run computed no interval, which a published figure needs (run it again with one, e.g. "
                   "--ci averaged or --ci parametric)",
    "none-kept": "no model of the search is fit to publish",
    "linkage-first": "the record linkage warned that N̂ as linked is too high (links missed) while the model's checks "
                     "detect victims who differ in how likely they are to be registered, which would make it too "
                     "low; persons the linkage split look to those checks like such victims, so the linkage comes "
                     "first, and the figure corrected for linkage error rests on the same linkage model",
}


def withheld_reason(run: Run) -> str | None:
    """Why the run's verdict (``result.json`` ``to_publish``) publishes no figure at all, in English; None otherwise.

    A public page follows the verdict (tester 15b, H2): where it withholds every figure of the model (rules
    :data:`NO_FIGURE_RULES`), every figure on the page (key figure, trend, groups, SDG rates) would come from a
    model the verdict rejects, so
    :func:`darkfigure.report.public.build_public_report` refuses the page, or uses the headline of ``compare`` when
    the folder holds one. A compare folder (no ``result.json``) gives None; so do a run corrected for linkage error
    (its verdict judged the persons as linked; the page gives the verdict beside the corrected figure), a run whose
    N̂ is not identified
    (its page says that no estimate is given, and shows no figure) or whose verdict publishes a floor.
    """
    res = run.result or {}
    if not res or "nhat" not in res:  # compare folder, or a monitor result.json without a total (older runs)
        return None
    tp = res.get("to_publish")
    if not isinstance(tp, dict):
        return None
    rules = [str(r) for r in tp.get("rules") or []]
    if (res.get("linkage") or {}).get("nhat_corrected") is not None:
        # a run corrected for linkage error: to_publish judged the model on the persons as linked, whose linkage
        # errors alone can make it fit poorly; the corrected figure stays with the verdict beside it (_headline) --
        # except when the verdict is about the linkage itself: its warnings say the correction's own model misses
        # links, so the corrected figure is no more publishable than the one as linked (tester 17a, H1)
        rules = [r for r in rules if r == "linkage-first"]
    said = [NO_FIGURE_RULES[r] for r in rules if r in NO_FIGURE_RULES]
    return "; ".join(said) or None


def compare_headline_usable(run: Run) -> bool:
    """True when the folder's ``compare.json`` holds a headline with a finite lower end (the page can use it)."""
    hl = (run.compare_info or {}).get("headline")
    return isinstance(hl, dict) and math.isfinite(_f(hl.get("low")))
