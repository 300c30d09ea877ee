"""Front-door fixes from tester report 13b: bundled names in estimate_strata (M6), DuckDB's progress bar (M5),
polars frames in link and pseudonymise (M2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
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


@pytest.fixture(scope="module")
def small_files():
    """Three organisations' synthetic registration files (a few dozen registrations each)."""
    from darkfigure.linkage import simulate_registrations

    sim = simulate_registrations("clearing_house", seed=7, scale=0.03)
    files = sim.files()
    return [files[k].copy() for k in ("police", "kmar", "shelters")]


def test_link_takes_polars_frames_eager_and_lazy(small_files) -> None:
    """``dfg.link`` of polars frames (eager, lazy, or one frame alone) gives what the pandas frames give (M2)."""
    pl = pytest.importorskip("polars")
    opts = {"max_pairs": 1e5, "seed": 0, "weights": False}
    ref = dfg.link(small_files, **opts)
    eager = dfg.link([pl.from_pandas(f) for f in small_files], **opts)
    lazy = dfg.link([pl.from_pandas(f).lazy() for f in small_files], **opts)
    for got in (eager, lazy):
        assert got.n_persons == ref.n_persons
        assert got.links.sort_values(["organisation", "record_id"])["person_id"].tolist() == \
            ref.links.sort_values(["organisation", "record_id"])["person_id"].tolist()
    from darkfigure.linkage.frame_input import registration_inputs

    one = registration_inputs(pl.from_pandas(small_files[0]).lazy())  # one frame alone: a list of one pandas frame
    assert len(one) == 1
    pd.testing.assert_frame_equal(one[0], small_files[0], check_dtype=False)


def test_pseudonymise_takes_polars_frames(small_files) -> None:
    """``dfg.pseudonymise`` of a polars frame encodes as the pandas frame does (M2)."""
    import warnings

    pl = pytest.importorskip("polars")
    key = b"0123456789abcdef0123456789abcdef"
    frame = small_files[0].drop(columns=["true_person_id"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dfg.pseudonymise(frame, key)
        got = dfg.pseudonymise(pl.from_pandas(frame), key)
        lazy = dfg.pseudonymise(pl.from_pandas(frame).lazy(), key)
    assert got["tok_surname"].tolist() == ref["tok_surname"].tolist() == lazy["tok_surname"].tolist()
    assert got["bf_date_of_birth"].tolist() == ref["bf_date_of_birth"].tolist()


def test_registrations_of_another_type_are_refused_naming_both_kinds() -> None:
    """A numpy array is refused with a message that names pandas and polars, not a self-contradiction."""
    import numpy as np

    from darkfigure.linkage.registrations import RegistrationError, read_registrations

    with pytest.raises(RegistrationError, match="pandas or polars"):
        read_registrations(np.zeros((2, 2)))
