"""One side of a pair of prepared plaintext names (the columns the name levels' SQL reads), for SQL-level tests of
the name conditions (:mod:`darkfigure.linkage.name_sql`, :mod:`darkfigure.linkage.relatives`). Synthetic names only."""

from __future__ import annotations

from darkfigure.linkage.translit import fold_name, vowel_skeleton


def name_side(fn: str | None, sn: str | None) -> dict:
    """The prepared name columns of one registration: names, their sorted letters, the folded and vowel-free first
    name."""
    return {"fn": fn, "sn": sn, "fn_srt": "".join(sorted(fn)) if fn else None,
            "sn_srt": "".join(sorted(sn)) if sn else None, "fn_tr": fold_name(fn),
            "fn_vw": vowel_skeleton(fold_name(fn))}
