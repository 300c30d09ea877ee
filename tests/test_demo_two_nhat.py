"""The demo's two N̂ are named in the terminal (closing notes 14: a fresh user found them confusing).

With a model average the headline N̂ is the average over the search path while the model checks and the
warnings about the fit speak of the chosen model; the summary now says which is which, with both figures as
result.json holds them (none of them changed).
"""

from __future__ import annotations

import json


def _f(x: float) -> str:
    """A count as the terminal prints it."""
    return f"{x:,.0f}"


def test_estimate_names_the_averaged_and_the_chosen_n_hat(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # a table cell wrapped at a narrow width interleaves with its neighbours
    out = cli(["estimate", "netherlands_2010_2015", "--seed", "1", "--reps", "100", "--out", tmp_path / "nl"],
              code=None)
    res = json.loads((tmp_path / "nl" / "result.json").read_text())
    avg, chosen = res["nhat"], res["model"]["nhat"]
    assert res["averaging"] and len(res["averaging"]["models"]) > 1 and _f(avg) != _f(chosen)
    # the terminal's table may wrap inside a word at any width: compare without whitespace
    flat = "".join(out.split())

    def has(text: str) -> bool:
        """Whether `text` is in the output, whitespace ignored."""
        return "".join(text.split()) in flat

    assert has(f"(the search's choice by BIC; its own N̂ {_f(chosen)})")
    assert has(f"N̂ {_f(avg)} is the average over {len(res['averaging']['models'])} models of the search path")
    assert has(f"model checks of the chosen model (N̂ {_f(chosen)}; the headline N̂ {_f(avg)} is the average):")
    assert has(f"the chosen model's N̂ {_f(chosen)}")  # the Chao warning names it too


def test_print_of_an_averaged_result_names_the_chosen_model_n_hat():
    import darkfigure as dfg

    r = dfg.estimate("netherlands_2010_2015", seed=1, reps=50)
    chosen = r.raw.fit.nhat
    assert f"(the search's choice, its own N̂ {_f(chosen)}; N̂ above is the average over" in str(r)
    assert f"N̂ = {_f(r.nhat)}" in str(r) and _f(chosen) != _f(r.nhat)
