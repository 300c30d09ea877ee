"""The date-of-birth conflict check and the error-count check of ``link`` (linkage/date_conflicts.py)."""

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage.date_conflicts import _gross, date_conflict_check, error_count_check


def _day(s: str) -> float:
    return float((pd.Timestamp(s) - pd.Timestamp("1970-01-01")).days)


def _frame(rows):
    """Prepared registrations (fn, sn, sex, nat, dob_day) from (fn, sn, date) rows."""
    return pd.DataFrame({"fn": [r[0] for r in rows], "sn": [r[1] for r in rows], "sex": "f", "nat": "nl",
                         "dob_day": [_day(r[2]) if r[2] else np.nan for r in rows]})


@pytest.mark.parametrize("a, b, gross", [
    ("1980-05-17", "1980-05-17", False),   # equal
    ("1980-05-17", "1981-05-17", False),   # year off by one, same day
    ("1980-05-07", "1980-07-05", False),   # day and month swapped
    ("1980-01-01", "1981-08-30", False),   # an age turned into 1 January, year off by one
    ("1980-05-17", "1980-06-30", False),   # within two months
    ("1980-05-17", "1990-05-17", False),   # one digit
    ("1972-07-12", "1973-06-01", True),    # tester 13b: months apart, another year
    ("1980-02-10", "1980-10-16", True),    # same year, eight months apart
    ("1960-03-03", "1975-11-20", True),
    ("1990-01-01", "1980-01-01", True),    # an age turned into 1 January ten years off: no one-digit typo
])
def test_gross_levels(a, b, gross):
    assert bool(_gross(np.array([_day(a)]), np.array([_day(b)]))[0]) is gross


def _unique_names(n, rng):
    syll = np.array(["ka", "lo", "mi", "ver", "tun", "sa", "rel", "dor", "qui", "zan", "pe", "hul"])
    return ["".join(rng.choice(syll, 3)).title() for _ in range(n)]


def test_far_apart_dates_of_unique_names_are_warned():
    rng = np.random.default_rng(1)
    fn, sn = _unique_names(400, rng), _unique_names(400, rng)
    dob = pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 40 * 365, 400), "D")
    rows = [(f, s, d.strftime("%Y-%m-%d")) for f, s, d in zip(fn, sn, dob)]
    # 30 persons registered again under a date months or years off; 10 again with a near miss (not gross)
    far = [(fn[i], sn[i], (dob[i] + pd.Timedelta(days=200 + 3 * i)).strftime("%Y-%m-%d")) for i in range(30)]
    near = [(fn[i], sn[i], (dob[i] + pd.DateOffset(years=1)).strftime("%Y-%m-%d")) for i in range(30, 40)]
    prep = _frame(rows + far + near)
    labels = np.r_[np.arange(400), np.arange(400, 430), np.arange(30, 40)]  # the far ones apart, the near ones joined
    out = date_conflict_check(prep, labels, 0.003)
    assert out["observed"] == 30
    assert out["apart"] == 30
    assert out["expected"] < 3
    assert out["warning"] and "30 pairs" in out["warning"] and "0.3%" in out["warning"]
    # the same registrations, the far ones linked: counted, none apart, no warning
    joined = date_conflict_check(prep, np.r_[np.arange(400), np.arange(30), np.arange(30, 40)], 0.003)
    assert joined["observed"] == 30 and joined["apart"] == 0 and joined["warning"] is None


def test_namesakes_drawn_independently_are_not_warned():
    rng = np.random.default_rng(2)
    first, last = _unique_names(25, rng), _unique_names(25, rng)
    n = 3000
    dob = pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 40 * 365, n), "D")
    rows = [(first[a], last[b], d.strftime("%Y-%m-%d"))
            for a, b, d in zip(rng.integers(0, 25, n), rng.integers(0, 25, n), dob)]
    out = date_conflict_check(_frame(rows), np.arange(n), 0.003)
    # 3000 persons over 625 names: about 7,000 namesake pairs, nearly all with far-apart dates
    assert out["observed"] > 1000
    assert out["observed"] == pytest.approx(out["expected"], rel=0.1)
    assert out["warning"] is None


