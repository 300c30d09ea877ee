"""darkfigure link (DuckDB): plumbing, persons and histories, covariate rules, files, CLI, bad input.

Small synthetic registrations (a few hundred) keep these fast; the statistical checks on
the full clearing-house population are in test_link_quality.py.
"""

from __future__ import annotations

import base64
import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.histories import DataError
from darkfigure.io import read_histories
from darkfigure.linkage import link, persons_from_links, pseudonymise, simulate_registrations
from darkfigure.linkage.bloom_sql import decode_bloom_column, dice, dice_sql
from darkfigure.linkage.link import cluster_links

KEY = b"test key, not a secret, 32 bytes"
FAST = {"max_pairs": 2e5, "seed": 0}


@pytest.fixture(scope="module")
def sim():
    return simulate_registrations("clearing_house", seed=5, scale=0.08)


@pytest.fixture(scope="module")
def linked(sim):
    return link(list(sim.files().values()), truth="true_person_id", **FAST)


def test_links_persons_histories_agree(sim, linked):
    regs = sim.registrations
    orgs = list(sim.organisations)
    assert linked.links.columns.tolist() == ["organisation", "record_id", "person_id"]
    assert len(linked.links) == len(regs) and linked.links["person_id"].notna().all()
    assert linked.lists == tuple(orgs)
    p = linked.persons
    assert p.columns[0] == "person_id" and p["person_id"].is_unique
    assert p.columns[1 : 1 + len(orgs)].tolist() == orgs and p.columns[-1] == "year"
    assert set(np.unique(p[orgs].to_numpy())) <= {0, 1}
    # each person's 0/1 columns are the organisations of their registrations
    lk = linked.links.merge(regs[["organisation", "record_id", "registration_date"]], on=["organisation", "record_id"])
    seen = pd.crosstab(lk["person_id"], lk["organisation"]).reindex(index=p["person_id"], columns=orgs).fillna(0)
    assert ((seen.to_numpy() > 0).astype(int) == p[orgs].to_numpy()).all()
    # year = year of the first registration
    first = lk.groupby("person_id")["registration_date"].min().str[:4].astype(int)
    assert (first.reindex(p["person_id"]).to_numpy() == p["year"].to_numpy()).all()
    h = linked.histories
    assert h.lists == tuple(orgs) and h.n_observed == len(p)
    assert "true_person_id" not in p.columns and {"sex", "exploitation"} <= set(p.columns)
    # synthetic data with a truth: the small fixture links well
    q = linked.quality.iloc[0]
    assert q["precision"] > 0.9 and q["recall"] > 0.9 and q["true_persons"] == sim.persons.shape[0]


def test_without_truth_weights_histogram(sim):
    res = link(list(sim.files().values()), **FAST)
    assert res.quality is None
    w = res.weights
    assert w["pairs"].sum() > 100  # every blocked pair, scored once
    assert (w["weight_upper"] > w["weight_lower"]).all() and w["share"].sum() == pytest.approx(1.0)
    # two humps: pairs well below and well above the threshold
    assert w.loc[w["weight_upper"] < -5, "pairs"].sum() > 0 and w.loc[w["weight_lower"] > 5, "pairs"].sum() > 0


def test_threshold_and_sensitivity(sim, linked):
    res = link(list(sim.files().values()), sensitivity=[0.5, 0.99], estimate_options={"ci": "none"},
               truth="true_person_id", **FAST)
    s = res.sensitivity
    assert s.columns[:5].tolist() == ["threshold", "persons", "nhat", "lower", "upper"]
    assert s["threshold"].tolist() == [0.5, 0.99]
    # fewer links at the higher threshold: more persons; N̂ at least the observed
    assert s["persons"].iloc[0] <= linked.n_persons <= s["persons"].iloc[1]
    assert (s["nhat"] >= s["persons"]).all()
    assert {"precision", "recall"} <= set(s.columns)
    # the table says which model its N̂ comes from: lists only here, not estimate's (tester 8, F9)
    assert s["scope"].str.startswith("lists only").all() and s["scope"].str.contains("darkfigure estimate").all()


