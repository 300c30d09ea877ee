"""The warnings a link-folder estimate prints have plain-words explanations in report.html (tester 15a, L2)."""
import pytest

from darkfigure.report import EXPLANATIONS, explain


@pytest.mark.parametrize("message, key", [
    ("3 row(s) of the table repeat an earlier row in its capture pattern: rows 1 and 21 both hold pattern 0,0,1",
     "table-repeated-rows"),
    ("link: 1,040 pairs of registrations share first name, surname, sex and nationality but have dates of birth more "
     "than two months apart, where namesakes would give about 700", "link-date-conflicts"),
    ("link: the date check estimated that 79% of true matches carry wholly different dates of birth (1 pairs)",
     "link-date-check-refused"),
    ("link: 418 of the 739 registrations without a date of birth (57%, above 25%) carry a name that two or more "
     "persons with a date of birth carry too", "link-undated-namesakes"),
    ("link: organisation 'ngo': 1 of its 3,108 registrations have a placeholder for a name ('NN' x 1)",
     "link-placeholder-names"),
    ("link: against the truth column the linkage is below the target of 0.95 (pairwise precision 0.969, recall "
     "0.734)", "link-quality-below-target"),
    ("link: the model expected 1,226.7 missed links, the truth column shows 2,873", "link-error-count-vs-truth"),
    ("the linkage decides the answer: N̂ as linked is 15,551", "linkage-decides"),
    ("in 1 subgroup row(s) the linkage draws are shifted from the as-linked N̂", "linkage-decides-subgroups"),
    ("column(s) sex not used: persons are counted over them (name them with the covariates)", "columns-not-used"),
    ("heterogeneity: tested on the BIC choice among the searched models, a:b", "heterogeneity-tested-on-bic"),
    ("only 5 of 200 bootstrap replicates lie beyond each end of the 95% interval", "bootstrap-few-tail-replicates"),
])
def test_link_folder_warnings_are_explained(message, key):
    e = explain(message)
    assert e.key == key and e.meaning and e.action


def test_keys_stay_unique():
    keys = [e.key for e in EXPLANATIONS]
    assert len(keys) == len(set(keys))
