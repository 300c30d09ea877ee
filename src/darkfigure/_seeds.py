"""A seed drawn when none is given, so that every random result can be reproduced (tester 12b, M5)."""

from __future__ import annotations

import secrets

#: bootstrap kinds of interval (``ci``) that draw random numbers; ``none`` and ``profile`` draw none
RANDOM_CIS = ("averaged", "parametric", "nonparametric", "nonparametric-conditional")


def draw_seed(seed: int | None, ci: str | None = "averaged", pooling: str | None = "none") -> int | None:
    """The seed to run with: `seed` when given, else a drawn one when the run is random, else None.

    Without a seed the interval changed from run to run and nothing recorded how to repeat it; a drawn seed
    is recorded with the result (``settings["seed"]``) and said to the user.

    Parameters
    ----------
    seed : int or None
        The seed the user gave.
    ci : str or None
        The interval asked for (``None``: the default, averaged); only bootstrap intervals draw numbers.
    pooling : str or None
        ``"partial"`` bootstraps the pooled subgroup estimates, whatever `ci`.

    Returns
    -------
    int or None
        A non-negative seed below 100,000 (short enough to type), or None when nothing is random.
    """
    if seed is not None:
        return seed
    kind = "averaged" if ci is None else str(ci).strip().lower()
    if kind not in RANDOM_CIS and str(pooling or "none").strip().lower() == "none":
        return None
    return secrets.randbelow(100_000)


def seed_note(seed: int, option: str = "--seed") -> str:
    """The words saying a seed was drawn and how to reproduce the run (``option`` ``--seed`` or ``seed=``)."""
    sep = "" if option.endswith("=") else " "
    return f"seed {seed} (none given, so one was drawn): pass {option}{sep}{seed} to reproduce these results"
