"""``dfg.monitor(link_result)`` as ``dfg.estimate(link_result)``: the LinkageResult taken as its output folder."""

from __future__ import annotations

import numpy as np

import darkfigure as dfg
from s11_link_folder import WARNING, small_folder, small_result

OPTS = {"year": "year", "covariates": "year", "reps": 30, "seed": 1, "n_jobs": 1, "linkage_draws": 4,
        "linkage_reps": 0}


def test_monitor_of_a_linkage_result_is_the_monitor_of_its_folder(tmp_path):
    result = small_result()
    a = dfg.monitor(result, **OPTS)
    b = dfg.monitor(str(small_folder(tmp_path / "link")), **OPTS)
    assert a.estimate.linkage is not None  # corrected for linkage error, as the folder is
    assert list(a.table["year"]) == list(b.table["year"])
    for c in ("observed", "nhat", "lower", "upper"):
        np.testing.assert_allclose(a.table[c].to_numpy(float), b.table[c].to_numpy(float), rtol=1e-9)
    assert any(WARNING in w for w in a.estimate.warnings)  # link's warning repeated, as from the folder


def test_monitor_of_a_linkage_result_taken_as_error_free():
    m = dfg.monitor(small_result(), **OPTS, linkage="none")
    assert m.estimate.linkage is None
    assert any("taken here as error-free" in w for w in m.estimate.warnings)
