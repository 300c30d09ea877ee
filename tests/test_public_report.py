"""The publication report (``darkfigure report RUN --audience public``): rounded figures, disclosure control,
readable labels, English and Dutch, headless Chromium, PDF, and clear errors on bad input."""

from __future__ import annotations

import importlib.util
import json
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.comparison import compare
from darkfigure.comparison import write as write_compare
from darkfigure.io import read_histories
from darkfigure.monitoring import monitor
from darkfigure.report.labels import LabelCatalogue, humanise, load_labels
from darkfigure.report.public import LOCALE_DIR, format_number, round_figure, rounding_unit
from darkfigure.report.public_rounding import round_range
from darkfigure.simulation import simulate

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).is_file()), None)
THRESHOLD = 40

# lists and covariates with catalogue labels; nationality 'non-EU' is rare, so its cells fall under the threshold
SCENARIO = {
    "name": "public_monitor",
    "years": [2019, 2020, 2021],
    "year_column": "year",
    "population": {"size": [2500, 2700, 2900]},
    "covariates": {
        "sex": {"levels": ["female", "male"], "probabilities": [0.6, 0.4]},
        "exploitation": {"levels": ["sexual", "labour", "other"], "probabilities": [0.5, 0.35, 0.15]},
        "nationality_group": {"levels": ["Dutch", "EU", "non-EU"], "probabilities": [0.55, 0.44, 0.01]},
    },
    "lists": {
        "police": {"baseline": 0.2, "effects": {"exploitation": {"labour": -0.5}}},
        "shelters": {"baseline": 0.15, "effects": {"sex": {"male": -0.6}}},
        "kmar": {"baseline": 0.1},
        "fairwork": {"baseline": 0.08, "effects": {"exploitation": {"labour": 1.2}}},
    },
    "dependence": [{"lists": ["police", "shelters"], "log_odds_ratio": 0.5}],
}
POP = pd.DataFrame(
    [(y, sx, 8_000_000 * (1 + 0.01 * (y - 2019))) for y in (2019, 2020, 2021) for sx in ("female", "male")],
    columns=["year", "sex", "population"],
)
RAW_NAMES = ["police", "shelters", "kmar", "fairwork", "sex", "exploitation", "nationality_group", "year"]



def _hand_edit(path, obj) -> None:
    """Write a hand-made variant of a run's JSON file and drop the folder's manifest (an edited file is refused
    when the manifest records the original: tester 7, 18)."""
    path.write_text(json.dumps(obj))
    (path.parent / ".darkfigure-outputs.json").unlink(missing_ok=True)

# ----------------------------------------------------------------------------- runs
def _cli(args, code=0):
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    assert r.exit_code == code, f"exit {r.exit_code} (expected {code}):\n{r.output}"
    return r.output


def _has(out: str, text: str) -> bool:
    """`text` in the output, whitespace ignored (rich wraps long lines, paths included)."""
    return "".join(text.split()) in "".join(out.split())


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Folders of a monitor, an estimate and a compare run, each with its public reports in en and nl."""
    base = tmp_path_factory.mktemp("public")
    sim = simulate(SCENARIO, seed=3)
    mon = base / "monitor"
    monitor(sim.histories, year="year", population=POP, reps=50, seed=2, n_jobs=1,
            suppress_below=THRESHOLD).write(mon)
    est = base / "estimate"
    _cli(["estimate", "netherlands_2010_2015", "--seed", "1", "--reps", "50", "--jobs", "1", "--out", est])
    cmp_ = base / "compare"
    h = read_histories(sim.histories, covariates=[])
    write_compare(compare(h, ["Mt", "Mh-darroch", "loglinear-bic"], seed=1, reps=50), h, cmp_, seed=1, reps=50)
    out = {"monitor": mon, "estimate": est, "compare": cmp_}
    for d in out.values():
        for lang in ("en", "nl"):
            _cli(["report", d, "--audience", "public", "--lang", lang])
            assert (d / f"report_public_{lang}.html").is_file()
    return out


# ----------------------------------------------------------------------------- reading the page
class _Page(HTMLParser):
    """Visible text, figures (span.fig), registered-count cells (td.obs), tables with their hidden rows."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.figs: list[str] = []
        self.obs: list[str] = []
        self.cells: list[str] = []
        self.h2: list[str] = []
        self.hidden_rows: list[list[str]] = []
        self.rows: dict[str, list[list[str]]] = {}
        self._skip = 0
        self._fig = None
        self._depth = 0
        self._cell = None
        self._obs = False
        self._h2 = None
        self._table = None
        self._row = None
        self._hidden = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag in ("style", "title"):
            self._skip += 1
        if tag == "span" and "fig" in cls:
            self._fig, self._depth = [], 0
        elif tag == "span" and self._fig is not None:
            self._depth += 1
        if tag == "table":
            self._table = a.get("id")
            self.rows[self._table] = []
        if tag == "tr":
            self._row, self._hidden = [], "hidden" in cls
        if tag in ("td", "th"):
            self._cell, self._obs = [], "obs" in cls
        if tag == "h2":
            self._h2 = []

    def handle_endtag(self, tag):
        if tag in ("style", "title"):
            self._skip -= 1
        if tag == "span" and self._fig is not None:
            if self._depth == 0:
                self.figs.append("".join(self._fig).strip())
                self._fig = None
            else:
                self._depth -= 1
        if tag in ("td", "th") and self._cell is not None:
            t = "".join(self._cell).strip()
            self.cells.append(t)
            if self._obs:
                self.obs.append(t)
            if self._row is not None:
                self._row.append(t)
            self._cell = None
        if tag == "tr" and self._row is not None:
            if self._table is not None:
                self.rows[self._table].append(self._row)
            if self._hidden:
                self.hidden_rows.append(self._row)
            self._row = None
        if tag == "h2" and self._h2 is not None:
            self.h2.append("".join(self._h2).strip())
            self._h2 = None

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        for buf in (self._fig, self._cell, self._h2):
            if buf is not None:
                buf.append(data)


def _page(path: Path) -> _Page:
    p = _Page()
    p.feed(path.read_text(encoding="utf-8"))
    p.all = re.sub(r"\s+", " ", " ".join(p.text))
    return p


def _num(s: str, lang: str) -> float:
    s = s.strip().rstrip("%")
    s = s.replace(",", "") if lang == "en" else s.replace(".", "").replace(",", ".")
    return float(s)


_FIG = re.compile(r"^(?P<v>[\d.,]+)%?(?: \((?P<lo>[\d.,]+)%?–(?P<hi>[\d.,]+%?|[^)]+)\))?$")


