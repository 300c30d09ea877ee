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
   other; when their blocks are small, keys that survive typos in both names: the
   first or last two letters of both, a Soundex code with the other's initial). Each
   rule survives errors in the fields it does not use. With DuckDB the pairs of all rules are
   generated once, as joins on integer codes of the rules' keys
   (:func:`~darkfigure.linkage.engines.blocked_pairs`), and Splink scores them. On pseudonymised
   files: the keyed blocking tokens (the same keys, hashed), and one name token with sex
   and nationality when a date is missing.
3. Each pair is scored by the Fellegi–Sunter model (Fellegi & Sunter 1969, JASA
   64:1183-1210): per identifier a comparison with ordered agreement levels, m
   (probability of the level among true matches) and u (among non-matches); the match
   weight is ``log2(prior odds) + sum log2(m/u)``. u is estimated by comparing random
   record pairs (``max_pairs``, seeded; a level that none of them reaches gets 1 / pairs,
   :func:`~darkfigure.linkage.splink_model.fill_unobserved_u`), m by expectation–maximisation
   within blocks (Winkler 1988; one session blocked on the date of birth, one on the names;
   a name or date level never weighs less than "nothing agrees",
   :func:`~darkfigure.linkage.splink_model.floor_collapsed_m`), the
   prior odds from exact agreement on name and date of birth with an assumed recall.
   Exact agreement on a common value counts less than on a rare one (term-frequency
   adjustment, Winkler 1989; frequencies over distinct identities, see ``_tf_tables``).
   The prior odds are then re-estimated over all record pairs (EM fixed point, see
   ``_edges``), so that the match probabilities add up to the expected number of
   matching pairs. Dates of birth before 1905 (1900-01-01) are placeholders and
   compared as missing; a unique name counts by its Good–Turing frequency. The
   person-level covariates (age group, form of exploitation; not those that restate the
   nationality) are compared too, with m of a disagreement estimated from the pairs that agree
   exactly on name and date of birth (:func:`~darkfigure.linkage.splink_model.covariate_disagreement`;
   a missing value is no evidence; ``covariate_evidence``).
   The plaintext probabilities are then corrected for the model's over-confidence: pairs
   with both dates of birth by a logit shift fitted on the tuning settings
   (:func:`~darkfigure.linkage.clustering.calibrate`), the others by a logistic curve
   learnt on this register's dated pairs with their dates hidden
   (:func:`~darkfigure.linkage.clustering.masked_date_calibration`: how often a shared
   name is one person depends on how many namesakes the register holds), which also weighs
   how common the pair's names are: a misspelt rare name, a typo nobody else carries
   (:func:`~darkfigure.linkage.calibration.name_frequency_features`).
4. A registration without a date of birth is one person at most: its match
   probabilities are shared among the persons it could be (:func:`compete_missing_dates`).
   Pairs with match probability at or above ``threshold`` are joined, and persons are
   the connected components (clusters) of that graph, except that a registration
   without a date of birth joins only its most probable match (:func:`cluster_links`).
   Each cluster is then split where the log-odds of all its scored pairs say several
   persons (greedy additive edge contraction, :func:`~darkfigure.linkage.clustering.split_clusters`): a registration that matches
   one of a person's registrations well and the others not at all is not that person.
5. Every scored pair with probability >= 0.001 is kept (:attr:`LinkageResult.pairs`) with the registrations
   stripped of names and dates (:attr:`LinkageResult.records`): :func:`persons_from_pairs` re-clusters them (e.g.
   linkages drawn from the probabilities), and the expected numbers of false and missed links per pair of
   organisations are estimated from them (:func:`~darkfigure.linkage.quality.expected_link_errors`,
   ``linkage_errors.csv``), with the matches blocking never compared estimated by capture-recapture on the
   identifiers (:func:`~darkfigure.linkage.quality.unblocked_matches`; plaintext only).

