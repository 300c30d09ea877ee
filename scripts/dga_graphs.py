"""Regenerate src/darkfigure/bayes/_dga_graphs.py (the decomposable graphs on 3-5 lists) from the enumeration.

Run: python scripts/dga_graphs.py  (then ruff and tests/test_dga.py::test_shipped_graphs_equal_the_enumeration)
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from darkfigure.bayes import _dga_graphs
from darkfigure.bayes.dga import _enumerate_graphs


def _mask(t: tuple[int, ...]) -> int:
    return sum(1 << v for v in t)


def main() -> None:
    path = Path(_dga_graphs.__file__)
    head = path.read_text().split("GRAPHS: dict[int, str] = {")[0]
    body = []
    for k in (3, 4, 5):
        pairs = [(a, b) for a in range(k) for b in range(a + 1, k)]
        rows = [
            f"{sum(1 << pairs.index(p) for p in g.edges)}:{'.'.join(str(_mask(c)) for c in g.cliques)}:"
            f"{'.'.join(str(_mask(s)) for s in g.separators)}"
            for g in _enumerate_graphs(k)
        ]
        body.append(f"    {k}: (\n")
        body += [f'        "{line} "\n' for line in textwrap.wrap(" ".join(rows), 110, break_long_words=False)]
        body.append("    ),\n")
    path.write_text(head + "GRAPHS: dict[int, str] = {\n" + "".join(body) + "}\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
