"""The Python API's ``.write(...)`` of result objects follows the house rule of :mod:`darkfigure.outputs`.

darkfigure never overwrites a file it did not write: a user's file in the folder stops the write with a
DataError naming the file and ``overwrite=True`` (nothing written); writing again into the same folder is
fine (darkfigure wrote those files, they are in ``.darkfigure-outputs.json``); ``overwrite=True`` replaces
the user's file. The command line, which calls the same methods inside its own staged write, still writes
one manifest entry per file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from darkfigure.errors import DataError
from darkfigure.outputs import MANIFEST, OutputError, read_manifest


def _estimate(out: Path, **kw):
    from darkfigure.estimation import estimate

    return estimate("kosovo_1999", search="none", ci="none", seed=1).write(out, **kw)


def _dga(out: Path, **kw):
    from darkfigure.bayes.dga import dga
    from darkfigure.datasets import load

    return dga(load("dga_example_3list")).write(out, name="ex", **kw)


def _compare(out: Path, **kw):
    from darkfigure.comparison import compare, write
    from darkfigure.datasets import load

    h = load("artificial_3")
    return write(compare(h, ["dga"]), h, out, **kw)


def _simulation(out: Path, **kw):
    from darkfigure.simulation import simulate

    return simulate("dutch_like", seed=3).write(out, **kw)


def _registrations(out: Path, **kw):
    from darkfigure.linkage import ErrorRates, simulate_registrations

    return simulate_registrations("clearing_house", seed=2, errors=ErrorRates.none()).write(out, **kw)


def _revictimisation(out: Path, **kw):
    from darkfigure.monitoring.revictimisation import revictimisation
    from darkfigure.monitoring.revictimisation_simulation import simulate_revictimisation

    sim = simulate_revictimisation(400, seed=5)
    return revictimisation(sim.victims, sim.later, end_of_followup=sim.end_of_followup).write(out, **kw)


def _revictimisation_sim(out: Path, **kw):
    from darkfigure.monitoring.revictimisation_simulation import simulate_revictimisation

    return simulate_revictimisation(300, seed=6).write(out, **kw)


WRITERS = {
    "Estimate": _estimate,
    "DGAResult": _dga,
    "comparison.write": _compare,
    "Simulation": _simulation,
    "SyntheticRegistrations": _registrations,
    "Revictimisation": _revictimisation,
    "SimulatedRevictimisation": _revictimisation_sim,
}


@pytest.mark.parametrize("name", list(WRITERS))
def test_write_refuses_a_users_file_and_reruns_into_its_own(name, tmp_path):
    write = WRITERS[name]
    out = tmp_path / "out"
    files = write(out)
    assert files and all(f.parent.is_relative_to(out) and f.is_file() for f in files)
    manifest = read_manifest(out)
    rels = sorted(f.relative_to(out).as_posix() for f in files)
    assert sorted(manifest) == rels, "every file written is listed in the manifest, nothing else"
    assert not [p for p in out.iterdir() if p.name.startswith(".darkfigure-staging")]

    # a rerun into the same folder is fine: darkfigure wrote those files
    again = write(out)
    assert sorted(f.relative_to(out).as_posix() for f in again) == rels

    # the user's own file where darkfigure would write: refused, named, with the option; nothing changes
    victim = files[0]
    victim.write_text("my own notes\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(DataError) as e:
        write(out)
    assert isinstance(e.value, OutputError)
    msg = str(e.value)
    assert victim.name in msg and "overwrite=True" in msg and "--overwrite" not in msg
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before

    # overwrite=True replaces it, and the file is darkfigure's again
    write(out, overwrite=True)
    assert victim.read_text(encoding="utf-8", errors="replace") != "my own notes\n"
    write(out)


def test_a_file_darkfigure_did_not_write_is_refused_in_a_fresh_folder(tmp_path):
    """A folder without a manifest: every existing destination is the user's."""
    out = tmp_path / "results"
    out.mkdir()
    (out / "result.json").write_text("{}", encoding="utf-8")
    with pytest.raises(OutputError, match=r"result\.json.*not written by darkfigure.*overwrite=True"):
        _dga(out)
    assert sorted(p.name for p in out.iterdir()) == ["result.json"]


def test_monitor_write_is_one_run(tmp_path):
    """Monitor.write writes the joint model's files too: one write, one run in the manifest."""
    from darkfigure.monitoring import monitor
    from darkfigure.simulation import simulate

    sim = simulate("dutch_like", seed=4)
    mon = monitor(sim.histories, year="year", ci="parametric", reps=200, search="none", seed=1, n_jobs=1)
    files = mon.write(tmp_path)
    names = {f.name for f in files}
    assert {"monitor.csv", "result.json", "estimates.csv"} <= names
    manifest = read_manifest(tmp_path)
    assert set(manifest) == names
    assert len({e["run"] for e in manifest.values()}) == 1 and {e["command"] for e in manifest.values()} == {"monitor"}
    (tmp_path / "monitor.csv").write_text("mine\n", encoding="utf-8")
    with pytest.raises(OutputError, match=r"monitor\.csv.*overwrite=True"):
        mon.write(tmp_path)


def test_cli_writes_through_the_same_methods_once(tmp_path, cli):
    """The command line's staged write calls the public methods: they write into its staging folder directly."""
    out = tmp_path / "out"
    cli(["estimate", "kosovo_1999", "--search", "none", "--ci", "none", "--out", out], code=0)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    assert {"estimates.csv", "result.json", "capture_histories.csv"} <= set(manifest)
    assert {e["command"] for e in manifest.values()} == {"estimate"}
    assert not list(out.rglob(".darkfigure-staging*")) and not list(out.rglob(f"*/{MANIFEST}"))
    (out / "estimates.csv").write_text("mine\n", encoding="utf-8")
    cli(["estimate", "kosovo_1999", "--search", "none", "--ci", "none", "--out", out], code=2,
        says=["estimates.csv", "--overwrite"])
