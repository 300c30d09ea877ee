"""A link folder copied without its manifest: an edited histories.csv is refused cell by cell (tester report 7, 1)."""

import pandas as pd
import pytest

from darkfigure.errors import DataError
from darkfigure.estimation import estimate
from darkfigure.linkage.uncertainty import LinkRun
from darkfigure.outputs import MANIFEST
from darkfigure.pipeline.extras import check_link_histories
from darkfigure.pipeline.reading import read_step
from synthetic_pairs import true_pairs


@pytest.fixture(scope="module")
def run():
    """Registrations whose true pairs have p = 0.9 and random false pairs p = 0.3 (synthetic, no Splink)."""
    tp = true_pairs(5, 3000, 300, sex=lambda s: s.astype(str).str[0].str.lower())
    return LinkRun(tp.records, tp.pairs(0.9, 0.3), 0.5)


def _copied_folder(run, folder):
    """A link output folder as `cp link/* copy/` leaves it: no hidden manifest, so no SHA-256 to check."""
    folder.mkdir()
    run.records.to_parquet(folder / "records.parquet")
    run.pairs.to_parquet(folder / "pairs.parquet")
    pd.DataFrame({"record_l": [], "record_r": []}).to_csv(folder / "links.csv", index=False)
    h = run.histories().collapse(["sex"])
    pd.concat([h.table, h.incomplete]).to_csv(folder / "histories.csv", index=False)  # unknown sex: blank cells
    assert not (folder / MANIFEST).exists()
    return folder


def test_unedited_copy_passes_and_moved_persons_are_refused(run, tmp_path):
    f = _copied_folder(run, tmp_path / "copy")
    r = read_step(f, missing="em")
    check_link_histories(r.linkage_run, r.histories, "em")  # the table link wrote: accepted
    r = read_step(f, covariates=[], missing="error")
    check_link_histories(r.linkage_run, r.histories, "error")  # collapsed over sex: still the same persons
    # move persons from single-list rows to the all-lists pattern; the number of persons is unchanged
    t = pd.read_csv(f / "histories.csv")
    lists = [c for c in t.columns if c not in ("sex", "count")]
    single = t.index[(t[lists].sum(axis=1) == 1) & (t["count"] >= 3)][0]
    moved = int(t.loc[single, "count"]) - 1
    t.loc[single, "count"] = 1
    full = (t[lists].sum(axis=1) == len(lists)) & (t["sex"] == t.loc[single, "sex"])
    t.loc[t.index[full][0], "count"] += moved
    t.to_csv(f / "histories.csv", index=False)
    assert t["count"].sum() == run.histories().n_observed
    with pytest.raises(DataError, match=r"copy/histories.csv differs from the capture histories that the link run's "
                                        r"records.parquet and pairs.parquet give at its threshold \(0.5\) in 2 cell"
                                        r".*Re-run `darkfigure link`.*--linkage none"):
        estimate(f, search="none", ci="none", linkage_draws=2, missing="em")
    e = estimate(f, search="none", ci="none", linkage="none", missing="em")  # the edited table as it is
    assert e.linkage is None and e.to_dict()["linkage"]["assumes_error_free_linkage"] is True
