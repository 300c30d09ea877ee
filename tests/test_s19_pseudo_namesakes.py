"""Pseudonymised registrations get the undated-namesakes count too (tester 19a, M7: the plaintext run of the same
registrations warned and its verdict refused; the pseudonymised run had no warning at all and published a floor
above the truth). The count runs on the keyed name tokens, which are equal exactly where the names are.
Synthetic registrations only."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from darkfigure.linkage import pseudonymise, simulate_registrations
from darkfigure.linkage.prepare import _prepare_plain, _prepare_pseudo
from darkfigure.linkage.undated_namesakes import token_names, undated_namesakes


@pytest.mark.parametrize("errors", ["no_dob", "recurring_names"])
def test_token_count_equals_the_plaintext_count(errors):
    regs = simulate_registrations("clearing_house", seed=5, scale=0.2, errors=errors).registrations
    regs = regs.reset_index(drop=True)
    labels = pd.factorize(regs["true_person_id"].astype(str))[0]
    plain = undated_namesakes(_prepare_plain(regs.drop(columns=["true_person_id"])), labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        enc = pseudonymise(regs.drop(columns=["true_person_id"]), key=b"synthetic-test-key-0123456789")
    tok = token_names(_prepare_pseudo(enc.reset_index(drop=True))[0])
    coded = undated_namesakes(tok, labels)
    assert plain["undated"] > 0 and plain["among_namesakes"] > 0
    # equal up to the few names whose normalisation differs between the two paths
    assert coded["undated"] == pytest.approx(plain["undated"], rel=0.02, abs=2)
    assert coded["among_namesakes"] == pytest.approx(plain["among_namesakes"], rel=0.05, abs=3)


def test_bloom_filters_alone_give_no_token_count():
    assert token_names(pd.DataFrame({"bf_first_name": ["x"], "sex": ["f"]})) is None
