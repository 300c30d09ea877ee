"""The result of a record-linkage run, :class:`LinkageResult` (what :func:`darkfigure.linkage.link.link` returns).

Its own module so that :mod:`darkfigure.linkage.link` keeps to the linkage itself; the class is still
importable from there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..histories import CaptureHistories
from .quality import plot_weight_histogram

__all__ = ["LinkageResult"]


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
    model_notes : list of str
        How the model was trained where it departs from Splink's defaults, asking nothing of the user
        (:func:`~darkfigure.linkage.splink_levels.unobserved_u_notes`): written to linkage_settings.json, not printed
        by ``darkfigure link``.
    warnings : list of str
        What may make the persons wrong and needs the user's action: organisation names
        that look like spellings of one organisation, a file holding several
        organisations, an organisation whose registrations mostly lack usable names.
    nameless : DataFrame or None
        Per organisation: ``organisation, registrations, without_names,
        given_without_letters, share`` (registrations with neither name usable).
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
        match probabilities (:func:`~darkfigure.linkage.quality.expected_link_errors`);
        for plaintext, ``missed_links`` includes ``unblocked_matches``, the matches that
        blocking never compared (:func:`~darkfigure.linkage.quality.unblocked_matches`).
    undated_clustering : dict or None
        Whether missing dates of birth cluster in persons (:mod:`~darkfigure.linkage.undated_mechanism`) as a
        structured field, :func:`~darkfigure.linkage.undated_check.clustering_record`: ``ratio`` (R), ``se``,
        ``z``, ``undated_share``, ``pairs``, ``undated_pairs``, ``warned``, ``not_made`` (why the check could not be
        made) and the warning's thresholds; None when it was not run (pseudonymised files). Written to
        linkage_settings.json; ``estimate`` copies it into result.json's linkage block.
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
    warnings: list[str] = field(default_factory=list)
    model_notes: list[str] = field(default_factory=list)
    nameless: pd.DataFrame | None = field(default=None, repr=False)
    seconds: dict = field(default_factory=dict)
    pairs: pd.DataFrame | None = field(default=None, repr=False)
    records: pd.DataFrame | None = field(default=None, repr=False)
    linkage_errors: pd.DataFrame | None = None
    undated_clustering: dict | None = None

    def __post_init__(self) -> None:
        """Add the warning for organisations that share no person (tester 11): link said nothing, estimate refused."""
        from .input_checks import disjoint_lists_warnings, sparse_years_warnings

        self.warnings = list(self.warnings)
        self.warnings += [w for w in disjoint_lists_warnings(self.histories, self.nameless) if w not in self.warnings]
        self.warnings += [w for w in sparse_years_warnings(self.persons) if w not in self.warnings]  # tester 19a, M4

    def __repr__(self) -> str:
        """One line: persons, registrations, lists, encoding, threshold, warnings (the dataclass repr printed every
        table, 4.7 KB; tester 13b, L6)."""
        return (f"LinkageResult(persons={self.n_persons}, registrations={len(self.links)}, lists={self.lists!r}, "
                f"encoding={self.encoding!r}, threshold={self.threshold:g}, warnings={len(self.warnings)})")

    def _repr_html_(self) -> str:
        """For notebooks: the one-line summary and the persons per list, with the warnings."""
        import html

        sizes = {c: int(self.persons[c].sum()) for c in self.lists if c in self.persons.columns}
        rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{v:,}</td></tr>" for k, v in sizes.items())
        warn = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        return (f"<div><p><b>{self.n_persons:,} persons</b> from {len(self.links):,} registrations "
                f"({html.escape(self.encoding)}, match probability &ge; {self.threshold:g})</p>"
                f"<table><tr><th>list</th><th>persons</th></tr>{rows}</table>"
                + (f"<p>warnings:</p><ul>{warn}</ul>" if warn else "") + "</div>")

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

    def write(self, out: str | Path, *, plot: bool = True, overwrite: bool = False) -> list[Path]:
        """Write links.csv, persons.csv, histories.csv and, when computed, linkage_quality.csv,
        linkage_weights.csv (+ .png), linkage_sensitivity.csv, linkage_model.json, linkage_errors.csv,
        linkage_settings.json (threshold, covariate rule, encoding, engine, lists, covariates, the undated-clustering
        check), pairs.parquet
        and records.parquet (see :attr:`pairs`, :attr:`records`) to folder `out`.

        Written through :func:`darkfigure.outputs.write_result` (as ``darkfigure link --out``): files are
        moved into place only when all are complete, so a failure leaves nothing half-written; they are
        listed in the folder's ``.darkfigure-outputs.json``, and a file darkfigure did not write is never
        replaced unless `overwrite` (writing again into the same folder is fine).

        Returns the paths written. Raises :class:`darkfigure.outputs.OutputError` (naming the file and
        ``overwrite=True``; nothing is written) for a file in `out` darkfigure did not write, OSError when
        the folder cannot be written.
        """
        from ..outputs import write_result

        return write_result(out, lambda d: self._write_files(d, plot=plot), overwrite=overwrite, command="link")

    def _write_files(self, out: Path, *, plot: bool) -> list[Path]:
        """Write the files of :meth:`write` into `out` directly."""
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
                        "covariates": list(self.covariates),
                        # names made only of symbols, digits or emoji, compared as missing: kept past the terminal
                        "names_without_letters": _letterless_counts(self.notes),
                        "notes": list(self.notes),
                        "model_notes": list(self.model_notes),  # not printed: they ask nothing of the user
                        # what may make the persons wrong (organisation spellings, organisations without names)
                        "warnings": list(self.warnings),
                        "names_unusable_by_organisation": _nameless_dict(self.nameless),
                        # R of the undated-clustering check, its s.e., z, share (null: not run)
                        "undated_clustering": self.undated_clustering}
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


def _letterless_counts(notes: list[str]) -> dict[str, int]:
    """``{"first_name": n, "surname": m}``: registrations whose name has no letters, from link's notes
    (:func:`darkfigure.linkage.prepare._letterless_names` says them; 0 when not said)."""
    import re

    out = {"first_name": 0, "surname": 0}
    for n in notes:
        m = re.match(r"([\d,]+) registration\(s\) have a (first_name|surname) with no letters", n)
        if m:
            out[m.group(2)] = int(m.group(1).replace(",", ""))
    return out


def _nameless_dict(table: pd.DataFrame | None) -> dict[str, dict]:
    """``{organisation: {registrations, without_names, given_without_letters, placeholders, share}}`` (JSON-able; {} for None)."""
    if table is None:
        return {}
    return {str(r.organisation): {"registrations": int(r.registrations), "without_names": int(r.without_names),
                                  "given_without_letters": int(r.given_without_letters),
                                  "placeholders": int(getattr(r, "placeholders", 0)),
                                  "share": round(float(r.share), 4)}
            for r in table.itertuples(index=False)}
