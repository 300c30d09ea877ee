"""Build the synthetic data bundled for ``darkfigure demo`` (run once; the output is committed).

Everything is simulated with fixed seeds, no real person is in it:

* ``registrations/<organisation>.csv``: the ``clearing_house`` scenario's registrations
  (six organisations, ~5,000 registered victims of ~8,200, ~7,900 registrations) with
  typos, name variants, swapped names, wrong or missing dates of birth and duplicates;
  ``true_person_id`` kept so the demo can measure linkage quality.
* ``truth.csv``: the true N by group, level and year (``group,level,year,N``).
* ``population.csv``: ``year,sex,age,population`` for the SDG 16.2.2 rates — the
  Netherlands' population on 1 January, rounded to thousands and split by sex and
  minor/adult in round shares (approximate, after CBS StatLine; only used to show
  rates per 100,000 in the demo).
* ``revictimisation/{victims,later,truth}.csv``: a victim register and a register of later
  victimisations with a known 5-year cumulative incidence (45%).

Usage: ``python scripts/make_demo_data.py`` (writes into src/darkfigure/demo_data/).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from darkfigure.linkage.synthetic import simulate_registrations
from darkfigure.monitoring.revictimisation import simulate_revictimisation

OUT = Path(__file__).resolve().parents[1] / "src" / "darkfigure" / "demo_data"
SEED = 2026
# 1 January population, rounded (millions): 2022 17.59, 2023 17.81, 2024 17.94; minors about 19%.
TOTALS = {2022: 17_590_000, 2023: 17_811_000, 2024: 17_942_000}
MINOR_SHARE, MALE_SHARE = 0.19, 0.497


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "registrations").mkdir(parents=True)
    reg = simulate_registrations("clearing_house", seed=SEED)
    for org, part in reg.registrations.groupby("organisation", sort=False):
        part.to_csv(OUT / "registrations" / f"{org}.csv", index=False)
    reg.truth.to_csv(OUT / "truth.csv", index=False)
    rows = []
    for year, total in TOTALS.items():
        for sex, s_share in (("female", 1 - MALE_SHARE), ("male", MALE_SHARE)):
            for age, a_share in (("adult", 1 - MINOR_SHARE), ("minor", MINOR_SHARE)):
                rows.append((year, sex, age, round(total * s_share * a_share, -3)))
    pd.DataFrame(rows, columns=["year", "sex", "age", "population"]).astype({"population": int}).to_csv(
        OUT / "population.csv", index=False
    )
    rv = simulate_revictimisation(3000, seed=SEED, end_of_followup="2024-12-31")
    rv.write(OUT / "revictimisation")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
