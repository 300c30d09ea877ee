"""A surname (or first name) on most of one organisation's persons, and rare elsewhere: a placeholder or a field
filled wrongly.

Tester 20a (M4): every one of ``health``'s 429 registrations carried the surname ``Nguyen`` (an export that wrote
one value into the column, or the wrong column mapped to it). Nothing warned: the placeholder lists
(:mod:`.placeholder_names`) hold no real surname, and the frequent-name rule
(:func:`.placeholder_names.frequent_name_warnings`) looks at the full name, which differed. Recall fell 0.960 ->
0.945 and N̂ as linked rose 8.5%: health's persons, compared on a wrong surname, were not linked to their
registrations elsewhere.

The rule (per organisation and name field, on persons: distinct first name + surname + date of birth as link
compares them, so that one person registered often counts once). A value of the field is flagged at organisation
``o`` when, among the persons of ``o`` with that field,

- it is carried by at least :data:`PART_MIN` persons and :data:`PART_SHARE` (half) of them;
- its share there is beyond what any honest register shows: the Binomial upper tail at :data:`PART_REAL_MAX` is
  below :data:`PART_P`. 0.4 is about the share of the commonest surname of any national population (Nguyen in
  Vietnam, about 38%; Kim in Korea about 21%; the commonest first names of a cohort stay below it), so a register of
  one nationality reaches half only by chance, which the tail bound rules out (a Vietnamese register of 30 persons,
  Nguyen at 40%: 15 or more Nguyen in 10% of such registers, 30 in none);
- it is at least :data:`PART_RATIO` times as frequent as among the persons of the other organisations (their named
  persons pooled): a value common there too (a Vietnamese-heavy register beside others that hold many Vietnamese)
  is a population, not a fault. Without other organisations the first two conditions decide.

Measured: no value flagged on the bundled synthetic settings (``simulate_registrations``, every setting including
``recurring_names``, seeds 1-3) nor on testers 19a's and 20a's populations (villages of a handful of surnames, a
Vietnamese organisation at 40% Nguyen); flagged: tester 20a's H3 (``Nguyen`` on all of ``health``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["PART_MIN", "PART_P", "PART_RATIO", "PART_REAL_MAX", "PART_SHARE", "blank_name_parts", "frequent_name_parts",
           "name_part_mask", "name_part_warnings", "prepared_name_parts"]

#: least share of an organisation's persons (with that field) carrying one value
PART_SHARE = 0.5
#: fewest persons carrying it
PART_MIN = 30
#: about the largest share of one surname (or first name) in an honest population
PART_REAL_MAX = 0.4
#: Binomial upper-tail probability at PART_REAL_MAX below which the share is beyond chance
PART_P = 1e-3
#: least ratio of its share at the organisation to its share at the other organisations
PART_RATIO = 5.0
#: what a pseudonymised value is shown as
ENCODED = "(encoded)"
#: the fields tested: (prepared column given to the finder, words in the message)
_FIELDS = (("surname", "surname"), ("first_name", "first name"))


def frequent_name_parts(org: Sequence, first: Sequence, surname: Sequence, dob: Sequence | None = None,
                        shown_first: Sequence | None = None, shown_surname: Sequence | None = None) -> pd.DataFrame:
    """The (organisation, field, value) triples of the module's rule.

    Parameters
    ----------
    org : organisation of each registration, shape (n,).
    first, surname : the compared (normalised) names, None/NaN when missing, shape (n,); pseudonymised tokens work
        alike (equal names, equal tokens).
    dob : the compared date of birth (None/NaN when missing), shape (n,), optional: persons are distinct
        (first, surname, dob); without it, distinct (first, surname).
    shown_first, shown_surname : how each registration's value is named in a message (default: the compared value),
        shape (n,); the most frequent spelling of the flagged rows is shown.

    Returns
    -------
    DataFrame with ``organisation``, ``field`` (``"surname"`` / ``"first_name"``), ``value`` (compared),
    ``shown``, ``persons`` (persons of the organisation carrying it), ``named`` (its persons with the field),
    ``share``, ``share_elsewhere`` (among the other organisations' persons with the field; 0 when none) and
    ``registrations`` (its registrations carrying it); one row per flagged value, largest share first.
    """
    from scipy.stats import binom

    cols = ["organisation", "field", "value", "shown", "persons", "named", "share", "share_elsewhere",
            "registrations"]
    n = len(org)
    o = pd.Series(np.asarray(org, dtype=object)).astype(str)
    f = pd.Series(np.asarray(first, dtype=object))
    s = pd.Series(np.asarray(surname, dtype=object))
    d = pd.Series(np.asarray(dob, dtype=object) if dob is not None else np.full(n, None, dtype=object))
    shown = {"first_name": pd.Series(np.asarray(shown_first if shown_first is not None else first, dtype=object)),
             "surname": pd.Series(np.asarray(shown_surname if shown_surname is not None else surname, dtype=object))}
    ident = pd.DataFrame({"o": o, "first_name": f.where(f.notna(), None), "surname": s.where(s.notna(), None),
                          "d": d.where(d.notna(), None)})
    persons = ident.drop_duplicates()
    out = []
    for field, _ in _FIELDS:
        p = persons[persons[field].notna()]
        if p.empty:
            continue
        named = p.groupby("o").size()
        counts = p.groupby(["o", field]).size()
        big = counts[(counts >= PART_MIN)
                     & (counts >= PART_SHARE * named.reindex(counts.index.get_level_values(0)).to_numpy())]
        if big.empty:
            continue
        total_v = p.groupby(field).size()
        for (oo, v), k in big.items():
            m = int(named[oo])
            if binom.sf(k - 1, m, PART_REAL_MAX) >= PART_P:
                continue
            rest = int(named.sum()) - m
            else_share = (int(total_v[v]) - int(k)) / rest if rest > 0 else 0.0
            if k / m < PART_RATIO * else_share:
                continue
            rows = ((o == oo) & (ident[field] == v)).to_numpy()
            spelled = shown[field][rows].dropna().astype(str)
            out.append({"organisation": oo, "field": field, "value": v,
                        "shown": spelled.value_counts().index[0] if len(spelled) else str(v), "persons": int(k),
                        "named": m, "share": k / m, "share_elsewhere": else_share, "registrations": int(rows.sum())})
    if not out:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame(out)[cols].sort_values("share", ascending=False, kind="stable").reset_index(drop=True)


def name_part_mask(org: Sequence, values: Sequence, table: pd.DataFrame, field: str) -> np.ndarray:
    """Whether each registration's `field` value is flagged for its organisation in `table`
    (:func:`frequent_name_parts`), shape (n,) bool."""
    t = table[table["field"] == field] if len(table) else table
    if t is None or len(t) == 0:
        return np.zeros(len(org), dtype=bool)
    keys = set(zip(t["organisation"].astype(str), t["value"]))
    o = np.asarray(org, dtype=object).astype(str)
    v = np.asarray(values, dtype=object)
    return np.fromiter(((a, b) in keys for a, b in zip(o, v)), dtype=bool, count=len(o))


def name_part_warnings(table: pd.DataFrame, blanked: bool = False) -> list[str]:
    """One warning per flagged value of :func:`frequent_name_parts` (empty list: none).

    Parameters
    ----------
    table : the output of :func:`frequent_name_parts`.
    blanked : whether link compares these registrations without that field (said in the warning).
    """
    out = []
    words = dict(_FIELDS)
    for r in table.itertuples(index=False):
        w = words.get(r.field, r.field)
        done = (f"link compares these registrations without their {w}" if blanked
                else "link compares it as written, so these persons hardly link to their registrations elsewhere")
        what = f"one encoded {w}" if r.shown == ENCODED else f"the {w} {r.shown!r}"
        out.append(
            f"organisation {r.organisation!r}: {what} is on {r.persons:,} of its {r.named:,} persons "
            f"with a {w} ({r.share:.0%}; {r.registrations:,} registrations), against {r.share_elsewhere:.1%} at the "
            f"other organisations: it looks like a placeholder or a field filled wrongly (one value written for "
            f"every person, or another column exported as the {w}); {done}. Check the export of {r.organisation!r} and "
            f"correct the {w} (or leave it empty where it is not known), then run link again. If the value is real "
            f"(a community where one {w} is this common, as Singh among Sikh men), nothing needs correcting: it says "
            f"little about who is who there, and the other fields carry the linkage")
    return out


def prepared_name_parts(prep: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    """:func:`frequent_name_parts` of prepared registrations, plaintext (``fn``, ``sn``, ``dob``; shown as written in
    `df`) or pseudonymised (``tok_first_name``, ``tok_surname``, ``tok_date_of_birth``; shown as "(encoded)").

    Parameters
    ----------
    prep : prepared registrations, shape (n, ...), with ``org`` or the `df` organisations in the same order.
    df : the registrations as read, shape (n, ...) (``organisation``; ``first_name``/``surname`` in plaintext).

    Returns
    -------
    the table of :func:`frequent_name_parts` (empty when the name columns are absent).
    """
    plain = {"fn", "sn"} <= set(prep.columns)
    f, s, d = ("fn", "sn", "dob") if plain else ("tok_first_name", "tok_surname", "tok_date_of_birth")
    if not {f, s} <= set(prep.columns) or "organisation" not in df.columns:
        return frequent_name_parts([], [], [])
    n = len(prep)
    shown_f = df["first_name"].to_numpy(dtype=object) if plain and "first_name" in df else np.full(n, ENCODED)
    shown_s = df["surname"].to_numpy(dtype=object) if plain and "surname" in df else np.full(n, ENCODED)
    return frequent_name_parts(df["organisation"].astype(str).to_numpy(), prep[f].to_numpy(dtype=object),
                               prep[s].to_numpy(dtype=object),
                               prep[d].to_numpy(dtype=object) if d in prep.columns else None, shown_f, shown_s)


def blank_name_parts(df: pd.DataFrame, fn, sn, dob: pd.Series):
    """The compared names with the flagged values of :func:`frequent_name_parts` blanked (read as missing).

    Parameters
    ----------
    df : the plaintext registrations as read, shape (n, ...) (``organisation``, ``first_name``, ``surname``).
    fn, sn : the normalised first names and surnames, Arrow string arrays of length n (null: missing).
    dob : the compared dates of birth (NaT: missing), shape (n,).

    Returns
    -------
    (fn, sn, table): the names with the flagged values null, and the table of :func:`frequent_name_parts`.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    f, s = fn.to_numpy(zero_copy_only=False), sn.to_numpy(zero_copy_only=False)
    org = df["organisation"].astype(str).to_numpy()
    t = frequent_name_parts(org, f, s, pd.Series(dob).to_numpy(), df["first_name"].to_numpy(dtype=object),
                            df["surname"].to_numpy(dtype=object))
    if t.empty:
        return fn, sn, t
    null = pa.scalar(None, pa.string())
    fn = pc.if_else(pa.array(name_part_mask(org, f, t, "first_name")), null, fn)
    sn = pc.if_else(pa.array(name_part_mask(org, s, t, "surname")), null, sn)
    return fn, sn, t
