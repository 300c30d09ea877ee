"""Names folded over romanisation systems in pseudonymised files: the values keyed by ``pseudonymise``, and the levels.

The plaintext linkage compares names also after folding romanisation systems (:mod:`.translit`: Sjevtsjenko /
Shevchenko, Joelija / Yuliya, Mohamed / Mohammed). A pseudonymised file has no clear names to fold, so
:func:`~darkfigure.linkage.pseudonymise.pseudonymise` folds them at the source, from the normalised names it
encodes, with the same functions (:func:`.translit.fold_name` for the first name,
:func:`.translit.fold_surname` for the surname, :func:`.translit.vowel_skeleton` of each), and writes only
their keyed tokens (HMAC-SHA256 with the column's sub-key, as every ``tok_*``): ``tok_first_name_tr``,
``tok_surname_tr``, ``tok_block_tr_sorted`` (the two folded names sorted and joined by ``|``: equal when the
names were swapped, and a blocking key) and ``tok_vw_sorted`` (the two vowel skeletons sorted and joined).
``link`` compares them as the plaintext levels compare the folded names (:func:`pseudo_translit_levels`). Files
pseudonymised before these columns existed link as before: the levels and the blocking rule need the columns.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .registrations import FOLDED_TOKEN_COLUMNS
from .translit import fold_name, fold_surname, vowel_skeleton

__all__ = ["FOLDED_TOKEN_COLUMNS", "add_folded_full", "folded_name_values", "folded_tf_columns",
           "mixed_folded_tokens_warning", "pseudo_translit_levels"]

#: the prepared column of the folded full name (``tok_first_name_tr|tok_surname_tr``): the level's value and its
#: term frequencies, as ``tok_full`` for the written names
FOLDED_FULL = "tok_full_tr"


def _map(values: pd.Series, fn: Callable[[str], str | None]) -> pd.Series:
    """`fn` of each distinct value ("" where `fn` gives None or the value is ""), shape of `values`."""
    codes, uniq = pd.factorize(values, sort=False)
    out = np.array([(fn(u) or "") if u else "" for u in map(str, uniq)], dtype=object)
    return pd.Series(out[codes] if len(uniq) else np.full(len(values), "", dtype=object), index=values.index)


def _sorted_pair(a: pd.Series, b: pd.Series) -> pd.Series:
    """a and b in sorted order joined by ``|`` row by row; "" where either is "" (no key)."""
    av, bv = a.to_numpy(dtype=object), b.to_numpy(dtype=object)
    lo, hi = np.where(av <= bv, av, bv), np.where(av <= bv, bv, av)
    out = pd.Series(lo, index=a.index, dtype=object) + "|" + pd.Series(hi, index=a.index, dtype=object)
    return out.where((a != "") & (b != ""), "")


def folded_name_values(fn: pd.Series, sn: pd.Series) -> dict[str, pd.Series]:
    """The clear values of the folded-name tokens, for :func:`~darkfigure.linkage.pseudonymise.pseudonymise` to key.

    Never written as they are: the caller replaces each by ``HMAC-SHA256(K_c, value)`` (truncated hex, ``""`` for
    ``""``) under the sub-key of its column, as the other tokens.

    Parameters
    ----------
    fn, sn : pandas Series of str, shape (n,)
        The first names and surnames as pseudonymise encodes them (normalised, spaces removed; ``""`` where
        missing, a placeholder or a default identity).

    Returns
    -------
    dict {column: Series of str, shape (n,)} with the keys :data:`FOLDED_TOKEN_COLUMNS`, in that order:
    ``fold_name(fn)``, ``fold_surname(sn)``, the two sorted and joined by ``|``, and the two vowel skeletons
    sorted and joined; ``""`` where a name (for the pairs: either name) is missing.
    """
    fk, sk = _map(fn, fold_name), _map(sn, fold_surname)
    values = {"tok_first_name_tr": fk, "tok_surname_tr": sk, "tok_block_tr_sorted": _sorted_pair(fk, sk),
              "tok_vw_sorted": _sorted_pair(_map(fk, vowel_skeleton), _map(sk, vowel_skeleton))}
    assert tuple(values) == FOLDED_TOKEN_COLUMNS
    return values


def add_folded_full(p: pd.DataFrame) -> None:
    """Add :data:`FOLDED_FULL` (``tok_first_name_tr|tok_surname_tr``, None unless both) to prepared registrations.

    `p` : the prepared pseudonymised registrations (``prepare._prepare_pseudo``, tokens None where missing), changed
    in place; nothing is added when the file has no folded-name tokens (pseudonymised before they existed).
    """
    if {"tok_first_name_tr", "tok_surname_tr"} <= set(p.columns):
        f, s = p["tok_first_name_tr"], p["tok_surname_tr"]
        p[FOLDED_FULL] = (f.fillna("") + "|" + s.fillna("")).where(f.notna() & s.notna(), None).astype(object)


def folded_tf_columns(p: pd.DataFrame) -> list[str]:
    """``[FOLDED_FULL]`` where `p` has it (its term-frequency table for :func:`pseudo_translit_levels`), else []."""
    return [FOLDED_FULL] if FOLDED_FULL in p.columns else []


def pseudo_translit_levels(has: set[str]) -> tuple[list, list]:
    """The folded-name levels of the pseudonymised name comparison (``splink_model._pseudo_settings``).

    As the plaintext levels of :func:`.translit.translit_levels`, with the tokens for the folded names:
    "both equal after transliteration folding" (the folded full names' tokens equal, weighed by the term
    frequency of the folded full name, as plaintext) and "swapped, both equal after transliteration folding"
    (``tok_block_tr_sorted`` equal: after the level before, only crosswise pairs are left), placed after "both
    tokens equal" and "swapped"; "both equal after folding vowels (or swapped)" (``tok_vw_sorted`` equal: the
    pair of skeletons the same, straight or crosswise, as the plaintext condition), placed after the Dice levels
    and before the one-token levels. m by EM and u from Splink's random pairs, as the other levels. A level is
    left out where its column is not in `has` (files pseudonymised before these tokens).

    Returns
    -------
    (levels after the exact and swapped levels, levels before the one-name-token levels): lists of Splink levels.
    """
    import splink.comparison_level_library as cll

    early, late = [], []
    if FOLDED_FULL in has:
        early.append(cll.ExactMatchLevel(FOLDED_FULL).configure(
            label_for_charts="both equal after transliteration folding", tf_adjustment_column=FOLDED_FULL))
    if "tok_block_tr_sorted" in has:
        early.append(cll.ExactMatchLevel("tok_block_tr_sorted").configure(
            label_for_charts="swapped, both equal after transliteration folding"))
    if "tok_vw_sorted" in has:
        late.append(cll.ExactMatchLevel("tok_vw_sorted").configure(
            label_for_charts="both equal after folding vowels (or swapped)"))
    return early, late


def mixed_folded_tokens_warning(frames: list[pd.DataFrame], label: Callable[[pd.DataFrame], str]) -> list[str]:
    """A warning when some pseudonymised files carry the folded-name tokens and others not (one or none).

    Parameters
    ----------
    frames : the validated registration frames of one link (``read_registration_files``), shape (n_i, ...) each.
    label : how a frame is named in messages (``registrations._label``).

    Returns
    -------
    list of str: empty when every file or no file has all of :data:`FOLDED_TOKEN_COLUMNS` (or the files are
    plaintext); otherwise one warning naming the files without them. Their registrations then lack the
    folded-name levels and blocking rule (missing tokens compare as missing), so names written in two romanisation
    systems are matched only between files that have the tokens.
    """
    if not frames or any(f.attrs.get("kind") != "pseudonymised" for f in frames):
        return []
    without = [label(f) for f in frames if not set(FOLDED_TOKEN_COLUMNS) <= set(f.columns)]
    if not without or len(without) == len(frames):
        return []
    return [f"{', '.join(without)} lack the tokens of the names folded over romanisation systems (pseudonymised by a "
            "darkfigure before they were added; the other files have them): a name written in another romanisation "
            "(Sjevtsjenko / Shevchenko) is matched only between the files that have them, and links to and from "
            f"{'this file' if len(without) == 1 else 'these files'} are missed more often. Pseudonymise "
            f"{'it' if len(without) == 1 else 'them'} again from the plaintext with the same key"]
