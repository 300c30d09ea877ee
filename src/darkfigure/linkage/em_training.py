"""The EM sessions of the Fellegi-Sunter model, with a clear refusal where a training rule finds no pairs.

Splink trains m by expectation maximisation on the pairs of each training rule (Fellegi & Sunter 1969; Winkler
1988): the pairs that agree on the date of birth teach how often one person's names differ, the pairs that agree on
the names how often the dates differ. Where a rule generates no pair at all (no registration has a date of birth,
or no two share one) Splink raises ``EMTrainingException`` and ``link`` ended in "internal error ... this is a bug"
(review s17, L9). Here that is a :class:`~darkfigure.errors.DataError` naming the rule and what to do.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import DataError

__all__ = ["train_em"]

#: what each plaintext training rule needs from the registrations, said when it finds no pairs
_NEEDS = {"dob": "dates of birth: no two registrations share one (or none has one)",
          "name_pair": "names: no two registrations share first name and surname"}


def train_em(linker, training: Sequence, max_pairs: float) -> None:
    """Run one EM session per training rule on `linker` (a Splink Linker), as ``link`` does.

    Parameters
    ----------
    linker : splink Linker
    training : sequence of blocking rules (Splink ``block_on`` objects or SQL strings)
    max_pairs : float, the most pairs each session samples

    Raises
    ------
    DataError
        A rule generates no pairs: the message names the rule, what the registrations lack, and what to do.
    """
    from splink.internals.exceptions import EMTrainingException

    for br in training:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                br, estimate_without_term_frequencies=True, max_pairs=max_pairs)
        except EMTrainingException as e:
            text = str(br.get_blocking_rule("duckdb").blocking_rule_sql if hasattr(br, "get_blocking_rule") else br)
            need = next((v for k, v in _NEEDS.items() if f'"{k}"' in text or f".{k} " in f"{text} "), None)
            raise DataError(
                f"the linkage model cannot be trained: its training rule {text} finds no pair of registrations"
                + (f" ({need})" if need else "") + ". link learns how often one person's records differ from the "
                "registrations that agree on the date of birth and on the names; give the dates of birth the files "
                "hold (column date_of_birth, ISO dates), or link files that share some") from e
