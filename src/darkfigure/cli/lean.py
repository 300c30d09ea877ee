"""``darkfigure estimate DATA --method dga``: dga's printout, and its lean path for a plain CSV file.

Loading typer, pandas and SciPy costs a process 0.5-1 s, many times what dga's computation takes
(:mod:`darkfigure.bayes._dga_core`, NumPy only). So when the command line is exactly
``darkfigure estimate FILE.csv --method dga [--level L]`` (or ``python -m darkfigure.cli ...``) and the
file is a plain aggregated table (a ``count`` column of whole numbers, every other column coded ``0``/``1``,
3-5 lists, each pattern once, no all-zero row, no empty list), :func:`answer_early` reads it with the
``csv`` module, computes, prints and exits while ``darkfigure.cli`` is being imported, before typer loads.
Anything else (another command or option, Excel/Parquet, a dataset name, covariates, a value the lean
reader does not accept) goes the usual way, whose readers give the error messages; that way ends in
:func:`run_full`, which prints with the same :func:`dga_lines`, so both ways print the same text
(``tests/test_cli_dga.py`` checks it).
"""

from __future__ import annotations

import csv
import os
import sys

__all__ = ["answer_early", "dga_lines", "run_full"]

METHODS = ("loglinear", "dga")
_TOP_GRAPHS = 3


def _num(v: float, digits: int = 0) -> str:
    return f"{v:,.{digits}f}"


def dga_lines(name: str | None, lists: tuple[str, ...], sizes: list[int], post, *, delta: float, prior: str,
              level: float, n_graphs: int, labels: list[str], notes: tuple[str, ...] = (),
              warnings: tuple[str, ...] = (), unidentified: str | None = None) -> tuple[list[str], bool]:
    """The printout of ``estimate --method dga``: lines of text, and whether N is identified.

    `post` is a :class:`darkfigure.bayes._dga_core.Posterior`; `labels` the cliques of its top graphs in list
    names; `sizes` the persons on each list. `unidentified` is why the posterior does not identify N, from
    :func:`darkfigure.bayes._dga_core.unidentified_reason` (the one rule of estimate, compare and ``dfg.DGA``),
    None when it does; then no number is printed as N̂ (the median, mean and the graphs' N̂ of a truncated
    posterior only say where the grid stopped), and the second value returned is False (exit 3).
    """
    from .. import __version__

    n = int(round(post.n))
    lines = [f"darkfigure {__version__}: dga, Bayesian model averaging over {n_graphs:,} decomposable graphs "
             "(Madigan & York 1997; R's dga bma.cr)"]
    rows = [("data", f"{name or ''}: {n:,} persons on {len(lists)} lists"),
            ("lists", ", ".join(f"{a} ({s:,})" for a, s in zip(lists, sizes)))]
    interval = f"{level:.0%} credible interval {_num(post.lo)} – {_num(post.hi)}; posterior median"
    if unidentified is not None:
        rows.append(("N̂", f"not identified by these data: {unidentified}. No estimate of N: report only that it is "
                            f"at least the {n:,} persons observed, and run `darkfigure compare` for methods that may "
                            "bound it"))
    else:
        rows.append(("N̂", f"{_num(post.median)}  ({interval})"))
        share = n / post.median if post.median > 0 else float("nan")
        visible = "<1%" if 0 < share < 0.005 else f"{share:.0%}"
        rows.append(("dark figure", f"{_num(post.median - n)} never registered ({visible} visible)"))
        rows.append(("mean", _num(post.mean, 1)))
    grid = f"Nmissing 0 – {_num(post.nm[-1])}"
    if post.step > 1:
        exact = int(post.nm[post.widths == 1][-1])
        grid += f" (step 1 to {_num(exact)}, then {post.step})"
    rows.append(("prior", f"delta {delta:g} per cell, {prior} on N; grid {grid}, mass in its top 1% {post.edge:.2g}"))
    top = "; ".join(f"{lab} {w:.3f}" + (f" (N̂ {_num(med)})" if unidentified is None else "")
                    for lab, (_, w, med, _) in zip(labels, post.top))
    rows.append(("top graphs", top))
    # "N̂" is two code points (N and a combining circumflex) in one column: pad by columns, not code points
    lines += [f"{a:<{12 + len(a) - len(a.replace(chr(0x302), ''))}} {b}" for a, b in rows]
    lines += [f"note: {t}" for t in notes]
    lines += [f"warning: {t}" for t in warnings]
    return lines, unidentified is None


def _labels(k_cliques: list[tuple[int, ...]], lists: tuple[str, ...]) -> list[str]:
    return ["".join("{" + ",".join(lists[v] for v in range(len(lists)) if c >> v & 1) + "}" for c in cl)
            for cl in k_cliques]


# ---------------------------------------------------------------------------- the lean path
def _invoked_as_cli() -> bool:
    """True in ``python -m darkfigure.cli ...`` (sys.argv[0] is "-m" while the package is imported) and in the
    ``darkfigure`` console script; False when a program or a test imports darkfigure.cli."""
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 == "-m":
        orig = list(getattr(sys, "orig_argv", []))
        return "-m" in orig and orig[orig.index("-m") + 1:orig.index("-m") + 2] == ["darkfigure.cli"]
    return os.path.basename(argv0) in ("darkfigure", "darkfigure.exe")


