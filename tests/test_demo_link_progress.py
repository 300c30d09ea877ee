"""`darkfigure demo` says the linkage's phases as it goes (tester 12b, L11: ~30 s without a word)."""

from __future__ import annotations

import sys

import pytest

import darkfigure.linkage.link  # noqa: F401 - the module (the package's `link` attribute is the function)
from darkfigure.demo import _link_progress, run_demo

link_module = sys.modules["darkfigure.linkage.link"]


class _Stop(Exception):
    pass


@pytest.mark.parametrize("progress", [True, False])
def test_demo_passes_a_progress_callback_to_link(monkeypatch, tmp_path, progress):
    seen = {}

    def fake_link(files, **kwargs):
        seen.update(kwargs)
        raise _Stop

    monkeypatch.setattr(link_module, "link", fake_link)
    with pytest.raises(_Stop):
        run_demo(tmp_path / "demo", reps=10, seed=1, progress=progress)
    assert callable(seen["progress"]) if progress else seen["progress"] is None


def test_link_progress_prints_each_phase_to_stderr(capsys):
    say = _link_progress(0.0)
    say("blocking")
    err = capsys.readouterr().err
    assert err.startswith("link: blocking… (") and "s so far)" in err
