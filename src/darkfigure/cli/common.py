"""Shared by the commands: the consoles, reading DATA with the data options, refusing options that would be ignored, output checks and number formatting."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from .. import _stderr
from .._stderr import _is_tty
from ..errors import DataError


def _no_type_for_flags() -> None:
    """--help shows no ``<bool>`` type beside a flag (a flag takes no value)."""
    from typer.core import TyperOption

    show = TyperOption.display_type_rich
    if getattr(show, "_darkfigure", False):
        return

    def display_type_rich(self, ctx):
        """Typer's type column in --help, empty for flags (no ``<bool>``)."""
        if getattr(self, "is_flag", False) and self.metavar is None:
            return ""
        return show(self, ctx)

    display_type_rich._darkfigure = True
    TyperOption.display_type_rich = display_type_rich


#: width given to a console whose output is not a terminal (a pipe, a file, a test's buffer) when COLUMNS sets none
#: (why 120: :data:`darkfigure._stderr.PIPED_WIDTH`, which is read when a console's width is asked, so that the
#: library's progress lines on stderr and the consoles wrap alike)
PIPED_WIDTH = _stderr.PIPED_WIDTH

#: spaces (and a colour's reset codes after them) at the end of a line: rich leaves one where it wraps a line
_TRAILING = re.compile(r"[ \t]+((?:\x1b\[[0-9;]*m)*)(?=\r?\n)")


class _Console(Console):
    """A rich Console whose output to a pipe or a file is not cut at 80 columns, nor padded with spaces.

    A terminal keeps its own width. Output that is not a terminal (its file is no TTY, even when
    ``FORCE_COLOR`` asks for colour, as CI services set it) gets :data:`PIPED_WIDTH`
    columns, unless a width was given when constructing the console or the ``COLUMNS``
    environment variable sets one when the width is asked (read then, not when the console is made: this
    module's consoles are made at import, and a COLUMNS set around one command must not fix every later one).
    There no line ends in spaces (:meth:`_render_buffer`).
    """

    def __init__(self, *args, **kwargs):
        """As rich's Console; a width not given here is left to :meth:`_size` (COLUMNS read when asked)."""
        super().__init__(*args, **kwargs)
        if kwargs.get("width") is None and not self.is_jupyter:
            self._width = None

    def _size(self):
        """The console's dimensions: rich's, with :data:`PIPED_WIDTH` columns when the output is not a terminal."""
        size = Console.size.fget(self)
        columns = self._environ.get("COLUMNS")
        if self._width is None and not (columns and columns.isdigit()) and not _is_tty(self.file):
            return size._replace(width=_stderr.PIPED_WIDTH)
        return size

    size = property(_size, Console.size.fset)

    def _render_buffer(self, buffer) -> str:
        """rich's rendering, without spaces at the end of a line when the output is not a terminal (a log file)."""
        text = super()._render_buffer(buffer)
        return text if _is_tty(self.file) else _TRAILING.sub(r"\1", text)


console = _Console(emoji=False)
err = _Console(stderr=True, emoji=False)


def _covariates_with_year(covariates: str | None, year: str | None) -> list[str] | None:
    """--covariates as a list ('' = none; None = every other column), with --year added when named apart."""
    from ..estimation import with_year

    if covariates is None:
        return None
    return with_year([] if not covariates.strip() else (_split(covariates) or []), year)


def _read(data: str, lists, covariates, count, drop_empty_lists: bool, missing: str, sheet, year=None, *,
          complete: bool = False, command: str = "this command"):
    """Read DATA with the shared data options (--lists, --covariates, --count, --drop-empty-lists, --missing, --sheet).

    --year may name a column apart from --covariates (as Cruyff's ``mse``): it is read as a covariate too.
    complete: with --missing drop, drop the persons with an unknown covariate value here (compare and validate,
    whose methods take no --missing of their own). A ``darkfigure link`` output folder is refused with what
    to give instead (`command` names the command in that message; tester 11, finding 9); the histories.csv of
    one is read without link's ``year`` unless --covariates or --year name it, with a note
    (:func:`~darkfigure.pipeline.first_year.first_year_covariate`, as estimate and monitor read the folder).
    """
    from ..io import read_histories
    from ..pipeline.first_year import for_link_output

    _refuse_link_folder(data, command)
    _refuse_registration_year(data, covariates, year, command)
    m = missing.lower()
    if m not in ("error", "em", "drop"):
        _fail(f"--missing must be error, em or drop, not {missing!r}")
    h = read_histories(
        data,
        lists=_split(lists),
        covariates=_covariates_with_year(covariates, year),
        count=count,
        on_empty_list="drop" if drop_empty_lists else "error",
        missing="error" if m == "error" else "keep",
        sheet=sheet,
        year=year,
    )
    h = for_link_output(h, data, covariates, year)  # link's year of first registration: asked for only (s24)
    return h.drop_incomplete() if complete and m == "drop" else h


