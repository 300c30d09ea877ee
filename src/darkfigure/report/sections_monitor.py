"""Sections of the analyst report from the monitor, linkage and follow-up files: yearly trend, visibility, SDG 16.2.2 rates, tables for publication, record linkage, partial pooling and repeat victimisation."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from . import plots
from .run import Run
from .sections_fit import _single_level
from .views import _as_label, _csv_uri, _f, _generic_view, _text, _view, fmt_count, fmt_interval, fmt_num, fmt_pct

#: the mark of a monitor row whose linkage decides the answer, and the footnote under its table (tester 14a, M1)
SHIFT_MARK = "†"
SHIFT_NOTE = (f"{SHIFT_MARK} the linkage decides the answer in this row: the linkage draws are shifted from N̂ as "
              "linked beyond their Monte-Carlo error, so N̂ as linked, the mean over the linkage draws and N̂ "
              "corrected (shown) differ, and the interval is widened to cover all three (monitor.csv: "
              "interval_shifted, nhat_as_linked, nhat_mean_draws); check the linkage (link --truth on a clerical "
              "sample) before publishing it")


def shifted_rows(rows: pd.DataFrame) -> list[bool]:
    """Per row of a monitor table (monitor.csv as read, or monitor_published.csv as text): is its interval shifted?

    Reads the column ``interval_shifted`` (True/False, or the text ``"True"``; ``"x"`` in a suppressed row is not
    marked); all False without it (a run without linkage correction).
    """
    if "interval_shifted" not in rows.columns:
        return [False] * len(rows)
    return [bool(v) if isinstance(v, (bool, np.bool_)) else str(v).strip().lower() == "true"
            for v in rows["interval_shifted"]]


def _mark(cells: pd.Series, marks: list[bool]) -> pd.Series:
    """`cells` (text) with :data:`SHIFT_MARK` after those of the marked rows."""
    return pd.Series([f"{c} {SHIFT_MARK}" if m else c for c, m in zip(cells, marks)], index=cells.index)


def _shift_note(marks: list[bool]) -> str | None:
    """The footnote of a table with marked rows (:data:`SHIFT_NOTE`), None without."""
    return SHIFT_NOTE if any(marks) else None


def _persons_subtracted(rows: pd.DataFrame) -> pd.Series:
    """The persons a row's dark figure and visibility use: ``observed_corrected`` where N̂ is corrected for linkage
    error (estimates.csv, monitor.csv; tester 16a, finding 4), else ``observed``."""
    obs = pd.to_numeric(rows["observed"], errors="coerce")
    if "observed_corrected" in rows.columns:
        return pd.to_numeric(rows["observed_corrected"], errors="coerce").fillna(obs)
    return obs


def _trend_section(run: Run) -> dict | None:
    from ..dark_floor import floored_dark_figure
    from ..monitoring.linkage_rows import _union_visibility

    res = run.result or {}
    year = (res.get("monitor") or {}).get("year") or (res.get("settings") or {}).get("year")
    rows = None
    if run.monitor is not None:
        m = run.monitor
        rows = m[(m["group"] == "total") & (m["year"] != "")].copy()
        src = "monitor.csv"
    elif run.estimates is not None and year:
        e = run.estimates
        rows = e[e["group"].astype(str) == str(year)].copy()
        rows["year"] = rows["level"].map(_as_label)
        sub = _persons_subtracted(rows)
        rows["visibility"] = (sub / rows["nhat"]).clip(upper=1.0)  # at most all visible, as monitor.csv
        rows["visibility_lower"] = (sub / rows["upper"]).clip(upper=1.0)
        rows["visibility_upper"] = (sub / rows["lower"]).clip(upper=1.0)
        _union_visibility(rows, sub.to_numpy(float))  # widened/shifted rows: each limit over its own linkage's persons
        src = "estimates.csv"
    if rows is None or len(rows) == 0:
        return None
    rows = rows.reset_index(drop=True)
    raw = rows[["year", "observed", "nhat", "lower", "upper", "visibility", "visibility_lower", "visibility_upper"]]
    shown = pd.DataFrame({
        "year": rows["year"].astype(str),
        "registered": rows["observed"].map(fmt_count),
        "N̂": rows["nhat"].map(fmt_count),
        "lower": rows["lower"].map(fmt_count),
        "upper": rows["upper"].map(lambda v: "no upper limit" if _f(v) == math.inf else fmt_count(v)),
        "dark figure": pd.Series(floored_dark_figure(rows["nhat"].to_numpy(float),  # never negative (s17)
                                                     _persons_subtracted(rows).to_numpy(float))).map(fmt_count),
        "visible": [f"{fmt_pct(v, 1)} ({fmt_interval(a, b, lambda x: fmt_pct(x, 1))})" for v, a, b in
                    zip(rows["visibility"], rows["visibility_lower"], rows["visibility_upper"])],
    })
    lv = ((run.result or {}).get("interval") or {}).get("level", 0.95)
    plot = plots.band_plot(rows["year"].tolist(), rows["nhat"], rows["lower"], rows["upper"],
                           observed=rows["observed"], band_label=f"{_f(lv):.0%} interval",
                           title="Estimated number per year (N̂) and number registered")
    marks = shifted_rows(rows)
    shown["N̂"] = _mark(shown["N̂"], marks)
    out = {"plot": plot, "table": _view("trend-table", shown, raw, "trend.csv",
                                        numeric=["registered", "N̂", "lower", "upper", "dark figure", "visible"],
                                        note=_shift_note(marks)),
           "source": src}
    if run.years is not None and {"year", "joint_nhat", "separate_nhat"} <= set(run.years.columns):
        out["years"] = _generic_view("years-table", run.years, "years.csv")
    return out


def _visibility_section(run: Run) -> dict | None:
    if run.monitor is not None:
        m = run.monitor
        year = ((run.result or {}).get("monitor") or {}).get("year")
        rows = m[(m["year"] == "") & (m["group"] != "total") & _single_level(m["level"])]
        if year:
            rows = rows[rows["group"] != year]
        total = m[(m["group"] == "total") & (m["year"] == "")]
        src = "monitor.csv"
    elif run.estimates is not None:
        e = run.estimates.copy()
        covs = set(((run.result or {}).get("settings") or {}).get("covariates") or [])
        year = ((run.result or {}).get("settings") or {}).get("year")
        sub = _persons_subtracted(e)  # corrected for linkage as N̂ is (tester 16a, 4)
        e["visibility"] = sub / e["nhat"]
        e["visibility_lower"] = sub / e["upper"]
        e["visibility_upper"] = sub / e["lower"]
        rows = e[e["group"].isin(covs - {year})]
        total = e[e["group"] == "total"]
        src = "estimates.csv"
    else:
        return None
    if len(rows) == 0:
        return None
    rows = rows.reset_index(drop=True)
    ref = float(total["visibility"].iloc[0]) if len(total) else None
    labels = [f"{g}: {lv}" for g, lv in zip(rows["group"], rows["level"])]
    plot = plots.interval_plot(labels, rows["visibility"], rows["visibility_lower"], rows["visibility_upper"],
                               groups=rows["group"].astype(str).tolist(), percent=True,
                               xlabel="visibility: registered ÷ estimated (interval)", reference=ref,
                               reference_label="all" if ref is not None else "")
    shown = pd.DataFrame({
        "group": rows["group"].astype(str), "level": rows["level"].astype(str),
        "registered": rows["observed"].map(fmt_count), "N̂": rows["nhat"].map(fmt_count),
        "N̂ interval": [fmt_interval(a, b) for a, b in zip(rows["lower"], rows["upper"])],
        "visible": rows["visibility"].map(fmt_pct),
        "visible interval": [fmt_interval(a, b, fmt_pct)
                             for a, b in zip(rows["visibility_lower"], rows["visibility_upper"])],
    })
    raw = rows[["group", "level", "observed", "nhat", "lower", "upper", "visibility", "visibility_lower",
                "visibility_upper"]]
    marks = shifted_rows(rows)
    shown["N̂"] = _mark(shown["N̂"], marks)
    return {"plot": plot, "table": _view("visibility-table", shown, raw, "visibility.csv",
                                         numeric=["registered", "N̂", "visible"], note=_shift_note(marks)),
            "total": fmt_pct(ref) if ref is not None else "–", "source": src}


def _sdg_section(run: Run) -> dict | None:
    m = run.monitor
    if m is None or "rate_per_100k" not in m.columns:
        return None
    rows = m[_single_level(m["level"])].reset_index(drop=True)
    shown = pd.DataFrame({
        "group": rows["group"].astype(str), "level": rows["level"].astype(str),
        "year": rows["year"].replace("", "all").astype(str), "N̂": rows["nhat"].map(fmt_count),
        "per 100,000": rows["rate_per_100k"].map(lambda v: fmt_num(v, 2)),
        "interval": [fmt_interval(a, b, lambda x: fmt_num(x, 2)) for a, b in
                     zip(rows.get("rate_lower", np.nan), rows.get("rate_upper", np.nan))],
    })
    keep = ["group", "level", "year", "nhat", *[c for c in ("rate_per_100k", "rate_lower", "rate_upper") if c in rows]]
    marks = shifted_rows(rows)
    shown["N̂"] = _mark(shown["N̂"], marks)
    return {"table": _view("sdg-table", shown, rows[keep], "sdg_16_2_2.csv", numeric=["N̂", "per 100,000"],
                           note=_shift_note(marks))}


def _published_view(p: pd.DataFrame) -> pd.DataFrame:
    """The publication table for reading: plain column names, numbers formatted, each interval in one column.

    Cells that disclosure control replaced (``<10``, ``x``) are shown as they are.
    """

    def cell(v, fmt):
        """One cell formatted by `fmt`; '–' when empty, suppressed marks ('<10', 'x') as they are."""
        s = "" if v is None else str(v).strip()
        if s == "" or s.lower() == "nan":
            return "–"
        try:
            return fmt(float(s))
        except ValueError:
            return s  # '<10', 'x'

    def count(v):
        """A count with thousands separators."""
        return cell(v, fmt_count)

    def pct(v):
        """A share as a percentage with the file's precision (0.335 is 33.5%: rounded again to 34% it disagreed
        with the visibility table and the terminal, tester 12b, M2)."""
        return cell(v, lambda x: fmt_pct(x, 1))

    def rate(v):
        """A rate per 100,000 with two decimals."""
        return cell(v, lambda x: fmt_num(x, 2))

    def col(name):
        """Column `name`, or empty cells when the table lacks it."""
        return p[name] if name in p.columns else pd.Series([""] * len(p), index=p.index)

    out = pd.DataFrame({
        "group": col("group").astype(str).replace("nan", ""),
        "level": col("level").astype(str).replace("nan", ""),
        "year": [str(y) if str(y) not in ("", "nan") else "all" for y in col("year")],
        "observed": col("observed").map(count),
        "N̂": col("nhat").map(count),
        "N̂ interval": [_published_range(count(a), count(b)) for a, b in zip(col("lower"), col("upper"))],
        "visible": col("visibility").map(pct),
        "visible interval": [f"{pct(a)}–{pct(b)}" if pct(a) != "x" else "x"
                             for a, b in zip(col("visibility_lower"), col("visibility_upper"))],
    })
    if "rate_per_100k" in p.columns:
        out["per 100,000"] = p["rate_per_100k"].map(rate)
        out["per 100,000 interval"] = [_published_range(rate(a), rate(b))
                                       for a, b in zip(col("rate_lower"), col("rate_upper"))]
    if "nhat_as_linked" in p.columns:  # a run corrected for linkage error: N̂ corrected is "N̂"
        out["N̂ as linked"] = p["nhat_as_linked"].map(count)
        out["mean over the linkage draws"] = col("nhat_mean_draws").map(count)
    if "nhat_rounded" in p.columns:  # the figures as the public page rounds them (tester 15b, M4)
        out["as the public page rounds it"] = [
            n if n == "x" else (f"at least {count(lo)}" if n in ("", "nan") and str(hi) == "inf" else
                                f"{count(n)} ({_published_range(count(lo), count(hi))})")
            for n, lo, hi in zip(col("nhat_rounded").astype(str), col("lower_rounded"), col("upper_rounded"))]
    if "to_publish" in p.columns:  # the verdict does not publish N̂ as it stands (review s17, M6)
        out["to publish"] = col("to_publish").astype(str)
    out["N̂"] = _mark(out["N̂"], shifted_rows(p))
    return out


def _published_range(a: str, b: str) -> str:
    """Two formatted ends as one interval cell: 'x' when hidden, 'a – no upper limit' when the upper end is inf
    (``monitor_published.csv`` writes ``inf``, as estimates.csv; tester report 9, F10)."""
    if a == "x":
        return "x"
    return f"{a} – no upper limit" if b == "∞" else f"{a}–{b}"


def _published_section(run: Run) -> dict | None:
    p = run.published
    if p is None:
        return None
    info = (run.result or {}).get("monitor") or {}
    k = info.get("suppress_below")
    if k is None:
        found = sorted({int(x[1:]) for col in ("observed",) if col in p for x in p[col] if re.fullmatch(r"<\d+", x)})
        k = found[0] if found else None
    shown = _published_view(p)
    # corrected for linkage: the visibility's persons are not a published column, its definition says so (s17)
    m = run.monitor
    vis = ((info.get("published_columns") or {}).get("visibility")
           if m is not None and "observed_corrected" in m.columns else None)
    note = "; ".join(x for x in (_shift_note(shifted_rows(p)), f"visible: {vis}" if vis else None) if x) or None
    return {
        "table": _view("published-table", shown, p, "monitor_published.csv",
                       numeric=[c for c in shown.columns if c not in ("group", "level", "year")], note=note),
        "threshold": k,
        "primary": info.get("suppressed_primary"),
        "secondary": info.get("suppressed_secondary"),
    }


def truth_facts(q: dict) -> list[tuple[str, str]]:
    """Report rows of the linkage quality measured against the truth given to ``darkfigure link --truth``.

    `q` is result.json's ``linkage.quality_against_truth``
    (:meth:`darkfigure.linkage.link_run.LinkRun.truth_quality`); the labels say that the
    figures are measured against that supplied truth, not estimated.
    """
    said = "measured against the supplied truth (link --truth)"
    rows = [(f"linkage quality, {said}", str(q.get("measured_against", "the truth column given to link --truth"))),
            ("pairwise precision / recall / F1 against the truth",
             " / ".join(fmt_num(q.get(k), 3) if q.get(k) is not None else "-" for k in ("precision", "recall", "f1")))]
    if q.get("true_persons") is not None:
        rows.append(("persons found by the linkage / true persons (truth)",
                     f"{fmt_count(q.get('found_persons'))} / {fmt_count(q.get('true_persons'))}"))
    if q.get("correct_pairs") is not None:
        rows.append(("linked record pairs: correct / linked / true (truth)",
                     f"{fmt_count(q.get('correct_pairs'))} / {fmt_count(q.get('found_pairs'))} / "
                     f"{fmt_count(q.get('true_pairs'))}"))
    return rows


def _linkage_section(run: Run) -> dict | None:
    parts = [run.links, run.persons, run.linkage_quality, run.linkage_weights, run.linkage_sensitivity]
    lk = (run.result or {}).get("linkage") if isinstance(run.result, dict) else None
    if all(x is None for x in parts) and not lk:
        return None
    out: dict[str, Any] = {"facts": []}
    # link's own warnings (organisation spellings, organisations without usable names): also in the warnings list
    out["warnings"] = [str(w) for w in ((run.linkage_settings or {}).get("warnings") or [])]
    if lk:
        # N̂ corrected for linkage error (darkfigure.linkage.uncertainty): result.json's linkage block
        level = _f(lk.get("level", 0.95))
        out["facts"] += [
            ("N̂ as linked", fmt_count(lk.get("nhat_as_linked"))),
            (f"{level:.0%} interval as linked (linkage taken as error-free)",
             fmt_interval(lk.get("lower_as_linked"), lk.get("upper_as_linked"))),
            ("mean over the linkage draws", fmt_count(lk.get("nhat_mean_draws"))),
            ("N̂ corrected for linkage error", fmt_count(lk.get("nhat_corrected"))),
            (f"{level:.0%} interval with linkage uncertainty", fmt_interval(lk.get("lower"), lk.get("upper"))
             + _interval_said(lk)),
            ("estimator", {"model average": "the model average, refitted on every linkage draw",
                           "chosen model": "the chosen model, refitted on every linkage draw (conditional on it)"}
             .get(lk.get("estimator"), "-")),
            ("share of its variance / width from linkage",
             f"{fmt_pct(lk.get('share_linkage'))} / {fmt_pct(lk.get('width_share_linkage'))}"
             if math.isfinite(_f(lk.get("share_linkage"))) and not lk.get("interval_shifted") else
             # widened for a shift: the width share is the published interval's, the variance share the draws'
             f"{fmt_pct(lk.get('width_share_linkage'))} of its width, the widening to cover N̂ as linked included "
             f"(the draws' own interval: {fmt_pct(lk.get('share_linkage'))} of its variance, "
             f"{fmt_pct(lk.get('width_share_linkage_draws'))} of its width)"  # tester 18a, H3
             if math.isfinite(_f(lk.get("share_linkage"))) else
             "not computed (some replicates set no upper limit)"),  # tester 15a, L1
            ("expected false / missed links (compared pairs)",
             f"{fmt_num(lk.get('false_links'))} / {fmt_num(lk.get('missed_links'))}"),
            ("linkage draws", fmt_count(lk.get("draws"))),
        ]
        if lk.get("persons_as_linked") is not None:
            out["facts"].append(("persons as linked / on average over the draws",
                                 f"{fmt_count(lk.get('persons_as_linked'))} / {fmt_num(lk.get('persons_drawn'))}"))
        out["note"] = _linkage_note(lk)
        if lk.get("interval_shifted"):  # the words of "to publish" (tester 14a, M1)
            from ..linkage.combine import decides_text

            t = decides_text(*(lk.get(k) for k in ("nhat_as_linked", "nhat_mean_draws", "nhat_corrected", "lower",
                                                  "upper")))
            out["decides"] = f"{t[0].upper()}{t[1:]}; check the linkage (link --truth on a clerical sample) before publishing."
    if lk and lk.get("quality_against_truth"):
        out["facts"] += truth_facts(lk["quality_against_truth"])
    if lk and lk.get("by_pair"):
        bp = pd.DataFrame(lk["by_pair"])
        out["errors"] = _view(
            "linkage-errors",
            pd.DataFrame({"organisations": bp["organisation_l"].astype(str) + " & " + bp["organisation_r"].astype(str),
                          "links": bp["links"].map(fmt_count), "expected false links": bp["false_links"].map(fmt_num),
                          "expected missed links": bp["missed_links"].map(fmt_num),
                          "false-link rate": bp["false_link_rate"].map(fmt_pct),
                          "missed-link rate": bp["missed_link_rate"].map(fmt_pct)}),
            bp, "linkage_errors_by_pair.csv", numeric=["links", "expected false links", "expected missed links"],
        )
    if run.links is not None:
        # links.csv holds one row per registration (organisation, record_id, person_id), not pairs
        out["facts"].append(("registrations assigned to a person (links.csv)", fmt_count(len(run.links))))
    if run.persons is not None:
        out["facts"].append(("persons after linkage", fmt_count(len(run.persons))))
    if run.linkage_quality is not None:
        out["quality"] = _generic_view("linkage-quality", run.linkage_quality, "linkage_quality.csv")
    w = run.linkage_weights
    if w is not None:
        out["weights"] = _generic_view("linkage-weights", w, "linkage_weights.csv")
        if {"weight_lower", "weight_upper", "pairs"} <= set(w.columns) and len(w):
            out["weights_plot"] = plots.weight_histogram_plot(w)
    s = run.linkage_sensitivity
    if s is not None and len(s):
        s = s.sort_values("threshold", kind="stable").reset_index(drop=True)
        out["sensitivity"] = _view(
            "linkage-sensitivity",
            pd.DataFrame({"threshold": s["threshold"].map(lambda v: f"{_f(v):g}"),
                          "persons": s["persons"].map(fmt_count), "N̂": s["nhat"].map(fmt_count),
                          "interval": [fmt_interval(a, b) for a, b in zip(s["lower"], s["upper"])]}),
            run.linkage_sensitivity, "linkage_sensitivity.csv", numeric=["persons", "N̂"],
        )
        # which model the table's N̂ comes from (tester 8, F9): a file without the column is from the lists-only default
        scope = next((str(v) for v in s.get("scope", pd.Series(dtype=object)).dropna()), "")
        out["sensitivity_scope"] = (
            f"The N̂ in this table is from a model on {scope.replace('estimate LINKFOLDER', 'estimate on the link folder')}"
            if scope else "The N̂ in this table is from a model on the lists only (covariates summed over); for the "
            "shape across thresholds, not a figure: darkfigure estimate on the link folder gives the figure")
        if np.isfinite(pd.to_numeric(s["nhat"], errors="coerce")).any():
            out["sensitivity_plot"] = plots.band_plot(
                s["threshold"].tolist(), s["nhat"], s["lower"], s["upper"], observed=s["persons"],
                xlabel="match threshold (match probability)", title="N̂ by linkage threshold",
                observed_label="linked persons",
            )
    return out


def _interval_said(lk: dict) -> str:
    """What the published linkage interval is beside the draws' own (result.json's linkage block): '' as drawn."""
    own = fmt_interval(lk.get("lower_draws"), lk.get("upper_draws"))
    if lk.get("interval_shifted"):  # a shift of the draws, not their width (tester 14a, M1)
        return f" (the draws' own {own}, {lk.get('interval_note', '').removeprefix('with linkage uncertainty; ')})"
    if lk.get("widened_to_as_linked"):
        return (f" ({lk.get('interval_note', '').removeprefix('with linkage uncertainty; ')}: the draws' own {own} "
                "came out narrower; the union is published)")
    return ""


def _linkage_note(lk: dict) -> str:
    """What the linkage figures count, in plain words (tester report 6, M3): pairs, not persons.

    Expected false and missed links count pairs of registrations, among the pairs the linkage
    compared (missed links also hold the true matches blocking never compared); the persons
    in the draws, not the pair counts, say which way linkage error moves N̂. No new statistic:
    the sentence reads result.json's ``linkage`` block (persons as linked and drawn, N̂ as
    linked and corrected).
    """
    text = ("How to read these figures: expected false and missed links count pairs of registrations (among the "
            "pairs the linkage compared), not persons. A missed link splits a person only when nothing else joins "
            "the two registrations, and splitting one registration off a person registered 3 times misses 2 pairs "
            "at once; one false link that merges a registration into a person registered 3 times adds 3 false "
            "pairs but removes only one person. So more missed than false links does not mean the linkage "
            "counts too many persons.")
    pa, pd_ = _f(lk.get("persons_as_linked")), _f(lk.get("persons_drawn"))
    n0, n1 = _f(lk.get("nhat_as_linked")), _f(lk.get("nhat_corrected"))
    if math.isfinite(pa) and math.isfinite(pd_):
        d = pd_ - pa
        way = "about as many persons as" if abs(d) < 0.5 else ("more persons than" if d > 0 else "fewer persons than")
        text += (f" The persons say which way linkage error moves N̂: the draws from the match probabilities hold "
                 f"{fmt_num(pd_)} persons on average, {way} the {fmt_count(pa)} as linked")
        if math.isfinite(n0) and math.isfinite(n1):
            text += (f", and N̂ corrected for linkage error is {fmt_count(n1)} against {fmt_count(n0)} as linked "
                     "(N̂ moves with the persons and with how they spread over the lists)")
        text += "."
    return text


def _pooling_section(run: Run) -> dict | None:
    """Pooled beside unpooled subgroup N̂ (``estimate --pooling partial``): result.json's pooling block."""
    pool = (run.result or {}).get("pooling") if isinstance(run.result, dict) else None
    if not isinstance(pool, dict) or not pool.get("subgroups"):
        return None
    t = pd.DataFrame(pool["subgroups"])
    for c in ("observed", "nhat_stratified", "nhat_common", "nhat_pooled", "lower_pooled", "upper_pooled"):
        t[c] = pd.to_numeric(t.get(c), errors="coerce")
    est = run.estimates
    run_nhat = None
    if est is not None and {"group", "level", "nhat"} <= set(est.columns):
        key = est.assign(level=est["level"].map(_as_label)).set_index(["group", "level"])["nhat"]
        run_nhat = [key.get((g, _as_label(lv))) for g, lv in zip(t["group"], t["level"])]
    shown = pd.DataFrame({
        "subgroup": [("all" if g == "total" else f"{g} = {lv}") for g, lv in zip(t["group"], t["level"])],
        "registered": t["observed"].map(fmt_count),
        "N̂ (this run)": ["–" if v is None else fmt_count(v) for v in (run_nhat or [None] * len(t))],
        "N̂ each stratum alone": t["nhat_stratified"].map(lambda v: fmt_count(v) if np.isfinite(v) else "not identified"),
        "N̂ pooled": t["nhat_pooled"].map(fmt_count),
        "pooled interval": [fmt_interval(a, b) for a, b in zip(t["lower_pooled"], t["upper_pooled"])],
    })
    comps = pool.get("variance_components") or {}
    sds = ", ".join(f"{k} {math.sqrt(_f(v)):.2f}" for k, v in comps.items() if v is not None)
    iv = pool.get("interval") or {}
    facts = [
        ("model", "list effects vary by stratum as random effects (mixed-effects log-linear model); list x list "
                  "terms as in the chosen model: " + (", ".join(pool.get("fixed_list_interactions") or []) or "none")),
        ("standard deviation of the list x covariate effects (log scale)", sds or "–"),
        ("interval", f"{_f(iv.get('level', 0.95)):.0%} parametric bootstrap, {fmt_count(iv.get('reps'))} replicates, "
                     f"seed {iv.get('seed')}"),
    ]
    return {"facts": facts,
            "table": _view("pooling", shown, t, "pooling.csv", numeric=["registered", "N̂ (this run)",
                                                                        "N̂ each stratum alone", "N̂ pooled"])}


