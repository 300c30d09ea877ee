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


def check_key(key: object) -> bytes:
    """`key` as the bytes ``pseudonymise`` uses, or a message that says what a key is (tester 13b, L4).

    A key is bytes (at least :data:`MIN_KEY_BYTES`), as :func:`load_key` returns them. A hex string, a key file's
    name or None all got "the key must be at least 16 bytes"; each now gets what to do. A string is not taken as
    the key: it may be a file name, and ``bytes.fromhex`` of the text would give another key (and key id) than
    the command line, which uses the key file's text itself.

    Raises
    ------
    PseudonymisationError
        None, a string, another type, or fewer than 16 bytes. The key itself never appears in a message.
    """
    if isinstance(key, (bytes, bytearray)):
        if len(key) < MIN_KEY_BYTES:
            raise PseudonymisationError(f"the key must be at least {MIN_KEY_BYTES} bytes, not {len(key)} (make one "
                                        "with secrets.token_hex(32) into a key file, read it with load_key)")
        return bytes(key)
    if key is None:
        raise PseudonymisationError("no key given: read the shared key with darkfigure.linkage.load_key('key.txt') "
                                    f"(or load_key() for the environment variable {KEY_ENV}) and pass it as key=")
    if isinstance(key, (str, Path)):
        raise PseudonymisationError(
            "the key must be bytes, not text: read it with darkfigure.linkage.load_key('key.txt') (the key file's "
            "text, as the command line reads it, so that the key id matches the other organisations'); a key held "
            "as text is key.encode() (not bytes.fromhex, which gives another key than the command line)")
    raise PseudonymisationError(f"the key must be bytes (see darkfigure.linkage.load_key), not {type(key).__name__}")
