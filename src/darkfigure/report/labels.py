"""Readable labels for lists, covariates and their levels, in each language of the public report.

A publication never shows raw column names (``nationality_group``, ``P``, ``X3``): the
public report (:mod:`darkfigure.report.public`) names every list, covariate and level
through a :class:`LabelCatalogue`:

* the built-in catalogue: the covariates the monitor knows (sex, age, minor,
  nationality, form of exploitation, year) with their usual levels, the lists of the
  bundled datasets (:mod:`darkfigure.datasets`) by dataset name, and the organisations
  of the bundled demo registrations (police, shelters, ...);
* a user file (``--labels FILE``, TOML or YAML) with the same three sections, which
  wins over the built-in entries::

      [lists]
      S1 = { en = "Police Scotland", nl = "Schotse politie" }
      [covariates]
      region = { en = "Region", nl = "Regio" }
      [levels.region]
      GGC = "Greater Glasgow and Clyde"      # one text for every language

* anything else gets a humanised label (``drug_use`` -> "Drug use") and is recorded in
  :attr:`LabelCatalogue.unlabelled`, which the report lists in a note so the user can
  add it to a labels file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError

__all__ = ["LANGUAGES", "LabelCatalogue", "load_labels", "unknown_keys", "humanise", "COVARIATES", "LEVELS", "LISTS",
           "DATASET_LISTS"]

#: Languages of the public report (a gettext catalogue exists for each but English, the source language).
LANGUAGES = ("en", "nl")

# ----------------------------------------------------------------------------- built-in catalogue
#: Covariates: column name (lower case) -> {language: label}.
COVARIATES: dict[str, dict[str, str]] = {
    "sex": {"en": "Sex", "nl": "Geslacht"},
    "gender": {"en": "Sex", "nl": "Geslacht"},
    "age": {"en": "Age", "nl": "Leeftijd"},
    "age_group": {"en": "Age", "nl": "Leeftijd"},
    "minor": {"en": "Minor (under 18)", "nl": "Minderjarig (jonger dan 18)"},
    "nationality": {"en": "Nationality", "nl": "Nationaliteit"},
    "nationality_group": {"en": "Nationality", "nl": "Nationaliteit"},
    "exploitation": {"en": "Form of exploitation", "nl": "Vorm van uitbuiting"},
    "form": {"en": "Form of exploitation", "nl": "Vorm van uitbuiting"},
    "year": {"en": "Year", "nl": "Jaar"},
}

_FEMALE = {"en": "Female", "nl": "Vrouw"}
_MALE = {"en": "Male", "nl": "Man"}
_ADULT = {"en": "Adult (18 or older)", "nl": "Volwassen (18 jaar of ouder)"}
_CHILD = {"en": "Minor (under 18)", "nl": "Minderjarig (jonger dan 18)"}
_YES = {"en": "Yes", "nl": "Ja"}
_NO = {"en": "No", "nl": "Nee"}
_NATIONALITY = {
    "dutch": {"en": "Dutch", "nl": "Nederlands"},
    "nl": {"en": "Dutch", "nl": "Nederlands"},
    "eu": {"en": "Other EU", "nl": "Overig EU"},
    "non-eu": {"en": "Outside the EU", "nl": "Buiten de EU"},
    "non_eu": {"en": "Outside the EU", "nl": "Buiten de EU"},
    "unknown": {"en": "Unknown", "nl": "Onbekend"},
}
_EXPLOITATION = {
    "sexual": {"en": "Sexual exploitation", "nl": "Seksuele uitbuiting"},
    "labour": {"en": "Labour exploitation", "nl": "Arbeidsuitbuiting"},
    "labor": {"en": "Labour exploitation", "nl": "Arbeidsuitbuiting"},
    "criminal": {"en": "Criminal exploitation", "nl": "Criminele uitbuiting"},
    "other": {"en": "Other exploitation", "nl": "Overige uitbuiting"},
    "unknown": {"en": "Unknown", "nl": "Onbekend"},
}
#: Levels of the known covariates: covariate -> level (lower case) -> {language: label}.
LEVELS: dict[str, dict[str, dict[str, str]]] = {
    "sex": {"f": _FEMALE, "female": _FEMALE, "v": _FEMALE, "vrouw": _FEMALE, "m": _MALE, "male": _MALE,
            "man": _MALE},
    "age": {"adult": _ADULT, "minor": _CHILD, "18+": _ADULT, "<18": _CHILD},
    "minor": {"1": _YES, "yes": _YES, "true": _YES, "0": _NO, "no": _NO, "false": _NO},
    "nationality": _NATIONALITY,
    "exploitation": _EXPLOITATION,
}
for _alias, _name in (("gender", "sex"), ("age_group", "age"), ("nationality_group", "nationality"),
                      ("form", "exploitation")):
    LEVELS[_alias] = LEVELS[_name]

#: Lists known by name in any run (the organisations of the bundled demo registrations).
LISTS: dict[str, dict[str, str]] = {
    "police": {"en": "Police", "nl": "Politie"},
    "shelters": {"en": "Shelters", "nl": "Opvang"},
    "coordinators": {"en": "Regional coordinators", "nl": "Regionale zorgcoördinatoren"},
    "fairwork": {"en": "FairWork (NGO)", "nl": "FairWork (ngo)"},
    "inspectorate": {"en": "Labour inspectorate", "nl": "Arbeidsinspectie"},
    "kmar": {"en": "Royal Marechaussee", "nl": "Koninklijke Marechaussee"},
}

_NL6 = {
    "I": {"en": "Labour inspectorate", "nl": "Inspectie SZW"},
    "K": {"en": "Royal Marechaussee", "nl": "Koninklijke Marechaussee"},
    "O": {"en": "Shelters and residential care", "nl": "Opvang en residentiële zorg"},
    "P": {"en": "Police", "nl": "Politie"},
    "R": {"en": "Regional coordinators", "nl": "Regionale coördinatoren"},
    "Z": {"en": "Other reporters", "nl": "Overige melders"},
}
_UK6 = {
    "LA": {"en": "Local authorities", "nl": "Lokale overheden"},
    "NG": {"en": "Non-governmental organisations", "nl": "Non-gouvernementele organisaties"},
    "PF": {"en": "Police forces", "nl": "Politiekorpsen"},
    "GO": {"en": "Government organisations", "nl": "Overheidsorganisaties"},
    "GP": {"en": "General public", "nl": "Publiek"},
    "NCA": {"en": "National Crime Agency", "nl": "National Crime Agency"},
}
#: Lists of the bundled datasets: dataset name -> list column -> {language: label}.
DATASET_LISTS: dict[str, dict[str, dict[str, str]]] = {
    "netherlands_2010_2015": _NL6,
    "netherlands_2010_2015_5lists": {
        "IO": {"en": "Labour inspectorate and shelters", "nl": "Inspectie SZW en opvang"},
        **{k: v for k, v in _NL6.items() if k not in ("I", "O")},
    },
    "uk_2013": _UK6,
    "uk_2013_5lists": {
        "PFNCA": {"en": "Police forces and National Crime Agency", "nl": "Politiekorpsen en National Crime Agency"},
        **{k: v for k, v in _UK6.items() if k not in ("PF", "NCA")},
    },
    "kosovo_1999": {
        "EXH": {"en": "Exhumations", "nl": "Opgravingen"},
        "ABA": {"en": "American Bar Association", "nl": "American Bar Association"},
        "OSCE": {"en": "OSCE", "nl": "OVSE"},
        "HRW": {"en": "Human Rights Watch", "nl": "Human Rights Watch"},
    },
    "hiv_rome": {f"c{i}": {"en": f"Reporting centre {i}", "nl": f"Meldcentrum {i}"} for i in range(1, 5)},
}


def humanise(name: str) -> str:
    """A column name as words: ``drug_use`` -> "Drug use", ``ageGroup`` -> "Age group"."""
    s = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(name))
    s = re.sub(r"[_\-.]+", " ", s).strip()
    return (s[:1].upper() + s[1:].lower()) if s else str(name)


def _entry(v: Any, where: str, lang: str) -> str:
    """One label of a user file: a text, or a table {language: text}."""
    if isinstance(v, str):
        if not v.strip():
            raise DataError(f"labels file: {where} is empty; give it a text, or remove the entry to keep the "
                            "built-in label")
        return v
    if isinstance(v, dict) and all(isinstance(x, str) for x in v.values()):
        empty = sorted(k for k, x in v.items() if not x.strip())
        if empty:
            raise DataError(f"labels file: {where} has an empty label in {', '.join(map(repr, empty))}; give it a "
                            "text, or remove that language to fall back to 'en'")
        if lang in v:
            return v[lang]
        if "en" in v:
            return v["en"]
        langs = repr(lang) if lang == "en" else f"{lang!r} nor 'en'"
        raise DataError(f"labels file: {where} has no label in {langs} (it has {', '.join(map(repr, sorted(v)))}); "
                        "add one, e.g. { en = \"...\", nl = \"...\" }")
    raise DataError(f"labels file: {where} must be a text or a table like {{ en = \"...\", nl = \"...\" }}, "
                    f"not {v!r}")


def load_labels(path: str | Path) -> dict[str, Any]:
    """Read a user labels file (TOML ``.toml`` or YAML ``.yaml``/``.yml``).

    Parameters
    ----------
    path : path
        The file; sections ``lists``, ``covariates`` and ``levels`` (see the module notes).

    Returns
    -------
    dict
        ``{"lists": {...}, "covariates": {...}, "levels": {covariate: {...}}}`` as read.

    Raises
    ------
    DataError
        The file is missing, cannot be parsed, has another extension, or holds an
        unknown section or a label that is not a text or a {language: text} table
        (the message names the file and the entry).
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"labels file {str(p)!r} does not exist; give a TOML or YAML file with --labels")
    suffix = p.suffix.lower()
    try:
        text = p.read_text(encoding="utf-8")
        if suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            raise DataError(f"labels file {str(p)!r}: give a .toml, .yaml or .yml file (got {suffix or 'no extension'})")
    except DataError:
        raise
    except Exception as e:  # tomllib.TOMLDecodeError, yaml.YAMLError, UnicodeDecodeError
        raise DataError(f"labels file {str(p)!r} cannot be read ({type(e).__name__}: {e}); fix its syntax") from None
    if not isinstance(data, dict):
        raise DataError(f"labels file {str(p)!r} must hold the sections lists, covariates and levels")
    unknown = sorted(set(data) - {"lists", "covariates", "levels"})
    if unknown:
        raise DataError(f"labels file {str(p)!r}: unknown section(s) {', '.join(unknown)}; use lists, covariates "
                        "and levels")
    for sec in ("lists", "covariates", "levels"):
        if not isinstance(data.get(sec, {}), dict):
            raise DataError(f"labels file {str(p)!r}: section {sec!r} must be a table of name = label")
    for cov, lv in (data.get("levels") or {}).items():
        if not isinstance(lv, dict):
            raise DataError(f"labels file {str(p)!r}: levels.{cov} must be a table of level = label")
    # check every entry now (every language it gives, then the fallback): a bad entry is reported before the
    # report is built
    entries = [(f"{sec}.{k}", v) for sec in ("lists", "covariates") for k, v in (data.get(sec) or {}).items()]
    entries += [(f"levels.{cov}.{k}", v) for cov, lv in (data.get("levels") or {}).items() for k, v in lv.items()]
    for where, v in entries:
        for lang in dict.fromkeys([*LANGUAGES, *(v if isinstance(v, dict) else {})]):
            _entry(v, f"{p.name}: {where}", str(lang))
    return data


