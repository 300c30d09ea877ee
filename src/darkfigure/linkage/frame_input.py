"""Registration frames as the linkage reads them: polars frames converted to pandas at the entry (tester 13b, M2).

``dfg.link`` and ``dfg.pseudonymise`` refused a polars DataFrame with "must be a file path or a pandas
DataFrame, not DataFrame", while ``estimate``, ``compare``, ``monitor`` and ``estimate_strata`` take polars
(eager and lazy). :func:`as_registration_frame` converts one polars frame (a LazyFrame is collected first);
:func:`registration_inputs` turns what ``link`` takes (one file or frame, or a sequence of them) into a list.
polars is never imported here: it stays optional.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["as_registration_frame", "is_polars_frame", "registration_inputs"]


def is_polars_frame(data: Any) -> bool:
    """True for a polars DataFrame or LazyFrame (judged by the type's module: polars is not imported)."""
    name = type(data).__name__
    return type(data).__module__.split(".")[0] == "polars" and name in ("DataFrame", "LazyFrame")


def as_registration_frame(data: Any) -> Any:
    """`data` with a polars DataFrame or LazyFrame replaced by the pandas DataFrame of its rows; else unchanged.

    Text columns become object columns, polars nulls ``None`` and dates ``datetime64``: the validation of
    :func:`~darkfigure.linkage.registrations.read_registrations` reads them as it reads a pandas frame.
    """
    if not is_polars_frame(data):
        return data
    if hasattr(data, "collect") and not hasattr(data, "to_pandas"):
        data = data.collect()
    return data.to_pandas()


def registration_inputs(files_or_frames: Any) -> list:
    """One file or frame, or a sequence of them, as a list with every polars frame converted (see above)."""
    if isinstance(files_or_frames, (str, Path, pd.DataFrame)) or is_polars_frame(files_or_frames):
        return [as_registration_frame(files_or_frames)]
    return [as_registration_frame(f) for f in files_or_frames]
