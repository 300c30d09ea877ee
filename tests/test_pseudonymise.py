"""Pseudonymisation at the source: no plaintext in the output, the key, the encoding contract, hardening."""

import base64
import hashlib
import hmac
import itertools
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.linkage import ErrorRates, read_registrations, simulate_registrations
from darkfigure.linkage.pseudonymise import (
    BloomSettings,
    PseudonymisationError,
    bloom_dice,
    decode_bloom,
    key_id,
    load_key,
    pseudonymise,
    pseudonymise_file,
)
from darkfigure.linkage.registrations import (
    BLOCK_COLUMNS,
    BLOOM_COLUMNS,
    DOB_PART_COLUMNS,
    FOLDED_TOKEN_COLUMNS,
    TOKEN_COLUMNS,
    normalise_name,
)

TODAY = date(2026, 1, 1)
KEY = b"0123456789abcdef0123456789abcdef"
ENCODED = [*BLOOM_COLUMNS, *TOKEN_COLUMNS, *BLOCK_COLUMNS, *DOB_PART_COLUMNS, *FOLDED_TOKEN_COLUMNS, "key_id"]
B64 = re.compile(r"^[A-Za-z0-9+/]{167}=$")  # 125 bytes: 41 groups of 3 and 2 bytes + one pad
HEX32 = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def regs():
    s = simulate_registrations("clearing_house", seed=4, scale=0.06, today=TODAY)
    r = s.registrations.copy()
    # names with particles, accents, compound forms and an empty date of birth
    r.loc[0, ["first_name", "surname", "date_of_birth"]] = ["Jan-Willem", "van der Berg", "1990-05-17"]
    r.loc[1, ["first_name", "surname", "date_of_birth"]] = ["Łukasz", "Wiśniewski", ""]
    return r


def _leaks(text: str, allowed: str, regs: pd.DataFrame) -> list[str]:
    """Identifiers (names, 3+ letter pieces of names, dates of birth) found in `text` and not explained by `allowed`."""
    low, allowed = text.lower(), allowed.lower()
    found = []
    for col in ("first_name", "surname"):
        for name in regs[col]:
            for form in {name.lower(), normalise_name(name), normalise_name(name).replace(" ", "")}:
                for n in range(3, len(form) + 1):
                    for i in range(len(form) - n + 1):
                        piece = form[i:i + n]
                        if " " not in piece and piece in low and piece not in allowed:
                            found.append(piece)
    for d in regs["date_of_birth"]:
        if d and (d in text or d.replace("-", "") in text):
            found.append(d)
    return found


def _strip_encodings(df: pd.DataFrame, text: str) -> str:
    """The text without the encoded cells, after checking that each is pure base64 or hex (no readable content)."""
    for c in BLOOM_COLUMNS:
        assert df[c].map(lambda v: v == "" or bool(B64.match(v))).all(), c
    for c in [*TOKEN_COLUMNS, *BLOCK_COLUMNS, *DOB_PART_COLUMNS, *FOLDED_TOKEN_COLUMNS]:
        assert df[c].map(lambda v: v == "" or bool(HEX32.match(v))).all(), c
    assert df["key_id"].str.fullmatch(r"[0-9a-f]{16}").all()
    for c in ENCODED:
        for v in sorted(set(df[c]) - {""}, key=len, reverse=True):
            text = text.replace(v, "")
    return text


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_no_plaintext_identifier_in_the_output(regs, tmp_path, suffix):
    regs.to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / f"out{suffix}"
    pseudonymise_file(tmp_path / "in.csv", out, KEY)
    df = pd.read_csv(out, dtype=str, keep_default_na=False) if suffix == ".csv" else pd.read_parquet(out).astype(str)
    assert not {"first_name", "surname", "date_of_birth"} & set(df.columns)
    text = out.read_text(encoding="utf-8") if suffix == ".csv" else df.to_csv(index=False)
    rest = _strip_encodings(df, text)
    # what may remain: the header and the pass-through columns (organisation, dates, covariates, sex, nationality)
    passthrough = [c for c in df.columns if c not in ENCODED]
    allowed = ",".join(df.columns) + "\n" + df[passthrough].to_csv(index=False)
    assert _leaks(rest, allowed, regs) == []
    raw = out.read_bytes()
    # whole names in the raw bytes, encodings included (8+ characters: shorter ones occur by chance in base64,
    # e.g. "BARBU" did in a filter)
    for name in ("Jan-Willem", "van der Berg", "Wiśniewski", "1990-05-17", *regs["surname"], *regs["first_name"]):
        if len(name) >= 8:
            assert name.encode() not in raw and name.upper().encode() not in raw, name
    # the checker itself finds a leak: the same output with the surname added in capitals
    leaky = df.assign(note=regs["surname"].str.upper().to_numpy())
    assert _leaks(_strip_encodings(leaky, leaky.to_csv(index=False)), allowed, regs)


