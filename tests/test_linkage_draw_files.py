"""Linkage draws written as files (``link --write-draws``) feed ``strata --replicates --replicate-kind linkage``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage import simulate_registrations
from darkfigure.linkage.draw_files import linkage_draw_histories, write_linkage_draws
from darkfigure.linkage.link_run import LinkRun
from darkfigure.strata import estimate_strata
from synthetic_pairs import true_pairs


@pytest.fixture(scope="module")
def run():
    """A link run without Splink: every true pair scored 0.8, and random false pairs scored 0.3."""
    tp = true_pairs(3, 1500, 200)
    return LinkRun(tp.records, tp.pairs(0.8, 0.3), 0.5)


def test_draws_are_seeded_histories_that_differ_from_each_other(run):
    a = linkage_draw_histories(run, 3, seed=4)
    b = linkage_draw_histories(run, 3, seed=4)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y)
    as_linked = run.histories()
    lists = list(as_linked.lists)
    for t in a:
        assert list(t.columns) == lists + list(as_linked.covariates) + ["count"]
        assert set(t[lists].to_numpy().ravel()) <= {0, 1} and (t[lists].sum(axis=1) > 0).all()
    persons = [int(t["count"].sum()) for t in a]
    # 0.8 for true pairs: some are split in every draw, so the draws hold more persons than the true links
    assert len(set(persons)) > 1 and min(persons) > as_linked.n_observed
    with pytest.raises(ValueError, match="at least 1"):
        linkage_draw_histories(run, 0, seed=1)


def test_draw_folder_feeds_strata_as_linkage_replicates(run, tmp_path):
    files = write_linkage_draws(run, tmp_path / "draws", 3, seed=1)
    assert [f.name for f in files] == ["draw_001.csv", "draw_002.csv", "draw_003.csv"]
    h = run.histories()
    data = pd.concat([h.table, h.incomplete], ignore_index=True) if h.incomplete is not None else h.table
    r = estimate_strata(data, by="year", replicates=tmp_path / "draws", replicate_kind="linkage", search="none",
                        reps=30, seed=1, n_jobs=1)
    assert r.counts["replicates"] == 3 and r.settings["replicate_kind"] == "linkage"
    assert not [w for w in r.warnings if "left out" in w]
    est = r.table[r.table["status"] == "estimated"]
    assert len(est) == r.counts["strata"] and (est["replicates"] == 3).all()
    # the draws' persons differ, so each stratum's observed count is a mean over draws
    assert np.isfinite(r.totals.iloc[0]["var_share_replicates"])


@pytest.mark.slow
def test_cli_link_write_draws_then_strata(tmp_path, cli):
    rs = simulate_registrations("clearing_house", seed=11, population=800)
    f = tmp_path / "regs.csv"
    rs.registrations.to_csv(f, index=False)
    lk = tmp_path / "lk"
    cli(["link", str(f), "--write-draws", "3", "--seed", "2", "--threads", "2", "--out", str(lk)], code=0,
        says=["3 linkage draws in"])
    assert sorted(p.name for p in (lk / "draws").iterdir()) == ["draw_001.csv", "draw_002.csv", "draw_003.csv"]
    cli(["strata", str(lk / "histories.csv"), "--by", "year", "--replicates", str(lk / "draws"),
         "--replicate-kind", "linkage", "--search", "none", "--reps", "30", "--jobs", "1", "--out", str(tmp_path / "st")],
        code=0, says=["3 replicate(s)"])
