"""Linkage draws respect the declared structural zeros (tester 19a, H1): a list that did not exist in a year was
declared unable to register that year's persons; the draws joined a few of its later registrations to persons first
registered that year, every refit refused the draw, and estimate stopped with "only 1 of 50 linkage draws gave an
estimate" and no reason. Synthetic registrations (``synthetic_pairs``); no Splink."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage.draw_constraints import respect_structural_zeros
from darkfigure.linkage.uncertainty import LinkRun
from synthetic_pairs import true_pairs


@pytest.fixture(scope="module")
def late_list():
    """A clearing house where the smallest organisation registered nobody in the first year; its true pairs are
    scored below the threshold (p 0.45), so the linkage leaves its registrations apart and the draws join some."""
    tp = true_pairs(3, 2500, 300)
    rec = tp.records.copy()  # link writes 'year' itself: the year of each person's first registration
    late = rec["organisation"].value_counts().index[-1]
    first = int(rec["registration_date"].str[:4].astype(int).min())
    # the late list registers a year after the others: nobody of the first year (its persons' first registration
    # elsewhere may be)
    mine = (rec["organisation"] == late).to_numpy()
    d = pd.to_datetime(rec.loc[mine, "registration_date"]) + pd.DateOffset(years=1)
    rec.loc[mine, "registration_date"] = d.dt.strftime("%Y-%m-%d").to_numpy()
    pairs = tp.pairs(0.95, 0.02)
    orgs = rec["organisation"].to_numpy()
    # the late list's pairs with persons first registered in the first year: below the threshold
    truth = tp.regs["true_person_id"].astype(str).to_numpy()
    early = set(truth[rec["registration_date"].str[:4].astype(int).to_numpy() == first])
    in_early = np.isin(truth[pairs["record_l"]], list(early))
    touches = ((orgs[pairs["record_l"]] == late) | (orgs[pairs["record_r"]] == late)) & in_early
    pairs.loc[touches & (pairs["match_probability"] > 0.5), "match_probability"] = 0.45
    run = LinkRun(rec, pairs.reset_index(drop=True), 0.5)
    return run, late, first, truth


def _in_zero(run, labels, late, first) -> int:
    """Persons with the late list and the first year (and another list)."""
    from darkfigure.linkage.persons import persons_from_links

    rec = run.records.drop(columns=["has_date_of_birth"])
    persons, h = persons_from_links(rec, labels, covariate_rule=run.covariate_rule, covariates=["sex"])
    others = persons[[c for c in h.lists if c != late]].sum(axis=1) > 0
    return int(((persons[late] == 1) & (persons["year"] == first) & others).sum())


def test_joins_across_a_structural_zero_are_undone_and_nothing_else_moves(late_list):
    run, late, first, truth = late_list
    lab = pd.factorize(truth)[0]  # the true persons: some were registered by the late list after the first year
    assert _in_zero(run, lab, late, first) > 0
    new, split, _ = respect_structural_zeros(run, lab, [(late, "year", first)])
    assert split > 0 and _in_zero(run, new, late, first) == 0
    org = run.records["organisation"].to_numpy()
    # only registrations of the late list left their persons; everything else keeps its person
    same = pd.crosstab(pd.factorize(lab)[0][org != late], pd.factorize(new)[0][org != late])
    assert ((same > 0).sum(axis=1) == 1).all()
    assert 0 < len(np.unique(new)) - len(np.unique(lab)) <= split
    # nothing declared, nothing in the cells: the labels come back as they were
    assert respect_structural_zeros(run, run.labels(), [(late, "year", first)])[1] == 0


def test_estimate_with_a_structural_zero_runs_its_linkage_draws(late_list):
    from darkfigure.estimation import estimate

    run, late, first, _ = late_list
    h = run.histories().collapse(["year"])
    e = estimate(h, year="year", linkage_run=run, structural_zeros=[(late, "year", first)], search="none",
                 ci="parametric", reps=50, seed=1, linkage_draws=4, linkage_reps=20, n_jobs=1)
    said = " ".join(e.warnings)
    assert "joined registrations across a declared structural zero" in said
    assert np.isfinite(e.linkage.nhat_corrected) and e.linkage.draws == 4


def test_failed_draws_say_why():
    from darkfigure.linkage.draw_pool import DrawFailure, _failures_said

    res = [DrawFailure("a reason"), (1, 2, 3, 0), DrawFailure("a reason"), DrawFailure("another")]
    assert _failures_said(res) == " (2 of them: a reason)"
    assert _failures_said([(1, 2, 3, 0)]) == ""