def _lean_args(args: list[str]) -> tuple[str, float] | None:
    """(DATA, level) when `args` are exactly ``estimate DATA --method dga [--level L]``, else None."""
    if not args or args[0] != "estimate":
        return None
    data, opts, i = None, {}, 1
    while i < len(args):
        a = args[i]
        if a.startswith("--"):
            key, eq, val = a.partition("=")
            if not eq:
                if i + 1 >= len(args):
                    return None
                val, i = args[i + 1], i + 1
            if key not in ("--method", "--level") or key in opts:
                return None
            opts[key] = val
        elif a.startswith("-") or data is not None:
            return None
        else:
            data = a
        i += 1
    if data is None or opts.get("--method") != "dga":
        return None
    try:
        level = float(opts.get("--level", "0.95"))
    except ValueError:
        return None
    return (data, level) if 0 < level < 1 else None


def _read_plain_csv(path: str):
    """(lists, codes, counts) of a plain aggregated capture-history CSV (module docstring), or None."""
    if not (path.lower().endswith(".csv") and os.path.isfile(path)):
        return None
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if len(rows) < 2:
        return None
    head = rows[0]
    if head.count("count") != 1 or len(set(head)) != len(head) or any(not h or h != h.strip() for h in head) \
            or head[0].startswith("\ufeff"):
        return None
    ci = head.index("count")
    lists = tuple(h for j, h in enumerate(head) if j != ci)
    if not 3 <= len(lists) <= 5:
        return None
    cols = [j for j in range(len(head)) if j != ci]
    seen, codes, counts = set(), [], []
    for r in rows[1:]:
        if len(r) != len(head) or not (r[ci].isascii() and r[ci].isdigit() and len(r[ci]) <= 9):
            return None
        code = 0
        for b, j in enumerate(cols):
            if r[j] == "1":
                code |= 1 << b
            elif r[j] != "0":
                return None
        c = int(r[ci])
        if c == 0:
            continue
        if code == 0 or code in seen:  # the all-zero pattern or a repeated one: the usual reader says what to do
            return None
        seen.add(code)
        codes.append(code)
        counts.append(c)
    k = len(lists)
    if not counts or sum(counts) > 10**9 or any(not any(c >> b & 1 for c in codes) for b in range(k)):
        return None
    if any(all(c >> b & 1 for c in codes) for b in range(k)):  # a list that registered everyone: the reader notes it
        return None
    return lists, codes, counts


def answer_early() -> None:
    """Answer ``estimate FILE.csv --method dga [--level L]`` on a plain CSV and exit; otherwise return at once."""
    if not _invoked_as_cli():
        return
    parsed = _lean_args(sys.argv[1:])
    if parsed is None:
        return
    data, level = parsed
    table = _read_plain_csv(data)
    if table is None:
        return
    lists, codes, counts = table
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        # one thread: the products here are small, and BLAS threads spinning beside them cost a busy machine
        # more than they save (CPU 0.28 s -> 0.17 s a run at load 12 on 2 cores)
        os.environ.setdefault(var, "1")
    import numpy as np

    from .._list_names import auto_lists_notes
    from ..bayes import _dga_core as core
    from ..lcmcr_rules import full_lists_reason  # a list holding everyone: as dga() and the log-linear path

    k = len(lists)
    y = core.pattern_counts(np.array(codes), np.array(counts), k)
    delta = 2.0**-k
    model = core.Model(y, k, delta, core.log_prior_fn("1/N")[0], smooth=True)
    post = core.posterior(model, None, level=level, n_top=_TOP_GRAPHS, tail_tol=1e-6, max_points=core.MAX_POINTS[k],
                          max_nmissing=1e11)
    post.n = model.n
    sizes = [int(sum(c for code, c in zip(codes, counts) if code >> b & 1)) for b in range(k)]
    coef, cliques = core.coefficients(k)
    notes = tuple(auto_lists_notes(lists))  # as the usual reader says it
    lines, ok = dga_lines(os.path.basename(data), lists, sizes, post, delta=delta, prior="1/N", level=level,
                          n_graphs=coef.shape[0], labels=_labels([cliques[g] for g, *_ in post.top], lists),
                          notes=notes, warnings=tuple(post.warnings),
                          unidentified=full_lists_reason([a for a, s in zip(lists, sizes) if s == model.n],
                                                         posterior=True)
                          or core.unidentified_reason(model.n, post.hi, post.truncated))
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    if ok:  # what the figure can be published with (tester 8, F3); no checks here: they would cost the speed
        from ..publish_dga import dga_statement

        sys.stdout.write(f"to publish: {dga_statement(post.median, post.lo, post.hi, level)['statement']}\n")
    sys.exit(0 if ok else 3)