def test_output_columns_and_pass_through(regs):
    p = pseudonymise(regs, KEY)
    assert list(p.columns[:5]) == ["record_id", "organisation", "registration_date", "sex", "nationality"]
    assert list(p.columns[-len(ENCODED) - 1:]) == [*ENCODED, "bf_settings"]  # the settings last (tester 13b, M3)
    for c in ("record_id", "organisation", "registration_date", "sex", "nationality", "exploitation", "age"):
        assert (p[c].astype(str).to_numpy() == regs[c].astype(str).to_numpy()).all(), c
    assert (p["key_id"] == key_id(KEY)).all()
    assert key_id(KEY) == hmac.new(KEY, b"darkfigure key id", hashlib.sha256).hexdigest()[:16]
    assert read_registrations(p, today=TODAY).attrs["kind"] == "pseudonymised"
    everything = pseudonymise(regs, KEY, encode_all=True)
    assert "sex" not in everything.columns and "nationality" not in everything.columns
    assert (everything["tok_sex"] == p["tok_sex"]).all()
    # an empty date of birth gives empty encodings, not a filter of nothing
    row = p.iloc[1]
    assert row["bf_date_of_birth"] == "" and row["tok_date_of_birth"] == "" and row["tok_birth_year"] == ""
    assert row["tok_block_sn_dob"] == "" and row["tok_block_initials_dob"] == "" and row["tok_block_fn_sn_sorted"] != ""


def _one(first, sur, dob="1990-05-17", key=KEY, **kw):
    df = pd.DataFrame({"record_id": ["1"], "organisation": ["x"], "registration_date": ["2023-01-01"],
                       "first_name": [first], "surname": [sur], "date_of_birth": [dob], "sex": ["F"],
                       "nationality": ["NL"]})
    return pseudonymise(df, key, **kw).iloc[0]


def test_tokens_are_keyed_salted_per_field_and_normalised():
    a, b = _one("Jan-Willem", "van der Berg"), _one("JAN WILLEM", "Berg, van der")
    for c in [*TOKEN_COLUMNS, *BLOCK_COLUMNS, *DOB_PART_COLUMNS, *BLOOM_COLUMNS]:
        assert a[c] == b[c], c
    sk = hmac.new(KEY, b"tok_surname", hashlib.sha256).digest()
    assert a["tok_surname"] == hmac.new(sk, b"berg", hashlib.sha256).hexdigest()[:32]
    same = _one("Jansen", "Jansen")
    assert same["tok_first_name"] != same["tok_surname"]  # field salting of the tokens
    # the two name filters share a sub-key (version 2), so swapped names can be compared across the fields
    assert bloom_dice(same["bf_first_name"], same["bf_surname"]) == pytest.approx(1.0)
    assert bloom_dice(same["bf_first_name"], same["bf_date_of_birth"]) < 0.6
    other = _one("Jan-Willem", "van der Berg", key=b"another key of 16+ bytes")
    assert other["key_id"] != a["key_id"] and other["tok_surname"] != a["tok_surname"]
    assert bloom_dice(other["bf_surname"], a["bf_surname"]) < 0.6
    # swapped names share the sorted-pair and initials blocking tokens
    s1, s2 = _one("Anna", "Visser"), _one("Visser", "Anna")
    assert s1["tok_block_fn_sn_sorted"] == s2["tok_block_fn_sn_sorted"] != ""
    assert s1["tok_block_initials_dob"] == s2["tok_block_initials_dob"] != ""
    assert s1["tok_surname"] != s2["tok_surname"]


