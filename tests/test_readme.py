"""Every command of README.md runs as written, in a fresh temporary folder.

The commands are extracted from README's ```bash blocks (continuation lines joined,
comments dropped). ``darkfigure`` runs as ``python -m darkfigure.cli`` of this
interpreter, ``python3`` as this interpreter. Skipped, each with its reason:
SKIP below. The fast test checks that every command names a known subcommand and
known options (a renamed option breaks it at once); the slow one runs them all
(``make test-slow``, CI).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

#: substring of a command -> why it is not run here
SKIP = {
    "make ": "make sets up a venv and runs the suites; this test already runs inside that venv",
    "my_table.csv": "my_table.csv stands for the reader's own file",
}


def readme_commands() -> list[str]:
    """The shell commands of README's bash blocks, in order."""
    text = README.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        block = re.sub(r"\\\n\s*", " ", block)
        for line in block.splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def _skip_reason(cmd: str) -> str | None:
    return next((why for key, why in SKIP.items() if key in cmd), None)


def test_readme_has_the_documented_chains():
    cmds = readme_commands()
    assert any(c.startswith("make demo") for c in cmds) and any(c.startswith("make test") for c in cmds)
    assert any("pseudonymise" in c and "key.txt" in c for c in cmds)
    key = next(i for i, c in enumerate(cmds) if "> key.txt" in c)
    assert key < next(i for i, c in enumerate(cmds) if "--key-file key.txt" in c), "key.txt is made before it is used"
    # the link folder itself as DATA, so that N̂ is corrected for linkage error (tester 7, 22)
    assert any(c.startswith("darkfigure estimate out/link ") and "--missing" in c for c in cmds)


def test_readme_commands_name_known_subcommands_and_options():
    """Parse each darkfigure command with the CLI's own parser (nothing runs)."""
    import typer

    from darkfigure.cli import app

    group = typer.main.get_command(app)
    n = 0
    for cmd in readme_commands():
        if _skip_reason(cmd) or not cmd.startswith("darkfigure "):
            continue
        args = shlex.split(cmd.split(">")[0])[1:]
        args = [a for a in args if "*" not in a]  # shell globs expand to files
        if args[0] == "--help" or "--help" in args:
            continue
        sub = group.get_command(None, args[0])
        assert sub is not None, f"unknown subcommand in README: {cmd}"
        sub.make_context(args[0], args[1:], resilient_parsing=True)
        for opt in (a.split("=")[0] for a in args[1:] if a.startswith("--")):
            assert any(opt in p.opts or opt in p.secondary_opts for p in sub.params), f"unknown option {opt}: {cmd}"
        n += 1
    assert n >= 10


@pytest.mark.slow
def test_readme_commands_run_as_written(tmp_path):
    py = shlex.quote(sys.executable)
    ran, skipped = [], []
    for cmd in readme_commands():
        why = _skip_reason(cmd)
        if why:
            skipped.append(f"{cmd}  [{why}]")
            continue
        shell = re.sub(r"^darkfigure\b", f"{py} -m darkfigure.cli", cmd)
        shell = re.sub(r"^python3\b", py, shell)
        r = subprocess.run(shell, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=1200)
        assert "Traceback" not in r.stderr + r.stdout, f"{cmd}\n{r.stderr[-3000:]}"
        assert r.returncode == 0, f"README command failed (exit {r.returncode}): {cmd}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
        ran.append(cmd)
    print(f"ran {len(ran)} README commands; skipped:\n" + "\n".join(skipped))
    assert len(ran) >= 15
