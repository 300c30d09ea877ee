"""Whether missing dates of birth cluster in persons: the check of the linkage draws' assumption (tester 16a, H1-H2).

The linkage draws (:mod:`~darkfigure.linkage.undated_draws`) give a registration without a date of birth the
chance of being registered again that the *dated* registrations of its organisation have, and attach it to dated
namesakes at that rate. That assumes a missing date of birth is unrelated to being registered again, given the
organisation. Where the date is missing because of the *person* (victims without documents, undated at every
organisation), the true matches of undated registrations are other undated registrations, the draws attach them
to dated namesakes instead, and N̂ corrected comes out too low (tester 16a: -9.6% to -11.6% with 20% undated, half
of it a person's trait); nothing said so without a truth column.

The check uses only the registrations, not the linkage. Registrations of *different* organisations that agree
exactly on normalised first name, surname, sex, nationality, the covariates compared as evidence (``ev*``: form of
exploitation, age group) and registration year (a group) are either one person or namesakes. If being undated
were independent between two registrations given each one's organisation and year, the number of such pairs in
which *both* are undated would be, in expectation, ``E = sum_pairs w_g u_O u_O'`` with ``u_O`` the share of
organisation O's named registrations of that year without a date. The observed count is
``T = sum_pairs w_g x_i x_j`` (``x`` = undated). Each pair of group g is weighed ``w_g = 1 / (n_g - 1)`` (``n_g``
the group's registrations), so that each registration carries about one unit whatever its name's frequency:
common names, whose pairs are mostly namesakes, would otherwise swamp the pairs that are one person (on tester
16a's hard setting the unweighted ratio was 1.17-1.43, the weighted 1.67-1.81, by name, sex and nationality
alone). The covariates and the year make the groups purer where whole names recur (a person's registrations
mostly fall in one case's year): with half the missing dates a person's trait, tester 14a's mild populations gave
R 1.25-1.29 by name alone and 1.81-2.00 so, tester 15a's hard 1.13-1.17 and 1.29-1.41. Then:

* missingness of the registration only: ``R = T / E ~ 1`` (namesake pairs and one-person pairs alike are
  independent);
* missingness of the person: one-person pairs are both undated far more often than chance, ``R > 1``.

The standard error is the one of T when the flags are independent Bernoulli(``u_O``) (the null; an exact
variance of a weighted sum of products, covariance of pairs sharing a registration included), so
``z = (T - E) / sd(T)`` and ``se(R) = sd(T) / E`` (a permutation of the undated flags within organisation gave
an sd 12-17% smaller on tester 16a's hard 11 and undated_reglevel 11, groups by name, sex and nationality, 300
permutations: this one is a little conservative). R shrinks towards 1 as the undated share grows (chance pairs
grow as its square) and can be large on a few pairs when the share is small; z guards against the latter.
Missingness that depends on the nationality, sex or covariates within organisation and year also raises R (they
are in the group key): that too breaks the draws' assumption, but more mildly, and the check does not tell the two
apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["R_WARNING", "SHARE_WARNING", "Z_WARNING", "namesake_groups", "undated_clustering",
           "undated_clustering_messages"]

#: ratio R above which (with z above :data:`Z_WARNING` and an undated share of at least :data:`SHARE_WARNING`)
#: link warns that missing dates cluster in persons. Measured 2026-12-06 (benchmarks/undated_mechanism_study.py):
#: tuned on tester 16a's generator and this package's simulator. Registration-level missingness: R 0.36-1.06,
#: z -1.9..0.6 (16a undated_reglevel 11-14; standard, messy, no_dob, recurring_names, inconsistent_covariates
#: seeds 1-2); half of it a person's trait: R 1.54-12.5, z 3.3-16.9 (16a hard, hard_undated_only, realistic, mild;
#: the simulator's settings with half the missing dates a person's trait). Held out: tester 15a (13 populations
#: with undated registrations) and 14a (8), registration-level as generated: R 0.52-1.26, z -2.3..1.4, none
#: flagged; with half their missing dates made a person's trait: 18 of 21 flagged, the 3 missed R 1.24-1.29
#: (z 3.2-4.6; heavy name recurrence and 28-30% undated, where R is compressed)
R_WARNING = 1.3
#: z of T against its expectation above which (with R above :data:`R_WARNING`) link warns
Z_WARNING = 3.0
#: share of the named registrations without a date of birth below which the check only notes: tester 16a's mild
#: (3% undated, half a person's trait, R 9.6-12.5) had N̂ corrected within -0.5..+0.8% of the true-link N̂;
#: realistic (8%) -4.1..+0.1%, hard (20%) -9.6..-11.6%
SHARE_WARNING = 0.05


def _group_key(prep: pd.DataFrame, rows: np.ndarray, extra: tuple = ()) -> np.ndarray:
    """Name-group code (first name, surname, sex, nationality, `extra` columns; a missing value is a value) of `rows`."""
    key = np.zeros(int(rows.sum()), dtype=np.int64)
    for c in ("fn", "sn", "sex", "nat", *extra):
        if c in prep.columns:
            codes, uniq = pd.factorize(prep[c].to_numpy()[rows])
            key = pd.factorize(key * (len(uniq) + 1) + codes)[0].astype(np.int64)
    return key


def _registration_year(prep: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """Registration year code (from ``reg_day``, days since 1970; a missing date is a year of its own) of `rows`."""
    if "reg_day" not in prep.columns:
        return np.zeros(int(rows.sum()), dtype=np.int64)
    day = pd.to_numeric(prep["reg_day"], errors="coerce").to_numpy(dtype=float)[rows]
    year = pd.to_datetime(day, unit="D", errors="coerce").year.to_numpy(dtype=float)
    return pd.factorize(np.where(np.isnan(year), -1, year))[0].astype(np.int64)


def namesake_groups(prep: pd.DataFrame, weighted: bool = True, covariates: bool = True,
                    by_year: bool = True) -> dict | None:
    """The registrations of :func:`undated_clustering`'s name groups that hold two or more organisations.

    Parameters as :func:`undated_clustering` (`prep` with ``fn``, ``sn``, ``dob_day``, ``org``, not checked here).

    Returns
    -------
    None when no registration is named; else a dict of arrays of shape (m,) over the m kept registrations:
    ``rows`` (their positions in `prep`), ``g`` (group code 0..G-1), ``org`` (organisation code), ``x`` (1.0 when
    undated), ``p`` (the undated share of the registration's organisation and year, over all its named
    registrations), ``w`` (the weight of each of its pairs, ``1 / (n_g - 1)`` or 1), and the float
    ``undated_share`` of the named registrations. m is 0 when no group holds two organisations.
    """
    named = prep["fn"].notna().to_numpy() & prep["sn"].notna().to_numpy()
    if not named.any():
        return None
    x = pd.to_numeric(prep["dob_day"], errors="coerce").isna().to_numpy()[named].astype(float)
    org = pd.factorize(prep["org"].astype(str).to_numpy()[named])[0]
    year = _registration_year(prep, named) if by_year else np.zeros(org.size, dtype=np.int64)
    # u per organisation (and year) over all its named registrations, those of a one-organisation name too; by year
    # because a register that starts recording dates in some year would otherwise look like a person trait
    stratum = pd.factorize(org * (int(year.max()) + 1) + year)[0]
    u = np.bincount(stratum, weights=x) / np.bincount(stratum)
    ev = tuple(c for c in prep.columns if c.startswith("ev") and c[2:].isdigit()) if covariates else ()
    g = _group_key(prep, named, ev)
    if by_year:
        g = pd.factorize(g * (int(year.max()) + 1) + year)[0].astype(np.int64)
    # groups with registrations of two or more organisations
    d = pd.DataFrame({"g": g, "o": org})
    n_orgs = d.drop_duplicates().groupby("g").size()
    keep = np.isin(g, n_orgs.index[n_orgs.to_numpy() >= 2].to_numpy())
    g = pd.factorize(g[keep])[0] if keep.any() else np.zeros(0, dtype=np.int64)
    n_g = np.bincount(g).astype(float)
    w = (1.0 / (n_g - 1.0) if weighted else np.ones_like(n_g))[g]
    return {"rows": np.flatnonzero(named)[keep], "g": g, "org": org[keep], "x": x[keep], "p": u[stratum[keep]],
            "w": w, "undated_share": float(x.mean())}


def undated_clustering(prep: pd.DataFrame, weighted: bool = True, covariates: bool = True,
                       by_year: bool = True) -> dict:
    """The ratio R of undated-undated pairs among different-organisation namesakes to chance (module docstring).

    Parameters
    ----------
    prep : DataFrame, shape (n_registrations, ...)
        Prepared plaintext registrations: ``fn``, ``sn`` (normalised names, null when missing), ``dob_day`` (null
        when no usable date of birth: missing or a placeholder), ``org`` (organisation); where present ``sex``,
        ``nat``, the covariates compared as evidence ``ev0, ev1, ...`` and ``reg_day`` (registration date, days
        since 1970).
    weighted : bool
        Weigh each pair of a group of n_g registrations by ``1 / (n_g - 1)`` (default); False: every pair 1.
    covariates : bool
        Put the evidence covariates (``ev*``) in the group key (default).
    by_year : bool
        Put the registration year in the group key and take the undated shares per organisation and year
        (default).

    Returns
    -------
    dict with ``observed`` (T), ``expected`` (E), ``ratio`` (R = T / E, NaN when E is 0), ``se`` (sd(T) / E under
    independence), ``z`` ((T - E) / sd(T), NaN when sd is 0), ``pairs`` (pairs of different organisations in one
    group), ``undated_pairs`` (of those, both undated), ``groups`` (groups with registrations of two or more
    organisations), ``undated_share`` (of the named registrations). All 0 / NaN when nothing to compare.

    Raises
    ------
    ValueError
        `prep` lacks ``fn``, ``sn``, ``dob_day`` or ``org``.
    """
    need = {"fn", "sn", "dob_day", "org"}
    if not need <= set(prep.columns):
        raise ValueError(f"undated_clustering needs the prepared columns {sorted(need)}; missing "
                         f"{sorted(need - set(prep.columns))}")
    out = {"observed": 0.0, "expected": 0.0, "ratio": float("nan"), "se": float("nan"), "z": float("nan"),
           "pairs": 0, "undated_pairs": 0, "groups": 0, "undated_share": 0.0}
    grp = namesake_groups(prep, weighted, covariates, by_year)
    if grp is None:
        return out
    out["undated_share"] = grp["undated_share"]
    if grp["g"].size == 0:
        return out
    g, org, x, p, w = grp["g"], grp["org"], grp["x"], grp["p"], grp["w"]

    def pair_sum(v: np.ndarray) -> np.ndarray:
        """Per registration i: sum of v_j over j in its group of another organisation, shape (n,)."""
        by_g = np.bincount(g, weights=v)
        go = pd.factorize(g.astype(np.int64) * (org.max() + 1) + org)[0]
        by_go = np.bincount(go, weights=v)
        return by_g[g] - by_go[go]

    def total(v: np.ndarray) -> float:
        """Weighted sum over unordered different-organisation pairs of v_i v_j."""
        return float(np.sum(w * v * pair_sum(v)) / 2.0)

    t, e = total(x), total(p)
    n_pairs = float(np.sum(pair_sum(np.ones_like(p))) / 2.0)
    # Var T = sum_pairs w^2 (p_i p_j - p_i^2 p_j^2) + sum_i w^2 p_i (1 - p_i) (S_i^2 - Q_i), with S_i, Q_i the sums
    # of p_j, p_j^2 over i's different-organisation group members (pairs sharing registration i covary)
    s, q = pair_sum(p), pair_sum(p * p)
    var = (float(np.sum(w * w * p * s) / 2.0) - float(np.sum(w * w * p * p * q) / 2.0)
           + float(np.sum(w * w * p * (1 - p) * (s * s - q))))
    sd = float(np.sqrt(max(var, 0.0)))
    out.update(observed=t, expected=e, ratio=t / e if e > 0 else float("nan"),
               se=sd / e if e > 0 else float("nan"), z=(t - e) / sd if sd > 0 else float("nan"),
               pairs=int(round(n_pairs)), undated_pairs=int(round(float(np.sum(x * pair_sum(x)) / 2.0))),
               groups=int(np.bincount(g).size))
    return out


def undated_clustering_messages(c: dict) -> tuple[list[str], list[str]]:
    """The note (whenever some namesake pairs could be compared) and the warning (R above :data:`R_WARNING`, z
    above :data:`Z_WARNING`, undated share at least :data:`SHARE_WARNING`) for :func:`undated_clustering`'s `c`.

    Returns
    -------
    (warnings, notes) : lists of str.
    """
    r, z, e = c.get("ratio", float("nan")), c.get("z", float("nan")), c.get("expected", 0.0)
    if not e > 0 or not np.isfinite(r):
        return [], []
    warned = r > R_WARNING and np.isfinite(z) and z > Z_WARNING and c.get("undated_share", 0.0) >= SHARE_WARNING
    # the rule said as a rule, and the verdict apart from it (s24 fresh clone L4: "above 1.3 with z above 3 ...,
    # missing dates cluster in persons" read as a finding beside R = 0.91)
    note = (f"missing dates of birth among registrations of different organisations with one name, sex, "
            f"nationality, covariates and registration year: {c['undated_pairs']:,} of {c['pairs']:,} pairs both "
            f"undated, R = {r:.2f} (s.e. {c['se']:.2f}, z {z:.1f}) times as often as chance given the organisations "
            f"and years. The rule: missing dates are said to cluster in persons when R is above {R_WARNING}, z above "
            f"{Z_WARNING:.0f} and at least {SHARE_WARNING:.0%} of the named registrations undated (here "
            f"{c['undated_share']:.0%}); " + ("met here: see the warning" if warned else "not met here"))
    if not warned:
        return [], [note]
    from .undated_namesakes import NHAT_TOO_LOW

    return [f"missing dates of birth cluster in persons (undated registrations share a name with other undated "
            f"ones {r:.1f}x as often as chance, s.e. {c['se']:.2f}): the linkage correction assumes they do not, so "
            f"N̂ corrected may be {NHAT_TOO_LOW} (on synthetic registrations with 20% undated, half of them a person's "
            "trait, by about 10%), and the expected missed links of undated registrations too high (there 1.4-2.1x "
            "the true count); the published interval reaches N̂ as linked when the linkage draws move N̂ "
            "away from it: publish the interval, not the point"], [note]
