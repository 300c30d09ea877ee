"""How often names recur in the synthetic registers against a population register: the figures behind the choice
of ``large_register`` for the 1M benchmark.

For each name setting (the exponent on the packaged name frequencies) it simulates the registrations of
``bench_link.py`` (``clearing_house`` at scale 127, about 1.02M registrations of 636,000 persons, seed 1) and
prints, from the true identities (before errors): the shares of the commonest surnames among the persons of Dutch
origin, the mean number of persons who carry a person's exact first name + surname (the person counted), the
commonest full names, the namesake bound on pairwise recall of ``link_scale_diagnosis.namesake_bound`` (recorded
names, without the registration year) and :func:`window_bound` (true names, registered within a year).

The reference: the Meertens Institute's Nederlandse Familienamenbank counts, from the municipal population register
of 2007 (16.4 million persons), 86,534 bearers of "de Jong" (0.53%), 75,698 of "Jansen" (0.46%) and 73,152 of
"de Vries" (0.45%).

Measured 2026-12-06 (seed 1):

    exponent                     1.0 (large_register)   1.3        1.6 (recurring_names)
    "de Jong" among Dutch         2.07%                  3.82%      6.07%
    "de Vries" / "Jansen"         1.76% / 1.69%          3.07% / 3.12%   4.60% / 4.81%
    persons per full name (mean)  7.0 (median 2)         14.8 (3)   30.7 (6)
    commonest full name           376 persons            681        988
    namesake bound (no year)      0.972                  0.958      0.944
    window bound                  0.9715                 0.9556     0.9387
      linking only k = 1          0.9557                 0.9353     0.9163

So recall 0.95 at a million registrations lies beyond what ``recurring_names`` identifies, whatever the linkage; on
``large_register`` it needs every dated pair and nearly every undated registration whose person is unambiguous.

Run: python benchmarks/name_recurrence.py [EXPONENT ...]   (default 1.0 1.3 1.6; about 15 s each)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def window_bound(registrations, persons, window: int = 365) -> dict[str, float]:
    """Upper bounds on pairwise recall from the namesakes an undated registration cannot be told from.

    An undated registration is compared with the persons who carry its person's true first name
    + surname (so a typo costs nothing here: generous), its recorded sex, nationality and
    covariates, and who have a registration within `window` days of it (the evidence the
    linkage's registration-gap levels carry); k counts them, its own person included. Dated
    pairs count as found. ``bound`` gives each undated pair credit 1/k (a guess among the k,
    at the price of false links); ``unambiguous`` links only k = 1 (no false link).

    Parameters
    ----------
    registrations : DataFrame, shape (n, ...) with ``true_person_id``, ``registration_date``,
        ``date_of_birth`` and the covariates; persons : DataFrame indexed by nothing, with
        ``true_person_id``, ``first_name``, ``surname``; window : days.

    Returns
    -------
    dict with ``bound``, ``unambiguous`` (shares of the true pairs) and ``undated_k1`` (share of
    the undated pairs with k = 1).
    """
    import pandas as pd

    from darkfigure.linkage.quality import _cluster_pairs

    df = registrations.reset_index(drop=True)
    per = persons.set_index("true_person_id")
    key = (df["true_person_id"].map(per["first_name"]).str.lower() + "|"
           + df["true_person_id"].map(per["surname"]).str.lower())
    for c in ("sex", "nationality", "age", "exploitation"):
        if c in df.columns:
            key = key + "|" + df[c].astype(str)
    kc = pd.factorize(key)[0]
    t = pd.factorize(df["true_person_id"])[0]
    day = (pd.to_datetime(df["registration_date"]) - pd.Timestamp("1970-01-01")).dt.days.to_numpy()
    und = df["date_of_birth"].isna().to_numpy() | (df["date_of_birth"].astype(str).str.strip() == "").to_numpy()
    k = np.ones(len(df), dtype=np.int64)
    order = np.lexsort((day, kc))
    kcs = kc[order]
    starts = np.flatnonzero(np.r_[True, kcs[1:] != kcs[:-1]])
    for s, e in zip(starts, np.r_[starts[1:], order.size]):
        idx = order[s:e]
        for r in idx[und[idx]] if e - s > 1 else ():
            near = idx[np.abs(day[idx] - day[r]) <= window]
            k[r] = np.unique(np.r_[t[near], t[r]]).size
    a, b = _cluster_pairs(t)
    kk = np.where(und[a] & und[b], np.maximum(k[a], k[b]), np.where(und[a], k[a], np.where(und[b], k[b], 1)))
    dated = ~und[a] & ~und[b]
    return {"bound": float((dated.sum() + (1.0 / kk[~dated]).sum()) / a.size),
            "unambiguous": float((dated.sum() + (kk[~dated] == 1).sum()) / a.size),
            "undated_k1": float((kk[~dated] == 1).mean())}


def main() -> None:
    from link_scale_diagnosis import namesake_bound

    from darkfigure.linkage.synthetic import simulate_registrations

    for skew in [float(s) for s in sys.argv[1:]] or [1.0, 1.3, 1.6]:
        rs = simulate_registrations("clearing_house", seed=1, scale=127, errors="recurring_names", name_skew=skew)
        p = rs.persons
        full = p["first_name"].str.lower() + " " + p["surname"].str.lower()
        k = full.map(full.value_counts()).to_numpy()
        dutch = p.loc[p["origin"] == "Dutch", "surname"].str.lower().value_counts(normalize=True)
        b = namesake_bound(rs.registrations, registration_year=False)
        w = window_bound(rs.registrations, p)
        print(f"exponent {skew:g}: {len(rs.registrations):,} registrations, {len(p):,} persons; among Dutch persons "
              + ", ".join(f"{n} {s:.2%}" for n, s in dutch.head(3).items())
              + f"; persons per full name mean {k.mean():.1f} (median {np.median(k):.0f}); commonest full names "
              + ", ".join(f"{n} {c}" for n, c in full.value_counts().head(3).items())
              + f"; namesake bound without the year {b['bound']:.4f}; window bound {w['bound']:.4f}, linking only the "
              f"unambiguous {w['unambiguous']:.4f}", flush=True)


if __name__ == "__main__":
    main()
