"""The banner for the R peers' missing reference results counts every test that skipped for it (s24 fresh clone L1:
"60 ... SKIPPED" while pytest said 61 skipped, one skip being worded "reference results not available")."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: a test of each way a test meets a missing reference: the `reference` fixture, a skip in the test, rows read when
#: the module is imported (an empty parameter set), and the test that skipped with its own words
NODES = [
    "tests/test_heterogeneity.py::test_reference_rows_present",
    "tests/test_profile.py::test_reference_rows_found",
    "tests/test_fit_reference.py",
    "tests/test_lcmcr.py::test_western_matches_r",
    "tests/test_exhaustive.py::test_artificial_3_refuses_models_without_estimate",
]


def test_banner_counts_every_reference_skip(tmp_path):
    env = {**os.environ, "DARKFIGURE_REFERENCE": str(tmp_path / "no-reference")}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider", *NODES],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    skipped = int(re.search(r"(\d+) skipped", out).group(1))
    banner = re.search(r"(\d+) TESTS AGAINST THE R PEERS' REFERENCE RESULTS SKIPPED", out)
    assert banner is not None, out
    assert int(banner.group(1)) == skipped, out
    assert skipped >= len(NODES), out
    assert "clone without ../shared" in out, out


def test_readme_says_the_reference_checks_skip_without_shared():
    text = " ".join((ROOT / "README.md").read_text().split())
    assert ('In a clone without `../shared` beside it the R reference checks ("Checked against the peers") are '
            "skipped, and a red banner at the end says so.") in text
