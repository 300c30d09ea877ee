"""The small blocks of the coarse rules for a missing date of birth, where the rules are too large to keep whole.

A registration without a date of birth whose other name is misspelt so that its Soundex
code changes (a typo in the first letter or a consonant: "Jaab" / "Jaap") is compared with
its person's other registrations only by the coarse rules of
:func:`~darkfigure.linkage.splink_model._plain_settings`: one name exact and the first or
last two letters of the other. In a large register those rules are left out (a million
registrations: several million pairs each, among the namesakes of common names, where an
undated registration cannot be placed anyway), and with them the misspelt undated
registrations of rare names, which can (the correctly spelt name carried by one person).
:func:`rare_block_rules` keeps those: each left-out rule joins only on the blocks of at most
:data:`RARE_BLOCK` registrations (block purging, Papadakis et al. 2020, ACM Comput. Surv.
53:31, without the windows that made the whole rules cost 60 CPU-s at 1M registrations,
``splink_model.COARSE_WINDOWED``). At 1M registrations (``benchmarks/bench_link.py``, ``large_register``) they add
0.88M pairs to 19.5M and take recall from 0.907 to 0.912 (precision 0.960 -> 0.959).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: add :func:`rare_block_rules` for the coarse rules left out (splink_model._plain_settings)
RARE_BLOCKS = True
#: the largest block (registrations sharing one name and two letters of the other) that :func:`rare_block_rules` keeps
RARE_BLOCK = 30


def rare_block_rules(p: pd.DataFrame, keys: Sequence[tuple[tuple[str, str], ...]], limit: int = RARE_BLOCK
                     ) -> list[str]:
    """Blocking rules (SQL) for a missing date of birth on the blocks of `keys` that hold at most `limit` registrations.

    For each key pair ``((a, a), (b, b))`` (one column per side; crossed keys such as first
    name against surname are skipped) a column ``{b}_{a}_rb`` is added to `p` in place: the
    value of `b` where the registrations that share the values of `a` and `b` (dated or not)
    number at most `limit`, null elsewhere. The rules join on `a` and that column with the
    date of birth missing on one side (both orders), as the rules of
    :func:`~darkfigure.linkage.splink_model._plain_settings` for a missing date do, so a rule
    scores at most ``limit`` pairs per undated registration.

    Parameters
    ----------
    p : DataFrame, shape (n, ...): the prepared registrations (columns of `keys` and ``dob``); changed in place.
    keys : key pairs of the rules, e.g. ``((("sn", "sn"), ("fn_p2", "fn_p2")),)``.
    limit : int >= 2: the largest block kept, in registrations.

    Returns
    -------
    list of str: two rules per key pair used (none for an empty `keys`).

    Raises
    ------
    ValueError
        `limit` below 2, or a key column missing from `p`.
    """
    if limit < 2:
        raise ValueError(f"the largest rare block must be at least 2 registrations, not {limit}")
    rules: list[str] = []
    for k in keys:
        if len(k) != 2 or any(x != y for x, y in k):
            continue
        (a, _), (b, _) = k
        missing = [c for c in (a, b) if c not in p.columns]
        if missing:
            raise ValueError(f"the prepared registrations have no column {', '.join(missing)} for a rare-block rule")
        ca, cb = (pd.factorize(p[c], use_na_sentinel=True)[0].astype(np.int64) for c in (a, b))
        ok = (ca >= 0) & (cb >= 0)
        key = np.where(ok, ca * (int(cb.max(initial=0)) + 1) + cb, -1)
        code, _ = pd.factorize(key)  # -1 (no key) is a value of its own here: masked by `ok` below
        size = np.bincount(code)[code]
        col = f"{b}_{a}_rb"
        p[col] = p[b].where(ok & (size <= limit))
        keys_sql = f"l.{a} = r.{a} and l.{col} = r.{col}"
        rules += [f"l.dob is null and {keys_sql}", f"r.dob is null and {keys_sql}"]
    return rules
