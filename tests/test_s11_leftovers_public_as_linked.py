"""The public page labels the identifying-assumption range of a linkage-corrected run "as linked" (session 11, 3).

In a run whose data is a link output folder with ``--linkage correct``, the key figure is corrected for
linkage error while the range over the identifying assumption is refitted on the histories as linked.
The technical report says so (tester report 10, F10); the public page must too, in every language.
Synthetic registrations and pairs only (``synthetic_pairs``, no Splink).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from darkfigure.linkage.uncertainty import LinkRun
from darkfigure.report.labels import LANGUAGES
from darkfigure.report.public import translations
from synthetic_pairs import true_pairs, write_link_folder

SENTENCE = ("If the assumption about the victims that no register found is relaxed over the range studied, the "
            "estimate as linked lies between about %(low)s and %(high)s.")
NOTE = ("These figures are for the records as linked: unlike the key figure, they are not corrected for errors in "
        "linking the records of the same person across registers.")
#: the words for "as linked" in each language of the page
AS_LINKED = {"en": "as linked", "nl": "zoals gekoppeld"}


def _link_folder(folder: Path) -> Path:
    """A link output folder without Splink (records, pairs, links.csv, histories.csv with the manifest)."""
    tp = true_pairs(5, 3000, 300, sex=lambda s: s.astype(str).str[0].str.lower())
    return write_link_folder(LinkRun(tp.records, tp.pairs(0.9, 0.3), 0.5), folder)


def _sensitivity(page: Path) -> str:
    """The visible text of the page's section on the identifying assumption (whitespace squashed)."""
    html = page.read_text(encoding="utf-8")
    m = re.search(r'<section id="sensitivity">(.*?)</section>', html, re.S)
    assert m is not None, "the page has no section on the identifying assumption"
    return " ".join(re.sub(r"<[^>]+>", " ", m.group(1)).split())


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """An estimate on a link folder corrected for linkage error, and one taking the linkage as error-free."""
    from typer.testing import CliRunner

    from darkfigure.cli import app

    base = tmp_path_factory.mktemp("aslinked")
    lk = _link_folder(base / "lk")
    out = {}
    for mode in ("correct", "none"):
        d = base / mode
        r = CliRunner().invoke(app, ["estimate", str(lk), "--linkage", mode, "--reps", "20", "--linkage-draws", "5",
                                     "--seed", "1", "--jobs", "1", "--out", str(d)])
        assert r.exit_code == 0, r.output
        for lang in LANGUAGES:
            r = CliRunner().invoke(app, ["report", str(d), "--audience", "public", "--lang", lang])
            assert r.exit_code == 0, r.output
        out[mode] = d
    return out


def test_the_corrected_runs_range_is_on_the_corrected_scale_and_not_labelled(runs):
    # since tester 18a (M4) the range is moved to N̂ corrected (sensitivity_linkage): the key figure's own range,
    # with the as-linked figures kept in as_linked_range; the page no longer labels it "as linked"
    res = json.loads((runs["correct"] / "result.json").read_text())
    ia = res["identifying_assumption"]
    assert res["linkage"]["nhat_corrected"] is not None and ia["as_linked"] is False and ia["as_linked_range"]
    assert ia["nhat"] == res["linkage"]["nhat_corrected"]
    for lang in LANGUAGES:
        text = _sensitivity(runs["correct"] / f"report_public_{lang}.html")
        assert AS_LINKED[lang] not in text, lang
        assert " ".join(translations(lang).gettext(NOTE).split()) not in text, lang


def _older(d: Path) -> None:
    """result.json as written before tester 18a (M4): the range as linked, without as_linked_range."""
    res = json.loads((d / "result.json").read_text())
    ia = res["identifying_assumption"]
    old = ia.pop("as_linked_range")
    ia.update(nhat=old["nhat"], low=old["low"], high=old["high"], as_linked=True)
    (d / "result.json").write_text(json.dumps(res))
    (d / ".darkfigure-outputs.json").unlink(missing_ok=True)  # a hand-made variant: no manifest to contradict it


def test_an_as_linked_range_is_labelled_as_linked_in_every_language(runs, tmp_path):
    from typer.testing import CliRunner

    from darkfigure.cli import app

    d = tmp_path / "aslinked"
    shutil.copytree(runs["correct"], d)
    _older(d)
    for lang in LANGUAGES:
        r = CliRunner().invoke(app, ["report", str(d), "--audience", "public", "--lang", lang, "--overwrite"])
        assert r.exit_code == 0, r.output
        text = _sensitivity(d / f"report_public_{lang}.html")
        tr = translations(lang)
        assert AS_LINKED[lang] in text, lang
        assert " ".join(tr.gettext(NOTE).split()) in text, lang
        lead = tr.gettext(SENTENCE).split("%(low)s")[0]
        assert " ".join(lead.split()) in text, lang
        if lang != "en":
            assert "as linked" not in text, lang  # translated, not left in English


def test_a_run_taking_the_linkage_as_error_free_is_not_labelled(runs):
    for lang in LANGUAGES:
        text = _sensitivity(runs["none"] / f"report_public_{lang}.html")
        assert AS_LINKED[lang] not in text, lang
        assert " ".join(translations(lang).gettext(NOTE).split()) not in text, lang


def test_an_older_result_without_the_flag_is_labelled_from_its_linkage_block(runs, tmp_path):
    from typer.testing import CliRunner

    from darkfigure.cli import app

    d = tmp_path / "old"
    shutil.copytree(runs["correct"], d)
    _older(d)
    res = json.loads((d / "result.json").read_text())
    del res["identifying_assumption"]["as_linked"]  # result.json written before the flag existed
    (d / "result.json").write_text(json.dumps(res))
    for lang in LANGUAGES:
        r = CliRunner().invoke(app, ["report", str(d), "--audience", "public", "--lang", lang, "--overwrite"])
        assert r.exit_code == 0, r.output
        assert AS_LINKED[lang] in _sensitivity(d / f"report_public_{lang}.html"), lang
