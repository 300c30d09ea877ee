"""monitor.csv and monitor_published.csv carry the linkage columns of estimates.csv per row (N̂ as linked, the
mean over the linkage draws, the interval as linked and the draws' own, whether the interval was widened or
shifted, the share of the variance and of the width due to linkage) when the monitor ran with a linkage correction.
"""

import numpy as np
import pandas as pd
import pytest

from darkfigure.monitoring.core import UNPUBLISHED
from darkfigure.monitoring.disclosure import ROUNDED_COLUMNS, publish
from darkfigure.monitoring.linkage_rows import LINKAGE_COLUMNS
from darkfigure.monitoring.tables import MONITOR_COLUMNS
from shifted_runs import written_monitor


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The shifted monitor (tests/shifted_runs.py) and the folder it wrote."""
    return written_monitor(tmp_path_factory, "monl")


def _read(path, **kw):
    """A written table with empty cells as ''."""
    return pd.read_csv(path, keep_default_na=False, **({"dtype": {"year": str, "level": str}} | kw))


def test_monitor_csv_has_estimates_linkage_columns_row_by_row(written):
    res, out = written
    mon, est = _read(out / "monitor.csv"), pd.read_csv(out / "estimates.csv")
    assert list(mon.columns) == MONITOR_COLUMNS + LINKAGE_COLUMNS
    # the total and each year's total: the figures of estimates.csv's total and year rows
    pairs = [(mon[(mon["group"] == "total") & (mon["year"] == "")].iloc[0], est[est["group"] == "total"].iloc[0])]
    for _, r in est[est["group"] == "year"].iterrows():
        pairs.append((mon[(mon["group"] == "total") & (mon["year"] == str(int(r["level"])))].iloc[0], r))
    assert len(pairs) == 4
    for m, e in pairs:
        for c in ("nhat", "lower", "upper", "nhat_as_linked", "lower_as_linked", "upper_as_linked", "lower_draws",
                  "upper_draws", "nhat_mean_draws", "share_linkage"):
            assert float(m[c]) == pytest.approx(float(e[c]), rel=1e-9), c
        for c in ("interval_widened", "interval_shifted"):
            assert str(m[c]) == str(e[c]), c
    assert (mon["interval_shifted"].astype(str) == "True").any()  # the fixture is shifted
    share = pd.to_numeric(mon["share_linkage"])
    # the draws' own width share, or where a row was widened for a shift that of the interval it publishes (18a, H3)
    from darkfigure.linkage.combine import width_share

    want = width_share(share, pd.to_numeric(mon["lower_draws"]), pd.to_numeric(mon["upper_draws"]),
                       pd.to_numeric(mon["lower"]), pd.to_numeric(mon["upper"]), mon["interval_shifted"].astype(str) == "True")
    assert np.allclose(pd.to_numeric(mon["width_share_linkage"]), want, equal_nan=True)
    shifted = (mon["interval_shifted"].astype(str) == "True").to_numpy()
    assert (pd.to_numeric(mon["width_share_linkage"])[shifted] > (1 - np.sqrt(1 - share))[shifted]).all()
    assert mon["nhat_mean_draws"].astype(float).notna().all()
    assert res.table["interval_shifted"].dtype == bool


def test_the_shifted_rows_interval_covers_the_three(written):
    res, _ = written
    t = res.table
    s = t[t["interval_shifted"].astype(bool)]
    assert len(s)
    for c in ("nhat_as_linked", "nhat_mean_draws", "nhat", "lower_draws", "upper_draws"):
        assert (s["lower"] <= s[c] + 1e-6).all() and (s[c] <= s["upper"] + 1e-6).all(), c


def test_published_table_rounds_and_keeps_the_figures_to_publish(written):
    res, out = written
    pub = _read(out / "monitor_published.csv", dtype=str)
    keep = [c for c in LINKAGE_COLUMNS if c not in UNPUBLISHED]
    assert keep == ["nhat_as_linked", "nhat_mean_draws", "interval_shifted", "width_share_linkage"]
    # a last column to_publish exactly when the run's verdict withholds N̂ (s17): this run's verdict decides it
    rules = set(res.estimate.to_publish().get("rules") or [])
    held = bool(rules & {"linkage-first", "not-identified", "heterogeneity", "below-chao",
                         "chao-vs-negative-dependence", "degenerate", "none-kept", "no-interval"})
    held = held and res.estimate.to_publish().get("publish_interval") is not True
    assert list(pub.columns) == MONITOR_COLUMNS + keep + list(ROUNDED_COLUMNS) + (["to_publish"] if held else [])
    t = res.table.reset_index(drop=True)
    for i in range(len(t)):
        for c in ("nhat_as_linked", "nhat_mean_draws"):
            assert pub.loc[i, c] == f"{t.loc[i, c]:.0f}"
        assert pub.loc[i, "interval_shifted"] == str(bool(t.loc[i, "interval_shifted"]))
        assert pub.loc[i, "width_share_linkage"] == f"{t.loc[i, 'width_share_linkage']:.3f}"


def test_suppressed_rows_hide_the_linkage_figures_too(written):
    res, _ = written
    t = res.table
    k = int(t["observed"].min()) + 1  # the smallest row is suppressed (and a partner with it)
    p = publish(t[[c for c in t.columns if c not in UNPUBLISHED]], k)
    hidden = p["nhat"] == "x"
    assert hidden.sum() >= 2
    for c in ("nhat_as_linked", "nhat_mean_draws", "interval_shifted", "width_share_linkage"):
        assert (p.loc[hidden, c] == "x").all(), c
        assert not (p.loc[~hidden, c] == "x").any(), c
