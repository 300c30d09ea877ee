"""The ``scipy.special`` functions darkfigure uses, without paying for ``import scipy.special`` (0.1 s of CPU).

The functions themselves are SciPy's compiled ufuncs (``gammaln``, ``xlogy``, ``psi``, ``pdtr``, ...), the very
objects ``scipy.special`` exports, so every number is the same. What costs is the package's ``__init__``: since
SciPy 1.15 it loads the array-API layer, which clones NumPy's namespace (importing ``numpy.f2py``,
``numpy.testing`` and ``charset_normalizer``) and parses the docstrings of ~100 wrappers: 0.10-0.15 s of CPU in
every process, about a twentieth of the simdat job (issue #13), for functions darkfigure never calls.

So :func:`_ufuncs` registers ``scipy.special`` as a package whose ``__init__`` has not run yet (its
``__path__`` lets ``scipy.special._ufuncs`` and the extension modules it needs load as usual) and runs that
``__init__`` in the same module object the first time anything asks it for a name it does not have yet (``from
scipy.special import logit``, ``scipy.special.__all__``, ``dir``). Nothing else changes: there is one
``scipy.special`` module, which ends complete, with the same ``_ufuncs`` in it; ``import scipy.special``
elsewhere (scipy.stats, scipy.optimize, a user's code) sees that module and completes it on first use. Where
anything of that fails (another SciPy layout), the ordinary import is used.

``polygamma`` is a Python function in SciPy, not a ufunc: :func:`polygamma` is its body, on the same ufuncs.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType

import numpy as np

__all__ = ["chdtrc", "gammaincinv", "gammaln", "ndtr", "ndtri", "pdtr", "pdtrc", "polygamma", "psi", "xlogy"]

_LOCK = threading.RLock()


def _deferred_package(name: str) -> ModuleType:
    """Module `name` (a package) registered in ``sys.modules`` with its ``__init__`` not yet run; the first name
    looked up that it lacks (PEP 562 ``__getattr__``), or ``dir()``, runs the ``__init__`` in it (once; thread-safe).

    Raises ImportError when the package cannot be found."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        raise ImportError(f"{name} is not a package that can be loaded from source")
    pkg = importlib.util.module_from_spec(spec)
    state = {"done": False}

    def _complete() -> None:
        """Run the package's ``__init__`` in `pkg` once (our hooks removed first, so that its own may replace
        them and lookups during it are ordinary)."""
        with _LOCK:
            if state["done"]:
                return
            state["done"] = True
            for hook in ("__getattr__", "__dir__"):
                if pkg.__dict__.get(hook) in (__getattr__, __dir__):
                    del pkg.__dict__[hook]
            spec.loader.exec_module(pkg)

    def __getattr__(attr: str):
        """A name `pkg` does not have yet: its ``__init__`` run first, then looked up (AttributeError if absent)."""
        _complete()
        try:
            return pkg.__dict__[attr]
        except KeyError:
            own = pkg.__dict__.get("__getattr__")
            if own is not None and own is not __getattr__:
                return own(attr)
            raise AttributeError(f"module {name!r} has no attribute {attr!r}") from None

    def __dir__() -> list[str]:
        """The names of the complete package (its ``__init__`` run first)."""
        _complete()
        own = pkg.__dict__.get("__dir__")
        return list(own()) if own is not None and own is not __dir__ else sorted(pkg.__dict__)

    pkg.__getattr__ = __getattr__
    pkg.__dir__ = __dir__
    return pkg


def _ufuncs() -> ModuleType:
    """``scipy.special._ufuncs`` (SciPy's compiled special functions), loaded without running
    ``scipy.special``'s ``__init__`` unless something already did (see the module's docstring)."""
    done = sys.modules.get("scipy.special._ufuncs")
    if done is not None:
        return done
    with _LOCK:
        if "scipy.special" not in sys.modules:
            import scipy

            try:
                pkg = _deferred_package("scipy.special")
                sys.modules["scipy.special"] = pkg
                scipy.special = pkg  # as the import system binds a loaded submodule to its parent
                return importlib.import_module("scipy.special._ufuncs")
            except Exception:  # noqa: BLE001 - any trouble: undone, then the ordinary import below
                # submodules already loaded stay (complete modules, which the ordinary import reuses)
                sys.modules.pop("scipy.special", None)
                scipy.__dict__.pop("special", None)
        return importlib.import_module("scipy.special._ufuncs")


_u = _ufuncs()
chdtrc = _u.chdtrc
gammaincinv = _u.gammaincinv
gammaln = _u.gammaln
ndtr = _u.ndtr
ndtri = _u.ndtri
pdtr = _u.pdtr
pdtrc = _u.pdtrc
psi = _u.psi
xlogy = _u.xlogy


def polygamma(n, x):
    """``scipy.special.polygamma(n, x)``: the n-th derivative of the digamma function at `x` (arrays broadcast;
    n = 0 is ``psi``). SciPy's own body (``scipy/special/_basic.py``), on the same ufuncs, so the same numbers:
    (-1)^(n+1) n! zeta(n+1, x)."""
    n, x = np.asarray(n), np.asarray(x)
    fac2 = (-1.0) ** (n + 1) * _u.gamma(n + 1.0) * _u._zeta(n + 1, x)
    return np.where(n == 0, _u.psi(x), fac2)
