"""The Bloom filter settings a pseudonymised file was made with, and a refusal of mixed settings (tester 13b, M3).

``key_id`` depends on the key alone, and ``link`` compared only the filters' length: an organisation that
encoded with another number of hash positions per element (``k``) or another diffusion (``t``) was linked
without a word, and recall fell (0.950 -> 0.928). Since then ``pseudonymise`` writes the settings in a column
of their own, ``bf_settings`` (:func:`settings_text`, e.g. ``"m=1000 k=20 t=3"``; a ``bf_`` column, so never a
covariate), the same on every row. A file without it was written before the settings were recorded; it is
read as made with the defaults, the only settings the command line ever used.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["SETTINGS_COLUMN", "file_settings", "refuse_mixed_settings", "settings_text"]

#: the column of a pseudonymised file that records its Bloom filter settings
SETTINGS_COLUMN = "bf_settings"


def settings_text(m: int, k: int, diffusion: int) -> str:
    """The settings as written in :data:`SETTINGS_COLUMN`: ``"m=<bits> k=<positions> t=<diffusion>"``."""
    return f"m={int(m)} k={int(k)} t={int(diffusion)}"


def _default_text() -> str:
    """The settings of darkfigure's default encoding (:data:`darkfigure.linkage.pseudonymise.SETTINGS`)."""
    from .pseudonymise import SETTINGS

    return settings_text(SETTINGS.m, SETTINGS.k, SETTINGS.diffusion)


def file_settings(df: pd.DataFrame, src: str) -> str | None:
    """The settings recorded in a pseudonymised frame, or None when it has no :data:`SETTINGS_COLUMN`.

    Raises
    ------
    RegistrationError
        The column is not the same on every row (a file that mixes encodings).
    """
    from .registrations import RegistrationError

    if SETTINGS_COLUMN not in df.columns:
        return None
    # rows of an older export (no column: the defaults) concatenated with a newer one read as the defaults, not "nan"
    values = pd.unique(df[SETTINGS_COLUMN].astype(object).where(df[SETTINGS_COLUMN].notna(), _default_text())
                       .astype(str))
    if len(values) > 1:
        raise RegistrationError(
            f"{src}: column {SETTINGS_COLUMN!r} is not the same on every row ({', '.join(values[:3])}): the file "
            "mixes encodings made with different Bloom filter settings; pseudonymise all registrations alike")
    return str(values[0])


def refuse_mixed_settings(frames: Sequence[pd.DataFrame]) -> None:
    """Refuse pseudonymised frames made with different Bloom filter settings (``attrs["bloom_settings"]``).

    A frame without recorded settings counts as made with the defaults.

    Raises
    ------
    RegistrationError
        Two settings among the frames; the message lists the files per setting.
    """
    from .registrations import RegistrationError, _label

    default = _default_text()
    by: dict[str, list[str]] = {}
    for f in frames:
        recorded = f.attrs.get("bloom_settings")
        label = recorded or default
        by.setdefault(label, []).append(_label(f)
                                         + ("" if recorded else " (not recorded: read as the defaults)"))
    if len(by) > 1:
        parts = "; ".join(f"{s}: {', '.join(v)}" for s, v in by.items())
        raise RegistrationError(
            f"the registration files were pseudonymised with different Bloom filter settings ({parts}); filters "
            f"made with different settings cannot be compared: pseudonymise every file with the defaults "
            f"({default}, leave settings= alone)")
