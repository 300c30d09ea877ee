"""``LinkRun`` and ``read_link_run`` are public names of :mod:`darkfigure.linkage`, documented for users."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import darkfigure as dfg
import darkfigure.linkage as linkage
from s11_link_folder import small_folder, small_result

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_exported_with_complete_docstrings():
    assert {"LinkRun", "read_link_run"} <= set(linkage.__all__)
    from darkfigure.linkage.link_run import LinkRun, read_link_run

    assert linkage.LinkRun is LinkRun and linkage.read_link_run is read_link_run
    for section in ("Attributes", "read_link_run", "from_result", "linkage_run="):
        assert section in LinkRun.__doc__
    for method in (LinkRun.from_result, LinkRun.histories, LinkRun.labels, read_link_run):
        assert method.__doc__ and method.__doc__.strip()
    for section in ("Parameters", "Returns", "Raises"):
        assert section in LinkRun.from_result.__doc__
    assert "Returns" in LinkRun.histories.__doc__
    assert "darkfigure.linkage.read_link_run" in (DOCS / "api" / "linkage.md").read_text(encoding="utf-8")


def test_a_run_read_back_corrects_its_histories_as_the_folder_does(tmp_path):
    folder = small_folder(tmp_path / "lk")
    run = linkage.read_link_run(folder)
    assert isinstance(run, linkage.LinkRun) and len(run.pairs) == len(small_result().pairs)
    opts = {"covariates": "year", "reps": 30, "seed": 1, "n_jobs": 1, "linkage_draws": 4, "linkage_reps": 0}
    a = dfg.estimate(str(folder / "histories.csv"), linkage_run=run, **opts)  # as docs/api/linkage.md shows it
    b = dfg.estimate(str(folder), **opts)
    assert a.raw.linkage is not None
    np.testing.assert_allclose([a.nhat, *a.confidence_interval], [b.nhat, *b.confidence_interval], rtol=1e-9)
