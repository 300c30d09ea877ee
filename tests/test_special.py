"""darkfigure._special: SciPy's special functions without running scipy.special's __init__ (issue #13)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import scipy.special

from darkfigure import _special


def test_the_functions_are_scipys_own_ufuncs():
    for name in ("chdtrc", "gammaincinv", "gammaln", "ndtr", "ndtri", "pdtr", "pdtrc", "psi", "xlogy"):
        assert getattr(_special, name) is getattr(scipy.special, name), name


def test_polygamma_gives_scipys_numbers():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(0.01, 5.0, 50), rng.uniform(5.0, 1e6, 50), [1.0, 2.0, 1e-300]])
    for n in (0, 1, 2, 3):
        np.testing.assert_allclose(_special.polygamma(n, x), scipy.special.polygamma(n, x), rtol=1e-15, atol=0)
    mixed = (np.array([0, 1, 2]), np.array([0.5, 7.0, 123.0]))
    np.testing.assert_allclose(_special.polygamma(*mixed), scipy.special.polygamma(*mixed), rtol=1e-15, atol=0)
    np.testing.assert_allclose(_special.polygamma(1, 3.5), scipy.special.polygamma(1, 3.5), rtol=1e-15, atol=0)


_CHILD = r"""
import json, sys
import darkfigure._special as s
pkg = sys.modules["scipy.special"]
before = {"init_ran": "scipy.special._support_alternative_backends" in sys.modules,
          "f2py": "numpy.f2py" in sys.modules, "gammaln": float(s.gammaln(10.5))}
from scipy.special import logit              # a name the deferred package lacks: its __init__ runs
import scipy.special as sc
import scipy.stats                           # uses scipy.special._ufuncs as an attribute
after = {"same_module": sc is pkg, "logit": float(logit(0.25)), "all": "gammaln" in sc.__all__,
         "ufuncs_attr": sc._ufuncs.gammaln is s.gammaln, "same_gammaln": sc.gammaln is s.gammaln,
         "stats": float(scipy.stats.t.sf(2.0, 5)), "dir": "expit" in dir(sc)}
print(json.dumps({"before": before, "after": after}))
"""


def test_scipy_special_completes_on_first_use_in_a_fresh_process():
    env = dict(os.environ)
    src = os.path.join(os.path.dirname(__file__), "..", "src")
    env["PYTHONPATH"] = os.pathsep.join([os.path.abspath(src), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, env=env, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    before, after = res["before"], res["after"]
    assert not before["init_ran"] and not before["f2py"]
    assert abs(before["gammaln"] - float(scipy.special.gammaln(10.5))) <= 1e-12 * abs(before["gammaln"])
    assert after["same_module"] and after["all"] and after["ufuncs_attr"] and after["same_gammaln"] and after["dir"]
    assert abs(after["logit"] - float(scipy.special.logit(0.25))) < 1e-12
    from scipy import stats

    assert abs(after["stats"] - float(stats.t.sf(2.0, 5))) < 1e-12
