"""Does the linkage correction recover N̂ from the true links, and does its interval cover it?

For each synthetic population (``clearing_house`` registrations in a named error
setting of :data:`darkfigure.linkage.synthetic.REGISTRATION_SCENARIOS`, one seed each):

1. link the registrations (:func:`darkfigure.linkage.link`, defaults, DuckDB);
2. choose a log-linear model on the as-linked histories (lists and year: the monitor's
   per-year table), Cruyff search by BIC;
3. N̂ from the true links with that model (and with its own search);
4. N̂ corrected and its interval with linkage uncertainty
   (:func:`darkfigure.linkage.uncertainty.linkage_uncertainty`: linkage draws x a
   parametric bootstrap per draw);
5. the as-linked N̂ with its own parametric bootstrap interval (no linkage uncertainty).

Printed per setting and overall: mean relative difference from the true-link N̂
(corrected and as linked), coverage of the true-link N̂ by each interval, the share of
the variance due to linkage, the calibration of the match probabilities (expected vs
true matches among the scored pairs), the estimated vs true false and missed links, and
the time. Per-population rows go to ``--out`` (CSV).

Measured (2026-12-05, 17 populations per setting, seeds 1000-1016, 30 partition draws x
20 replicates, reference = N̂ of the as-linked model on the true links; 2 cores under a
load of about 12):

=========  =========  ============  ===========  ========  ==========  ===============
setting    precision  bias as       bias         cover as  cover       variance share
           / recall   linked        corrected    linked    corrected   from linkage
=========  =========  ============  ===========  ========  ==========  ===============
standard   .985/.992  +0.03 %       -0.66 %      100 %     100 %       2.8 %
typos      .982/.973  +3.78 %       +3.17 %      59 %      76 %        4.4 %
no_dob     .923/.944  +1.41 %       -0.36 %      100 %     100 %       9.6 %
all (51)   .963/.970  +1.74 %       +0.72 %      86 %      92 %        5.6 %
=========  =========  ============  ===========  ========  ==========  ===============

What remains in ``typos`` are true matches never compared (2.3 % of the matching pairs
were not blocked together): every draw misses them. The match probabilities run high
(expected/true matches among the scored pairs 1.02-1.06; expected missed links among
the compared pairs 1.7-4 times the true number), which pulls the corrected N̂ down a
little in ``standard``.

Since then every linkage draw also adds the matches that blocking never compared
(``unblocked_matches``, by random merges: :func:`darkfigure.linkage.uncertainty.add_unblocked_matches`),
the person-level covariates are compared and undated pairs are calibrated on the register's
dated pairs with their dates hidden. Re-measured on ``typos`` only (2026-12-05, 6 populations,
seeds 1000-1005, 30 partition draws x 20 replicates, ``--jobs 1``, load about 12): precision/recall
.987/.979; corrected N̂ +3.8 % from the true-link N̂ (sd 0.8 %; as linked +3.7 %), coverage 67 % (as
linked 50 %); interval 45-125 s. No gain: ``unblocked_matches`` finds 0-10 of the 35-50 matching
pairs per population that are not among the scored pairs (capture-recapture on exact agreement of the
identifiers misses matches with errors in several fields), and the expected missed links are 0.39 of
the true ones (false links 1.8 times): in typo-heavy registers the match probabilities of dated pairs
with misspelt names run low, which neither calibration step corrects.

Then (2026-12-05, later) the regression of the slow test (no_dob seed 7: corrected +5.8 %, interval missing
the true-link N̂) was taken apart on that population (20 partition draws, no bootstrap, as-linked model):

* not the covariate evidence (without it: as linked +6.0 %, mean over draws +8.8 %), nor the matches never
  compared (about 1 expected; draws without them the same), nor the chains in the expected false links (they
  change only the reported count);
* the date-masked calibration leaves undated pairs' probabilities low in the middle (p 0.05-0.8: 246 expected
  matches, 294 true), so the draws break links (draws: 159 false, 208 missed; as linked 183, 122); with the old
  fixed shift the mean over draws is +3.7 % instead of +5.9 %, but the estimated missed links are worse (1.6-1.9
  times the truth on no_dob seeds 2, 3, 7 against 0.99-1.07), so the masked calibration stays;
* the main cause: the mean over draws is pulled beyond the as-linked N̂ by each draw's own random errors
  (a missed link moves N̂ more than a false one). With probabilities made calibrated from the truth (share of
  matches per bin of p), draws started from the true persons still give +3.9 % (as linked +4.0 %); started from
  the as-linked persons, +4.9 %.

Hence the default correction is now the bootstrap bias correction (``correction="bias"``): N̂ as linked minus
(mean over draws - N̂ as linked). Twelve populations (one ``link`` each at its defaults, 20 draws, no bootstrap,
model chosen on the as-linked persons; relative difference from the true-link N̂)::

    population                   as linked   mean over draws   bias-corrected
    standard 7                   -0.0 %      +0.1 %            -0.1 %
    no_dob 2, 3, 7, 11           +0.3, +1.6, +4.0, +0.8   +1.8, +2.3, +5.9, +2.1   -1.2, +0.8, +2.1, -0.5
    typos 1, 2                   +5.8, +3.5  +5.5, +4.4        +6.1, +2.5
    recurring_names 1, 2         +1.2, +0.1  +1.8, +1.0        +0.6, -0.8
    dob_errors 2                 +2.5        +2.2              +2.8
    inconsistent_covariates 1    +3.4        +5.5              +1.2
    messy 1                      +3.0        +3.6              +2.4
    mean (mean |.|)              +2.2 (2.2)  +3.0 (3.0)        +1.3 (1.8)

The mean over draws lay above the as-linked N̂ in 10 of 12; the bias correction is nearer the truth than it in
9 of 12 (one tie). What remains (typos, dob_errors, messy) are missed links scored near 0 (exact date of birth, both
names misspelt or swapped): no draw joins them.

The study itself on held-out seeds (2026-12-05, seeds 2000-2003 of no_dob, standard, typos and 2000-2001 of
recurring_names, dob_errors: 16 populations, 20 partition draws x 20 replicates, load about 18 on 2 cores;
interval 24-65 s; false links estimated before the chains for sub-threshold pairs in the first three settings)::

    setting          n   P / R        as linked  mean over draws  bias-corrected (sd)  coverage (all three)  est/true false, missed
    no_dob           4   .964/.978    +1.39 %    +2.92 %          -0.15 % (2.0)        100 %                 1.18, 0.90
    standard         4   .995/.997    +0.22 %    +0.33 %          +0.12 % (0.4)        100 %                 1.32, 1.46 (6-30 links)
    typos            4   .992/.978    +4.44 %    +4.48 %          +4.40 % (0.2)        75 %                  2.09, 0.40
    recurring_names  2   .980/.982    +1.13 %    +1.81 %          +0.45 % (0.5)        100 %                 0.87, 0.88
    dob_errors       2   .990/.987    +1.30 %    +1.42 %          +1.18 % (0.1)        100 %                 1.37, 1.04
    all             16   .984/.984    +1.82 %    +2.34 %          +1.30 % (2.1)        94 %                  -

Within ±2 % everywhere but typos, where the missed links scored near 0 keep N̂ 4.4 % high whatever the
correction (missed links estimated at 0.40 of the truth). The intervals (parametric bootstrap of the chosen
model, 5 % of the variance from linkage) are wide enough that all three cover equally often.

After the name and date levels for registrations that both carry errors (``splink_model._plain_settings``:
"swapped, one exact and the other misspelt", "both misspelt twice over" with m by EM, date "two parts off a
little"; tuned on typos and dob_errors seed 1), the same 16 held-out populations (2026-12-05 11:55-12:35 UTC,
20 draws x 20 replicates, ``--jobs 1``, load 10-20)::

    setting          n   P / R        as linked  mean over draws  bias-corrected (sd)  coverage  est/true false, missed (sum)  within 25 %: false, missed
    no_dob           4   .976/.980    +1.30 %    +2.00 %          +0.61 % (0.7)        100 %     0.89, 0.94                   3/4, 4/4
    standard         4   .997/.998    +0.17 %    +0.16 %          +0.17 % (0.4)        100 %     0.96, 2.11 (4-27 links)      1/4, 1/4
    typos            4   .994/.989    +2.02 %    +1.79 %          +2.25 % (0.5)        100 %     1.00, 0.86                   4/4, 3/4
    recurring_names  2   .985/.985    +0.68 %    +0.92 %          +0.44 % (0.4)        100 %     0.89, 0.99                   2/2, 2/2
    dob_errors       2   .993/.989    +0.83 %    +0.63 %          +1.02 % (0.7)        100 %     1.08, 1.16                   2/2, 1/2
    all             16   .989/.988    +1.06 %    +1.18 %          +0.94 %              100 %

In typos the as-linked bias halves (+4.4 % -> +2.0 %) and the estimated link errors are near the truth
(per population: false 0.77-1.20, missed 0.71-1.08), but the bias correction still leaves +2.25 % (the mean
over draws, +1.8 %, lies below the as-linked N̂ now, so the correction moves away from it): the remaining
missed links are matches with errors in both names and the date (12 of 37 on tuning seed 1 never scored). In
standard the few missed links (4-16) are over-estimated 2-5 times: the tail of low match probabilities
(0.001-0.05, ~1,000 pairs) adds up to 10-20 expected matches where there are 1-5.

The full study (2026-12-05, 13 populations per setting, held-out seeds 3000-3012, 20 partition draws x 20
replicates, ``--jobs 1``, load 7-19), before this session's name/date levels and covariate evidence (commit
d21eb51) and after all of them (5601bd5); relative difference of the corrected N̂ from the true-link N̂, its sd,
coverage of the true-link N̂ by the interval with linkage uncertainty, and the populations whose estimated false /
missed links are within 25 % of the true ones (missed: among the compared pairs)::

    setting          P / R (after)  as linked       corrected (sd)           coverage   false within 25 %  missed within 25 %  est/true missed
                                    before  after   before        after                 before  after      before  after       after
    standard         .996/.997      +0.37   +0.15   +0.26 (0.3)   +0.05 (0.4)  13, 13   7       8          2       1           2.19
    typos            .993/.991      +2.31   +1.26   +2.18 (0.5)   +1.21 (0.5)  13, 13   9       10         11      3           1.40
    no_dob           .979/.981      +1.31   +0.82   +0.35 (1.0)   -0.15 (1.0)  13, 13   11      10         12      8           1.23
    recurring_names  .985/.987      +1.03   +0.61   +0.62 (0.6)   +0.08 (0.6)  13, 13   13      12         2       2           1.58
    all (52)         .988/.989      +1.25   +0.71   +0.85 (1.0)   +0.30 (0.8)  52, 52   40      40         27      14          -

Mean within +-2 % and coverage >= 90 % in every setting. The as-linked parametric interval covers as often here
(it is wide beside the linkage error: 1-4 % of the variance comes from linkage). The missed-link estimate now runs
high (the sum of p over ~1,000 compared pairs at p 0.001-0.05 in every population): the counts goal is not met.

Then a pair scored above the threshold that the clustering left apart counts in the missed links with the odds of
all scored pairs between its two persons (``quality._apart_probability``; tuned on seeds 2000-2001 of the four
settings). Same 52 held-out populations, ``--errors-only`` (link and counts only: N̂, intervals and draws do not read
the counts, so they are as above; the linkage differs slightly in typos, no_dob and recurring_names, where blocking
rules were added since), 2026-12-05 14:58-15:57 UTC, load 12-20; populations within 25 % of the true count, and how
many would be if each true count were Poisson with the estimate as its mean (``_attainable``)::

    setting          false within 25 %   missed within 25 % (compared / all)   est/true missed (compared / all)  ceiling false, missed
    standard         8 -> 8              1 -> 3   /  3 -> 3                   2.19 -> 1.95 / 1.57 -> 1.40       8.5, 8.8
    typos            10 -> 10            3 -> 5   / 10 -> 11                  1.40 -> 1.19 / 0.92 -> 0.85       10.5, 10.8
    no_dob           10 -> 10            8 -> 12  / 11 -> 9                   1.23 -> 0.98 / 0.99 -> 0.81       12.8, 12.5
    recurring_names  12 -> 12            2 -> 5   /  5 -> 10                  1.57 -> 1.32 / 1.28 -> 1.10       12.3, 12.2
    all (52)         40 -> 40            14 -> 25 / 29 -> 33                  1.41 -> 1.17 / 1.09 -> 0.93       44.2, 44.4

The goal (both within 25 % in >= 90 % of populations, 47 of 52) is out of reach of any estimator of these counts:
with 5-25 links per population in standard and typos, even exact expectations land within 25 % of a Poisson count
in only about 44 of 52. Below the threshold the match probabilities were calibrated in sum on the tuning
populations (0.001-0.1: 81 expected, 87 true over 7 populations); only standard's tail (exact date of birth, wholly
different names: p 0.001-0.01, about 700 pairs, 2.5 expected, none true) runs high, and how often one person is
registered under wholly different names is a prior (m = 0.001) that the register cannot estimate.

A tester (report 11) found the bias-corrected N̂ further from the true-link N̂ than N̂ as linked in 9 of 12 populations
(4,000 persons, lists only). There the true-link N̂ came from its own model search, which can differ by several per
cent from the as-linked model's N̂ on the same true histories (messy seed 4000 below: 8,159 with its own search,
8,405 with the as-linked model). With one model for all (this study, 2026-12-06, messy and typos, seeds 4000-4005,
20 draws x 20 replicates, ``--jobs 1``, load 4-6)::

    setting  n   P / R       as linked  mean over draws  bias-corrected (sd)  coverage (all three)  corrected nearer than as linked
    messy    6   .992/.989   +1.20 %    +1.44 %          +0.95 % (0.15)       100 %                 5 of 6 (one tie)
    typos    6   .995/.991   +1.40 %    +1.33 %          +1.47 % (0.43)       100 %                 2 of 6 (one tie)
    all     12   .994/.990   +1.30 %    +1.39 %          +1.21 %              100 %

Within +-2 % and covered everywhere; the correction helps where the draws lie above N̂ as linked (messy) and not
where they lie below it (typos: missed links of misspelt names scored low, which the draws join in part), as above.

The link-error counts were then compared like with like (2026-12-06, the 52 held-out populations, seeds
3000-3012, each linked once at the defaults of that day): the missed links above set the estimate, which includes
the matches never compared (``unblocked_matches``), against the true missed pairs among the compared pairs only.
Against every pair of one true person in two found persons (``true_link_errors``) the missed links of the same
linkage are 0.92 of the truth summed (mean of the ratios 1.04), within 25 % in 41 of 52 (standard 7, typos 11,
no_dob 10, recurring_names 13); among the compared pairs, without the matches never compared, 28 of 52. The
false links were within 25 % of ``true_link_errors`` in 24 of 52 (1.12 of the truth summed); with the two-step
chains for every linked pair (``quality._joined_probability``, tuned on seeds 5000-5002) in 30 (0.84 summed:
standard 5 -> 7, typos 4 -> 3, no_dob 9 -> 10, recurring_names 6 -> 10). ``--errors-only`` now prints both; the
calibration by the persons around a pair is in ``benchmarks/link_error_calibration.py``.

Then (2026-12-06, later) the matches never compared were re-estimated (``darkfigure.linkage.unblocked``: the larger
of a name-key capture-recapture and the exact-agreement one, whose swapped-name comparison had been broken; tuned on
seeds 5000-5002 and tester 12's 201-203, 301-303) and split off in the draws of the bias correction instead of merged
(merging raised the corrected N̂). Held-out seeds 3000-3005 of the four settings (24 populations), each linked once,
the estimate before and after from the same linkage; 20 draws x 20 replicates, model chosen on the as-linked
histories (as ``one_population``), load 6-9::

    setting          corrected - true-link N̂ (mean, mean |.|)   missed est/true (summed)   missed within 25 %
    standard         +0.13 (0.18) -> -0.03 (0.14) %              1.10 -> 1.10               4 -> 3 of 6
    typos            +0.97 (0.97) -> +0.40 (0.42) %              0.90 -> 1.21               6 -> 3
    no_dob           +0.42 (0.89) -> -0.22 (0.83) %              0.85 -> 0.94               5 -> 4
    recurring_names  +0.36 (0.53) -> +0.03 (0.55) %              0.97 -> 1.11               6 -> 4
    all (24)         +0.47 (0.64) -> +0.05 (0.48) %              0.91 -> 1.05               21 -> 14

Covered 24 of 24 before and after (as linked +0.76 %). N̂ corrected is nearer the true-link N̂; the counts are not
better per population (never-compared matches 54 -> 193 estimated, 137 true: the exact-agreement lists are not
independent, and the name-key estimate subtracts compared pairs' probabilities that run high).

Re-run on the code of 2026-12-06 evening (06560aa: undated assignment in the draws and in the link-error counts,
the "toward" rule, the matches never compared split off), 52 fresh held-out populations (seeds 6000-6012, 13 per
setting), 20 partition draws x 20 replicates, ``--jobs 1``, load 5-7, 40 minutes::

    setting          P / R       as linked  corrected (sd)   coverage (corrected, as linked)  false / missed est/true (summed)  within 25 % (false, missed)
    standard         .997/.997   +0.14 %    -0.13 % (0.40)   13, 13                           1.22 / 1.51                       1, 2
    typos            .994/.992   +1.28 %    +0.17 % (0.95)   13, 13                           0.72 / 1.72                       1, 1
    no_dob           .986/.984   +1.08 %    -0.97 % (1.40)   13, 13                           0.82 / 1.48                       4, 5
    recurring_names  .990/.989   +0.89 %    +0.21 % (0.94)   13, 13                           1.01 / 1.30                       6, 8
    all (52)         .992/.991   +0.85 %    -0.18 % (1.07)   52, 52                           0.89 / 1.48                       12, 16

N̂ and coverage meet the goals. The missed-link counts run high: of the compared pairs, those of an undated with a
dated registration are now counted by the undated assignment model, whose calibration target (the dated
registrations' re-registration share) differs from the undated registrations' own share by binomial noise of
about 10 units in a population, against 10-30 such missed links (typos seed 6003: expected matched 289, true 273;
the undated model's missed pairs 51, true 24, where the sum of p gave 15.6 of 15 scored). On three independent
generators (testers 14a, 15a, 16a; 22 populations) the same model was within 25 % in 14 of 22, the sums of p in
3 of 22. (The "mean over draws" and "bias-corrected" columns printed during this run were wrong under the
default rule where the draws lie above N̂ as linked: fixed since, in cb014dd.)

Re-run on the code of 2026-12-07 afternoon (bff78e4: relatives' evidence, twins, dates derived from an age, the
undated trait), 52 fresh held-out populations (seeds 7000-7012, 13 per setting), 20 partition draws x 20 replicates,
``--jobs 1``, load 2-4 (other jobs beside it), 90 minutes::

    setting          P / R       as linked  corrected (sd)   coverage (corrected, as linked)  false / missed est/true (summed)  within 25 % (false, missed)
    standard         .996/.998   -0.13 %    -0.41 % (0.34)   13, 13                           0.91 / 3.23                       3, 0
    typos            .995/.993   +1.01 %    +0.04 % (0.67)   13, 13                           0.78 / 1.66                       4, 2
    no_dob           .982/.988   +0.36 %    -0.72 % (1.30)   13, 13                           0.82 / 1.50                       7, 2
    recurring_names  .988/.991   +0.10 %    -0.72 % (0.67)   13, 13                           0.81 / 1.59                       7, 0
    all (52)         .990/.993   +0.34 %    -0.45 % (0.86)   52, 52                           0.82 / 1.64                       21, 4

N̂ and coverage still meet the goals (mean within +-2 % in every setting, 52 of 52 covering). The missed-link counts
run higher than on 6 Dec (1.64 against 1.48 of the truth summed; in ``standard`` 3.2 times a truth of 0-10 per
population), so within 25 % only 4 of 52 (7 among the compared pairs); the false links 21 of 52. If each true
count were Poisson around the estimate, 40.7 (false) and 46.2 (missed) of 52 would be within 25 %: the counts
are miscalibrated, not only noisy.

Then (2026-12-07 evening) three changes to the missed-link count, each found by splitting the estimate by pair kind
on the tuning seeds 5000-5002 (12 populations) against the truth: (1) every pair left apart takes its two persons'
odds (``quality._apart_probability``), not only pairs above the threshold: the dated pairs below it between a person
of several registrations and another carried 153 expected missed links by their own p where 27 were true (a
namesake person counted once per pair); (2) the scale c of the undated assignment model is shrunk towards 1
(``undated_draws._shrunk_c``, normal prior on log c with sd 1, tuned on the same seeds and tester 12's 201-203 and
301-303): solved exactly it ran to 0.007 where the target neared the undated registrations with a candidate
(standard seed 5002: the undated model's missed pairs 34 expected, 6 true); (3) the matches never compared leave out
the pairs of an undated with a dated registration, which the undated model already counts, compared or not (tester
12's seeds: model 377 of 379 true undated missed pairs; ``unblocked_matches`` added 120 where 35 dated-only or
undated-only pairs are). Held out: seeds 8000-8005 of the four settings (24 populations; each linked once per code
version, the linkage itself unchanged), 20 partition draws x 20 replicates, model chosen on the as-linked histories,
2 cores at load 1-4::

    setting          P / R       as linked  corrected before -> after (sd after)  coverage  missed est/true (within 25 %)  false est/true (within 25 %)
    standard         .997/.999   -0.09 %    -0.46 -> -0.35 % (0.29)              6, 6      3.17 (0) -> 1.49 (3)          1.64 (1) -> 1.08 (2)
    typos            .993/.993   +1.03 %    +0.18 -> +0.34 % (0.86)              6, 6      1.47 (1) -> 0.76 (1)          0.92 (0) -> 0.76 (2)
    no_dob           .984/.986   +0.32 %    -1.18 -> -0.93 % (1.02)              6, 6      1.52 (1) -> 1.19 (3)          0.86 (5) -> 0.90 (5)
    recurring_names  .989/.990   +0.40 %    -0.15 -> -0.07 % (0.55)              6, 6      1.32 (2) -> 0.92 (5)          0.94 (4) -> 0.96 (4)
    all (24)         .991/.992   +0.41 %    -0.40 -> -0.25 % (mean |.| 0.71 -> 0.62)  24, 24  1.52 (4) -> 1.03 (12)   0.95 (10) -> 0.90 (13)

On six held-out populations of tester 12's generator (moderate 271-273, heavy 371-373, 4,000 persons): missed links
1.65 -> 1.16 of the truth summed (within 25 % in 1 -> 4 of 6), false links 0.70 -> 0.71 (1 of 6). The Poisson
ceiling (``_attainable``) for these estimates is 18.6 (missed) and 19.5 (false) of 24: the goal of 90 % within 25 %
is still out of reach, now more by noise than by bias, except in typos (missed links of misspelt lone pairs scored
0.01-0.03 where many are one person, under-counted) and standard (0-9 true missed links per population).
Reproduce: ``python benchmarks/linkage_uncertainty_study.py --first-seed 8000 --per-setting 6 --draws 20 --reps 20``.

Then (2026-12-07 night, s25) the name level "both typed twice" (one typo in each registration, a letter swap
counted as one; ``name_sql.typed_twice``): the typos under-count came from true matches in the last name level ("both
names wholly different", m 0.001), found with ``benchmarks/level_calibration_table.py`` on tuning seeds 5000-5002.
Held out, seeds 9000-9003 of the four settings (16 populations), ``--errors-only`` definitions, before -> after:
precision 0.99082 -> 0.99078, recall 0.99068 -> 0.99101 (typos 0.9925 -> 0.9936); missed est/true (all) typos 0.73
-> 0.88, all 0.995 -> 1.04 (typos' true missed links 139 -> 119); false est/true 0.890 -> 0.892; CPU per ``link``
about +4 %.

Run: ``nice -n 10 python benchmarks/linkage_uncertainty_study.py --per-setting 17``
(51 populations; about 20 minutes on 2 busy cores). ``--per-setting 2`` is the small
version the slow test runs.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np
import pandas as pd

from darkfigure.estimation import estimate
from darkfigure.linkage import link, persons_from_links, simulate_registrations
from darkfigure.linkage.partition_draws import expected_link_errors_total
from darkfigure.linkage.uncertainty import LinkRun, linkage_uncertainty, loglinear_refit

SETTINGS = ("standard", "typos", "no_dob", "recurring_names")


def one_population(setting: str, seed: int, draws: int = 40, reps: int = 20, n_jobs: int = 2) -> dict:
    """All figures of one population (see the module docstring)."""
    t0 = time.perf_counter()
    rs = simulate_registrations("clearing_house", seed=seed, errors=setting)
    regs = rs.registrations
    res = link(regs, truth="true_person_id", seed=seed, threads=n_jobs)
    t_link = time.perf_counter() - t0
    run = LinkRun.from_result(res)
    covs = ["year"]
    h0 = res.histories.collapse(covs)
    e0 = estimate(h0, year="year", ci="parametric", reps=200, seed=seed, n_jobs=n_jobs)
    model = [":".join(t) for t in e0.fit.model.terms if len(t) > 1]
    refit = loglinear_refit(model, covs, reps=reps, year="year")
    plain = regs.drop(columns=["first_name", "surname", "date_of_birth"])
    _, ht = persons_from_links(plain, regs["true_person_id"])
    ht = ht.collapse(covs)
    true_same = float(estimate(ht, model=model or None, search="none", ci="none", year="year").nhat)
    true_own = float(estimate(ht, year="year", ci="none").nhat)
    t1 = time.perf_counter()
    le = linkage_uncertainty(run, refit, draws=draws, seed=seed, n_jobs=n_jobs,
                             as_linked=(e0.estimates[["group", "level", "observed"]], e0.estimates["nhat"].to_numpy(),
                                        None))
    t_unc = time.perf_counter() - t1
    lo_link, hi_link = np.nanquantile(le.draw_nhat, [0.025, 0.975])
    # both corrections from the same draws: the bias b = mean over draws - as-linked; "bias" = as-linked - b,
    # "mean" = as-linked + b, each with the pooled interval moved with its point
    b = float(np.nanmean(le.draw_nhat)) - le.nhat_as_linked
    # the shifts from N̂ corrected to each, whatever rule set N̂ corrected (the default "toward" keeps N̂ as linked
    # where the draws lie above it; these shifts assumed "bias" or "mean" and printed N̂ as linked as the mean there)
    to_mean = le.nhat_as_linked + b - le.nhat_corrected
    to_bias = le.nhat_as_linked - b - le.nhat_corrected
    # truth about the pairs: calibration and false/missed links
    truth = regs["true_person_id"].astype(str).to_numpy()
    left, right = run.pairs["record_l"].to_numpy(), run.pairs["record_r"].to_numpy()
    p = run.pairs["match_probability"].to_numpy()
    same = truth[left] == truth[right]
    lab = res.links["person_id"].to_numpy()
    joined = lab[left] == lab[right]
    true_pairs = sum(k * (k - 1) // 2 for k in Counter(truth).values())
    found = pd.Series(lab).groupby(truth).nunique()
    q = res.quality.iloc[0]
    return {
        "setting": setting, "seed": seed, "registrations": len(regs), "persons_true": int(ht.n_observed),
        "persons_linked": int(h0.n_observed), "persons_drawn": le.persons_drawn,
        "precision": float(q["precision"]), "recall": float(q["recall"]),
        "nhat_true": true_same, "nhat_true_own_search": true_own, "nhat_as_linked": float(e0.nhat),
        "lower_as_linked": float(e0.lower), "upper_as_linked": float(e0.upper),
        "nhat_corrected": le.nhat_corrected, "lower": le.lower, "upper": le.upper,
        "correction": le.correction,
        "nhat_bias_corrected": le.nhat_corrected + to_bias, "lower_bias_corrected": le.lower + to_bias,
        "upper_bias_corrected": le.upper + to_bias,
        "nhat_mean_draws": le.nhat_corrected + to_mean, "lower_mean_draws": le.lower + to_mean,
        "upper_mean_draws": le.upper + to_mean,
        "lower_linkage_only": float(lo_link), "upper_linkage_only": float(hi_link),
        "share_linkage": le.share_linkage,
        "false_links_est": le.false_links, "false_links_true": int((joined & ~same).sum()),
        "false_links_true_all": int((found_pairs := _joined_pairs(lab)) - _joined_pairs(lab, truth)),
        "missed_links_est": le.missed_links, "unblocked_est": _unblocked(run),
        "missed_links_true_compared": int((~joined & same).sum()),
        "missed_links_true_all": int(true_pairs - _joined_pairs(lab, truth)),
        "pairs_joined": int(found_pairs),
        "split_persons_true": int((found > 1).sum()),
        "expected_matches_scored": float(p.sum()), "matches_scored": int(same.sum()), "matches_all": true_pairs,
        "seconds_link": t_link, "seconds_linkage_interval": t_unc, "model": " + ".join(model) or "independence",
    }


def link_errors_only(setting: str, seed: int, n_jobs: int = 2) -> dict:
    """The estimated and true false and missed links of one population, without N̂ or draws (``--errors-only``).

    The counts of :func:`one_population` (same linkage, same definitions), for checking the
    estimated link errors when N̂ and its interval are not in question: they do not read them.
    """
    t0 = time.perf_counter()
    regs = simulate_registrations("clearing_house", seed=seed, errors=setting).registrations
    res = link(regs, truth="true_person_id", seed=seed, threads=n_jobs)
    run = LinkRun.from_result(res)
    false_est, missed_est = expected_link_errors_total(run)
    truth = regs["true_person_id"].astype(str).to_numpy()
    left, right = run.pairs["record_l"].to_numpy(), run.pairs["record_r"].to_numpy()
    same = truth[left] == truth[right]
    lab = res.links["person_id"].to_numpy()
    joined = lab[left] == lab[right]
    true_pairs = sum(k * (k - 1) // 2 for k in Counter(truth).values())
    q = res.quality.iloc[0]
    return {
        "setting": setting, "seed": seed, "registrations": len(regs),
        "precision": float(q["precision"]), "recall": float(q["recall"]),
        "false_links_est": false_est, "false_links_true": int((joined & ~same).sum()),
        "false_links_true_all": int(_joined_pairs(lab) - _joined_pairs(lab, truth)),
        "missed_links_est": missed_est, "unblocked_est": _unblocked(run),
        "missed_links_true_compared": int((~joined & same).sum()),
        "missed_links_true_all": int(true_pairs - _joined_pairs(lab, truth)),
        "seconds_link": time.perf_counter() - t0,
    }


def summarise_errors(df: pd.DataFrame) -> pd.DataFrame:
    """One row per setting (and 'all'): estimated / true link errors and the within-25 % counts."""
    out = []
    for name, g in [*df.groupby("setting", sort=False), ("all", df)]:
        out.append({
            "setting": name, "populations": len(g),
            "precision": g["precision"].mean(), "recall": g["recall"].mean(),
            **_error_count_summary(g),
        })
    return pd.DataFrame(out)


def _unblocked(run: LinkRun) -> float:
    """The expected matches never compared that the run's missed links include (0 when not estimated)."""
    return 0.0 if run.unblocked is None else float(run.unblocked["unblocked_matches"].sum())


