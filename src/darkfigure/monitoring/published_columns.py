"""What each column of ``monitor_published.csv`` holds and how it was computed (review s17, item 4).

``monitor`` writes the descriptions beside the table as ``monitor_published_columns.csv`` (``column,
description``) and into ``result.json``'s ``monitor`` entry (``published_columns``): a published table comes with
its definitions, as a statistics office publishes a table with its metadata.

Why the visibility needs one. With N̂ corrected for linkage error, ``visibility`` is the persons observed *corrected
for linkage by the rule of N̂* (``observed_corrected`` in monitor.csv) divided by N̂ corrected: persons and N̂ from
one linkage (tester report 16a, finding 4: the as-linked persons over N̂ corrected gave 81% visible where the truth
was 66%). ``observed_corrected`` itself is left out of the published table (monitoring.core.UNPUBLISHED), so there
``observed / nhat`` differs from ``visibility``; recomputing the visibility from the published ``observed`` would
bring back the mixed linkages, so the visibility stays as it is and its definition says so.
"""

from __future__ import annotations

__all__ = ["COLUMNS_FILE", "column_descriptions"]

#: file name of the descriptions, beside monitor_published.csv
COLUMNS_FILE = "monitor_published_columns.csv"

_PLAIN = {
    "group": "the row's group: total, a covariate, or a pair of covariates A:B",
    "level": "the covariate's level (empty for the total; a:b for a pair)",
    "year": "the year (empty: all years together)",
    "observed": "persons registered by at least one list{linked}; <{k} when fewer than {k}, x when suppressed",
    "nhat": "N̂, the estimated number of persons{corrected}",
    "lower": "lower end of N̂'s {level} interval",
    "upper": "upper end of N̂'s {level} interval (inf: no upper limit)",
    "visibility": "{visible} (3 decimals)",
    "visibility_lower": "lower end of the visibility's interval: the same persons divided by N̂'s upper end (where "
                        "the interval joins the linkage draws' and the as-linked one, each end over the persons of "
                        "its own linkage)",
    "visibility_upper": "upper end of the visibility's interval: the same persons divided by N̂'s lower end (joined "
                        "as the lower end)",
    "rate_per_100k": "N̂ per 100,000 of the population table's population (SDG 16.2.2)",
    "rate_lower": "the rate from N̂'s lower end",
    "rate_upper": "the rate from N̂'s upper end",
    "nhat_as_linked": "N̂ from the persons as linked, taking the linkage as error-free",
    "nhat_mean_draws": "the mean N̂ over the linkage draws",
    "interval_shifted": "True when the linkage draws are shifted from N̂ as linked beyond their Monte-Carlo error: "
                        "the interval then covers N̂ as linked, the draws' mean and N̂ corrected",
    "width_share_linkage": "share of the interval's width due to linkage error",
    "nhat_rounded": "N̂ rounded as the public page prints it (to the precision its interval supports)",
    "lower_rounded": "the interval's lower end rounded outward as the public page prints it",
    "upper_rounded": "the interval's upper end rounded outward as the public page prints it",
    "to_publish": "present only when the run's verdict (result.json to_publish) does not publish N̂ as it stands: "
                  "the rule, and what it publishes instead (a range or a floor for the total, or no figure); do not "
                  "publish the rows' N̂ and intervals as they stand",
}


def column_descriptions(columns, corrected: bool, threshold: int = 10, level: float = 0.95) -> dict[str, str]:
    """{column: description} for the columns of ``monitor_published.csv``, in their order.

    Parameters
    ----------
    columns : sequence of str
        The published table's columns.
    corrected : bool
        N̂ is corrected for linkage error (monitor.csv has ``observed_corrected``): the visibility's persons are the
        corrected ones, which the published table leaves out (module docstring).
    threshold : int
        The suppression threshold K.
    level : float
        The interval's level.

    Returns
    -------
    dict of str: a description for each column (a column this module does not know: "see monitor.csv").
    """
    if corrected:
        visible = ("share of the persons visible: the persons observed corrected for linkage error by the rule of "
                   "N̂ corrected (monitor.csv's observed_corrected, not published here so that no corrected count "
                   "of a suppressed cell can be worked out), divided by N̂ corrected; persons and N̂ from one "
                   "linkage. It is not observed / nhat of this table: observed is as linked")
        words = {"linked": " (as linked)", "corrected": " corrected for linkage error"}
    else:
        visible = "share of the persons visible: observed / nhat, at most 1"
        words = {"linked": "", "corrected": ""}
    out = {}
    for c in columns:
        text = _PLAIN.get(str(c), "see monitor.csv and the README's monitor section")
        out[str(c)] = text.format(k=threshold, level=f"{level:.0%}", visible=visible, **words)
    return out
