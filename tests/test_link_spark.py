"""The Spark backend (local mode) gives the same persons as DuckDB on about 2,000 registrations.

u is estimated from all record pairs here (max_pairs above n(n-1)/2), so both engines
train on the same pairs; the string similarities, Bloom-filter Dice (integer bit counts)
and connected components then agree exactly. Skipped only when no Java runtime is found
(Spark runs in a JVM); ``.ci/run`` installs one.
"""

from __future__ import annotations

import os
import shutil

import pytest

from darkfigure.linkage import link, pseudonymise, simulate_registrations

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("java") is None and not os.environ.get("JAVA_HOME"),
        reason="the Spark engine needs a Java runtime (java not found on PATH and JAVA_HOME unset)",
    ),
]


@pytest.fixture(scope="module")
def regs():
    sim = simulate_registrations("clearing_house", seed=11, scale=0.26)
    assert 1900 <= len(sim.registrations) <= 2100
    return sim


def _both(files):
    n = sum(len(f) for f in files)
    opts = {"truth": "true_person_id", "seed": 3, "max_pairs": n * (n - 1) / 2 + 1, "sensitivity": [0.95],
            "estimate_options": {"ci": "none"}}
    return link(files, engine="duckdb", **opts), link(files, engine="spark", threads=2, **opts)


def test_spark_same_clusters_as_duckdb_plaintext(regs):
    d, s = _both(list(regs.files().values()))
    assert s.engine == "spark"
    assert (d.links["person_id"] == s.links["person_id"]).all()
    assert d.persons.equals(s.persons)
    assert d.histories.table.equals(s.histories.table)
    # the same scored pairs: identical match-weight histograms, same re-clustering at another threshold
    assert d.weights["pairs"].tolist() == s.weights["pairs"].tolist()
    assert d.sensitivity["persons"].tolist() == s.sensitivity["persons"].tolist()
    assert d.quality.iloc[0]["precision"] > 0.95 and d.quality.iloc[0]["recall"] > 0.95


def test_spark_same_clusters_as_duckdb_bloom(regs):
    key = b"test key, not a secret, 32 bytes"
    d, s = _both([pseudonymise(f, key) for f in regs.files().values()])
    assert (d.links["person_id"] == s.links["person_id"]).all()
    assert d.weights["pairs"].tolist() == s.weights["pairs"].tolist()
