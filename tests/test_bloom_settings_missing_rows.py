"""Rows of an older pseudonymised export (no bf_settings) concatenated with a newer one: read as the defaults."""

import pandas as pd
import pytest

from darkfigure.linkage.bloom_settings_check import SETTINGS_COLUMN, _default_text, file_settings, settings_text
from darkfigure.linkage.registrations import RegistrationError


def test_missing_settings_rows_read_as_the_defaults():
    df = pd.DataFrame({SETTINGS_COLUMN: [_default_text(), None, float("nan")]})
    assert file_settings(df, "police.csv") == _default_text()


def test_other_settings_beside_missing_rows_are_refused():
    df = pd.DataFrame({SETTINGS_COLUMN: [settings_text(500, 10, 3), None]})
    with pytest.raises(RegistrationError, match="mixes encodings"):
        file_settings(df, "police.csv")
