"""The plaintext date-of-birth comparison levels computed in NumPy, and their m estimated from namesakes.

:func:`dob_levels` finds each pair's level of the date comparison of
``splink_model._plain_settings`` (first level that applies), as Splink's SQL does;
:func:`date_of_birth_log_bf` (:mod:`.calibration`) and :func:`dob_level_m` use it.
:func:`dob_level_m` estimates the m of the date levels from pairs of registrations that
share an exact first name and surname, by the method of moments of a two-class mixture
whose non-match class has the levels' distribution among random pairs of registrations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .age_dates import AGE_LEVELS, age_condition

#: date-of-birth comparison levels of the plaintext model (splink_model._plain_settings), by label, in order
DOB_LEVELS = ("exact, 1 January", "exact", *AGE_LEVELS, "one digit differs", "day/month swapped", "year off by 1-2",
              "day off by 1-2", "month off by 1", "two parts off a little", "same year, one is 1 January",
              "one is 1 January, year off by 1", "within 62 days", "same year")
#: the levels whose m is fixed in the model rather than estimated ("same year" and the else level, m DOB_GROSS_ERROR)
FIXED_LEVELS = ("same year", None)


def _date_parts(dob: np.ndarray | pd.Series, age: np.ndarray | None = None) -> tuple:
    """The dates as an (n, 10) byte matrix, their year, month and day (int arrays, shape (n,)), presence (bool) and
    `age` (bool, shape (n,): the date is derived from an age, :mod:`.age_dates`; None when not known)."""
    d = pd.Series(np.asarray(dob, dtype=object), dtype=object)
    have = d.notna().to_numpy()
    raw = np.frombuffer(d.fillna("0000-00-00").astype(str).to_numpy().astype("S10").tobytes(), dtype=np.uint8)
    chars = raw.reshape(-1, 10) if raw.size else np.zeros((0, 10), np.uint8)
    dig = chars.astype(np.int64) - 48
    y = dig[:, 0] * 1000 + dig[:, 1] * 100 + dig[:, 2] * 10 + dig[:, 3]
    return chars, y, dig[:, 5] * 10 + dig[:, 6], dig[:, 8] * 10 + dig[:, 9], have, age


def _day_number(y: np.ndarray, mo: np.ndarray, dd: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of valid Gregorian dates (year, month, day int arrays; arbitrary where invalid).

    The days-from-civil algorithm of Hinnant's algorithm ("chrono-compatible low-level date algorithms"), vectorised;
    the same number as ``prepare``'s ``dob_day`` column that the Splink comparison uses.
    """
    yy = y - (mo <= 2)
    era = np.floor_divide(yy, 400)
    yoe = yy - era * 400
    doy = (153 * (mo + np.where(mo > 2, -3, 9)) + 2) // 5 + dd - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def dob_levels(left: np.ndarray, right: np.ndarray, dob: np.ndarray | pd.Series, parts=None,
               age: np.ndarray | None = None) -> np.ndarray:
    """The date-of-birth comparison level of each pair: k for ``DOB_LEVELS[k]``, ``len(DOB_LEVELS)`` for the else
    level, -1 where a date is missing (Splink's null level).

    The conditions are those of ``splink_model._plain_settings`` in its order (a
    Levenshtein distance of at most 1 between two ISO dates of 10 characters is one
    substituted character).

    Parameters
    ----------
    left, right : int arrays, shape (m,): record numbers of the pairs.
    dob : array or Series, shape (n,): ISO dates of birth (``YYYY-MM-DD``), None or NaN when missing.
    parts : tuple, optional: ``_date_parts(dob, age)``, when already computed.
    age : bool array, shape (n,), optional: the date is derived from an age (:func:`.age_dates.age_derived_mask`);
        without it no pair is in the levels :data:`.age_dates.AGE_LEVELS`.

    Returns
    -------
    int array, shape (m,).
    """
    chars, y, mo, dd, have, age = parts if parts is not None else _date_parts(dob, age)
    jan1 = (mo == 1) & (dd == 1)
    a, b = np.asarray(left, np.int64), np.asarray(right, np.int64)
    both = have[a] & have[b]
    exact = both & (chars[a] == chars[b]).all(axis=1)
    hamming1 = (chars[a] != chars[b]).sum(axis=1) == 1
    ya, yb, ma, mb, da, db = y[a], y[b], mo[a], mo[b], dd[a], dd[b]
    conds = [
        exact & jan1[a],
        exact,
        *age_condition(age, a, b, ya, yb, jan1),
        hamming1 & ~jan1[a] & ~jan1[b],
        (ya == yb) & (ma == db) & (da == mb),
        (ma == mb) & (da == db) & (np.abs(ya - yb) <= 2),
        (ya == yb) & (ma == mb) & (np.abs(da - db) <= 2),
        (ya == yb) & (da == db) & (np.abs(ma - mb) == 1),
        (np.abs(ya - yb) <= 2) & (((np.abs(ma - mb) <= 1) & (np.abs(da - db) <= 2)) | ((ma == db) & (da == mb))),
        (ya == yb) & (jan1[a] | jan1[b]),
        (np.abs(ya - yb) == 1) & (jan1[a] | jan1[b]),
        np.abs(_day_number(ya, ma, da) - _day_number(yb, mb, db)) <= 62,
        ya == yb,
    ]
    level = np.full(a.size, len(conds), dtype=np.int64)  # the else level
    for k in range(len(conds) - 1, -1, -1):
        level[conds[k] & both] = k
    level[~both] = -1
    return level