def test_cluster_links_attaches_missing_dates_to_best_match():
    # 0 and 1 have dates of birth and no link; 2 has none and links both (a hub); 3-4 have none, link each
    # other, and 4 links 1 weakly
    left, right = np.array([0, 1, 3, 1]), np.array([2, 2, 4, 4])
    prob = np.array([0.9, 0.8, 0.95, 0.6])
    has_dob = np.array([True, True, False, False, False])
    assert cluster_links(5, left, right, prob, has_dob, 0.5).tolist() == [0, 1, 0, 1, 1]
    assert cluster_links(5, left, right, prob, has_dob, 0.7).tolist() == [0, 1, 0, 3, 3]
    # with dates everywhere it is plain connected components
    assert cluster_links(5, left, right, prob, np.ones(5, bool), 0.5).tolist() == [0, 0, 0, 0, 0]
    # ties: the lower record number
    assert cluster_links(3, np.array([0, 1]), np.array([2, 2]), np.array([0.9, 0.9]),
                         np.array([True, True, False]), 0.5).tolist() == [0, 1, 0]


def test_covariate_rules():
    # one person registered three times (two organisations), another once
    regs = pd.DataFrame({
        "record_id": ["1", "2", "3", "4"],
        "organisation": ["a", "b", "a", "b"],
        "registration_date": ["2023-05-01", "2022-01-10", "2024-02-02", "2023-03-03"],
        "exploitation": ["labour", "sexual", "labour", "criminal"],
        "region": ["north", "", "south", "east"],
    })
    pid = ["x", "x", "x", "y"]
    p, h = persons_from_links(regs, pid)
    x = p.iloc[0]
    assert (x["a"], x["b"], x["year"]) == (1, 1, 2022)
    assert x["exploitation"] == "labour"  # most frequent
    assert x["region"] == "north"  # tie between north and south: the earlier registration
    p2, _ = persons_from_links(regs, pid, covariate_rule="earliest")
    assert p2.iloc[0]["exploitation"] == "sexual" and p2.iloc[0]["region"] == "north"  # earliest non-missing
    assert h.n_observed == 2 and h.lists == ("a", "b")


def test_write_files_and_estimate_reads_histories(tmp_path, sim, linked):
    out = tmp_path / "linked"
    files = linked.write(out)
    names = {f.name for f in files}
    assert {"links.csv", "persons.csv", "histories.csv", "linkage_quality.csv", "linkage_weights.csv",
            "linkage_weights.png", "linkage_model.json", "linkage_settings.json"} <= names
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left
    # the linkage correction reads the run's threshold instead of inferring it
    from darkfigure.linkage.uncertainty import read_link_run

    assert read_link_run(out).threshold == pytest.approx(linked.threshold)
    # persons whose registrations never gave a covariate value have an empty cell (estimate --missing em)
    h = read_histories(out / "histories.csv", missing="keep")
    assert h.n_observed == linked.n_persons and set(h.lists) == set(linked.lists)
    assert h.n_incomplete == linked.histories.n_incomplete
    assert pd.read_csv(out / "links.csv").shape == (len(sim.registrations), 3)
    r = CliRunner().invoke(
        app, ["estimate", str(out / "histories.csv"), "--search", "none", "--ci", "none", "--missing", "em"]
    )
    assert r.exit_code == 0, r.output


