"""What ``link`` says and records of the check whether missing dates of birth cluster in persons.

The check itself is :func:`darkfigure.linkage.undated_mechanism.undated_clustering` (R, the both-undated namesake
pairs of different organisations over chance, its s.e. and z; tester 16a, H1-H2), its words
:func:`~darkfigure.linkage.undated_mechanism.undated_clustering_messages`. Here:

* :func:`clustering_messages` — those words, or, where the check could not be made, a note saying so and why
  (every named registration undated, no namesake pairs of different organisations, or organisations whose
  registrations of a year are all dated or all undated): the note printed "R = 1.00 (s.e. 0.00, z nan)" there,
  a ratio that chance fixes and no test at all (review s17);
* :func:`clustering_record` — the same as a structured field (``ratio``, ``se``, ``z``, ``undated_share``,
  ``pairs``, ``undated_pairs``, ``warned``, ``not_made``) for ``linkage_settings.json`` and, through
  :class:`~darkfigure.linkage.link_run.LinkRun`, ``result.json``'s linkage block (``undated_clustering``).
"""

from __future__ import annotations

import math

__all__ = ["clustering_messages", "clustering_record", "not_made_reason"]

#: the group key of the check, as its note says it
_KEY = "first name, surname, sex, nationality, covariates and registration year"


def _num(v) -> float | None:
    """A finite float, else None (JSON has no NaN)."""
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def not_made_reason(c: dict) -> str | None:
    """Why :func:`~darkfigure.linkage.undated_mechanism.undated_clustering`'s result `c` is no test, or None when it is.

    None also when no named registration lacks a date (nothing to check, nothing to say). Otherwise a reason when
    there are no pairs of different organisations in one group, when every named registration is undated, or when
    T's standard deviation under independence is 0 or its expectation is 0 (every organisation and year has its
    named registrations all dated or all undated, so the organisations and years fix which pairs are both undated).
    """
    share = float(c.get("undated_share") or 0.0)
    if share <= 0:
        return None
    if not c.get("pairs"):
        return (f"no two named registrations of different organisations share {_KEY}, and the check compares such "
                "pairs")
    if share >= 1:
        return ("every named registration lacks a date of birth, so every pair of namesakes is both undated "
                "whatever the reason dates are missing")
    if not float(c.get("expected") or 0.0) > 0 or _num(c.get("z")) is None:
        return ("every organisation has its named registrations of a registration year either all dated or all "
                "undated, so the organisations and years alone fix which namesake pairs are both undated, and "
                "clustering in persons cannot be told from them")
    return None


def clustering_messages(c: dict) -> tuple[list[str], list[str]]:
    """(warnings, notes) of the check's result `c`: :func:`undated_clustering_messages`, or the note that the check
    could not be made and why (:func:`not_made_reason`), never "s.e. 0.00, z nan"."""
    from .undated_mechanism import undated_clustering_messages

    why = not_made_reason(c)
    if why is None:
        return undated_clustering_messages(c)
    return [], [f"whether missing dates of birth cluster in persons could not be checked: {why} "
                f"({float(c['undated_share']):.0%} of the named registrations undated). The linkage correction "
                "assumes they do not"]


def clustering_record(c: dict | None, warned: bool) -> dict | None:
    """The check as a structured field, or None when it was not run (pseudonymised files, no organisation column).

    Parameters
    ----------
    c : dict or None
        :func:`~darkfigure.linkage.undated_mechanism.undated_clustering`'s result.
    warned : bool
        Whether ``link`` warned that missing dates cluster in persons.

    Returns
    -------
    dict or None
        ``ratio`` (R), ``se``, ``z``, ``undated_share`` (of the named registrations), ``pairs`` (namesake pairs of
        different organisations), ``undated_pairs`` (of those, both undated), ``warned`` and ``not_made`` (why the
        check could not be made, None when it was); a figure that is not finite, or any figure of a check not made,
        is None. The thresholds of the warning: ``ratio_warning``, ``z_warning``, ``share_warning``.
    """
    if c is None:
        return None
    from .undated_mechanism import R_WARNING, SHARE_WARNING, Z_WARNING

    why = not_made_reason(c)
    made = why is None and _num(c.get("ratio")) is not None
    if why is None and not made:
        why = "no named registration lacks a date of birth" if not c.get("undated_share") else "no namesake pairs"
    return {"ratio": _num(c.get("ratio")) if made else None, "se": _num(c.get("se")) if made else None,
            "z": _num(c.get("z")) if made else None, "undated_share": _num(c.get("undated_share")),
            "pairs": int(c.get("pairs") or 0), "undated_pairs": int(c.get("undated_pairs") or 0),
            "warned": bool(warned), "not_made": why,
            "ratio_warning": R_WARNING, "z_warning": Z_WARNING, "share_warning": SHARE_WARNING}
