"""``darkfigure report``: the analyst or public HTML report (and PDF) of a run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..errors import DataError
from .common import (
    _fail,
    _note_outputs,
    _tracked,
    console,
    err,
)
from .options import (
    OverwriteOpt,
    out_path,
)


def report(
    run_dir: Annotated[
        Path, typer.Argument(help="The --out folder of `darkfigure estimate`, `monitor`, `compare` or `link`.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(parser=out_path, help="HTML file to write, or a folder (an existing one, or a new name without an extension) "
                     "to write it into (default: RUN_DIR/report.html; public: RUN_DIR/report_public_LANG.html)."),
    ] = None,
    audience: Annotated[
        str,
        typer.Option(help="analyst (every section, for the analyst) or public (rounded, disclosure-controlled, for "
                     "publication; from an estimate, monitor or compare folder)."),
    ] = "analyst",
    lang: Annotated[str | None, typer.Option(help="Language of the public report: en or nl (default en).")] = None,
    labels: Annotated[
        Path | None,
        typer.Option(help="TOML/YAML file of readable labels for lists, covariates and levels (public report)."),
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print the report to PDF beside it (needs Chromium; skipped without).")
    ] = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Write one self-contained HTML report (opens offline) of a run folder.

    Exit codes: 0 report written, 2 no results in the folder (or unreadable), or bad options.
    """
    if audience not in ("analyst", "public"):
        _fail(f"--audience must be analyst or public, not {audience!r}")
    if audience == "analyst" and (lang is not None or labels is not None):
        _fail("--lang and --labels are for --audience public (the analyst report is in English, with column names)")
    if out is not None and Path(out).suffix.lower() == ".pdf":
        _fail(f"--out {str(out)!r}: --out names the HTML report, not the PDF; give a .html file (--pdf prints the PDF "
              f"beside it, here {str(Path(out).with_suffix('.html'))!r} and {str(out)!r})")
    if out is not None and (Path(out).is_dir() or (not Path(out).exists() and not Path(out).suffix)):
        # a folder (an existing one, or a new name without an extension), as --out of every other command (tester
        # report 7, 26): the report under its usual name there; any other name is the HTML file itself
        out = Path(out) / ("report.html" if audience == "analyst" else f"report_public_{(lang or 'en').strip().lower()}.html")
    _claim(out.parent if out is not None else run_dir)
    if audience == "public":
        path = _write_public_report(run_dir, out, lang=(lang or "en").strip().lower(), labels=labels,
                                    overwrite=overwrite)
    else:
        path = _write_report(run_dir, out, overwrite=overwrite)
    console.print(f"Wrote {path}")
    if pdf:
        _write_pdf(path, overwrite=overwrite)


def _claim(folder: Path) -> None:
    """Refuse (exit 2) when another darkfigure run is writing into `folder` now (see outputs.hold_folder)."""
    from ..outputs import hold_folder

    try:
        hold_folder(folder)
    except DataError as e:
        _fail(str(e))


def _write_public_report(run_dir: Path, out: Path | None, *, lang: str, labels: Path | None,
                         overwrite: bool) -> Path:
    """The publication report (:mod:`darkfigure.report.public`) through :func:`darkfigure.outputs.write_file`."""
    from ..outputs import MANIFEST, write_file
    from ..report.build import load_run
    from ..report.labels import load_labels
    from ..report.public import build_public_report, translations

    try:
        translations(lang)  # an unknown language, or a missing catalogue, before anything is read
        user = load_labels(labels, lang=lang) if labels is not None else None
        run = load_run(run_dir)
    except DataError as e:
        _fail(str(e))
    from ..report.public import unknown_label_keys

    unknown = unknown_label_keys(run, user)
    if unknown:
        err.print(f"[yellow]warning:[/] labels file {escape(str(labels))!r}: no list, covariate or level of this run "
                  f"is called {escape(', '.join(unknown))}; these labels are not used (names are case-sensitive)")
    target = Path(out) if out is not None else Path(run_dir) / f"report_public_{lang}.html"
    reads = [p for p in Path(run_dir).iterdir() if p.is_file() and p.suffix not in (".html", ".pdf")
             and p.name != MANIFEST] + ([labels] if labels is not None else [])
    try:
        return _tracked(target, lambda: write_file(
            target, lambda p: build_public_report(run_dir, p, lang=lang, labels=user), overwrite=overwrite,
            inputs=reads, command="report", notify=_note_outputs, option="--out file" if out is not None else "run folder",
        ))
    except DataError as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"cannot write the report to {str(out or run_dir)!r}: {e.strerror or e}")
    raise AssertionError("unreachable: _fail exits")


def _write_pdf(html: Path, *, overwrite: bool) -> None:
    """Print `html` to a PDF beside it (headless Chromium); skipped with a message when Chromium is missing."""
    from ..outputs import write_file
    from ..report.pdf import ChromiumMissing, print_pdf

    try:
        pdf = _tracked(html.with_suffix(".pdf"), lambda: write_file(
            html.with_suffix(".pdf"), lambda p: print_pdf(html, p), overwrite=overwrite, inputs=[html],
            command="report", option="--out file"))
    except ChromiumMissing as e:
        err.print(f"[yellow]warning:[/] PDF skipped: {escape(str(e))}")
        return
    except DataError as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"cannot write the PDF beside {str(html)!r}: {e.strerror or e}")
    console.print(f"Wrote {pdf}")


def _write_report(run_dir: Path, out: Path | None = None, *, overwrite: bool = False, inputs=()) -> Path:
    """Build the report of `run_dir` (through :func:`darkfigure.outputs.write_file`).

    The run's result files are inputs (never written over); bad or missing results and write
    errors exit 2 with a one-line message.
    """
    from ..outputs import MANIFEST, write_file
    from ..report.build import write_report_html

    target = Path(out) if out is not None else Path(run_dir) / "report.html"
    from ..report.build import load_run

    try:
        load_run(run_dir)  # a missing, empty or edited run folder is reported before anything is created
    except DataError as e:
        _fail(str(e))
    reads = list(inputs)
    if Path(run_dir).is_dir():
        reads += [p for p in Path(run_dir).iterdir() if p.is_file() and p.suffix != ".html" and p.name != MANIFEST]
    try:
        return _tracked(target, lambda: write_file(
            target, lambda p: write_report_html(run_dir, p), overwrite=overwrite, inputs=reads, command="report", notify=_note_outputs,
            option="--out file" if out is not None else "run folder",
        ))
    except DataError as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"cannot write the report to {str(out or run_dir)!r}: {e.strerror or e}")
    raise AssertionError("unreachable: _fail exits")
