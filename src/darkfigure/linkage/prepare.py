"""Registrations prepared for record linkage: read, normalised, blocked.

Reading the registration files or frames of :func:`darkfigure.linkage.link.link`;
normalised names (with Soundex), dates of birth (placeholders such as 1900-01-01 as
missing) and covariates for plaintext registrations, Bloom filters and tokens for
pseudonymised ones; exact-identity keys, term-frequency tables with Good-Turing
smoothing, and the blocking rules sized to a pair budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .age_dates import AGE_COLUMN, age_derived_mask
from .bloom_sql import decode_bloom_column
from .name_parts import blank_name_parts, name_part_warnings, prepared_name_parts
from .names import TRANSLITERATED_SCRIPTS, name_scripts, script_notes
from .placeholder_dates import frequent_dates_mask
from .placeholder_names import frequent_name_warnings, is_placeholder, placeholder_warnings
from .pseudo_translit import add_folded_full
from .registrations import normalise_names, normalise_nationality, normalise_sex
from .translit import translit_columns

#: columns that identify a person or a registration (never covariates)
IDENTIFIERS = ("record_id", "organisation", "registration_date", "first_name", "surname", "date_of_birth")
PLAIN_FIELDS = ("first_name", "surname", "date_of_birth")
BLOOM_FIELDS = ("bf_first_name", "bf_surname", "bf_date_of_birth")
#: dates of birth before this are placeholders (1900-01-01: "unknown" in many systems) and compared as missing
PLACEHOLDER_BEFORE = pd.Timestamp("1905-01-01")


# ---------------------------------------------------------------------------- input
def _read_inputs(files_or_frames, rename_organisations=None) -> tuple[pd.DataFrame, str]:
    """Read and validate registration files; return the stacked frame and its encoding.

    The frame's ``attrs`` hold ``notes`` and ``warnings`` about the set of files
    (:func:`~darkfigure.linkage.registrations.unify_organisations`).
    """
    from .frame_input import registration_inputs
    from .input_checks import coding_mismatch_warnings
    from .registrations import read_registration_files

    frames = read_registration_files(registration_inputs(files_or_frames), rename_organisations=rename_organisations)
    kind = frames[0].attrs["kind"]
    df = pd.concat([f.assign() for f in frames], ignore_index=True)
    # what read_registration_files found about the set (organisation spellings): link passes them on
    df.attrs = {"notes": list(frames[0].attrs.get("set_notes", [])),
                "warnings": list(frames[0].attrs.get("set_warnings", [])),
                # columns some files lack ({column: [file, ...]}): "police.csv has no column X" beats "X is empty"
                "absent_columns": {c: [f.attrs.get("source", "registrations") for f in frames if c not in f.columns]
                                   for c in df.columns if any(c not in f.columns for f in frames)}}
    df.attrs["warnings"] += coding_mismatch_warnings(df, "nationality")  # NL/MA at one, Dutch/Moroccan elsewhere
    return df, kind


# ---------------------------------------------------------------------------- preparation
_SOUNDEX = str.maketrans("bfpvcgjkqsxzdtlmnr", "111122222222334556")


def _soundex(s: str | None) -> str | None:
    """American Soundex of a normalised name (Knuth, TAOCP vol. 3), spaces removed."""
    if not s:
        return None
    s = s.replace(" ", "")
    if not s:
        return None
    codes = s.translate(_SOUNDEX)
    out, last = [s[0].upper()], codes[0]
    for ch, code in zip(s[1:], codes[1:]):
        if code.isdigit() and code != last:
            out.append(code)
        if ch not in "hw":
            last = code
        if len(out) == 4:
            break
    return "".join(out).ljust(4, "0")


def _map_unique(s: pd.Series, f) -> pd.Series:
    # names repeat a lot: map each distinct value once
    u = pd.unique(s.dropna())
    m = {v: f(v) for v in u}
    return s.map(m)


def _written(values: pd.Series) -> np.ndarray:
    """Whether each value is a string with something other than spaces (each distinct value tested once), shape (n,)."""
    return _name_cells(values)[1]


@lru_cache(maxsize=1 << 18, typed=True)
def _placeholder(value) -> bool:
    """:func:`~darkfigure.linkage.placeholder_names.is_placeholder`, remembered: link asks it of every distinct name
    three times (blanking, the letterless-name note, the nameless count), ~90,000 names per column at 1M
    registrations, about a second each time. Emptied by :func:`_nameless_by_organisation`, the last to ask."""
    return is_placeholder(value)


def _name_cells(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(placeholder, written) of each cell of a name column, bool arrays of shape (n,), each distinct value tested once.

    placeholder: :func:`~darkfigure.linkage.placeholder_names.placeholder_mask` ("Unknown", "XXX"); written: a string
    with something other than spaces (:func:`_written`). Missing cells are neither.
    """
    codes, uniq = pd.factorize(values.astype(object), use_na_sentinel=True)
    held = np.array([_placeholder(v) for v in uniq] + [False], dtype=bool)
    given = np.array([isinstance(v, str) and v.strip() != "" for v in uniq] + [False], dtype=bool)
    return held[codes], given[codes]  # code -1 (missing) takes the last, False


