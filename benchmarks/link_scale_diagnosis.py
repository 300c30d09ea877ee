"""Where pairwise precision and recall are lost when linking a large register with recurring names.

Links the registrations of ``bench_link.py`` (``simulate_registrations("clearing_house",
scale=S, errors="recurring_names")``, cached in the temporary folder) once in this process
and compares the persons found with the true ones, pair by pair:

- missed matches (true pairs not in one found person): never compared by any blocking
  rule (and whether a rule cut by ``engines.cap_blocks`` would have compared them),
  compared but scored below the stored floor (0.001), scored in [0.001, 0.5), or scored
  at or above 0.5 and still apart (the competition of registrations without a date of
  birth, the cluster split); each by whether the two registrations have a date of birth;
- false links (found pairs of two persons): linked directly (a scored pair at or above
  0.5) or only through others (chaining), by agreement pattern (names exact, date of
  birth equal / missing / different) and by the size of the found person;
- the blocking rules: true pairs each rule compares, and those only it compares.

It prints tables; nothing is asserted. Timings here are not the benchmark's (one process,
with the diagnosis), see ``bench_link.py`` for those.

Measured 2026-12-05 (seed 1, code of commit 787871c: with the cluster split, before the blocking rules for a
day/month swap with a typo and for swapped names with a wrong year):

- 200,197 registrations (``--scale 25``): precision 0.966, recall 0.897. Of 102,191 true pairs 10,558 missed:
  1,239 never compared by any rule (644 dated pairs whose dates differ, 557 with one date missing; 1,660 true
  pairs in all, some joined through others), 30 only in blocks the cut dropped, 259 compared and scored below 0.001, 8,462 scored 0.001-0.5
  (7,282 with one date of birth missing: 3,927 of them with both names exact, among 2 to hundreds of namesakes)
  and 568 scored at or above 0.5 but kept apart (competition of undated registrations, the split). 3,231 false
  pairs of 94,864 found: 2,681 linked directly at >= 0.5 (1,664 with one date missing, 626 with different dates,
  248 same date), the rest through chains; no found person above 10 registrations. Re-clustering the same
  scored pairs: without the split 0.947/0.906, without the competition 0.947/0.908, threshold 0.3 0.930/0.925,
  0.7 0.983/0.865, the undated pairs' odds x e (+1 logit) 0.950/0.917, dated pairs alone 0.986/0.775: the
  trade-off runs along F1 0.93, set by the undated pairs' evidence, not by the clustering.
- 1,022,521 registrations (default ``--scale 127``): precision 0.976, recall 0.795 (700,607 persons for
  635,710; before the split 0.857/0.818). Of 524,024 true pairs 107,290 missed: 19,432 never compared by any
  rule even uncut (13,798 with one date missing: the coarse rules for a missing date, a name and two letters
  of the other, are left out at this size; 3,922 with different dates; 897 both undated), 17,591 only in
  blocks the cut dropped (15,999 with one date missing, common names), 1,116 scored below 0.001, 66,300 scored
  0.001-0.5 (44,017 with one date missing, 14,870 with different dates, 4,584 same date) and 2,851 at or above
  0.5 but apart. So blocking costs 0.071 of recall at 1M against 0.012 at 200k. 10,227 false pairs of 426,961
  (8,545 direct: 4,835 with one date missing, 1,846 different dates, 1,438 same date).

The namesake bound on recall (:func:`namesake_bound`, printed first; ``--bound-only`` stops there): 0.9849 at 200k
(19.3% of the true pairs with an undated registration), 0.9635 at 1M (19.1%; 72,367 of the 100,026 undated pairs
among k = 1 persons, 10,284 among 2, 447 among 50 or more).

By evidence (2026-12-05, code of commit f718a75, seed 1; the tables ``evidence_table`` prints, ``--frontier``; the 1M
figures from one run of ``link`` that kept the probabilities before the competition, 274 CPU-s, wall 767 s at load
10-14, peak 3.12 GB with the copies of the scored pairs):

    registrations          100,712           200,197           1,022,521
    precision / recall     0.9635 / 0.9425   0.9647 / 0.9085   0.9728 / 0.8123
    namesake bound         0.9904            0.9849            0.9635
      without the year     0.9807            0.9717            0.9440
    true pairs: both dated 41,043 (0.992)    80,635 (0.987)    414,293 (0.947)
      one undated          10,164 (0.756)    20,278 (0.619)    103,398 (0.307)
      both undated         634 (0.752)       1,278 (0.569)     6,333 (0.285)

(recall of each kind in brackets). Recall falls with size for two reasons. (1) Pairs with an undated registration:
their recall follows the number of true persons who carry the pair's exact first name + surname (at 200k, exact
names: 1 person 0.999, 2 0.91, 3-5 0.73, 6-20 0.22, 21-100 0.001; misspelt names about 0.6 of that), and that
number grows with the register: at 1M 53,191 of the 103,398 one-undated true pairs are among 6 or more namesake
persons (recall 0.11 or less), 24,073 among one (0.68). Of the 71,690 one-undated pairs missed at 1M 15,915 were
never scored, 45,432 scored below 0.5 by the model and the rest were pushed below by the competition or kept apart;
at 100k: 237 never scored, 1,289 scored below 0.5, 750 competed below 0.5, 203 scored at or above 0.5 and apart.
(2) Dated pairs: 0.992 at 100k, 0.947 at 1M (22,147 missed, 0.042 of recall: 3,349 never scored, 17,516 scored
0.001-0.5, 13,419 of them 0.1-0.5, 1,282 at or above 0.5 and apart): at 1M dated pairs in 0.3-0.5 are 47-56%
true (under-confident; at 200k 18-30%, over-confident), so the fixed shift of the dated pairs
(``CALIBRATION_SHIFT``, fitted at 5,000 persons) does not carry to a million; cutting them at 0.3 instead gains
0.016 of recall for 0.015 of precision there.

None of the cuts moves the trade-off: re-clustering the same scored pairs with the undated pairs cut at 0.2-0.5
and the dated at 0.3 or 0.5 stays on one F1 (100k: 0.948-0.954; 200k: 0.932-0.939, undated at 0.3: 0.9517/0.9264;
1M: 0.885-0.896, undated and dated at 0.3: 0.9427/0.8537). At 200k neither the competition's form (a group's odds
as the mean of its log-odds 0.9650/0.9060, a penalty x0.2 when the group already holds a registration of the undated
one's organisation 0.9666/0.9029, weight 0.5 for "a new person" 0.9613/0.9122) nor an oracle recalibration of the
undated pairs on the truth itself (logistic, in-sample, with the name-frequency and registration features and the
count of the full name: 0.9684/0.9082) nor a free slope for the dated pairs (fitted on the tuning settings standard
1-2 and messy 1: a = 1.52, b = 1.05; 0.9693/0.9057, and 0.9838/0.9763, 0.9790/0.9694 on inconsistent_covariates
seeds 1-2 against 0.9833/0.9772, 0.9790/0.9698) leaves F1 0.934-0.939: the pairwise evidence is used up.
After the competition the undated pairs are under-confident at 1M (0.4-0.5: 58% true, 0.3-0.4: 44%) and about
right at 200k (0.4-0.5: 53%).

So the target of recall 0.95 at 1M on ``recurring_names`` lies above what the registrations identify: the namesake
bound without the simulator's calendar year (every person's registrations fall in one year, which real registers
do not promise) is 0.944, and it counts every dated pair as found, every undated registration as having a match,
and no false link.

Why the dated pairs' calibration drifts with size (2026-12-05, later; seed 1, the same data at scale 1, 2.5 and 12.5,
``link`` at its defaults with the scored pairs captured after ``clustering._edges``; the truth only measures):

    registrations                      7,929          20,082         100,712
    prior lambda: refitted / true      1.24e-4 / 1.29e-4  5.07e-5 / 5.21e-5  9.81e-6 / 1.02e-5
    dated pairs: sum p / true matches  3,137 / 3,171  8,168 / 8,246  39,956 / 40,776
    shift that calibrates them         +1.32          +0.83          +0.95     (slope 1, fitted on the truth)
      free: a, b                       1.46, 1.06     1.07, 1.17     1.09, 1.12
    fitted on the date levels          1.34, 1.35     0.84, 1.26     0.95, 1.09 (dated_date_calibration, free b)

(1) The prior is not it below a million: the EM fixed point of ``_edges`` is within 4% of the true share of
matching record pairs at every size (logit difference 0.03-0.04), and the uncalibrated dated probabilities already
add up to the number of true dated matches within 2%. (2) The fixed shift is: +1.95 was fitted on ``standard`` and
``messy`` (5,000 persons), where the dated pairs between 0.01 and 0.99 are mostly true matches with misspelt names
that the name levels under-weigh; on ``recurring_names`` they are mostly namesakes, and the shift that calibrates
them is +0.8 to +1.3 at every size from 8,000 to 100,000 registrations. With +1.95 dated pairs at 0.3-0.5 were
10-17% true at 20k and 100k, at 0.6-0.7 33-45% (over-confident: the odds 2-3 times too high), uniformly over the
agreement patterns (names exact / one name / swapped, year equal / different). (3) Namesakes are born in the same
year no more often than two random persons (100k, pairs of distinct persons with one exact name: same year 0.0314
against 0.0329, one or two years apart 0.126 against 0.127): given the match status the date comparison is
independent of the rest, so the date levels of a register's dated pairs identify how often their other evidence is
one person (``calibration.dated_date_calibration``: the mixture likelihood ``prod (pi BF_dob + 1 - pi)``,
``pi = expit(a + b x)``, ``x = logit p - log BF_dob``), without the truth. It recovers the truth-fitted calibration at
100k (0.95, 1.09 against 1.09, 1.12). With it (free slope) the dated pairs are calibrated at every size (100k, share
true by band: 0.2-0.3 0.26 at mean 0.25, 0.4-0.5 0.53 at 0.44, 0.6-0.7 0.74 at 0.65, 0.8-0.9 0.91 at 0.86; the sum of
the probabilities 40,609 for 40,776 true) and precision / recall go 0.9867 / 0.9867 -> 0.9886 / 0.9847 (8k),
0.9840 / 0.9796 -> 0.9894 / 0.9758 (20k), 0.9635 / 0.9425 -> 0.9726 / 0.9367 (100k). At 5,000 persons the free
slope (1.35) cost held-out recall (0.003-0.004 on seed 11: misspelt names with an agreeing date pushed down); with
the shift alone (b = 1): a = 0.71 at 20k (0.9887 / 0.9777), 0.87 at 100k (0.9720 / 0.9377; the dated pairs' sum of
probabilities 40,713 for 40,776 true; 0.1-0.2: 0.09 true at mean 0.15, 0.4-0.5 0.53 at 0.45, 0.6-0.7 0.70 at 0.65).

At a million registrations it fails (one run, ``probe`` of the same kind, b = 1, load 3-13, 255 user + 31 system
CPU-s, wall 651 s, peak 3.37 GB): it fits a = 1.27 where the truth asks +2.31 (free: 2.81, 1.16), so the dated pairs
are under-confident (0.1-0.2: 35% true at mean 0.15, 0.3-0.4 60% at 0.35, 0.5-0.6 82% at 0.55; their probabilities
sum to 385,017 for 411,250 true) and precision / recall go 0.9728 / 0.8123 -> 0.9803 / 0.7959. Two things change at
that size: (1) the prior's fixed point falls short of the truth (7.98e-7 against 1.00e-6, logit -0.23; 0.03-0.04 up
to 100k): the true pairs that the cut blocks and the rules left out at this size never compare count as p = 0, and
the uncalibrated dated probabilities sum to 351,205 for 411,250 true (within 2% up to 100k); (2) what the dates
identify no longer matches: with the prior 100 times smaller the pairs that qualify (expit(x) >= 0.01 at the fitted
prior; 175,972 used) are rarer-named than the ambiguous ones the truth-fitted shift is set by, and the shift needed
grows with the evidence (free b 1.16), so a fit on the qualifying pairs under-shoots. Not found out in the time: how
the needed shift varies with x among the dated pairs at 1M, and whether the model's m of the date levels (EM on 2M
sampled pairs) differs there. So ``calibration.DATED_SELF_CALIBRATION`` is off and the fixed +1.95 stays (closer at
1M than the fitted shift; 1.0 too high at 20k-100k).

The model itself scores true dated pairs lower at 1M. The shift each band of the uncalibrated logit p needs (logit of
the share true minus the band's mean logit p; dated pairs):

    logit p band        -6..-5  -5..-4  -4..-3  -3..-2  -2..-1  -1..0   0..2
    100k: pairs         4,542   1,741   835     670     481     507     2,167
          share true    0.004   0.020   0.030   0.110   0.360   0.679   0.908
          shift needed  +0.07   +0.75   +0.03   +0.43   +0.93   +1.20   +1.14
    1M:   pairs         74,535  33,141  20,826  18,795  16,130  19,760  69,768
          share true    0.016   0.077   0.247   0.492   0.701   0.912   0.987
          shift needed  +1.41   +2.08   +2.41   +2.49   +2.36   +2.81   +3.14

At ten times the registrations the bands hold 10-40 times the pairs, mostly true: 19,766 pairs with exact names and
an exact date of birth sit at logit p between -4 and 2 (mean 0.93, i.e. p 0.72) and are 95% true; 32,643 with exact
names and the same birth year (mean -1.53) 53% true; 38,159 with one name exact and the date exact 94% true. Up to
100k such pairs score near 1. The prior explains 0.23 of the 2-3 logits; the rest is the model trained at 1M
(m by EM on 2M sampled pairs of blocks that are far larger there, u by 2M random pairs, term frequencies of names
that recur more). No calibration fitted on pairs the model already separates can see this.

The cause (the trained models compared, ``link`` at its defaults at 100k and 1M, seed 0, ``LinkageResult.model``): EM's
m of the date-of-birth agreement levels falls 2-7 fold at 1M while their u stays: exact 0.169 -> 0.0225 (ln m/u
7.54 -> 5.63), "exact, 1 January" 4.74 -> 2.41, one digit differs 2.12 -> 0.88, day/month swapped 4.53 -> 2.66, year
off by 1-2 2.06 -> 1.03, day off 1.87 -> 1.12, month off 2.77 -> 1.77 (ln BF); "same year" and "else" are fixed (m
0.003) and unchanged. So every true dated pair loses about 1.9 logits at 1M, plus 0.23 from the prior: the 2-3 logits
above. The name levels barely move (both exact 10.10 -> 9.81, swapped 10.32 -> 9.04, surname exact and first name
close 9.55 -> 8.61; u from random pairs), nor do sex, nationality, covariates or the registration gap. The date's m
comes from the EM session blocked on the names (2M sampled pairs, ``em_max_pairs``): at 1M the name blocks are
dominated by namesakes of common names, whom that session cannot tell from matches by their dates alone at its fixed
u. Not fixed here (found at the deadline): the m of the date levels estimated from confident matches as the covariates'
m is (``splink_estimates``), or an EM sample that does not grow more namesake-heavy with the register, are the
candidates; the fixed +1.95 then needs refitting.

Then (2026-12-05, late): the m of the date levels from the mixture of pairs with one exact first name and surname
(groups of at most 20 registrations, both dated), ``f_k = pi m_k + (1 - pi) u_k`` with u_k among random dated pairs
and m of "same year" and "else" fixed, so pi from those two levels (``dob_levels.dob_level_m``). At 200k it recovers
the true m (exact 0.8437 against 0.8494, one digit 0.0776 / 0.0774, day/month swapped 0.0137 / 0.0142, 1 January
0.0222 / 0.0222; 1 CPU-s); at 1M it gives the same (exact 0.8436). With these m fixed the uncalibrated dated pairs
are calibrated at 200k and 1M (slope-1 shift fitted on the truth -0.03 and -0.07; every band of logit p from -3 to 4
needs -0.3 to +0.1), while at 5,000 persons they still need +1.1 to +2.5 (standard 1-2 +1.13, +1.24, messy 1-2 +1.36,
+2.48: misspelt names under-weighed there; EM's date m are close to these at that size, 0.82 against 0.90 for
"exact"). No fixed shift fits both, so the dated pairs' shift is fitted on each register
(``calibration.DATED_SELF_CALIBRATION`` on): at 5,000 persons it fits +1.30, +1.45, +1.95, +1.99 on those four; at
200k and 1M it fitted +0.96 and +1.30 until restricted to pairs with exact names whose name block the cut keeps whole
(``calibration._uncut_namesakes``: other pairs with strong name evidence are compared there only when their dates
partly agree, which biases the mixture up), +0.37 at 200k and +0.30 at 1M after. ``bench_link.py`` has the precision
and recall (1M: 0.9632 / 0.8298; one run with the scored pairs kept, 206 CPU-s, wall 472 s at load 6).

What is left at 1M is the undated pairs' date-masked calibration: fitted on the dated pairs with their dates hidden
it has slope b = 0.42 (a = 1.80) there, so the undated pairs are over-confident by 1.2-3.6 logits between logit q -6
and 0 (e.g. -2..-1: 313,000 pairs, 4.4% true at mean 19.6%) and under-confident by 0.6 above 1 (1..2: 88% true at
80%). At 1M most dated pairs with a partial name are compared because their dates partly agree (the coarse name
rules are left out), so among them the matches are over-represented whatever the names say. Fitting that curve on
_uncut_namesakes only as well overshoots at 200k (b 0.87 -> 1.36; 0.9683 / 0.9081 -> 0.9719 / 0.8951, undated
under-confident by 0.7-0.9 below logit -2): not adopted, not tried at 1M.

Run: python benchmarks/link_scale_diagnosis.py [--scale 25] [--max-block B] [--threads 2] [--bound-only]
[--frontier]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _pairs_of_groups(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (i < j) of records with the same label, as two int arrays (:func:`darkfigure.linkage.quality._cluster_pairs`)."""
    from darkfigure.linkage.quality import _cluster_pairs

    return _cluster_pairs(labels)


