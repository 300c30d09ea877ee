"""What to publish from one estimate: the headline rules applied to an ``Estimate`` and its checks.

:func:`publish_statement` is ``Estimate.to_publish()`` (``result.json``'s ``to_publish``); the
rules are those of :func:`darkfigure.headline.headline` (docs/headline_rules.md, "what to publish").
"""

from __future__ import annotations

import re

import numpy as np

from .evidence import (
    _CHECK_WORDS,
    BARELY_IDENTIFIED,
    GOF_ALPHA,
    _fmt,
    chao_bound,
    format_p,
    goodness_of_fit,
    negative_dependence,
)

__all__ = ["ci_words", "dga_statement", "publish_statement"]

from .heterogeneity_models import MTH_CHAO_WORDS  # noqa: E402
from .publish_caveats import (  # noqa: E402
    conditional_caveat,
    linkage_caveat,
    linkage_lead,
    low_power_statement,
    sensitivity_sentence,
)
from .publish_dga import dga_statement  # noqa: E402 - light module (the dga lean path imports it without SciPy)

#: an Estimate's ``ci_method`` in words, to name the interval whose lower end a statement quotes
_CI_WORDS = {"averaged": "model-averaged parametric-bootstrap interval", "parametric": "parametric-bootstrap interval",
             "nonparametric": "nonparametric-bootstrap interval",
             "nonparametric-conditional": "nonparametric-bootstrap interval", "profile": "profile-likelihood interval"}


def ci_words(method: str | None) -> str:
    """An Estimate's ``ci_method`` in words, e.g. ``"averaged"`` -> "model-averaged parametric-bootstrap interval".

    The terminal, the demo and the statements name an interval by what it is, never by the bare option value (a
    new user read "95% averaged interval" without knowing what was averaged, s23); unknown methods give "interval".
    """
    return _CI_WORDS.get(str(method), "interval")


