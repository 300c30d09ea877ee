"""Years in the report's identifying-assumption table by subgroup read 2015, not 2015.0 (tester 12b, L14)."""
from types import SimpleNamespace

from darkfigure.report.sections_fit import _assumption_section


def test_year_levels_read_back_as_floats_are_shown_as_written():
    # result.json's subgroups: the total's level is null, so pandas reads the years as floats
    ia = {"grid": [{"psi": 0.5, "nhat": 90.0}, {"psi": 1.0, "nhat": 100.0}, {"psi": 2.0, "nhat": 120.0}],
          "nhat": 100.0, "range": [0.5, 2.0], "low": 90.0, "high": 120.0,
          "subgroups": [{"group": "total", "level": None, "observed": 60, "nhat": 100.0, "low": 90.0, "high": 120.0},
                        {"group": "year", "level": 2015, "observed": 30, "nhat": 50.0, "low": 45.0, "high": 60.0},
                        {"group": "year", "level": 2016, "observed": 30, "nhat": 50.0, "low": 45.0, "high": 60.0}]}
    run = SimpleNamespace(result={"identifying_assumption": ia, "data": {"observed": 60}}, estimates=None, problems=[])
    out = _assumption_section(run)
    text = repr(out["subgroups"])
    assert "2015" in text and "2016" in text
    assert "2015.0" not in text and "2016.0" not in text
