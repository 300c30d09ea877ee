"""The model search shows a spinner on a terminal and a line in a pipe (tester 12b, L11: demo's silent 24 s)."""

from __future__ import annotations

import io

import darkfigure as dfg
from darkfigure.pipeline import phases


class _Stream(io.StringIO):
    """A stderr that says whether it is a terminal."""

    def __init__(self, tty: bool):
        """`tty`: what isatty answers."""
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        """Whether this stream is a terminal."""
        return self.tty


class _Spinner:
    """Records the label it was entered with, instead of drawing."""

    shown: list[str] = []  # noqa: RUF012 (shared by the instances of one test)

    def __init__(self, label: str):
        """Keep `label`."""
        self.label = label

    def __enter__(self):
        _Spinner.shown.append(self.label)
        return self

    def __exit__(self, *exc):
        return False


def _run(monkeypatch, tty: bool) -> tuple[list[str], str]:
    """Estimate with progress on a stderr that is (or is not) a terminal: (spinner labels, stderr text)."""
    stream = _Stream(tty)
    _Spinner.shown = []
    monkeypatch.setattr(phases, "_status", _Spinner)
    monkeypatch.setattr(phases.sys, "stderr", stream)
    dfg.estimate("kosovo_1999", search="cruyff", ci="none", progress=True, assumption_range="off")
    return list(_Spinner.shown), stream.getvalue()


def test_model_search_shows_a_spinner_on_a_terminal(monkeypatch):
    shown, text = _run(monkeypatch, tty=True)
    assert any(s.startswith("model search") for s in shown)
    assert "model search" not in text  # nothing left behind on the terminal


def test_model_search_writes_lines_when_piped(monkeypatch):
    shown, text = _run(monkeypatch, tty=False)
    assert shown == []  # no spinner in a pipe or a log
    assert "model search (cruyff)…" in text and "done in" in text
