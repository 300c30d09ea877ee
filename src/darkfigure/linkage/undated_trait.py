"""Missing dates of birth as a person's trait: its share θ, and what it changes in the linkage (tester 18a).

The linkage treats a missing date of birth as no evidence: missingness independent per registration. Where some
persons never give a date to anyone, their registrations are all undated; two undated registrations with one
name are then more likely one person than the date-masked probability says, and an undated registration is less
likely to have a dated registration to join. :mod:`~darkfigure.linkage.undated_mechanism` detects it (R, z); this
module measures how much and corrects both the point linkage and the linkage draws with one model.

The model (a two-class mixture): a share θ of the persons is undated everywhere; the others leave a registration
of organisation O undated at rate ``rho_O``, independently. The undated share of O is then
``u_O = θ + (1 - θ) rho_O``. For two registrations of one person (of O and O')::

    P(both undated | match)  = θ + (1 - θ) rho_O rho_O'
    P(both dated | match)    = (1 - θ)(1 - rho_O)(1 - rho_O')
    P(both undated | match) - u_O u_O' = θ (1 - θ)(1 - rho_O)(1 - rho_O') = θ P(both dated | match)

(exact under the mixture). Summed over the pairs of :func:`~darkfigure.linkage.undated_mechanism.undated_clustering`
(registrations of different organisations in one name group, pair weight ``w_g``), the namesake pairs (not one
person) contribute the same in expectation to T and to E, so ``E[T - E] = θ E[D]`` with ``D = sum w_g P(both dated
and one person)``. Here D sums ``w_g p_ij`` over the group's both-dated pairs (the linkage's match probability of
each, 0 when it was not scored: dates of birth decide those pairs well), and ``θ̂ = (T - E) / D`` (a method of
moments estimator). Its standard error comes from resampling the name groups with replacement
(:data:`RESAMPLES`, seeded).

What it changes, only where the clustering check is significant (``z >= ``:data:`TRAIT_Z` and ``θ̂ > 0``; elsewhere
nothing, bit for bit):

* point linkage (:func:`with_trait_odds`): the pattern of the two dates (both missing, one missing, both present)
  is evidence too, with the Fellegi-Sunter likelihood ratio ``P(pattern | match) / P(pattern | non-match)``
  (Fellegi & Sunter 1969, JASA 64:1183-1210; a non-match pair's registrations are undated independently, at
  ``u_O u_O'``). Under the mixture (``rho = (u - θ) / (1 - θ)``, at least 0)::

      both undated: (θ + (1 - θ) rho rho') / (u u') = 1 + θ (1 - u)(1 - u') / ((1 - θ) u u')
      O undated, O' dated: (1 - θ) rho (1 - rho') / (u (1 - u')) = (1 - θ / u) / (1 - θ) = s_O / (1 - θ)
      both dated: (1 - θ)(1 - rho)(1 - rho') / ((1 - u)(1 - u')) = 1 / (1 - θ)

  The probabilities of the pairs without both dates come from a curve learnt on *dated* pairs with their dates
  hidden (:func:`~darkfigure.linkage.clustering.masked_date_calibration`): their odds are those of a both-dated
  pair, so each pattern's ratio is taken against the both-dated one: a pair of two undated registrations gets
  ``(1 - θ) (θ + (1 - θ) rho rho') / (u u')`` on its odds, an undated with a dated one ``s_O`` (at least
  :data:`S_FLOOR`; :data:`MIXED_PAIRS`), two dated ones nothing. The factors do not depend on the names, so a
  pair that does not agree on the name stays improbable and a pair of a common name keeps the low odds its many
  namesakes gave it; :func:`~darkfigure.linkage.clustering.compete_missing_dates` and
  :func:`~darkfigure.linkage.clustering.cluster_links` then still share each undated registration among its
  candidates and join it to one at most, the pairs of two undated ones among the undated candidates only
  (:func:`compete_with_trait`: a person undated everywhere has no dated registration to compete);
* linkage draws and expected link errors (:mod:`~darkfigure.linkage.undated_draws`): the share of O's undated
  registrations whose person can have a dated registration is ``s_O = 1 - θ / u_O``; the expected number of
  undated registrations matched to a dated person becomes ``sum q_O s_O`` instead of ``sum q_O`` (q_O the dated
  registrations' re-registration share), and each draw takes its own θ from ``N(θ̂, se²)`` (:func:`draw_shares`);
  a unit of several undated registrations of one drawn person has a dated registration elsewhere with the smaller
  prior of :func:`~darkfigure.linkage.undated_draws.unit_kappa` (Bayes under the mixture).

Measured 2026-12-07 on tester 18a's generator (tuned on hard 1 and mild 1; held out hard 2-3, mild 2-4; N̂
against the N̂ of the true links with the linked run's model), main -> this: θ̂ 0.100-0.107 (true share of the
registered persons 0.106-0.114, hard), 0.034-0.047 (0.035-0.043, mild); s_O per organisation close to the truth
(hard 1: 0.18-0.57 against 0.16-0.57). The linkage draws attach about the right number of undated registrations
to dated persons (hard 1: 323 against 316 true; main 793). Mild: N̂ corrected -2.9..-7.5% -> -4.3..+3.3%, as
linked +6..+10% -> +1.4..+6.8%. Hard: as linked +56..+71% -> +45..+55%, but N̂ corrected -10..-12% -> +11..+15%:
without main's over-attachment of undated registrations to dated persons the draws leave too many persons (hard 1:
3,282 against 3,136), from dated registrations the partition draws do not rejoin (2,786 persons against 2,699
true; also without the trait) and from the trait persons' undated registrations whose names differ (523 undated-only
persons against 437): the draws join 439 both-undated pairs, 326 of them true, of the 625 true ones. Tester 18a's
hardnoundp 1-2 (missing dates per registration, z 0.9 and -0.8) and this package's simulator (no_dob seeds 11-12,
standard 11) are not touched (bit-identical).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["RESAMPLES", "TRAIT_Z", "applied_trait", "compete_with_trait", "draw_shares", "draw_thetas", "point_trait",
           "run_trait", "trait_estimate", "trait_notes", "trait_record", "trait_rho", "trait_shares", "with_trait_odds"]

#: z of the clustering check at or above which the trait correction is applied (below: missingness per
#: registration, nothing changes)
TRAIT_Z = 2.0
#: fewest undated registrations of an organisation for its undated share to bound θ (:func:`_bounds_theta`)
TRAIT_CAP_MIN_UNDATED = 5
#: resamples of the name groups for the standard error of θ̂
RESAMPLES = 200
_P_MAX = 1 - 1e-12
#: give the pairs of an undated with a dated registration the trait's factor s_O too (module docstring)
MIXED_PAIRS = True
#: the smallest factor of such a pair (an organisation whose undated share is about θ would otherwise veto them)
S_FLOOR = 0.05
#: how the pairs of two undated registrations compete where the trait applies (:func:`compete_with_trait`):
#: "undated" among the undated candidates only, "none" not at all, "all" among all candidates (as without it).
#: Tester 18a hard seed 1 (tuning; 3,136 true persons): "undated" 3,544 persons as linked, precision/recall
#: 0.935/0.806, 54 false links of same-name both-undated pairs; "none" 3,472, 0.925/0.817, 100 such false links
#: (namesakes merged: the competition must still decide among them); main 3,594, 0.930/0.796, 18
UU_COMPETITION = "undated"


def _pair_sum(g: np.ndarray, org: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Per registration i: the sum of v_j over j of i's group g and another organisation, shape (m,)."""
    by_g = np.bincount(g, weights=v)
    go = pd.factorize(g.astype(np.int64) * (int(org.max()) + 1) + org)[0]
    return by_g[g] - np.bincount(go, weights=v)[go]


