"""The run report: sections from the run's files, numbers from its CSVs, self-contained, warnings explained."""

from __future__ import annotations

import base64
import html
import json
import re
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.comparison import compare
from darkfigure.comparison import write as write_compare
from darkfigure.estimation import estimate
from darkfigure.io import read_histories
from darkfigure.monitoring import monitor
from darkfigure.outputs import MANIFEST
from darkfigure.report import EXPLANATIONS, RunFolderError, build_report, explain
from darkfigure.simulation import simulate

runner = CliRunner()

# a small monitor population: 3 years, sex and form, 3 lists (as in test_monitor, fast to fit)
SCENARIO = {
    "name": "report_monitor",
    "years": [2017, 2018, 2019],
    "year_column": "year",
    "population": {"size": [3000, 3300, 3600]},
    "covariates": {
        "sex": {"levels": ["female", "male"], "probabilities": [0.6, 0.4]},
        "form": {"levels": ["sexual", "labour", "other"], "probabilities": [0.5, 0.3, 0.2]},
    },
    "lists": {
        "police": {"baseline": 0.15, "effects": {"form": {"labour": -0.5}}},
        "ngo": {"baseline": 0.1, "effects": {"sex": {"male": -0.5}}},
        "inspect": {"baseline": 0.08, "effects": {"form": {"labour": 1.5}}},
    },
    "dependence": [{"lists": ["police", "ngo"], "log_odds_ratio": 0.5}],
}

POP = pd.DataFrame(
    [
        (y, sx, ag, p * f)
        for y, f in [(2017, 1.0), (2018, 1.02), (2019, 1.04)]
        for sx in ("female", "male")
        for ag, p in (("adult", 4_000_000), ("minor", 1_000_000))
    ],
    columns=["year", "sex", "age_group", "population"],
)

MONITOR_SECTIONS = [
    "Summary", "Data", "Model search and fit", "Estimates", "Identifying assumption", "Yearly trend",
    "Visibility by subgroup",
    "SDG 16.2.2 rates", "Tables for publication", "Warnings and notes", "About this run",
]


