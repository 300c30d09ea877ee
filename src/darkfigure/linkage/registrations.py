"""The registration format: one row per registration of a person by an organisation (a list).

A *plaintext* registration file (CSV, Parquet or Excel) has at least the columns

    record_id, organisation, registration_date, first_name, surname, date_of_birth, sex, nationality

``registration_date`` and ``date_of_birth`` are ISO dates (``YYYY-MM-DD``; the date of
birth may be empty, or ``NA``/``N/A``/``NULL``). Column names are read whatever their case
(``RECORD_ID``); ``sex`` in two codings across the files (``Male``/``M``) is read as ``F``/``M``
(:mod:`darkfigure.linkage.sex_coding`). A file of UTF-8 text with the header on its first line,
one row per registration: copies of one row repeated more than
:data:`~darkfigure.linkage.input_checks.MAX_COPIES` times are refused. Every other column is a *covariate* (form of exploitation, ...)
and passes through linkage to the capture histories. A *pseudonymised* file (written
by ``darkfigure pseudonymise``) has ``first_name``, ``surname`` and ``date_of_birth``
replaced by their encodings (``bf_*`` Bloom filters, ``tok_*`` keyed tokens and a
``key_id``; see :mod:`darkfigure.linkage.pseudonymise`). Synthetic files (see
:mod:`darkfigure.linkage.synthetic`) also hold ``true_person_id``; real files have no
such column.

:func:`read_registrations` reads and validates one file or frame; it tells the two
kinds apart (``df.attrs["kind"]``). :func:`read_registration_files` reads several and
refuses a mixture of kinds or of keys. The normalisation of names, dates, sex and
nationality that pseudonymisation and plaintext comparison share lives here too
(:func:`normalise_name`, ...), so that both sides compare the same strings.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ..histories import DataError

__all__ = [
    "BLOCK_COLUMNS",
    "BLOOM_COLUMNS",
    "DOB_PART_COLUMNS",
    "FOLDED_TOKEN_COLUMNS",
    "IDENTIFIER_COLUMNS",
    "PARTICLES",
    "VIETNAMESE_SURNAMES",
    "PSEUDONYMISED_COLUMNS",
    "REQUIRED_COLUMNS",
    "RegistrationError",
    "TOKEN_COLUMNS",
    "covariate_columns",
    "fold_ascii",
    "normalise_date",
    "normalise_name",
    "normalise_names",
    "normalise_nationality",
    "normalise_sex",
    "read_registration_files",
    "read_registrations",
    "registration_kind",
    "unify_organisations",
]

#: columns every plaintext registration file has
REQUIRED_COLUMNS = (
    "record_id", "organisation", "registration_date", "first_name", "surname", "date_of_birth", "sex", "nationality",
)
#: identifying columns that never leave the organisation in clear
IDENTIFIER_COLUMNS = ("first_name", "surname", "date_of_birth")
#: Bloom filter encodings (base64 of packed bits, all the same length)
BLOOM_COLUMNS = ("bf_first_name", "bf_surname", "bf_date_of_birth")
#: keyed exact tokens (hex HMAC-SHA256, 32 hex characters; empty when the input was empty)
TOKEN_COLUMNS = ("tok_first_name", "tok_surname", "tok_date_of_birth", "tok_birth_year", "tok_sex", "tok_nationality")
#: keyed blocking tokens
BLOCK_COLUMNS = ("tok_block_sn_dob", "tok_block_fn_dob", "tok_block_fn_sn_sorted", "tok_block_initials_dob",
                 "tok_block_sx_sorted", "tok_block_p2_sorted", "tok_block_s2_sorted", "tok_block_sn_md",
                 "tok_block_fn_md", "tok_block_sn_ym", "tok_block_fn_ym", "tok_block_sn_yd", "tok_block_fn_yd",
                 "tok_block_sn_fnsx", "tok_block_fn_snsx")
#: keyed tokens of parts of the date of birth, for partial-agreement levels (encoding version 2)
DOB_PART_COLUMNS = ("tok_dob_swap", "tok_dob_md_y0", "tok_dob_md_y1", "tok_dob_md_y2", "tok_dob_ym_d0",
                    "tok_dob_ym_d1", "tok_dob_ym_d2", "tok_dob_yd_m0", "tok_dob_yd_m1")
#: keyed tokens of the names folded over romanisation systems (:mod:`.pseudo_translit`); optional: files pseudonymised
#: before they were added link as before, without the folded-name levels and blocking rule
FOLDED_TOKEN_COLUMNS = ("tok_first_name_tr", "tok_surname_tr", "tok_block_tr_sorted", "tok_vw_sorted")
#: columns every pseudonymised registration file has
PSEUDONYMISED_COLUMNS = ("record_id", "organisation", "registration_date", *BLOOM_COLUMNS, *TOKEN_COLUMNS,
                         *BLOCK_COLUMNS, *DOB_PART_COLUMNS, "key_id")
_CORE = ("record_id", "organisation", "registration_date")
_ENCODED = (set(BLOOM_COLUMNS) | set(TOKEN_COLUMNS) | set(BLOCK_COLUMNS) | set(DOB_PART_COLUMNS)
            | set(FOLDED_TOKEN_COLUMNS) | {"key_id"})


class RegistrationError(DataError):
    """A registration file or frame that cannot be used; the message names file, column, row and the remedy."""


from ..cell_checks import lost_letters_note, refuse_formula_levels, refuse_long_cells  # noqa: E402
from .frame_input import as_registration_frame  # noqa: E402
from .full_name import full_name_hint  # noqa: E402
from .input_checks import (  # noqa: E402
    control_characters_note,
    old_dates_of_birth_note,
    refuse_long_names,
    refuse_repeated_registrations,
    sheet_hint,
)
from .names import (  # noqa: E402,F401 - re-exported: the normalisers were defined here
    PARTICLES,
    VIETNAMESE_SURNAMES,
    fold_ascii,
    normalise_date,
    normalise_name,
    normalise_names,
    normalise_nationality,
    normalise_sex,
    vietnamese_context,
)

# organisation-name unification, re-exported here so imports from this module keep working
from .organisations import (  # noqa: E402,F401
    SIMILAR_ORGANISATIONS,
    _look_alike,
    _organisation_key,
    _rename_organisations,
    _shared_ids_note,
    unify_organisations,
)

# reading files and dates, split out to keep this module short; re-exported for the imports of older code
from .registration_files import (  # noqa: E402,F401
    _MAX_SHOWN,
    _READERS,
    _header,
    _parse_dates,
    _read_file,
    _refuse_duplicate_columns,
    _row_text,
    _rows,
    _separator,
    match_column_case,
    match_covariate_case,
    title_row_message,
)


def _as_text(s: pd.Series) -> pd.Series:
    """Cells as stripped strings; missing -> ''; integral floats (Excel ids) without '.0'."""
    def one(v):
        """One cell as stripped text (missing -> '')."""
        if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()
    if isinstance(s.dtype, pd.StringDtype) or pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        return s.fillna("").astype(str).str.strip()
    return s.map(one).astype(str)


def registration_kind(df: pd.DataFrame) -> str:
    """``"plaintext"`` or ``"pseudonymised"``, from the columns of a registration frame.

    A frame with any of ``first_name``/``surname``/``date_of_birth`` is plaintext;
    otherwise one with ``key_id`` or any ``bf_``/``tok_`` column is pseudonymised;
    otherwise plaintext (its missing columns are reported by the validation).

    Raises
    ------
    RegistrationError
        Both plaintext identifiers and encodings in one frame.
    """
    cols = set(map(str, df.columns))
    plain = cols & set(IDENTIFIER_COLUMNS)
    enc = {c for c in cols if c in _ENCODED or c.startswith(("bf_", "tok_"))}
    if plain and enc:
        raise RegistrationError(
            f"the registrations hold plaintext identifiers ({', '.join(sorted(plain))}) and encodings "
            f"({', '.join(sorted(enc)[:4])}, ...) together: pseudonymise the plaintext file again from the original, "
            "or drop the plaintext columns"
        )
    return "pseudonymised" if enc else "plaintext"


def covariate_columns(df: pd.DataFrame) -> list[str]:
    """The covariate columns of a registration frame: every column that is not part of the format.

    For a plaintext frame: all but :data:`REQUIRED_COLUMNS`; for a pseudonymised frame:
    all but the encodings, ``key_id``, ``record_id``, ``organisation``,
    ``registration_date`` and the clear ``sex``/``nationality`` (kept for the estimates,
    but identifying columns, not covariates of the format). ``true_person_id`` of
    synthetic files counts as a covariate here; linkage must leave it out.
    """
    skip = set(REQUIRED_COLUMNS) | _ENCODED | {"sex", "nationality"}
    return [c for c in df.columns if c not in skip and not str(c).startswith(("bf_", "tok_"))]


def read_registrations(
    data: str | Path | pd.DataFrame, *, name: str | None = None, today: date | None = None
) -> pd.DataFrame:
    """Read and validate one registration file (CSV/TSV/Parquet/Excel) or data frame.

    Parameters
    ----------
    data : path or DataFrame
    name : str, optional
        How the data is named in messages (default: the file name, or ``"registrations"``).
    today : date, optional
        Registration dates after this day are refused (default: today).

    Returns
    -------
    DataFrame, shape (n_registrations, n_columns)
        The registrations with every format column as text (missing -> ``""``), dates as
        ISO strings (a time of day is dropped: ``2021-03-17 00:00:00``, ``2021-03-17T00:00``
        and Excel date-time cells at midnight give ``2021-03-17``; a ``registration_date``
        at another time is reduced to its date, a ``date_of_birth`` at another time is
        refused), covariates unchanged. ``attrs``: ``kind`` (``"plaintext"`` or
        ``"pseudonymised"``), ``source`` (the name), ``key_id`` (pseudonymised only),
        ``bloom_bits`` (pseudonymised only: m, the length of the Bloom filters).

    Raises
    ------
    RegistrationError
        Missing file; no rows; missing columns; plaintext and encodings mixed; empty or
        duplicated ``record_id``; empty ``organisation``; empty, unparseable or future
        ``registration_date``; unparseable ``date_of_birth``, one with a time of day other
        than midnight, or one after the registration date; a registration repeated more than
        :data:`~.input_checks.MAX_COPIES` times (every column but ``record_id`` the same); for pseudonymised files: a ``key_id`` that is missing, malformed or not the
        same on every row, malformed Bloom filters or tokens. Rows are numbered from 1
        (the first data row under the header).
    """
    data = as_registration_frame(data)  # polars, eager or lazy, as the rest of the API takes it
    if isinstance(data, (str, Path)):
        p = Path(data)
        src = name or p.name
        df = _read_file(p)
    elif isinstance(data, pd.DataFrame):
        src = name or "registrations"
        df = data.copy()
    else:
        raise RegistrationError(f"registrations must be a file path or a data frame (pandas or polars), not "
                                f"{type(data).__name__}")
    df.columns = [str(c).strip() for c in df.columns]
    if df.shape[0] == 0:
        raise RegistrationError(
            f"{src}: the registration file has a header but no rows. An organisation with no registrations carries "
            "no information about N (it adds no list): leave the file out and run again, or, if the organisation "
            "did register persons, export its file again")
    if len(set(df.columns)) < len(df.columns):
        dup = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
        raise RegistrationError(f"{src}: column(s) {dup} appear twice; give every column its own name")
    # RECORD_ID, Organisation
    df = match_column_case(df, (*REQUIRED_COLUMNS, *PSEUDONYMISED_COLUMNS, *FOLDED_TOKEN_COLUMNS), src)
    kind = registration_kind(df)
    required = REQUIRED_COLUMNS if kind == "plaintext" else PSEUDONYMISED_COLUMNS
    missing = [c for c in required if c not in df.columns]
    if missing:
        if kind == "plaintext":
            hint = full_name_hint(df, missing, skip=[c for c in REQUIRED_COLUMNS if c in df.columns]) or (
                f"a registration file needs the columns {', '.join(REQUIRED_COLUMNS)} (date_of_birth may be "
                "empty); rename yours accordingly, or add the ones the file lacks: an empty date_of_birth where "
                "none is recorded, organisation with the organisation's name on every row")  # one full-name
            # column: split, not rename (tester 20); a column absent is added, not renamed (new-user test s23, 7)
        else:
            hint = ("it looks pseudonymised but lacks encodings (files made by a darkfigure before encoding version 2 "
                    "lack the Soundex, letter and date-part tokens): pseudonymise the plaintext file again")
        where = sheet_hint(Path(data), None) if isinstance(data, (str, Path)) else ""
        title = title_row_message(Path(data), src) if isinstance(data, (str, Path)) else None
        if title:
            raise RegistrationError(title)
        first = str(df.columns[0]) if len(df.columns) else ""
        if first.startswith(("\u00ef\u00bb\u00bf", "\u00ff\u00fe", "\u00fe\u00ff")):  # a BOM read as cp1252 (19a, L1)
            hint = (f"the header was read as {', '.join(map(repr, df.columns[:4]))}{', ...' if len(df.columns) > 4 else ''}"
                    f": {first[:3]!r} is a UTF-8 byte-order mark decoded as Windows-1252 (e.g. by iconv -f cp1252 of a "
                    "file that starts as UTF-8; letters outside ASCII may be garbled too). Remove those characters "
                    "at the start of the file, or export the file again as UTF-8 from the original")
        raise RegistrationError(f"{src}{where}: missing column(s) {', '.join(missing)}; {hint}")
    text_cols = [c for c in df.columns if c in REQUIRED_COLUMNS or c in _ENCODED or c.startswith(("bf_", "tok_"))]
    for c in text_cols:
        df[c] = _as_text(df[c])
    refuse_long_names(df, src)  # before anything compares them: a 2,000,000-character name hangs link
    from ..histories import MAX_AUTO_LEVELS

    # the columns that reach the outputs: a column of many values (a phone number, notes) is left out of the
    # covariates by link (persons._covariate_columns) and is not checked here (review s19, M2)
    shown = [c for c in ("record_id", "organisation", "sex", "nationality") if c in df.columns] + [
        c for c in covariate_columns(df) if df[c].nunique(dropna=True) <= MAX_AUTO_LEVELS]
    refuse_long_cells(df, shown, src, RegistrationError)  # a 10 MB level hung estimate (tester 19a, M5)
    refuse_formula_levels(df, shown, src, error=RegistrationError)  # =1+1 reached the CSV outputs (19a, M6)
    _check_core(df, src, today or date.today(), kind)
    refuse_repeated_registrations(df, src)  # before linking: 1,300 copies of one row ended in a numpy error
    df.attrs = {"kind": kind, "source": src}
    if kind == "pseudonymised":
        df.attrs.update(_check_encodings(df, src))
    return df


#: registration dates before this day are refused: a placeholder (an empty Excel date is 1899-12-30), not a date
EARLIEST_REGISTRATION = "1905-01-01"


def _check_core(df: pd.DataFrame, src: str, today: date, kind: str) -> None:
    rid = df["record_id"]
    empty = (rid == "").to_numpy()
    if empty.any():
        raise RegistrationError(
            f"{src}: column 'record_id' is empty in row(s) {_row_text(_rows(empty))}; give every registration an id"
        )
    dup = rid.duplicated(keep=False).to_numpy()
    if dup.any():
        first = rid[dup].iloc[0]
        rows = _rows((rid == first).to_numpy())
        n_ids = rid[dup].nunique()
        raise RegistrationError(
            f"{src}: column 'record_id' repeats {first!r} in rows {_row_text(rows)}"
            + (f" ({n_ids} ids repeat)" if n_ids > 1 else "")
            + "; every registration needs its own record_id (a person registered twice keeps two ids)"
        )
    org_empty = (df["organisation"] == "").to_numpy()
    if org_empty.any():
        raise RegistrationError(
            f"{src}: column 'organisation' is empty in row(s) {_row_text(_rows(org_empty))}; "
            "name the organisation (list) that registered each person"
        )
    problems: list[str] = []  # every bad date column at once (tester 12, L1)
    reg = _parse_dates(df, "registration_date", src, allow_empty=False, problems=problems)
    dob = _parse_dates(df, "date_of_birth", src, allow_empty=True, problems=problems) if kind == "plaintext" else None
    if problems:
        raise RegistrationError(". Also ".join([problems[0]] + [p.removeprefix(f"{src}: ") for p in problems[1:]]))
    future = reg > np.datetime64(today, "D")
    early = reg < np.datetime64(EARLIEST_REGISTRATION, "D")  # 1899-12-30: an empty Excel day number (tester 19a, M4)
    for bad, what in ((future, f"lies in the future (after {today.isoformat()})"),
                      (early, f"lies before {EARLIEST_REGISTRATION} (1899-12-30 is an empty Excel date)")):
        if bad.any():
            vals = df["registration_date"].to_numpy()[bad]
            ids = ", ".join(map(str, df["record_id"].to_numpy()[bad][:_MAX_SHOWN]))
            raise RegistrationError(f"{src}: column 'registration_date' {what} in row(s) "
                                    f"{_row_text(_rows(bad), vals)}, record_id {ids}; correct the dates")
    if dob is not None:
        late = ~np.isnat(dob) & (dob > reg)
        if late.any():
            rows = _rows(late)
            vals = [f"{d} > {r}" for d, r in zip(df["date_of_birth"].to_numpy()[late], df["registration_date"].to_numpy()[late])]
            raise RegistrationError(
                f"{src}: column 'date_of_birth' is after the registration date in row(s) {_row_text(rows, vals)}; "
                "correct the date of birth or leave it empty"
            )


_B64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
_HEX = re.compile(r"^[0-9a-f]{16,64}$")
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")


def _label(frame: pd.DataFrame) -> str:
    """A file or frame in a message about several: a file by its name, a frame by ``registrations #i`` (the i-th
    given) and its organisations, e.g. ``"registrations #2 (police)"`` (tester 13b, L5)."""
    src = frame.attrs.get("source", "registrations")
    if not src.startswith("registrations"):  # a file name (or a frame's own source) says enough
        return src
    orgs = [str(v) for v in pd.unique(frame["organisation"].astype(str))] if "organisation" in frame.columns else []
    shown = ", ".join(orgs[:3]) + (f" and {len(orgs) - 3} more" if len(orgs) > 3 else "")
    return src + (f" ({shown})" if shown else "")


def _check_encodings(df: pd.DataFrame, src: str) -> dict:
    kid = df["key_id"]
    ids = pd.unique(kid)
    if len(ids) > 1:
        raise RegistrationError(
            f"{src}: column 'key_id' is not the same on every row ({', '.join(map(str, ids[:3]))}): the file mixes "
            "encodings made with different keys; pseudonymise all registrations with one key"
        )
    if not _KEY_ID.match(str(ids[0])):
        raise RegistrationError(f"{src}: column 'key_id' must hold 16 hex characters, not {str(ids[0])!r}")
    length = None
    for c in BLOOM_COLUMNS:
        s = df[c][df[c] != ""]  # empty: the field was empty at the source
        if not len(s):
            continue
        bad = ~s.str.match(_B64).to_numpy()
        if bad.any():
            rows = (np.flatnonzero((df[c] != "").to_numpy())[bad] + 1).tolist()
            raise RegistrationError(
                f"{src}: column {c!r} is not a base64 Bloom filter in row(s) {_row_text(rows)}; "
                "pseudonymise the plaintext file again"
            )
        lens = s.str.len().unique()
        if len(lens) > 1 or (length is not None and lens[0] != length):
            raise RegistrationError(
                f"{src}: the Bloom filters do not all have the same length (column {c!r}); "
                "pseudonymise all registrations with the same settings"
            )
        length = int(lens[0])
    filled = [df[c][df[c] != ""] for c in BLOOM_COLUMNS]
    first = next((f.iloc[0] for f in filled if len(f)), None)
    m = 8 * len(base64.b64decode(first)) if first is not None else 0
    for c in (*TOKEN_COLUMNS, *BLOCK_COLUMNS, *DOB_PART_COLUMNS, *(c for c in FOLDED_TOKEN_COLUMNS if c in df.columns)):
        s = df[c]
        bad = ~((s == "") | s.str.match(_HEX)).to_numpy()
        if bad.any():
            raise RegistrationError(
                f"{src}: column {c!r} is not a hex token (or empty) in row(s) {_row_text(_rows(bad))}; "
                "pseudonymise the plaintext file again"
            )
    from .bloom_settings_check import file_settings

    return {"key_id": str(ids[0]), "bloom_bits": m, "bloom_settings": file_settings(df, src)}


def read_registration_files(
    paths: Iterable[str | Path | pd.DataFrame], *, today: date | None = None,
    rename_organisations: Mapping[str, str] | None = None,
) -> list[pd.DataFrame]:
    """Read and validate several registration files that are to be linked together.

    Each is read with :func:`read_registrations`; then the set is checked: all of one
    kind (all plaintext or all pseudonymised), all pseudonymised with the same key
    (same ``key_id``) and the same Bloom filter length, and no (organisation,
    record_id) pair in two files.

    Organisation names are then unified across the files (:func:`unify_organisations`):
    spellings that differ only in case, spacing or accents become one organisation.

    Parameters
    ----------
    paths : iterable of path or DataFrame
    today : date, optional
        See :func:`read_registrations`.
    rename_organisations : mapping, optional
        ``{name as written: name to use}``, applied to every file before the names are
        unified (e.g. ``{"Politie": "police"}`` for a variant that
        :func:`unify_organisations` warns about).

    Returns
    -------
    list of DataFrame
        One validated frame per input, in order (``attrs`` as in :func:`read_registrations`,
        plus ``set_notes`` and ``set_warnings``: the messages of :func:`unify_organisations`
        and the other checks about the whole set, e.g. pseudonymised files of which only some carry the
        folded-name tokens (:func:`.pseudo_translit.mixed_folded_tokens_warning`), the same lists on every frame).

    Raises
    ------
    RegistrationError
        No input; an invalid file; mixed kinds (the message lists which files are
        plaintext and which pseudonymised); different keys (files listed per key_id);
        different Bloom filter lengths; an (organisation, record_id) pair in two files; a
        name in `rename_organisations` that no file holds.
    """
    frames = []
    for i, p in enumerate(paths):
        p = as_registration_frame(p)
        # a frame is named by its place in the call: pseudonymise's output carries the generic name "registrations",
        # and four frames called that made "different keys (... registrations, registrations)" useless (13b, L5)
        given = p.attrs.get("source") if isinstance(p, pd.DataFrame) else None
        name = None if not isinstance(p, pd.DataFrame) else (
            given if given and given != "registrations" else f"registrations #{i + 1}")
        frames.append(read_registrations(p, name=name, today=today))
    if not frames:
        raise RegistrationError("no registration files given")
    by_kind: dict[str, list[str]] = {}
    for f in frames:
        by_kind.setdefault(f.attrs["kind"], []).append(_label(f))
    if len(by_kind) > 1:
        raise RegistrationError(
            "the registration files mix plaintext (" + ", ".join(by_kind["plaintext"]) + ") and pseudonymised ("
            + ", ".join(by_kind["pseudonymised"]) + ") identifiers; pseudonymise the plaintext files with the same "
            "key first (darkfigure pseudonymise), or link only plaintext files"
        )
    if "pseudonymised" in by_kind:
        by_key: dict[str, list[str]] = {}
        for f in frames:
            by_key.setdefault(f.attrs["key_id"], []).append(_label(f))
        if len(by_key) > 1:
            parts = "; ".join(f"key id {k}: {', '.join(v)}" for k, v in by_key.items())
            raise RegistrationError(
                f"the registration files were pseudonymised with different keys ({parts}); encodings made with "
                "different keys never match: pseudonymise every file with the same key"
            )
        ms = {f.attrs["bloom_bits"] for f in frames}
        if len(ms) > 1:
            raise RegistrationError(
                f"the Bloom filters of the files have different lengths ({sorted(ms)} bits): pseudonymise every "
                "file with the same darkfigure settings"
            )
        from .bloom_settings_check import refuse_mixed_settings

        refuse_mixed_settings(frames)  # k and diffusion too (tester 13b, M3)
    renamed = match_covariate_case(frames) + _rename_organisations(frames, rename_organisations)
    notes, warnings = unify_organisations(frames)
    _refuse_term_breaking_organisations(frames)
    from .age_dates import age_note
    from .placeholder_dates import frequent_dates_note
    from .pseudo_translit import mixed_folded_tokens_warning
    from .sex_coding import iso5218_sex, unify_sex_coding

    warnings = list(warnings) + iso5218_sex(frames)  # before unify_sex_coding reads the codings (tester 18a, M5)
    warnings += mixed_folded_tokens_warning(frames, _label)  # some files pseudonymised before the folded-name tokens
    notes = (renamed + notes + _shared_ids_note(frames) + old_dates_of_birth_note(frames)
             + frequent_dates_note(frames) + age_note(frames) + control_characters_note(frames) + lost_letters_note(frames)
             + unify_sex_coding(frames))
    for f in frames:
        f.attrs["set_notes"], f.attrs["set_warnings"] = list(notes), list(warnings)
    if len(frames) > 1:
        # record ids are unique within a file (checked), so a repeated pair spans two files
        allk = pd.DataFrame({
            "organisation": np.concatenate([f["organisation"].to_numpy(dtype=object) for f in frames]),
            "record_id": np.concatenate([f["record_id"].to_numpy(dtype=object) for f in frames]),
            "source": np.repeat([f.attrs["source"] for f in frames], [len(f) for f in frames]),
        })
        dup = allk.duplicated(["organisation", "record_id"], keep=False).to_numpy()
        if dup.any():
            first = allk[dup].iloc[0]
            srcs = allk.loc[dup & (allk["organisation"] == first["organisation"]).to_numpy()
                            & (allk["record_id"] == first["record_id"]).to_numpy(), "source"]
            raise RegistrationError(
                f"organisation {first['organisation']!r} record_id {first['record_id']!r} is in "
                f"{' and '.join(srcs)}: a file was given twice, or two files of one organisation reuse ids"
            )
    return frames


def _refuse_term_breaking_organisations(frames) -> None:
    """Refuse, before linking, an organisation name that `estimate` would refuse as a list name.

    The organisations become the lists of the capture histories; a name with ``:``, ``+``, ``,``, ``*`` or
    ``~`` (or ``Freq``, ``(Intercept)``, ``count``) breaks model terms and formulas (tester 9, F17), and
    refusing it only when `estimate` reads the link folder would waste the linkage.

    Raises
    ------
    RegistrationError
        Naming the organisation and the ``--rename-organisations OLD=NEW`` remedy.
    """
    from .._history_checks import _FORMULA_WORDS, _TERM_CHARS

    for f in frames:
        for name in pd.unique(f["organisation"]):
            s = str(name)
            bad = [ch for ch in _TERM_CHARS if ch in s]
            if bad or s in _FORMULA_WORDS or s == "count":
                fix = s
                for ch in _TERM_CHARS:
                    fix = fix.replace(ch, "_")
                fix = fix if fix not in _FORMULA_WORDS and fix != "count" else fix.strip("()") + "_org"
                raise RegistrationError(
                    f"organisation {s!r} ({f.attrs.get('source', 'a registration file')}) "
                    + (f"contains {bad[0]!r}, which joins or separates the lists in model terms" if bad else
                       "is a word of the model formulas")
                    + f": it becomes a list name of the capture histories; rename it, e.g. "
                    f"--rename-organisations '{s}={fix}'")