def precision_violations(figs: list[str], lang: str) -> list[str]:
    """Figures with a digit finer than their interval supports.

    A figure "v (lo–hi)" may carry digits down to the first digit of its half-width
    (hi − lo) / 2 and no further, or down to the first digit of v or of lo when that is
    smaller (the value keeps a significant digit; a positive lower end is never rounded
    to 0), or one digit further when the lower end is below ten such units (rounding it outward could
    move it by a tenth of itself: ``MAX_END_MOVE``); v, lo and hi must all be multiples of that unit. The figures are read rounded:
    rounding the value may have raised it by up to 5% (half a unit of a number with at
    least two digits above it), hence / 1.05; the ends go outward by less than a unit u each,
    and u is at most the computed half-width, so the read half-width is under twice the
    computed one, hence / 2.
    """
    bad = []
    for f in figs:
        m = _FIG.match(f)
        assert m, f"unparsed figure {f!r}"
        if m["lo"] is None or not re.match(r"^[\d.,]+%?$", m["hi"]):
            continue  # no interval, or an open upper end: checked by the rounding tests
        v, lo, hi = (_num(m[k], lang) for k in ("v", "lo", "hi"))
        hw = (hi - lo) / 2
        if hw <= 0:
            bad.append(f"{f}: empty interval")
            continue
        allowed = 10.0 ** math.floor(math.log10(hw / 2))
        for x in (v, lo):
            if x > 0:
                allowed = min(allowed, 10.0 ** math.floor(math.log10(x / 1.05)))
        if 0 < lo < 10 * allowed:
            allowed /= 10  # an end below ten units may move by a tenth of itself: it keeps one more digit
        for x in (v, lo, hi):
            q = x / allowed
            if abs(q - round(q)) > 1e-6:
                bad.append(f"{f}: {x:g} is finer than {allowed:g}")
    return bad


# ----------------------------------------------------------------------------- the rounding rule
@pytest.mark.parametrize("value, lower, upper, smallest, text", [
    (5123, 4012, 6845, 1, "5,000 (4,000–7,000)"),   # the example
    (5123, 4012, 7345, 1, "5,000 (4,000–8,000)"),   # the ends outward: the published interval holds the computed one
    (8291.2, 7998.4, 8645.7, 1, "8,300 (7,900–8,700)"),  # half-width 324: hundreds
    (42199.5, 36005.5, 49671.2, 1, "42,000 (36,000–50,000)"),
    (8250, 8100, 8400, 1, "8,300 (8,100–8,400)"),    # half up, not to even
    (900, 300, 2500, 1, "900 (300–2,500)"),          # the value keeps a significant digit
    (1200, 40, 2400, 1, "1,200 (40–2,400)"),          # a positive lower end is not rounded to 0
    (12345, 7400, 27000, 1, "12,000 (7,000–27,000)"),  # nor loses its first digit
    (12.4, 12.1, 12.6, 1, "12 (12–13)"),              # counts: never finer than whole persons
    (15.543, 14.994, 16.208, 0.01, "15.5 (14.9–16.3)"),  # a rate per 100,000
    (60.78, 58.28, 63.0, 0.1, "61 (58–63)"),         # a percentage
])
def test_rounding_to_the_precision_the_interval_supports(value, lower, upper, smallest, text):
    f = round_figure(value, lower, upper, smallest=smallest)
    assert f"{f.text} ({f.lower_text}–{f.upper_text})" == text
    assert precision_violations([text], "en") == []


def test_rounding_open_upper_end_and_no_interval():
    f = round_figure(512, 300, float("inf"))
    assert (f.text, f.lower_text, f.open_upper) == ("500", "300", True)  # half-width taken as N̂ − lower
    f = round_figure(8291.2, float("nan"), float("nan"))
    assert f.text == "8,300" and not f.has_interval  # two significant digits without an interval


def test_rounding_rule_on_random_intervals():
    rng = np.random.default_rng(7)
    for _ in range(2000):
        v = float(10 ** rng.uniform(1, 6))
        lo = v * float(rng.uniform(0.2, 0.99))
        hi = v * float(rng.uniform(1.01, 3))
        u = rounding_unit(lo, hi, v)
        e = math.log10(u)
        assert e == round(e) and u >= 1
        assert u <= (hi - lo) / 2 + 1e-9  # never coarser than the half-width
        f = round_figure(v, lo, hi)
        assert abs(v - f.value) <= u / 2 + 1e-6  # the value to the nearest unit
        assert f.lower <= lo < f.lower + u and f.upper - u < hi <= f.upper  # the ends outward, by less than a unit
        for r in (f.value, f.lower, f.upper):
            assert abs(r / u - round(r / u)) < 1e-9
        assert f.lower > 0 and f.lower <= f.value <= f.upper
        assert u <= 10 ** math.floor(math.log10(lo))  # every number keeps its first digit
        # no end moves by a tenth of itself (F13), unless the unit is already whole persons
        assert u == 1 or (lo - f.lower < 0.1 * lo and f.upper - hi < 0.1 * hi)
        assert precision_violations([f"{f.text} ({f.lower_text}–{f.upper_text})"], "en") == []


def test_precision_check_catches_unrounded_figures():
    assert precision_violations(["8,291 (7,998–8,646)"], "en")
    assert precision_violations(["15,54 (14,99–16,21)"], "nl")
    assert precision_violations(["8,250 (8,000–8,600)"], "en")  # one digit too many
    assert precision_violations(["61.2% (58%–64%)"], "en")
    assert not precision_violations(["8.300 (8.000–8.600)"], "nl")


def test_number_format_by_language():
    assert format_number(12345.67, 0.1, "en") == "12,345.7"
    assert format_number(12345.67, 0.1, "nl") == "12.345,7"
    assert format_number(12345.67, 100, "nl") == "12.346" or format_number(12300, 100, "nl") == "12.300"


# ----------------------------------------------------------------------------- the pages
@pytest.mark.parametrize("kind", ["monitor", "estimate", "compare"])
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_no_figure_more_precise_than_its_interval(runs, kind, lang):
    p = _page(runs[kind] / f"report_public_{lang}.html")
    assert p.figs, "no figures on the page"
    assert precision_violations(p.figs, lang) == []


