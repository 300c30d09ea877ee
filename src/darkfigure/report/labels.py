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
def _builtin() -> tuple[dict, dict, dict, dict]:
    """The built-in catalogue, read from ``labels_builtin.toml`` beside this module (data, not code).

    Returns (COVARIATES, LEVELS, LISTS, DATASET_LISTS) as described at each below; a level's other spellings
    (``[synonyms]``) and the covariates that share another's levels (``[levels_of]``) point to the same labels.
    """
    import tomllib

    with open(Path(__file__).with_name("labels_builtin.toml"), "rb") as f:
        cat = tomllib.load(f)
    levels: dict[str, dict[str, dict[str, str]]] = {}
    for cov, named in cat["levels"].items():
        levels[cov] = dict(named)
        for level, spellings in cat.get("synonyms", {}).get(cov, {}).items():
            levels[cov].update(dict.fromkeys(spellings, named[level]))
    for alias, cov in cat["levels_of"].items():
        levels[alias] = levels[cov]
    return cat["covariates"], levels, cat["lists"], cat["datasets"]


_COVARIATES, _LEVELS, _LISTS, _DATASET_LISTS = _builtin()
#: Covariates: column name (lower case) -> {language: label}.
COVARIATES: dict[str, dict[str, str]] = _COVARIATES
#: Levels of the known covariates: covariate -> level (lower case) -> {language: label}.
LEVELS: dict[str, dict[str, dict[str, str]]] = _LEVELS
#: Lists known by name in any run (the organisations of the bundled demo registrations).
LISTS: dict[str, dict[str, str]] = _LISTS
#: Lists of the bundled datasets: dataset name -> list column -> {language: label}.
DATASET_LISTS: dict[str, dict[str, dict[str, str]]] = _DATASET_LISTS


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


def load_labels(path: str | Path, lang: str | None = None) -> dict[str, Any]:
    """Read a user labels file (TOML ``.toml`` or YAML ``.yaml``/``.yml``).

    Parameters
    ----------
    path : path
        The file; sections ``lists``, ``covariates`` and ``levels`` (see the module notes).
    lang : str, optional
        The language of the report the labels are for: each entry must have a label in it (or in 'en', the
        fallback). None: in every language of :data:`LANGUAGES`. A Dutch-only file serves a Dutch report
        (tester 15b, L5).

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
    wanted = list(LANGUAGES) if lang is None else [str(lang).strip().lower()]
    for where, v in entries:
        for one in dict.fromkeys([*wanted, *(v if isinstance(v, dict) else {})]):
            _entry(v, f"{p.name}: {where}", str(one))
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
