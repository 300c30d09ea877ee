"""Tester report 15b, L1: ``--search pvalue-pairs`` said it "fell back to the pvalue search; the warnings say why",
though the p-value search it ran was the one asked for (both are recorded as "pvalue") and no warning said why."""

from __future__ import annotations

from typer.testing import CliRunner

from darkfigure.cli import app


def test_pvalue_pairs_does_not_say_it_fell_back(tmp_path):
    r = CliRunner().invoke(app, ["estimate", "hiv_rome", "--search", "pvalue-pairs", "--ci", "none", "--out",
                                 str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert "N̂" in r.output
    assert "fell back" not in r.output
