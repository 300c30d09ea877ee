"""Hierarchical log-linear model terms.

A *term* is a sorted tuple of variable names (lists or covariates): ``("A",)`` is a
main effect, ``("A", "B")`` the A x B interaction. A *model* is a set of terms that
is hierarchical: with every term it holds all of its lower-order margins. Main
effects of every variable are always in the model (the independence model of
multiple systems estimation); the intercept is implicit.

Notation follows R's model formulae (``Freq ~ A + B + A:B``) so that search paths
read like the output of ``step()`` (Chambers & Hastie 1992, ch. 6).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

__all__ = ["Term", "LogLinearModel", "parse_terms"]

Term = tuple[str, ...]


def _canon(term: Iterable[str], order: dict[str, int]) -> Term:
    t = tuple(sorted(set(term), key=lambda v: order[v]))
    return t


@dataclass(frozen=True)
class LogLinearModel:
    """A hierarchical log-linear model over lists and covariates.

    Parameters
    ----------
    variables : tuple of str
        All variables, lists first then covariates, in the order used for naming terms.
    interactions : frozenset of Term
        Terms of order >= 2 (main effects are implicit). Use :meth:`make`, which
        closes the set under margins.

    Notes
    -----
    Hierarchy (marginality) as in Bishop, Fienberg & Holland (1975, ch. 3): every
    margin of a term in the model is in the model.
    """

    variables: tuple[str, ...]
    interactions: frozenset[Term]

    @classmethod
    def make(cls, variables: Sequence[str], terms: Iterable[Iterable[str]] = ()) -> LogLinearModel:
        """Build the hierarchical closure of `terms` over `variables`.

        Raises
        ------
        ValueError
            A term names an unknown variable.
        """
        order = {v: i for i, v in enumerate(variables)}
        out: set[Term] = set()
        for t in terms:
            t = tuple(t)
            for v in t:
                if v not in order:
                    raise ValueError(f"term {':'.join(t)} names unknown variable {v!r}; variables are {list(variables)}")
            t = _canon(t, order)
            for r in range(2, len(t) + 1):
                out.update(combinations(t, r))
        return cls(tuple(variables), frozenset(out))

    def _order(self) -> dict[str, int]:
        return {v: i for i, v in enumerate(self.variables)}

    @property
    def terms(self) -> list[Term]:
        """All terms: main effects then interactions by order, in variable order."""
        order = self._order()
        mains = [(v,) for v in self.variables]
        inter = sorted(self.interactions, key=lambda t: (len(t), [order[v] for v in t]))
        return mains + inter

    def add(self, term: Iterable[str]) -> LogLinearModel:
        """The model with `term` (and its margins) added."""
        return LogLinearModel.make(self.variables, list(self.interactions) + [tuple(term)])

    def drop(self, term: Iterable[str]) -> LogLinearModel:
        """The model without `term`.

        Raises
        ------
        ValueError
            If `term` is not droppable (not in the model, or a margin of a higher term).
        """
        t = _canon(term, self._order())
        if t not in self.droppable():
            raise ValueError(f"term {':'.join(t)} cannot be dropped from this model")
        return LogLinearModel(self.variables, self.interactions - {t})

    def droppable(self) -> list[Term]:
        """Interactions not contained in a higher-order term (R's ``drop.scope``)."""
        out = []
        for t in self.interactions:
            if not any(len(u) > len(t) and set(t) < set(u) for u in self.interactions):
                out.append(t)
        order = self._order()
        return sorted(out, key=lambda t: (len(t), [order[v] for v in t]))

    def addable(self, max_order: int = 2, among: Sequence[str] | None = None) -> list[Term]:
        """Terms up to `max_order` not in the model whose margins all are (R's ``add.scope``).

        Parameters
        ----------
        max_order : int
            Highest order of interaction considered.
        among : sequence of str, optional
            Restrict to terms whose variables all lie in `among`.
        """
        pool = list(self.variables if among is None else [v for v in self.variables if v in set(among)])
        out = []
        for r in range(2, max_order + 1):
            for t in combinations(pool, r):
                if t in self.interactions:
                    continue
                if all(m in self.interactions for m in combinations(t, r - 1)) or r == 2:
                    out.append(t)
        return out

    def formula(self, response: str = "Freq") -> str:
        """R-style formula, e.g. ``Freq ~ A + B + C + A:B``."""
        return f"{response} ~ " + " + ".join(":".join(t) for t in self.terms)

    def label(self) -> str:
        """Short label: the interactions (``A:B + B:C``) or ``main effects``."""
        inter = [":".join(t) for t in self.terms if len(t) > 1]
        return " + ".join(inter) if inter else "main effects"

    def __len__(self) -> int:
        return len(self.interactions)


def parse_terms(spec: str | Sequence[str] | None) -> list[Term]:
    """Parse ``"A:B, B:C"`` or ``["A:B", "B:C"]`` (also ``A*B``) into terms.

    Raises
    ------
    ValueError
        On an empty term.
    """
    if spec is None:
        return []
    items = spec.replace("+", ",").split(",") if isinstance(spec, str) else list(spec)
    out = []
    for it in items:
        it = it.strip()
        if not it:
            continue
        parts = [p.strip() for p in it.replace("*", ":").split(":")]
        if any(not p for p in parts):
            raise ValueError(f"cannot read model term {it!r}; write interactions as A:B")
        if len(set(parts)) < len(parts):
            raise ValueError(f"model term {it!r} repeats a variable; an interaction joins different lists or covariates")
        if len(parts) < 2:
            raise ValueError(f"model term {it!r} is a main effect (always included); give interactions such as A:B")
        out.append(tuple(parts))
    return out
