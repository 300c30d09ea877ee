"""The existence LP on a rank-deficient design (tester report 10, F3).

``darkfigure estimate cruyff_simdat --seed 1`` crashed in the model-averaged bootstrap with "existence LP failed:
Unbounded": the refit job keeps the model's columns that are dependent on the facial set, so the LP's basis held
directions with X b = 0, free variables whose rounding dust in the objective HiGHS followed to "Unbounded". The
replicate table below is that bootstrap replicate (aggregated counts of the bundled synthetic dataset); the model is
the averaging's second candidate."""

import numpy as np
import pytest

from darkfigure import datasets
from darkfigure.loglinear import existence
from darkfigure.loglinear.batch_refit import _fixed_context
from darkfigure.loglinear.design import CompleteTable
from darkfigure.loglinear.existence import ExistenceLPError, check_existence
from darkfigure.loglinear.fit import fit_model
from darkfigure.loglinear.terms import LogLinearModel

MODEL = (
    "R1:R4 + R1:X1 + R1:X2 + R1:X4 + R1:Y + R2:R4 + R2:X2 + R2:X3 + R2:Y + R3:R4 + R3:X1 + R3:X2 + R3:X4 + R3:Y + "
    "R4:X1 + R4:X3 + R4:X4 + X1:X2 + X1:X3 + X1:X4 + X1:Y + X2:X3 + X2:X4 + X2:Y + X3:X4 + X3:Y + X4:Y"
)
# the failing replicate's positive counts, by position among the refit job's 928 cells
CELLS = [
    0, 1, 8, 10, 22, 23, 25, 29, 31, 67, 69, 95, 96, 102, 103, 105, 109, 112, 123, 144, 145, 155, 156, 157, 158, 166,
    167, 169, 170, 177, 188, 189, 199, 200, 207, 210, 211, 213, 221, 232, 233, 235, 239, 240, 241, 243, 254, 257, 261,
    287, 376, 377, 387, 388, 389, 390, 391, 394, 395, 398, 401, 405, 409, 412, 413, 417, 420, 431, 442, 453, 456, 460,
    464, 465, 467, 469, 471, 486, 489, 493, 508, 509, 515, 530, 560, 562, 566, 567, 569, 576, 608, 609, 611, 615, 619,
    620, 621, 622, 623, 626, 627, 628, 630, 631, 633, 637, 641, 644, 648, 652, 663, 665, 666, 668, 674, 677, 685, 686,
    692, 696, 697, 699, 703, 704, 705, 706, 707, 718, 721, 722, 723, 725, 726, 740, 741, 747, 749, 751, 759, 762, 765,
    769, 771, 799, 801, 805, 808, 833, 836, 840, 851, 854, 862, 863, 865, 869, 873, 876, 895, 896, 898, 902, 906, 909,
    917, 920, 924, 925,
]
COUNTS = [
    70, 1, 2, 1, 16, 2, 6, 1, 1, 1, 2, 2, 1, 8, 12, 8, 3, 2, 1, 9, 1, 26, 1, 1, 1, 25, 2, 19, 1, 3, 1, 1, 5, 2, 1, 6, 2,
    2, 4, 32, 3, 1, 1, 1, 1, 2, 6, 6, 4, 1, 6, 1, 166, 2, 1, 3, 3, 1, 3, 3, 3, 1, 16, 4, 1, 1, 2, 12, 4, 1, 2, 3, 51, 7,
    4, 1, 3, 5, 12, 4, 1, 1, 1, 1, 1, 1, 3, 2, 3, 5, 5, 4, 4, 1, 53, 3, 2, 4, 2, 2, 1, 1, 7, 3, 16, 1, 2, 3, 2, 1, 7, 1,
    2, 1, 2, 1, 2, 1, 1, 44, 6, 7, 6, 3, 1, 1, 2, 10, 24, 1, 1, 5, 1, 4, 1, 1, 1, 1, 1, 1, 8, 9, 1, 2, 3, 1, 4, 1, 1, 1,
    22, 2, 2, 2, 12, 1, 5, 6, 8, 1, 1, 1, 3, 5, 7, 16, 2, 1,
]