def _km_table(t: pd.DataFrame, *, offence: str, events: str, censored: bool, naive: bool) -> pd.DataFrame:
    """A Kaplan–Meier table of repeat victimisation as shown (revictimisation.csv, its first-offence table).

    `offence` and `events` are the headers of the offence and event columns; `censored` and `naive` add those
    columns (the first-offence table has neither).
    """
    cols: dict[str, Any] = {
        "group": _text(t["group"]), "level": t["level"].map(_as_label), offence: _text(t["offence"]),
        "within (years)": t["k_years"].map(lambda v: f"{_f(v):g}"),
        "persons": t["persons"].map(fmt_count), events: t["events"].map(fmt_count),
    }
    if censored:
        cols["censored"] = t["censored"].map(fmt_count)
    cols["cumulative share"] = t["cumulative"].map(fmt_pct)
    cols["interval"] = [fmt_interval(a, b, fmt_pct) for a, b in zip(t["lower"], t["upper"])]
    if naive:
        cols["naive share"] = t["naive"].map(fmt_pct)
    return pd.DataFrame(cols)


def _revictimisation_section(run: Run) -> dict | None:
    r, c = run.revictimisation, run.revictimisation_curve
    if r is None and c is None:
        return None
    out: dict[str, Any] = {"plots": []}
    ks: list[float] = []
    if r is not None:
        shown = _km_table(r, offence="later offence", events="re-victimised", censored=True, naive=True)
        out["table"] = _view("revictimisation-table", shown, r, "revictimisation.csv",
                             numeric=["persons", "re-victimised", "censored", "cumulative share", "naive share"])
        ks = sorted(set(pd.to_numeric(r["k_years"], errors="coerce").dropna().tolist()))
        out["k"] = ", ".join(f"{k:g}" for k in ks)
    fo = run.revictimisation_first
    if fo is not None:
        shown = _km_table(fo, offence="first later offence", events="first offence of this kind", censored=False,
                          naive=False)
        out["first"] = _view("revictimisation-first", shown, fo, "revictimisation_first_offence.csv",
                             numeric=["persons", "first offence of this kind", "cumulative share"])
    if c is not None and len(c):
        c = c.copy()
        for col in ("time_years", "cumulative", "lower", "upper"):
            c[col] = pd.to_numeric(c[col], errors="coerce")
        c["group"] = _text(c["group"])
        c["level"] = c["level"].map(_as_label)
        c["offence"] = _text(c["offence"])
        overall = c["group"].isin(["total", "all", ""])
        k_line = max(ks) if ks else None

        def curves(d: pd.DataFrame, label) -> list:
            """(label, rows) per (group, level, offence) of a curve table, any offence first."""
            keys = list(dict.fromkeys(zip(d["group"], d["level"], d["offence"])))
            keys.sort(key=lambda k: (k[2] not in ("any", "all", ""), k))  # "any later offence" first
            return [(label(*k), d[(d["group"] == k[0]) & (d["level"] == k[1]) & (d["offence"] == k[2])])
                    for k in keys[:8]], len(keys)

        by_offence, n1 = curves(c[overall], lambda g, lv, off: "any offence" if off in ("any", "") else off)
        if by_offence:
            out["plots"].append({"uri": plots.step_curves_plot(by_offence, k_years=k_line),
                                 "caption": "All persons, by kind of later offence"
                                 + (f" ({len(by_offence)} of {n1} curves)" if n1 > len(by_offence) else "")})
        sub = c[~overall & c["offence"].isin(["any", "all", ""])]
        by_group, n2 = curves(sub, lambda g, lv, off: f"{g} = {lv}")
        if by_group:
            out["plots"].append({"uri": plots.step_curves_plot(by_group, k_years=k_line),
                                 "caption": "Any later offence, by subgroup"
                                 + (f" ({len(by_group)} of {n2} curves)" if n2 > len(by_group) else "")})
        out["curve_csv"] = _csv_uri(run.revictimisation_curve)
    return out


