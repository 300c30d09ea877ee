"""Calibration of the plaintext match probabilities by comparison-level vector (name level x date-of-birth level).

For each simulated population (:func:`darkfigure.linkage.simulate_registrations`, ``clearing_house``) ``link`` is run
with Splink's matching and intermediate columns kept and ``clustering._edges`` wrapped, so that every scored pair keeps
its ``gamma_*`` levels; these are joined to the final probabilities (``LinkageResult.pairs``, after every calibration
step) and to the true person. Printed: per (name level, date level) the pairs, the true matches, Splink's mean
probability, the final mean probability and its sum, and how many of the true matches were left apart. With
``--lone`` only pairs of persons registered exactly twice whose names both differ; ``--dob exact`` keeps one date level.

Found with it (s25, tuning seeds 5000-5002 of standard / typos / no_dob / recurring_names): the spelling levels are
calibrated, and the true matches scored far too low sit in the last name level ("both names wholly different", m fixed
at 0.001): lone pairs with an exact date there, p 0.003-0.1, were 19 % one person in ``typos`` at a mean p of 0.011.
They were names misspelt once in each registration (a letter swap and another typo: three or four Levenshtein edits),
which the level "both typed twice" now catches (notes: /work/notes/s25/mlev.md).

Run: ``python benchmarks/level_calibration_table.py --settings typos --seeds 5000 [--lone] [--dob exact]``
(one ``link`` per population, about a minute each on 2 cores).
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

import darkfigure.linkage.link  # noqa: F401  (the module, for _edges; the package exports the function)
from darkfigure.linkage import link, simulate_registrations

_LINK = sys.modules["darkfigure.linkage.link"]


def level_pairs(setting: str, seed: int) -> pd.DataFrame:
    """Every scored pair of one population with its name and date levels (labels), p, the final p, and the truth."""
    import splink

    kept: dict = {}
    edges, creator = _LINK._edges, splink.SettingsCreator

    def keep_levels(db_api, pred, *args):
        """clustering._edges, after taking the levels of every scored pair from Splink's predictions."""
        cols = ", ".join(["cast(uid_l as integer) uid_l", "cast(uid_r as integer) uid_r", "match_probability",
                          "gamma_name", "gamma_date_of_birth", "fn_l", "fn_r", "sn_l", "sn_r"])
        kept["pairs"] = db_api.query_sql(f"select {cols} from {pred.physical_name}", output_type="pandas")
        return edges(db_api, pred, *args)

    def retaining(*a, **k):
        """SettingsCreator with the columns the levels need kept in the predictions."""
        return creator(*a, **(k | {"retain_matching_columns": True, "retain_intermediate_calculation_columns": True}))

    regs = simulate_registrations("clearing_house", seed=seed, errors=setting).registrations
    _LINK._edges, splink.SettingsCreator = keep_levels, retaining
    try:
        res = link(regs, truth="true_person_id", seed=seed, threads=2)
    finally:
        _LINK._edges, splink.SettingsCreator = edges, creator
    g = kept["pairs"]
    truth = regs["true_person_id"].astype(str).to_numpy()
    left, right = g["uid_l"].to_numpy(), g["uid_r"].to_numpy()
    g["same"] = truth[left] == truth[right]
    final = res.pairs.rename(columns={"record_l": "uid_l", "record_r": "uid_r", "match_probability": "p_final"})
    g = g.merge(final, on=["uid_l", "uid_r"], how="left").fillna({"p_final": 0.0})
    person = res.links["person_id"].to_numpy()
    g["joined"] = person[left] == person[right]
    size = pd.Series(truth).map(pd.Series(truth).value_counts()).to_numpy()
    g["lone"] = (size[left] == 2) & (size[right] == 2)
    for comparison in res.model["comparisons"]:
        col = {"name": "gamma_name", "date_of_birth": "gamma_date_of_birth"}.get(comparison["output_column_name"])
        if col is None:
            continue
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        labels = {len(levels) - 1 - i: lv.get("label_for_charts", "") for i, lv in enumerate(levels)} | {-1: "null"}
        g[comparison["output_column_name"]] = g[col].map(labels)
    g["setting"], g["seed"] = setting, seed
    return g


def calibration_table(g: pd.DataFrame) -> pd.DataFrame:
    """Pairs, true matches, mean Splink and final probability, summed final p and true matches left apart per level
    vector (rows with a true match or a summed p of at least 0.5), most true matches first."""
    g = g.assign(apart=g["same"] & ~g["joined"])
    t = g.groupby(["name", "date_of_birth"]).agg(
        pairs=("same", "size"), true=("same", "sum"), p_splink=("match_probability", "mean"),
        p_final=("p_final", "mean"), sum_p=("p_final", "sum"), true_apart=("apart", "sum"))
    t["true_share"] = t["true"] / t["pairs"]
    return t[(t["true"] > 0) | (t["sum_p"] >= 0.5)].sort_values("true", ascending=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--settings", nargs="+", default=["typos"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[5000])
    ap.add_argument("--lone", action="store_true", help="only lone pairs whose first names and surnames both differ")
    ap.add_argument("--dob", default=None, help="only this date-of-birth level (e.g. exact)")
    a = ap.parse_args()
    g = pd.concat([level_pairs(s, seed) for s in a.settings for seed in a.seeds], ignore_index=True)
    if a.lone:
        g = g[g["lone"] & (g["fn_l"] != g["fn_r"]) & (g["sn_l"] != g["sn_r"])]
    if a.dob:
        g = g[g["date_of_birth"] == a.dob]
    with pd.option_context("display.width", 250, "display.max_rows", 200):
        print(calibration_table(g).round(4).to_string())


if __name__ == "__main__":
    main()
