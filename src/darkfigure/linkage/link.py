"""Linkage of registrations into persons and capture histories (Fellegi–Sunter with Splink).

The clearing house receives registrations from several organisations (lists). The
same person may be registered by several organisations, and more than once by one.
:func:`link` finds the persons:

1. All files are stacked and deduplicated at once (Splink ``link_type="dedupe_only"``
   on the union), so duplicates within an organisation are found as well as
   overlaps between organisations.
2. Candidate record pairs come from blocking rules: pairs that agree on cheap keys
   (date of birth with an initial; the two names in either order; one name with part
   of the date of birth; for a missing date, one name with the Soundex code of the
   other). Each rule survives errors in the fields it does not use. On pseudonymised
   files: the keyed blocking tokens, and one name token with sex and nationality when a
   date is missing.
3. Each pair is scored by the Fellegi–Sunter model (Fellegi & Sunter 1969, JASA
   64:1183-1210): per identifier a comparison with ordered agreement levels, m
   (probability of the level among true matches) and u (among non-matches); the match
   weight is ``log2(prior odds) + sum log2(m/u)``. u is estimated by comparing random
   record pairs (``max_pairs``, seeded), m by expectation–maximisation within blocks
   (Winkler 1988; one session blocked on the date of birth, one on the names), the
   prior odds from exact agreement on name and date of birth with an assumed recall.
   Exact agreement on a common value counts less than on a rare one (term-frequency
   adjustment, Winkler 1989; frequencies over distinct identities, see ``_tf_tables``).
   The prior odds are then re-estimated over all record pairs (EM fixed point, see
   ``_edges``), so that the match probabilities add up to the expected number of
   matching pairs. Dates of birth before 1905 (1900-01-01) are placeholders and
   compared as missing; a unique name counts by its Good–Turing frequency.
4. A registration without a date of birth is one person at most: its match
   probabilities are shared among the persons it could be (:func:`compete_missing_dates`).
   Pairs with match probability at or above ``threshold`` are joined, and persons are
   the connected components (clusters) of that graph, except that a registration
   without a date of birth joins only its most probable match (:func:`cluster_links`).
5. Every scored pair with probability >= 0.001 is kept (:attr:`LinkageResult.pairs`)
   with the registrations stripped of names and dates (:attr:`LinkageResult.records`):
   :func:`persons_from_pairs` re-clusters them (e.g. linkages drawn from the
   probabilities), and the expected numbers of false and missed links per pair of
   organisations are estimated from them
   (:func:`~darkfigure.linkage.quality.expected_link_errors`, ``linkage_errors.csv``).

Plaintext comparisons (after the normalisation that pseudonymisation also applies:
ASCII, lower case, letters only, surname particles dropped): the two names together,
exact, swapped, one exact and the other close by Jaro–Winkler similarity (Winkler
1990) at 0.92 and 0.8, both close, one exact; date of birth exact, one typo
(Damerau–Levenshtein 1), day and month swapped, year off by one or two, day off by
one or two, same year; sex and nationality exact. Pseudonymised comparisons: equal
keyed HMAC tokens and Dice similarity of the bigram Bloom filters (Schnell, Bachteler &
Reiher 2009) at thresholds set for the hardened filters of
:mod:`darkfigure.linkage.pseudonymise` (see :mod:`darkfigure.linkage.bloom_sql`).

The result is one row per person (which organisations registered them, covariates
resolved by a stated rule, year of first registration) and the :class:`CaptureHistories`
that the estimators need.

Linkage errors bias N̂. A false match merges two persons: fewer persons are observed
and more of them seem to be on several lists, so the lists look more overlapping than
they are and N̂ shrinks. A missed match splits a person: more persons, less overlap,
and N̂ is inflated. The ``sensitivity`` option re-clusters the same scored pairs at
several thresholds (no re-training) and re-estimates N̂ at each, to show how much the
estimate depends on the threshold. The default threshold is 0.5, the point where a link is
as likely right as wrong, so that false and missed links, which push N̂ in opposite
directions, are balanced. Plain connected components would chain common names
through registrations without a date of birth; :func:`cluster_links` attaches those
to their single best match instead. On the synthetic ``clearing_house``
registrations (8 populations) this gives pairwise precision and recall of 0.98-0.99
and N̂ within the interval of N̂ from the true links; at 0.9 the missed links dominate
and N̂ came out 3-7 % too high, outside that interval in most runs.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..histories import MAX_AUTO_LEVELS, CaptureHistories, DataError
from .bloom_sql import decode_bloom_column, dice_sql
from .quality import expected_link_errors, pairwise_quality, plot_weight_histogram, weight_histogram
from .registrations import normalise_name, normalise_nationality, normalise_sex

__all__ = ["LinkageResult", "cluster_links", "compete_missing_dates", "link", "persons_from_links", "persons_from_pairs", "spark_session",
           "ENGINES", "COVARIATE_RULES", "PAIR_FLOOR"]

ENGINES = ("duckdb", "spark")
COVARIATE_RULES = ("most_frequent", "earliest")

#: columns that identify a person or a registration (never covariates)
IDENTIFIERS = ("record_id", "organisation", "registration_date", "first_name", "surname", "date_of_birth")
PLAIN_FIELDS = ("first_name", "surname", "date_of_birth")
BLOOM_FIELDS = ("bf_first_name", "bf_surname", "bf_date_of_birth")
#: dates of birth before this are placeholders (1900-01-01: "unknown" in many systems) and compared as missing
PLACEHOLDER_BEFORE = pd.Timestamp("1905-01-01")
#: scored pairs with a match probability at or above this floor are kept in LinkageResult.pairs (pairs.parquet);
#: below it a pair contributes less than 0.001 expected links and is left out
PAIR_FLOOR = 0.001

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------- result
@dataclass
class LinkageResult:
    """The persons found by :func:`link` and everything needed to judge them.

    Attributes
    ----------
    links : DataFrame, shape (n_registrations, 3)
        ``organisation, record_id, person_id``: the person of every registration.
    persons : DataFrame, shape (n_persons, 1 + k + n_covariates + 1)
        ``person_id``, one 0/1 column per organisation (list), the covariates resolved
        by `covariate_rule`, and ``year`` (year of the person's first registration).
    histories : CaptureHistories
        Capture histories of the persons: the k organisations as lists; covariates
        and ``year`` (those with at least two levels) as covariates.
    lists : tuple of str
        The organisations, in order of first appearance.
    covariates : tuple of str
        Covariate columns of `persons` (``year`` included).
    encoding : {"plaintext", "pseudonymised"}
    engine : {"duckdb", "spark"}
    threshold : float
        Match probability at or above which two registrations are the same person.
    covariate_rule : {"most_frequent", "earliest"}
    quality : DataFrame or None
        With a known truth: one row of :func:`~darkfigure.linkage.quality.pairwise_quality`.
    weights : DataFrame or None
        Match-weight histogram of all scored pairs
        (:func:`~darkfigure.linkage.quality.weight_histogram`).
    sensitivity : DataFrame or None
        ``threshold, persons, nhat, lower, upper`` (and precision/recall with a truth).
    model : dict
        The trained Splink model (settings with m and u), JSON-able.
    notes : list of str
        What was done to the data (covariates left out, missing values filled).
    seconds : dict
        Wall time of each stage.
    pairs : DataFrame or None, shape (n_pairs, 3)
        Every scored record pair with match probability >= :data:`PAIR_FLOOR` (0.001):
        ``record_l``, ``record_r`` (int, 0-based row positions of the registrations in
        `links` / `records` order, ``record_l < record_r``) and ``match_probability``
        (Fellegi–Sunter posterior, with the prior odds). Pairs not blocked together or
        scored below the floor are taken as non-links with probability ~0. Input of
        :func:`persons_from_pairs` (re-clustering) and of the linkage-error estimates.
    records : DataFrame or None, shape (n_registrations, 4 + n_covariates)
        One row per registration in `links` order: ``organisation``, ``record_id``,
        ``registration_date``, ``has_date_of_birth`` (bool) and the covariate columns
        of `covariates` (``year`` excepted: it is derived from the registration date),
        normalised as in `persons`. No names or dates of birth (personal data).
    linkage_errors : DataFrame or None
        Expected false and missed links per pair of organisations, estimated from the
        match probabilities (:func:`~darkfigure.linkage.quality.expected_link_errors`).
    """

    links: pd.DataFrame
    persons: pd.DataFrame
    histories: CaptureHistories
    lists: tuple[str, ...]
    covariates: tuple[str, ...]
    encoding: str
    engine: str
    threshold: float
    covariate_rule: str
    quality: pd.DataFrame | None = None
    weights: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    model: dict = field(default_factory=dict, repr=False)
    notes: list[str] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)
    pairs: pd.DataFrame | None = field(default=None, repr=False)
    records: pd.DataFrame | None = field(default=None, repr=False)
    linkage_errors: pd.DataFrame | None = None

    @property
    def n_persons(self) -> int:
        """Number of distinct persons found."""
        return int(self.persons.shape[0])

    def histories_table(self) -> pd.DataFrame:
        """Aggregated capture histories: 0/1 list columns, covariates, ``count`` (what histories.csv holds)."""
        h = self.histories
        t = h.table if h.incomplete is None else pd.concat([h.table, h.incomplete], ignore_index=True)
        t = t.copy()
        for c in h.covariates:
            t[c] = t[c].astype(object)  # unknown values stay empty cells
        return t

    def write(self, out: str | Path, *, plot: bool = True) -> list[Path]:
        """Write links.csv, persons.csv, histories.csv and, when computed, linkage_quality.csv,
        linkage_weights.csv (+ .png), linkage_sensitivity.csv, linkage_model.json, linkage_errors.csv,
        linkage_settings.json (threshold, covariate rule, encoding, engine, lists, covariates), pairs.parquet
        and records.parquet (see :attr:`pairs`, :attr:`records`) to folder `out`.

        Files are first written to a temporary folder next to `out` and moved into place
        only when all are complete, so a failure leaves nothing half-written.

        Returns the paths written. Raises OSError when the folder cannot be written.
        """
        import json

        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            names = []

            def put(name: str, df: pd.DataFrame) -> None:
                """Write one table into the temporary folder and remember its name."""
                df.to_csv(tmp / name, index=False)
                names.append(name)

            put("links.csv", self.links)
            put("persons.csv", self.persons)
            put("histories.csv", self.histories_table())
            if self.quality is not None:
                put("linkage_quality.csv", self.quality)
            if self.weights is not None:
                put("linkage_weights.csv", self.weights)
                if plot and len(self.weights):
                    plot_weight_histogram(self.weights, tmp / "linkage_weights.png", self.threshold)
                    names.append("linkage_weights.png")
            if self.sensitivity is not None:
                put("linkage_sensitivity.csv", self.sensitivity)
            if self.linkage_errors is not None:
                put("linkage_errors.csv", self.linkage_errors)
            for name, frame in (("pairs.parquet", self.pairs), ("records.parquet", self.records)):
                if frame is not None:
                    frame.to_parquet(tmp / name, index=False)
                    names.append(name)
            if self.model:
                (tmp / "linkage_model.json").write_text(json.dumps(self.model, indent=1, default=str))
                names.append("linkage_model.json")
            # what re-clustering the pairs needs (the linkage correction reads it; no threshold to infer)
            settings = {"threshold": self.threshold, "covariate_rule": self.covariate_rule,
                        "encoding": self.encoding, "engine": self.engine, "lists": list(self.lists),
                        "covariates": list(self.covariates)}
            (tmp / "linkage_settings.json").write_text(json.dumps(settings, indent=1))
            names.append("linkage_settings.json")
            out.mkdir(parents=True, exist_ok=True)
            for n in names:
                os.replace(tmp / n, out / n)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return [out / n for n in names]

    def __str__(self) -> str:
        regs = self.links.shape[0]
        return (
            f"{regs:,} registrations from {len(self.lists)} organisations linked into {self.n_persons:,} persons "
            f"({self.encoding}, {self.engine}, threshold {self.threshold:g})"
        )


# ---------------------------------------------------------------------------- input
def _read_inputs(files_or_frames) -> tuple[pd.DataFrame, str]:
    """Read and validate registration files; return the stacked frame and its encoding."""
    from .registrations import read_registration_files

    if isinstance(files_or_frames, (str, Path, pd.DataFrame)):
        files_or_frames = [files_or_frames]
    frames = read_registration_files(list(files_or_frames))
    kind = frames[0].attrs["kind"]
    df = pd.concat([f.assign() for f in frames], ignore_index=True)
    df.attrs = {}
    return df, kind


# ---------------------------------------------------------------------------- preparation
_SOUNDEX = str.maketrans("bfpvcgjkqsxzdtlmnr", "111122222222334556")


def _soundex(s: str | None) -> str | None:
    """American Soundex of a normalised name (Knuth, TAOCP vol. 3), spaces removed."""
    if not s:
        return None
    s = s.replace(" ", "")
    if not s:
        return None
    codes = s.translate(_SOUNDEX)
    out, last = [s[0].upper()], codes[0]
    for ch, code in zip(s[1:], codes[1:]):
        if code.isdigit() and code != last:
            out.append(code)
        if ch not in "hw":
            last = code
        if len(out) == 4:
            break
    return "".join(out).ljust(4, "0")


def _map_unique(s: pd.Series, f) -> pd.Series:
    # names repeat a lot: map each distinct value once
    u = pd.unique(s.dropna())
    m = {v: f(v) for v in u}
    return s.map(m)


def _letterless_names(df: pd.DataFrame, prep: pd.DataFrame) -> list[str]:
    """Notes on names given but made only of symbols, digits or emoji (nothing left after normalisation).

    They are compared as missing names; saying so keeps a broken export (``###``, ``??``,
    emoji) from passing silently as unknown names.
    """
    out = []
    for col, key in (("first_name", "fn"), ("surname", "sn")):
        given = df[col].astype(object).map(lambda v: isinstance(v, str) and v.strip() != "")
        bad = given.to_numpy(dtype=bool) & pd.isna(prep[key]).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            org = df["organisation"].iloc[i] if "organisation" in df.columns else "?"
            out.append(
                f"{int(bad.sum()):,} registration(s) have a {col} with no letters (e.g. {df[col].iloc[i]!r}, "
                f"record {df['record_id'].iloc[i]!r} of {org}); compared as a missing {col}, which weakens their "
                "linkage: check the export of those files"
            )
    return out


def _prepare_plain(df: pd.DataFrame) -> pd.DataFrame:
    p = pd.DataFrame({"uid": np.arange(len(df), dtype=np.int64)})
    # the normalisation pseudonymisation applies, so that both kinds of file compare the same strings
    # (spaces dropped as the encoders drop them: "Jan-Willem" = "Janwillem")
    # particles are dropped from first names too: a swapped "van der Berg" then still reads "berg"
    fn = _map_unique(df["first_name"].astype(object), lambda v: normalise_name(v, surname=True).replace(" ", "") or None)
    sn = _map_unique(df["surname"].astype(object), lambda v: normalise_name(v, surname=True).replace(" ", "") or None)
    p["fn"] = fn.to_numpy()
    p["sn"] = sn.to_numpy()
    p["fn_sx"] = _map_unique(fn, _soundex).to_numpy()
    p["sn_sx"] = _map_unique(sn, _soundex).to_numpy()
    p["fn_srt"] = _map_unique(fn, lambda v: "".join(sorted(v))).to_numpy()
    p["sn_srt"] = _map_unique(sn, lambda v: "".join(sorted(v))).to_numpy()
    p["fn_sxt"] = p["fn_sx"].str[1:].to_numpy()
    p["sn_sxt"] = p["sn_sx"].str[1:].to_numpy()
    # order-free keys catch swapped first name and surname in blocking
    both = fn.notna() & sn.notna()
    lo = np.where(fn.fillna("") <= sn.fillna(""), fn.fillna(""), sn.fillna(""))
    hi = np.where(fn.fillna("") <= sn.fillna(""), sn.fillna(""), fn.fillna(""))
    p["name_pair"] = np.where(both, pd.Series(lo) + "|" + pd.Series(hi), None)
    p["full_name"] = np.where(both, fn.fillna("") + "|" + sn.fillna(""), None)
    dob = pd.to_datetime(df["date_of_birth"], errors="coerce", format="%Y-%m-%d")
    # 1900-01-01 and the like are a system's "unknown", not a date: compared as missing
    dob = dob.where(dob >= PLACEHOLDER_BEFORE)
    iso = dob.dt.strftime("%Y-%m-%d")
    p["dob"] = iso.where(dob.notna(), None).to_numpy()
    p["dob_y"] = iso.str[:4].where(dob.notna(), None).to_numpy()
    p["dob_m"] = iso.str[5:7].where(dob.notna(), None).to_numpy()
    p["dob_d"] = iso.str[8:10].where(dob.notna(), None).to_numpy()
    p["dob_md"] = iso.str[5:10].where(dob.notna(), None).to_numpy()
    # first and last two letters: blocking keys that survive a typo at the other end of the name
    for c, v in (("fn", fn), ("sn", sn)):
        p[f"{c}_p2"] = v.str[:2].to_numpy()
        p[f"{c}_s2"] = v.str[-2:].to_numpy()
    p["fn1"] = fn.str[:1].to_numpy()
    p["sn1"] = sn.str[:1].to_numpy()
    ini = (fn.str[:1].fillna("") + sn.str[:1].fillna("")).map(lambda x: "".join(sorted(x)))
    p["ini"] = ini.where(ini != "", None).to_numpy()
    for c, dst, f in (("sex", "sex", normalise_sex), ("nationality", "nat", normalise_nationality)):
        if c in df.columns:
            p[dst] = _map_unique(df[c].astype(object), lambda v, f=f: f(v) or None).to_numpy()
    return _compact(p)


def _compact(p: pd.DataFrame) -> pd.DataFrame:
    # text columns as Arrow strings: a third of the memory of Python str objects on a million rows, and
    # DuckDB reads them without conversion
    for c in p.columns:
        if p[c].dtype == object:
            p[c] = p[c].astype("string[pyarrow]")
    return p


def _prepare_pseudo(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    p = pd.DataFrame({"uid": np.arange(len(df), dtype=np.int64)})
    widths: dict[str, int] = {}
    for c in BLOOM_FIELDS:
        if c in df.columns:
            dec, w = decode_bloom_column(df[c].reset_index(drop=True), c)
            widths[c] = w
            p = pd.concat([p, dec], axis=1)
    for c in [c for c in df.columns if str(c).startswith("tok_")]:
        s = df[c].astype("string").str.strip().reset_index(drop=True)
        p[c] = s.where(s.notna() & (s != ""), None).astype(object).to_numpy()
    if {"tok_first_name", "tok_surname"} <= set(p.columns):
        both = p["tok_first_name"].notna() & p["tok_surname"].notna()
        full = p["tok_first_name"].fillna("") + "|" + p["tok_surname"].fillna("")
        p["tok_full"] = full.where(both, None).astype(object)
    for c, dst, f in (("sex", "sex", normalise_sex), ("nationality", "nat", normalise_nationality)):
        if c in df.columns:
            p[dst] = _map_unique(df[c].astype(object).reset_index(drop=True), lambda v, f=f: f(v) or None).to_numpy()
    return _compact(p), widths


def _identity_key(p: pd.DataFrame, identity: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Identity label of each registration (its identifying values joined) and whether all were present."""
    complete = np.ones(len(p), dtype=bool)
    key = pd.Series("", index=p.index, dtype=object)
    for c in identity:
        complete &= p[c].notna().to_numpy()
        key = key + "|" + p[c].fillna("").astype(str)
    return key.to_numpy(dtype=object), complete


def _good_turing(r: np.ndarray, upto: int = 5) -> np.ndarray:
    """Expected population count of values seen r times: Good's (1953) r* = (r + 1) n_{r+1} / n_r for small r.

    n_r is the number of values seen exactly r times (here: carried by r distinct
    identities). A name carried by one person in the register is on average rarer in
    the population than 1 per N (Good 1953, Biometrika 40:237-264): its expected count
    is 2 n_2 / n_1. Used for r <= `upto` where n_r and n_{r+1} are both positive, clipped
    to [0.05, r] and made non-decreasing in r; otherwise r* = r - 1/2.
    """
    r = np.asarray(r, dtype=np.int64)
    nr = np.bincount(r, minlength=upto + 3).astype(float)
    star = np.arange(nr.size, dtype=float) - 0.5
    for k in range(1, upto + 1):
        if nr[k] > 0 and nr[k + 1] > 0:
            star[k] = min(max((k + 1) * nr[k + 1] / nr[k], 0.05), k)
    star[1:upto + 2] = np.maximum.accumulate(star[1:upto + 2])
    return star[r]


def _tf_tables(p: pd.DataFrame, columns: Sequence[str], key: np.ndarray, complete: np.ndarray) -> dict[str, pd.DataFrame]:
    """Value-specific u probabilities for the term-frequency adjustment of exact-agreement levels.

    Splink's term-frequency adjustment replaces the average u of an exact-agreement level
    by a value-specific one (Winkler 1989, "Frequency-based matching in the
    Fellegi-Sunter model of record linkage"), by default the value's share of all
    records. In a register of a few thousand persons that is wrong twice over: a person
    registered three times makes their own rare name look three times as common, and
    the value itself is counted although the question is how likely *another* person is
    to carry it. Here n_v = the number of distinct persons (`key`: a label per
    registration; registrations with ``complete`` False count only for values that no
    complete one carries) that carry value v, N = the number of distinct persons, and
    ``u_v = n_v* / N`` with n_v* the Good–Turing expected count of a value seen n_v
    times (:func:`_good_turing`): a name carried by one person is rarer than 1/N.

    Returns {column: DataFrame(column, tf_column)} for Splink's
    ``register_term_frequency_lookup``.
    """
    total = max(int(pd.unique(key[complete]).size), 1)
    out = {}
    for c in columns:
        d = pd.DataFrame({c: p[c].to_numpy(), "k": key, "ok": complete}).dropna(subset=[c])
        n = d[d["ok"]].drop_duplicates([c, "k"]).groupby(c, sort=False).size()
        n = n.reindex(pd.unique(d[c]), fill_value=0).clip(lower=1)
        out[c] = pd.DataFrame({c: n.index.to_numpy(dtype=object),
                               f"tf_{c}": _good_turing(n.to_numpy(dtype=np.int64)) / total})
    return out


#: largest number of record pairs for which a coarse blocking rule (a name and two letters of the other) is used
COARSE_RULE_PAIRS = 3e6


def _rule_pairs(p: pd.DataFrame, keys: Sequence[tuple[str, str]], missing: str | None) -> float:
    """Record pairs of the blocking rule ``l.a = r.b and ...`` (`keys`) in which a record lacks column `missing`
    (any record when `missing` is None).

    Counted as sum over key values of (records lacking `missing`) x (all records), over
    the two orders when the keys cross columns: an upper bound of the pairs scored.
    """
    left = p[[a for a, _ in keys]].copy()
    right = p[[b for _, b in keys]].copy()
    left.columns = right.columns = [f"k{i}" for i in range(len(keys))]
    lack = p[missing].isna().to_numpy() if missing is not None else np.ones(len(p), dtype=bool)
    a = left[lack].dropna().value_counts()
    b = right.dropna().value_counts()
    j = a.to_frame("x").join(b.to_frame("y"), how="inner")
    return float((j["x"].to_numpy(dtype=float) * j["y"].to_numpy(dtype=float)).sum())


def _broad_rules(p: pd.DataFrame, columns: Sequence[str], budget: float) -> list[str]:
    """Blocking on one identifier alone, for each column whose blocks hold at most `budget` record pairs.

    In a register of a few thousand persons every pair that shares a date of birth, a
    surname or a first name can be scored (a few hundred thousand pairs): blocking then
    misses only pairs with errors in all three. In a million registrations such blocks
    hold billions of pairs and are left out (the narrower rules remain). The count is
    ``sum_v n_v (n_v - 1) / 2`` over the values v of the column.
    """
    out = []
    for c in columns:
        if c not in p.columns:
            continue
        n = p[c].value_counts(dropna=True).to_numpy(dtype=float)
        if float((n * (n - 1) / 2).sum()) <= budget:
            out.append(f"l.{c} = r.{c}")
    return out


# ---------------------------------------------------------------------------- model
#: m of "dates of birth wholly different" among true matches, fixed rather than trained (see _dob_else)
DOB_GROSS_ERROR = 0.003


def _dob_else():
    """The last level of the date-of-birth comparison, with m fixed at DOB_GROSS_ERROR.

    EM cannot tell a person recorded with a wholly wrong date of birth from two persons
    who share a name (homonyms are common: a few hundred surnames cover most persons of
    one origin), so in the name-blocked training session it would give this level an m
    of 10-20 % and all but remove the penalty for different dates. The common errors
    (typo, day/month swap, year or day off) have levels of their own; a gross error is
    taken to affect 1 % of true matches.
    """
    import splink.comparison_level_library as cll

    return cll.ElseLevel().configure(m_probability=DOB_GROSS_ERROR, fix_m_probability=True)


def _sex_nat(p: pd.DataFrame, columns: Sequence[str] = ("sex", "nat")) -> list:
    """Exact comparisons of sex and nationality, with m of disagreement fixed at 1 %.

    Synthetic or not, a true match can disagree on sex or nationality (a recording
    error, a second nationality); EM on clean training blocks would put m at ~0 and
    make one disagreement an absolute veto.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    out = []
    for c in columns:
        if c in p.columns:
            out.append(cl.CustomComparison(output_column_name=c, comparison_levels=[
                cll.NullLevel(c), cll.ExactMatchLevel(c),
                cll.ElseLevel().configure(m_probability=0.01, fix_m_probability=True)]))
    return out


def _plain_settings(p: pd.DataFrame):
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import block_on

    # String similarity by Levenshtein distance, built into DuckDB and Spark SQL alike (Jaro-Winkler is not:
    # DuckDB halves the count of transpositions with integer division, Splink's Spark function does not, and
    # the two then disagree near a threshold). A transposition costs 2, so "close" also accepts two names
    # with the same letters (sorted-letter keys computed beforehand) at distance 2; one edit in a name of
    # four letters or fewer (Chen/Shen, Fang/Yang: often other persons) is only "within 2 edits".
    def close(a: str, b: str) -> str:
        """SQL: names a and b one edit apart (5+ letters), or two apart with the same letters (transposition)."""
        return (f"((levenshtein({a}_l, {b}_r) <= 1 and length({a}_l) >= 5 and length({b}_r) >= 5) or "
                f"({a}_srt_l = {b}_srt_r and levenshtein({a}_l, {b}_r) <= 2 and length({a}_l) >= 4))")

    def contained(a: str) -> str:
        """SQL: the shorter of the two values of column a (3+ letters) is part of the longer, and they differ."""
        return (f"({a}_l <> {a}_r and ((length({a}_r) >= 3 and instr({a}_l, {a}_r) > 0) or "
                f"(length({a}_l) >= 3 and instr({a}_r, {a}_l) > 0)))")

    def similar(a: str, b: str) -> str:
        """SQL: names a and b at most two edits apart (Levenshtein)."""
        return f"levenshtein({a}_l, {b}_r) <= 2"

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_description="first name and surname",
        comparison_levels=[
            cll.And(cll.NullLevel("fn"), cll.NullLevel("sn")),
            cll.ExactMatchLevel("full_name").configure(label_for_charts="both exact", tf_adjustment_column="full_name"),
            cll.ColumnsReversedLevel("fn", "sn", symmetrical=True).configure(label_for_charts="swapped"),
            # one name exact, the other close: the evidence depends on how common the exact one is
            # (Nguyen with a Thi- first name is weak, a rare surname strong), hence its term frequency
            cll.CustomLevel(f"sn_l = sn_r and {close('fn', 'fn')}").configure(
                label_for_charts="surname exact, first name close", tf_adjustment_column="sn"),
            cll.CustomLevel(f"fn_l = fn_r and {close('sn', 'sn')}").configure(
                label_for_charts="first name exact, surname close", tf_adjustment_column="fn"),
            cll.CustomLevel(f"{close('fn', 'fn')} and {close('sn', 'sn')}", label_for_charts="both close"),
            cll.CustomLevel(f"{close('fn', 'sn')} and {close('sn', 'fn')}", label_for_charts="swapped, both close"),
            cll.CustomLevel(f"sn_l = sn_r and {similar('fn', 'fn')}").configure(
                label_for_charts="surname exact, first name within 2 edits", tf_adjustment_column="sn"),
            cll.CustomLevel(f"fn_l = fn_r and {similar('sn', 'sn')}").configure(
                label_for_charts="first name exact, surname within 2 edits", tf_adjustment_column="fn"),
            cll.CustomLevel(
                f"({similar('fn', 'fn')} and {similar('sn', 'sn')}) or ({similar('fn', 'sn')} and {similar('sn', 'fn')})",
                label_for_charts="both within 2 edits (or swapped)",
            ),
            # one part of a compound first name or double surname ("Tấn Minh"/"Minh", "Fonseca Costa"/"Costa")
            cll.CustomLevel(f"({contained('fn')} and {similar('sn', 'sn')}) or ({contained('sn')} and "
                            f"{similar('fn', 'fn')})", label_for_charts="one name part of the other, other close"),
            cll.ExactMatchLevel("sn").configure(label_for_charts="surname exact", tf_adjustment_column="sn"),
            cll.ExactMatchLevel("fn").configure(label_for_charts="first name exact", tf_adjustment_column="fn"),
            cll.ElseLevel(),
        ],
    )
    dob = cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_description="date of birth",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob").configure(label_for_charts="exact", tf_adjustment_column="dob"),
            # near misses of a common date (1 January, given when the real date is unknown) say little: term
            # frequencies of the dates
            # (not for 1 January, which stands in for an unknown date: 2002-01-01 and 2009-01-01 are unrelated)
            cll.CustomLevel("levenshtein(dob_l, dob_r) <= 1 and dob_md_l <> '01-01' and dob_md_r <> '01-01'").configure(
                label_for_charts="one digit differs", tf_adjustment_column="dob"),
            cll.CustomLevel(
                "dob_y_l = dob_y_r and dob_m_l = dob_d_r and dob_d_l = dob_m_r", label_for_charts="day/month swapped"
            ),
            cll.CustomLevel(
                "dob_m_l = dob_m_r and dob_d_l = dob_d_r and abs(cast(dob_y_l as int) - cast(dob_y_r as int)) <= 2",
                label_for_charts="year off by 1-2",
            ).configure(tf_adjustment_column="dob"),
            cll.CustomLevel(
                "dob_y_l = dob_y_r and dob_m_l = dob_m_r and abs(cast(dob_d_l as int) - cast(dob_d_r as int)) <= 2",
                label_for_charts="day off by 1-2",
            ),
            cll.CustomLevel(
                "dob_y_l = dob_y_r and dob_d_l = dob_d_r and abs(cast(dob_m_l as int) - cast(dob_m_r as int)) = 1",
                label_for_charts="month off by 1",
            ),
            # 1 January stands in for an unknown day and month
            cll.CustomLevel("dob_y_l = dob_y_r and (dob_md_l = '01-01' or dob_md_r = '01-01')",
                            label_for_charts="same year, one is 1 January"),
            cll.ExactMatchLevel("dob_y").configure(label_for_charts="same year"),
            _dob_else(),
        ],
    )
    comparisons = [name, dob]
    comparisons += _sex_nat(p)
    # Each rule survives errors in the fields it does not use; together they survive any error in one field
    # and the common pairs of errors (a name typo with a missing or wrong date of birth). The rules for a
    # missing date join on a name and the Soundex code (or, when cheap, two letters) of the other and keep
    # only pairs where a date is missing. Sizes on 1M synthetic registrations with recurring names: 1-5M
    # pairs each, 20M for the name pair.
    rules = [
        block_on("dob", "ini"),
        block_on("dob", "fn1"),
        block_on("dob", "sn1"),
        # a typo in the first letter of one name, or swapped names with a typo (the last two letters survive)
        block_on("dob", "fn_s2"),
        block_on("dob", "sn_s2"),
        block_on("name_pair"),
        block_on("sn", "dob_md"),
        block_on("fn", "dob_md"),
        block_on("sn", "dob_y", "fn_sx"),
        block_on("fn", "dob_y", "sn_sx"),
        # a name typo that changes the Soundex code, with the day or the month of birth off
        block_on("sn", "dob_y", "dob_m"),
        block_on("fn", "dob_y", "dob_m"),
        block_on("sn", "dob_y", "dob_d"),
        block_on("fn", "dob_y", "dob_d"),
    ]
    # the rules for a missing date filter one side (l or r) so that DuckDB joins only the registrations
    # without a date against the rest: "(l.dob is null or r.dob is null)" would be applied after the full join.
    # Name and Soundex code of the other name:
    nodob_keys = [(("fn_sx", "fn_sx"), ("sn_sx", "sn_sx")), (("sn", "sn"), ("fn_sx", "fn_sx")),
                  (("fn", "fn"), ("sn_sx", "sn_sx"))]
    # a typo that changes the Soundex code (first letter, a consonant), also with swapped names: first or last
    # two letters. Coarse keys: used only when their blocks are small (see _rule_pairs)
    coarse = [(("sn", "sn"), ("fn_p2", "fn_p2")), (("sn", "sn"), ("fn_s2", "fn_s2")),
              (("fn", "fn"), ("sn_p2", "sn_p2")), (("fn", "fn"), ("sn_s2", "sn_s2")),
              (("fn", "sn"), ("sn_p2", "fn_p2")), (("sn", "fn"), ("fn_p2", "sn_p2")),
              (("fn", "sn"), ("sn_s2", "fn_s2")), (("sn", "fn"), ("fn_s2", "sn_s2"))]
    nodob_keys += [k for k in coarse if _rule_pairs(p, k, "dob") <= COARSE_RULE_PAIRS]
    # swapped names with a typo in the first letter of one, date of birth right (5M pairs at 1M registrations)
    for k in ((("dob", "dob"), ("fn1", "sn1")), (("dob", "dob"), ("sn1", "fn1"))):
        if _rule_pairs(p, k, None) <= COARSE_RULE_PAIRS:
            rules.append(" and ".join(f"l.{a} = r.{b}" for a, b in k))
    for k in nodob_keys:
        keys = " and ".join(f"l.{a} = r.{b}" for a, b in k)
        rules += [f"l.dob is null and {keys}", f"r.dob is null and {keys}"]
    training = [block_on("dob"), block_on("name_pair")]
    deterministic = ["l.fn = r.fn and l.sn = r.sn and l.dob = r.dob"]
    return comparisons, rules, training, deterministic


def _pseudo_settings(p: pd.DataFrame, widths: dict[str, int]):
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import block_on

    has = set(p.columns)

    def d(a: str, b: str | None = None) -> str:
        """SQL: Dice similarity of Bloom-filter columns a and b (same column when b is None)."""
        return dice_sql(a, b or a, widths[a])

    # Dice thresholds for the diffused filters of darkfigure.linkage.pseudonymise (unrelated names: median 0.31,
    # 99.9th percentile 0.63; one typo about 0.6-0.9; dates: year off by one 0.74, day/month swap or day off 0.5)
    levels: list = []
    fn, sn = "bf_first_name", "bf_surname"
    if fn not in widths or sn not in widths or not {"tok_first_name", "tok_surname"} <= has:
        raise DataError("pseudonymised registrations need bf_first_name, bf_surname, tok_first_name and tok_surname")
    levels.append(cll.And(cll.NullLevel(f"{fn}__n"), cll.NullLevel(f"{sn}__n")))
    levels.append(cll.ExactMatchLevel("tok_full").configure(label_for_charts="both tokens equal",
                                                             tf_adjustment_column="tok_full"))
    if "tok_block_fn_sn_sorted" in has:
        # field-salted filters cannot be compared across fields; the sorted-names token finds swaps
        levels.append(cll.ExactMatchLevel("tok_block_fn_sn_sorted").configure(label_for_charts="swapped"))
    for t in (0.8, 0.6):
        # one name equal and the other similar, weighted by how common the equal one is (as for plaintext)
        levels.append(cll.CustomLevel(f"tok_surname_l = tok_surname_r and {d(fn)} >= {t}").configure(
            label_for_charts=f"surname equal, first name Dice >= {t}", tf_adjustment_column="tok_surname"))
        levels.append(cll.CustomLevel(f"tok_first_name_l = tok_first_name_r and {d(sn)} >= {t}").configure(
            label_for_charts=f"first name equal, surname Dice >= {t}", tf_adjustment_column="tok_first_name"))
        levels.append(cll.CustomLevel(f"{d(fn)} >= {t} and {d(sn)} >= {t}", label_for_charts=f"both Dice >= {t}"))
    levels.append(cll.ExactMatchLevel("tok_surname").configure(label_for_charts="surname token equal",
                                                                tf_adjustment_column="tok_surname"))
    levels.append(cll.ExactMatchLevel("tok_first_name").configure(label_for_charts="first name token equal",
                                                                   tf_adjustment_column="tok_first_name"))
    levels.append(cll.ElseLevel())
    comparisons = [cl.CustomComparison(output_column_name="name", comparison_levels=levels)]
    dob = "bf_date_of_birth"
    dlev: list = []
    if "tok_date_of_birth" in has:
        dlev += [cll.NullLevel("tok_date_of_birth"),
                 cll.ExactMatchLevel("tok_date_of_birth").configure(label_for_charts="exact",
                                                                     tf_adjustment_column="tok_date_of_birth")]
    elif dob in widths:
        dlev += [cll.NullLevel(f"{dob}__n")]
    if dob in widths:
        dlev.append(cll.CustomLevel(f"{d(dob)} >= 0.7", label_for_charts="Dice >= 0.7 (year off by one)"))
        dlev.append(cll.CustomLevel(f"{d(dob)} >= 0.45", label_for_charts="Dice >= 0.45 (day/month swap, day off)"))
    if "tok_birth_year" in has:
        dlev.append(cll.ExactMatchLevel("tok_birth_year").configure(label_for_charts="same year"))
    if dlev:
        dlev.append(_dob_else())
        comparisons.append(cl.CustomComparison(output_column_name="date_of_birth", comparison_levels=dlev))
    for clear, tok in (("sex", "tok_sex"), ("nat", "tok_nationality")):
        if clear in has:
            comparisons += _sex_nat(p, [clear])
        elif tok in has:
            comparisons += _sex_nat(p, [tok])
    rules = [block_on(c) for c in sorted(c for c in has if c.startswith("tok_block_"))]
    # as for plaintext: one name exact with the other misspelt and the date of birth missing (the keyed
    # blocking tokens all need a date or both names); the clear sex and nationality keep these blocks small
    nodob = "(l.tok_date_of_birth is null or r.tok_date_of_birth is null)"
    extra = [c for c in ("sex", "nat") if c in has]
    for name in ("tok_surname", "tok_first_name"):
        rules.append(" and ".join([f"l.{c} = r.{c}" for c in (name, *extra)] + [nodob]))
    rules += [block_on("tok_surname", "tok_birth_year"), block_on("tok_first_name", "tok_birth_year")]
    if not rules:
        raise DataError(
            "the pseudonymised files have no blocking tokens (tok_block_*): re-create them with "
            "`darkfigure pseudonymise`"
        )
    training = []
    if "tok_date_of_birth" in has:
        training.append(block_on("tok_date_of_birth"))
    if "tok_block_fn_sn_sorted" in has:
        training.append(block_on("tok_block_fn_sn_sorted"))
    elif {"tok_first_name", "tok_surname"} <= has:
        training.append(block_on("tok_first_name", "tok_surname"))
    det = []
    if {"tok_first_name", "tok_surname", "tok_date_of_birth"} <= has:
        det = ["l.tok_first_name = r.tok_first_name and l.tok_surname = r.tok_surname "
               "and l.tok_date_of_birth = r.tok_date_of_birth"]
    return comparisons, rules, training or rules[:2], det


# ---------------------------------------------------------------------------- engines
def spark_session(*, memory: str = "2g", cores: int = 2, partitions: int = 4):
    """A local SparkSession sized for a small machine, with Splink's similarity functions.

    An existing session is reused (``getOrCreate``); Splink's jar of string-similarity
    functions (Jaro–Winkler, Damerau–Levenshtein) is put on its class path.

    Parameters
    ----------
    memory : driver memory (local mode runs everything in the driver), e.g. ``"1g"``.
    cores : worker threads (``local[cores]``).
    partitions : shuffle partitions (Spark's default of 200 is far too many locally).

    Raises
    ------
    RuntimeError
        No Java runtime (Spark needs Java 17 or later) or PySpark not installed.
    """
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise RuntimeError("the Spark engine needs a Java runtime (17 or later): `java` was not found")
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as e:  # pragma: no cover - pyspark is an optional dependency
        raise RuntimeError("the Spark engine needs PySpark: pip install 'darkfigure[spark]'") from e
    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("darkfigure-link")
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.default.parallelism", str(partitions))
        .config("spark.jars", similarity_jar_location())
        .config("spark.ui.enabled", "false")
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )


def _db_api(engine: str, spark, threads: int | None, memory_limit: str | None, workdir: Path):
    if engine == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        con = duckdb.connect()
        con.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{workdir / 'duckdb'}'")
        con.execute("SET preserve_insertion_order = false")
        return DuckDBAPI(connection=con)
    from splink import SparkAPI

    spark = spark if spark is not None else spark_session(cores=int(threads or 2))
    # intermediate tables are written to parquet and read back: this cuts Spark's query lineage, which
    # otherwise grows with every clustering iteration until planning runs out of memory
    spark.sparkContext.setCheckpointDir(str(workdir / "spark"))
    return SparkAPI(spark_session=spark, break_lineage_method="parquet", num_partitions_on_repartition=2)


def _register(db_api, engine: str, frame: pd.DataFrame, workdir: Path, name: str):
    # unique names: a Spark session outlives one call of link()
    table = f"darkfigure_{name}_{workdir.name.rsplit('-', 1)[-1]}"
    if engine == "duckdb":
        return db_api.register(frame, table_name=table)
    # a file-backed table, not a local relation that the planner copies into every query
    path = workdir / f"{name}.parquet"
    frame.to_parquet(path, index=False)
    return db_api.register(db_api.spark.read.parquet(str(path)), table_name=table)


# ---------------------------------------------------------------------------- link
def link(
    files_or_frames: Sequence[str | Path | pd.DataFrame] | str | Path | pd.DataFrame,
    *,
    engine: Literal["duckdb", "spark"] = "duckdb",
    threshold: float = 0.5,
    seed: int = 0,
    covariate_rule: Literal["most_frequent", "earliest"] = "most_frequent",
    covariates: Sequence[str] | None = None,
    truth: str | None = None,
    sensitivity: Sequence[float] | None = None,
    max_pairs: float = 2e6,
    em_max_pairs: float | None = 5e6,
    prior_recall: float = 0.7,
    refit_prior: bool = True,
    broad_pairs: float = 2e6,
    weights: bool = True,
    estimate_options: dict | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    spark=None,
) -> LinkageResult:
    """Link registrations of several organisations into persons and capture histories.

    Parameters
    ----------
    files_or_frames : path(s) or DataFrame(s)
        Registration files (CSV, Parquet, Excel) or frames, one or more per
        organisation, all plaintext or all pseudonymised with the same key
        (:mod:`darkfigure.linkage.registrations` validates them).
    engine : {"duckdb", "spark"}
        Splink backend: DuckDB in-process (default) or Spark (local mode unless a
        session is given in `spark`).
    threshold : float in (0, 1)
        Match probability at or above which two registrations are linked; persons are
        the clusters of :func:`cluster_links` (connected components; registrations
        without a date of birth join their best match only). Default 0.5: false and
        missed links equally likely at the margin.
    seed : int
        Seed of the random pairs that estimate u (results are reproducible).
    covariate_rule : {"most_frequent", "earliest"}
        How a person's covariate is chosen when their registrations disagree: the most
        frequent value (ties go to the value of the earliest registration), or the value
        of the earliest registration. Missing values are ignored; a person with no value
        keeps an empty value (``estimate``/``monitor`` keep such persons with ``--missing em``).
    covariates : list of str, optional
        Covariate columns to carry to the persons. Default: ``sex`` (when in clear) and
        the covariates of the registration format
        (:func:`~darkfigure.linkage.registrations.covariate_columns`) other than the
        `truth` column, those with more than 30 distinct values left out with a note;
        ``nationality`` (country, many levels) only when named.
    truth : str, optional
        Column with the true person of each registration (synthetic data): adds
        :attr:`LinkageResult.quality` (pairwise precision, recall, F1, cluster metrics).
    sensitivity : list of float, optional
        Thresholds at which to re-cluster (same scored pairs, no re-training) and
        re-estimate N̂: :attr:`LinkageResult.sensitivity`.
    max_pairs : float
        Random record pairs compared to estimate u.
    em_max_pairs : float or None
        Cap on the blocked pairs used by each EM training session (None: all).
    prior_recall : float
        Assumed share of true matches that agree exactly on name and date of birth;
        sets the starting prior probability that two records match.
    refit_prior : bool
        Re-estimate that prior after scoring, as the EM fixed point over all record pairs
        (see ``_edges``): the match probabilities then sum to the expected number of
        matching pairs, which the linkage-error estimates rely on.
    broad_pairs : float
        Also block on the date of birth, the surname and the first name alone, each when
        it yields at most this many record pairs (small registers; see ``_broad_rules``).
    weights : bool
        Compute the match-weight histogram of all scored pairs.
    estimate_options : dict, optional
        Options for :func:`darkfigure.estimate` in the sensitivity table (default:
        Cruyff search, parametric bootstrap with 200 replicates, `seed`, one process, on
        the lists only; ``{"covariates": [...]}`` keeps those covariates).
    threads, memory_limit : optional
        DuckDB threads and memory limit (e.g. ``"3GB"``); for Spark, `threads` is the
        number of local cores.
    spark : SparkSession, optional
        Session for ``engine="spark"`` (default: :func:`spark_session`).

    Returns
    -------
    LinkageResult

    Raises
    ------
    DataError
        No files; missing identifier columns; unparseable dates; plaintext mixed with
        pseudonymised files; files pseudonymised with different keys; a single
        organisation; duplicate record ids; an unknown covariate or truth column.
    ValueError
        Unknown engine or covariate rule; threshold outside (0, 1).
    RuntimeError
        ``engine="spark"`` without a Java runtime or PySpark.

    Notes
    -----
    Measured by ``benchmarks/linkage_quality_study.py`` (synthetic ``clearing_house``,
    about 5,000 persons and 8,000 registrations, 3 seeds, DuckDB, 15-20 s on a loaded
    2-core machine), mean pairwise precision / recall, plaintext and Bloom filters:
    ``standard`` (tuning) 0.981/0.992 and 0.979/0.981; ``typos`` (held out) 0.985/0.976
    and 0.955/0.925; ``dob_errors`` (held out) 0.968/0.971 and 0.960/0.900; ``no_dob``
    (held out: 20% without a date of birth, 10% duplicates, skewed names) 0.924/0.939 and
    0.862/0.891. Namesakes without a date of birth are the main source of false links.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    if covariate_rule not in COVARIATE_RULES:
        raise ValueError(f"covariate_rule must be one of {COVARIATE_RULES}, not {covariate_rule!r}")
    thresholds = [threshold, *(sensitivity or [])]
    for t in thresholds:
        if not 0 < float(t) < 1:
            raise ValueError(f"a match-probability threshold must be between 0 and 1, not {t}")
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    df, encoding = _read_inputs(files_or_frames)
    df = df.reset_index(drop=True)
    orgs = tuple(pd.unique(df["organisation"].astype(str)))
    if len(orgs) < 2:
        raise DataError(
            f"all registrations come from one organisation ({orgs[0] if orgs else 'none'}): multiple systems "
            "estimation needs at least 2 organisations (lists)"
        )
    if truth is not None and truth not in df.columns:
        raise DataError(f"truth column {truth!r} not found; the columns are {list(df.columns)}")
    covs, notes = _covariate_columns(df, covariates, truth, orgs)
    seconds["read"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if encoding == "plaintext":
        prep = _prepare_plain(df)
        notes += _letterless_names(df, prep)
        comparisons, rules, training, deterministic = _plain_settings(prep)
        tf_cols, identity = ["full_name", "sn", "fn", "dob"], ["fn", "sn", "dob"]
    else:
        prep, widths = _prepare_pseudo(df)
        comparisons, rules, training, deterministic = _pseudo_settings(prep, widths)
        tf_cols = ["tok_full", "tok_surname", "tok_first_name", "tok_date_of_birth"]
        identity = ["tok_first_name", "tok_surname", "tok_date_of_birth"]
    broad = ["dob", "sn", "fn"] if encoding == "plaintext" else ["tok_date_of_birth", "tok_surname", "tok_first_name"]
    rules = rules + _broad_rules(prep, broad, broad_pairs)
    # a person is taken to be a distinct (first name, surname, date of birth)
    tf = _tf_tables(prep, tf_cols, *_identity_key(prep, identity))
    df = _normalise_covariates(df)
    seconds["prepare"] = time.perf_counter() - t0

    from splink import Linker, SettingsCreator

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="uid",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=25,
    )
    t0 = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="darkfigure-link-"))  # name ends in a random part
    try:
        db_api = _db_api(engine, spark, threads, memory_limit, workdir)
        sdf = _register(db_api, engine, prep, workdir, "registrations")
        linker = Linker(sdf, settings, log_level=None)
        for c, table in tf.items():
            linker.table_management.register_term_frequency_lookup(
                _register(db_api, engine, table, workdir, f"tf_{c}"), c
            )
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    seconds["load"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    splink_log = logging.getLogger("splink")
    old_level = splink_log.level
    splink_log.setLevel(logging.ERROR)  # Splink reports every step at INFO and warns about untrained levels
    try:
        if deterministic:
            try:
                linker.training.estimate_probability_two_random_records_match(deterministic, recall=prior_recall)
            except ValueError:
                pass  # more exact matches than the assumed recall allows: keep Splink's default prior
        # all chunks, no early stop: the u estimate is then the same on every engine
        linker.training.estimate_u_using_random_sampling(
            max_pairs=max_pairs, seed=seed, min_count_per_level=None, num_chunks=1
        )
        for br in training:
            linker.training.estimate_parameters_using_expectation_maximisation(
                br, estimate_without_term_frequencies=True, max_pairs=em_max_pairs
            )
        seconds["train"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        pred = linker.inference.predict(warning_mode="never")
        seconds["predict"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        hist = _weight_counts(db_api, pred) if weights else None
        model = linker.misc.save_model_to_json() if hasattr(linker.misc, "save_model_to_json") else {}
        lam0 = float(model.get("probability_two_random_records_match", 1e-4))
        edges, lam = _edges(db_api, pred, min(PAIR_FLOOR, *(float(x) for x in thresholds)), lam0, len(prep),
                            refit_prior)
        if refit_prior:
            model["probability_two_random_records_match"] = lam
            notes.append(f"prior match probability re-estimated over all record pairs: {lam0:.3g} -> {lam:.3g}")
        has_dob = prep["dob" if encoding == "plaintext" else "tok_date_of_birth"].notna().to_numpy()
        edges = (edges[0], edges[1], compete_missing_dates(len(prep), *edges, has_dob, float(threshold)))
        clusters = {t: cluster_links(len(prep), *edges, has_dob, t) for t in dict.fromkeys(float(x) for x in thresholds)}
        seconds["cluster"] = time.perf_counter() - t0
    finally:
        splink_log.setLevel(old_level)
        _close(db_api, engine)
        shutil.rmtree(workdir, ignore_errors=True)

    t0 = time.perf_counter()
    links, persons, h, more = _assemble(df, clusters[float(threshold)], orgs, covs, covariate_rule)
    notes += more
    records = _records(df, has_dob, covs)
    floor = edges[2] >= PAIR_FLOOR
    pairs = pd.DataFrame({"record_l": edges[0][floor], "record_r": edges[1][floor],
                          "match_probability": edges[2][floor]})
    linkage_errors = expected_link_errors(records["organisation"].to_numpy(), pairs, clusters[float(threshold)])
    seconds["assemble"] = time.perf_counter() - t0
    quality = None
    if truth is not None:
        q = pairwise_quality(df[truth].astype(str), links["person_id"])
        quality = pd.DataFrame([{"threshold": float(threshold), **q}])
    sens = None
    if sensitivity:
        t0 = time.perf_counter()
        sens = _sensitivity(df, clusters, sorted({float(x) for x in sensitivity}), orgs, covs, covariate_rule,
                            truth, estimate_options, seed)
        seconds["sensitivity"] = time.perf_counter() - t0
    return LinkageResult(
        links=links,
        persons=persons,
        histories=h,
        lists=orgs,
        covariates=(*covs, "year"),
        encoding=encoding,
        engine=engine,
        threshold=float(threshold),
        covariate_rule=covariate_rule,
        quality=quality,
        weights=weight_histogram(hist, threshold) if hist is not None else None,
        sensitivity=sens,
        model=model,
        notes=notes,
        seconds=seconds,
        pairs=pairs,
        records=records,
        linkage_errors=linkage_errors,
    )


def _records(df: pd.DataFrame, has_dob: np.ndarray, covs: Sequence[str]) -> pd.DataFrame:
    """The registrations without personal data: what re-clustering needs (see LinkageResult.records)."""
    r = pd.DataFrame({
        "organisation": df["organisation"].astype(str).to_numpy(),
        "record_id": df["record_id"].astype(str).to_numpy(),
        "registration_date": df["registration_date"].astype(str).to_numpy(),
        "has_date_of_birth": np.asarray(has_dob, dtype=bool),
    })
    for c in covs:
        r[c] = df[c].to_numpy(dtype=object)
    return r


def _close(db_api, engine: str) -> None:
    try:
        if engine == "duckdb":
            db_api.duckdb_con.close()
        else:
            db_api.delete_tables_created_by_splink_from_db()
    except Exception:  # noqa: BLE001 - cleanup must not hide the real error
        pass


def _weight_counts(db_api, pred) -> pd.DataFrame:
    sql = f"select floor(match_weight) as bin, count(*) as pairs from {pred.physical_name} group by 1 order by 1"
    out = db_api.query_sql(sql, output_type="pandas")
    out["bin"] = out["bin"].astype(float)
    return out


def _edges(db_api, pred, threshold: float, lam0: float, n: int, refit: bool
           ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], float]:
    """Scored pairs with match probability >= `threshold`, after (optionally) re-estimating the prior.

    Splink's match weight is ``log2(lam0 / (1 - lam0)) + log2 BF`` (BF: the product of the
    comparisons' m/u ratios). The prior lam0 comes from exact agreement with an assumed
    recall, which is too low when many true matches carry errors. With `refit`, the
    prior is the fixed point of the EM update for the match proportion over all
    ``n (n - 1) / 2`` record pairs with the m and u probabilities held fixed
    (Winkler 1988; Jaro 1989, JASA 84:414-420): ``lam = sum_ij p_ij(lam) / (n (n - 1) / 2)``
    with ``p_ij(lam) = lam BF_ij / (lam BF_ij + 1 - lam)``; pairs not blocked together
    count as p = 0, and pairs scored below p = 1e-7 at lam0 are left out (negligible).
    """
    from scipy.special import expit, logit

    base = float(logit(lam0) / np.log(2.0))
    floor = float(logit(1e-7) / np.log(2.0)) if refit else float(logit(threshold) / np.log(2.0))
    sql = (f"select uid_l, uid_r, match_weight from {pred.physical_name} "
           f"where match_weight >= {floor!r} order by uid_l, uid_r")
    e = db_api.query_sql(sql, output_type="pandas")
    bits = e["match_weight"].to_numpy(dtype=float) - base
    lam = lam0
    if refit and len(bits) and n > 1:
        total = n * (n - 1) / 2.0
        ln_bf = bits * np.log(2.0)
        for _ in range(500):
            new = float(expit(logit(lam) + ln_bf).sum() / total)
            new = min(max(new, 1e-12), 0.5)
            if abs(new - lam) <= 1e-7 * lam:
                lam = new
                break
            lam = new
    p = expit(logit(lam) + bits * np.log(2.0))
    keep = p >= threshold
    return ((e["uid_l"].to_numpy(dtype=np.int64)[keep], e["uid_r"].to_numpy(dtype=np.int64)[keep], p[keep]),
            float(lam))


def compete_missing_dates(
    n: int, left: np.ndarray, right: np.ndarray, probability: np.ndarray, has_dob: np.ndarray, threshold: float
) -> np.ndarray:
    """Match probabilities of the pairs of a registration without a date of birth, shared among its candidates.

    Without a date of birth a registration of "Thi Linh Nguyen" scores high against
    every Thi Linh Nguyen, and each pair on its own says "probably the same person".
    But the registration is of one person at most. Let the candidates be grouped into
    persons by :func:`cluster_links` at `threshold`. With o_g the largest posterior
    odds ``p / (1 - p)`` of a pair with group g, the probability that the registration
    is the person of group g and of none of the others is
    ``o_g / (1 + sum_h o_h)`` (one-to-one matching; cf. the bipartite matching of
    Sadinle 2017, JASA 112:600-612, and the assignment step of Jaro 1989). A pair
    (i, j) gets ``o_ij / (1 + o_ij + sum_{h != g(j)} o_h)``; a pair of two registrations
    without a date takes the smaller of its two values. Pairs of two registrations with
    a date of birth are unchanged.

    Parameters
    ----------
    n : int
        Number of records.
    left, right, probability : arrays of shape (m,)
        The scored pairs: record indices and match probabilities.
    has_dob : bool array of shape (n,)
        Whether each record has a date of birth.
    threshold : float
        Match probability of a link.

    Returns
    -------
    float array, shape (m,): the adjusted probabilities (never larger than the input).
    """
    p = np.asarray(probability, dtype=float)
    dl, dr = has_dob[left], has_dob[right]
    group = cluster_links(n, left, right, p, has_dob, threshold)
    odds = p / np.maximum(1.0 - p, 1e-300)
    out = p.copy()
    for side, other, sd in ((left, right, dl), (right, left, dr)):
        m = np.flatnonzero(~sd)  # pairs whose `side` record has no date of birth
        if not m.size:
            continue
        rec, grp, o = side[m], group[other[m]], odds[m]
        # largest odds per (record, group), then their sum per record
        key = pd.DataFrame({"r": rec, "g": grp, "o": o})
        best = key.groupby(["r", "g"], sort=False)["o"].max()
        total = best.groupby(level=0).sum()
        own = best.reindex(pd.MultiIndex.from_arrays([rec, grp])).to_numpy()
        rest = total.reindex(rec).to_numpy() - own
        adj = o / (1.0 + o + rest)
        out[m] = np.minimum(out[m], adj)
    return out


def cluster_links(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    probability: np.ndarray,
    has_dob: np.ndarray,
    threshold: float,
    accept: np.ndarray | None = None,
) -> np.ndarray:
    """Persons from scored record pairs: connected components, with registrations lacking a date of birth
    attached to their single best match.

    Plain connected components at a threshold chain: a registration of "Jing Chen" with
    no date of birth matches every Jing Chen above the threshold and would merge them
    all into one person. Here the records with a date of birth are clustered by
    connected components of the pairs at or above `threshold`, so are the records
    without one among themselves, and each group of the latter joins the one cluster
    it has its most probable pair with (ties: the lowest record number).

    Parameters
    ----------
    n : number of records (numbered 0..n-1).
    left, right : int arrays, shape (m,): the scored pairs.
    probability : float array, shape (m,): their match probabilities.
    has_dob : bool array, shape (n,): the record has a date of birth.
    threshold : match probability at or above which a pair is a link.
    accept : bool array, shape (m,), optional: the pairs that are links (overrides
        `threshold`; e.g. one draw of the links from their match probabilities). The
        probabilities still choose the best match of a record without a date of birth.

    Returns
    -------
    int array, shape (n,): the cluster of each record, labelled by its smallest record
    number (so that the labels do not depend on the engine or on pair order).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    keep = probability >= threshold if accept is None else np.asarray(accept, dtype=bool)
    if keep.shape != probability.shape:
        raise ValueError(f"accept has {keep.size} values for {probability.size} pairs")
    lft, rgt, p = left[keep], right[keep], probability[keep]
    dl, dr = has_dob[lft], has_dob[rgt]
    same = dl == dr
    g = coo_matrix((np.ones(int(same.sum()), dtype=np.int8), (lft[same], rgt[same])), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    mixed = ~same
    if mixed.any():
        nodob = np.where(dl[mixed], rgt[mixed], lft[mixed])
        withdob = np.where(dl[mixed], lft[mixed], rgt[mixed])
        comp = lab[nodob]
        order = np.lexsort((withdob, -p[mixed], comp))
        first = np.ones(order.size, dtype=bool)
        first[1:] = comp[order][1:] != comp[order][:-1]
        # a component of records without a date never contains one with a date: the relabelling is one step
        mapping = np.arange(int(lab.max()) + 1)
        mapping[comp[order][first]] = lab[withdob[order][first]]
        lab = mapping[lab]
    # label = smallest record number in the cluster
    smallest = pd.Series(np.arange(n)).groupby(lab).transform("min").to_numpy(dtype=np.int64)
    return smallest


# ---------------------------------------------------------------------------- persons
def _covariate_columns(df, covariates, truth, orgs) -> tuple[list[str], list[str]]:
    skip = set(IDENTIFIERS) | {"key_id", truth}
    notes: list[str] = []
    if covariates is not None:
        covs = list(dict.fromkeys(covariates))
        for c in covs:
            if c not in df.columns:
                raise DataError(f"covariate {c!r} not found; the columns are {list(df.columns)}")
            if c in skip or str(c).startswith(("tok_", "bf_")):
                raise DataError(f"column {c!r} identifies persons or registrations; it cannot be a covariate")
    else:
        from .registrations import covariate_columns

        covs = []
        pool = (["sex"] if "sex" in df.columns else []) + [c for c in covariate_columns(df) if c not in skip]
        for c in pool:
            nlev = df[c].nunique(dropna=True)
            if nlev > MAX_AUTO_LEVELS:
                notes.append(f"column {c!r} left out of the covariates: {nlev} distinct values (name it with "
                             "covariates=[...] / --covariates to keep it)")
                continue
            covs.append(c)
    clash = [c for c in covs if c in orgs or c in ("year", "person_id", "count")]
    if clash:
        raise DataError(
            f"covariate column(s) {clash} have the name of an organisation or of an output column "
            "(year, person_id, count); rename them"
        )
    return covs, notes


def _normalise_covariates(df: pd.DataFrame) -> pd.DataFrame:
    # sex and nationality as covariates in their normalised spelling ("F", "female" -> "f"; "NL" -> "nl")
    df = df.copy()
    for c, f in (("sex", normalise_sex), ("nationality", normalise_nationality)):
        if c in df.columns:
            df[c] = _map_unique(df[c].astype(object), lambda v, f=f: f(v) or None).to_numpy()
    return df


def persons_from_links(
    registrations: pd.DataFrame,
    person_id: Sequence | pd.Series | np.ndarray,
    *,
    covariate_rule: Literal["most_frequent", "earliest"] = "most_frequent",
    covariates: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, CaptureHistories]:
    """Persons and capture histories from registrations and a given person per registration.

    What :func:`link` does after clustering, for links found another way: e.g. the
    true links of synthetic registrations (``person_id=regs["true_person_id"]``), to
    compare N̂ from linked data with N̂ from the truth under the same rules.

    Parameters
    ----------
    registrations : DataFrame, shape (n, ...)
        Registrations in the format of :mod:`.registrations` (``organisation``,
        ``registration_date`` and covariates are used).
    person_id : sequence of length n
        The person of each registration.
    covariate_rule, covariates
        As in :func:`link`.

    Returns
    -------
    (persons, histories)
        As :attr:`LinkageResult.persons` (person ids renumbered ``P0000001``... in order
        of first appearance) and :attr:`LinkageResult.histories`.

    Raises
    ------
    DataError
        Fewer than two organisations; `person_id` of the wrong length or with missing
        values; unknown covariates; no valid registration date.
    """
    if covariate_rule not in COVARIATE_RULES:
        raise ValueError(f"covariate_rule must be one of {COVARIATE_RULES}, not {covariate_rule!r}")
    df = _normalise_covariates(registrations.reset_index(drop=True))
    pid = pd.Series(np.asarray(person_id, dtype=object))
    if len(pid) != len(df):
        raise DataError(f"person_id has {len(pid)} values for {len(df)} registrations")
    if pid.isna().any():
        raise DataError(f"person_id is missing for registration {int(np.flatnonzero(pid.isna().to_numpy())[0]) + 1}")
    orgs = tuple(pd.unique(df["organisation"].astype(str)))
    if len(orgs) < 2:
        raise DataError("multiple systems estimation needs registrations from at least 2 organisations (lists)")
    skip = [c for c in df.columns if c not in (covariates or ()) and df[c].astype(str).equals(pid.astype(str))]
    covs, _ = _covariate_columns(df, covariates, skip[0] if skip else None, orgs)
    _, persons, h, _ = _assemble(df, pd.factorize(pid)[0], orgs, covs, covariate_rule)
    return persons, h


def persons_from_pairs(
    records: pd.DataFrame,
    pairs: pd.DataFrame,
    accept: float | np.ndarray = 0.5,
    *,
    covariate_rule: Literal["most_frequent", "earliest"] = "most_frequent",
    covariates: Sequence[str] | None = None,
) -> tuple[np.ndarray, pd.DataFrame, CaptureHistories]:
    """Re-cluster scored pairs into persons and capture histories, by the rules of :func:`link`.

    The same steps as :func:`link` after scoring: :func:`cluster_links` (connected
    components of the accepted pairs; a registration without a date of birth joins its
    most probable accepted match only), then persons with covariates resolved by
    `covariate_rule` and the year of the first registration. Used to redraw linkages
    from the match probabilities (linkage averaging, Sadinle 2018, "Bayesian propagation
    of record linkage uncertainty into population size estimation", Ann. Appl. Stat.
    12:1013-1038) and to re-cluster at another threshold without re-training.

    Parameters
    ----------
    records : DataFrame, shape (n, 4 + c)
        :attr:`LinkageResult.records` (or records.parquet of a ``link`` folder):
        ``organisation``, ``record_id``, ``registration_date``, ``has_date_of_birth``
        and covariate columns.
    pairs : DataFrame, shape (m, 3)
        :attr:`LinkageResult.pairs` (pairs.parquet): ``record_l``, ``record_r`` (0-based
        positions in `records`), ``match_probability``.
    accept : float in (0, 1) or bool array of shape (m,)
        A threshold (pairs with match probability >= it are links) or the accepted
        pairs themselves.
    covariate_rule : {"most_frequent", "earliest"}
        As in :func:`link`.
    covariates : list of str, optional
        Covariate columns of `records` to carry (default: all columns of `records`
        other than the four above).

    Returns
    -------
    (labels, persons, histories)
        labels: int array, shape (n,), the cluster of each record (its smallest record
        position); persons and histories as :attr:`LinkageResult.persons` and
        :attr:`LinkageResult.histories` (person ids ``P0000001``... in order of first
        appearance in `records`).

    Raises
    ------
    DataError
        Missing columns; record positions outside ``0..n-1``; fewer than two
        organisations; an unknown covariate.
    ValueError
        A threshold outside (0, 1); a mask of the wrong length; unknown covariate rule.
    """
    if covariate_rule not in COVARIATE_RULES:
        raise ValueError(f"covariate_rule must be one of {COVARIATE_RULES}, not {covariate_rule!r}")
    need = {"organisation", "record_id", "registration_date", "has_date_of_birth"}
    miss = need - set(records.columns)
    if miss:
        raise DataError(f"records lack the column(s) {sorted(miss)} (use LinkageResult.records / records.parquet)")
    miss = {"record_l", "record_r", "match_probability"} - set(pairs.columns)
    if miss:
        raise DataError(f"pairs lack the column(s) {sorted(miss)} (use LinkageResult.pairs / pairs.parquet)")
    n = len(records)
    left = pairs["record_l"].to_numpy(dtype=np.int64)
    right = pairs["record_r"].to_numpy(dtype=np.int64)
    prob = pairs["match_probability"].to_numpy(dtype=float)
    if len(left) and (min(left.min(), right.min()) < 0 or max(left.max(), right.max()) >= n):
        raise DataError(f"pairs refer to records outside 0..{n - 1}: records and pairs come from different runs")
    if np.ndim(accept) == 0:
        if not 0 < float(accept) < 1:
            raise ValueError(f"a match-probability threshold must be between 0 and 1, not {accept}")
        mask = None
        threshold = float(accept)
    else:
        mask = np.asarray(accept, dtype=bool)
        if mask.shape != prob.shape:
            raise ValueError(f"accept has {mask.size} values for {prob.size} pairs")
        threshold = 0.5
    has_dob = records["has_date_of_birth"].to_numpy(dtype=bool)
    labels = cluster_links(n, left, right, prob, has_dob, threshold, accept=mask)
    df = records.reset_index(drop=True)
    orgs = tuple(pd.unique(df["organisation"].astype(str)))
    if len(orgs) < 2:
        raise DataError("multiple systems estimation needs registrations from at least 2 organisations (lists)")
    if covariates is None:
        covs = [c for c in df.columns if c not in need]
    else:
        covs = list(dict.fromkeys(covariates))
        bad = [c for c in covs if c not in df.columns]
        if bad:
            raise DataError(f"covariate(s) {bad} not in records; the columns are {list(df.columns)}")
    _, persons, h, _ = _assemble(df, labels, orgs, covs, covariate_rule)
    return labels, persons, h


def _assemble(df, labels, orgs, covs, rule) -> tuple[pd.DataFrame, pd.DataFrame, CaptureHistories, list[str]]:
    notes: list[str] = []
    n = len(df)
    # person ids numbered by the first registration in input order: the same on every engine
    code = pd.factorize(np.asarray(labels))[0]
    n_persons = int(code.max()) + 1 if n else 0
    ids = np.array([f"P{i + 1:07d}" for i in range(n_persons)], dtype=object)
    org = df["organisation"].astype(str).to_numpy()
    links = pd.DataFrame({"organisation": org, "record_id": df["record_id"].astype(str).to_numpy(),
                          "person_id": ids[code]})
    date = pd.to_datetime(df["registration_date"], errors="coerce")
    # rank of each registration in time (ties and missing dates: input order)
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), date.isna().to_numpy(), date.to_numpy()))] = np.arange(n)
    persons = pd.DataFrame({"person_id": ids})
    seen = np.zeros((n_persons, len(orgs)), dtype=np.int8)
    seen[code, pd.Index(orgs).get_indexer(org)] = 1
    for j, o in enumerate(orgs):
        persons[o] = seen[:, j]
    for c in covs:
        persons[c] = _resolve(code, n_persons, df[c], rank, rule)
        if persons[c].isna().any():
            k = int(persons[c].isna().sum())
            notes.append(
                f"covariate {c!r}: {k} person(s) with no value in any registration; left empty (estimate and "
                "monitor keep them with --missing em)"
            )
    year = date.dt.year.to_numpy(dtype=float)
    first = np.full(n_persons, np.inf)
    np.fmin.at(first, code, np.where(np.isnan(year), np.inf, year))
    if not np.isfinite(first).all():
        raise DataError("some persons have no valid registration_date; every registration needs an ISO date")
    persons["year"] = first.astype(np.int64)
    hcovs = [c for c in (*covs, "year") if persons[c].nunique() >= 2]
    for c in (*covs, "year"):
        if c not in hcovs:
            notes.append(f"covariate {c!r} has a single level among the persons; left out of the capture histories")
    try:
        h = CaptureHistories.from_records(persons, lists=list(orgs), covariates=hcovs, name="linked registrations",
                                          on_empty_list="error", missing="keep")
    except DataError as e:
        raise DataError(f"the linked persons do not form valid capture histories: {e}") from None
    return links, persons, h, notes


def _resolve(code: np.ndarray, n_persons: int, values: pd.Series, rank: np.ndarray, rule: str) -> np.ndarray:
    """Value of a covariate per person: most frequent (ties: earliest registration) or earliest; None if none."""
    v = values.reset_index(drop=True)
    ok = (v.notna() & (v.astype(str).str.strip() != "")).to_numpy()
    vcode, levels = pd.factorize(v[ok])
    p, r = code[ok], rank[ok]
    out = np.full(n_persons, None, dtype=object)
    if not ok.any():
        return out
    if rule == "earliest":
        o = np.lexsort((r, p))
    else:
        # count and earliest rank of each (person, value); order by person, count desc, earliest rank
        key = p.astype(np.int64) * (len(levels) + 1) + vcode
        uk, inv = np.unique(key, return_inverse=True)
        cnt = np.bincount(inv)
        earliest = np.full(uk.size, np.iinfo(np.int64).max)
        np.minimum.at(earliest, inv, r)
        p, vcode = uk // (len(levels) + 1), uk % (len(levels) + 1)
        o = np.lexsort((earliest, -cnt, p))
    firsts = np.ones(o.size, dtype=bool)
    firsts[1:] = p[o][1:] != p[o][:-1]
    out[p[o][firsts]] = np.asarray(levels, dtype=object)[vcode[o][firsts]]
    return out


def _sensitivity(df, clusters, thresholds, orgs, covs, rule, truth, options, seed) -> pd.DataFrame:
    from ..estimate import estimate

    opts = {"search": "cruyff", "ci": "parametric", "reps": 200, "seed": seed, "n_jobs": 1}
    opts.update(options or {})
    keep = list(opts.pop("covariates", []) or [])
    rows = []
    for t in thresholds:
        links, persons, h, _ = _assemble(df, clusters[t], orgs, covs, rule)
        row: dict[str, Any] = {"threshold": t, "persons": int(persons.shape[0])}
        try:
            hk = h.collapse([c for c in keep if c in h.covariates])
            e = estimate(hk, **({"missing": "em"} if hk.n_incomplete else {}) | opts)
            row.update(nhat=float(e.nhat), lower=float(e.lower), upper=float(e.upper), model=e.fit.model.label())
        except DataError as err:
            row.update(nhat=np.nan, lower=np.nan, upper=np.nan, model=f"no estimate: {err}")
        if truth is not None:
            q = pairwise_quality(df[truth].astype(str), links["person_id"])
            row.update(precision=q["precision"], recall=q["recall"], f1=q["f1"])
        rows.append(row)
    return pd.DataFrame(rows)
