"""The report in a real browser: headless Chromium with the network blocked renders every section,
logs nothing, loads every plot, and shows the run's numbers in the headline and the trend table."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from darkfigure.comparison import compare
from darkfigure.comparison import write as write_compare
from darkfigure.io import read_histories
from darkfigure.monitoring import monitor
from darkfigure.report import build_report
from darkfigure.simulation import simulate

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).is_file()), None)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (/usr/bin/chromium); .ci/run installs it")

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

SCENARIO = {
    "name": "browser_monitor",
    "years": [2017, 2018, 2019, 2020],
    "year_column": "year",
    "population": {"size": [2500, 2700, 3000, 3200]},
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
    [(y, sx, 2_500_000 * (1 + 0.01 * (y - 2017))) for y in (2017, 2018, 2019, 2020) for sx in ("female", "male")],
    columns=["year", "sex", "population"],
)

SECTIONS = [
    "Summary", "Data", "Model search and fit", "Estimates", "Identifying assumption", "Comparison of methods",
    "Yearly trend", "Visibility by subgroup", "SDG 16.2.2 rates", "Tables for publication", "Record linkage", "Repeat victimisation",
    "Warnings and notes", "About this run",
]


def _linkage_and_revictimisation(d: Path) -> None:
    """Small files in the formats of `darkfigure link` and `darkfigure revictimisation`."""
    pd.DataFrame({"precision": [0.97], "recall": [0.93], "f1": [0.95]}).to_csv(d / "linkage_quality.csv", index=False)
    pd.DataFrame({"threshold": [0.5, 0.9, 0.99], "persons": [3100, 3200, 3350], "nhat": [8000.0, 8400.0, 9100.0],
                  "lower": [7500.0, 7900.0, 8500.0], "upper": [8600.0, 9000.0, 9800.0]}).to_csv(
        d / "linkage_sensitivity.csv", index=False)
    pd.DataFrame({"organisation": ["A", "B"], "record_id": ["1", "2"], "person_id": [1, 1]}).to_csv(
        d / "links.csv", index=False)
    pd.DataFrame({"group": ["total", "sex", "sex"], "level": ["", "female", "male"], "offence": ["any"] * 3,
                  "k_years": [5] * 3, "persons": [500, 300, 200], "events": [180, 120, 60],
                  "censored": [150, 90, 60], "cumulative": [0.45, 0.5, 0.38], "lower": [0.4, 0.44, 0.31],
                  "upper": [0.5, 0.56, 0.45], "naive": [0.36, 0.4, 0.3]}).to_csv(d / "revictimisation.csv", index=False)
    t = np.linspace(0.25, 6, 24)
    rows = []
    for g, lv, top in [("total", "", 0.5), ("sex", "female", 0.55), ("sex", "male", 0.42)]:
        c = top * (1 - np.exp(-t / 3))
        rows += [{"group": g, "level": lv, "offence": "any", "time_years": x, "at_risk": 500 - 15 * i, "events": 4,
                  "cumulative": y, "lower": 0.9 * y, "upper": min(1.0, 1.1 * y)} for i, (x, y) in enumerate(zip(t, c))]
    pd.DataFrame(rows).to_csv(d / "revictimisation_curve.csv", index=False)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("browser") / "run"
    sim = simulate(SCENARIO, seed=5)
    monitor(sim.histories, year="year", population=POP, reps=50, seed=2, n_jobs=1, suppress_below=60).write(d)
    h = read_histories(sim.histories)
    # compare into its own folder, then its table beside the monitor's files (one folder, every section)
    c = d.parent / "compare"
    write_compare(compare(h, ["Mt", "Mh-darroch"], seed=1), h, c, seed=1)
    shutil.copy(c / "compare.csv", d / "compare.csv")
    _linkage_and_revictimisation(d)
    build_report(d)
    return d


def _render(path: Path, shot: Path | None = None, probe: dict | None = None) -> dict:
    """Open `path` in headless Chromium with every request but the file itself aborted.

    Returns the blocked and seen requests, console messages, page errors and what `probe`
    (name -> callable(page)) read from the page.
    """
    from playwright.sync_api import sync_playwright

    url = path.resolve().as_uri()
    blocked: list[str] = []
    requests: list[str] = []
    console: list[str] = []
    errors: list[str] = []
    out: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})

            def route(r):
                if r.request.url == url:
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url, wait_until="load")
            if shot is not None:
                page.screenshot(path=str(shot), full_page=True)
            for name, f in (probe or {}).items():
                out[name] = f(page)
        finally:
            browser.close()
    out.update(blocked=blocked, requests=requests, console=console, errors=errors, shot=shot)
    return out


def _rows(selector: str):
    js = "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))"
    return lambda page: page.locator(selector).evaluate_all(js)


@pytest.fixture(scope="module")
def rendered(run_dir, tmp_path_factory):
    shot = tmp_path_factory.mktemp("shot") / "report.png"
    return _render(run_dir / "report.html", shot, {
        "h2": lambda page: page.locator("section > h2").all_inner_texts(),
        "headline_nhat": lambda page: page.locator("#headline-nhat").inner_text(),
        "headline_interval": lambda page: page.locator("#headline-interval").inner_text(),
        "headline_observed": lambda page: page.locator("#headline-observed").inner_text(),
        "trend": _rows("#trend-table tbody tr"),
        "images": lambda page: page.locator("img").evaluate_all(
            "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight])"),
        "trend_img": lambda page: page.locator("#trend figure img").evaluate("i => i.naturalWidth"),
        "downloads": lambda page: page.locator("a[download]").count(),
        "tables": lambda page: page.locator("table").count(),
        "published": _rows("#published-table tbody tr"),
    })


def test_the_harness_sees_network_requests_and_console_errors(tmp_path):
    # the checks below can fail: a page that reaches out and logs is caught
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><link rel="stylesheet" href="https://cdn.example.org/x.css"></head>'
                   '<body><img src="http://example.org/a.png"><script>console.log("hi"); undefined_call();</script>'
                   "</body></html>")
    r = _render(bad)
    assert "https://cdn.example.org/x.css" in r["blocked"] and "http://example.org/a.png" in r["blocked"]
    assert any("hi" in m for m in r["console"]) and r["errors"]


def test_no_network_no_console_messages_no_errors(rendered):
    assert rendered["blocked"] == []  # nothing but the file itself was requested
    assert [u for u in rendered["requests"] if not u.startswith(("file:", "data:"))] == []
    assert rendered["console"] == []
    assert rendered["errors"] == []


def test_screenshot_is_a_real_picture(rendered):
    from PIL import Image

    data = rendered["shot"].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 100_000
    im = Image.open(io.BytesIO(data)).convert("RGB")
    assert im.size[0] == 1200 and im.size[1] > 5000  # full page: many sections
    colours = im.resize((300, im.size[1] // 4)).getcolors(maxcolors=1_000_000)
    assert len(colours) > 200  # plots and text, not a blank page


def test_every_section_is_rendered(rendered):
    assert rendered["h2"] == SECTIONS
    imgs = rendered["images"]
    # UpSet, identifying assumption, forest, trend, visibility, linkage sensitivity, revictimisation by offence
    # and by subgroup
    assert len(imgs) == 8
    assert all(complete and w > 100 and h > 100 for complete, w, h in imgs)
    assert rendered["trend_img"] > 300
    assert rendered["downloads"] >= rendered["tables"]


def test_headline_and_trend_table_show_the_runs_numbers(rendered, run_dir):
    est = pd.read_csv(run_dir / "estimates.csv").iloc[0]
    assert est["group"] == "total"
    assert rendered["headline_nhat"] == f"{est['nhat']:,.0f}"
    assert rendered["headline_interval"] == f"95% interval {est['lower']:,.0f} – {est['upper']:,.0f}"
    assert rendered["headline_observed"] == f"{int(est['observed']):,}"
    m = pd.read_csv(run_dir / "monitor.csv", keep_default_na=False)
    years = m[(m["group"] == "total") & (m["year"] != "")]
    assert len(years) == 4
    expected = [
        [str(y), f"{o:,.0f}", f"{n:,.0f}", f"{lo:,.0f}", f"{hi:,.0f}", f"{n - o:,.0f}"]
        for y, o, n, lo, hi in years[["year", "observed", "nhat", "lower", "upper"]].itertuples(index=False)
    ]
    assert [r[:6] for r in rendered["trend"]] == expected


def test_published_table_on_screen_is_the_disclosure_controlled_file(rendered, run_dir):
    pub = pd.read_csv(run_dir / "monitor_published.csv", dtype=str, keep_default_na=False)
    shown = rendered["published"]
    assert len(shown) == len(pub)
    # the screen shows the file's cells formatted for reading (thousands separators, one column per interval)
    num = lambda s: float(s.replace(",", "").rstrip("%"))  # noqa: E731
    for cells, (_, row) in zip(shown, pub.iterrows(), strict=True):
        assert cells[:2] == [row["group"], row["level"]]
        assert cells[2] == (row["year"] or "all")
        for i, col in ((3, "observed"), (4, "nhat")):
            if row[col].startswith("<") or row[col] == "x":
                assert cells[i] == row[col]  # suppressed cells as the file has them
            else:
                assert num(cells[i]) == pytest.approx(float(row[col]), abs=0.5)
        if row["lower"] not in ("", "x"):
            lo, hi = cells[5].split("–")
            assert num(lo) == pytest.approx(float(row["lower"]), abs=0.5)
            assert num(hi) == pytest.approx(float(row["upper"]), abs=0.5)
        if row["visibility"] not in ("", "x"):
            assert num(cells[6]) == pytest.approx(100 * float(row["visibility"]), abs=0.5)
    assert (pub["observed"].str.startswith("<") | (pub["observed"] == "x")).any()
