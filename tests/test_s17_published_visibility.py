"""monitor_published.csv's visibility, computed from persons the table does not publish, is described beside the
table (review s17, item 4): ``monitor_published_columns.csv`` and result.json's ``monitor.published_columns``.
Synthetic registrations only (``shifted_runs``); no Splink.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from darkfigure.monitoring.published_columns import COLUMNS_FILE, column_descriptions


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A monitor corrected for linkage error, written."""
    from shifted_runs import written_monitor

    return written_monitor(tmp_path_factory, "m")


def test_the_published_visibility_is_described_as_computed(written):
    res, out = written
    pub = pd.read_csv(out / "monitor_published.csv", keep_default_na=False)
    t = res.table
    total = (t["group"] == "total") & (t["year"].astype(str) == "")
    # the case: observed / nhat of the published table is not its visibility
    row = pub[(pub["group"] == "total") & (pub["year"] == "")].iloc[0]
    assert abs(float(row["observed"]) / float(row["nhat"]) - float(row["visibility"])) > 0.0005
    assert np.allclose(t.loc[total, "visibility"], t.loc[total, "observed_corrected"] / t.loc[total, "nhat"])
    cols = pd.read_csv(out / COLUMNS_FILE)
    assert list(cols["column"]) == list(pub.columns)
    vis = cols.set_index("column").loc["visibility", "description"]
    assert "corrected for linkage" in vis and "not published here" in vis and "not observed / nhat" in vis
    info = json.loads((out / "result.json").read_text())["monitor"]
    assert info["published_columns"]["visibility"] == vis
    manifest = json.loads((out / ".darkfigure-outputs.json").read_text())
    assert COLUMNS_FILE in json.dumps(manifest)


def test_the_report_says_it_under_the_published_table(written):
    from darkfigure.report import build_report

    _, out = written
    html = " ".join(build_report(out).read_text(encoding="utf-8").split())
    assert "visible: share of the persons visible: the persons observed corrected for linkage error" in html


def test_without_linkage_correction_visibility_is_observed_over_nhat():
    d = column_descriptions(["observed", "nhat", "visibility"], corrected=False)
    assert d["visibility"].startswith("share of the persons visible: observed / nhat")
    assert "as linked" not in d["observed"]
    assert "corrected" not in d["nhat"]