def publish_statement(est) -> dict:
    """What to publish from one :class:`~darkfigure.estimation.Estimate`: the headline rules on it and its checks.

    Parameters
    ----------
    est : Estimate
        With its ``checks`` (goodness of fit, residuals, Chao's bound, heterogeneity); its
        fit, bootstrap and interval are read too, so that the statement never contradicts
        the run's own warnings (docs/headline_rules.md, "what to publish").

    Returns
    -------
    dict with ``low``, ``high`` (persons; ``high`` None when this run cannot give the upper
    end; both None without an interval), ``statement`` (one plain paragraph), ``rules``
    (identifiers as in docs/headline_rules.md, the caveats ``fit-unclear``,
    ``failed-replicates`` and ``no-interval`` after the rule) and ``publish_interval`` (True
    when N̂'s interval may be published as it stands).
    """
    h = est.histories
    checks = [c.to_dict() for c in est.checks]
    flags = {c["name"]: bool(c["flagged"]) for c in checks if c.get("computed", True)}
    lo, hi, nh = float(est.lower), float(est.upper), float(est.nhat)
    n_obs = int(h.n_observed)
    has_ci = not (np.isnan(lo) and np.isnan(hi))
    # compare refuses a link folder (it has no linkage correction): name what it takes (new-user test s23, finding 3)
    cmp = "darkfigure compare" if getattr(est, "linkage", None) is None else (
        "darkfigure compare on the link folder's histories.csv, which leaves out the linkage correction")
    rng = f"{_fmt(lo)}–{_fmt(hi)}"
    # N̂ with its interval, or N̂ alone when the run computed none (never "N̂ 12,350 (–––)"); the interval named by
    # what it is, as dga's "credible interval" (s23: beside Chao's bound a new user could not tell the two apart)
    kind = ci_words(getattr(est, "ci_method", None)) + (
        " with linkage uncertainty" if getattr(est, "linkage", None) is not None else "")
    nhr = f"N̂ {_fmt(nh)} ({float(getattr(est, 'level', 0.95)):.0%} {kind} {rng})" if has_ci else f"N̂ {_fmt(nh)}"
    low_, high_ = (lo, hi) if has_ci else (None, None)
    fit = est.fit
    if not fit.identified or not np.isfinite(nh):
        return {"low": None, "high": None, "rules": ["none-kept"], "publish_interval": False,
                "statement": "Nothing to publish: the data do not identify N under the chosen model."}
    implausible = implausible_warning(nh, hi)
    if implausible:  # the output check matching the input's (tester 12b, L16): no figure beyond the world's people
        return {"low": None, "high": None, "rules": ["implausible", "none-kept"], "publish_interval": False,
                "statement": f"Nothing to publish: {implausible}."}
    # caveats the run's own warnings raise, said in every statement that keeps N̂
    caveats: list[tuple[str, str]] = []
    boot = getattr(est, "bootstrap", None)
    counts = (getattr(boot, "status_counts", None) or {}) if boot is not None else {}
    failed = int(counts.get("not identified", 0) or 0)
    # replicates whose existence LP failed count as unbounded too (bootstrap.describe_failures), so they are said
    unclassified = int(counts.get("existence check failed", 0) or 0)
    if (failed or unclassified) and has_ci:
        said = [f"{failed} of {boot.n_replicates} bootstrap replicates gave no finite N̂ (the data identify N only "
                "weakly)"] if failed else []
        if unclassified:
            said.append(f"{unclassified} of {boot.n_replicates} {'' if failed else 'bootstrap '}replicates could not "
                        "be classified (the linear program of the existence check failed)")
        caveats.append(("failed-replicates", " and ".join(said) + "; they count as unbounded at the top of the "
                        "interval"))
    if has_ci and boot is not None:  # replicates that claim nobody was missed, kept: the lower limit is theirs
        from .pipeline.unseen_zero import unseen_zero_summary, unseen_zero_words

        zero_said = unseen_zero_words(unseen_zero_summary(boot, lo, n_obs))
        if zero_said:
            caveats.append(("unseen-zero-replicates", zero_said))
    link_said = [str(w)[6:] for w in (getattr(est, "warnings", None) or []) if str(w).startswith("link: ")]
    if link_said:  # `darkfigure link` warned about the persons (tester 11, finding 3): N̂ may be biased by it
        first = link_said[0].split(". ")[0]
        caveats.append(("linkage-warnings", f"the record linkage behind these persons warned that N̂ may be biased "
                        f"({first}{'; and ' + str(len(link_said) - 1) + ' more' if len(link_said) > 1 else ''}: "
                        "see the warnings); resolve it and link again before publishing"))
    shifted = linkage_caveat(est) if has_ci else None
    if shifted is not None:  # the linkage draws moved N̂ beyond their Monte-Carlo error (tester 14a, M1)
        caveats.append(shifted)
    if not has_ci and boot is not None and int(getattr(boot, "n_replicates", 0) or 0) > 0:
        # a bootstrap ran but no interval came of it (e.g. BCa from a handful of replicates): not "no uncertainty"
        caveats.append(("no-interval", f"this run's bootstrap ({int(boot.n_replicates):,} replicates) gave no "
                        "interval for N̂, which a published figure needs: run it again with more replicates "
                        "(1,000) or the profile likelihood"))
    elif not has_ci:
        caveats.append(("no-interval", "this run computed no uncertainty for N̂, which a published figure needs: "
                        "run it again with a bootstrap or the profile likelihood"))
    tab, widened = getattr(est, "estimates", None), None
    if (getattr(tab, "attrs", None) or {}).get("nhat_outside"):
        from .pipeline.interval import outside_limits  # only then: the dga lean path imports this module

        widened = outside_limits(tab, 0)
    if has_ci and widened is not None:  # the interval excluded N̂ and was widened to it (pipeline.interval)
        caveats.append(("interval-widened", f"the interval ({_fmt(widened[0])}–{_fmt(widened[1])}) excluded N̂ "
                        "itself and was widened to include it: the model search is unstable on these data"))
    cond = conditional_caveat(est)
    if cond is not None and has_ci:  # --ci parametric/profile after a search (tester 13a, F3)
        caveats.append(cond)
    gof = None
    dev, df = getattr(fit, "deviance", None), getattr(fit, "df_residual", None)
    if dev is not None and df is not None and int(df) > 0 and "goodness_of_fit" in flags:
        t = getattr(fit, "table", None)
        fitted = fit.fitted[t.observable] if t is not None and getattr(fit, "fitted", None) is not None else None
        gof = goodness_of_fit(dev, int(df), fitted)
    if gof is not None and not flags.get("goodness_of_fit") and not gof["flagged"] and gof["p_value"] is not None \
            and gof["p_value"] < GOF_ALPHA:
        caveats.append(("fit-unclear", f"the deviance test rejects the model (deviance {gof['deviance']:,.1f} on "
                        f"{int(gof['df']):,} df, {format_p(gof['p_value'])}) but the table is sparse, so whether the model "
                        "fits cannot be judged reliably"))

    from .pipeline.first_year import PER_YEAR

    per_year = PER_YEAR in (getattr(est, "notes", None) or ())

    def out(low, high, rules, publish, statement, cav=True):
        """The publish statement as a dict (low/high in persons), with the caveats appended to its sentence."""
        # cav False: the rule replaced the figure, but a missing interval and the linkage's caveats still hold
        # a floor or refusal from linked persons keeps the linkage's own warnings too (tester 19a, H2)
        cs = caveats if cav is True else [c for c in caveats if c[0] in ("no-interval", "linkage-decides",
                                                                         "linkage-warnings")] \
            if cav is False else []
        lead = linkage_lead([c[0] for c in cs], nh, lo, hi, publish is None) if rules[:1] == ["agree"] and (
            publish is None or statement.startswith("Publish")) else None
        if lead:  # never "Publish N̂ …" beside "resolve it and link again before publishing" (tester 18a, M3)
            statement = f"{lead} Apart from the linkage, " + (
                statement[0].lower() + statement[1:] if publish is not None else statement)
        if cs:
            statement += " Caveat: " + "; ".join(c[1] for c in cs) + "."
        if per_year:  # units per person and calendar year (--year registration_year on a link folder)
            statement += (" The total counts person-years: a person registered in two years counts in each; "
                          "the per-year rows are the victims of each year.")
        return {"low": low, "high": high, "rules": rules + [c[0] for c in cs],
                "publish_interval": bool(publish and has_ci and not cs), "statement": statement}

    full = h.full_lists()
    if full:  # N̂ = n forced by a list that registered everyone: no N̂ to quote (pipeline.checks.unidentified_reason)
        from .pipeline.checks import unidentified_reason

        why = unidentified_reason(nh, hi, n_obs, ci_method=getattr(est, "ci_method", None), full_lists=full)
        return out(float(n_obs), None, ["not-identified"], False,
                   f"Do not publish an N̂: {why}. Report only that at least {n_obs:,} persons were registered.",
                   cav=None)  # nothing to compute an interval for: no 'no-interval' caveat (12b, L3)
    # degenerate: the model fits the unseen cell as 0 (N̂ = n), e.g. everybody on every list
    hidden0 = False
    t = getattr(fit, "table", None)
    if t is not None and getattr(fit, "fitted", None) is not None:
        hidden0 = bool(np.any(np.asarray(fit.fitted)[t.hidden] == 0))
    if nh - n_obs < 0.5 or (has_ci and np.isfinite(lo) and np.isfinite(hi) and hi - lo < 0.5):
        return out(float(n_obs), None, ["degenerate"], False,
                   f"Do not publish {nhr}: the model says nobody was missed (N̂ equals the {n_obs:,} persons "
                   "observed"
                   + (", its interval has no width" if has_ci else "") + "), which the data cannot support; they do "
                   "not tell how many persons no list saw, so report only that at least "
                   f"{n_obs:,} persons were registered.",
                   # a bootstrap skipped because N̂ = n was forced (estimation._no_room_above): no interval to ask for
                   cav=None if boot is None and getattr(est, "ci_method", "none") != "none" else False)
    # the house rule: N̂ far above the observed, or a profile interval with no upper limit, is not an estimate
    from .pipeline.checks import unidentified_reason

    why = unidentified_reason(nh, hi, n_obs, ci_method=getattr(est, "ci_method", None))
    if why is not None:
        # the one rule compare's headline uses too (publish_floor; tester 12b, M6), naming its source
        floor, whose = _floor(est, h, lo, flags, checks)
        return out(floor, None, ["not-identified"], False,
                   f"Do not publish N̂ {_fmt(nh)}: the data do not identify N ({why}). Publish at most a lower "
                   f"limit, at least {_fmt(floor)} persons ({whose}; run {cmp} for methods that may "
                   "bound N).", cav=False)
    subs = _unbounded(boot, hi)
    if subs:  # one small subgroup, not the registers as a whole, leaves the total unbounded (tester 12b, H1)
        floor, whose = _floor(est, h, lo, flags, checks)
        res = out(floor, None, ["not-identified", "unbounded-subgroup"], False,
                  f"Publish at most a lower limit, at least {_fmt(floor)} ({whose}): the total has no upper limit "
                  "because subgroup "
                  + ", ".join(f"{s['label']} ({s['observed']:,} person{'' if s['observed'] == 1 else 's'} observed)"
                             for s in subs)
                  + " is too small to bound from above (subgroups without it keep finite intervals)"
                  + _without_words(subs[0], as_linked=getattr(est, "linkage", None) is not None) + ". Merge that level "
                  "with another or drop its persons and rerun (declare a structural zero if a list could not "
                  "register it) to bound the total.", cav=False)
        res["unbounded_subgroups"] = subs
        return res
    # after the bootstrap's own finding (the subgroup that opens the upper end), which names the remedy
    strata = est.full_strata() if hasattr(est, "full_strata") else []
    if strata:  # a stratum not bounded above (a list registered everyone there): the total is a lower bound only
        from .pipeline.full_strata import stratum_statement

        return out(*stratum_statement(strata, nh, lo, has_ci))  # the interval's caveats: its lower end is quoted
    if not np.isnan(hi) and (not np.isfinite(hi) or hi > BARELY_IDENTIFIED * max(n_obs, 1)):
        floor, whose = _floor(est, h, lo, flags, checks)
        return out(floor, None, ["not-identified"], False,
                   f"Publish at most a lower limit, at least {_fmt(floor)} ({whose}): the data barely identify N "
                   f"from above under this model (run {cmp} for methods that may).", cav=False)
    if flags.get("goodness_of_fit") or (gof is not None and gof["flagged"]):
        return out(low_, high_, ["poor-fit"], False,
                   f"Do not publish {nhr} on its own: the chosen model does not fit how the lists overlap; run "
                   f"{cmp}, whose headline weighs the other methods.", cav=False)
    zero = (" The model also claims nobody was missed in some stratum (its unseen cell fitted as 0), "
            "which the data cannot support." if hidden0 else "")
    detected = [_CHECK_WORDS[n] for n in _CHECK_WORDS if flags.get(n)]
    # a check the EM kept from running counts against publishing, never for it (tester 15b, H1); tested before
    # "rests on its model alone", which an EM run whose complete-case refit identifies nothing would otherwise reach
    em_not_run = [c for c in checks if not c.get("computed", True) and (c.get("details") or {}).get("em")
                  and c["name"] in ("goodness_of_fit", "heterogeneity")]
    em_words = (f"Do not publish {nhr} on its own: nothing shows that the chosen model describes how the lists "
                "overlap, because the " + " and ".join(c["name"].replace("_", " ") for c in em_not_run)
                + f" check{'s' if len(em_not_run) > 1 else ''} could not be run with the imputed covariate "
                f"values; run {cmp}, whose headline weighs the other methods." + zero)
    if em_not_run and not detected:  # (with `detected` a rule below that says more returns first, as before)
        _say_not_run(checks, caveats)
        return out(low_, high_, ["checks-not-run"], False, em_words)
    if h.k == 2:
        return out(low_, high_, ["no-checks"], False,
                   f"{nhr} rests on its model alone: with 2 lists no check of the identifying assumption is "
                   "possible (that the two lists are independent" + (" within each covariate stratum"
                                                                      if h.covariates else "")
                   + "; other models give the same table and a different N), so publish it only with that caveat."
                   + zero)
    if not flags:
        return out(low_, high_, ["no-checks"], False,
                   f"{nhr} rests on its model alone: no check of how the lists overlap could be run on these "
                   "data, so publish it only with that caveat." + zero)
    chao = chao_bound(h) if detected and "chao_lower_bound" in flags else None
    too_high = _linkage_says_too_high(link_said) if detected else None
    if too_high:  # split persons look like a hard-to-reach group: no floor from a linkage that inflates N̂ (15a, H3)
        return out(None, None, ["linkage-first"], False,
                   f"Do not publish {nhr}, nor a floor from it: the checks detect heterogeneity "
                   f"({', '.join(detected)}), which would make N̂ too low, but the record linkage warned that N̂ as "
                   f"linked is too high ({too_high}). The two point opposite ways, and persons the linkage split "
                   "look to these checks like a hard-to-reach group: the linkage comes first. Resolve its warnings "
                   "(missing dates of birth: ask the organisations for them, or check a sample of those registrations "
                   "by hand), link again, then estimate again." + zero, cav=None)
    if detected and chao is not None and flags.get("chao_lower_bound"):
        neg = negative_dependence(h, chao["nhat"], checks)
        # two intervals in one sentence: each named by what it is (s23: a new user could not tell them apart)
        cb = (f"Chao's lower bound under heterogeneity, {_fmt(chao['nhat'])} (95% profile-likelihood interval "
              f"{_fmt(chao['low'])}–{_fmt(chao['high'])})")
        if chao.get("contradicted"):
            cb += f" (from {MTH_CHAO_WORDS}; that model itself fits the table poorly, {format_p(chao['p_value'])})"
        if neg:
            start = (f"The range to report starts at N̂'s lower limit {_fmt(lo)}" if has_ci
                     else f"The range to report starts near N̂ {_fmt(nh)}")
            return out(lo if has_ci else None, None, ["chao-vs-negative-dependence"], False,
                       f"{start} and reaches at least {cb}, not {nhr} alone, because the data cannot tell which is "
                       "wrong: N̂ is too low if persons differ in how likely they are to be registered, while the "
                       f"bound is too high if lists are negatively dependent ({'; '.join(neg)}), which the model "
                       "allows for and the bound does not. How far above the bound N may lie this model cannot say: "
                       f"{cmp} gives the headline range with its reasons." + zero)
        return out(chao["low"], None, ["below-chao", "chao-raise"], False,
                   f"Do not publish {nhr}: the checks detect heterogeneity ({', '.join(detected)}) and N̂ lies "
                   f"below {cb}; the range to report starts at the bound's lower limit {_fmt(chao['low'])} and its "
                   f"upper end needs models of heterogeneity ({cmp}).", cav=False)
    if detected:
        floor = (f"publish its lower limit {_fmt(lo)} as a floor" if has_ci and np.isfinite(lo)
                 else "treat it as a floor")
        # "likely too low" claimed more than a one-sided 5% test shows: the README walkthrough's N̂ lay 1.3% above
        # the simulated truth when it flagged, as the simulated population itself does (s24 fresh-clone user, M2)
        alarm = (" (the score tests also flag 3–8% of simulated populations without it)"
                 if flags.get("heterogeneity") else "")
        return out(low_, high_, ["heterogeneity"], False,
                   f"{nhr} may be too low: the checks detect a sign of heterogeneity ({', '.join(detected)}), which "
                   f"biases log-linear N̂ downwards{alarm}; {floor} and take the range from {cmp}." + zero)
    _say_not_run(checks, caveats)
    ran = [_CHECK_WORDS[n] for n in _CHECK_WORDS if n in flags]
    found = ("the checks find no heterogeneity it misses" if "heterogeneity" in flags
             else f"the checks that could be run ({', '.join(ran)}) find nothing it misses")
    weak = _weak_heterogeneity_check(est.checks, has_ci)
    held = _held_by_interval(est.checks, nh, hi) if weak and has_ci else None
    # (not beside hidden0's "only with care", which the public page reads from ["agree"] alone)
    agree = ["agree", "heterogeneity-held-by-interval"] if held and not hidden0 else ["agree"]
    if held:  # the interval already holds the error the weak check is stated for: it is published alone (s15)
        found, weak = held, None
    elif weak:
        found = weak
    why = f"{found} (the identifying assumption — no highest-order interaction — remains untested)"
    fits = "the model fits and " if "goodness_of_fit" in flags else ""
    if hidden0:
        return out(low_, high_, agree, False, f"Publish {nhr} only with care: {why}." + zero)
    if not has_ci:
        return out(low_, high_, agree, False, f"Do not publish {nhr} yet: {fits}{why}.")
    if weak and np.isfinite(lo) and np.isfinite(hi):
        # a check that would miss the heterogeneity of tester 13a's c1 4 times in 5: never a bare "Publish" (F1)
        untested = "(the identifying assumption — no highest-order interaction — remains untested)"
        wl, wh, more, text = low_power_statement(est, nh, lo, hi, weak, fits, untested)
        if failed:  # the too-narrow interval is said too (review): the stronger statement first
            narrow = (f"its interval {rng} is too narrow: {failed:,} of {boot.n_replicates:,} bootstrap replicates "
                      "gave no finite N̂ (the data identify N only weakly)")
            # the sensitivity range replaces the interval (the stronger); without it the known fault leads
            text = (f"{text} Moreover, {narrow}." if "sensitivity-range" in more
                    else f"{narrow[0].upper()}{narrow[1:]}. {text}")
        return out(wl, wh, ["agree", *more], False, text)
    if any(c[0] in ("fit-unclear", "checks-not-run", "conditional-interval") for c in caveats):
        return out(low_, high_, agree, False, f"Publish {nhr} only with the caveats below: {why}.")
    if failed:
        return out(low_, high_, agree, False, f"Publish N̂ {_fmt(nh)} only with the caveat that its interval "
                   f"{rng} is too narrow: {fits}{why}.")
    if linkage_lead([c[0] for c in caveats], nh, lo, hi):  # "Publish" would contradict the linkage's caveats (M3)
        return out(low_, high_, agree, None, f"{fits}{why}.")
    return out(low_, high_, agree, True, f"Publish N̂ {_fmt(nh)} with its interval {rng}: {fits}{why}."
               + sensitivity_sentence(est, lo, hi))


