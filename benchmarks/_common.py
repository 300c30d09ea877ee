"""Timing helpers for the benchmark scripts (run by hand; they print figures, assert nothing)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], repeat: int = 5) -> tuple[float, list[float], object]:
    """Run `fn` `repeat` times; return the median wall time in seconds, all times, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out


# --------------------------------------------------------------------------------------
# side by side with the R peers: whole processes, alternating, medians, machine load

import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

SHARED = Path(os.environ.get("DARKFIGURE_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
DATASETS = SHARED / "datasets"
R_JOBS = SHARED / "peers" / "jobs"


def load() -> str:
    """The machine's 1-minute load average and core count, e.g. ``"load 5.62 on 2 cores"``."""
    return f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def r_job(name: str) -> Path | None:
    """The R side of a job (``../shared/peers/jobs/<name>``) when Rscript and the job exist, else None."""
    p = R_JOBS / name
    return p if shutil.which("Rscript") and p.exists() else None


def darkfigure_argv(*args: str) -> list[str]:
    """The darkfigure CLI as a user runs it: a fresh Python process (its modules' bytecode compiled, as pip
    compiles it when it installs the package: see :func:`compile_sources`)."""
    compile_sources()
    return [sys.executable, "-m", "darkfigure.cli", *args]


def compile_sources() -> None:
    """Compile darkfigure's modules to bytecode (``__pycache__``) once, as ``pip install`` does.

    A source checkout run with ``PYTHONDONTWRITEBYTECODE=1`` and no ``__pycache__`` compiles the ~60 modules
    an estimate imports in every process (0.1-0.2 s of CPU), which an installed package never does; the
    timings would charge that to darkfigure. Nothing is done where the folder cannot be written.
    """
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("darkfigure")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if os.access(folder, os.W_OK):
            compileall.compile_dir(folder, quiet=1)


# CPU seconds (user + system) of the last process _run ran: on a busy machine it moves far less with the
# load than wall time, so the ratio of CPU medians is printed beside the wall-time ratio
LAST_CPU = [0.0]


def _run(argv: list[str]) -> tuple[float, str, int]:
    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True, env=os.environ.copy())
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return time.perf_counter() - t0, p.stdout + p.stderr, p.returncode


def side_by_side(title: str, jobs: dict[str, list[str]], runs: int = 3, show=None, ratios: bool = True) -> dict[str, float]:
    """Time whole processes of several programs alternating (A, B, A, B, ...), `runs` each.

    Prints each run with the machine load before it, the medians, and last the ratio of
    the first job's median to every other's (the first is the R peer; ``ratios=False``: none). `show(name, output)`
    picks what to print of a run's output (default: the last line). Returns the medians.
    Nothing is asserted: a failing run is printed with its exit code. With the environment
    variable ``DARKFIGURE_BENCH_BUSY=N``, N CPU-bound processes run throughout (the loaded goal
    of issue 13: two other CPU-bound processes on the machine), and every line says so.
    """
    busy = _start_busy()
    try:
        return _side_by_side(title, jobs, runs, show, ratios, busy)
    finally:
        for b in busy:
            b.kill()


# the loaded goal: "with two other CPU-bound processes running" (DARKFIGURE_BENCH_BUSY=2)
_BURN = "while True: pass"


def _start_busy() -> list[subprocess.Popen]:
    """Start ``DARKFIGURE_BENCH_BUSY`` CPU-bound Python processes (default 0) for the duration of a comparison."""
    n = int(os.environ.get("DARKFIGURE_BENCH_BUSY", "0") or 0)
    return [subprocess.Popen([sys.executable, "-c", _BURN]) for _ in range(n)]


def _side_by_side(title, jobs, runs, show, ratios, busy) -> dict[str, float]:
    """:func:`side_by_side`'s body, with `busy` CPU-bound processes running beside it."""
    extra = f"; {len(busy)} other CPU-bound processes running" if busy else ""
    if busy:
        time.sleep(2.0)  # let the burners take their share before the first run
    print(f"== {title}: whole process, {runs} runs each, alternating ({load()} at start{extra})")
    for name, argv in jobs.items():
        print(f"  {name}: {' '.join(str(a) for a in argv)}")
    times: dict[str, list[float]] = {k: [] for k in jobs}
    cpus: dict[str, list[float]] = {k: [] for k in jobs}
    loads: list[float] = []
    for i in range(runs):
        for name, argv in jobs.items():
            la = os.getloadavg()[0]
            loads.append(la)
            sec, out, rc = _run(argv)
            times[name].append(sec)
            cpus[name].append(LAST_CPU[0])
            lines = [ln for ln in out.strip().splitlines() if ln.strip()]
            msg = show(name, out) if show else (lines[-1] if lines else "")
            print(f"  run {i + 1} {name:>11}: {sec:8.2f} s  cpu {LAST_CPU[0]:7.2f} s  (load before {la:.2f})"
                  f"{'' if rc == 0 else f'  EXIT {rc}'}  {msg}", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    names = list(jobs)
    for k in names:
        print(f"  median {k:>11}: {med[k]:8.2f} s  (runs {', '.join(f'{t:.2f}' for t in times[k])}); "
              f"cpu median {statistics.median(cpus[k]):.2f} s")
    load_txt = (f"load {min(loads):.1f}-{max(loads):.1f} (1-min average before each run) on {os.cpu_count()} cores"
                f"{extra}")
    print(f"  ({load_txt})")
    for k in names[1:] if ratios else []:
        print(f"RATIO {title}: {names[0]} / {k} = {med[names[0]] / med[k]:.1f}x "
              f"(medians {med[names[0]]:.1f} s / {med[k]:.2f} s; {load_txt})")
        c0, c1 = statistics.median(cpus[names[0]]), statistics.median(cpus[k])
        if c1 > 0:
            print(f"CPU RATIO {title}: {names[0]} / {k} = {c0 / c1:.1f}x (CPU medians {c0:.1f} s / {c1:.2f} s)")
    return med


def result_line(name: str, out: str) -> str:
    """The line of a run's output that names its result (R's ``RESULT ...`` or darkfigure's ``│ N̂ ...`` row),
    squeezed to 110 characters; '' when there is none. ``name`` is the job's name (unused; `side_by_side`'s
    ``show`` signature)."""
    for ln in out.splitlines():
        if ln.startswith("RESULT") or ln.strip().startswith("│ N̂"):
            return " ".join(ln.strip("│ ").split())[:110]
    return ""