#: largest group of registrations with one exact first name and surname whose pairs :func:`dob_level_m` uses, most
#: namesake pairs it uses (a seeded sample beyond), random pairs for the non-match distribution, and the fewest
#: matches (pairs times the mixture share) for an estimate
DOB_M_MAX_GROUP = 20
DOB_M_MAX_PAIRS = 2_000_000
DOB_M_RANDOM_PAIRS = 2_000_000
DOB_M_MIN_MATCHES = 200.0
#: lower bound of an estimated m (never an absolute veto against a level of partial agreement)
DOB_M_FLOOR = 1e-4


def dob_level_m(p: pd.DataFrame, m_fixed: float | tuple[float, float], seed: int = 0) -> dict[str, tuple[float, float]]:
    """m of the date-of-birth levels, estimated from pairs of registrations with one exact first name and surname.

    Expectation–maximisation in Splink's session blocked on the names cannot tell a
    person's second registration from a namesake's by the date alone: with names that
    recur among hundreds of persons (a large register) the sampled name blocks are mostly
    namesakes, and EM's m of "dates exact" fell from 0.17 at 100,000 registrations to
    0.02 at a million (``benchmarks/link_scale_diagnosis.py``), a loss of about two
    logits on every true dated pair. Here the m come from the moments of the mixture
    instead: among the pairs of registrations (both dated) that share their exact
    first name and surname in groups of at most :data:`DOB_M_MAX_GROUP`, the share in
    level k is ``f_k = pi m_k + (1 - pi) u_k``, where u_k is the share among random
    pairs of dated registrations (namesakes who are different persons are born on
    unrelated days: the date is independent of the name given the match status) and the
    levels "same year" and "else" have m fixed at `m_fixed` each. So
    ``pi = (U - F) / (U - 2 m_fixed)`` (U, F: the shares of these two levels among random
    and namesake pairs) and ``m_k = (f_k - (1 - pi) u_k) / pi``, floored at
    :data:`DOB_M_FLOOR`. Nothing selects the pairs on their dates, so "dates agree" is not
    over-counted among matches as it would be among confident matches chosen by their dates.

    Parameters
    ----------
    p : DataFrame, shape (n_registrations, ...)
        Prepared plaintext registrations with ``fn``, ``sn`` and ``dob`` (ISO dates; missing as null).
    m_fixed : float or (float, float)
        The fixed m of each of the levels "same year" and "else" (one value for both, or one each).
    seed : int
        Seed of the random pairs and of the sample of namesake pairs.

    Returns
    -------
    dict
        ``{label: (m, expected_matches)}`` for the labels of :data:`DOB_LEVELS` except
        "same year"; empty when the columns are missing or the namesake pairs hold fewer
        than :data:`DOB_M_MIN_MATCHES` expected matches (the model then trains the m by EM).
    """
    if not {"fn", "sn", "dob"} <= set(p.columns):
        return {}
    rng = np.random.default_rng(seed)
    pairs = namesake_pairs(p, rng)
    if pairs is None:
        return {}
    a, b, dated, parts = pairs
    n_lev = len(DOB_LEVELS) + 1
    f = np.bincount(dob_levels(a, b, None, parts), minlength=n_lev) / a.size
    ra, rb = rng.choice(dated, DOB_M_RANDOM_PAIRS), rng.choice(dated, DOB_M_RANDOM_PAIRS)
    ok = ra != rb
    u = np.bincount(dob_levels(ra[ok], rb[ok], None, parts), minlength=n_lev) / ok.sum()
    tail = [DOB_LEVELS.index("same year"), n_lev - 1]
    big_u, big_f = u[tail].sum(), f[tail].sum()
    fixed_sum = 2 * m_fixed if np.isscalar(m_fixed) else float(sum(m_fixed))
    pi = (big_u - big_f) / (big_u - fixed_sum)
    if not pi * a.size >= DOB_M_MIN_MATCHES:
        return {}
    pi = min(pi, 1.0)
    m = np.maximum((f - (1 - pi) * u) / pi, DOB_M_FLOOR)
    return {lab: (float(m[k]), float(pi * a.size)) for k, lab in enumerate(DOB_LEVELS) if lab != "same year"}


