"""Sections of the analyst report about one fit: the data, the model search and fit, the estimates, the identifying assumption and the comparison of methods."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from ..histories import CaptureHistories, DataError
from . import plots
from .run import Run
from .views import _as_label, _csv_uri, _f, _text, _view, fmt_count, fmt_interval, fmt_num, fmt_p, fmt_pct


def _histories(run: Run) -> CaptureHistories | None:
    t = run.histories_table
    if t is None:
        return None
    info = (run.result or {}).get("data") or (run.compare_info or {}).get("data") or {}
    lists = info.get("lists") or None
    covariates = info.get("covariates")
    if lists and covariates is None:
        covariates = []
    try:
        return CaptureHistories.from_frame(t, lists, covariates, name=info.get("name"), on_empty_list="drop",
                                           missing="keep")
    except (DataError, ValueError, KeyError) as e:
        run.problems.append(f"{run.histories_file} could not be read as capture histories ({e}); the data summary "
                            "shows the list sizes only")
        return None


def _all_persons(h: CaptureHistories) -> pd.DataFrame:
    """Every registered person's row: list columns, covariates and ``count``.

    With unknown covariate values kept (``missing="keep"``, runs with ``--missing em``),
    ``h.table`` holds the complete cases only and ``h.incomplete`` the rest (unknown
    values NaN); both together are the data.
    """
    cols = [*h.lists, *h.covariates, "count"]
    inc = getattr(h, "incomplete", None)
    if inc is None or len(inc) == 0:
        return h.table[cols]
    return pd.concat([h.table[cols], inc[cols]], ignore_index=True)


def _data_section(run: Run, h: CaptureHistories | None) -> dict | None:
    res = run.result or {}
    info = res.get("data") or (run.compare_info or {}).get("data") or {}
    if h is None and not info:
        return None
    out: dict[str, Any] = {"name": (h.name if h is not None else None) or info.get("name") or ""}
    if h is not None:
        # every person counts, those with an unknown covariate value (kept by --missing em) included
        rows = _all_persons(h)
        lists = [str(x) for x in h.lists]
        flags = rows[list(h.lists)].to_numpy(dtype=np.int64)
        weights = rows["count"].to_numpy(dtype=np.int64)
        n_obs = int(weights.sum())
        sizes = pd.Series((flags * weights[:, None]).sum(axis=0), index=lists)
        out["observed"] = fmt_count(n_obs)
        out["k"] = h.k
        sz = pd.DataFrame({"list": lists, "persons": sizes.to_numpy()})
        sz["share of observed"] = sz["persons"] / max(n_obs, 1)
        shown = sz.assign(persons=sz["persons"].map(fmt_count))
        shown["share of observed"] = sz["share of observed"].map(fmt_pct)
        out["sizes"] = _view("list-sizes", shown, sz, "list_sizes.csv", numeric=["persons", "share of observed"])
        ov = pd.DataFrame((flags * weights[:, None]).T @ flags, index=lists, columns=lists)
        off = ov.to_numpy(dtype=float).copy()
        np.fill_diagonal(off, np.nan)
        top = np.nanmax(off) if np.isfinite(off).any() and np.nanmax(off) > 0 else 1.0
        cells = []
        for i, a in enumerate(ov.index):
            row = []
            for j, _b in enumerate(ov.columns):
                v = int(ov.iat[i, j])
                alpha = 0.0 if i == j else 0.08 + 0.6 * v / top
                row.append({"text": fmt_count(v), "diag": i == j, "zero": i != j and v == 0,
                            "style": f"background: rgba(31,78,121,{alpha:.2f})" if i != j else ""})
            cells.append({"list": str(a), "cells": row})
        raw = ov.copy()
        raw.insert(0, "list", lists)
        out["overlaps"] = {"lists": lists, "rows": cells, "csv_uri": _csv_uri(raw),
                           "filename": "pairwise_overlaps.csv"}
        codes = pd.Series(["".join(map(str, r)) for r in flags], dtype=object)
        pats = pd.Series(weights).groupby(codes, sort=True).sum()
        pats = pats[pats > 0]
        out["upset"] = plots.upset_plot(pats, sizes)
        pt = pd.DataFrame([list(map(int, code)) for code in pats.index], columns=lists)
        pt["persons"] = pats.to_numpy()
        pt = pt.sort_values("persons", ascending=False, kind="stable").reset_index(drop=True)
        on = pt[lists].to_numpy()
        pt.insert(0, "lists", [" + ".join(a for a, x in zip(lists, r) if x) for r in on])
        shown = pt[["lists", "persons"]].assign(persons=pt["persons"].map(fmt_count))
        out["patterns"] = _view("patterns", shown, pt, "capture_patterns.csv", numeric=["persons"])
        out["n_patterns"] = len(pt)
        covs = []
        for c in h.covariates:
            # dropna=False: a person whose other covariate is unknown still counts under this one's level
            counts = rows.groupby(c, observed=False, dropna=False)["count"].sum()
            unknown = int(counts[counts.index.isna()].sum())
            counts = counts[~counts.index.isna()]
            text = ", ".join(f"{_as_label(lv)} ({fmt_count(n)})" for lv, n in counts.items())
            if unknown:
                text += f", unknown ({fmt_count(unknown)})"
            covs.append({"name": str(c), "levels": text, "n": len(counts)})
        out["covariates"] = covs
        out["empty_overlaps"] = [f"{lists[i]} ∩ {lists[j]}" for i in range(len(lists))
                                 for j in range(i + 1, len(lists)) if ov.iat[i, j] == 0]
    else:
        sizes = info.get("list_sizes") or {}
        out["observed"] = fmt_count(info.get("observed"))
        out["k"] = len(info.get("lists") or sizes)
        if sizes:
            sz = pd.DataFrame({"list": list(sizes), "persons": list(sizes.values())})
            out["sizes"] = _view("list-sizes", sz.assign(persons=sz["persons"].map(fmt_count)), sz, "list_sizes.csv",
                                 numeric=["persons"])
        out["covariates"] = [{"name": c, "levels": "", "n": ""} for c in info.get("covariates") or []]
        out["empty_overlaps"] = [" ∩ ".join(p) for p in info.get("empty_overlaps") or []]
    szs = (res.get("settings") or {}).get("structural_zeros") or []
    out["structural_zeros"] = [f"list {a} cannot register {c} = {lv}" for a, c, lv in szs]
    out["notes"] = list(info.get("notes") or []) + list(((res.get("monitor") or {}).get("years_notes")) or [])
    out["source_file"] = run.histories_file
    return out


def _model_label(model: dict) -> str:
    inter = model.get("interactions") or []
    return "main effects only (lists independent given the covariates)" if not inter else " + ".join(inter)


_CHECK_LABELS = {"goodness_of_fit": "goodness of fit", "residuals_by_number_of_lists": "residuals by number of lists",
                 "chao_lower_bound": "Chao's lower bound (heterogeneity)",
                 "heterogeneity": "heterogeneity (lists positively dependent alike)"}
# the check's own name at the start of its message ("goodness of fit: ...", "Chao's lower bound: not computed — ...")
_CHECK_PREFIX = re.compile(
    r"^\s*(goodness of fit|residuals by number of lists|chao'?s lower bound|heterogeneity)\s*:\s*", re.I)
_NOT_COMPUTED = re.compile(r"^\s*not computed\s*(?:[—–:-]\s*)?", re.I)


def _check_view(c: dict) -> dict:
    """One model check of result.json as "label — status: detail" (status passed, flagged, not computed, or for a
    heterogeneity check with power below 50% "not detected (power x% against 30% hard to reach)").

    A check is not computed when result.json says so (``computed: false``) or, for files
    without that key, when it has no statistic, is not flagged and its message says
    "not computed". The statistic may be null: the message carries the figures.
    """
    name = str(c.get("name") or "check")
    label = _CHECK_LABELS.get(name, name.replace("_", " "))
    message = str(c.get("message") or "")
    flagged = bool(c.get("flagged"))
    detail = _CHECK_PREFIX.sub("", message, count=1)
    detail = re.sub(r"^Chao'?s lower bound (?=under|is\b)", "the bound ", detail, count=1)
    not_computed = c.get("computed") is False or (
        not flagged and c.get("statistic") is None and _NOT_COMPUTED.match(detail) is not None)
    if not_computed:
        detail = _NOT_COMPUTED.sub("", detail, count=1)
    from ..diagnostics_heterogeneity import unflagged_state

    # a weak heterogeneity check "did not detect", it did not pass (tester 15b, M5)
    status = "flagged" if flagged else ("not computed" if not_computed else unflagged_state(
        str(c.get("name") or ""), c.get("details") if isinstance(c.get("details"), dict) else None))
    if status == "passed" and "is not used" in message:  # as the terminal: the sparse table's deviance test
        status = "not used (sparse table)"
    return {"name": label, "status": status, "flagged": flagged, "detail": detail, "message": message}


def _model_section(run: Run) -> dict | None:
    res = run.result
    if not res or not res.get("model"):
        return None
    from scipy import stats

    m = res["model"]
    dev, df = _f(m.get("deviance")), m.get("df")
    p = float(stats.chi2.sf(dev, df)) if isinstance(df, int) and df > 0 and math.isfinite(dev) else float("nan")
    settings = res.get("settings") or {}
    # with imputed covariate values the deviance is that of the completed table: no test of the model
    imputed = settings.get("missing") == "em" and bool((settings.get("imputed") or {}).get("persons"))
    gof = ("not computed (with imputed covariate values the deviance is that of the completed table)" if imputed
           else fmt_p(p) + ("" if math.isnan(p) else " (deviance against χ² on the residual df)"))
    fit = [
        ("model", _model_label(m)),
        ("formula", m.get("formula") or ""),
        ("status", {"ok": "ok (the MLE exists)", "extended": "extended MLE (some cells fitted as 0)"}.get(
            m.get("status"), str(m.get("status")))),
        ("deviance", fmt_num(dev, 2)),
        ("residual df", str(df)),
        ("goodness of fit p-value", gof),
        ("parameters", str(m.get("parameters", "–"))),
        ("AIC", fmt_num(m.get("aic"), 2)),
        ("BIC", fmt_num(m.get("bic"), 2)),
    ]
    if m.get("existence"):
        fit.append(("existence of the MLE", m["existence"]))
    out: dict[str, Any] = {"fit": fit, "gof_p": float("nan") if imputed else p}
    checks = [c for c in res.get("checks") or [] if isinstance(c, dict)]
    if checks:
        out["checks"] = [_check_view(c) for c in checks]
    s = res.get("search")
    if s:
        names = {"bic": "BIC", "aic": "AIC", "aicc": "AICc", "pvalue": "p-value threshold"}
        how = names.get(s.get("criterion"), s.get("criterion"))
        out["search"] = f"{s.get('method')} search, model chosen by {how}"
    elif settings.get("model"):
        out["search"] = "no search: the model was fixed by the user"
    else:
        out["search"] = "no search: main effects model"
    path = run.search_path
    if path is None and s and s.get("path"):
        path = pd.DataFrame(s["path"])
    if path is not None and len(path):
        chosen = m.get("formula")
        crit = s.get("criterion") if s else "bic"
        note = None
        if s and s.get("method") == "exhaustive" and crit in path.columns:
            total = len(path)
            path = path.sort_values(crit, kind="stable").head(30)
            note = f"the 30 best of {total:,} models by {crit.upper()}; search_path.csv in the run folder has them all"
        path = path.reset_index(drop=True)
        shown = pd.DataFrame()
        if "phase" in path.columns:
            shown["phase"] = _text(path["phase"])
        step = _text(path["step"]) if "step" in path.columns else pd.Series([""] * len(path))
        shown["step"] = step.replace("", "main effects").to_numpy()
        for c, lab, d in (("df", "df", None), ("deviance", "deviance", 1), ("aic", "AIC", 1), ("bic", "BIC", 1),
                          ("pvalue", "p-value", -1), ("nhat", "N̂", 0)):
            if c in path.columns:
                if d is None:
                    shown[lab] = path[c].map(lambda v: fmt_count(v))
                elif d == -1:
                    shown[lab] = path[c].map(lambda v: "" if math.isnan(_f(v)) else f"{_f(v):.2g}")
                elif d == 0:
                    st = path["status"] if "status" in path.columns else pd.Series(["ok"] * len(path))
                    shown[lab] = [fmt_count(v) if s_ in ("ok", "extended") else "not identified"
                                  for v, s_ in zip(path[c], st)]
                else:
                    shown[lab] = path[c].map(lambda v, d=d: fmt_num(v, d))
        if "status" in path.columns:
            shown["status"] = path["status"].astype(str)
        marked = (path["model"] == chosen).tolist() if "model" in path.columns and chosen else [False] * len(path)
        if any(marked):
            first = marked.index(True)
            marked = [i == first for i in range(len(marked))]
            shown["step"] = [s_ + " ◀ chosen" if mk else s_ for s_, mk in zip(shown["step"], marked)]
        # what a new user cannot guess (s23, as the terminal's legend): the phase, the step's sign, the statuses
        legend = ["phase: the criterion of the search's stage" if "phase" in shown.columns else "",
                  "'+ A:B' adds the interaction of lists A and B (their dependence)"]
        if "status" in shown.columns and (shown["status"] == "extended").any():
            legend.append("status extended: extended MLE (some cells fitted as 0, e.g. of lists that share nobody)")
        note = "; ".join(x for x in (note, *legend) if x)
        out["path"] = _view("search-path", shown, path, "search_path.csv",
                            numeric=["df", "deviance", "AIC", "BIC", "p-value", "N̂"], marked=marked, note=note)
    return out


def _single_level(level: pd.Series) -> pd.Series:
    return ~level.astype(str).str.contains(":", regex=False)


def _estimate_section(run: Run) -> dict | None:
    res = run.result
    if not res:
        return None
    iv = res.get("interval") or {}
    obs = _f((res.get("data") or {}).get("observed"))
    nhat = _f(res.get("nhat"))
    lo, hi = _f(iv.get("lower")), _f(iv.get("upper"))
    level = _f(iv.get("level"))
    method = str(iv.get("method") or "none")
    kind = {
        "averaged": "model-averaged parametric bootstrap (percentile)",  # s23: was printed as the bare "averaged"
        "parametric": "parametric bootstrap (percentile; Cruyff's boot_mse)",
        "nonparametric-bca": "nonparametric bootstrap with model re-selection, BCa",
        "nonparametric-percentile": "nonparametric bootstrap with model re-selection, percentile",
        "profile": "profile likelihood",
        "none": "no interval computed",
    }.get(method, method)
    lk = res.get("linkage") or {}
    linked = bool(lk.get("corrected")) and bool(iv.get("with_linkage_uncertainty"))
    draws, per_draw = (int(v) if linked and math.isfinite(v := _f(lk.get(k))) else 0 for k in ("draws", "reps_per_draw"))
    if linked and draws > 0 and per_draw > 0:
        # the interval shown is pooled over linkage draws (result.json linkage), not the as-linked bootstrap (F8)
        kind = f"pooled percentiles of {draws:,} linkage draws × {per_draw:,} replicates each of the {kind}"
    # N̂ corrected for linkage error: the persons subtracted are corrected by the same rule (result.json's
    # persons_corrected), never the as-linked ones beside a corrected N̂ (tester 16a, finding 4)
    from ..dark_floor import floored_dark_figure

    sub = _f(lk.get("persons_corrected")) if lk.get("corrected") else float("nan")
    sub = sub if math.isfinite(sub) else obs
    out: dict[str, Any] = {
        "identified": math.isfinite(nhat),
        "nhat": fmt_count(nhat),
        "observed": fmt_count(obs),
        "level": f"{level:.0%}" if math.isfinite(level) else "",
        "interval": fmt_interval(lo, hi) if method != "none" else "no interval computed",
        "has_interval": math.isfinite(lo),
        # never a negative dark figure, never more than all visible (N̂ corrected below its persons: dark_floor)
        "dark": fmt_count(floored_dark_figure(nhat, sub)),
        "dark_interval": fmt_interval(*_dark_interval(lo, hi, sub, lk, obs, nhat)) if math.isfinite(lo) else "",
        "visible": fmt_pct(min(sub / nhat, 1.0), 0) if math.isfinite(nhat) and nhat > 0 else "–",
        "persons_note": (f"persons observed {fmt_count(sub)} as corrected for linkage, {fmt_count(obs)} as linked"
                         if fmt_count(sub) != fmt_count(obs) else ""),
        "method": "Poisson log-linear model (multiple systems estimation)",
        "interval_kind": kind,
        "carries": _interval_carries(iv, lk, method),
    }
    # the run's own advice on what to publish (tester report 6, M1): beside the headline, not only in the terminal
    tp = res.get("to_publish")
    out["to_publish"] = str(tp.get("statement") or "") if isinstance(tp, dict) else ""
    out.update(_averaging_view(res))
    b = res.get("bootstrap") or {}
    settings = res.get("settings") or {}
    out["details"] = [
        ("method", out["method"]),
        ("interval", f"{out['level']} {kind}".strip()),
        ("seed", str(settings.get("seed") if settings.get("seed") is not None else "none (not reproducible)")),
        ("replicates", fmt_count(b.get("replicates")) if b else "–"),
    ]
    as_linked = ""
    if linked and draws > 0 and per_draw > 0:
        out["details"][-1] = ("replicates", f"{draws * per_draw:,} ({draws:,} linkage draws × {per_draw:,} bootstrap "
                                            "replicates each), pooled")
        if b:
            as_linked = "as-linked bootstrap "
            out["details"].append(("as-linked bootstrap", f"{fmt_count(b.get('replicates'))} replicates; interval "
                                   f"{fmt_interval(_f(lk.get('lower_as_linked')), _f(lk.get('upper_as_linked')))} "
                                   f"around N̂ as linked {fmt_count(_f(lk.get('nhat_as_linked')))} (not the interval "
                                   "above)"))
    if b.get("status_counts"):
        out["details"].append((f"{as_linked}replicate outcomes",
                               ", ".join(f"{k}: {v:,}" for k, v in b["status_counts"].items())))
    if out["averaging"]:
        out["details"].append(("model averaging", out["averaging"]))
    est = run.estimates
    if est is not None and len(est) > 1:
        single = est[(est["group"] == "total") | _single_level(est["level"])]
        shown = pd.DataFrame({
            "group": single["group"].astype(str), "level": single["level"].astype(str),
            "registered": single["observed"].map(fmt_count), "N̂": single["nhat"].map(fmt_count),
            "interval": [fmt_interval(a, b_) for a, b_ in zip(single["lower"], single["upper"])],
            # estimates.csv's own dark figure (persons corrected for linkage where N̂ is: tester 16a, 4)
            "dark figure": (single["dark_figure"] if "dark_figure" in single.columns
                            else single["nhat"] - single["observed"]).map(fmt_count),
        })
        out["table"] = _view("estimates", shown, est, "estimates.csv", numeric=["registered", "N̂", "dark figure"],
                             note="pairs of levels are in the download (estimates.csv)"
                             if len(single) < len(est) else None)
    return out


def _dark_interval(lo: float, hi: float, sub: float, lk: dict, obs: float, nhat: float = float("nan")) -> tuple[float, float]:
    """The dark figure's interval as estimates.csv's (:func:`darkfigure.dark_floor.dark_interval`): where the
    interval was widened to the as-linked one, each limit minus the persons of its own linkage (tester 18a, L2)."""
    from ..dark_floor import dark_interval

    if not lk.get("corrected"):
        return dark_interval(lo, hi, sub)
    g = lambda k: _f(lk.get(k))  # noqa: E731
    return dark_interval(lo, hi, sub, (g("lower_as_linked"), g("upper_as_linked"), g("nhat_as_linked"), obs),
                         (g("lower_draws"), g("upper_draws"), g("nhat_mean_draws"),
                          bool(lk.get("widened_to_as_linked")), bool(lk.get("interval_shifted"))), point=nhat)


def _rough_tail(mc: dict) -> str:
    """", or several times as much: only N replicates lie beyond each end" when the limits' error rests on fewer than
    ``mc_error.ROUGH_TAIL`` replicates (tester 19a, L8), else ""."""
    from ..loglinear.mc_error import ROUGH_TAIL

    reps, tail_p = int(mc.get("replicates") or 0), mc.get("tail_probability")
    if isinstance(tail_p, (int, float)) and 0 < tail_p < 0.5 and round(reps * tail_p, 9) < ROUGH_TAIL:
        return f", or several times as much: only {int(round(reps * tail_p, 9))} replicates lie beyond each end"
    return ""


def _interval_carries(iv: dict, lk: dict, method: str) -> str:
    """What the headline interval carries and what not, in the terminal's words (cli/estimate.py ``_print_result``).

    From ``result.json`` ``interval`` (``conditional_on_chosen_model``, ``with_linkage_uncertainty``) and
    ``linkage`` (``corrected``): e.g. "conditional on the chosen model; with linkage uncertainty; N̂ corrected
    for linkage error", and the limits' Monte-Carlo error (``monte_carlo_se``) where it exceeds one person. Empty
    without an interval (and without either flag).
    """
    parts = []
    if method != "none" and math.isfinite(_f(iv.get("lower"))):
        cond = iv.get("conditional_on_chosen_model")
        if cond is not None:
            parts.append("conditional on the chosen model" if cond else "includes model-selection uncertainty")
        if iv.get("with_linkage_uncertainty"):
            parts.append("with linkage uncertainty")
            from ..linkage.combine import widening_words  # the true reason of each kind (tester 18a, H3)

            why = widening_words(bool(iv.get("widened_to_as_linked")), bool(lk.get("interval_shifted")))
            parts += [why] if why else []
    if lk.get("corrected"):
        parts.append("N̂ corrected for linkage error")
    mc = iv.get("monte_carlo_se") if isinstance(iv.get("monte_carlo_se"), dict) else {}
    se = {k: _f(mc.get(k)) for k in ("lower", "upper")}
    # as the terminal's line (tester 15b, L2); a pooled interval with linkage uncertainty is no bootstrap percentile
    if method != "none" and not iv.get("with_linkage_uncertainty") and any(
            math.isfinite(v) and v > 1 for v in se.values()):
        parts.append("Monte-Carlo error of the limits " + " and ".join(
            f"±{fmt_count(v)} ({k})" for k, v in se.items() if math.isfinite(v))
            + f" at {int(mc.get('replicates') or 0):,} replicates (another seed moves them about this much"
            + _rough_tail(mc) + ")")
    loose = [k for k in ("lower", "upper") if mc.get(f"{k}_unbounded")]
    if method != "none" and not iv.get("with_linkage_uncertainty") and loose:
        parts.append(f"another seed may make the {' and '.join(loose)} limit unbounded (replicates without a bound "
                     "lie within its Monte-Carlo band)")
    return "; ".join(parts)


def _averaging_view(res: dict) -> dict[str, Any]:
    """The model averaging behind N̂ in plain words, and its table (result.json ``averaging``; tester report 6, M1).

    When N̂ is an average over K > 1 log-linear models (Buckland, Burnham & Augustin 1997),
    the chosen model's own N̂ (``model.nhat``, shown in the model sections) differs from the
    headline; ``averaging`` says so ("model average of K models ...; the chosen model alone:
    N̂ X"), ``averaging_table`` lists the models with their weights. Both empty otherwise.
    """
    avg = res.get("averaging")
    models = (avg.get("models") or []) if isinstance(avg, dict) else []
    if len(models) < 2:
        return {"averaging": "", "averaging_table": None}
    crit = {"aic": "AIC", "bic": "BIC", "aicc": "AICc"}.get(str(avg.get("criterion")), str(avg.get("criterion")))
    chosen = _f((res.get("model") or {}).get("nhat"))
    text = f"N̂ is the model average of {len(models)} log-linear models ({crit} weights)"
    if math.isfinite(chosen):
        text += f"; the chosen model alone: N̂ {fmt_count(chosen)}"
    lk = res.get("linkage") or {}
    if lk.get("nhat_corrected") is not None:
        text += " (before the linkage correction)"
    raw = pd.DataFrame(models)
    shown = pd.DataFrame({"model": raw["model"].astype(str), "weight": raw["weight"].map(lambda w: fmt_pct(w, 1)),
                          "N̂": raw["nhat"].map(fmt_count)})
    return {"averaging": text, "averaging_table": _view("averaging", shown, raw, "averaging.csv",
                                                        numeric=["weight", "N̂"])}


def _assumption_section(run: Run) -> dict | None:
    """Sensitivity to the identifying assumption (result.json's ``identifying_assumption``): curve and tables."""
    ia = (run.result or {}).get("identifying_assumption") if isinstance(run.result, dict) else None
    if not isinstance(ia, dict) or not ia.get("grid"):
        return None
    grid = pd.DataFrame(ia["grid"])
    psi, nh = grid["psi"].map(_f), grid["nhat"].map(_f)
    obs = _f((run.result.get("data") or {}).get("observed"))
    b = ia.get("bounds") or {}
    conf = b.get("confidence") or [None, None]
    level = _f(b.get("level"))
    lev = f"{level:.0%}" if math.isfinite(level) else ""
    out: dict[str, Any] = {"explanation": str(ia.get("explanation") or ""), "level": lev}
    lk = run.result.get("linkage") or {}
    # the curve is fitted on the histories as linked; a corrected headline N̂ is not the one at ψ = 1 (tester 10, F10)
    moved = ia.get("as_linked_range") if isinstance(ia.get("as_linked_range"), dict) else None
    as_linked = not moved and (bool(ia.get("as_linked")) or lk.get("nhat_corrected") is not None)
    if moved and math.isfinite(_f(lk.get("persons_corrected"))):  # moved to N̂ corrected (tester 18a, M4)
        obs = _f(lk.get("persons_corrected"))
    out["facts"] = [
        ("ψ range", " to ".join(f"{_f(v):g}" for v in ia.get("range") or [])),
        ("N̂ over the range", fmt_interval(ia.get("low"), ia.get("high"))),
        ("usual N̂ (ψ = 1), as linked" if as_linked else "usual N̂ (ψ = 1)", fmt_count(ia.get("nhat"))),
        (f"{lev} bounds (Sun et al. 2020)", fmt_interval(*conf) if conf[0] is not None else "not computed"),
        ("what ψ is", str(ia.get("parameter") or "")),
    ]
    if moved:
        out["facts"].append(("histories used", f"as linked (N̂ {fmt_count(moved.get('nhat'))}, range "
                             f"{fmt_interval(moved.get('low'), moved.get('high'))}), moved to N̂ corrected for linkage "
                             "error: the unobserved count of N̂ corrected scaled by ψ alike"))
    elif lk.get("nhat_corrected") is not None:
        # the curve is refitted on the histories as linked; the headline carries the linkage correction
        out["facts"].append(("histories used", f"as linked (N̂ {fmt_count(lk.get('nhat_as_linked'))}); the headline "
                             f"N̂ {fmt_count(lk.get('nhat_corrected'))} is corrected for linkage error, this curve "
                             "is not"))
    try:
        out["plot"] = plots.assumption_plot(psi, nh, usual=_f(ia.get("nhat")), observed=obs if math.isfinite(obs)
                                            else None, bounds=[_f(v) for v in conf] if conf[0] is not None else None,
                                            level=lev, as_linked=as_linked)
    except Exception as e:  # noqa: BLE001 - a plot must never stop the report
        run.problems.append(f"the identifying-assumption plot could not be drawn ({e})")
    shown = pd.DataFrame({
        "ψ": [f"{v:.3g}" for v in psi], "N̂": nh.map(fmt_count), "dark figure": (nh - obs).map(fmt_count),
        "visible": [fmt_pct(obs / v, 0) if v > 0 else "–" for v in nh],
    })
    out["table"] = _view("identifying-assumption", shown, grid, "identifying_assumption.csv",
                         numeric=["ψ", "N̂", "dark figure", "visible"], marked=[v == 1.0 for v in psi])
    sub = pd.DataFrame(ia.get("subgroups") or [])
    if len(sub) > 1:
        # a year read back from JSON beside the total's empty level is a float: 2015, not "2015.0" (tester 12b, L14)
        sub["level"] = [_level_text(v) for v in sub["level"]]
        sub = sub[(sub["group"] == "total") | _single_level(sub["level"])]
        lo, hi = (ia.get("range") or [None, None])[:2]
        registered = sub["observed"]
        est = run.estimates
        if est is not None and {"group", "level", "observed"} <= set(est.columns):
            # the registered counts of estimates.csv (EM-imputed shares rounded there; tester 8, F10: 2,796 vs 2,797)
            known = {(str(g), "" if pd.isna(lv) else str(lv)): v
                     for g, lv, v in zip(est["group"], est["level"], est["observed"])}
            registered = pd.Series([known.get((str(g), str(lv)), v)
                                    for g, lv, v in zip(sub["group"], sub["level"], sub["observed"])], index=sub.index)
        shown = pd.DataFrame({
            "group": sub["group"].astype(str), "level": sub["level"].astype(str),
            "registered": registered.map(fmt_count), "N̂": sub["nhat"].map(fmt_count),
            f"N̂ over ψ {lo:g}–{hi:g}": [fmt_interval(a, c) for a, c in zip(sub["low"], sub["high"])],
        })
        out["subgroups"] = _view("identifying-assumption-subgroups", shown, pd.DataFrame(ia["subgroups"]),
                                 "identifying_assumption_subgroups.csv", numeric=["registered", "N̂"])
    return out


def _compare_section(run: Run, observed: int | None) -> dict | None:
    t = run.compare
    if t is None:
        return None
    t = t.copy()
    for c in ("nhat", "lower", "upper"):
        t[c] = pd.to_numeric(t[c], errors="coerce")
    for c in ("interval", "warnings", "model"):
        if c not in t.columns:
            t[c] = ""
        t[c] = _text(t[c])
    shown = pd.DataFrame({
        "method": t["method"].astype(str), "N̂": t["nhat"].map(fmt_count),
        "interval": [fmt_interval(a, b) for a, b in zip(t["lower"], t["upper"])],
        "kind": t["interval"], "model": t["model"],
        "warnings": t["warnings"].map(lambda s: f"{len(s.split(' | '))} (see Warnings)" if s else ""),
    })
    if "seconds" in t.columns:
        shown.insert(4, "seconds", t["seconds"].map(lambda v: fmt_num(v, 2)))
    ok = t[np.isfinite(t["nhat"])]
    plot = plots.forest_plot(t, observed=observed) if len(ok) else None
    rng = f"{fmt_count(ok['nhat'].min())} to {fmt_count(ok['nhat'].max())}" if len(ok) else "–"
    return {"table": _view("compare-table", shown, run.compare, "compare.csv", numeric=["N̂", "seconds"]),
            "plot": plot, "range": rng, "n": len(ok), "n_all": len(t)}


def _level_text(v) -> str:
    """A covariate level as written in the data: "" for none, a whole float without ".0" (2015.0 -> "2015")."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
