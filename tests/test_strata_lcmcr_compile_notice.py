"""``darkfigure strata --method lcmcr`` says, as compare does, that the sampler compiles first (tester 12b, M3)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from darkfigure.bayes import _lcmcr_compile


def _persons(tmp_path):
    """A person-level file: three independent lists and a stratum column g with two levels."""
    rng = np.random.default_rng(7)
    caught = rng.random((600, 3)) < 0.4
    keep = caught.any(axis=1)
    d = pd.DataFrame(caught[keep].astype(int), columns=list("ABC")).assign(g=rng.choice(["x", "y"], keep.sum()))
    f = tmp_path / "persons.csv"
    d.to_csv(f, index=False)
    return f


def test_strata_lcmcr_says_it_compiles_when_the_cache_is_cold(tmp_path, cli, monkeypatch, capsys):
    f = _persons(tmp_path)
    args = ["strata", f, "--by", "g", "--method", "lcmcr", "--burnin", "100", "--samples", "50", "--thinning", "1",
            "--chains", "1", "--jobs", "1", "--seed", "1"]
    monkeypatch.setattr(_lcmcr_compile, "sampler_compiled", lambda: False)
    out = cli(args, code=None)
    assert _lcmcr_compile.COMPILE_NOTE in out + capsys.readouterr().err
    monkeypatch.setattr(_lcmcr_compile, "sampler_compiled", lambda: True)
    out = cli(args, code=None)
    assert _lcmcr_compile.COMPILE_NOTE not in out + capsys.readouterr().err  # compiled already: nothing said