def test_trend_and_headline_are_the_runs_numbers_rounded(runs):
    d = runs["monitor"]
    m = pd.read_csv(d / "monitor.csv", keep_default_na=False)
    p = _page(d / "report_public_en.html")
    total = m[(m["group"] == "total") & (m["year"] == "")].iloc[0]
    f = round_figure(total["nhat"], total["lower"], total["upper"])
    assert f"About {f.text} ({f.lower_text}–{f.upper_text}) victims in 2019–2021" in p.all
    years = m[(m["group"] == "total") & (m["year"] != "")]
    rows = p.rows["trend-table"][1:]
    assert [r[0] for r in rows] == [str(y) for y in years["year"]]
    for r, (_, y) in zip(rows, years.iterrows(), strict=True):
        f = round_figure(y["nhat"], y["lower"], y["upper"])
        assert r[1] == f"{int(y['observed']):,}"
        assert r[2] == f"{f.text} ({f.lower_text}–{f.upper_text})"
    last = years.iloc[-1]
    f = round_figure(last["nhat"], last["lower"], last["upper"])
    assert (f"In 2021 alone: about {f.text} ({f.lower_text}–{f.upper_text}) victims, of whom "
            f"{int(last['observed']):,} were registered.") in p.all


def test_no_unsuppressed_small_cell(runs):
    d = runs["monitor"]
    pub = pd.read_csv(d / "monitor_published.csv", dtype=str, keep_default_na=False)
    single = pub[(pub["year"] == "") & (pub["group"] != "total") & ~pub["level"].str.contains(":")
                 & (pub["group"] != "year")]
    suppressed = single[single["observed"].str.startswith("<") | (single["observed"] == "x")]
    assert len(suppressed) >= 2  # the rare level (primary) and a partner (secondary): the check below can fail
    for lang in ("en", "nl"):
        p = _page(d / f"report_public_{lang}.html")
        assert p.obs
        for cell in p.obs:
            assert cell in (f"<{THRESHOLD}", "x") or _num(cell, lang) >= THRESHOLD, cell
        vis = [r for r in p.rows["visibility-table"][1:]]
        hidden = [r for r in vis if not any(_FIG.match(c) for c in r[3:])]
        assert len(hidden) == len(suppressed)
        for r in hidden:  # a hidden row shows no number at all
            assert all(c in (f"<{THRESHOLD}", "x") for c in r[2:]), r
        # the SDG table hides the same rows
        sdg_hidden = [r for r in p.rows["sdg-table"][1:] if r[-1] == "x"]
        assert len(sdg_hidden) == len(suppressed)


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_no_raw_column_name(runs, lang):
    p = _page(runs["monitor"] / f"report_public_{lang}.html")
    for cell in p.cells + p.h2:
        assert cell not in RAW_NAMES, f"raw column name {cell!r} in a table"
    text = p.all
    # names that are no word of any label must not appear anywhere; in Dutch none of the (English) names may
    for name in (RAW_NAMES if lang == "nl" else ["kmar", "fairwork", "nationality_group", "police", "shelters"]):
        assert not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), f"{name!r} on the {lang} page"
    assert "No readable label" not in text and "Geen leesbare" not in text


def test_unknown_column_gets_a_humanised_label_and_a_note(tmp_path):
    d = tmp_path / "run"
    # every pattern in both levels (a sparser table fits the unseen cells as 0: N̂ = n, exit 3 since tester 12b L2)
    pats = [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (1, 0, 1), (0, 1, 1), (1, 1, 1)]
    h = pd.DataFrame([(*p, lv, n) for lv, ns in (("yes", [60, 55, 50, 30, 25, 20, 10]), ("no", [50, 45, 40, 25, 20, 15, 8]))
                      for p, n in zip(pats, ns)], columns=["A", "B", "C", "drug_use", "count"])
    src = tmp_path / "h.csv"
    h.to_csv(src, index=False)
    _cli(["estimate", src, "--covariates", "drug_use", "--ci", "profile", "--out", d])
    _cli(["report", d, "--audience", "public"])
    p = _page(d / "report_public_en.html")
    assert "Drug use" in p.cells
    assert "No readable label is on file for these characteristics" in p.all and "drug_use" in p.all
    # a labels file gives the label and the note goes
    lab = tmp_path / "labels.toml"
    lab.write_text('[covariates]\ndrug_use = { en = "Injects drugs", nl = "Spuit drugs" }\n'
                   '[lists]\nA = "Clinic A"\nB = "Clinic B"\nC = "Clinic C"\n'
                   '[levels.drug_use]\nyes = { en = "Yes", nl = "Ja" }\nno = { en = "No", nl = "Nee" }\n')
    _cli(["report", d, "--audience", "public", "--lang", "nl", "--labels", lab])
    p = _page(d / "report_public_nl.html")
    assert "Spuit drugs" in p.cells and "Ja" in p.cells and "Clinic A" in p.all
    assert "Geen leesbare" not in p.all


def test_label_catalogue():
    assert humanise("ageGroup") == "Age group" and humanise("drug_use") == "Drug use"
    en, nl = LabelCatalogue("en", dataset="netherlands_2010_2015"), LabelCatalogue("nl", dataset="netherlands_2010_2015")
    assert en.list_label("P") == "Police" and nl.list_label("P") == "Politie"
    assert nl.covariate_label("exploitation") == "Vorm van uitbuiting" and nl.level_label("sex", "f") == "Vrouw"
    assert en.level_label("nationality_group", "non-EU") == "Outside the EU"
    assert not en.unlabelled["list"] and not en.unlabelled["covariate"]
    assert en.list_label("X9") == "X9" and en.unlabelled["list"] == ["X9"]


def test_labels_file_yaml_and_errors(tmp_path):
    y = tmp_path / "l.yaml"
    y.write_text("lists:\n  S1: {en: Police Scotland, nl: Schotse politie}\n")
    assert LabelCatalogue("nl", user=load_labels(y)).list_label("S1") == "Schotse politie"
    for name, text, says in [("bad.toml", "[lists\n", "cannot be read"),
                             ("sec.toml", "[colours]\na = 'b'\n", "unknown section(s) colours"),
                             ("val.toml", "[lists]\nA = 3\n", "lists.A"),
                             ("l.txt", "x", ".toml, .yaml or .yml")]:
        f = tmp_path / name
        f.write_text(text)
        with pytest.raises(Exception, match=re.escape(says)):
            load_labels(f)
    with pytest.raises(Exception, match="does not exist"):
        load_labels(tmp_path / "missing.toml")


def test_sdg_omitted_with_a_note_without_population(runs):
    p = _page(runs["estimate"] / "report_public_en.html")
    assert "needs population figures" in p.all
    assert "sdg-table" not in p.rows


def test_methods_note_and_caveats_from_the_run(runs):
    p = _page(runs["estimate"] / "report_public_en.html")
    assert "6 organisations (Labour inspectorate, Royal Marechaussee, Shelters and residential care, Police" in p.all
    assert "50 replicates (random seed 1)" in p.all and "weighted by AIC" in p.all
    assert "The estimate may be too low" in p.all  # Chao's lower bound is flagged on these data
    assert "The interval is approximate" in p.all  # 50 replicates
    p = _page(runs["compare"] / "report_public_en.html")
    # compare.json now carries the reasoned headline (darkfigure.headline): its range and reasons are shown
    assert "Between about" in p.all and "for the reasons below" in p.all and "Registers independent (Mt)" in p.cells