def test_cli_link(tmp_path, sim):
    paths = sim.write(tmp_path / "sim")
    regs = [str(p) for p in paths if p.parent.name == "registrations"]
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["link", *regs, "--truth", "true_person_id", "--threshold", "0.8",
                                 "--sensitivity", "0.6,0.95", "--seed", "1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    for f in ("links.csv", "persons.csv", "histories.csv", "linkage_quality.csv", "linkage_sensitivity.csv"):
        assert (out / f).exists(), f
    q = pd.read_csv(out / "linkage_quality.csv")
    assert q["threshold"].iloc[0] == 0.8 and q["precision"].iloc[0] > 0.9
    # the run's own threshold (0.8) is in the table beside the ones asked for (tester 11)
    assert pd.read_csv(out / "linkage_sensitivity.csv")["threshold"].tolist() == [0.6, 0.8, 0.95]
    out_flat = " ".join(r.output.split())
    assert "model on lists only" in out_flat and f"darkfigure estimate {out} gives the figure" in out_flat
    # and one sentence on how far N̂ moves (tester 20a, L3)
    assert "the threshold used (0.8:" in out_flat


def test_pseudonymised_plumbing(sim, linked):
    files = [pseudonymise(f, KEY) for f in sim.files().values()]
    res = link(files, truth="true_person_id", **FAST)
    assert res.encoding == "pseudonymised"
    q = res.quality.iloc[0]
    assert q["precision"] > 0.9 and q["recall"] > 0.9
    # sex and the covariates stay in clear and reach the persons
    assert {"sex", "exploitation", "year"} <= set(res.persons.columns)


def test_dice_sql_equals_reference():
    rng = np.random.default_rng(0)
    bits = rng.random((6, 1000)) < 0.3
    bits[5] = False  # an all-zero filter counts as missing
    b64 = [base64.b64encode(np.packbits(b).tobytes()).decode() for b in bits]
    frame, words = decode_bloom_column(pd.Series(b64 + [""]), "bf")
    assert words == 16 and frame["bf__n"].isna().tolist() == [False] * 5 + [True, True]
    assert frame["bf__n"].iloc[0] == bits[0].sum()
    left = frame.add_suffix("_l").iloc[[0, 0, 1, 2]].reset_index(drop=True)
    right = frame.add_suffix("_r").iloc[[0, 1, 3, 4]].reset_index(drop=True)
    con = duckdb.connect()
    con.register("pairs", pd.concat([left, right], axis=1))
    got = con.sql(f"select {dice_sql('bf', 'bf', words)} as d from pairs").df()["d"].to_numpy()
    want = [dice(b64[0], b64[0]), dice(b64[0], b64[1]), dice(b64[1], b64[3]), dice(b64[2], b64[4])]
    assert got == pytest.approx(want, abs=1e-12) and got[0] == 1.0


# ----------------------------------------------------------------------------- bad input
def _small(sim, org: str) -> pd.DataFrame:
    return sim.files()[org].head(30).copy()


def test_bad_inputs(tmp_path, sim):
    police, kmar = _small(sim, "police"), _small(sim, "kmar")
    with pytest.raises(DataError, match="no registration files"):
        link([])
    with pytest.raises(DataError, match="surname"):
        link([police.drop(columns="surname"), kmar])
    bad = police.copy()
    bad.loc[3, "date_of_birth"] = "17/05/1990"
    with pytest.raises(DataError, match="not ISO dates.*row"):
        link([bad, kmar])
    with pytest.raises(DataError, match="mix plaintext"):
        link([police, pseudonymise(kmar, KEY)])
    with pytest.raises(DataError, match="different keys"):
        link([pseudonymise(police, KEY), pseudonymise(kmar, b"another key, also not secret....")])
    with pytest.raises(DataError, match="one organisation"):
        link([police])
    with pytest.raises(DataError, match="truth column"):
        link([police, kmar], truth="nope")
    with pytest.raises(ValueError, match="threshold"):
        link([police, kmar], threshold=1.0)


def test_cli_bad_input_exit_2_and_nothing_written(tmp_path, sim):
    police = _small(sim, "police")
    kmar = pseudonymise(_small(sim, "kmar"), KEY)
    a, b = tmp_path / "police.csv", tmp_path / "kmar.csv"
    police.to_csv(a, index=False)
    kmar.to_csv(b, index=False)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["link", str(a), str(b), "--out", str(out)])
    assert r.exit_code == 2
    assert "mix plaintext" in r.output and len(r.output.strip().splitlines()) <= 3
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["kmar.csv", "police.csv"]
    r = CliRunner().invoke(app, ["link", str(a), "--out", str(out)])
    assert r.exit_code == 2 and "one organisation" in r.output and not out.exists()
    r = CliRunner().invoke(app, ["link", "--out", str(out)])
    assert r.exit_code == 2 and not out.exists()


