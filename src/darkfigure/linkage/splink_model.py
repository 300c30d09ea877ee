"""The Splink comparison model of :func:`darkfigure.linkage.link.link`.

The Fellegi-Sunter comparisons of names, date of birth, sex and nationality for
plaintext registrations (Jaro-Winkler levels, term frequencies, gross date errors) and
for pseudonymised ones (Dice similarity of hardened Bloom filters, keyed tokens), with
their blocking rules and prior settings. The module docstring of
:mod:`darkfigure.linkage.link` describes the method.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..histories import DataError
from ._masked_teach import TEACH_COLUMN, teach_rules, teach_sample
from ._rare_blocks import RARE_BLOCKS, rare_block_rules
from .age_dates import age_blocking_rules, age_levels
from .bloom_sql import dice_sql
from .dob_gross import dob_gross_error
from .dob_levels import dob_level_m
from .name_sql import close, contained, near, part, related, similar, two, typed_twice_both
from .prepare import COARSE_RULE_PAIRS, _rule_pairs
from .pseudo_translit import pseudo_translit_levels
from .registrations import DOB_PART_COLUMNS
from .relatives import RELATIVES_LIFT, relatives_comparison, relatives_name_levels

# estimated m and u helpers, re-exported here so imports from this module keep working
from .splink_estimates import (  # noqa: F401
    _CONFIDENT,
    _NAMESAKES,
    CONFIDENT_MAX_GROUP,
    COVARIATE_DISAGREEMENT,
    COVARIATE_M_BOUNDS,
    COVARIATE_PRIOR_PAIRS,
    NAMESAKE_MIN_PAIRS,
    REGISTRATION_GAP_BOUNDS,
    REGISTRATION_GAP_ELSE,
    REGISTRATION_GAP_YEAR,
    SEX_NAT_DISAGREEMENT,
    SEX_NAT_M_BOUNDS,
    _confident_disagreement,
    _confident_groups,
    _evidence_cols,
    _pairs,
    covariate_agreement_among_namesakes,
    covariate_disagreement,
    namesake_agreement,
    registration_gap_else,
    sex_nat_disagreement,
)

# u of levels no random pair reached and m that EM collapsed (splink_levels), re-exported here
from .splink_levels import ORDERED_COMPARISONS, _same_organisation, fill_unobserved_u, floor_collapsed_m  # noqa: F401
from .translit import translit_levels
from .twin_evidence import same_day_names, sex_differ_level

# ---------------------------------------------------------------------------- model
#: m of "dates of birth wholly different" among true matches, fixed rather than trained (see _dob_else)
DOB_GROSS_ERROR = 0.003
#: m of "both names wholly different" among true matches (plaintext), fixed rather than trained: EM gave it 0.9 %
#: from pairs of different persons born on one day, which made every such pair a 0.1 match
NAME_GROSS_ERROR = 0.001
#: estimate the m of the plaintext date levels from namesake pairs (dob_levels.dob_level_m) instead of by EM
DOB_M_FROM_NAMESAKES = True
#: m of "same year" / "wholly different" from the register (dob_gross.dob_gross_error) instead of DOB_GROSS_ERROR. Off:
#: the floor on the independent registers (with the 1 January and 62-day levels), 0.009-0.03 on ours without gross
#: errors, which doubled the expected missed links of recurring_names seed 2003 (test_linkage_error_estimates.py)
DOB_GROSS_FROM_REGISTER = False
#: plaintext: "sex differs and the first names differ" weighs with the u of random pairs (twin_evidence, tester 20a H1)
SEX_BY_FIRST_NAME = True
#: plaintext: one organisation, one registration day, two different first names is a near-veto (twin_evidence)
SAME_DAY_NAMES = True


def _dob_else(m: float | None = None):
    """The last level of the date-of-birth comparison, with m fixed at `m` (default DOB_GROSS_ERROR).

    EM cannot tell a person recorded with a wholly wrong date of birth from two persons
    who share a name (homonyms are common: a few hundred surnames cover most persons of
    one origin), so in the name-blocked training session it would give this level an m
    of 10-20 % and all but remove the penalty for different dates. The common errors
    (typo, day/month swap, year or day off) have levels of their own; a gross error is
    taken to affect 0.3 % of true matches unless the register shows more
    (:func:`~darkfigure.linkage.dob_gross.dob_gross_error`, plaintext).
    """
    import splink.comparison_level_library as cll

    return cll.ElseLevel().configure(m_probability=DOB_GROSS_ERROR if m is None else m, fix_m_probability=True)


def _sex_nat(p: pd.DataFrame, columns: Sequence[str] = ("sex", "nat"), namesakes: bool = True) -> list:
    """Exact comparisons of sex and nationality, with m of disagreement estimated and u among namesakes.

    Synthetic or not, a true match can disagree on sex or nationality (a recording
    error, a second nationality); EM on clean training blocks would put m at ~0 and
    make one disagreement an absolute veto, and a fixed guess is wrong wherever
    organisations record them differently: m comes from the confident matches
    (:func:`sex_nat_disagreement`). u is that of namesakes born in different
    years (:func:`namesake_agreement`) where there are enough of them: a first name says
    the sex and a name the origin, so two persons who share a name agree on both far more
    often than two random persons do, and taking u from random pairs counts the name's
    evidence again (about 4 bits: a pair that agrees on name, sex and nationality got
    the sex's 1 bit and the nationality's 3 on top of the name's). Otherwise u comes from
    Splink's random pairs. With `namesakes` False (pseudonymised files: their probabilities
    are not recalibrated, and the weaker evidence cost recall 0.95 -> 0.88 on ``typos``),
    u always comes from random pairs.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    cols = [c for c in columns if c in p.columns]
    u = namesake_agreement(p, cols) if namesakes else {}
    m = sex_nat_disagreement(p, cols)
    out = []
    for c in cols:
        agree: dict = {"m_probability": 1 - m[c][0], "fix_m_probability": True}
        differ: dict = {"m_probability": m[c][0], "fix_m_probability": True}
        if c in u:
            agree |= {"u_probability": u[c][0], "fix_u_probability": True}
            differ |= {"u_probability": 1 - u[c][0], "fix_u_probability": True}
        # plaintext: a sex disagreement between different first names has the u of random pairs (twin_evidence)
        names = [sex_differ_level(p, c, m[c][0])] if namesakes and c == "sex" and SEX_BY_FIRST_NAME and {
            "fn", "sn", "fn_srt", "fn_tr", "fn_vw"} <= set(p.columns) else []
        out.append(cl.CustomComparison(output_column_name=c, comparison_levels=[
            cll.NullLevel(c), cll.ExactMatchLevel(c).configure(**agree), *names, cll.ElseLevel().configure(**differ)]))
    return out


