"""The first LCMCR run after installing compiles for ~85 s: compare says so first (tester 12b, M3)."""
import pandas as pd

from darkfigure.bayes import _lcmcr_compile, _lcmcr_sampler

T = pd.DataFrame({"A": [1, 0, 0, 1, 1, 0, 1], "B": [0, 1, 0, 1, 0, 1, 1], "C": [0, 0, 1, 0, 1, 1, 1],
                  "count": [50, 40, 30, 5, 4, 3, 1]})


def test_sampler_compiled_reads_numbas_cache_index(monkeypatch):
    assert _lcmcr_compile.sampler_compiled() in (True, False, None)
    # nothing compiled in this process and an empty cache index: a run would compile first
    monkeypatch.setattr(_lcmcr_sampler, "_WARM", [])
    monkeypatch.setattr(_lcmcr_sampler._chain_kernel, "overloads", {})
    monkeypatch.setattr(_lcmcr_sampler._chain_kernel._cache._cache_file, "_load_index", lambda: {})
    assert _lcmcr_compile.sampler_compiled() is False


def test_compare_says_lcmcr_compiles_when_the_cache_is_cold(tmp_path, cli, monkeypatch, capsys):
    f = tmp_path / "t.csv"
    T.to_csv(f, index=False)
    monkeypatch.setattr(_lcmcr_compile, "sampler_compiled", lambda: False)
    out = cli(["compare", f, "--methods", "loglinear-bic,lcmcr", "--seed", "1", "--no-validation"], code=None)
    said = out + capsys.readouterr().err
    assert _lcmcr_compile.COMPILE_NOTE in said
    monkeypatch.setattr(_lcmcr_compile, "sampler_compiled", lambda: True)
    out = cli(["compare", f, "--methods", "loglinear-bic,lcmcr", "--seed", "1", "--no-validation"], code=None)
    assert _lcmcr_compile.COMPILE_NOTE not in out + capsys.readouterr().err  # compiled already: nothing said