def test_pairs_records_and_reclustering(tmp_path, sim, linked):
    from darkfigure.linkage import persons_from_pairs
    from darkfigure.linkage.link import PAIR_FLOOR

    pairs, records = linked.pairs, linked.records
    assert pairs.columns.tolist() == ["record_l", "record_r", "match_probability"]
    assert (pairs["match_probability"] >= PAIR_FLOOR).all() and (pairs["record_l"] < pairs["record_r"]).all()
    assert records[["organisation", "record_id"]].equals(linked.links[["organisation", "record_id"]])
    assert not {"first_name", "surname", "date_of_birth"} & set(records.columns)
    assert records["has_date_of_birth"].dtype == bool
    assert records["has_date_of_birth"].sum() == (sim.registrations["date_of_birth"] != "").sum()
    # re-clustering at the threshold gives link's persons and histories exactly
    labels, persons, h = persons_from_pairs(records, pairs, linked.threshold)
    assert persons.equals(linked.persons)
    assert h.table.equals(linked.histories.table)
    # a mask equal to the threshold rule gives the same; accepting nothing gives one person per registration
    mask = pairs["match_probability"].to_numpy() >= linked.threshold
    assert (persons_from_pairs(records, pairs, mask)[0] == labels).all()
    none = persons_from_pairs(records, pairs, np.zeros(len(pairs), bool))[1]
    assert len(none) == len(records)
    with pytest.raises(ValueError, match="accept has"):
        persons_from_pairs(records, pairs, mask[:-1])
    with pytest.raises(DataError, match="has_date_of_birth"):
        persons_from_pairs(records.drop(columns="has_date_of_birth"), pairs, 0.5)
    paths = linked.write(tmp_path / "out", plot=False)
    names = {p.name for p in paths}
    assert {"pairs.parquet", "records.parquet", "links.csv", "histories.csv", "linkage_errors.csv"} <= names
    err = pd.read_csv(tmp_path / "out" / "linkage_errors.csv")
    assert err.columns[:5].tolist() == ["organisation_l", "organisation_r", "links", "false_links", "missed_links"]
    k = len(linked.lists)
    assert len(err) == k * (k + 1) // 2 and (err[["false_links", "missed_links"]] >= 0).all().all()
    # the links per pair of organisations add up to the linked record pairs
    assert err["links"].sum() == linked.quality.iloc[0]["found_pairs"]
    back = pd.read_parquet(tmp_path / "out" / "pairs.parquet")
    assert back.equals(pairs)


def test_names_without_letters_are_counted_and_reported(sim, tmp_path):
    # issue 11, bad input: names made only of symbols or emoji are said, not silently treated as missing
    files = {k: v.copy() for k, v in sim.files().items()}
    org = next(iter(files))
    files[org].loc[files[org].index[:3], "first_name"] = "😀😀"
    files[org].loc[files[org].index[3:5], "surname"] = "###"
    res = link(list(files.values()), **FAST)
    said = " ".join(res.notes)
    assert "3 registration(s) have a first_name with no letters" in said and "'😀😀'" in said
    assert "2 registration(s) have a surname with no letters" in said and "'###'" in said
    # and kept past the terminal (tester report 5, L3)
    res.write(tmp_path / "lk", plot=False)
    settings = json.loads((tmp_path / "lk" / "linkage_settings.json").read_text())
    assert settings["names_without_letters"] == {"first_name": 3, "surname": 2}


def test_threshold_sentence_says_when_the_linkage_decides():
    """Tester 20a, L3: N̂ 4,903 / 8,305 / 26,613 at thresholds 0.5 / 0.9 / 0.99 with only a table."""
    from darkfigure.linkage.link_sensitivity import threshold_sentence

    t = pd.DataFrame({"threshold": [0.5, 0.9, 0.99], "nhat": [4903.0, 8305.0, 26613.0],
                      "lower": [4600.0, 7800.0, 20000.0], "upper": [5300.0, 9000.0, 40000.0]})
    s = threshold_sentence(t, 0.5)
    assert "from 4,903 (threshold 0.5) to 26,613 (threshold 0.99)" in s
    assert "outside the interval at the threshold used (0.5: 4,600–5,300)" in s and "linkage, not sampling" in s
    calm = t.assign(nhat=[4903.0, 5000.0, 5100.0])
    assert "within the interval" in threshold_sentence(calm, 0.5)
    assert "not among those tried" in threshold_sentence(t, 0.7)
    assert threshold_sentence(t.iloc[:1], 0.5) is None
    assert threshold_sentence(t.assign(nhat=387.0), 0.5).startswith("N̂ stays at 387 at every threshold")
    # review s20 M1: a threshold without a finite N̂ is named and never reassures; no interval, no verdict
    gap = calm.assign(nhat=[4903.0, float("nan"), 5100.0])
    s = threshold_sentence(gap, 0.5)
    assert "no finite N̂ at threshold 0.9" in s and "matters less" not in s and "decides" in s
    s = threshold_sentence(calm.assign(lower=float("nan")), 0.5)
    assert "no interval to compare with" in s and "decides" not in s
    assert "within" in threshold_sentence(calm.assign(upper=float("inf")), 0.5)
    assert threshold_sentence(t.assign(nhat=float("nan")), 0.5).startswith("No threshold tried")
