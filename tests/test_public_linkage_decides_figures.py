"""The public page's ``linkage-decides`` caveat gives its figures (tester report 14a, M1): N̂ as linked, the mean
over the linkage draws and N̂ corrected, rounded as the page rounds its headline, and the interval, in en and nl.
"""

import html
import json
import re

import pandas as pd
import pytest

from shifted_runs import shifted_monitor


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The shifted monitor by year (tests/shifted_runs.py), written."""
    out = tmp_path_factory.mktemp("pubdec") / "m"
    shifted_monitor().write(out)
    return out


def _note(folder, lang) -> str:
    """The text of the page's publish note (where the caveats are)."""
    from darkfigure.report.public import build_public_report

    page = build_public_report(folder, folder / f"public_{lang}.html", lang=lang).read_text(encoding="utf-8")
    # the caveat stands beside the figure (publish-note) or, where the verdict publishes a floor (this run's
    # below-chao), among the verdict's reasons (publish-why)
    m = (re.search(r'<p class="caveat" id="publish-note">(.*?)</p>', page, re.S)
         or re.search(r'<p id="publish-why">(.*?)</p>', page, re.S))
    assert m, "no publish note"
    return html.unescape(re.sub(r"<[^>]+>", "", m.group(1)))


def _number(s: str, lang: str) -> float:
    return float(s.replace("." if lang == "nl" else ",", "").replace(",", "."))


@pytest.mark.parametrize("lang, words", [
    ("en", r"the estimate as linked \(about ([\d,]+)\), the average over the draws of the linkage \(about ([\d,]+)\) "
           r"and the corrected figure \(about ([\d,]+)\) lie further apart than chance explains, and the interval, "
           r"([\d,]+) to ([\d,]+), covers all three"),
    ("nl", r"de schatting zoals gekoppeld \(ongeveer ([\d.]+)\), het gemiddelde over de trekkingen van de koppeling "
           r"\(ongeveer ([\d.]+)\) en het gecorrigeerde cijfer \(ongeveer ([\d.]+)\) liggen verder uit elkaar dan "
           r"toeval verklaart, en het interval, ([\d.]+) tot ([\d.]+), omvat alle drie"),
])
def test_the_caveat_gives_the_three_figures_rounded_as_the_page(folder, lang, words):
    from darkfigure.report.public_rounding import round_figure, round_to_unit

    lk = json.loads((folder / "result.json").read_text())["linkage"]
    assert lk["interval_shifted"] is True
    text = _note(folder, lang)
    m = re.search(words, text)
    assert m, text
    a, mean, corr, lo, hi = (_number(x, lang) for x in m.groups())
    # the headline's figure: the published total row, rounded to the unit its interval supports
    pub = pd.read_csv(folder / "monitor_published.csv", dtype=str, keep_default_na=False).iloc[0]
    fig = round_figure(float(pub["nhat"]), float(pub["lower"]), float(pub["upper"]), lang=lang)
    assert (m.group(3), m.group(4), m.group(5)) == (fig.text, fig.lower_text, fig.upper_text)
    assert m.group(1) == round_to_unit(lk["nhat_as_linked"], fig.unit, lang)
    assert m.group(2) == round_to_unit(lk["nhat_mean_draws"], fig.unit, lang)
    # and independently of the page's code: each within half a unit of its figure, the interval holding them
    for shown, exact in ((a, lk["nhat_as_linked"]), (mean, lk["nhat_mean_draws"]), (corr, lk["nhat_corrected"])):
        assert abs(shown - exact) <= fig.unit / 2 + 1e-9
    assert lo <= min(lk["nhat_as_linked"], lk["nhat_mean_draws"], lk["nhat_corrected"])
    assert hi >= max(lk["nhat_as_linked"], lk["nhat_mean_draws"], lk["nhat_corrected"])
    assert fig.unit >= 10  # rounded: the page shows no more digits than the interval supports


def test_round_to_unit():
    from darkfigure.report.public_rounding import round_to_unit

    assert round_to_unit(2993.9, 100) == "3,000"
    assert round_to_unit(2949.9, 100, "nl") == "2.900"
    assert round_to_unit(12345.0, 1000) == "12,000"
    assert round_to_unit(float("nan"), 10) == "–"