def unknown_keys(user: dict[str, Any] | None, lists, covariates, levels: dict[str, set[str]] | None = None
                 ) -> list[str]:
    """The entries of a labels file that name no list, covariate or level of the run (likely misspelt).

    Parameters
    ----------
    user : dict
        As returned by :func:`load_labels`.
    lists, covariates : iterable of str
        The run's list and covariate columns.
    levels : dict, optional
        Covariate -> the levels the run shows; levels of a covariate not in it are not checked.

    Returns
    -------
    list of str
        ``section.key`` of each unknown entry (``levels.cov`` for an unknown covariate,
        ``levels.cov.level`` for an unknown level), in file order.
    """
    if not user:
        return []
    lists, covariates, levels = set(map(str, lists)), set(map(str, covariates)), levels or {}
    out = [f"lists.{k}" for k in (user.get("lists") or {}) if str(k) not in lists]
    out += [f"covariates.{k}" for k in (user.get("covariates") or {}) if str(k) not in covariates]
    for cov, lv in (user.get("levels") or {}).items():
        if str(cov) not in covariates:
            out.append(f"levels.{cov}")
        elif str(cov) in levels:
            known = {str(x) for x in levels[str(cov)]}  # as LabelCatalogue.level_label looks them up
            out += [f"levels.{cov}.{k}" for k in lv if str(k) not in known]
    return out