def test_no_names_or_dates_gives_nothing():
    prep = _frame([("A", "B", None), ("A", "B", None)])
    assert date_conflict_check(prep, np.arange(2), 0.003)["observed"] == 0
    with pytest.raises(ValueError, match="one value per registration"):
        date_conflict_check(prep, np.arange(3), 0.003)


def test_error_count_check_says_which_way():
    est = pd.DataFrame({"false_links": [10.0, 3.1], "missed_links": [1.0, 1.5]})
    true = pd.DataFrame({"false_links": [1.0, 1.0], "missed_links": [20.0, 25.0]})
    out = error_count_check(est, true)
    assert len(out) == 2
    assert "13.1 false links" in out[0] and "more false links than there are" in out[0]
    assert "2.5 missed links" in out[1] and "under-state" in out[1]
    # within a factor 2, or fewer than 10 apart: nothing
    assert error_count_check(est, pd.DataFrame({"false_links": [8.0, 2.0], "missed_links": [3.0, 4.0]})) == []


def _registrations(n_persons, gross_share, rng, namesakes=False):
    """Prepared registrations of persons registered twice, a share of them under a second date far off; names
    unique per person (or drawn from small pools, `namesakes`)."""
    if namesakes:
        first, last = _unique_names(25, rng), _unique_names(25, rng)
        fn = [first[i] for i in rng.integers(0, 25, n_persons)]
        sn = [last[i] for i in rng.integers(0, 25, n_persons)]
    else:
        fn, sn = _unique_names(n_persons, rng), _unique_names(n_persons, rng)
    dob = pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 40 * 365, n_persons), "D")
    far = rng.random(n_persons) < gross_share
    second = [d + pd.Timedelta(days=int(400 + rng.integers(0, 2000))) if f else d for d, f in zip(dob, far)]
    rows = [(f, s, d.strftime("%Y-%m-%d")) for f, s, d in zip(fn + fn, sn + sn, list(dob) + second)]
    return _frame(rows), far


def test_gross_date_m_estimated_from_the_excess():
    from darkfigure.linkage.dob_recalibration import recalibrate_gross_dates

    rng = np.random.default_rng(3)
    prep, far = _registrations(600, 0.1, rng)
    n = len(far)
    a, b = np.arange(n), np.arange(n) + n
    q = np.where(far, 0.02, 0.99)  # the model: the far-dated pairs scored low, the others linked
    notes: list[str] = []
    (a2, b2, q2), counts = recalibrate_gross_dates(prep, (a, b, q), notes, 0.003)
    assert counts["significant"]
    # m = excess / (linked + excess), the excess a 90% lower bound: a little under the share of persons with a far
    # second date (one pair each)
    assert far.mean() - 0.04 < counts["m"] <= far.mean() + 0.01
    k = counts["factor"]
    assert k == pytest.approx(counts["m"] / (2 * 0.003), rel=1e-9)  # both gross levels' m (0.3% each) replaced
    raised = np.isclose(q2[far], k * 0.02 / (0.98 + k * 0.02))
    # a far date can still land on a near-miss level (a 1 January, one digit): those pairs keep their score
    assert raised.mean() > 0.9 and np.allclose(q2[far][~raised], 0.02)
    assert np.array_equal(q2[~far], q[~far]) and "raised from 0.6%" in notes[0]


