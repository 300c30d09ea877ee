"""Linkage draws as files: replicates of the capture histories for ``darkfigure strata --replicates``.

Each file is the capture histories (``histories.csv``'s columns: one 0/1 column per
organisation, the covariates, ``count``) of one linkage drawn from the match probabilities of
a ``link`` run, exactly as the linkage correction of ``estimate`` draws them
(:func:`darkfigure.linkage.uncertainty.linkage_uncertainty`, partition sampler): partitions
of the registrations by :func:`~darkfigure.linkage.partition_draws.draw_partitions` (Sadinle
2014, 2018) started from the as-linked persons, the registrations without a date of birth assigned once
per draw (:func:`~darkfigure.linkage.undated_draws.assign_undated_draws`), plus a draw of the matches blocking never
compared (:func:`~darkfigure.linkage.link_run.add_unblocked_matches`), seeded the same way
(one stream for the partitions, one per draw for the unblocked matches, both spawned from
``seed``), so a given seed always writes the same files. ``darkfigure strata
histories.csv --by ... --replicates DRAWS --replicate-kind linkage`` then estimates every
stratum on every draw and combines them (the persons differ between draws).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .link_run import LinkRun, add_unblocked_matches
from .partition_draws import DRAW_RULE, draw_partitions
from .undated_draws import assign_undated_draws
from .undated_trait import run_trait

__all__ = ["histories_rows", "linkage_draw_histories", "write_linkage_draws", "DRAWS_FOLDER"]

#: the subfolder of a ``link --write-draws`` output folder that holds the draws
DRAWS_FOLDER = "draws"


def linkage_draw_histories(run: LinkRun, draws: int, seed: int | None) -> list[pd.DataFrame]:
    """Capture histories of `draws` linkages drawn from the match probabilities of `run`.

    Parameters
    ----------
    run : LinkRun
        Records and scored pairs of a link run (:func:`~darkfigure.linkage.link_run.read_link_run`,
        or :meth:`LinkRun.from_result`).
    draws : int >= 1
    seed : int or None
        Seeds the partitions and the unblocked matches (as ``linkage_uncertainty`` does).

    Returns
    -------
    list of DataFrame, length `draws`
        Each with the lists (0/1), the covariates (unknown values empty) and ``count``, one row
        per capture history and covariate pattern (as ``histories.csv``).

    Raises
    ------
    ValueError
        `draws` < 1.
    DataError
        The run scored no record pairs (there is nothing to draw).
    """
    from ..errors import DataError

    if draws < 1:
        raise ValueError(f"the number of linkage draws must be at least 1 (got {draws})")
    if len(run.pairs) == 0:
        raise DataError("the linkage run scored no record pairs: there are no linkage draws to write")
    # the seeds of linkage_uncertainty: one stream for the partitions, one per draw for the unblocked matches
    s_draw, s_boot = np.random.SeedSequence(seed).spawn(2)
    labels = draw_partitions(len(run.records), run.pairs["record_l"].to_numpy(np.int64),
                             run.pairs["record_r"].to_numpy(np.int64), run.pairs["match_probability"].to_numpy(float),
                             draws, int(s_draw.generate_state(1)[0]), start=run.labels(), rule=DRAW_RULE,
                             dated=run.records["has_date_of_birth"].to_numpy(bool))
    # undated registrations among namesakes: one calibrated assignment per draw, as linkage_uncertainty does
    labels = assign_undated_draws(run.records, run.pairs, run.labels(), labels, int(s_draw.generate_state(2)[1]),
                                  run_trait(run))
    seeds = s_boot.generate_state(draws)
    out = []
    for lab, s in zip(labels, seeds, strict=True):
        if run.unblocked is not None:
            lab = add_unblocked_matches(lab, run.records["organisation"].to_numpy(), run.unblocked,
                                        np.random.default_rng([int(s), 7]))
        out.append(histories_rows(run.histories(np.asarray(lab))))
    return out


def histories_rows(h) -> pd.DataFrame:
    """Every row of capture histories as ``histories.csv`` holds them: the complete rows and those with an unknown
    covariate value (left empty), with the covariates as objects.

    Parameters
    ----------
    h : CaptureHistories

    Returns
    -------
    DataFrame, shape (rows, lists + covariates + 1): the lists (0/1), the covariates, ``count``.
    """
    t = h.table if h.incomplete is None else pd.concat([h.table, h.incomplete], ignore_index=True)
    t = t.copy()
    for c in h.covariates:
        t[c] = t[c].astype(object)  # unknown values stay empty cells, as in histories.csv
    return t


def write_linkage_draws(run: LinkRun, folder: str | Path, draws: int, seed: int | None) -> list[Path]:
    """Write `draws` linkage draws as ``draw_001.csv``, ``draw_002.csv``, ... into `folder`.

    Call it through :func:`darkfigure.outputs.write_folder` (as ``link --write-draws`` does) for
    safe, atomic writes. Parameters and errors as :func:`linkage_draw_histories`; returns the
    files written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(draws)))
    files = []
    for i, t in enumerate(linkage_draw_histories(run, draws, seed), start=1):
        f = folder / f"draw_{i:0{width}d}.csv"
        t.to_csv(f, index=False)
        files.append(f)
    return files