# ----------------------------------------------------------------------------- reading the page
class _Page(HTMLParser):
    """Headings, tables (by id), section texts, images and download links of a report."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.h2: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.sections: dict[str, list[str]] = {}
        self.images: list[str] = []
        self.downloads: dict[str, str] = {}
        self.tags: list[tuple[str, dict]] = []
        self._section = None
        self._table = None
        self._row = None
        self._cell = None
        self._h2 = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "section":
            self._section = a.get("id")
            self.sections[self._section] = []
        elif tag == "h2":
            self._h2 = []
        elif tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "img":
            self.images.append(a.get("src", ""))
        elif tag == "a" and "download" in a:
            self.downloads[a["download"]] = a.get("href", "")

    def handle_endtag(self, tag):
        if tag == "h2" and self._h2 is not None:
            self.h2.append("".join(self._h2).strip())
            self._h2 = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "section":
            self._section = None

    def handle_data(self, data):
        if self._h2 is not None:
            self._h2.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._section is not None:
            self.sections[self._section].append(data)

    def text(self, section: str) -> str:
        return " ".join(" ".join(self.sections[section]).split())


def _page(path: Path) -> _Page:
    p = _Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def _csv_of(uri: str) -> pd.DataFrame:
    head, data = uri.split(",", 1)
    assert head == "data:text/csv;charset=utf-8;base64"
    from io import StringIO

    return pd.read_csv(StringIO(base64.b64decode(data).decode("utf-8")), keep_default_na=False, dtype=str)


def _count(v) -> str:
    return f"{float(v):,.0f}"


# ----------------------------------------------------------------------------- runs (once per module)
@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("runs")
    est = estimate("netherlands_2010_2015", reps=50, seed=1, n_jobs=1)
    est.write(base / "estimate")
    sim = simulate(SCENARIO, seed=3)
    mon = monitor(sim.histories, year="year", population=POP, reps=50, seed=1, n_jobs=1, suppress_below=150)
    mon.write(base / "monitor")
    h = read_histories(sim.histories)
    table = compare(h, ["Mt", "Mh-darroch"], seed=1)
    write_compare(table, h, base / "compare", seed=1, reps=50)
    return {"base": base, "estimate": base / "estimate", "monitor": base / "monitor", "compare": base / "compare",
            "est": est, "mon": mon}


@pytest.fixture(scope="module")
def est_page(runs):
    return _page(build_report(runs["estimate"]))


@pytest.fixture(scope="module")
def mon_page(runs):
    return _page(build_report(runs["monitor"]))


# ----------------------------------------------------------------------------- tests
def test_estimate_report_headline_and_fit_from_the_run_files(runs, est_page):
    d = runs["estimate"]
    total = pd.read_csv(d / "estimates.csv").iloc[0]
    res = json.loads((d / "result.json").read_text())
    assert est_page.h2 == ["Summary", "Data", "Model search and fit", "Estimates", "Identifying assumption",
                           "Warnings and notes", "About this run"]
    summary = est_page.text("summary")
    nhat, lo, hi, obs = total["nhat"], total["lower"], total["upper"], int(total["observed"])
    assert obs == 8234  # the Dutch registrations 2010-2015
    assert f"{_count(nhat)} " in summary + " "
    assert f"95% interval {_count(lo)} – {_count(hi)}" in summary
    # the dark figure is N̂ minus the registered, its interval the interval minus the registered
    assert _count(nhat - obs) in summary
    assert f"{_count(lo - obs)} – {_count(hi - obs)}" in summary
    fit = est_page.text("model")
    m = res["model"]
    p = stats.chi2.sf(m["deviance"], m["df"])
    assert f"goodness of fit p-value {p:.3f}" in fit
    assert f"deviance {m['deviance']:,.2f}" in fit and f"BIC {m['bic']:,.2f}" in fit
    # the search path: every step, the chosen one marked
    path = pd.read_csv(d / "search_path.csv")
    rows = est_page.tables["search-path"][1:]
    assert len(rows) == len(path)
    chosen = [r for r in rows if "chosen" in r[1]]
    # the chosen model's N̂ (the headline N̂ is the model average by default)
    assert len(chosen) == 1 and chosen[0][-2] == _count(res["model"]["nhat"])
    # the data: list sizes and the overlap matrix from the histories
    sizes = est_page.tables["list-sizes"]
    assert [r[:2] for r in sizes[1:]] == [[k, _count(v)] for k, v in res["data"]["list_sizes"].items()]
    ov = est_page.tables["overlaps"]
    assert ov[0][1:] == ["I", "K", "O", "P", "R", "Z"]
    ik = ov[1][2]  # I and K share nobody (SparseMSE's Ned)
    assert ik == "0"


def test_every_warning_is_on_the_page_with_plain_words(runs, est_page):
    res = json.loads((runs["estimate"] / "result.json").read_text())
    text = est_page.text("warnings")
    kinds = {a.get("data-kind") for t, a in est_page.tags if t == "div" and a.get("data-kind")}
    for w in res["warnings"] + res["data"]["notes"]:
        for part in re.split(r";\s+(?=\d+ of \d+ )", w):
            assert " ".join(part.split()) in text
    assert "unknown" not in kinds
    assert {"share-nobody", "mle-not-exist", "few-replicates", "boundary-replicates"} <= kinds
    assert "lists-guessed" not in kinds  # a bundled dataset's lists are documented, not guessed (s24 fresh clone L4)
    assert text.count("What it means:") == text.count("What to do:") >= len(res["warnings"])


def test_report_is_self_contained(runs, mon_page):
    page = (runs["monitor"] / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    for tag, a in mon_page.tags:
        for attr in ("src", "href"):
            v = a.get(attr)
            if v is not None:
                assert v.startswith(("data:", "#")), (tag, attr, v[:80])
        assert not (tag == "link" and a.get("rel") == "stylesheet")
    assert "url(" not in page and "@import" not in page
    assert mon_page.images
    for src in mon_page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_monitor_report_trend_visibility_and_rates_show_the_run(runs, mon_page):
    assert mon_page.h2 == MONITOR_SECTIONS
    m = pd.read_csv(runs["monitor"] / "monitor.csv", keep_default_na=False)
    years = m[(m["group"] == "total") & (m["year"] != "")]
    rows = mon_page.tables["trend-table"]
    assert rows[0][:5] == ["year", "registered", "N̂", "lower", "upper"]
    assert [r[:5] for r in rows[1:]] == [
        [str(y), _count(o), _count(n), _count(lo), _count(hi)]
        for y, o, n, lo, hi in years[["year", "observed", "nhat", "lower", "upper"]].itertuples(index=False)
    ]
    # the trend download holds the unrounded numbers of monitor.csv
    dl = _csv_of(mon_page.downloads["trend.csv"])
    assert np.allclose(dl["nhat"].astype(float), years["nhat"].to_numpy())
    vis = mon_page.tables["visibility-table"]
    single = m[(m["year"] == "") & m["group"].isin(["sex", "form"])]
    assert [r[:2] for r in vis[1:]] == [[g, lv] for g, lv in single[["group", "level"]].itertuples(index=False)]
    assert [r[5] for r in vis[1:]] == [f"{100 * v:.1f}%" for v in single["visibility"]]
    sdg = mon_page.tables["sdg-table"]
    assert sdg[0][4] == "per 100,000"
    tot = m[(m["group"] == "total") & (m["year"] == "2017")].iloc[0]
    assert ["total", "", "2017", _count(tot["nhat"]), f"{tot['rate_per_100k']:,.2f}"] in [r[:5] for r in sdg[1:]]


def test_published_section_shows_only_the_disclosure_controlled_table(runs, mon_page):
    pub = pd.read_csv(runs["monitor"] / "monitor_published.csv", dtype=str, keep_default_na=False)
    full = pd.read_csv(runs["monitor"] / "monitor.csv", keep_default_na=False)
    rows = mon_page.tables["published-table"]
    # plain column names, formatted numbers, each interval in one column (the CSV download keeps the raw table)
    assert rows[0][:8] == ["group", "level", "year", "observed", "N̂", "N̂ interval", "visible", "visible interval"]
    assert len(rows) == len(pub) + 1
    for i, r in pub.iterrows():
        if r["nhat"] not in ("x", "") and not r["nhat"].startswith("<"):
            assert rows[1 + i][4] == f"{float(r['nhat']):,.0f}"
            assert rows[1 + i][6] == f"{100 * float(r['visibility']):.1f}%"  # as written (12b, M2)
    assert pd.DataFrame(_csv_of(mon_page.downloads["monitor_published.csv"])).equals(pub)
    hidden = pub["observed"].str.startswith("<") | (pub["observed"] == "x")
    assert hidden.sum() > 0  # threshold 150 hides small cells
    # the hidden rows show "<150" or "x" on the page, not their counts or estimates
    for i in np.flatnonzero(hidden.to_numpy()):
        row = rows[1 + i]
        assert row[:3] == [full.loc[i, "group"], full.loc[i, "level"], str(full.loc[i, "year"]) or "all"]
        assert row[3] in ("<150", "x") and row[3] != str(int(full.loc[i, "observed"]))
        assert f"{full.loc[i, 'nhat']:.0f}" not in row
    assert "rows with fewer than 150 registered" in mon_page.text("published")


def test_compare_report_has_the_table_and_forest_plot(runs):
    page = _page(build_report(runs["compare"]))
    assert page.h2 == ["Summary", "Data", "Comparison of methods", "Warnings and notes", "About this run"]
    t = pd.read_csv(runs["compare"] / "compare.csv")
    rows = page.tables["compare-table"][1:]
    assert [r[0] for r in rows] == t["method"].tolist()
    assert [r[1] for r in rows] == [_count(v) for v in t["nhat"]]
    assert len(page.images) == 2  # UpSet plot and forest plot
    about = page.text("about")
    assert "seed 1" in about and "replicates 50" in about


def _write_linkage_and_revictimisation(d: Path) -> dict:
    """Small files in the formats of `darkfigure link` and monitor.revictimisation."""
    q = pd.DataFrame({"precision": [0.981], "recall": [0.954], "f1": [0.967], "pairs_true": [1200], "pairs_found": [1167]})
    q.to_csv(d / "linkage_quality.csv", index=False)
    s = pd.DataFrame({"threshold": [0.5, 0.9, 0.99], "persons": [980, 1000, 1045],
                      "nhat": [2601.4, 2702.2, 2890.9], "lower": [2400.1, 2500.0, 2650.3], "upper": [2800.0, 2950.5, 3150.2]})
    s.to_csv(d / "linkage_sensitivity.csv", index=False)
    w = np.arange(-10.0, 20.0, 2.0)
    pd.DataFrame({"weight_lower": w, "weight_upper": w + 2, "probability_lower": 1 / (1 + 2 ** -w),
                  "probability_upper": 1 / (1 + 2 ** -(w + 2)), "pairs": np.r_[np.full(8, 5000), np.full(7, 40)],
                  "share": 0.0, "above_threshold": (w >= 4).astype(int)}).to_csv(d / "linkage_weights.csv", index=False)
    pd.DataFrame({"organisation": ["A", "B", "A"], "record_id": ["1", "2", "3"], "person_id": [1, 1, 2]}).to_csv(
        d / "links.csv", index=False)
    r = pd.DataFrame({
        "group": ["total", "total", "sex", "sex"], "level": ["", "", "female", "male"],
        "offence": ["any", "violence", "any", "any"], "k_years": [5, 5, 5, 5], "persons": [400, 400, 250, 150],
        "events": [150, 60, 100, 50], "censored": [120, 180, 70, 50], "cumulative": [0.452, 0.2, 0.49, 0.39],
        "lower": [0.41, 0.16, 0.43, 0.31], "upper": [0.5, 0.25, 0.55, 0.47], "naive": [0.375, 0.15, 0.4, 0.333],
    })
    r.to_csv(d / "revictimisation.csv", index=False)
    t = np.linspace(0.1, 6, 20)
    curve = []
    for g, lv, off, top in [("total", "", "any", 0.5), ("total", "", "violence", 0.22), ("sex", "female", "any", 0.55),
                            ("sex", "male", "any", 0.42)]:
        c = top * (1 - np.exp(-t / 4)) / (1 - np.exp(-1.5))
        curve += [{"group": g, "level": lv, "offence": off, "time_years": x, "at_risk": 400 - 10 * i, "events": 3,
                   "cumulative": y, "lower": y * 0.9, "upper": y * 1.1} for i, (x, y) in enumerate(zip(t, c))]
    pd.DataFrame(curve).to_csv(d / "revictimisation_curve.csv", index=False)
    return {"quality": q, "sensitivity": s, "revictimisation": r}


def test_linkage_and_revictimisation_sections_from_their_files(runs, tmp_path):
    d = tmp_path / "run"
    import shutil

    shutil.copytree(runs["monitor"], d)
    files = _write_linkage_and_revictimisation(d)
    page = _page(build_report(d, overwrite=True))
    assert page.h2 == MONITOR_SECTIONS[:-2] + ["Record linkage", "Repeat victimisation"] + MONITOR_SECTIONS[-2:]
    q = page.tables["linkage-quality"]
    assert q[0] == list(files["quality"].columns) and q[1][:3] == ["0.981", "0.954", "0.967"]
    sens = page.tables["linkage-sensitivity"]
    assert [r[:3] for r in sens[1:]] == [["0.5", "980", "2,601"], ["0.9", "1,000", "2,702"], ["0.99", "1,045", "2,891"]]
    assert sens[3][3] == "2,650 – 3,150"
    assert "from a model on the lists only (covariates summed over)" in page.text("linkage")  # file without scope
    assert "registrations assigned to a person (links.csv) 3" in page.text("linkage")
    rv = page.tables["revictimisation-table"]
    assert rv[1][:3] == ["total", "", "any"] and rv[1][7:] == ["45.2%", "41.0% – 50.0%", "37.5%"]
    assert [r[2] for r in rv[1:]] == files["revictimisation"]["offence"].tolist()
    # plots: UpSet, identifying assumption, trend, visibility, sensitivity, weights, two revictimisation curves
    assert len(page.images) == 8
    assert {"revictimisation.csv", "revictimisation_curve.csv", "linkage_sensitivity.csv"} <= set(page.downloads)


def test_malformed_optional_file_is_reported_not_silent(runs, tmp_path):
    d = tmp_path / "run"
    import shutil

    shutil.copytree(runs["estimate"], d)
    pd.DataFrame({"group": ["total"], "level": [""], "k_years": [5], "cumulative": [0.4]}).to_csv(
        d / "revictimisation.csv", index=False)
    page = _page(build_report(d, overwrite=True))
    assert "Repeat victimisation" not in page.h2
    text = page.text("warnings")
    assert "revictimisation.csv lacks the column(s) offence, persons, events, censored, lower, upper, naive" in text


def test_html_from_the_data_is_escaped(tmp_path):
    # a covariate level and a list name that look like markup must stay text
    t = pd.DataFrame({"A": [1, 0, 1, 1, 0, 1], "B<i>": [0, 1, 1, 0, 1, 1], "C": [1, 1, 0, 1, 1, 1],
                      "grp": ["<script>alert(1)</script>"] * 3 + ["plain"] * 3, "count": [30, 25, 8, 40, 35, 12]})
    estimate(t, lists=["A", "B<i>", "C"], covariates=["grp"], ci="none").write(tmp_path)
    page = build_report(tmp_path).read_text(encoding="utf-8")
    assert "<script>" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "B&lt;i&gt;" in page


def test_strata_folder_is_named_as_such(tmp_path):
    # tester 9, F9: a strata run's folder is not "no darkfigure results"
    (tmp_path / "strata.json").write_text("{}")
    (tmp_path / "totals.csv").write_text("stratum,nhat\n")
    with pytest.raises(RunFolderError, match="darkfigure strata") as e:
        build_report(tmp_path)
    assert "totals.csv" in str(e.value) and "no darkfigure results" not in str(e.value)
    assert not (tmp_path / "report.html").exists()


def test_folder_without_results_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here")
    with pytest.raises(RunFolderError, match="no darkfigure results") as e:
        build_report(tmp_path)
    for name in ("result.json", "monitor.csv", "compare.csv", "links.csv", "revictimisation.csv"):
        assert name in str(e.value)
    assert not (tmp_path / "report.html").exists()
    r = runner.invoke(app, ["report", str(tmp_path)])
    assert r.exit_code == 2 and "no darkfigure results" in r.output and "result.json" in r.output
    r = runner.invoke(app, ["report", str(tmp_path / "missing")])
    assert r.exit_code == 2 and "does not exist" in " ".join(r.output.split())
    (tmp_path / "result.json").write_text("{not json")
    r = runner.invoke(app, ["report", str(tmp_path)])
    assert r.exit_code == 2 and "not valid JSON" in " ".join(r.output.split())
    assert not list(tmp_path.glob("*.html"))


def test_cli_report_flags(tmp_path):
    r = runner.invoke(app, ["estimate", "hiv_rome", "--ci", "profile", "--out", str(tmp_path / "e"), "--report"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "e" / "report.html").stat().st_size > 10_000
    r = runner.invoke(app, ["estimate", "hiv_rome", "--report"])
    assert r.exit_code == 2 and "--report needs --out" in r.output
    # not identified: exit 3, and the report says so
    r = runner.invoke(app, ["estimate", "artificial_3", "--model", "A:B,A:C,B:C", "--ci", "none",
                            "--out", str(tmp_path / "n"), "--report"])
    assert r.exit_code == 3, r.output
    page = _page(tmp_path / "n" / "report.html")
    assert "not identified" in page.text("summary")
    kinds = {a.get("data-kind") for t, a in page.tags if t == "div" and a.get("data-kind")}
    assert "not-identified" in kinds
    r = runner.invoke(app, ["compare", "hiv_rome", "--methods", "Mt,Mh-darroch", "--out", str(tmp_path / "c"), "--report"])
    assert r.exit_code == 0, r.output
    assert "Comparison of methods" in _page(tmp_path / "c" / "report.html").h2
    r = runner.invoke(app, ["report", str(tmp_path / "c"), "--out", str(tmp_path / "elsewhere" / "r.html")])
    assert r.exit_code == 0 and (tmp_path / "elsewhere" / "r.html").is_file()


@pytest.mark.parametrize(
    "message, key",
    [
        # sentences as the package writes them (estimation.py, fit.py, bootstrap.py, lcmcr.py, dga.py, heterogeneity.py)
        ("lists that share nobody: I∩K, K∩R; models with their interaction fit those cells as 0 (extended MLE)",
         "share-nobody"),
        ("36 of 100 bootstrap replicates have an MLE on the boundary (some cells fitted as 0, e.g. lists sharing "
         "nobody in the replicate); N̂ stays identified in them and they are kept", "boundary-replicates"),
        ("3 of 100 replicates gave no finite N̂ (unbounded): they count as N̂* = ∞ at the top of the interval, "
         "whose upper end is therefore infinite when they are more than 2.5% of the replicates", "replicates-no-n"),
        ("the MLE does not exist and the unobserved cell is not identified (parameters going to infinity: A:B): "
         "this model cannot estimate N", "not-identified"),
        ("the model drives the unobserved cell of 2 of 6 stratum(s) to 0 (MLE on the boundary): it claims nobody "
         "there was missed, which the data cannot support", "unobserved-zero"),
        ("R-hat 1.069 > 1.01: the chains disagree (chain medians 10,887, 11,805); run longer (more samples or "
         "thinning)", "rhat"),
        ("bulk ESS 39 < 400: too few effective draws for a stable interval; run longer (more samples or thinning) "
         "or more chains", "ess"),
        ("chain(s) 2 diverged: N reached 1e+09 (the probability of being missed by every list went to 1); the "
         "posterior is not usable", "diverged"),
        ("the asymptotic bias is large (12.3, more than 10% of N-hat), as Rcapture warns: N-hat and its standard "
         "error are unreliable", "bias-large"),
        ("95% profile-likelihood interval [1200.0, no upper limit]; the profile likelihood rises towards its "
         "supremum as N grows without bound", "open-interval"),
        ("the upper limit (912,345) is more than 50 times the observed count: the data barely identify N; treat "
         "the estimate with great caution", "upper-far"),
        ("only 50 bootstrap replicates: the interval's ends are rough; use 1,000", "few-replicates"),
        ("residuals by number of lists: largest for persons on 4 list(s), observed 30 vs fitted 12.1 (Pearson "
         "residual +5.1); more persons on many lists than the model expects is the mark of unmodelled "
         "heterogeneity (a hard-to-reach group): N̂ is then too low", "residuals-by-lists"),
        ("the later register's last date is 2020-09-22, before the end of follow-up 2020-12-31 (100 days later): "
         "if the register was closed at 2020-09-22, give --end-of-followup 2020-09-22, otherwise persons look "
         "event-free where nobody looked", "revict-register-closed-early"),
        ("fewer than 10 persons at risk at k years, the estimate is unstable: sex = male, offence any, k = 5 (7 at "
         "risk)", "revict-few-at-risk"),
        ("something entirely new", "unknown"),
    ],
)
def test_explanations_of_the_package_warnings(message, key):
    e = explain(message)
    assert e.key == key
    if key != "unknown":
        assert e.meaning and e.action


def test_explanation_keys_are_unique_and_patterns_compile():
    keys = [e.key for e in EXPLANATIONS]
    assert len(keys) == len(set(keys))
    # "ESS" is matched as a word, not inside "unless" or "process"
    assert explain("the process stopped unless asked").key == "unknown"


def test_unknown_warning_is_shown_verbatim(runs, tmp_path):
    import shutil

    d = tmp_path / "run"
    shutil.copytree(runs["estimate"], d)
    (d / MANIFEST).unlink()  # a hand-edited result.json is refused when the manifest records the original
    res = json.loads((d / "result.json").read_text())
    res["warnings"].append("a <new> warning nobody has explained")
    (d / "result.json").write_text(json.dumps(res))
    page = build_report(d, overwrite=True).read_text(encoding="utf-8")
    assert html.escape("a <new> warning nobody has explained", quote=False) in page
    assert 'data-kind="unknown"' in page


@pytest.mark.slow
def test_dutch_demo_reports_are_under_5_mb(tmp_path):
    # the bundled Dutch registrations as in the README's demo, and a monitor run of the Dutch-like simulation
    r = runner.invoke(app, ["estimate", "netherlands_2010_2015", "--seed", "1", "--jobs", "1", "--out",
                            str(tmp_path / "nl"), "--report"])
    assert r.exit_code == 0, r.output
    sim = tmp_path / "sim"
    assert runner.invoke(app, ["simulate", "dutch_like", "--seed", "1", "--out", str(sim)]).exit_code == 0
    r = runner.invoke(app, ["monitor", str(sim / "histories.csv"), "--year", "year", "--structural-zeros",
                            str(sim / "structural_zeros.csv"), "--seed", "1", "--reps", "200", "--jobs", "1",
                            "--out", str(tmp_path / "mon"), "--report"])
    assert r.exit_code == 0, r.output
    for d in ("nl", "mon"):
        size = (tmp_path / d / "report.html").stat().st_size
        assert 20_000 < size < 5_000_000, (d, size)


def test_data_uri_downloads_are_the_tables(runs, est_page):
    # every table on the page offers its CSV; the search path download is search_path.csv itself
    n_tables = len([t for t, a in est_page.tags if t == "table"])
    assert len(est_page.downloads) >= n_tables
    dl = _csv_of(est_page.downloads["search_path.csv"])
    path = pd.read_csv(runs["estimate"] / "search_path.csv", dtype=str, keep_default_na=False)
    assert dl.equals(path)
    assert urllib.parse.urlparse(est_page.downloads["list_sizes.csv"]).scheme == "data"


def _persons_with_unknown_covariates(seed: int = 1) -> pd.DataFrame:
    """Per-person records of 3 lists with sex and age, some cells empty (unknown)."""
    rng = np.random.default_rng(seed)
    n = 700
    df = pd.DataFrame({"A": rng.integers(0, 2, n), "B": rng.integers(0, 2, n), "C": rng.integers(0, 2, n),
                       "sex": rng.choice(["f", "m"], n), "age": rng.choice(["old", "young"], n)})
    df = df[df[["A", "B", "C"]].sum(axis=1) > 0].reset_index(drop=True)
    df.loc[rng.random(len(df)) < 0.2, "sex"] = np.nan
    df.loc[rng.random(len(df)) < 0.1, "age"] = np.nan
    return df


@pytest.mark.parametrize("kind", ["estimate", "monitor"])
def test_data_section_counts_every_person_when_covariates_are_unknown(tmp_path, kind):
    # --missing em keeps persons with an empty covariate cell; the Data section counts them all
    df = _persons_with_unknown_covariates()
    assert df["sex"].isna().sum() > 50 and df["age"].isna().sum() > 20
    if kind == "estimate":
        estimate(df, lists=["A", "B", "C"], covariates=["sex", "age"], missing="em", ci="none").write(tmp_path)
    else:
        df["year"] = np.where(np.arange(len(df)) % 2 == 0, 2019, 2020)
        monitor(df, lists=["A", "B", "C"], covariates=["sex", "age", "year"], year="year", missing="em", reps=20,
                seed=1, n_jobs=1).write(tmp_path)
    page = _page(build_report(tmp_path))
    data = page.text("data")
    assert f"registered persons {_count(len(df))}" in data
    for c in ("sex", "age"):
        n = df[c].value_counts().sort_index()
        levels = ", ".join(f"{lv} ({_count(k)})" for lv, k in n.items())
        assert f"{c} (2 levels): {levels}, unknown ({_count(df[c].isna().sum())})" in data
    sizes = {r[0]: r[1] for r in page.tables["list-sizes"][1:]}
    assert sizes == {x: _count(df[x].sum()) for x in "ABC"}
    ov = page.tables["overlaps"]
    assert ov[1][2] == _count((df["A"] & df["B"]).sum()) and ov[2][3] == _count((df["B"] & df["C"]).sum())
    # the capture patterns (table and its download) hold every person
    code = df["A"].astype(str) + df["B"].astype(str) + df["C"].astype(str)
    truth = {" + ".join(x for x, on in zip("ABC", c) if on == "1"): _count(k) for c, k in code.value_counts().items()}
    assert {r[0]: r[1] for r in page.tables["patterns"][1:]} == truth
    assert _csv_of(page.downloads["capture_patterns.csv"])["persons"].astype(int).sum() == len(df)


def test_simulate_output_is_not_taken_for_a_linkage_run(tmp_path):
    # `darkfigure simulate --persons` writes histories.csv, truth.csv and persons.csv: no results to report
    d = tmp_path / "sim"
    r = runner.invoke(app, ["simulate", "dutch_like", "--seed", "1", "--persons", "--out", str(d)])
    assert r.exit_code == 0, r.output
    assert (d / "persons.csv").is_file() and not (d / "links.csv").exists()
    with pytest.raises(RunFolderError, match="no darkfigure results"):
        build_report(d)
    r = runner.invoke(app, ["report", str(d)])
    out = " ".join(r.output.split())
    assert r.exit_code == 2 and "darkfigure simulate" in out and "darkfigure estimate" in out
    assert not (d / "report.html").exists()
    # with links.csv it is a linkage run: persons.csv and histories.csv are its persons and histories
    pd.DataFrame({"organisation": ["A", "B"], "record_id": ["1", "2"], "person_id": [1, 1]}).to_csv(
        d / "links.csv", index=False)
    page = _page(build_report(d))
    assert "Record linkage" in page.h2
    assert "persons after linkage" in page.text("linkage")


@pytest.mark.parametrize("content", ["{}", '{"darkfigure_version": "0.1"}', '{"nhat": 12}'])
def test_result_json_without_an_estimate_is_an_error(tmp_path, content):
    (tmp_path / "result.json").write_text(content)
    with pytest.raises(RunFolderError, match="does not hold the result of darkfigure estimate or monitor"):
        build_report(tmp_path)
    r = runner.invoke(app, ["report", str(tmp_path)])
    out = "".join(r.output.split())  # a long path wraps anywhere
    assert r.exit_code == 2 and "result.json" in out and "lacks" in out, out
    assert not list(tmp_path.glob("*.html"))


def test_revictimisation_notes_settings_and_first_offence_shares(tmp_path):
    from darkfigure.monitoring.revictimisation import revictimisation, simulate_revictimisation

    sim = simulate_revictimisation(300, seed=3)
    later = pd.concat([sim.later, pd.DataFrame({"person_id": ["X1"], "date": ["2020-01-01"], "offence": ["violence"]})])
    res = revictimisation(sim.victims, later, end_of_followup=sim.end_of_followup, k_years=[1, 9], level=0.9)
    res.write(tmp_path)
    page = _page(build_report(tmp_path))
    assert page.h2 == ["Summary", "Repeat victimisation", "Warnings and notes", "About this run"]
    # every note on the page, explained in plain words, marked as from the repeat-victimisation tables
    text = page.text("warnings")
    assert len(res.notes) >= 4
    for n in res.notes:
        assert " ".join(n.split()) in text
    msgs = [a for t, a in page.tags if t == "div" and a.get("data-kind")]
    assert len(msgs) == len(res.notes) and "unknown" not in {a["data-kind"] for a in msgs}
    assert text.count("repeat victimisation") >= len(res.notes)
    # the settings
    about = page.text("about")
    assert f"repeat victimisation: end of follow-up {sim.end_of_followup}" in about
    assert "repeat victimisation: within (years) 1, 9" in about
    assert "repeat victimisation: confidence level 90%" in about
    assert "repeat victimisation: subgroups (covariates) sex, exploitation" in about
    assert "person id person_id, first registration first_registration" in about
    info = json.loads((tmp_path / "revictimisation.json").read_text())
    assert f"run date {info['run_date']}" in about
    # the first later offence: shares as percentages, as in the other tables
    rows = page.tables["revictimisation-first"]
    fo = res.first_offence
    assert rows[0][:3] == ["group", "level", "first later offence"]
    cum = rows[0].index("cumulative share")
    assert [r[cum] for r in rows[1:]] == [f"{100 * v:.1f}%" if np.isfinite(v) else "–" for v in fo["cumulative"]]
    ok = fo.index[np.isfinite(fo["lower"])][0]
    assert rows[1 + ok][cum + 1] == f"{100 * fo['lower'][ok]:.1f}% – {100 * fo['upper'][ok]:.1f}%"


def _with_result(runs, tmp_path, change) -> _Page:
    import shutil

    d = tmp_path / "run"
    shutil.copytree(runs["estimate"], d)
    (d / MANIFEST).unlink()  # a hand-edited result.json is refused when the manifest records the original
    res = json.loads((d / "result.json").read_text())
    change(res)
    (d / "result.json").write_text(json.dumps(res))
    return _page(build_report(d, overwrite=True))  # a copied report.html is not this folder's


def test_model_checks_name_their_status_once(runs, tmp_path):
    checks = [
        {"name": "goodness_of_fit", "statistic": 0.82, "statistic_name": "p_value", "flagged": False,
         "computed": True, "message": "goodness of fit: deviance 15.9 on 22 df (p = 0.82)"},
        {"name": "residuals_by_number_of_lists", "statistic": 3.1, "statistic_name": "pearson_residual",
         "flagged": True, "message": "residuals by number of lists: largest for persons on 4 list(s), observed 30 "
                                     "vs fitted 12.1 (Pearson residual +3.1)"},
        # not computed: no statistic (null), not flagged, the message says why (with or without "computed")
        {"name": "chao_lower_bound", "statistic": None, "statistic_name": "z_below_chao_bound", "flagged": False,
         "message": "Chao's lower bound: not computed — with structural zeros the lists cannot all register "
                    "everybody, which the bound assumes"},
        {"name": "goodness_of_fit", "statistic": None, "statistic_name": "p_value", "flagged": False,
         "computed": False, "message": "goodness of fit: not computed — with imputed covariate values the deviance "
                                       "is that of the completed table, not a test of the model"},
        {"name": "some_new_check", "statistic": None, "flagged": False, "message": "fine"},
    ]
    page = _with_result(runs, tmp_path, lambda r: r.update(checks=checks))
    html_ = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    items = [" ".join(html.unescape(re.sub(r"<[^>]+>", "", li)).split())
             for li in re.findall(r"<li>(.*?)</li>", html_.split('id="model-checks"')[1].split("</ul>")[0])]
    assert items == [
        "goodness of fit — passed: deviance 15.9 on 22 df (p = 0.82)",
        "residuals by number of lists — flagged: largest for persons on 4 list(s), observed 30 vs fitted 12.1 "
        "(Pearson residual +3.1)",
        "Chao's lower bound (heterogeneity) — not computed: with structural zeros the lists cannot all register "
        "everybody, which the bound assumes",
        "goodness of fit — not computed: with imputed covariate values the deviance is that of the completed "
        "table, not a test of the model",
        "some new check — passed: fine",
    ]
    assert "Model checks" in page.text("model")


def test_about_shows_missing_setting_and_structural_zeros(runs, tmp_path):
    def change(res):
        res["settings"].update(missing="em", covariates=["sex", "age"], imputed={"persons": 151, "sex": 105, "age": 53},
                               structural_zeros=[["I", "sex", "male"], ["K", "form", "labour"]])

    page = _with_result(runs, tmp_path, change)
    about = page.text("about")
    assert "unknown covariate values em: 151 persons with an unknown value kept, imputed by EM (sex 105, age 53)" in about
    assert "structural zeros list I cannot register sex = male; list K cannot register form = labour" in about
    # imputed values: the deviance is that of the completed table, so no goodness-of-fit p-value
    assert "goodness of fit p-value not computed" in page.text("model")
    page = _with_result(runs, tmp_path / "b", lambda r: r["settings"].update(missing="drop", covariates=["sex"],
                                                                              structural_zeros=None))
    about = page.text("about")
    assert "unknown covariate values drop" in about and "structural zeros" not in about


def test_summary_carries_to_publish_and_the_model_averaging(runs, est_page):
    """Tester report 6, M1: the run's own advice on what to publish, and that N̂ is a model average."""
    res = json.loads((runs["estimate"] / "result.json").read_text())
    summary = " ".join(est_page.text("summary").split())
    statement = " ".join(res["to_publish"]["statement"].split())
    assert "To publish:" in summary and html.unescape(statement) in summary
    k = len(res["averaging"]["models"])
    assert k > 1  # the default netherlands run averages several models
    said = f"model average of {k} log-linear models (AIC weights); the chosen model alone: N̂ {_count(res['model']['nhat'])}"
    assert said in summary
    rows = est_page.tables["averaging"][1:]
    assert [r[0] for r in rows] == [m["model"] for m in res["averaging"]["models"]]
    assert [r[2] for r in rows] == [_count(m["nhat"]) for m in res["averaging"]["models"]]


