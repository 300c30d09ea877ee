"""Registrations without a date of birth among namesakes: where the linkage can only guess (tester 14a, H2).

A registration without a date of birth whose name (exact normalised first name and surname, with sex and
nationality) is carried by several persons with a date, as linked, could belong to any of them: nothing in the
registration tells them apart but the registration date and covariates. The linkage then either joins it to
one of them (a guess) or leaves it as a person of its own (a person counted twice when it is one of them): N̂
as linked may be too high, and the model's expected missed links do not see it. Tester 14a's generator (79% of
persons sharing their full name, 10-20% of registrations undated) gave recall 0.67-0.84 and N̂ +30-99% without
any warning. :func:`undated_namesakes` counts such registrations; :func:`undated_namesake_messages` gives a
note always and a warning above :data:`UNDATED_AMONG_NAMESAKES_WARNING`. With a truth column,
:func:`truth_quality_warnings` warns when pairwise precision or recall is below :data:`QUALITY_TARGET`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

# The phrases by which the link warnings say which way N̂ as linked is off; publish's "linkage-first" rule matches
# them (publish._linkage_says_too_high), so a rewording here must go through these names.
NHAT_TOO_HIGH = "too high"
NHAT_TOO_LOW = "too low"

__all__ = ["QUALITY_TARGET", "UNDATED_AMONG_NAMESAKES_MATERIAL", "UNDATED_AMONG_NAMESAKES_WARNING", "token_names", "truth_quality_warnings",
           "undated_namesake_messages", "undated_namesakes"]

#: share of the undated registrations (with a name) among several dated namesakes above which link warns: measured
#: (module docstring of :func:`undated_namesake_messages`)
UNDATED_AMONG_NAMESAKES_WARNING = 0.25
#: and the share of all registrations they must reach for the warning (below it, a note): tester 20a (groups of
#: villagers with few surnames) had 29-96 such registrations, 0.5-1.5 % of all, and the warning's "N̂ as linked too
#: high" stopped every verdict there ("nor a floor") where the corrected lower limits were valid floors; the settings
#: of the module docstring whose N̂ was 30-100 % too high had 4.5-14 % (share 0.45-0.70 of 10-20 % undated)
UNDATED_AMONG_NAMESAKES_MATERIAL = 0.03
#: pairwise precision and recall against a truth column below which link warns
QUALITY_TARGET = 0.95


def undated_namesakes(prep: pd.DataFrame, labels: Sequence | np.ndarray) -> dict:
    """Registrations without a date of birth in name groups that hold several dated persons as linked.

    Parameters
    ----------
    prep : DataFrame, shape (n_registrations, ...)
        Prepared plaintext registrations: ``fn``, ``sn`` (normalised names, null when missing), ``dob_day`` (null
        when no usable date of birth), ``sex``/``nat`` where present (a missing value is a value of its own).
    labels : array of shape (n_registrations,)
        The found person of each registration.

    Returns
    -------
    dict with ``undated`` (registrations without a date of birth but with both names), ``among_namesakes``
    (of those, the ones whose name group — first name, surname, sex, nationality — holds at least two distinct
    found persons with a dated registration), ``share`` (among_namesakes / undated, 0 when none), ``groups``
    (such name groups), ``registrations`` (all registrations), ``alone`` (of the among_namesakes, those left as a
    person of their own: the persons possibly counted twice) and ``persons`` (found persons).

    Raises
    ------
    ValueError
        `labels` not one per registration.
    """
    labels = np.asarray(labels)
    n = len(prep)
    if labels.shape != (n,):
        raise ValueError(f"labels must have one value per registration ({n}), not shape {labels.shape}")
    out = {"undated": 0, "among_namesakes": 0, "share": 0.0, "groups": 0, "registrations": n}
    if not {"fn", "sn", "dob_day"} <= set(prep.columns) or n == 0:
        return out
    named = prep["fn"].notna().to_numpy() & prep["sn"].notna().to_numpy()
    dated = pd.to_numeric(prep["dob_day"], errors="coerce").notna().to_numpy()
    key = np.zeros(n, dtype=np.int64)
    for c in ("fn", "sn", "sex", "nat"):
        if c in prep.columns:
            codes, uniq = pd.factorize(prep[c].to_numpy())
            key = pd.factorize(key * (len(uniq) + 1) + codes)[0].astype(np.int64)
    # dated persons per name group: distinct found persons among the group's dated registrations
    d = pd.DataFrame({"g": key[named & dated], "p": pd.factorize(labels)[0][named & dated]}).drop_duplicates()
    persons = d.groupby("g").size()
    several = persons.index[persons.to_numpy() >= 2].to_numpy()
    undated = named & ~dated
    hit = undated & np.isin(key, several)
    codes = pd.factorize(labels)[0]
    sizes = np.bincount(codes)
    out.update(undated=int(undated.sum()), among_namesakes=int(hit.sum()),
               share=float(hit.sum() / undated.sum()) if undated.any() else 0.0,
               groups=int(np.unique(key[hit]).size), alone=int((hit & (sizes[codes] == 1)).sum()),
               persons=int(sizes.size))
    return out


def token_names(prep: pd.DataFrame) -> pd.DataFrame | None:
    """Pseudonymised registrations as :func:`undated_namesakes` reads them: the keyed tokens of the normalised first
    name and surname for ``fn``/``sn`` (equal tokens, equal names), 1.0/NaN in ``dob_day`` where the date-of-birth
    token is present/missing, ``sex``/``nat`` as prepared. None without ``tok_first_name``, ``tok_surname`` and
    ``tok_date_of_birth`` (Bloom filters alone: names compared by similarity, no exact name groups).

    prep : DataFrame, shape (n, ...): prepared pseudonymised registrations. Returns a DataFrame of shape (n, 3-5).
    """
    need = ("tok_first_name", "tok_surname", "tok_date_of_birth")
    if not set(need) <= set(prep.columns):
        return None
    out = pd.DataFrame({"fn": prep["tok_first_name"].to_numpy(dtype=object),
                        "sn": prep["tok_surname"].to_numpy(dtype=object),
                        "dob_day": np.where(prep["tok_date_of_birth"].notna().to_numpy(), 1.0, np.nan)})
    for c in ("sex", "nat"):
        if c in prep.columns:
            out[c] = prep[c].to_numpy(dtype=object)
    return out


def undated_namesake_messages(counts: dict) -> tuple[list[str], list[str]]:
    """The note (always, when some registrations are undated) and the warning (share above
    :data:`UNDATED_AMONG_NAMESAKES_WARNING`, and those registrations at least
    :data:`UNDATED_AMONG_NAMESAKES_MATERIAL` of all registrations when ``counts["registrations"]`` is given) for
    :func:`undated_namesakes`' counts.

    The threshold, measured 2026-12-06 on linked synthetic registrations (share; pairwise precision/recall): the
    bundled clearing-house settings, seeds 1-2: ``standard`` 0.024-0.027 (0.998/0.998-0.999), ``typos``
    0.007-0.012 (0.995/0.993), ``no_dob`` 0.042-0.051 (0.984-0.986/0.981-0.990), ``recurring_names``
    0.057-0.062 (0.989-0.996/0.986-0.994); tester 14a's generator: mild with rare surnames 0.135-0.144
    (0.990-0.993/0.959-0.964, N̂ +3-4%), heavy 0.449-0.488 (0.944-0.951/0.666-0.692, N̂ +89-99%), mild
    0.690-0.700 (0.971-0.981/0.832-0.838, N̂ +30-41%). 0.25 lies between the settings whose linkage held and
    those whose N̂ was far too high.

    Parameters
    ----------
    counts : dict of :func:`undated_namesakes`.

    Returns
    -------
    (warnings, notes) : lists of str.
    """
    u, k = counts.get("undated", 0), counts.get("among_namesakes", 0)
    if not u:
        return [], []
    share = counts["share"]
    note = (f"registrations without a date of birth: {u:,} with a name, of which {k:,} ({share:.0%}) share first "
            f"name, surname, sex and nationality with two or more persons who have a date of birth as linked "
            f"({counts['groups']:,} names)")
    if share < UNDATED_AMONG_NAMESAKES_WARNING:
        return [], [note]
    n = counts.get("registrations")
    if n and k / n < UNDATED_AMONG_NAMESAKES_MATERIAL:
        # many of the undated registrations, but few of all: a person counted twice for each at most, a few per cent
        # floor to a tenth of a per cent, so that 2.99 % never reads "3.0 % … (below 3 %)" (review s20 L2)
        return [], [note + f"; above {UNDATED_AMONG_NAMESAKES_WARNING:.0%} of the undated, but only "
                    f"{math.floor(k / n * 1000) / 10:.1f}% of "
                    f"all {n:,} registrations (below {UNDATED_AMONG_NAMESAKES_MATERIAL:.0%}), too few to move N̂ much"]
    of_all = f"; {k / n:.1%} of all registrations" if n else ""
    # the size from the data (tester 21a M4: a fixed "30-100%" where N̂ as linked was 2.5-11% high): the ones left
    # as persons of their own are the persons possibly counted twice; each is seen by one list, so N̂ moves by more
    alone, persons = counts.get("alone"), counts.get("persons")
    size = (f"{alone:,} of them are persons of their own as linked ({alone / persons:.1%} of the {persons:,} persons): "
            "if they belong to their namesakes, the persons as linked are that many too many and N̂ as linked "
            f"is {NHAT_TOO_HIGH} by more than that share (each is seen by one organisation only)"
            if alone is not None and persons else f"such registrations are often left as persons of their own: N̂ as "
            f"linked may be {NHAT_TOO_HIGH}")
    return [f"{k:,} of the {u:,} registrations without a date of birth ({share:.0%}, above "
            f"{UNDATED_AMONG_NAMESAKES_WARNING:.0%}{of_all}) carry a name that two or more persons with a date of birth "
            f"carry too: the linkage can only guess which of them (if any) each is, from the registration date and "
            f"covariates. {size[0].upper() + size[1:]}. The linkage correction of estimate and monitor on this "
            "folder assigns each to one of its namesakes or none in its draws; only the missing dates of birth (ask "
            "the organisations) or a check of a sample by hand settle it"], [note]


def truth_quality_warnings(true_ids: Sequence, labels: Sequence | np.ndarray) -> list[str]:
    """A warning when the pairwise precision or recall against a truth column is below :data:`QUALITY_TARGET`.

    Parameters
    ----------
    true_ids : the true person of each registration (synthetic data), shape (n,).
    labels : the found person of each registration, shape (n,).

    Returns
    -------
    list of str (empty, or one warning giving both figures)
    """
    from .quality import pairwise_quality

    q = pairwise_quality(pd.Series(np.asarray(true_ids, dtype=object)).astype(str), pd.Series(np.asarray(labels)))
    p, r = float(q["precision"]), float(q["recall"])
    if p >= QUALITY_TARGET and r >= QUALITY_TARGET:
        return []
    what = []
    if r < QUALITY_TARGET:
        what.append(f"recall {r:.3f}: true links missed, N̂ as linked {NHAT_TOO_HIGH}")
    if p < QUALITY_TARGET:
        what.append(f"precision {p:.3f}: false links made, N̂ as linked {NHAT_TOO_LOW}")
    return [f"against the truth column the linkage is below the target of {QUALITY_TARGET} (pairwise precision "
            f"{p:.3f}, recall {r:.3f}): {'; '.join(what)}. The linkage-corrected N̂ corrects only the errors its "
            "model expects"]
