"""The SQL engines of record linkage: Splink's DuckDB or Spark back end for :func:`darkfigure.linkage.link.link`.

Its own module so that :mod:`darkfigure.linkage.link` keeps to the linkage itself; the names are still
importable from there.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["spark_session", "cap_blocks", "rule_codes", "blocked_pairs", "comparison_columns"]


# ---------------------------------------------------------------------------- engines
def spark_session(*, memory: str | None = None, cores: int = 2, partitions: int = 4):
    """A local SparkSession sized for a small machine, with Splink's similarity functions.

    An existing session is reused (``getOrCreate``); Splink's jar of string-similarity
    functions (Jaro–Winkler, Damerau–Levenshtein) is put on its class path.

    Parameters
    ----------
    memory : driver memory (local mode runs everything in the driver), e.g. ``"4g"``; default
        ``DARKFIGURE_SPARK_MEMORY`` or ``"4g"``: with 2g, Splink's blocking of ~2,000 registrations
        once failed on a loaded CI runner ("Could not allocate memory to grow BytesToBytesMap").
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
    # Python workers (darkfigure strata's tasks) must run this interpreter, where darkfigure is
    # installed, not the first python3 on PATH; set before the session (and its workers) exists
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    memory = memory or os.environ.get("DARKFIGURE_SPARK_MEMORY") or "4g"
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


_EXACT_MATCH_CACHE: dict[tuple[str, str], tuple[bool, list[str] | None]] = {}


def _cache_exact_match_detection() -> None:
    """Make Splink parse each comparison level's SQL once per process to tell whether it is an exact match.

    Splink finds the u of the exact-match level behind a term-frequency adjustment by
    parsing the SQL of every level of the comparison with sqlglot and normalising it to
    conjunctive normal form (``ComparisonLevel._is_exact_match``), each time it writes the
    SQL of a training session or of the scoring. On the nested name levels of
    :mod:`~darkfigure.linkage.splink_model` (Levenshtein distances or-ed and and-ed) that
    normalisation took 25-30 s of one thread per link, whatever the size of the register.
    The answer depends on the level's SQL and dialect only, so it is cached by them; the
    results are Splink's own. Nothing is changed when Splink's internals differ from the
    ones this was written for (Splink 5).
    """
    try:
        from splink.internals.comparison_level import ComparisonLevel
    except ImportError:  # pragma: no cover - other Splink layout: left as it is
        return
    if getattr(ComparisonLevel, "_darkfigure_cached", False):
        return
    is_exact, colnames = ComparisonLevel.__dict__.get("_is_exact_match"), ComparisonLevel.__dict__.get(
        "_exact_match_colnames")
    if not isinstance(is_exact, property) or not isinstance(colnames, property):  # pragma: no cover
        return

    def lookup(level) -> tuple[bool, list[str] | None]:
        """(exact match?, its columns) of a comparison level, from the cache or Splink's own detection."""
        key = (str(level.sql_condition), str(level.sqlglot_dialect))
        hit = _EXACT_MATCH_CACHE.get(key)
        if hit is None:
            exact = bool(is_exact.fget(level))
            hit = (exact, list(colnames.fget(level)) if exact else None)
            _EXACT_MATCH_CACHE[key] = hit
        return hit

    def cached_is_exact(level) -> bool:
        """Splink's ``_is_exact_match``, cached per level SQL."""
        return False if level._is_else_level else lookup(level)[0]

    def cached_colnames(level) -> list[str]:
        """Splink's exact-match column names, cached per level SQL."""
        exact, cols = lookup(level)
        if not exact:
            raise ValueError("sql_cond not an exact match so can't get exact match column name")
        return list(cols or [])

    ComparisonLevel._is_exact_match = property(cached_is_exact)
    ComparisonLevel._exact_match_colnames = property(cached_colnames)
    ComparisonLevel._darkfigure_cached = True


