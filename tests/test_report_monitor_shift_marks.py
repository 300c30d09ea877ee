"""report.html marks the monitor rows whose linkage decides the answer (``interval_shifted``; tester report 14a,
M1): a † after N̂ in the yearly trend, visibility and publication tables, and a footnote under each table saying
what it means. Checked by parsing the HTML (no browser).
"""

import re
import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest

from shifted_runs import shifted_monitor

UNSHIFTED = [("total", "", "2023"), ("sex", "male", "")]  # rows the test sets unshifted


class _Tables(HTMLParser):
    """Each ``<table id=...>``: its header, its rows as cell texts, and the text of the table foot after it."""

    def __init__(self):
        super().__init__()
        self.tables, self._id, self._row, self._cell, self._foot = {}, None, None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id"):
            self._id = a["id"]
            self.tables[self._id] = {"head": [], "rows": [], "foot": ""}
        elif self._id and tag == "tr":
            self._row = []
        elif self._id and tag in ("td", "th"):
            self._cell = ""
        elif tag == "p" and "table-foot" in (a.get("class") or "") and self.tables:
            self._foot = list(self.tables)[-1]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            t = self.tables[self._id]
            (t["rows"] if t["head"] else t["head"]).extend([self._row] if t["head"] else self._row)
            self._row = None
        elif tag == "table":
            self._id = None
        elif tag == "p":
            self._foot = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        elif self._foot is not None:
            self.tables[self._foot]["foot"] += data


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """The shifted monitor by year and sex, written; a copy with the rows of UNSHIFTED set unshifted."""
    base = tmp_path_factory.mktemp("marks")
    shifted_monitor(("year", "sex"), missing="drop").write(base / "m")
    shutil.copytree(base / "m", base / "some")
    (base / "some" / ".darkfigure-outputs.json").unlink()  # edited on purpose: the report would refuse the folder
    for name in ("monitor.csv", "monitor_published.csv"):
        p = base / "some" / name
        t = pd.read_csv(p, dtype=str, keep_default_na=False)
        for g, lv, y in UNSHIFTED:
            t.loc[(t["group"] == g) & (t["level"] == lv) & (t["year"] == y), "interval_shifted"] = "False"
        t.to_csv(p, index=False)
    return base / "m", base / "some"


def _tables(folder):
    from darkfigure.report import build_report

    p = _Tables()
    p.feed(build_report(folder, folder / "report.html").read_text(encoding="utf-8"))
    return p.tables


def _n_col(t) -> int:
    return t["head"].index("N̂")


def test_every_shifted_row_is_marked_with_a_footnote(folders):
    tabs = _tables(folders[0])
    for tid in ("trend-table", "visibility-table", "published-table"):
        t = tabs[tid]
        j = _n_col(t)
        assert t["rows"] and all(r[j].endswith("†") for r in t["rows"]), tid
        assert "† the linkage decides the answer in this row" in t["foot"], tid
        assert "mean over the linkage draws" in t["foot"] and "interval_shifted" in t["foot"], tid
    pub = tabs["published-table"]
    assert {"N̂ as linked", "mean over the linkage draws"} <= set(pub["head"])


def test_only_the_shifted_rows_are_marked(folders):
    tabs = _tables(folders[1])
    trend = tabs["trend-table"]
    j = _n_col(trend)
    marked = {r[0]: r[j].endswith("†") for r in trend["rows"]}
    assert marked == {"2022": True, "2023": False, "2024": True}
    assert re.fullmatch(r"[\d,]+", [r[j] for r in trend["rows"] if r[0] == "2023"][0])  # no mark, no stray space
    vis = tabs["visibility-table"]
    j = _n_col(vis)
    assert {r[1]: r[j].endswith("†") for r in vis["rows"]} == {"female": True, "male": False}
    pub = tabs["published-table"]
    j = _n_col(pub)
    for r in pub["rows"]:
        unshifted = (r[0], r[1], "" if r[2] == "all" else r[2]) in UNSHIFTED
        assert r[j].endswith("†") is not unshifted, r


def test_no_mark_and_no_footnote_without_a_shift(folders, tmp_path):
    some = folders[1]
    none = tmp_path / "none"
    shutil.copytree(some, none)
    for name in ("monitor.csv", "monitor_published.csv"):
        t = pd.read_csv(none / name, dtype=str, keep_default_na=False)
        t["interval_shifted"] = "False"
        t.to_csv(none / name, index=False)
    tabs = _tables(none)
    for tid in ("trend-table", "visibility-table", "published-table"):
        assert not any("†" in c for r in tabs[tid]["rows"] for c in r) and "†" not in tabs[tid]["foot"], tid
