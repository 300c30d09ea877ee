"""The publication report (``darkfigure report RUN --audience public``): what a rapporteur can publish.

Beside the analyst report (:mod:`darkfigure.report.build`), one offline HTML page for
publication, built from the same run folder (``estimate``, ``monitor`` or ``compare``):

* **Rounded figures.** Every estimate is rounded to the precision its interval supports
  (:func:`rounding_unit`): "about 5,000 (4,000–7,000)", never "5,123 (4,012–6,845)"; the
  interval's ends are rounded outward, so the published interval holds the computed one.
* **The trend by year** with its band, **visibility by subgroup** (registered ÷ estimated)
  with intervals, **SDG 16.2.2 rates** per 100,000 inhabitants (when the run has a
  population table; otherwise omitted with a note).
* **Only disclosure-controlled tables**: every row goes through
  :func:`darkfigure.monitoring.disclosure.suppress` (primary and secondary suppression of
  small counts), and a hidden row shows no number at all.
* **Linkage-corrected figures** when the run corrected N̂ for record-linkage error.
* **A methods note** written from the run's settings, **the caveats that matter** in
  plain words (a fixed catalogue keyed by the run's checks and warnings; the others are
  counted and left to the analyst report), and, when present, the sensitivity to the
  identifying assumption (``result.json`` ``identifying_assumption``, in plain rounded
  words written from its numbers) and the reasoned headline of ``compare`` (``compare.json``
  ``headline``: one translated sentence per rule that fired, the methods it left out marked
  in the "Estimates by method" table; the English reasons stay in the analyst report).
* **The key figure follows the run's verdict** (``result.json`` ``to_publish``): when N̂ is
  not to be published, the page shows the lower limit that may be; when the verdict publishes
  no figure at all (a model that does not fit, no interval), no page is made
  (:func:`_publishable`), or the page is that of a ``compare.json`` in the same folder.
* **No instructions for the analyst** (command lines, options, "publish the range"): they stay
  in the analyst report (tester 15b, M2). ``monitor_published.csv`` carries the page's rounded
  figures (``nhat_rounded, lower_rounded, upper_rounded``; tester 15b, M4).
* **Readable labels** for lists, covariates and levels (:mod:`darkfigure.report.labels`),
  **in English or Dutch** through a gettext catalogue (``report/locale/<lang>/LC_MESSAGES/
  darkfigure.po``, compiled to ``.mo`` by ``scripts/translations.py``) and jinja2's i18n
  extension, so that more languages can follow.
* Optionally a **PDF** printed by headless Chromium (:func:`print_pdf`).
"""

from __future__ import annotations

import gettext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__
from ..errors import DataError
from .labels import LANGUAGES, LabelCatalogue, load_labels, unknown_keys
from .pdf import ChromiumMissing, find_chromium, print_pdf
from .public_context import DEFAULT_THRESHOLD, _Ctx, _rows_table, _threshold
from .public_headline import NO_FIGURE_RULES, _headline, compare_headline_usable, withheld_reason
from .public_rounding import Figure, format_number, round_figure, rounding_unit
from .public_sections import (
    _calendar_year,
    _caveats,
    _compare,
    _methods_note,
    _period,
    _sdg,
    _sensitivity,
    _trend,
    _visibility,
)
from .run import Run, load_run

__all__ = ["LOCALE_DIR", "DOMAIN", "Figure", "rounding_unit", "round_figure", "format_number", "translations",
           "render_public_report", "build_public_report", "print_pdf", "find_chromium", "DEFAULT_THRESHOLD",
           "ChromiumMissing", "unknown_label_keys"]

#: Folder of the gettext catalogues (``<lang>/LC_MESSAGES/darkfigure.po`` and ``.mo``).
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "darkfigure"


def translations(lang: str) -> gettext.NullTranslations:
    """The gettext translations of the public report in `lang` (English: the source texts).

    Raises
    ------
    DataError
        `lang` is not one of :data:`~darkfigure.report.labels.LANGUAGES`, or its compiled
        catalogue (``.mo``) is missing from the installation.
    """
    lang = str(lang).strip().lower()  # --lang EN is English
    if lang not in LANGUAGES:
        raise DataError(f"--lang {lang!r} is not available; choose one of {', '.join(LANGUAGES)}")
    if lang == "en":
        return gettext.NullTranslations()
    try:
        return gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[lang])
    except OSError:
        raise DataError(
            f"the translation catalogue for --lang {lang} is missing ({LOCALE_DIR / lang / 'LC_MESSAGES'}/"
            f"{DOMAIN}.mo); reinstall darkfigure or run scripts/translations.py to compile it"
        ) from None


