"""compare --missing em: persons with an unknown covariate value go to the methods' EM (s24 fresh-clone user).

``estimate``'s 'to publish' sends the user to ``darkfigure compare`` on a link folder's histories.csv, whose
covariates have unknown values; ``compare --missing em`` re-read the histories with missing='error' inside
``comparison.run`` and always failed ("use missing='em' or 'drop'")."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from darkfigure.cli import app


def _histories(tmp_path):
    """Three independent lists, 1,500 persons, sex unknown for 40 of the observed."""
    rng = np.random.default_rng(24)
    cap = rng.random((1500, 3)) < [0.3, 0.35, 0.25]
    seen = cap.any(axis=1)
    sex = rng.choice(["f", "m"], 1500).astype(object)
    df = pd.DataFrame(cap[seen].astype(int), columns=["a", "b", "c"]).assign(sex=sex[seen])
    df.loc[df.sample(40, random_state=1).index, "sex"] = None
    path = tmp_path / "h.csv"
    df.to_csv(path, index=False)
    return path


def test_compare_missing_em_runs_and_drop_still_does(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "10000")  # the sentences unwrapped (COLUMNS overrides conftest's width)
    path = _histories(tmp_path)
    runner = CliRunner()
    em = runner.invoke(app, ["compare", str(path), "--missing", "em", "--methods", "loglinear-bic", "--seed", "1",
                             "--reps", "50", "--no-validation", "--out", str(tmp_path / "em")])
    assert em.exit_code == 0, em.output
    flat = " ".join(em.output.split())
    assert "use missing='em' or 'drop'" not in flat and "imputed by the EM" in flat
    refused = runner.invoke(app, ["compare", str(path), "--methods", "loglinear-bic", "--seed", "1",
                                  "--out", str(tmp_path / "err")])
    assert refused.exit_code != 0 and "missing" in refused.output  # the default still refuses, saying what to do


def test_heterogeneity_flag_says_what_raised_it(monkeypatch):
    """Flagged by the persons on 3+ lists alone, the check does not say the lists look positively dependent
    (the fresh-clone user saw that beside a smallest pairwise z of -2.19)."""
    import darkfigure.diagnostics as dg
    from darkfigure.estimation import estimate

    e = estimate("uk_2013", ci="none")
    monkeypatch.setattr(dg, "_score_z", lambda *a, **k: (0.3, 4.0))
    monkeypatch.setattr(dg, "_pairwise_pattern", lambda fit: (-2.19, []))
    c = dg.heterogeneity_check(e.fit)
    assert c.flagged and "More persons are on three or more lists" in c.message
    assert "positively dependent alike" not in c.message
    monkeypatch.setattr(dg, "_score_z", lambda *a, **k: (4.0, 0.3))
    assert "positively dependent alike" in dg.heterogeneity_check(e.fit).message
