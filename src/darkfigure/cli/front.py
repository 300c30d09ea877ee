"""``darkfigure estimate DATA [options]`` without typer's parser, when every option is plain.

Typer converts each of estimate's 28 parameters with a pydantic validator it builds at parse time, and imports
pydantic to do so: 0.1-0.15 s of CPU per process, paid before any statistics (issue 13: the simdat job and the
exhaustive search spend 2-2.4 s a process, of which ~1 s is start-up). :func:`answer` reads the command line
itself when it is ``estimate`` followed by one DATA and only options of :func:`darkfigure.cli.estimate.estimate`
that take a word, a whole number, a decimal, a path or nothing (a flag), each at most once, written ``--name
value`` or ``--name=value``; it converts them as typer does (checked option by option against typer's own
conversion in ``tests/test_cli_front.py``), calls the same function and exits with its exit code. Anything else
goes through typer, whose messages the user then gets: ``--help``, a short option, an option given twice, an
unknown option, a second DATA, ``--``, a value starting with ``-``, a number typer might read differently
(``1_000``, ``1e3``, `` 7``), a value outside an option's ``min``/``max``, an empty path, and every option typer
treats specially (callbacks, environment variables, prompts, counts, path checks, ``--x/--no-x`` flags).
"""

from __future__ import annotations

import errno
import re
import sys
from pathlib import Path

__all__ = ["answer", "parse"]

# values read here; every other one is left to typer (whose pydantic validators accept more spellings)
_INT = re.compile(r"[0-9]{1,15}")
_FLOAT = re.compile(r"[0-9]{1,15}(\.[0-9]{1,15})?|\.[0-9]{1,15}")
# typer's OptionInfo attributes that change how a value is read, at the values that leave it plain
_PLAIN = {"callback": None, "parser": None, "envvar": None, "default_factory": None, "is_eager": False,
          "prompt": False, "count": False, "is_flag": None, "flag_value": None, "clamp": False, "exists": False,
          "resolve_path": False, "allow_dash": False, "path_type": None, "click_type": None, "expose_value": True,
          "file_okay": True, "dir_okay": True, "writable": False, "readable": True, "mode": None, "formats": None}


def _options(fn) -> tuple[dict[str, tuple[str, type, object, object]], str | None] | None:
    """``{"--name": (parameter, type, min, max)}`` of `fn`'s plain options and the name of its one argument (DATA),
    from its typer annotations; None when `fn` has a parameter this reader does not know (typer reads them all)."""
    import inspect
    import typing

    from typer.models import ArgumentInfo, OptionInfo

    hints = typing.get_type_hints(fn, include_extras=True)
    opts, argument = {}, None
    for name in inspect.signature(fn).parameters:
        hint = hints[name]
        info = next((m for m in getattr(hint, "__metadata__", ()) if isinstance(m, (OptionInfo, ArgumentInfo))), None)
        base = typing.get_args(hint)[0] if info is not None else hint
        args = set(typing.get_args(base)) - {type(None)}
        kind = next(iter(args)) if len(args) == 1 else base
        if isinstance(info, ArgumentInfo):
            if argument is not None or kind is not str:
                return None
            argument = name
            continue
        if info is not None and any(getattr(info, a, v) != v for a, v in _PLAIN.items()):
            continue  # typer reads this one (a use of it sends the whole line to typer)
        if kind not in (str, int, float, bool, Path):
            continue
        # in Annotated, typer takes Option's first positional (its `default`) as the first option name
        first = getattr(info, "default", ...)
        decls = [*([first] if isinstance(first, str) else []), *(getattr(info, "param_decls", None) or ())]
        if kind is bool and len(decls) != 1:
            continue  # a flag without one explicit name is --x/--no-x in typer
        if len(decls) > 1 or any(not d.startswith("--") or "/" in d for d in decls):
            continue
        opt = decls[0] if decls else "--" + name.replace("_", "-")
        opts[opt] = (name, kind, getattr(info, "min", None), getattr(info, "max", None))
    return opts, argument


def parse(args: list[str], fn) -> dict[str, object] | None:
    """The keyword arguments typer would pass to `fn` for ``estimate`` `args` (the command line after the program),
    only those given; None when the line is not plain (module docstring) and typer should read it."""
    if not args or args[0] != "estimate":
        return None
    spec = _options(fn)
    if spec is None or spec[1] is None:
        return None
    opts, argument = spec
    kwargs: dict[str, object] = {}
    i = 1
    while i < len(args):
        a = args[i]
        if a.startswith("--"):
            key, eq, val = a.partition("=")
            if key not in opts or opts[key][0] in kwargs:
                return None
            name, kind, lo, hi = opts[key]
            if kind is bool:
                if eq:
                    return None
                kwargs[name] = True
                i += 1
                continue
            if not eq:
                if i + 1 >= len(args):
                    return None
                val, i = args[i + 1], i + 1
            if val.startswith("-"):
                return None
            if kind is int:
                if not _INT.fullmatch(val):
                    return None
                v: object = int(val)
            elif kind is float:
                if not _FLOAT.fullmatch(val):
                    return None
                v = float(val)
            elif kind is Path:
                if not val.strip():
                    return None
                v = Path(val)
            else:
                v = val
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                return None
            kwargs[name] = v
        elif a.startswith("-") or argument in kwargs:
            return None
        else:
            kwargs[argument] = a
        i += 1
    return kwargs if argument in kwargs else None


def answer(args: list[str]) -> bool:
    """Run ``estimate`` `args` without typer's parser when they are plain and exit (SystemExit with the command's
    exit code, as typer's); False, having done nothing, when typer should read them."""
    import os

    if any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return False  # a shell-completion request: typer answers it
    import typer

    from .estimate import estimate

    kwargs = parse(args, estimate)
    if kwargs is None:
        return False
    try:
        estimate(**kwargs)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except OSError as e:
        if e.errno != errno.EPIPE:
            raise
        sys.exit(1)  # a closed pipe (`| head`): as click, exit 1 without a word
    sys.exit(0)  # as typer after a command that returns