def _check_result(res: dict, folder: Path) -> None:
    """Refuse a ``result.json`` whose N̂ or interval are not numbers (a hand-edited or damaged file).

    Raises
    ------
    DataError
        ``nhat`` is neither a number nor null, ``interval`` is missing while N̂ is a number,
        or one of its ends is neither a number, null nor "inf"/"-inf" (the message names the field).
    """
    where = f"{str(Path(folder) / 'result.json')!r}"

    def num(v) -> bool:
        """True for None, a real number (bool excluded) or "inf"/"-inf": what result.json may hold for a figure.

        darkfigure writes an infinite limit as the string "inf" (``darkfigure.results._num``: JSON has no
        infinity); an interval with no upper limit is an honest result, not damage (tester report 9, F6).
        """
        return v is None or v in ("inf", "-inf") or (isinstance(v, (int, float)) and not isinstance(v, bool))

    if "nhat" not in res:
        return  # a monitor's result.json: the figures are in monitor.csv
    if not num(res["nhat"]):
        raise DataError(f"{where}: 'nhat' is {res['nhat']!r}, not a number; the file was edited or damaged — run "
                        "darkfigure estimate again to rewrite it")
    iv = res.get("interval")
    if iv is None and res["nhat"] is not None:
        raise DataError(f"{where}: 'interval' is missing although N̂ is {res['nhat']!r}; the file was edited or "
                        "damaged — run darkfigure estimate again to rewrite it")
    if iv is not None:
        if not isinstance(iv, dict):
            raise DataError(f"{where}: 'interval' must be a table with lower and upper, not {iv!r}; run darkfigure "
                            "estimate again")
        for k in ("lower", "upper"):
            if not num(iv.get(k)):
                raise DataError(f"{where}: interval '{k}' is {iv.get(k)!r}, not a number; the file was edited or "
                                "damaged — run darkfigure estimate again to rewrite it")


def _publishable(run: Run) -> Run:
    """`run` as the public page may show it: refused, or reduced to its comparison, when the verdict publishes nothing.

    Where ``result.json``'s ``to_publish`` withholds every figure of the model (a poor fit, no interval, no N̂:
    :func:`~darkfigure.report.public_headline.withheld_reason`), each figure of a public page would come from a model
    the verdict rejects (tester 15b, H2: "between about 12,000 and 17,000" from a model that does not fit). With a
    ``compare.json`` headline in the same folder the page is that comparison's (the estimate's tables left out);
    otherwise no page is made.

    Raises
    ------
    DataError
        The verdict publishes no figure and the folder holds no comparison; the message says why and what to do.
    """
    import dataclasses

    why = withheld_reason(run)
    if why is None:
        return run
    if compare_headline_usable(run):
        return dataclasses.replace(run, result=None, estimates=None, monitor=None, published=None)
    todo = ("Run the estimate again with an interval and make the public page from that folder"
            if why == NO_FIGURE_RULES["no-interval"] else
            "Resolve the record linkage's warnings (check a sample of the pairs they name by hand), link again, "
            "estimate again and make the public page from that folder"
            if why == NO_FIGURE_RULES["linkage-first"] else
            "Run darkfigure compare on the same data and make the public page from its folder (its headline weighs "
            "the methods that fit the data)")
    raise DataError(
        f"{str(run.folder)!r}: no public page: the run's verdict (\"to publish\") is not to publish its figure: "
        f"{why}. Every figure of a public page would come from that model. {todo}; the analyst report (darkfigure "
        "report without --audience public) shows this run in full")


def _context(run: Run, lang: str, labels: dict | None) -> dict:
    if run.result:
        _check_result(run.result, run.folder)
    run = _publishable(run)
    tr = translations(lang)
    _ = tr.gettext
    res = run.result or {}
    info = res.get("data") or (run.compare_info or {}).get("data") or {}
    cat = LabelCatalogue(lang=lang, dataset=info.get("name"), user=labels)
    c = _Ctx(lang=lang, _=_, labels=cat, threshold=_threshold(run))
    from ..monitoring.disclosure import suppress

    t = _rows_table(run)
    hidden = None
    if t is not None:
        obs = pd.to_numeric(t["observed"], errors="coerce").fillna(0)
        hidden = suppress(t.assign(observed=obs), c.threshold) > 0
    ctx: dict[str, Any] = {
        "lang": lang,
        "headline": _headline(c, run, t),
        "period": _period(c, t),
        "trend": _trend(c, run, t, hidden),
        "visibility": _visibility(c, run, t, hidden),
        "sdg": _sdg(c, run, t, hidden),
        "comparison": None,
        "sensitivity": _sensitivity(c, run),
        "threshold": c.threshold,
    }
    ctx["comparison"] = _compare(c, run, (ctx["headline"] or {}).get("status"))
    shown_years = [r for r in (ctx["trend"] or {}).get("rows", []) if not r["hidden"]]
    ctx["latest"] = shown_years[-1] if len(shown_years) > 1 else None  # the sentence a yearly publication needs
    if ctx["latest"] is not None and ctx["latest"]["fig"].bound:
        ctx["latest"] = None  # "about N̂" is not to be published for a year with no upper limit: the table says it
    if ctx["latest"] is not None:
        ctx["latest"] = {**ctx["latest"], "coded": not _calendar_year(ctx["latest"]["year"])}
    ctx["sdg_missing"] = ctx["sdg"] is None and t is not None
    ctx["methods"] = _methods_note(c, run)
    _caveats(c, run, t)
    if hidden is not None and hidden.any():
        c.notes.insert(0, _("{n} table row(s) are hidden to protect small numbers of registered victims.").format(
            n=int(hidden.sum())))
    sizes = info.get("list_sizes") or {}
    ctx["lists"] = [{"name": cat.list_label(k), "n": c.count(v)} for k, v in sizes.items()]
    for kind, names in cat.unlabelled.items():
        if names:
            what = _("registers") if kind == "list" else _("characteristics")
            c.notes.append(_("No readable label is on file for these {what}, so their names are shown as words: "
                             "{names}.").format(what=what, names=", ".join(names)))
    ctx["caveats"] = c.caveats
    ctx["notes"] = c.notes
    # a run on a link folder is named by the folder, as the technical report (build.py; review s20 L3)
    name = (res.get("settings") or {}).get("data_folder") or info.get("name") or run.folder.name
    ctx["dataset"] = name
    ctx["built"] = datetime.now(UTC).strftime("%Y-%m-%d")
    ctx["version"] = __version__
    return ctx


