"""The run report: one self-contained, offline HTML file from a run folder (``darkfigure report``).

* :func:`build_report` reads a run folder (``estimate``/``monitor``/``compare --out``,
  ``darkfigure link``, the repeat-victimisation tables) and writes ``report.html``.
* :mod:`~darkfigure.report.explain`: every warning in plain words (what it means, what to do).
* :mod:`~darkfigure.report.plots`: the plots (matplotlib, embedded as PNG data URIs).
* :func:`build_public_report` (:mod:`~darkfigure.report.public`): the publication report
  (``--audience public``): rounded, disclosure-controlled, in English or Dutch.
"""

from .build import LINKAGE_FILES, RESULT_FILES, RESULT_KEYS, Run, RunFolderError, build_report, load_run, render_report
from .explain import EXPLANATIONS, Explanation, explain
from .public import build_public_report, render_public_report

__all__ = [
    "EXPLANATIONS",
    "LINKAGE_FILES",
    "RESULT_FILES",
    "RESULT_KEYS",
    "Explanation",
    "Run",
    "RunFolderError",
    "build_public_report",
    "build_report",
    "explain",
    "load_run",
    "render_public_report",
    "render_report",
]
