"""The record of one kind of warning and its plain-words explanation (:class:`Explanation`), used by
:mod:`darkfigure.report.explain`'s catalogue (which re-exports it)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Explanation"]


@dataclass(frozen=True)
class Explanation:
    """A kind of warning and its plain-words explanation.

    Attributes
    ----------
    key : str
        Short identifier (stable; used in tests and as an HTML anchor).
    pattern : str
        Regular expression (case-insensitive, searched anywhere in the text).
    title : str
        A few words naming the problem.
    meaning : str
        What it means for the estimate.
    action : str
        What to do.
    severity : str
        ``"warning"`` (the numbers may mislead) or ``"note"`` (for information).
    """

    key: str
    pattern: str
    title: str
    meaning: str
    action: str
    severity: str = "warning"
