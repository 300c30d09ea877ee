"""The secret key of the pseudonymisation (moved from :mod:`darkfigure.linkage.pseudonymise`): read from a key file
or the environment, never from the command line."""

from __future__ import annotations

import os
from pathlib import Path

from .registrations import RegistrationError

__all__ = ["KEY_ENV", "MIN_KEY_BYTES", "PseudonymisationError", "load_key"]

KEY_ENV = "DARKFIGURE_KEY"
MIN_KEY_BYTES = 16


class PseudonymisationError(RegistrationError):
    """Pseudonymisation cannot run (no key, a short key, bad or already pseudonymised input); the message says why."""


# ----------------------------------------------------------------------------- keys
def load_key(key_file: str | Path | None = None, env: str = KEY_ENV) -> bytes:
    """The secret key from `key_file` or, without one, from the environment variable `env`.

    Surrounding white space (a trailing newline) is stripped, so ``secrets.token_hex(32)``
    written to a file works as it is; so is a byte-order mark, and a file saved as UTF-16
    (Windows Notepad's "Unicode") is read as its text, so that the same key typed into two
    editors gives the same key id (tester report 7, 16).

    Returns
    -------
    bytes
        At least :data:`MIN_KEY_BYTES` (16) bytes.

    Raises
    ------
    PseudonymisationError
        Key file missing or unreadable; no key file and `env` unset or empty; a key
        shorter than 16 bytes. The key itself never appears in a message.
    """
    if key_file is not None:
        p = Path(key_file)
        try:
            key = _text_key(p.read_bytes())
        except FileNotFoundError:
            raise PseudonymisationError(f"key file {str(p)!r} not found") from None
        except OSError as e:
            raise PseudonymisationError(f"cannot read key file {str(p)!r}: {e.strerror or e}") from None
        where = f"key file {p.name!r}"
    else:
        val = os.environ.get(env, "")
        if not val.strip():
            raise PseudonymisationError(
                f"no key: set the environment variable {env} or give --key-file FILE (a key is never taken from "
                "the command line); make one with: python -c \"import secrets; print(secrets.token_hex(32))\" > key.txt"
            )
        key = val.strip().removeprefix("\ufeff").strip().encode("utf-8")
        where = f"environment variable {env}"
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymisationError(
            f"the key in the {where} is {len(key)} bytes; at least {MIN_KEY_BYTES} are needed "
            "(e.g. 64 hex characters from secrets.token_hex(32))"
        )
    return key


def _text_key(raw: bytes) -> bytes:
    """A key file's bytes without a byte-order mark (UTF-16 files as their UTF-8 text) or surrounding white space."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            raw = raw.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            pass  # not text after all: the bytes are the key
    elif raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.strip()