Plaintext comparisons (after the normalisation that pseudonymisation also applies:
ASCII, lower case, letters only, surname particles dropped): the two names together,
exact, swapped, one exact and the other close (one edit in 5+ letters, or a
transposition) or similar (one edit; two in names of 6+ letters), both close, both
similar, one close and the other similar, both within two edits, swapped with one of them misspelt, both
misspelt in both registrations (two transpositions, three edits in 6+ letters, a compound part), one exact (both
wholly different: m fixed at 0.1%); date of birth exact, one typo (Levenshtein 1), day and month swapped, year off
by one or two, day off by one or two, two parts off a little (both registrations wrong), same year (m 0.3%, as for
wholly different dates, raised where same-name pairs show more: :mod:`~darkfigure.linkage.dob_recalibration`;
1 January dates exact apart: a stand-in for an unknown day);
sex and nationality exact (u among namesakes: a name says the sex and the origin; m of a disagreement
estimated from the pairs agreeing exactly on name and date of birth, at least 0.5%:
:func:`~darkfigure.linkage.splink_model.sex_nat_disagreement`); days between the registrations (within
30, 90, 180, 270, 365 days; more: m estimated from the same pairs, at least 1%, a person may be registered
again years later: :func:`~darkfigure.linkage.splink_model.registration_gap_else`); registered by one
organisation or two (m by EM). Pseudonymised comparisons: equal
keyed HMAC tokens and Dice similarity of the bigram Bloom filters (Schnell, Bachteler &
Reiher 2009) at thresholds set for the hardened filters of
:mod:`darkfigure.linkage.pseudonymise` (see :mod:`darkfigure.linkage.bloom_sql`), also
across the name fields (swapped names); partial agreement of the date of birth from keyed
tokens of its parts; the date-masked calibration from those tokens
(:mod:`darkfigure.linkage.bloom_calibration`).

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
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import pandas as pd

from ..histories import DataError
from ._reproducible import in_pair_order, round_trained_parameters, without_linker_uid
from .bloom_calibration import PSEUDO_CALIBRATION_SHIFT, calibrate_masked_pseudonymised
from .clustering import (
    CALIBRATION_SHIFT,
    MASKED_FLOOR,
    _close,
    _edges,
    _records,
    _weight_counts,
    calibrate_masked,
    calibration_note,
    cluster_links,
    compete_missing_dates,
)
from .date_conflicts import model_checks as _model_checks
from .dob_recalibration import recalibrate_gross_dates
from .engines import (  # noqa: F401 - spark_session: importable here
    MAX_BLOCK,
    _db_api,
    _register,
    _rule_sql,
    blocked_pairs,
    cap_blocks,
    comparison_columns,
    rule_codes,
    spark_session,
)
from .link_sensitivity import _evidence_note, _sensitivity, sensitivity_scope  # noqa: F401 - moved
from .persons import (
    COVARIATE_RULES,
    _assemble,
    _covariate_columns,
    _normalise_covariates,
    persons_from_links,
    persons_from_pairs,
)
from .prepare import (  # noqa: F401 - the constants and _good_turing are still importable from here
    BLOOM_FIELDS,
    IDENTIFIERS,
    PLACEHOLDER_BEFORE,
    PLAIN_FIELDS,
    _broad_rules,
    _evidence_columns,
    _good_turing,
    _identity_key,
    _letterless_names,
    _nameless_by_organisation,
    _nameless_warnings,
    _prepare_plain,
    _prepare_pseudo,
    _read_inputs,
    _tf_tables,
)
from .pseudo_translit import folded_tf_columns
from .quality import expected_link_errors, pairwise_quality, weight_histogram
from .relatives import cap_relatives_m
from .result import LinkageResult
from .splink_levels import fill_unobserved_u, unobserved_u_notes
from .splink_model import (
    DOB_GROSS_ERROR,
    _plain_settings,
    _pseudo_settings,
    floor_collapsed_m,
    misspelt_names_blocked,
)
from .twin_evidence import with_cannot_links
from .unblocked import with_unblocked_matches
from .undated_trait import applied_trait, compete_with_trait, point_trait, trait_notes, trait_record, trait_warnings

__all__ = ["LinkageResult", "cluster_links", "compete_missing_dates", "link", "persons_from_links", "persons_from_pairs", "spark_session",
           "ENGINES", "COVARIATE_RULES", "PAIR_FLOOR"]

ENGINES = ("duckdb", "spark")
#: pairs scored at or above this floor are kept in LinkageResult.pairs (pairs.parquet): below, < 0.001 expected links
PAIR_FLOOR = 0.001

