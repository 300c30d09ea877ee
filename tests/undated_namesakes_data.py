"""Known-truth registrations of undated namesakes, shared by tests/test_undated_draws.py and
tests/test_undated_link_errors.py (synthetic; no personal data)."""

from __future__ import annotations

import numpy as np


def namesake_registrations(groups: int, share: float, p_namesake: float, seed: int, true_member: str = "first"):
    """`groups` names each carried by 3 dated persons (one registration of A and one of B each, pair p 0.99) and
    one undated registration of C, truly one of the three in a `share` of the names (else a person of its own),
    scored `p_namesake` against all six dated namesakes; C also has 100 dated registrations, a `share` of them
    matched to a registration of A (p 0.99: the calibration of q).

    `true_member`: "first" (the first namesake is the true one) or "random" (one of the three, drawn).
    Returns (organisations list, has-date list, true person list, pairs list of (l, r, p), undated positions).
    """
    rng = np.random.default_rng(seed)
    org, dated, truth, pairs = [], [], [], []

    def add(o: str, d: bool, t: int) -> int:
        """Append one registration; its position."""
        org.append(o)
        dated.append(d)
        truth.append(t)
        return len(org) - 1

    person = 0
    undated_pos = []
    matched = rng.permutation(groups) < round(share * groups)
    for g in range(groups):
        members = []
        for _ in range(3):
            a, b = add("A", True, person), add("B", True, person)
            pairs.append((a, b, 0.99))
            members.append((person, a, b))
            person += 1
        pick = int(rng.integers(3)) if true_member == "random" and matched[g] else 0
        t = members[pick][0] if matched[g] else person
        person += 0 if matched[g] else 1
        u = add("C", False, t)
        undated_pos.append(u)
        for _, a, b in members:
            pairs += [(u, a, p_namesake), (u, b, p_namesake)]
    for i in range(100):
        c = add("C", True, person)
        if i < round(share * 100):
            pairs.append((c, add("A", True, person), 0.99))
        person += 1
    return org, dated, truth, pairs, undated_pos
