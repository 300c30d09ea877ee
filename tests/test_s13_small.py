"""Small items of tester report 13a (F6): the LCMCR compile notice's time on a busy machine."""

from darkfigure.bayes import _lcmcr_compile


def test_lcmcr_compile_notice_allows_for_a_busy_machine():
    """184 s at load 8 against "about 1-2 minutes": the notice now says a busy machine takes a few minutes."""
    note = _lcmcr_compile.COMPILE_NOTE
    assert "a few minutes on a busy" in note and "later runs reuse it" in note
