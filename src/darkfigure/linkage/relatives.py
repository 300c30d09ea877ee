"""Relatives: registrations that share a surname under the first names of two persons (tester 20a, H2 and M1).

Victims exploited in groups (a village, a family, siblings registered together in a raid) share a surname, a
nationality, a form of exploitation, birth years a few apart (often estimated, 1 January or 1 July) and the days
of their registrations. The Fellegi–Sunter model takes its comparisons as independent given the match status, but
among different persons who share a rare surname they are not: the surname already says "same small group", and
agreement on the date of birth and the registration day, whose u come from random pairs, then says it again.
Measured on tester 20a (``link --threads 1 --seed 1``): the name level "surname exact" (first name wholly different)
had m 0.04 (mild_1), 0.16 (hard_1) and 0.44 (hostile H2, two organisations sharing nobody) from expectation–
maximisation, which learnt the relatives as matches (+2.7 to +6.1 bits before the surname's term frequency), and
the false links of H2 above 0.5 carried on average +4.6 bits from the date of birth and +2.3 from a registration
within 30 days. Two pieces, for plaintext registrations:

- :func:`relatives_name_levels`: the level "surname exact" split into "first name missing or misspelt" (m by EM, as
  before) and "first names differ" (:func:`relatives_condition`), whose m is fixed at :data:`RELATIVES_M`;
- :func:`relatives_comparison`: for pairs of that level, the date of birth and the registration gap weighed against
  pairs of that level rather than against random pairs (their dependence within families and groups, measured on the
  register itself by :func:`relatives_lift`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .name_sql import first_names_differ

__all__ = ["RELATIVES_LIFT", "RELATIVES_M", "RELATIVES_PAIRS", "RELATIVES_PRIOR_PAIRS", "relatives_comparison", "relatives_condition",
           "relatives_lift", "relatives_name_levels"]

#: m of "surname exact, first names differ" among true matches, fixed (None: one level "surname exact" left to EM)
RELATIVES_M: float | None = 0.01
#: weigh the date of birth and the registration gap of such pairs against relatives (:func:`relatives_comparison`)
RELATIVES_LIFT = True
#: most pairs of registrations sharing a surname that :func:`relatives_lift` compares (a sample of registrations
#: beyond: pairs thin out as the square of the share kept)
RELATIVES_PAIRS = 2_000_000
#: pseudo-pairs pulling each class's share among relatives towards independence (lift 1): few pairs, little correction
RELATIVES_PRIOR_PAIRS = 20.0
#: random pairs of registrations for the classes' shares among non-matches
RANDOM_PAIRS = 1_000_000
#: classes of the date of birth (exact, birth years at most 2 apart, further) and of the registration gap (days)
DOB_CLASSES = ("exact", "years within 2", "years further apart")
GAP_CLASSES = ("within 30 days", "within a year", "more than a year")


def relatives_condition() -> str:
    """SQL: surname exact and the first names of two persons (:func:`~darkfigure.linkage.name_sql.first_names_differ`),
    an initial ("J." / "Jan": one letter that begins the other) not counting as a different name."""
    initial = ("((length(fn_l) = 1 and instr(fn_r, fn_l) = 1) or (length(fn_r) = 1 and instr(fn_l, fn_r) = 1))")
    return f"(sn_l = sn_r and {first_names_differ()} and not {initial})"


def relatives_name_levels() -> list:
    """The name levels after "both misspelt" and the vowel folding: "surname exact" split in two.

    "surname exact, first names differ" (:func:`relatives_condition`) holds twins, siblings, cousins and villagers of
    one surname, and a person's registrations only where one first name was recorded wholly differently (another
    given name, an alias, a nickname none of the spelling levels knows). Expectation–maximisation cannot tell the two
    apart (relatives agree on everything else too) and gave the level m 0.04-0.44 on tester 20a; m is fixed instead at
    :data:`RELATIVES_M` (1 %: ten times the model's gross error of both names, :data:`NAME_GROSS_ERROR
    <darkfigure.linkage.splink_model.NAME_GROSS_ERROR>`, since a second first name is commoner than two wrong names),
    as the levels "both wholly different" and "dates wholly different" are fixed for the same reason. Registrations
    with a first name missing or misspelt beyond the spelling levels (three edits, an initial) keep a level of their
    own with m by EM, as the single level had. The level of the differing first names is Splink's exact-match level on
    ``sn``: the surname's term-frequency adjustment of the levels above it takes its u (that of all pairs sharing a
    surname, as before), not the u of the few pairs with a first name missing.
    """
    import splink.comparison_level_library as cll

    exact = cll.ExactMatchLevel("sn")
    if RELATIVES_M is None:
        return [exact.configure(label_for_charts="surname exact", tf_adjustment_column="sn")]
    return [cll.CustomLevel(f"sn_l = sn_r and not {relatives_condition()}").configure(
        label_for_charts="surname exact, first name missing or misspelt", tf_adjustment_column="sn"),
        exact.configure(label_for_charts="surname exact, first names differ", tf_adjustment_column="sn",
                        m_probability=RELATIVES_M, fix_m_probability=True)]


def _dob_class(dob: pd.Series, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Class of :data:`DOB_CLASSES` of pairs (a, b) (0, 1, 2), -1 where a date is missing."""
    d = dob.astype(object).where(dob.notna(), None).to_numpy()
    y = pd.to_numeric(dob.astype("string").str[:4], errors="coerce").to_numpy(dtype=float)
    have = np.array([x is not None for x in d])
    both = have[a] & have[b]
    out = np.where(np.abs(y[a] - y[b]) <= 2, 1, 2)
    out[d[a] == d[b]] = 0
    return np.where(both, out, -1)


def _gap_class(reg: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Class of :data:`GAP_CLASSES` of pairs (a, b), -1 where a registration date is missing."""
    g = np.abs(reg[a] - reg[b])
    return np.where(np.isnan(g), -1, np.where(g <= 30, 0, np.where(g <= 365, 1, 2)))


def _surname_pairs(p: pd.DataFrame, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of registrations of one surname under two persons' first names (:func:`relatives_condition`), at most
    about :data:`RELATIVES_PAIRS` (registrations sampled at rate r beyond, which keeps r² of every surname's pairs)."""
    import duckdb

    cols = ["fn", "sn", "fn_srt", "sn_srt", "fn_tr", "fn_vw"]
    rows = np.flatnonzero(p["fn"].notna().to_numpy() & p["sn"].notna().to_numpy())
    k = p["sn"].iloc[rows].value_counts().to_numpy(dtype=float)
    total = float((k * (k - 1) / 2).sum())
    if total > RELATIVES_PAIRS:
        rows = rows[rng.random(rows.size) < np.sqrt(RELATIVES_PAIRS / total)]
    t = p[cols].iloc[rows].reset_index(drop=True)
    for c in cols:
        t[c] = t[c].astype(object).where(t[c].notna(), None)
    t["row"] = rows
    sel = ", ".join(f"a.{c} as {c}_l, b.{c} as {c}_r" for c in cols)
    sql = (f"select l, r from (select a.row as l, b.row as r, {sel} from t a join t b on a.sn = b.sn and a.row < b.row)"
           f" where {relatives_condition()}")
    con = duckdb.connect()
    try:
        con.register("t", t)
        e = con.execute(sql).df()
    finally:
        con.close()
    return e["l"].to_numpy(np.int64), e["r"].to_numpy(np.int64)


def relatives_lift(p: pd.DataFrame, seed: int = 0) -> dict | None:
    """How much likelier each class of date of birth and registration gap is among relatives than among random pairs.

    Among pairs of :func:`relatives_condition` (nearly all different persons: the level's m is 1 %), the share of each
    joint class (date of birth in :data:`DOB_CLASSES`, registration gap in :data:`GAP_CLASSES`), and the share of each
    class alone where the other is missing, against the product of the classes' shares among random pairs of
    registrations (dates and days of two random registrations are independent). Each share among relatives is pulled
    towards the random pairs' share with :data:`RELATIVES_PRIOR_PAIRS` pseudo-pairs (a Beta prior): a register with few
    shared surnames keeps the model as it was.

    Parameters
    ----------
    p : DataFrame, shape (n, ...): prepared plaintext registrations (``fn``, ``sn``, ``fn_srt``, ``sn_srt``, ``fn_tr``,
        ``fn_vw``, ``dob``, ``reg_day``).
    seed : seeds the random pairs and the sample of registrations.

    Returns
    -------
    dict ``{(dob class, gap class): (u among random pairs, u among relatives, relative pairs)}`` with -1 for a missing
    side, or None without the columns or such pairs.
    """
    need = {"fn", "sn", "fn_srt", "sn_srt", "fn_tr", "fn_vw", "dob", "reg_day"}
    if not need <= set(p.columns) or len(p) < 3:
        return None
    rng = np.random.default_rng(seed)
    a, b = _surname_pairs(p, rng)
    if not a.size:
        return None
    reg = p["reg_day"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    ra, rb = rng.integers(0, len(p), (2, RANDOM_PAIRS))
    ok = ra != rb
    ra, rb = ra[ok], rb[ok]
    d_rel, g_rel = _dob_class(p["dob"], a, b), _gap_class(reg, a, b)
    d_rnd, g_rnd = _dob_class(p["dob"], ra, rb), _gap_class(reg, ra, rb)
    pd_rnd = {k: float(np.mean(d_rnd[d_rnd >= 0] == k)) if (d_rnd >= 0).any() else np.nan for k in range(3)}
    pg_rnd = {k: float(np.mean(g_rnd[g_rnd >= 0] == k)) if (g_rnd >= 0).any() else np.nan for k in range(3)}
    out: dict = {}
    both = (d_rel >= 0) & (g_rel >= 0)
    for i in range(3):
        for j in range(3):
            u = pd_rnd[i] * pg_rnd[j]
            n = int(both.sum())
            out[(i, j)] = (u, (float(((d_rel == i) & (g_rel == j) & both).sum()) + RELATIVES_PRIOR_PAIRS * u)
                           / (n + RELATIVES_PRIOR_PAIRS), n)
    for side, cls, rnd, miss in ((0, d_rel, pd_rnd, g_rel < 0), (1, g_rel, pg_rnd, d_rel < 0)):
        sel = (cls >= 0) & miss
        n = int(sel.sum())
        for i in range(3):
            key = (i, -1) if side == 0 else (-1, i)
            out[key] = (rnd[i], (float((cls[sel] == i).sum()) + RELATIVES_PRIOR_PAIRS * rnd[i])
                        / (n + RELATIVES_PRIOR_PAIRS), n)
    return {k: v for k, v in out.items() if np.isfinite(v[0]) and v[0] > 0}


def relatives_comparison(p: pd.DataFrame, seed: int = 0):
    """A comparison that weighs the date of birth and the registration gap of relatives against relatives (one-sided).

    For a pair of :func:`relatives_condition` whose date of birth falls in class D and registration gap in class G,
    the comparisons of the date and the gap weigh ``log2(m_D m_G / (u_D u_G))`` with u from random pairs; against the
    pairs of its own kind (the other persons who share the surname) the u is ``u(D, G | relatives)``. The level (D, G)
    adds ``log2(u_D u_G / u(D, G | relatives))`` (:func:`relatives_lift`): m is set to the random pairs' product and u to
    the relatives' share, both fixed, so that the comparison is the correction alone (the date's own levels keep their
    weights, and what the calibration of :mod:`darkfigure.linkage.calibration` recomputes from them is unchanged). It
    takes the fine date levels' u among relatives to be proportional to those among random pairs within a class
    (twins: an exact date is over-represented among relatives beyond its class's share, which the class "exact" holds).
    Pairs outside the condition, and pairs whose date and registration day are both missing, weigh nothing (m = u = 1).

    Returns
    -------
    A Splink comparison with output column ``relatives``, or None (no such pairs, or the columns missing).
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    lift = relatives_lift(p, seed)
    if not lift or RELATIVES_M is None:
        return None
    dob = {0: "dob_l = dob_r", 1: "abs(cast(dob_y_l as int) - cast(dob_y_r as int)) <= 2", 2: "dob_l is not null"}
    gap = {0: "abs(reg_day_l - reg_day_r) <= 30", 1: "abs(reg_day_l - reg_day_r) <= 365", 2: "reg_day_l is not null"}
    have_d, have_g = "(dob_l is not null and dob_r is not null)", "(reg_day_l is not null and reg_day_r is not null)"
    neutral = {"m_probability": 1.0, "fix_m_probability": True, "u_probability": 1.0, "fix_u_probability": True}
    # cheap test first: nearly every pair differs in surname
    levels = [cll.CustomLevel("sn_l is null or sn_r is null or sn_l <> sn_r", label_for_charts="surnames differ"
                              ).configure(**neutral),
              cll.CustomLevel(f"not {relatives_condition()}", label_for_charts="not relatives").configure(**neutral)]
    for (i, j), (u_rnd, u_rel, _) in lift.items():
        if i >= 0 and j >= 0:
            cond, lab = f"{have_d} and {have_g} and {dob[i]} and {gap[j]}", f"{DOB_CLASSES[i]}, {GAP_CLASSES[j]}"
        elif i >= 0:
            cond, lab = f"{have_d} and {dob[i]}", f"{DOB_CLASSES[i]}, registration date missing"
        else:
            cond, lab = f"{have_g} and {gap[j]}", f"date of birth missing, {GAP_CLASSES[j]}"
        levels.append(cll.CustomLevel(cond, label_for_charts=f"relatives: {lab}").configure(
            m_probability=u_rnd, fix_m_probability=True, u_probability=u_rel, fix_u_probability=True))
    levels.append(cll.ElseLevel().configure(**neutral))
    return cl.CustomComparison(output_column_name="relatives", comparison_levels=levels)