def test_dice_of_similar_and_unrelated_names():
    def d(x, y, col="bf_surname"):
        return bloom_dice(_one("Anna", x)[col], _one("Anna", y)[col])

    assert d("Jansen", "Jansen") == 1.0
    assert d("Jansen", "Janssen") > 0.85
    assert d("Kowalski", "Kowalska") > 0.65
    for x, y in itertools.combinations(["Jansen", "Nguyen", "Kowalski", "Okafor", "Popescu"], 2):
        assert d(x, y) < 0.5, (x, y)

    def dd(x, y):
        return bloom_dice(_one("Anna", "Visser", dob=x)["bf_date_of_birth"], _one("Anna", "Visser", dob=y)["bf_date_of_birth"])

    off_year, swap, other = dd("1990-05-07", "1991-05-07"), dd("1990-05-07", "1990-07-05"), dd("1990-05-07", "1985-11-23")
    assert off_year > swap > other and off_year > 0.65 and other < 0.3
    assert np.isnan(bloom_dice("", _one("Anna", "Visser")["bf_surname"]))


def _words(sk: bytes, label: str, n: int, m: int, distinct: bool = False) -> list[int]:
    """The documented position rule, written again from the module docstring."""
    out, i = [], 0
    while len(out) < n:
        d = hmac.new(sk, f"{label}\x00{i}".encode(), hashlib.sha256).digest()
        for j in range(8):
            v = int.from_bytes(d[4 * j:4 * j + 4], "big") % m
            if not distinct or v not in out:
                out.append(v)
        i += 1
    return out[:n]


def test_bloom_filters_follow_the_documented_contract():
    row = _one("Anna", "Jansen")
    sk = hmac.new(KEY, b"bf_name", hashlib.sha256).digest()
    bits = np.zeros(1000, dtype=bool)
    for g in ["_j", "ja", "an", "ns", "se", "en", "n_"]:
        bits[_words(sk, g, 20, 1000)] = True
    plain = _one("Anna", "Jansen", settings=BloomSettings(diffusion=0))
    assert (decode_bloom([plain["bf_surname"]])[0] == bits).all()
    diffused = np.array([np.logical_xor.reduce(bits[_words(sk, f"diffusion\x00{j}", 3, 1000, True)]) for j in range(1000)])
    stored = row["bf_surname"]
    assert len(stored) == 168 and len(base64.b64decode(stored)) == 125
    assert base64.b64decode(stored) == np.packbits(diffused, bitorder="big").tobytes()
    # the date of birth: tokens y:, m:, d:, dm: (day and month sorted)
    skd = hmac.new(KEY, b"bf_date_of_birth", hashlib.sha256).digest()
    bd = np.zeros(1000, dtype=bool)
    for t in ["y:1990", "m:05", "d:17", "dm:0517"]:
        bd[_words(skd, t, 20, 1000)] = True
    assert (decode_bloom([_one("Anna", "Jansen", settings=BloomSettings(diffusion=0))["bf_date_of_birth"]])[0] == bd).all()