def trait_estimate(prep: pd.DataFrame, left: np.ndarray, right: np.ndarray, probability: np.ndarray,
                   seed: int = 0, resamples: int = RESAMPLES) -> dict | None:
    """θ̂, the share of persons undated everywhere, its standard error and the shares s_O (module docstring).

    Parameters
    ----------
    prep : DataFrame, shape (n, ...)
        Prepared plaintext registrations as :func:`~darkfigure.linkage.undated_mechanism.undated_clustering`
        needs them (``fn``, ``sn``, ``dob_day``, ``org``; ``sex``, ``nat``, ``ev*``, ``reg_day`` where present).
    left, right : int arrays, shape (m,)
        The scored pairs (positions in `prep`).
    probability : float array, shape (m,)
        Their match probabilities.
    seed : int
        Seed of the resampling of the name groups.
    resamples : int
        Number of resamples (standard error).

    Returns
    -------
    None when `prep` lacks a needed column or no name group holds two organisations; else a dict: ``theta``
    (θ̂, may be negative: then no trait), ``se``, ``z`` and ``ratio`` (of the clustering check), ``applied``
    (z >= :data:`TRAIT_Z`, θ̂ > 0 and finite), ``observed`` (T), ``expected`` (E), ``dated_matches`` (D),
    ``u`` (organisation -> share of its registrations without a usable date of birth) and ``s`` (organisation ->
    ``1 - θ̂ / u_O`` in [0, 1]; 1 when not applied).
    """
    from .undated_mechanism import namesake_groups, undated_clustering

    if not {"fn", "sn", "dob_day", "org"} <= set(prep.columns):
        return None
    grp = namesake_groups(prep)
    if grp is None or grp["g"].size == 0:
        return None
    c = undated_clustering(prep)
    g, org, x, p, w = grp["g"], grp["org"], grp["x"], grp["p"], grp["w"]
    n_groups = int(g.max()) + 1
    t_g = np.bincount(g, weights=w * x * _pair_sum(g, org, x), minlength=n_groups) / 2.0
    e_g = np.bincount(g, weights=w * p * _pair_sum(g, org, p), minlength=n_groups) / 2.0
    # D: the both-dated pairs of different organisations in one group, each counted by its match probability
    at = np.full(len(prep), -1, dtype=np.int64)
    at[grp["rows"]] = np.arange(grp["rows"].size)
    a, b = at[np.asarray(left, dtype=np.int64)], at[np.asarray(right, dtype=np.int64)]
    ok = (a >= 0) & (b >= 0)
    a, b, pr = a[ok], b[ok], np.asarray(probability, dtype=float)[ok]
    both = (g[a] == g[b]) & (org[a] != org[b]) & (x[a] == 0) & (x[b] == 0) & np.isfinite(pr)
    d_g = np.bincount(g[a[both]], weights=w[a[both]] * pr[both], minlength=n_groups)
    dd = float(d_g.sum())
    theta = (float(t_g.sum()) - float(e_g.sum())) / dd if dd > 0 else float("nan")
    se = float("nan")
    if dd > 0 and resamples > 1:
        rng = np.random.default_rng([int(seed), 18])
        k = rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=int(resamples)).astype(float)
        den = k @ d_g
        th = np.where(den > 0, (k @ (t_g - e_g)) / np.where(den > 0, den, 1.0), np.nan)
        se = float(np.nanstd(th, ddof=1))
    dob = pd.to_numeric(prep["dob_day"], errors="coerce").isna().to_numpy()
    orgs = prep["org"].astype(str).to_numpy()
    # u_O over the named registrations, as T and E count them (review s18, L3): nameless rows and default identities
    # (their date blanked) would inflate it; an organisation without any named registration keeps all its rows
    named = (prep["fn"].notna() & prep["sn"].notna()).to_numpy()
    u = pd.Series(dob.astype(float)).groupby(orgs).mean().to_dict()
    u.update(pd.Series(dob[named].astype(float)).groupby(orgs[named]).mean().to_dict())
    k = pd.Series(dob.astype(int)).groupby(orgs).sum().to_dict()
    k.update(pd.Series(dob[named].astype(int)).groupby(orgs[named]).sum().to_dict())
    z = float(c.get("z", float("nan")))
    # the mixture needs θ below every organisation's undated share (u_O = θ + (1 - θ) ρ_O): a θ̂ beyond it (few
    # dated matches D) is capped there, else the odds turn negative and ρ divides by 1 - θ = 0 (review s18). An
    # organisation that records (nearly) every date does not bound it (tester 21a H1: a 2-registration file set θ̂ to 0)
    cap = _theta_cap(u, k)
    clipped = bool(np.isfinite(theta) and theta > cap)
    theta = min(theta, cap) if np.isfinite(theta) else theta
    applied = bool(np.isfinite(theta) and theta > 0 and np.isfinite(z) and z >= TRAIT_Z)
    out = {"theta": theta, "clipped": clipped, "se": se, "z": z, "ratio": float(c.get("ratio", float("nan"))), "applied": applied,
           "observed": float(t_g.sum()), "expected": float(e_g.sum()), "dated_matches": dd,
           "u": {str(o): float(v) for o, v in u.items()}, "undated": {str(o): int(v) for o, v in k.items()},
           "unbounding": sorted(str(o) for o in u if not _bounds_theta(u[o], k.get(o, 0)))}
    out["s"] = trait_shares(out, theta if applied else 0.0)
    return out


