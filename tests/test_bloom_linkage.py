"""Bloom-filter linkage (encoding version 2): the hard cases the encoding was extended for are linked."""

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage import link, pseudonymise, simulate_registrations

KEY = b"test key, not a secret, 32 bytes"


def _typo(name: str) -> str:
    """Two neighbouring letters exchanged in the middle of a name."""
    i = len(name) // 2
    return name[: i - 1] + name[i] + name[i - 1] + name[i + 1:] if len(name) >= 5 else name + name[-1]


@pytest.fixture(scope="module")
def linked():
    sim = simulate_registrations("clearing_house", seed=5, scale=0.08, errors="standard")
    regs = sim.registrations.copy()
    orgs = list(pd.unique(regs["organisation"]))
    # persons with a long first name and surname and a date of birth, registered once: add a second registration at
    # another organisation with one of the hard cases
    once = regs.groupby("true_person_id")["record_id"].transform("size") == 1
    ok = once & (regs["date_of_birth"] != "") & (regs["first_name"].str.len() >= 6) & (regs["surname"].str.len() >= 6)
    ok &= ~regs["first_name"].str.contains(" ") & ~regs["surname"].str.contains(" ")
    picked = regs[ok].drop_duplicates("true_person_id").head(4)
    assert len(picked) == 4
    extra = picked.copy()
    extra["organisation"] = [next(o for o in orgs if o != a) for a in picked["organisation"]]
    extra["record_id"] = [f"extra{i}" for i in range(len(extra))]
    kinds = ["swapped with a typo", "placeholder date", "day and month swapped", "year off by one"]
    extra.iloc[0, extra.columns.get_loc("first_name")] = _typo(picked.iloc[0]["surname"])
    extra.iloc[0, extra.columns.get_loc("surname")] = picked.iloc[0]["first_name"]
    extra.iloc[1, extra.columns.get_loc("date_of_birth")] = "1900-01-01"
    y, m, d = picked.iloc[2]["date_of_birth"].split("-")
    extra.iloc[2, extra.columns.get_loc("date_of_birth")] = f"{y}-{d}-{m}" if int(d) <= 12 and d != m else \
        f"{y}-{m}-{int(d) % 28 + 1:02d}"
    y, m, d = picked.iloc[3]["date_of_birth"].split("-")
    extra.iloc[3, extra.columns.get_loc("date_of_birth")] = f"{int(y) + 1}-{m}-{d}"
    regs = pd.concat([regs, extra], ignore_index=True)
    files = [pseudonymise(g.reset_index(drop=True), KEY) for _, g in regs.groupby("organisation", sort=False)]
    res = link(files, truth="true_person_id", max_pairs=2e5, seed=0)
    return res, picked, extra, kinds


def test_hard_cases_are_linked(linked):
    res, picked, extra, kinds = linked
    key = res.links.set_index(["organisation", "record_id"])["person_id"]
    for (_, a), (_, b), kind in zip(picked.iterrows(), extra.iterrows(), kinds):
        assert key[(a["organisation"], a["record_id"])] == key[(b["organisation"], b["record_id"])], kind
    q = res.quality.iloc[0]
    assert q["precision"] > 0.95 and q["recall"] > 0.95, q.to_dict()


def test_model_has_the_version_2_levels(linked):
    res = linked[0]
    labels = {c["output_column_name"]: [lv.get("label_for_charts") for lv in c["comparison_levels"]]
              for c in res.model["comparisons"]}
    assert "swapped, both Dice >= 0.8" in labels["name"]
    assert {"day/month swapped", "year off by 1-2", "day off by 1-2", "month off by 1"} <= set(labels["date_of_birth"])
    assert "registration_gap" in labels
    # registered by one organisation or two: m by EM; the "more than a year apart" m estimated, within its bounds
    from darkfigure.linkage import splink_model

    assert "same organisation" in labels["same_organisation"]
    gap = next(c for c in res.model["comparisons"] if c["output_column_name"] == "registration_gap")
    lo, hi = splink_model.REGISTRATION_GAP_BOUNDS
    assert lo <= gap["comparison_levels"][-1]["m_probability"] <= hi
    # undated pairs were calibrated from the dated ones (the note of link)
    assert any("dates hidden" in n or "shifted by" in n for n in res.notes)
    assert np.isfinite(res.pairs["match_probability"]).all()
