"""Shared fixtures: paths to the reference results in ../shared (read-only)."""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REFERENCE = SHARED / "reference"


@pytest.fixture(scope="session")
def reference() -> Path:
    """Folder of reference results from the R peers; tests needing it skip when absent."""
    if not REFERENCE.exists():
        pytest.skip(f"reference results not found at {REFERENCE}")
    return REFERENCE


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
