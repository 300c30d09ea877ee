"""Plain-words explanations of the warnings an estimate from a link folder prints that the main catalogue
(:mod:`darkfigure.report.explain`, at its 600-line limit) lacked (tester report 15a, L2): those ``link`` passes on
(:mod:`darkfigure.linkage.date_conflicts`, :mod:`darkfigure.linkage.undated_namesakes`,
:mod:`darkfigure.linkage.placeholder_names`, :mod:`darkfigure.linkage.undated_mechanism`), those of the linkage draws, of the table's repeated rows
(:mod:`darkfigure._history_checks`), of the heterogeneity check and of the bootstrap's tail replicates. Appended
after the main catalogue's entries, so that none of its matches changes.
"""

from __future__ import annotations

from .explanation import Explanation

__all__ = ["LINKAGE_EXPLANATIONS"]

LINKAGE_EXPLANATIONS: tuple[Explanation, ...] = (
    Explanation(
        "table-repeated-rows",
        r"row\(s\) of the table repeat an earlier row",
        "Rows of the table repeat a capture pattern",
        "Some rows hold the same capture pattern and covariate values as an earlier row; their counts were added up. "
        "That is right for separate counts of one pattern (two regions, two sources), but a row typed or pasted "
        "twice is counted twice and makes N̂ too high.",
        "Look at the two rows the message names: remove a repeat, or add the column that tells them apart.",
    ),
    Explanation(
        "link-date-conflicts",
        r"share first name, surname, sex and nationality but have dates of\s+birth more than two months apart",
        "Same names with dates of birth far apart",
        "More pairs of registrations share the whole name but not the date of birth than people who merely share a "
        "name would give. Either one person was registered under two dates (then their registrations were not "
        "joined and N̂ is too high), or names recur as whole names (families), which is harmless.",
        "Check a sample of these pairs by hand; if they are one person, correct the dates or say how often dates "
        "are wrong, and link again.",
    ),
    Explanation(
        "link-date-check-refused",
        r"the date check estimated that .* of true matches carry wholly different",
        "Date check not applied",
        "The share of wrong dates of birth the check would need to explain the same-name pairs is too large to be "
        "date errors, so the linkage kept its own assumption; the pairs may come from names that recur, or from "
        "organisations whose names are written differently.",
        "Check a sample of the same-name pairs with far-apart dates by hand before trusting N̂ as linked.",
    ),
    Explanation(
        "link-undated-namesakes",
        r"without a date of birth .* carry a name that two or more persons",
        "Registrations without a date of birth among namesakes",
        "Many registrations without a date of birth carry a name several dated persons share: the linkage cannot "
        "tell which of them each belongs to and often leaves them as persons of their own, so N̂ as linked is "
        "probably too high.",
        "Ask the organisations for the missing dates of birth (or another identifier) and link again; treat N̂ as "
        "an upper value until then.",
    ),
    Explanation(
        "link-undated-cluster-in-persons",
        r"missing dates of birth cluster in persons",
        "Missing dates of birth belong to persons, not registrations",
        "Registrations without a date of birth share their name with other undated registrations of other "
        "organisations far more often than chance: some persons (for instance victims without documents) lack a "
        "date everywhere. The linkage correction assumes a missing date says nothing about being registered "
        "again, so it joins these registrations to dated namesakes too often, and N̂ corrected is probably too "
        "low (about 10% on synthetic registrations with 20% undated, half of them persons undated everywhere).",
        "Publish the interval, not the point: the truth probably lies between N̂ corrected and N̂ as linked. Ask "
        "the organisations for the missing dates of birth (or another identifier) and link again.",
    ),
    Explanation(
        "link-placeholder-names",
        r"have a placeholder for a name",
        "Placeholder names read as missing",
        "Some names were words such as 'Unknown' or 'NN' that stand for a missing name; they were read as missing, "
        "so they do not link different persons, but those registrations link less surely.",
        "Ask the organisation to leave unknown names empty; check the examples are not real names.",
        "note",
    ),
    Explanation(
        "link-quality-below-target",
        r"against the truth column the linkage is below the target",
        "Linkage below target against the truth",
        "With the known true persons the linkage misses or joins too many registrations; a low recall (missed "
        "links) makes N̂ as linked too high, a low precision too low. The correction for linkage error only "
        "covers the errors its model expects.",
        "Do not publish from this linkage; improve the data (dates of birth, names) or the linkage settings first.",
    ),
    Explanation(
        "link-error-count-vs-truth",
        r"the model expected [\d,.]+ (false|missed) links, the truth column shows",
        "Expected link errors disagree with the truth",
        "The linkage model's own count of its errors differs from the true count by more than a factor two, by "
        "more than 2% of the links and beyond chance, so the linkage-corrected N̂ and its interval rest on a wrong "
        "error model.",
        "Treat the linkage correction as unreliable here; look at the missed or false links against the truth.",
    ),
    Explanation(
        "linkage-decides",
        r"the linkage decides the answer",
        "The linkage decides the answer",
        "Redrawing the linkage from its own uncertainty moves N̂ by more than chance: N̂ depends on linkage "
        "decisions the data cannot settle. The published interval is widened to cover both.",
        "Publish the widened interval, and improve the linkage (more identifying fields) to narrow it.",
    ),
    Explanation(
        "linkage-decides-subgroups",
        r"subgroup row\(s\) the linkage draws are shifted",
        "The linkage decides some subgroups",
        "In the subgroups named the linkage draws move N̂ by more than chance although the total's do not: those "
        "rows depend on linkage decisions; their intervals were widened.",
        "Publish those subgroups' widened intervals, and say that their estimates depend on the linkage.",
    ),
    Explanation(
        "linkage-interval-came-out-narrower",
        r"came out narrower than the interval as linked",
        "Interval with linkage uncertainty came out narrower",
        "In some rows the interval that adds linkage uncertainty was narrower than the one without it, beyond "
        "what the random draws explain; the wider of the two is published.",
        "Raise --linkage-draws and --linkage-reps to make these intervals steadier.",
        "note",
    ),
    Explanation(
        "heterogeneity-tested-on-bic",
        r"heterogeneity: tested on the BIC choice",
        "Heterogeneity tested on the simpler model",
        "The check for a hard-to-reach group was run on the simpler model BIC chose, because the extra list "
        "interactions of the model chosen by AIC absorb part of what the check looks for.",
        "Read the heterogeneity result with that model in mind; compare heterogeneity models (darkfigure compare).",
        "note",
    ),
    Explanation(
        "heterogeneity-alike-dependence",
        r"heterogeneity: common pairwise interaction z",
        "Signs of a hard-to-reach group",
        "Every pair of lists overlaps more than independence allows, and persons on many lists are too many: the "
        "mark of a group every list is less likely to register. N̂ is then probably too low; the message gives N̂ "
        "with a heterogeneity term.",
        "Add covariates that explain who is registered, and compare heterogeneity and latent-class models.",
    ),
    Explanation(
        "columns-not-used",
        r"not used: persons are counted over them",
        "Columns summed over",
        "The table has columns that were named neither as lists nor as covariates (a link folder's sex, when "
        "estimating by other covariates): the persons are counted together over their values, and N̂ is not "
        "broken down by them.",
        "Nothing, unless you want N̂ by these columns too: then name them with --covariates.",
        "note",
    ),
    Explanation(
        "bootstrap-few-tail-replicates",
        r"bootstrap replicates lie beyond each end",
        "Interval ends rough: few bootstrap replicates",
        "Only a few bootstrap replicates lie beyond each end of the interval, so its ends are rough estimates.",
        "Run again with more replicates (--reps 1000 or more) before publishing the interval.",
        "note",
    ),
)
