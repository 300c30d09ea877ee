"""Warnings and notes in plain words: what each means and what to do about it.

The package's estimators, searches, bootstraps and samplers return their warnings as
sentences (``Estimate.warnings``, the ``warnings`` column of ``compare.csv``, the notes
on the data). Those sentences are precise but terse; a report for a rapporteur's office
also says what a warning means for the number and what the analyst can do. The catalogue
below matches each known warning by a regular expression on its text (see where they are
raised: :mod:`darkfigure.estimation`, :mod:`darkfigure.loglinear.fit`,
:mod:`darkfigure.loglinear.search`, :mod:`darkfigure.loglinear.bootstrap`,
:mod:`darkfigure.loglinear.profile`, :mod:`darkfigure.loglinear.downhill`,
:mod:`darkfigure.heterogeneity`, :mod:`darkfigure.bayes.lcmcr`, :mod:`darkfigure.bayes.dga`,
:mod:`darkfigure.histories`, and the notes of :mod:`darkfigure.monitoring.revictimisation`). A warning
that matches nothing is shown verbatim with a general explanation, never dropped.
"""

from __future__ import annotations

import re

from .explain_linkage import LINKAGE_EXPLANATIONS
from .explanation import Explanation

__all__ = ["Explanation", "EXPLANATIONS", "explain"]


