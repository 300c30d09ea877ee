"""The strata cache's entry format (issue #16: level-1 deflate, results kept unencoded in memory)."""

from __future__ import annotations

import io
import json

import numpy as np

from darkfigure.strata.cache import MemoryCache, ResultCache, _decode, _encode


def _result(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {"status": "estimated", "reason": "", "observed": 120, "nhat": 151.5, "lower": 130.0, "upper": np.inf,
            "lists_used": "A,B,C", "warnings": ["R-hat 1.02 > 1.01"], "seconds": 0.02, "bias": float("nan"),
            "draws": rng.poisson(150, 1000).astype(float)}


def _same(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for k in a:
        if k == "draws":
            np.testing.assert_allclose(a[k], b[k], rtol=1e-15)
        elif isinstance(a[k], float) and np.isnan(a[k]):
            assert np.isnan(b[k])
        else:
            assert a[k] == b[k], k


def test_an_entry_round_trips_and_is_deflated():
    r = _result(1)
    b = _encode(r)
    _same(_decode(b), r)
    assert len(b) < 0.5 * r["draws"].nbytes  # compressed, not stored


def test_entries_written_by_savez_compressed_are_still_read():
    r = _result(2)
    meta = {k: v for k, v in r.items() if k != "draws"}
    buf = io.BytesIO()
    np.savez_compressed(buf, meta=np.array(json.dumps(meta, default=float)), draws=r["draws"])
    _same(_decode(buf.getvalue()), _decode(_encode(r)))


def test_memory_and_folder_caches_give_back_the_same(tmp_path):
    r = _result(3)
    mem, disk = MemoryCache(), ResultCache(tmp_path / "c")
    mem.put("ab" * 32, r)
    disk.put("ab" * 32, r)
    r["draws"][:] = 0.0  # the caller's arrays may change afterwards: the stored result does not
    r["warnings"].append("later")
    got = mem.get("ab" * 32)
    _same(got, disk.get("ab" * 32))
    assert got["draws"].max() > 0 and got["warnings"] == ["R-hat 1.02 > 1.01"]
    assert "ab" * 32 in mem and len(mem) == 1 and mem.get("cd" * 32) is None
