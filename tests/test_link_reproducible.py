"""Two runs of ``darkfigure link`` on the same input write the same bytes (DuckDB's parallel sums left the last
bits of Splink's EM estimates, and so the match probabilities, different from run to run)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.linkage._reproducible import SIGNIFICANT_DIGITS, round_significant, round_trained_parameters


class _Level:
    """Stand-in for a Splink comparison level: m and u with their fixed flags."""

    def __init__(self, m, u, fix_m=False, fix_u=False):
        """Level with m and u (floats or None) and whether each is fixed."""
        self._m_probability, self._u_probability = m, u
        self._fix_m_probability, self._fix_u_probability = fix_m, fix_u

    m_probability = property(lambda s: s._m_probability, lambda s, v: setattr(s, "_m_probability", v))
    u_probability = property(lambda s: s._u_probability, lambda s, v: setattr(s, "_u_probability", v))


def _linker(levels, prior):
    """Stand-in for a trained Splink linker with one comparison holding `levels`."""
    cc = SimpleNamespace(_comparison_levels_excluding_null=levels)
    return SimpleNamespace(_settings_obj=SimpleNamespace(comparisons=[cc], _probability_two_random_records_match=prior))


def test_values_a_few_bits_apart_round_to_one_value():
    rng_values = [0.004829402401715376, 0.17695977290286916, 1.2345678901234567e-7, 0.9999999]
    for x in rng_values:
        y = math.nextafter(math.nextafter(x, 1.0), 1.0)  # two bits up: run-to-run noise of a parallel sum
        assert round_significant(x) == round_significant(y)
        assert abs(round_significant(x) - x) <= 0.5 * 10 ** (1 - SIGNIFICANT_DIGITS) * x
    assert round_significant(0.0) == 0.0 and math.isnan(round_significant(float("nan")))
    with pytest.raises(ValueError):
        round_significant(0.5, 0)


def test_trained_values_rounded_fixed_and_untrained_left_alone():
    a = [_Level(0.004829402401715376, 0.0001234567890123456), _Level(0.3333333333333333, 0.1, fix_m=True),
         _Level(None, 0.25)]
    b = [_Level(math.nextafter(0.004829402401715376, 1.0), 0.0001234567890123456),
         _Level(0.3333333333333333, 0.1, fix_m=True), _Level(None, 0.25)]
    la, lb = _linker(a, 1.0000000000000002e-4), _linker(b, 1e-4)
    assert round_trained_parameters(la) == 3  # m and u of the first level, and the prior
    round_trained_parameters(lb)
    assert [(x.m_probability, x.u_probability) for x in a] == [(x.m_probability, x.u_probability) for x in b]
    assert a[1].m_probability == 0.3333333333333333 and a[2].m_probability is None  # fixed / untrained: unchanged
    assert la._settings_obj._probability_two_random_records_match == lb._settings_obj._probability_two_random_records_match


@pytest.mark.slow
def test_two_link_runs_write_the_same_bytes(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["simulate", "clearing_house", "--registrations", "--seed", "1", "--out", str(tmp_path / "s")])
    assert r.exit_code == 0, r.output
    files = sorted(str(p) for p in (tmp_path / "s" / "registrations").glob("*.csv"))
    for k in ("a", "b"):
        r = runner.invoke(app, ["link", *files, "--truth", "true_person_id", "--out", str(tmp_path / k)])
        assert r.exit_code == 0, r.output
    # the outputs; not the hidden manifest .darkfigure-outputs.json, which records when and by which run each was written
    names = sorted(p.name for p in (tmp_path / "a").iterdir() if not p.name.startswith("."))
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir() if not p.name.startswith("."))
    assert "pairs.parquet" in names and "linkage_model.json" in names
    differ = [n for n in names if (tmp_path / "a" / n).read_bytes() != (tmp_path / "b" / n).read_bytes()]
    assert differ == []


def test_the_random_cache_name_is_left_out_of_the_saved_model():
    from darkfigure.linkage._reproducible import without_linker_uid

    model = {"linker_uid": "swtqpend", "probability_two_random_records_match": 1e-4}
    assert without_linker_uid(model) == {"probability_two_random_records_match": 1e-4}
    assert without_linker_uid({}) == {}
