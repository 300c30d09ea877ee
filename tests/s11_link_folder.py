"""A small synthetic ``darkfigure link`` result and folder for the tests of estimating from a link run (no Splink).

Registrations of ``clearing_house`` with every true pair scored 0.9 and random false pairs
0.3 (:func:`synthetic_pairs.true_pairs`), clustered by ``link``'s rules, with one warning
as ``link`` gives it.
"""

from __future__ import annotations

from pathlib import Path

from darkfigure.linkage import LinkageResult, persons_from_pairs
from synthetic_pairs import true_pairs

#: the warning the synthetic run carries, as `link` words such a warning
WARNING = ("organisation 'police': 30 of its 300 registrations (10%) have no usable name (first name and surname "
           "both empty). Their linkage rests on the date of birth only, and N̂ is biased")


def small_result(population: int = 1500) -> LinkageResult:
    """A LinkageResult of `population` synthetic persons (seed 5), with :data:`WARNING`."""
    tp = true_pairs(5, population, 150, sex=lambda s: s.astype(str).str[0].str.lower())
    pairs = tp.pairs(0.9, 0.3)
    labels, persons, h = persons_from_pairs(tp.records, pairs, 0.5)
    links = tp.records[["organisation", "record_id"]].assign(person_id=labels)
    return LinkageResult(links=links, persons=persons, histories=h, lists=tuple(h.lists),
                         covariates=tuple(h.covariates), encoding="plaintext", engine="duckdb", threshold=0.5,
                         covariate_rule="most_frequent", warnings=[WARNING], pairs=pairs, records=tp.records)


def small_folder(out: Path) -> Path:
    """:func:`small_result` written into `out` (as ``darkfigure link --out``); returns `out`."""
    small_result().write(out, plot=False)
    return out
