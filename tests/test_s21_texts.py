"""Texts of session 21 (tester 21a): link's warning on organisations that share nobody says that estimate and monitor refuse
when one shares nobody with any other organisation (tester 21a L7: it read as if estimate went on assuming
independence, and estimate then refused)."""

from __future__ import annotations

import pandas as pd

from darkfigure.histories import CaptureHistories
from darkfigure.linkage.input_checks import disjoint_lists_warnings


def _h(rows):
    t = pd.DataFrame(rows, columns=["A", "B", "C", "count"])
    return CaptureHistories.from_table(t, lists=["A", "B", "C"])


def test_an_isolated_organisation_is_said_to_be_refused():
    w = disjoint_lists_warnings(_h([[1, 1, 0, 20], [1, 0, 0, 50], [0, 1, 0, 40], [0, 0, 1, 30]]))
    assert len(w) == 1 and "'C' share(s) no person with any other organisation" in w[0] and "refuse" in w[0]
    # C shares with B but not with A: warned, no refusal said
    w = disjoint_lists_warnings(_h([[1, 1, 0, 20], [0, 1, 1, 5], [1, 0, 0, 50], [0, 1, 0, 40], [0, 0, 1, 30]]))
    assert len(w) == 1 and "'A' and 'C'" in w[0] and "refuse (" not in w[0]
    assert disjoint_lists_warnings(_h([[1, 1, 1, 20], [1, 0, 0, 5], [0, 1, 0, 4], [0, 0, 1, 3]])) == []


def test_a_year_zero_refused_explains_the_year_of_first_registration():
    """Tester 21a M5: a list that started in 2018 holds persons whose (first-registration) year is 2017; declaring it
    absent in 2017 is refused, and the message now says why that is no structural zero."""
    import pytest

    from darkfigure.errors import DataError
    from darkfigure.structural import validate_structural_zeros

    t = pd.DataFrame({"A": [1, 1, 0, 1, 0], "B": [1, 0, 1, 1, 1], "C": [0, 1, 1, 0, 0],
                      "year": [2017, 2017, 2017, 2018, 2018], "count": [5, 4, 3, 6, 2]})
    h = CaptureHistories.from_table(t, lists=["A", "B", "C"], covariates=["year"])
    zeros = pd.DataFrame({"list": ["C"], "covariate": ["year"], "level": ["2017"]})
    with pytest.raises(DataError, match="year of their first registration") as e:
        validate_structural_zeros(h, zeros)
    assert "no structural zero" in str(e.value)
    t2 = t.rename(columns={"year": "region"})
    h2 = CaptureHistories.from_table(t2, lists=["A", "B", "C"], covariates=["region"])
    with pytest.raises(DataError) as e2:
        validate_structural_zeros(h2, pd.DataFrame({"list": ["C"], "covariate": ["region"], "level": ["2017"]}))
    assert "first registration" not in str(e2.value)


def test_monitor_panel_names_the_search_and_why_under_em():
    """Tester 21a M1: monitor (Cruyff's search under --missing em) and estimate (stratified) chose different models
    on one folder, and the panel did not say how the model was chosen."""
    from types import SimpleNamespace

    from darkfigure.cli.monitor import _search_words

    e = SimpleNamespace(search=SimpleNamespace(method="cruyff", criterion="bic"), settings={"missing": "em"})
    w = _search_words(e)
    assert "chosen by BIC in Cruyff et al.'s stepwise search, --search cruyff;" in w and "--search stratified" in w
    e.settings = {"missing": "error"}
    assert _search_words(e) == " (chosen by BIC in Cruyff et al.'s stepwise search, --search cruyff)"
    assert _search_words(SimpleNamespace(search=None)) == ""


def test_a_registration_date_given_as_a_year_alone_gets_a_hint(tmp_path):
    """Tester 21a L6: registration_date = 2019 was refused as no ISO date, with no way out."""
    import pytest

    from darkfigure.linkage.registrations import RegistrationError, read_registrations

    f = tmp_path / "police.csv"
    f.write_text("record_id,organisation,registration_date,first_name,surname,date_of_birth,sex,nationality\n"
                 "1,police,2019,Anna,Jansen,1990-02-03,F,NL\n2,police,2020,Piet,Bakker,1985-05-06,M,NL\n", encoding="utf-8")
    with pytest.raises(RegistrationError, match="2019 is a year alone") as e:
        read_registrations(f)
    assert "2019-07-01" in str(e.value)


def test_nationality_left_out_of_the_covariates_is_said():
    """Tester 21a L1: nationality was left out of histories.csv without a word."""
    from darkfigure.linkage.persons import _covariate_columns

    df = pd.DataFrame({"record_id": ["1", "2"], "organisation": ["a", "b"], "sex": ["F", "M"],
                       "nationality": ["NL", "PL"], "exploitation": ["labour", "sexual"]})
    covs, notes = _covariate_columns(df, None, None, ("a", "b"))
    assert "nationality" not in covs and "exploitation" in covs
    assert any("nationality is compared as evidence" in n for n in notes)
    covs, notes = _covariate_columns(df.assign(nationality=""), None, None, ("a", "b"))
    assert not any("nationality" in n for n in notes)
    covs, notes = _covariate_columns(df, ["sex", "nationality"], None, ("a", "b"))
    assert covs == ["sex", "nationality"] and notes == []


def test_nationality_coded_differently_by_one_organisation_is_warned():
    """Tester 21a L2: police writing NL/MA/PL while the others write Dutch/Moroccan/Polish passed without a word."""
    import numpy as np

    from darkfigure.linkage.input_checks import coding_mismatch_warnings

    rng = np.random.default_rng(0)
    codes = {"NL": "Dutch", "MA": "Moroccan", "PL": "Polish", "RO": "Romanian"}
    rows = []
    for o in ("police", "shelter", "ngo"):
        for k in rng.choice(list(codes), 60):
            rows.append((o, k if o == "police" else codes[k]))
    df = pd.DataFrame(rows, columns=["organisation", "nationality"])
    w = coding_mismatch_warnings(df, "nationality")
    assert len(w) == 1 and "'police' writes" in w[0] and "'shelter'" not in w[0].split("the others")[0]
    same = df.assign(nationality=df["nationality"].map(lambda v: codes.get(v, v)))
    assert coding_mismatch_warnings(same, "nationality") == []
    # a rare value at one organisation only is no other coding
    rare = pd.concat([same, pd.DataFrame({"organisation": ["ngo"] * 3, "nationality": ["Eritrean"] * 3})])
    assert coding_mismatch_warnings(rare, "nationality") == []