def _say_not_run(checks: list[dict], caveats: list[tuple[str, str]]) -> None:
    """Append the ``checks-not-run`` caveat to `caveats` when goodness of fit or heterogeneity was not computed.

    Never claim a check that was not run (e.g. both with EM-imputed covariates); `checks` are the result's checks
    as dicts (``name``, ``computed``, ``message``).
    """
    not_run = [c for c in checks if not c.get("computed", True) and c["name"] in ("goodness_of_fit", "heterogeneity")]
    if not_run:
        names = " and ".join(c["name"].replace("_", " ") for c in not_run)
        reasons = "; ".join(dict.fromkeys(c["message"].split(" — ", 1)[-1] for c in not_run))
        caveats.append(("checks-not-run", f"the {names} check{'s' if len(not_run) > 1 else ''} could not be run "
                        f"({reasons}), so this statement does not rest on {'them' if len(not_run) > 1 else 'it'}"))


def _linkage_says_too_high(link_said: list[str]) -> str | None:
    """The first of `darkfigure link`'s warnings that says N̂ as linked is too high (missed links), else None.

    `link_said`: the run's ``link: `` warnings without the prefix. The undated-namesake, low-recall and
    date-conflict warnings say "too high"; the truth check says the model expected fewer missed links than the
    truth shows (tester report 15a, H3).
    """
    from .linkage.undated_namesakes import NHAT_TOO_HIGH, NHAT_TOO_LOW

    # a sentence that says both ways (the truth check's "recall …: too high; precision …: too low") is no verdict
    said = [s for w in link_said for s in w.split(". ")
            if NHAT_TOO_HIGH in s.lower() and NHAT_TOO_LOW not in s.lower()]
    said += [w.split(". ")[0] for w in link_said
             if "missed links, the truth column shows" in w.lower() and "under-state" in w.lower()]
    if not said:
        return None
    first = min(said, key=len)  # the plainest of them (the recall sentence, when the truth was given)
    if len(first) <= 240:
        return first
    # too long to quote whole (cut mid-sentence, the quote lost the very words it was quoted for; tester 17a, L9):
    # without its parentheses, else the clause that says "too high", else whole words up to 240 characters
    plain = first
    while True:
        shorter = re.sub(r"\s*\([^()]*\)", "", plain)
        if shorter == plain:
            break
        plain = shorter
    if len(plain) <= 240 and NHAT_TOO_HIGH in plain.lower():
        return plain
    clauses = [c.strip(" (),") for c in re.split(r"[:;(]", first)]
    own = [c for c in clauses if NHAT_TOO_HIGH in c.lower() and 20 <= len(c) <= 240]
    if own:
        return "… " + own[-1]
    return first[:240].rsplit(" ", 1)[0] + " …"


