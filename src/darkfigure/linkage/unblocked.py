"""Matches that blocking never compared: how many (capture-recapture on the identifiers), and their draws.

Blocking compares only record pairs that agree on some key; a true match with errors that
break every key is never scored, so neither the expected missed links of
:func:`~darkfigure.linkage.quality.expected_link_errors` nor the linkage draws see it.
:func:`unblocked_matches` estimates their number per pair of organisations;
:func:`split_unblocked_matches` reproduces them in a linkage draw of the bias correction
(persons split), as :func:`~darkfigure.linkage.link_run.add_unblocked_matches` does in a
draw of the posterior mean (persons merged).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["unblocked_matches", "name_keys_agree", "split_unblocked_matches", "draw_unblocked"]

#: the parts of a name that the name-only blocking rules of ``splink_model._plain_settings`` join on
#: (with the other name's same part, in either order of the names), and Soundex with the other's initial
_NAME_PARTS = ("p2", "s2", "sx", "sxt")


def _codes(values: pd.Series) -> np.ndarray:
    """Integer code of each value (-1: missing or empty), shape (n,); codes in order of first appearance."""
    codes, uniq = pd.factorize(values.astype(object), use_na_sentinel=True)
    # a value that is not a non-empty str counts as missing (tested once per distinct value)
    ok = np.array([isinstance(x, str) and x != "" for x in uniq] + [False], dtype=bool)
    keep = ok[codes]
    out = np.full(len(codes), -1, dtype=np.int64)
    out[keep], _ = pd.factorize(codes[keep])  # renumbered in order of first appearance, as before
    return out.astype(np.int32)


def _name_codes(fields: pd.DataFrame) -> dict[str, np.ndarray]:
    """Codes of each name and of its blocking parts, first names and surnames in one code space (swaps compare).

    Keys ``fn, sn`` (the name), ``fn_p2`` (first two letters), ``fn_s2`` (last two), ``fn_sx``
    (Soundex), ``fn_sxt`` (Soundex without its first letter), ``fn_i1`` (initial), and the same
    for ``sn``; int arrays of shape (n,), -1 where the name is missing. Each distinct name is handled once.
    """
    from .prepare import _soundex

    def part(uniq: pd.Series, how: str) -> pd.Series:
        """The blocking part `how` of each distinct name."""
        if how == "":
            return uniq
        if how == "p2":
            return uniq.str[:2]
        if how == "s2":
            return uniq.str[-2:]
        if how == "i1":
            return uniq.str[:1]
        sx = uniq.map(_soundex)
        return sx if how == "sx" else sx.str[1:]

    out = {}
    n = len(fields)
    # each name column as codes into its distinct names (missing or not a non-empty str: -1)
    cols = {}
    for c in ("fn", "sn"):
        v = fields[c].astype(object)
        codes, uniq = pd.factorize(v, use_na_sentinel=True)
        kept = np.flatnonzero([isinstance(x, str) and x != "" for x in uniq])
        remap = np.full(len(uniq) + 1, -1, dtype=np.int64)  # the last entry: code -1 stays -1
        remap[kept] = np.arange(kept.size)
        cols[c] = (remap[codes], pd.Series(np.asarray(uniq, dtype=object)[kept], dtype=object))
    for how in ("", "i1", *_NAME_PARTS):
        # the part of each distinct name, coded over both columns' distinct names (None, "": missing), then per row
        parts = [part(cols[c][1], how).to_numpy(dtype=object) for c in ("fn", "sn")]
        joint = _codes(pd.Series(np.concatenate(parts), dtype=object)).astype(np.int64)
        per_name = np.split(joint, [len(parts[0])])
        rows = np.concatenate([np.append(per_name[i], -1)[cols[c][0]] for i, c in enumerate(("fn", "sn"))])
        keep = rows >= 0
        c = np.full(rows.size, -1, dtype=np.int64)
        c[keep], _ = pd.factorize(rows[keep])  # numbered in order of first appearance over the rows, as before
        c = c.astype(np.int32)
        suffix = f"_{how}" if how else ""
        out["fn" + suffix], out["sn" + suffix] = c[:n], c[n:]
    return out


def _eq(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Both present and equal."""
    return (x >= 0) & (x == y)


