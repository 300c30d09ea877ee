"""`monitor` prints the model checks and the 'to publish' advice, as `estimate` does (tester report 7, 19)."""

import json


def test_monitor_prints_checks_and_to_publish(cli, tmp_path):
    out = cli(["monitor", "cruyff_simdat", "--year", "Y", "--ci", "parametric", "--reps", "20", "--seed", "1",
               "--out", tmp_path / "mon"], code=None, says=["model checks: goodness of fit", "to publish:"])
    statement = json.loads((tmp_path / "mon" / "result.json").read_text())["to_publish"]["statement"]
    assert " ".join(statement.split()[:6]) in " ".join(out.split())
