"""Linkage of 1,000,000 registrations on DuckDB with 2 threads: wall time and peak memory.

Target (issue 11): under 3 minutes and 4 GB, pairwise precision and recall >= 0.95. The
registrations come from the synthetic clearing house scaled up
(``simulate_registrations("clearing_house", scale=127, errors="recurring_names")``: about
1.02M registrations by 6 organisations, about 636,000 persons, names far more
concentrated than the packaged lists so that one first name + surname recurs among
hundreds of persons, 10% without a date of birth), with the true person kept aside. They
are generated once and cached as one Parquet file per organisation in the temporary
folder, so repeated runs time the linkage only. Each run is a fresh process (``--child``)
so that its peak resident memory (``getrusage`` maxrss, which includes DuckDB's memory)
is its own; the wall time covers reading and validating the files, training, scoring,
clustering, match-weight histogram, persons, capture histories and the linkage-error
estimates (not writing them).

Before the large-register blocking (shared 2-core machine with a load average of about 11, one run): 1,022,521
registrations -> 628,730 persons (635,710 true); 49.6M pairs scored; wall time 466 s (prepare 38, train 24, predict
314, cluster 57, assemble 21); peak memory 4.51 GB; pairwise precision 0.507, recall 0.801. With names this
concentrated the rule on the pair of names alone yields 20M pairs, the rules for a missing date of birth 10M each,
and namesakes chain into large clusters. At a fifth of the size (``--scale 25``): 200,197 registrations, 5.83M
pairs, 67 CPU-s, peak 1.71 GB, precision 0.884, recall 0.907.

With ``engines.cap_blocks`` (a rule of more than 1M pairs drops its blocks of more than ``max_block=60``
registrations) and the name normalisation no longer copying an Arrow column per ``van`` name (2026-12-05, load
average 15-23 from other jobs, so CPU seconds are the figure to read; one run each, seed 1):

- 200,197 registrations (``--scale 25``): 4.30M pairs scored; precision 0.885, recall 0.907; 49 CPU-s
  (prepare 8, train 10, predict 24, cluster 3, assemble 2); peak 1.72 GB.
- 1,022,521 registrations (default scale): 20.6M pairs scored; precision 0.857, recall 0.818 (676,772 persons for
  635,710); 180 CPU-s (prepare 44 single-threaded, of which about 16 normalising, 7 sizing the coarse rules, 10
  cutting the blocks; train 25, predict 79, cluster 17, assemble 10); wall 928 s at load 10-17; peak 4.20 GB
  (DuckDB memory_limit 2GB). On 2 idle cores that is between 90 s (everything on two threads) and 180 s (nothing
  in parallel): the single-threaded Python stages take about 74 s, DuckDB's 104 CPU-s about 55-65 s on two
  threads, so about 2.2 minutes, not measured idle. (The earlier form of the cut, by pairs per block, commit
  163a217: 22.3M pairs, precision 0.840, recall 0.821, 196 CPU-s, 4.28 GB.)

Still short of the target: precision and recall 0.86/0.82 against 0.95/0.95 (false links between namesakes born in
one year, registrations without a date of birth attached to a namesake; the pairs the cut drops are mostly such
registrations, which stay unlinked and count as missed), and the peak memory is 0.2 GB over 4 GB.

With the cluster split (``clustering.split_clusters``) and, in the second run, the blocking rules for a day/month
swap with a typo and for swapped names with a wrong year plus the leaner ``clustering._edges`` (2026-12-05, seed 1,
load 13-20 from other jobs, one run each; ``benchmarks/link_scale_diagnosis.py`` says where the pairs are lost):

- before the new rules (diagnosis run, one process): 1,022,521 registrations -> 700,607 persons; precision 0.976,
  recall 0.795. The split took precision from 0.857 to 0.976 and cost recall 0.818 -> 0.795.
- with them: 22.2M pairs scored (20.6M before); precision 0.9762, recall 0.7968 (699,945 persons for 635,710);
  252 CPU-s at load 13.6 (wall 1,258 s: read 21, prepare 309, train 187, predict 620, cluster 63, assemble 46);
  peak 4.26 GB, reached in the clustering (peak by stage: prepare 2.28, train 3.24, predict 3.35, cluster 4.26,
  assemble 4.07 GB), while DuckDB still holds the table of scored pairs (dropping it after ``_edges`` did not
  lower the resident peak of the clustering at 200k: 1.22 against 1.07 GB, so it was not kept). At 200k: 4.47M
  pairs, precision 0.966, recall 0.899, 67-68 CPU-s, peak 1.96-1.98 GB (in predict).

Recall is what misses the target at 1M: of 524,024 true pairs 107,290 are missed, 37,023 of them never compared
(19,432 by no rule even uncut, mostly registrations without a date of birth with a typo, whose coarse rules are
left out at this size; 17,591 only in blocks the cut drops: undated registrations with common names) and 66,300
compared but scored 0.001-0.5 (44,017 with one date of birth missing: a name shared by many persons, with the
covariates and the registration date as the only other evidence). Re-clustering the scored pairs at 200k moves
along F1 0.93 (threshold 0.3: 0.930/0.925; 0.7: 0.983/0.865), so the clustering is not the lever: the evidence
for undated registrations is.

With the large blocks of the rules for a missing date of birth compared in windows of 60 registrations sorted by
registration day (two shifts) instead of dropped, and DuckDB closed before the clustering (2026-12-05, seed 1, one
run at load 14.7, from ``/usr/bin/time -v``): 24.98M pairs scored (22.2M before); precision 0.9729, recall 0.8065
(696,185 persons for 635,710); 600 CPU-s (531 user, 70 system) and wall 2,530 s (read 31, prepare 327, train 154,
predict 1,908, cluster 65, assemble 38); peak 3.75 GB (3.94 GB maxrss from ``time``), now reached in predict
(prepare 2.89, train 3.55, predict 3.75, cluster 3.68, assemble 3.29 GB): closing DuckDB took the clustering from
4.26 to 3.68 GB. The windows gained 0.010 of recall for 0.003 of precision; the CPU seconds more than doubled, most
of it in predict, where DuckDB wrote about 40 GB to its temporary folder (``time``: 78.8M blocks written) at
memory_limit 2GB. Second run, the same code with the blocking codes as 32-bit integers and dropped with DuckDB before
the clustering (load 12.2): the same linkage (24,983,639 pairs, 0.9729/0.8065); 456 CPU-s, wall 1,887 s (prepare 230,
train 181, predict 1,367, cluster 52, assemble 29); peak 3.34 GB (train 3.19, predict 3.34, cluster 3.25 GB);
DuckDB wrote about 15.6 GB to its temporary folder by the 29th minute. The windows' share of the CPU seconds is not
separated from the machine's load (``--no-windows`` runs the dropped form; not run: its first attempt patched the
wrong object and ran the windows).

What bounds recall here (``link_scale_diagnosis.py --bound-only``): 19.1% of the true pairs have a registration
without a date of birth; giving each such registration to the right one of the k persons who share its recorded
names, sex, nationality, covariates and registration year with probability 1/k, and every dated pair as found, gives
recall at most 0.964 at 1M (0.985 at 200k). Recall 0.95 at 1M thus needs nearly every dated pair and nearly every
undated registration whose name and covariates are unique (72,367 of the 100,026 undated true pairs have k = 1);
the 44,017 undated pairs scored 0.001-0.5 (how many of them have k = 1 was not measured) point to the evidence of
covariates and registration date for undated pairs as the lever, more than blocking.

Where the CPU seconds went, and the pipeline made cheaper without changing the linkage (2026-12-05, seed 1; CPU-s
per stage now printed, from the process's CPU time sampled at the stage boundaries; one 1M run each, the second
at a load of 3.9): at 1M registrations 456 CPU-s were prepare ~60 (single-threaded Python), Splink's blocking
(each rule joined on text columns, every earlier rule's SQL evaluated on each pair to drop duplicates), Splink's
exact-match detection (sqlglot normalising each name level's SQL to CNF, 25-30 s of one thread per link at any
size), training, and predict spilling to disk. Changes: the blocked pairs are generated on integer codes of the
rules' keys (``engines.rule_codes``/``blocked_pairs``: one DuckDB join per rule, earlier rules' codes compared as
integers) and registered with Splink, which then loads only the compared columns; the exact-match detection is
cached per level SQL; the plaintext columns are built on Arrow arrays; the blocking codes are int32 and freed as
used; EM samples 2M pairs per session (was 5M). The same pairs and match probabilities at 8k and 200k
registrations (plaintext and Bloom checked pair by pair; ``linkage_quality_study.py --settings
inconsistent_covariates --seeds 11``: P 0.9781 R 0.9694 before and after, 38 -> 11 s per link).

- 200,197 registrations (``--scale 25``): 70.0 -> 54.6 CPU-s (Splink's blocking took about 17 CPU-s of predict,
  the code blocking 2.8; after: read 0.6, prepare 6.1, block 2.8, train 18.1, predict 21.9 of which the name
  comparison's CASE is about 12 and joining the pairs to their columns 6, cluster 2.6, assemble 1.5); wall 169.6 s
  at load 5.0 -> 100.1 s at load 4.3; peak 2.01 -> 1.59 GB; 4,547,058 pairs, precision 0.9645, recall 0.9043
  unchanged.
- 1,022,521 registrations: 456 -> 227 CPU-s (read 4.2, prepare 40.7, block 12.6, train 22.3, predict 120.4,
  cluster 14.6, assemble 9.9); wall 1,887 s at load 12 -> 323 s at load 3.9 (prepare 65, block 23, train 36,
  predict 159, cluster 17, assemble 16); peak 3.34 -> 3.16 GB (in predict; prepare 2.78); DuckDB's temporary
  files at most 1.43 GB (15-40 GB before); 24,983,639 pairs (the same), precision 0.9729, recall 0.8065. A first
  run with the code blocking but the old preparation and EM on 5M pairs (load 9.4): 270.5 CPU-s, prepare 60.3,
  train 40.2, peak 4.42 GB in prepare (the codes cached as int64, fixed since), precision 0.9730, recall 0.8069:
  EM's sample of 2M pairs moved the linkage by 0.0004 of recall.

On 2 idle cores this is about 2.5 minutes, not measured idle: the single-threaded Python stages take about 70 s
(read, prepare, cluster, assemble), DuckDB's 155 CPU-s (block, train, predict) about 80 s on two threads. The
rest of the time is the name comparison itself (predict: 5 CPU-microseconds per pair, 25M pairs), whose levels
are not this benchmark's to change. Recall at 1M is mostly not a blocking problem: the 24,983,639 pairs hold
502,740 of the 524,024 true pairs (blocking recall 0.959; by the first rule that generates a pair, the four
rules on a name with the year and the month or day of birth add 4.8M pairs and 2,053 true pairs, the rules on
the date of birth with one initial or two letters after the one with both initials 5.4M and 19,400), so 0.15 of
recall is lost in the scoring and clustering of compared pairs (mostly registrations without a date of birth
among namesakes), 0.04 in blocking.

Remeasured 2026-12-05 (seed 1, code of commit f718a75, one run of ``link`` in one process that also kept the scored
pairs for ``link_scale_diagnosis.py``, at load 10-14 from other jobs): 1,022,521 registrations -> 693,911 persons
(635,710 true); precision 0.9728, recall 0.8123 (changes elsewhere since the run above moved recall by 0.006);
274 CPU-s (user + system), wall 767 s (read 20, prepare 147, block 32, train 60, predict 437, cluster 43, assemble
23); peak 3.12 GB. Where recall goes (``link_scale_diagnosis.py``): the dated pairs keep 0.947 of theirs (0.992 at
100k), the pairs with one undated registration 0.307 (0.756 at 100k), and half of these are among six or more
persons who carry the same exact name. Re-clustering the scored pairs with other cuts stays on F1 0.885-0.896, and
the namesake bound without the simulator's calendar year is 0.944: recall 0.95 at 1M on this setting is above what
its registrations identify, whatever the clustering.

With the dated pairs' logit shift fitted on the register from their date levels
(``calibration.DATED_SELF_CALIBRATION`` on, not the default; one run in one process that also kept the scored pairs,
load 3-13, 2026-12-05): precision 0.9803, recall 0.7959 (against 0.9728 / 0.8123), 286 CPU-s (255 user, 31 system),
wall 651 s, peak 3.37 GB. It fitted +1.27 where the truth asks +2.31: at 1M the model scores true dated pairs 2-3
logits too low in every band (``link_scale_diagnosis.py``), which no fit on the pairs it separates sees.

With the m of the date-of-birth levels estimated from the namesake pairs' mixture instead of EM
(``dob_levels.dob_level_m``; m of "exact" 0.844 at 200k and 1M, 0.849 true at 200k, EM had 0.17 at 100k and 0.02 at
1M) and the dated pairs' shift fitted on each register's pairs with exact names in blocks the cut keeps whole
(``calibration.DATED_SELF_CALIBRATION`` on, ``_uncut_namesakes``) instead of the fixed +1.95 (2026-12-05, seed 1,
one run each, load 2.4 and 6.1): the uncalibrated dated pairs are now calibrated at 200k and 1M (logit shift fitted
on the truth -0.03 and -0.07; it was +2.31 at 1M), the fitted shift is +0.37 at 200k (+1.30 without the restriction
to uncut name blocks, +1.95 fixed before).

- 200,197 registrations: precision 0.9645 -> 0.9683, recall 0.9043 -> 0.9081 (129,308 persons for 124,711); 45
  CPU-s (train 14, predict 14), wall 62 s at load 4.6; peak 1.67 GB. (The m alone with the fixed +1.95: 0.9496 / 0.9139; with the unrestricted self-calibration
  0.9623 / 0.9105.)
- 1,022,521 registrations: precision 0.9728 -> 0.9632, recall 0.8123 -> 0.8298 (685,862 persons for 635,710);
  220 CPU-s (read 4, prepare 40, block 11, train 22, predict 112, cluster 22, assemble 8), wall 468 s at load 6.1;
  peak 3.27 GB (in the clustering). With the unrestricted self-calibration (fitted +1.30): 0.9360 / 0.8404.

Still short of recall 0.95 at 1M: what is lost now is mostly pairs with an undated registration among namesakes
(the namesake bound is 0.964 with the simulator's calendar year, 0.944 without; ``link_scale_diagnosis.py``).

Issue 11 on ``large_register`` (2026-12-06, seed 1, one run each; main at 05e7332: 18.26M pairs, precision 0.9629,
recall 0.9007, 168 CPU-s, wall 147 s at load 2.1, peak 3.34 GB):

- the coarse rules for a missing date of birth (one name exact, two letters of the other) kept at 1M and compared in
  windows of registration dates (``_plain_settings(windowed=True)``; they were left out): 23.30M pairs, 0.9648 /
  0.9008, 232 CPU-s (wall 359 s at load 4.5), 3.40 GB. The pairs they add score below 0.5 without better evidence.
- plus a teaching sample (``linkage._masked_teach``: a quarter of the registrations also compared on those keys,
  dates ignored) whose dated pairs, with the uncut namesakes, teach the date-masked calibration with the name
  features: for every undated pair, 24.45M pairs, 0.9607 / 0.9027 (one-undated misspelt names, one true person
  0.478 -> 0.627; but exact names among 3-5 persons 0.734 -> 0.658, among 6-20 0.307 -> 0.099); for the undated
  pairs with misspelt names only: 0.9605 / 0.9107, 264-272 CPU-s, wall 271 s at load 2.8 (486 s at
  4.6), peak 3.57-3.60 GB (in the clustering: the second calibration's features). Over the 180 s target.
- the default now (``splink_model.COARSE_WINDOWED`` off: the teaching sample and the second curve, without the
  windowed coarse rules): 19.46M pairs, precision 0.9601, recall 0.9069 (658,155 persons), 205 CPU-s, wall 149 s at
  load 1.4, peak 3.40 GB. Still short of recall 0.95: what is left is mostly undated pairs among namesakes.
- quality at 5,000 persons (``linkage_quality_study.py``, held out seeds 11-13, tuning standard/messy 1-2): unchanged
  by construction (the rule on two letters of both names is kept there, so no teaching sample, and the coarse rules
  are small): typos 0.9970 / 0.9927, dob_errors 0.9935 / 0.9918, no_dob 0.9848 / 0.9849, recurring_names 0.9885 /
  0.9882, inconsistent_covariates 0.9787 / 0.9752, standard 0.9969 / 0.9988, messy 0.9922 / 0.9914; main at e6fb09f
  gives the same but for no_dob recall 0.9848 (seed 12: its placeholder dates of birth, not this change).

Recall of misspelt undated registrations (2026-12-06, seed 1, at a load of 7-8 from other jobs, so CPU seconds are the
figure to read; the code before it run the same way from a copy with ``_rare_blocks.RARE_BLOCKS`` off): the coarse
rules for a missing date of birth that are left out at 1M keep their blocks of at most 30 registrations
(``linkage._rare_blocks``; 8,458 undated true pairs compared by no rule before sit in such blocks at a limit of 60,
6,345 at 20): 20,343,184 pairs (19,462,916 before), precision 0.9601 -> 0.9593, recall 0.9069 -> 0.9117 (656,058
persons), 270.0 and 277.2 CPU-s in two runs at loads 6.8 and 9.3 (250.1 before, at load 8.4; block 12.8-13.3 against
10.4, predict 111.5-112.5 against 105.4, cluster 43-47 against 36.5), peak 3.33-3.44 GB (3.27). Wall time not
measured idle: scaled by the CPU seconds (+8-11%) from the 149-162 s measured idle before, about 165-180 s, at the
edge of the 180 s target. Measured idle later (2026-12-06 13:25, main da0d4db, with the input checks of that day:
placeholder dates, control characters, undated namesakes, pairs sorted): 181.3 s wall, 238.2 CPU-s at load 0.7, one
run, peak 3.61 GB (prepare 59.9 s wall, block 5.9, train 13.6, predict 41.3, cluster 32.6, assemble 14.6): 1.3 s
over the target. Rules identical at 5,000 persons and at 200k (no coarse rule is left out there), so their quality is unchanged.

Tried and not kept (the same day): the undated pairs shifted so that their registrations have a dated match as often
as the dated registrations do (an assumption the truth confirms: 0.606 of either at 1M, 0.602-0.603 at 200k; the
expected share of undated registrations with a dated match from their probabilities was 0.541 at 1M and 0.578 at 200k,
so the undated pairs are under-confident on the whole): the shift, +0.65 at 1M and +0.51 at 200k, moves along F1
(1M: 0.9593 / 0.9117 -> 0.9508 / 0.9233; 200k: 0.9741 / 0.9646 -> 0.9708 / 0.9675), losing more than 0.003 of
precision at 200k.

Tried and not kept (2026-12-06 evening, seed 1, code of eace685, loads 4-8 from other jobs): the point linkage of the
undated registrations by the calibrated assignment of ``undated_draws`` (a unit joins its most probable person when
``o_k / (kappa_O + S) > 1/2``; the posterior stored as the match probability of its pairs with that person's dated
registrations, so re-clustering a saved folder gives the same persons; ``compete_missing_dates`` otherwise, pairs of
two undated registrations unchanged). Measured from one link each, the old form re-clustered from the same scored
pairs (which reproduces ``link``'s persons exactly): 200k 0.9741 / 0.9645 -> 0.9718 / 0.9684 (bench: 60.2 CPU-s at
load 4.4 before, 65.4 at load 7.5 after; cluster 13.3 / 13.2); 1M 0.9593 / 0.9117 -> 0.9530 / 0.9244 (F1 0.9349 ->
0.9385, but 0.0063 of precision lost; +3.8 CPU-s in the clustering, 4.7 against 0.9 for the competition). At 5,000
persons the calibration of ``kappa`` is unstable (median 0.18-1.45 over no_dob and recurring_names seeds 11-13, with
target share and truth agreeing: undated with a dated match 0.575 against q 0.602 on no_dob 11), and both means
fall: precision 0.9859 -> 0.9851, recall 0.9870 -> 0.9858 (no_dob 11: 0.9845 / 0.9870 -> 0.9769 / 0.9884, 24 wrong
and 9 right new joins; recurring_names 12: 0.9882 / 0.9879 -> 0.9895 / 0.9799, 18 right links dropped at kappa 1.45).
Tester 15a (held out): realistic-1 0.9870 / 0.9790 -> 0.9834 / 0.9834, nodob20-1 0.9688 / 0.9558 -> 0.9614 / 0.9660.
Variants on the same pairs all move along F1: kappa x1.5 (1M 0.9577 / 0.9190, 200k 0.9736 / 0.9658, 5k recall -0.006
to -0.011 on three of six), x2 (1M 0.9605 / 0.9134, 200k 0.9755 / 0.9635), only units with one candidate person (1M
0.9589 / 0.9142, 200k 0.9734 / 0.9658), that with the best pair and kappa at most 1 (1M 0.9587 / 0.9147; 5k precision
-0.003 on two seeds), the target share counted only over units with a candidate (recall -0.017 at 200k). Missed at
200k (3,632 of 102,422 true pairs): 2,808 with one undated registration (488 never scored, 1,194 scored below 0.5,
827 pushed below 0.5 by the competition, 299 at or above 0.5 and apart), 640 dated (362 never scored), 184 both
undated; at 1M (46,277 of 524,022): 37,279 with one undated registration (6,328 never scored, 19,188 below 0.5,
9,060 pushed below by the competition, 2,703 at or above 0.5 and apart), 6,568 dated (2,193 never scored, 3,876
below 0.5), 2,430 both undated. Of the 299 at 200k at or above 0.5 and apart, 184 are cut by the split; making the
split's weights of undated-dated pairs never negative rejoins them but costs more (200k 0.9683 / 0.9683, tester 15a
realistic-1 0.9842 / 0.9822). The undated pairs' evidence, not the assignment rule, sets the trade-off.

Where the CPU seconds of the day's checks go, and the preparation made cheaper without changing the linkage
(2026-12-06 afternoon, seed 1, loads 8-17 from other jobs: CPU seconds, not wall, are the figure; cProfile on the
process's CPU clock, one 1M run of main 199953c at load 8.5, Python calls inflated by the profiler): placeholder dates
4.6 CPU-s (two calls: the note when reading, the mask when preparing), control characters 0.4, undated namesakes 0.9,
the truth check's second ``pairwise_quality`` 1.7, sorting the pairs 1.0, the rare-block rules 0.7 (their 0.88M pairs
cost in block, predict and cluster); the matches never compared (``unblocked.unblocked_matches``, merged the same day)
34.5, of which 31 coding names and their parts value by value (13M Python calls); the placeholder names, older, 20.8
(each distinct name tested 8 times). Changed: placeholder dates counted on integer codes, each distinct name cleaned
once (1.1 instead of 2.6-3.5 CPU-s a call at 1M); placeholder names tested once per distinct name
(``prepare._name_cells``, remembered across the blanking, the letterless note and the nameless count;
``placeholder_warnings`` only where one is held); ``engines._side_codes`` codes one side of a rule that joins each
column with itself. Links, pairs, notes and warnings identical at 200k and 1M. Unprofiled 1M runs, one each: main
309.9 CPU-s at load 10.6 (prepare 238 s wall, peak 3.51 GB) -> 270.4 at load 9.3 with the first two changes (prepare
157 s wall, peak 3.41 GB) -> 305.6 at load 14.6 with all three (wall 1,255 s; CPU-s per stage read 8.4,
prepare 59.7, block 14.6, train 25.4, predict 132.1, cluster 42.7, assemble 16.3; peak 3.41 GB): at these loads the
CPU seconds grow with the load, so the three runs do not rank the last change; 200k: 65.8 CPU-s at load 10.6 ->
60.5 at 8.4 -> 64.6 at 14.1. Not measured idle. ``unblocked``'s codes computed on distinct names (a patch, not
applied: not this benchmark's file) took 7.3 -> 1.6 CPU-s at 1M, giving the same arrays.

2026-12-07 (main at 5433932: the transliteration levels of 7 Dec morning, the pseudonymised folded tokens, the twin
evidence and cannot-links, date spikes and name parts; seed 1, one run, a test suite on the other core for its
first 13 minutes, load 1.9 at the end): 1,022,530 registrations -> 656,252 persons (635,710 true); 22.36M pairs;
precision 0.9616, recall 0.9120; wall 921.5 s, 712.7 CPU-s (read 28.8, prepare 67.1, train 31.4, predict 520.1,
cluster 38.8, assemble 17.4), peak 3.58 GB, DuckDB temporary files up to 4.17 GB. Predict took 4x the CPU of 6 Dec
(132 CPU-s) and spilled to disk: a regression against the 3-minute target, not yet located. At 200k (scale 25,
threads 2) the twin evidence costs nothing (wall 65 s without, 67 s with), so the suspects are the folded-name
columns carried per pair (more than DuckDB's 2 GB memory_limit holds at 1M) rather than the new comparisons.

The regression located (2026-12-07 late morning, seed 1, one run each, at loads 1.7-2.4 with a tester's and a helper's
jobs on the other core; CPU seconds are the figure to read). Bisected at 1M on the same cached registrations:
147916a (6 Dec 17:20) 233.2 CPU-s (block 12.2, predict 95.7), 20,343,184 pairs, 0.9593 / 0.9117, peak 3.39 GB,
DuckDB's temporary files 1.21 GB; b8cbd8c (6 Dec 23:29) 643.3 CPU-s with no block stage (predict 505.7), 22,068,365
pairs, 3.99 GB of temporary files; 877cccd (before the transliteration levels) the same 663.9. The cause: the blocking
rules for dates derived from an age (``age_dates.age_blocking_rules``, merged 6 Dec 22:25) read ``l.dob_age = '1'
and ...``, a form ``engines.rule_codes`` cannot code, so every rule went back to Splink's joins on text whenever an
organisation's dates read as age-derived (this setting's 2% of 1 January dates do). They now read ``l.blk_dob_not_age
is null and ...`` (the same pairs; test). Main with it: 338.7 CPU-s, wall 334.7 s (load 2.0), 22,286,269 pairs,
0.9617 / 0.9119, peak 3.95 GB, temporary files 1.37 GB. Then the input checks made cheaper (formula-like and long
cells per distinct value, the placeholder-date and age-convention finders remembered by content instead of run four
times): 287.2 CPU-s (read 16.3, prepare 52.9, block 16.7, train 27.3, predict 113.6, cluster 39.7, assemble 13.2),
wall 349.9 s at load 2.2, peak 4.05 GB (in predict; 3.16 GB already at the end of prepare against 2.72 on 6 Dec).
Against 6 Dec the rest is the new work of 6-7 Dec: the age rules' 1.7M pairs (precision and recall unchanged at this
size), the transliteration levels and their columns, the twin evidence, date spikes and name parts. Still over both
targets, and recall 0.912 short of 0.95; the peak memory is the first thing to cut next (Python's high-water mark
from the preparation, which the process keeps: `read` peaks at 1.44 GB against 1.13 on 6 Dec, the settings at 1.98
against 1.67, measured by resident memory after each step on the same files).

2026-12-07 afternoon, on a machine restarted since (the same registrations regenerated, seed 1; every stage took 1.5-1.7x
the morning's CPU seconds, predict too, whose code no change since touched, so this host is slower and the morning's
figures do not compare), one run each, the machine idle but for the other run: main 42d0b0c 333.1 s wall, 460.7 CPU-s (load 1.4; read 26.6, prepare 83.5, block
26.4, train 43.3, predict 190.8, cluster 54.5, assemble 22.1), peak 4.12 GB, 0.9617 / 0.9119; with the relatives' name
level and comparison (merge of s21-rel) 386.9 s wall, 542.9 CPU-s (load 0.7; prepare 95.8, train 54.8, predict
239.4), peak 4.21 GB, 22,286,269 pairs (the same), 0.9614 / 0.9125: +16% wall for the relatives' comparison, whose
condition (two first names of one surname, not spellings of one) is evaluated on every scored pair sharing a surname.
Still over the 3-minute and 4 GB targets; the reading peak of the morning's change (1.41 -> 1.24 GB) did not lower
the peak, reached in predict (Python's ~3.2 GB held since the preparation plus DuckDB's working memory).

Where the memory goes (2026-12-07 evening, 1M, main of that afternoon, one run each, in a row, load 3.3-4.2 from a
study beside them; ``/proc/self/statm`` peaks per stage): the default run peaked at 3.86 GB (predict 3.78, cluster
3.81; the idle run of the afternoon 4.12). Python's own data are small: at 200k registrations the prepared frame holds
92 MB (Arrow strings), the read frame 35 MB, Arrow's live allocations 0.13 GB, traced Python/NumPy objects 0.21 GB,
against a resident 0.72 GB: the rest is freed memory the allocators keep. With Arrow's system allocator
(``ARROW_DEFAULT_MEMORY_POOL=system``, instead of mimalloc) the 1M peak was 3.62 GB (predict 3.61, cluster 3.59); with
glibc's ``malloc_trim`` and Arrow's ``release_unused`` after the preparation and after blocking, 3.77 GB. Both within
the spread of repeated runs of one code (3.8-4.2 GB), so not adopted; a candidate for the 4 GB target, to be measured
with repeats on an idle machine.

Where predict's time goes (2026-12-07 night, main at 7704511, seed 1, one run each at loads 2-5 from helpers' jobs;
scripts /work/notes/s25 of that session, not shipped): at 200k (``--scale 25``) one link took 133 CPU-s, wall 212 s
(read 9.8, prepare 42.2, block 8.1, train 58.2, predict 56.2, cluster 24.4, assemble 7.5), 3,090,196 pairs, precision
0.9747, recall 0.9677; sampled with py-spy, DuckDB's calls were 82 of 187 s on the main thread (predict 53, the EM
sessions 22, u by sampling 5.5), the date-masked calibration's logistic fits 9.6 s (153 evaluations of the loss).
DuckDB's query profile of predict at ``--scale 5`` (40,517 registrations, no block cut there: 2,713,559 pairs, 53 s)
puts 98 of its CPU-s in the projection of the comparison vectors, and timing each comparison's CASE alone on the
same pairs: the name comparison 31.5 s, date of birth 3.8, relatives 3.6, sex 2.9, the rest under 0.5 each. Not the
Levenshtein distances: computing the five distinct ``levenshtein(..)`` calls once per pair in an inner projection
gave 31.8 s against 35.7 s (within the load's noise); the cost is the evaluation of 23 levels of nested AND/OR,
``length`` and string comparisons over every pair that reaches them (most pairs differ in both names and reach the
last levels). Distinct (first name, surname) pairs of pairs are 1.10M of 2.71M, so evaluating the levels once per
distinct name pair would save at most 2.5x of that part. What would cut it: the name level computed once per pair
outside the CASE chain. DuckDB 2.0 evaluates a scalar function that is a WHEN's whole left side once per row for
the CASE (a Python UDF counted 100,000 calls for 100,000 rows under two WHENs), but one nested in AND/OR per WHEN
that reaches it (93,333 calls lazily); so levels written ``WHEN name_level(fn_l, sn_l, fn_r, sn_r, ...) = k`` with a
compiled ``name_level`` registered on the connection would cost one call per pair. Not done: the 20 levels'
predicates (close, similar, near, contained, two, part, related, the relatives' levels; NULLs in three-valued logic)
must be ported exactly and tested level by level against the SQL, and Spark keeps the SQL.

Run: python benchmarks/bench_link.py [REPEAT] [--scale S] [--errors SETTING] [--threads T] [--memory-limit 2GB] [--max-block B]
[--no-windows]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SCALE = 127.0
SEED = 1
#: registration setting (darkfigure.linkage.synthetic.REGISTRATION_SCENARIOS): the packaged name frequencies (already
#: about four times as concentrated as the Dutch population register's surnames; one first name + surname shared by
#: up to 376 persons at this size), 10% without a date of birth. ``--errors recurring_names`` runs the stress setting
#: (exponent 1.6 on the frequencies) that the figures before 2026-12-06 are of.
ERRORS = "large_register"


def _data(scale: float, errors: str = ERRORS) -> list[Path]:
    from darkfigure.linkage import simulate_registrations

    folder = Path(tempfile.gettempdir()) / f"darkfigure_bench_link_{errors}_scale{scale:g}_seed{SEED}"
    done = folder / "done"
    if not done.exists():
        t0 = time.perf_counter()
        sim = simulate_registrations("clearing_house", seed=SEED, scale=scale, errors=errors)
        folder.mkdir(parents=True, exist_ok=True)
        for org, df in sim.files().items():
            df.to_parquet(folder / f"{org}.parquet", index=False)
        done.write_text(f"{len(sim.registrations)} registrations, {sim.persons.shape[0]} persons\n")
        print(f"generated {len(sim.registrations):,} registrations in {time.perf_counter() - t0:.1f} s -> {folder}")
    return sorted(folder.glob("*.parquet"))


def _folder_gb(folder: Path) -> float:
    """Size of the files under `folder` (GB); files deleted while it counts are skipped."""
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total / 1024**3


def _child(files: list[str], threads: int, memory_limit: str | None, max_block: int | None,
           windows: bool = True) -> None:
    from darkfigure.linkage import link

    if not windows:
        import functools

        from darkfigure.linkage.engines import cap_blocks

        # the module, not the function darkfigure.linkage exports under the same name
        link_module = sys.modules["darkfigure.linkage.link"]
        link_module.cap_blocks = functools.partial(cap_blocks, windows=False)

    load0 = os.getloadavg()[0]
    samples: list[tuple[float, float, float]] = []
    done = threading.Event()

    spill = [0.0]

    def sample() -> None:
        """Resident memory (GB) and CPU seconds of the process every 0.1 s, to say which stage reaches the peak and
        where the CPU seconds go; every second the size of the temporary folder (DuckDB's spilled buffers: the
        parent gives this process a temporary folder of its own)."""
        page = os.sysconf("SC_PAGE_SIZE")
        tick = 0
        while not done.wait(0.1):
            with open("/proc/self/statm") as f:
                samples.append((time.perf_counter(), int(f.read().split()[1]) * page / 1024**3, time.process_time()))
            tick += 1
            if tick % 10 == 0:
                spill[0] = max(spill[0], _folder_gb(Path(tempfile.gettempdir())))

    sampler = threading.Thread(target=sample, daemon=True)
    t0, cpu_start = time.perf_counter(), time.process_time()
    sampler.start()
    res = link(files, threads=threads, memory_limit=memory_limit, truth="true_person_id", seed=0, max_block=max_block)
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    # the stages of link() follow one another in the order of res.seconds: the largest sample within each
    stage_peak, stage_cpu, start, cpu0 = {}, {}, t0, cpu_start
    for k, v in res.seconds.items():
        stage_peak[k] = max((g for t, g, _ in samples if start <= t < start + v), default=float("nan"))
        cpu1 = max((c for t, _, c in samples if t < start + v), default=cpu0)
        stage_cpu[k], cpu0 = cpu1 - cpu0, cpu1
        start += v
    ru = resource.getrusage(resource.RUSAGE_SELF)
    rss_kb = ru.ru_maxrss  # kilobytes on Linux
    q = res.quality.iloc[0]
    print(json.dumps({
        "wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "load": (load0 + os.getloadavg()[0]) / 2,
        "peak_gb": rss_kb / 1024**2, "registrations": len(res.links), "persons": res.n_persons,
        "true_persons": int(q["true_persons"]), "precision": float(q["precision"]), "recall": float(q["recall"]),
        "scored_pairs": int(res.weights["pairs"].sum()), "seconds": res.seconds, "stage_peak_gb": stage_peak,
        "stage_cpu": stage_cpu, "spill_gb": spill[0],
        "false_links_est": float(res.linkage_errors["false_links"].sum()),
        "missed_links_est": float(res.linkage_errors["missed_links"].sum()),
    }))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("repeat", nargs="?", type=int, default=1)
    ap.add_argument("--scale", type=float, default=SCALE)
    ap.add_argument("--errors", default=ERRORS, help="registration setting (default %(default)s)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default="2GB")
    ap.add_argument("--max-block", type=int, default=None,
                    help="largest block of a cut blocking rule (default: link's MAX_BLOCK; 0: no cut)")
    ap.add_argument("--no-windows", action="store_true",
                    help="drop the large blocks of the rules for a missing date of birth instead of comparing them "
                         "in sorted windows (engines.cap_blocks windows=False)")
    ap.add_argument("--child", nargs="*")
    a = ap.parse_args()
    if a.child is not None:
        from darkfigure.linkage.engines import MAX_BLOCK

        mb = MAX_BLOCK if a.max_block is None else (a.max_block or None)
        _child(a.child, a.threads, a.memory_limit, mb, not a.no_windows)
        return
    files = _data(a.scale, a.errors)
    runs = []
    for _ in range(a.repeat):
        cmd = [sys.executable, __file__, "--threads", str(a.threads), "--memory-limit", a.memory_limit,
               *(["--max-block", str(a.max_block)] if a.max_block is not None else []),
               *(["--no-windows"] if a.no_windows else []), "--child", *map(str, files)]
        with tempfile.TemporaryDirectory(prefix="darkfigure_bench_tmp_") as tmp:
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={**os.environ, "TMPDIR": tmp})
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = runs[-1]
        print(f"run: {r['wall']:.1f} s wall, {r['cpu']:.1f} CPU-s (load average {r['load']:.1f}), "
              f"peak {r['peak_gb']:.2f} GB, temporary files up to {r['spill_gb']:.2f} GB; stages (wall) "
              + ", ".join(f"{k} {v:.1f}" for k, v in r["seconds"].items())
              + "; CPU-s per stage " + ", ".join(f"{k} {v:.1f}" for k, v in r["stage_cpu"].items())
              + "; peak per stage (GB) " + ", ".join(f"{k} {v:.2f}" for k, v in r["stage_peak_gb"].items()))
    r = runs[-1]
    walls = [x["wall"] for x in runs]
    print(f"{r['registrations']:,} registrations -> {r['persons']:,} persons ({r['true_persons']:,} true); "
          f"{r['scored_pairs']:,} pairs scored; pairwise precision {r['precision']:.4f}, recall {r['recall']:.4f}; "
          f"estimated false links {r['false_links_est']:,.0f}, missed {r['missed_links_est']:,.0f}")
    print(f"DuckDB, {a.threads} threads, memory_limit {a.memory_limit}: wall time median {statistics.median(walls):.1f} s "
          f"(runs {', '.join(f'{w:.1f}' for w in walls)}); peak memory {max(x['peak_gb'] for x in runs):.2f} GB "
          "(target < 180 s, < 4 GB)")


if __name__ == "__main__":
    main()