@pytest.fixture(scope="module")
def job():
    """The bootstrap's refit job of the model (design restricted to the fit's facial set: rank deficient)."""
    h = datasets.load("cruyff_simdat")
    t = CompleteTable(h.collapse(keep=h.covariates))
    model = LogLinearModel.make(tuple(h.lists) + tuple(h.covariates), [m.split(":") for m in MODEL.split(" + ")])
    return _fixed_context(fit_model(t, model), np.ones((1, t.n_cells)))


def _replicate(job) -> np.ndarray:
    y = np.zeros(job.x_obs.shape[0])
    y[CELLS] = COUNTS
    return y


def _full_rank_columns(x: np.ndarray) -> np.ndarray:
    """Indices of a maximal set of independent columns of `x` (pivoted QR)."""
    import scipy.linalg

    _, r, piv = scipy.linalg.qr(x, pivoting=True, mode="economic")
    k = int(np.sum(np.abs(np.diag(r)) > 1e-9 * abs(r[0, 0])))
    return np.sort(piv[:k])


def test_replicate_design_is_rank_deficient(job):
    """The premise: the refit's design has dependent columns (else the fixture no longer tests the F3 case)."""
    assert job.x_obs.shape[0] == 928
    assert np.linalg.matrix_rank(job.x_obs) < job.x_obs.shape[1]


def test_existence_of_the_failing_replicate(job):
    """The check succeeds and agrees with the same check on independent columns (the same model)."""
    y = _replicate(job)
    ex = check_existence(job.x_obs, y, job.x_hidden)
    cols = _full_rank_columns(job.x_obs)
    ref = check_existence(job.x_obs[:, cols], y, job.x_hidden[:, cols])
    assert (ex.mle_exists, ex.identified) == (ref.mle_exists, ref.identified)
    assert np.array_equal(ex.facial_set, ref.facial_set)
    assert list(ex.hidden_state) == list(ref.hidden_state)
    assert not ex.mle_exists and ex.identified  # lists R3, R4 share nobody in it: extended MLE
    assert ex.lp_value == pytest.approx(-float(ex.n_zero_cells), abs=1e-6)


def test_the_replicate_refits(job):
    """The refit of the replicate (what crashed the run) returns a finite N̂* with a status."""
    y_cells = np.zeros(job.n_cells)
    y_cells[job.cell_index] = _replicate(job)
    v, status = job(y_cells)
    assert status.split("+")[0] == "extended"
    assert np.all(np.isfinite(v)) and v[0] >= y_cells.sum() - 1e-6


def test_an_lp_that_still_fails_is_a_counted_replicate(job, monkeypatch):
    """If every retry of the LP fails, the replicate gets its own status (counted by the bootstrap, N̂* = ∞ in the
    interval) instead of stopping the run; check_existence itself raises ExistenceLPError (a RuntimeError)."""
    failed = existence.solve_lp(np.ones(1), None, None, lb=None)  # unbounded: min x over the real line
    assert failed.status == 3
    monkeypatch.setattr(existence, "solve_lp", lambda *a, **k: failed)
    y = _replicate(job)
    with pytest.raises(ExistenceLPError, match="Unbounded|unbounded"):
        check_existence(job.x_obs, y, job.x_hidden)
    y_cells = np.zeros(job.n_cells)
    y_cells[job.cell_index] = y
    fresh = job.snapshot()
    fresh.__dict__["_cache"], fresh.__dict__["_faces"] = {}, []
    v, status = fresh(y_cells)
    assert status.split("+")[0] == "existence check failed"
    assert np.all(np.isnan(v))


def test_failed_replicates_are_reported():
    """Replicates whose existence check failed are counted and named in the bootstrap's sentences, and their N̂*
    (NaN) counts as +inf in the interval."""
    from darkfigure.loglinear.bootstrap import BootstrapResult, _counts

    sts = ["ok"] * 97 + ["existence check failed", "existence check failed+lost list", "not identified"]
    counts, arrays = _counts(sts)
    rep = np.concatenate([np.linspace(90.0, 110.0, 97), [np.nan] * 3])[:, None]
    b = BootstrapResult(method="parametric", interval_method="percentile", level=0.95, estimate=np.array([100.0]),
                        replicates=rep, labels=[], observed=np.array([50.0]), status_counts=counts, **arrays)
    assert counts["existence check failed"] == 2
    assert "2 of 100 replicates could not be classified" in b.describe_failures()
    assert b.intervals()[0, 1] == np.inf  # 3% of the replicates at +inf: beyond the 97.5% point
