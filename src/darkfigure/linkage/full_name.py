"""A registration file with one full-name column instead of ``first_name`` and ``surname`` (tester 20).

The "missing columns ... rename yours accordingly" message sent a user whose file has ``naam`` =
``JANSEN, Mw. Anna`` to rename it; no rename helps: the column has to be split in two. When the file lacks both
name columns and exactly one of its columns is a full name (by its header, or else by its values), the message
says so, names the column and shows the split in one line of pandas.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["full_name_column", "full_name_hint"]

#: header words of a full-name column (lower case, split at ``_``, ``-``, ``.`` and spaces)
_NAME_WORDS = {"name", "naam", "fullname", "volledigenaam", "naamvolledig"}
#: other words a full-name header may hold (``full_name``, ``volledige_naam``, ``naam_client``)
_QUALIFIERS = {"full", "volledige", "volledig", "complete", "person", "persoon", "client", "cliënt", "victim",
               "slachtoffer", "of", "van", "de", "het", "the"}
#: a word of a person's name: letters, with inner apostrophes, hyphens and a trailing dot (``Mw.``, ``O'Brien``)
_WORD = r"[^\W\d_]+(?:['’-][^\W\d_]+)*\.?"
_WORD_RE = re.compile(_WORD)
#: titles written before a first name (removed from first_name after the split)
_TITLES = {"mw", "mw.", "mevr", "mevr.", "dhr", "dhr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "hr",
           "hr.", "fr", "fr.", "mme", "mme.", "m."}


def _header_is_full_name(column: str) -> bool:
    """Whether a column header reads as a full name (``name``, ``naam``, ``full_name``, ``volledige_naam``)."""
    words = [w for w in re.split(r"[\s_.\-]+", str(column).strip().lower()) if w]
    return bool(words) and any(w in _NAME_WORDS for w in words) and all(w in _NAME_WORDS | _QUALIFIERS for w in words)


def _is_full_name(v: str) -> bool:
    """Whether one cell reads as a full name: two or more words of letters, at most one comma between them."""
    if v.count(",") > 1:
        return False
    words = v.replace(",", " ").split()
    return len(words) >= 2 and all(_WORD_RE.fullmatch(w) for w in words)


def _values_are_full_names(values: pd.Series) -> bool:
    """Whether most text cells of a column are full names: two or more words of letters, distinct, no digits."""
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    if len(text) < 2:
        return False
    full = text.map(_is_full_name)
    return bool(full.mean() >= 0.8 and text.nunique() >= 0.8 * len(text))


def full_name_column(df: pd.DataFrame, skip=()) -> str | None:
    """The one column of `df` that holds full names, or None when there is none or more than one.

    A header such as ``name``, ``naam``, ``full_name``, ``volledige_naam`` or ``naam_volledig`` decides; without
    one, a column whose values read as full names (``JANSEN, Mw. Anna``, ``Anna Jansen``) does.

    Parameters
    ----------
    df : DataFrame
        The registrations as read.
    skip : iterable of str
        Columns that are something else (the format's other columns).
    """
    cols = [c for c in df.columns if c not in set(skip)]
    by_header = [c for c in cols if _header_is_full_name(c)]
    if len(by_header) == 1:
        return by_header[0]
    if by_header:
        return None
    by_values = [c for c in cols if _values_are_full_names(df[c])]
    return by_values[0] if len(by_values) == 1 else None


def full_name_hint(df: pd.DataFrame, missing, skip=()) -> str | None:
    """The advice of a "missing column(s)" message when the file has a full-name column instead of the name columns.

    Parameters
    ----------
    df : DataFrame
        The registrations as read.
    missing : list of str
        The format's columns the file lacks; the hint applies only when ``first_name`` and ``surname`` are among them.
    skip : iterable of str
        Columns that are not the full name (the format's columns the file has).

    Returns
    -------
    str or None
        The advice (naming the column, an example value and the pandas line of the split), or None.
    """
    if not {"first_name", "surname"} <= set(missing):
        return None
    col = full_name_column(df, skip)
    if col is None:
        return None
    text = df[col].dropna().astype(str).str.strip()
    text = text[text != ""]
    example = f" (e.g. {text.iloc[0][:40]!r})" if len(text) else ""
    comma = len(text) > 0 and text.str.contains(",", regex=False).mean() >= 0.5
    if comma:
        how = (f'"SURNAME, First" values: df[["surname", "first_name"]] = '
               f'df["{col}"].str.split(",", n=1, expand=True)')
    else:
        how = (f'"First Surname" values: df[["first_name", "surname"]] = '
               f'df["{col}"].str.split(" ", n=1, expand=True), and check the names of more than two words '
               '("Anna Maria Jansen", "Anna van der Berg")')
    titles = [w for v in text.head(1000) for w in re.split(r"[\s,]+", v) if w.lower() in _TITLES]
    title_note = f"; then remove titles such as {titles[0]!r} from first_name" if titles else ""
    others = [c for c in missing if c not in ("first_name", "surname")]
    dob = " (date_of_birth may be empty)" if "date_of_birth" in others else ""
    rest = f". The other missing column(s) {', '.join(others)}: rename yours accordingly{dob}" if others else ""
    return (f"column {str(col)!r} holds full names{example}: darkfigure needs them split into first_name and "
            f"surname (a rename is not enough). In pandas, for {how}{title_note}{rest}")
