"""Tester report 14a, M1 in "to publish", report.html and the public page: when the linkage draws are shifted from
N̂ as linked beyond their Monte-Carlo error, the statement and the reports say that the linkage decides the answer
(N̂ as linked, the mean over the draws, N̂ corrected, and that the interval covers all three).

Synthetic registrations only (``synthetic_pairs``); no Splink.
"""

import pytest

from synthetic_pairs import below_threshold_run


@pytest.fixture(scope="module")
def shifted(tmp_path_factory):
    """An estimate whose draws join more than the as-linked persons (tests/test_correction_rule.py's ``below_run``:
    a third of the true pairs scored just below the threshold), written to a folder."""
    from darkfigure.estimation import estimate

    run = below_threshold_run()
    e = estimate(run.histories().collapse([]), linkage_run=run, search="none", ci="parametric", reps=100, seed=3,
                 linkage_draws=4, linkage_reps=20, n_jobs=1, assumption_range=None)
    out = tmp_path_factory.mktemp("decides") / "o"
    e.write(out)
    return e, out


def _figures(e):
    lk = e.linkage
    return [f"{v:,.0f}" for v in (lk.nhat_as_linked, lk.nhat_mean_draws, lk.nhat_corrected, lk.lower, lk.upper)]


def test_to_publish_says_the_linkage_decides(shifted):
    e, _ = shifted
    assert e.linkage.shifted and (e.lower, e.upper) == pytest.approx((e.linkage.lower, e.linkage.upper))
    p = e.to_publish()
    s = str(p["statement"])
    assert "linkage-decides" in p["rules"] and p["publish_interval"] is False
    assert "the linkage decides the answer" in s and "covers all three" in s
    for f in _figures(e):
        assert f in s


def test_report_shows_the_mean_over_draws_and_the_same_sentence(shifted):
    from darkfigure.linkage.combine import decides_text
    from darkfigure.report import build_report

    e, out = shifted
    html = build_report(out).read_text(encoding="utf-8")
    lk = e.linkage
    assert "mean over the linkage draws" in html and f"{lk.nhat_mean_draws:,.0f}" in html
    said = decides_text(lk.nhat_as_linked, lk.nhat_mean_draws, lk.nhat_corrected, lk.lower, lk.upper)
    assert said[1:].replace("'", "&#39;") in html or said[1:] in html
    assert 'id="linkage-decides"' in html
    assert "came out narrower; the union is published" not in html  # a shift, not Monte-Carlo width


@pytest.mark.parametrize("lang, words", [("en", "How the records were linked decides the figure"),
                                         ("nl", "Hoe de gegevens zijn gekoppeld bepaalt het cijfer")])
def test_public_page_says_it_in_its_language(shifted, lang, words):
    from darkfigure.report.public import build_public_report

    _, out = shifted
    page = build_public_report(out, out / f"public_{lang}.html", lang=lang).read_text(encoding="utf-8")
    assert words in page
