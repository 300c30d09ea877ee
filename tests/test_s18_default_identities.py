"""Default identities (tester 18a, H2): one real-looking name + date of birth ("Jan Jansen", 1990-01-01) written
for the unknown persons of one organisation passed without a word, trained the linkage model on thousands of
identical pairs and wrecked the links of the other organisations. Now such an identity is read as missing, kept
out of the training pairs and warned about. Synthetic data only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage import link, simulate_registrations
from darkfigure.linkage.default_identities import DEFAULT_IDENTITY_MIN, default_identities
from darkfigure.linkage.prepare import _nameless_by_organisation, _nameless_warnings, _prepare_plain


def _identities(n: int, repeats: dict[int, int]) -> list[str]:
    """n distinct identities, identity i written ``repeats.get(i, 1)`` times (shape: sum of counts)."""
    return [f"id{i}" for i in range(n) for _ in range(repeats.get(i, 1))]


def test_an_identity_far_beyond_the_repeat_rate_is_a_default():
    # 300 identities, 30 of them registered twice, 5 three times; one identity on 40 registrations
    ids = _identities(300, {**{i: 2 for i in range(30)}, **{i: 3 for i in range(30, 35)}, 299: 40})
    t = default_identities(["a"] * len(ids), ids)
    assert list(t["identity"]) == ["id299"] and int(t["rows"].iloc[0]) == 40
    assert t["expected"].iloc[0] < 1e-3 and 0.09 < t["repeated"].iloc[0] < 0.13


def test_ordinary_repeats_are_not_defaults():
    # a person registered 7 times (below the floor of 8) and one on 9 of 2,400 registrations (below 0.5%)
    small = _identities(300, {0: DEFAULT_IDENTITY_MIN - 1, 1: 2, 2: 2})
    assert default_identities(["a"] * len(small), small).empty
    big = _identities(2390, {0: 9, 1: 2})
    assert default_identities(["b"] * len(big), big).empty
    # where persons return often (40% of identities twice or more, many three times) 8 registrations are plausible
    often = _identities(100, {**{i: 2 for i in range(20)}, **{i: 4 for i in range(20, 40)}, 99: 8})
    assert default_identities(["c"] * len(often), often).empty
    # missing identities (a name or the date missing) are never counted
    assert default_identities(["d"] * 50, [None] * 50).empty


def _regs(n: int = 240, seed: int = 3) -> pd.DataFrame:
    """Synthetic registrations of two organisations, distinct invented names and dates."""
    rng = np.random.default_rng(seed)
    syl = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "be", "do", "fa", "gu"]
    name = lambda k: "".join(rng.choice(syl, k)).capitalize()  # noqa: E731
    return pd.DataFrame({
        "record_id": [f"r{i}" for i in range(n)], "organisation": ["a"] * (n // 2) + ["b"] * (n - n // 2),
        "registration_date": "2021-03-01", "first_name": [name(2) for _ in range(n)],
        "surname": [name(3) for _ in range(n)],
        "date_of_birth": [f"{rng.integers(1960, 2004)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"
                          for _ in range(n)],
        "sex": rng.choice(["f", "m"], n), "nationality": "nl"})


def test_prepare_reads_a_default_identity_as_missing_and_warns():
    df = _regs()
    df.loc[:29, ["first_name", "surname", "date_of_birth"]] = ["Jan", "Jansen", "1990-01-01"]
    prep = _prepare_plain(df)
    assert prep.loc[:29, ["fn", "sn", "dob", "full_name"]].isna().all().all()
    assert prep.loc[30:, ["fn", "sn", "dob"]].notna().all().all()
    table = _nameless_by_organisation(df, prep, ("fn", "sn")).set_index("organisation")
    assert table.loc["a", "default_identity"] == 30 and table.loc["a", "given_without_letters"] == 0
    text = " ".join(_nameless_warnings(table.reset_index()))
    assert "'a'" in text and "'Jan Jansen, born 1990-01-01'" in text and "30 of its 120 registrations" in text
    assert "read as missing" in text and "leave unknown names and dates of birth empty" in text
    # the same names with their own dates are persons, not a default
    ok = _regs()
    ok.loc[:29, ["first_name", "surname"]] = ["Jan", "Jansen"]
    assert "default_identities" not in _prepare_plain(ok).attrs or not _prepare_plain(ok).attrs[
        "default_identities"]["rows"]


def test_every_row_one_identity_says_why_the_organisation_shares_nobody():
    from darkfigure.linkage.input_checks import disjoint_lists_warnings

    df = _regs()
    df.loc[df["organisation"] == "a", ["first_name", "surname", "date_of_birth"]] = ["Jan", "Jansen", "1990-01-01"]
    prep = _prepare_plain(df)
    table = _nameless_by_organisation(df, prep, ("fn", "sn"))
    text = " ".join(table.attrs["warnings"])
    assert "120 of its 120 registrations (100%)" in text and "every registration of 'a'" in text

    class _H:  # capture histories in which 'a' shares nobody
        def empty_overlaps(self):
            return [("a", "b")]

    w = " ".join(disjoint_lists_warnings(_H(), table))
    assert "'a' has no usable name on 120 of its 120 registrations (120 of them one default identity" in w


@pytest.fixture(scope="module")
def hostile():
    """Synthetic clearing house (scale 0.1): kmar writes one identity on 30% of its registrations."""
    sim = simulate_registrations("clearing_house", seed=4, scale=0.1)
    fr = {k: v.reset_index(drop=True) for k, v in sim.files().items()}
    k = int(0.3 * len(fr["kmar"]))
    fr["kmar"].loc[: k - 1, ["first_name", "surname", "date_of_birth"]] = ["Jan", "Jansen", "1990-01-01"]
    return fr, k


def test_link_keeps_a_default_identity_from_linking_and_from_training(hostile):
    fr, k = hostile
    res = link(list(fr.values()), truth="true_person_id", seed=4, threads=1)
    warn = " ".join(res.warnings)
    assert "organisation 'kmar': one identity ('Jan Jansen, born 1990-01-01')" in warn
    links = res.links
    kmar_default = links["record_id"].isin(set(fr["kmar"]["record_id"].iloc[:k])).to_numpy() & (
        links["organisation"] == "kmar").to_numpy()
    # the default identity links no two of its registrations into one person
    assert links.loc[kmar_default, "person_id"].nunique() > 0.9 * k
    assert res.quality.iloc[0]["precision"] > 0.97


def test_pseudonymise_encodes_a_default_identity_as_missing_and_link_warns_on_encoded_ones():
    import warnings

    from darkfigure.linkage import pseudonymise
    from darkfigure.linkage.prepare import _prepare_pseudo

    df = _regs()
    a = (df["organisation"] == "a").to_numpy()
    df.loc[:29, ["first_name", "surname", "date_of_birth"]] = ["Jan", "Jansen", "1990-01-01"]
    key = b"synthetic-test-key-0123456789"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = pseudonymise(df[a], key=key)
    text = " ".join(str(w.message) for w in caught)
    assert "'Jan Jansen, born 1990-01-01'" in text and "encoded as missing" in text
    toks = out[["tok_first_name", "tok_surname", "tok_date_of_birth"]].fillna("")
    assert (toks.iloc[:30] == "").all().all() and (toks.iloc[30:] != "").all().all()
    # a file encoded with the identity in it (here: the same token on every one of its rows) is warned about at link
    enc = out.copy()
    for c in ("tok_first_name", "tok_surname", "tok_date_of_birth"):
        enc.loc[enc.index[:30], c] = enc[c].iloc[30]
    prep, _ = _prepare_pseudo(enc)
    table = _nameless_by_organisation(enc.reset_index(drop=True), prep, ("tok_first_name", "tok_surname"))
    assert any("cannot be read as missing" in w and "31 of its 120" in w for w in table.attrs["warnings"])


def _overdispersed_org(seed: int, n_persons: int = 900) -> tuple[list[str], list[str], list[str]]:
    """One organisation whose persons return as a negative binomial (dispersion 0.2, 0.8 extra registrations on
    average: some persons 20+ times), each person one sex and nationality (2% recorded wrong)."""
    rng = np.random.default_rng(seed)
    extra = rng.negative_binomial(0.2, 0.2 / (0.2 + 0.8), n_persons)
    ids, sex, nat = [], [], []
    for i, k in enumerate(extra + 1):
        s0, n0 = rng.choice(["f", "m"]), rng.choice(["nl", "ro", "pl", "ng", "ua"])
        for _ in range(k):
            ids.append(f"id{i}")
            sex.append(s0 if rng.random() > 0.02 else ("m" if s0 == "f" else "f"))
            nat.append(n0 if rng.random() > 0.02 else "bg")
    return ids, sex, nat


def test_a_real_person_registered_often_is_not_a_default_where_sex_and_nationality_say_one_person():
    # review s18 L1: over-dispersed repeat counts put real persons beyond the geometric tail
    flagged_by_count, flagged = 0, 0
    for seed in range(10):
        ids, sex, nat = _overdispersed_org(seed)
        org = ["a"] * len(ids)
        flagged_by_count += not default_identities(org, ids).empty
        flagged += not default_identities(org, ids, {"sex": sex, "nationality": nat}).empty
    assert flagged_by_count >= 3  # the count rule alone takes real persons for defaults here
    assert flagged == 0


def test_a_default_identity_carries_many_persons_sexes_and_nationalities():
    ids, sex, nat = _overdispersed_org(1)
    rng = np.random.default_rng(5)
    ids += ["jan|jansen|1990-01-01"] * 40  # one identity for 40 unknown persons of their own sex and nationality
    sex += list(rng.choice(["f", "m"], 40))
    nat += list(rng.choice(["nl", "ro", "pl", "ng", "ua"], 40))
    t = default_identities(["a"] * len(ids), ids, {"sex": sex, "nationality": nat})
    assert "jan|jansen|1990-01-01" in set(t["identity"])
    row = t.set_index("identity").loc["jan|jansen|1990-01-01"]
    assert row["one_person"] < 1e-3 and row["differing"] >= 6
    from darkfigure.linkage.default_identities import default_identity_warnings

    text = " ".join(default_identity_warnings(t))
    assert "differ from its most frequent sex or nationality" in text
    # no attribute recorded on the identity: the count rule alone decides (one_person NaN)
    t2 = default_identities(["a"] * len(ids), ids, {"sex": [None] * len(ids)})
    assert t2["one_person"].isna().all() and "jan|jansen|1990-01-01" in set(t2["identity"])
    with pytest.raises(ValueError, match="attribute 'sex' has 3 values"):
        default_identities(["a"] * len(ids), ids, {"sex": ["f", "m", "f"]})


def test_bloom_only_files_are_checked_for_default_identities():
    # review s18 L2: files with Bloom filters and no tok_ columns got no check at all
    import warnings

    from darkfigure.linkage import pseudonymise
    from darkfigure.linkage.prepare import _prepare_pseudo

    df = _regs()
    a = (df["organisation"] == "a").to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = pseudonymise(df[a], key=b"synthetic-test-key-0123456789").reset_index(drop=True)
    enc = out.drop(columns=[c for c in out.columns if c.startswith("tok_")])
    for c in ("bf_first_name", "bf_surname", "bf_date_of_birth"):
        enc.loc[:29, c] = enc[c].iloc[30]
    prep, _ = _prepare_pseudo(enc)
    table = _nameless_by_organisation(enc, prep, ("tok_first_name", "tok_surname"))
    assert any("cannot be read as missing" in w and "31 of its 120" in w for w in table.attrs["warnings"])
    # the same file as encoded (every identity its own filters): nothing said
    prep0, _ = _prepare_pseudo(out.drop(columns=[c for c in out.columns if c.startswith("tok_")]))
    t0 = _nameless_by_organisation(out, prep0, ("tok_first_name", "tok_surname"))
    assert not any("default identity" in w for w in t0.attrs.get("warnings", []))


def test_an_attribute_that_cannot_show_many_persons_leaves_the_count_rule_to_decide():
    # review s19 M4: nationality 95% one value, sex not recorded: 30 persons on one identity differ in about 1.5
    # nationalities, which one person's recording errors can give too; the attribute is no evidence then
    rng = np.random.default_rng(2)
    ids = [f"id{i}" for i in range(370)] + ["jan|jansen|1990-01-01"] * 30
    nat = list(np.where(rng.random(400) < 0.95, "nl", "pl"))
    t = default_identities(["a"] * 400, ids, {"nationality": nat, "sex": [None] * 400})
    assert list(t["identity"]) == ["jan|jansen|1990-01-01"] and t["one_person"].isna().all()