def _letterless_names(df: pd.DataFrame, prep: pd.DataFrame) -> list[str]:
    """Notes on names given but made only of symbols, digits or emoji (nothing left after normalisation), and on names
    written in a non-Latin script (transliterated: :func:`~darkfigure.linkage.names.fold_ascii`).

    They are compared as missing names; saying so keeps a broken export (``###``, ``??``,
    emoji) from passing silently as unknown names.
    """
    out = []
    scripts = {c: name_scripts(df[c]) for c in ("first_name", "surname")}  # said, never "no letters" (s23)
    out += script_notes(df, scripts)
    undated = prep["dob"].isna().groupby(df["organisation"].astype(str).to_numpy(), sort=False).agg(["sum", "size"])
    for org, (_, n) in undated[(undated["sum"] == undated["size"]) & (undated["sum"] < len(prep))].iterrows():
        # a note, not a warning: some organisations never record a date (new-user test s23, finding 2)
        out.append(f"organisation {org!r} gave no date of birth on any of its {n:,} registrations: its links rest "
                   "on the names, sex, nationality and registration dates, and its namesakes cannot be told apart "
                   f"(if it records dates, check its export for an empty or renamed date_of_birth column)")
    default = np.zeros(len(prep), dtype=bool)  # a default identity's names have letters: blanked, warned apart
    default[list((prep.attrs.get("default_identities") or {}).get("rows", ()))] = True
    for col, key in (("first_name", "fn"), ("surname", "sn")):
        held, given = _name_cells(df[col])
        bad = given & pd.isna(prep[key]).to_numpy() & ~held & ~default & (scripts[col] == "")  # placeholders: warned
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            org = df["organisation"].iloc[i] if "organisation" in df.columns else "?"
            out.append(
                f"{int(bad.sum()):,} registration(s) have a {col} with no letters (e.g. {df[col].iloc[i]!r}, "
                f"record {df['record_id'].iloc[i]!r} of {org}); compared as a missing {col}, which weakens their "
                "linkage: check the export of those files"
            )
    return out


#: share of an organisation's registrations without a usable name above which link warns (not only notes)
NAMELESS_WARNING_SHARE = 0.2