# Order matters: the first match wins, so specific patterns come before general ones.
EXPLANATIONS: tuple[Explanation, ...] = (
    # darkfigure link (linkage_settings.json's warnings)
    Explanation(
        "link-organisation-variants",
        r"organisation names that look like spellings of one organisation",
        "Organisation names that may be one organisation",
        "Each organisation name is a list. If these names are one organisation written two ways, its registrations "
        "were split over two lists that overlap strongly, and every N̂ from these histories is wrong.",
        "Write one name in the 'organisation' column of every file and run link again; leave them if they really "
        "are different organisations.",
    ),
    Explanation(
        "link-file-several-organisations",
        r"holds \d+ organisations in column 'organisation'",
        "One file holds several organisations",
        "Each organisation name in the file became its own list. That is right for a combined export and wrong "
        "when one organisation's file has a second name in some rows.",
        "If the file is one organisation's export, write its one name in every row and run link again.",
    ),
    Explanation(
        "link-no-usable-names",
        r"have no usable name \(first name and surname",
        "An organisation's registrations lack usable names",
        "Without names, these registrations were linked on dates of birth, sex, nationality and registration "
        "dates alone: more links to and from this organisation are missed or false, which biases N̂.",
        "Check the organisation's export (encoding, column order) and run link again with its names.",
    ),
    # partial pooling (estimate --pooling partial; darkfigure.loglinear.pooling)
    Explanation(
        "pooling-no-variation",
        r"partial pooling: the data show no stratum-to-stratum variation",
        "Some list effects pooled completely",
        "For these lists the data show no more difference between subgroups than chance would give, so the pooled "
        "model treats the list as seeing every subgroup alike (its variance component is 0). With few subgroups "
        "this can also mean the data are too thin to show a real difference.",
        "Compare the pooled and stratified columns; with few subgroups, read the pooled figures as leaning on the "
        "assumption that subgroups are seen alike.",
        "note",
    ),
    Explanation(
        "pooling-few-levels",
        r"partial pooling: variance component\(s\) estimated from fewer than",
        "Pooling rests on few subgroups",
        "How far the pooled model lets each subgroup's list effects differ is estimated from the subgroups "
        "themselves. With a covariate of 2-4 levels that is 2-4 values: the estimate is crude and often 0, "
        "and then the pooled figures and their interval assume the subgroups are seen alike instead of "
        "showing it; the pooled interval can then be much narrower than the unpooled one.",
        "Pool over covariates with more levels (or their combination), and report the unpooled figures beside "
        "the pooled ones for these covariates.",
    ),
    Explanation(
        "pooling-stratified-not-identified",
        r"partial pooling: the fully stratified fit",
        "Some subgroups are too small for their own estimate",
        "Fitting every subgroup's list effects on its own gives no finite N̂ for some subgroups (a list registered "
        "none of them, or the lists share none of them). The pooled estimate still exists because it borrows the "
        "list effects from the other subgroups. A total or margin that includes such a subgroup has no "
        "stratified figure either; the other subgroups keep theirs.",
        "Report the pooled figures for these subgroups, and say that they lean on the other subgroups.",
        "note",
    ),
    Explanation(
        "pooling-not-converged",
        r"partial pooling: .*did not converge",
        "The pooled fit did not settle",
        "The mixed-effects fit (or some of its bootstrap refits) did not converge; the pooled figures may be off.",
        "Check the data for subgroups with almost nobody registered; merge such subgroups and run again.",
    ),
    # the notes of the repeat-victimisation tables (darkfigure.monitoring.revictimisation): very specific wording
    Explanation(
        "revict-register-closed-early",
        r"later register's last date is",
        "Follow-up may run past the end of the later register",
        "The end of follow-up is well after the last victimisation in the later register. If that register was "
        "closed (extracted) at its last date, the persons look free of re-victimisation for a time nobody looked "
        "at them: the shares re-victimised within k years come out too low.",
        "Give the date the later register was closed as --end-of-followup. If the register really covers the "
        "whole period and simply has no later events, nothing needs doing.",
    ),
    Explanation(
        "revict-few-at-risk",
        r"persons at risk at k years",
        "Few persons still followed at k years",
        "The Kaplan–Meier share at k years rests on the few persons followed that long: one event more or less "
        "moves it a lot, and its interval is wide.",
        "Report a shorter horizon (k) for these groups, or merge small subgroups.",
    ),
    Explanation(
        "revict-short-follow-up",
        r"follow-up shorter than",
        "Not everyone was followed for k years",
        "Persons registered recently were followed for less than k years. The Kaplan–Meier share uses each "
        "person for as long as they were followed; the naive share (re-victimised within k years ÷ persons) counts "
        "them as never re-victimised and is too low.",
        "Use the Kaplan–Meier share and its interval, not the naive share.",
        "note",
    ),
    Explanation(
        "revict-not-estimable",
        r"nobody followed that long",
        "Horizon beyond the follow-up",
        "Nobody in these groups was followed for k years, so the share within k years cannot be estimated; the "
        "table leaves it empty rather than show a number.",
        "Choose a k within the follow-up (--k-years), or wait for a longer follow-up.",
        "note",
    ),
    Explanation(
        "revict-no-events",
        r"no re-victimisation within",
        "Nobody re-victimised within k years",
        "In these groups no later victimisation was registered within k years: the estimate is 0% and the "
        "log(-log) interval is undefined. The true share may still be above 0, more so in small groups.",
        "Read it as 'none registered', not as 'no risk'; with n persons followed, about 3 ÷ n is a rough 95% "
        "upper bound (the rule of three).",
        "note",
    ),
    Explanation(
        "revict-unknown-persons",
        r"(?:are|is) of (?:a )?persons? not in the victim register",
        "Later victimisations of persons who are not registered victims",
        "The later register holds victims of any crime; only those linked to the victim register can be "
        "re-victimised registered victims, so the others were left out.",
        "Nothing needs doing, unless you expected every row to be linked: then check the person ids of the "
        "two registers.",
        "note",
    ),
    Explanation(
        "revict-before-registration",
        r"dated on or before the person's first registration",
        "Victimisations before first registration not counted",
        "Re-victimisation is counted from the day after first registration; the crime that led to the "
        "registration (often in the police register on the same day) and earlier ones are not re-victimisations.",
        "Nothing needs doing.",
        "note",
    ),
    Explanation(
        "revict-tied-kinds",
        r"several kinds on the day of their first",
        "Several kinds of offence on the same first day",
        "Some persons' first later victimisation was of several kinds on one day; in the table of the first later "
        "offence each person counts once, under the first kind by name.",
        "Nothing needs doing unless the kinds matter: the tables by any offence and by each kind are unaffected.",
        "note",
    ),
    Explanation(
        "revict-covariates-skipped",
        r"not used as (?:a )?covariates?\b",
        "Columns not used as subgroups",
        "Columns of the victim register with many values (ids, names, dates) were not used to form subgroups.",
        "Name the subgroup columns with --covariates if a column was left out by mistake.",
        "note",
    ),
    Explanation(
        "not-identified",
        r"not identified|cannot estimate N|no model with an identified|does not identify N",
        "N̂ is not identified",
        "With this model the data say nothing about how many people no list registered: any number fits "
        "equally well, so no estimate (or no part of the interval) can be given.",
        "Use a simpler model (fewer interactions), drop covariates that split the data thinly, or add a list. "
        "Models on the search path without an identified N̂ are never chosen.",
    ),
    Explanation(
        "chao-lower-bound",
        r"Chao's lower bound",
        "N̂ below the lower bound for heterogeneity",
        "Chao's lower bound (from Chao's Mth model, in which persons differ in how likely they are to be "
        "registered) holds whatever the heterogeneity of registration; the chosen model's "
        "N̂ lies clearly below it. People differ in how likely they are to be registered in a way the model does "
        "not capture (or lists are negatively dependent), so N̂ is likely too low.",
        "Add covariates that explain who is registered, and compare heterogeneity and latent-class models "
        "(darkfigure compare); report the bound next to N̂.",
    ),
    Explanation(
        "residuals-by-lists",
        r"residuals by number of lists",
        "More persons on many lists than the model expects",
        "The model misfits the number of persons registered by exactly 1, 2, 3, ... lists. An excess on many "
        "lists is the mark of unmodelled heterogeneity (a hard-to-reach group that hardly any list sees): N̂ is "
        "then too low.",
        "Add covariates or interactions, and compare heterogeneity and latent-class models (darkfigure compare).",
    ),
    Explanation(
        "path-not-identified",
        r"model\(s\) on the path have no identified|models have no identified N̂|not admissible",
        "Some candidate models could not estimate N",
        "Some models the search looked at have no identified N̂ (their maximum likelihood estimate does not exist). "
        "They are listed without N̂ and are never chosen; the chosen model is not affected.",
        "Nothing, unless the chosen model is itself close to these (then compare methods).",
        "note",
    ),
    Explanation(
        "boundary-replicates",
        r"bootstrap replicates have an MLE on the boundary",
        "Bootstrap samples on the boundary",
        "In some bootstrap samples a pair of lists shared nobody, so their model was fitted as an extended "
        "estimate. N̂ stayed identified in them and they are used for the interval.",
        "Nothing needs doing; if it concerns most replicates, the interval leans on the extended estimates: "
        "compare with another interval method (--ci profile or nonparametric).",
        "note",
    ),
    Explanation(
        "share-nobody",
        r"share nobody|sharing nobody",
        "Lists that share nobody",
        "Two lists have no person in common. A model that lets these two lists depend on each other fits their "
        "overlap as exactly 0 (the 'extended' maximum likelihood estimate); N̂ stays defined but rests on the "
        "assumption that the empty overlap is real.",
        "Check whether the lists really cannot overlap (different regions, periods or kinds of victim) or whether "
        "record linkage missed matches; compare with models without that interaction and with other methods "
        "(darkfigure compare).",
    ),
    Explanation(
        "unobserved-zero",
        r"unobserved cell of .* to 0|fits every unobserved cell as 0",
        "The model says nobody was missed",
        "The chosen model puts the number of unregistered people at 0 in some stratum (its estimate is on the "
        "boundary). The data cannot support such a claim.",
        "Do not report this N̂ as it is: choose a model without the offending interactions, or merge strata.",
    ),
    Explanation(
        "mle-not-exist",
        r"MLE does not exist|MLE may not exist|parameters? going to|parameter diverges",
        "Boundary (extended) estimate",
        "The maximum likelihood estimate does not exist in the usual sense: some combinations of lists are "
        "fitted as 0 (empty cells). The unregistered count can still be identified, as here unless another "
        "warning says otherwise, but it depends on the sparse cells.",
        "Look at which interactions go to minus infinity (named in the message); check the sensitivity of N̂ "
        "to dropping them and to other methods (darkfigure compare).",
    ),
    Explanation(
        "rank-deficient",
        r"rank deficient",
        "Rank-deficient model",
        "Some model parameters cannot be told apart from the observed data.",
        "Use a simpler model or merge sparse covariate levels.",
    ),
    Explanation(
        "poor-fit",
        r"fits the observed table poorly|goodness.of.fit",
        "Poor goodness of fit",
        "The chosen model does not reproduce the observed overlaps of the lists: its assumptions about how the "
        "lists depend on each other (and on the covariates) do not hold, so N̂ may be far off.",
        "Try models with more interactions or covariates that explain the differences in registration "
        "(heterogeneity), and compare methods (darkfigure compare); report the spread, not one number.",
    ),
    Explanation(
        "no-list-in-subgroup",
        r"no records in a subgroup",
        "A list registered nobody in a subgroup",
        "A list has no records for some covariate level or year. If that list could not register that subgroup "
        "(it did not exist that year, or does not see that form of exploitation) it is a structural zero; "
        "otherwise it is a chance zero.",
        "If the list could not register them, declare it in a structural zeros file (--structural-zeros, columns "
        "list,covariate,level) so those cells leave the model.",
    ),
    Explanation(
        "em-imputed",
        r"unknown covariate values",
        "Unknown covariate values were imputed",
        "Some persons lacked a covariate value. They were kept, and the EM algorithm shared them out over the "
        "possible values, assuming the values are missing at random given the lists and the known covariates. "
        "Subgroup counts include these expected shares.",
        "Check that the assumption is plausible (a value missing more often on one list is fine; missing because "
        "of the value itself is not); compare with --missing drop.",
    ),
    Explanation(
        "em-search",
        r"model search with EM",
        "The model search with imputed values did not settle",
        "With imputed covariate values the model search was repeated on the completed table and did not reach "
        "the same model twice; the last model is used.",
        "Compare the models on the search path; fix a model (--model) if the choice matters.",
    ),
    Explanation(
        "few-replicates",
        r"only \d+ bootstrap replicates|too few for a 95%",
        "Few bootstrap replicates",
        "The interval comes from a small number of bootstrap samples, so its ends are rough (they would move "
        "with another seed).",
        "Run again with --reps 1000 (or more) for numbers to publish.",
    ),
    Explanation(
        "replicates-no-n",
        r"replicates gave no finite|replicates had no admissible model|no admissible model for some deletion",
        "Bootstrap samples without an estimate",
        "Some bootstrap samples gave no finite estimate (N̂ unbounded in them): the data identify N only weakly. "
        "They count at the top of the interval, whose upper end is infinite when they are more than its tail.",
        "Publish at most a lower limit when the upper end is infinite; otherwise say that the upper end is fragile, "
        "or prefer a simpler model.",
    ),
    Explanation(
        "lost-list",
        r"drew nobody for some list",
        "A list was empty in some bootstrap samples",
        "A small list drew nobody in some bootstrap samples; those samples were kept.",
        "Nothing needs doing unless it concerns many samples (then the list is too small to model on its own).",
        "note",
    ),
    Explanation(
        "upper-far",
        r"more than 50 times the observed|barely identify N",
        "The data barely identify N",
        "The upper end of the interval is more than 50 times the number registered: the data hardly restrict "
        "how many were missed.",
        "Do not publish the point estimate without its interval; look for more lists or covariates.",
    ),
    Explanation(
        "open-interval",
        r"no upper limit|profile is highest at N = n|stays above the cut-off|lower limit is the number observed",
        "Open-ended or degenerate interval",
        "The profile likelihood does not fall below the cut-off on one side: the interval has no finite upper "
        "limit, or its lower limit is the number registered.",
        "Report the interval as open ('at least ...'); consider a simpler model or more lists.",
    ),
    Explanation(
        "not-converged",
        r"did not converge|not converge",
        "Fit did not converge",
        "The numerical fit stopped before settling: the estimate is unreliable.",
        "Try a simpler model; report the problem if it persists.",
    ),
    Explanation(
        "search-stopped",
        r"stopped after \d+ moves",
        "Model search stopped early",
        "The search reached its limit of moves before finding a local best model.",
        "Read the chosen model with care; compare with the other searches (darkfigure compare).",
    ),
    Explanation(
        "bic-top",
        r"replicates choose among the \d+ admissible models",
        "Bootstrap chooses among the best models only",
        "Each bootstrap sample repeats the model choice among the best models by BIC (as the R package "
        "MultipleSystemsEstimation does), not among all models.",
        "Nothing needs doing.",
        "note",
    ),
    Explanation(
        "rhat",
        r"R-hat|chains disagree|multimodal|multi-modal",
        "Sampler chains disagree (possibly a multimodal posterior)",
        "The MCMC chains of the latent-class model (LCMCR) ended in different places: the posterior may have "
        "several modes, and the reported median and interval are not trustworthy.",
        "Run the sampler longer, with more chains or other seeds, and compare with the other methods.",
    ),
    Explanation(
        "ess",
        r"(?-i:\bESS\b)|effective draws",
        "Too few effective draws",
        "The MCMC draws are strongly correlated, so the interval rests on few independent values.",
        "Run the sampler longer (more samples or thinning) or with more chains.",
    ),
    Explanation(
        "diverged",
        r"diverged",
        "Sampler diverged",
        "The latent-class sampler drove N to its limit: the probability of being missed by every list went "
        "to 1. The posterior is not usable.",
        "Do not use this method's result for these data.",
    ),
    Explanation(
        "truncated",
        r"truncated|posterior mass .* top 1%",
        "Posterior cut off at a limit",
        "Much of the posterior of N lies at the upper limit the method allows: the median and upper quantiles "
        "are too low.",
        "Widen the limit (nmissing or the cap), or treat the result as a lower bound.",
    ),
    Explanation(
        "nobody-missed",
        r"probability .* that nobody was missed",
        "Posterior says nobody may be missed",
        "Model averaging gives weight to graphs that fit the data exactly, which put N at the number registered.",
        "Read the lower end of the interval as the number registered; compare with other methods.",
    ),
    Explanation(
        "bias-large",
        r"asymptotic bias is large",
        "Large bias (heterogeneity model)",
        "Rcapture's bias check says this heterogeneity model's N̂ and standard error are unreliable.",
        "Do not rely on this model; compare with others.",
    ),
    Explanation(
        "negative-set-zero",
        r"negative and set to 0",
        "Parameters set to 0",
        "Some interaction parameters of the heterogeneity model came out negative and were set to 0, as Rcapture "
        "does.",
        "Nothing needs doing; the model was refitted without them.",
        "note",
    ),
    Explanation(
        "sparse",
        r"sparse|small cells?",
        "Sparse cells",
        "Many combinations of lists and covariates have few or no records, so the large-sample approximations "
        "behind intervals and model choice are weak.",
        "Merge covariate levels or leave covariates out; prefer bootstrap intervals.",
    ),
    Explanation(
        "summed-covariates",
        r"summed over",
        "Covariates not used by this method",
        "This method uses the lists only: the covariates were summed over.",
        "Nothing needs doing; differences from the log-linear models with covariates may come from this.",
        "note",
    ),
    Explanation(
        "not-applicable",
        r"not applicable|not available in this version",
        "Method not applicable",
        "This method does not apply to data of this shape (number of lists) and was skipped.",
        "Nothing needs doing.",
        "note",
    ),
    Explanation(
        "failed",
        r"^failed",
        "Method failed",
        "This method stopped with an error on these data; it gives no estimate.",
        "Read the message; the other methods are unaffected.",
    ),
    Explanation(
        "full-list",
        r"registered every observed person|are 1 in every row: they registered all",
        "A list registered every person",
        "Nobody is seen off this list, so capture-recapture cannot tell how many persons it missed: every model puts "
        "N̂ at the number registered, with an interval of zero width. Such a column is most often a covariate or an "
        "export error.",
        "Check the column; if it is not a list, name the lists (--lists). If it is one, N cannot be estimated from "
        "these lists: report the number registered as a minimum.",
    ),
    # the linkage correction (estimate/monitor on a link output folder; darkfigure.pipeline.extras)
    Explanation(
        "linkage-few-replicates",
        r"the interval with linkage uncertainty pools \d+ linkage draws",
        "Interval with linkage uncertainty rests on few replicates",
        "Its ends are percentiles of linkage draws x bootstrap replicates; with fewer of them than the interval as "
        "linked used, they move by chance (Monte-Carlo error) and may even come out narrower.",
        "Raise --linkage-draws (and --linkage-reps) for a figure you publish.",
    ),
    Explanation(
        "linkage-narrower",
        r"is narrower than the interval as linked",
        "Interval with linkage uncertainty narrower than without it",
        "Adding the linkage's uncertainty cannot make N̂ more certain: a narrower interval comes from chance in the "
        "few draws and replicates. darkfigure then publishes the union of the two intervals (widened to the "
        "as-linked interval), so the figure published is never narrower than the one without linkage error.",
        "Raise --linkage-draws and --linkage-reps for an interval with linkage uncertainty of its own.",
    ),
    Explanation(
        "linkage-conditional",
        r"refits the chosen model on every linkage draw",
        "Interval with linkage uncertainty is conditional on the chosen model",
        "The linkage draws refit the model the search chose, so the interval leaves out the uncertainty of the "
        "model choice that the interval as linked carried.",
        "Use the default averaged interval (--ci averaged), whose linkage correction keeps it.",
    ),
    Explanation(
        "linkage-error-free",
        r"taken here as error-free",
        "Linkage taken as error-free",
        "The persons come from a record linkage, but N̂ and its interval treat every link as right: missed links "
        "raise N̂, false links lower it, and the interval does not carry either.",
        "Give the link output folder itself, without --linkage none (or with --linkage correct), for N̂ corrected "
        "for linkage error.",
    ),
    Explanation(
        "lists-guessed",
        r"lists taken to be the 0/1 columns",
        "Lists were recognised automatically",
        "Every 0/1 column was taken to be a list.",
        "If one of them is a covariate coded 0/1 (e.g. sex), name the lists with --lists.",
        "note",
    ),
    Explanation(
        "dropped-list",
        r"dropped list|registered nobody and are left out",
        "Empty lists left out",
        "A list with no records was left out of the model (of the data or of one year).",
        "Check that the list's data were not lost on the way in.",
        "note",
    ),
    Explanation(
        "levels-differ-in-case",
        r"has levels that differ only in case or spaces",
        "One covariate value spelt several ways",
        "Values such as female, Female and FEMALE are read as different levels, so each becomes a subgroup of its "
        "own with its own N̂.",
        "Recode the covariate to one spelling per value and estimate again.",
        "warning",
    ),
    Explanation(
        "identical-lists",
        r"registered exactly the same",
        "Two lists hold the same persons",
        "Two lists registered exactly the same persons, as a list exported twice (or one organisation under two "
        "names) would. As two lists they look perfectly dependent, which distorts every model of their overlap.",
        "Leave one of them out (--lists) unless they truly are two sources.",
        "warning",
    ),
    Explanation(
        "no-manifest",
        r"no darkfigure manifest",
        "Files not confirmed",
        "The folder has no record of the files darkfigure wrote (.darkfigure-outputs.json), so the report cannot "
        "check that its results were not edited or mixed from several runs.",
        "Report the folder the run wrote, or copy it with its hidden files (cp -r).",
        "note",
    ),
    Explanation(
        "duplicate-rows",
        r"duplicate pattern row",
        "Duplicate rows summed",
        "Rows of the input with the same lists and covariates were added together.",
        "Nothing needs doing if the input was meant to be aggregated.",
        "note",
    ),
    Explanation(
        "plot-missing-glyphs",
        r"cannot be drawn with the plots' font",
        "Some characters are not drawn in the plots",
        "The plots' font has no glyph for some characters of the list or category names (e.g. Chinese characters "
        "or emoji); they show as boxes in the plots. The numbers are unaffected, and the tables show the names.",
        "Nothing needs doing: the tables, the CSV files and result.json carry the names as written.",
        "note",
    ),
)

EXPLANATIONS += LINKAGE_EXPLANATIONS  # entries the link-folder estimate needed (tester 15a, L2), after the others
_COMPILED = [(e, re.compile(e.pattern, re.IGNORECASE)) for e in EXPLANATIONS]

UNKNOWN = Explanation(
    "unknown",
    "",
    "Message",
    "This message has no plain-words explanation on file; it is shown as the package wrote it.",
    "Read the message; if it is unclear, ask the analyst who ran the estimate.",
)


def explain(message: str) -> Explanation:
    """The explanation of one warning or note (the first matching entry of :data:`EXPLANATIONS`).

    Parameters
    ----------
    message : str
        The warning's text as the package wrote it.

    Returns
    -------
    Explanation
        :data:`UNKNOWN` (key ``"unknown"``) when nothing matches: the caller shows the
        message verbatim.
    """
    for e, rx in _COMPILED:
        if rx.search(message):
            return e
    return UNKNOWN
