"""How often names recur in the synthetic registers against a population register: the figures behind the choice
of ``large_register`` for the 1M benchmark.

For each name setting (the exponent on the packaged name frequencies) it simulates the registrations of
``bench_link.py`` (``clearing_house`` at scale 127, about 1.02M registrations of 636,000 persons, seed 1) and
prints, from the true identities (before errors): the shares of the commonest surnames among the persons of Dutch
origin, the mean number of persons who carry a person's exact first name + surname (the person counted), the
commonest full names, and the namesake bound on pairwise recall of ``link_scale_diagnosis.namesake_bound`` (without
the registration year).

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

Run: python benchmarks/name_recurrence.py [EXPONENT ...]   (default 1.0 1.3 1.6; about 15 s each)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


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
        print(f"exponent {skew:g}: {len(rs.registrations):,} registrations, {len(p):,} persons; among Dutch persons "
              + ", ".join(f"{n} {s:.2%}" for n, s in dutch.head(3).items())
              + f"; persons per full name mean {k.mean():.1f} (median {np.median(k):.0f}); commonest full names "
              + ", ".join(f"{n} {c}" for n, c in full.value_counts().head(3).items())
              + f"; namesake bound without the year {b['bound']:.4f}", flush=True)


if __name__ == "__main__":
    main()