def _db_api(engine: str, spark, threads: int | None, memory_limit: str | None, workdir: Path):
    """Splink's database API for `engine` ("duckdb" or "spark"), with temporary files under `workdir`."""
    _cache_exact_match_detection()
    if engine == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        con = duckdb.connect()
        con.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{workdir / 'duckdb'}'")
        con.execute("SET preserve_insertion_order = false")
        # DuckDB draws its own progress bar where it thinks the session is interactive (python -c, Jupyter)
        con.execute("SET enable_progress_bar = false")
        return DuckDBAPI(connection=con)
    from splink import SparkAPI

    spark = spark if spark is not None else spark_session(cores=int(threads or 2))
    # intermediate tables are written to parquet and read back: this cuts Spark's query lineage, which
    # otherwise grows with every clustering iteration until planning runs out of memory
    spark.sparkContext.setCheckpointDir(str(workdir / "spark"))
    return SparkAPI(spark_session=spark, break_lineage_method="parquet", num_partitions_on_repartition=2)


def _register(db_api, engine: str, frame: pd.DataFrame, workdir: Path, name: str):
    """Register `frame` as a table of `db_api` under a name unique to this call; returns Splink's table."""
    # unique names: a Spark session outlives one call of link()
    table = f"darkfigure_{name}_{workdir.name.rsplit('-', 1)[-1]}"
    if engine == "duckdb":
        return db_api.register(frame, table_name=table)
    # a file-backed table, not a local relation that the planner copies into every query
    path = workdir / f"{name}.parquet"
    frame.to_parquet(path, index=False)
    return db_api.register(db_api.spark.read.parquet(str(path)), table_name=table)


# ---------------------------------------------------------------------------- blocking in large registers
#: a blocking rule whose blocks hold more record pairs than this (upper bound, see _pair_count) has its largest blocks
#: cut by :func:`cap_blocks`; below it the rule is left as it is (registers of a few thousand persons: no rule is cut)
CAP_RULE_PAIRS = 1e6
#: largest block (registrations sharing one key value, on either side of the join) that a cut rule still compares:
#: at most MAX_BLOCK comparisons per registration and rule
MAX_BLOCK = 60

_TERM = re.compile(r'^\s*\(*\s*([lr])\."?(\w+)"?\s*(=\s*([lr])\."?(\w+)"?|is\s+null)\s*\)*\s*$', re.IGNORECASE)


def _rule_sql(rule) -> str:
    """SQL of a blocking rule given as a string or as Splink's ``block_on`` object."""
    return rule if isinstance(rule, str) else rule.get_blocking_rule("duckdb").blocking_rule_sql


def _parse_rule(sql: str) -> tuple[list[tuple[str, str]], tuple[str, str] | None] | None:
    """A blocking rule ``l.a = r.b and ... [and l.c is null]`` as its key pairs (a, b) and its null filter (side, c).

    None when the rule has any other form (it is then never cut).
    """
    keys: list[tuple[str, str]] = []
    null: tuple[str, str] | None = None
    for term in re.split(r"\s+and\s+", sql.strip(), flags=re.IGNORECASE):
        m = _TERM.match(term)
        if m is None:
            return None
        side, col, rest, side2, col2 = m.groups()
        if rest.lower().startswith("is"):
            if null is not None:
                return None
            null = (side.lower(), col)
        elif side.lower() == "l" and side2.lower() == "r":
            keys.append((col, col2))
        elif side.lower() == "r" and side2.lower() == "l":
            keys.append((col2, col))
        else:
            return None
    return (keys, null) if keys else None


