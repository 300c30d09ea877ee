"""Whether missing dates of birth cluster in persons: the check of the linkage draws' assumption (tester 16a, H1-H2).

The linkage draws (:mod:`~darkfigure.linkage.undated_draws`) give a registration without a date of birth the
chance of being registered again that the *dated* registrations of its organisation have, and attach it to dated
namesakes at that rate. That assumes a missing date of birth is unrelated to being registered again, given the
organisation. Where the date is missing because of the *person* (victims without documents, undated at every
organisation), the true matches of undated registrations are other undated registrations, the draws attach them
to dated namesakes instead, and N̂ corrected comes out too low (tester 16a: -9.6% to -11.6% with 20% undated, half
of it a person's trait); nothing said so without a truth column.

The check uses only the registrations, not the linkage. Registrations of *different* organisations that agree
exactly on normalised first name, surname, sex and nationality (a name group) are either one person or namesakes.
If being undated were independent between two registrations given each one's organisation, the number of such
pairs in which *both* are undated would be, in expectation, ``E = sum_pairs w_g u_O u_O'`` with ``u_O`` the share
of organisation O's named registrations without a date. The observed count is ``T = sum_pairs w_g x_i x_j``
(``x`` = undated). Each pair of group g is weighed ``w_g = 1 / (n_g - 1)`` (``n_g`` the group's registrations), so
that each registration carries about one unit whatever its name's frequency: common names, whose pairs are
mostly namesakes, would otherwise swamp the pairs that are one person (on tester 16a's hard setting the
unweighted ratio was about half as far from 1: 1.17-1.43 against 1.67-1.81). Then:

* missingness of the registration only: ``R = T / E ~ 1`` (namesake pairs and one-person pairs alike are
  independent);
* missingness of the person: one-person pairs are both undated far more often than chance, ``R > 1``.

The standard error is the one of T when the flags are independent Bernoulli(``u_O``) (the null; an exact
variance of a weighted sum of products, covariance of pairs sharing a registration included), so
``z = (T - E) / sd(T)`` and ``se(R) = sd(T) / E`` (a permutation of the undated flags within organisation gave
an sd 12-17% smaller on tester 16a's hard 11 and undated_reglevel 11, 300 permutations: this one is a little
conservative). R shrinks towards 1 as the undated share grows (chance pairs grow as its square) and can be large
on a few pairs when the share is small; z guards against the latter. Missingness that depends on the nationality or sex, within
organisation, also raises R (those are in the name group): that too is a violation of the draws' assumption, but a
milder one, which the threshold's z part does not tell apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["R_WARNING", "SHARE_WARNING", "Z_WARNING", "undated_clustering", "undated_clustering_messages"]

#: ratio R above which (with z above :data:`Z_WARNING` and an undated share of at least :data:`SHARE_WARNING`)
#: link warns that missing dates cluster in persons. Measured 2026-12-06 (benchmarks/undated_mechanism_study.py):
#: tuned on tester 16a's generator and this package's simulator; registration-level missingness gave R 0.36-1.17
#: (z -1.9..0.9: undated_reglevel 11-14, standard/messy/no_dob/recurring_names/inconsistent_covariates seeds 1-2),
#: half of it a person's trait R 1.47-11.6 (z 6.0-15.1: 16a hard, hard_undated_only, realistic, mild; the
#: simulator's settings with half the undated persons undated everywhere). Held out: tester 15a (13 populations
#: with undated ones) and 14a (8), registration-level: R 0.56-1.28, z -2.0..1.6, none flagged
R_WARNING = 1.3
#: z of T against its expectation above which (with R above :data:`R_WARNING`) link warns
Z_WARNING = 3.0
#: share of the named registrations without a date of birth below which the check only notes: tester 16a's mild
#: (3% undated, half a person's trait, R 7.9-11.6) had N̂ corrected within -0.5..+0.8% of the true-link N̂;
#: realistic (8%) -4.1..+0.1%, hard (20%) -9.6..-11.6%
SHARE_WARNING = 0.05


def _group_key(prep: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """Name-group code (first name, surname, sex, nationality; a missing sex/nationality is a value) of `rows`."""
    key = np.zeros(int(rows.sum()), dtype=np.int64)
    for c in ("fn", "sn", "sex", "nat"):
        if c in prep.columns:
            codes, uniq = pd.factorize(prep[c].to_numpy()[rows])
            key = pd.factorize(key * (len(uniq) + 1) + codes)[0].astype(np.int64)
    return key


def undated_clustering(prep: pd.DataFrame, weighted: bool = True) -> dict:
    """The ratio R of undated-undated pairs among different-organisation namesakes to chance (module docstring).

    Parameters
    ----------
    prep : DataFrame, shape (n_registrations, ...)
        Prepared plaintext registrations: ``fn``, ``sn`` (normalised names, null when missing), ``dob_day`` (null
        when no usable date of birth: missing or a placeholder), ``org`` (organisation), ``sex``/``nat`` where
        present.
    weighted : bool
        Weigh each pair of a name group of n_g registrations by 1 / (n_g - 1) (default); False: every pair 1.

    Returns
    -------
    dict with ``observed`` (T), ``expected`` (E), ``ratio`` (R = T / E, NaN when E is 0), ``se`` (sd(T) / E under
    independence), ``z`` ((T - E) / sd(T), NaN when sd is 0), ``pairs`` (pairs of different organisations in one
    name group), ``undated_pairs`` (of those, both undated), ``groups`` (name groups with registrations of two or
    more organisations), ``undated_share`` (of the named registrations). All 0 / NaN when nothing to compare.

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
    named = prep["fn"].notna().to_numpy() & prep["sn"].notna().to_numpy()
    if not named.any():
        return out
    x = pd.to_numeric(prep["dob_day"], errors="coerce").isna().to_numpy()[named].astype(float)
    org = pd.factorize(prep["org"].astype(str).to_numpy()[named])[0]
    # u_O over all named registrations of O: a registration of a one-organisation name counts too
    u = np.bincount(org, weights=x) / np.bincount(org)
    out["undated_share"] = float(x.mean())
    g = _group_key(prep, named)
    # groups with registrations of two or more organisations
    d = pd.DataFrame({"g": g, "o": org})
    n_orgs = d.drop_duplicates().groupby("g").size()
    keep = np.isin(g, n_orgs.index[n_orgs.to_numpy() >= 2].to_numpy())
    if not keep.any():
        return out
    g, org, x = pd.factorize(g[keep])[0], org[keep], x[keep]
    p = u[org]
    n_g = np.bincount(g).astype(float)
    w_g = 1.0 / (n_g - 1.0) if weighted else np.ones_like(n_g)
    w = w_g[g]

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
    note = (f"missing dates of birth among namesakes of different organisations: {c['undated_pairs']:,} of "
            f"{c['pairs']:,} pairs both undated, R = {r:.2f} (s.e. {c['se']:.2f}, z {z:.1f}) times chance given "
            "the organisations")
    if not (r > R_WARNING and np.isfinite(z) and z > Z_WARNING and c.get("undated_share", 0.0) >= SHARE_WARNING):
        return [], [note]
    from .undated_namesakes import NHAT_TOO_LOW

    return [f"missing dates of birth cluster in persons (undated registrations share a name with other undated "
            f"ones {r:.1f}x as often as chance, s.e. {c['se']:.2f}): the linkage correction assumes they do not, so "
            f"N̂ corrected may be {NHAT_TOO_LOW} (on synthetic registrations with half the missing dates a person's "
            "trait, by about 10%); the published interval reaches N̂ as linked when the linkage draws move N̂ "
            "away from it: publish the interval, not the point"], [note]