@dataclass
class LabelCatalogue:
    """Labels in one language: built-in entries, overridden by a user file.

    Parameters
    ----------
    lang : str
        One of :data:`LANGUAGES`.
    dataset : str, optional
        The run's dataset name (selects the lists of a bundled dataset).
    user : dict, optional
        As returned by :func:`load_labels`.

    Attributes
    ----------
    unlabelled : dict
        ``{"list" | "covariate": [names]}`` of the columns shown with a humanised label.
    """

    lang: str = "en"
    dataset: str | None = None
    user: dict[str, Any] | None = None
    unlabelled: dict[str, list[str]] = field(default_factory=lambda: {"list": [], "covariate": []})

    def _user(self, section: str, key: str, sub: str | None = None) -> str | None:
        d = (self.user or {}).get(section) or {}
        if sub is not None:
            d = d.get(sub) or {}
        if key in d:
            return _entry(d[key], f"{section}.{sub + '.' if sub else ''}{key}", self.lang)
        return None

    def list_label(self, name: str) -> str:
        """The label of a list (source) column."""
        u = self._user("lists", name)
        if u is not None:
            return u
        hit = DATASET_LISTS.get(self.dataset or "", {}).get(name) or LISTS.get(str(name).lower())
        if hit is not None:
            return hit[self.lang]
        if name not in self.unlabelled["list"]:
            self.unlabelled["list"].append(name)
        return humanise(name)

    def covariate_label(self, name: str) -> str:
        """The label of a covariate column."""
        u = self._user("covariates", name)
        if u is not None:
            return u
        hit = COVARIATES.get(str(name).lower())
        if hit is not None:
            return hit[self.lang]
        if name not in self.unlabelled["covariate"]:
            self.unlabelled["covariate"].append(name)
        return humanise(name)

    def level_label(self, covariate: str, level: str) -> str:
        """The label of one level of a covariate (the level itself when no label is on file)."""
        u = self._user("levels", str(level), covariate)
        if u is not None:
            return u
        hit = LEVELS.get(str(covariate).lower(), {}).get(str(level).strip().lower())
        return hit[self.lang] if hit is not None else str(level)