def _side_codes(p: pd.DataFrame, keys: Sequence[tuple[str, str]], cache: dict | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (int32) of each registration's left and right key tuple, in one value space (-1: a key missing).

    Each key pair (a, b) is factorised over the values of both columns (cached in `cache`, since rules share
    columns), and the tuples of codes are factorised again: no strings are hashed twice. The result is cached
    too (by `keys`: :func:`cap_blocks` and :func:`rule_codes` ask for the same rules; do not change `p` between calls).
    """
    cache = {} if cache is None else cache
    rule_key = ("rule", tuple(keys))
    if rule_key in cache:
        return cache[rule_key]
    n = len(p)
    # a rule whose keys join each column with itself has equal left and right entries: the left half alone is
    # coded (its first appearances are those of both halves) and repeated
    half = all(a == b for a, b in keys)
    m = n if half else 2 * n
    # each key's code + 1 (0: missing) as one digit of a mixed-radix number over the left and the right entries;
    # factorised once at the end (only in between if the number would overflow): the labels are those of the
    # distinct key tuples in order of first appearance, as factorising after every key gives
    code = np.zeros(m, dtype=np.int64)
    span = 1
    miss = np.zeros(m, dtype=bool)
    for a, b in keys:
        if (a, b) not in cache:
            vals = p[a] if a == b else pd.concat([p[a], p[b]], ignore_index=True)
            codes, uniq = pd.factorize(vals, use_na_sentinel=True)
            codes = codes.astype(np.int32)  # 32-bit: a million registrations, dozens of cached columns
            cache[(a, b)] = (codes, codes) if a == b else (codes[:n], codes[n:])
            cache[(a, b, "k")] = len(uniq) + 1
        ka, kb = cache[(a, b)]
        k = cache[(a, b, "k")]
        digit = (ka if half else np.concatenate([ka, kb])).astype(np.int64) + 1
        miss |= digit == 0
        if span * k >= 2**62:
            code, _ = pd.factorize(code)
            code = code.astype(np.int64)
            span = int(code.max(initial=0)) + 1
        code = code * k + digit
        span *= k
    both, _ = pd.factorize(code)
    del code
    both[miss] = -1
    if half:
        cl = both.astype(np.int32)
        cr = cl.copy()  # two arrays, as before (a caller may change one)
    else:
        cl, cr = both[:n].astype(np.int32), both[n:].astype(np.int32)  # fewer codes than 2 n entries
    cache[rule_key] = (cl, cr)
    return cl, cr


def _window_ranks(codes: np.ndarray, member: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Rank of each member entry within its block (codes) when the block is sorted by `order`; -1 for the others.

    codes : int array (m,), the block of each entry (0 <= code < m + 1); member : bool (m,), the entries to rank;
    order : int array (m,), distinct values in [0, m) (the entries' rank in the sort order over all entries).
    """
    idx = np.flatnonzero(member)
    srt = idx[np.argsort(codes[idx].astype(np.int64) * (codes.size + 1) + order[idx])]
    c = codes[srt]
    start = np.r_[0, np.flatnonzero(c[1:] != c[:-1]) + 1] if srt.size else np.zeros(0, np.int64)
    pos = np.arange(srt.size) - np.repeat(start, np.diff(np.r_[start, srt.size]))
    out = np.full(codes.size, -1, dtype=np.int64)
    out[srt] = pos
    return out


def cap_blocks(p: pd.DataFrame, rules: Sequence, *, budget: float = CAP_RULE_PAIRS, max_block: int = MAX_BLOCK,
               windows: bool = True, order: str | None = "reg_day", cache: dict | None = None
               ) -> tuple[pd.DataFrame, list, list[str]]:
    """Blocking rules with their largest blocks cut or windowed, so that their pairs grow linearly with the register.

    A rule that joins on keys (``l.a = r.b and ...``, optionally with ``l.c is null``)
    generates ``sum_v n_l(v) n_r(v)`` record pairs over its key values v (n_l, n_r: the
    registrations with v on either side; ``n (n - 1) / 2`` when the two sides are one
    column). With names that recur (one first name + surname carried by hundreds of
    persons in a million registrations) a rule on names alone grows with the square of
    the register: 20M pairs for the pair of names at 1M registrations. When a rule's
    count exceeds `budget`, its key values carried by more than `max_block` registrations
    (on either side of the join; with a null filter, the side of all registrations) are
    not compared whole:

    - a rule without a null filter drops them ("block purging", Papadakis et al. 2020,
      ACM Comput. Surv. 53:31): its pairs there have a date of birth or both names, and
      the other rules (parts of the date of birth, whose blocks stay small) compare them;
    - a rule with a null filter (the rules for a registration without a date of birth,
      the only ones that compare it) compares them in sorted windows when `windows` is
      True: each large block is sorted by the column `order` (the registration day: one
      person's registrations by several organisations mostly follow one case, namesakes'
      do not) and cut into consecutive windows of `max_block` registrations, twice, the
      second time shifted by half a window. Two registrations of one block at most
      ``max_block / 2`` places apart in that order are always compared, farther ones
      sometimes, and no registration meets more than ``2 (max_block - 1)`` candidates in
      the rule (the sorted-neighbourhood method, Hernández & Stolfo 1995, *SIGMOD Record*
      24:127-138, with fixed windows; Christen 2012, *Data Matching*, ch. 4.4).

    The pairs left out are mostly of registrations without a date of birth whose name is
    carried by far more than `max_block` registrations and that were registered far
    apart: these could not be linked with confidence anyway (a one-to-one match among
    that many namesakes; see :func:`~darkfigure.linkage.clustering.compete_missing_dates`);
    they count as missed links (estimated by ``unblocked_matches``). A cut rule is
    rewritten to join on integer codes of its key tuple (and window; one column per side,
    added to `p`, null where the rule does not apply), a windowed one followed by a second
    rule on the shifted windows.

    Parameters
    ----------
    p : DataFrame, shape (n_registrations, ...): the prepared registrations.
    rules : blocking rules (SQL strings or Splink ``block_on`` objects).
    budget : record pairs of a rule (upper bound) above which it is cut.
    max_block : the largest block compared whole in a cut rule, and the window's length, in registrations.
    windows : compare the large blocks of rules with a null filter in sorted windows (True) or drop them (False).
    order : column of `p` (numeric, nulls last) that sorts a large block; None or absent: the registration order.
    cache : dict, optional: the integer codes of the key columns and rules (:func:`_side_codes`), to share with
        :func:`rule_codes` on the same `p`.

    Returns
    -------
    (p with the key-code columns ``blkl{i}``, ``blkr{i}`` added; the rules, cut ones rewritten (with `windows`,
    followed by their shifted-window rule), SQL strings or the objects given; notes saying which rules were cut and
    how many pairs that left)

    Raises
    ------
    ValueError
        `max_block` below 2.
    """
    if max_block < 2:
        raise ValueError(f"max_block must be at least 2 registrations, not {max_block}")
    out: list = []
    cut: list[str] = []
    added: dict[str, pd.api.extensions.ExtensionArray] = {}
    cache = {} if cache is None else cache
    n = len(p)
    # each registration's place in the sort order (nulls last, ties by registration order)
    if order is not None and order in p.columns:
        o = pd.to_numeric(p[order], errors="coerce").astype("Float64").fillna(np.inf).to_numpy(dtype=float)
        place = np.empty(n, dtype=np.int64)
        place[np.argsort(o, kind="stable")] = np.arange(n)
    else:
        place = np.arange(n, dtype=np.int64)

    def new_column(codes_l: np.ndarray, codes_r: np.ndarray) -> int:
        """Add the side columns (codes, -1 as null; 32-bit: a million registrations carry dozens) and return their
        number."""
        if max(codes_l.max(initial=-1), codes_r.max(initial=-1)) >= 2**31 - 1:
            both, _ = pd.factorize(np.r_[codes_l, codes_r])  # -1 stays -1 (na sentinel only for NaN): re-marked
            both = np.where(np.r_[codes_l, codes_r] >= 0, both, -1)
            codes_l, codes_r = both[:n], both[n:]
        i = len(added) // 2
        for side, c in (("l", codes_l), ("r", codes_r)):
            added[f"blk{side}{i}"] = pd.arrays.IntegerArray(np.maximum(c, 0).astype(np.int32), c < 0)
        return i

    def block_pairs(codes_l: np.ndarray, codes_r: np.ndarray, symmetric: bool) -> float:
        """Record pairs of a join on codes (-1: none), as _pair counts above."""
        a = pd.Series(codes_l[codes_l >= 0]).value_counts()
        if symmetric:
            return float((a * (a - 1) / 2).sum())
        b = pd.Series(codes_r[codes_r >= 0]).value_counts()
        return float((a * b.reindex(a.index, fill_value=0)).sum())

    for rule in rules:
        sql = _rule_sql(rule)
        parsed = _parse_rule(sql)
        if parsed is None:
            out.append(rule)
            continue
        keys, null = parsed
        cl, cr = _side_codes(p, keys, cache)
        ml = np.ones(n, dtype=bool) if null is None or null[0] == "r" else p[null[1]].isna().to_numpy()
        mr = np.ones(n, dtype=bool) if null is None or null[0] == "l" else p[null[1]].isna().to_numpy()
        size = int(max(cl.max(initial=-1), cr.max(initial=-1))) + 1
        nl = np.bincount(cl[ml & (cl >= 0)], minlength=size).astype(float)
        nr = np.bincount(cr[mr & (cr >= 0)], minlength=size).astype(float)
        symmetric = null is None and all(a == b for a, b in keys)
        pairs = nl * (nl - 1) / 2 if symmetric else nl * nr
        if pairs.sum() <= budget:
            out.append(rule)
            continue
        # the candidates a registration meets in the block: all of it, or the other side's registrations (with
        # a null filter, all registrations that carry the value face each one lacking the filtered column)
        drop = (nl if symmetric else np.maximum(nl, nr)) > max_block
        sl = np.where(ml & (cl >= 0), cl, -1)
        sr = np.where(mr & (cr >= 0), cr, -1)
        big_l, big_r = (sl >= 0) & drop[np.maximum(sl, 0)], (sr >= 0) & drop[np.maximum(sr, 0)]
        filt = f"{null[0]}.{null[1]} is null and " if null is not None else ""
        if not windows or null is None:
            i = new_column(np.where(big_l, -1, sl), np.where(big_r, -1, sr))
            out.append(f"{filt}l.blkl{i} = r.blkr{i}")
            cut.append(f"{sql} ({pairs.sum():,.0f} -> {pairs[~drop].sum():,.0f} pairs, {int(drop.sum()):,} blocks "
                       f"of more than {max_block} registrations dropped)")
            continue
        # rank the registrations of each large block by `order`: over the registrations themselves when both sides
        # are one set of columns (a registration's left and right entries are one), else over all entries
        if all(a == b for a, b in keys):
            r = _window_ranks(np.maximum(cl, 0), big_l | big_r, place)
            rl, rr = np.where(big_l, r, -1), np.where(big_r, r, -1)
        else:
            r = _window_ranks(np.r_[np.maximum(cl, 0), np.maximum(cr, 0)], np.r_[big_l, big_r],
                              np.r_[2 * place, 2 * place + 1])
            rl, rr = r[:n], r[n:]
        new = []
        for shift in (0, max_block // 2):
            # (block, window) as one code: small blocks whole in the unshifted rule, absent from the shifted one
            wl = np.where(big_l, (rl + shift) // max_block, 0 if shift == 0 else -1)
            wr = np.where(big_r, (rr + shift) // max_block, 0 if shift == 0 else -1)
            ckl = np.where((sl >= 0) & (wl >= 0), sl.astype(np.int64) * (n + 1) + np.maximum(wl, 0), -1)
            ckr = np.where((sr >= 0) & (wr >= 0), sr.astype(np.int64) * (n + 1) + np.maximum(wr, 0), -1)
            i = new_column(ckl, ckr)
            out.append(f"{filt}l.blkl{i} = r.blkr{i}")
            new.append(block_pairs(ckl, ckr, symmetric))
        cut.append(f"{sql} ({pairs.sum():,.0f} -> {pairs[~drop].sum():,.0f} pairs in whole blocks + "
                   f"{sum(new) - pairs[~drop].sum():,.0f} in sorted windows of {int(drop.sum()):,} blocks "
                   f"of more than {max_block} registrations)")
    notes = []
    if cut:
        p = p.assign(**added)
        notes.append(f"blocking rules cut to blocks of at most {max_block} registrations (large register; "
                     "larger ones dropped, or compared in windows sorted by registration date): " + "; ".join(cut))
    return p, out, notes


# ---------------------------------------------------------------------------- blocking on integer codes (DuckDB)
#: a registration without a rule's key (or excluded by its null filter), on the left and on the right of the join:
#: two values that never equal each other nor a code (codes are >= 0)
_NONE_L, _NONE_R = -1, -2

_EITHER_NULL = re.compile(r"\(\s*l\.\"?(\w+)\"?\s+is\s+null\s+or\s+r\.\"?\1\"?\s+is\s+null\s*\)", re.IGNORECASE)


def _one_sided(sql: str) -> list[str]:
    """A rule ``... and (l.c is null or r.c is null)`` as its two one-sided rules (``l.c is null and ...``, ``r.c ...``).

    The union of their pairs is the rule's; any other rule is returned as it is.
    """
    m = _EITHER_NULL.search(sql)
    if m is None:
        return [sql]
    return [sql[:m.start()] + f"{side}.{m.group(1)} is null" + sql[m.end():] for side in ("l", "r")]


def rule_codes(p: pd.DataFrame, rules: Sequence, cache: dict | None = None) -> pd.DataFrame | None:
    """Each blocking rule as an integer code per registration and side, for :func:`blocked_pairs`.

    A rule ``l.a = r.b and ... [and l.c is null]`` (:func:`_parse_rule`; a filter
    ``(l.c is null or r.c is null)`` counts as two rules, one per side) compares the
    registrations i (left) and j (right) exactly when ``left_i == right_j``: the left code
    is the registration's tuple of left key values (:func:`_side_codes`), the right code its
    tuple of right key values, in one value space; a missing key or a null filter that
    excludes the registration gives ``-1`` on the left and ``-2`` on the right, which match
    nothing.

    Parameters
    ----------
    p : DataFrame, shape (n, ...): the prepared registrations, with ``uid`` (0..n-1 in order).
    rules : blocking rules (SQL strings or Splink ``block_on`` objects), in Splink's order.
    cache : dict, optional: shared with :func:`cap_blocks` (the same `p` before it added its code columns).

    Returns
    -------
    DataFrame, shape (n, 1 + 2 k) for k one-sided rules: ``uid`` (int64), then ``l0, r0, l1, r1, ...`` (int32);
    None when a rule has another form (Splink then blocks itself).
    """
    specs = []
    for rule in rules:
        for sql in _one_sided(_rule_sql(rule)):
            parsed = _parse_rule(sql)
            if parsed is None:
                return None
            specs.append(parsed)
    cache = {} if cache is None else cache
    # the cache (from cap_blocks) holds every rule's codes: each entry is dropped once no rule left needs it
    rules_left = Counter(tuple(keys) for keys, _ in specs)
    columns_left = Counter(pair for keys, _ in specs for pair in keys)
    for key in list(cache):
        if (key[1] not in rules_left) if key[0] == "rule" else (tuple(key[:2]) not in columns_left):
            del cache[key]
    n = len(p)
    out: dict[str, np.ndarray] = {"uid": p["uid"].to_numpy(dtype=np.int64)}
    for i, (keys, null) in enumerate(specs):
        cl, cr = _side_codes(p, keys, cache)
        rules_left[tuple(keys)] -= 1
        if not rules_left[tuple(keys)]:
            cache.pop(("rule", tuple(keys)), None)
        for pair in keys:
            columns_left[pair] -= 1
            if not columns_left[pair]:
                cache.pop(pair, None)
                cache.pop((*pair, "k"), None)
        okl, okr = cl >= 0, cr >= 0
        if null is not None:
            lacks = p[null[1]].isna().to_numpy()
            if null[0] == "l":
                okl = okl & lacks
            else:
                okr = okr & lacks
        if max(cl.max(initial=-1), cr.max(initial=-1)) >= 2**31 - 1:  # pragma: no cover - codes are below 2n
            both, _ = pd.factorize(np.r_[cl, cr])
            cl, cr = both[:n], both[n:]
        out[f"l{i}"] = np.where(okl, cl, _NONE_L).astype(np.int32)
        out[f"r{i}"] = np.where(okr, cr, _NONE_R).astype(np.int32)
    return pd.DataFrame(out)


def blocked_pairs(db_api, codes: pd.DataFrame, name: str):
    """The record pairs of the blocking rules, each once, as Splink's blocked-pairs table (DuckDB).

    Splink joins the registrations once per rule on their text keys and drops the pairs
    that an earlier rule generated by evaluating every earlier rule's SQL on each pair
    (and, in a million registrations with dozens of rules, spills the joins' tables of
    text columns to disk). Here each rule joins the integer codes of :func:`rule_codes`:
    rule k yields the pairs ``uid_l < uid_r`` with ``l_k(left) = r_k(right)`` and no
    earlier rule's codes equal: the same pairs, each with the number of the first rule that
    generates it (Splink's ``match_key``), one rule at a time.

    Parameters
    ----------
    db_api : Splink's DuckDBAPI.
    codes : DataFrame from :func:`rule_codes`.
    name : name of the DuckDB table to create (unique within the connection).

    Returns
    -------
    Splink table ``match_key`` (int32), ``join_key_l``, ``join_key_r`` (the uids, int64), to register with
    ``linker.table_management.register_blocked_pairs_for_predict``.
    """
    con = db_api.duckdb_con
    view, table = f"{name}_frame", f"{name}_codes"
    # copied once into a DuckDB table: scanning the frame again for every rule cost 4 times as much
    con.register(view, codes)
    try:
        con.execute(f"create table {table} as select * from {view}")
    finally:
        con.unregister(view)
    try:
        k = (codes.shape[1] - 1) // 2
        con.execute(f"create table {name} (match_key integer, join_key_l bigint, join_key_r bigint)")
        for i in range(k):
            earlier = " or ".join(f"l.l{j} = r.r{j}" for j in range(i))
            con.execute(
                f"insert into {name} select {i}, l.uid, r.uid from (select * from {table} where l{i} >= 0) as l "
                f"join (select * from {table} where r{i} >= 0) as r on l.l{i} = r.r{i} where l.uid < r.uid"
                + (f" and not ({earlier})" if earlier else "")
            )
    finally:
        con.execute(f"drop table if exists {table}")
    return db_api.register(name, table_name=f"{name}_splink")


def comparison_columns(settings_dict: dict, columns: Sequence[str]) -> list[str]:
    """The `columns` that a Splink settings dictionary names anywhere (comparison levels, term frequencies,
    training rules), as ``c``, ``c_l`` or ``c_r``; the others (keys used only for blocking) need not be loaded.

    Conservative: a column whose name appears as a word in the settings' text is kept.
    """
    import json

    text = json.dumps(settings_dict)
    return [c for c in columns if re.search(rf"\b{re.escape(str(c))}(_[lr])?\b", text)]