def _refuse_registration_year(data, covariates, year, command: str) -> None:
    """Refuse ``registration_year`` named on a link output's per-person histories.csv (compare, validate) with where
    it comes from: estimate and monitor rebuild those units from the folder (exit 2)."""
    from ..pipeline.first_year import REGISTRATION_YEAR, is_link_output
    from ..pipeline.reading import wants_per_year

    if isinstance(data, (str, os.PathLike)) and wants_per_year(covariates, year) and is_link_output(data):
        _fail(f"{REGISTRATION_YEAR} (one unit per person and calendar year of registration) is built from a link "
              f"folder's registrations by `darkfigure estimate` and `monitor --year {REGISTRATION_YEAR}`; "
              f"{command} takes the folder's per-person histories.csv, whose year is that of first registration")


def _refuse_link_folder(data, command: str) -> None:
    """Refuse a ``darkfigure link`` output folder as DATA of a command without the linkage correction (exit 2)."""
    try:
        is_dir = Path(data).is_dir()
    except (TypeError, OSError):
        return
    if not is_dir:
        return
    from ..linkage.link_run import is_link_folder

    if is_link_folder(data):
        _fail(f"{data} is a `darkfigure link` output folder: {command} does not take the linkage correction. Give "
              f"{Path(data) / 'histories.csv'} to take the linkage as error-free, or use `darkfigure estimate {data}` "
              "(or monitor) for N̂ corrected for linkage error")


def _read_for_fit(data: str, lists, covariates, count, drop_empty_lists: bool, missing: str, sheet, year, *,
                  search: str, linkage, linkage_draws: int, linkage_reps: int):
    """DATA as estimate and monitor read it: a `darkfigure link` folder resolved (--linkage), the data options
    applied (:func:`_read`, which leaves link's ``year`` out unless asked for), the size of the job announced
    (:func:`_announce_size`).

    Returns (data: the file or dataset the histories came from, the CaptureHistories, and the linkage settings of
    the fit as keyword arguments: linkage, linkage_run, linkage_draws, linkage_reps).
    """
    folder = data  # DATA as given: a link folder before it resolves to its histories.csv
    if (linkage is None or str(linkage).lower() == "none") and not Path(data).is_dir() \
            and Path(data).name != "histories.csv":
        link_run, linkage = None, "none"  # resolve_link_data's answer, without importing the linkage package
    else:
        from ..pipeline.reading import resolve_link_data

        data, link_run, linkage = resolve_link_data(data, None, linkage)
    from ..pipeline.first_year import is_link_output
    from ..pipeline.reading import wants_per_year

    per_year = wants_per_year(covariates, year) and (link_run is not None or is_link_output(folder))
    if per_year:  # one unit per person and calendar year, rebuilt from the run's registrations
        from ..pipeline.reading import per_year_histories

        try:
            frame, link_run = per_year_histories(folder, link_run)
        except DataError as e:
            _fail(str(e))
    # link's year: as _read says; `data` stays the file read (its hash goes into result.json)
    h = _read(frame if per_year else data, lists, covariates, count, drop_empty_lists, missing, sheet, year)
    if per_year:
        from ..pipeline.reading import with_per_year_note

        h = with_per_year_note(h)
    if link_run is None and Path(folder).is_dir():  # a link folder with no match probabilities (tester 14b, L9)
        from dataclasses import replace

        from ..pipeline.reading import no_probabilities_warning

        h = replace(h, warnings=(*h.warnings, *no_probabilities_warning(folder, None)))
    _announce_size(h, search)
    return data, h, {"linkage": linkage, "linkage_run": link_run, "linkage_draws": linkage_draws,
                     "linkage_reps": linkage_reps}


