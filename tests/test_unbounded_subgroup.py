"""One covariate level with 2 persons must not make every interval unbounded (tester report 12b, H1).

The replicates whose refit leaves that level's unseen cell unbounded gave no finite N̂* for *any* subgroup, so the
other levels' intervals (and the advice) became "no upper limit". Now only the subgroups holding the unbounded
stratum (the level itself and the total) are unbounded, the warning names the level and the remedy, and the
public page says which group cannot be bounded instead of "the registers overlap too little".
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import darkfigure as dfg
from darkfigure.loglinear.unbounded import unbounded_subgroups


def _table() -> pd.DataFrame:
    """Two well-observed levels of g (independent lists) and level z: 2 persons, nobody on list B."""
    rng = np.random.default_rng(3)
    parts = []
    for g, n in (("a", 700), ("b", 600)):
        x = rng.random((n, 3)) < np.array([0.5, 0.4, 0.35])
        df = pd.DataFrame(x[x.any(axis=1)].astype(int), columns=list("ABC"))
        df["g"] = g
        parts.append(df)
    parts.append(pd.DataFrame({"A": [1, 1], "B": [0, 0], "C": [0, 1], "g": ["z", "z"]}))
    return pd.concat(parts).groupby(["A", "B", "C", "g"]).size().rename("count").reset_index()


@pytest.fixture(scope="module")
def res():
    return dfg.estimate(_table(), covariates=["g"], seed=1, reps=200)


def test_other_levels_keep_finite_intervals(res):
    f = res.to_frame()
    rows = {str(lv): r for lv, r in zip(f["level"], f.itertuples())}
    for lv in ("a", "b"):
        assert np.isfinite(rows[lv].upper), f
        assert rows[lv].lower <= rows[lv].nhat <= rows[lv].upper
    assert not np.isfinite(rows["z"].upper)  # the 2-person level itself is not bounded
    assert not np.isfinite(f.iloc[0]["upper"])  # nor the total, which holds it


def test_cause_named_with_remedy_and_bounded_rest(res):
    subs = unbounded_subgroups(res.raw.bootstrap)
    assert [s["label"] for s in subs] == ["g=z"]
    w = subs[0]["without"]
    f = res.to_frame()
    ab = f[f["level"].astype(str).isin(["a", "b"])]
    assert w["observed"] == int(ab["observed"].sum())
    assert w["lower"] <= w["nhat"] <= w["upper"] < np.inf
    said = " ".join(res.warnings)
    assert "because of subgroup g=z" in said and "Merge that level" in said and "structural zero" in said
    tp = res.to_publish()
    assert "unbounded-subgroup" in tp["rules"] and tp["high"] is None
    assert "g=z" in tp["statement"]


def test_public_page_gives_the_true_reason(tmp_path, cli):
    data = tmp_path / "t.csv"
    _table().to_csv(data, index=False)
    out = tmp_path / "o"
    cli(["estimate", data, "--covariates", "g", "--seed", "1", "--reps", "200", "--jobs", "1", "--out", out],
        code=None)
    res = json.loads((out / "result.json").read_text())
    assert res["to_publish"]["unbounded_subgroups"][0]["label"] == "g=z"
    for lang, says in (("en", "One group of victims (g=z"), ("nl", "Eén groep slachtoffers (g=z")):
        cli(["report", out, "--audience", "public", "--lang", lang, "--out", out / f"p_{lang}.html"], code=0)
        page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (out / f"p_{lang}.html").read_text(encoding="utf-8")))
        assert says in page
        assert "overlap too little" not in page and "overlappen te weinig" not in page


def test_compare_public_page_names_the_subgroup_that_opens_the_upper_end():
    from types import SimpleNamespace

    from darkfigure.loglinear.unbounded import describe_unbounded
    from darkfigure.report.public_headline import _open_subgroups

    said = describe_unbounded([{"label": "eth=other", "observed": 2, "unbounded": 599, "replicates": 1000}])
    cmp_ = pd.DataFrame({"method": ["loglinear-aic", "dga"], "warnings": [f"x | {said}", ""]})
    hl = {"dropped": {"loglinear-aic": "not identified: the data barely identify N under its model; the data do not "
                                       "contradict it, so the headline has no upper end"}}
    assert _open_subgroups(SimpleNamespace(compare=cmp_), hl) == [("eth=other", 2.0)]
    # a method that opens the upper end for another reason: the registers' overlap stays the reason
    hl["dropped"]["dga"] = hl["dropped"]["loglinear-aic"]
    assert _open_subgroups(SimpleNamespace(compare=cmp_), hl) == []


def test_partial_refit_with_an_empty_facial_set_is_unbounded_not_a_crash():
    # cruyff_simdat's averaged bootstrap met a replicate whose facial set was empty: the refit crashed in LAPACK
    from types import SimpleNamespace

    from darkfigure.histories import CaptureHistories
    from darkfigure.loglinear.batch_refit import _fixed_context
    from darkfigure.loglinear.bootstrap import _group_matrix, default_groups
    from darkfigure.loglinear.design import CompleteTable
    from darkfigure.loglinear.fit import fit_model
    from darkfigure.loglinear.terms import LogLinearModel

    t = CompleteTable(CaptureHistories.from_table(_table(), covariates=["g"]))
    f = fit_model(t, LogLinearModel.make(t.variables, []), check=True)
    gmat, _ = _group_matrix(t, default_groups(t))
    job = _fixed_context(f, gmat)
    n = job.x_obs.shape[0]
    ex = SimpleNamespace(facial_set=np.zeros(n, dtype=bool), hidden_state=np.array(["infinite"] * 3, dtype=object))
    vals, status = job._partial(job.mu0.copy(), job.mu0.copy(), ex, None, "")
    assert status == "not identified" and not np.isfinite(vals).any()
