"""A linkage run whose draws are shifted from N̂ as linked (tester report 14a, M1), for the monitor's tests.

A third of the true pairs scored just below the threshold (as tests/test_correction_rule.py's ``below_run``): the
draws join more than the as-linked persons and their mean lies below N̂ as linked beyond Monte-Carlo error.
Synthetic registrations only (``synthetic_pairs``); no Splink.
"""

import numpy as np

from darkfigure.linkage.uncertainty import LinkRun
from synthetic_pairs import true_pairs


def below_run(seed: int = 3, n: int = 2500, pairs_n: int = 300) -> LinkRun:
    """The run: ``true_pairs(seed, n, pairs_n)`` scored 0.95 / 0.02, a third of the true pairs at 0.45."""
    tp = true_pairs(seed, n, pairs_n)
    pairs = tp.pairs(0.95, 0.02)
    low = np.random.default_rng(1).random(tp.left.size) < 1 / 3
    pairs.loc[np.flatnonzero(low), "match_probability"] = 0.45
    return LinkRun(tp.records, pairs, 0.5)


def shifted_monitor(covariates=("year",), **kw):
    """``monitor`` on :func:`below_run` by year (parametric, 100 replicates, 4 draws x 20 replicates, seed 3); the
    histories keep `covariates` (the records have ``year`` and ``sex``); `kw` replaces those options."""
    from darkfigure.monitoring import monitor

    run = below_run()
    h = run.histories().collapse(list(covariates))
    opts = dict(search="none", ci="parametric", reps=100, seed=3, linkage_draws=4, linkage_reps=20, n_jobs=1)
    return monitor(h, year="year", linkage_run=run, **(opts | kw))


def written_monitor(tmp_path_factory, name: str):
    """:func:`shifted_monitor` written to a new folder ``<tmp>/<name>/m``: (the monitor, the folder)."""
    res = shifted_monitor()
    out = tmp_path_factory.mktemp(name) / "m"
    res.write(out)
    return res, out
