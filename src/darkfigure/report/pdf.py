"""The report printed to PDF by headless Chromium (``darkfigure report --pdf``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import DataError


class ChromiumMissing(DataError):
    """No Chromium on PATH: the PDF cannot be printed (the command line skips it with a message)."""


def find_chromium() -> str | None:
    """The Chromium (or Chrome) binary on PATH, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def print_pdf(html: str | Path, pdf: str | Path, *, timeout: float = 120.0) -> Path:
    """Print an HTML file to PDF with headless Chromium (``--print-to-pdf``).

    Parameters
    ----------
    html : path
        The report to print (a local file; the page loads nothing from the network).
    pdf : path
        The PDF to write.
    timeout : float
        Seconds to wait for Chromium.

    Returns
    -------
    Path

    Raises
    ------
    ChromiumMissing
        No Chromium on PATH (the message says how to install it).
    DataError
        Chromium failed or wrote no PDF.
    """
    exe = find_chromium()
    if exe is None:
        raise ChromiumMissing("--pdf needs Chromium, which was not found on PATH (install it, e.g. `apt-get install "
                              "chromium`); the HTML report was written without a PDF")
    pdf = Path(pdf)
    with tempfile.TemporaryDirectory(prefix="darkfigure-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
               "--disable-background-networking", f"--user-data-dir={profile}", "--no-pdf-header-footer",
               f"--print-to-pdf={pdf}", Path(html).resolve().as_uri()]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                               env={**os.environ, "HOME": profile})
        except (OSError, subprocess.TimeoutExpired) as e:
            raise DataError(f"Chromium could not print the PDF ({e}); the HTML report was written") from None
    if not pdf.is_file() or pdf.stat().st_size == 0:
        tail = (r.stderr or "").strip().splitlines()[-1:] or ["no message"]
        raise DataError(f"Chromium wrote no PDF (exit {r.returncode}: {tail[0]}); the HTML report was written")
    return pdf
