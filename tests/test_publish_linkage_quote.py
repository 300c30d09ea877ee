"""'to publish' quotes the link warning that says N̂ as linked is too high without cutting it mid-sentence (tester 17a, L9)."""

from __future__ import annotations

from darkfigure.publish import _linkage_says_too_high

# the date-conflict warning of `darkfigure link` as tester 17a's run printed it (synthetic registrations)
WARNING = ("1,440 pairs of registrations share first name, surname, sex and nationality but have dates of birth more "
           "than two months apart, where namesakes would give about 1,145; 1,426 of them were kept apart as different "
           "persons. If most are one person under two dates (false documents, a date guessed from an age), the model, "
           "which assumes such dates in 0.6% of true matches (same year and wholly different together), misses these "
           "links: N̂ is then too high and the expected missed links under-count them. If the names recur as whole "
           "names (families, common names), they are namesakes. Check a sample of these pairs by hand.")


def test_long_warning_is_quoted_without_its_parentheses_not_cut():
    q = _linkage_says_too_high([WARNING])
    assert q is not None and len(q) <= 240
    assert not q.endswith("...") and "and the ..." not in q
    assert q.startswith("If most are one person under two dates") and q.endswith("under-count them")
    assert "(" not in q


def test_short_warning_is_quoted_whole():
    w = "recall 0.90 below 0.95: N̂ as linked is too high"
    assert _linkage_says_too_high([w]) == w


def test_link_covariate_named_year_is_refused_with_the_reason():
    """Tester 17a (L10): 'year' among link's covariates is refused and the message says link derives the year."""
    import pytest

    from darkfigure.histories import DataError
    from darkfigure.linkage import simulate_registrations
    from darkfigure.linkage.persons import persons_from_links

    regs = simulate_registrations("clearing_house", seed=3, errors="standard").registrations.groupby("organisation").head(60).copy()
    regs["year"] = "2021"
    with pytest.raises(DataError, match="link writes 'year' itself") as e:
        persons_from_links(regs, regs["true_person_id"], covariates=["sex", "year"])
    assert "--year year" in str(e.value)