def implausible_warning(nhat: float, upper: float = float("nan")) -> str | None:
    """A sentence when N̂ or its upper limit exceeds the input check's limit (more persons than live on Earth), else None.

    The input check (``_history_checks.MAX_TOTAL_COUNT``, 1e10 persons) refuses counts beyond it; an estimate beyond
    it is as implausible (a misread count column, or a model far off), so it is said and never published.
    """
    from ._history_checks import MAX_TOTAL_COUNT

    big = [f"{what} {_fmt(v)}" for what, v in (("N̂", nhat), ("its upper limit", upper))
           if v is not None and np.isfinite(v) and v > MAX_TOTAL_COUNT]
    if not big:
        return None
    return (f"{' and '.join(big)} exceed{'s' if len(big) == 1 else ''} {MAX_TOTAL_COUNT:.0e} persons, more than live on "
            "Earth: check the count column (an identifier, a sum, a misplaced decimal?) before reading any figure")


def _floor(est, h, lo: float, flags: dict, checks: list[dict]) -> tuple[float, str]:
    """The lower limit to publish when N has no upper limit (:func:`.publish_floor.unbounded_floor`) and its source.

    The candidates are this run's interval's lower end and Chao's lower bound; raised to the bound when the checks
    detect heterogeneity without negative dependence, as compare's headline does.
    """
    from .publish_floor import unbounded_floor

    lk = getattr(est, "linkage", None)
    persons = float(getattr(lk, "persons_corrected", np.nan)) if lk is not None else np.nan
    if np.isfinite(persons):
        # corrected for linkage error: Chao's bound on the persons as linked counts every person the linkage split
        # as two (singletons), so it overstates N (tester 19a, H2: 7,985 from 5,194 persons as linked, 4,470
        # corrected, true N 6,709); the floor is the corrected interval's lower end, at least the persons corrected
        # (review s19, M3: a candidate still, the smallest wins, but never raised to under heterogeneity)
        n = int(round(persons))
        mine = ("the lower end of this run's interval corrected for linkage error (Chao's lower bound on the persons "
                "as linked is never raised to: it counts the persons the linkage split twice)")
        floor, src = unbounded_floor(n, {mine: lo if np.isfinite(lo) and lo >= n else None},
                                     chao_bound(h) if h is not None else None, heterogeneity=False)
        if src == "the persons registered":
            src = "the persons registered, as corrected for linkage error"
        elif src == "Chao's lower bound":
            src = "the lower end of the interval of Chao's lower bound on the persons as linked"
        return floor, src
    chao = chao_bound(h)
    detected = any(flags.get(n) for n in _CHECK_WORDS)
    neg = bool(negative_dependence(h, chao["nhat"], checks)) if chao and detected else False
    mine = f"the lower end of this run's {ci_words(getattr(est, 'ci_method', None))}"
    floor, src = unbounded_floor(int(h.n_observed), {mine: lo if np.isfinite(lo) and lo >= h.n_observed else None},
                                 chao, heterogeneity=detected, negative_dependence=neg)
    if src == "Chao's lower bound":
        src = f"the lower end of the interval of Chao's lower bound {_fmt(chao['nhat'])}"
    return floor, src


