"""A surname (or first name) on most of one organisation's persons and rare elsewhere is a placeholder or a field
filled wrongly (tester 20a, M4: every one of health's 429 registrations had the surname Nguyen; nothing warned).
Synthetic data only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage import simulate_registrations
from darkfigure.linkage.name_parts import frequent_name_parts
from darkfigure.linkage.prepare import _nameless_by_organisation, _prepare_plain, _read_inputs


@pytest.fixture(scope="module")
def files():
    """Small synthetic clearing-house registrations (one frame per organisation)."""
    sim = simulate_registrations("clearing_house", seed=5, scale=0.25)
    return {k: v.reset_index(drop=True) for k, v in sim.files().items()}


def _warnings(frames) -> list[str]:
    df, _ = _read_inputs(list(frames))
    df = df.reset_index(drop=True)
    return _nameless_by_organisation(df, _prepare_plain(df), ("fn", "sn")).attrs["warnings"]


def test_one_surname_on_a_whole_organisation_is_warned_about(files):
    fr = dict(files)
    org = next(iter(fr))
    fr[org] = fr[org].assign(surname="Nguyen")
    w = [x for x in _warnings(fr.values()) if "placeholder or a field filled wrongly" in x]
    assert len(w) == 1 and f"organisation {org!r}" in w[0] and "surname 'Nguyen'" in w[0] and "(100%" in w[0]
    assert not any("placeholder or a field filled wrongly" in x for x in _warnings(files.values()))


def test_a_first_name_on_most_of_an_organisation_is_warned_about(files):
    fr = dict(files)
    org = list(fr)[1]
    f = fr[org].copy()
    f.loc[f.index[: int(0.8 * len(f))], "first_name"] = "Thi"
    fr[org] = f
    w = [x for x in _warnings(fr.values()) if "placeholder or a field filled wrongly" in x]
    assert len(w) == 1 and "first name 'Thi'" in w[0] and f"organisation {org!r}" in w[0]


def _org(name: str, n: int, share: float, seed: int, value: str = "Nguyen") -> pd.DataFrame:
    """`n` persons of organisation `name`, `share` of them (drawn) with the surname `value`, the others one of 12
    other surnames; own first names and dates of birth."""
    rng = np.random.default_rng(seed)
    others = ["Tran", "Le", "Pham", "Hoang", "Phan", "Vu", "Dang", "Bui", "Do", "Ho", "Ngo", "Duong"]
    sn = np.where(rng.random(n) < share, value, rng.choice(others, n))
    return pd.DataFrame({"organisation": name, "first_name": [f"{name}{i}" for i in range(n)], "surname": sn,
                         "dob": [f"19{70 + i % 30}-0{1 + i % 9}-1{i % 10}" for i in range(n)]})


def _flagged(df: pd.DataFrame) -> pd.DataFrame:
    return frequent_name_parts(df["organisation"].to_numpy(), df["first_name"].to_numpy(), df["surname"].to_numpy(),
                               df["dob"].to_numpy())


@pytest.mark.parametrize("seed", range(20))
def test_a_vietnamese_organisation_is_no_placeholder(seed):
    # Nguyen on ~40% of a Vietnamese organisation, ~10% elsewhere; a small one of 30 or 60 persons too
    df = pd.concat([_org("vn_ngo", 400, 0.4, seed), _org("vn_small", 30 + 30 * (seed % 2), 0.4, seed + 100),
                    _org("police", 1500, 0.1, seed + 200)], ignore_index=True)
    assert _flagged(df).empty


def test_one_person_registered_often_is_no_placeholder():
    # a small organisation, one person 40 times (one name and date): persons are counted, not registrations
    # (40 of 75 registrations, 1 of 36 persons)
    small = pd.DataFrame({"organisation": "small", "first_name": ["Lan"] * 40 + [f"p{i}" for i in range(35)],
                          "surname": ["Nguyen"] * 40 + [f"s{i}" for i in range(35)], "dob": "1990-03-04"})
    df = pd.concat([small, _org("police", 500, 0.02, 1)], ignore_index=True)
    assert _flagged(df).empty
    # 40 different persons of one surname out of 75 (53%): within chance of a 40% surname (Binomial tail 0.01)
    small["first_name"] = [f"q{i}" for i in range(75)]
    assert _flagged(pd.concat([small, _org("police", 500, 0.02, 1)], ignore_index=True)).empty
    # 60 of 75 (80%): flagged
    small["surname"] = ["Nguyen"] * 60 + [f"s{i}" for i in range(15)]
    t = _flagged(pd.concat([small, _org("police", 500, 0.02, 1)], ignore_index=True))
    assert list(zip(t["organisation"], t["field"], t["value"])) == [("small", "surname", "Nguyen")]


@pytest.mark.parametrize("setting", ["recurring_names", "large_register", "no_dob"])
def test_the_simulator_has_no_such_name(setting):
    sim = simulate_registrations("clearing_house", seed=2, scale=1, errors=setting)
    df, _ = _read_inputs(list(sim.files().values()))
    df = df.reset_index(drop=True)
    p = _prepare_plain(df)
    t = frequent_name_parts(df["organisation"].astype(str).to_numpy(), p["fn"].to_numpy(dtype=object),
                            p["sn"].to_numpy(dtype=object), p["dob"].to_numpy(dtype=object))
    assert t.empty


def test_pseudonymised_files_get_the_warning_too(files):
    import warnings

    from darkfigure.linkage import pseudonymise
    from darkfigure.linkage.prepare import _prepare_pseudo

    fr = dict(files)
    org = next(iter(fr))
    fr[org] = fr[org].assign(surname="Nguyen")
    enc = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in fr.values():
            enc.append(pseudonymise(f.drop(columns=["true_person_id"], errors="ignore"),
                                    key=b"synthetic-test-key-0123456789"))
    df = pd.concat(enc, ignore_index=True)
    prep, _ = _prepare_pseudo(df)
    w = [x for x in _nameless_by_organisation(df, prep, ("tok_first_name", "tok_surname")).attrs["warnings"]
         if "placeholder or a field filled wrongly" in x]
    assert len(w) == 1 and f"organisation {org!r}: one encoded surname" in w[0] and "compares it as written" in w[0]
