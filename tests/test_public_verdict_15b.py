"""Tester report 15b: the public page follows the "to publish" verdict (H2), carries no instructions for the analyst
(M2), and a Dutch-only labels file serves a Dutch page (L5).

One small estimate run (the bundled ``uk_2013`` counts, no person-level data), hand-edited verdicts.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.report.public_rounding import round_range

runner = CliRunner()


def _cli(args, code=0) -> str:
    """Run the command line; assert its exit code; its output."""
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    assert r.exit_code == code, f"exit {r.exit_code} (expected {code}):\n{r.output}"
    return r.output


def _flat(s: str) -> str:
    """The visible text of a page (style sheet and tags removed), whitespace collapsed."""
    s = re.sub(r"<style.*?</style>", " ", s, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", s)))


@pytest.fixture(scope="module")
def est(tmp_path_factory) -> Path:
    """An estimate run folder of the bundled uk_2013 counts."""
    d = tmp_path_factory.mktemp("v15b") / "est"
    _cli(["estimate", "uk_2013", "--seed", "1", "--reps", "50", "--jobs", "1", "--out", d])
    return d


def _with_verdict(est: Path, where: Path, to_publish: dict | None, **edit) -> Path:
    """A copy of `est` under `where` whose result.json has `to_publish` (None: kept) and the entries `edit`."""
    d = where / "run"
    shutil.copytree(est, d)
    res = json.loads((d / "result.json").read_text())
    if to_publish is not None:
        res["to_publish"] = to_publish
    res.update(edit)
    (d / "result.json").write_text(json.dumps(res))
    (d / ".darkfigure-outputs.json").unlink(missing_ok=True)  # a hand-edited file
    return d


@pytest.mark.parametrize("rules, says", [(["poor-fit"], "does not fit"), (["poor-fit", "no-interval"], "does not fit"),
                                         (["agree", "no-interval"], "computed no interval")])
def test_public_page_follows_a_verdict_that_publishes_nothing(est, tmp_path, rules, says):
    """15b H2: "do not publish N̂ ... on its own" gave "Between about 12,000 and 17,000 victims" from the rejected
    model's interval; now no page is written, with the reason and what to do."""
    res = json.loads((est / "result.json").read_text())
    lo, hi = res["interval"]["lower"], res["interval"]["upper"]
    d = _with_verdict(est, tmp_path, {"low": lo, "high": hi, "rules": rules, "publish_interval": False,
                                      "statement": "Do not publish N̂ on its own"})
    for lang in ("en", "nl"):
        out = " ".join(_cli(["report", d, "--audience", "public", "--lang", lang], code=2).split())
        assert "no public page" in out and says in out
        assert ("darkfigure compare" in out) == ("poor-fit" in rules)
        assert not (d / f"report_public_{lang}.html").exists()
    _cli(["report", d])  # the analyst report is still written
    assert (d / "report.html").is_file()


def test_a_comparison_in_the_same_folder_gives_the_key_figure(est, tmp_path):
    """15b H2: with compare.json beside a poor-fit result.json, the page is the comparison's headline."""
    res = json.loads((est / "result.json").read_text())
    d = _with_verdict(est, tmp_path, {"low": res["interval"]["lower"], "high": res["interval"]["upper"],
                                      "rules": ["poor-fit"], "publish_interval": False, "statement": "Do not"})
    lo, hi = 0.61 * res["nhat"], 1.9 * res["nhat"]
    (d / "compare.csv").write_text(f"method,nhat,lower,upper\nMt,{res['nhat']},{lo},{hi}\n")
    (d / "compare.json").write_text(json.dumps({"data": res["data"], "headline": {
        "low": lo, "high": hi, "rules": ["agree"], "kept": ["Mt"], "dropped": {}, "reasons": []}}))
    _cli(["report", d, "--audience", "public", "--lang", "en"])
    page = _flat((d / "report_public_en.html").read_text())
    f = round_range(lo, hi)
    assert f"Between about {f.lower_text} and {f.upper_text} victims." in page
    r = round_range(res["interval"]["lower"], res["interval"]["upper"])
    assert f"Between about {r.lower_text} and {r.upper_text}" not in page