def _error_count_summary(g: pd.DataFrame) -> dict:
    """Estimated / true false and missed links of populations `g` summed, and the populations whose estimate is
    within 25% of the true count, beside how many would be if the estimate were the exact expectation of a Poisson
    count (:func:`_attainable`). Missed links: all (every pair of one true person in two found persons, as
    ``true_link_errors`` counts them, against the estimate with the matches never compared), and among the compared
    pairs (against the estimate without them: before 2026-12-06 the estimate with them was set against the compared
    pairs, which made it look 1.17 times the truth where it was 0.93). False links: every pair in one found person
    that is two true persons (the estimate covers the pairs joined through others too; before, only scored pairs)."""
    compared = g["missed_links_est"] - g.get("unblocked_est", 0.0)
    return {
        "false est/true": g["false_links_est"].sum() / max(g["false_links_true_all"].sum(), 1),
        "missed est/true all": g["missed_links_est"].sum() / max(g["missed_links_true_all"].sum(), 1),
        "missed est/true compared": compared.sum() / max(g["missed_links_true_compared"].sum(), 1),
        "false within 25%": _within(g["false_links_est"], g["false_links_true_all"]),
        "missed within 25% (all)": _within(g["missed_links_est"], g["missed_links_true_all"]),
        "missed within 25% (compared)": _within(compared, g["missed_links_true_compared"]),
        "false within 25% if calibrated": _attainable(g["false_links_est"]),
        "missed within 25% if calibrated": _attainable(g["missed_links_est"]),
    }


