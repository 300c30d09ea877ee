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
  before) and "first names differ" (:func:`relatives_condition`), whose m is capped after EM at :func:`relatives_m`
  (:func:`cap_relatives_m`);
- :func:`relatives_comparison`: for pairs of that level, the date of birth and the registration gap weighed against
  pairs of that level rather than against random pairs (their dependence within families and groups, measured on the
  register itself by :func:`relatives_lift`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .name_sql import first_names_differ

__all__ = ["RELATIVES_LEVEL", "RELATIVES_LIFT", "RELATIVES_M", "RELATIVES_M_BOUNDS", "RELATIVES_M_PRIOR_PAIRS", "RELATIVES_PAIRS",
           "RELATIVES_PRIOR_COUNT", "RELATIVES_SPLIT", "cap_relatives_m", "relatives_comparison", "relatives_condition", "relatives_lift",
           "relatives_m", "relatives_name_levels"]

#: split "surname exact" and cap the m of "first names differ" (:func:`relatives_name_levels`; False: one level, m by EM)
RELATIVES_SPLIT = True
#: label of the level of :func:`relatives_condition` in the name comparison (:func:`cap_relatives_m` finds it by it)
RELATIVES_LEVEL = "surname exact, first names differ"
#: prior guess of the m of "surname exact, first names differ" (a first name recorded wholly differently), its weight
#: in pseudo-pairs and the bounds of the estimate (:func:`relatives_m`)
RELATIVES_M = 0.01
RELATIVES_M_PRIOR_PAIRS = 20.0
RELATIVES_M_BOUNDS = (0.002, 0.5)
#: weigh the date of birth and the registration gap of such pairs against relatives (:func:`relatives_comparison`)
RELATIVES_LIFT = True
#: most pairs of registrations sharing a surname that :func:`relatives_lift` compares (a sample of registrations
#: beyond: pairs thin out as the square of the share kept)
RELATIVES_PAIRS = 500_000
#: pseudo-count of pairs pulling each class's lift among relatives towards 1 (independence): ``(k + c) / (e + c)`` with
#: k pairs seen and e expected from random pairs, so that a sparse class (no twin of two sexes) is no evidence either way
RELATIVES_PRIOR_COUNT = 5.0
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
    one surname, and a person's registrations where one first name was recorded wholly differently (a nickname none
    of the spelling levels knows, another given name, an alias). Expectation–maximisation cannot tell the two apart
    (relatives agree on everything else too) and gave the level m 0.04-0.44 on tester 20a, where no person's first
    name is recorded wholly differently; after EM its m is capped at :func:`relatives_m`, estimated from pairs that
    relatives rarely form (:func:`cap_relatives_m`). Registrations with a first name missing or misspelt beyond the
    spelling levels (three edits, an initial) keep a level of their own, as the single level had. The level of the
    differing first names is Splink's exact-match level on ``sn``: the surname's term-frequency adjustment of the
    levels above it takes its u (nearly that of all pairs sharing a surname, as before), not the u of the few pairs
    with a first name missing. A pair with a first name missing falls in the first level (the condition is taken
    as false where it is null), not in the relatives' level.
    """
    import splink.comparison_level_library as cll

    exact = cll.ExactMatchLevel("sn")
    if not RELATIVES_SPLIT:
        return [exact.configure(label_for_charts="surname exact", tf_adjustment_column="sn")]
    return [cll.CustomLevel(f"sn_l = sn_r and not coalesce({relatives_condition()}, false)").configure(
        label_for_charts="surname exact, first name missing or misspelt", tf_adjustment_column="sn"),
        exact.configure(label_for_charts=RELATIVES_LEVEL, tf_adjustment_column="sn")]


def cap_relatives_m(linker, p: pd.DataFrame) -> list[str]:
    """After EM: the m of "surname exact, first names differ" lowered to :func:`relatives_m` where EM put it higher.

    A cap, not a fixed value: where EM learnt relatives as one person (tester 20a: m 0.04-0.44) the estimate from
    pairs that relatives rarely form replaces it; where EM put it lower than the estimate it is left alone. Fixing
    m at the estimate before EM cost precision on tester 12's generator (held out, 7 Dec: EM 0.005, estimate
    0.029, true share 0.018 of the true pairs; precision -0.002 to -0.003 on three of four populations, recall no
    better): among different persons of one surname the name's agreement is not independent of the date's and the
    day's, and the lower m of EM made up for it. A level EM never reached (no m) gets the estimate.

    Parameters
    ----------
    linker : splink.Linker, trained; its settings are changed in place.
    p : DataFrame: the prepared registrations (:func:`relatives_m`).

    Returns
    -------
    list of str: a note for each level lowered (empty when nothing changed or the level is absent: Bloom filters).
    """
    for cc in linker._settings_obj.comparisons:
        for cl in cc._comparison_levels_excluding_null:
            if cl.label_for_charts != RELATIVES_LEVEL or cl._fix_m_probability:
                continue
            cap, n = relatives_m(p)
            m = cl.m_probability
            if isinstance(m, float) and m <= cap:
                return []
            cl.m_probability = cap
            return [f"m of '{RELATIVES_LEVEL}' lowered from {'none (EM never reached the level)' if m is None else f'{m:.4f} (EM)'} to {cap:.4f}, the "
                    f"share of first names recorded differently among {n:,.0f} pairs of one surname and date of birth"]
    return []


#: largest group of registrations sharing a surname and a date of birth whose pairs :func:`relatives_m` uses
RELATIVES_M_MAX_GROUP = 20


def relatives_m(p: pd.DataFrame) -> tuple[float, float]:
    """m of "surname exact, first names differ": how often one person's first name is recorded wholly differently.

    Pairs of registrations that share a surname and an exact date of birth that is a day of its own (not 1 January,
    not derived from an age: :mod:`darkfigure.linkage.age_dates`), in groups of at most
    :data:`RELATIVES_M_MAX_GROUP` (whole groups sampled beyond :data:`RELATIVES_PAIRS` pairs), are nearly all one
    person or twins: siblings, cousins and villagers born in other
    years or with estimated dates are left out, and two different persons seldom share a surname and a day of birth
    by chance. Among those with the sex recorded on both, pairs registered by one organisation on one day under two
    first names are left out (a group registered together: :func:`~darkfigure.linkage.twin_evidence.same_day_names`),
    and the twins among the rest are estimated from the pairs of :func:`relatives_condition` with two sexes: twins
    whose sexes disagree as random pairs' do (share q, :func:`~darkfigure.linkage.twin_evidence.random_disagreement`)
    leave ``n_two * (1 - q) / q`` twins of one sex. m is the share of the remaining one-sex pairs under two first
    names, shrunk towards :data:`RELATIVES_M` with :data:`RELATIVES_M_PRIOR_PAIRS` pseudo-pairs and kept within
    :data:`RELATIVES_M_BOUNDS`. Identical twins (always of one sex) are not taken out and raise m slightly, which
    weakens the level's evidence against a match: the safe side. Measured (estimate / truth): tester 18a hard_1,
    whose generator writes nicknames (Sasha / Oleksandr), 0.127 / 0.121 and mild_1 0.034 / 0.030; tester 20a
    mild_1 and hard_1, which write none, 0.005 and 0.029 (all twins); EM had 0.124 on 18a hard_1.

    Returns
    -------
    (m, pairs): the estimate and the number of one-sex pairs it rests on (``(RELATIVES_M, 0)`` without the columns).
    """
    from .twin_evidence import random_disagreement

    need = {"fn", "sn", "fn_srt", "sn_srt", "fn_tr", "fn_vw", "dob", "dob_md", "sex"}
    if not need <= set(p.columns):
        return RELATIVES_M, 0.0
    ok = (p["dob"].notna() & p["sn"].notna() & p["fn"].notna() & p["sex"].notna()
          & (p["dob_md"].astype(object) != "01-01")).to_numpy(bool).copy()
    if "dob_age" in p.columns:
        ok &= p["dob_age"].isna().to_numpy(bool)
    rows = np.flatnonzero(ok)
    grp = p[["sn", "dob"]].iloc[rows].groupby(["sn", "dob"], sort=False)
    size, group = grp["sn"].transform("size").to_numpy(), grp.ngroup().to_numpy()
    keep = (size >= 2) & (size <= RELATIVES_M_MAX_GROUP)
    total = float((size[keep] - 1).sum()) / 2  # pairs: each of a group's s rows counts (s - 1) / 2
    if total > RELATIVES_PAIRS:  # whole groups sampled (bounded time and memory at 1M registrations)
        keep &= np.random.default_rng(0).random(int(group.max()) + 1)[group] < RELATIVES_PAIRS / total
    rows = rows[keep]
    extra = [c for c in ("org", "reg_day") if c in p.columns]
    e = _pairs_on(p, rows, ["sn", "dob"], ["sex", *extra])
    if not len(e):
        return RELATIVES_M, 0.0
    rel = e["rel"].to_numpy(bool)
    if len(extra) == 2:
        rel_day = rel & (e["org_l"] == e["org_r"]).to_numpy(bool) & (e["reg_day_l"] == e["reg_day_r"]).to_numpy(bool)
        e, rel = e[~rel_day], rel[~rel_day]
    two = (e["sex_l"] != e["sex_r"]).to_numpy(bool)
    q = random_disagreement(p["sex"])
    twins = float((rel & two).sum()) * (1 - q) / q
    n = float((~two).sum()) - twins
    k = max(float((rel & ~two).sum()) - twins, 0.0)
    m = (k + RELATIVES_M_PRIOR_PAIRS * RELATIVES_M) / (max(n, 0.0) + RELATIVES_M_PRIOR_PAIRS)
    lo, hi = RELATIVES_M_BOUNDS
    return float(min(max(m, lo), hi)), max(n, 0.0)


def _dob_parts(dob: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer code of each date of birth (-1 missing) and its birth year (NaN missing): strings converted once per
    distinct date, not per registration (1M registrations)."""
    codes, uniq = pd.factorize(dob, use_na_sentinel=True)
    years = pd.to_numeric(pd.Series(np.asarray(uniq, dtype=object)).astype(str).str[:4], errors="coerce")
    y = np.append(years.to_numpy(dtype=float), np.nan)  # code -1 -> the NaN appended last
    return np.asarray(codes, dtype=np.int64), y[codes]


