"""Translation catalogues of the publication report: extract, update and compile (Babel).

    python scripts/translations.py            # extract the texts, update every .po, compile every .mo
    python scripts/translations.py --check    # fail when a text is untranslated or a .mo is stale

The texts are the ``_("...")`` calls of ``src/darkfigure/report/public*.py`` and of the
template ``public.html.j2`` (jinja2's i18n extension). Each language has
``src/darkfigure/report/locale/<lang>/LC_MESSAGES/darkfigure.po`` (edited by hand) and the
compiled ``darkfigure.mo`` next to it, committed so that ``pip install -e .`` needs no build
step. A new language: copy ``darkfigure.pot`` to ``<lang>/LC_MESSAGES/darkfigure.po``, translate,
run this script, and add the language to ``darkfigure.report.labels.LANGUAGES`` (with its labels).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "src" / "darkfigure" / "report"
LOCALE = REPORT / "locale"
SOURCES = [*((p, "python") for p in sorted(REPORT.glob("public*.py"))),
           (REPORT / "templates" / "public.html.j2", "jinja2.ext:babel_extract")]
DOMAIN = "darkfigure"


def extract():
    """The template catalogue (babel Catalog) of every translatable text in the sources."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    cat = Catalog(project="darkfigure", domain=DOMAIN, charset="utf-8")
    for path, method in SOURCES:
        opts = {"extensions": "jinja2.ext.i18n", "trimmed": "false"} if "jinja" in method else {}
        for lineno, msg, comments, context in extract_from_file(method, str(path), options=opts):
            if isinstance(msg, tuple):  # ngettext
                msg = msg[0]
            cat.add(msg, None, [(path.relative_to(ROOT).as_posix(), lineno)], auto_comments=comments,
                    context=context)
    return cat


def _mo_bytes(cat) -> bytes:
    from babel.messages.mofile import write_mo

    buf = io.BytesIO()
    write_mo(buf, cat)
    return buf.getvalue()


def languages() -> list[str]:
    """Languages with a .po catalogue."""
    return sorted(p.parent.parent.name for p in LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def main(argv=None) -> int:
    """Extract, update and compile (or check with --check)."""
    from babel.messages.pofile import read_po, write_po

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="check only: untranslated texts or stale .mo fail")
    args = ap.parse_args(argv)
    pot = extract()
    problems = []
    if not args.check:
        with open(LOCALE / f"{DOMAIN}.pot", "wb") as f:
            write_po(f, pot, sort_output=False, omit_header=False)
    for lang in languages():
        po_path = LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        with open(po_path, "rb") as f:
            cat = read_po(f, locale=lang)
        if not args.check:
            cat.update(pot, update_header_comment=False)
            cat.fuzzy = False  # the header: a fuzzy header is left out of the .mo (no charset then)
            with open(po_path, "wb") as f:
                write_po(f, cat, sort_output=False, ignore_obsolete=True)
        for m in cat:
            if m.id and (not m.string or m.fuzzy):
                problems.append(f"{lang}: untranslated{' (fuzzy)' if m.fuzzy else ''}: {m.id!r}")
        missing = [m.id for m in pot if m.id and m.id not in cat]
        problems += [f"{lang}: missing from the catalogue: {i!r}" for i in missing]
        mo_path = po_path.with_suffix(".mo")
        mo = _mo_bytes(cat)
        if args.check:
            if not mo_path.is_file() or mo_path.read_bytes() != mo:
                problems.append(f"{lang}: {mo_path.name} is stale; run python scripts/translations.py")
        else:
            mo_path.write_bytes(mo)
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