def _joined_pairs(labels: np.ndarray, truth: np.ndarray | None = None) -> int:
    """Record pairs in one person (and, with `truth`, also truly one person)."""
    keys = [labels] if truth is None else [labels, truth]
    n = pd.DataFrame(dict(enumerate(keys))).groupby(list(range(len(keys)))).size().to_numpy()
    return int((n * (n - 1) // 2).sum())


def _within(est: pd.Series, true: pd.Series, tol: float = 0.25) -> int:
    """Number of populations whose estimated count lies within `tol` (relative) of the true count."""
    return int((np.abs(est - true) <= tol * true).sum())


def _attainable(est: pd.Series, tol: float = 0.25) -> float:
    """Expected number of populations within `tol` of the truth if each true count were Poisson with mean `est`.

    The false and missed links are sums of independent Bernoulli variables (one per pair) whose variance is at
    most their mean: even exactly calibrated probabilities leave a count of 8 within 25 % only about half the
    time. The Poisson probability P(|X - mu| <= tol * mu) bounds what the goal "within 25 %" can reach.
    """
    from scipy.stats import poisson

    mu = np.asarray(est, float)
    lo, hi = np.ceil((1 - tol) * mu) - 1, np.floor((1 + tol) * mu)
    return float((poisson.cdf(hi, mu) - poisson.cdf(lo, mu)).sum())


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """One row per setting (and 'all'): bias, coverage, calibration, link-error estimates, time."""
    out = []
    for name, g in [*df.groupby("setting", sort=False), ("all", df)]:
        t = g["nhat_true"]
        out.append({
            "setting": name, "populations": len(g),
            "precision": g["precision"].mean(), "recall": g["recall"].mean(),
            "reldiff_corrected_%": 100 * ((g["nhat_corrected"] - t) / t).mean(),
            "reldiff_as_linked_%": 100 * ((g["nhat_as_linked"] - t) / t).mean(),
            "sd_reldiff_corrected_%": 100 * ((g["nhat_corrected"] - t) / t).std(),
            "reldiff_bias_corrected_%": 100 * ((g["nhat_bias_corrected"] - t) / t).mean(),
            "cover_bias_corrected": ((g["lower_bias_corrected"] <= t) & (t <= g["upper_bias_corrected"])).mean(),
            "reldiff_mean_draws_%": 100 * ((g["nhat_mean_draws"] - t) / t).mean(),
            "cover_mean_draws": ((g["lower_mean_draws"] <= t) & (t <= g["upper_mean_draws"])).mean(),
            "cover_corrected": ((g["lower"] <= t) & (t <= g["upper"])).mean(),
            "cover_as_linked": ((g["lower_as_linked"] <= t) & (t <= g["upper_as_linked"])).mean(),
            "cover_linkage_only": ((g["lower_linkage_only"] <= t) & (t <= g["upper_linkage_only"])).mean(),
            "width_ratio": ((g["upper"] - g["lower"]) / (g["upper_as_linked"] - g["lower_as_linked"])).mean(),
            "share_linkage": g["share_linkage"].mean(),
            "exp/true matches scored": g["expected_matches_scored"].sum() / g["matches_scored"].sum(),
            "matches scored/all": g["matches_scored"].sum() / g["matches_all"].sum(),
            "false est/true all": g["false_links_est"].sum() / max(g["false_links_true_all"].sum(), 1),
            **_error_count_summary(g),
            "seconds_interval": g["seconds_linkage_interval"].mean(),
        })
    return pd.DataFrame(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-setting", type=int, default=17)
    ap.add_argument("--settings", default=",".join(SETTINGS))
    ap.add_argument("--draws", type=int, default=40)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--first-seed", type=int, default=1000)
    ap.add_argument("--out", default="linkage_uncertainty_study.csv")
    ap.add_argument("--errors-only", action="store_true",
                    help="only the estimated and true false/missed links (no N̂, no draws)")
    a = ap.parse_args()
    rows = []
    if a.errors_only:
        for setting in a.settings.split(","):
            for i in range(a.per_setting):
                r = link_errors_only(setting, a.first_seed + i, a.jobs)
                rows.append(r)
                print(f"{setting} seed {r['seed']}: false {r['false_links_est']:.1f}/{r['false_links_true_all']} "
                      f"missed {r['missed_links_est']:.1f}/{r['missed_links_true_all']} "
                      f"(compared {r['missed_links_est'] - r['unblocked_est']:.1f}/{r['missed_links_true_compared']}), "
                      f"{r['seconds_link']:.0f} s", flush=True)
                pd.DataFrame(rows).to_csv(a.out, index=False)
        with pd.option_context("display.width", 250, "display.max_columns", 30):
            print(summarise_errors(pd.DataFrame(rows)).round(3).to_string(index=False))
        return
    for setting in a.settings.split(","):
        for i in range(a.per_setting):
            try:
                r = one_population(setting, a.first_seed + i, a.draws, a.reps, a.jobs)
            except Exception as e:  # noqa: BLE001 - one failed population is reported, the study goes on
                print(f"{setting} seed {a.first_seed + i}: FAILED {type(e).__name__}: {e}", flush=True)
                continue
            rows.append(r)
            print(f"{setting} seed {r['seed']}: true {r['nhat_true']:,.0f} as linked {r['nhat_as_linked']:,.0f} "
                  f"corrected {r['nhat_corrected']:,.0f} [{r['lower']:,.0f}, {r['upper']:,.0f}] "
                  f"(bias-corrected {r['nhat_bias_corrected']:,.0f}, mean over draws {r['nhat_mean_draws']:,.0f}) "
                  f"false {r['false_links_est']:.0f}/{r['false_links_true_all']} "
                  f"missed {r['missed_links_est']:.0f}/{r['missed_links_true_all']} "
                  f"linkage share {r['share_linkage']:.0%}, {r['seconds_linkage_interval']:.1f} s", flush=True)
            pd.DataFrame(rows).to_csv(a.out, index=False)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(summarise(pd.DataFrame(rows)).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
