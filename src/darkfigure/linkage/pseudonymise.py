"""Pseudonymisation at the source: keyed tokens and hardened Bloom filters instead of names and dates of birth.

Each organisation runs ``darkfigure pseudonymise`` on its own registrations with the
key all organisations share (never sent to the clearing house). The output holds no
name or date of birth in any readable form; the clearing house links the
pseudonymised files (``darkfigure link``) by comparing tokens (equal or not) and Bloom
filters (Dice similarity, tolerant to typing errors). Method: Schnell, Bachteler &
Reiher (2009), "Privacy-preserving record linkage using Bloom filters", BMC Medical
Informatics and Decision Making 9:41, hardened as described below.

The encoding contract (version 2; every organisation must use the same version and key)
------------------------------------------------------------------------------------
Key and sub-keys. The key is at least 16 bytes, read from the environment variable
``DARKFIGURE_KEY`` or a key file (surrounding white space stripped). For every output
column ``c`` a sub-key ``K_c = HMAC-SHA256(key, c)`` (``c`` as UTF-8, e.g.
``"tok_surname"``) is derived, so the same value encodes differently in different
fields (field salting). Exception: the two name filters ``bf_first_name`` and
``bf_surname`` share the sub-key ``K_"bf_name"``, so that a first-name filter can be
compared with a surname filter (swapped names with a typo; Schnell et al.'s
cryptographic long-term key likewise puts all names in one filter space). ``key_id`` =
the first 16 hex characters of ``HMAC-SHA256(key, "darkfigure key id")``: equal for
files made with the same key. Version 1 files (separate name sub-keys, without the
Soundex, letter and date-part tokens) are refused by ``link`` as lacking columns.

Normalisation (:mod:`.registrations`): names by :func:`normalise_name` (ASCII, lower
case, letters only; particles such as "van der" dropped from surnames, and from a first
name of several words that holds one of :data:`SWAPPED_SURNAME_PARTICLES`: a surname in
the first-name field) with the spaces then removed; dates as ISO ``YYYY-MM-DD``, dates before 1905-01-01 (1900-01-01 and other
placeholders for "unknown") as empty, as ``link`` treats them in plaintext; sex as
``f``/``m``/``""`` and nationality folded to lower case in their tokens (the columns in
clear keep the organisation's spelling).

Tokens (``tok_*``): ``HMAC-SHA256(K_c, value)`` as hex, truncated to 32 characters;
``""`` when the value is empty. ``tok_first_name``, ``tok_surname`` (normalised
names), ``tok_date_of_birth`` (ISO date), ``tok_birth_year`` (``YYYY``), ``tok_sex``,
``tok_nationality``; blocking tokens ``tok_block_sn_dob`` (first two letters of the
surname, ``|``, birth year), ``tok_block_fn_dob`` (same with the first name),
``tok_block_fn_sn_sorted`` (first name and surname sorted and joined by ``|``: equal
when the names were swapped), ``tok_block_initials_dob`` (the two initials sorted,
``|``, ISO date of birth); a blocking token is ``""`` when one of its parts is empty.
Version 2 adds blocking tokens that mirror the plaintext blocking rules:
``tok_block_sx_sorted`` (the American Soundex codes of both names, sorted and joined:
swapped names with typos that keep the codes), ``tok_block_p2_sorted`` and
``tok_block_s2_sorted`` (first two, last two letters of both names, sorted),
``tok_block_sn_md`` / ``tok_block_fn_md`` (a name, ``|``, ``MM-DD``),
``tok_block_sn_ym`` / ``tok_block_fn_ym`` (a name, ``|``, ``YYYY-MM``),
``tok_block_sn_yd`` / ``tok_block_fn_yd`` (a name, ``|YYYY|DD``), ``tok_block_sn_fnsx``
/ ``tok_block_fn_snsx`` (a name, ``|``, the Soundex code of the other); and date-part
tokens for partial agreement of the date of birth: ``tok_dob_swap`` (``YYYY|`` + day
and month sorted and joined by ``|``), ``tok_dob_md_y{o}`` (``MM-DD|`` floor((year + o)
/ 3), o = 0, 1, 2: two dates with the same day and month and years at most 2 apart
share at least one of the three, 3 or more apart none), ``tok_dob_ym_d{o}``
(``YYYY-MM|`` floor((day + o) / 3), o = 0, 1, 2: day off by 1-2) and ``tok_dob_yd_m{o}``
(``YYYY|DD|`` floor((month + o) / 2), o = 0, 1: month off by one); window numbers are
written as integers. Folded-name tokens (added 2026-12 within version 2; ``link`` reads files without them as
before, without the levels that need them): ``tok_first_name_tr`` (the first name folded over romanisation
systems, :func:`.translit.fold_name`: Joelija and Yuliya give one value), ``tok_surname_tr``
(:func:`.translit.fold_surname`), ``tok_block_tr_sorted`` (both folded names, sorted, joined by ``|``) and
``tok_vw_sorted`` (both :func:`.translit.vowel_skeleton` of the folded names, sorted, joined), computed from the
normalised names above (:mod:`.pseudo_translit`); only their tokens are written.

Bloom filters (``bf_*``). Elements: for names the padded bigrams of the normalised name
(``"_" + name + "_"``, so "jansen" gives _j ja an ns se en n_); for the date of birth
four tokens ``y:YYYY``, ``m:MM``, ``d:DD`` and ``dm:`` + the day and month sorted
(equal when day and month were swapped), so a wrong year, day or swap keeps part of the
filter. Each element sets k = 20 of m = 1000 bits, at positions from *random hashing*:
the big-endian unsigned 32-bit words of ``HMAC-SHA256(K_c, element + "\\x00" + str(i))``
for i = 0, 1, ..., each modulo m, the first 20 taken (no double hashing, whose
structure the attack of Niedermeyer et al. 2014 exploits).

Hardening: a keyed linear *diffusion layer* (Armknecht, Heng & Schnell 2023,
"Strengthening privacy-preserving record linkage using diffusion", PoPETs 2023(2):
298-311): output bit j (j = 0..m-1) is the XOR of t = 3 distinct input bits, their
indices the first 3 distinct values of the 32-bit words of ``HMAC-SHA256(K_c, "diffusion"
+ "\\x00" + str(j) + "\\x00" + str(i))`` (i = 0, 1, ...) modulo m. An output bit no longer
belongs to a single bigram, so the most frequent bits no longer point at the most
frequent bigrams, and per-position bit frequencies are much flatter (coefficient of
variation over positions about 0.5 -> 0.2 for surnames in our tests), while similar
names keep similar filters (linkage quality as without diffusion within a hundredth
of AUC in our tests). Exact matches still give Dice = 1; unrelated names have a
higher Dice than without diffusion, so thresholds must be set for diffused filters.
Measured on ``clearing_house`` registrations (default errors): unrelated names have
median Dice 0.31, 99th percentile 0.48, 99.9th 0.63; Jansen/Janssen 0.91,
Kowalski/Kowalska 0.75, Jansen/Jasnen 0.61. Dates of birth: year off by one 0.74,
day and month swapped 0.53, day off by one 0.50, another date in the same year 0.35,
another year 0.18 (unrelated: median 0.20, 99th percentile 0.41).

Because the two name filters share a sub-key, ``link`` compares a first-name filter with
the other registration's surname filter (level "swapped, both Dice >= t"); the date
filter and all tokens stay field-salted.

Settings: ``bf_settings`` holds ``"m=1000 k=20 t=3"`` (m, k, t as used) on every row; ``link`` refuses files
made with different settings (:mod:`.bloom_settings_check`; a file without the column is read as the defaults).

Storage: the m = 1000 output bits, packed with ``numpy.packbits`` (big-endian bit
order: bit 0 is the most significant bit of byte 0) into 125 bytes, as standard
base64 (168 characters). ``""`` when the field is empty (no element).

How the linker compares two filters: decode base64, unpack (or popcount the bytes),
Dice = 2 |a AND b| / (|a| + |b|) over the 1000 bits; a ``""`` filter is a missing
value, not a Dice of 0.

Columns kept in clear (checked first, :mod:`.clear_columns`: one holding the row's own name or date of birth is
refused unless named in ``keep=``): ``record_id``, ``organisation``, ``registration_date``, every
covariate, and ``sex`` and ``nationality``, because the estimates use them as
covariates (``--encode-all`` drops these two; their tokens remain). They are kept as
the organisation wrote them (surrounding blanks dropped): only the tokens ``tok_sex``
and ``tok_nationality`` are normalised, so ``link`` compares ``V`` and ``female`` as one
value and writes each value in the organisations' most common spelling, as for
plaintext files (:func:`darkfigure.linkage.persons._normalise_covariates`). Keeping the
spelling reveals nothing the clear value does not (the organisation, whose coding it
is, is in clear too) and leaves the tokens, hence this contract's version, unchanged.
``first_name``, ``surname`` and ``date_of_birth`` never appear in the output except as
tokens and filters.

What the encoding reveals to the clearing house (without the key): which registrations
share a value, for every token, so the frequency distribution of each field and of
each combination tokenised (exact names, dates, Soundex and letter pairs, date parts);
from the date-part tokens, which dates of birth are near each other (year within 2,
day within 2, month within 1, day and month swapped), not the dates themselves; from
the filters, how similar two names or dates are, and, since the name filters share a
sub-key, how similar one registration's first name is to another's surname. Frequent
tokens can be matched to frequent values from public name lists (a frequency
attack): an exact-name token reveals no more than the Soundex or letter-pair tokens
derived from the same name, but together they narrow the candidates. A folded-name
token is a function of the name alone, computed before keying: it takes one value for a
set of spellings, so on its own it reveals no more than the name's exact token (its
frequencies are coarser, not finer). Beside the exact tokens it adds which distinct names
fold alike (Sjevtsjenko and Shevchenko share ``tok_surname_tr``), as the Soundex tokens add
which share a code. What this does not
protect against: a clearing house (or anyone) holding the key can encode candidate
names and find them; the key must stay with the organisations. Bloom filters of small
domains (the date of birth) remain open to frequency analysis of whole filters;
hardening raises the effort of bit-pattern attacks, it is not encryption.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .bloom_settings_check import SETTINGS_COLUMN, settings_text
from .clear_columns import (
    PseudonymisationWarning,
    clear_column_warnings,
    clear_columns_of,
    identifying_columns,
    refuse_identifying_columns,
    resolve_keep,
)
from .default_identities import plain_default_identities
from .frame_input import as_registration_frame
from .keys import KEY_ENV, MIN_KEY_BYTES, PseudonymisationError, _text_key, check_key, load_key  # noqa: F401 - re-exported
from .names import SWAPPED_SURNAME_PARTICLES, first_name_form  # noqa: F401 - SWAPPED_SURNAME_PARTICLES re-exported
from .placeholder_names import placeholder_mask, source_name_warnings
from .prepare import PLACEHOLDER_BEFORE, _soundex
from .pseudo_translit import folded_name_values
from .registrations import (
    BLOCK_COLUMNS,
    BLOOM_COLUMNS,
    DOB_PART_COLUMNS,
    FOLDED_TOKEN_COLUMNS,
    IDENTIFIER_COLUMNS,
    TOKEN_COLUMNS,
    normalise_names,
    normalise_nationality,
    normalise_sex,
    read_registrations,
)

__all__ = [
    "BloomSettings",
    "KEY_ENV",
    "MIN_KEY_BYTES",
    "PseudonymisationError",
    "bloom_dice",
    "decode_bloom",
    "encode_bloom",
    "key_id",
    "load_key",
    "pseudonymise",
    "pseudonymise_file",
]

#: version of the encoding contract in the module docstring
ENCODING_VERSION = 2
#: sub-key label shared by the two name filters (version 2): a bigram sets the same bits in either, so that
#: swapped first name and surname can be compared (Dice of one's first-name filter with the other's surname filter)
NAME_FILTER_LABEL = "bf_name"
_TOKEN_HEX = 32
_KEY_ID_LABEL = b"darkfigure key id"


@dataclass(frozen=True)
class BloomSettings:
    """Bloom filter parameters of the encoding (version 1 uses the defaults; all organisations must agree).

    Attributes
    ----------
    m : int
        Filter length in bits (input and output of the diffusion layer).
    k : int
        Bit positions set per element (bigram or date token).
    diffusion : int
        Input bits XOR-ed into each output bit (t); 0 switches the hardening off (tests only).
    """

    m: int = 1000
    k: int = 20
    diffusion: int = 3


SETTINGS = BloomSettings()


# ----------------------------------------------------------------------------- keys
def key_id(key: bytes) -> str:
    """16 hex characters identifying the key (``HMAC-SHA256(key, "darkfigure key id")``), not revealing it."""
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def _subkey(key: bytes, column: str) -> bytes:
    return hmac.new(key, column.encode("utf-8"), hashlib.sha256).digest()


# ----------------------------------------------------------------------------- Bloom filters
def _words(subkey: bytes, label: str, n: int, m: int, distinct: bool = False) -> np.ndarray:
    """The first `n` (distinct) values mod m of the 32-bit words of HMAC(subkey, label + NUL + counter)."""
    out: list[int] = []
    i = 0
    while len(out) < n:
        d = hmac.new(subkey, f"{label}\x00{i}".encode(), hashlib.sha256).digest()
        for w in np.frombuffer(d, dtype=">u4"):
            v = int(w) % m
            if not distinct or v not in out:
                out.append(v)
        i += 1
    return np.asarray(out[:n], dtype=np.int64)


@lru_cache(maxsize=16)
def _diffusion_index(subkey: bytes, s: BloomSettings) -> np.ndarray:
    """(m, t) input indices XOR-ed into each output bit."""
    return np.stack([_words(subkey, f"diffusion\x00{j}", s.diffusion, s.m, distinct=True) for j in range(s.m)])


def _bigrams(name: str) -> list[str]:
    p = f"_{name}_"
    return sorted({p[i:i + 2] for i in range(len(p) - 1)})


def _date_tokens(iso: str) -> list[str]:
    y, mo, d = iso[:4], iso[5:7], iso[8:10]
    return [f"y:{y}", f"m:{mo}", f"d:{d}", "dm:" + "".join(sorted([d, mo]))]


def encode_bloom(
    elements: Sequence[Sequence[str]], key: bytes, column: str, settings: BloomSettings = SETTINGS
) -> np.ndarray:
    """Bloom filters of element sets (bigrams or date tokens), hardened by the keyed diffusion layer.

    Parameters
    ----------
    elements : sequence of sequences of str
        One element set per value (empty: an all-zero filter).
    key : bytes
    column : str
        The output column (its sub-key salts the field).
    settings : BloomSettings

    Returns
    -------
    ndarray of bool, shape (n_values, m)

    References
    ----------
    Schnell, Bachteler & Reiher (2009) BMC Med Inform Decis Mak 9:41 (bigram Bloom
    filters); random hashing instead of double hashing after Niedermeyer et al. (2014),
    Cryptologia 38:302-322; diffusion after Armknecht, Heng & Schnell (2023), PoPETs
    2023(2):298-311.
    """
    sk = _subkey(key, column)
    ids: dict[str, int] = {}
    row_of, el_of = [], []
    for r, els in enumerate(elements):
        for e in els:
            row_of.append(r)
            el_of.append(ids.setdefault(e, len(ids)))
    bits = np.zeros((len(elements), settings.m), dtype=bool)
    if ids:
        table = np.stack([_words(sk, e, settings.k, settings.m) for e in ids])  # (n_elements, k), one per element
        bits[np.repeat(np.asarray(row_of), settings.k), table[np.asarray(el_of)].ravel()] = True
    if settings.diffusion:
        idx = _diffusion_index(sk, settings)
        out = bits[:, idx[:, 0]].copy()
        for c in range(1, idx.shape[1]):
            out ^= bits[:, idx[:, c]]
        bits = out
    return bits


def _to_base64(bits: np.ndarray, empty: np.ndarray) -> list[str]:
    packed = np.packbits(bits, axis=1, bitorder="big")
    return ["" if e else base64.b64encode(row.tobytes()).decode("ascii") for row, e in zip(packed, empty)]


def decode_bloom(values: Sequence[str], m: int = SETTINGS.m) -> np.ndarray:
    """Stored filters (base64) back to bits, shape (n, m); ``""`` gives an all-zero row.

    Raises
    ------
    ValueError
        A value that is not base64 of ceil(m / 8) bytes.
    """
    nbytes = (m + 7) // 8
    out = np.zeros((len(values), nbytes), dtype=np.uint8)
    for i, v in enumerate(values):
        if v:
            b = base64.b64decode(v, validate=True)
            if len(b) != nbytes:
                raise ValueError(f"filter {i} has {len(b)} bytes, expected {nbytes}")
            out[i] = np.frombuffer(b, dtype=np.uint8)
    return np.unpackbits(out, axis=1, bitorder="big")[:, :m].astype(bool)


def bloom_dice(a: str, b: str, m: int = SETTINGS.m) -> float:
    """Dice similarity ``2|a AND b| / (|a| + |b|)`` of two stored filters; NaN if either is empty (missing)."""
    if not a or not b:
        return float("nan")
    x, y = decode_bloom([a, b], m)
    tot = x.sum() + y.sum()
    return float(2 * (x & y).sum() / tot) if tot else float("nan")


# ----------------------------------------------------------------------------- pseudonymise
def _token(sk: bytes, value: str) -> str:
    return hmac.digest(sk, value.encode("utf-8"), "sha256").hex()[:_TOKEN_HEX] if value else ""


def _tokens(values: pd.Series, key: bytes, column: str) -> np.ndarray:
    codes, uniq = pd.factorize(values, sort=False)
    sk = _subkey(key, column)
    enc = np.array([_token(sk, str(u)) for u in uniq], dtype=object)
    return enc[codes] if len(uniq) else np.full(len(values), "", dtype=object)


def _bloom_column(values: pd.Series, key: bytes, column: str, kind: str, settings: BloomSettings) -> np.ndarray:
    codes, uniq = pd.factorize(values, sort=False)
    els = [(_bigrams(u) if kind == "name" else _date_tokens(u)) if u else [] for u in map(str, uniq)]
    enc = np.empty(len(uniq), dtype=object)
    step = 20000  # bounded memory: (step, m) booleans per chunk
    for a in range(0, len(uniq), step):
        bits = encode_bloom(els[a:a + step], key, column, settings)
        enc[a:a + step] = _to_base64(bits, np.array([not e for e in els[a:a + step]]))
    return enc[codes] if len(uniq) else np.full(len(values), "", dtype=object)


def _map_unique(values: pd.Series, fn) -> pd.Series:
    codes, uniq = pd.factorize(values, sort=False)
    out = np.array([fn(u) for u in uniq], dtype=object)
    return pd.Series(out[codes] if len(uniq) else np.full(len(values), "", dtype=object), index=values.index)


def pseudonymise(
    data: str | Path | pd.DataFrame, key: bytes, *, encode_all: bool = False, settings: BloomSettings = SETTINGS,
    keep: Sequence[str] | str | None = None,
) -> pd.DataFrame:
    """Replace the identifying fields of plaintext registrations by keyed tokens and hardened Bloom filters.

    Parameters
    ----------
    data : path or DataFrame
        Plaintext registrations (validated by :func:`.read_registrations`).
    key : bytes
        The shared secret key (at least 16 bytes; see :func:`load_key`).
    encode_all : bool
        Also drop ``sex`` and ``nationality`` in clear (their tokens remain).
    settings : BloomSettings
        Leave the default: every organisation must encode alike.
    keep : sequence of str or comma-separated str, optional
        Clear columns you vouch for (``--keep-clear``): not refused or warned about by the checks of
        :mod:`.clear_columns`.

    Returns
    -------
    DataFrame, shape (n_registrations, ...)
        ``record_id, organisation, registration_date``, [``sex, nationality`` as given], the
        covariates in their original order, then ``bf_first_name, bf_surname,
        bf_date_of_birth``, the ``tok_*`` tokens, the ``tok_block_*`` tokens, the date-part and
        folded-name tokens, ``key_id`` and ``bf_settings`` (the contract in the module docstring, which this function's name hides from
        ``import``: ``help(sys.modules["darkfigure.linkage.pseudonymise"])``). ``attrs["warnings"]``: placeholder names ("Unknown",
        encoded as missing) and names without letters, for the organisation to fix at the source; covariates
        kept in clear, named as free text or identifier-like where they look so
        (:func:`.clear_columns.clear_column_warnings`). Each is also raised as a
        :class:`.clear_columns.PseudonymisationWarning` (a ``UserWarning``).

    Raises
    ------
    PseudonymisationError
        A key that is not bytes, or shorter than 16 bytes (:func:`.keys.check_key`); input already
        pseudonymised; a clear column (``record_id`` included) that
        holds the row's own first name, surname or date of birth on at least 5% and 3 of the rows
        (:func:`.clear_columns.identifying_columns`), unless named in `keep`; a `keep` name that is not a
        clear column.
    RegistrationError
        Invalid registrations (missing columns, bad dates, ...).
    """
    key = check_key(key)  # bytes of 16 or more; text, a file name or None told what to do (tester 13b, L4)
    data = as_registration_frame(data)  # polars too (tester 13b, M2)
    if isinstance(data, pd.DataFrame) and set(IDENTIFIER_COLUMNS).isdisjoint(data.columns) and (
        "key_id" in data.columns or any(str(c).startswith(("bf_", "tok_")) for c in data.columns)
    ):
        raise PseudonymisationError("the registrations are already pseudonymised; pseudonymise the plaintext file")
    regs = read_registrations(data)
    src = regs.attrs["source"]
    if regs.attrs["kind"] == "pseudonymised":
        raise PseudonymisationError(f"{src} is already pseudonymised (it has key_id and encodings, no names)")

    # "Unknown", "NN", "XXX" encoded as missing names, as link reads them in plaintext (placeholder_names)
    first, last = (regs[c].where(~placeholder_mask(regs[c]), "") for c in ("first_name", "surname"))
    fn = _map_unique(first, first_name_form)
    sn = normalise_names(last, True, first).str.replace(" ", "", regex=False)
    dob = regs["date_of_birth"].astype(str)
    # 1900-01-01 and the like stand for "unknown" in many systems: encoded as missing, as link treats them
    dob = dob.where((dob == "") | (dob >= PLACEHOLDER_BEFORE.strftime("%Y-%m-%d")), "")
    # one name + date on implausibly many registrations: a default identity, encoded as missing (default_identities)
    hit, said_identity = plain_default_identities(regs, fn, sn, dob)
    fn, sn, dob = (v.where(~hit, "") for v in (fn, sn, dob))
    year = dob.str[:4]
    # nothing identifying may stay in clear: refused before any encoding (tester 13b, H1)
    clear = clear_columns_of(regs, encode_all)
    kept = resolve_keep(keep, clear)
    refuse_identifying_columns(identifying_columns(regs, [c for c in clear if c not in kept], fn, sn, dob))
    sex = _map_unique(regs["sex"], normalise_sex)
    nat = _map_unique(regs["nationality"], normalise_nationality)

    def joined(*parts: pd.Series, sep: str = "|") -> pd.Series:
        """Parts joined by sep row by row; '' where any part is empty (no blocking key)."""
        ok = np.logical_and.reduce([(p != "").to_numpy() for p in parts])
        s = parts[0].astype(str)
        for p in parts[1:]:
            s = s + sep + p.astype(str)
        return s.where(ok, "")

    lo = pd.Series(np.where(fn.to_numpy() <= sn.to_numpy(), fn, sn), index=regs.index)
    hi = pd.Series(np.where(fn.to_numpy() <= sn.to_numpy(), sn, fn), index=regs.index)
    initials = pd.Series(["".join(sorted(x)) for x in zip(fn.str[:1], sn.str[:1])], index=regs.index, dtype=object)
    initials = initials.where((fn != "") & (sn != ""), "")
    fsx, ssx = _map_unique(fn, lambda v: _soundex(v) or ""), _map_unique(sn, lambda v: _soundex(v) or "")

    def pair(a: pd.Series, b: pd.Series) -> pd.Series:
        """a and b sorted and joined by '|' row by row (equal when the names were swapped); '' if either is empty."""
        av, bv = a.to_numpy(dtype=object), b.to_numpy(dtype=object)
        return joined(pd.Series(np.where(av <= bv, av, bv), index=a.index),
                      pd.Series(np.where(av <= bv, bv, av), index=a.index))

    mo, dd = dob.str[5:7], dob.str[8:10]
    md = dob.str[5:10]
    has = dob != ""
    yi = pd.to_numeric(year.where(has), errors="coerce")
    mi, di = pd.to_numeric(mo.where(has), errors="coerce"), pd.to_numeric(dd.where(has), errors="coerce")

    def window(v: pd.Series, width: int, offset: int) -> pd.Series:
        """floor((v + offset) / width) as text, '' where v is missing: values within width-1 share a window."""
        w = ((v + offset) // width).astype("Int64").astype(str)
        return w.where(has, "")

    dob_parts = {
        "tok_dob_swap": joined(year, pair(mo, dd)),
        **{f"tok_dob_md_y{o}": joined(md, window(yi, 3, o)) for o in range(3)},
        **{f"tok_dob_ym_d{o}": joined(dob.str[:7], window(di, 3, o)) for o in range(3)},
        **{f"tok_dob_yd_m{o}": joined(year, dd, window(mi, 2, o)) for o in range(2)},
    }
    plain_tokens = {
        "tok_first_name": fn,
        "tok_surname": sn,
        "tok_date_of_birth": dob,
        "tok_birth_year": year,
        "tok_sex": sex,
        "tok_nationality": nat,
        "tok_block_sn_dob": joined(sn.str[:2], year),
        "tok_block_fn_dob": joined(fn.str[:2], year),
        "tok_block_fn_sn_sorted": joined(lo, hi),
        "tok_block_initials_dob": joined(initials, dob),
        "tok_block_sx_sorted": pair(fsx, ssx),
        "tok_block_p2_sorted": pair(fn.str[:2], sn.str[:2]),
        "tok_block_s2_sorted": pair(fn.str[-2:], sn.str[-2:]),
        "tok_block_sn_md": joined(sn, md.where(has, "")),
        "tok_block_fn_md": joined(fn, md.where(has, "")),
        "tok_block_sn_ym": joined(sn, dob.str[:7]),
        "tok_block_fn_ym": joined(fn, dob.str[:7]),
        "tok_block_sn_yd": joined(sn, year, dd),
        "tok_block_fn_yd": joined(fn, year, dd),
        "tok_block_sn_fnsx": joined(sn, fsx),
        "tok_block_fn_snsx": joined(fn, ssx),
        **dob_parts,
        **folded_name_values(fn, sn),  # names folded over romanisation systems, keyed as the others (pseudo_translit)
    }
    assert list(plain_tokens) == [*TOKEN_COLUMNS, *BLOCK_COLUMNS, *DOB_PART_COLUMNS, *FOLDED_TOKEN_COLUMNS]
    out: dict[str, object] = {c: regs[c].to_numpy() for c in ("record_id", "organisation", "registration_date")}
    if not encode_all:
        out["sex"] = regs["sex"].to_numpy()
        out["nationality"] = regs["nationality"].to_numpy()
    skip = {"record_id", "organisation", "registration_date", "sex", "nationality", *IDENTIFIER_COLUMNS}
    for c in regs.columns:
        if c not in skip:
            out[c] = regs[c].to_numpy()
    # both name filters with one sub-key (NAME_FILTER_LABEL): comparable across the fields, for swapped names
    out["bf_first_name"] = _bloom_column(fn, key, NAME_FILTER_LABEL, "name", settings)
    out["bf_surname"] = _bloom_column(sn, key, NAME_FILTER_LABEL, "name", settings)
    out["bf_date_of_birth"] = _bloom_column(dob, key, "bf_date_of_birth", "date", settings)
    for c, v in plain_tokens.items():
        out[c] = _tokens(v, key, c)
    out["key_id"] = key_id(key)
    out[SETTINGS_COLUMN] = settings_text(settings.m, settings.k, settings.diffusion)  # link refuses a mixture
    assert all(c in out for c in BLOOM_COLUMNS)
    res = pd.DataFrame(out)
    covariates = [c for c in clear if c not in ("record_id", "organisation", "registration_date", "sex",
                                                "nationality")]
    said = said_identity + source_name_warnings(regs) + clear_column_warnings(regs, covariates, kept)
    res.attrs = {"kind": "pseudonymised", "source": src, "key_id": key_id(key), "bloom_bits": settings.m,
                 "bloom_settings": res[SETTINGS_COLUMN].iloc[0] if len(res) else None,
                 "warnings": said}
    for w in said:  # a notebook shows Python warnings; attrs alone went unseen (tester 13b, H1)
        warnings.warn(w, PseudonymisationWarning, stacklevel=2)
    return res


def pseudonymise_file(
    src: str | Path, out: str | Path, key: bytes, *, encode_all: bool = False,
    keep: Sequence[str] | str | None = None,
) -> pd.DataFrame:
    """Pseudonymise registration file `src` into `out` (CSV or Parquet by its suffix), atomically.

    The output is written to a temporary file in the same folder and renamed, so a
    failure leaves nothing half-written (and an existing `out` untouched).

    `keep` is :func:`pseudonymise`'s (``--keep-clear``).

    Returns
    -------
    DataFrame
        What was written (see :func:`pseudonymise`).

    Raises
    ------
    PseudonymisationError
        `out` not .csv/.parquet, `out` the same file as `src`, a short key, already
        pseudonymised input; see :func:`pseudonymise` for invalid registrations.
    OSError
        The output folder cannot be written.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise PseudonymisationError(f"--out must end in .csv or .parquet, not {out.name!r}")
    if out.exists() and Path(src).exists() and out.resolve() == Path(src).resolve():
        raise PseudonymisationError("--out is the input file: write the pseudonymised registrations to a new file")
    res = pseudonymise(src, key, encode_all=encode_all, keep=keep)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        if suffix == ".csv":
            res.to_csv(tmp, index=False)
        else:
            res.to_parquet(tmp, index=False)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; give the usual permissions
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return res


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m
