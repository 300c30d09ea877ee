"""Synthetic registrations: the truth behind the files, the error rates, reproducibility."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage import ErrorRates, read_registration_files, simulate_registrations
from darkfigure.linkage.registrations import REQUIRED_COLUMNS, normalise_name
from darkfigure.linkage.synthetic import REGISTRATION_SCENARIOS
from darkfigure.simulation import ScenarioError, simulate

TODAY = date(2026, 1, 1)


@pytest.fixture(scope="module")
def sim():
    return simulate_registrations("clearing_house", seed=11, today=TODAY)


@pytest.fixture(scope="module")
def big():
    # about 24,000 registrations: enough to check error rates to a few tenths of a per cent
    return simulate_registrations("clearing_house", seed=5, scale=3, today=TODAY)


def test_clearing_house_size_matches_the_acceptance_setting(sim):
    r = sim.registrations
    assert sim.organisations == ("police", "kmar", "inspectorate", "fairwork", "shelters", "coordinators")
    assert 4500 <= len(sim.persons) <= 5500
    assert 7000 <= len(r) <= 9000
    assert list(r.columns[:8]) == list(REQUIRED_COLUMNS)
    assert r.columns[-1] == "true_person_id"
    assert {"age", "nationality_group", "exploitation"} <= set(r.columns)


def test_truth_matches_the_files(sim):
    r, p, e = sim.registrations, sim.persons, sim.errors
    h = sim.simulation.histories
    assert len(p) == sim.simulation.n_observed == p["true_person_id"].nunique()
    for org in sim.organisations:
        on_list = r[r["organisation"] == org]
        # distinct persons per organisation = the list total of the capture histories
        assert on_list["true_person_id"].nunique() == int((h[org] * h["count"]).sum()) == int(p[org].sum())
        # registrations = persons + within-organisation duplicates
        n_dup = int(((e["organisation"] == org) & (e["duplicate_of"] != "")).sum())
        assert len(on_list) == p[org].sum() + n_dup
        assert set(on_list["true_person_id"]) == set(p.loc[p[org] == 1, "true_person_id"])
    assert p["n_registrations"].sum() == len(r)
    # the persons table aggregates to exactly the simulated histories
    lists = list(sim.organisations)
    covs = ["sex", "age", "nationality_group", "exploitation", "year"]
    agg = p.groupby(lists + covs).size().rename("count").reset_index()
    merged = agg.merge(h, on=lists + covs, how="outer", suffixes=("_p", "_h"))
    assert (merged["count_p"] == merged["count_h"]).all()


def test_duplicates_are_the_same_person_and_organisation(sim):
    e = sim.errors.set_index("record_id")
    dups = e[e["duplicate_of"] != ""]
    assert len(dups) > 100
    orig = e.loc[dups["duplicate_of"]]
    assert (orig["true_person_id"].to_numpy() == dups["true_person_id"].to_numpy()).all()
    assert (orig["organisation"].to_numpy() == dups["organisation"].to_numpy()).all()
    assert sim.registrations["record_id"].is_unique


def test_covariates_and_identity_are_consistent_with_the_truth(sim):
    r = sim.registrations
    p = sim.persons.set_index("true_person_id")
    t = p.loc[r["true_person_id"]]
    for c in ("age", "nationality_group", "exploitation"):
        assert (r[c].to_numpy() == t[c].to_numpy()).all()
    origins = pd.read_csv(
        __import__("importlib").resources.files("darkfigure.linkage") / "data" / "origins.csv", keep_default_na=False
    )
    group_of = dict(zip(origins["origin"], origins["group"]))
    assert (p["nationality"].map(group_of) == p["nationality_group"]).all()
    assert (p["origin"] == p["nationality_group"]).all()
    # dates of birth precede the person's year; minors are 12-17 on 1 January, adults 18+
    dob = pd.to_datetime(p["date_of_birth"])
    start = pd.to_datetime(p["year"].astype(str) + "-01-01")
    age = (start - dob).dt.days / 365.25
    assert (age > 0).all()
    minor = p["age"] == "minor"
    assert age[minor].between(11.99, 18.01).all() and (age[~minor] >= 17.99).all()
    # registration dates fall in the person's year, before today
    reg = pd.to_datetime(r["registration_date"])
    assert (reg.dt.year.to_numpy() == t["year"].to_numpy()).all()
    assert reg.max() < pd.Timestamp(TODAY)


def _rate_ok(flag: np.ndarray, rate: float, low_factor: float = 1.0) -> bool:
    n = len(flag)
    se = np.sqrt(rate * (1 - rate) / n)
    return low_factor * rate - 4 * se <= flag.mean() <= rate + 4 * se


def test_error_rates_within_tolerance_and_flags_match_the_fields(big):
    r, e, p = big.registrations, big.errors, big.persons.set_index("true_person_id")
    er = big.error_rates
    t = p.loc[r["true_person_id"]]
    n_orig = int((e["duplicate_of"] == "").sum())
    n_dup = len(r) - n_orig  # each original registration is duplicated with probability `duplicate`
    assert _rate_ok(np.r_[np.ones(n_dup), np.zeros(n_orig - n_dup)], er.duplicate)
    assert _rate_ok((e["typo_first_name"] != "").to_numpy(), er.typo_first_name)
    assert _rate_ok((e["typo_surname"] != "").to_numpy(), er.typo_surname)
    assert _rate_ok(e["swap_names"].to_numpy(), er.swap_names)
    assert _rate_ok(e["dob_missing"].to_numpy(), er.dob_missing)
    assert _rate_ok((e["dob_wrong"] != "").to_numpy(), er.dob_wrong)
    assert _rate_ok(e["sex_missing"].to_numpy(), er.sex_missing)
    assert _rate_ok(e["nationality_missing"].to_numpy(), er.nationality_missing)
    # a few short names ("Li Mao") have no other form: the realised variant rate is a little lower
    assert _rate_ok((e["name_variant"] != "").to_numpy(), er.name_variant, low_factor=0.85)

    # flags <-> fields: the date of birth
    assert ((r["date_of_birth"] == "").to_numpy() == e["dob_missing"].to_numpy()).all()
    clean_dob = ~e["dob_missing"].to_numpy() & (e["dob_wrong"] == "").to_numpy()
    assert (r["date_of_birth"].to_numpy()[clean_dob] == t["date_of_birth"].to_numpy()[clean_dob]).all()
    wrong = (e["dob_wrong"] != "").to_numpy()
    assert (r["date_of_birth"].to_numpy()[wrong] != t["date_of_birth"].to_numpy()[wrong]).all()
    sw = (e["dob_wrong"] == "day_month_swap").to_numpy()
    got, true = r["date_of_birth"].to_numpy()[sw], t["date_of_birth"].to_numpy()[sw]
    assert sw.sum() > 20
    assert all(g[:4] == x[:4] and g[5:7] == x[8:10] and g[8:10] == x[5:7] for g, x in zip(got, true))
    # names: without a name error the recorded name is the true one (up to capitals)
    clean = ((e["name_variant"] == "") & (e["typo_first_name"] == "") & (e["typo_surname"] == "")
             & ~e["swap_names"]).to_numpy()
    assert (r["first_name"].to_numpy()[clean] == t["first_name"].to_numpy()[clean]).all()
    # (capitals: some organisations write YILMAZ for Yılmaz, so compare normalised forms)
    a = [normalise_name(x, surname=True) for x in r["surname"].to_numpy()[clean]]
    b = [normalise_name(x, surname=True) for x in t["surname"].to_numpy()[clean]]
    assert a == b
    swapped = (e["swap_names"] & (e["name_variant"] == "") & (e["typo_first_name"] == "")
               & (e["typo_surname"] == "")).to_numpy()
    assert [normalise_name(x) for x in r["first_name"].to_numpy()[swapped]] == [
        normalise_name(x) for x in t["surname"].to_numpy()[swapped]
    ]
    # a typo changes the normalised name (unless it falls in a particle: "d Boer" is still "boer")
    no_particle = ~t["surname"].str.contains(" ").to_numpy()
    typo = ((e["typo_surname"] != "") & (e["name_variant"] == "") & ~e["swap_names"]).to_numpy() & no_particle
    a = [normalise_name(x, surname=True) for x in r["surname"].to_numpy()[typo]]
    b = [normalise_name(x, surname=True) for x in t["surname"].to_numpy()[typo]]
    assert all(x != y for x, y in zip(a, b))
    assert ((r["sex"] == "").to_numpy() == e["sex_missing"].to_numpy()).all()
    assert ((r["nationality"] == "").to_numpy() == e["nationality_missing"].to_numpy()).all()


def test_no_errors_gives_the_true_identities():
    s = simulate_registrations("clearing_house", seed=2, errors=ErrorRates.none(), today=TODAY)
    r, p = s.registrations, s.persons.set_index("true_person_id")
    t = p.loc[r["true_person_id"]]
    for c in ("first_name", "surname", "date_of_birth", "sex", "nationality"):
        assert (r[c].to_numpy() == t[c].to_numpy()).all(), c
    assert len(r) == int(s.persons[list(s.organisations)].to_numpy().sum())


def test_reproducible_by_seed_and_histories_equal_simulate(sim):
    again = simulate_registrations("clearing_house", seed=11, today=TODAY)
    pd.testing.assert_frame_equal(sim.registrations, again.registrations)
    pd.testing.assert_frame_equal(sim.persons, again.persons)
    other = simulate_registrations("clearing_house", seed=12, today=TODAY)
    assert not sim.registrations["first_name"].equals(other.registrations["first_name"])
    pd.testing.assert_frame_equal(sim.simulation.histories, simulate("clearing_house", seed=11).histories)
    # a seed drawn from entropy is recorded and reproduces the draw
    s = simulate_registrations("clearing_house", today=TODAY)
    pd.testing.assert_frame_equal(s.registrations, simulate_registrations("clearing_house", s.seed, today=TODAY).registrations)


def test_write_gives_valid_files_per_organisation(sim, tmp_path):
    files = sim.write(tmp_path)
    regs = sorted((tmp_path / "registrations").glob("*.csv"))
    assert [f.stem for f in regs] == sorted(sim.organisations)
    frames = read_registration_files(regs, today=TODAY)
    assert sum(len(f) for f in frames) == len(sim.registrations)
    for f in frames:
        assert f["organisation"].nunique() == 1 and f.attrs["kind"] == "plaintext"
    truth = pd.read_csv(tmp_path / "persons_truth.csv", keep_default_na=False)
    assert len(truth) == len(sim.persons)
    assert tmp_path / "registration_errors.csv" in files
    assert not list(tmp_path.rglob("*.tmp"))


def test_dutch_like_nationality_covariate_and_scaling():
    s = simulate_registrations("dutch_like", seed=1, population=3000, today=TODAY)
    assert 2900 <= s.simulation.n_total <= 3100  # Poisson sizes around the rescaled means
    r = s.registrations
    assert "nationality_group" in r.columns and set(r["nationality_group"]) == {"Dutch", "EU", "non-EU"}
    assert "form" in r.columns
    assert set(r.loc[r["nationality_group"] == "Dutch", "nationality"]) <= {"NL", ""}


def test_bad_arguments_are_refused():
    with pytest.raises(ScenarioError, match="future"):
        simulate_registrations("clearing_house", seed=1, today=date(2023, 6, 1))
    with pytest.raises(ScenarioError, match="probability"):
        ErrorRates(typo_surname=1.5)
    with pytest.raises(ScenarioError, match="scale"):
        simulate_registrations("clearing_house", seed=1, scale=0)


def test_cli_simulate_registrations(tmp_path):
    from typer.testing import CliRunner

    from darkfigure.cli import app

    res = CliRunner().invoke(app, ["simulate", "clearing_house", "--seed", "3", "--out", str(tmp_path), "--registrations"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "histories.csv").exists() and (tmp_path / "persons_truth.csv").exists()
    assert len(list((tmp_path / "registrations").glob("*.csv"))) == 6
    h = pd.read_csv(tmp_path / "histories.csv")
    pd.testing.assert_frame_equal(h, simulate("clearing_house", seed=3).histories, check_dtype=False)
    regs = pd.concat(pd.read_csv(f) for f in (tmp_path / "registrations").glob("*.csv"))
    assert regs["true_person_id"].nunique() == h["count"].sum()
    # without the flag nothing changes; --scale scales the population
    res = CliRunner().invoke(app, ["simulate", "clearing_house", "--seed", "3", "--out", str(tmp_path / "b"), "--scale", "0.5"])
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "b" / "registrations").exists()
    truth = pd.read_csv(tmp_path / "b" / "truth.csv")
    assert truth.loc[truth["group"] == "total", "N"].iloc[0] == 4100


def test_every_bundled_scenario_gives_valid_registrations():
    from darkfigure.simulation import scenario_names

    for name in scenario_names():
        s = simulate_registrations(name, seed=1, scale=0.3, today=TODAY)
        r = read_registration_files([s.registrations], today=TODAY)[0]
        assert r["true_person_id"].nunique() == s.simulation.n_observed, name


def test_named_settings_placeholders_months_particles_and_skew():
    from darkfigure.linkage.synthetic import REGISTRATION_SCENARIOS

    roles = {s.role for s in REGISTRATION_SCENARIOS.values()}
    assert roles == {"tuning", "held_out"}
    assert sum(s.role == "held_out" for s in REGISTRATION_SCENARIOS.values()) >= 3
    s = simulate_registrations("clearing_house", seed=2, errors="dob_errors", today=TODAY)
    r, e, p = s.registrations, s.errors, s.persons.set_index("true_person_id")
    t = p.loc[r["true_person_id"], "date_of_birth"].to_numpy()
    got = r["date_of_birth"].to_numpy()
    k = e["dob_wrong"].to_numpy()
    er = s.error_rates
    assert _rate_ok(np.char.startswith(k.astype(str), "placeholder"), er.dob_placeholder)
    assert _rate_ok(k != "", er.dob_wrong + er.dob_placeholder)
    assert (got[k == "placeholder_1900"] == "1900-01-01").all()
    j = k == "placeholder_jan1"
    assert all(g == x[:4] + "-01-01" and g != x for g, x in zip(got[j], t[j]))
    m = k == "month"
    assert m.sum() > 50
    assert all(g[:4] == x[:4] and abs(int(g[5:7]) - int(x[5:7])) == 1 for g, x in zip(got[m], t[m]))
    # every wrong or placeholder date differs from the truth
    assert (got[k != ""] != t[k != ""]).all()
    # particles: about 5% of persons get one on top of the lists' van/de surnames
    first = p["surname"].str.split().str[0].str.lower()
    plain = simulate_registrations("clearing_house", seed=2, errors=ErrorRates(), today=TODAY).persons
    extra = first.isin(["el", "al", "bin", "ben", "abu"]).mean() - plain["surname"].str.split().str[0].str.lower(
    ).isin(["el", "al", "bin", "ben", "abu"]).mean()
    assert 0.01 < extra < 0.05
    # name skew concentrates names: the most common first name + surname is carried by more persons
    skewed = simulate_registrations("clearing_house", seed=2, errors="standard", name_skew=2.0, today=TODAY).persons
    top = lambda q: q.groupby(["first_name", "surname"]).size().max()  # noqa: E731
    assert top(skewed) > 2 * top(plain)
    with pytest.raises(ScenarioError, match="unknown registration setting"):
        simulate_registrations("clearing_house", seed=2, errors="nonsense", today=TODAY)
    with pytest.raises(ScenarioError, match="dob_placeholder"):
        ErrorRates(dob_missing=0.5, dob_wrong=0.3, dob_placeholder=0.3)


def test_covariates_recorded_differently_within_a_person():
    er = ErrorRates(covariate_changed=0.2, covariate_missing=0.1)
    s = simulate_registrations("clearing_house", seed=3, errors=er, today=TODAY)
    r, e, p = s.registrations, s.errors, s.persons.set_index("true_person_id")
    for c in ("age", "exploitation"):
        true = p.loc[r["true_person_id"], c].to_numpy()
        got = r[c].to_numpy()
        missing = e["covariates_missing"].str.split(",").map(lambda x, c=c: c in x).to_numpy()
        changed = e["covariates_changed"].str.split(",").map(lambda x, c=c: c in x).to_numpy()
        assert (got[missing] == "").all() and _rate_ok(missing, 0.1)
        assert _rate_ok(changed, 0.2)
        # a changed value is another level of the covariate (unless then left empty); the rest are the truth
        assert (got[changed & ~missing] != true[changed & ~missing]).all()
        assert (got[~changed & ~missing] == true[~changed & ~missing]).all()
        assert set(got[changed & ~missing]) <= set(p[c])
    # sex and the nationality group are not touched; settings without the knob draw as before
    assert (r["nationality_group"].to_numpy() == p.loc[r["true_person_id"], "nationality_group"].to_numpy()).all()
    a = simulate_registrations("clearing_house", seed=3, errors=ErrorRates(), today=TODAY).registrations
    b = simulate_registrations("clearing_house", seed=3, errors=ErrorRates(covariate_changed=0.0), today=TODAY)
    pd.testing.assert_frame_equal(a, b.registrations)
    assert REGISTRATION_SCENARIOS["inconsistent_covariates"].role == "held_out"