def test_linkage_corrected_interval_labelled_as_in_the_terminal(runs, tmp_path, est_page):
    """Tester 8, F8: the pooled interval with linkage uncertainty says what it carries and which replicates make it."""

    def change(res):
        res["nhat"] = 8099.0
        res["interval"].update(method="parametric", lower=7804.0, upper=8470.0, conditional_on_chosen_model=True,
                               with_linkage_uncertainty=True)
        res["linkage"] = {"corrected": True, "nhat_as_linked": 8097.0, "nhat_corrected": 8099.0, "lower": 7804.0,
                          "upper": 8470.0, "lower_as_linked": 7750.0, "upper_as_linked": 8445.0, "draws": 10,
                          "reps_per_draw": 20, "level": 0.95}
        res["bootstrap"]["replicates"] = 200

    page = _with_result(runs, tmp_path, change)
    carries = "conditional on the chosen model; with linkage uncertainty; N̂ corrected for linkage error"
    summary, estimates = (" ".join(page.text(s).split()) for s in ("summary", "estimates"))
    assert carries in summary and "10 linkage draws × 20 replicates each of the parametric bootstrap" in summary
    assert f"N̂ 8,099 (95% interval 7,804 – 8,470; {carries})" in estimates
    assert "replicates 200 (10 linkage draws × 20 bootstrap replicates each), pooled" in estimates
    assert "as-linked bootstrap 200 replicates; interval 7,750 – 8,445 around N̂ as linked 8,097" in estimates
    assert "replicates 200 (" not in " ".join(est_page.text("estimates").split())  # a run without linkage: as before


