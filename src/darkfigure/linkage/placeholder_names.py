"""Placeholder names ("Unknown", "NN", "XXX", "FNU") read as missing names, and names that recur suspiciously often.

Why: registers write a placeholder where a name is not known. Compared as a name,
"Unknown Unknown" agrees with every other "Unknown Unknown": the linkage model learns
that an exact name agreement means little, or links different persons who share the
placeholder, and N̂ moves far (tester 11, finding 1: recall 1.000 -> 0.735, N̂ +61%).
Read as missing names they weigh nothing, as a name without letters already does.

The list follows common practice in registers, not any one source: the English, Dutch,
French, Spanish, German and Italian words for "unknown"; "N.N." (nomen nescio, Dutch and
Belgian registers); "XXX" and "X" fillers; "n/a", "none", "null" from database exports;
"FNU"/"LNU"/"NFN"/"NLN" (first/last name unknown, no first/last name: US police and
immigration records). A field matches as a whole, whatever its case, accents, spaces
and punctuation ("N.N." = "nn", "Niet-bekend" = "niet bekend"). "na" counts only when
written with punctuation ("n/a", "N.A."): "Na" is a Korean surname. The short abbreviations
(:data:`ABBREVIATIONS`: "NN", "FNU", "LNU", "UNK", "NIL", ...) count unless written as a name is, one capital
and then small letters: "Lnu" is a typo of the surname Liu and "Nil" a given name (tester 15a, L3), while
"LNU", "lnu", "L.N.U." and "N.N." stay placeholders.

A placeholder that is not on the list is caught by :func:`frequent_name_warnings`: one
first name + surname carried by a large share of one organisation's registrations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .names import fold_ascii, name_scripts

#: placeholder names as keys (:func:`name_key`: ASCII, lower case, letters only, no spaces)
PLACEHOLDER_NAMES = frozenset(
    # English, Dutch, French, Spanish, German, Italian, Portuguese "unknown" and "no name"
    "unknown unk unkn onbekend onbekende nietbekend onb inconnu inconnue desconocido desconocida unbekannt "
    "sconosciuto sconosciuta ignoto ignota desconhecido desconhecida noname geennaam sansnom sinnombre "
    "notknown notgiven notstated anonymous anoniem anonyme anonimo "
    # nomen nescio (N.N.); database and spreadsheet fillers
    "nn nomennescio none null nil nvt notapplicable "
    # US police and immigration records: first/last name unknown, no first/last name
    "fnu lnu nfn nln".split()
)
#: keys that are placeholders only when the field also holds punctuation ("n/a", "N.A."; "Na" is a surname)
PUNCTUATED_ONLY = frozenset({"na"})
#: short abbreviations that are placeholders unless written as a name ("Lnu": a typo of Liu; "Nil": a given name)
ABBREVIATIONS = frozenset("nn fnu lnu nfn nln unk unkn onb nvt nil".split())
_AS_A_NAME = re.compile(r"^\s*[A-Z][a-z]+\s*$")  # "Lnu", not "LNU", "lnu" or "L.N.U."
_X_FILLER = re.compile(r"^x+$")  # "X", "XX", "XXX", "x x x"
_NOT_LETTER = re.compile(r"[^a-z]+")

#: one first name + surname on at least this share of an organisation's registrations is suspicious: in a national
#: population the commonest full name (e.g. "Jan de Jong") is carried by well under 0.1% of persons, so even a small
#: register that happens to hold several namesakes stays far below 5%
FREQUENT_NAME_SHARE = 0.05
#: ... and on at least this many registrations: in a small organisation one person registered a few times (one
#: name, one date of birth) or a family of namesakes would pass 5% on its own
FREQUENT_NAME_COUNT = 20


def name_key(value: object) -> str:
    """The letters of a name, folded to ASCII lower case, without spaces or punctuation (``"N.N."`` -> ``"nn"``)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return _NOT_LETTER.sub("", fold_ascii(str(value)).lower())


def is_placeholder(value: object) -> bool:
    """Whether a name field as a whole is a placeholder for an unknown name (:data:`PLACEHOLDER_NAMES`, "XXX").

    Fields without letters ("-", "?") are not counted here: the normalisation already reads
    them as missing (:func:`darkfigure.linkage.prepare._letterless_names` says so).
    """
    key = name_key(value)
    if not key:
        return False
    if key in ABBREVIATIONS and _AS_A_NAME.match(str(value)):
        return False
    if key in PLACEHOLDER_NAMES or _X_FILLER.match(key):
        return True
    return key in PUNCTUATED_ONLY and bool(re.search(r"[^\w\s]", str(value)))


def placeholder_mask(values: pd.Series) -> np.ndarray:
    """Whether each value is a placeholder (:func:`is_placeholder`), each distinct value tested once; shape (n,)."""
    obj = values.astype(object)
    known = obj.notna().to_numpy()
    out = np.zeros(len(obj), dtype=bool)
    if known.any():
        u = pd.unique(obj[known])
        out[known] = obj[known].map({v: is_placeholder(v) for v in u}).to_numpy(dtype=bool)
    return out


def blank_placeholders(values: pd.Series) -> pd.Series:
    """The names with placeholders replaced by None (missing), as object dtype, same index; shape (n,)."""
    obj = values.astype(object)
    return obj.where(~placeholder_mask(obj), None)


def _examples(values: pd.Series, k: int = 3) -> str:
    """The k commonest values with their counts, e.g. ``'Unknown' x 250, 'NN' x 125``."""
    return ", ".join(f"{v!r} x {n:,}" for v, n in values.value_counts().head(k).items())


