"""The complete table (lists x covariates) and log-linear design matrices.

The complete table has one cell per capture pattern (2^k) and covariate stratum.
Cells whose pattern is all-zero are unobservable (structural zeros of the observed
table); their fitted values are the hidden numbers. Further cells can be declared
structural zeros (a list that cannot register a subgroup).

Codings follow R's defaults so that parameters and fit statistics match ``glm``:
lists are 0/1 indicators; categorical covariates use treatment contrasts (first
level is the reference); a numeric covariate such as year can instead be coded as
orthogonal polynomials of degree d as by R's ``poly()`` (Kennedy & Gentle 1980,
the three-term recurrence R uses).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from itertools import product

import numpy as np
import pandas as pd

from ..histories import CaptureHistories, DataError
from .terms import LogLinearModel, Term

__all__ = ["CompleteTable", "orthogonal_polynomial"]


def orthogonal_polynomial(x: np.ndarray, degree: int) -> np.ndarray:
    """Orthogonal polynomial basis of `x`, as R's ``poly(x, degree)``.

    Parameters
    ----------
    x : ndarray of shape (n,)
        Numeric values (e.g. years), at least ``degree + 1`` distinct.
    degree : int >= 1

    Returns
    -------
    ndarray of shape (n, degree)
        Columns orthonormal and orthogonal to the constant (R's ``poly`` basis,
        via QR of the centred Vandermonde matrix).

    Raises
    ------
    ValueError
        If there are not more distinct values than `degree`.
    """
    x = np.asarray(x, dtype=float)
    if degree < 1 or len(np.unique(x)) <= degree:
        raise ValueError(
            f"a polynomial of degree {degree} needs more than {degree} distinct values; "
            f"found {len(np.unique(x))}"
        )
    xc = x - x.mean()
    v = np.vander(xc, degree + 1, increasing=True)
    q, r = np.linalg.qr(v)
    z = q * np.diag(r)
    z = z[:, 1:]
    return z / np.sqrt((z**2).sum(axis=0))


@dataclass
class CompleteTable:
    """All cells of the lists x covariates table, with counts and design blocks.

    Parameters
    ----------
    histories : CaptureHistories
    year : str, optional
        Covariate to code as numeric (polynomial) when `year_degree` is given.
    year_degree : int, optional
        Degree of the orthogonal polynomial for `year`; None codes it as dummies.
    structural_zeros : ndarray of bool, shape (n_cells,), optional
        Extra cells that cannot hold anyone (left out of the likelihood).

    Attributes
    ----------
    cells : DataFrame, shape (2^k * n_strata, k + n_covariates)
        Every cell: list columns 0/1 and covariate levels, the first list varying
        fastest, then the other lists, then the covariates in order (R's ``table()``).
    y : ndarray of float, shape (n_cells,)
        Observed counts (0 in unobservable cells).
    observable : ndarray of bool, shape (n_cells,)
        Cells in the likelihood: pattern not all-zero and not a structural zero.
    hidden : ndarray of bool, shape (n_cells,)
        The all-zero-pattern cell of each stratum.
    stratum : ndarray of int, shape (n_cells,)
        Stratum index of every cell (0 when there are no covariates).
    """

    histories: CaptureHistories
    year: str | None = None
    year_degree: int | None = None
    structural_zeros: np.ndarray | None = None
    cells: pd.DataFrame = field(init=False, repr=False)
    y: np.ndarray = field(init=False, repr=False)
    observable: np.ndarray = field(init=False, repr=False)
    hidden: np.ndarray = field(init=False, repr=False)
    stratum: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        h = self.histories
        if self.year is not None and self.year not in h.covariates:
            raise DataError(f"year column {self.year!r} is not a covariate; covariates are {list(h.covariates)}")
        if self.year_degree is not None and self.year is None:
            raise DataError("a polynomial degree for year needs a year column (--year)")
        k = h.k
        patterns = np.array(list(product([0, 1], repeat=k)), dtype=np.int8)[:, ::-1]
        # patterns ordered with the first list varying fastest (as R's expand.grid)
        # strata with the first covariate varying fastest, as R's table()/expand.grid
        strata = [t[::-1] for t in product(*[range(len(h.levels[c])) for c in reversed(h.covariates)])] or [()]
        n_p, n_s = len(patterns), len(strata)
        pat_idx = np.tile(np.arange(n_p), n_s)
        str_idx = np.repeat(np.arange(n_s), n_p)
        cols: dict[str, np.ndarray] = {}
        for j, name in enumerate(h.lists):
            cols[name] = patterns[pat_idx, j]
        strata_arr = np.array(strata, dtype=np.int64).reshape(n_s, len(h.covariates))
        self._level_index: dict[str, np.ndarray] = {}
        for j, c in enumerate(h.covariates):
            li = strata_arr[str_idx, j]
            self._level_index[c] = li
            cols[c] = pd.Categorical.from_codes(li, categories=list(h.levels[c]))
        self.cells = pd.DataFrame(cols)
        self.stratum = str_idx
        self.hidden = pat_idx == 0
        # counts into cells
        y = np.zeros(n_p * n_s)
        t = h.table
        pi = np.zeros(len(t), dtype=np.int64)
        for j, name in enumerate(h.lists):
            pi += t[name].to_numpy().astype(np.int64) << j
        si = np.zeros(len(t), dtype=np.int64)
        mult = 1
        for j in range(len(h.covariates)):
            c = h.covariates[j]
            si += t[c].cat.codes.to_numpy().astype(np.int64) * mult
            mult *= len(h.levels[c])
        np.add.at(y, si * n_p + pi, t["count"].to_numpy(dtype=float))
        self.y = y
        obs = ~self.hidden
        if self.structural_zeros is not None:
            sz = np.asarray(self.structural_zeros, dtype=bool)
            if sz.shape != obs.shape:
                raise ValueError("structural_zeros must have one entry per cell")
            bad = sz & (y > 0)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise DataError(
                    f"a cell declared a structural zero holds {int(y[i])} observed person(s): "
                    + ", ".join(f"{k} = {v}" for k, v in self.cells.iloc[i].items())
                )
            obs = obs & ~sz
        self.observable = obs
        self._coding: dict[str, np.ndarray] = {}
        for name in h.lists:
            self._coding[name] = cols[name].astype(float)[:, None]
        for c in h.covariates:
            L = len(h.levels[c])
            li = self._level_index[c]
            if c == self.year and self.year_degree is not None:
                try:
                    vals = np.asarray(h.levels[c], dtype=float)
                except (TypeError, ValueError):
                    raise DataError(
                        f"year column {c!r} must be numeric to use a polynomial (levels {h.levels[c]})"
                    ) from None
                if self.year_degree > L - 1:
                    raise DataError(
                        f"year has {L} levels, so the polynomial degree can be at most {L - 1} "
                        f"(got {self.year_degree})"
                    )
                # R computes poly() over the rows given to glm; the complete table is
                # balanced in year, so the basis over the levels is the same up to scale.
                self._coding[c] = orthogonal_polynomial(vals, self.year_degree)[li]
            else:
                self._coding[c] = (li[:, None] == np.arange(1, L)[None, :]).astype(float)
        self._blocks: dict[Term, np.ndarray] = {}
        # existence checks by (model, support of the observable counts): the LP depends on
        # nothing else, and bootstrap replicates (copies sharing this dict) repeat supports
        self._existence_cache: dict = {}

    # ------------------------------------------------------------------
    def with_counts(self, y: np.ndarray) -> CompleteTable:
        """The same table with other counts (bootstrap replicates); design caches are shared.

        Parameters
        ----------
        y : ndarray of shape (n_cells,)
            Counts; hidden and structural-zero cells must be 0.

        Raises
        ------
        ValueError
            Wrong shape, or a positive count in an unobservable cell.
        """
        y = np.asarray(y, dtype=float)
        if y.shape != self.y.shape:
            raise ValueError(f"counts must have shape {self.y.shape}, got {y.shape}")
        if (y[~self.observable] > 0).any():
            raise ValueError("counts in unobservable cells must be 0")
        new = copy.copy(self)
        new.y = y
        return new

    @property
    def n_cells(self) -> int:
        """Number of cells of the complete table."""
        return len(self.y)

    @property
    def n_strata(self) -> int:
        """Number of covariate strata."""
        return int(self.stratum.max()) + 1

    @property
    def variables(self) -> tuple[str, ...]:
        """Lists then covariates."""
        return tuple(self.histories.lists) + tuple(self.histories.covariates)

    def block(self, term: Term) -> np.ndarray:
        """Design columns of one term over all cells, shape (n_cells, prod of dfs)."""
        b = self._blocks.get(term)
        if b is None:
            b = self._coding[term[0]]
            for v in term[1:]:
                c = self._coding[v]
                b = (b[:, :, None] * c[:, None, :]).reshape(len(b), -1)
            self._blocks[term] = b
        return b

    def column_names(self, model: LogLinearModel) -> list[str]:
        """Names of the design columns of `model` (intercept first): lists by name, covariate levels as ``X4[2]``."""
        names = ["(Intercept)"]
        h = self.histories
        for t in model.terms:
            parts = []
            for v in t:
                if v in h.lists:
                    parts.append([v])
                elif v == self.year and self.year_degree is not None:
                    parts.append([f"poly({v},{self.year_degree}){d}" for d in range(1, self.year_degree + 1)])
                else:
                    parts.append([f"{v}[{lv}]" for lv in h.levels[v][1:]])  # X4[2], not R's ambiguous X42
            for combo in product(*parts):
                names.append(":".join(combo))
        return names

    def design(self, model: LogLinearModel) -> np.ndarray:
        """Design matrix of `model` over all cells, shape (n_cells, p): intercept, then terms."""
        blocks = [np.ones((self.n_cells, 1))] + [self.block(t) for t in model.terms]
        return np.hstack(blocks)

    def term_slices(self, model: LogLinearModel) -> dict[Term, slice]:
        """Column range of each term in :meth:`design`."""
        out, j = {}, 1
        for t in model.terms:
            w = self.block(t).shape[1]
            out[t] = slice(j, j + w)
            j += w
        return out

    def group_index(self, by: tuple[str, ...]) -> tuple[np.ndarray, pd.DataFrame]:
        """Cell -> group index for grouping by covariates `by`, and the group labels.

        Returns
        -------
        index : ndarray of int, shape (n_cells,)
        labels : DataFrame, shape (n_groups, len(by))
        """
        levels = self.histories.levels
        # the labels, built once per grouping (a DataFrame costs ~0.1 ms; the estimate asks ~100 times): a copy
        # each time, so that no caller can change another's
        key = (tuple(by), tuple(tuple(levels[c]) for c in by))
        cache = self.__dict__.setdefault("_group_labels", {})
        labels = cache.get(key)
        if labels is None:
            labels = cache[key] = (pd.DataFrame(list(product(*[levels[c] for c in by])), columns=list(by)) if by
                                   else pd.DataFrame(index=[0]))
        if not by:
            return np.zeros(self.n_cells, dtype=np.int64), labels.copy()
        sizes = [len(levels[c]) for c in by]
        idx = np.zeros(self.n_cells, dtype=np.int64)
        for c, s in zip(by, sizes):
            idx = idx * s + self._level_index[c]
        return idx, labels.copy()