def _evidence(p: pd.DataFrame) -> list:
    """Exact comparisons of the person-level covariates (columns ``ev0, ev1, ...`` of prepare._evidence_columns).

    m of agreement and disagreement fixed at the rates of :func:`covariate_disagreement`
    (EM on clean training blocks would make a disagreement an absolute veto; a fixed guess
    is wrong wherever organisations record covariates differently); u fixed at the rates
    among namesakes (:func:`covariate_agreement_among_namesakes`) where there are enough
    of them, otherwise from random pairs; a missing value is the null level (no evidence).
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    u = covariate_agreement_among_namesakes(p)
    out = []
    for c, (m, _) in covariate_disagreement(p).items():
        agree, differ = {"m_probability": 1 - m, "fix_m_probability": True}, {"m_probability": m,
                                                                              "fix_m_probability": True}
        if c in u:
            agree |= {"u_probability": u[c][0], "fix_u_probability": True}
            differ |= {"u_probability": 1 - u[c][0], "fix_u_probability": True}
        out.append(cl.CustomComparison(output_column_name=c, comparison_levels=[
            cll.NullLevel(c), cll.ExactMatchLevel(c).configure(**agree), cll.ElseLevel().configure(**differ)]))
    return out


def _registration_gap(p: pd.DataFrame | None = None):
    """Days between the two registrations: within 30, 90, 180, 270, 365 days, or more (m of the last estimated).

    The organisations that register one person mostly do so around one case (police,
    shelter and coordinators within months), while namesakes are registered at unrelated
    times: for pairs without a date of birth this is the evidence that separates a
    person's second registration from a namesake's. m of "more than a year apart" is
    fixed at :func:`registration_gap_else` (at :data:`REGISTRATION_GAP_ELSE` without `p`);
    EM estimates the other levels.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    m_else = registration_gap_else(p)[0] if p is not None else REGISTRATION_GAP_ELSE
    gap = "abs(reg_day_l - reg_day_r)"
    return cl.CustomComparison(output_column_name="registration_gap", comparison_levels=[
        cll.NullLevel("reg_day"),
        cll.CustomLevel(f"{gap} <= 30", label_for_charts="within 30 days"),
        cll.CustomLevel(f"{gap} <= 90", label_for_charts="within 90 days"),
        cll.CustomLevel(f"{gap} <= 180", label_for_charts="within 180 days"),
        cll.CustomLevel(f"{gap} <= 270", label_for_charts="within 270 days"),
        cll.CustomLevel(f"{gap} <= {REGISTRATION_GAP_YEAR}", label_for_charts="within a year"),
        cll.ElseLevel().configure(m_probability=m_else, fix_m_probability=True),
    ])