def placeholder_warnings(df: pd.DataFrame, where: str = "link") -> list[str]:
    """One warning per organisation whose plaintext registrations hold placeholder names (read as missing).

    Parameters
    ----------
    df : plaintext registrations with ``first_name``, ``surname`` and (optionally) ``organisation``.
    where : ``"link"`` (the clearing house reads them) or ``"pseudonymise"`` (the organisation itself).

    Returns
    -------
    list of str, empty when no name is a placeholder.
    """
    if not {"first_name", "surname"} <= set(df.columns):
        return []
    fm, sm = placeholder_mask(df["first_name"]), placeholder_mask(df["surname"])
    any_ = fm | sm
    if not any_.any():
        return []
    org = df["organisation"].astype(str) if "organisation" in df.columns else pd.Series("registrations", df.index)
    out = []
    for o in pd.unique(org[any_]):
        m = (org == o).to_numpy()
        vals = pd.concat([df["first_name"][m & fm], df["surname"][m & sm]]).astype(str)
        fix = ("leave the name empty where it is not known (or correct it) before pseudonymising"
               if where == "pseudonymise" else f"ask {o!r} to leave unknown names empty or to correct them")
        out.append(
            f"organisation {o!r}: {int((m & any_).sum()):,} of its {int(m.sum()):,} registrations have a placeholder "
            f"for a name ({_examples(vals)}): read as a missing name, which weakens their linkage but keeps the "
            f"placeholder from linking different persons; {fix}")
    return out


def frequent_name_warnings(org: Sequence, full_name: Sequence, dob: Sequence | None = None,
                           shown: Sequence | None = None) -> list[str]:
    """Warnings for a first name + surname carried by a large share of one organisation's registrations.

    A placeholder not on :data:`PLACEHOLDER_NAMES` ("Doe John", "Test Test", a code)
    shows as one name value on :data:`FREQUENT_NAME_SHARE` or more of an organisation's
    registrations, and on :data:`FREQUENT_NAME_COUNT` or more of them. A value whose
    registrations all carry one and the same known date of birth is not flagged here: one
    person registered often, unless far more often than the organisation's persons are
    (:mod:`.default_identities` reads such a default identity as missing and warns).

    Parameters
    ----------
    org : organisation per registration, shape (n,).
    full_name : the compared first name + surname per registration (missing: None/NaN), shape (n,).
    dob : the compared date of birth per registration (missing: None/NaN), shape (n,), optional.
    shown : how each value is named in the message (default: the value), shape (n,).

    Returns
    -------
    list of str
    """
    n_all = len(full_name)
    d = pd.DataFrame({"org": np.asarray(org, dtype=object).astype(str),
                      "v": np.asarray(full_name, dtype=object),
                      "dob": np.asarray(dob, dtype=object) if dob is not None else np.full(n_all, None, dtype=object),
                      "shown": np.asarray(shown if shown is not None else full_name, dtype=object)})
    totals = d.groupby("org", sort=False).size()
    d = d[pd.notna(d["v"])]
    counts = d.groupby(["org", "v"], sort=False).size()
    # only the few candidate values are looked at one by one (a million registrations hold ~a million names)
    big = counts[(counts >= FREQUENT_NAME_COUNT)
                 & (counts >= FREQUENT_NAME_SHARE * totals.reindex(counts.index.get_level_values(0)).to_numpy())]
    out = []
    for (o, v), n in big.items():
        g, total = d[(d["org"] == o) & (d["v"] == v)], int(totals[o])
        dobs = g["dob"]
        if dobs.notna().all() and dobs.nunique() == 1:
            continue  # one person registered often (or a default identity: default_identities)
        out.append(
            f"organisation {o!r}: the name {g['shown'].iloc[0]!r} is on {n:,} of its {total:,} registrations "
            f"({n / total:.0%}) with different dates of birth: probably a placeholder for an unknown name, which links "
            f"different persons into one. If so, blank it in {o!r}'s file (leave the name empty) and run link again")
    return out


def source_name_warnings(regs: pd.DataFrame) -> list[str]:
    """What ``pseudonymise`` tells the organisation about its names: placeholders and names without letters.

    After pseudonymisation nobody can see the names any more; the organisation that made
    the file is the one that can still fix them (tester 11, finding 11).

    Parameters
    ----------
    regs : plaintext registrations (validated: names as text, missing as ``""``), shape (n, ...).

    Returns
    -------
    list of str
    """
    out = placeholder_warnings(regs, where="pseudonymise")
    for c in ("first_name", "surname"):
        v = regs[c].astype(str)
        bad = ((v.str.strip() != "") & (v.map(name_key) == "")).to_numpy()
        script = name_scripts(regs[c]) if bad.any() else np.array([])
        other = bad & (script != "") if bad.any() else bad
        if other.any():  # letters of a script fold_ascii does not transliterate (Arabic, Hebrew, ...): said as such
            i = int(np.flatnonzero(other)[0])
            out.append(
                f"{int(other.sum()):,} registration(s) have a {c} written in {str(script[i]).title()} script (e.g. "
                f"{v.iloc[i]!r}, record {regs['record_id'].iloc[i]!r}, row {i + 1}): a script without a reliable Latin "
                "form, encoded as a missing name, which weakens their linkage; write those names in Latin letters (as "
                "in the passport's machine-readable zone) before pseudonymising")
            bad = bad & ~other
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            out.append(
                f"{int(bad.sum()):,} registration(s) have a {c} with no letters (e.g. {v.iloc[i]!r}, record "
                f"{regs['record_id'].iloc[i]!r}, row {i + 1} counting from the first data row): encoded as a missing "
                f"name, which weakens their linkage; correct them (or leave them empty) before pseudonymising")
    return out