def _bounds_theta(u: float, undated: int) -> bool:
    """Whether an organisation with undated share `u` and `undated` undated registrations bounds θ: it leaves dates
    missing (at least :data:`TRAIT_CAP_MIN_UNDATED`). One that records every date (a border police reading passports,
    a file of two registrations) says nothing of the persons undated at the others: the trait is read as "undated at
    every organisation that leaves dates missing", and such an organisation's pairs keep their odds (u 0)."""
    return u > 0 and undated >= TRAIT_CAP_MIN_UNDATED


def _theta_cap(u: dict, undated: dict | None = None) -> float:
    """The largest θ the mixture allows: 0.01 below the smallest undated share u_O of the organisations that bound
    θ (:func:`_bounds_theta`; all with u_O > 0 when `undated` is None); 0 when none does."""
    bound = [v for o, v in u.items() if (v > 0 if undated is None else _bounds_theta(v, undated.get(o, 0)))]
    return max(min(bound) - 0.01, 0.0) if bound else 0.0


def trait_shares(est: dict, theta: float) -> dict:
    """Organisation -> ``s_O = 1 - θ / u_O``, clipped to [0, 1] (1 where u_O is 0), for the given θ.

    Parameters
    ----------
    est : dict of :func:`trait_estimate` (its ``u``).
    theta : float, the share of persons undated everywhere (0: every s_O is 1).
    """
    return {o: (float(min(max(1.0 - theta / u, 0.0), 1.0)) if u > 0 else 1.0) for o, u in est["u"].items()}