def _nameless_by_organisation(df: pd.DataFrame, prep: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
    """Per organisation, the registrations without a usable name: no first name and no surname after normalisation.

    Parameters
    ----------
    df : the registrations, shape (n, ...), with ``organisation`` (and, plaintext, ``first_name``/``surname``).
    prep : the prepared registrations in the same order, shape (n, ...).
    fields : the two prepared name columns (``fn``, ``sn``; pseudonymised: ``tok_first_name``, ``tok_surname``).

    Returns
    -------
    DataFrame, one row per organisation (first-seen order)
        ``organisation``, ``registrations``, ``without_names`` (neither name usable),
        ``given_without_letters`` (of those, a name was written but had no letters: emoji,
        ``###``; plaintext only, else 0), ``placeholders`` (registrations with a placeholder name such as
        "Unknown", read as missing: :mod:`.placeholder_names`; plaintext only), ``default_identity`` (registrations
        of a default identity, read as missing: :mod:`.default_identities`; plaintext only) and ``share``
        (without_names / registrations). ``attrs["warnings"]``: the default identities, placeholders and
        over-frequent names per organisation.
    """
    none = np.ones(len(prep), dtype=bool)
    for c in fields:
        if c in prep.columns:
            none &= prep[c].isna().to_numpy()
    given, held, script = (np.zeros(len(prep), dtype=bool) for _ in range(3))
    for c in ("first_name", "surname"):
        if c in df.columns:
            h, g = _name_cells(df[c])
            given |= g
            held |= h
            sc = name_scripts(df[c])  # letters of a script compared as missing (Arabic, ...): not "without letters"
            script |= (sc != "") & ~np.isin(sc, list(TRANSLITERATED_SCRIPTS))
    org = df["organisation"].astype(str).to_numpy()
    # taken out of the attrs: pandas copies attrs with every operation on the frame
    found = prep.attrs.pop("default_identities", None) or {"rows": (), "warnings": _encoded_defaults(prep, df)}
    default = np.zeros(len(prep), dtype=bool)
    default[list(found["rows"])] = True
    t = pd.DataFrame({"organisation": org, "registrations": 1, "without_names": none.astype(int),
                      "given_without_letters": (none & given & ~held & ~default & ~script).astype(int),
                      "other_script": (none & script & ~held & ~default).astype(int),
                      "placeholders": held.astype(int), "default_identity": (default & ~held).astype(int)})
    t = t.groupby("organisation", sort=False).sum().reset_index()
    t["share"] = t["without_names"] / t["registrations"]
    full, dob = ("full_name", "dob") if "full_name" in prep.columns else ("tok_full", "tok_date_of_birth")
    shown = (df["first_name"].astype(str) + " " + df["surname"].astype(str)).to_numpy() if "surname" in df else None
    # placeholder_warnings tests every name again: only where a placeholder is held (it says nothing otherwise)
    t.attrs["warnings"] = list(found["warnings"]) + (placeholder_warnings(df) if held.any() else []) + (
        frequent_name_warnings(
        org, prep[full].to_numpy(dtype=object), prep[dob].to_numpy(dtype=object) if dob in prep else None, shown)
        if full in prep.columns else [])
    # a surname or first name on most of one organisation's persons and rare elsewhere (name_parts)
    parts = prep.attrs.pop("name_parts", None)
    t.attrs["warnings"] += name_part_warnings(prepared_name_parts(prep, df) if parts is None else pd.DataFrame(parts),
                                              blanked=parts is not None)
    _placeholder.cache_clear()  # the names it holds are not needed after the preparation
    return t


def _encoded_defaults(prep: pd.DataFrame, df: pd.DataFrame | None = None) -> list[str]:
    """Warnings for default identities in pseudonymised registrations (identical name and date tokens on implausibly
    many of one organisation's registrations: :mod:`.default_identities`); encoded, they cannot be read as missing.
    Files with Bloom filters only (no ``tok_`` columns) are checked on the filters as written in `df` (one key and
    one identity give one filter; review s18, L2)."""
    from .default_identities import default_identities, default_identity_warnings

    if "org" not in prep.columns:
        return []
    if {"tok_full", "tok_date_of_birth"} <= set(prep.columns):
        full, dob = (prep[c].astype(object) for c in ("tok_full", "tok_date_of_birth"))
    elif df is not None and set(BLOOM_FIELDS) <= set(df.columns):
        f, s, d = (df[c].astype("string").str.strip().reset_index(drop=True) for c in BLOOM_FIELDS)
        f, s, d = (x.where(x != "").astype(object) for x in (f, s, d))
        full, dob = (f + "|" + s).where(f.notna() & s.notna(), None), d
    else:
        return []
    attrs = {c: prep[c].to_numpy(dtype=object) for c in ("sex", "nat") if c in prep.columns}
    table = default_identities(prep["org"].to_numpy(), (full + "|" + dob).where(full.notna() & dob.notna(), None),
                               attrs)
    shown = {v: "the same encoded names and date of birth" for v in table["identity"]}
    return default_identity_warnings(table, shown, "pseudonymised")


def _nameless_warnings(table: pd.DataFrame) -> list[str]:
    """Warnings for the organisations of which at least :data:`NAMELESS_WARNING_SHARE` of the registrations have no
    usable name (:func:`_nameless_by_organisation`): their linkage rests on the other fields alone."""
    out = list(table.attrs.get("warnings", []))
    for r in table.itertuples(index=False):
        if r.without_names == 0 or r.share < NAMELESS_WARNING_SHARE:
            continue
        why = (f", {r.given_without_letters:,} of them written without letters (emoji, symbols or digits only)"
               if r.given_without_letters else "")
        why += (f", {r.other_script:,} written in a script compared as missing (see the note on scripts)"
                if getattr(r, "other_script", 0) else "")
        why += f", or a placeholder such as 'Unknown' ({r.placeholders:,} registrations)" if r.placeholders else ""
        why += (f", or a default identity read as missing ({r.default_identity:,} registrations)"
                if getattr(r, "default_identity", 0) else "")
        cause = ("every name is missing: a wrong encoding or column, or names removed on purpose"
                 if r.share >= 0.99 else "names left empty or unreadable")
        if getattr(r, "other_script", 0) >= r.without_names / 2:
            cause = "names in a script without a reliable Latin form: ask for them in Latin letters"
        rest = "the date of birth, "
        if getattr(r, "default_identity", 0) >= r.without_names:
            cause = "one identity written for every unknown person: see the warning on its default identity"
            rest = ""  # its date is read as missing too
        out.append(
            f"organisation {r.organisation!r}: {r.without_names:,} of its {r.registrations:,} registrations "
            f"({r.share:.0%}) have no usable name (first name and surname both empty or without letters{why}). Their "
            f"linkage rests on {rest}sex, nationality, registration date and covariates only: links to "
            f"and from {r.organisation!r} are missed or false far more often, and N̂ is biased. Check the export of "
            f"{r.organisation!r} ({cause}) and run link again with the names")
    return out


def _arrow_strings(values) -> pa.Array:
    """A column of str (None, NaN or "" for missing) as an Arrow string array with nulls for the missing values."""
    a = pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True)
    return pc.if_else(pc.equal(a, ""), pa.scalar(None, pa.string()), a)


