"""Reading a ``darkfigure link`` output folder for the linkage correction (:class:`LinkRun`).

The scored pairs with their Fellegi-Sunter match probabilities, the registrations without
personal data and the as-linked capture histories, and the merging of persons for true
matches that were never compared (:func:`add_unblocked_matches`). Moved unchanged from
:mod:`darkfigure.linkage.uncertainty` (still importable from there).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..histories import CaptureHistories, DataError

LINKAGE_MODES = ("correct", "none")

#: files of a ``darkfigure link`` output folder that the correction needs
PAIRS_FILE, RECORDS_FILE, HISTORIES_FILE = "pairs.parquet", "records.parquet", "histories.csv"

#: the linkage measured against a truth column (``darkfigure link --truth``), when the run had one
QUALITY_FILE = "linkage_quality.csv"
#: what :meth:`LinkRun.truth_quality` is measured against, as result.json and the report say it
TRUTH_MEASURE = ("the true persons of the column given to `darkfigure link --truth` (known only for synthetic or "
                 "clerically reviewed data)")

#: columns of records.parquet that are not covariates
RECORD_COLUMNS = ("organisation", "record_id", "registration_date", "has_date_of_birth")


# ----------------------------------------------------------------------------- the link run
@dataclass
class LinkRun:
    """A record-linkage run as the estimators need it: the registrations and their scored pairs.

    The linkage correction of ``estimate``/``monitor`` redraws the persons from the match
    probabilities of a run (:mod:`darkfigure.linkage.uncertainty`); a ``LinkRun`` holds what
    that needs, without personal data. Get one from an output folder of ``darkfigure link``
    with :func:`read_link_run` (``read_link_run("lk")``) or from a
    :class:`~darkfigure.linkage.LinkageResult` with :meth:`from_result`. Give it to
    :func:`darkfigure.estimate` / :func:`darkfigure.monitor` as ``linkage_run=`` together
    with histories of the same run (for instance the folder's ``histories.csv`` read with
    other options), or to :func:`darkfigure.linkage.draw_files.write_linkage_draws` to write
    linkage draws for ``darkfigure strata --replicates``. Giving the folder or the
    ``LinkageResult`` itself as the data does the same without a ``LinkRun``.

    Attributes
    ----------
    records : DataFrame, shape (n_registrations, 4 + n_covariates)
        ``organisation, record_id, registration_date, has_date_of_birth`` and covariates
        (:attr:`darkfigure.linkage.LinkageResult.records`).
    pairs : DataFrame, shape (n_pairs, 3)
        ``record_l, record_r, match_probability`` (:attr:`LinkageResult.pairs`).
    threshold : float
        The match probability at or above which the run joined two registrations.
    covariate_rule : str
        How the run chose a person's covariate value (``most_frequent`` or ``earliest``).
    source : str
        Where it was read from (folder name), for messages.
    unblocked : DataFrame or None
        ``organisation_l, organisation_r, unblocked_matches``: the expected matching
        record pairs that blocking never compared, per pair of organisations
        (:func:`~darkfigure.linkage.quality.unblocked_matches`; ``linkage_errors.csv``).
        Every draw adds that many links at random (:func:`add_unblocked_matches`);
        None: not estimated (pseudonymised files), none added.
    quality : DataFrame or None
        The linkage measured against a known truth (``darkfigure link --truth COLUMN``:
        ``linkage_quality.csv``, :func:`~darkfigure.linkage.quality.pairwise_quality`, one row
        per threshold); None when the run had no truth column. See :meth:`truth_quality`.
    undated_clustering : dict or None
        ``link``'s check whether missing dates of birth cluster in persons as a structured field
        (:attr:`~darkfigure.linkage.LinkageResult.undated_clustering`, linkage_settings.json); None when not
        computed (pseudonymised files, a folder written before it was recorded).
    by_year : bool
        Histories per person and calendar year of registration (covariate ``registration_year``,
        :func:`~darkfigure.linkage.persons_from_pairs` with ``by_year=True``) instead of per person: set by
        ``estimate``/``monitor --year registration_year`` on a link folder, so that every linkage draw is
        split into years as the as-linked histories are (:meth:`per_year`).
    """

    records: pd.DataFrame
    pairs: pd.DataFrame
    threshold: float = 0.5
    covariate_rule: str = "most_frequent"
    source: str = ""
    unblocked: pd.DataFrame | None = None
    quality: pd.DataFrame | None = None
    undated_clustering: dict | None = None
    by_year: bool = False

    def per_year(self) -> LinkRun:
        """This run with histories per person and calendar year of registration (:attr:`by_year`)."""
        from dataclasses import replace

        return replace(self, by_year=True)

    @classmethod
    def from_result(cls, result) -> LinkRun:
        """From a :class:`~darkfigure.linkage.LinkageResult` (needs its ``pairs`` and ``records``).

        Parameters
        ----------
        result : LinkageResult
            The result of :func:`darkfigure.linkage.link`.

        Returns
        -------
        LinkRun
            Its records, pairs, threshold and covariate rule, with ``source="linkage result"``
            and the unblocked matches of its ``linkage_errors``.

        Raises
        ------
        DataError
            The result has no pairs or records (made by a version of ``link`` that did not keep them).
        """
        if getattr(result, "pairs", None) is None or getattr(result, "records", None) is None:
            raise DataError("this linkage result has no match probabilities (pairs/records); re-run `darkfigure link`")
        return cls(result.records, result.pairs, float(result.threshold), result.covariate_rule, "linkage result",
                   _unblocked_table(getattr(result, "linkage_errors", None)), getattr(result, "quality", None),
                   getattr(result, "undated_clustering", None))

    def truth_quality(self) -> dict | None:
        """The run's linkage quality against the truth given to ``link`` (``--truth``), for result.json and the report.

        Returns
        -------
        dict or None
            ``measured_against`` (what the figures are measured against), ``threshold`` and
            the pairwise ``precision``, ``recall`` and ``f1`` (shares of the linked record
            pairs that are true matches, of the true matching pairs that were linked, and
            their harmonic mean), ``true_persons``, ``found_persons``, ``true_pairs``,
            ``found_pairs``, ``correct_pairs`` and the B-cubed measures where present
            (:func:`~darkfigure.linkage.quality.pairwise_quality`), at the run's threshold (the
            row nearest to it); None when the run had no truth column.
        """
        q = self.quality
        if q is None or not len(q) or "precision" not in q.columns:
            return None
        row = q.iloc[int(np.argmin(np.abs(q["threshold"].to_numpy(float) - self.threshold)))] \
            if "threshold" in q.columns else q.iloc[0]
        out: dict[str, Any] = {"measured_against": TRUTH_MEASURE}
        for k in ("threshold", "precision", "recall", "f1", "bcubed_precision", "bcubed_recall", "bcubed_f1"):
            if k in row.index and np.isfinite(float(row[k])):
                out[k] = float(row[k])
        for k in ("records", "true_persons", "found_persons", "true_pairs", "found_pairs", "correct_pairs"):
            if k in row.index and np.isfinite(float(row[k])):
                out[k] = int(row[k])
        return out

    def histories(self, accept: float | np.ndarray | None = None) -> CaptureHistories:
        """Capture histories of one clustering.

        Parameters
        ----------
        accept : None, float, bool array of shape (n_pairs,) or int array of shape (n_registrations,)
            None (the run's threshold), another threshold, a mask of accepted pairs
            (re-clustered by ``link``'s rules), or the person of every registration (a drawn
            partition).

        Returns
        -------
        CaptureHistories
            One row per person (per person and calendar year with :attr:`by_year`): the organisations as
            lists, the covariates chosen by :attr:`covariate_rule`.
        """
        from .link import persons_from_links, persons_from_pairs

        acc = self.threshold if accept is None else accept
        if np.ndim(acc) == 1 and np.asarray(acc).dtype.kind in "iu":
            covs = [c for c in self.records.columns if c not in RECORD_COLUMNS]
            return persons_from_links(self.records.drop(columns=["has_date_of_birth"]), np.asarray(acc),
                                      covariate_rule=self.covariate_rule, covariates=covs, by_year=self.by_year)[1]
        return persons_from_pairs(self.records, self.pairs, acc, covariate_rule=self.covariate_rule,
                                  by_year=self.by_year)[2]

    def labels(self, accept: np.ndarray | None = None) -> np.ndarray:
        """The person of every registration at the run's threshold (or with the accepted pairs `accept`, a bool
        array of shape (n_pairs,)), int array of shape (n_registrations,)."""
        from .link import cluster_links

        return cluster_links(len(self.records), self.pairs["record_l"].to_numpy(np.int64),
                             self.pairs["record_r"].to_numpy(np.int64),
                             self.pairs["match_probability"].to_numpy(float),
                             self.records["has_date_of_birth"].to_numpy(bool), self.threshold, accept)


def is_link_folder(path: Any) -> bool:
    """True when `path` is a folder written by ``darkfigure link`` (it holds histories.csv and links.csv)."""
    try:
        p = Path(path)
        return p.is_dir() and (p / HISTORIES_FILE).is_file() and (p / "links.csv").is_file()
    except (TypeError, OSError):
        return False


def read_link_run(folder: str | Path) -> LinkRun | None:
    """Read the match probabilities of a ``link`` output folder; None when it has none.

    The threshold and covariate rule are read from ``linkage_settings.json`` when the
    folder has one; otherwise the threshold is the one at which re-clustering the pairs
    gives back the folder's persons (0.5, ``link``'s default, is tried first).

    Raises
    ------
    DataError
        pairs.parquet and records.parquet disagree (different runs), or only one of them is present.
    """
    folder = Path(folder)
    has_p, has_r = (folder / PAIRS_FILE).is_file(), (folder / RECORDS_FILE).is_file()
    if not (has_p or has_r):
        return None
    if has_p != has_r:
        missing = RECORDS_FILE if has_p else PAIRS_FILE
        raise DataError(f"{folder} has no {missing}: the link output is incomplete; re-run `darkfigure link`")
    pairs = pd.read_parquet(folder / PAIRS_FILE)
    records = pd.read_parquet(folder / RECORDS_FILE)
    need = {"record_l", "record_r", "match_probability"}
    if need - set(pairs.columns):
        raise DataError(f"{folder / PAIRS_FILE} lacks the column(s) {sorted(need - set(pairs.columns))}")
    if set(RECORD_COLUMNS) - set(records.columns):
        raise DataError(f"{folder / RECORDS_FILE} lacks the column(s) {sorted(set(RECORD_COLUMNS) - set(records.columns))}")
    n = len(records)
    if len(pairs) and (pairs[["record_l", "record_r"]].to_numpy().max() >= n or pairs[["record_l", "record_r"]].to_numpy().min() < 0):
        raise DataError(f"{folder}: pairs.parquet refers to registrations that records.parquet does not have")
    threshold, rule, clustering = None, "most_frequent", None
    settings = folder / "linkage_settings.json"
    if settings.is_file():
        s = json.loads(settings.read_text())
        threshold, rule, clustering = s.get("threshold"), s.get("covariate_rule", rule), s.get("undated_clustering")
    errors = pd.read_csv(folder / "linkage_errors.csv") if (folder / "linkage_errors.csv").is_file() else None
    quality = pd.read_csv(folder / QUALITY_FILE) if (folder / QUALITY_FILE).is_file() else None
    run = LinkRun(records, pairs, 0.5 if threshold is None else float(threshold), rule, folder.name,
                  _unblocked_table(errors), quality, clustering if isinstance(clustering, dict) else None)
    if threshold is None and (folder / "persons.csv").is_file():
        n_persons = sum(1 for _ in open(folder / "persons.csv", encoding="utf-8")) - 1
        from .link import cluster_links

        left, right = pairs["record_l"].to_numpy(np.int64), pairs["record_r"].to_numpy(np.int64)
        prob = pairs["match_probability"].to_numpy(float)
        dob = records["has_date_of_birth"].to_numpy(bool)
        for t in (0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.3, 0.2, 0.1, 0.05):
            if np.unique(cluster_links(n, left, right, prob, dob, t)).size == n_persons:
                run.threshold = t
                break
    return run


def _unblocked_table(errors: pd.DataFrame | None) -> pd.DataFrame | None:
    """The ``unblocked_matches`` of a linkage_errors table (None when it has none or all are 0)."""
    cols = ["organisation_l", "organisation_r", "unblocked_matches"]
    if errors is None or any(c not in errors.columns for c in cols):
        return None
    t = errors[cols].copy()
    t["organisation_l"] = t["organisation_l"].astype(str)
    t["organisation_r"] = t["organisation_r"].astype(str)
    t["unblocked_matches"] = pd.to_numeric(t["unblocked_matches"], errors="coerce").fillna(0.0).clip(lower=0.0)
    return t if t["unblocked_matches"].sum() > 0 else None


def add_unblocked_matches(labels: np.ndarray, organisations: np.ndarray, unblocked: pd.DataFrame,
                          rng: np.random.Generator) -> np.ndarray:
    """One draw of the matches blocking never compared, added to a partition by merging persons at random.

    A true match that was never compared is missed in every linkage draw, so the draws
    alone cannot correct N̂ for it. Which registrations they are is unknown, only how
    many there are expected to be between organisations A and B (u_AB). Each draw
    takes ``K ~ Poisson(u_AB)`` and merges K persons registered by A and not by B with
    K persons registered by B and not by A, chosen at random (for A = B, K pairs of
    persons registered by A: duplicates never compared). This moves the capture
    histories as the missed links would (two persons seen by one list each become one
    seen by both), which is what N̂ depends on; which covariate cell the merged persons
    fall in is left to chance.

    Parameters
    ----------
    labels : int array, shape (n,): the person of every registration (one partition).
    organisations : array of str, shape (n,).
    unblocked : DataFrame ``organisation_l, organisation_r, unblocked_matches``.
    rng : numpy Generator.

    Returns
    -------
    int array, shape (n,): the labels after the merges (a merged person takes the lower label).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    lab = pd.factorize(np.asarray(labels))[0]
    orgs = np.asarray(organisations).astype(str)
    m = int(lab.max()) + 1 if lab.size else 0
    names = pd.Index(pd.unique(orgs))
    seen = np.zeros((m, len(names)), dtype=bool)
    seen[lab, names.get_indexer(orgs)] = True
    a_out, b_out = [], []
    for a_name, b_name, u in unblocked.itertuples(index=False):
        ia, ib = names.get_indexer([a_name])[0], names.get_indexer([b_name])[0]
        k = int(rng.poisson(float(u))) if u > 0 and ia >= 0 and ib >= 0 else 0
        if k == 0:
            continue
        if ia == ib:
            pool = np.flatnonzero(seen[:, ia])
            k = min(k, pool.size // 2)
            pick = rng.choice(pool, size=2 * k, replace=False)
            a_out.append(pick[:k])
            b_out.append(pick[k:])
        else:
            pa = np.flatnonzero(seen[:, ia] & ~seen[:, ib])
            pb = np.flatnonzero(seen[:, ib] & ~seen[:, ia])
            k = min(k, pa.size, pb.size)
            a_out.append(rng.choice(pa, size=k, replace=False))
            b_out.append(rng.choice(pb, size=k, replace=False))
    if not a_out:
        return lab
    a, b = np.concatenate(a_out), np.concatenate(b_out)
    g = coo_matrix((np.ones(a.size, np.int8), (a, b)), shape=(m, m))
    _, comp = connected_components(g, directed=False)
    return comp[lab]


# ----------------------------------------------------------------------------- front-door helpers
def resolve_linkage(data: Any, run: LinkRun | None, linkage: str | None) -> tuple[Any, LinkRun | None, str]:
    """What ``estimate``/``monitor`` do with their DATA and ``--linkage`` option (one place for both).

    A ``darkfigure link`` output folder is read as its capture histories
    (``histories.csv``) and its linkage run (:func:`read_link_run`). `linkage` defaults
    to ``"correct"`` when a run with match probabilities is there, else ``"none"``.

    Returns
    -------
    (data, run, linkage) : the data to read histories from, the run (or None), the mode.

    Raises
    ------
    ValueError
        `linkage` not ``correct``/``none``.
    DataError
        ``linkage="correct"`` without match probabilities (histories made elsewhere):
        refused, never an uncorrected N̂ labelled corrected; a folder that is not a link output.
    """
    if linkage is not None:
        linkage = str(linkage).lower()
        if linkage not in LINKAGE_MODES:
            raise ValueError(f"linkage must be one of {LINKAGE_MODES}, not {linkage!r}")
    if run is None and isinstance(data, (str, Path)) and Path(data).is_dir():
        if not is_link_folder(data):
            raise DataError(f"{data} is a folder but not the output of `darkfigure link` (no histories.csv and "
                            "links.csv): give a capture-history file or a link output folder")
        run = read_link_run(data)
        data = Path(data) / HISTORIES_FILE
    if linkage is None:
        linkage = "correct" if run is not None else "none"
    if linkage == "correct" and run is None:
        if isinstance(data, (str, Path)) and Path(data).is_file() and is_link_folder(Path(data).parent):
            # the histories of a link folder given as a file (tester 7, 22): name the folder to give instead
            raise DataError(
                f"--linkage correct reads the match probabilities beside the histories: give the link output folder "
                f"{str(Path(data).parent)!r} as DATA, not its file {Path(data).name!r}"
            )
        raise DataError(
            "--linkage correct needs the match probabilities of a `darkfigure link` run (pairs.parquet and "
            "records.parquet in its output folder); these capture histories carry none (made elsewhere, or by an "
            "older version of link), so N̂ cannot be corrected for linkage error. Give the link output folder as "
            "DATA, or use --linkage none to estimate from the histories as they are, without a linkage correction"
        )
    return data, run, linkage


def isolated_lists(h: CaptureHistories) -> list[str]:
    """Lists (organisations) that share no person with any other list."""
    t = h.table
    lists = list(h.lists)
    cols = t[lists].to_numpy(dtype=np.int64)
    n = t["count"].to_numpy(dtype=float) if "count" in t.columns else np.ones(len(t))
    multi = cols.sum(axis=1) >= 2
    shared = (cols[multi] * n[multi, None]).sum(axis=0)
    return [a for a, v in zip(lists, shared) if v == 0]
