"""The terminal's dark-figure floor is the published lower limit of estimates.csv, not the interval's (12b, M6)."""

from __future__ import annotations

import json
import re

import pandas as pd

#: a 0-df model with a huge N̂: not identified, the published floor is Chao's bound's lower end, below the interval's
BLOWUP = "A,B,C,count\n1,0,0,300\n0,1,0,200\n0,0,1,250\n1,1,0,2\n1,0,1,3\n0,1,1,2\n1,1,1,4\n"


def test_dark_figure_floor_on_the_terminal_is_the_one_in_estimates_csv(tmp_path, cli):
    data = tmp_path / "blowup.csv"
    data.write_text(BLOWUP)
    out = cli(["estimate", data, "--seed", "1", "--reps", "200", "--jobs", "1", "--out", tmp_path / "o"], code=3)
    row = pd.read_csv(tmp_path / "o" / "estimates.csv").iloc[0]
    interval_low = json.loads((tmp_path / "o" / "result.json").read_text())["interval"]["lower"]
    # the case discriminates: the interval's lower end is not the published one
    assert abs(interval_low - row["lower"]) > 1
    said = re.search(r"dark figure\s+not identified \(at least ([\d,]+)", " ".join(out.split()))
    assert said is not None, out
    assert abs(float(said.group(1).replace(",", "")) - row["dark_figure_lower"]) <= 0.5
