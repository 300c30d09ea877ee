"""Comparison levels Splink trains badly (moved from :mod:`darkfigure.linkage.splink_model`): the u of levels
no random pair reached, and the m that expectation–maximisation drove below the "nothing agrees" level; and the
comparison of the registering organisations (one or two), moved here for room."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["ORDERED_COMPARISONS", "fill_unobserved_u", "floor_collapsed_m", "unobserved_u_notes"]  # and _same_organisation (splink_model)


# ---------------------------------------------------------------------------- unobserved levels
def fill_unobserved_u(linker, n_pairs: float) -> list[str]:
    """u of the comparison levels that no random pair reached, set to ``1 / n_pairs`` instead of Splink's default.

    Splink estimates u from ``n_pairs`` random record pairs; a level that none of them
    falls in (both names misspelt in two ways at once, one close and the other similar: a
    few in a million pairs) is left untrained, and Splink then uses a default u that
    depends only on the level's position (1e-3 to 1e-4 here, a thousand times the true
    rate). The level then looks like weak evidence, EM takes the pairs in it for
    non-matches and drives its m to 1e-10-1e-18, and the level becomes an absolute veto
    that varies from one register to the next (measured on the synthetic registrations
    of :mod:`darkfigure.linkage.synthetic`: "both close or similar (mixed)" had m of
    4e-14, 1e-10 or 1e-18, or no m at all, in 6 of 12 runs). Zero of `n_pairs` observed
    bounds u by about ``1 / n_pairs`` (the "rule of three" gives ``3 / n_pairs`` at 95%),
    which is what is used: the evidence stays finite and the level is at most as strong
    as one seen once. Call after ``estimate_u_using_random_sampling`` and before EM.

    Parameters
    ----------
    linker : splink.Linker
        The linker whose settings are changed in place.
    n_pairs : float
        The number of random pairs that estimated u (``max_pairs``, or all record pairs
        of a smaller register); must be positive.

    Returns
    -------
    list of str: ``"comparison: level"`` of each level whose u was set (for the notes).

    Raises
    ------
    ValueError
        `n_pairs` not positive.
    """
    if not n_pairs > 0:
        raise ValueError(f"n_pairs must be positive, not {n_pairs}")
    u = 1.0 / float(n_pairs)
    filled = []
    for cc in linker._settings_obj.comparisons:
        for cl in cc._comparison_levels_excluding_null:
            if cl._fix_u_probability or cl._has_estimated_u_values:
                continue
            # as a trained value, so that Splink's later re-population of m and u (after EM) keeps it
            cl._add_trained_u_probability(u, f"not observed among {n_pairs:,.0f} random pairs: 1 / pairs")
            cl.u_probability = u
            filled.append(f"{cc.output_column_name}: {cl.label_for_charts}")
    return filled


def unobserved_u_notes(filled: list[str], n_pairs: float) -> list[str]:
    """The note on :func:`fill_unobserved_u`'s levels, in words for a reader who does not know Splink's m and u.

    It asks nothing of the user (s24 fresh clone, L4: "u of levels no random pair reached set to 1 / random pairs" was
    jargon on the terminal), so :func:`~darkfigure.linkage.link.link` keeps it in ``LinkageResult.model_notes``
    (linkage_settings.json), not among the notes the command prints.

    Returns
    -------
    list of str: one note, or none when no level was filled.
    """
    if not filled:
        return []
    return [f"ways of agreeing that none of the {n_pairs:,.0f} random pairs of registrations showed, from which the "
            f"model learns how often different persons agree by chance: {'; '.join(filled)}. Each is taken to happen "
            f"once in {n_pairs:,.0f} pairs of different persons (u = 1 / {n_pairs:,.0f}), not at Splink's default "
            "rate, which made such a level a veto against a match"]


#: comparisons whose levels are ordered by similarity down to "nothing agrees" (:func:`floor_collapsed_m`); not
#: ``same_organisation``, whose last level (two organisations) is no disagreement
ORDERED_COMPARISONS = ("name", "date_of_birth")


def floor_collapsed_m(linker, comparisons: Sequence[str] = ORDERED_COMPARISONS) -> list[str]:
    """m of a level raised where EM made it stronger evidence against one person than total disagreement.

    A level of partial agreement (both names within two edits, one close and the other
    similar) says at least as much for one person as the comparison's last level (nothing
    agrees) does. EM on blocks holding a handful of such pairs, most of them different
    persons, can still drive the level's m to 1e-10 (the synthetic ``standard`` setting,
    "both within two edits": m 1.8e-10 against u 1.1e-4), which makes it a veto far
    stronger than a wholly different name. Here such an m is raised to ``u * m_else /
    u_else``: the level weighs exactly as the last level does, never less (a monotone
    constraint on the Bayes factors of ordered levels). Levels with m or u fixed, not
    trained, or already at least that strong are left alone. Call after EM.

    Parameters
    ----------
    linker : splink.Linker
        The trained linker whose settings are changed in place.
    comparisons : sequence of str
        Output column names of the comparisons whose levels are ordered by similarity
        (default :data:`ORDERED_COMPARISONS`): the constraint is wrong elsewhere (registered
        by one organisation weighs against a match, two organisations slightly for it).

    Returns
    -------
    list of str: ``"comparison: level"`` of each level whose m was raised (for the notes).
    """
    raised = []
    for cc in linker._settings_obj.comparisons:
        if cc.output_column_name not in comparisons:
            continue
        levels = cc._comparison_levels_excluding_null
        last = levels[-1] if levels else None
        if last is None or not last._is_else_level:
            continue
        m_else, u_else = last.m_probability, last.u_probability
        if not (isinstance(m_else, float) and isinstance(u_else, float) and m_else > 0 and u_else > 0):
            continue
        for cl in levels[:-1]:
            m, u = cl.m_probability, cl.u_probability
            if cl._fix_m_probability or not cl._has_estimated_m_values or not isinstance(u, float) or u <= 0:
                continue
            if m < u * m_else / u_else:
                cl.m_probability = u * m_else / u_else
                raised.append(f"{cc.output_column_name}: {cl.label_for_charts}")
    return raised


# ---------------------------------------------------------------------------- same organisation (from splink_model)
def _same_organisation():
    """Registered by one organisation or by two: m by EM, u from random pairs.

    Two registrations of one person by one organisation are duplicates, which are rarer
    (or, in some registers, commoner) than the overlap between organisations that the
    estimate rests on; namesakes are registered by one organisation as often as two random
    registrations are. Neither rate is fixed: EM estimates m on the training blocks and u
    comes from Splink's random pairs, so a register whose organisations keep many
    duplicates gets the weaker evidence.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(output_column_name="same_organisation", comparison_levels=[
        cll.NullLevel("org"), cll.ExactMatchLevel("org").configure(label_for_charts="same organisation"),
        cll.ElseLevel()])