def _check_year_degree(year: str | None, year_degree: int | None) -> None:
    """--year-degree codes the year column, so it needs --year."""
    if year_degree is not None and year is None:
        _fail("--year-degree needs --year (the column that holds the year)")


def _resolve_model_options(search, model, criterion, pthresh, ci=None, percentile=False, reps=None,
                           default_search="cruyff"):
    """Options that would be silently ignored are refused: (search, criterion, pthresh, reps) with defaults filled."""
    from ..estimation import MAX_REPS

    if model is not None and search is not None and search.lower() != "none":
        _fail(f"--model fixes the model, so --search {search} would be ignored: give --model or --search, not both")
    search = (search or ("none" if model is not None else default_search)).lower()
    if criterion is not None and search in ("pvalue", "pvalue-pairs"):
        _fail(f"--criterion {criterion} does not apply to --search pvalue, which chooses by p-value (--pthresh); "
              "use --search cruyff or exhaustive with --criterion")
    if criterion is not None and search == "none":
        what = "--model" if model is not None else "--search none"
        _fail(f"--criterion {criterion} chooses among the models of a search; with {what} there is nothing to choose")
    if pthresh is not None and search not in ("pvalue", "pvalue-pairs"):
        _fail(f"--pthresh applies to --search pvalue only (the search is {search})")
    if ci is not None:
        c = ci.lower()
        if percentile and not c.startswith("nonparametric"):
            _fail(f"--percentile applies to --ci nonparametric only (the interval is {ci})")
        if reps is not None and c in ("none", "profile"):
            _fail(f"--reps sets the bootstrap replicates, and --ci {ci} has no bootstrap")
    if reps is not None and reps < 1:
        _fail(f"--reps must be a positive number of bootstrap replicates (got {reps})")
    if reps is not None and reps > MAX_REPS:
        _fail(f"--reps {reps:,} is above the cap of {MAX_REPS:,} (each replicate refits the model, and memory grows "
              "with them): 1,000 is the standard, 10,000 pins the interval's ends down to about 1%")
    if criterion is None and search not in ("auto", "stratified"):
        criterion = "bic"  # the stratified search's default (aic) is estimate's to choose
    return search, criterion, (0.02 if pthresh is None else pthresh), (1000 if reps is None else reps)


#: worker processes beyond this many per core only cost memory
_JOBS_PER_CORE = 4


def _check_jobs(jobs: int | None) -> None:
    cores = os.cpu_count() or 1
    if jobs is not None and jobs > _JOBS_PER_CORE * cores:
        _fail(f"--jobs {jobs} is far more worker processes than this machine's {cores} core(s) can use (each holds "
              f"a copy of the data): use at most {_JOBS_PER_CORE * cores}, or leave --jobs out (all cores)")


#: above this many lists a stepwise search (O(k^2) fits per step on 2^k cells) runs for many minutes: 12 lists took
#: 57 s, 14 lists 172 s, 16 lists > 180 s unfinished on a loaded 2-core machine
MAX_LISTS_SEARCH = 14


def _announce_size(h, search: str) -> None:
    """State the size of the job up front when it is large; refuse a search that cannot finish."""
    stepwise = ("auto", "cruyff", "stratified", "pvalue", "pvalue-pairs")
    if h.k > MAX_LISTS_SEARCH and search in stepwise:
        _fail(f"{h.k} lists make {2 ** h.k - 1:,} observable capture patterns, and the {search} search fits "
              f"{h.k * (h.k - 1) // 2:,} models a step: it cannot finish in reasonable time (limit "
              f"{MAX_LISTS_SEARCH} lists). Merge or drop lists (--lists), or fit one model (--search none, --model)")
    if h.k >= 10 and search in stepwise:
        console.print(f"{h.k} lists: {2 ** h.k - 1:,} observable capture patterns; the {search} search fits up to "
                      f"{h.k * (h.k - 1) // 2:,} models a step (this can take minutes)")


#: simulate --scale above this makes billions of rows; link --max-pairs above this runs for hours
MAX_SCALE = 1000.0
MAX_PAIRS = 1e9


