"""Linkage draws that respect the declared structural zeros.

Tester 19a (H1): the labour inspectorate existed only from 2023, so "inspectie_szw cannot register year = 2021" was
declared (as ``estimate`` itself suggests when a list registered nobody in a year). The N̂ of the true links and of
the as-linked persons ran; every linkage draw failed, because a draw joined 3-7 persons first registered in 2021
with an inspectorate registration, which put observed persons in a declared zero cell, and the refit refused the
draw (``only 1 of 50 linkage draws gave an estimate``, no reason given). A declaration is the user's knowledge of how
the lists work: a person the list could not have registered is no link the draws may make. So, in each draw, the
registrations of a person in a declared zero cell that come from the declared list are split off as a person of
their own (the merge the declaration rules out is undone; the rest of the person stays as drawn), and the number of
registrations split is said. The as-linked persons are never changed: there, such persons make the declaration an
error of the data or of the declaration (:func:`darkfigure.structural.validate_structural_zeros`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["respect_structural_zeros"]


def respect_structural_zeros(run: Any, labels: np.ndarray, declarations: Any,
                             rounds: int = 5) -> tuple[np.ndarray, int, Any]:
    """The person of every registration with the joins across declared structural zeros undone.

    Parameters
    ----------
    run : LinkRun
        The link run the draw came from (its ``records`` and ``covariate_rule``).
    labels : int array, shape (n_registrations,)
        The drawn person of every registration.
    declarations : path, DataFrame or iterable of (list, covariate, level)
        As :func:`darkfigure.structural.read_structural_zeros`; levels matched as the histories spell them.
    rounds : int
        Most passes (a split changes the persons' covariates chosen by the covariate rule, which may put another
        person in a zero cell).

    Returns
    -------
    (labels, split, histories): the labels (a new array when anything was split, else `labels` itself), the number
    of registrations split off, and the capture histories of those labels (as ``run.histories(labels)``; built
    here anyway, so the draw need not build them again), or None when `rounds` ran out.

    Raises
    ------
    DataError
        Declarations that do not fit the histories (unknown list, covariate or level), as
        :func:`darkfigure.structural.validate_structural_zeros`.
    """
    from ..structural import _match_level, read_structural_zeros
    from .link_run import RECORD_COLUMNS
    from .persons import persons_from_links

    decl = read_structural_zeros(declarations)
    rec = run.records.drop(columns=["has_date_of_birth"])
    covs = [c for c in run.records.columns if c not in RECORD_COLUMNS]
    org = run.records["organisation"].astype(str).to_numpy()
    lab = np.asarray(labels)
    split, h = 0, None
    for _ in range(rounds):
        persons, h = persons_from_links(rec, lab, covariate_rule=run.covariate_rule, covariates=covs)
        code = pd.factorize(lab)[0]  # persons row i is code i (numbered by first appearance)
        move = np.zeros(lab.size, dtype=bool)
        for r in decl.itertuples(index=False):
            if r.list not in persons.columns or r.covariate not in persons.columns:
                continue
            lv = _match_level(r.level, h.levels.get(r.covariate, ()))
            if lv is None:
                continue
            # only persons with another list: a person of the declared list alone is the list's own registration
            others = persons[[c for c in h.lists if c != r.list]].to_numpy().sum(axis=1) > 0
            hit = ((persons[r.list] == 1) & (persons[r.covariate] == lv)).to_numpy() & others
            move |= hit[code] & (org == r.list)
        if not move.any():
            return lab, split, h
        lab = lab.copy() if split == 0 else lab
        # the split-off registrations of one person stay one person: a fresh label per (person, list)
        fresh = pd.factorize(pd.Series(code[move]).astype(str) + "\x1f" + pd.Series(org[move]))[0]
        lab[move] = int(lab.max()) + 1 + fresh
        split += int(move.sum())
    return lab, split, None
