"""The documentation site: `mkdocs build --strict` passes (the tutorials execute while it builds), every
page is in the nav, the CLI reference lists every command, and headless Chromium renders the index and a
tutorial offline."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).is_file()), None)
TUTORIALS = ["dutch-monitor", "uk-2013", "kosovo", "linkage"]


def _nav_files(nav) -> list[str]:
    out = []
    for item in nav:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            for v in item.values():
                out += _nav_files(v) if isinstance(v, list) else [v]
    return out


def _config() -> dict:
    # mkdocs.yml has no custom YAML tags, so the safe loader reads it
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text())


def test_every_page_is_in_the_nav_and_every_nav_entry_exists():
    nav = set(_nav_files(_config()["nav"]))
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if "_helpers" not in p.parts}
    assert pages - nav == set(), "pages missing from the nav in mkdocs.yml"
    assert nav - pages == set(), "nav entries without a page"
    assert {f"tutorials/{t}.md" for t in TUTORIALS} <= nav
    assert {"coverage_study.md", "heterogeneity_check.md", "glossary.md", "cli.md"} <= nav


def test_cli_reference_lists_every_command_and_option():
    import typer

    sys.path.insert(0, str(DOCS / "_helpers"))
    try:
        from dfdocs import cli_reference
    finally:
        sys.path.remove(str(DOCS / "_helpers"))
    from darkfigure.cli import app

    text = cli_reference()
    group = typer.main.get_command(app)
    ctx = group.context_class(group, info_name="darkfigure")
    commands = [c for c in group.list_commands(ctx) if not group.get_command(ctx, c).hidden]
    assert len(commands) >= 10
    for name in commands:
        assert f"## darkfigure {name}\n" in text
        for p in group.get_command(ctx, name).params:
            if getattr(p, "param_type_name", "") == "option" and not p.hidden:
                assert f"`{p.opts[0]}" in text, f"{name} {p.opts[0]} missing from the CLI reference"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built strictly into a temporary folder (as `make docs`, which builds into site/)."""
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    assert "WARNING" not in log, log[-5000:]
    return out


@pytest.mark.slow
def test_site_builds_strictly_with_executed_tutorials(site):
    assert (site / "index.html").is_file()
    for t in TUTORIALS:
        html = (site / "tutorials" / f"{t}.html").read_text()
        text = re.sub(r"<[^>]+>", "", html)  # the console blocks are highlighted: tags between the words
        assert "$ darkfigure " in text, f"{t}: no executed command"
        assert "Traceback" not in text, f"{t}: a code block failed"
    uk = (site / "tutorials" / "uk-2013.html").read_text()
    # the page's own check against SparseMSE in ../shared/reference printed both numbers
    assert uk.count("11,417.991") >= 2
    cli = (site / "cli.html").read_text()
    assert "darkfigure estimate" in cli and "--structural-zeros" in cli
    api = (site / "api" / "front-doors.html").read_text()
    assert "darkfigure.estimation.estimate" in api and "Raises" in api
    # offline: no web fonts, CDN scripts or other addresses to load from
    for page in site.rglob("*.html"):
        html = page.read_text()
        loads = re.findall(r'src="(https?://[^"]+)"', html) + re.findall(r'<link[^>]*href="(https?://[^"]+)"', html)
        assert loads == [], page


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("DARKFIGURE_REQUIRE_BROWSER"),
                    reason="no chromium binary (/usr/bin/chromium); .ci/run installs it")
def test_chromium_renders_the_index_and_a_tutorial_offline(site):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None, "DARKFIGURE_REQUIRE_BROWSER is set but chromium is missing"
    root = site.resolve().as_uri()
    blocked: list[str] = []
    errors: list[str] = []
    seen: dict[str, dict] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})

            def route(r):
                if r.request.url.startswith(root) or r.request.url.startswith("data:"):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            for name in ("index.html", "tutorials/uk-2013.html"):
                page.goto(f"{root}/{name}", wait_until="load")
                seen[name] = {
                    "h1": page.locator("article h1").first.inner_text(),
                    "nav": page.locator("nav.md-nav--primary a").count(),
                    "code": page.locator("article pre").count(),
                    "text": page.locator("article").inner_text(),
                    "styled": page.evaluate("getComputedStyle(document.querySelector('.md-header')).position"),
                }
        finally:
            browser.close()
    assert errors == [], errors
    assert blocked == [], blocked
    assert seen["index.html"]["h1"].rstrip("¶") == "darkfigure"  # the heading and its permalink
    assert seen["index.html"]["nav"] > 20
    assert seen["index.html"]["styled"] in ("sticky", "fixed")  # the theme's CSS loaded from the site
    uk = seen["tutorials/uk-2013.html"]
    assert uk["h1"].startswith("Reproducing the UK 2013 estimate")
    assert uk["code"] >= 6
    assert "darkfigure N̂ = 11,417.991" in uk["text"] and "SparseMSE  N̂ = 11,417.991" in uk["text"]
