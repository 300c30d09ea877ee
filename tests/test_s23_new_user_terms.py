"""Terms a new user met unexplained in the demo's output (s23): each interval named by what it is, the fit status
"extended" and the search path's symbols in a legend, ψ said in words."""

from __future__ import annotations

import html
import re

import pytest

from darkfigure.evidence import chao_bound
from darkfigure.publish import _CI_WORDS, ci_words


def _flat(text: str) -> str:
    """Output with rich's line wrapping and box borders removed."""
    return re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", text))


def test_ci_words_name_every_method_and_fall_back():
    assert ci_words("averaged") == "model-averaged parametric-bootstrap interval"
    assert ci_words("profile") == "profile-likelihood interval"
    assert all(ci_words(m).endswith("interval") and m not in ("", ci_words(m)) for m in _CI_WORDS)
    assert ci_words(None) == ci_words("no such method") == "interval"


@pytest.fixture(scope="module")
def nl_run(tmp_path_factory):
    """`make demo`'s run (netherlands_2010_2015, seed 1, --report) with fewer replicates: (terminal, report.html)."""
    from typer.testing import CliRunner

    from darkfigure.cli import app

    out = tmp_path_factory.mktemp("s23") / "nl"
    r = CliRunner().invoke(app, ["estimate", "netherlands_2010_2015", "--seed", "1", "--reps", "100", "--out",
                                 str(out), "--report"])
    assert r.exit_code == 0, r.output
    return _flat(r.output), _flat(html.unescape(re.sub(r"<[^>]+>", " ", (out / "report.html").read_text())))


@pytest.fixture(scope="module")
def nl_out(nl_run):
    return nl_run[0]


def test_to_publish_names_both_intervals():
    """Chao's bound and N̂ each with an interval in one sentence: which is which is said (s23)."""
    from darkfigure.datasets import load
    from darkfigure.estimation import estimate

    res = estimate("netherlands_2010_2015", seed=1, reps=100)
    s = res.to_publish()["statement"]
    c = chao_bound(load("netherlands_2010_2015"))
    assert f"{c['nhat']:,.0f} (95% profile-likelihood interval {c['low']:,.0f}–{c['high']:,.0f})" in s
    assert (f"N̂ {res.nhat:,.0f} (95% model-averaged parametric-bootstrap interval {res.lower:,.0f}–"
            f"{res.upper:,.0f})") in s


def test_terminal_explains_status_symbols_and_psi(nl_out):
    out = nl_out
    # the panel: the interval and the fit status in words
    assert "95% model-averaged parametric-bootstrap interval" in out and "95% averaged interval" not in out
    assert "status extended (extended MLE: some cells fitted as 0" in out
    # the legend beneath the search path, naming a pair of these lists and only the statuses the path shows
    legend = out[out.index("step: '+ "):]
    assert re.match(r"step: '\+ [A-Z]:[A-Z]' adds the interaction of lists [A-Z] and [A-Z] \(their dependence\); "
                    r"df: residual degrees of freedom; N̂: estimated total, registered or not; ◀: the chosen model; "
                    r"status ok \(the MLE exists\); status extended \(extended MLE", legend), legend[:400]
    assert "not identified (no finite N̂)" not in legend.split(" model checks")[0]
    # ψ in words where it is printed, and what the 95% figures over the range are
    assert "(ψ: the odds ratio of any two lists among persons all other lists missed)" in out
    assert "95% interval over the whole range" in out and "95% bounds" not in out


def test_report_names_the_interval_and_explains_the_search_path(nl_run):
    page = nl_run[1]
    assert "interval: model-averaged parametric bootstrap (percentile)" in page and "interval: averaged" not in page
    assert ("phase: the criterion of the search's stage; '+ A:B' adds the interaction of lists A and B (their "
            "dependence); status extended: extended MLE") in page


def test_legend_without_an_interaction_step(cli, tmp_path):
    """A path of main effects only: no made-up pair of lists in the legend, and only the status it shows."""
    import pandas as pd

    f = tmp_path / "two.csv"
    pd.DataFrame({"P": [1, 0, 1], "Q": [0, 1, 1], "Freq": [300, 200, 100]}).to_csv(f, index=False)
    out = _flat(cli(["estimate", f, "--seed", "1", "--reps", "200"], code=None))
    assert "df: residual degrees of freedom; N̂: estimated total, registered or not; ◀: the chosen model; status ok " \
           "(the MLE exists)" in out
    assert "step: '+" not in out and "extended MLE" not in out
