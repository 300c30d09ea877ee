"""``darkfigure pseudonymise`` and ``darkfigure link``: registrations into persons and capture histories."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import DataError
from ..pipeline.phases import say
from .common import (
    MAX_PAIRS,
    _data_inputs,
    _fail,
    _fmt,
    _preflight,
    _split,
    _tracked,
    _write_out,
    console,
    err,
)
from .options import (
    OverwriteOpt,
    SheetOpt,
    out_path,
)


def pseudonymise(
    registrations: Annotated[Path, typer.Argument(help="Plaintext registration file (CSV, Parquet or Excel).")],
    out: Annotated[Path, typer.Option(parser=out_path, help="Pseudonymised registrations to write (.csv or .parquet).")],
    key_file: Annotated[
        Path | None,
        typer.Option(
            help="File holding the secret key shared by the organisations (at least 16 bytes). Without it the key "
            "comes from the environment variable DARKFIGURE_KEY; it is never taken from the command line."
        ),
    ] = None,
    encode_all: Annotated[
        bool,
        typer.Option(
            "--encode-all",
            help="Also drop sex and nationality in clear (kept by default: the estimates use them as covariates).",
        ),
    ] = False,
    keep_clear: Annotated[
        str | None,
        typer.Option(
            "--keep-clear",
            help="Comma-separated columns you vouch for: kept in clear without the checks that refuse a column "
            "holding the person's name or date of birth, or warn about free text and identifier-like columns.",
        ),
    ] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Replace names and dates of birth by keyed tokens and hardened Bloom filters (run by each organisation).

    Exit codes: 0 written, 2 bad input or key, or a clear column holding names or dates of birth (nothing
    written).
    """
    import warnings

    from ..linkage.clear_columns import PseudonymisationWarning
    from ..linkage.pseudonymise import load_key, pseudonymise_file
    from ..outputs import write_file

    try:
        key = load_key(key_file)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PseudonymisationWarning)  # printed below from attrs, as the API's
            df = _tracked(out, lambda: write_file(
                out, lambda p: pseudonymise_file(registrations, p, key, encode_all=encode_all, keep=keep_clear),
                overwrite=overwrite, inputs=_data_inputs(registrations, key_file), command="pseudonymise",
            ))
    except (DataError, ValueError) as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"cannot write {str(out)!r}: {e.strerror or e}")
    console.print(f"{len(df):,} registrations pseudonymised (key id {df['key_id'].iloc[0]}); wrote {escape(str(out))}")
    # names the organisation can still fix, and what stays in clear (linkage/clear_columns.py): the API's warnings
    for w in df.attrs.get("warnings", []):
        err.print(f"[yellow]warning:[/] {escape(w)}")


#: fewest random pairs --max-pairs may ask for to estimate u (the Python API is left free, for tests on tiny data)
MIN_PAIRS = 1e4


def _written_by_link(path: Path, folder: Path) -> bool:
    """True when `path` (a file in the link folder `folder`) is one of link's outputs.

    The folder's manifest names the files darkfigure wrote; an organisation's file that merely sits in the same
    folder is not an output (tester 12, M2). Without a manifest (older versions), link's own file names count.
    """
    from ..linkage.link_run import HISTORIES_FILE, PAIRS_FILE, RECORDS_FILE
    from ..outputs import read_manifest

    manifest = read_manifest(folder)
    if manifest:
        entry = manifest.get(path.name)
        return isinstance(entry, dict) and entry.get("command") == "link"
    return path.name in {HISTORIES_FILE, "links.csv", "persons.csv", PAIRS_FILE, RECORDS_FILE, "linkage_errors.csv"}


def _refuse_link_outputs(paths: list, out: Path | None = None) -> None:
    """Refuse a ``darkfigure link`` output (its folder or a file it wrote) given to ``link`` as registrations, and an
    ``--out`` folder that holds a registration file (exit 2).

    Without this the folder was "cannot read" and its histories.csv "missing columns ... rename yours", neither of
    which says that the file is already linked (tester 11, finding 9). ``--out`` set to the inputs' folder wrote
    link's outputs beside the organisations' files (tester 12, M2).
    """
    from ..linkage.link_run import is_link_folder

    for p in paths:
        try:
            path = Path(p)
            folder = path if path.is_dir() else path.parent
            same = out is not None and not path.is_dir() and folder.resolve() == Path(out).resolve()
        except (TypeError, OSError):
            continue
        if same:
            _fail(f"--out {out} is the folder that holds the registration file {p}: link would write its outputs "
                  "beside the organisations' files. Pick another folder for --out (a new one, e.g. "
                  f"--out {Path(out).parent / (Path(out).name + '_link')})")
        if is_link_folder(folder) and (path.is_dir() or _written_by_link(path, folder)):
            _fail(f"{p} is an output of `darkfigure link` (already linked), not an organisation's registrations. Give "
                  f"the folder to `darkfigure estimate {folder}` or `darkfigure monitor {folder}` for N̂ corrected for "
                  "linkage error; `link` reads the registration files the organisations sent")