def _rule_cover(p: pd.DataFrame, rules, a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """For each blocking rule (by its SQL), whether it compares each pair (a < b: a is Splink's left record)."""
    from darkfigure.linkage.engines import _parse_rule, _rule_sql, _side_codes

    cache: dict = {}
    out = {}
    for r in rules:
        sql = _rule_sql(r)
        parsed = _parse_rule(sql)
        if parsed is None:
            out[sql] = np.zeros(a.size, bool)
            continue
        keys, null = parsed
        cl, cr = _side_codes(p, keys, cache)
        hit = (cl[a] >= 0) & (cl[a] == cr[b])
        if null is not None:
            miss = p[null[1]].isna().to_numpy()
            hit &= miss[a] if null[0] == "l" else miss[b]
        out[sql] = hit
    return out


def namesake_bound(df: pd.DataFrame, registration_year: bool = True) -> dict[str, float]:
    """An upper bound on pairwise recall where registrations without a date of birth meet indistinguishable namesakes.

    A registration without a date of birth whose recorded names, sex, nationality,
    covariates and registration year are shared by k persons (its own counted when
    another of its registrations records the same) can be given to the right one of them
    with probability at most 1/k, whatever the linkage: its true pairs are counted as
    found with that probability, pairs of two dated registrations as found. The
    registration year stands in for the registration date here because the synthetic
    clearing house registers each person within one calendar year. Errors in the dated
    pairs are ignored (counted as found), and an undated registration with a typo or a
    covariate recorded differently gets the small k of its misspelt key: both make the
    bound looser, never tighter than what a linkage can reach.

    With `registration_year` False the year is left out of the key: the synthetic clearing
    house's rule that a person's registrations fall in one calendar year is an artefact of
    the simulator (real registers re-register a person across the turn of a year), so a
    linkage that does not exploit it is bounded by this smaller figure (less the little
    that the days between two registrations say about the year).

    Returns the share of true pairs with an undated registration and the bound.
    """
    from darkfigure.linkage.quality import _cluster_pairs

    cov = [c for c in ("sex", "nationality", "age", "exploitation") if c in df.columns]
    key = df["first_name"].astype(str).str.lower().str.replace(" ", "") + "|" + \
        df["surname"].astype(str).str.lower().str.replace(" ", "")
    for c in cov:
        key = key + "|" + df[c].astype(str)
    if registration_year:
        key = key + "|" + df["registration_date"].astype(str).str[:4]
    kc = pd.factorize(key)[0]
    t = pd.factorize(df["true_person_id"])[0]
    k = pd.DataFrame({"k": kc, "t": t}).drop_duplicates().groupby("k").size().reindex(kc).to_numpy()
    und = df["date_of_birth"].isna().to_numpy() | (df["date_of_birth"].astype(str).str.strip() == "").to_numpy()
    a, b = _cluster_pairs(t)
    kk = np.where(und[a] & und[b], np.maximum(k[a], k[b]), np.where(und[a], k[a], np.where(und[b], k[b], 1)))
    dated = ~und[a] & ~und[b]
    return {"undated_share": float((~dated).mean()),
            "bound": float((dated.sum() + (1.0 / kk[~dated]).sum()) / a.size)}


def _pr(truth: np.ndarray, labels: np.ndarray, true_pairs: int) -> tuple[float, float]:
    """Pairwise precision and recall of the clustering `labels` against `truth` (true_pairs: pairs within truth)."""
    fa, fb = _pairs_of_groups(labels)
    ok = int((truth[fa] == truth[fb]).sum())
    return ok / max(fa.size, 1), ok / max(true_pairs, 1)


def evidence_table(df: pd.DataFrame, prep: pd.DataFrame, truth: np.ndarray, found: np.ndarray, has_dob: np.ndarray,
                   left: np.ndarray, right: np.ndarray, before: np.ndarray, after: np.ndarray) -> pd.DataFrame:
    """Recall of the true pairs by their evidence, and where the scoring, the competition and the clustering lose them.

    One row per true pair (a < b) with: ``dob`` (both dated, one undated, both undated),
    ``namesakes`` (true persons who carry the pair's normalised first name + surname, the larger
    of the two records': the truth describes, it does not choose), ``names`` (exact or not),
    ``organisations`` (one or two), ``stage``: where the pair ended — ``not scored`` (no
    blocking rule, a cut block, or below the stored floor), ``scored < 0.5`` (the model's
    calibrated probability before the competition of undated registrations), ``competed < 0.5``
    (pushed below by :func:`~darkfigure.linkage.clustering.compete_missing_dates`), ``>= 0.5``
    (scored a link) — and ``found`` (the two records in one found person).

    Parameters
    ----------
    df : the registrations (``organisation``); prep : their normalised fields (``fn``, ``sn``);
    truth, found : int arrays, shape (n,): true and found person of each record;
    has_dob : bool array, shape (n,); left, right : int arrays, shape (m,): the scored pairs;
    before, after : float arrays, shape (m,): their probabilities before and after the competition.
    """
    n = truth.size
    fn, sn = prep["fn"].astype(str).to_numpy(), prep["sn"].astype(str).to_numpy()
    full = pd.Series(fn) + "|" + pd.Series(sn)
    k = pd.DataFrame({"k": full, "t": truth}).drop_duplicates().groupby("k").size().reindex(full).to_numpy()
    ta, tb = _pairs_of_groups(truth)
    key = np.minimum(left, right).astype(np.int64) * n + np.maximum(left, right)
    pb = pd.Series(before, index=key)
    pa = pd.Series(after, index=key)
    tk = ta.astype(np.int64) * n + tb
    b_ = pb[~pb.index.duplicated()].reindex(tk).to_numpy()
    a_ = pa[~pa.index.duplicated()].reindex(tk).to_numpy()
    org = df["organisation"].to_numpy()
    return pd.DataFrame({
        "dob": np.where(has_dob[ta] & has_dob[tb], "both dated",
                        np.where(has_dob[ta] | has_dob[tb], "one undated", "both undated")),
        "namesakes": pd.cut(np.maximum(k[ta], k[tb]), [0, 1, 2, 5, 20, 100, 10**9],
                            labels=["1", "2", "3-5", "6-20", "21-100", ">100"]),
        "names": np.where((fn[ta] == fn[tb]) & (sn[ta] == sn[tb]), "exact", "not exact"),
        "organisations": np.where(org[ta] == org[tb], "one", "two"),
        "stage": np.select([np.isnan(b_), b_ < 0.5, a_ < 0.5], ["not scored", "scored < 0.5", "competed < 0.5"],
                           ">= 0.5"),
        "found": found[ta] == found[tb],
    })


def frontier(truth: np.ndarray, has_dob: np.ndarray, left: np.ndarray, right: np.ndarray, before: np.ndarray,
             thresholds: tuple[float, ...] = (0.5, 0.4, 0.3, 0.2)) -> pd.DataFrame:
    """Precision and recall when the pairs with an undated registration, and the dated pairs, are cut elsewhere.

    The scored pairs' probabilities (before the competition) are shifted in logit so that the
    threshold t of their kind maps to 0.5, then competed and clustered as ``link`` does
    (:func:`~darkfigure.linkage.clustering.compete_missing_dates`, :func:`cluster_links` at 0.5).
    Tells whether moving the cut trades precision for recall along one F1 or gains both.
    """
    from scipy.special import expit, logit

    from darkfigure.linkage.clustering import cluster_links, compete_missing_dates

    n = truth.size
    ta, _ = _pairs_of_groups(truth)
    und = ~(has_dob[left] & has_dob[right])
    lp = logit(np.clip(before, 1e-12, 1 - 1e-12))
    rows = []
    for tu in thresholds:
        for td in (0.5, 0.3):
            q = expit(lp - np.where(und, logit(tu), logit(td)))
            q = compete_missing_dates(n, left, right, q, has_dob, 0.5)
            p_, r_ = _pr(truth, cluster_links(n, left, right, q, has_dob, 0.5), ta.size)
            rows.append({"undated threshold": tu, "dated threshold": td, "precision": p_, "recall": r_,
                         "f1": 2 * p_ * r_ / (p_ + r_)})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=25.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default="2GB")
    ap.add_argument("--max-block", type=int, default=None)
    ap.add_argument("--examples", type=int, default=0, help="print this many missed pairs")
    ap.add_argument("--bound-only", action="store_true", help="print the namesake bound on recall and stop")
    ap.add_argument("--frontier", action="store_true",
                    help="re-cluster the scored pairs with other cuts for undated and dated pairs (frontier())")
    a = ap.parse_args()

    import bench_link

    from darkfigure.linkage.prepare import _read_inputs as _read

    regs = _read(bench_link._data(a.scale))[0].reset_index(drop=True)
    bound = namesake_bound(regs)
    print(f"true pairs with a registration without a date of birth: {bound['undated_share']:.3f}; recall bound "
          f"(undated among k indistinguishable namesake persons found with probability 1/k): {bound['bound']:.4f}; "
          f"without the registration year in the key: {namesake_bound(regs, registration_year=False)['bound']:.4f}")
    del regs
    if a.bound_only:
        return

    from darkfigure.linkage import link
    from darkfigure.linkage.engines import MAX_BLOCK, cap_blocks
    from darkfigure.linkage.prepare import _broad_rules, _prepare_plain, _read_inputs
    from darkfigure.linkage.splink_model import _plain_settings

    files = bench_link._data(a.scale)
    mb = MAX_BLOCK if a.max_block is None else (a.max_block or None)
    # the scored pairs before the competition of undated registrations (link keeps them only after it)
    link_module = sys.modules["darkfigure.linkage.link"]
    compete, captured = link_module.compete_missing_dates, {}

    def capture(n_, left, right, p, has_dob_, threshold):
        """compete_missing_dates, keeping its input and output."""
        out = compete(n_, left, right, p, has_dob_, threshold)
        captured.update(left=left.copy(), right=right.copy(), before=p.copy(), after=out.copy())
        return out

    link_module.compete_missing_dates = capture
    t0 = time.perf_counter()
    res = link(files, threads=a.threads, memory_limit=a.memory_limit, truth="true_person_id", seed=0, max_block=mb)
    print(f"link: {time.perf_counter() - t0:.0f} s; stages " + ", ".join(f"{k} {v:.0f}" for k, v in res.seconds.items()))
    q = res.quality.iloc[0]
    print(f"precision {q['precision']:.4f}, recall {q['recall']:.4f}; persons {res.n_persons:,} "
          f"(true {int(q['true_persons']):,}); true pairs {int(q['true_pairs']):,}, found {int(q['found_pairs']):,}, "
          f"correct {int(q['correct_pairs']):,}")
    for n in res.notes:
        if "cut" in n or "prior" in n:
            print("note:", n[:600])

    df, _ = _read_inputs(files)
    df = df.reset_index(drop=True)
    prep = _prepare_plain(df)
    _, rules, _, _ = _plain_settings(prep)
    rules = rules + _broad_rules(prep, ["dob", "sn", "fn"], 2e6)
    prep_cut, rules_cut, _ = cap_blocks(prep, rules, max_block=mb) if mb else (prep, rules, [])
    truth = pd.factorize(df["true_person_id"])[0]
    found = pd.factorize(res.links["person_id"])[0]
    n = len(df)
    has_dob = prep["dob"].notna().to_numpy()
    pairs = res.pairs
    key = pairs["record_l"].to_numpy(np.int64) * n + pairs["record_r"].to_numpy(np.int64)
    prob = pd.Series(pairs["match_probability"].to_numpy(), index=key)
    prob = prob[~prob.index.duplicated()]

    def describe(a_, b_) -> pd.DataFrame:
        """Agreement pattern of pairs a_ < b_."""
        fn, sn, dob = (prep[c].to_numpy(dtype=object) for c in ("fn", "sn", "dob"))
        names = np.where((fn[a_] == fn[b_]) & (sn[a_] == sn[b_]), "names exact",
                         np.where((fn[a_] == sn[b_]) & (sn[a_] == fn[b_]), "swapped",
                                  np.where((fn[a_] == fn[b_]) | (sn[a_] == sn[b_]), "one name exact", "names differ")))
        dd = np.where(~has_dob[a_] & ~has_dob[b_], "no dob", np.where(~has_dob[a_] | ~has_dob[b_], "one dob missing",
                      np.where(dob[a_] == dob[b_], "dob equal", "dob differs")))
        return pd.DataFrame({"names": names, "dob": dd})

    # ---- missed matches
    ta, tb = _pairs_of_groups(truth)
    hit = found[ta] == found[tb]
    ma, mb_ = ta[~hit], tb[~hit]
    p_m = prob.reindex(ma * n + mb_).to_numpy()
    cover_cut = _rule_cover(prep_cut, rules_cut, ma, mb_)
    cover_full = _rule_cover(prep, rules, ma, mb_)
    any_cut = np.any(np.column_stack(list(cover_cut.values())), axis=1)
    any_full = np.any(np.column_stack(list(cover_full.values())), axis=1)
    cat = np.select(
        [~any_full, ~any_cut, np.isnan(p_m), p_m < 0.5],
        ["never blocked (no rule)", "blocked only by a cut block", "compared, scored < 0.001", "scored 0.001-0.5"],
        "scored >= 0.5, apart")
    d = describe(ma, mb_).assign(cause=cat)
    print(f"\nmissed matches: {ma.size:,} of {ta.size:,} true pairs (recall {hit.mean():.4f})")
    print(d.groupby(["cause", "dob"]).size().unstack(fill_value=0).to_string())
    print(d.groupby(["cause", "names"]).size().unstack(fill_value=0).to_string())
    if a.examples:
        c2 = pd.Series(prep["fn"].astype(str) + "|" + prep["sn"].astype(str))
        ns = pd.DataFrame({"k": c2, "t": truth}).drop_duplicates().groupby("k").size().reindex(c2).to_numpy()
        ex = np.flatnonzero((cat == "scored 0.001-0.5") & (d["names"] == "names exact").to_numpy()
                            & (d["dob"] == "one dob missing").to_numpy())
        print("namesakes (persons) of missed exact-name pairs with one date missing:",
              pd.Series(np.minimum(ns[ma[ex]], 20)).value_counts().sort_index().to_dict())
        cols = ["organisation", "registration_date", "first_name", "surname", "date_of_birth", "sex", "nationality",
                "age", "exploitation", "true_person_id"]
        for i in ex[:: max(1, ex.size // a.examples)][: a.examples]:
            print(f"p={p_m[i]:.3f} namesakes {ns[ma[i]]}, found persons {found[ma[i]]}/{found[mb_[i]]}")
            print(df.loc[[ma[i], mb_[i]], cols].to_string(header=False))
    # ---- the true pairs by their evidence: where scoring, competition and clustering lose them
    ev = evidence_table(df, prep, truth, found, has_dob, captured["left"], captured["right"], captured["before"],
                        captured["after"])
    agg = {"pairs": ("found", "size"), "recall": ("found", "mean")}
    print("\ntrue pairs by evidence (recall = share found together)")
    print(ev.groupby("dob").agg(**agg).to_string())
    print(ev.groupby(["dob", "names", "namesakes"], observed=True).agg(**agg).to_string())
    print(ev.groupby(["dob", "organisations"]).agg(**agg).to_string())
    print(pd.crosstab([ev["dob"], ev["stage"]], ev["found"]).to_string())
    if a.frontier:
        print("\nre-clustered with other cuts (probabilities before the competition shifted, then competed):")
        print(frontier(truth, has_dob, captured["left"], captured["right"], captured["before"]).to_string(
            index=False, float_format=lambda v: f"{v:.4f}"))
    del ev
    captured.clear()
    # a true person split: how many pieces, and the pieces' sizes
    per = pd.DataFrame({"t": truth, "f": found}).drop_duplicates().groupby("t").size()
    print(f"true persons split into 2+ found persons: {(per >= 2).sum():,}; pieces: "
          + ", ".join(f"{k}: {v:,}" for k, v in per[per >= 2].value_counts().sort_index().items()))

    # ---- false links
    fa, fb = _pairs_of_groups(found)
    wrong = truth[fa] != truth[fb]
    wa, wb = fa[wrong], fb[wrong]
    p_w = prob.reindex(wa * n + wb).to_numpy()
    size = np.bincount(found)[found[wa]]
    d = describe(wa, wb).assign(
        link=np.where(p_w >= 0.5, "direct >= 0.5", np.where(np.isnan(p_w), "not scored (chain)", "scored < 0.5 (chain)")),
        size=pd.cut(size, [1, 2, 3, 5, 10, 30, 100, 10**9], labels=["2", "3", "4-5", "6-10", "11-30", "31-100", ">100"]))
    print(f"\nfalse links: {wa.size:,} of {fa.size:,} found pairs (precision {1 - wrong.mean():.4f})")
    print(d.groupby(["link", "dob"]).size().unstack(fill_value=0).to_string())
    print(d.groupby(["names", "dob"]).size().unstack(fill_value=0).to_string())
    print(d.groupby("size", observed=True).size().to_string())
    print("largest found persons:", np.sort(np.bincount(found))[-10:].tolist())

    # ---- blocking rules: true pairs compared by each, and by it alone
    cov = _rule_cover(prep_cut, rules_cut, ta, tb)
    m = np.column_stack(list(cov.values()))
    only = m & (m.sum(axis=1) == 1)[:, None]
    t = pd.DataFrame({"rule": list(cov), "true pairs": m.sum(axis=0), "only this rule": only.sum(axis=0)})
    print(f"\nblocking: {m.any(axis=1).mean():.4f} of true pairs compared by some rule "
          f"({(~m.any(axis=1)).sum():,} never)")
    print(t.to_string(index=False, max_colwidth=90))


if __name__ == "__main__":
    main()