def _revictimisation_about(info: dict | None, *, with_run: bool) -> list[tuple[str, str]]:
    """Settings of the repeat-victimisation tables (``revictimisation.json``) for "About this run"."""
    if not info:
        return []
    st = info.get("settings") or {}
    out: list[tuple[str, str]] = []
    if with_run:  # the folder's own version and date are the estimate's; these are the tables'
        out.append(("repeat victimisation: darkfigure version, run date",
                    f"{info.get('darkfigure_version') or '–'}, {info.get('run_date') or 'not recorded'}"))
    if st.get("end_of_followup") is not None:
        out.append(("repeat victimisation: end of follow-up", str(st["end_of_followup"])))
    ks = st.get("k_years")
    if ks is not None:
        ks = ks if isinstance(ks, list) else [ks]
        out.append(("repeat victimisation: within (years)", ", ".join(f"{_f(k):g}" for k in ks)))
    if st.get("level") is not None:
        out.append(("repeat victimisation: confidence level", fmt_pct(st["level"], 0)))
    if "covariates" in st:
        out.append(("repeat victimisation: subgroups (covariates)", ", ".join(map(str, st["covariates"] or []))
                    or "none"))
    cols = [(lab, st.get(k)) for k, lab in (("id_col", "person id"), ("date_col", "first registration"),
                                           ("later_date_col", "later date"), ("offence_col", "offence"))]
    if any(v for _, v in cols):
        out.append(("repeat victimisation: columns", ", ".join(f"{lab} {v!s}" for lab, v in cols if v)))
    if st.get("persons") is not None:
        out.append(("repeat victimisation: persons", fmt_count(st["persons"])))
    if st.get("later_victimisations") is not None:
        out.append(("repeat victimisation: later victimisations counted", fmt_count(st["later_victimisations"])))
    return out