# ---------------------------------------------------------------------------- the usual path
def run_full(h, level: float):
    """``estimate --method dga`` on CaptureHistories read by the usual readers: print; return (exit code, result)."""
    from ..bayes import _dga_core as core
    from ..bayes.dga import dga
    from .common import console

    r = dga(h, level=level, n_top=_TOP_GRAPHS)
    hc = h.collapse() if h.covariates else h
    post = core.Posterior(n=float(r.n_observed), nm=r.nmissing, widths=r.widths, step=r.grid_step, edge=r.edge_mass,
                          lo=r.ci_low, hi=r.ci_high, median=r.median, mean=r.mean,
                          top=[(int(g.index), float(g.weight), float(g.median), float(g.mean))
                               for g in r.graphs.itertuples()])
    sizes = [int(v) for v in hc.list_sizes().values]
    lines, ok = dga_lines(h.name, tuple(h.lists), sizes, post, delta=r.delta, prior=r.prior, level=level,
                          n_graphs=len(r.graph_weights), labels=list(r.graphs["cliques"]), notes=tuple(h.notes),
                          warnings=r.warnings, unidentified=r.unidentified)
    for ln in lines:
        console.print(ln, markup=False, highlight=False, soft_wrap=True)
    if ok:  # as the lean path: the caveat dga cannot check (tester 8, F3)
        from ..publish_dga import dga_statement

        console.print(f"to publish: {dga_statement(r.median, r.ci_low, r.ci_high, level)['statement']}", markup=False,
                      highlight=False, soft_wrap=True)
    return (0 if ok else 3), r


#: the files ``estimate --method dga --out DIR`` writes (bayes.dga.DGAResult.write)
DGA_FILES = ["result.json", "estimates.csv", "posterior.csv", "graphs.csv"]


def estimate_method(method: str, level: float, read, unused: dict[str, bool], *, out=None, overwrite: bool = False,
                    seed: int | None = None, inputs=()) -> None:
    """``estimate --method M`` for M other than loglinear (the typer command's way in): refuse the options that
    do not apply (`unused`: option -> given), read DATA with `read()`, print, write `out` (the files of
    :meth:`darkfigure.bayes.dga.DGAResult.write`, through :mod:`darkfigure.outputs`), exit with the code.
    `seed` is accepted and unused (dga is deterministic), as in ``compare``; a note says so."""
    import typer

    from ..errors import DataError
    from .common import _fail, _write_out, console

    m = method.strip().lower()
    if m not in METHODS or m == "loglinear":
        _fail(f"--method must be one of {', '.join(METHODS)}, not {method!r}")
    if unused.pop("--report", False):
        _fail("--report is not available with --method dga (the report is built from the log-linear result); for a "
              "report that includes dga run `darkfigure compare DATA --methods dga --out DIR --report`")
    given = [k for k, v in unused.items() if v]
    if given:
        _fail(f"{', '.join(given)} {'does' if len(given) == 1 else 'do'} not apply to --method {m} (Bayesian model "
              "averaging over decomposable graphs, an exact posterior: it has no model search, interval method, "
              "bootstrap, linkage or year options); leave "
              f"{'it' if len(given) == 1 else 'them'} out, or compare dga with the other methods with "
              "`darkfigure compare DATA --methods dga,...`")
    if overwrite and out is None:
        _fail("--overwrite needs --out (the folder whose files it may replace)")
    if out is not None:
        from ..outputs import preflight

        try:
            preflight(out, DGA_FILES, overwrite=overwrite, inputs=inputs)
        except DataError as e:
            _fail(str(e))
        except OSError as e:
            _fail(f"cannot write the results to {str(out)!r}: {e.strerror or e}. Nothing was computed: choose a "
                  "folder you can create and write (--out)")
    try:
        h = read()
        code, r = run_full(h, level)
    except (DataError, ValueError) as e:
        _fail(str(e))
    if seed is not None:
        console.print(f"note: --seed {seed} is not used: dga is deterministic (an exact posterior on a grid, no "
                      "sampling)", markup=False, highlight=False, soft_wrap=True)
    if out is not None:
        files, _ = _write_out(out, lambda d: r.write(d, name=h.name, seed=seed), overwrite=overwrite,
                              inputs=inputs, command="estimate", what="the results")
        console.print("Wrote " + ", ".join(str(f) for f in files), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code=code)


def start_kernel_helper() -> None:
    """``darkfigure estimate ... --search exhaustive``: fork the helper that loads the exhaustive search's compiled
    kernel (numba, ~0.55 s of CPU) on the other core while this process loads typer, pandas and SciPy
    (:mod:`darkfigure.loglinear._kernel_server`). Only as the command line, never when a program imports the CLI."""
    args = sys.argv[1:]
    if not (args and args[0] == "estimate" and _invoked_as_cli()):
        return
    if not any(a == "--search=exhaustive" or (a == "--search" and b == "exhaustive") for a, b in zip(args, args[1:] + [""])):
        return
    from ..loglinear import _kernel_server

    _kernel_server.start()


# imported by darkfigure.cli's __init__ before typer: a plain `estimate FILE.csv --method dga` ends here
answer_early()
start_kernel_helper()
