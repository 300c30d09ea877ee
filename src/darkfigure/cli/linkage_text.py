"""The linkage footer's words of ``darkfigure estimate``: the encoding of a link folder and the sentence on the
matches blocking never compared (moved from :mod:`darkfigure.cli.estimate`, which re-exports them)."""

from __future__ import annotations

from pathlib import Path


def link_encoding(data) -> str | None:
    """``"plaintext"`` or ``"pseudonymised"``: the encoding a link folder's ``linkage_settings.json`` records; None
    for anything else (no folder, no file, an older file without it)."""
    import json

    try:
        p = Path(str(data)) / "linkage_settings.json"
        enc = json.loads(p.read_text(encoding="utf-8")).get("encoding") if p.is_file() else None
    except (OSError, ValueError, AttributeError):
        return None
    return enc if enc in ("plaintext", "pseudonymised") else None


def unblocked_text(lk, encoding: str | None = None) -> str:
    """What the correction did about true matches never compared (``LinkageEstimate.unblocked_added``), in words.

    Each draw adds the expected number of them (``link_run.add_unblocked_matches``; tester 11, finding 7). When
    none were added, `encoding` (of the link run: :func:`link_encoding`) says which reason holds: plaintext
    files expect none, pseudonymised ones cannot count them (tester 13b, L11: the either-or read as ambiguous).
    """
    added = getattr(lk, "unblocked_added", None)
    if added is None:
        head = "true matches never compared (not blocked together) are not added to the draws: "
        if encoding == "plaintext":
            return head + ("capture-recapture on the identifiers of these plaintext files expects none")
        if encoding == "pseudonymised":
            return head + ("their number cannot be estimated from pseudonymised files (no identifiers to count them "
                           "on), so the missed links may be under-counted")
        return head + ("none are expected (plaintext files), or their number cannot be estimated (pseudonymised "
                       "files)")
    if round(float(added), 1) == 0:  # "0.0 expected ... under-counts matches" was a caveat about nothing (s24 L4)
        return ("true matches never compared (not blocked together): capture-recapture on the identifiers expects "
                "none (0.0)")
    return (f"true matches never compared (not blocked together; {added:,.1f} expected) are added to each draw by "
            "their expected number (capture-recapture on the identifiers), which under-counts matches with errors "
            "in several fields")

