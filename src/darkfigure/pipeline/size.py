"""The size of a log-linear job, checked before the fit: refuse one that cannot finish, announce a long one.

Measured on this project's 2-core test machine at load 8 (tester 14b, M1/M2; 400 persons):

* cells: ``--search none`` on 14 lists (16,384 cells) took 6 s, on 16 lists (65,536 cells) 53 s, nearly all in the
  model checks (the Chao-bound fit of :mod:`darkfigure.heterogeneity_fit`, a dense QR on every cell: time grows
  about as cells^1.6), so 20 lists (1,048,576 cells) would take about an hour. Above :data:`MAX_CELLS` (2^16, the
  16-list table) the run is refused; above :data:`ANNOUNCE_CELLS` the expected time is said.
* columns: a stepwise search with covariates may add every list x covariate term, ``k x (levels - 1)`` design
  columns per covariate, each fit a dense QR (time ~ columns^3): 3 lists x 60 levels took 2.5 s, x 200 levels 24 s,
  x 476 levels more than 7 minutes without a word. Above :data:`MAX_SEARCH_COLUMNS` (900: about a minute and a half
  by that rule) the search is refused; a fixed model (``--search none``, ``--model``) is not. A year coded as a
  polynomial (``--year-degree d``) adds ``k x d`` columns, not ``k x (years - 1)``: a long series is not refused for
  its length.
"""

from __future__ import annotations

__all__ = ["MAX_CELLS", "ANNOUNCE_CELLS", "MAX_SEARCH_COLUMNS", "ANNOUNCE_SEARCH_COLUMNS", "job_size"]

#: cells of the complete table (2^lists x strata) above which no fit is tried
MAX_CELLS = 2 ** 16
#: cells above which the expected time is said before the fit
ANNOUNCE_CELLS = 2 ** 14
#: list x covariate design columns above which a stepwise search is refused
MAX_SEARCH_COLUMNS = 900
#: and above which its expected time is said
ANNOUNCE_SEARCH_COLUMNS = 300


def job_size(k: int, n_cells: int, levels: dict, search: str, *, year: str | None = None,
             year_degree: int | None = None) -> tuple[str | None, str | None]:
    """``(refusal, announcement)`` for a fit of `k` lists on a complete table of `n_cells` cells.

    Parameters
    ----------
    k : int
        Lists.
    n_cells : int
        Cells of the complete table (observable and unobserved, all strata).
    levels : dict
        Covariate name -> number of levels.
    search : str
        The search method (``"none"`` fits one model; ``"exhaustive"`` takes no covariates).
    year, year_degree : str or None, int or None
        The year covariate and the degree of its polynomial (``--year-degree``): that covariate then adds
        `year_degree` columns per list, not its levels - 1.

    Returns
    -------
    (str or None, str or None)
        The reason to refuse (a plain sentence with what to do), and a line to say before a long fit.
    """
    strata = max(n_cells // max(2 ** k, 1), 1)
    if n_cells > MAX_CELLS:
        return (f"{k} lists{f' x {strata:,} strata' if strata > 1 else ''} make a table of {n_cells:,} cells, more "
                f"than the {MAX_CELLS:,} (16 lists) darkfigure fits in reasonable time: the model checks alone took "
                "53 s on 16 lists and grow about as cells^1.6 (20 lists: about an hour). Merge or drop lists "
                "(--lists), or use fewer covariate levels"), None
    per = {c: (min(int(year_degree), max(int(n) - 1, 0)) if c == year and year_degree else max(int(n) - 1, 0))
           for c, n in levels.items()}
    cols = k * sum(per.values())
    if search not in ("none", "exhaustive") and cols > MAX_SEARCH_COLUMNS:
        many = ", ".join(f"{c!r} ({n:,} levels)" if not (c == year and year_degree)
                         else f"{c!r} (a polynomial of degree {per[c]})" for c, n in levels.items())
        return (f"the {search} search may add every list x covariate term: {k} lists x {many} make {cols:,} design "
                f"columns, beyond the {MAX_SEARCH_COLUMNS:,} it searches in reasonable time (3 lists x 200 levels "
                "took 24 s, x 476 levels more than 7 minutes). Merge the covariate's levels into fewer groups, "
                "leave it out (--covariates), or fit one model (--search none, or --model)"), None
    said = None
    if n_cells > ANNOUNCE_CELLS:
        said = (f"{k} lists: a table of {n_cells:,} cells; the fit and its checks take about "
                f"{max(1, round(53 * (n_cells / MAX_CELLS) ** 1.6)):,} s or more (53 s for 65,536 cells at load 8)")
    elif search not in ("none", "exhaustive") and cols > ANNOUNCE_SEARCH_COLUMNS:
        said = (f"the {search} search on {cols:,} list x covariate columns takes about "
                f"{max(1, round(24 * (cols / 600) ** 3)):,} s or more (24 s for 600 columns at load 8)")
    return None, said