def unknown_label_keys(run: Run, labels: dict | None) -> list[str]:
    """Entries of a labels file that name no list, covariate or level of `run` (see :func:`labels.unknown_keys`).

    The run's lists come from ``result.json``/``compare.json`` ``data.lists``; its covariates
    from the settings, ``data.covariates`` and the groups of its tables (the year column
    included); its levels from those tables.
    """
    if not labels:
        return []
    res = run.result or {}
    info = res.get("data") or (run.compare_info or {}).get("data") or {}
    lists = list(info.get("lists") or []) + list((info.get("list_sizes") or {}).keys())
    covs = set(map(str, (res.get("settings") or {}).get("covariates") or [])) | set(
        map(str, info.get("covariates") or []))
    year = (res.get("monitor") or {}).get("year") or (res.get("settings") or {}).get("year")
    if year:
        covs.add(str(year))
    levels: dict[str, set[str]] = {}
    t = _rows_table(run)
    if t is not None:
        for g, lv in zip(t["group"].astype(str), t["level"].astype(str)):
            if g == "total" or ":" in lv:
                continue
            covs.add(g)
            levels.setdefault(g, set()).add(lv)
    return unknown_keys(labels, lists, covs, levels)


def _environment(lang: str):
    from jinja2 import Environment, PackageLoader

    env = Environment(
        loader=PackageLoader("darkfigure.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(lang), newstyle=True)
    return env


def render_public_report(run: Run, lang: str = "en", labels: dict | None = None) -> str:
    """The publication report of a loaded run as an HTML string (see :func:`build_public_report`)."""
    lang = str(lang).strip().lower()
    ctx = _context(run, lang, labels)
    return _environment(lang).get_template("public.html.j2").render(**ctx)


def build_public_report(run_dir: str | Path, out: str | Path | None = None, *, lang: str = "en",
                        labels: str | Path | dict | None = None) -> Path:
    """Write the publication report of a run folder (one offline HTML file).

    Parameters
    ----------
    run_dir : path
        The ``--out`` folder of ``darkfigure estimate``, ``monitor`` or ``compare``.
    out : path, optional
        The HTML file (default ``run_dir/report_public_<lang>.html``). Written directly;
        the command line goes through :func:`darkfigure.outputs.write_file`.
    lang : {"en", "nl"}
    labels : path or dict, optional
        A labels file (:func:`~darkfigure.report.labels.load_labels`) or its content.

    Returns
    -------
    Path

    Raises
    ------
    DataError
        Unknown `lang`, a bad labels file, a folder without results
        (:class:`~darkfigure.report.build.RunFolderError`), or a run whose verdict (``to_publish``) publishes no
        figure and whose folder holds no comparison (:func:`_publishable`; nothing is written then).
    """
    lang = str(lang).strip().lower()
    if lang not in LANGUAGES:
        raise DataError(f"--lang {lang!r} is not available; choose one of {', '.join(LANGUAGES)}")
    user = load_labels(labels, lang=lang) if isinstance(labels, (str, Path)) else labels
    run = load_run(run_dir)
    if run.result is None and run.compare is None:
        raise DataError(f"{str(run_dir)!r} holds no estimate (result.json) nor comparison (compare.csv): the public "
                        "report is for the --out folder of darkfigure estimate, monitor or compare")
    html = render_public_report(run, lang, user)
    target = Path(out) if out is not None else Path(run_dir) / f"report_public_{lang}.html"
    target.write_text(html, encoding="utf-8")
    return target