def test_no_analyst_instructions_and_no_claimed_brackets(est, tmp_path):
    """15b M2: no command line on the page; "(95% interval in brackets)" only with an interval in brackets."""
    res = json.loads((est / "result.json").read_text())
    lo, hi = res["interval"]["lower"], res["interval"]["upper"]
    d = _with_verdict(est, tmp_path, {"low": 0.5 * lo, "high": 2 * hi,
                                      "rules": ["agree", "heterogeneity-low-power", "sensitivity-range"],
                                      "publish_interval": False, "statement": "Publish with the range"})
    for lang in ("en", "nl"):
        _cli(["report", d, "--audience", "public", "--lang", lang])
        page = _flat((d / f"report_public_{lang}.html").read_text())
        assert " --" not in page and "darkfigure report" not in page
        assert "darkfigure monitor" not in page and "darkfigure compare" not in page
        assert not re.search(r"publish that range|publiceer dat bereik|Publish the range|Publiceer de bandbreedte",
                             page)
        assert ("a wider range than the figure's interval" in page) == (lang == "en")
    # no interval at all (a verdict that keeps N̂): no claim of brackets
    (d / "report_public_en.html").unlink()
    d2 = _with_verdict(d, tmp_path / "noiv", {"low": None, "high": None, "rules": ["agree"], "publish_interval": True,
                                              "statement": "Publish"},
                       interval={"lower": None, "upper": None, "level": 0.95})
    e = (d2 / "estimates.csv").read_text().splitlines()
    head = e[0].split(",")
    cells = e[1].split(",")
    for k in ("lower", "upper"):
        cells[head.index(k)] = ""
    (d2 / "estimates.csv").write_text("\n".join([e[0], ",".join(cells), *e[2:]]) + "\n")
    for lang, brackets in (("en", "interval in brackets"), ("nl", "tussen haakjes")):
        _cli(["report", d2, "--audience", "public", "--lang", lang, "--overwrite"])
        page = _flat((d2 / f"report_public_{lang}.html").read_text())
        assert brackets not in page and ("About " in page or "Ongeveer " in page)


def test_dutch_labels_serve_a_dutch_page_only(est, tmp_path):
    """15b L5: a labels file with only Dutch labels was refused for --lang nl ("has no label in 'en'")."""
    res = json.loads((est / "result.json").read_text())
    first = (res["data"].get("lists") or list(res["data"]["list_sizes"]))[0]
    lab = tmp_path / "labels.toml"
    lab.write_text(f'[lists]\n{first} = {{ nl = "Eerste register" }}\n')
    d = _with_verdict(est, tmp_path, None)
    _cli(["report", d, "--audience", "public", "--lang", "nl", "--labels", lab])
    assert "Eerste register" in (d / "report_public_nl.html").read_text()
    out = " ".join(_cli(["report", d, "--audience", "public", "--lang", "en", "--labels", lab], code=2).split())
    assert "no label in 'en'" in out


def test_published_table_carries_the_page_rounding():
    """15b M4: monitor_published.csv gave 29086 (26598-31820) where the page said about 29,000 (26,000-32,000); its
    rounded columns now hold the page's figures (round_figure: the half-width's first digit, ends outward)."""
    import numpy as np
    import pandas as pd

    from darkfigure.monitoring import publish
    from darkfigure.report.public_rounding import round_figure

    rng = np.random.default_rng(5)
    n = rng.uniform(800, 40000, size=4)
    half = n * rng.uniform(0.03, 0.4, size=4)
    t = pd.DataFrame({"group": "total", "level": "", "year": ["", "2015", "2016", "2017"],
                      "observed": [3000, 1000, 1200, 800], "nhat": n, "lower": n - 0.8 * half, "upper": n + half})
    t.loc[3, "upper"] = np.inf
    p = publish(t, 10)
    for i in range(3):
        f = round_figure(n[i], t["lower"][i], t["upper"][i])
        assert [p[c][i] for c in ("nhat_rounded", "lower_rounded", "upper_rounded")] == [
            f"{f.value:.0f}", f"{f.lower:.0f}", f"{f.upper:.0f}"]
        assert float(p["lower_rounded"][i]) <= t["lower"][i] and float(p["upper_rounded"][i]) >= t["upper"][i]
        assert p["nhat"][i] == f"{n[i]:.0f}"  # the unrounded columns stay
    assert p["nhat_rounded"][3] == "" and p["upper_rounded"][3] == "inf"  # "at least", as the page
    assert float(p["lower_rounded"][3]) <= t["lower"][3]


def test_corrected_figure_without_upper_limit_follows_the_floor(est, tmp_path):
    """15a H2 on the page: N̂ corrected for linkage error whose interval has no upper limit printed "About 13,000
    (10,000–no upper limit)" and "0%" registered; the verdict's floor is published instead."""
    res = json.loads((est / "result.json").read_text())
    lo = res["interval"]["lower"]
    d = _with_verdict(est, tmp_path, {"low": 0.9 * lo, "high": None, "rules": ["not-identified"],
                                      "publish_interval": False, "statement": "Publish at most a lower limit"},
                      linkage={"nhat_corrected": res["nhat"], "lower": lo, "upper": None, "upper_unbounded": True})
    e = (d / "estimates.csv").read_text().splitlines()
    head, cells = e[0].split(","), e[1].split(",")
    cells[head.index("upper")] = "inf"
    (d / "estimates.csv").write_text("\n".join([e[0], ",".join(cells), *e[2:]]) + "\n")
    _cli(["report", d, "--audience", "public", "--lang", "en"])
    page = _flat((d / "report_public_en.html").read_text())
    f = round_range(0.9 * lo, float("inf"))
    assert f"At least about {f.lower_text} victims." in page
    assert "no upper limit) victims" not in page and " 0% " not in page
