"""`darkfigure demo` shows the stages after the monitor on a terminal (tester 12b, L11): stages faked, no real run."""

from __future__ import annotations

import io
import sys
import types

import pytest

import darkfigure.linkage.link  # noqa: F401 - the module (the package's `link` attribute is the function)
import darkfigure.monitoring
import darkfigure.monitoring.revictimisation
from darkfigure.demo import run_demo
from darkfigure.linkage.uncertainty import LinkRun
from darkfigure.pipeline import phases

link_module = sys.modules["darkfigure.linkage.link"]


class _Stop(Exception):
    pass


class _Tty(io.StringIO):
    """A stderr that is a terminal."""

    def isatty(self) -> bool:
        """Always a terminal."""
        return True


@pytest.mark.parametrize("progress", [True, False])
def test_repeat_victimisation_stage_shows_a_spinner(monkeypatch, tmp_path, progress):
    shown = []

    class Spinner:
        """Records the label it is entered with."""

        def __init__(self, label):
            """Keep `label`."""
            self.label = label

        def __enter__(self):
            shown.append(self.label)

        def __exit__(self, *exc):
            return False

    fake = types.SimpleNamespace(write=lambda out: None, histories=types.SimpleNamespace(levels={}))

    def stop(*args, **kwargs):
        """The repeat-victimisation stage: stop the demo here, with the spinner (if any) running."""
        raise _Stop

    monkeypatch.setattr(link_module, "link", lambda files, **kw: fake)
    monkeypatch.setattr(LinkRun, "from_result", staticmethod(lambda r: None))
    monkeypatch.setattr(darkfigure.monitoring, "monitor", lambda *a, **kw: fake)
    monkeypatch.setattr(darkfigure.monitoring.revictimisation, "revictimisation", stop)
    monkeypatch.setattr(phases, "_status", Spinner)
    monkeypatch.setattr(phases.sys, "stderr", _Tty())
    with pytest.raises(_Stop):
        run_demo(tmp_path / "demo", reps=10, seed=1, progress=progress)
    assert shown == (["repeat victimisation…"] if progress else [])
