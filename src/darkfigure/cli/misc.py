"""``darkfigure datasets``, ``darkfigure version`` and the ``--version`` option."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.padding import Padding

from .. import __version__
from .common import (
    console,
)


def list_datasets() -> None:
    """List the bundled real datasets (usable by name as DATA)."""
    # one block per dataset: a table squeezed into 80 columns cut the descriptions and sources
    console.print("[bold]Bundled datasets[/] (use the name as DATA)")
    from .. import datasets

    for name in datasets.names():
        h = datasets.load(name)
        info = datasets.DATASETS[name]
        console.print(f"\n[bold]{escape(name)}[/]: {h.k} lists, {h.n_observed:,} persons observed")
        console.print(Padding(f"{escape(info.description)}\n[dim]source: {escape(info.source)}[/]", (0, 0, 0, 2), expand=False))


def version() -> None:
    """Print the version."""
    console.print(__version__)


def _version_callback(value: bool) -> None:
    if value:
        console.print(__version__)
        raise typer.Exit()


def _main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """darkfigure: multiple systems estimation of hidden populations (how many were never registered)."""
