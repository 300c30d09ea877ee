"""Options that would change nothing are refused, as the README says (tester 14b, L8)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("args,says", [
    (["--ci", "none", "--jobs", "2"], "--jobs 2 would be ignored"),
    (["--ci", "none", "--linkage-draws", "5"], "--linkage-draws would be ignored"),
    (["--ci", "none", "--linkage-reps", "50"], "--linkage-reps would be ignored"),
    (["--ci", "none", "--linkage", "none"], "--linkage would be ignored"),
    (["--ci", "none", "--model", "EXH:ABA", "--max-order", "3"], "--max-order 3 would be ignored"),
])
def test_ignored_option_is_refused(cli, args, says):
    cli(["estimate", "kosovo_1999", *args], code=2, says=[says])


def test_level_with_ci_none_is_used_by_the_assumption_bounds(cli):
    cli(["estimate", "kosovo_1999", "--ci", "none", "--level", "0.9"], code=0, says=["90% interval over the whole range"])