def test_linkage_corrected_sensitivity_and_headline_blocks(runs, tmp_path):
    d = tmp_path / "run"
    shutil.copytree(runs["estimate"], d)
    res = json.loads((d / "result.json").read_text())
    res["linkage"] = {"nhat_as_linked": 42199.5, "nhat_corrected": 40123.0, "lower": 35000.0, "upper": 46000.0,
                      "draws": 10, "reps_per_draw": 20}
    res["interval"]["with_linkage_uncertainty"] = True
    res["identifying_assumption"] = {"grid": [{"odds_ratio": x, "nhat": 42000 * x ** 0.3} for x in (0.5, 1, 2)],
                                     "low": 34100.0, "high": 51700.0, "explanation": "Relaxed from 1/2 to 2."}
    # a verdict that publishes N̂ (the fixture's own withholds it for heterogeneity: then the page gives the floor,
    # tested below), so that the corrected figure's blocks are on the page
    res["to_publish"] = {"statement": "Publish N̂ 40,123 (35,000-46,000).", "publish_interval": True,
                         "low": 35000.0, "high": 46000.0, "rules": ["agree"]}
    _hand_edit(d / "result.json", res)
    (d / "estimates.csv").unlink()
    for lang in ("en", "nl"):
        _cli(["report", d, "--audience", "public", "--lang", lang, "--overwrite"])
    p = _page(d / "report_public_en.html")
    assert "About 40,000 (35,000–46,000) victims" in p.all
    assert "corrected for errors in linking" in p.all
    # the replicates that make the pooled interval, not the as-linked bootstrap's (tester 8, F8)
    assert "with 20 replicates on each of 10 draws of the record linkage" in p.all
    assert "between about 34,000 and 52,000" in p.all
    assert "Relaxed from 1/2 to 2." not in p.all  # the analyst's English explanation stays in the analyst report
    assert "between 0.5 and 2 times as strong" in p.all  # written from the grid, in the page's language
    assert len(re.findall(r'<img src="data:image/png', (d / "report_public_en.html").read_text())) == 1
    nl = _page(d / "report_public_nl.html")
    assert "Ongeveer 40.000 (35.000–46.000) slachtoffers" in nl.all and "tussen ongeveer 34.000 en 52.000" in nl.all
    c = tmp_path / "cmp"
    shutil.copytree(runs["compare"], c)
    info = json.loads((c / "compare.json").read_text())
    info["headline"] = {"low": 7234.0, "high": 9876.0, "reasons": ["Mt is contradicted by the heterogeneity check."]}
    _hand_edit(c / "compare.json", info)
    _cli(["report", c, "--audience", "public", "--overwrite"])
    p = _page(c / "report_public_en.html")
    # a headline without rules (an older compare.json): the range, and the reasons left to the analyst report
    assert "Between about 7,200 and 9,900 victims." in p.all and "Mt is contradicted" not in p.all
    assert "The full reasons, with the tests behind them, are in the analyst report" in p.all