logger = logging.getLogger(__name__)


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
    em_max_pairs: float | None = 2e6,
    prior_recall: float = 0.7,
    refit_prior: bool = True,
    broad_pairs: float = 2e6,
    max_block: int | None = MAX_BLOCK,
    rename_organisations: dict[str, str] | None = None,
    weights: bool = True,
    calibration: bool = True,
    covariate_evidence: bool = True,
    estimate_options: dict | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    spark=None,
    progress: Callable[[str], None] | None = None,
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
        Cap on the blocked pairs used by each EM training session (None: all); above it Splink samples the
        registrations. 2M pairs hold tens of thousands of matches, plenty for the m probabilities; the cap was
        5M, which cost the training at 1M registrations about twice the CPU (registers up to 200,000: no sampling
        at either cap, the same model).
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
    max_block : int or None
        In a blocking rule that would generate more than a million record pairs, blocks of
        more than this many registrations are dropped, or, in the rules for a missing date
        of birth, compared in windows of this many registrations sorted by registration
        date (large registers with recurring names; :func:`~darkfigure.linkage.engines.cap_blocks`).
        None: never.
    rename_organisations : dict, optional
        ``{organisation as written: name to use}``, applied before linkage (e.g.
        ``{"Politie": "police"}``: one organisation spelt two ways would otherwise be two
        lists). Names that differ only in case, spacing or accents are merged without it
        (:func:`~darkfigure.linkage.registrations.unify_organisations`).
    weights : bool
        Compute the match-weight histogram of all scored pairs.
    calibration : bool
        Correct the plaintext match probabilities for the model's over-confidence
        (:func:`~darkfigure.linkage.clustering.calibrate`, a logit shift fitted on the
        tuning settings) before clustering and before the linkage-error estimates.
    covariate_evidence : bool
        Compare the person-level covariates (other than sex and nationality, e.g. age
        group and form of exploitation; not those that restate the nationality) as
        evidence, with m of a disagreement among true matches estimated from the pairs that
        agree exactly on name and date of birth (shrunk towards 5%, within 2-50%:
        :func:`~darkfigure.linkage.splink_model.covariate_disagreement`), so that a register
        whose organisations record them differently gets weaker evidence: they tell
        namesakes apart when a date of birth is missing.
    estimate_options : dict, optional
        Options for :func:`darkfigure.estimation` in the sensitivity table (default:
        Cruyff search, parametric bootstrap with 200 replicates, `seed`, one process, on
        the lists only; ``{"covariates": [...]}`` keeps those covariates).
    threads, memory_limit : optional
        DuckDB threads and memory limit (e.g. ``"3GB"``); for Spark, `threads` is the
        number of local cores.
    spark : SparkSession, optional
        Session for ``engine="spark"`` (default: :func:`spark_session`).
    progress : callable, optional
        Called with a short description as each phase starts (loading, training, scoring,
        clustering, histories); ``darkfigure link`` shows them.

    Returns
    -------
    LinkageResult

    Raises
    ------
    DataError
        No files; missing identifier columns; unparseable dates; plaintext mixed with
        pseudonymised files; files pseudonymised with different keys; a single
        organisation; duplicate record ids; an unknown covariate or truth column; an
        organisation in `rename_organisations` that no file holds.
    ValueError
        Unknown engine or covariate rule; threshold outside (0, 1).
    RuntimeError
        ``engine="spark"`` without a Java runtime or PySpark.

    Notes
    -----
    Measured by ``benchmarks/linkage_quality_study.py`` (synthetic ``clearing_house``,
    about 5,000 persons and 8,000 registrations, held-out seeds 11-13, DuckDB, 55-220 s on
    a loaded 2-core machine), mean pairwise precision / recall, plaintext:
    ``typos`` 0.996/0.987, ``dob_errors`` 0.993/0.986, ``no_dob`` (20% without a date of
    birth, 10% duplicates, skewed names) 0.980/0.978, ``recurring_names`` 0.986/0.984,
    ``inconsistent_covariates`` 0.975/0.964 (before the cluster split, the namesake u of sex
    and nationality and the new name levels: 0.986/0.980, 0.981/0.988, 0.958/0.975,
    0.970/0.980 and, seeds 1-3, 0.947/0.965); with sex, nationality and the registration gap's
    "more than a year" m estimated and the same-organisation comparison: ``inconsistent_covariates``
    0.979/0.966, ``no_dob`` 0.980/0.980, ``recurring_names`` 0.986/0.985, ``typos`` 0.997/0.987,
    ``dob_errors`` 0.994/0.986. Bloom filters (encoding version 2, held out,
    seeds 11-13, before the cluster split): ``typos`` 0.986/0.983, ``dob_errors``
    0.984/0.983, ``no_dob`` 0.956/0.972, ``recurring_names`` 0.964/0.980; with the split and
    the pseudonymised calibration shift, seeds 11-12: ``typos`` 0.992/0.982, ``no_dob``
    0.974/0.969, ``dob_errors`` (11) 0.988/0.981. Namesakes of
    whom one registration has no date of birth are the main source of false links. With the
    u of name levels that no random pair reached set to 1 / random pairs (they had Splink's
    default u and, from EM, a veto m), plaintext, seeds 11-12 (``inconsistent_covariates``
    11-13), before -> after: ``inconsistent_covariates`` 0.979/0.969 -> 0.979/0.969, ``no_dob``
    0.982/0.986 -> 0.982/0.986, ``dob_errors`` 0.994/0.990 -> 0.994/0.991, others unchanged.
    With the names' frequencies in the date-masked calibration (plaintext, held out, seeds 11-13,
    ``typos`` and ``dob_errors`` 11-12), before -> after: ``inconsistent_covariates`` 0.979/0.969
    -> 0.978/0.976, ``no_dob`` 0.980/0.985 -> 0.984/0.986, ``recurring_names`` 0.985/0.987 ->
    0.986/0.990, ``typos`` 0.996/0.992 -> 0.996/0.993, ``dob_errors`` 0.994/0.991 -> 0.994/0.991;
    with the registrations' gap, organisation and covariates re-weighed there too. At 200,000
    registrations (``recurring_names``) only the latter (``splink_model.misspelt_names_blocked``):
    0.965/0.904 -> 0.965/0.909 (``bench_link.py 1 --scale 25``).
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
    df, encoding = _read_inputs(files_or_frames, rename_organisations)
    set_notes, warnings = list(df.attrs.get("notes", [])), list(df.attrs.get("warnings", []))
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
    notes = set_notes + notes
    seconds["read"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    evidence, ev_names = _evidence_columns(df, covs) if covariate_evidence else (None, [])
    if ev_names:
        notes.append(f"covariates compared as evidence of one person: {', '.join(ev_names)}")
    if encoding == "plaintext":
        prep = _prepare_plain(df)
        notes += _letterless_names(df, prep)
        nameless = _nameless_by_organisation(df, prep, ("fn", "sn"))
        if ev_names:
            prep = pd.concat([prep, evidence.reset_index(drop=True)], axis=1)
        comparisons, rules, training, deterministic = _plain_settings(prep, windowed=max_block is not None)
        # the dated pairs teach the weights of misspelt names only if such pairs were compared on their names alone
        name_features = misspelt_names_blocked(rules)
        notes += _evidence_note(prep, ev_names)
        tf_cols, identity = ["full_name", "sn", "fn", "dob", "full_tr"], ["fn", "sn", "dob"]
    else:
        prep, widths = _prepare_pseudo(df)
        nameless = _nameless_by_organisation(df, prep, ("tok_first_name", "tok_surname"))
        if ev_names:
            prep = pd.concat([prep, evidence.reset_index(drop=True)], axis=1)
        comparisons, rules, training, deterministic = _pseudo_settings(prep, widths)
        notes += _evidence_note(prep, ev_names)
        tf_cols = ["tok_full", "tok_surname", "tok_first_name", "tok_date_of_birth", *folded_tf_columns(prep)]
        identity = ["tok_first_name", "tok_surname", "tok_date_of_birth"]
    warnings += _nameless_warnings(nameless)
    broad = ["dob", "sn", "fn"] if encoding == "plaintext" else ["tok_date_of_birth", "tok_surname", "tok_first_name"]
    rules = rules + _broad_rules(prep, broad, broad_pairs)
    codes_cache: dict = {}
    if max_block is not None:
        prep, rules, more = cap_blocks(prep, rules, max_block=max_block, cache=codes_cache)
        notes += more
    # DuckDB: the blocked pairs from integer codes of the rules (engines.blocked_pairs), not Splink's joins on text
    codes = rule_codes(prep, rules, codes_cache) if engine == "duckdb" else None
    del codes_cache
    # a person is taken to be a distinct (first name, surname, date of birth)
    tf = _tf_tables(prep, tf_cols, *_identity_key(prep, identity))
    df = _normalise_covariates(df)
    seconds["prepare"] = time.perf_counter() - t0

    from splink import Linker, SettingsCreator

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="uid",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules if codes is None else [],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=25,
    )
    loaded = prep
    if codes is not None:
        # the keys used only for blocking are in `codes`: Splink's tables get the compared columns alone
        prep = prep.drop(columns=[c for c in prep.columns if c.startswith("blk")])
        named = {"settings": settings.create_settings_dict(engine),
                 "rules": [_rule_sql(r) for r in (*training, *deterministic)]}
        loaded = prep[["uid", *comparison_columns(named, [c for c in prep.columns if c != "uid"])]]
    step = progress or (lambda message: None)
    step(f"loading {len(prep):,} registrations into {engine}")
    t0 = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="darkfigure-link-"))  # name ends in a random part
    try:
        db_api = _db_api(engine, spark, threads, memory_limit, workdir)
        sdf = _register(db_api, engine, loaded, workdir, "registrations")
        linker = Linker(sdf, settings, log_level=None)
        for c, table in tf.items():
            linker.table_management.register_term_frequency_lookup(
                _register(db_api, engine, table, workdir, f"tf_{c}"), c
            )
        seconds["load"] = time.perf_counter() - t0
        if codes is not None:
            step(f"blocking: the record pairs of {len(rules)} rules")
            t0 = time.perf_counter()
            linker.table_management.register_blocked_pairs_for_predict(
                blocked_pairs(db_api, codes, f"darkfigure_pairs_{workdir.name.rsplit('-', 1)[-1]}"))
            del codes
            seconds["block"] = time.perf_counter() - t0
    except BaseException:
        if "db_api" in locals():
            _close(db_api, engine)
        shutil.rmtree(workdir, ignore_errors=True)
        raise

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
        step("training the Fellegi-Sunter model (u by random sampling, m by EM)")
        # all chunks, no early stop: the u estimate is then the same on every engine
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed, min_count_per_level=None,
                                                         num_chunks=1)
        n_random = min(float(max_pairs), len(prep) * (len(prep) - 1) / 2.0)  # a note for linkage_settings.json only
        model_notes = unobserved_u_notes(fill_unobserved_u(linker, n_random), n_random)  # (s24 fresh clone L4)
        from .em_training import train_em  # a training rule without pairs: a DataError saying why (review s17, L9)
        train_em(linker, training, em_max_pairs)
        notes += cap_relatives_m(linker, prep)  # m of "surname exact, first names differ" at most its estimate
        raised = floor_collapsed_m(linker)
        if raised:
            notes.append(f"m raised to weigh no more against a match than total disagreement: {'; '.join(raised)}")
        round_trained_parameters(linker)  # DuckDB's parallel sums differ between runs in the last bits of m
        seconds["train"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        step("scoring the blocked record pairs")
        pred = linker.inference.predict(warning_mode="never")
        seconds["predict"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        step("calibrating match probabilities and clustering registrations into persons")
        hist = _weight_counts(db_api, pred) if weights else None
        model = without_linker_uid(linker.misc.save_model_to_json() if hasattr(linker.misc, "save_model_to_json") else {})
        if model and not model.get("blocking_rules_to_generate_predictions"):
            # blocked by engines.blocked_pairs: the model still records the rules (as Splink writes them)
            model["blocking_rules_to_generate_predictions"] = [{"blocking_rule": _rule_sql(r), "sql_dialect": engine}
                                                                for r in rules]
        lam0 = float(model.get("probability_two_random_records_match", 1e-4))
        floor = min(PAIR_FLOOR, *(float(x) for x in thresholds))
        masked = calibration
        fitted: dict = {}
        # the date-masked calibration learns from dated pairs far below the floor (their dates decided them)
        edges, lam = in_pair_order(*_edges(db_api, pred, MASKED_FLOOR if masked else floor, lam0, len(prep), refit_prior))
        if engine == "duckdb":
            # the engine is done: its buffers (up to memory_limit) and the blocking codes only it joined on are freed
            # before the clustering's arrays
            _close(db_api, engine)
            prep = prep.drop(columns=[c for c in prep.columns if c.startswith("blk")])
        if refit_prior:
            model["probability_two_random_records_match"] = lam
            notes.append(f"prior match probability re-estimated over all record pairs: {lam0:.3g} -> {lam:.3g}")
        has_dob = prep["dob" if encoding == "plaintext" else "tok_date_of_birth"].notna().to_numpy()
        if masked and encoding != "plaintext":
            # the same calibration from the keyed date tokens (bloom_calibration)
            td = "tok_date_of_birth"
            tf_dob = prep[td].map(tf[td].set_index(td)[f"tf_{td}"]).to_numpy(dtype=float) if td in tf else None
            q, (a, b) = calibrate_masked_pseudonymised(*edges, has_dob, prep, model, tf_dob)
        elif masked:
            dob = prep["dob"].to_numpy(dtype=object)
            tf_dob = prep["dob"].map(tf["dob"].set_index("dob")["tf_dob"]).to_numpy(dtype=float) if "dob" in tf else None
            q, (a, b) = calibrate_masked(*edges, has_dob, dob, model, tf_dob, records=prep, fitted=fitted,
                                         name_frequencies=name_features)
        if masked:
            keep = q >= floor
            edges = (edges[0][keep], edges[1][keep], q[keep])
            shift = CALIBRATION_SHIFT if encoding == "plaintext" else PSEUDO_CALIBRATION_SHIFT
            notes.append(calibration_note(fitted, a, b, shift))
        edges, dates = recalibrate_gross_dates(prep if encoding == "plaintext" else None, edges, notes, DOB_GROSS_ERROR)
        edges, trait = point_trait(prep if encoding == "plaintext" else None, edges, has_dob, seed)  # undated_trait
        edges = compete_with_trait(compete_missing_dates, len(prep), edges, has_dob, float(threshold), trait)
        # cluster the pairs that `pairs` keeps (the competition can push some below the floor): re-clustering a
        # saved folder (LinkRun.labels, the correction's draws) must give these persons (Bloom no_dob seed 11:
        # 5 persons apart when the split saw the dropped pairs)
        edges = with_cannot_links(prep if encoding == "plaintext" else None, edges, floor, has_dob, thresholds)
        clusters = {t: cluster_links(len(prep), *edges, has_dob, t) for t in dict.fromkeys(float(x) for x in thresholds)}
        seconds["cluster"] = time.perf_counter() - t0
    finally:
        splink_log.setLevel(old_level)
        _close(db_api, engine)
        shutil.rmtree(workdir, ignore_errors=True)

    step("building capture histories and estimating linkage errors")
    t0 = time.perf_counter()
    links, persons, h, more = _assemble(df, clusters[float(threshold)], orgs, covs, covariate_rule)
    notes += more
    records = _records(df, has_dob, covs)
    floor = (edges[2] >= PAIR_FLOOR) | (edges[2] == 0)  # 0: a cannot-link (twin_evidence.with_cannot_links)
    pairs = pd.DataFrame({"record_l": edges[0][floor], "record_r": edges[1][floor],
                          "match_probability": edges[2][floor]})
    linkage_errors = expected_link_errors(records["organisation"].to_numpy(), pairs, clusters[float(threshold)], float(
        threshold), records["has_date_of_birth"].to_numpy(bool), applied_trait(trait))
    if encoding == "plaintext":  # matches that blocking never compared, by capture-recapture on the identifiers
        linkage_errors = with_unblocked_matches(linkage_errors, records["organisation"].to_numpy(),
                                                prep[["fn", "sn", "dob"]], pairs, clusters[float(threshold)])
    seconds["assemble"] = time.perf_counter() - t0
    quality = None if truth is None else pd.DataFrame([{"threshold": float(threshold), **pairwise_quality(
        df[truth].astype(str), links["person_id"])}])
    found: dict = {}  # the check whether missing dates cluster in persons, as a field (linkage_settings.json)
    checked = _model_checks(prep, clusters[float(threshold)], linkage_errors,
                            None if truth is None else (records["organisation"].to_numpy(), df[truth].astype(str)), dates,
                            found, records)
    warnings, notes = trait_warnings(warnings + checked[0], trait), notes + checked[1] + trait_notes(trait)
    sens = None
    if sensitivity:
        # the run's own threshold in the table too, so the curve shows where the reported linkage sits (tester 11)
        at = sorted({float(threshold), *(float(x) for x in sensitivity)})
        step(f"re-estimating N̂ at {len(at)} thresholds")
        t0 = time.perf_counter()
        sens = _sensitivity(df, clusters, at, orgs, covs, covariate_rule, truth, estimate_options, seed)
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
        model_notes=model_notes,
        warnings=warnings,
        nameless=nameless,
        seconds=seconds,
        pairs=pairs,
        records=records,
        linkage_errors=linkage_errors,
        undated_clustering=trait_record(found.get("undated_clustering"), trait),
    )