def _unbounded(boot, hi: float) -> list[dict]:
    """The subgroups that make the total's upper limit infinite (:func:`.loglinear.unbounded.unbounded_subgroups`)."""
    if boot is None or np.isfinite(hi) or np.isnan(hi) or not hasattr(boot, "labels"):
        return []
    from .loglinear.unbounded import unbounded_subgroups

    return unbounded_subgroups(boot)


def _without_words(sub: dict, as_linked: bool = False) -> str:
    """'; without it the total is N̂ (L–U)' (:func:`.loglinear.unbounded._without_words`); `as_linked`: a run corrected
    for linkage error, whose subgroup figures come from the bootstrap of the persons as linked (tester 19a, H2)."""
    from .loglinear.unbounded import _without_words as words

    w = words(sub)
    return w.replace("without it the total is", "without it the total as linked (before the linkage correction) is",
                     1) if as_linked else w


def _held_by_interval(checks, nh: float, hi: float) -> str | None:
    """The words when the interval already holds the N̂ error of the weak check's reference alternative, else None.

    The reference alternative (:data:`~darkfigure.diagnostics_heterogeneity.HARD_SHARE` of persons hard to reach,
    capture / :data:`~darkfigure.diagnostics_heterogeneity.HARD_FACTOR`) would make N̂ too low by the check's
    ``nhat_error_hard_to_reach`` e (N̂ = N (1 + e)); the interval of such a table would still cover N when
    ``hi (1 + e) >= N̂``, i.e. its upper limit reaches N̂ / (1 + e) (the interval's relative width kept). Then the
    weak check costs nothing the interval does not already allow for, and "to publish" gives the interval alone
    (docs/headline_rules.md: on the project's simulated populations it dropped the range on 0 tables whose interval
    missed N). None when the error is unknown or positive, or the interval does not reach that far.
    """
    from .diagnostics_heterogeneity import HARD_FACTOR, HARD_SHARE, power_text

    het = next((c for c in checks if c.name == "heterogeneity" and c.computed), None)
    details = (getattr(het, "details", None) or {}) if het is not None else {}
    err = float(details.get("nhat_error_hard_to_reach", np.nan))
    power = float(details.get("power_hard_to_reach", np.nan))
    if not (np.isfinite(err) and np.isfinite(nh) and np.isfinite(hi)) or not -1 < err < 0:
        return None
    reach = nh / (1.0 + err)  # N when N̂ is err too low
    if hi < reach:
        return None
    # "only 8% power against 30% of persons hard to reach" said in words (s23 new user, finding 11)
    return (f"the heterogeneity check finds none, and it would detect a hard-to-reach {HARD_SHARE:.0%} of persons "
            f"(registered by every list with 1/{HARD_FACTOR:g} of the others' probability) only {power_text(power)} of "
            "the time (its power), but that "
            f"heterogeneity would make N̂ about {abs(err):.0%} too low, and the interval's upper end {_fmt(hi)} "
            f"reaches the {_fmt(reach)} N would then be; stronger heterogeneity the check cannot see would not be "
            "covered")


