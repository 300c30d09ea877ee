"""Front-door fixes from tester report 13b: bundled names in estimate_strata (M6), DuckDB's progress bar (M5),
polars frames in link and pseudonymise (M2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import darkfigure as dfg
from darkfigure.datasets import load_frame

SRC = str(Path(__file__).resolve().parents[1] / "src")


def test_estimate_strata_takes_a_bundled_dataset_name() -> None:
    """``estimate_strata("cruyff_simdat", by="Y")`` reads the bundled data as ``estimate`` does (M6)."""
    named = dfg.estimate_strata("cruyff_simdat", by="Y", search="none", reps=50, seed=1)
    framed = dfg.estimate_strata(load_frame("cruyff_simdat"), by="Y", search="none", reps=50, seed=1)
    assert len(named.table) == len(framed.table) > 1
    assert named.table["nhat"].to_numpy() == pytest.approx(framed.table["nhat"].to_numpy(), rel=1e-9)


def test_strata_cli_takes_a_bundled_dataset_name(tmp_path: Path) -> None:
    """``darkfigure strata cruyff_simdat --by Y`` runs (M6: it said the name is not a bundled dataset)."""
    from typer.testing import CliRunner

    from darkfigure.cli import app

    r = CliRunner().invoke(app, ["strata", "cruyff_simdat", "--by", "Y", "--search", "none", "--reps", "50",
                                 "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert "not found" not in r.output


def test_duckdb_progress_bar_is_off_in_an_interactive_looking_session(tmp_path: Path) -> None:
    """Under ``python -c`` (no main file: DuckDB's test for an interactive session) the connection darkfigure
    makes has DuckDB's progress bar off (M5: it printed "~25.0 minutes remaining" during dfg.link)."""
    code = ("from pathlib import Path; from darkfigure.linkage.engines import _db_api; "
            f"api = _db_api('duckdb', None, 1, None, Path({str(tmp_path)!r})); "
            "print(api._con.execute(\"SELECT current_setting('enable_progress_bar')\").fetchall()[0][0])")
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"