def trait_rho(est: dict, theta: float) -> dict:
    """Organisation -> ``rho_O = max(u_O - θ, 0) / (1 - θ)``: the missing rate of a dated-capable person."""
    return {o: float(max(u - theta, 0.0) / (1 - theta)) for o, u in est["u"].items()}


def draw_thetas(est: dict | None, draws: int, rng: np.random.Generator) -> np.ndarray | None:
    """One θ per draw from ``N(θ̂, se²)`` clipped to [0, min u_O - 0.01] (None: no trait applied)."""
    if not est or not est.get("applied"):
        return None
    se = est.get("se")
    se = float(se) if se is not None and np.isfinite(float(se)) else 0.0
    return np.clip(float(est["theta"]) + se * rng.standard_normal(int(draws)), 0.0,
                   _theta_cap(est["u"], est.get("undated")))


def draw_shares(est: dict | None, draws: int, rng: np.random.Generator) -> list[dict] | None:
    """One dict of shares s_O per draw, each with its own θ from :func:`draw_thetas` (None: no trait).

    Parameters
    ----------
    est : dict of :func:`trait_estimate` or None; nothing is drawn unless ``applied``.
    draws : int, the number of draws.
    rng : numpy Generator (the caller's own stream: the draws without a trait are unchanged).

    Returns
    -------
    list of `draws` dicts organisation -> s_O, or None.
    """
    thetas = draw_thetas(est, draws, rng)
    return None if thetas is None else [trait_shares(est, float(t)) for t in thetas]