# ----------------------------------------------------------------------------- the catalogue
def _translations_script():
    spec = importlib.util.spec_from_file_location("translations", ROOT / "scripts" / "translations.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_dutch_catalogue_is_complete_and_compiled():
    from babel.messages.pofile import read_po

    tr = _translations_script()
    pot = tr.extract()
    ids = [m.id for m in pot if m.id]
    assert len(ids) > 80
    with open(LOCALE_DIR / "nl" / "LC_MESSAGES" / "darkfigure.po", "rb") as f:
        cat = read_po(f, locale="nl")
    ph = re.compile(r"%\(\w+\)s|\{\w+\}")
    for i in ids:
        m = cat.get(i)
        assert m is not None and m.string and not m.fuzzy, f"untranslated: {i!r}"
        assert sorted(ph.findall(m.string)) == sorted(ph.findall(i)), f"placeholders differ: {i!r}"
    assert tr.main(["--check"]) == 0  # the committed .mo is the compiled .po


def test_dutch_page_has_no_english_template_text(runs):
    from babel.messages.pofile import read_po

    with open(LOCALE_DIR / "nl" / "LC_MESSAGES" / "darkfigure.po", "rb") as f:
        cat = read_po(f, locale="nl")
    english = [seg for m in cat if m.id and m.string != m.id
               for seg in re.split(r"%\(\w+\)s|\{\w+\}", m.id) if len(seg.strip()) >= 12]
    assert english
    for kind in ("monitor", "estimate", "compare"):
        en, nl = _page(runs[kind] / "report_public_en.html").all, _page(runs[kind] / "report_public_nl.html").all
        assert "Kerncijfer" in nl and "Key figure" in en
        shown = [s for s in english if s.strip() in en]
        assert len(shown) > 10  # the English page shows them: the check below can fail
        left = [s for s in english if s.strip() in nl]
        assert left == [], f"English text on the Dutch {kind} page: {left}"


# ----------------------------------------------------------------------------- bad input
def test_bad_input_gives_clear_errors(runs, tmp_path, untouched):
    d = runs["estimate"]
    out = _cli(["report", d, "--audience", "public", "--lang", "fr"], code=2)
    assert _has(out, "--lang 'fr' is not available; choose one of en, nl")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _has(_cli(["report", empty, "--audience", "public"], code=2), "no darkfigure results")
    assert _has(_cli(["report", tmp_path / "nowhere", "--audience", "public"], code=2), "does not exist")
    mine = tmp_path / "mine.html"
    mine.write_text("my own file")
    check = untouched(tmp_path)
    out = _cli(["report", d, "--audience", "public", "--out", mine], code=2)
    assert _has(out, "was not written by darkfigure")
    check()
    assert _has(_cli(["report", d, "--audience", "press"], code=2), "--audience must be analyst or public")
    assert _has(_cli(["report", d, "--lang", "nl"], code=2), "are for --audience public")
    link = tmp_path / "link"
    link.mkdir()
    pd.DataFrame({"organisation": ["A"], "record_id": ["1"], "person_id": [1]}).to_csv(link / "links.csv", index=False)
    out = _cli(["report", link, "--audience", "public"], code=2)
    assert _has(out, "holds no estimate")
    bad = tmp_path / "labels.toml"
    bad.write_text("[lists]\nP = 1\n")
    assert _has(_cli(["report", d, "--audience", "public", "--labels", bad], code=2), "labels file")


def test_rewrites_its_own_report_and_pdf_is_skipped_without_chromium(runs, monkeypatch):
    d = runs["compare"]
    _cli(["report", d, "--audience", "public"])  # its own file: replaced without --overwrite
    import darkfigure.report.pdf as pdf

    monkeypatch.setattr(pdf, "find_chromium", lambda: None)
    r = runner.invoke(app, ["report", str(d), "--audience", "public", "--pdf"])
    assert r.exit_code == 0 and _has(r.output, "PDF skipped") and _has(r.output, "needs Chromium")
    assert not (d / "report_public_en.pdf").exists()


# ----------------------------------------------------------------------------- a real browser
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (/usr/bin/chromium); .ci/run "
                                    "installs it")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def _render(path: Path) -> dict:
    from playwright.sync_api import sync_playwright

    url = path.resolve().as_uri()
    out: dict = {"blocked": [], "console": [], "errors": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1100, "height": 900})

            def route(r):
                if r.request.url == url:
                    r.continue_()
                else:
                    out["blocked"].append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: out["console"].append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: out["errors"].append(str(e)))
            page.goto(url, wait_until="load")
            out["lang"] = page.locator("html").get_attribute("lang")
            out["h2"] = page.locator("section > h2").all_inner_texts()
            out["headline"] = page.locator("#headline").inner_text()
            out["images"] = page.locator("img").evaluate_all(
                "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
            out["height"] = page.evaluate("document.body.scrollHeight")
        finally:
            browser.close()
    return out


@needs_chromium
@pytest.mark.parametrize("lang, sections", [
    ("en", ["Key figure", "Trend by year", "Visibility by group", "SDG indicator 16.2.2",
            "How much the estimate rests on an untestable assumption", "What to keep in mind", "Methods"]),
    ("nl", ["Kerncijfer", "Ontwikkeling per jaar", "Zichtbaarheid per groep", "SDG-indicator 16.2.2",
            "Hoezeer de schatting berust op een niet-toetsbare aanname", "Waar u rekening mee moet houden", "Methode"]),
])
def test_renders_in_headless_chromium(runs, lang, sections):
    r = _render(runs["monitor"] / f"report_public_{lang}.html")
    assert r["blocked"] == [] and r["console"] == [] and r["errors"] == []
    assert r["lang"] == lang and r["h2"] == sections
    assert r["headline"].startswith("About " if lang == "en" else "Ongeveer ")
    # trend, visibility and the identifying-assumption curve (result.json's identifying_assumption)
    assert len(r["images"]) == 3 and all(c and w > 300 and h > 150 for c, w, h in r["images"])
    assert r["height"] > 1500


@needs_chromium
def test_pdf_printed_by_chromium(runs, tmp_path):
    d = tmp_path / "run"
    shutil.copytree(runs["compare"], d)
    out = _cli(["report", d, "--audience", "public", "--lang", "nl", "--pdf", "--overwrite"])
    pdf = d / "report_public_nl.pdf"
    assert _has(out, "report_public_nl.pdf")
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-" and len(data) > 10_000


def test_unidentified_estimate_says_so_and_shows_no_number(runs, tmp_path):
    d = tmp_path / "run"
    shutil.copytree(runs["estimate"], d)
    res = json.loads((d / "result.json").read_text())
    res["nhat"], res["interval"]["lower"], res["interval"]["upper"] = None, None, None
    _hand_edit(d / "result.json", res)
    (d / "estimates.csv").write_text("group,level,observed,nhat,lower,upper\ntotal,,8234,,,\n")
    for lang in ("en", "nl"):
        _cli(["report", d, "--audience", "public", "--lang", lang, "--overwrite"])
    p = _page(d / "report_public_en.html")
    assert "no estimate is given" in p.all and "8,234 victims were registered" in p.all
    assert "Some figures cannot be estimated" in p.all
    assert not p.figs and "nan" not in p.all.lower().split()
    assert "geen schatting" in _page(d / "report_public_nl.html").all


# ----------------------------------------------------------------------------- the tester's findings (fixpub)
def _compare_with_headline(runs, tmp_path, headline) -> Path:
    """A copy of the compare run whose compare.json headline is `headline` (None: removed), reported in en and nl."""
    c = tmp_path / "cmp"
    shutil.copytree(runs["compare"], c)
    info = json.loads((c / "compare.json").read_text())
    if headline is None:
        info.pop("headline", None)
    else:
        info["headline"] = headline
    _hand_edit(c / "compare.json", info)
    for lang in ("en", "nl"):
        _cli(["report", c, "--audience", "public", "--lang", lang, "--overwrite"])
    return c


RAW_REASON = ("The data contradict loglinear-bic: loglinear-bic deviance 39.9 on 5 df (p = 1.6e-07) — below 0.05, so "
              "it is dropped.")


@pytest.mark.parametrize("verdict", ["agree", "cannot-choose"])
def test_compare_headline_follows_its_rules_in_translated_sentences(runs, tmp_path, verdict):
    """Item 2: "agree" and "cannot choose" worded as the headline's rules say; no raw reasons; dropped methods marked."""
    t = pd.read_csv(runs["compare"] / "compare.csv").set_index("method")
    hl = {"low": float(t["lower"].min()), "high": float(t["upper"].max()), "reasons": [RAW_REASON],
          "rules": ["poor-fit", verdict], "kept": ["Mt", "Mh-darroch"],
          "dropped": {"loglinear-bic": "poor fit (deviance 39.9 on 5 df, p = 1.6e-07)"},
          "data_can_choose": verdict == "agree"}
    c = _compare_with_headline(runs, tmp_path, hl)
    en, nl = _page(c / "report_public_en.html"), _page(c / "report_public_nl.html")
    html = (c / "report_public_en.html").read_text()
    verdict_en = re.search(r'<p id="verdict">(.*?)</p>', html, re.S).group(1)
    if verdict == "agree":
        assert "The methods that suit these data agree" in verdict_en and "disagree" not in verdict_en
        assert "De methoden die bij deze gegevens passen stemmen overeen" in nl.all
        # the overlap of the kept intervals, rounded, in the sentence of the "agree" rule
        a, b = max(t.loc[["Mt", "Mh-darroch"], "lower"]), min(t.loc[["Mt", "Mh-darroch"], "upper"])
        if a <= b:
            f = round_range(a, b)
            assert f"their intervals overlap between about {f.lower_text} and {f.upper_text}" in en.all
    else:
        assert "disagree and the data cannot choose between them" in verdict_en and " agree;" not in verdict_en
        assert "de gegevens kunnen niet tussen hen kiezen" in nl.all
        assert "do not all overlap" in en.all
    # a plain sentence for the poor-fit rule, with the method in words; no codes, deviances or p-values
    assert "describe the overlap between the registers in a way the data contradict" in en.all
    assert "the log-linear model chosen by a stepwise search" in en.all
    reasons = re.search(r'<ul id="reasons">(.*?)</ul>', html, re.S).group(1)
    for raw in ("loglinear-bic", "Mh-darroch", "Mt", "deviance", "p = ", "1.6e-07", "dropped"):
        assert raw not in reasons, raw
    for page in (en, nl):
        assert "deviance" not in page.all and "1.6e-07" not in page.all and "loglinear-bic" not in page.all
    assert "The reasons are written by the comparison in English" not in en.all
    # the table marks which methods the headline used and which it left out, and why (translated)
    rows = {r[0]: r for r in en.rows["comparison-table"][1:]}
    assert rows["Registers independent (Mt)"][-1] == "used for the range"
    ll = next(r for k, r in rows.items() if k.startswith("Log-linear model"))
    assert ll[-1] == "left out: does not fit the data"
    nl_rows = {r[0]: r for r in nl.rows["comparison-table"][1:]}
    assert next(r for k, r in nl_rows.items() if k.startswith("Log-lineair"))[-1] == "weggelaten: past niet bij de gegevens"
    assert "In the range above" in en.cells and "In de bandbreedte hierboven" in nl.cells


def test_compare_headline_rule_sentences_for_every_rule(runs, tmp_path):
    """Item 2: each rule that fires gives its own catalogue sentence (none-kept, below-chao, chao-raise, ...)."""
    hl = {"low": 7000.0, "high": 9000.0, "reasons": [RAW_REASON],
          "rules": ["no-estimate", "not-identified", "failed-validation", "below-chao", "chao-raise", "none-kept",
                    "some-future-rule"],
          "kept": [], "dropped": {"Mt": "failed validation (covered 1 of 4 held-out lists; typically off by a factor "
                                        "1.90)", "Mh-darroch": "not identified: the data barely identify N",
                                  "loglinear-bic": "below Chao's lower bound (7,000 < 8,000)"},
          "data_can_choose": False}
    c = _compare_with_headline(runs, tmp_path, hl)
    en, nl = _page(c / "report_public_en.html"), _page(c / "report_public_nl.html")
    assert "Every method is contradicted by some check of the data; this range spans them all" in en.all
    assert "missed by a wide margin" in en.all and "the model of independent registers" in en.all
    assert "no upper limit to the number of victims under the models in which victims differ" in en.all
    assert "lie clearly below it" in en.all and "the low end of the range is raised" in en.all
    assert "Some methods gave no estimate" in en.all
    assert "The full reasons, with the tests behind them, are in the analyst report" in en.all  # the unknown rule
    assert "Elke methode wordt door een controle van de gegevens tegengesproken" in nl.all
    rows = {r[0]: r[-1] for r in en.rows["comparison-table"][1:]}
    assert rows["Registers independent (Mt)"] == "left out: failed the hold-out test"


def test_compare_headline_no_interval_and_two_lists_have_sentences(runs, tmp_path):
    """The rules no-interval and two-lists get their own sentence (they fell to "see the analyst report")."""
    hl = {"low": 7000.0, "high": 9000.0, "reasons": [RAW_REASON], "rules": ["no-interval", "two-lists", "agree"],
          "kept": ["Mt"], "dropped": {"Mh-darroch": "no interval: an N̂ alone cannot count toward agreement or set "
                                                    "the range"},
          "data_can_choose": False}
    c = _compare_with_headline(runs, tmp_path, hl)
    en, nl = _page(c / "report_public_en.html"), _page(c / "report_public_nl.html")
    assert "No interval on these data from" in en.all
    assert "With two registers the methods left rest on one and the same assumption" in en.all
    assert "The full reasons, with the tests behind them, are in the analyst report" not in en.all
    assert "Geen interval op deze gegevens" in nl.all and "Met twee registers" in nl.all
    rows = {r[0]: r[-1] for r in en.rows["comparison-table"][1:]}
    assert any(v == "left out: no interval" for v in rows.values())


def test_compare_without_headline_says_so(runs, tmp_path):
    """Item 9: a compare folder without a headline: the page says the range is the span of all methods."""
    c = _compare_with_headline(runs, tmp_path, None)
    en, nl = _page(c / "report_public_en.html"), _page(c / "report_public_nl.html")
    assert "The methods give between about" in en.all
    assert "This comparison has no reasoned headline" in en.all and "span of every method" in en.all
    assert "Deze vergelijking heeft geen onderbouwde kernbandbreedte" in nl.all
    assert "In the range above" not in en.cells  # no kept/left-out column without a headline


def _estimate_with(runs, tmp_path, to_publish) -> tuple[Path, dict]:
    d = tmp_path / "est"
    shutil.copytree(runs["estimate"], d)
    res = json.loads((d / "result.json").read_text())
    res["to_publish"] = to_publish
    _hand_edit(d / "result.json", res)
    for lang in ("en", "nl"):
        _cli(["report", d, "--audience", "public", "--lang", lang, "--overwrite"])
    return d, res


def test_key_figure_follows_to_publish(runs, tmp_path):
    """Item 3: when to_publish withholds N̂, the key figure is the range (or floor) it allows, in both languages."""
    res = json.loads((runs["estimate"] / "result.json").read_text())
    lo, hi = res["interval"]["lower"], res["interval"]["upper"]
    point = round_figure(res["nhat"], lo, hi)
    about = f"About {point.text} ({point.lower_text}–{point.upper_text})"
    # the fixture's own run: the checks flag Chao's bound and negative dependence -> a lower limit only
    assert res["to_publish"]["publish_interval"] is False
    p = _page(runs["estimate"] / "report_public_en.html")
    assert about not in p.all
    assert re.search(r"At least about [\d,]+ victims\.", p.all)
    # poor fit: no page at all (tester 15b, H2; test_public_page_follows_a_verdict_that_publishes_nothing)
    # allowed: the point estimate as before
    d2 = tmp_path / "ok"
    d2.mkdir()
    d, _ = _estimate_with(runs, d2, {"low": lo, "high": hi, "rules": ["agree"], "publish_interval": True,
                                     "statement": "Publish"})
    assert about in _page(d / "report_public_en.html").all
    assert "publish-note" not in (d / "report_public_en.html").read_text()
    # allowed with a caveat: two lists (no check possible), or a rule this page does not know
    for rule, says in [("no-checks", "the figure rests on its model alone"), ("a-new-rule", "with a caveat")]:
        dd = tmp_path / rule
        dd.mkdir()
        d, _ = _estimate_with(runs, dd, {"low": lo, "high": hi, "rules": [rule], "publish_interval": True,
                                         "statement": "Publish with a caveat"})
        p = _page(d / "report_public_en.html")
        assert about in p.all and says in p.all
    # publish N̂ only with the caveats (publish_interval false): the figure with one sentence per caveat, in both
    # languages, never "advises against" (tester 8, F1: rules agree + checks-not-run on a linked, EM-imputed run)
    for rules, says, nl_says in [
            (["agree", "checks-not-run"], "Some checks of the model could not be run", "konden op deze gegevens niet"),
            (["agree", "fit-unclear"], "cannot be judged reliably", "niet betrouwbaar te beoordelen"),
            (["agree", "failed-replicates"], "the upper end of the interval is fragile", "bovengrens van het interval"),
            (["no-checks", "failed-replicates"], "rests on its model alone", "berust alleen op het model"),
            (["agree"], "nobody was missed in some group", "niemand is gemist")]:
        dd = tmp_path / "-".join(rules)
        dd.mkdir()
        d, _ = _estimate_with(runs, dd, {"low": lo, "high": hi, "rules": rules, "publish_interval": False,
                                         "statement": "Publish N̂ only with the caveats below"})
        en, nl = _page(d / "report_public_en.html"), _page(d / "report_public_nl.html")
        assert about in en.all and says in en.all and "advises against" not in en.all
        assert "Between about" not in en.all
        assert nl_says in nl.all
    # a rule that withholds N̂ keeps its caveats beside its own sentence
    dd = tmp_path / "het-fit"
    dd.mkdir()
    d, _ = _estimate_with(runs, dd, {"low": lo, "high": hi, "rules": ["heterogeneity", "fit-unclear"],
                                     "publish_interval": False, "statement": "likely too low"})
    p = _page(d / "report_public_en.html")
    assert "At least about" in p.all and "may be too low" in p.all and "cannot be judged reliably" in p.all
    assert about not in p.all
    # nothing to publish: a withholding rule with no lower limit gives no figure
    d3 = tmp_path / "none"
    d3.mkdir()
    d, _ = _estimate_with(runs, d3, {"low": None, "high": None, "rules": ["not-identified"], "publish_interval": False,
                                     "statement": "Nothing to publish"})
    p = _page(d / "report_public_en.html")
    assert "no estimate is given" in p.all and about not in p.all


def test_pdf_named_out_is_refused_up_front(runs, tmp_path):
    """Item 4: --out x.pdf never receives HTML; the message says what to give."""
    d = tmp_path / "run"
    shutil.copytree(runs["estimate"], d)
    out = _cli(["report", d, "--audience", "public", "--pdf", "--out", d / "x.pdf"], code=2)
    assert _has(out, "--out names the HTML report, not the PDF; give a .html file")
    assert not (d / "x.pdf").exists() and not (d / "x.html").exists()
    _cli(["report", d, "--audience", "public", "--out", d / "x.PDF"], code=2)
    assert not (d / "x.PDF").exists()


def test_identifying_assumption_in_plain_rounded_words_in_both_languages(runs):
    """Item 6: no analyst paragraph (unrounded N̂, ψ, profile likelihood); the same content in en and nl."""
    res = json.loads((runs["estimate"] / "result.json").read_text())
    ia = res["identifying_assumption"]
    en, nl = _page(runs["estimate"] / "report_public_en.html"), _page(runs["estimate"] / "report_public_nl.html")
    assert ia["explanation"] not in en.all
    for raw in ("ψ", "profile-likelihood", "N̂", f"{ia['nhat']:,.0f}", f"{ia['low']:,.0f}", f"{ia['high']:,.0f}"):
        assert raw not in en.all, raw
    lo, hi = ia["bounds"]["confidence"]
    f = round_range(lo, hi)
    assert "the data cannot check this" in en.all and "between 0.5 and 2 times as strong" in en.all
    assert f"Allowing for chance as well, it lies between about {f.lower_text} and {f.upper_text}." in en.all
    g = round_range(lo, hi, lang="nl")
    assert "tussen 0,5 en 2 keer zo sterk" in nl.all and f"tussen ongeveer {g.lower_text} en {g.upper_text}" in nl.all

    def section(html: str) -> str:
        return re.search(r'<section id="sensitivity">(.*?)</section>', html, re.S).group(1)

    def numbers(text: str, lang: str) -> list[float]:
        return [_num(x, lang) for x in re.findall(r"\d[\d.,]*\d|\d", re.sub(r"<[^>]+>", " ", text))]

    s_en = section((runs["estimate"] / "report_public_en.html").read_text())
    s_nl = section((runs["estimate"] / "report_public_nl.html").read_text())
    assert numbers(s_en.split("<figure>")[-1], "en") == numbers(s_nl.split("<figure>")[-1], "nl")


def test_labels_file_empty_and_unknown_entries(runs, tmp_path):
    """Item 12: an empty label is refused naming the key; unknown keys are reported; the message for 'en' alone."""
    from darkfigure.report.labels import unknown_keys

    for text, says in [('[lists]\nP = ""\n', "lists.P is empty"),
                       ('[lists]\nP = { en = "Police", nl = " " }\n', "lists.P has an empty label in 'nl'"),
                       ('[levels.sex]\nf = ""\n', "levels.sex.f is empty"),
                       ('[lists]\nP = { nl = "Politie" }\n', "has no label in 'en' (it has 'nl')")]:
        f = tmp_path / "l.toml"
        f.write_text(text)
        with pytest.raises(Exception, match=re.escape(says)):
            load_labels(f)
    with pytest.raises(Exception) as e:
        f.write_text('[lists]\nP = { nl = "Politie" }\n')
        load_labels(f)
    assert "'en' nor 'en'" not in str(e.value)
    lab = tmp_path / "labels.toml"
    lab.write_text('[lists]\nP = "Police force"\nPOLICE = "Typo"\n[covariates]\nregion = "Region"\n'
                   '[levels.sex]\nf = "Women"\n')
    user = load_labels(lab)
    assert unknown_keys(user, ["P", "K"], ["sex"], {"sex": {"f", "m"}}) == ["lists.POLICE", "covariates.region"]
    assert unknown_keys(user, ["P"], ["sex"], {"sex": {"m"}})[-1] == "levels.sex.f"
    d = tmp_path / "run"
    shutil.copytree(runs["estimate"], d)
    out = _cli(["report", d, "--audience", "public", "--labels", lab, "--overwrite"])
    assert _has(out, "warning") and _has(out, "lists.POLICE, covariates.region") and _has(out, "not used")
    assert "Police force" in _page(d / "report_public_en.html").all


def test_readme_documents_the_labels_file():
    """Item 12: README says how a labels file is written (its three sections and the {en, nl} form)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--labels" in text and "[lists]" in text and "[levels." in text and "nl =" in text


def test_coded_years_language_case_and_damaged_result(runs, tmp_path):
    """Item 15: years coded 1-3 read "In year 3 alone"; --lang EN works; a result.json with text for N̂ fails clearly."""
    d = tmp_path / "mon"
    shutil.copytree(runs["monitor"], d)
    m = pd.read_csv(d / "monitor.csv", keep_default_na=False)
    years = {"2019": "1", "2020": "2", "2021": "3"}
    m["year"] = m["year"].astype(str).map(lambda y: years.get(y, y))
    m.to_csv(d / "monitor.csv", index=False)
    (d / ".darkfigure-outputs.json").unlink(missing_ok=True)  # a hand-made variant: no manifest to contradict it
    _cli(["report", d, "--audience", "public", "--lang", "EN", "--overwrite"])
    _cli(["report", d, "--audience", "public", "--lang", "Nl", "--overwrite"])
    en, nl = _page(d / "report_public_en.html"), _page(d / "report_public_nl.html")
    assert "In year 3 alone: about" in en.all and "In 3 alone" not in en.all
    assert "victims in years 1–3" in en.all
    assert "Alleen in jaar 3: ongeveer" in nl.all and "jaren 1–3" in nl.all
    # calendar years keep their plain wording (the monitor fixture)
    assert "In 2021 alone" in _page(runs["monitor"] / "report_public_en.html").all
    # a hand-edited result.json: N̂ not a number, or its interval removed -> exit 2 naming the field, no page
    for edit, says in [(lambda r: r.update(nhat="abc"), "'nhat' is 'abc', not a number"),
                       (lambda r: r.pop("interval"), "'interval' is missing"),
                       (lambda r: r["interval"].update(lower="low"), "interval 'lower' is 'low', not a number")]:
        e = tmp_path / f"e{len(says)}"
        shutil.copytree(runs["estimate"], e)
        (e / "report_public_en.html").unlink()
        res = json.loads((e / "result.json").read_text())
        edit(res)
        _hand_edit(e / "result.json", res)
        out = _cli(["report", e, "--audience", "public"], code=2)
        assert _has(out, says) and _has(out, "result.json"), out
        assert not (e / "report_public_en.html").exists()


def test_compare_headline_one_method_left_and_two_explanations(runs, tmp_path):
    """Item 2: the fixture's own headline keeps one method; chao-vs-negative-dependence: the data cannot choose."""
    info = json.loads((runs["compare"] / "compare.json").read_text())
    assert info["headline"]["kept"] == ["loglinear-bic"] and "agree" in info["headline"]["rules"]
    p = _page(runs["compare"] / "report_public_en.html")
    assert "Only one method suits these data; this range is its interval" in p.all and "disagree" not in p.all
    assert "One method is left, the log-linear model chosen by a stepwise search" in p.all
    hl = {**info["headline"], "rules": ["chao-vs-negative-dependence", "agree"], "data_can_choose": False,
          "kept": ["loglinear-bic", "Mt"], "dropped": {"Mh-darroch": "poor fit (deviance 251.5 on 12 df, p = 6.8e-47)"}}
    c = _compare_with_headline(runs, tmp_path, hl)
    en, nl = _page(c / "report_public_en.html"), _page(c / "report_public_nl.html")
    assert "The data cannot choose between two explanations of how the registers overlap" in en.all
    assert "tend to miss each other's victims; the range covers both" in en.all
    assert "De gegevens kunnen niet kiezen tussen twee verklaringen" in nl.all


def test_linkage_first_verdict_gives_no_public_page_even_when_corrected(runs, tmp_path):
    """Tester 17a (H1): a run corrected for linkage error whose verdict is 'linkage-first' (the linkage says N̂ is too
    high, the checks too low) got a public page "About 7,000 (6,000–10,000) victims ... publishes this figure with a
    caveat". The verdict is about the linkage itself, so the corrected figure is withheld as the as-linked one."""
    d = tmp_path / "run"
    shutil.copytree(runs["estimate"], d)
    res = json.loads((d / "result.json").read_text())
    res["linkage"] = {"nhat_as_linked": 42199.5, "nhat_corrected": 40123.0, "lower": 35000.0, "upper": 46000.0,
                      "draws": 10, "reps_per_draw": 20}
    res["to_publish"] = {"statement": "Do not publish N̂ 40,123 (35,000–46,000), nor a floor from it: ...",
                         "publish_interval": False, "low": None, "high": None, "rules": ["linkage-first"]}
    _hand_edit(d / "result.json", res)
    (d / "estimates.csv").unlink()
    for f in d.glob("report_public_*.html"):
        f.unlink()
    out = _cli(["report", d, "--audience", "public", "--overwrite"], code=2)
    assert _has(out, "no public page") and _has(out, "the linkage comes first")
    assert _has(out, "Resolve the record linkage's warnings")
    assert not (d / "report_public_en.html").exists()
    # a corrected run whose verdict judged only the as-linked model (poor fit) keeps its page, with the verdict beside
    res["to_publish"]["rules"] = ["poor-fit"]
    _hand_edit(d / "result.json", res)
    _cli(["report", d, "--audience", "public", "--overwrite"])
    assert "About 40,000 (35,000–46,000) victims" in _page(d / "report_public_en.html").all




def test_corrected_run_under_a_floor_verdict_shows_the_floor(runs, tmp_path):
    """New user (s17): a run corrected for linkage error whose verdict publishes only a floor (heterogeneity) showed
    "About 8,100 (7,700-8,500)" beside "only its lower limit is published, as a floor": the page follows the verdict
    (the exemption of corrected runs stays for a misfit of the records as linked, poor-fit)."""
    d = tmp_path / "run"
    shutil.copytree(runs["estimate"], d)
    res = json.loads((d / "result.json").read_text())
    res["linkage"] = {"nhat_as_linked": 42199.5, "nhat_corrected": 40123.0, "lower": 35000.0, "upper": 46000.0,
                      "draws": 10, "reps_per_draw": 20}
    res["to_publish"] = {"statement": "N̂ is likely too low: publish 35,000 as a floor.", "publish_interval": False,
                         "low": 35000.0, "high": None, "rules": ["heterogeneity"]}
    _hand_edit(d / "result.json", res)
    (d / "estimates.csv").unlink()
    _cli(["report", d, "--audience", "public", "--overwrite"])
    p = _page(d / "report_public_en.html")
    assert "About 40,000 (35,000–46,000) victims" not in p.all
    assert "At least about 35,000" in p.all or "at least about 35,000" in p.all
    assert "only its lower limit is published, as a floor" in p.all
