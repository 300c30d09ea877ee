"""Transliteration folding of names: one key for the spellings of one name in different romanisation systems.

Organisations write a name of Cyrillic or Arabic origin in their own language's romanisation:
Шевченко is Shevchenko (English), Sjevtsjenko (Dutch), Chevtchenko (French) and Schewtschenko
(German); Наталія is Nataliya, Natalija or Natalia; محمد is Mohammed, Mohamed or Muhammad and
البخاري Bukhari, Boechari or Boukhari. The normalised names (:func:`~darkfigure.linkage.names.normalise_name`:
ASCII, lower case, particles such as "El"/"Al-" dropped) of such spellings differ by three to
six edits, so the Levenshtein levels of the name comparison put the pair in "both wholly
different". :func:`fold_name` maps them to one key: the digraph families of the sibilants and
of х (shch/sjtsj/chtch/schtsch, ch/tsj/tch/tsch, sh/sj/sch, zh/zj, kh) to one symbol, the
spellings of u (oe, ou, oo), of i/y/j (й, я, ю: y, j, i, ij, ie and ii), w/v, ph/f, q/k,
ei/ai, a word-final h after a vowel, and doubled letters; surnames also lose a written-together
Arabic article or "ben" (Elamrani, Benali). The key is coarse on purpose and only used as a
level of its own, after the exact and swapped levels (splink_model): distinct real names rarely
share it (measured on the simulator's name pools, see docs/methods/linkage.md).

Pseudonymised files carry no plaintext names: ``darkfigure pseudonymise`` folds the names at the source and
writes keyed tokens of the folded values, which ``link`` compares in the same levels (:mod:`.pseudo_translit`).
"""

from __future__ import annotations

import re

#: ordered rewrites of a normalised name (lower-case ASCII letters): the longest digraph families first, so that
#: "tsch" is read before "sch" and "sch" before "ch"; "X" stands for the whole sibilant/х class (the systems
#: disagree on which digraph means which letter: French "ch" is ш, English "ch" ч, Dutch and German "ch" х)
_REWRITES: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(a), b) for a, b in (
    (r"schtsch|shch|sjtsj|chtch|sztsch|shtch", "X"),  # щ
    (r"tsch|tch|tsj|tsh", "X"),  # ч (German, French, Dutch)
    (r"sch|sh|sj|ch|zh|zj|kh", "X"),  # ш, ж, х, English ч
    (r"ph", "f"), (r"q", "k"), (r"ck", "k"), (r"w", "v"),
    (r"oe|ou|oo", "u"),  # Dutch oe, French ou
    (r"[yj]", "i"),  # й, я = ya/ja/ia, ю = yu/ju/iu; Dutch ij
    (r"ei", "ai"),  # Zeinab/Zainab, Leila/Layla (after y -> i), Husseini/Hussaini
    (r"(?<=[aeiou])h$", ""),  # Fatimah/Fatima, Sarah/Sara
    (r"(.)\1+", r"\1"),  # doubled letters: Mohammed/Mohamed, Yurii/Yuri, Natalija (-> nataliia) / Natalia
))
#: written-together prefixes of surnames that normalise_name drops only as separate words ("El Amrani" -> "amrani",
#: "Elamrani" is kept; "Ben Ali" -> "ali", "Benali" is kept): removed from the folded surname when 4+ letters remain
#: after an article (Alves is not "ves"), 3+ after ben/bin; only before a vowel (El Amrani, Ben Ali): before a
#: consonant it is the first syllable of a Dutch or German surname (Alberts, Elders, Benschop; review s19, L1)
_SURNAME_PREFIX = re.compile(r"^(?:(?:al|el|ul)(?=[aeiou][a-zX]{3,}$)|(?:ben|bin)(?=[aeiou][a-zX]{2,}$))")
#: the prefix as written, before a vowel (checked on the name before folding: j and y become i)
_WRITTEN_PREFIX = re.compile(r"^(?:al|el|ul|ben|bin)[aeiou]")
_VOWEL_RUNS = re.compile(r"(?<=[^aeiou])[aeiou]+(?=[^aeiou])")
#: "Abd al-Qadir", "Abdelkader", "Abdoel": the article after abd
_ABD = re.compile(r"^abd(?:al|el|ul)")