def _data_inputs(*paths) -> list[Path]:
    """The files among `paths` (a bundled dataset name is not a file): what a run must never write over."""
    out = []
    for p in paths:
        if p is None:
            continue
        for q in p if isinstance(p, (list, tuple)) else [p]:
            if q is not None and Path(str(q)).exists():
                out.append(Path(str(q)))
    return out


def _note_outputs(msg: str) -> None:
    """Print what :mod:`darkfigure.outputs` did to files of an earlier run (removed or kept as stale)."""
    err.print(f"[yellow]note:[/] {escape(msg)}")


#: what this command has written, for the line printed on Ctrl-C (:func:`interrupt_message`): the files written,
#: and the destination of a write in progress (None when none is)
WRITES: dict = {"done": [], "current": None}


def _tracked(dest, write):
    """``write()`` (a call of :func:`darkfigure.outputs.write_folder` or ``write_file`` to `dest`), noted in
    :data:`WRITES`; `dest` stays noted as in progress when it is interrupted. Returns what ``write()`` returned."""
    WRITES["current"] = str(dest)
    out = write()
    WRITES["current"] = None
    files = out[0] if isinstance(out, tuple) else [dest]
    WRITES["done"].extend(str(f) for f in files)
    return out


def interrupt_message() -> str:
    """The line said when the user interrupts a command (Ctrl-C): what was written (tester report 10, F12)."""
    if WRITES["current"] is not None:
        return (f"interrupted while writing to {WRITES['current']}: some of its files may be missing or from an "
                "earlier run; run the command again")
    done = WRITES["done"]
    if not done:
        return "interrupted: nothing written"
    names = ", ".join(done[:6]) + (f" and {len(done) - 6} more" if len(done) > 6 else "")
    return f"interrupted: {names} had been written; nothing after that"


def _write_out(out: Path, writer, *, overwrite: bool, inputs, command: str, what: str, keep=()):
    """Every folder a command writes goes through here (:func:`darkfigure.outputs.write_folder`).

    Returns (files written, the writer's result); refused or failed writes exit 2 with a one-line message.
    `keep`: files the same invocation writes next (the report of --report), not removed as stale.
    """
    from ..outputs import write_folder

    try:
        return _tracked(out, lambda: write_folder(out, writer, overwrite=overwrite, inputs=inputs, command=command,
                                                  keep=keep, notify=_note_outputs))
    except DataError as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"cannot write {what} to {str(out)!r}: {e.strerror or e}")
    raise AssertionError("unreachable: _fail exits")


#: the files each command writes into its --out folder (checked before any work: see outputs.preflight)
_ESTIMATE_FILES = ["estimates.csv", "result.json", "capture_histories.csv", "search_path.csv"]
_OUTPUT_FILES = {
    "estimate": _ESTIMATE_FILES,
    "compare": ["compare.csv", "forest.png", "forest.svg", "capture_histories.csv", "compare.json"],
    "validate": ["validate.csv"],
    "monitor": ["monitor.csv", "monitor_published.csv", "years.csv", *_ESTIMATE_FILES],
    "simulate": ["histories.csv", "truth.csv", "structural_zeros.csv", "persons.csv"],
    "link": ["links.csv", "persons.csv", "histories.csv"],
    "revictimisation": ["revictimisation.csv", "revictimisation_curve.csv", "revictimisation_first_offence.csv",
                        "revictimisation.json"],
    "demo": ["report.html"],
    "strata": ["strata.csv", "totals.csv", "strata.json"],
}


#: commands whose results never go into a `darkfigure link` output folder (one folder, one run)
_RESULT_COMMANDS = ("estimate", "monitor", "compare", "validate", "strata")


def _preflight(command: str, out: Path | None, *, overwrite: bool, inputs=(), report: bool = False,
               what: str = "the results") -> None:
    """Refuse at once (exit 2) when --out holds a file this command would write but must not."""
    from ..outputs import preflight

    if out is None:
        return
    if command in _RESULT_COMMANDS and Path(out).is_dir():
        from ..linkage.link_run import is_link_folder

        if is_link_folder(out):  # one folder, one run: `report` would mix the link's and the estimate's (tester 11)
            _fail(f"--out {out} is a `darkfigure link` output folder: {command} writes its results into a folder of "
                  f"their own (e.g. --out {Path(out).parent / (Path(out).name + '_' + command)}), so that the "
                  "folder keeps one run and its report describes that run")
    names = _OUTPUT_FILES[command] + (["report.html"] if report else [])
    try:
        preflight(out, names, overwrite=overwrite, inputs=inputs)
    except DataError as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"cannot write {what} to {str(out)!r}: {e.strerror or e}. Nothing was computed: choose a folder you "
              "can create and write (--out)")


