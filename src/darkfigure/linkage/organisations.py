"""Organisation names of registration files: one organisation, one list.

The renaming asked for (``--rename-organisations``), the merging of spellings that differ
only in case, spacing or accents, the warnings about look-alike names and files that hold
several organisations, and the note about record ids shared between organisations, used by
:func:`darkfigure.linkage.registrations.read_registration_files`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

from .names import fold_ascii
from .registrations import RegistrationError


def _rename_organisations(frames: Sequence[pd.DataFrame], rename: Mapping[str, str] | None) -> list[str]:
    """Apply ``{old: new}`` organisation names to every frame in place; return a note per name mapped.

    Raises
    ------
    RegistrationError
        An old or new name that is empty, or an old name that no file holds (a typo would
        otherwise pass silently).
    """
    if not rename:
        return []
    rename = {str(k).strip(): str(v).strip() for k, v in rename.items()}
    if any(not k or not v for k, v in rename.items()):
        raise RegistrationError("an organisation name to rename (or its new name) is empty: write OLD=NEW, e.g. "
                                "--rename-organisations 'Politie=police'")
    present = set().union(*(set(pd.unique(f["organisation"])) for f in frames))
    absent = [k for k in rename if k not in present]
    if absent:
        raise RegistrationError(
            f"organisation(s) {', '.join(map(repr, absent))} to rename are in no registration file; the files hold "
            f"{', '.join(map(repr, sorted(present)))} (names as written, case and spacing included)")
    notes = []
    for k, v in rename.items():
        n = int(sum((f["organisation"] == k).sum() for f in frames))
        notes.append(f"organisation {k!r} renamed {v!r} as asked ({n:,} registration(s))")
    for f in frames:
        f["organisation"] = f["organisation"].replace(rename)
    return notes


def _shared_ids_note(frames: Sequence[pd.DataFrame]) -> list[str]:
    """A note when one record_id is used by two organisations: harmless (ids are per organisation) but said, since
    it may mean one organisation's rows were exported under another's name."""
    ids = pd.concat([f[["organisation", "record_id"]] for f in frames], ignore_index=True).drop_duplicates()
    n_org = ids.groupby("record_id", sort=False)["organisation"].nunique()
    shared = n_org[n_org > 1]
    if shared.empty:
        return []
    first = shared.index[0]
    orgs = ", ".join(map(repr, pd.unique(ids.loc[ids["record_id"] == first, "organisation"])))
    return [f"{len(shared):,} record_id(s) are used by more than one organisation (e.g. {first!r} by {orgs}); ids "
            "are read per organisation, so these stay separate registrations: check that no file holds another "
            "organisation's rows"]


def _organisation_key(name: str) -> str:
    """The form of an organisation name that ignores case, spacing and accents (``" Politié "`` -> ``"politie"``)."""
    return " ".join(fold_ascii(name).casefold().split())


#: two organisation names whose keys are at least this similar (difflib ratio) look like spellings of one
SIMILAR_ORGANISATIONS = 0.75


#: one organisation name holding another plus at most this many letters is a spelling of it (``shelter``/
#: ``shelters``, ``police``/``police nl``); plus a word (``border police``, ``Grenspolitie``) it is another organisation
SPELLING_EXTRA = 2


def _look_alike(a: str, b: str) -> bool:
    """True when two organisation keys look like spellings of one name.

    Compared without spaces, underscores and hyphens (``FairWork``/``fair_work`` alike): when one holds the
    other, they are alike only if the longer adds at most :data:`SPELLING_EXTRA` characters (a plural, a country
    code); a name that adds a word is another organisation (``border_police``/``police``,
    ``grenspolitie``/``politie``), whatever its similarity. Otherwise alike when similar (difflib ratio >=
    :data:`SIMILAR_ORGANISATIONS`; ``police``/``politie`` 0.92, ``kmar``/``police`` 0.2); never when they differ
    only in their numbers (``org1``/``org2``)."""
    from difflib import SequenceMatcher

    a2, b2 = re.sub(r"[\s_\-]+", "", a), re.sub(r"[\s_\-]+", "", b)
    if a2 == b2:
        return True  # apart only in their spaces or separators ("KMar", "K Mar", "k_mar")
    if re.sub(r"\d+", "", a2) == re.sub(r"\d+", "", b2):
        return False  # a numbered series (org1, org2; region 3, region 4) is named so on purpose
    short, long_ = sorted((a2, b2), key=len)
    if short and short in long_:
        # a qualifier word makes another organisation (border police, youth care); a plural or code does not
        return len(short) >= 3 and len(long_) - len(short) <= SPELLING_EXTRA
    return SequenceMatcher(None, a2, b2).ratio() >= SIMILAR_ORGANISATIONS


def unify_organisations(frames: Sequence[pd.DataFrame]) -> tuple[list[str], list[str]]:
    """Make every organisation one list: merge spellings that differ only in case, spacing or accents, and warn
    about names that look like variants of each other or files that hold several organisations.

    An organisation is a list of multiple systems estimation. Written two ways (``police``,
    ``POLICE``) it would become two lists, each holding part of the same registrations:
    two strongly dependent lists, and every N̂ from them is wrong. So names equal after
    folding accents, case and spacing (:func:`fold_ascii`, casefold, single spaces) are
    merged into their commonest spelling (ties: the first seen), with a note naming the
    spellings. Names that still differ but look alike (one holds the other plus at most a
    plural or code, :func:`_look_alike`; or difflib ratio >= :data:`SIMILAR_ORGANISATIONS`:
    ``police``/``Politie``; not ``border_police``/``police``) cannot be merged
    safely and get a warning with their counts and files; so does a file that holds
    several organisations (a combined export is fine, a data-entry variant is not), and an
    organisation whose registrations come from several files (per-year exports are fine, a file
    whose 'organisation' column names another organisation is not).

    Parameters
    ----------
    frames : sequence of DataFrame
        Validated registration frames (``organisation`` as stripped text, ``attrs["source"]``);
        their ``organisation`` column is rewritten in place.

    Returns
    -------
    (notes, warnings) : two lists of str.
    """
    names = pd.concat([f["organisation"] for f in frames], ignore_index=True)
    counts = names.value_counts(sort=False)  # first-seen order
    key_of = {v: _organisation_key(v) for v in counts.index}
    groups: dict[str, list[str]] = {}
    for v in counts.index:
        groups.setdefault(key_of[v], []).append(v)
    rename, notes = {}, []
    for spellings in groups.values():
        if len(spellings) < 2:
            continue
        keep = max(spellings, key=lambda v: counts[v])  # max keeps the first seen among ties
        rename.update({v: keep for v in spellings if v != keep})
        listed = ", ".join(f"{v!r} ({counts[v]:,})" for v in spellings)
        notes.append(f"organisation names that differ only in case, spacing or accents taken as one organisation "
                     f"{keep!r}: {listed}")
    if rename:
        for f in frames:
            f["organisation"] = f["organisation"].replace(rename)
    canon = list(dict.fromkeys(rename.get(v, v) for v in counts.index))
    total = {c: int(sum(counts[v] for v in counts.index if rename.get(v, v) == c)) for c in canon}
    files = {c: [f.attrs.get("source", "registrations") for f in frames if (f["organisation"] == c).any()]
             for c in canon}
    warnings = []
    # look-alike names anywhere in the set (one file or two): components of the look-alike graph
    alike: dict[str, set[str]] = {}
    for i, a in enumerate(canon):
        for b in canon[i + 1:]:
            if _look_alike(_organisation_key(a), _organisation_key(b)):
                alike.setdefault(a, {a}).add(b)
                alike.setdefault(b, {b}).add(a)
    seen: set[str] = set()
    flagged: set[str] = set()
    for c in canon:
        if c not in alike or c in seen:
            continue
        comp, todo = set(), [c]
        while todo:
            x = todo.pop()
            if x not in comp:
                comp.add(x)
                todo += list(alike[x])
        seen |= comp
        members = [x for x in canon if x in comp]
        flagged |= comp
        listed = "; ".join(f"{x!r}: {total[x]:,} registration(s) in {', '.join(files[x])}" for x in members)
        most = max(members, key=lambda x: total[x])
        mapping = ",".join(f"{x}={most}" for x in members if x != most)
        warnings.append(
            f"organisation names that look like spellings of one organisation: {listed}. They are linked as "
            f"{len(members)} separate lists; if they are one organisation, one list split in parts makes every N̂ "
            f"wrong: map them onto one name (e.g. --rename-organisations '{mapping}'; in Python "
            "rename_organisations=) or write one name in the 'organisation' column of every file, and run link "
            "again")
    for c in canon:  # one list from several files: right for one organisation's exports, wrong for a mislabelled
        if len(files[c]) > 1 and c not in flagged:  # file (tester 14b, M3: two registers silently one list)
            per = "; ".join(f"{src}: {int((f['organisation'] == c).sum()):,}" for f in frames
                            if (src := f.attrs.get("source", "registrations")) in files[c])
            warnings.append(
                f"organisation {c!r} has registrations in {len(files[c])} files ({per}): they are linked as one "
                "list. Right if they are one organisation's exports (e.g. one per year); if a file is another "
                "organisation's export with a wrong 'organisation' column, correct it (or --rename-organisations "
                "'OLD=NEW' after writing its own name), since two registers taken as one list make every N̂ wrong")
    for f in frames:
        vals = pd.unique(f["organisation"])
        if len(vals) < 2 or set(vals) <= flagged:
            continue
        vc = f["organisation"].value_counts(sort=False)
        listed = ", ".join(f"{v!r} ({vc[v]:,})" for v in vals)
        warnings.append(
            f"{f.attrs.get('source', 'registrations')} holds {len(vals)} organisations in column 'organisation' "
            f"({listed}); each becomes its own list. If the file is one organisation's export, map the names onto "
            "one (--rename-organisations 'OLD=NEW') or write its one name in every row, and run link again; if it "
            "combines several organisations, this is as intended")
    return notes, warnings