#: below this power against the reference alternative (30% hard to reach), "to publish" says what the heterogeneity
#: check could not see instead of "the checks find no heterogeneity it misses" (README, "model checks"); defined
#: beside the check, whose line then says "not detected", not "passed"
from .diagnostics_heterogeneity import LOW_POWER  # noqa: E402


def _weak_heterogeneity_check(checks, has_ci: bool = True) -> str | None:
    """The words for an unflagged heterogeneity check whose power on this table is below :data:`LOW_POWER`, or None.

    `checks`: the run's :class:`~darkfigure.diagnostics.Check` list; the power and the N̂ error are the check's
    ``power_hard_to_reach`` and ``nhat_error_hard_to_reach`` (:func:`darkfigure.diagnostics.heterogeneity_check`).
    """
    from .diagnostics_heterogeneity import HARD_FACTOR, HARD_SHARE, power_text

    for c in checks:
        details = getattr(c, "details", None) or {}
        if c.name != "heterogeneity" or not c.computed or c.flagged or "power_hard_to_reach" not in details:
            continue
        power = float(details["power_hard_to_reach"])
        if not np.isfinite(power) or power >= LOW_POWER:
            return None
        bias = float(details.get("nhat_error_hard_to_reach", np.nan))
        # the error under the one alternative the power is stated for, not a bound on the bias (tester 10, F16)
        moved = (f"; that one alternative would make N̂ about {abs(bias):.0%} {'too low' if bias < 0 else 'too high'}, "
                 "and stronger or other heterogeneity more (the figure is an example, not a bound)"
                 if np.isfinite(bias) else "")
        what = "the interval does not cover" if has_ci else "N̂ does not allow for"
        return (f"the heterogeneity check finds none, but it would detect a hard-to-reach {HARD_SHARE:.0%} of persons "
                f"(registered by every list with 1/{HARD_FACTOR:g} of the others' probability) only {power_text(power)} "
                f"of the time (its power){moved}, so {what} heterogeneity the check cannot detect")
    return None
