"""The heterogeneity models M0, Mt, Mh and Mth as Rcapture builds them: names and design matrices.

:func:`design_matrix` gives the Poisson log-linear design of ``closedp.t`` over the
``2^k - 1`` observable capture histories (:func:`capture_patterns`): list effects for
Mt, and for Mh/Mth the heterogeneity column of Chao's lower bound, the Poisson2,
Darroch or Gamma(3.5) form (Rivest & Baillargeon 2007; Darroch et al. 1993). The
fitting and the result are in :mod:`darkfigure.heterogeneity`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .histories import CaptureHistories

# ----------------------------------------------------------------------------------------
# the models


@dataclass(frozen=True)
class ModelSpec:
    """One heterogeneity model: how its design is built.

    Attributes
    ----------
    name : str
        darkfigure's name (``"Mh-darroch"``), as in ``compare.csv``.
    label : str
        Rcapture's row name in ``closedp.t`` (``"Mh Darroch"``).
    base : {"M0", "Mt"}
        One common capture effect (number of captures f) or one per list.
    h : {None, "chao", "poisson", "darroch", "gamma"}
        Heterogeneity column(s).
    theta : float or None
        Parameter of the Poisson (2) or gamma (3.5) heterogeneity function.
    """

    name: str
    label: str
    base: str
    h: str | None = None
    theta: float | None = None

    @property
    def heterogeneous(self) -> bool:
        """True for the Mh and Mth models."""
        return self.h is not None


_SPECS: dict[str, ModelSpec] = {
    s.name: s
    for s in [
        ModelSpec("M0", "M0", "M0"),
        ModelSpec("Mt", "Mt", "Mt"),
        ModelSpec("Mh-chao", "Mh Chao (LB)", "M0", "chao"),
        ModelSpec("Mh-poisson2", "Mh Poisson2", "M0", "poisson", 2.0),
        ModelSpec("Mh-darroch", "Mh Darroch", "M0", "darroch"),
        ModelSpec("Mh-gamma3.5", "Mh Gamma3.5", "M0", "gamma", 3.5),
        ModelSpec("Mth-chao", "Mth Chao (LB)", "Mt", "chao"),
        ModelSpec("Mth-poisson2", "Mth Poisson2", "Mt", "poisson", 2.0),
        ModelSpec("Mth-darroch", "Mth Darroch", "Mt", "darroch"),
        ModelSpec("Mth-gamma3.5", "Mth Gamma3.5", "Mt", "gamma", 3.5),
    ]
}

#: darkfigure's names of the models, in Rcapture's ``closedp.t`` order.
MODELS: tuple[str, ...] = tuple(_SPECS)

#: model "Mth Chao" in words, where the terminal and the report quote Chao's lower bound (s23 new user, finding 11)
MTH_CHAO_WORDS = "Chao's Mth model, in which lists differ and persons differ in how likely they are to be registered"


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum() or ch == ".")


_ALIASES: dict[str, str] = {}
for _s in _SPECS.values():
    _ALIASES[_key(_s.name)] = _s.name
    _ALIASES[_key(_s.label)] = _s.name
    _ALIASES[_key(_s.label.replace(" (LB)", ""))] = _s.name
for _short, _name in {
    "MhC": "Mh-chao", "MhP": "Mh-poisson2", "MhD": "Mh-darroch", "MhG": "Mh-gamma3.5",
    "MthC": "Mth-chao", "MthP": "Mth-poisson2", "MthD": "Mth-darroch", "MthG": "Mth-gamma3.5",
    "Mh-poisson": "Mh-poisson2", "Mth-poisson": "Mth-poisson2", "Mh-gamma": "Mh-gamma3.5",
    "Mth-gamma": "Mth-gamma3.5", "Mh-lb": "Mh-chao", "Mth-lb": "Mth-chao",
}.items():
    _ALIASES[_key(_short)] = _name


def model_spec(model: str | ModelSpec) -> ModelSpec:
    """The :class:`ModelSpec` of a model name.

    Parameters
    ----------
    model : str or ModelSpec
        darkfigure's name (``"Mh-darroch"``), Rcapture's (``"Mh Darroch"``,
        ``"Mth Chao (LB)"``) or its short name (``"MhD"``); case and punctuation are
        ignored.

    Returns
    -------
    ModelSpec

    Raises
    ------
    ValueError
        For an unknown name, and for Mb/Mbh, which need a capture order that lists do
        not have.
    """
    if isinstance(model, ModelSpec):
        return model
    if not isinstance(model, str):
        raise TypeError(f"model must be a model name (str); got {type(model).__name__}")
    key = _key(model)
    if key in ("mb", "mbh"):
        raise ValueError(
            f"model {model!r} is not offered: Mb and Mbh model a behavioural response after the first "
            "capture, which needs the time order of the capture occasions. Lists in multiple systems "
            "estimation have no such order (reordering the lists would change the estimate). "
            f"Available models: {', '.join(MODELS)}"
        )
    if key not in _ALIASES:
        raise ValueError(f"unknown heterogeneity model {model!r}; available models: {', '.join(MODELS)}")
    return _SPECS[_ALIASES[key]]


def capture_patterns(k: int) -> np.ndarray:
    """The observable capture histories of k lists, in Rcapture's order.

    Parameters
    ----------
    k : int
        Number of lists, at least 2.

    Returns
    -------
    ndarray of int8, shape (2^k - 1, k)
        One row per history, from ``11...1`` down to ``00...01`` (the binary numbers
        ``2^k - 1`` to 1, first list as the most significant digit: Rcapture's
        ``histpos.t``). The all-zero history is not included.

    Raises
    ------
    ValueError
        If k < 2.
    """
    k = int(k)
    if k < 2:
        raise ValueError(f"capture-recapture needs at least 2 lists; got k = {k}")
    codes = np.arange(2**k - 1, 0, -1, dtype=np.int64)
    shifts = np.arange(k - 1, -1, -1, dtype=np.int64)
    return ((codes[:, None] >> shifts) & 1).astype(np.int8)


def design_matrix(k: int, model: str | ModelSpec) -> tuple[np.ndarray, list[str]]:
    """Design of a heterogeneity model over the observable histories (Rcapture ``Xclosedp``).

    Parameters
    ----------
    k : int
        Number of lists (at least 3 for the Mh and Mth models, as in Rcapture).
    model : str or ModelSpec
        See :func:`model_spec`.

    Returns
    -------
    x : ndarray of shape (2^k - 1, p)
        Rows in the order of :func:`capture_patterns`; the first column is the intercept.
    names : list of str, length p
        Rcapture's coefficient names: ``Intercept``, ``beta`` (M0) or ``beta1..betak``
        (Mt), ``eta3..etak`` (Chao) or ``tau`` (Poisson, Darroch, gamma).

    Raises
    ------
    ValueError
        For an unknown model, or a heterogeneity model with fewer than 3 lists (its
        heterogeneity column would not be identifiable from 2 lists).

    Notes
    -----
    The unobserved history has the design row ``(1, 0, ..., 0)``: every heterogeneity
    function is 0 at f = 0.
    """
    spec = model_spec(model)
    pats = capture_patterns(k).astype(float)
    if spec.heterogeneous and k < 3:
        raise ValueError(
            f"model {spec.name} needs at least 3 lists (with 2 lists only M0 and Mt can be fitted, as in "
            f"Rcapture); got {k}"
        )
    f = pats.sum(axis=1)
    cols: list[np.ndarray] = [np.ones(len(f))]
    names = ["Intercept"]
    if spec.base == "M0":
        cols.append(f)
        names.append("beta")
    else:
        cols.extend(pats[:, j] for j in range(k))
        names.extend(f"beta{j + 1}" for j in range(k))
    if spec.h == "chao":
        for j in range(3, k + 1):
            cols.append(np.maximum(f - j + 1, 0.0))
            names.append(f"eta{j}")
    elif spec.h == "poisson":
        cols.append(spec.theta**f - 1.0)
        names.append("tau")
    elif spec.h == "darroch":
        cols.append(f**2 / 2.0)
        names.append("tau")
    elif spec.h == "gamma":
        cols.append(-np.log(spec.theta + f) + math.log(spec.theta))
        names.append("tau")
    return np.column_stack(cols), names


def _history_counts(histories: CaptureHistories) -> np.ndarray:
    """Counts of the 2^k - 1 observable histories (zeros included), shape (2^k - 1,)."""
    table = histories.collapse().table
    k = histories.k
    bits = table[list(histories.lists)].to_numpy(dtype=np.int64)
    codes = bits @ (1 << np.arange(k - 1, -1, -1, dtype=np.int64))
    y = np.zeros(2**k - 1)
    # row i of capture_patterns(k) has code 2^k - 1 - i
    np.add.at(y, (2**k - 1) - codes, table["count"].to_numpy(dtype=float))
    return y