def _arrow_map(a: pa.Array, f) -> pa.Array:
    """``f`` applied once to each distinct non-null value of the string array `a` (None from f: null); nulls stay."""
    u = pc.unique(a).drop_null()
    vals = pa.array([f(v) for v in u.to_pylist()], type=pa.string())
    return pc.take(vals, pc.index_in(a, value_set=u))


def _ordered_join(a: pa.Array, b: pa.Array, sep: str) -> pa.Array:
    """The smaller and the larger of a and b joined by `sep` (null where either is null): an order-free key."""
    le = pc.less_equal(a, b)
    return pc.binary_join_element_wise(pc.if_else(le, a, b), pc.if_else(le, b, a), sep)


def _string_column(a: pa.Array) -> pd.arrays.ArrowStringArray:
    """An Arrow string array as pandas' ``str`` column (Arrow storage, missing as NaN), without a copy."""
    return pd.arrays.ArrowStringArray(pa.chunked_array([a], type=pa.string()),
                                      dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def _blank_default_identities(df: pd.DataFrame, fn: pa.Array, sn: pa.Array, dob: pd.Series):
    """The normalised names and dates with the default identities (:mod:`.default_identities`) read as missing.

    Parameters
    ----------
    df : plaintext registrations (``organisation``, ``first_name``, ``surname``), shape (n, ...).
    fn, sn : normalised first names and surnames (Arrow strings, null when missing), shape (n,).
    dob : dates of birth (datetime, NaT when missing or a placeholder), shape (n,).

    Returns
    -------
    (fn, sn, dob, found): the three with null/NaT on the registrations of a default identity, and ``found``, a dict
    ``{"rows": tuple of their row positions, "warnings": list of str, "by_organisation": {organisation: count}}``
    (tuples, not arrays: ``attrs`` are compared by pandas when frames are concatenated).
    """
    from .default_identities import plain_default_identities

    known = dob.notna().to_numpy()
    iso = np.datetime_as_string(dob.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]"), unit="D")
    iso = np.where(known, iso.astype(object), "")
    hit, warnings = plain_default_identities(
        df, *(a.to_numpy(zero_copy_only=False).astype(object) for a in (fn, sn)), iso, where="link")
    if not hit.any():
        return fn, sn, dob, {"rows": (), "warnings": [], "by_organisation": {}}
    drop = pa.array(hit)
    fn, sn = (pc.if_else(drop, pa.scalar(None, pa.string()), a) for a in (fn, sn))
    org = df["organisation"].astype(str).to_numpy(dtype=object)
    found = {"rows": tuple(int(i) for i in np.flatnonzero(hit)), "warnings": warnings,
             "by_organisation": {str(k): int(v) for k, v in pd.Series(org[hit]).value_counts().items()}}
    return fn, sn, dob.where(~hit), found


def _prepare_plain(df: pd.DataFrame) -> pd.DataFrame:
    """The compared and blocking columns of plaintext registrations, one row per registration (Arrow strings).

    Every column is computed on Arrow arrays (each distinct name once where Python is needed: the normalisation,
    Soundex codes, sorted letters), not row by row in Python: a million registrations in seconds.
    """
    p = pd.DataFrame({"uid": np.arange(len(df), dtype=np.int64)})
    # the normalisation pseudonymisation applies, so that both kinds of file compare the same strings
    # (spaces dropped as the encoders drop them: "Jan-Willem" = "Janwillem")
    # particles are dropped from first names too: a swapped "van der Berg" then still reads "berg"
    # the other name tells the Vietnamese middle name "Van" from the Dutch particle (normalise_name)
    # "Unknown" and the like: missing (placeholder_names.blank_placeholders)
    first, last = (df[c].astype(object).where(~_name_cells(df[c])[0], None) for c in ("first_name", "surname"))
    fn = _arrow_strings(pc.replace_substring(_arrow_strings(normalise_names(first, True, last)), " ", ""))
    sn = _arrow_strings(pc.replace_substring(_arrow_strings(normalise_names(last, True, first)), " ", ""))
    dob = pd.to_datetime(df["date_of_birth"], errors="coerce", format="%Y-%m-%d")
    # 1900-01-01 and the like are a system's "unknown", not a date: compared as missing; so is a date given to an
    # implausible share of one organisation's registrations (placeholder_dates)
    dob = dob.where((dob >= PLACEHOLDER_BEFORE).to_numpy() & ~frequent_dates_mask(df))
    # one name + date on implausibly many of an organisation's registrations: a default identity, its names and
    # date read as missing as well (default_identities)
    fn, sn, dob, p.attrs["default_identities"] = _blank_default_identities(df, fn, sn, dob)
    # a surname or first name on most of one organisation's persons and rare elsewhere: read as missing, with a
    # warning (name_parts)
    # (kept as records: pandas compares and copies attrs, which a DataFrame there would break)
    fn, sn, parts = blank_name_parts(df, fn, sn, dob)
    p.attrs["name_parts"] = parts.to_dict("records")
    fn_sx, sn_sx = _arrow_map(fn, _soundex), _arrow_map(sn, _soundex)
    cols: dict[str, pa.Array] = {
        "fn": fn, "sn": sn, "fn_sx": fn_sx, "sn_sx": sn_sx,
        "fn_srt": _arrow_map(fn, lambda v: "".join(sorted(v))), "sn_srt": _arrow_map(sn, lambda v: "".join(sorted(v))),
        "fn_sxt": pc.utf8_slice_codeunits(fn_sx, 1), "sn_sxt": pc.utf8_slice_codeunits(sn_sx, 1),
        # order-free keys catch swapped first name and surname in blocking
        "name_pair": _ordered_join(fn, sn, "|"),
        "full_name": pc.binary_join_element_wise(fn, sn, "|"),
    }
    cols |= translit_columns(fn, sn)  # names folded over romanisation systems (Sjevtsjenko / Shevchenko)
    known = dob.notna().to_numpy()
    iso = np.datetime_as_string(dob.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]"), unit="D")
    iso = pa.array(iso.astype(object), type=pa.string(), mask=~known)
    mo, dy = pc.utf8_slice_codeunits(iso, 5, 7), pc.utf8_slice_codeunits(iso, 8, 10)
    cols |= {
        "dob": iso, "dob_y": pc.utf8_slice_codeunits(iso, 0, 4), "dob_m": mo, "dob_d": dy,
        "dob_md": pc.utf8_slice_codeunits(iso, 5, 10),
        # month and day in either order ("01-10" for both 10 January and 1 October): a blocking key that survives a
        # day/month swap
        "dob_mdx": _ordered_join(mo, dy, "-"),
        # "1" where the date is probably derived from an age (a day-month far too frequent in its organisation):
        # compared by its year alone (0, 1 or 2 years apart) where the dates are not exactly equal (age_dates)
        AGE_COLUMN: pa.array(np.where(known & age_derived_mask(df), "1", None), type=pa.string()),
    }
    # first and last two letters: blocking keys that survive a typo at the other end of the name
    for c, v in (("fn", fn), ("sn", sn)):
        cols[f"{c}_p2"] = pc.utf8_slice_codeunits(v, 0, 2)
        cols[f"{c}_s2"] = pc.utf8_slice_codeunits(v, -2)
    cols["fn1"], cols["sn1"] = pc.utf8_slice_codeunits(fn, 0, 1), pc.utf8_slice_codeunits(sn, 0, 1)
    # the two initials in order ("" for a missing name; null when both are missing)
    f1, s1 = pc.fill_null(cols["fn1"], ""), pc.fill_null(cols["sn1"], "")
    ini = pc.binary_join_element_wise(pc.min_element_wise(f1, s1), pc.max_element_wise(f1, s1), "")
    cols["ini"] = pc.if_else(pc.equal(ini, ""), pa.scalar(None, pa.string()), ini)
    for c, a in cols.items():
        p[c] = _string_column(a)
    for c, dst, f in (("sex", "sex", normalise_sex), ("nationality", "nat", normalise_nationality)):
        if c in df.columns:
            p[dst] = _map_unique(df[c].astype(object), lambda v, f=f: f(v) or None).to_numpy()
    # registration date as a day number: one person's registrations by several organisations follow one case
    reg = pd.to_datetime(df["registration_date"], errors="coerce", format="%Y-%m-%d")
    p["reg_day"] = pd.array((reg - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=float), dtype="Int64")
    p["org"] = df["organisation"].astype(str).to_numpy()  # registered by one organisation or two (same_organisation)
    # date of birth as a day number: the "within 62 days" date level (an approximate date a few weeks off)
    p["dob_day"] = pd.array((dob - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=float), dtype="Int64")
    return _compact(p)


#: share of registrations (with both values) in which a covariate takes its nationality's commonest value, above
#: which the covariate is taken to restate the nationality (e.g. a nationality group) and is not used as evidence
REDUNDANT_WITH_NATIONALITY = 0.98


def _evidence_columns(df: pd.DataFrame, covs: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """The person-level covariates compared as evidence, as columns ``ev0, ev1, ...`` (lower case, missing as null).

    Covariates other than sex and nationality (compared already) that a person keeps
    across registrations (age group, form of exploitation) tell namesakes apart when a
    date of birth is missing. Left out: covariates that restate the nationality
    (:data:`REDUNDANT_WITH_NATIONALITY`; counting them would count the nationality twice)
    and those with a single value. Returns the columns and their covariate names.
    """
    out = pd.DataFrame(index=df.index)
    used: list[str] = []
    nat = df["nationality"].astype(object) if "nationality" in df.columns else None
    for c in covs:
        if c in ("sex", "nationality") or c not in df.columns:
            continue
        v = df[c].astype(object)
        v = _map_unique(v, lambda x: str(x).strip().lower() if str(x).strip() else None).astype(object)
        v = v.where(v.notna(), None)
        if v.nunique(dropna=True) < 2:
            continue
        if nat is not None:
            both = v.notna() & nat.notna() & (nat.astype(str).str.strip() != "")
            if both.sum() > 0:
                top = pd.DataFrame({"n": nat[both], "v": v[both]}).value_counts().groupby(level=0).max().sum()
                if top / both.sum() >= REDUNDANT_WITH_NATIONALITY:
                    continue
        out[f"ev{len(used)}"] = v.to_numpy()
        used.append(c)
    return out, used


def _compact(p: pd.DataFrame) -> pd.DataFrame:
    # text columns as Arrow strings: a third of the memory of Python str objects on a million rows, and
    # DuckDB reads them without conversion
    for c in p.columns:
        if p[c].dtype == object:
            p[c] = p[c].astype("string[pyarrow]")
    return p


def _prepare_pseudo(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    p = pd.DataFrame({"uid": np.arange(len(df), dtype=np.int64)})
    widths: dict[str, int] = {}
    for c in BLOOM_FIELDS:
        if c in df.columns:
            dec, w = decode_bloom_column(df[c].reset_index(drop=True), c)
            widths[c] = w
            p = pd.concat([p, dec], axis=1)
    for c in [c for c in df.columns if str(c).startswith("tok_")]:
        s = df[c].astype("string").str.strip().reset_index(drop=True)
        p[c] = s.where(s.notna() & (s != ""), None).astype(object).to_numpy()
    if {"tok_first_name", "tok_surname"} <= set(p.columns):
        both = p["tok_first_name"].notna() & p["tok_surname"].notna()
        full = p["tok_first_name"].fillna("") + "|" + p["tok_surname"].fillna("")
        p["tok_full"] = full.where(both, None).astype(object)
    add_folded_full(p)  # the folded names' tokens, as tok_full (files pseudonymised before them: nothing)
    for c, dst, f in (("sex", "sex", normalise_sex), ("nationality", "nat", normalise_nationality)):
        if c in df.columns:
            p[dst] = _map_unique(df[c].astype(object).reset_index(drop=True), lambda v, f=f: f(v) or None).to_numpy()
    # the registration date is kept in clear: compared as for plaintext (registration_gap)
    reg = pd.to_datetime(df["registration_date"].reset_index(drop=True), errors="coerce", format="%Y-%m-%d")
    p["reg_day"] = pd.array((reg - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=float), dtype="Int64")
    p["org"] = df["organisation"].astype(str).to_numpy()  # as for plaintext (same_organisation)
    return _compact(p), widths


def _identity_key(p: pd.DataFrame, identity: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Identity label of each registration (its identifying values joined) and whether all were present."""
    complete = np.ones(len(p), dtype=bool)
    key = pd.Series("", index=p.index, dtype=object)
    for c in identity:
        complete &= p[c].notna().to_numpy()
        key = key + "|" + p[c].fillna("").astype(str)
    return key.to_numpy(dtype=object), complete


def _good_turing(r: np.ndarray, upto: int = 5, table: bool = False) -> np.ndarray:
    """Expected population count of values seen r times: Good's (1953) r* = (r + 1) n_{r+1} / n_r for small r.

    n_r is the number of values seen exactly r times (here: carried by r distinct
    identities). A name carried by one person in the register is on average rarer in
    the population than 1 per N (Good 1953, Biometrika 40:237-264): its expected count
    is 2 n_2 / n_1. Used for r <= `upto` where n_r and n_{r+1} are both positive, clipped
    to [0.05, r] and made non-decreasing in r, and at least r - 1/2 for r >= 2; otherwise r* = r - 1/2.
    With `table`, the array of r* for r = 0 .. max(r) + 1 (index = r) instead of r* per value.
    """
    r = np.asarray(r, dtype=np.int64)
    nr = np.bincount(r, minlength=upto + 3).astype(float)
    star = np.arange(nr.size, dtype=float) - 0.5
    for k in range(1, upto + 1):
        if nr[k] > 0 and nr[k + 1] > 0:
            star[k] = min(max((k + 1) * nr[k + 1] / nr[k], 0.05), k)
    star[1:upto + 2] = np.maximum.accumulate(star[1:upto + 2])
    # a value seen r >= 2 times is carried by at least r - 1 other persons beside any one of them: (r + 1) n_{r+1}
    # / n_r is too noisy there when few values are seen r + 1 times
    star[2:] = np.maximum(star[2:], np.arange(2, star.size) - 0.5)
    return star if table else star[r]


def _tf_tables(p: pd.DataFrame, columns: Sequence[str], key: np.ndarray, complete: np.ndarray) -> dict[str, pd.DataFrame]:
    """Value-specific u probabilities for the term-frequency adjustment of exact-agreement levels.

    Splink's term-frequency adjustment replaces the average u of an exact-agreement level
    by a value-specific one (Winkler 1989, "Frequency-based matching in the
    Fellegi-Sunter model of record linkage"), by default the value's share of all
    records. In a register of a few thousand persons that is wrong twice over: a person
    registered three times makes their own rare name look three times as common, and
    the value itself is counted although the question is how likely *another* person is
    to carry it. Here n_v = the number of distinct persons (`key`: a label per
    registration; registrations with ``complete`` False count only for values that no
    complete one carries) that carry value v, N = the number of distinct persons, and
    ``u_v = n_v* / N`` with n_v* the Good–Turing expected count of a value seen n_v
    times (:func:`_good_turing`): a name carried by one person is rarer than 1/N.

    A person registered under two dates of birth far apart is two identities: their name
    counts twice. Where the registers show more such same-name pairs than namesakes explain
    (:func:`~darkfigure.linkage.date_conflicts.conflict_counts`, significant), each pair
    counts as ``1 - s`` extra persons of its values instead of 1, with s the estimated chance
    that the pair is one person: 1 - the namesake pairs its name group would hold (first name
    and surname independent within sex × nationality) over the group's such pairs (counts
    rounded before Good–Turing's frequencies of frequencies, interpolated after).

    Returns {column: DataFrame(column, tf_column)} for Splink's
    ``register_term_frequency_lookup``.
    """
    from .date_conflicts import conflict_counts

    total = max(int(pd.unique(key[complete]).size), 1)
    split = conflict_counts(p, pairs=True) if {"fn", "sn", "dob_day"} <= set(p.columns) else None
    use = split is not None and split["significant"] and split["observed"] > 0
    out = {}
    for c in columns:
        d = pd.DataFrame({c: p[c].to_numpy(), "k": key, "ok": complete}).dropna(subset=[c])
        n = d[d["ok"]].drop_duplicates([c, "k"]).groupby(c, sort=False).size()
        n = n.reindex(pd.unique(d[c]), fill_value=0).clip(lower=1).astype(float)
        if use and c in ("fn", "sn", "full_name"):  # a date is not counted twice: the person's two dates differ
            v = pd.Series(split["one_person"], index=p[c].to_numpy()[split["rows"]])
            extra = v[v.index.notna()].groupby(level=0, sort=False).sum()
            n = (n - extra.reindex(n.index, fill_value=0.0)).clip(lower=1.0)
        r = n.to_numpy(dtype=float)
        lo = np.floor(r).astype(np.int64)
        star = _good_turing(np.rint(r).astype(np.int64), table=True)
        top = star.size - 1
        # a count between two integers: the Good-Turing value interpolated (exact at integer counts)
        frac = r - lo
        val = (1 - frac) * star[np.minimum(lo, top)] + frac * star[np.minimum(lo + 1, top)]
        out[c] = pd.DataFrame({c: n.index.to_numpy(dtype=object), f"tf_{c}": val / total})
    return out


#: largest number of record pairs for which a coarse blocking rule (a name and two letters of the other) is used
COARSE_RULE_PAIRS = 3e6


def _rule_pairs(p: pd.DataFrame, keys: Sequence[tuple[str, str]], missing: str | None) -> float:
    """Record pairs of the blocking rule ``l.a = r.b and ...`` (`keys`) in which a record lacks column `missing`
    (any record when `missing` is None).

    Counted as sum over key values of (records lacking `missing`) x (all records), over
    the two orders when the keys cross columns: an upper bound of the pairs scored.
    """
    from .engines import _side_codes

    # the key tuples as integer codes in one value space (engines._side_codes), counted on either side
    cl, cr = _side_codes(p, keys)
    lack = p[missing].isna().to_numpy() if missing is not None else np.ones(len(p), dtype=bool)
    size = int(max(cl.max(initial=-1), cr.max(initial=-1))) + 1
    x = np.bincount(cl[lack & (cl >= 0)], minlength=size).astype(float)
    y = np.bincount(cr[cr >= 0], minlength=size).astype(float)
    return float((x * y).sum())


def _broad_rules(p: pd.DataFrame, columns: Sequence[str], budget: float) -> list[str]:
    """Blocking on one identifier alone, for each column whose blocks hold at most `budget` record pairs.

    In a register of a few thousand persons every pair that shares a date of birth, a
    surname or a first name can be scored (a few hundred thousand pairs): blocking then
    misses only pairs with errors in all three. In a million registrations such blocks
    hold billions of pairs and are left out (the narrower rules remain). The count is
    ``sum_v n_v (n_v - 1) / 2`` over the values v of the column.
    """
    out = []
    for c in columns:
        if c not in p.columns:
            continue
        n = p[c].value_counts(dropna=True).to_numpy(dtype=float)
        if float((n * (n - 1) / 2).sum()) <= budget:
            out.append(f"l.{c} = r.{c}")
    return out