@pytest.mark.slow  # > 10 s: make test-slow
def test_hardening_flattens_bit_frequencies_and_keeps_linkage_quality():
    s = simulate_registrations("clearing_house", seed=9, today=TODAY)
    r = s.registrations
    plain = pseudonymise(r, KEY, settings=BloomSettings(diffusion=0))
    hard = pseudonymise(r, KEY)
    pid = r["true_person_id"].to_numpy()
    groups = pd.Series(np.arange(len(r))).groupby(pid).apply(list)
    match = np.array([p for g in groups if len(g) > 1 for p in itertools.combinations(g, 2)])
    rng = np.random.default_rng(1)
    non = rng.integers(0, len(r), size=(20000, 2))
    non = non[pid[non[:, 0]] != pid[non[:, 1]]]

    def stats(df):
        bits = decode_bloom(df["bf_surname"].tolist()).astype(np.int32)
        freq = bits.mean(axis=0)  # per-position frequency over all registrations (common names dominate)
        cnt = bits.sum(axis=1)

        def dice(pairs):
            a, b = pairs[:, 0], pairs[:, 1]
            return 2 * (bits[a] & bits[b]).sum(axis=1) / (cnt[a] + cnt[b])

        pos, neg = dice(match), dice(non)
        ranks = pd.Series(np.r_[pos, neg]).rank().to_numpy()
        auc = (ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))
        return freq.std() / freq.mean(), auc

    cv_plain, auc_plain = stats(plain)
    cv_hard, auc_hard = stats(hard)
    # measured: coefficient of variation of per-position frequencies about 0.49 -> 0.21
    assert cv_hard < 0.6 * cv_plain
    assert auc_hard > auc_plain - 0.01 and auc_hard > 0.95


def test_keys(tmp_path, monkeypatch):
    f = tmp_path / "key.txt"
    f.write_text("0123456789abcdef0123\n")
    assert load_key(f) == b"0123456789abcdef0123"
    monkeypatch.setenv("DARKFIGURE_KEY", "  an environment key of 16+ bytes ")
    assert load_key() == b"an environment key of 16+ bytes"
    assert load_key(f) == b"0123456789abcdef0123"  # a key file wins over the environment
    monkeypatch.delenv("DARKFIGURE_KEY")
    with pytest.raises(PseudonymisationError, match="no key: set the environment variable DARKFIGURE_KEY or give --key-file"):
        load_key()
    with pytest.raises(PseudonymisationError, match="not found"):
        load_key(tmp_path / "nope.txt")
    f.write_text("short-secret\n")
    with pytest.raises(PseudonymisationError, match="is 12 bytes; at least 16") as e:
        load_key(f)
    assert "short-secret" not in str(e.value)
    with pytest.raises(PseudonymisationError, match="at least 16"):
        pseudonymise(pd.DataFrame(), b"short")


def test_key_file_with_byte_order_mark_or_utf16_is_the_same_key(tmp_path):
    # tester report 7, 16: the same key saved by Notepad (BOM + CRLF, or "Unicode" = UTF-16) must give the same key id
    hexkey = "0123456789abcdef" * 4
    plain, bom, utf16 = tmp_path / "plain.txt", tmp_path / "bom.txt", tmp_path / "utf16.txt"
    plain.write_text(hexkey + "\n")
    bom.write_bytes(b"\xef\xbb\xbf" + hexkey.encode() + b"\r\n")
    utf16.write_bytes((hexkey + "\r\n").encode("utf-16"))  # with its byte-order mark
    assert load_key(bom) == load_key(plain) == hexkey.encode()
    assert load_key(utf16) == hexkey.encode()
    assert key_id(load_key(bom)) == key_id(load_key(plain))
    binary = tmp_path / "binary.key"
    binary.write_bytes(b"\xff\xfe\x00\xd8" + bytes(range(1, 20)))  # UTF-16 BOM then an unpaired surrogate: raw bytes
    assert load_key(binary) == (b"\xff\xfe\x00\xd8" + bytes(range(1, 20))).strip()


def test_refuses_pseudonymised_input_and_missing_columns(regs):
    p = pseudonymise(regs, KEY)
    with pytest.raises(PseudonymisationError, match="already pseudonymised"):
        pseudonymise(p, KEY)
    with pytest.raises(Exception, match="missing column.*surname"):
        pseudonymise(regs.drop(columns=["surname"]), KEY)


