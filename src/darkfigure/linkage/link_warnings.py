"""The warnings of a ``darkfigure link`` run, repeated by the estimates made from its persons.

``link`` warns about linkage it could not do well (an organisation with many unusable
names, an organisation spelt two ways, ...). Those warnings concern N̂ as much as the
linkage: ``estimate`` and ``monitor`` on the link output (its folder, its
``histories.csv``, or a :class:`~darkfigure.linkage.LinkageResult`) repeat them in their
own warnings, prefixed :data:`LINK_PREFIX`, so that they reach the terminal,
``result.json``, the report and the "to publish" caveats (tester report 11, finding 3).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["LINK_PREFIX", "link_warnings", "is_link_warning", "add_link_warnings"]

#: prefix of a warning repeated from ``darkfigure link``
LINK_PREFIX = "link: "


def _folder_of(data: Any) -> Path | None:
    """The ``link`` output folder behind `data` (the folder, or its histories.csv), or None."""
    if not isinstance(data, (str, os.PathLike)):
        return None
    p = Path(data)
    try:
        folder = p if p.is_dir() else p.parent if p.name == "histories.csv" and p.is_file() else None
    except OSError:
        return None
    if folder is None or not ((folder / "histories.csv").is_file() and (folder / "links.csv").is_file()):
        return None
    return folder


def link_warnings(data: Any) -> list[str]:
    """The warnings of the linkage behind `data`, each prefixed :data:`LINK_PREFIX`.

    Parameters
    ----------
    data : path, LinkageResult or anything else
        A ``darkfigure link`` output folder or its ``histories.csv`` (the warnings are read
        from the folder's ``linkage_settings.json``), or a ``LinkageResult`` (its
        ``warnings``). Anything else (a file made elsewhere, a frame, CaptureHistories)
        gives none.

    Returns
    -------
    list of str
        ``["link: ...", ...]``, in ``link``'s order; empty when there are none or the
        settings file is missing or unreadable (an older link folder).
    """
    if hasattr(data, "records") and hasattr(data, "histories") and hasattr(data, "warnings"):
        said = list(data.warnings or [])
    else:
        folder = _folder_of(data)
        if folder is None or not (folder / "linkage_settings.json").is_file():
            return []
        try:
            said = json.loads((folder / "linkage_settings.json").read_text(encoding="utf-8")).get("warnings") or []
        except (OSError, ValueError, AttributeError):
            return []
    return [LINK_PREFIX + str(w) for w in said if str(w).strip()]


def is_link_warning(warning: str) -> bool:
    """True when `warning` was repeated from ``darkfigure link`` (:func:`link_warnings`)."""
    return str(warning).startswith(LINK_PREFIX)


def add_link_warnings(warnings: list[str], data: Any) -> None:
    """Put the warnings of the linkage behind `data` (:func:`link_warnings`) first in `warnings`, in place.

    For a front door that read `data` itself and passed the histories on (``darkfigure
    estimate``/``monitor``, :func:`darkfigure.monitoring.core.monitor`); a warning already
    there is not repeated.
    """
    said = [w for w in link_warnings(data) if w not in warnings]
    warnings[:0] = said