def name_keys_agree(codes: dict[str, np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether the names of registrations a and b agree on a key of the name-only blocking rules (bool, shape (m,)).

    Either order of the names: both first two letters, both last two letters, both Soundex
    codes, both Soundex codes without their first letter, or the Soundex code of one name
    and the initial of the other. Two exact names agree on all of them; a pair outside this
    set is compared only through its date of birth (or not at all when a date is missing).
    `codes` from :func:`_name_codes`; `a`, `b` int arrays of registration positions.
    """
    def pair(x: str, y: str) -> np.ndarray:
        """First names agree on part x and surnames on part y, in the same or swapped order."""
        same = _eq(codes["fn" + x][a], codes["fn" + x][b]) & _eq(codes["sn" + y][a], codes["sn" + y][b])
        swap = _eq(codes["fn" + x][a], codes["sn" + x][b]) & _eq(codes["sn" + y][a], codes["fn" + y][b])
        return same | swap

    out = np.zeros(a.size, bool)
    for part in _NAME_PARTS:
        out |= pair(f"_{part}", f"_{part}")
    return out | pair("_sx", "_i1") | pair("_i1", "_sx")


def unblocked_matches(
    organisations: Sequence[str] | np.ndarray,
    fields: pd.DataFrame,
    pairs: pd.DataFrame,
    labels: Sequence[int] | np.ndarray,
    undated_by_model: bool = False,
) -> pd.DataFrame:
    """Expected numbers of matching record pairs never compared (missed by blocking), per pair of organisations.

    Blocking compares only pairs that agree on some key; a true match with errors in
    every key is never scored, and :func:`~darkfigure.linkage.quality.expected_link_errors`
    cannot count it. Its number is estimated by capture-recapture on the identifiers (the
    agreement of an identifier acts as a list that "catches" a matching pair). The
    matching pairs are weighted by their match probability p: the scored pairs, and the
    pairs joined in one person without being scored (p = the chain's,
    :func:`~darkfigure.linkage.quality._joined_probability`). Two estimates, the larger taken:

    * **name keys** (:func:`_by_name_keys`): list N, the names agree on a key of the
      name-only blocking rules (:func:`name_keys_agree`: first or last two letters of both
      names, their Soundex codes, ...); list D, the dates of birth are equal. A pair with
      equal dates is compared whatever its names, so among those the odds
      ``o = n(D, not N) / n(D, N)`` of names that no name key catches are seen; with name
      errors independent of date errors (the dependence between the two names is kept: N is
      one list for both), the pairs whose dates differ, and those with a missing date, hold
      ``o n(N)`` matches outside N, of which ``n(not N)`` were compared (p-weighted): the
      rest, ``max(o n(N) - n(not N), 0)``, were not;
    * **exact agreement** (:func:`_by_exact_agreement`, Lincoln-Petersen): for pairs with
      both dates, D and "a name equal" (either order); for the others, the first name and
      the surname (either order) as two independent lists; ``max(n10 n01 / n11 - n00, 0)``.

    Both fall short where the compared pairs outside the lists are given too much
    probability (their p-mass is subtracted): on 12 tuning populations (seeds 5000-5002 of
    standard, typos, no_dob, recurring_names) the name keys' odds give 121 matches outside N
    where 123 are, but the compared ones among them carry 109 expected matches where 66 are,
    so 30 never-compared matches are found (78 true); the exact agreement finds 76; the
    larger of the two 84. On six populations of tester 12's generator (seeds 201-203,
    301-303) the name keys find 11, the exact agreement 122, of 133. Until 2026-12-06 the
    swapped-name comparisons of the exact agreement compared codes of two separate
    factorisations (first names, surnames), so swapped names never agreed and those pairs
    were subtracted as caught by neither list: 14 found on the tuning populations, 24 on
    the independent ones.

    Parameters
    ----------
    organisations : array of str, shape (n,)
    fields : DataFrame, shape (n, 3)
        ``fn, sn, dob`` of each registration (normalised strings; missing as null).
    pairs : DataFrame
        ``record_l, record_r, match_probability`` (the scored pairs).
    labels : int array, shape (n,): the person of each registration.
    undated_by_model : bool
        The pairs of a registration without a date of birth with a dated one are counted by the
        assignment model of the undated registrations
        (:func:`~darkfigure.linkage.undated_errors.undated_link_errors`), scored or not: their part
        of the estimate is left out here (since 2026-12-07). The model is calibrated on the total
        share of undated registrations matched, those never compared with their person included, so
        both counted them: on tester 12's seeds 201-203 and 301-303 the model's missed undated pairs
        were 377 where 379 are, and this estimate added 120 never-compared matches where 35 pairs of
        two dated (or two undated) registrations are.

    Returns
    -------
    DataFrame: ``organisation_l, organisation_r, unblocked_matches`` (one row per unordered
    pair of organisations, as :func:`~darkfigure.linkage.quality.expected_link_errors`).

    Raises
    ------
    ValueError
        `fields` without one row per registration or without ``fn``, ``sn``, ``dob``.
    """
    from .quality import _cluster_pairs, _joined_probability, _org_pair_frame

    orgs = np.asarray(organisations, dtype=object).astype(str)
    names = list(pd.unique(orgs))
    n = orgs.size
    missing = [c for c in ("fn", "sn", "dob") if c not in fields.columns]
    if missing or len(fields) != n:
        raise ValueError(f"fields must have columns fn, sn, dob and one row per registration ({n}); "
                         f"got {len(fields)} rows" + (f", missing {missing}" if missing else ""))
    lab = pd.factorize(np.asarray(labels))[0]
    a = pairs["record_l"].to_numpy(dtype=np.int64)
    b = pairs["record_r"].to_numpy(dtype=np.int64)
    p = pairs["match_probability"].to_numpy(dtype=float)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    inside = lab[lo] == lab[hi]
    ca, cb = _cluster_pairs(lab)
    chain = ~pd.Index(ca * n + cb).isin(pd.Index(lo * n + hi))
    # the scored pairs, and the pairs joined only through others
    pa = np.r_[lo, ca[chain]]
    pb = np.r_[hi, cb[chain]]
    w = np.r_[p, _joined_probability(n, lo, hi, p, inside, ca[chain], cb[chain])]
    codes = _name_codes(fields)
    dob = _codes(fields["dob"])
    by_keys, by_exact = _by_name_keys(codes, dob, pa, pb, w), _by_exact_agreement(codes, dob, pa, pb, w)
    share = by_keys if by_keys.sum() > by_exact.sum() else by_exact  # both fall short: the larger
    if undated_by_model:  # the undated assignment model counts these pairs, compared or not
        share = np.where((dob[pa] >= 0) != (dob[pb] >= 0), 0.0, share)
    return _org_pair_frame(orgs, pa, pb, {"unblocked_matches": share}, names)


def _by_name_keys(codes: dict[str, np.ndarray], dob: np.ndarray, pa: np.ndarray, pb: np.ndarray,
                  w: np.ndarray) -> np.ndarray:
    """Never-compared matches by the names' odds from pairs with equal dates, shared over the pairs (shape (m,)).

    Lists N (:func:`name_keys_agree`) and D (dates equal): odds ``o = n(D, not N) / n(D, N)``;
    for the pairs with different dates and those with a missing date separately,
    ``max(o n(N) - n(not N), 0)``, shared in proportion to the p-weighted pairs caught by N.
    All zero without a pair with equal dates.
    """
    dated = (dob[pa] >= 0) & (dob[pb] >= 0)
    same_date = _eq(dob[pa], dob[pb])
    caught = name_keys_agree(codes, pa, pb)
    share = np.zeros(w.size)
    base = w[same_date & caught].sum()
    if base <= 0:
        return share
    odds = w[same_date & ~caught].sum() / base
    for g in (dated & ~same_date, ~dated):
        tot = w[g & caught].sum()
        if tot > 0:
            share[g & caught] = w[g & caught] * (max(odds * tot - w[g & ~caught].sum(), 0.0) / tot)
    return share


def _by_exact_agreement(codes: dict[str, np.ndarray], dob: np.ndarray, pa: np.ndarray, pb: np.ndarray,
                        w: np.ndarray) -> np.ndarray:
    """Never-compared matches by Lincoln-Petersen on exact agreement, shared over the pairs (shape (m,)).

    Pairs with both dates: lists D (date equal) and N (first name or surname equal, either
    order); the others: F (first name equal to the other's first name or surname) and S
    (surname likewise). ``max(n10 n01 / n11 - n00, 0)`` per kind, shared in proportion to
    the p-weighted pairs of that kind (the estimator used alone before 2026-12-06).
    """
    f_ok = _eq(codes["fn"][pa], codes["fn"][pb]) | _eq(codes["fn"][pa], codes["sn"][pb])
    s_ok = _eq(codes["sn"][pa], codes["sn"][pb]) | _eq(codes["sn"][pa], codes["fn"][pb])
    both = (dob[pa] >= 0) & (dob[pb] >= 0)
    share = np.zeros(w.size)
    for g, x, y in ((both, _eq(dob[pa], dob[pb]), f_ok | s_ok), (~both, f_ok, s_ok)):
        n11, n10 = w[g & x & y].sum(), w[g & x & ~y].sum()
        n01, n00 = w[g & ~x & y].sum(), w[g & ~x & ~y].sum()
        tot = w[g].sum()
        if n11 > 0 and tot > 0:
            share[g] = w[g] * (max(n10 * n01 / n11 - n00, 0.0) / tot)
    return share


def split_unblocked_matches(labels: np.ndarray, organisations: np.ndarray, unblocked: pd.DataFrame,
                            rng: np.random.Generator) -> np.ndarray:
    """One draw of the matches blocking never compared, as the linkage would miss them: persons split at random.

    The mirror of :func:`~darkfigure.linkage.link_run.add_unblocked_matches` for the bias
    correction (``linkage_uncertainty(..., correction="bias")``). There the draws play the
    linkage's errors around the as-linked persons taken as the truth, and N̂ corrected is N̂
    as linked minus the bias they show (Chipperfield & Chambers 2015). The linkage misses
    the matches it never compares, so in that world they are links removed, not added:
    merging persons in the draws (as for the posterior mean) lowers the draws' N̂ and so
    *raises* the corrected N̂, the wrong way for missed links. Each draw takes
    ``K ~ Poisson(u_AB)`` and, for K persons registered by both A and B chosen at random,
    moves their registrations of B to a new person (A = B: persons with two or more
    registrations of A lose one of them).

    Parameters
    ----------
    labels : int array, shape (n,): the person of every registration (one partition).
    organisations : array of str, shape (n,).
    unblocked : DataFrame ``organisation_l, organisation_r, unblocked_matches``.
    rng : numpy Generator.

    Returns
    -------
    int array, shape (n,): the labels after the splits (new persons numbered after the others).
    """
    lab = pd.factorize(np.asarray(labels))[0].astype(np.int64)
    orgs = np.asarray(organisations).astype(str)
    m = int(lab.max()) + 1 if lab.size else 0
    names = pd.Index(pd.unique(orgs))
    oi = names.get_indexer(orgs)
    count = np.zeros((m, len(names)), dtype=np.int64)
    np.add.at(count, (lab, oi), 1)
    nxt = m
    for a_name, b_name, u in unblocked[["organisation_l", "organisation_r", "unblocked_matches"]].itertuples(
            index=False):
        ia, ib = names.get_indexer([str(a_name)])[0], names.get_indexer([str(b_name)])[0]
        k = int(rng.poisson(float(u))) if u > 0 and ia >= 0 and ib >= 0 else 0
        if k == 0:
            continue
        pool = np.flatnonzero(count[:, ia] >= 2) if ia == ib else np.flatnonzero((count[:, ia] > 0) & (count[:, ib] > 0))
        k = min(k, pool.size)
        for person in rng.choice(pool, size=k, replace=False):
            regs = np.flatnonzero((lab == person) & (oi == ib))
            moved = regs[:1] if ia == ib else regs
            lab[moved] = nxt
            count[person, ib] -= moved.size
            nxt += 1
    return lab


def draw_unblocked(labels: np.ndarray, run, seed: int) -> np.ndarray:
    """The matches never compared in one linkage draw: merged (posterior mean) or split (bias correction).

    `run` is a :class:`~darkfigure.linkage.link_run.LinkRun` whose ``unblocked`` table is
    not None; a column ``split`` set to True (:func:`for_bias_correction`) asks for
    :func:`split_unblocked_matches`, otherwise
    :func:`~darkfigure.linkage.link_run.add_unblocked_matches`. The draw's own random
    stream is ``default_rng([seed, 7])`` (as before the split). Returns int labels, shape (n,).
    """
    from .link_run import add_unblocked_matches

    table = run.unblocked
    orgs = run.records["organisation"].to_numpy()
    rng = np.random.default_rng([int(seed), 7])
    if "split" in table.columns and bool(table["split"].any()):
        return split_unblocked_matches(labels, orgs, table, rng)
    return add_unblocked_matches(labels, orgs, table[["organisation_l", "organisation_r", "unblocked_matches"]], rng)


def for_bias_correction(run):
    """A copy of `run` whose draws split the never-compared matches off (:func:`draw_unblocked`); `run` itself
    when it has none. `run`: a :class:`~darkfigure.linkage.link_run.LinkRun`."""
    from dataclasses import replace

    if run.unblocked is None:
        return run
    return replace(run, unblocked=run.unblocked.assign(split=True))


def with_unblocked_matches(linkage_errors: pd.DataFrame, organisations: np.ndarray, names: pd.DataFrame,
                           pairs: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """`linkage_errors` with the matches blocking never compared (:func:`unblocked_matches`) merged in as column
    ``unblocked_matches`` and added to ``missed_links`` and ``expected_matches`` (what ``link`` writes to
    linkage_errors.csv for plaintext registrations; pseudonymised files compare keyed tokens only as blocking keys,
    so there it is not estimated).

    Parameters
    ----------
    linkage_errors : DataFrame
        :func:`~darkfigure.linkage.quality.expected_link_errors`, one row per pair of organisations.
    organisations : array of shape (n_registrations,)
    names : DataFrame, shape (n_registrations, 3)
        The prepared ``fn, sn, dob`` of the registrations.
    pairs : DataFrame
        The scored pairs (``record_l, record_r, match_probability``).
    labels : array of shape (n_registrations,)
        The found person of each registration.

    Returns
    -------
    DataFrame: a new table, the rows of `linkage_errors`.
    """
    # the undated assignment model ran (it counts the undated registrations' pairs with dated ones, compared or not)
    by_model = bool({"undated_missed_links", "undated_false_links"} <= set(linkage_errors.columns)) and float(
        linkage_errors["undated_missed_links"].sum() + linkage_errors["undated_false_links"].sum()) > 0
    ub = unblocked_matches(organisations, names, pairs, labels, undated_by_model=by_model)
    out = linkage_errors.merge(ub, on=["organisation_l", "organisation_r"])
    out["missed_links"] += out["unblocked_matches"]
    out["expected_matches"] += out["unblocked_matches"]
    return out