#: keep the coarse rules for a missing date however large when they are compared in windows (_plain_settings). Off:
#: at 1M registrations (large_register, seed 1, with the teaching sample) they added 5.0M pairs and 60 CPU-s (wall
#: 149 -> 271 s, over the 180 s target) for recall 0.9069 -> 0.9107 at precision 0.9601 -> 0.9605
COARSE_WINDOWED = False


def _plain_settings(p: pd.DataFrame, windowed: bool = False):
    """Comparisons, blocking rules, training rules and deterministic rules for plaintext registrations.

    With `windowed` and :data:`COARSE_WINDOWED` (the rules go through :func:`darkfigure.linkage.engines.cap_blocks`,
    which compares the large blocks of a rule for a missing date of birth in windows sorted
    by registration date) the coarse rules for a missing date (one name exact, two letters
    of the other) are kept however large their blocks; otherwise only where they hold at
    most :data:`~darkfigure.linkage.prepare.COARSE_RULE_PAIRS` pairs, the others on small blocks (``_rare_blocks``, a
    column each added to `p`). Where the rule on two letters of both names is left out, the rules of
    :func:`~darkfigure.linkage._masked_teach.teach_rules` are added and `p` gets their sample column (``smp``, in place).
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import block_on

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_description="first name and surname",
        comparison_levels=[
            cll.And(cll.NullLevel("fn"), cll.NullLevel("sn")),
            cll.ExactMatchLevel("full_name").configure(label_for_charts="both exact", tf_adjustment_column="full_name"),
            cll.ColumnsReversedLevel("fn", "sn", symmetrical=True).configure(label_for_charts="swapped"),
            *translit_levels()[:2],  # both names equal after folding romanisations (Sjevtsjenko / Shevchenko)
            # one name exact, the other close: the evidence depends on how common the exact one is
            # (Nguyen with a Thi- first name is weak, a rare surname strong), hence its term frequency
            cll.CustomLevel(f"sn_l = sn_r and {close('fn', 'fn')}").configure(
                label_for_charts="surname exact, first name close", tf_adjustment_column="sn"),
            cll.CustomLevel(f"fn_l = fn_r and {close('sn', 'sn')}").configure(
                label_for_charts="first name exact, surname close", tf_adjustment_column="fn"),
            cll.CustomLevel(f"{close('fn', 'fn')} and {close('sn', 'sn')}", label_for_charts="both close"),
            cll.CustomLevel(f"{close('fn', 'sn')} and {close('sn', 'fn')}", label_for_charts="swapped, both close"),
            cll.CustomLevel(f"sn_l = sn_r and {similar('fn', 'fn')}").configure(
                label_for_charts="surname exact, first name similar", tf_adjustment_column="sn"),
            cll.CustomLevel(f"fn_l = fn_r and {similar('sn', 'sn')}").configure(
                label_for_charts="first name exact, surname similar", tf_adjustment_column="fn"),
            cll.CustomLevel(
                f"({similar('fn', 'fn')} and {similar('sn', 'sn')}) or ({similar('fn', 'sn')} and {similar('sn', 'fn')})",
                label_for_charts="both similar (or swapped)",
            ),
            # one name close (a transposition) and the other similar (one edit in a short name): "Alexx Janse" /
            # "Alex Janes" fell through the two levels above to "both wholly different"
            cll.CustomLevel(
                f"({near('fn', 'fn')} and {near('sn', 'sn')}) or ({near('fn', 'sn')} and {near('sn', 'fn')})",
                label_for_charts="both close or similar (mixed)",
            ),
            # one part of a compound first name or double surname ("Tấn Minh"/"Minh", "Fonseca Costa"/"Costa")
            cll.CustomLevel(f"({contained('fn')} and {similar('sn', 'sn')}) or ({contained('sn')} and "
                            f"{similar('fn', 'fn')})", label_for_charts="one name part of the other, other close"),
            # one name exact and the other two edits off in a short name ("Tim van Dijk" / "Tim van Dyk", "Kim" / "Kmi"):
            # weighed by the exact name's frequency
            cll.CustomLevel(f"sn_l = sn_r and {two('fn', 'fn')}").configure(
                label_for_charts="surname exact, first name within two edits", tf_adjustment_column="sn"),
            cll.CustomLevel(f"fn_l = fn_r and {two('sn', 'sn')}").configure(
                label_for_charts="first name exact, surname within two edits", tf_adjustment_column="fn"),
            # typos in both names of short names ("Tim van Nes" / "Tmi van New"): weak alone, decisive with the date
            # of birth
            # (neither exact: one exact name is weighed by its frequency in the levels below, "Fang Li" / "Jing Li")
            cll.CustomLevel(f"fn_l <> fn_r and sn_l <> sn_r and (({two('fn', 'fn')} and {two('sn', 'sn')}) or "
                            f"({two('fn', 'sn')} and {two('sn', 'fn')}))", label_for_charts="both within two edits"),
            # swapped names with a typo or a compound part in one of them ("Eftime Puscasu" / "Puscasu Fftimie",
            # "Marcos Santos Monteiro" / "Monteiro Marcos"): fell through to "both wholly different"
            cll.CustomLevel(f"(fn_l = sn_r and ({two('sn', 'fn')} or {part('sn', 'fn')})) or "
                            f"(sn_l = fn_r and ({two('fn', 'sn')} or {part('fn', 'sn')}))",
                            label_for_charts="swapped, one exact and the other misspelt"),
            # both names misspelt in both registrations (each up to two typos apart, or a compound part): with 15 %
            # typos per name field 2 % of the true matches are here, and with m fixed at NAME_GROSS_ERROR (the else
            # level) they scored 0.005-0.02 with an exact date of birth. Its m is left to EM
            cll.CustomLevel(f"fn_l <> fn_r and sn_l <> sn_r and (({related('fn', 'fn')} and {related('sn', 'sn')}) or "
                            f"({related('fn', 'sn')} and {related('sn', 'fn')}))",
                            label_for_charts="both misspelt twice over"),
            translit_levels()[2],  # both names equal after folding the vowels too (Mohamed Bukhari / Muhammad Boechari)
            *relatives_name_levels(),  # surname exact: first name missing or misspelt; of two persons, m capped (relatives)
            cll.ExactMatchLevel("fn").configure(label_for_charts="first name exact", tf_adjustment_column="fn"),
            # each name misspelt once in each registration (a swap of two letters counted as one typo, which the
            # levels above count as two: "Ojrn Zhcelvis" / "Jodn Schelvis", "Xiulan Xu" / "Xiula Ux"): these fell to
            # "both wholly different" (m fixed at 0.1 %) and scored 0.001-0.03 with an exact date of birth, where
            # every such pair of the tuning populations was one person. m by EM, u from random pairs
            cll.CustomLevel(typed_twice_both(), label_for_charts="both typed twice"),
            # both names wholly different: fixed, as _dob_else, because EM puts namesakes' siblings here
            cll.ElseLevel().configure(m_probability=NAME_GROSS_ERROR, fix_m_probability=True),
        ],
    )
    # m of the date levels from the namesake pairs' mixture (dob_levels.dob_level_m), not EM (at 1M registrations the
    # name-blocked EM gave "exact" m 0.02, 0.85 true; empty: EM trains them); "same year", "else": dob_gross_error
    gross_sy, gross_else = dob_gross_error(p, DOB_GROSS_ERROR)[:2] if DOB_GROSS_FROM_REGISTER else (DOB_GROSS_ERROR,) * 2
    dob_m = dob_level_m(p, (gross_sy, gross_else)) if DOB_M_FROM_NAMESAKES else {}

    def fix(label: str) -> dict:
        """Settings of the date level `label`: its estimated m, fixed (none when not estimated)."""
        return {"m_probability": dob_m[label][0], "fix_m_probability": True} if label in dob_m else {}

    dob = cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_description="date of birth",
        comparison_levels=[
            cll.NullLevel("dob"),
            # 1 January is what many systems record when only the year is known: two persons born in one year
            # share it far more often than any other date
            cll.CustomLevel("dob_l = dob_r and dob_md_l = '01-01'", label_for_charts="exact, 1 January").configure(**fix("exact, 1 January")),
            cll.ExactMatchLevel("dob").configure(label_for_charts="exact", tf_adjustment_column="dob", **fix("exact")),
            *age_levels(p, fix),  # one date derived from an age (age_dates): its year is all that is compared
            # near misses of a common date say little: term frequencies of the dates (not for 1 January, which
            # stands in for an unknown date: 2002-01-01 and 2009-01-01 are unrelated)
            cll.CustomLevel("levenshtein(dob_l, dob_r) <= 1 and dob_md_l <> '01-01' and dob_md_r <> '01-01'").configure(
                label_for_charts="one digit differs", tf_adjustment_column="dob", **fix("one digit differs")),
            cll.CustomLevel(
                "dob_y_l = dob_y_r and dob_m_l = dob_d_r and dob_d_l = dob_m_r", label_for_charts="day/month swapped"
            ).configure(**fix("day/month swapped")),
            cll.CustomLevel(
                "dob_m_l = dob_m_r and dob_d_l = dob_d_r and abs(cast(dob_y_l as int) - cast(dob_y_r as int)) <= 2",
                label_for_charts="year off by 1-2",
            ).configure(tf_adjustment_column="dob", **fix("year off by 1-2")),
            cll.CustomLevel(
                "dob_y_l = dob_y_r and dob_m_l = dob_m_r and abs(cast(dob_d_l as int) - cast(dob_d_r as int)) <= 2",
                label_for_charts="day off by 1-2",
            ).configure(**fix("day off by 1-2")),
            cll.CustomLevel(
                "dob_y_l = dob_y_r and dob_d_l = dob_d_r and abs(cast(dob_m_l as int) - cast(dob_m_r as int)) = 1",
                label_for_charts="month off by 1",
            ).configure(**fix("month off by 1")),
            # two parts off a little (year off by one and day off by one, a day/month swap with the year off): both
            # registrations carry a date error; these fell to "wholly different" (m fixed at 0.3 %)
            cll.CustomLevel(
                "abs(cast(dob_y_l as int) - cast(dob_y_r as int)) <= 2 and ((abs(cast(dob_m_l as int) - "
                "cast(dob_m_r as int)) <= 1 and abs(cast(dob_d_l as int) - cast(dob_d_r as int)) <= 2) or "
                "(dob_m_l = dob_d_r and dob_d_l = dob_m_r))",
                label_for_charts="two parts off a little",
            ).configure(**fix("two parts off a little")),
            # 1 January stands in for an unknown day and month
            cll.CustomLevel("dob_y_l = dob_y_r and (dob_md_l = '01-01' or dob_md_r = '01-01')",
                            label_for_charts="same year, one is 1 January").configure(
                                **fix("same year, one is 1 January")),
            # an age turned into 1 January of a birth year, which is off by one for most of the year ("35" given in
            # March 2023 is 1988-01-01 for a person born in October 1987), and a date a few weeks off (an
            # approximate date, a date of entry): both fell to "same year" or "wholly different"
            cll.CustomLevel("abs(cast(dob_y_l as int) - cast(dob_y_r as int)) = 1 and "
                            "(dob_md_l = '01-01' or dob_md_r = '01-01')",
                            label_for_charts="one is 1 January, year off by 1").configure(
                                **fix("one is 1 January, year off by 1")),
            cll.CustomLevel("abs(dob_day_l - dob_day_r) <= 62", label_for_charts="within 62 days").configure(
                **fix("within 62 days")),
            # month and day both wrong but the year right: as rare among true matches as a wholly wrong date, and
            # fixed for the same reason (EM takes namesakes born in one year for true matches: m of 1 % there)
            cll.ExactMatchLevel("dob_y").configure(label_for_charts="same year", m_probability=gross_sy,
                                                   fix_m_probability=True),
            _dob_else(gross_else),
        ],
    )
    comparisons = [name, dob]
    comparisons += _sex_nat(p)
    comparisons += _evidence(p)
    if "reg_day" in p.columns:
        comparisons.append(_registration_gap(p))
    if "org" in p.columns:
        comparisons.append(_same_organisation())
    if SAME_DAY_NAMES and {"org", "reg_day", "sex"} <= set(p.columns):  # one organisation, one day, two names
        comparisons.append(same_day_names())
    rel = relatives_comparison(p) if RELATIVES_LIFT else None  # date and registration day of relatives (relatives)
    comparisons += [rel] if rel is not None else []
    # Each rule survives errors in the fields it does not use; together they survive any error in one field
    # and the common pairs of errors (a name typo with a missing or wrong date of birth). The rules for a
    # missing date join on a name and the Soundex code (or, when cheap, two letters) of the other and keep
    # only pairs where a date is missing. Sizes on 1M synthetic registrations with recurring names: 1-5M
    # pairs each, 20M for the name pair.
    rules = [
        block_on("dob", "ini"),
        block_on("dob", "fn1"),
        block_on("dob", "sn1"),
        # a typo in the first letter of one name, or swapped names with a typo (the last two letters survive)
        block_on("dob", "fn_s2"), block_on("dob", "sn_s2"),
        block_on("name_pair"), block_on("tr_pair"),  # names in either order, as written and folded (translit)
        block_on("sn", "dob_md"),
        block_on("fn", "dob_md"),
        block_on("sn", "dob_y", "fn_sx"),
        block_on("fn", "dob_y", "sn_sx"),
        # a name typo that changes the Soundex code, with the day or the month of birth off
        block_on("sn", "dob_y", "dob_m"), block_on("fn", "dob_y", "dob_m"),
        block_on("sn", "dob_y", "dob_d"),
        block_on("fn", "dob_y", "dob_d"),
        # a day/month swap with a typo in the other name (one name and the year with month and day in either order);
        # swapped names with the year or the month and day wrong; Soundex codes of both names with the year
        block_on("sn", "dob_y", "dob_mdx"), block_on("fn", "dob_y", "dob_mdx"),
        "l.fn = r.sn and l.dob_md = r.dob_md",
        "l.sn = r.fn and l.dob_md = r.dob_md",
        "l.fn = r.sn and l.dob_y = r.dob_y",
        "l.sn = r.fn and l.dob_y = r.dob_y",
        block_on("fn_sx", "sn_sx", "dob_y"),
        block_on("fn_sx", "sn_sx", "dob_mdx"),
    ]
    # the rules for a missing date filter one side (l or r) so that DuckDB joins only the undated registrations against
    # the rest ("(l.dob is null or r.dob is null)" would apply after the full join). Name, Soundex code of the other:
    nodob_keys = [(("fn_sx", "fn_sx"), ("sn_sx", "sn_sx")), (("sn", "sn"), ("fn_sx", "fn_sx")),
                  (("fn", "fn"), ("sn_sx", "sn_sx"))]
    # a typo that changes the Soundex code (first letter, a consonant), also with swapped names: first or last
    # two letters. Coarse keys: used only when their blocks are small (see _rule_pairs; windowed: 10,028 undated true
    # pairs at 1M registrations were compared by no rule without them)
    coarse = [(("sn", "sn"), ("fn_p2", "fn_p2")), (("sn", "sn"), ("fn_s2", "fn_s2")),
              (("fn", "fn"), ("sn_p2", "sn_p2")), (("fn", "fn"), ("sn_s2", "sn_s2")),
              (("fn", "sn"), ("sn_p2", "fn_p2")), (("sn", "fn"), ("fn_p2", "sn_p2")),
              (("fn", "sn"), ("sn_s2", "fn_s2")), (("sn", "fn"), ("fn_s2", "sn_s2"))]
    kept = [k for k in coarse if (windowed and COARSE_WINDOWED) or _rule_pairs(p, k, "dob") <= COARSE_RULE_PAIRS]
    nodob_keys += kept
    rules += rare_block_rules(p, [k for k in coarse if k not in kept]) if RARE_BLOCKS else []  # the others: small blocks
    # swapped names with a typo in the first letter of one, date of birth right (5M pairs at 1M registrations)
    for k in ((("dob", "dob"), ("fn1", "sn1")), (("dob", "dob"), ("sn1", "fn1"))):
        if _rule_pairs(p, k, None) <= COARSE_RULE_PAIRS:
            rules.append(" and ".join(f"l.{a} = r.{b}" for a, b in k))
    # typos in both names (whatever the date of birth says): the first two letters of both names (also swapped),
    # the last two, the Soundex code of one name with the initial of the other, the Soundex codes without their
    # first letters. Cheap in registers of a few thousand persons; left out when a key's blocks are large
    # (common names at 1M registrations)
    fuzzy = [(("fn_p2", "fn_p2"), ("sn_p2", "sn_p2")), (("fn_p2", "sn_p2"), ("sn_p2", "fn_p2")),
             (("fn_s2", "fn_s2"), ("sn_s2", "sn_s2")), (("sn_sx", "sn_sx"), ("fn1", "fn1")),
             (("fn_sx", "fn_sx"), ("sn1", "sn1")), (("fn_sxt", "fn_sxt"), ("sn_sxt", "sn_sxt"))]
    for k in fuzzy:
        if _rule_pairs(p, k, None) <= COARSE_RULE_PAIRS:
            rules.append(" and ".join(f"l.{a} = r.{b}" for a, b in k))  # the first: MISSPELT_NAMES_RULE
    if not misspelt_names_blocked(rules):
        # the dated pairs that teach the masked calibration the weight of misspelt names (_masked_teach)
        p[TEACH_COLUMN] = teach_sample(len(p))
        rules += teach_rules()
    rules += age_blocking_rules(p, nodob_keys)  # a date derived from an age is blocked as a missing one (age_dates)
    for k in nodob_keys:
        keys = " and ".join(f"l.{a} = r.{b}" for a, b in k)
        rules += [f"l.dob is null and {keys}", f"r.dob is null and {keys}"]
    training = [block_on("dob"), block_on("name_pair")]
    deterministic = ["l.fn = r.fn and l.sn = r.sn and l.dob = r.dob"]
    return comparisons, rules, training, deterministic


#: the blocking rule on the first two letters of both names (plaintext; :func:`_plain_settings` keeps it only where
#: its blocks are small)
MISSPELT_NAMES_RULE = "l.fn_p2 = r.fn_p2 and l.sn_p2 = r.sn_p2"


def misspelt_names_blocked(rules: Sequence) -> bool:
    """Whether the blocking rules compare pairs with both names misspelt whatever their dates of birth.

    The date-masked calibration (:func:`darkfigure.linkage.calibration.calibrate_masked`)
    learns from the dated pairs how often a pair with misspelt names is one person
    (:func:`~darkfigure.linkage.calibration.name_frequency_features`). That is what
    undated pairs need only when misspelt dated pairs were compared on their names alone,
    as undated pairs are: where the rules on two letters or the Soundex codes of both names
    are left out (blocks too large: 200,000 registrations with recurring names), the
    misspelt dated pairs that were scored at all were compared because their dates agree,
    nearly all of them are one person, and their weights would make every undated
    namesake with a typo a match (measured at 200k: precision 0.960 -> 0.936). There only
    the registration features are learnt (they choose no pairs). True when
    :data:`MISSPELT_NAMES_RULE` is among `rules` (strings or Splink blocking rules).
    """
    return any(MISSPELT_NAMES_RULE in (r if isinstance(r, str) else str(getattr(r, "blocking_rule_sql", r)))
               for r in rules)


#: blocking tokens of pseudonymised files used only when their blocks hold at most COARSE_RULE_PAIRS pairs
_COARSE_TOKENS = ("tok_block_sx_sorted", "tok_block_p2_sorted", "tok_block_s2_sorted", "tok_block_sn_fnsx",
                  "tok_block_fn_snsx")


def _pseudo_settings(p: pd.DataFrame, widths: dict[str, int]):
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import block_on

    has = set(p.columns)

    def d(a: str, b: str | None = None) -> str:
        """SQL: Dice similarity of Bloom-filter columns a and b (same column when b is None)."""
        return dice_sql(a, b or a, widths[a])

    # Dice thresholds for the diffused filters of darkfigure.linkage.pseudonymise (unrelated names: median 0.31,
    # 99.9th percentile 0.63; one typo about 0.6-0.9; dates: year off by one 0.74, day/month swap or day off 0.5)
    levels: list = []
    fn, sn = "bf_first_name", "bf_surname"
    if fn not in widths or sn not in widths or not {"tok_first_name", "tok_surname"} <= has:
        raise DataError("pseudonymised registrations need bf_first_name, bf_surname, tok_first_name and tok_surname")
    levels.append(cll.And(cll.NullLevel(f"{fn}__n"), cll.NullLevel(f"{sn}__n")))
    levels.append(cll.ExactMatchLevel("tok_full").configure(label_for_charts="both tokens equal",
                                                             tf_adjustment_column="tok_full"))
    if "tok_block_fn_sn_sorted" in has:
        # exact swaps: the sorted-names token (swaps with a typo: the cross-field Dice levels below)
        levels.append(cll.ExactMatchLevel("tok_block_fn_sn_sorted").configure(label_for_charts="swapped"))
    folded, vowels = pseudo_translit_levels(has)  # names folded over romanisations, where tokenised (as plaintext)
    levels += folded
    for t in (0.8, 0.6, 0.5):
        # one name equal and the other similar, weighted by how common the equal one is (as for plaintext); 0.5: a
        # typo in a short name (unrelated names: 99th percentile 0.48), for EM to weigh
        levels.append(cll.CustomLevel(f"tok_surname_l = tok_surname_r and {d(fn)} >= {t}").configure(
            label_for_charts=f"surname equal, first name Dice >= {t}", tf_adjustment_column="tok_surname"))
        levels.append(cll.CustomLevel(f"tok_first_name_l = tok_first_name_r and {d(sn)} >= {t}").configure(
            label_for_charts=f"first name equal, surname Dice >= {t}", tf_adjustment_column="tok_first_name"))
        levels.append(cll.CustomLevel(f"{d(fn)} >= {t} and {d(sn)} >= {t}", label_for_charts=f"both Dice >= {t}"))
        # the two name filters share one sub-key (encoding version 2): swapped names with a typo
        levels.append(cll.CustomLevel(f"{d(fn, sn)} >= {t} and {d(sn, fn)} >= {t}",
                                      label_for_charts=f"swapped, both Dice >= {t}"))
    levels += vowels
    levels.append(cll.ExactMatchLevel("tok_surname").configure(label_for_charts="surname token equal",
                                                                tf_adjustment_column="tok_surname"))
    levels.append(cll.ExactMatchLevel("tok_first_name").configure(label_for_charts="first name token equal",
                                                                   tf_adjustment_column="tok_first_name"))
    # both names wholly different: m fixed as for plaintext (EM gave it 3.5 %: namesakes' relatives born on one day)
    levels.append(cll.ElseLevel().configure(m_probability=NAME_GROSS_ERROR, fix_m_probability=True))
    comparisons = [cl.CustomComparison(output_column_name="name", comparison_levels=levels)]
    dob = "bf_date_of_birth"
    dlev: list = []
    if "tok_date_of_birth" in has:
        dlev += [cll.NullLevel("tok_date_of_birth"),
                 cll.ExactMatchLevel("tok_date_of_birth").configure(label_for_charts="exact",
                                                                     tf_adjustment_column="tok_date_of_birth")]
    elif dob in widths:
        dlev += [cll.NullLevel(f"{dob}__n")]
    if set(DOB_PART_COLUMNS) <= has and "tok_date_of_birth" in has:
        # partial agreement from keyed tokens of the date's parts (encoding version 2), as the plaintext levels
        def anyeq(cols: Sequence[str]) -> str:
            """SQL condition: the pair agrees on any of the token columns `cols` (``c_l = c_r``, or-ed)."""
            return "(" + " or ".join(f"{c}_l = {c}_r" for c in cols) + ")"

        dlev += [
            cll.ExactMatchLevel("tok_dob_swap").configure(label_for_charts="day/month swapped"),
            cll.CustomLevel(anyeq([f"tok_dob_md_y{o}" for o in range(3)]), label_for_charts="year off by 1-2"),
            cll.CustomLevel(anyeq([f"tok_dob_ym_d{o}" for o in range(3)]), label_for_charts="day off by 1-2"),
            cll.CustomLevel(anyeq([f"tok_dob_yd_m{o}" for o in range(2)]), label_for_charts="month off by 1"),
        ]
    elif dob in widths:
        dlev.append(cll.CustomLevel(f"{d(dob)} >= 0.7", label_for_charts="Dice >= 0.7 (year off by one)"))
        dlev.append(cll.CustomLevel(f"{d(dob)} >= 0.45", label_for_charts="Dice >= 0.45 (day/month swap, day off)"))
    if "tok_birth_year" in has:
        dlev.append(cll.ExactMatchLevel("tok_birth_year").configure(label_for_charts="same year"))
    if dlev:
        dlev.append(_dob_else())
        comparisons.append(cl.CustomComparison(output_column_name="date_of_birth", comparison_levels=dlev))
    for clear, tok in (("sex", "tok_sex"), ("nat", "tok_nationality")):
        if clear in has:
            comparisons += _sex_nat(p, [clear], namesakes=False)
        elif tok in has:
            comparisons += _sex_nat(p, [tok], namesakes=False)
    comparisons += _evidence(p)
    if "reg_day" in has:
        comparisons.append(_registration_gap(p))
    if "org" in has:
        comparisons.append(_same_organisation())
    # the coarse keys (two letters or Soundex codes of both names) only where their blocks are small
    rules = [block_on(c) for c in sorted(c for c in has if c.startswith("tok_block_"))
             if c not in _COARSE_TOKENS or _rule_pairs(p, [(c, c)], None) <= COARSE_RULE_PAIRS]
    # as for plaintext: one name exact with the other misspelt and the date of birth missing (the keyed
    # blocking tokens all need a date or both names); the clear sex and nationality keep these blocks small
    nodob = "(l.tok_date_of_birth is null or r.tok_date_of_birth is null)"
    extra = [c for c in ("sex", "nat") if c in has]
    for name in ("tok_surname", "tok_first_name"):
        rules.append(" and ".join([f"l.{c} = r.{c}" for c in (name, *extra)] + [nodob]))
    rules += [block_on("tok_surname", "tok_birth_year"), block_on("tok_first_name", "tok_birth_year")]
    if not rules:
        raise DataError(
            "the pseudonymised files have no blocking tokens (tok_block_*): re-create them with "
            "`darkfigure pseudonymise`"
        )
    training = []
    if "tok_date_of_birth" in has:
        training.append(block_on("tok_date_of_birth"))
    if "tok_block_fn_sn_sorted" in has:
        training.append(block_on("tok_block_fn_sn_sorted"))
    elif {"tok_first_name", "tok_surname"} <= has:
        training.append(block_on("tok_first_name", "tok_surname"))
    det = []
    if {"tok_first_name", "tok_surname", "tok_date_of_birth"} <= has:
        det = ["l.tok_first_name = r.tok_first_name and l.tok_surname = r.tok_surname "
               "and l.tok_date_of_birth = r.tok_date_of_birth"]
    return comparisons, rules, training or rules[:2], det
