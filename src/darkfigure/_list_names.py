"""Whether a column's name reads like a property of the person: the rules on 0/1 columns found as lists.

Pure Python (no pandas): the lean ``estimate FILE --method dga`` path (:mod:`darkfigure.cli.lean`) uses it too.
Moved here from :mod:`darkfigure._history_checks` (:data:`_PERSON_WORDS`, :func:`_reads_like_covariate`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["auto_lists_notes", "name_reads_like_covariate"]

#: 0/1 column names that describe the person (tester report 7, 24): never taken as a list unless named in --lists
_PERSON_WORDS = {
    "sex", "gender", "female", "male", "woman", "women", "man", "men", "girl", "boy", "minor", "adult", "child",
    "juvenile", "foreign", "foreigner", "citizen", "national", "married", "urban", "rural", "employed", "vrouw",
    "meisje", "jongen", "minderjarig", "geslacht",
}


def _reads_like_covariate(name) -> bool:
    """True when a column name reads like a property of the person (``female``, ``is_minor``, ``Sex``)."""
    n = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    for prefix in ("is_", "has_"):
        n = n.removeprefix(prefix)
    return n in _PERSON_WORDS


#: word parts of a column name that describe the person, beside :data:`_PERSON_WORDS` (a 0/1 column named by one of
#: those alone is refused as a list; as a part of a longer name it asks for the note of :func:`auto_lists_notes`)
_PERSON_PARTS = {"age", "aged", "ethnic", "ethnicity", "migrant", "immigrant", "native", "youth", "dutch"}


def name_reads_like_covariate(name: object) -> bool:
    """Whether a column name has a word part that describes the person (``sex_m``, ``isMinor``, ``nationality_eu``,
    ``age18plus``): its parts split at anything but letters and at a lower-to-upper case change."""
    text = re.sub(r"([a-z])([A-Z])", r"\1_\2", str(name))
    parts = [p for p in re.split(r"[^a-z]+", text.lower()) if p]
    return any(_reads_like_covariate(p) or p in _PERSON_PARTS or p.startswith("nation") for p in parts)


def auto_lists_notes(lists: Sequence[str], one_two: Sequence[str] = ()) -> list[str]:
    """The note after the lists were found as the 0/1 columns (not named), when that choice may be wrong.

    Every run on 0/1 columns said "if one of them is a 0/1 covariate (e.g. sex), name the lists", also on the
    bundled datasets (s24 fresh clone, L4). The rule now: the note is given when a column taken as a list has a name
    that reads like a property of the person (:func:`name_reads_like_covariate`; a name that is such a word alone,
    ``sex``, is refused as a list before this), or when a column coded 1/2 was read as a covariate (a list as SPSS
    exports it). Names such as ``police``, ``ngo``, ``A``, ``S1`` or ``EXH`` get no note: nothing in them suggests
    a covariate, and a covariate hidden among them still meets the check of the data in
    :func:`darkfigure._list_checks.shadow_list_warnings`.

    Parameters
    ----------
    lists : sequence of str
        The columns taken as lists.
    one_two : sequence of str
        Columns coded 1/2 that were read as covariates.

    Returns
    -------
    list of str: one note, or none.
    """
    person = [str(c) for c in lists if name_reads_like_covariate(c)]
    if not person and not one_two:
        return []
    note = f"lists taken to be the 0/1 columns {', '.join(map(str, lists))}"
    if person:
        note += (f"; {', '.join(person)} read{'s' if len(person) == 1 else ''} like a property of the person: if "
                 f"{'it is a' if len(person) == 1 else 'one of them is a'} 0/1 covariate, name the lists explicitly "
                 "(lists=[...], --lists)")
    if one_two:
        note += (f"; column(s) {', '.join(map(str, one_two))} coded 1/2 were read as covariates (a list coded "
                 "1 = registered, 2 = not, as SPSS exports it, must be recoded 1/0)")
    return [note]