def fold_name(name: str | None, surname: bool = False) -> str | None:
    """The transliteration key of one normalised name (see the module docstring); None for None or "".

    Parameters
    ----------
    name : a name as :func:`~darkfigure.linkage.names.normalise_name` gives it with spaces removed (lower-case
        ASCII letters; other characters pass through unchanged).
    surname : also drop a written-together article (``"elamrani"`` -> ``"amrani"``, 4+ letters remaining) or
        "ben"/"bin" (``"benali"`` -> ``"ali"``, 3+ remaining).

    Returns
    -------
    str or None. ``fold_name("sjevtsjenko") == fold_name("shevchenko") == fold_name("chevtchenko") ==
    fold_name("schewtschenko") == "XevXenko"``; ``fold_name("natalija") == fold_name("nataliya") == "natalia"``.
    """
    if not name:
        return None
    s = name
    for pat, rep in _REWRITES:
        s = pat.sub(rep, s)
    s = _ABD.sub("abd", s)
    if surname and _WRITTEN_PREFIX.match(name):  # the vowel as written: "benjamin" folds to "beniamin"
        s = _SURNAME_PREFIX.sub("", s)
    return s


def fold_surname(name: str | None) -> str | None:
    """:func:`fold_name` with ``surname=True`` (for :func:`~darkfigure.linkage.prepare._arrow_map`)."""
    return fold_name(name, surname=True)


def vowel_skeleton(key: str | None) -> str | None:
    """A folded key (:func:`fold_name`) with every run of vowels between two consonants written "a".

    Arabic script leaves most short vowels unwritten, so romanisations differ in them: Mohamed / Muhammad
    (``"mahamad"``), Ahmad / Ahmed, Khaled / Khalid, Youssef / Joesoef, Maryam / Meryem. A vowel at the start or
    the end is kept (folding them too made Ada / Ida / Aadi / Jade one skeleton). Still far coarser than the key
    (Jan / Jon, Anton / Anten share it): the level that uses it needs both names to agree so.
    """
    return _VOWEL_RUNS.sub("a", key) if key else None


#: the prepared columns of :func:`translit_columns`
TRANSLIT_COLUMNS = ("fn_tr", "sn_tr", "fn_vw", "sn_vw", "full_tr", "tr_pair")


def translit_columns(fn, sn) -> dict:
    """The folded-name columns of plaintext registrations, each distinct name folded once.

    Parameters
    ----------
    fn, sn : normalised first names and surnames (pyarrow string arrays with nulls for missing), shape (n,).

    Returns
    -------
    dict of pyarrow string arrays, shape (n,) each: ``fn_tr``, ``sn_tr`` (:func:`fold_name`), ``fn_vw``,
    ``sn_vw`` (:func:`vowel_skeleton`), ``full_tr`` (``fn_tr|sn_tr``: the folded-equal level and its term
    frequencies) and ``tr_pair`` (the two keys in sorted order, a blocking key that survives swapped names). Null
    where the name is missing (``full_tr``, ``tr_pair``: where either is).
    """
    import pyarrow.compute as pc

    from .prepare import _arrow_map, _ordered_join

    fk, sk = _arrow_map(fn, fold_name), _arrow_map(sn, fold_surname)
    return {"fn_tr": fk, "sn_tr": sk, "fn_vw": _arrow_map(fk, vowel_skeleton), "sn_vw": _arrow_map(sk, vowel_skeleton),
            "full_tr": pc.binary_join_element_wise(fk, sk, "|"), "tr_pair": _ordered_join(fk, sk, "|")}


def translit_levels() -> list:
    """The three name levels on folded names, for the plaintext name comparison (splink_model._plain_settings).

    "both equal after transliteration folding": the folded full names (``full_tr``) equal, weighed by the
    term frequency of the folded full name (a Good-Turing share of persons, as the written names'; with the
    written name's frequency instead, the rare spelling "Oleksandr Chevtchenko" of the common "Oleksandr
    Shevchenko" counted as rare and namesakes were linked: tester 19a hard_1, precision -0.003); "... swapped":
    crosswise; both placed after the exact and swapped levels. "both equal after folding vowels": each name's
    :func:`vowel_skeleton` equal (or both crosswise), for Mohamed Bukhari / Muhammad Boechari; placed after
    the levels of misspelt names and before "one name exact". m by EM, u from Splink's random pairs.
    """
    import splink.comparison_level_library as cll

    folded = cll.ExactMatchLevel("full_tr").configure(
        label_for_charts="both equal after transliteration folding", tf_adjustment_column="full_tr")
    swapped = cll.CustomLevel("fn_tr_l = sn_tr_r and sn_tr_l = fn_tr_r",
                              label_for_charts="swapped, both equal after transliteration folding")
    vowels = cll.CustomLevel("(fn_vw_l = fn_vw_r and sn_vw_l = sn_vw_r) or (fn_vw_l = sn_vw_r and sn_vw_l = fn_vw_r)",
                             label_for_charts="both equal after folding vowels (or swapped)")
    return [folded, swapped, vowels]