def _split(s: str | None) -> list[str] | None:
    if s is None:
        return None
    out = [x.strip() for x in s.split(",") if x.strip()]
    return out or None


def _check_marks(checks, about: str | None = None) -> str:
    """The one-line summary of the model checks that ``estimate`` and ``monitor`` print.

    A check computed but not used to flag (the deviance test of a sparse table) is "not used", not "passed": the
    to-publish sentence may then say the deviance test rejects the model (tester 7, 21); an unflagged heterogeneity
    check with power below 50% is "not detected (… only x% of the time: its power)"
    (:func:`~darkfigure.diagnostics.unflagged_state`), a computed one says its power after its state. `about`: which model the
    checks are of, said after "model checks" (estimate's model average: the chosen model, whose N̂ differs).
    """
    from ..diagnostics import CHECK_NAMES
    from ..diagnostics_heterogeneity import power_words, unflagged_state

    marks = []
    for c in checks:
        name = CHECK_NAMES.get(c.name, c.name.replace("_", " "))
        power = (c.details or {}).get("power_hard_to_reach") if c.name == "heterogeneity" and c.computed else None
        # the power after the state, in words: "heterogeneity flagged (the test would detect ...: its power)"
        said = f" ({power_words(power)})" if power is not None and math.isfinite(power) else ""
        if c.flagged:
            state = "[red]flagged[/]" + said
        elif c.computed and "is not used" in c.message:
            state = "not used (sparse table)"
        elif c.computed and (state := unflagged_state(c.name, c.details)) != "passed":
            pass  # the state gives the power (tester 15b, M5: a weak check "passed")
        elif c.computed:
            state = "[green]passed[/]" + said
        else:
            state = "not applicable" if c.message.startswith("not applicable") else "not computed"
        marks.append(f"{name} {state}")
    return f"model checks{' ' + about if about else ''}: " + "; ".join(marks) + " (details in result.json and the report)"


def _fmt(v, digits: int = 0) -> str:
    if v is None:
        return "–"
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞"
    out = f"{v:,.{digits}f}"
    # a value that rounds to zero prints without a sign ("-0" for a dark figure of -1e-13 reads as a bug)
    return out[1:] if out.startswith("-") and not out.strip("-0.,") else out


def _data_label(estimate) -> str:
    """The data as the banner names it, markup escaped: the file read, within its link folder when DATA was one
    (``link_2024/histories.csv``; tester 20)."""
    name = estimate.histories.name or ""
    folder = (estimate.settings or {}).get("data_folder")
    return escape(f"{folder}/{name}" if folder and name else (folder or name))


def _fail(msg: str) -> None:
    err.print(f"[bold red]error:[/] {escape(msg)}")
    raise typer.Exit(code=2)


def _say_lcmcr_compile(status=None) -> None:
    """Say (a line on stderr, and in `status`'s spinner when given) that LCMCR compiles first, when numba's cache
    lacks it (tester 12b, M3): ``compare`` and ``strata --method lcmcr`` (moved here from cli/compare.py)."""
    from ..bayes._lcmcr_compile import COMPILE_NOTE, sampler_compiled
    from ..pipeline.phases import say

    if sampler_compiled() is False:
        if status is not None:
            status.update(f"{COMPILE_NOTE}…")
        say(True, COMPILE_NOTE, terminal=True)


def _say_first_year(notes) -> None:
    """Print the note on link's ``year`` among `notes` (:func:`~darkfigure.pipeline.first_year.first_year_covariate`)
    for the commands that print no other notes of the histories (monitor, compare, validate), as estimate prints it."""
    from ..pipeline.first_year import first_year_notes

    for n in first_year_notes(notes):
        console.print(f"[dim]note: {escape(n)}[/]")


def _unit_words(notes) -> str:
    """:func:`darkfigure.pipeline.first_year.unit_words`, imported when a result is shown (the module reads pandas;
    the command line's start stays lean)."""
    from ..pipeline.first_year import unit_words

    return unit_words(notes)