def test_identifying_assumption_subgroups_registered_as_in_estimates_csv(runs, tmp_path):
    """Tester 8, F10: the subgroup table's registered counts are estimates.csv's (2,796 vs 2,797 with EM shares)."""
    import shutil

    d = tmp_path / "run"
    shutil.copytree(runs["estimate"], d)
    (d / MANIFEST).unlink()
    est = pd.read_csv(d / "estimates.csv", keep_default_na=False)
    total = est.iloc[0]
    sub = total.copy()
    sub["group"], sub["level"], sub["observed"] = "sex", "f", 2797
    pd.concat([est, sub.to_frame().T], ignore_index=True).to_csv(d / "estimates.csv", index=False)
    res = json.loads((d / "result.json").read_text())
    ia = res["identifying_assumption"]
    # EM-imputed shares truncated in result.json (2,796.8 -> 2,796), rounded in estimates.csv (2,797)
    ia["subgroups"] = [ia["subgroups"][0], {**ia["subgroups"][0], "group": "sex", "level": "f", "observed": 2796}]
    (d / "result.json").write_text(json.dumps(res))
    page = _page(build_report(d, overwrite=True))
    rows = page.tables["identifying-assumption-subgroups"][1:]
    assert next(x for x in rows if x[:2] == ["sex", "f"])[2] == "2,797"


def test_characters_the_plot_font_lacks_are_noted_once_not_warned(tmp_path):
    """Tester 8, F4: CJK/emoji list names: no matplotlib "Glyph missing" warning leaks; the report says so once."""
    import warnings

    t = pd.DataFrame({"警察": [1, 0, 1, 1, 0, 1, 0], "ONG 🙂": [0, 1, 1, 0, 1, 1, 0], "Сербия": [1, 1, 0, 0, 0, 1, 1],
                      "count": [30, 25, 8, 40, 35, 12, 50]})
    estimate(t, lists=["警察", "ONG 🙂", "Сербия"], ci="none").write(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = _page(build_report(tmp_path))
    assert not [w for w in caught if "Glyph" in str(w.message)], [str(w.message) for w in caught]
    text = page.text("warnings")
    assert text.count("cannot be drawn with the plots' font") == 1 and "警" in text and "🙂" in text
    assert "Some characters are not drawn in the plots" in text