def with_trait_odds(organisations: np.ndarray, has_dob: np.ndarray, left: np.ndarray, right: np.ndarray,
                    probability: np.ndarray, est: dict | None) -> np.ndarray:
    """The match probabilities with the trait's likelihood ratio on the odds of the pairs of two undated ones.

    Parameters
    ----------
    organisations : array of str, shape (n,).
    has_dob : bool array, shape (n,): whether each registration has a usable date of birth.
    left, right : int arrays, shape (m,): the scored pairs.
    probability : float array, shape (m,).
    est : dict of :func:`trait_estimate` or None.

    Returns
    -------
    float array, shape (m,): `probability` itself (the same object) unless ``est["applied"]``; else the odds of
    the pairs of two undated registrations times ``(1 - θ)(θ + (1 - θ) rho rho') / (u u')`` and of an undated
    with a dated one times ``s_O`` of the undated one's organisation (at least :data:`S_FLOOR`; module
    docstring), the pairs of two dated ones unchanged.
    """
    if not est or not est.get("applied"):
        return probability
    theta = float(est["theta"])
    orgs = np.asarray(organisations, dtype=object).astype(str)
    u = pd.Series(orgs).map(est["u"]).fillna(0.0).to_numpy(float)
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    p = np.asarray(probability, dtype=float)
    dob = np.asarray(has_dob, dtype=bool)
    ul, ur = u[left], u[right]
    # P(pattern | match) / P(pattern | non-match), each against the both-dated pattern's 1 / (1 - θ)
    rho_l, rho_r = np.maximum(ul - theta, 0.0) / (1 - theta), np.maximum(ur - theta, 0.0) / (1 - theta)
    pos = (ul > 0) & (ur > 0)
    lr = np.ones(p.size)
    both = ~dob[left] & ~dob[right] & pos
    lr[both] = (1 - theta) * (theta + (1 - theta) * rho_l[both] * rho_r[both]) / (ul[both] * ur[both])
    if MIXED_PAIRS:
        one_l, one_r = ~dob[left] & dob[right] & (ul > 0), dob[left] & ~dob[right] & (ur > 0)
        lr[one_l] = np.maximum((1 - theta) * rho_l[one_l] / ul[one_l], S_FLOOR)
        lr[one_r] = np.maximum((1 - theta) * rho_r[one_r] / ur[one_r], S_FLOOR)
    changed = lr != 1.0
    pb = np.clip(p[changed], 0.0, _P_MAX)
    odds = pb / (1 - pb) * lr[changed]
    out = p.copy()
    out[changed] = odds / (1 + odds)
    return out


def point_trait(prep: pd.DataFrame | None, edges: tuple, has_dob: np.ndarray, seed: int = 0) -> tuple[tuple, dict | None]:
    """:func:`trait_estimate` and :func:`with_trait_odds` on ``link``'s scored pairs, before the competition step.

    Parameters
    ----------
    prep : DataFrame or None: the prepared plaintext registrations (None, pseudonymised: nothing done).
    edges : (left, right, probability), arrays of shape (m,).
    has_dob : bool array, shape (n,).
    seed : int, the seed of the resampling.

    Returns
    -------
    (edges, est): `edges` with the probabilities of :func:`with_trait_odds` (the same tuple when not applied), and
    the estimate (None when not made).
    """
    if prep is None or "org" not in prep.columns:
        return edges, None
    est = trait_estimate(prep, edges[0], edges[1], edges[2], seed)
    if not est or not est["applied"]:
        return edges, est
    return (edges[0], edges[1], with_trait_odds(prep["org"].to_numpy(), has_dob, *edges, est)), est


def applied_trait(est: dict | None) -> dict | None:
    """`est` when it is applied, else None (nothing changes)."""
    return est if est and est.get("applied") else None


def trait_record(clustering: dict | None, est: dict | None) -> dict | None:
    """The clustering check's record (linkage_settings.json) with the estimate as its ``trait`` (JSON-safe).

    Parameters
    ----------
    clustering : dict or None: :func:`~darkfigure.linkage.undated_check.clustering_record`.
    est : dict or None: :func:`trait_estimate`.

    Returns
    -------
    `clustering` (a copy, with ``trait``: ``theta``, ``se``, ``z``, ``applied``, ``u``, ``s``; non-finite
    numbers as None), or `clustering` itself when either is None.
    """
    if clustering is None or est is None:
        return clustering

    def num(v):
        """`v` as a float, None when not finite (JSON has no NaN)."""
        v = float(v)
        return v if np.isfinite(v) else None

    rec = {k: num(est[k]) for k in ("theta", "se", "z", "ratio", "observed", "expected", "dated_matches")}
    rec.update(applied=bool(est["applied"]), u=dict(est["u"]), s=dict(est["s"]))
    if "undated" in est:
        rec.update(undated=dict(est["undated"]), unbounding=list(est.get("unbounding", [])))
    return {**clustering, "trait": rec}


def run_trait(run) -> dict | None:
    """The trait estimate recorded with a link run (``undated_clustering["trait"]`` of a
    :class:`~darkfigure.linkage.link_run.LinkRun`), or None (not recorded, or a folder written before it was)."""
    rec = (getattr(run, "undated_clustering", None) or {}).get("trait")
    return rec if isinstance(rec, dict) else None


