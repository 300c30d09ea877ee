"""``build_report(run_dir)``: one self-contained HTML report from a run folder.

A run folder is what ``darkfigure estimate/monitor/compare --out DIR`` (and ``darkfigure
link``, the repeat-victimisation tables) write. The report reads every known result file
that is present and shows a section for each: the data (lists, overlaps, an UpSet plot
of the capture patterns), the model search and the chosen model's fit, N̂ and the dark
figure with their interval, the comparison of methods, the monitor's yearly trend,
visibility by subgroup, SDG 16.2.2 rates and the disclosure-controlled tables, record
linkage, repeat victimisation, and every warning in plain words
(:mod:`darkfigure.report.explain`).

The page is one HTML file: plots are PNG ``data:`` URIs, tables can be downloaded as
CSV through ``data:`` links with a ``download`` attribute, the style sheet is inline and
there is no script, so it opens offline and from an e-mail attachment.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from . import plots
from .explain import explain
from .run import LINKAGE_FILES, RESULT_FILES, RESULT_KEYS, Run, RunFolderError, load_run
from .sections_fit import (
    _all_persons,
    _assumption_section,
    _compare_section,
    _data_section,
    _estimate_section,
    _histories,
    _model_section,
)
from .sections_monitor import (
    _linkage_section,
    _pooling_section,
    _published_section,
    _revictimisation_about,
    _revictimisation_section,
    _sdg_section,
    _trend_section,
    _visibility_section,
)
from .views import Message, _f, _split_message, _text, fmt_count

__all__ = ["RunFolderError", "Run", "load_run", "build_report", "write_report_html", "render_report", "RESULT_FILES", "LINKAGE_FILES",
           "RESULT_KEYS"]


def _messages(run: Run) -> list[Message]:
    out: list[Message] = []
    seen: set[tuple[str, str]] = set()

    def add(source: str, text: str) -> None:
        """Record each sentence of a message once, with where it came from."""
        for part in _split_message(str(text)):
            if (source, part) in seen:
                continue
            seen.add((source, part))
            out.append(Message(source, part, explain(part)))

    res = run.result or {}
    src = "monitor" if res.get("monitor") else "estimate"
    for w in res.get("warnings") or []:
        add(src, w)
    for n in (res.get("data") or {}).get("notes") or []:
        add("data", n)
    for n in (res.get("monitor") or {}).get("years_notes") or []:
        add("separate yearly models", n)
    if run.compare is not None and "warnings" in run.compare.columns:
        for m, w in zip(run.compare["method"], _text(run.compare["warnings"])):
            for part in str(w).split(" | "):
                if part.strip():
                    add(f"compare: {m}", part.strip())
    for w in (run.linkage_settings or {}).get("warnings") or []:
        add("link", w)
    for n in (run.revictimisation_info or {}).get("notes") or []:
        add("repeat victimisation", n)
    for p in run.problems:
        add("report", p)
    return out


# ----------------------------------------------------------------------------- rendering
_SECTIONS = [
    ("summary", "Summary"),
    ("data", "Data"),
    ("model", "Model search and fit"),
    ("estimates", "Estimates"),
    ("assumption", "Identifying assumption"),
    ("comparison", "Comparison of methods"),
    ("trend", "Yearly trend"),
    ("visibility", "Visibility by subgroup"),
    ("pooling", "Small subgroups: partial pooling"),
    ("sdg", "SDG 16.2.2 rates"),
    ("published", "Tables for publication"),
    ("linkage", "Record linkage"),
    ("revictimisation", "Repeat victimisation"),
    ("warnings", "Warnings and notes"),
    ("about", "About this run"),
]


def _context(run: Run) -> dict:
    h = _histories(run)
    plots.take_missing_glyphs()  # only this report's plots count
    res = run.result or {}
    ctx: dict[str, Any] = {
        "data": _data_section(run, h),
        "model": _model_section(run),
        "estimates": _estimate_section(run),
        "assumption": _assumption_section(run),
        "comparison": _compare_section(run, int(_all_persons(h)["count"].sum()) if h is not None else
                                       (res.get("data") or {}).get("observed")),
        "trend": _trend_section(run),
        "visibility": _visibility_section(run),
        "pooling": _pooling_section(run),
        "sdg": _sdg_section(run),
        "published": _published_section(run),
        "linkage": _linkage_section(run),
        "revictimisation": _revictimisation_section(run),
    }
    missing = plots.take_missing_glyphs()
    if missing:  # said once, instead of matplotlib's warnings on the terminal (tester 8, F4)
        run.problems.append(f"some characters of the names ({' '.join(missing[:12])}{' …' if len(missing) > 12 else ''}) "
                            "cannot be drawn with the plots' font and show as boxes in the plots; the tables show them")
    ctx["holds"] = [what for key, what in (("linkage", "record linkage results"), ("trend", "monitor tables"),
                                           ("revictimisation", "repeat-victimisation tables")) if ctx.get(key)]
    msgs = _messages(run)
    ctx["messages"] = msgs
    ctx["n_warnings"] = sum(m.explanation.severity == "warning" for m in msgs)
    ctx["n_notes"] = len(msgs) - ctx["n_warnings"]
    # a link output folder is named by its folder, not by the histories.csv inside it (tester 20)
    name = ((res.get("settings") or {}).get("data_folder") or (ctx["data"] or {}).get("name")
            or res.get("data", {}).get("name") or run.folder.name)
    kind = "monitor" if res.get("monitor") else ("estimate" if res else ("comparison" if run.compare is not None else
                                                                          "linkage and follow-up"))
    ctx["title"] = f"darkfigure report: {name}"
    ctx["kind"] = kind
    ctx["monitor_info"] = res.get("monitor")
    settings = res.get("settings") or {}
    cinfo = run.compare_info or {}
    rinfo = run.revictimisation_info or {}
    about = [
        ("darkfigure version of the run",
         str(res.get("darkfigure_version") or cinfo.get("darkfigure_version") or rinfo.get("darkfigure_version")
             or "–")),
        ("run date", str(res.get("run_date") or cinfo.get("run_date") or rinfo.get("run_date") or "not recorded")),
        ("report built", datetime.now(UTC).isoformat(timespec="seconds") + f" with darkfigure {__version__}"),
        ("run folder", str(run.folder)),
        ("files read", ", ".join(run.files)),
    ]
    for k in ("search", "criterion", "model", "ci", "reps", "seed", "level", "year", "year_degree", "pthresh"):
        if k in settings and settings[k] is not None:
            about.append((k, str(settings[k])))
    imp = settings.get("imputed") or {}
    if settings.get("missing") and (settings.get("covariates") or imp.get("persons")):
        text = str(settings["missing"])
        if imp.get("persons"):
            per = ", ".join(f"{c} {fmt_count(v)}" for c, v in imp.items() if c != "persons")
            text += (f": {fmt_count(imp['persons'])} persons with an unknown value kept, imputed by EM"
                     + (f" ({per})" if per else ""))
        else:
            text += {"em": ": no value was unknown", "drop": ": persons with an unknown value left out",
                     "error": ": none allowed"}.get(text, "")
        about.append(("unknown covariate values", text))
    szs = settings.get("structural_zeros") or []
    if szs:
        about.append(("structural zeros", "; ".join(f"list {a} cannot register {c} = {lv}" for a, c, lv in szs)))
    if not res and cinfo:
        about += [("seed", str(cinfo.get("seed"))), ("replicates", str(cinfo.get("reps")))]
    about += _revictimisation_about(run.revictimisation_info, with_run=bool(res or cinfo))
    secs = res.get("seconds") or {}
    if secs.get("total") is not None:
        about.append(("run time", f"{_f(secs['total']):.1f} s"))
    ctx["about"] = about
    ctx["sections"] = [(sid, title) for sid, title in _SECTIONS
                       if sid in ("summary", "warnings", "about") or ctx.get(sid)]
    ctx["has_counts"] = ctx["data"] is not None or ctx["trend"] is not None
    return ctx


def render_report(run: Run) -> str:
    """The report of a loaded run as an HTML string (see :func:`build_report`)."""
    from jinja2 import Environment, PackageLoader

    env = Environment(
        loader=PackageLoader("darkfigure.report", "templates"),
        autoescape=True,  # every value from the data is escaped (template names end in .j2)
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2").render(**_context(run))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def build_report(run_dir: str | Path, out: str | Path | None = None, *, overwrite: bool = False) -> Path:
    """Write one self-contained HTML report of a run folder, with the output guards of ``darkfigure report``.

    Parameters
    ----------
    run_dir : path
        The ``--out`` folder of ``darkfigure estimate``, ``monitor`` or ``compare`` (and
        of ``darkfigure link`` and the repeat-victimisation tables): every known result
        file present gets its section (:data:`RESULT_FILES`).
    out : path, optional
        The HTML file to write (default ``run_dir/report.html``).
    overwrite : bool
        Replace `out` even when darkfigure did not write it (or it changed since). A file of the run
        itself (``result.json``, the CSVs) is never written over.

    Returns
    -------
    Path
        The file written. It is written to a staging file first and moved, so a
        failure leaves no half-written report; the folder's manifest records it.

    Raises
    ------
    RunFolderError
        The folder is missing or holds no results (the message names the expected
        files), or ``result.json`` is unreadable.
    darkfigure.outputs.OutputError
        `out` is a file of the run, or a file darkfigure did not write (pass ``overwrite=True``);
        nothing is written then (tester 14b, H2: the report replaced result.json and a user's CSV).
    OSError
        The report cannot be written.
    """
    from ..outputs import MANIFEST, write_file

    load_run(run_dir)  # a missing, empty or edited run folder is said before anything is created
    target = Path(out) if out is not None else Path(run_dir) / "report.html"
    reads = [p for p in Path(run_dir).iterdir() if p.is_file() and p.suffix != ".html" and p.name != MANIFEST]
    return write_file(target, lambda p: write_report_html(run_dir, p), overwrite=overwrite, inputs=reads,
                      command="report", option="out", force="overwrite=True")


def write_report_html(run_dir: str | Path, target: str | Path) -> Path:
    """Render the report of `run_dir` and write it to `target` without any output guard (the guarded callers,
    :func:`build_report` and ``darkfigure report``, stage it first); returns `target` as a Path.

    Raises
    ------
    RunFolderError
        As :func:`build_report`.
    OSError
        The report cannot be written.
    """
    run = load_run(run_dir)
    html = render_report(run)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(html)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; a report is as readable as the CSVs
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
