"""Polish a user notices (kind 10 of issue 12): help text, dataset list, parameter names."""

from __future__ import annotations

from darkfigure import datasets
from darkfigure.estimation import estimate


def test_help_shows_no_bool_type_for_flags_and_integer_defaults_as_integers(cli):
    for cmd in ("estimate", "compare", "link", "simulate", "monitor", "report"):
        out = cli([cmd, "--help"], code=0)
        assert "<bool>" not in out, cmd
    out = cli(["link", "--help"], code=0)
    assert "2000000.0" not in out and "2,000,000" in out


def test_datasets_descriptions_are_not_cut(cli):
    out = cli(["datasets"], code=0)
    flat = " ".join(out.split())
    for name in datasets.names():
        info = datasets.DATASETS[name]
        assert " ".join(info.description.split()) in flat, name
        assert "…" not in out


def test_covariate_levels_in_parameter_names_are_bracketed():
    res = estimate("cruyff_simdat", model="R4:X4", ci="none")
    names = list(res.fit.coefficients().index)
    assert "R4:X4[2]" in names and "R4:X4[3]" in names and "R4:X42" not in names