def compete_with_trait(compete, n: int, edges: tuple, has_dob: np.ndarray, threshold: float,
                       est: dict | None) -> tuple:
    """:func:`~darkfigure.linkage.clustering.compete_missing_dates` (`compete`), with the pairs of two undated
    registrations competing among the undated candidates only when the trait applies.

    Parameters
    ----------
    compete : the competition function ``(n, left, right, probability, has_dob, threshold) -> probability``.
    n, has_dob, threshold : as :func:`~darkfigure.linkage.clustering.compete_missing_dates`.
    edges : (left, right, probability), arrays of shape (m,): the scored pairs.
    est : dict of :func:`trait_estimate` or None.

    Returns
    -------
    (left, right, probability): `compete`'s probabilities; where the trait applies (:data:`UU_AMONG_UNDATED`), the
    pairs of two undated registrations instead shared among their undated candidates alone: a person undated
    everywhere has no dated registration, so its undated registrations' dated namesakes do not compete for them
    (tester 18a hard seed 1: after the competition among all candidates the both-undated pairs summed to 423
    expected matches against 634 true, the pairs with p >= 0.6 about right when among the undated only).
    """
    left, right, probability = edges
    out = compete(n, left, right, probability, has_dob, threshold)
    if est and est.get("applied") and UU_COMPETITION != "all":
        dob = np.asarray(has_dob, dtype=bool)
        uu = ~dob[left] & ~dob[right]
        if uu.any():
            p = np.asarray(probability, dtype=float)[uu]
            out = out.copy()
            out[uu] = p if UU_COMPETITION == "none" else compete(n, left[uu], right[uu], p, has_dob, threshold)
    return left, right, out


def trait_notes(est: dict | None) -> list[str]:
    """The note of an applied estimate for ``link``'s notes (empty otherwise).

    Returns
    -------
    list of str (zero or one).
    """
    if not est or not est.get("applied"):
        return []
    s = ", ".join(f"{o} {v:.2f}" for o, v in sorted(est["s"].items()))
    return [f"missing dates of birth as a person's trait: an estimated {est['theta']:.1%} (s.e. {est['se']:.1%}) of the "
            f"persons are undated at every organisation (the both-undated namesake pairs beyond chance, z "
            f"{est['z']:.1f}); the pairs of two undated registrations are weighed by it, and the linkage draws and "
            f"expected link errors give a dated person only the share of each organisation's undated registrations "
            f"whose person can have a date: {s}"
            + (f". {', '.join(repr(o) for o in est['unbounding'])} record(s) a date of birth on (nearly) every "
               f"registration (fewer than {TRAIT_CAP_MIN_UNDATED} without): the trait is read as undated at every "
               "organisation that leaves dates missing" if est.get("unbounding") else "")]


#: how link's clustering warning begins (:func:`~darkfigure.linkage.undated_mechanism.undated_clustering_messages`)
CLUSTER_WARNING_START = "missing dates of birth cluster in persons"


def trait_warnings(warnings: list[str], est: dict | None) -> list[str]:
    """`warnings` with the clustering warning reworded where the trait correction was applied.

    The warning said "the linkage correction assumes they do not, so N̂ corrected may be too low": true before
    this module, wrong once the linkage and its draws weigh the trait. Measured with it (tester 18a's generator,
    2026-12-07, 7 populations, branch s18-trait): with about 4% of persons undated everywhere N̂ corrected -4.3 to
    +3.3% from the N̂ of the true links, with about 11% +10.6 to +15.3% (the linkage draws keep apart persons the
    point linkage split); every interval covered it.

    Parameters
    ----------
    warnings : list of str: link's warnings.
    est : dict or None: :func:`trait_estimate`.

    Returns
    -------
    list of str (the same list when the trait was not applied).
    """
    if not est or not est.get("applied"):
        return warnings
    new = (f"missing dates of birth cluster in persons: an estimated {est['theta']:.1%} (s.e. {est['se']:.1%}) of "
           "the persons are undated at every organisation, which the linkage, its draws and the expected link errors "
           "now take into account; on synthetic registrations so made N̂ corrected was still off by up to +15% where "
           "about a tenth of the persons were undated everywhere (within 5% where 4% were): the linkage draws keep "
           "apart persons the linkage split. Publish the interval, not the point, and check a sample of the undated "
           "registrations by hand")
    return [new if w.startswith(CLUSTER_WARNING_START) else w for w in warnings]
