"""Why the methods disagree, and a reasoned headline range (rules in docs/headline_rules.md).

Every multiple systems estimate rests on an assumption about how the lists overlap that
the observed table can only partly test. :func:`headline` takes a :func:`darkfigure.comparison.compare`
table, writes per method the assumption it makes, what the data say about it (goodness of
fit, heterogeneity checks with Chao's lower bound, leave-one-list-out validation,
identifiability) and a verdict (``kept`` or ``dropped: ...``), and from the kept methods a
headline range. Explicit rules, applied in a fixed order, each writing one plain sentence
when it fires — never a vote, never a weighting the reader cannot see:

1. ``no-estimate`` — a method without a finite N̂ (failed, not applicable, no MLE) is left out.
   ``no-interval`` — a method with an N̂ but no interval cannot show how far N may lie from it:
   it never counts toward agreement nor sets an end of the range.
2. ``not-identified`` — an interval with no finite upper limit, or one more than
   ``BARELY_IDENTIFIED`` times the persons observed, cannot narrow a range: left out. When
   such a method's model bounds N only through the data (``OPENS_UPPER``) and the data do not
   contradict it (no poor fit, no failed validation), ``no-upper-limit`` fires after rule 7:
   the headline has no upper end ("at least L"), as ``estimate`` then publishes at most a lower limit.
3. ``poor-fit`` — a model whose deviance rejects it (p < ``GOF_ALPHA`` on a table that is not
   sparse) is contradicted by the data: dropped.
4. ``failed-validation`` — a method whose intervals miss the known list size in most
   held-out lists (Binette & Steorts 2022) and is off by more than ``VALIDATION_LOG_RATIO``:
   dropped.
5. ``below-chao`` — when the checks detect heterogeneity and the lists show no negative
   dependence, a method whose N̂ lies more than ``CHAO_Z`` standard errors below Chao's lower
   bound (Chao 1987; Rivest & Baillargeon 2007) is dropped, and ``chao-raise`` lifts the low
   end of the headline to the bound's lower limit.
6. ``chao-vs-negative-dependence`` — when the bound lies above a log-linear N̂ but lists that
   should overlap share nobody (or a pairwise interaction is significantly negative), the data
   cannot tell heterogeneity from negative dependence: nobody is dropped for it, the bound's
   interval joins the range and the headline says the data cannot choose.
7. ``two-lists`` / ``agree`` / ``cannot-choose`` / ``none-kept`` — the headline spans the kept
   methods' intervals; with 2 lists it says their agreement checks nothing (they are
   essentially the same 2-list model); otherwise whether they overlap (agree) or not (the
   data cannot choose between their assumptions), or that no method survived (then the span
   of every identified method, with that warning).

:func:`publish_statement` applies the same rules to one :class:`~darkfigure.estimation.Estimate`
and its checks: what to publish from ``darkfigure estimate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _dist as stats  # chi2.ppf without importing scipy.stats (0.4–0.9 s)
from .evidence import (
    _CHECK_WORDS,
    BARELY_IDENTIFIED,
    CHAO_Z,
    GOF_ALPHA,
    SPARSE_FACTOR,
    _fmt,
    chao_bound,
    format_p,
    goodness_of_fit,
    negative_dependence,
)
from .histories import CaptureHistories
from .method_assumptions import _LOGLINEAR, ASSUMPTIONS, HOMOGENEOUS, OPENS_UPPER  # noqa: F401
from .publish import publish_statement

__all__ = [
    "ASSUMPTIONS",
    "Headline",
    "headline",
    "range_text",
    "annotate",
    "goodness_of_fit",
    "chao_bound",
    "negative_dependence",
    "publish_statement",
    "format_p",
]

#: validation fails when fewer than this share of held-out lists is covered ...
VALIDATION_COVERAGE = 0.5
#: ... and the median |log(N̂ / |L|)| exceeds this (N̂ off by more than 25% on a typical held-out list)
VALIDATION_LOG_RATIO = float(np.log(1.25))
#: methods the validation does not rerun: LCMCR's sampler takes ~10-40 s per run, k runs are not affordable
NOT_VALIDATED = ("lcmcr",)




def _names(ms) -> str:
    ms = list(ms)
    return ms[0] if len(ms) == 1 else ", ".join(ms[:-1]) + " and " + ms[-1]


@dataclass
class Headline:
    """A headline range and the plain sentences that explain it.

    Attributes
    ----------
    low, high : float or None
        The range to report (persons); both None when no method gives an estimate; ``high``
        None alone when the data set no upper limit (``upper_open``).
    reasons : list of str
        One sentence per rule that fired, in the order the rules apply.
    rules : list of str
        The identifiers of the rules that fired (``poor-fit``, ``agree``, ...; see docs/headline_rules.md).
    kept : list of str
        Methods whose intervals make the range.
    dropped : dict
        ``{method: why}`` for every other row.
    data_can_choose : bool
        False when the kept methods disagree, none survived, heterogeneity and negative
        dependence cannot be told apart, or there are only 2 lists (no check is possible).
    evidence : dict
        The shared checks: Chao's bound, heterogeneity flags, negative dependence, validation summary.
    upper_open : bool
        True when a method the data do not contradict is barely identified (rule ``no-upper-limit``):
        the headline is "at least ``low``" with no upper limit the data support.
    """

    low: float | None
    high: float | None
    reasons: list[str]
    rules: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    dropped: dict = field(default_factory=dict)
    data_can_choose: bool = True
    evidence: dict = field(default_factory=dict)
    upper_open: bool = False

    def to_dict(self) -> dict:
        """Plain JSON-able form: what ``compare.json`` holds under ``headline``."""
        return {"low": self.low, "high": self.high, "reasons": list(self.reasons), "rules": list(self.rules),
                "kept": list(self.kept), "dropped": dict(self.dropped), "data_can_choose": bool(self.data_can_choose),
                "evidence": self.evidence, "upper_open": bool(self.upper_open)}

    def __str__(self) -> str:
        return f"headline: {range_text(self)}\n" + "\n".join(f"- {r}" for r in self.reasons)


def range_text(hl: Headline | dict) -> str:
    """The headline range as printed: ``"L – U"``, ``"at least L, no upper limit the data support"`` or ``"no range"``.

    `hl` is a :class:`Headline` or its :meth:`Headline.to_dict` (``compare.json`` → ``headline``).
    """
    d = hl.to_dict() if isinstance(hl, Headline) else hl
    if d.get("low") is None:
        return "no range"
    if d.get("high") is None or d.get("upper_open"):
        return f"at least {_fmt(d['low'])}, no upper limit the data support"
    return f"{_fmt(d['low'])} – {_fmt(d['high'])}"


def _validation_summary(v: pd.DataFrame) -> dict[str, dict]:
    """Per method: hold-outs with an estimate, how many covered |L|, median |log(N̂/|L|)|."""
    out = {}
    if v is None or not len(v):
        return out
    v = v[v["method"].astype(str) != ""]
    for m, g in v.groupby("method"):
        g = g[np.isfinite(g["log_ratio"].astype(float))]
        with_ci = g[g["covered"].notna()]
        out[str(m)] = {
            "held_out": int(len(g)),
            "with_interval": int(len(with_ci)),
            "covered": int((with_ci["covered"] == True).sum()),  # noqa: E712 (object column of bools)
            "median_abs_log_ratio": float(g["log_ratio"].abs().median()) if len(g) else None,
        }
    return out


def run_validation(h: CaptureHistories, methods, *, seed: int | None, reps: int, **options) -> pd.DataFrame | None:
    """Leave-one-list-out validation (:func:`darkfigure.validate.validate`) of `methods`, kept affordable.

    LCMCR is not rerun (``NOT_VALIDATED``), bootstraps use at most 200 replicates, and no
    headline is computed inside (no recursion). None with fewer than 4 lists (a hold-out
    would leave 2 lists, too few for most methods).
    """
    from .validate import validate

    ms = [m for m in methods if m not in NOT_VALIDATED]
    if h.k < 4 or not ms:
        return None
    return validate(h, ms, seed=seed, reps=min(int(reps), 200), headline=False, **options)


def headline(
    table: pd.DataFrame,
    h: CaptureHistories,
    *,
    checks: list[dict] | None = None,
    validation: pd.DataFrame | None = None,
    chao: dict | None | bool = True,
) -> Headline:
    """Apply the headline rules to a :func:`~darkfigure.comparison.compare` table.

    Parameters
    ----------
    table : DataFrame
        ``compare`` output: ``method, nhat, lower, upper, status`` and, where a deviance
        test is defined, ``deviance, df, p_value, sparse``.
    h : CaptureHistories
        The data the methods saw.
    checks : list of dict, optional
        ``Check.to_dict()`` of the log-linear BIC choice (goodness of fit, residuals,
        Chao's bound, heterogeneity): which heterogeneity checks flag.
    validation : DataFrame, optional
        :func:`darkfigure.validate.validate` output for (some of) the methods.
    chao : dict, None or True
        Chao's bound as :func:`chao_bound` returns it (True: compute it; None: none).

    Returns
    -------
    Headline
        Also sets nothing on `table` (see :func:`annotate` for the per-method columns).
    """
    rows = {str(r["method"]): r for _, r in table.iterrows()}
    reasons: list[str] = []
    rules: list[str] = []
    dropped: dict[str, str] = {}
    n_obs = h.n_observed
    if chao is True:
        chao = chao_bound(h)
    val = _validation_summary(validation)
    ev: dict = {"chao_bound": chao, "validation": val}

    def finite(v) -> bool:
        """True when v is a finite real number (None, NaN, ±inf and strings are not)."""
        return v is not None and isinstance(v, (int, float, np.floating)) and bool(np.isfinite(v))

    full = h.full_lists()
    if full:  # N̂ = n is forced for every method (pipeline.checks.unidentified_reason): no range to report
        why = (f"List(s) {', '.join(map(repr, full))} registered every observed person, so the other lists carry no "
               "information about the persons no list saw: N is not bounded above and every method's N̂ equals the "
               f"{n_obs:,} persons registered by force, not by estimate. Report only that at least {n_obs:,} persons "
               "were registered.")
        return Headline(None, None, [why], ["none-kept"], [], {m: "not identified: a list registered everyone"
                                                               for m in rows}, False, ev)
    def lower_only(r) -> bool:
        """True for a row whose N̂ is not identified but whose interval has a lower limit and an upper one beyond
        BARELY_IDENTIFIED x observed (or none): rule 2 judges it (its lower limit may still end the range), never
        as an N̂ (comparison._not_an_estimate leaves its nhat empty; tester 10, F4)."""
        up = r["upper"]
        return (str(r.get("status", "ok")) == "not identified" and finite(r["lower"])
                and isinstance(up, (int, float, np.floating)) and not np.isnan(up)
                and (np.isinf(up) or up > BARELY_IDENTIFIED * max(n_obs, 1)))

    # 1. no estimate
    none = [m for m, r in rows.items()
            if (str(r.get("status", "ok")) != "ok" or not finite(r["nhat"])) and not lower_only(r)]
    for m in none:  # a sampler whose chains disagree (comparison._lcmcr, tester 15b M3): said, not hidden as "no estimate"
        st = str(rows[m].get("status", "not identified"))
        dropped[m] = ("not converged: its chains disagree (see its warnings), so its N̂ is no estimate" if
                      st == "not converged" else "no estimate (" + st + ")")
    if none:
        rules.append("no-estimate")
        reasons.append(f"{_names(none)} gave no estimate here (not applicable, failed, no MLE, or chains not converged), so "
                       f"{'it is' if len(none) == 1 else 'they are'} left out.")
    live = [m for m in rows if m not in dropped]

    def missing(v) -> bool:
        """True when v is no number at all (None or NaN; ±inf is a number: an open end)."""
        return v is None or not isinstance(v, (int, float, np.floating)) or bool(np.isnan(v))

    # 1b. no interval: an N̂ alone cannot show agreement or set an end of the range (an upper end of +inf is an
    # interval, open above: rule 2 judges it)
    no_iv = [m for m in live if missing(rows[m]["upper"]) or missing(rows[m]["lower"]) and finite(rows[m]["upper"])]
    for m in no_iv:
        dropped[m] = "no interval: an N̂ alone cannot count toward agreement or set the range"
    if no_iv:
        rules.append("no-interval")
        one = len(no_iv) == 1
        reasons.append(
            f"{_names(no_iv)} {'gives' if one else 'give'} an N̂ but no interval here (" + "; ".join(
                f"{m} N̂ {_fmt(rows[m]['nhat'])}" for m in no_iv) + "), so "
            + ("it cannot show" if one else "they cannot show") + " how far N may lie from "
            + ("its" if one else "their") + " N̂: " + ("it neither counts" if one else "they neither count")
            + " toward the agreement of the methods nor " + ("sets" if one else "set") + " an end of the range, and "
            + ("is" if one else "are") + " left out.")
    live = [m for m in live if m not in dropped]
    # 1c. on the boundary: N̂ = n or a zero-width interval says nobody was missed, which no data can show; such a
    # row agrees with anything at n and may not be kept (tester 12b, M4; publish.publish_statement's "degenerate")
    edge = [m for m in live if finite(rows[m]["nhat"]) and rows[m]["nhat"] - n_obs < 0.5
            or finite(rows[m]["lower"]) and finite(rows[m]["upper"]) and rows[m]["upper"] - rows[m]["lower"] < 0.5]
    for m in edge:
        dropped[m] = "not identified: on the boundary (N̂ = the persons observed or a zero-width interval: nobody missed)"
    if edge:
        rules.append("boundary")
        reasons.append(f"{_names(edge)} {'says' if len(edge) == 1 else 'say'} that nobody was missed (N̂ equal to the "
                       f"{n_obs:,} persons observed, or an interval of no width), which the data cannot support, so "
                       f"{'it is' if len(edge) == 1 else 'they are'} left out.")
    live = [m for m in live if m not in dropped]

    def misfit(r) -> bool:
        """True when row r's deviance test rejects its model (gross-misfit rule on sparse tables; docs/headline_rules.md)."""
        if not ("p_value" in r and finite(r["p_value"]) and finite(r["deviance"])):
            return False  # no deviance test for this method
        crit = float(stats.chi2.ppf(1 - GOF_ALPHA, int(r["df"])))
        return r["p_value"] < GOF_ALPHA and (not bool(r.get("sparse", False)) or r["deviance"] > SPARSE_FACTOR * crit)

    def fails_validation(m) -> bool:
        """True when method m's held-out-list intervals mostly miss, by a wide margin (rule 4)."""
        s = val.get(m)
        if not s or s["with_interval"] < 3 or s["median_abs_log_ratio"] is None:
            return False
        return s["covered"] < VALIDATION_COVERAGE * s["with_interval"] and s["median_abs_log_ratio"] > VALIDATION_LOG_RATIO

    # 2. not identified: no finite upper limit, or one beyond BARELY_IDENTIFIED x observed
    weak = [m for m in live if not finite(rows[m]["upper"]) and not np.isnan(rows[m]["upper"])
            or finite(rows[m]["upper"]) and rows[m]["upper"] > BARELY_IDENTIFIED * max(n_obs, 1)]
    # ... of which those whose model the data do not contradict and whose width is the table's, not a mixing form's:
    # under their assumption the data set no upper limit, so the headline may not end below it (no-upper-limit)
    opening = [m for m in weak if m in OPENS_UPPER and not misfit(rows[m]) and not fails_validation(m)]
    for m in weak:
        dropped[m] = "not identified: the data barely identify N under its model" + (
            "; the data do not contradict it, so the headline has no upper end" if m in opening else "")
    if weak:
        rules.append("not-identified")
        one = len(weak) == 1
        reasons.append(
            f"The data barely identify N under {_names(weak)}: "
            + "; ".join(f"{m}'s upper limit is {_fmt(rows[m]['upper']) if finite(rows[m]['upper']) else 'infinite'}"
                        for m in weak)
            + f" (more than {BARELY_IDENTIFIED:g} times the {n_obs:,} persons observed, or none), so "
            f"{'it' if one else 'they'} cannot narrow the range and {'is' if one else 'are'} left out"
            + ("." if not opening else
               " of the agreement; but the data do not contradict "
               + (('it' if one else 'them') if opening == weak else _names(opening))
               + ", so the headline has no upper end (see the last reason)."))
    live = [m for m in live if m not in dropped]
    # 3. poor fit
    bad = [m for m in live if misfit(rows[m])]
    for m in bad:
        # the deviance itself is in the method's evidence; the verdict does not repeat it
        dropped[m] = "poor fit (its deviance test rejects the model, see fit)"
    if bad:
        rules.append("poor-fit")
        if len(bad) <= 3:
            what = "; ".join(f"{m} deviance {rows[m]['deviance']:,.1f} on {int(rows[m]['df']):,} df "
                             f"({format_p(rows[m]['p_value'])})" for m in bad)
        else:  # many: the range of p-values, not every deviance (each is in its method's evidence)
            ps = sorted(bad, key=lambda m: -rows[m]["p_value"])
            def pv(m):
                """Method m's deviance-test p-value as text ('below 1e-16' rather than 0)."""
                q = rows[m]["p_value"]
                return "below 1e-16" if q < 1e-16 else f"{q:.2g}"

            # not "from below 1e-16 (Mth-chao) down to below 1e-16 (M0)" (s24 fresh-clone user, L4)
            top = pv(ps[0])
            what = (f"the deviance tests of these {len(bad)} all give p-values {top}" if top.startswith("below") else
                    f"the deviance tests of these {len(bad)} all give p = {top}" if top == pv(ps[-1]) else
                    f"the deviance tests of these {len(bad)} give p-values from {top} ({ps[0]}) down to "
                    f"{pv(ps[-1])} ({ps[-1]})")
        reasons.append(
            f"The data contradict {_names(bad)}: {what}"
            + f" — below {GOF_ALPHA:g} (on a sparse table: a deviance more than {SPARSE_FACTOR:g} times its critical "
            "value), so the way " + ("this model says" if len(bad) == 1 else "these models say")
            + " the lists overlap does not match the table; " + ("it is" if len(bad) == 1 else "they are") + " dropped"
            + (" (each method's deviance is in its evidence)." if len(bad) > 3 else "."))
    live = [m for m in live if m not in dropped]
    # 4. leave-one-list-out validation
    failed = [m for m in live if fails_validation(m)]
    for m in failed:
        s = val[m]
        dropped[m] = (f"failed validation (covered {s['covered']} of {s['with_interval']} held-out lists; "
                      f"typically off by a factor {np.exp(s['median_abs_log_ratio']):.2f})")
    if failed:
        rules.append("failed-validation")
        reasons.append(
            f"Holding out each list and re-estimating its known size from the others, {_names(failed)} "
            f"missed: " + "; ".join(f"{m} covered {val[m]['covered']} of {val[m]['with_interval']} lists, typically "
                                    f"off by a factor {np.exp(val[m]['median_abs_log_ratio']):.2f}" for m in failed)
            + (" — its assumption fails on these data, so it is dropped" if len(failed) == 1 else
               " — their assumptions fail on these data, so they are dropped") + " (Binette & Steorts 2022).")
    live = [m for m in live if m not in dropped]
    # 5./6. heterogeneity: Chao's lower bound
    flags = {c["name"]: bool(c.get("flagged")) for c in (checks or []) if c.get("computed", True)}
    ev["heterogeneity_flags"] = flags
    detected = [_CHECK_WORDS[n] for n in _CHECK_WORDS if flags.get(n)]
    ev["heterogeneity_detected"] = bool(detected)
    neg = negative_dependence(h, chao["nhat"], checks) if chao else []
    ev["negative_dependence"] = neg
    chao_raise = False
    can_choose = True
    # Chao's bound is Mth Chao's N̂: when that model itself fails its deviance test, every quote of the bound says so
    cwhich = (f" (from Chao's Mth model, whose own fit the table contradicts, {format_p(chao.get('p_value'))}: read the bound "
              "with care)" if chao and chao.get("contradicted") else "")
    if chao and detected:
        below = [m for m in live if m in HOMOGENEOUS and "chao" not in m
                 and (chao["nhat"] - rows[m]["nhat"]) / chao["se"] > CHAO_Z]
        if neg:
            rules.append("chao-vs-negative-dependence")
            can_choose = False
            reasons.append(
                f"Chao's lower bound under heterogeneity is {_fmt(chao['nhat'])} ({_fmt(chao['low'])}–"
                f"{_fmt(chao['high'])}){cwhich} and the checks flag it ({', '.join(detected)}), but {'; '.join(neg)}: "
                "negative dependence, which makes the bound overstate N. The data cannot tell heterogeneity from "
                "negative dependence, so no method is dropped for lying below the bound and the bound's interval "
                "joins the range.")
        else:
            chao_raise = True
            for m in below:
                dropped[m] = f"below Chao's lower bound ({_fmt(rows[m]['nhat'])} < {_fmt(chao['nhat'])})"
            rules.append("below-chao")
            reasons.append(
                f"The checks detect heterogeneity of registration ({', '.join(detected)}) and no list pair shows "
                f"negative dependence, so Chao's lower bound {_fmt(chao['nhat'])} (se {_fmt(chao['se'])}){cwhich} holds: "
                + (f"{_names(below)} assume{'s' if len(below) == 1 else ''} every person equally catchable and "
                   f"{'lies' if len(below) == 1 else 'lie'} more than {CHAO_Z} standard errors below it, so "
                   f"{'it is' if len(below) == 1 else 'they are'} dropped."
                   if below else "no kept method lies below it."))
    live = [m for m in live if m not in dropped]
    # 7. the range
    def span(ms):
        """Lower and upper limits of methods ms (each has an interval: rule 1b): two lists of persons."""
        return [rows[m]["lower"] for m in ms], [rows[m]["upper"] for m in ms]

    def ends(lo_, hi_):
        """The headline's ends made from the kept methods' span lo_–hi_ (hi_ None: open) by the steps below: Chao's
        interval joined (negative dependence), the low end raised to the bound, never below the persons observed."""
        if chao and "chao-vs-negative-dependence" in rules:
            lo_, hi_ = min(lo_, chao["low"]), None if hi_ is None else max(hi_, chao["high"])
        if chao_raise and chao["low"] > lo_:
            lo_, hi_ = float(chao["low"]), None if hi_ is None else max(hi_, chao["low"])
        return max(lo_, float(n_obs)), hi_

    if live:
        lo, hi = span(live)
        low, high = float(min(lo)), float(max(hi))
        # the kept methods' span is the headline only when nothing below moves it (an open upper end, Chao's
        # interval joined or its bound raising the low end): else "they span", so that the one headline range the
        # terminal shows is never stated with other numbers (s24 fresh-clone user: 7,231 and 7,342, M3)
        hl_low, hl_high = ends(low, high)
        whole = not opening and _fmt(hl_low) == _fmt(low) and _fmt(hl_high) == _fmt(high)
        spans = "the headline spans" if whole else "together they span"
        if h.k == 2:
            # every method reduces to (nearly) the same 2-list model: their agreement checks nothing
            can_choose = False
            rules.append("two-lists")
            reasons.append(
                f"With 2 lists the methods left ({_names(live)}) are essentially the same 2-list model (the two "
                "lists independent" + (" within each covariate stratum" if h.covariates else "")
                + "), so their agreement means nothing: no check of the identifying assumption is possible with 2 "
                f"lists, and {'the headline' if whole else 'their span'} {_fmt(low)}–{_fmt(high)} rests on that "
                "assumption alone.")
        elif max(lo) <= min(hi):
            rules.append("agree")
            reasons.append(
                f"{'The one method left' if len(live) == 1 else f'The {len(live)} methods left'} ({_names(live)}) "
                + ("gives" if len(live) == 1 else f"agree: their intervals share {_fmt(max(lo))}–{_fmt(min(hi))}, "
                   f"and {spans}") + f" {_fmt(low)}–{_fmt(high)}.")
        else:
            can_choose = False
            rules.append("cannot-choose")
            a = live[int(np.argmin(hi))]
            b = live[int(np.argmax(lo))]
            reasons.append(
                f"The data cannot choose: {a} ({ASSUMPTIONS.get(a, a)}; N̂ {_fmt(rows[a]['nhat'])}, "
                f"{_fmt(rows[a]['lower'])}–{_fmt(rows[a]['upper'])}) and {b} ({ASSUMPTIONS.get(b, b)}; N̂ "
                f"{_fmt(rows[b]['nhat'])}, {_fmt(rows[b]['lower'])}–{_fmt(rows[b]['upper'])}) both survive the checks "
                "but their intervals do not overlap, so "
                + ("the headline is the wide range they all span," if whole else "they span")
                + f" {_fmt(low)}–{_fmt(high)}.")
    elif opening:
        low, high = np.inf, np.nan  # the range is the open methods' alone (below)
    else:
        pool = [m for m in rows if m not in none and m not in weak and m not in no_iv and m not in edge]
        if not pool:
            rules.append("none-kept")
            why = ("No method gives an identified estimate with an interval, so there is no range to report: "
                   + ("the methods with an N̂ give no interval, and a range needs each one's uncertainty."
                      if no_iv else "the data do not identify N."))
            return Headline(None, None, reasons + [why], rules, [], dropped, False, ev)
        can_choose = False
        lo, hi = span(pool)
        low, high = float(min(lo)), float(max(hi))
        rules.append("none-kept")
        reasons.append(
            f"Every method's assumption is contradicted by some check, so the data cannot choose: the headline "
            f"falls back to the range spanned by every identified method ({_names(pool)}), {_fmt(low)}–"
            f"{_fmt(high)}, and is not fit to publish without a closer look.")
    if opening:
        # the low end holds under the open methods' assumption too: the one rule estimate's 'to publish' uses
        # (publish_floor.unbounded_floor: smallest of these lower limits and Chao's; raised below; tester 12b, M6)
        from .publish_floor import unbounded_floor

        low = unbounded_floor(n_obs, {m: rows[m]["lower"] for m in (*live, *opening) if finite(rows[m]["lower"])},
                              chao or None)[0]
        high = None
    # which interval's lower end the "at least" is: estimate's own may differ (another interval; tester 10, F4)
    low_from = next((m for m in (*live, *opening) if finite(rows[m]["lower"]) and rows[m]["lower"] == low), None)
    new_low, new_high = ends(low, high)
    if chao and "chao-vs-negative-dependence" in rules and not opening and (
            _fmt(new_low) != _fmt(low) or _fmt(new_high) != _fmt(high)):
        reasons.append(f"With the interval of Chao's bound joined, the headline is {_fmt(new_low)}–{_fmt(new_high)}.")
    if chao_raise and chao["low"] > low:
        rules.append("chao-raise")
        reasons.append(
            f"Under the heterogeneity the checks detect, N is at least Chao's lower bound: the low end is raised from "
            f"{_fmt(low)} to the bound's lower limit {_fmt(chao['low'])}.")
    low, high = new_low, new_high
    if opening:
        can_choose = False
        rules.append("no-upper-limit")
        fin = sorted(float(rows[m]["upper"]) for m in opening if finite(rows[m]["upper"]))
        inf = [m for m in opening if not finite(rows[m]["upper"])]
        lim = "; ".join(
            ([f"upper limit {_fmt(fin[0])}" if _fmt(fin[-1]) == _fmt(fin[0]) else
              f"upper limits {_fmt(fin[0])}–{_fmt(fin[-1])}"] if fin else [])
            + ([f"no finite upper limit{' for ' + _names(inf) if fin else ''}"] if inf else []))
        reasons.append(
            f"The data do not contradict {_names(opening)}, and under "
            + ("its assumption" if len(opening) == 1 else "their assumptions")
            + f" the data set no upper limit to N ({lim}): "
            + (f"the narrower intervals of {_names(live)} hold only under their own assumptions, which the data do "
               f"not favour over {'that one' if len(opening) == 1 else 'those'}, so " if live else "")
            + f"the headline has no upper end: at least {_fmt(low)}, with no upper limit the data support"
            + (f" ({_fmt(low)} is the lower end of {low_from}'s {_interval_words(rows[low_from].get('interval'))}; "
               "darkfigure estimate may quote another interval's)"
               if low_from is not None and rows[low_from]["lower"] == low else
               f" ({_fmt(low)} is the lower end of the interval of Chao's lower bound)"
               if chao and low == chao["low"] and low > n_obs else "")
            + ". Publish at most a lower limit."
            + (" With 2 lists no check of the identifying assumption is possible, and this lower limit rests on it "
               "alone." if h.k == 2 and "two-lists" not in rules else ""))
    return Headline(low, high, reasons, rules, live, dropped, can_choose, ev, upper_open=bool(opening))


def _interval_words(kind) -> str:
    """A compare row's interval kind (``profile``, ``parametric``, ``bca``, ``credible``) in words."""
    return {"profile": "profile-likelihood interval", "parametric": "parametric-bootstrap interval",
            "bca": "bootstrap (BCa) interval", "credible": "credible interval"}.get(str(kind), "interval")


def annotate(table: pd.DataFrame, hl: Headline) -> pd.DataFrame:
    """Add the columns ``assumption``, ``evidence`` and ``verdict`` to a compare table (a copy).

    ``evidence`` gathers, per method, the deviance test, the validation summary, N̂ against
    Chao's bound and the interval width; ``verdict`` is ``kept`` or ``dropped: <why>``.
    """
    t = table.copy()
    chao = hl.evidence.get("chao_bound")
    val = hl.evidence.get("validation") or {}
    ev, verdict = [], []
    for _, r in t.iterrows():
        m = str(r["method"])
        parts = []
        if "p_value" in r and r.get("p_value") is not None and np.isfinite(r["p_value"]):
            parts.append(f"fit: deviance {r['deviance']:,.1f} on {int(r['df']):,} df, {format_p(r['p_value'])}"
                         + (" (sparse table: only a gross misfit counts)" if bool(r.get("sparse", False)) else ""))
        elif m in ("lcmcr", "dga"):
            parts.append("fit: no deviance test (Bayesian, averaged over models or classes)")
        if m in val:
            s = val[m]
            parts.append(f"validation: covered {s['covered']} of {s['with_interval']} held-out lists, "
                         f"median |log(N̂/|L|)| {s['median_abs_log_ratio']:.2f}" if s["median_abs_log_ratio"] is not None
                         else "validation: no hold-out estimate")
        elif m in NOT_VALIDATED and val:
            parts.append("validation: not rerun (sampler too slow for one run per list)")
        if chao and np.isfinite(r["nhat"]) and m in HOMOGENEOUS:
            z = (chao["nhat"] - r["nhat"]) / chao["se"]
            parts.append(f"N̂ {abs(z):.1f} se {'below' if z > 0 else 'above'} Chao's bound {_fmt(chao['nhat'])}"
                         + (" (the N̂ of Chao's Mth model, which the table contradicts)" if chao.get("contradicted") else ""))
        if "extended MLE" in str(r.get("warnings", "")):
            parts.append("extended MLE (some cells fitted as 0; N̂ still identified)")
        if np.isfinite(r["lower"]) and np.isfinite(r["upper"]) and r["lower"] > 0:
            parts.append(f"interval: upper limit {r['upper'] / r['lower']:.2f} times the lower")
        elif (np.isfinite(r["nhat"]) or np.isfinite(r["lower"])) and not np.isnan(r["upper"]) \
                and not np.isfinite(r["upper"]):
            parts.append("no finite upper limit")
        elif np.isfinite(r["nhat"]) and str(r.get("status", "ok")) == "ok":
            parts.append("no interval (an N̂ alone)")
        ev.append("; ".join(parts))
        verdict.append("kept" if m in hl.kept else "dropped: " + hl.dropped.get(m, "not used"))
    t["assumption"] = [ASSUMPTIONS.get(str(m), "") for m in t["method"]]
    t["evidence"] = ev
    t["verdict"] = verdict
    return t
