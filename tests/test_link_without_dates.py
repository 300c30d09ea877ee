"""link on registrations without any date of birth: a clear refusal, not "internal error" (review s17, L9)."""

from __future__ import annotations

import pytest

from darkfigure.errors import DataError
from darkfigure.linkage import link, simulate_registrations


def test_no_date_of_birth_anywhere_is_refused_with_the_reason():
    regs = simulate_registrations("clearing_house", seed=2, errors="standard").registrations
    regs = regs.groupby("organisation").head(150).copy()
    regs["date_of_birth"] = None
    with pytest.raises(DataError, match=r"cannot be trained: its training rule .*dob.* finds no pair") as e:
        link(regs, seed=1, threads=1)
    assert "date_of_birth" in str(e.value) and "internal error" not in str(e.value)
