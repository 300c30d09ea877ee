"""MkDocs hooks for the executed tutorials.

* The helper module ``dfdocs`` (beside this file) is put on the import path.
* Every page renders in a fresh temporary folder as its working directory, so the commands and code
  of a tutorial write ``out/...`` there, never into the repository; the folders go when the build ends.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
_ORIGINAL_CWD = os.getcwd()
_DIRS: list[str] = []
_STARTED: dict[str, float] = {}
log = logging.getLogger("mkdocs.hooks.darkfigure")


def on_config(config):
    """Put ``dfdocs`` on the import path (MkDocs restores sys.path after importing this file)."""
    if _HERE not in sys.path:
        sys.path.insert(0, _HERE)
    return config


def on_page_markdown(markdown, page, config, files):
    """Enter a fresh working folder before the page's code blocks execute (markdown -> HTML)."""
    d = tempfile.mkdtemp(prefix="darkfigure-docs-")
    _DIRS.append(d)
    os.chdir(d)
    _STARTED[page.file.src_uri] = time.perf_counter()
    return markdown


def on_page_content(html, page, config, files):
    """Back to the build's own folder once the page has rendered."""
    os.chdir(_ORIGINAL_CWD)
    seconds = time.perf_counter() - _STARTED.pop(page.file.src_uri, time.perf_counter())
    if seconds > 1:  # the executed pages: their time is part of the build's budget
        log.info("rendered %s in %.1f s", page.file.src_uri, seconds)
        import dfdocs

        for command, t in dfdocs.TIMINGS.items():
            log.debug("  %.1f s  %s", t, command)
        dfdocs.TIMINGS.clear()
    return html


def on_post_build(config):
    """Remove the pages' working folders."""
    os.chdir(_ORIGINAL_CWD)
    while _DIRS:
        shutil.rmtree(_DIRS.pop(), ignore_errors=True)