def _dob_class(parts: tuple[np.ndarray, np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Class of :data:`DOB_CLASSES` of pairs (a, b) (0, 1, 2), -1 where a date is missing (`parts`:
    :func:`_dob_parts`)."""
    d, y = parts
    both = (d[a] >= 0) & (d[b] >= 0)
    out = np.where(np.abs(y[a] - y[b]) <= 2, 1, 2)
    out[d[a] == d[b]] = 0
    return np.where(both, out, -1)


def _gap_class(reg: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Class of :data:`GAP_CLASSES` of pairs (a, b), -1 where a registration date is missing."""
    g = np.abs(reg[a] - reg[b])
    return np.where(np.isnan(g), -1, np.where(g <= 30, 0, np.where(g <= 365, 1, 2)))


_NAME_COLUMNS = ["fn", "sn", "fn_srt", "sn_srt", "fn_tr", "fn_vw"]


def _pairs_on(p: pd.DataFrame, rows: np.ndarray, keys: list[str], extra: list[str]) -> pd.DataFrame:
    """Pairs (l < r) of registrations `rows` of `p` agreeing on `keys`, with ``rel`` (:func:`relatives_condition`) and
    the `extra` columns of both sides (``c_l``, ``c_r``)."""
    import duckdb

    cols = list(dict.fromkeys([*_NAME_COLUMNS, *keys, *extra]))
    t = p[cols].iloc[rows].reset_index(drop=True)
    for c in cols:  # plain object columns for DuckDB (Arrow-backed strings and nullable integers as they are)
        t[c] = t[c].astype(object).where(t[c].notna(), None)
    t["row"] = rows
    sel = ", ".join(f"a.{c} as {c}_l, b.{c} as {c}_r" for c in cols)
    on = " and ".join(f"a.{k} = b.{k}" for k in keys)
    out = ", ".join(f"{c}_l, {c}_r" for c in extra)
    sql = (f"select l, r, coalesce({relatives_condition()}, false) as rel{', ' + out if out else ''} from "
           f"(select a.row as l, b.row as r, {sel} from t a join t b on {on} and a.row < b.row)")
    con = duckdb.connect()
    try:
        con.register("t", t)
        return con.execute(sql).df()
    finally:
        con.close()


def _surname_pairs(p: pd.DataFrame, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of registrations of one surname under two persons' first names (:func:`relatives_condition`) and two
    sexes, among at most about :data:`RELATIVES_PAIRS` pairs sharing a surname (registrations sampled at rate r beyond,
    which keeps r² of every surname's pairs)."""
    rows = np.flatnonzero(p["fn"].notna().to_numpy() & p["sn"].notna().to_numpy())
    k = p["sn"].iloc[rows].value_counts().to_numpy(dtype=float)
    total = float((k * (k - 1) / 2).sum())
    if total > RELATIVES_PAIRS:
        rows = rows[rng.random(rows.size) < np.sqrt(RELATIVES_PAIRS / total)]
    e = _pairs_on(p, rows, ["sn"], ["sex"])
    e = e[e["rel"].to_numpy(bool) & (e["sex_l"] != e["sex_r"]).to_numpy(bool) & e["sex_l"].notna().to_numpy(bool)
          & e["sex_r"].notna().to_numpy(bool)]
    return e["l"].to_numpy(np.int64), e["r"].to_numpy(np.int64)


def relatives_lift(p: pd.DataFrame, seed: int = 0) -> dict | None:
    """How much likelier each class of date of birth and registration gap is among relatives than among random pairs.

    Among pairs of :func:`relatives_condition` with two sexes recorded (relatives of the other sex: never one person
    but for a sex recorded wrongly and a first name recorded wholly differently at once; of the same sex they can be
    one person under a nickname, 12 % of the true matches in tester 18a hard_1, whose dates and days would be taken
    for the relatives'), the share of each joint class (date of birth in :data:`DOB_CLASSES`, registration gap in
    :data:`GAP_CLASSES`), and the share of each class alone where the other is missing, against the product of the
    classes' shares among random pairs of registrations with two surnames (dates and days of two random registrations
    are independent; the pairs of one person among random pairs, registered twice with one date of birth, made "exact"
    look commoner among random pairs than among relatives in tester 18a mild_1, whose persons are registered often).
    A sibling's sex says nothing about the family's birth years or the day of the raid, so these shares are taken for
    relatives of either sex. Each class's lift (pairs seen over pairs expected from the random pairs' shares) is pulled
    towards 1 by :data:`RELATIVES_PRIOR_COUNT` pseudo-pairs (a Gamma prior on a rate ratio): a class that few pairs could
    reach (no twins of two sexes: 0 seen of 0.2 expected) gives no evidence either way, and a register with few shared
    surnames, or groups of one sex only, keeps the model as it was (with a share shrunk instead, 0 of 0.2 expected
    had said relatives are born on one day 20 times more rarely than random pairs: +2.9 bits, tester 18a mild_1).

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
    need = {"fn", "sn", "fn_srt", "sn_srt", "fn_tr", "fn_vw", "dob", "reg_day", "sex"}
    if not need <= set(p.columns) or len(p) < 3:
        return None
    rng = np.random.default_rng(seed)
    a, b = _surname_pairs(p, rng)
    if not a.size:
        return None
    reg = p["reg_day"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    ra, rb = rng.integers(0, len(p), (2, RANDOM_PAIRS))
    sn = p["sn"].astype(object).to_numpy()
    ok = (ra != rb) & pd.notna(sn[ra]) & pd.notna(sn[rb]) & (sn[ra] != sn[rb])  # different persons (nearly all)
    ra, rb = ra[ok], rb[ok]
    parts = _dob_parts(p["dob"])
    d_rel, g_rel = _dob_class(parts, a, b), _gap_class(reg, a, b)
    d_rnd, g_rnd = _dob_class(parts, ra, rb), _gap_class(reg, ra, rb)
    pd_rnd = {k: float(np.mean(d_rnd[d_rnd >= 0] == k)) if (d_rnd >= 0).any() else np.nan for k in range(3)}
    pg_rnd = {k: float(np.mean(g_rnd[g_rnd >= 0] == k)) if (g_rnd >= 0).any() else np.nan for k in range(3)}
    out: dict = {}
    c = RELATIVES_PRIOR_COUNT

    def share(u: float, k: int, n: int) -> float:
        """u among relatives: u times the shrunk lift (k seen of n pairs, n u expected)."""
        return u * (k + c) / (n * u + c)

    both = (d_rel >= 0) & (g_rel >= 0)
    n = int(both.sum())
    for i in range(3):
        for j in range(3):
            u = pd_rnd[i] * pg_rnd[j]
            out[(i, j)] = (u, share(u, int(((d_rel == i) & (g_rel == j) & both).sum()), n), n)
    for side, cls, rnd, miss in ((0, d_rel, pd_rnd, g_rel < 0), (1, g_rel, pg_rnd, d_rel < 0)):
        sel = (cls >= 0) & miss
        n = int(sel.sum())
        for i in range(3):
            out[(i, -1) if side == 0 else (-1, i)] = (rnd[i], share(rnd[i], int((cls[sel] == i).sum()), n), n)
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
    if not lift or not RELATIVES_SPLIT:
        return None
    dob = {0: "dob_l = dob_r", 1: "abs(cast(dob_y_l as int) - cast(dob_y_r as int)) <= 2", 2: "dob_l is not null"}
    gap = {0: "abs(reg_day_l - reg_day_r) <= 30", 1: "abs(reg_day_l - reg_day_r) <= 365", 2: "reg_day_l is not null"}
    have_d, have_g = "(dob_l is not null and dob_r is not null)", "(reg_day_l is not null and reg_day_r is not null)"
    neutral = {"m_probability": 1.0, "fix_m_probability": True, "u_probability": 1.0, "fix_u_probability": True}
    # cheap test first: nearly every pair differs in surname
    levels = [cll.CustomLevel("sn_l is null or sn_r is null or sn_l <> sn_r", label_for_charts="surnames differ"
                              ).configure(is_null_level=True),
              cll.CustomLevel(f"not coalesce({relatives_condition()}, false)", label_for_charts="not relatives").configure(**neutral)]
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