def link(
    out: Annotated[Path, typer.Option(parser=out_path, help="Folder for links.csv, persons.csv, histories.csv and the quality files.")],
    registrations: Annotated[
        list[Path] | None,
        typer.Argument(help="Registration files of the organisations (CSV, Parquet or Excel; all plaintext or all "
                       "pseudonymised with one key)."),
    ] = None,
    engine: Annotated[str, typer.Option(help="Splink backend: duckdb (in-process) or spark (local mode).")] = "duckdb",
    threshold: Annotated[
        float, typer.Option(help="Match probability at or above which two registrations are the same person.")
    ] = 0.5,
    truth: Annotated[
        str | None,
        typer.Option(help="Column holding the true person (synthetic data): writes linkage_quality.csv."),
    ] = None,
    sensitivity: Annotated[
        str | None,
        typer.Option(help="Thresholds, comma-separated (e.g. 0.5,0.8,0.9,0.95,0.99): re-cluster and re-estimate N̂ "
                     "at each; writes linkage_sensitivity.csv."),
    ] = None,
    covariates: Annotated[
        str | None, typer.Option(help="Covariates to carry to the persons, comma-separated (default: sex and the "
                                 "format's covariates with at most 30 values).")
    ] = None,
    covariate_rule: Annotated[
        str, typer.Option(help="How a person's covariate is chosen: most_frequent (ties: earliest) or earliest.")
    ] = "most_frequent",
    seed: Annotated[int, typer.Option(min=0, help="Seed of the random pairs that estimate u (and of the bootstraps).")] = 0,
    max_pairs: Annotated[
        float, typer.Option(help="Random record pairs compared to estimate u (default 2,000,000; 2e6 works).",
                            show_default=False)
    ] = 2e6,
    threads: Annotated[int | None, typer.Option(help="DuckDB threads / Spark local cores (default: all cores).")] = None,
    memory_limit: Annotated[str | None, typer.Option(help="DuckDB memory limit, e.g. 3GB.")] = None,
    write_draws: Annotated[
        int | None,
        typer.Option("--write-draws", min=1, help="Also write this many linkage draws from the match probabilities "
                     "(seeded by --seed) as OUT/draws/draw_001.csv, ...: replicates for `darkfigure strata "
                     "OUT/histories.csv --replicates OUT/draws --replicate-kind linkage`."),
    ] = None,
    rename_organisations: Annotated[
        str | None,
        typer.Option(help="Organisation names to map onto one, comma-separated OLD=NEW (e.g. 'Politie=police'): one "
                     "organisation spelt two ways would be two lists. Case, spacing and accents are merged anyway."),
    ] = None,
    sheet: SheetOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Link the organisations' registrations into persons (Fellegi–Sunter, Splink) and write capture histories.

    Exit codes: 0 written, 2 bad input (nothing written).
    """
    from ..linkage.link import link as run

    sens = None
    if sensitivity is not None:
        try:
            sens = [float(x) for x in _split(sensitivity) or []]
        except ValueError:
            _fail(f"--sensitivity must be numbers separated by commas, not {sensitivity!r}")
    if not MIN_PAIRS <= max_pairs <= MAX_PAIRS:
        _fail(f"--max-pairs must be between {MIN_PAIRS:,.0f} and {MAX_PAIRS:,.0f} random pairs; got {max_pairs:g}. "
              "u (how often two different persons agree by chance) is estimated from that many random pairs: "
              f"with fewer than {MIN_PAIRS:,.0f} the rare agreements (same name, same date of birth) are never seen "
              "and the match probabilities are guesses; 2,000,000 (the default) is plenty")
    if threads is not None and threads < 1:
        _fail(f"--threads must be at least 1 (the DuckDB threads or Spark cores to use), not {threads}; leave it out "
              "to use all cores")
    renames = None
    if rename_organisations is not None:
        pairs = [p.split("=") for p in _split(rename_organisations) or []]
        if not pairs or any(len(p) != 2 or not p[0].strip() or not p[1].strip() for p in pairs):
            _fail(f"--rename-organisations must be OLD=NEW pairs separated by commas (e.g. 'Politie=police'), not "
                  f"{rename_organisations!r}")
        renames = {a.strip(): b.strip() for a, b in pairs}
    _refuse_link_outputs(list(registrations or []), out)
    _preflight("link", out, overwrite=overwrite, inputs=_data_inputs(list(registrations or [])), what="the linkage")
    inputs: list = list(registrations or [])
    if sheet is not None:
        # the sheet of every Excel file (CSV and Parquet files alongside are read as they are)
        from ..linkage.input_checks import read_excel_sheet

        excel = [p for p in inputs if Path(p).suffix.lower() in (".xlsx", ".xls")]
        if not excel:
            _fail("--sheet applies to Excel workbooks only; none of the registration files is one")
        try:
            inputs = [read_excel_sheet(Path(p), sheet) if p in excel else p for p in inputs]
        except (DataError, ValueError, OSError) as e:
            _fail(str(e))
    import warnings

    try:
        with console.status("linking…") as st, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")  # every one recorded, said below as a `warning:` line (_said_warnings)
            t_start = time.perf_counter()

            def _phase(message: str) -> None:
                # the spinner on a terminal; one line per phase in a log or a pipe (where the spinner shows nothing)
                st.update(f"linking: {message}…")
                say(True, f"link: {message}… ({time.perf_counter() - t_start:,.0f} s so far)")

            res = run(
                inputs, engine=engine, threshold=threshold, seed=seed, truth=truth,
                sensitivity=sens, covariates=_split(covariates), covariate_rule=covariate_rule,
                max_pairs=max_pairs, threads=threads, memory_limit=memory_limit, rename_organisations=renames,
                progress=_phase,
            )
    except (DataError, ValueError, RuntimeError) as e:
        _fail(str(e))
    raised = _said_warnings(caught, res.warnings)
    writer = res.write
    if write_draws:
        from ..linkage.draw_files import DRAWS_FOLDER, write_linkage_draws
        from ..linkage.link_run import LinkRun

        def writer(folder):
            """The link's files, then the draws in their subfolder (one atomic write of the whole folder)."""
            files = res.write(folder)
            with console.status(f"writing {write_draws} linkage draws…"):
                return files + write_linkage_draws(LinkRun.from_result(res), folder / DRAWS_FOLDER, write_draws, seed)

    try:
        files, _ = _write_out(out, writer, overwrite=overwrite, inputs=_data_inputs(list(registrations or [])),
                              command="link", what="the linkage")
    except (DataError, ValueError) as e:  # e.g. no scored pairs to draw from
        _fail(str(e))
    console.print(escape(str(res)))
    sizes = res.histories.list_sizes()
    console.print("persons per organisation: " + escape(", ".join(f"{k} {v:,}" for k, v in sizes.items())))
    if res.quality is not None:
        q = res.quality.iloc[0]
        console.print(
            f"against {escape(str(truth))}: pairwise precision {q['precision']:.3f}, recall {q['recall']:.3f}, "
            f"F1 {q['f1']:.3f}; {int(q['found_persons']):,} persons found, {int(q['true_persons']):,} true"
        )
    if res.sensitivity is not None:
        scope = res.sensitivity["scope"].iloc[0] if "scope" in res.sensitivity.columns and len(res.sensitivity) \
            else "lists only"
        t = Table(title="N̂ by match threshold (false matches shrink N̂, missed matches inflate it)")
        for c in ("threshold", "persons", "N̂", "lower", "upper"):
            t.add_column(c, justify="right")
        for _, r in res.sensitivity.iterrows():
            t.add_row(f"{r['threshold']:g}", _fmt(r["persons"]), _fmt(r["nhat"]), _fmt(r["lower"]), _fmt(r["upper"]))
        console.print(t)
        # the table is not estimate's figure (tester 8, F9): its model, beneath it, unwrapped by the table's width
        console.print(escape(f"N̂ above: model on {scope}.".replace("LINKFOLDER", str(out))))
        from ..linkage.link_sensitivity import threshold_sentence

        if said := threshold_sentence(res.sensitivity, res.threshold):
            console.print(escape(said))
    for n in res.notes:
        console.print(f"[dim]note: {escape(n)}[/]")
    for w in [*res.warnings, *raised]:
        err.print(f"[yellow]warning:[/] {escape(w)}")
    drawn = [f for f in files if f.parent.name == "draws"]  # one line for the draws, not one name each
    console.print("Wrote " + ", ".join(str(f) for f in files if f not in drawn)
                  + (f"; {len(drawn)} linkage draws in {drawn[0].parent}" if drawn else ""))


#: numpy's floating-point messages: no sentence for a reader, they keep their own way out (as before)
_NUMPY_WORDS = ("encountered in", "empty slice", "Degrees of freedom", "divide by zero")


def _said_warnings(caught: list, said: list[str]) -> list[str]:
    """The darkfigure warnings `link` raised as Python warnings, as text for `warning:` lines (tester 18a, L1).

    A RuntimeWarning or UserWarning raised from darkfigure's own code (e.g. the undated registrations' prior that
    stopped at a bound) leaked to stderr with a file path and a source line. Those are returned once each, unless
    the result's warnings (`said`) already hold them; any other warning (a library's, numpy's floating-point
    messages) is raised again as it came.
    """
    import warnings
    from pathlib import PurePath

    out: list[str] = []
    for w in caught:
        text = str(w.message)
        ours = "darkfigure" in PurePath(str(w.filename)).parts and issubclass(w.category, (RuntimeWarning, UserWarning))
        if ours and not any(k in text for k in _NUMPY_WORDS):
            if text not in out and not any(text in s for s in said):
                out.append(text)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return out