def test_cli_pseudonymise(regs, tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.delenv("DARKFIGURE_KEY", raising=False)
    src = tmp_path / "police.csv"
    regs.head(40).to_csv(src, index=False)
    keyf = tmp_path / "key.txt"
    keyf.write_text("c0ffee" * 8)
    out = tmp_path / "out" / "police.parquet"
    res = runner.invoke(app, ["pseudonymise", str(src), "--key-file", str(keyf), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert read_registrations(out, today=TODAY).attrs["kind"] == "pseudonymised"
    assert "c0ffee" not in res.output
    # the key from the environment gives the same encodings
    monkeypatch.setenv("DARKFIGURE_KEY", "c0ffee" * 8)
    res = runner.invoke(app, ["pseudonymise", str(src), "--out", str(tmp_path / "env.csv")])
    assert res.exit_code == 0, res.output
    a = pd.read_parquet(out)
    b = pd.read_csv(tmp_path / "env.csv", dtype=str, keep_default_na=False)
    assert (a["bf_surname"] == b["bf_surname"]).all() and (a["key_id"] == b["key_id"]).all()
    monkeypatch.delenv("DARKFIGURE_KEY")
    bad = [
        (["--out", str(tmp_path / "x.csv")], "no key"),
        (["--key-file", str(tmp_path / "short.txt"), "--out", str(tmp_path / "x.csv")], "at least 16"),
        (["--key-file", str(keyf), "--out", str(tmp_path / "x.txt")], ".csv or .parquet"),
    ]
    (tmp_path / "short.txt").write_text("tooshort")
    for args, msg in bad:
        res = runner.invoke(app, ["pseudonymise", str(src), *args])
        assert res.exit_code == 2 and msg in res.output, res.output
    # already pseudonymised input and invalid input: exit 2, nothing written
    res = runner.invoke(app, ["pseudonymise", str(tmp_path / "env.csv"), "--key-file", str(keyf), "--out",
                              str(tmp_path / "again.csv")])
    assert res.exit_code == 2 and "already pseudonymised" in res.output
    regs.head(5).drop(columns=["date_of_birth"]).to_csv(tmp_path / "broken.csv", index=False)
    res = runner.invoke(app, ["pseudonymise", str(tmp_path / "broken.csv"), "--key-file", str(keyf), "--out",
                              str(tmp_path / "broken_out.csv")])
    assert res.exit_code == 2 and "date_of_birth" in res.output
    assert not (tmp_path / "again.csv").exists() and not (tmp_path / "broken_out.csv").exists()
    assert not list(tmp_path.rglob("*.tmp"))
    # a key on the command line is not an option
    res = runner.invoke(app, ["pseudonymise", str(src), "--key", "c0ffee" * 8, "--out", str(tmp_path / "k.csv")])
    assert res.exit_code == 2 and not (tmp_path / "k.csv").exists()


def test_linkable_after_pseudonymisation_without_errors():
    # with clean data, registrations of one person share every token and have Dice 1
    s = simulate_registrations("clearing_house", seed=3, scale=0.1, errors=ErrorRates.none(), today=TODAY)
    p = pseudonymise(s.registrations, KEY)
    g = p.groupby(s.registrations["true_person_id"].to_numpy())
    assert (g["tok_surname"].nunique() == 1).all() and (g["bf_first_name"].nunique() == 1).all()


def test_output_file_has_the_usual_permissions(regs, tmp_path):
    import os
    import stat

    regs.head(5).to_csv(tmp_path / "in.csv", index=False)
    pseudonymise_file(tmp_path / "in.csv", tmp_path / "out.csv", KEY)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((tmp_path / "out.csv").stat().st_mode) == 0o666 & ~mask


def test_cli_warns_about_extra_columns_kept_in_clear(regs, tmp_path, monkeypatch):
    monkeypatch.setenv("DARKFIGURE_KEY", "c0ffee" * 8)
    src = tmp_path / "police.csv"
    extra = regs.head(10).copy()
    extra["phone"] = "0612345678"
    extra.to_csv(src, index=False)
    res = CliRunner().invoke(app, ["pseudonymise", str(src), "--out", str(tmp_path / "p.csv")])
    assert res.exit_code == 0, res.output
    assert "kept in clear" in res.output and "phone" in res.output


def test_placeholder_dates_are_encoded_as_missing():
    # 1900-01-01 stands for "unknown" in many systems: no date tokens, no filter (as link treats it in plaintext)
    row = _one("Anna", "Visser", dob="1900-01-01")
    for c in ["bf_date_of_birth", "tok_date_of_birth", "tok_birth_year", "tok_block_sn_dob", *DOB_PART_COLUMNS]:
        assert row[c] == "", c
    assert _one("Anna", "Visser", dob="1905-01-01")["tok_date_of_birth"] != ""


def test_date_part_tokens_give_partial_agreement():
    base = _one("Anna", "Visser", dob="1990-05-17")

    def shared(dob: str, prefix: str) -> int:
        other = _one("Anna", "Visser", dob=dob)
        return sum(base[c] == other[c] != "" for c in DOB_PART_COLUMNS if c.startswith(prefix))

    # year off by 1 or 2 (same day and month): at least one of the three year windows agrees; off by 3: none
    assert shared("1991-05-17", "tok_dob_md_y") >= 1 and shared("1988-05-17", "tok_dob_md_y") >= 1
    assert shared("1987-05-17", "tok_dob_md_y") == 0 and shared("1990-06-17", "tok_dob_md_y") == 0
    # day off by 1-2 (same year and month); month off by 1 (same year and day)
    assert shared("1990-05-19", "tok_dob_ym_d") >= 1 and shared("1990-05-20", "tok_dob_ym_d") == 0
    assert shared("1990-04-17", "tok_dob_yd_m") >= 1 and shared("1990-07-17", "tok_dob_yd_m") == 0
    # day and month swapped
    assert shared("1990-12-05", "tok_dob_swap") == 0  # 1990-05-17 has no valid swap
    assert _one("Anna", "Visser", dob="1990-12-05")["tok_dob_swap"] == _one("Anna", "Visser", dob="1990-05-12")[
        "tok_dob_swap"] != ""


def test_swapped_names_with_typos_share_blocking_tokens_and_filters():
    a, b = _one("Ogunwobii", "Chijioke"), _one("Chiijoke", "Ogunwobi")
    assert a["tok_block_sx_sorted"] == b["tok_block_sx_sorted"] != ""  # Soundex codes, sorted
    assert a["tok_block_fn_sn_sorted"] != b["tok_block_fn_sn_sorted"]
    # cross-field Dice: first name of one against surname of the other
    assert bloom_dice(a["bf_first_name"], b["bf_surname"]) > 0.7
    assert bloom_dice(a["bf_surname"], b["bf_first_name"]) > 0.7
    assert bloom_dice(a["bf_first_name"], b["bf_first_name"]) < 0.5
    # a typo at the start of both names keeps the last two letters
    c, d = _one("Keya", "Merchant"), _one("Leya", "Mervhant")
    assert c["tok_block_s2_sorted"] == d["tok_block_s2_sorted"] != ""


def test_version_1_files_are_refused_with_the_fix(regs):
    # a file without the version 2 tokens (as made before) cannot be linked with version 2 files: its name
    # filters were salted per field
    old = pseudonymise(regs.head(20), KEY).drop(columns=["tok_block_sx_sorted", *DOB_PART_COLUMNS])
    with pytest.raises(Exception, match="missing column.*tok_block_sx_sorted.*encoding version 2.*again"):
        read_registrations(old, today=TODAY)


def test_a_surname_with_particles_in_the_first_name_field_is_a_swap():
    a, b = _one("Elize", "van den Berg"), _one("van den Berg", "Elize")
    assert a["tok_block_fn_sn_sorted"] == b["tok_block_fn_sn_sorted"] != ""
    assert bloom_dice(a["bf_surname"], b["bf_first_name"]) == pytest.approx(1.0)
    # a one-word first name and names without particles are left alone
    assert _one("De", "Visser")["tok_first_name"] != _one("Visser", "Visser")["tok_first_name"]
    assert _one("Maria de Lourdes", "Silva")["tok_first_name"] == _one("Maria Lourdes", "Silva")["tok_first_name"]
