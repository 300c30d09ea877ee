"""Normalisation of the identifying fields of a registration before linkage: names, dates of birth, sex, nationality.

Names are folded to ASCII lower case, particles ("van der", "de", "El", "bin") left out of surnames and
Vietnamese surnames recognised in context, so that spellings of one name compare equal; dates of
birth are read in the usual national formats and placeholders (1 January, 1900) kept as written for
the linkage model to weigh. Split out of :mod:`darkfigure.linkage.registrations`, which re-exports it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

# ----------------------------------------------------------------------------- normalisation
#: name particles (Dutch tussenvoegsels and their Romance/German/Arabic relatives) left out of surnames, so that
#: "van der Berg", "Van der Berg", "Berg, van der" and "Berg" compare equal
PARTICLES = frozenset(
    "van von vom de der den des het t s ter ten te in op uit aan bij la le l d du da das dos do di del della el al "
    # Arabic and Malay name particles (son of, father of): "Ben Ali", "bin Rashid" are filed under the main name
    "zu y ben bin ibn bint abu".split()
)
# letters that NFKD does not decompose into a base letter + accent
_SPECIAL = str.maketrans({
    "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ß": "ss", "æ": "ae",
    "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "þ": "th", "Þ": "TH", "ħ": "h", "Ħ": "H",
    "ɛ": "e", "Ɛ": "E", "ɔ": "o", "Ɔ": "O",
})
_NON_LETTERS = re.compile(r"[^a-z]+")


#: scripts whose letters :func:`fold_ascii` transliterates (alphabets that write every vowel, and Chinese and Korean,
#: which anyascii romanises as pinyin and the Revised Romanization); other scripts' letters pass unchanged and drop
#: out as non-letters: Arabic and Hebrew write no short vowels ("محمد" -> "mhmd"), which against a Latin "Mohamed"
#: read as a disagreement (new-user test s23, one organisation writing Arabic: recall 0.935 as missing names, 0.627
#: transliterated), and Indic and Southeast Asian scripts were not checked
TRANSLITERATED_SCRIPTS = frozenset({"CYRILLIC", "GREEK", "ARMENIAN", "GEORGIAN", "HANGUL", "CJK"})
_FOLDED_SCRIPTS = TRANSLITERATED_SCRIPTS | {"LATIN"}  # and Latin letters NFKD leaves (ŋ)


def _script(ch: str) -> str:
    """The script of a non-ASCII letter as Unicode names it ("CYRILLIC", "ARABIC", "CJK", "LATIN", ...)."""
    return unicodedata.name(ch, "OTHER").split()[0]


def fold_ascii(s: str) -> str:
    """Drop accents and fold letters to ASCII (``"Łukasz Wiśniewski"`` -> ``"Lukasz Wisniewski"``, ``"Дарья"`` ->
    ``"Dar'ya"``).

    Unicode NFKD decomposition, combining marks removed; ł, ø, đ, ß, æ, œ, ı, þ mapped by hand (NFKD leaves them).
    Letters of :data:`TRANSLITERATED_SCRIPTS` (Cyrillic, Greek, ...) and Latin letters NFKD leaves (ŋ) are
    transliterated letter by letter with ``anyascii`` (Unicode's romanisation tables): a register that writes a
    Ukrainian victim's name in Cyrillic then meets another register's Latin spelling (the romanisation folds of
    :mod:`darkfigure.linkage.translit` take it from there), where the name had read as "no letters" and been compared
    as missing (new-user test s23, one organisation writing Cyrillic: precision/recall 0.903/0.935 -> 0.996/0.980).
    Letters of other scripts (Arabic, Hebrew, ...), symbols and emoji pass unchanged: the normaliser drops them as
    non-letters and link says so (:func:`name_scripts`).
    """
    s = unicodedata.normalize("NFKD", str(s).translate(_SPECIAL))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    if s.isascii():
        return s
    from anyascii import anyascii

    return "".join(anyascii(ch) if not ch.isascii() and unicodedata.category(ch).startswith("L")
                   and _script(ch) in _FOLDED_SCRIPTS else ch for ch in s)


def name_scripts(values: pd.Series) -> np.ndarray:
    """The non-Latin script each name of `values` is written in ("" for Latin letters only, or missing).

    Parameters
    ----------
    values : Series of str (missing allowed), shape (n,): names as written.

    Returns
    -------
    ndarray of str, shape (n,): the script of the name's first non-Latin letter as Unicode names it ("CYRILLIC",
    "ARABIC", "CJK", "GREEK", ...); each distinct value is looked at once.
    """
    codes, uniq = pd.factorize(values.astype(object), use_na_sentinel=True)
    found = []
    for v in uniq:
        script = ""
        if isinstance(v, str) and not v.isascii():
            script = next((_script(ch) for ch in unicodedata.normalize("NFKD", v) if not ch.isascii()
                           and unicodedata.category(ch).startswith("L") and _script(ch) != "LATIN"), "")
        found.append(script)
    return np.array(found + [""], dtype=object)[codes]


#: the commonest Vietnamese surnames (about 90% of Vietnamese persons), in their normalised forms: beside one of
#: them "Van" is the Vietnamese middle name Văn (written without its breve), not the Dutch particle
VIETNAMESE_SURNAMES = frozenset(
    "nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly dinh truong lam trinh dao doan luong".split()
)
_LETTER_RUNS = re.compile(r"[^\W\d_]+")


def _words(value: Any) -> list[tuple[str, bool]]:
    """The normalised words of a name, each with whether it was written with diacritics (``Văn`` -> (van, True))."""
    out = []
    for token in _LETTER_RUNS.findall(unicodedata.normalize("NFC", str(value))):
        folded = fold_ascii(token)
        accented = folded != token
        out += [(w, accented) for w in _NON_LETTERS.sub(" ", folded.lower()).split()]
    return out


def vietnamese_context(other: Any) -> bool:
    """True when `other` (the registration's other name) is a common Vietnamese surname (:data:`VIETNAMESE_SURNAMES`)."""
    if other is None or (isinstance(other, float) and np.isnan(other)):
        return False
    return "".join(w for w, _ in _words(other)) in VIETNAMESE_SURNAMES


def normalise_name(value: Any, surname: bool = False, other: Any = None) -> str:
    """The comparable form of a first name or surname: ASCII, lower case, letters only, single spaces.

    Steps: :func:`fold_ascii`; lower case; every run of non-letters (hyphen, apostrophe,
    comma, digits) becomes one space; with ``surname=True`` the particles of
    :data:`PARTICLES` are dropped as long as another word remains (``"Berg, van der"``,
    ``"van der Berg"`` -> ``"berg"``; ``"De"`` alone stays ``"de"``). Missing values
    (None, NaN) give ``""``. Encoders remove the spaces as well (``"Jan-Willem"`` and
    ``"Janwillem"`` encode alike).

    A word is a particle only as written in the languages that have them: a word written
    with diacritics never is (Vietnamese ``"Văn Anh"`` -> ``"van anh"``, ``"Đỗ"``,
    ``"Lê"``), and ``van`` is not one in a Vietnamese name, i.e. when `other` (the
    registration's other name field) is a common Vietnamese surname
    (:func:`vietnamese_context`: ``"Van Anh"`` beside ``"Nguyen"`` stays ``"van anh"``;
    beside ``"Jan"`` it reads ``"anh"``). Without this, every Văn Anh would compare
    equal to every Anh.

    Parameters
    ----------
    value : the name (str; None or NaN for missing).
    surname : drop particles (also used on first names by ``link``, to undo swapped names).
    other : the registration's other name (surname when `value` is a first name and the
        reverse), optional: the context that tells the Vietnamese "Van" from the Dutch one.

    Returns
    -------
    str
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    words = _words(value)
    if surname:
        keep_van = vietnamese_context(other)
        # a "van" followed by another particle ("van der", "van den") is Dutch in any context
        nxt = [w for w, _ in words[1:]] + [""]
        kept = [w for (w, accented), after in zip(words, nxt)
                if accented or w not in PARTICLES or (w == "van" and keep_van and after not in PARTICLES)]
        if kept:
            return " ".join(kept)
    return " ".join(w for w, _ in words)


def normalise_names(values: pd.Series, surname: bool = False, others: pd.Series | None = None) -> pd.Series:
    """:func:`normalise_name` of a column, with the registration's other name as context, each distinct value once.

    Only the values holding the word ``van`` need their context (`others`, same index);
    the rest are mapped once per distinct value. Missing values give ``""``.

    Parameters
    ----------
    values : Series of names, shape (n,); others : Series of the other names, shape (n,), optional.

    Returns
    -------
    Series of str, shape (n,).
    """
    values = values.astype(object)
    u = pd.unique(values.dropna())
    out = values.map({v: normalise_name(v, surname) for v in u}).fillna("")
    if surname and others is not None:
        has_van = values.astype(str).str.contains(r"(?i)(?:^|[^\w])van(?:$|[^\w])", regex=True).fillna(False).to_numpy(bool)
        idx = np.flatnonzero(has_van)
        if idx.size:
            # one assignment, each distinct (name, other name) once: item by item into an Arrow-backed column
            # copies the column every time (minutes at a million registrations)
            memo: dict = {}
            arr = out.to_numpy(dtype=object, copy=True)
            arr[idx] = [memo[k] if k in memo else memo.setdefault(k, normalise_name(k[0], surname, k[1]))
                        for k in zip(values.iloc[idx], others.iloc[idx])]
            out = pd.Series(arr, index=out.index, dtype=object)
    return out


_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?)?$")


def normalise_date(value: Any) -> str:
    """An ISO date string ``YYYY-MM-DD`` from an ISO string, a date/datetime or a pandas Timestamp; ``""`` if empty.

    Strings must be ``YYYY-MM-DD`` (a midnight time such as ``T00:00:00``, as Excel
    exports write, is accepted): ``03-04-2021`` is refused because day and month
    cannot be told apart.

    Raises
    ------
    ValueError
        A value that is not a valid ISO date (e.g. ``2021-02-30``, ``17/05/1990``).
    """
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    s = str(value).strip()
    if not s:
        return ""
    m = _ISO.match(s)
    if not m:
        raise ValueError(s)
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        raise ValueError(s) from None


_SEX = {
    "f": "f", "female": "f", "v": "f", "vrouw": "f", "vrouwelijk": "f", "w": "f", "woman": "f", "fem": "f",
    "m": "m", "male": "m", "man": "m", "mannelijk": "m", "masc": "m",
    "unknown": "", "onbekend": "", "u": "", "?": "", "na": "", "n a": "", "null": "", "none": "", "nan": "", "nil": "",
}


def normalise_sex(value: Any) -> str:
    """``"f"``, ``"m"``, ``""`` (missing or unknown) or the folded lower-case value for anything else (e.g. ``"x"``).

    Recognises English and Dutch spellings (female/vrouw/V, male/man/M, unknown/onbekend).
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    s = " ".join(_NON_LETTERS.sub(" ", fold_ascii(str(value)).lower()).split()) or str(value).strip()
    return _SEX.get(s, s)


def normalise_nationality(value: Any) -> str:
    """Folded, lower-case, single-spaced nationality (``"NL"`` -> ``"nl"``); ``""`` if missing.

    No mapping between country names and codes is attempted: organisations should use
    the same coding (ISO 3166-1 alpha-2 in the synthetic files).
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return " ".join(fold_ascii(str(value)).lower().split())


#: particles that make a multi-word first name a surname recorded in the first-name field ("van den Berg", "Dijk,
#: van"): such a first name is normalised as a surname (particles dropped), so that the swap is found
SWAPPED_SURNAME_PARTICLES = frozenset("van von vom zu de der den des het ter ten te".split())


def first_name_form(value: object) -> str:
    """The encoded form of a first name: :func:`normalise_name` without spaces; as a surname if it holds a particle.

    A first name of two or more words one of which is in :data:`SWAPPED_SURNAME_PARTICLES`
    is taken to be a surname in the wrong field (swapped names) and loses its particles as
    surnames do, so that "van den Berg | Elize" and "Elize | van den Berg" encode the same
    pair of names.
    """
    plain = normalise_name(value)
    words = plain.split()
    if len(words) >= 2 and any(w in SWAPPED_SURNAME_PARTICLES for w in words):
        return normalise_name(value, True).replace(" ", "")
    return plain.replace(" ", "")


def script_notes(df: pd.DataFrame, scripts: dict[str, np.ndarray]) -> list[str]:
    """Notes on names written in a non-Latin script: transliterated (:data:`~darkfigure.linkage.names.TRANSLITERATED_SCRIPTS`)
    or compared as missing (Arabic, Hebrew, ...: no reliable Latin form), with the organisations and what to do."""
    out = []
    for done in (True, False):
        parts = []
        for col, sc in scripts.items():
            sel = (sc != "") & (np.isin(sc, list(TRANSLITERATED_SCRIPTS)) == done)
            if sel.any():
                by = pd.Series(sc[sel]).str.title() + " at " + df["organisation"].astype(str).to_numpy()[sel]
                parts.append(f"{col} {int(sel.sum()):,} ({', '.join(f'{k} {n:,}' for k, n in by.value_counts().items())})")
        if parts and done:
            out.append("names written in a non-Latin script compared after transliteration to Latin letters (anyascii): "
                       f"{'; '.join(parts)}; a register's own romanisation may differ (Дарья: Dar'ya, Darya, Daria), "
                       "which the spelling levels weigh")
        elif parts:
            out.append(f"names written in a script without a reliable Latin form compared as missing names: "
                       f"{'; '.join(parts)} (Arabic and Hebrew write no short vowels: 'محمد' would read 'mhmd', a "
                       "disagreement with 'Mohamed'); ask those organisations for the names in Latin letters, as in "
                       "the passport's machine-readable zone")
    return out