def test_gross_date_m_unchanged_without_an_excess():
    from darkfigure.linkage.dob_recalibration import recalibrate_gross_dates

    rng = np.random.default_rng(4)
    prep, far = _registrations(1500, 0.0, rng, namesakes=True)
    n = len(far)
    q = np.full(n, 0.99)
    edges = (np.arange(n), np.arange(n) + n, q)
    notes: list[str] = []
    out, counts = recalibrate_gross_dates(prep, edges, notes, 0.003)
    assert not counts["significant"] and counts["factor"] == 1.0
    assert out[2] is q and notes == []
    assert recalibrate_gross_dates(None, edges, notes, 0.003) == (edges, None)


def test_term_frequencies_count_one_person_under_two_dates_once():
    from darkfigure.linkage.prepare import _identity_key, _tf_tables

    rng = np.random.default_rng(5)
    prep, far = _registrations(600, 0.1, rng)
    prep["full_name"] = prep["fn"] + " " + prep["sn"]
    prep["dob"] = pd.to_datetime(prep["dob_day"], unit="D").dt.strftime("%Y-%m-%d")
    tf = _tf_tables(prep, ["full_name"], *_identity_key(prep, ["fn", "sn", "dob"]))["full_name"].set_index("full_name")
    u = tf["tf_full_name"]
    names = (prep["fn"] + " " + prep["sn"]).to_numpy()[:600]
    # a unique name under two far-apart dates counts as one person, not two: its u is a unique name's
    assert np.allclose(u[names[far]], u[names[~far][0]], rtol=0.05)
    # without the excess (dates of one person always equal) nothing is taken off: every name is carried once
    prep2, _ = _registrations(600, 0.0, np.random.default_rng(5))
    prep2["full_name"] = prep2["fn"] + " " + prep2["sn"]
    prep2["dob"] = pd.to_datetime(prep2["dob_day"], unit="D").dt.strftime("%Y-%m-%d")
    u2 = _tf_tables(prep2, ["full_name"], *_identity_key(prep2, ["fn", "sn", "dob"]))["full_name"]["tf_full_name"]
    assert u2.nunique() == 1


def test_gross_runs_in_bounded_chunks_with_the_same_answer(monkeypatch):
    """Review: the digit loop ran over all dated edges at once (gigabytes at a million registrations)."""
    import darkfigure.linkage.date_conflicts as dc

    rng = np.random.default_rng(5)
    da = rng.integers(-3000, 15000, 2_503).astype(float)
    db = np.where(rng.random(da.size) < 0.5, da + rng.integers(-90, 90, da.size), rng.integers(-3000, 15000, da.size))
    whole = dc._gross_chunk(da, db)
    seen = []
    real = dc._gross_chunk

    def spy(a, b):
        """Record each chunk's length and compute it."""
        seen.append(a.size)
        return real(a, b)

    monkeypatch.setattr(dc, "GROSS_CHUNK", 1_000)
    monkeypatch.setattr(dc, "_gross_chunk", spy)
    np.testing.assert_array_equal(dc._gross(da, db), whole)
    assert seen == [1_000, 1_000, 503] and whole.any() and not whole.all()


def test_the_name_frame_is_built_once_per_link(monkeypatch):
    """Review: conflict_counts and date_conflict_check each built the frame of names and dates."""
    import darkfigure.linkage.date_conflicts as dc

    prep, far = _registrations(300, 0.2, np.random.default_rng(8))
    calls = []
    real = dc._frame

    def spy(p):
        """Count the builds."""
        calls.append(len(p))
        return real(p)

    monkeypatch.setattr(dc, "_frame", spy)
    dc._MEMO.clear()
    dc._FRAMES.clear()
    counts = dc.conflict_counts(prep)
    out = dc.date_conflict_check(prep, np.arange(len(prep)) % 300, 0.003, counts)  # each person's two rows joined
    assert calls == [len(prep)] and out["observed"] > 0 and out["apart"] == 0
    assert dc._FRAMES == {}  # not kept past its last use
    apart = dc.date_conflict_check(prep, np.arange(len(prep)), 0.003, counts)  # every row its own person
    assert apart["apart"] == apart["observed"] >= far.sum() * 0.9