def namesake_pairs(p: pd.DataFrame, rng: np.random.Generator):
    """Pairs of dated registrations sharing one exact first name and surname, in groups of at most DOB_M_MAX_GROUP.

    Nothing selects these pairs on their dates (or on their registration dates), so the
    dates' agreement among them is a mixture of the matches' and the namesakes'
    distributions: what :func:`dob_level_m` and :func:`darkfigure.linkage.dob_gross.dob_gross_error`
    take apart. At most :data:`DOB_M_MAX_PAIRS` (a sample drawn with `rng` beyond).

    Parameters
    ----------
    p : DataFrame, shape (n_registrations, ...): prepared registrations with ``fn``, ``sn`` and ``dob``.
    rng : numpy Generator: draws the sample when there are more pairs.

    Returns
    -------
    ``(a, b, dated, parts)``: int arrays of shape (m,) (record numbers of the pairs), the record numbers of all
    dated registrations with both names, and ``_date_parts(p["dob"], age)`` (age: ``p["dob_age"]`` present); None
    when there are no such pairs.
    """
    parts = _date_parts(p["dob"], p["dob_age"].notna().to_numpy() if "dob_age" in p.columns else None)
    dated = np.flatnonzero(parts[4] & p["fn"].notna().to_numpy() & p["sn"].notna().to_numpy())
    if dated.size < 3:
        return None
    g = p.iloc[dated].groupby(["fn", "sn"], sort=False).ngroup().to_numpy()
    size = np.bincount(g)
    keep = (size[g] >= 2) & (size[g] <= DOB_M_MAX_GROUP)
    rec, grp = dated[keep], g[keep]
    order = np.argsort(grp, kind="stable")
    rec, grp = rec[order], grp[order]
    # all pairs within each group: for offsets 1..max_group-1, record i with record i + offset of the same group
    left, right = [], []
    for off in range(1, DOB_M_MAX_GROUP):
        same = grp[off:] == grp[:-off]
        if not same.any():
            break
        left.append(rec[:-off][same])
        right.append(rec[off:][same])
    if not left:
        return None
    a, b = np.concatenate(left), np.concatenate(right)
    if a.size > DOB_M_MAX_PAIRS:
        pick = rng.choice(a.size, DOB_M_MAX_PAIRS, replace=False)
        a, b = a[pick], b[pick]
    return a, b, dated, parts
