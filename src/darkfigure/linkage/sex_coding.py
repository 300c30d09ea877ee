"""One coding of ``sex`` across the registration files, and a note on values that are neither female nor male.

Linkage compares sex normalised (:func:`darkfigure.linkage.names.normalise_sex`: ``Female``, ``F``, ``vrouw``,
``V`` -> ``f``), and the persons keep the organisations' own spelling of each value
(:func:`darkfigure.linkage.persons._normalise_covariates`). When the files use two codings (``Female``/``Male``
at one organisation, ``F``/``M`` at another) the commonest spelling of each value came from different codings
and the persons' levels read ``F``/``Male`` (tester 12, L6). Such a set is written as ``F``/``M`` here, before
anything else reads it; a set with one coding (``V``/``M``, ``female``/``male``) keeps it. Values that mean neither
(``X``) stay their own level, with a note counting them per organisation.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .names import normalise_sex

#: spellings of (female, male) that make one coding (compared in lower case)
CODINGS = frozenset({("f", "m"), ("v", "m"), ("w", "m"), ("female", "male"), ("vrouw", "man"), ("woman", "man"),
                     ("vrouwelijk", "mannelijk"), ("fem", "masc")})
#: the coding written when the files mix codings
COMMON = {"f": "F", "m": "M"}


def unify_sex_coding(frames: Sequence[pd.DataFrame]) -> list[str]:
    """Write ``sex`` as ``F``/``M`` in every frame (in place) when the frames spell it in more than one coding.

    Parameters
    ----------
    frames : validated registration frames (``sex`` as stripped text where present, ``organisation``,
        ``attrs["source"]``).

    Returns
    -------
    list of str
        Notes: the codings found when they were unified; values that are neither female, male nor unknown,
        with their counts per organisation.
    """
    have = [f for f in frames if "sex" in f.columns]
    if not have:
        return []
    vals = pd.concat([f["sex"].astype(str).str.strip() for f in have], ignore_index=True)
    orgs = pd.concat([f["organisation"] for f in have], ignore_index=True)
    uniq = pd.unique(vals)
    norm = {v: normalise_sex(v) for v in uniq}
    spell: dict[str, dict[str, int]] = {"f": {}, "m": {}}
    counts = vals.value_counts()
    for v in uniq:
        if norm[v] in spell:
            key = v.casefold()
            spell[norm[v]][key] = spell[norm[v]].get(key, 0) + int(counts[v])
    notes = []
    f_sp, m_sp = spell["f"], spell["m"]
    mixed = len(f_sp) > 1 or len(m_sp) > 1 or (f_sp and m_sp and (next(iter(f_sp)), next(iter(m_sp))) not in CODINGS)
    if mixed:
        listed = ", ".join(f"{v!r} ({int(counts[v]):,})" for v in uniq if norm[v] in COMMON)
        notes.append(f"sex is written in more than one coding across the registration files ({listed}): read as one "
                     "coding, F and M (female/woman/vrouw/V -> F, male/man -> M, any case)")
        for f in have:
            s = f["sex"].astype(str).str.strip()
            f["sex"] = s.map(lambda v: COMMON.get(normalise_sex(v), v))
    other = [v for v in uniq if norm[v] not in ("f", "m", "")]
    if other:
        mask = vals.isin(other)
        by = pd.crosstab(vals[mask], orgs[mask])
        parts = "; ".join(f"{v!r}: " + ", ".join(f"{o} {int(n):,}" for o, n in by.loc[v].items() if n)
                          for v in other[:5])
        notes.append(f"sex holds value(s) that are neither female, male nor unknown, kept as their own level ({parts}"
                     f"{'; ...' if len(other) > 5 else ''}); if they mean unknown, leave those cells empty")
    return notes


#: ISO/IEC 5218 codes of sex: 1 male, 2 female; 0 not known, 9 not applicable (read as unknown)
ISO5218 = {"1": "M", "2": "F", "0": "", "9": ""}


def iso5218_sex(frames: Sequence[pd.DataFrame]) -> list[str]:
    """Read an organisation's ``sex`` written as ISO/IEC 5218 digits as letters when other organisations use letters.

    One organisation writing 1/2 (ISO 5218: 1 = male, 2 = female, 0 = not known, 9 = not applicable) beside others
    writing F/M made every pair of its registrations with another organisation's disagree on sex, and the persons
    four sex levels ('1', '2', 'F', 'M'), whose strata then had no upper limit (tester 18a, M5). Such an
    organisation's values are rewritten in place (1 -> M, 2 -> F, 0 and 9 -> empty) and the change is warned,
    naming it. Digits at every organisation are one coding and are left as they are. An organisation writing
    only 0/1 (no standard says which is which) is warned about and left as it is.

    Parameters
    ----------
    frames : validated registration frames (``sex`` as stripped text where present, ``organisation``).

    Returns
    -------
    list of str
        Warnings (empty when nothing was found).
    """
    have = [f for f in frames if "sex" in f.columns]
    if not have:
        return []
    by_org: dict[str, set] = {}
    for f in have:
        s = f["sex"].astype(str).str.strip()
        for o, vals in s.groupby(f["organisation"].astype(str).to_numpy()):
            by_org.setdefault(o, set()).update(v for v in vals.unique() if v and v.lower() not in ("nan", "none"))
    letters = {o for o, v in by_org.items() if any(normalise_sex(x) in ("f", "m") for x in v)}
    digits = {o for o, v in by_org.items() if v and v <= set(ISO5218) and v & {"1", "2"}}
    if not letters or not digits:
        return []
    said = []
    iso = sorted(o for o in digits if "2" in by_org[o] or not by_org[o] <= {"0", "1"})
    zero_one = sorted(o for o in digits if o not in iso)
    for f in have:
        m = f["organisation"].astype(str).isin(iso).to_numpy()
        if m.any():
            s = f["sex"].astype(str).str.strip()
            f.loc[m, "sex"] = s[m].map(lambda v: ISO5218.get(v, v))
    if iso:
        said.append(f"sex at {', '.join(map(repr, iso))} is written as digits, at the other organisations as letters: "
                    "read as ISO/IEC 5218 (1 = male -> M, 2 = female -> F, 0 and 9 = unknown). If the digits mean "
                    "something else there, recode sex in that file and link again")
    if zero_one:
        said.append(f"sex at {', '.join(map(repr, zero_one))} is written as 0/1, at the other organisations as "
                    "letters: no standard says which is which, so those values were kept and disagree with every "
                    "other organisation's (the sex evidence then counts against their true links). Recode sex in that "
                    "file as F/M and link again")
    return said
