"""Name pools and name variants for the synthetic registrations (:mod:`darkfigure.linkage.synthetic`).

The packaged name lists by origin and sex (``linkage/data/*.csv``), and the transliteration and
spelling variants a registration may carry. Moved unchanged from ``synthetic.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from .registrations import PARTICLES, fold_ascii

#: nationality covariates of the simulation that the registrations carry
_NATIONALITY_COVARIATES = ("nationality_group", "nationality")
#: origins whose names are transliterated from Cyrillic
_CYRILLIC_ORIGINS = {"UA", "BG"}


# ----------------------------------------------------------------------------- name tables
@dataclass(frozen=True)
class _Names:
    """The packaged name lists: origins with their shares, first names and surnames with weights, variants."""

    origins: pd.DataFrame  # origin, country, group, share
    first: dict  # (origin, sex) -> (names array, probabilities)
    surname: dict  # (origin, sex or "") -> (names array, probabilities)
    variants: dict  # first name -> tuple of variants


@lru_cache(maxsize=1)
def _names() -> _Names:
    """The name lists of ``darkfigure/linkage/data/`` (read once per process)."""
    base = resources.files("darkfigure.linkage") / "data"

    def read(name: str) -> pd.DataFrame:
        """One packaged name list, every column as text."""
        with (base / name).open("r", encoding="utf-8") as f:
            return pd.read_csv(f, dtype=str, keep_default_na=False)

    origins = read("origins.csv")
    origins["share"] = origins["share"].astype(float)

    def table(df: pd.DataFrame) -> dict:
        """Names and sampling weights by (origin, sex)."""
        out = {}
        for (o, s), g in df.groupby(["origin", "sex"], sort=False):
            w = g["weight"].astype(float).to_numpy()
            out[(o, s)] = (g["name"].to_numpy(dtype=object), w / w.sum())
        return out

    var = read("first_name_variants.csv")
    variants: dict[str, tuple[str, ...]] = {}
    for n, v in zip(var["name"], var["variant"]):
        variants[n] = variants.get(n, ()) + (v,)
    return _Names(origins, table(read("first_names.csv")), table(read("surnames.csv")), variants)




_TRANSLIT = [("kh", "h"), ("y", "j"), ("ii", "iy"), ("iy", "y"), ("zh", "j"), ("ts", "c"), ("yu", "ju"),
             ("ya", "ja"), ("shch", "sch"), ("ch", "tsj"), ("sh", "sj"), ("v", "w")]


def _variant(fn: str, sn: str, origin: str, rng) -> tuple[str, str, str]:
    """Another form of the first name or surname; returns (first name, surname, kind)."""
    names = _names()
    opts: list[str] = []
    if fold_ascii(fn) != fn or fold_ascii(sn) != sn:
        opts.append("ascii")
    sw = sn.split()
    if len(sw) > 1 and sw[0].lower() in PARTICLES:
        opts.append("particles")
    if len(sw) > 1 and sw[0].lower() not in PARTICLES:
        opts.append("double_surname")
    if len(fn.split()) > 1:
        opts.append("compound")
    if fn in names.variants:
        opts.append("diminutive")
    translit = [x for x in (0, 1) if any(a in (fn, sn)[x].lower() for a, _ in _TRANSLIT)]
    if origin in _CYRILLIC_ORIGINS and translit:
        opts.append("transliteration")
    spelling = [v for v in (_spelling(fn, origin, rng), _spelling(sn, origin, rng))]
    if any(v is not None for v in spelling):
        opts.append("spelling")
    if not opts:  # a short name without another form ("Li Mao"): left as it is
        return fn, sn, ""
    kind = opts[rng.integers(len(opts))]
    if kind == "spelling":
        x = [i for i in (0, 1) if spelling[i] is not None]
        x = x[rng.integers(len(x))]
        return (spelling[0], sn, kind) if x == 0 else (fn, spelling[1], kind)
    if kind == "ascii":
        return fold_ascii(fn), fold_ascii(sn), kind
    if kind == "particles":
        parts = [w for w in sw if w.lower() in PARTICLES]
        main = " ".join(w for w in sw if w.lower() not in PARTICLES)
        form = rng.integers(4)
        if form == 3:
            return fn, "".join([parts[0].capitalize(), *parts[1:], main.lower()]), kind  # Vanderberg, Elamrani
        if form == 0:
            return fn, f"{main}, {' '.join(parts)}", kind  # Berg, van der
        if form == 1:
            return fn, main, kind  # Berg
        return fn, " ".join([parts[0].capitalize(), *parts[1:], main]), kind  # Van der Berg
    if kind == "double_surname":
        return fn, sw[rng.integers(len(sw))], kind
    if kind == "compound":
        w = fn.split()
        return (w[-1] if origin == "VN" else w[0]), sn, kind  # Vietnamese: the given name is last
    if kind == "diminutive":
        v = names.variants[fn]
        return v[rng.integers(len(v))], sn, kind
    # transliteration: one alternative rule, applied to one of the two names
    x = translit[rng.integers(len(translit))]
    name = (fn, sn)[x]
    low = _lower1(name)
    rules = [(a, b) for a, b in _TRANSLIT if a in low]
    a, b = rules[rng.integers(len(rules))]
    i = low.index(a)
    rep = b.capitalize() if name[i].isupper() else b
    new = name[:i] + rep + name[i + len(a):]
    return (new, sn, kind) if x == 0 else (fn, new, kind)


# spelling alternatives that sound alike: Dutch ij/y/ei, dt/t, ou/au; widely c/k, ph/f, th/t, ks/x
_SPELLING_NL = [("ij", "y"), ("y", "ij"), ("ei", "ij"), ("dt", "t"), ("ou", "au"), ("s", "z"), ("ks", "x")]
_SPELLING = [("ph", "f"), ("th", "t"), ("ck", "k"), ("c", "k"), ("k", "c"), ("x", "ks"), ("w", "v")]
_VOWELS = set("aeiou")


def _lower1(s: str) -> str:
    """Lower case that keeps the length (Turkish İ lowers to two characters)."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in s)


def _spelling(name: str, origin: str, rng) -> str | None:
    """A spelling variant that sounds alike, or a doubled/undoubled consonant between vowels (Jansen/Janssen)."""
    low = _lower1(name)
    rules = [(a, b) for a, b in (_SPELLING_NL if origin == "NL" else []) + _SPELLING if a in low]
    for i in range(1, len(low) - 2):
        if low[i] == low[i + 1] and low[i] not in _VOWELS and low[i].isalpha():
            rules.append((low[i] * 2, low[i]))
    for i in range(1, len(low) - 1):
        if low[i - 1] in _VOWELS and low[i + 1] in _VOWELS and low[i].isalpha() and low[i] not in _VOWELS:
            rules.append((low[i - 1:i + 2], low[i - 1] + low[i] * 2 + low[i + 1]))
    if not rules:
        return None
    a, b = rules[rng.integers(len(rules))]
    i = low.index(a)
    rep = b.capitalize() if name[i].isupper() else b
    return name[:i] + rep + name[i + len(a):]
