"""Error injection for the synthetic registrations (:mod:`darkfigure.linkage.synthetic`).

The registrations of each person with the recording errors of :class:`~darkfigure.linkage.synthetic.ErrorRates`:
keyboard typos, name variants, wrong dates of birth. Moved unchanged from ``synthetic.py``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..simulation import Simulation
    from .synthetic import ErrorRates

from ._synthetic_names import _NATIONALITY_COVARIATES, _variant
from .registrations import fold_ascii


def _file_name(org: str) -> str:
    """An organisation's name made safe as a file name (anything but letters, digits, - and _ becomes _)."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in org)


def _registrations(sim: Simulation, persons: pd.DataFrame, er: ErrorRates, rng, today: date):
    """The registrations of every person on every list that caught them, with the recording errors of `er`.

    Returns (registrations, errors): two DataFrames with one row per registration in the same order
    (the errors frame: which error each registration carries); adds ``n_registrations`` to `persons`."""
    sc = sim.scenario
    lists = list(sc.list_names)
    L = persons[lists].to_numpy()
    pi, oj = np.nonzero(L)
    year = persons[sc.year_column].to_numpy()
    last = np.datetime64(today - timedelta(days=1), "D")

    def dates(p):
        """Registration dates (datetime64[D]) uniform within each person's year, for person indices p."""
        y = year[p]
        start = (y - 1970).astype("datetime64[Y]").astype("datetime64[D]")
        end = np.minimum((y + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]") - 1, last)
        span = (end - start).astype(np.int64) + 1
        return start + (rng.random(len(p)) * span).astype(np.int64)

    reg_date = dates(pi)
    dup = np.flatnonzero(rng.random(len(pi)) < er.duplicate)
    dup_of = np.full(len(pi) + len(dup), -1, dtype=np.int64)
    dup_of[len(pi):] = dup
    pi = np.concatenate([pi, pi[dup]])
    oj = np.concatenate([oj, oj[dup]])
    reg_date = np.concatenate([reg_date, dates(pi[len(reg_date):])])
    n = len(pi)

    # record ids: per organisation a random number, unrelated to person and date
    rid = np.empty(n, dtype=object)
    for j, org in enumerate(lists):
        m = np.flatnonzero(oj == j)
        width = max(6, len(str(len(m))))
        num = pd.Series(rng.permutation(len(m)) + 1).astype(str).str.zfill(width).to_numpy(dtype=object)
        rid[m] = _file_name(org).upper()[:6] + "-" + num

    fn = persons["first_name"].to_numpy(dtype=object)[pi].copy()
    sn = persons["surname"].to_numpy(dtype=object)[pi].copy()
    origin = persons["nationality"].to_numpy(dtype=object)[pi]
    dob = persons["date_of_birth"].to_numpy().astype("datetime64[D]")[pi]
    sex = persons["sex"].to_numpy(dtype=object)[pi].copy()
    nat = persons["nationality"].to_numpy(dtype=object)[pi].copy()

    variant = np.full(n, "", dtype=object)
    for i in np.flatnonzero(rng.random(n) < er.name_variant):
        fn[i], sn[i], variant[i] = _variant(fn[i], sn[i], origin[i], rng)
    typo_fn = np.full(n, "", dtype=object)
    for i in np.flatnonzero(rng.random(n) < er.typo_first_name):
        fn[i], typo_fn[i] = _typo(fn[i], rng)
    typo_sn = np.full(n, "", dtype=object)
    for i in np.flatnonzero(rng.random(n) < er.typo_surname):
        sn[i], typo_sn[i] = _typo(sn[i], rng)
    swap = rng.random(n) < er.swap_names
    fn[swap], sn[swap] = sn[swap], fn[swap].copy()
    upper_orgs = np.flatnonzero(rng.random(len(lists)) < er.uppercase_surnames)
    up = np.isin(oj, upper_orgs)
    sn[up] = np.char.upper(sn[up].astype(str)).astype(object)

    u = rng.random(n)
    dob_missing = u < er.dob_missing
    wrong = (u >= er.dob_missing) & (u < er.dob_missing + er.dob_wrong)
    dob, dob_kind = _wrong_dates(dob, wrong, rng)
    if er.dob_placeholder > 0:
        lo = er.dob_missing + er.dob_wrong
        ph = np.flatnonzero((u >= lo) & (u < lo + er.dob_placeholder))
        jan1 = dob[ph].astype("datetime64[Y]").astype("datetime64[D]")
        # 1 January of the birth year, unless that is the true date (then the 1900 placeholder)
        use_1900 = (rng.random(len(ph)) < 0.5) | (jan1 == dob[ph])
        dob[ph] = np.where(use_1900, np.datetime64("1900-01-01"), jan1)
        dob_kind[ph] = np.where(use_1900, "placeholder_1900", "placeholder_jan1")
    dob_txt = dob.astype(str).astype(object)
    dob_txt[dob_missing] = ""
    sex_missing = rng.random(n) < er.sex_missing
    sex[sex_missing] = ""
    nat_missing = rng.random(n) < er.nationality_missing
    nat[nat_missing] = ""

    cols: dict[str, Any] = {
        "record_id": rid,
        "organisation": np.asarray(lists, dtype=object)[oj],
        "registration_date": reg_date.astype(str).astype(object),
        "first_name": fn,
        "surname": sn,
        "date_of_birth": dob_txt,
        "sex": sex,
        "nationality": nat,
    }
    changed = np.full(n, "", dtype=object)
    cmissing = np.full(n, "", dtype=object)
    for name in sc.covariate_names:
        if name != "sex":
            out = "nationality_group" if name == "nationality" else name
            cols[out] = persons[out].to_numpy(dtype=object)[pi]
            if name in _NATIONALITY_COVARIATES:
                continue  # follows the country, which has its own missing rate
            # drawn only when asked for, so that the settings without them keep their draws
            if er.covariate_changed > 0:
                levels = np.asarray(pd.unique(persons[out].dropna()), dtype=object)
                ch = np.flatnonzero(rng.random(n) < er.covariate_changed) if len(levels) > 1 else np.empty(0, int)
                # another level, uniformly among the others (a shift by 1..k-1 positions)
                pos = pd.Index(levels).get_indexer(cols[out][ch])
                cols[out][ch] = levels[(pos + rng.integers(1, len(levels), size=len(ch))) % len(levels)]
                changed[ch] = changed[ch] + np.where(changed[ch] == "", "", ",") + name
            if er.covariate_missing > 0:
                ms = np.flatnonzero(rng.random(n) < er.covariate_missing)
                cols[out][ms] = ""
                cmissing[ms] = cmissing[ms] + np.where(cmissing[ms] == "", "", ",") + name
    cols["true_person_id"] = persons["true_person_id"].to_numpy()[pi]
    regs = pd.DataFrame(cols)
    err = pd.DataFrame({
        "record_id": rid,
        "organisation": cols["organisation"],
        "true_person_id": cols["true_person_id"],
        "duplicate_of": np.where(dup_of >= 0, rid[np.maximum(dup_of, 0)], ""),
        "name_variant": variant,
        "typo_first_name": typo_fn,
        "typo_surname": typo_sn,
        "swap_names": swap,
        "dob_missing": dob_missing,
        "dob_wrong": dob_kind,
        "sex_missing": sex_missing,
        "nationality_missing": nat_missing,
        "covariates_changed": changed,
        "covariates_missing": cmissing,
    })
    order = np.lexsort((rid.astype(str), reg_date, oj))
    regs = regs.iloc[order].reset_index(drop=True)
    err = err.iloc[order].reset_index(drop=True)
    persons["n_registrations"] = np.bincount(pi, minlength=len(persons))
    return regs, err


# ----------------------------------------------------------------------------- errors
_KEYBOARD = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]


