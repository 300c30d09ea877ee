"""Shared fixtures: paths to the reference results in ../shared (read-only)."""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REFERENCE = SHARED / "reference"


@pytest.fixture(scope="session")
def reference() -> Path:
    """Folder of reference results from the R peers; tests needing it skip when absent."""
    if not REFERENCE.exists():
        pytest.skip(f"reference results not found at {REFERENCE}")
    return REFERENCE
