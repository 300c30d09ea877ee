"""Strata per second of ``darkfigure strata`` (log-linear and LCMCR), and LCMCR per stratum against R's LCMCR.

Setting: simulated strata (:func:`darkfigure.strata.simulate_strata`, 4 lists, stratum sizes
150-1,500, capture probabilities 0.15-0.45), no cache (every stratum computed).

* log-linear: main-effects model, parametric bootstrap with 500 replicates per stratum;
* LCMCR: K = 15 (verdata's min(2^J - 1, 15)), a_alpha = b_alpha = 0.25, burn-in 1,000, 1,000 draws
  thinned by 10 (R's buffer thinning 10 too), one chain per stratum, as one R ``lcmCR`` +
  ``lcmCR_PostSampl`` call per stratum (verdata's ``run_lcmcr`` does these two calls; its own defaults,
  10,000 samples thinned by 500 = 5 million iterations per stratum, are far too long to time here).

Each is timed with 1 and 2 worker processes; R (one process, as verdata) and darkfigure alternate,
medians of `repeat` runs; the load average is printed before each run (the machine is shared), and the CPU
time of the 1-worker runs (all in this process) per stratum beside.
R and LCMCR are needed for the comparison (R_LIBS=/root/Rpeers); without them it is skipped.
Run: nice -n 10 python benchmarks/bench_strata.py [repeat] [strata] [methods, e.g. lcmcr]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from darkfigure.strata import estimate_strata, simulate_strata

LCMCR = {"K": 15, "burnin": 1000, "samples": 1000, "thinning": 10, "chains": 1}

R_SCRIPT = r"""
suppressMessages(library(LCMCR))
a <- commandArgs(TRUE)
files <- list.files(a[1], pattern = "[.]csv$", full.names = TRUE)
K <- as.integer(a[2]); burnin <- as.integer(a[3]); samples <- as.integer(a[4]); thin <- as.integer(a[5])
total <- 0
for (f in files) {
  z <- read.csv(f); z <- z[z$count > 0, ]; names(z)[ncol(z)] <- "Freq"
  for (j in 1:(ncol(z) - 1)) z[[j]] <- factor(z[[j]], levels = c(0, 1))
  el <- system.time({
    s <- lcmCR(z, tabular = TRUE, in_list_label = "1", not_in_list_label = "0", K = K, a_alpha = 0.25,
               b_alpha = 0.25, buffer_size = 10000, thinning = thin, seed = 123, verbose = FALSE)
    N <- lcmCR_PostSampl(s, burnin = burnin, samples = samples, thinning = thin, output = FALSE)
  })[["elapsed"]]
  total <- total + el
}
cat(sprintf("RESULT strata=%d seconds=%.3f\n", length(files), total))
"""


def _load() -> str:
    la = os.getloadavg()
    return f"load {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}"


def _r_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    r = subprocess.run(["Rscript", "-e", "suppressMessages(library(LCMCR))"], capture_output=True,
                       env={**os.environ, "R_LIBS": os.environ.get("R_LIBS", "/root/Rpeers")})
    return r.returncode == 0


def _tables(sim, folder: Path) -> int:
    """One aggregated table per stratum (lists + count), as R's LCMCR reads it."""
    lists = list(sim.lists)
    n = 0
    for (reg, per), g in sim.persons.groupby(["region", "period"]):
        t = g.groupby(lists).size().reset_index(name="count")
        t.to_csv(folder / f"{reg}_{per}.csv", index=False)
        n += 1
    return n


def main(repeat: int = 3, strata: int = 40, methods: str = "loglinear,lcmcr") -> None:
    regions = max(1, strata // 5)
    sim = simulate_strata(regions, 5, lists=4, seed=1)
    S = regions * 5
    print(f"{S} strata, 4 lists, {len(sim.persons):,} persons observed; {os.cpu_count()} cores; {_load()}")
    estimate_strata(sim.persons.head(400), by="region", method="lcmcr", burnin=10, samples=10, thinning=1,
                    n_jobs=1)  # numba: compile or load the cache
    for method, kw in (("loglinear", {"reps": 500, "search": "none"}), ("lcmcr", LCMCR)):
        if method not in methods.split(","):
            continue
        for jobs in (1, 2):
            times = []
            for _ in range(repeat):
                print(f"  [{method}, {jobs} worker(s)] {_load()}")
                t0 = time.perf_counter()
                r = estimate_strata(sim.persons, by="region,period", method=method, n_jobs=jobs, seed=1, **kw)
                times.append(time.perf_counter() - t0)
            med = statistics.median(times)
            print(f"{method:9s} {jobs} worker(s): median {med:.1f} s for {S} strata = {S / med:.2f} strata/s "
                  f"(runs {', '.join(f'{t:.1f}' for t in times)}); {r.counts['estimated']} estimated")
    if not _r_available():
        print("R with LCMCR not found (R_LIBS=/root/Rpeers): comparison with R skipped")
        return
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        (d / "tables").mkdir()
        _tables(sim, d / "tables")
        script = d / "strata.R"
        script.write_text(R_SCRIPT)
        env = {**os.environ, "R_LIBS": os.environ.get("R_LIBS", "/root/Rpeers")}
        r_times, df1, df2, cpu1 = [], [], [], []
        for _ in range(repeat):
            print(f"  [R] {_load()}")
            out = subprocess.run(["Rscript", str(script), str(d / "tables"), str(LCMCR["K"]), str(LCMCR["burnin"]),
                                  str(LCMCR["samples"]), str(LCMCR["thinning"])], capture_output=True, text=True,
                                 env=env, check=True).stdout
            line = [x for x in out.splitlines() if x.startswith("RESULT")][0]
            r_times.append(float(line.split("seconds=")[1]))
            for jobs, acc in ((1, df1), (2, df2)):
                print(f"  [darkfigure, {jobs} worker(s)] {_load()}")
                t0, c0 = time.perf_counter(), time.process_time()
                estimate_strata(sim.persons, by="region,period", method="lcmcr", n_jobs=jobs, seed=1, **LCMCR)
                acc.append(time.perf_counter() - t0)
                if jobs == 1:  # one worker runs in this process: its CPU time is the whole run's
                    cpu1.append(time.process_time() - c0)
        rm, m1, m2 = statistics.median(r_times), statistics.median(df1), statistics.median(df2)
        print(f"LCMCR per stratum (K={LCMCR['K']}, burn-in {LCMCR['burnin']}, {LCMCR['samples']} draws x "
              f"{LCMCR['thinning']}, 1 chain): R {rm / S * 1000:.0f} ms (sampler time only, R start-up excluded); "
              f"darkfigure {m1 / S * 1000:.1f} ms with 1 worker ({rm / m1:.1f}x), {m2 / S * 1000:.1f} ms with 2 "
              f"({rm / m2:.1f}x; whole run: splitting, hashing, combining included)")
        print(f"  darkfigure, 1 worker: {statistics.median(cpu1) / S * 1000:.1f} ms CPU per stratum (whole run, "
              "in this process; less sensitive to the load than the wall time)")
        print(f"  R runs {', '.join(f'{t:.1f}' for t in r_times)} s; darkfigure 1 worker "
              f"{', '.join(f'{t:.1f}' for t in df1)} s, 2 workers {', '.join(f'{t:.1f}' for t in df2)} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3, int(sys.argv[2]) if len(sys.argv) > 2 else 40,
         sys.argv[3] if len(sys.argv) > 3 else "loglinear,lcmcr")