def _neighbours() -> dict[str, str]:
    """Each letter's neighbours on a QWERTY keyboard (adjacent keys, rows included), for typos."""
    pos = {ch: (r, c) for r, row in enumerate(_KEYBOARD) for c, ch in enumerate(row)}
    out = {}
    for ch, (r, c) in pos.items():
        out[ch] = "".join(o for o, (r2, c2) in pos.items() if o != ch and abs(r2 - r) <= 1 and abs(c2 - c) <= 1)
    return out


_NEIGHBOURS = _neighbours()


def _typo(s: str, rng) -> tuple[str, str]:
    """One typing error that changes the normalised name; returns (new name, kind)."""
    letters = [i for i, ch in enumerate(s) if ch.isalpha()]
    if not letters:
        return s, ""
    kinds = ["substitution", "deletion", "transposition", "doubling"]
    for _ in range(8):
        kind = kinds[rng.choice(4, p=[0.35, 0.25, 0.2, 0.2])]
        if kind == "substitution":
            i = letters[rng.integers(len(letters))]
            base = fold_ascii(s[i]).lower()
            cand = _NEIGHBOURS.get(base) or "aeiou"
            new = cand[rng.integers(len(cand))]
            if new == base:
                continue
            new = new.upper() if s[i].isupper() else new
            return s[:i] + new + s[i + 1:], kind
        if kind == "deletion":
            if len(letters) < 3:
                continue
            i = letters[rng.integers(1, len(letters))]
            return s[:i] + s[i + 1:], kind
        if kind == "transposition":
            pairs = [i for i in range(len(s) - 1) if s[i].isalpha() and s[i + 1].isalpha()
                     and s[i].lower() != s[i + 1].lower()]
            if not pairs:
                continue
            i = pairs[rng.integers(len(pairs))]
            return s[:i] + s[i + 1] + s[i] + s[i + 2:], kind
        doubles = [i for i in range(len(s) - 1) if s[i].isalpha() and s[i].lower() == s[i + 1].lower()]
        if doubles:
            i = doubles[rng.integers(len(doubles))]
            return s[:i] + s[i + 1:], "undoubling"
        i = letters[rng.integers(1, len(letters))] if len(letters) > 1 else letters[0]
        return s[:i] + s[i].lower() + s[i:], kind
    return s, ""


