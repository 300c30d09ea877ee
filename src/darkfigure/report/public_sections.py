"""Sections of the publication report: the trend by year, visibility, SDG 16.2.2 rates, the methods compared, the sensitivity to the identifying assumption, the caveats and the methods note."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from . import plots
from .explain import explain
from .public_context import _Ctx, _f, _grid_points, _level_text
from .public_rounding import Figure, _round, format_number, round_range, rounding_unit
from .run import Run
from .sections_fit import _single_level


def _calendar_year(y) -> bool:
    """Whether a year label reads as a calendar year (four digits), not a code such as 1-4."""
    return bool(re.fullmatch(r"\d{4}", str(y).strip()))


def _period(c: _Ctx, t: pd.DataFrame | None) -> str:
    """The years of the run as words: "2019–2021", or "years 1–4" when the years are coded."""
    if t is None:
        return ""
    years = sorted((y for y in t["year"].unique() if y), key=lambda y: (len(str(y)), str(y)))
    if not years:
        return ""
    span = years[0] if len(years) == 1 else f"{years[0]}–{years[-1]}"
    if all(_calendar_year(y) for y in years):
        return span
    return (c._("year {years}") if len(years) == 1 else c._("years {years}")).format(years=span)


def _trend(c: _Ctx, run: Run, t: pd.DataFrame | None, hidden: np.ndarray | None) -> dict | None:
    _ = c._
    if t is None or hidden is None:
        return None
    year_col = ((run.result or {}).get("monitor") or {}).get("year") or (
        (run.result or {}).get("settings") or {}).get("year")
    if run.monitor is not None:
        sel = (t["group"] == "total") & (t["year"] != "")
    elif year_col:
        sel = t["group"] == str(year_col)
    else:
        return None
    idx = np.flatnonzero(sel.to_numpy())
    if len(idx) == 0:
        return None
    rows = []
    for i in idx:
        r = t.iloc[i]
        year = r["year"] if run.monitor is not None else r["level"]
        if hidden[i]:
            rows.append({"year": year, "hidden": True, "observed": c.hidden_count(r["observed"])})
            continue
        rows.append({"year": year, "hidden": False, "observed": c.count(r["observed"]), **_row_figures(c, r)})
    sub = t.iloc[idx]
    keep = ~hidden[idx]
    nan = np.nan
    plot = plots.band_plot(
        [row["year"] for row in rows],
        np.where(keep, pd.to_numeric(sub["nhat"], errors="coerce"), nan),
        np.where(keep, pd.to_numeric(sub["lower"], errors="coerce"), nan),
        np.where(keep, pd.to_numeric(sub["upper"], errors="coerce"), nan),
        observed=np.where(keep, pd.to_numeric(sub["observed"], errors="coerce"), nan),
        xlabel=_("year"), ylabel=_("number of victims"), label=_("estimated"), band_label=_("interval"),
        observed_label=_("registered"), title=_("Estimated and registered victims by year"),
        decimal_comma=c.lang == "nl",
    )
    return {"rows": rows, "plot": plot}


def _row_figures(c: _Ctx, r) -> dict[str, Figure]:
    """N̂ and the share registered of one table row; with no upper limit (inf) "at least L" and "at most V".

    An interval without an upper end publishes its lower limit only, as the run's to-publish statement does for
    the total (tester report 9, F6/F10): not N̂, nor the share registered observed ÷ N̂ that rests on it.
    """
    fig = c.fig(r["nhat"], r["lower"], r["upper"])
    vis = c.pct(r["visibility"], r["visibility_lower"], r["visibility_upper"])
    if fig.open_upper and fig.has_interval:
        fig = replace(round_range(_f(r["lower"]), float("inf"), lang=c.lang), bound="at-least")
        vis = replace(vis, bound="at-most") if math.isfinite(vis.upper) else vis
    return {"fig": fig, "visibility": vis}


def _visibility(c: _Ctx, run: Run, t: pd.DataFrame | None, hidden: np.ndarray | None) -> dict | None:
    _ = c._
    if t is None or hidden is None:
        return None
    res = run.result or {}
    year_col = (res.get("monitor") or {}).get("year") or (res.get("settings") or {}).get("year")
    sel = (t["year"] == "") & (t["group"] != "total") & _single_level(t["level"])
    if year_col:
        sel &= t["group"] != str(year_col)
    idx = np.flatnonzero(sel.to_numpy())
    if len(idx) == 0:
        return None
    rows = []
    for i in idx:
        r = t.iloc[i]
        group, level = _level_text(c, r["group"], r["level"])
        row: dict[str, Any] = {"group": group, "level": level, "hidden": bool(hidden[i])}
        if hidden[i]:
            row["observed"] = c.hidden_count(r["observed"])
        else:
            row.update(observed=c.count(r["observed"]), **_row_figures(c, r))
        rows.append(row)
    shown = [i for i in idx if not hidden[i]]
    plot = None
    if shown:
        s = t.iloc[shown]
        labs = [f"{g}: {lv}" for g, lv in (_level_text(c, a, b) for a, b in zip(s["group"], s["level"]))]
        total = t[(t["group"] == "total") & (t["year"] == "")]
        ref = _f(total["visibility"].iloc[0]) if len(total) else None
        plot = plots.interval_plot(
            labs, s["visibility"], s["visibility_lower"], s["visibility_upper"],
            groups=[c.labels.covariate_label(g) for g in s["group"]], percent=True,
            xlabel=_("share of victims registered (registered ÷ estimated)"), reference=ref,
            reference_label=_("all victims") if ref is not None else "", decimal_comma=c.lang == "nl",
        )
    return {"rows": rows, "plot": plot}


def _sdg(c: _Ctx, run: Run, t: pd.DataFrame | None, hidden: np.ndarray | None) -> dict | None:
    if t is None or hidden is None or "rate_per_100k" not in t.columns:
        return None
    res = run.result or {}
    year_col = (res.get("monitor") or {}).get("year")
    rows = []
    for i in range(len(t)):
        r = t.iloc[i]
        if r["group"] != "total" and (r["year"] != "" or not _single_level(pd.Series([r["level"]])).iloc[0]
                                      or r["group"] == year_col):
            continue  # the total by year, and each subgroup over all years
        if r["group"] == "total":
            group, level = c._("All victims"), ""
        else:
            group, level = _level_text(c, r["group"], r["level"])
        row: dict[str, Any] = {"group": group, "level": level, "year": r["year"] or c._("all years"),
                               "hidden": bool(hidden[i])}
        if not hidden[i]:
            if not math.isfinite(_f(r["rate_per_100k"])):
                continue
            row["fig"] = c.rate(r["rate_per_100k"], r.get("rate_lower"), r.get("rate_upper"))
            if row["fig"].open_upper and row["fig"].has_interval:  # only the lower limit, as N̂ (F6/F10)
                row["fig"] = replace(round_range(_f(r.get("rate_lower")), float("inf"), smallest=0.01, lang=c.lang),
                                     bound="at-least")
        rows.append(row)
    return {"rows": rows} if rows else None


def _method_label(c: _Ctx, method: str) -> str:
    _ = c._
    m = str(method)
    low = m.lower()
    if low.startswith("loglinear-"):
        how = m.split("-", 1)[1].lower()
        return _("Log-linear model, registers may depend on each other (chosen by {how})").format(
            how=_("significance tests") if how == "pvalue" else how.upper().replace("AICC", "AICc"))
    if low in ("bic-exhaustive", "exhaustive"):
        return _("Log-linear model, all models searched (BIC)")
    if low == "downhill":
        return _("Log-linear model, downhill search")
    if low.startswith("mth"):
        return _("Victims differ in visibility, registers differ ({code})").format(code=m)
    if low.startswith("mh"):
        return _("Victims differ in visibility ({code})").format(code=m)
    if m == "M0":
        return _("All registers and victims alike (M0)")
    if m == "Mt":
        return _("Registers independent (Mt)")
    if low == "lcmcr":
        return _("Latent classes of victims (LCMCR)")
    if low == "dga":
        return _("Averaged over dependence graphs (dga)")
    return m


def _compare(c: _Ctx, run: Run, status: dict | None = None) -> dict | None:
    """The "Estimates by method" table; `status` (method -> phrase) marks what the headline kept or left out."""
    cmp_ = run.compare
    if cmp_ is None or not len(cmp_):
        return None
    status = status or {}
    # the registered count floors every rounded lower end: "60 (10–880)" with 13 registered reads as if fewer than
    # were seen could be the truth (tester 9, F22)
    registered = _f(((run.compare_info or {}).get("data") or {}).get("observed"))
    rows = []
    for _i, r in cmp_.iterrows():
        n = _f(r["nhat"])
        # a method whose fit has no estimate (status other than ok, e.g. "no MLE: boundary") shows no figure
        has = math.isfinite(n) and str(r.get("status", "ok") or "ok").strip().lower() in ("ok", "nan", "")
        row = {"method": _method_label(c, r["method"]), "ok": has}
        if has:
            row["fig"] = c.fig(n, r["lower"], r["upper"], floor=registered)
        row["status"] = status.get(str(r["method"]), "")
        rows.append(row)
    return {"rows": rows, "has_status": bool(status)}


def _sensitivity(c: _Ctx, run: Run) -> dict | None:
    """The section on the identifying assumption (``result.json`` ``identifying_assumption``), or None without one.

    Returns the rounded range of N̂ (``low``, ``high``), the plain explanation, the curve over the
    grid (``plot``, ``range``) and ``as_linked``: True when the range is the histories' as linked
    while the key figure is corrected for linkage error (the block's ``as_linked``, or a
    ``linkage.nhat_corrected`` in the run), so that the page labels it "as linked".
    """
    _ = c._
    ia = (run.result or {}).get("identifying_assumption")
    if not isinstance(ia, dict):
        return None
    lo, hi = _f(ia.get("low")), _f(ia.get("high"))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    f = round_range(lo, hi, lang=c.lang)  # each end at its own precision, never moved by half (tester 9, F13)
    # the range is refitted on the histories as linked while the key figure is corrected for linkage error:
    # said so, as in the analyst report (sections_fit; tester 10, F10)
    # (moved to the corrected scale, as_linked_range set: the key figure's own range; tester 18a, M4)
    as_linked = not ia.get("as_linked_range") and (bool(ia.get("as_linked")) or (
        (run.result or {}).get("linkage") or {}).get("nhat_corrected") is not None)
    explanation = _assumption_text(c, ia)
    # a key figure published as a lower limit only ("at least ...") beside an assumption range reaching below it
    # read as a contradiction (tester 12b, L15): the lower limit holds under the model's own assumption
    tp = (run.result or {}).get("to_publish") or {}
    conf = (ia.get("bounds") or {}).get("confidence")
    reach = _f(conf[0]) if isinstance(conf, (list, tuple)) and len(conf) == 2 else lo
    if tp.get("high") is None and math.isfinite(_f(tp.get("low"))) and reach < _f(tp.get("low")):
        explanation += " " + _("So the lower limit of the key figure holds only under the assumption the model "
                               "itself makes about the victims no register found.")
    out: dict[str, Any] = {"low": f.lower_text, "high": f.upper_text, "explanation": explanation,
                           "as_linked": as_linked}
    pts = _grid_points(ia.get("grid"))
    if len(pts) >= 2:
        xs, ys = zip(*sorted(pts))
        out["range"] = (f"{format_number(xs[0], rounding_unit(xs[0], xs[0], xs[0], smallest=0.01), c.lang)}–"
                        f"{format_number(xs[-1], rounding_unit(xs[-1], xs[-1], xs[-1], smallest=0.01), c.lang)}")
        out["plot"] = plots.band_plot(
            list(xs), ys, [lo] * len(ys), [hi] * len(ys), xlabel=_("assumed dependence among the unregistered"),
            ylabel=_("number of victims"), label=_("estimated as linked") if as_linked else _("estimated"),
            band_label=_("range"),
            title=_("The estimate as the untestable assumption is relaxed"), decimal_comma=c.lang == "nl",
        )
    return out


def _ratio_text(c: _Ctx, x: float) -> str:
    """An odds ratio as words: 0.5 -> "0.5", 2 -> "2" (two significant digits, the language's decimal mark)."""
    if not (x > 0 and math.isfinite(x)):
        return "–"
    t = f"{_round(x, math.floor(math.log10(x)) - 1):g}"
    return t.replace(".", ",") if c.lang == "nl" else t


def _assumption_text(c: _Ctx, ia: dict) -> str:
    """The identifying assumption in plain, rounded, translated words (``result.json`` ``identifying_assumption``).

    Written from the numbers (the odds-ratio range studied, the range of N̂ and, when present,
    the confidence bounds), never from the English ``explanation``, which quotes N̂ unrounded
    and names ψ and profile likelihood: that stays in the analyst report.
    """
    _ = c._
    rng = ia.get("range") or ((ia.get("bounds") or {}).get("psi"))
    if not (isinstance(rng, (list, tuple)) and len(rng) == 2):
        pts = _grid_points(ia.get("grid"))
        rng = [min(x for x, _y in pts), max(x for x, _y in pts)] if len(pts) >= 2 else None
    text = _("The estimate assumes that, among the victims no register found, the registers depend on each other "
             "as the model infers from the registered victims; the data cannot check this.")
    if rng is not None and all(math.isfinite(_f(x)) and _f(x) > 0 for x in rng):
        text += " " + _("The range above allows that dependence to be between {a} and {b} times as strong.").format(
            a=_ratio_text(c, _f(rng[0])), b=_ratio_text(c, _f(rng[1])))
    conf = (ia.get("bounds") or {}).get("confidence")
    if isinstance(conf, (list, tuple)) and len(conf) == 2 and all(math.isfinite(_f(x)) for x in conf):
        a, b = _f(conf[0]), _f(conf[1])
        g = round_range(a, b, lang=c.lang)
        text += " " + _("Allowing for chance as well, it lies between about {low} and {high}.").format(
            low=g.lower_text, high=g.upper_text)
    return text


# caveats that matter for a publication, keyed by the analyst report's explanation keys
def _caveat_texts(_) -> dict[str, tuple[str, str]]:
    """(title, text) of each caveat in the report's language, keyed by the analyst report's explanation keys."""
    not_settled = (_("A computation did not settle"), _(
        "One of the computations did not converge; its figure is less reliable."))
    return {
        "not-identified": (_("Some figures cannot be estimated"), _(
            "For some figures the registers do not overlap enough to tell how many victims none of them found; "
            "those figures are not given.")),
        "upper-far": (_("The data barely determine the total"), _(
            "The registers overlap too little to pin the total down: the interval is very wide. Treat the "
            "figures as very uncertain.")),
        "chao-lower-bound": (_("The estimate may be too low"), _(
            "Some victims are much less likely to be registered than others, and the model may not capture all "
            "of this. The true number may be higher than the estimate.")),
        "heterogeneity": (_("Victims differ in how visible they are"), _(
            "The registers tend to find the same victims, a sign that some victims are much harder to find than "
            "others; the estimate may be too low.")),
        "residuals-by-lists": (_("More victims on several registers than expected"), _(
            "More victims appear on several registers than the model expects; the estimate may be too low.")),
        "poor-fit": (_("The model fits the data poorly"), _(
            "The model's assumptions about how the registers overlap do not match the data well; the estimate "
            "may be biased.")),
        "open-interval": (_("No upper limit"), _("The data set no upper limit to the number of victims.")),
        "em-imputed": (_("Some characteristics were unknown"), _(
            "For some victims a characteristic (such as sex or age) was not recorded; it was filled in "
            "statistically from the other information, which adds uncertainty to the subgroup figures.")),
        "few-replicates": (_("The interval is approximate"), _(
            "The interval was computed from few repetitions of the resampling, so its ends are rough.")),
        "unobserved-zero": (_("The model says nobody was missed"), _(
            "The model puts the number of unregistered victims at zero; that is rarely credible and the figure "
            "should not be published without expert review.")),
        "not-converged": not_settled,
        "rhat": not_settled,
        "ess": not_settled,
        "sparse": (_("Small numbers"), _("Some subgroups are small; their figures are uncertain.")),
    }


_CHECK_KEYS = {"goodness_of_fit": "poor-fit", "residuals_by_number_of_lists": "residuals-by-lists",
               "chao_lower_bound": "chao-lower-bound", "heterogeneity": "heterogeneity"}


def _caveats(c: _Ctx, run: Run, t: pd.DataFrame | None) -> None:
    _ = c._
    texts = _caveat_texts(_)
    res = run.result or {}
    keys: list[str] = []
    shown = [] if t is None else [pd.to_numeric(t["nhat"], errors="coerce")]
    if run.compare is not None:
        shown.append(pd.to_numeric(run.compare["nhat"], errors="coerce"))
    if res and not math.isfinite(_f(res.get("nhat"))) or any((~np.isfinite(x)).any() for x in shown):
        keys.append("not-identified")
    other = 0
    for ch in res.get("checks") or []:
        if isinstance(ch, dict) and ch.get("flagged") and ch.get("name") in _CHECK_KEYS:
            keys.append(_CHECK_KEYS[ch["name"]])
    warnings = [str(w) for w in res.get("warnings") or []]
    warnings += [str(w) for w in ((res.get("linkage") or {}).get("warnings") or [])]
    if run.compare is not None and "warnings" in run.compare.columns:
        for w in run.compare["warnings"].dropna().astype(str):
            warnings += [p.strip() for p in w.split(" | ") if p.strip()]
    for w in warnings:
        k = explain(w).key
        if k == "not-identified":  # said from the figures themselves (below): a warning may concern a model not used
            continue
        if k in texts:
            keys.append(k)
        else:
            other += 1
    seen: set[str] = set()
    for k in keys:
        title, text = texts[k]
        if title in seen:
            continue
        seen.add(title)
        c.caveats.append({"title": title, "text": text})
    iv = res.get("interval") or {}
    if iv.get("conditional_on_chosen_model"):
        c.caveats.append({"title": _("The interval assumes the chosen model is right"), "text": _(
            "The interval does not include the uncertainty of choosing the model among others that fit about as "
            "well; the real uncertainty is larger.")})
    if res.get("identifying_assumption"):
        c.caveats.append({"title": _("An assumption that cannot be tested"), "text": _(
            "Every estimate of this kind rests on an assumption about the victims no register found, which the "
            "data cannot check. The section on that assumption shows how much the estimate moves when it is "
            "relaxed.")})
    if other:
        c.notes.append(c._("{n} further technical message(s) are explained in the analyst report.").format(n=other))


def _model_terms(c: _Ctx, res: dict) -> tuple[list[str], list[str]]:
    """(pairs of dependent lists, covariates registration depends on) of the chosen model, labelled."""
    lists = set((res.get("data") or {}).get("lists") or [])
    pairs, by = [], []
    for term in ((res.get("model") or {}).get("interactions") or []):
        parts = str(term).split(":")
        ls = [p for p in parts if p in lists]
        cs = [p for p in parts if p not in lists]
        if len(ls) >= 2 and not cs:
            pairs.append(" – ".join(c.labels.list_label(x) for x in ls))
        elif ls and cs:
            for x in cs:
                lab = c.labels.covariate_label(x)
                if lab not in by:
                    by.append(lab)
    return pairs, by


def _methods_note(c: _Ctx, run: Run) -> list[str]:
    _ = c._
    res = run.result or {}
    info = res.get("data") or (run.compare_info or {}).get("data") or {}
    lists = [c.labels.list_label(x) for x in info.get("lists") or []]
    out = []
    if lists:
        out.append(_("The number of victims was estimated by multiple systems estimation (capture–recapture) "
                     "from the registers of {k} organisations ({lists}): the overlap between the registers shows how "
                     "many victims none of them found.").format(
            k=len(lists), lists=", ".join(lists)))
    settings = res.get("settings") or {}
    covs = [c.labels.covariate_label(x) for x in settings.get("covariates") or info.get("covariates") or []]
    if res:
        avg = res.get("averaging")
        search = res.get("search") or {}
        crit = {"bic": "BIC", "aic": "AIC", "aicc": "AICc", "pvalue": _("significance tests")}
        if avg:
            out.append(_("The estimate is an average over the log-linear models that fit the data about equally "
                         "well, weighted by {crit}.").format(crit=crit.get(str(avg.get("criterion")), "AIC")))
        elif settings.get("model"):
            out.append(_("A log-linear model given by the analyst was used."))
        elif search:
            out.append(_("A log-linear model was chosen by {crit} in a stepwise search among models in which "
                         "registers may depend on each other.").format(
                crit=crit.get(str(search.get("criterion")), str(search.get("criterion")))))
        pairs, by = _model_terms(c, res)
        if pairs:
            out.append(_("In the chosen model these registers depend on each other: {pairs}.").format(
                pairs="; ".join(pairs)))
        elif res.get("model"):
            out.append(_("In the chosen model the registers are independent of each other."))
        if covs:
            out.append(_("The model takes these characteristics of the victims into account: {covs}.").format(
                covs=", ".join(covs)))
        if by:
            out.append(_("The chance of being registered differs by: {covs}.").format(covs=", ".join(by)))
        iv = res.get("interval") or {}
        b = res.get("bootstrap") or {}
        kinds = {"parametric": _("parametric bootstrap"), "averaged": _("bootstrap over the averaged models"),
                 "nonparametric-bca": _("nonparametric bootstrap"),
                 "nonparametric-percentile": _("nonparametric bootstrap"), "profile": _("profile likelihood")}
        kind = kinds.get(str(iv.get("method")), str(iv.get("method") or ""))
        level = f"{_f(iv.get('level', 0.95)):.0%}"
        lk = res.get("linkage") or {}
        draws, per_draw = _f(lk.get("draws")), _f(lk.get("reps_per_draw"))
        if iv.get("with_linkage_uncertainty") and draws > 0 and per_draw > 0:
            # the interval shown is pooled over the linkage draws, not the as-linked bootstrap (tester 8, F8)
            out.append(_("The intervals are {level} intervals from a {kind} with {reps} replicates on each of {draws} "
                         "draws of the record linkage (random seed {seed}).").format(
                level=level, kind=kind, reps=format_number(per_draw, 1, c.lang),
                draws=format_number(draws, 1, c.lang), seed=settings.get("seed")))
        elif b.get("replicates"):
            out.append(_("The intervals are {level} intervals from a {kind} with {reps} replicates (random seed "
                         "{seed}).").format(level=level, kind=kind, reps=format_number(b["replicates"], 1, c.lang),
                                            seed=settings.get("seed")))
        elif iv.get("method") and iv.get("method") != "none":
            out.append(_("The intervals are {level} intervals ({kind}).").format(level=level, kind=kind))
        if lk.get("nhat_corrected") is not None:
            out.append(_("Records of the same person in different registers were linked by probabilistic record "
                         "linkage; the figures are corrected for linkage errors and their intervals include the "
                         "uncertainty of the linkage (estimate as linked: {asl}).").format(
                asl=c.fig(lk.get("nhat_as_linked"), lk.get("lower"), lk.get("upper")).text))
    elif run.compare_info is not None or run.compare is not None:
        ci = run.compare_info or {}
        out.append(_("Several estimation methods were applied to the same data; each rests on its own "
                     "assumptions about the registers and the victims (random seed {seed}, {reps} bootstrap "
                     "replicates).").format(seed=ci.get("seed"), reps=format_number(_f(ci.get("reps")), 1, c.lang)))
    out.append(_("Tables show no number of registered victims below {k}: such cells are marked <{k}, and cells "
                 "from which they could be derived are marked x (statistical disclosure control).").format(
        k=c.threshold))
    version = res.get("darkfigure_version") or (run.compare_info or {}).get("darkfigure_version") or __version__
    date = str(res.get("run_date") or (run.compare_info or {}).get("run_date") or "")[:10]
    out.append(_("Computed with darkfigure {version} on {date}.").format(version=version, date=date or "–"))
    return out
