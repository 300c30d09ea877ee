"""Cruyff's search gives the same path, bit for bit, whether a forked helper fits every other candidate
(loglinear/_search_helper.py) or this process fits them all, and when the helper dies mid-search."""

import os

import pytest

from darkfigure import datasets
from darkfigure.loglinear import _search_helper, search
from darkfigure.loglinear.design import CompleteTable

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")


def _search(monkeypatch, fork: str):
    monkeypatch.setenv("DARKFIGURE_SEARCH_FORK", fork)
    return search.cruyff_search(CompleteTable(datasets.load("cruyff_simdat"), year="Y", year_degree=2))


def _same(a, b):
    assert a.path.equals(b.path)
    assert [f.model for f in a.fits] == [f.model for f in b.fits]
    assert a.best.nhat == b.best.nhat and a.best.deviance == b.best.deviance


def test_helper_gives_the_same_path(monkeypatch):
    one = _search(monkeypatch, "0")
    used = []
    real = _search_helper.CandidateHelper.result

    def counted(self, tag):
        used.append(tag)
        return real(self, tag)

    monkeypatch.setattr(_search_helper.CandidateHelper, "result", counted)
    two = _search(monkeypatch, "1")
    assert used, "no candidate was fitted by the helper"
    _same(one, two)


def test_a_dead_helper_leaves_the_path_unchanged(monkeypatch):
    one = _search(monkeypatch, "0")
    def dies_after_three(table, fit, to_parent, from_parent):
        for _ in range(3):
            req = _search_helper._recv(from_parent)
            if req is None:
                return
            tag, model, start = req
            f = fit(table, model, mu_start=start, check=False, tol=1e-8, floor=1e-300)
            _search_helper._send(to_parent, (tag, f.__class__(**{**f.__dict__, "table": None})))
        os._exit(1)

    monkeypatch.setattr(_search_helper, "_serve", dies_after_three)
    two = _search(monkeypatch, "1")
    _same(one, two)


def test_helper_not_started_when_off_or_small(monkeypatch):
    monkeypatch.setenv("DARKFIGURE_SEARCH_FORK", "0")
    t = CompleteTable(datasets.load("cruyff_simdat"), year="Y", year_degree=2)
    assert _search_helper.start_helper(t, None) is None
    monkeypatch.setenv("DARKFIGURE_SEARCH_FORK", "")
    small = CompleteTable(datasets.load("uk_2013"))  # 31 cells: a fit takes less than a round trip
    assert _search_helper.start_helper(small, None) is None