def _wrong_dates(dob: np.ndarray, wrong: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Wrong dates of birth where `wrong`: day/month swap (both <= 12 and different), else year, day or month off by one."""
    out = dob.copy()
    kind = np.full(len(dob), "", dtype=object)
    idx = np.flatnonzero(wrong)
    if not len(idx):
        return out, kind
    d = dob[idx]
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = (d.astype("datetime64[M]") - d.astype("datetime64[Y]")).astype(np.int64) + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    swappable = (day <= 12) & (day != mo)
    pick = rng.random(len(idx))
    k = np.where(swappable & (pick < 0.4), "day_month_swap",
                 np.where(pick < 0.6, "year", np.where(pick < 0.8, "day", "month")))
    k = np.where((k == "day_month_swap") & ~swappable, "year", k)
    new_y, new_m, new_d = y.copy(), mo.copy(), day.copy()
    s = k == "day_month_swap"
    new_m[s], new_d[s] = day[s], mo[s]
    yr = k == "year"
    new_y[yr] += np.where(rng.random(yr.sum()) < 0.5, -1, 1)
    mo_off = k == "month"
    # one month earlier or later, within the year (January -> February, December -> November)
    step_m = np.where(rng.random(len(idx)) < 0.5, -1, 1)
    new_m[mo_off] = np.where((mo[mo_off] + step_m[mo_off] < 1) | (mo[mo_off] + step_m[mo_off] > 12),
                             mo[mo_off] - step_m[mo_off], mo[mo_off] + step_m[mo_off])
    dy = k == "day"
    month_start = (new_y - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (new_m - 1)
    month_len = ((month_start + 1).astype("datetime64[D]") - month_start.astype("datetime64[D]")).astype(np.int64)
    step = np.where(rng.random(len(idx)) < 0.5, -1, 1)
    new_d[dy] = np.clip(day[dy] + step[dy], 1, month_len[dy])
    new_d[dy] = np.where(new_d[dy] == day[dy], day[dy] - step[dy], new_d[dy])
    new_d = np.minimum(new_d, month_len)  # 29 February in a year that is not a leap year
    out[idx] = month_start.astype("datetime64[D]") + (new_d - 1)
    kind[idx] = k
    return out, kind
