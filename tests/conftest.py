"""Shared fixtures: paths to the reference results in ../shared (read-only)."""

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
#: the R peers' results; DARKFIGURE_REFERENCE points elsewhere (tests/test_conftest_banner.py: a missing folder)
REFERENCE = Path(os.environ.get("DARKFIGURE_REFERENCE") or SHARED / "reference")
#: the reason of every skip for a missing REFERENCE: the banner counts the skips by it
REFERENCE_MISSING = f"reference results not found at {REFERENCE}"


@pytest.fixture(scope="session")
def reference() -> Path:
    """Folder of reference results from the R peers; tests needing it skip when absent."""
    if not REFERENCE.exists():
        pytest.skip(REFERENCE_MISSING)
    return REFERENCE


@pytest.fixture(autouse=True)
def _unwrapped_cli_output(request, monkeypatch):
    """In-process command-line output not wrapped, so that tests find each sentence and figure on one line.

    Off a terminal the consoles and the progress lines on stderr are 120 columns wide (darkfigure._stderr.PIPED_WIDTH,
    s23 new user finding 9: a saved log was padded to 2,901 columns; s24 fresh clone L2: stderr lines of 275); the
    tests read what is said, not the layout, so they get the old width of 10,000. A module with
    ``REAL_PIPED_WIDTH = True`` (tests/test_cli_piped_width.py) tests the layout itself. Child processes are not
    affected. pytest-xdist's workers run with COLUMNS=80 (and LINES=24) in their environment, which the library reads
    as the user's chosen width: it is removed here, so that a test sees what a user without COLUMNS sees (a test that
    sets it does so itself, after this fixture).
    """
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)
    if getattr(request.module, "REAL_PIPED_WIDTH", False):
        return
    import darkfigure._stderr as stderr

    monkeypatch.setattr(stderr, "PIPED_WIDTH", 10_000)


# ----------------------------------------------------------------------------- hostile-input helpers
def _squash(text: str) -> str:
    """Text without whitespace: rich wraps long messages (and paths) at the terminal width."""
    return "".join(text.split())


@pytest.fixture
def cli():
    """Run the command line in-process: ``cli(args, code=2, says=[...])`` -> output.

    Asserts the exit code, that no traceback (nor an uncaught exception) came out, and
    that every string in `says` is in the output (whitespace ignored: rich wraps lines).
    """
    from typer.testing import CliRunner

    from darkfigure.cli import app

    runner = CliRunner()

    def run(args, code: int | None = 2, says=(), cwd=None):
        import os

        old = os.getcwd()
        if cwd is not None:
            os.chdir(cwd)
        try:
            r = runner.invoke(app, [str(a) for a in args])
        finally:
            os.chdir(old)
        out = r.output
        assert r.exception is None or isinstance(r.exception, SystemExit), (
            f"uncaught {type(r.exception).__name__}: {r.exception}\n{out}"
        )
        assert "Traceback" not in out, out
        if code is not None:
            assert r.exit_code == code, f"exit {r.exit_code} (expected {code}):\n{out}"
        for s in [says] if isinstance(says, str) else says:
            assert _squash(s) in _squash(out), f"{s!r} not in:\n{out}"
        return out

    return run


def checksums(folder: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under `folder`."""
    import hashlib

    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(Path(folder).rglob("*")) if p.is_file()
    }


@pytest.fixture
def untouched():
    """``check = untouched(folder)`` before a run; ``check()`` after: no pre-existing file changed or vanished."""

    def snap(folder: Path):
        before = checksums(folder)

        def check(allowed=()):
            after = checksums(folder)
            for name, digest in before.items():
                if name in allowed:
                    continue
                assert after.get(name) == digest, f"{name} was changed or removed"

        return check

    return snap


# ----------------------------------------------------------------------------- loud skips
_TOOL_WORDS = ("chromium", "java", "spark", "playwright", "browser")


def _tool_skips(terminalreporter) -> list[str]:
    out = []
    for rep in terminalreporter.stats.get("skipped", []):
        reason = str(rep.longrepr[-1]) if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        if any(w in reason.lower() for w in _TOOL_WORDS):
            out.append(f"{rep.nodeid}: {reason}")
    return out


def _skip_reasons(terminalreporter) -> list[str]:
    return [str(rep.longrepr[-1]) if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
            for rep in terminalreporter.stats.get("skipped", [])]


def _reference_skips(terminalreporter) -> int:
    """How many tests skipped because the R peers' reference results (../shared/reference) are not there.

    They skip with REFERENCE_MISSING, or (rows read from the reference when the module is imported) as an empty
    parameter set; counted only when REFERENCE is absent, so an empty parameter set of another cause is not taken
    for one of them.
    """
    if REFERENCE.exists():
        return 0
    return sum("reference results not found" in r or "got empty parameter set" in r
               for r in _skip_reasons(terminalreporter))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Tests skipped for a missing Chromium or Java, or for missing reference results, are announced in a banner,
    not buried in the summary (the checks against the R peers then did not run: a fresh-clone check, 2026-12-06;
    s24 fresh clone L1: the banner said 60 for 61 skips, one skip being worded otherwise)."""
    n_ref = _reference_skips(terminalreporter)
    if n_ref:
        n_other = len(_skip_reasons(terminalreporter)) - n_ref
        terminalreporter.write_sep("!", f"{n_ref} TESTS AGAINST THE R PEERS' REFERENCE RESULTS SKIPPED", red=True,
                                   bold=True)
        terminalreporter.write_line(
            f"{REFERENCE} was not found, so the comparisons with the R packages (README, 'Checked against the peers')"
            " did not run: expected in a clone without ../shared beside it." + (
                f" The other {n_other} skip(s) have other reasons (in the list of skips, SKIPPED [...])." if n_other else ""),
            red=True)
    skipped = _tool_skips(terminalreporter)
    if skipped:
        tr = terminalreporter
        tr.write_sep("!", "BROWSER/SPARK TESTS SKIPPED: a tool is missing", red=True, bold=True)
        for line in skipped:
            tr.write_line(line, red=True)
        tr.write_line("Install it (.ci/run does: apt-get install chromium openjdk-17-jre-headless) and run again.",
                      red=True)


def pytest_sessionfinish(session, exitstatus):
    """With DARKFIGURE_REQUIRE_BROWSER=1 (CI) such skips fail the run."""
    import os

    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    if os.environ.get("DARKFIGURE_REQUIRE_BROWSER") and tr is not None and _tool_skips(tr) and exitstatus == 0:
        session.exitstatus = 1


# ----------------------------------------------------------------------------- order: longest files first
#: the test files that run the most (README's commands as written, the docs site with its executed tutorials,
#: the whole demo, the coverage studies of 200 and 100 populations with bootstrap intervals): run first, so
#: that with pytest-xdist (make test: one worker per core, whole files per worker, in this order) they overlap
#: the many shorter files instead of ending the run on one busy core
LONGEST_FIRST = ("test_readme.py", "test_docs.py", "test_demo.py", "test_simulate.py", "test_structural_zeros.py")


def pytest_collection_modifyitems(session, config, items):
    """Move the files of :data:`LONGEST_FIRST` to the front (a stable sort: the order within a file is kept)."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
