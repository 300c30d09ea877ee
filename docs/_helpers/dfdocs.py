"""Helpers for the executed tutorials: run a shell command as a reader would and show its output.

``print(run("darkfigure estimate uk_2013 --seed 1"))`` runs the command in the page's working folder (a
fresh temporary folder, see ``hooks.py``), with the ``darkfigure`` of the Python that builds the site first
on ``PATH``, and returns a console block (``$ command`` then its output) for markdown-exec to render (the
block prints it: markdown-exec captures the ``print`` of the code block, not of this module). A command
whose exit code is not the expected one raises, so that ``mkdocs build --strict`` fails: a tutorial
that stops working stops the build.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import time
from pathlib import Path

TIMINGS: dict[str, float] = {}
# the repository root, and the shared folder beside it that holds the R peers' results (read only)
REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO.parent / "shared" / "reference"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update(COLUMNS="100", NO_COLOR="1", TERM="dumb", PYTHONUNBUFFERED="1")
    return env


OUTPUT: dict[str, str] = {}


def run(command: str, *, code: int = 0, head: int | None = None, tail: int | None = None) -> str:
    """Run `command` in a shell in the page's folder; return it and its output as a console block.

    Parameters
    ----------
    command : the command line as a reader types it (``darkfigure ...``; a backslash-newline continues it).
    code : the exit code expected (2 for bad input, 3 when N is not identified).
    head, tail : show only the first / last lines of the output (the rest is marked as cut).

    Returns
    -------
    Markdown: a console block. The whole output (stdout and stderr) is kept in ``OUTPUT[command]``.

    Raises
    ------
    RuntimeError
        The exit code was not `code`.
    """
    t0 = time.perf_counter()
    proc = subprocess.run(command, shell=True, executable="/bin/bash", env=_env(), capture_output=True,
                          text=True, timeout=600)
    TIMINGS[command] = time.perf_counter() - t0
    out = (proc.stdout + proc.stderr).rstrip("\n")
    OUTPUT[command] = out
    if proc.returncode != code:
        raise RuntimeError(f"`{command}` exited with {proc.returncode} (expected {code}):\n{out}")
    lines = out.splitlines()
    if head is not None and len(lines) > head:
        lines = lines[:head] + [f"... ({len(lines) - head} more lines)"]
    if tail is not None and len(lines) > tail:
        lines = [f"... ({len(lines) - tail} lines above)"] + lines[-tail:]
    return "```console\n$ " + command + "\n" + "\n".join(lines) + "\n```\n"


def image(path: str | Path, alt: str, width: int = 700) -> str:
    """A PNG written by a tutorial as an embedded image (the site stays one offline folder)."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{alt}" width="{width}" src="data:image/png;base64,{data}">\n'


def table(frame, digits: int = 0) -> str:
    """A pandas DataFrame as a Markdown table (floats with thousands separators and `digits` decimals)."""
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append(f"{v:,.{digits}f}" if v == v else "")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def cli_reference() -> str:
    """The command-line reference, generated from the typer app: every command, its help, arguments and options.

    Returns
    -------
    Markdown: one section per command (usage line, help text, a table of its parameters with their
    types, defaults and help).
    """
    import typer

    from darkfigure.cli import app

    group = typer.main.get_command(app)
    ctx = group.context_class(group, info_name="darkfigure")
    parts = []
    top = inspect_help(group.help or "")
    parts.append(top + "\n")
    opts = [p for p in group.params if _is_option(p) and not p.hidden]
    if opts:
        parts.append("Options of `darkfigure` itself: " + ", ".join(
            "`" + " / ".join(p.opts + p.secondary_opts) + "` (" + _md_escape(p.help or "").rstrip(".") + ")" for p in opts) + ".\n")
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None or cmd.hidden:
            continue
        sub = cmd.context_class(cmd, info_name=name, parent=ctx)
        # typer writes arguments as {data}; the help text and the README write DATA
        usage = re.sub(r"\{(\w+)\}", lambda m: m.group(1).upper(), " ".join(cmd.collect_usage_pieces(sub)))
        parts.append(f"## darkfigure {name}\n")
        parts.append(f"```text\ndarkfigure {name} {usage}\n```\n")
        parts.append(inspect_help(cmd.help or "") + "\n")
        rows = []
        for p in cmd.params:
            if getattr(p, "hidden", False):
                continue
            if _is_option(p):
                record = p.get_help_record(sub)
                if record is None:
                    continue
                decl, helptext = record
            else:
                decl = p.name.upper() + (" (required)" if p.required else "")
                helptext = p.help or ""
            rows.append(f"| `{_md_escape(decl)}` | {_md_escape(helptext)} |")
        if rows:
            parts.append("| parameter | what |\n|---|---|\n" + "\n".join(rows) + "\n")
    return "\n".join(parts)


def _is_option(param) -> bool:
    # typer's parameter classes are click's or its own (newer typer): ask click's own marker
    return getattr(param, "param_type_name", "") == "option"


def inspect_help(text: str) -> str:
    """A command's docstring as Markdown paragraphs (typer's \\b markers and rich markup removed)."""
    import inspect

    text = inspect.cleandoc(text).replace("\b\n", "").replace("\b", "")
    return text
