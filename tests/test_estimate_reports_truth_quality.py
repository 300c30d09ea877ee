"""``estimate LINKFOLDER`` shows the linkage quality measured against the truth given to ``link --truth``:
result.json's linkage block, the terminal and report.html, each saying what it is measured against."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.linkage import LinkageResult, persons_from_pairs, read_link_run
from darkfigure.linkage.quality import pairwise_quality
from synthetic_pairs import true_pairs

OPTS = ["--covariates", "year", "--reps", "30", "--seed", "1", "--jobs", "1"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A link folder of synthetic registrations linked with some false pairs, with its quality against the truth."""
    tp = true_pairs(5, 1500, 400, sex=lambda s: s.astype(str).str[0].str.lower())
    pairs = tp.pairs(0.9, 0.6)  # the false pairs are linked too: precision below 1
    labels, persons, h = persons_from_pairs(tp.records, pairs, 0.5)
    q = pairwise_quality(tp.regs["true_person_id"].astype(str), labels)
    res = LinkageResult(links=tp.records[["organisation", "record_id"]].assign(person_id=labels), persons=persons,
                        histories=h, lists=tuple(h.lists), covariates=tuple(h.covariates), encoding="plaintext",
                        engine="duckdb", threshold=0.5, covariate_rule="most_frequent", pairs=pairs,
                        records=tp.records, quality=__import__("pandas").DataFrame([{"threshold": 0.5, **q}]))
    out = tmp_path_factory.mktemp("lk") / "link"
    res.write(out, plot=False)
    return out, q, res


def test_the_run_carries_its_truth_quality(folder):
    out, q, res = folder
    assert q["precision"] < 1
    for run in (read_link_run(out), __import__("darkfigure").linkage.LinkRun.from_result(res)):
        tq = run.truth_quality()
        assert "--truth" in tq["measured_against"]
        np.testing.assert_allclose([tq["precision"], tq["recall"], tq["f1"]], [q["precision"], q["recall"], q["f1"]],
                                   rtol=1e-12)
        assert tq["true_persons"] == q["true_persons"] and tq["found_persons"] == q["found_persons"]


@pytest.mark.parametrize("linkage", [["--linkage-draws", "4", "--linkage-reps", "0"], ["--linkage", "none"]])
def test_result_json_terminal_and_report_show_it_labelled(folder, tmp_path, linkage):
    out, q, _ = folder
    r = CliRunner().invoke(app, ["estimate", str(out), *OPTS, *linkage, "--out", str(tmp_path / "e"), "--report"])
    assert r.exit_code == 0, r.output
    lk = json.loads((tmp_path / "e" / "result.json").read_text())["linkage"]
    tq = lk["quality_against_truth"]
    assert "darkfigure link --truth" in tq["measured_against"]
    np.testing.assert_allclose([tq["precision"], tq["recall"]], [q["precision"], q["recall"]], rtol=1e-12)
    text = "".join(r.output.replace("│", " ").split())  # whatever the console's width, wrapped in a panel or not
    assert f"precision{q['precision']:.3f}" in text and "measuredagainstthetruth" in text
    html = (tmp_path / "e" / "report.html").read_text(encoding="utf-8")
    assert "measured against the supplied truth" in html
    assert f"{q['precision']:.3f} / {q['recall']:.3f} / {q['f1']:.3f}" in html
