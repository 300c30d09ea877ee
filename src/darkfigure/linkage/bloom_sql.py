"""Bloom-filter encodings as 64-bit words, and their Dice similarity in portable SQL.

A pseudonymised registration carries each fuzzy identifier as a Bloom filter
(Schnell, Bachteler & Reiher 2009, BMC Med. Inform. Decis. Mak. 9:41): the base64
text of ``numpy.packbits`` of a bit array of fixed length m (big-endian bit order).
Two filters are compared by the Dice coefficient of their set bits,
``2 |A ∩ B| / (|A| + |B|)``.

To compute it inside the linkage engine, each filter is cut into ``ceil(m / 64)``
signed 64-bit integers (``<col>__w0``, ``<col>__w1``, ...) and its number of set bits
is stored in ``<col>__n``. The intersection size is then
``sum_i bit_count(l.w_i & r.w_i)``, which DuckDB and Spark SQL evaluate alike
(integer AND and population count are exact), so both engines give the same
similarity to the last bit.
"""

from __future__ import annotations

import binascii

import numpy as np
import pandas as pd

from ..histories import DataError

__all__ = ["decode_bloom_column", "dice_sql", "dice"]


def decode_bloom_column(values: pd.Series, name: str) -> tuple[pd.DataFrame, int]:
    """Decode a column of base64 Bloom filters into 64-bit words and a set-bit count.

    Parameters
    ----------
    values : Series of str, length n
        Base64 text of packed bit arrays, all of the same length; empty or missing
        means the identifier was missing.
    name : str
        Column name; the output columns are ``<name>__w0 .. <name>__w{W-1}`` (int64,
        bits of the filter in big-endian order, missing → <NA>) and ``<name>__n``
        (set bits, missing → <NA>).

    Returns
    -------
    (DataFrame of shape (n, W + 1), W)

    Raises
    ------
    DataError
        Text that is not base64, or filters of different lengths in one column.
    """
    s = values.astype("string").fillna("").str.strip()
    present = (s != "").to_numpy()
    raw: list[bytes] = []
    for i, v in zip(np.flatnonzero(present), s[present]):
        try:
            raw.append(binascii.a2b_base64(v, strict_mode=True))
        except (binascii.Error, ValueError):
            raise DataError(
                f"column {name!r}, row {int(i)}: {v[:20]!r}... is not a base64 Bloom filter; "
                "re-create the file with `darkfigure pseudonymise`"
            ) from None
    lengths = {len(b) for b in raw}
    if len(lengths) > 1:
        raise DataError(
            f"column {name!r} holds Bloom filters of different lengths ({sorted(lengths)} bytes): "
            "all files must be pseudonymised with the same settings"
        )
    nbytes = lengths.pop() if lengths else 8
    words = max(1, -(-nbytes // 8))
    buf = np.zeros((len(raw), words * 8), dtype=np.uint8)
    if raw:
        buf[:, :nbytes] = np.frombuffer(b"".join(raw), dtype=np.uint8).reshape(len(raw), nbytes)
    # big-endian words keep bit i of the filter in the same place in every engine
    w = buf.view(">i8").astype(np.int64)
    nset = np.unpackbits(buf, axis=1).sum(axis=1)
    full_words = np.zeros((len(s), words), dtype=np.int64)
    full_words[present] = w
    full_n = np.zeros(len(s), dtype=np.int64)
    full_n[present] = nset
    # an all-zero filter carries no information: treat it as missing (this also avoids 0/0)
    missing = ~present | (full_n == 0)
    out = {}
    for j in range(words):
        out[f"{name}__w{j}"] = pd.array(np.where(missing, 0, full_words[:, j]), dtype="Int64")
        out[f"{name}__w{j}"][missing] = pd.NA
    n = pd.array(full_n, dtype="Int64")
    n[missing] = pd.NA
    out[f"{name}__n"] = n
    return pd.DataFrame(out, index=values.index), words


def dice_sql(a: str, b: str, words: int, left: str = "_l", right: str = "_r") -> str:
    """SQL for the Dice coefficient of Bloom filter `a` on the left and `b` on the right.

    Column references follow Splink's comparison convention (``<col>_l``, ``<col>_r``).
    The expression is NULL when either filter is missing.
    """
    inter = " + ".join(
        f"cast(bit_count({a}__w{i}{left} & {b}__w{i}{right}) as integer)" for i in range(words)
    )
    return f"(2.0 * ({inter}) / ({a}__n{left} + {b}__n{right}))"


def dice(x: str, y: str) -> float:
    """Dice coefficient of two base64 Bloom filters (reference implementation for tests)."""
    a = np.unpackbits(np.frombuffer(binascii.a2b_base64(x), dtype=np.uint8)).astype(bool)
    b = np.unpackbits(np.frombuffer(binascii.a2b_base64(y), dtype=np.uint8)).astype(bool)
    tot = a.sum() + b.sum()
    return float(2 * (a & b).sum() / tot) if tot else float("nan")
