"""The exhaustive search's compiled kernel, loaded in a forked helper process while the command starts.

Importing numba and loading :func:`._exhaustive_kernel.irls_batch` from numba's cache costs a process
about 0.55 s of CPU (numba's import, its typing and target registries, the LLVM object code), a third
of a whole ``darkfigure estimate DATA --search exhaustive`` on 5 lists. The command knows from its
arguments that it will need the kernel, so :func:`start` (called by ``darkfigure.cli`` before typer,
pandas and SciPy load) forks a helper that loads the kernel on the other core meanwhile; the search
then sends each batch of fits to the helper (:func:`call`) and gets the same arrays back: the same
compiled code on the same inputs, so the numbers are bit for bit those of a fit in the process; a second
helper forked from the first fits every other model of each batch. It is started where the process may
use a second core (:func:`_second_core`); it costs ~0.3 s of CPU in all (pages copied on write after the
forks, the batches copied through pipes), which a CPU quota of one core would make a loss.

Anything unusual — no ``os.fork`` (Windows), a helper that died or failed, a call from a thread or
from a process forked later (bootstrap workers) — makes :func:`call` return None, and the caller fits
in its own process as before. The helper closes its standard streams (the caller's pipes are not held
open), ignores Ctrl-C, and ends when the command closes the pipe at exit, or at once when the command's process
ends (a parent-death signal: also while numba compiles the kernel on a cold cache).
"""

from __future__ import annotations

import gc
import os
import pickle
import sys
import threading

import numpy as np

__all__ = ["start", "call", "compiled_status", "running"]


class _Server:
    """The parent's end: the helper's pid, the two pipe ends, its first message (the cache status)."""

    def __init__(self, pid: int, req: int, res: int):
        self.pid, self.owner = pid, os.getpid()
        self.req = os.fdopen(req, "wb")
        self.res = os.fdopen(res, "rb")
        self.lock = threading.Lock()
        self.status: tuple | None = None  # ("status", compiled) once read
        self.dead = False

    def usable(self) -> bool:
        """Whether this process (its main thread, not a fork) may still call the helper."""
        return not self.dead and os.getpid() == self.owner and threading.current_thread() is threading.main_thread()

    def read_status(self) -> None:
        """Read the helper's first message (whether the kernel was compiled) once."""
        if self.status is None:
            msg = pickle.load(self.res)
            if not (isinstance(msg, tuple) and msg and msg[0] == "status"):
                raise RuntimeError("unexpected first message from the kernel helper")
            self.status = msg

    def close(self) -> None:
        """Close both pipe ends; the helper ends when it reads end-of-file."""
        self.dead = True
        for f in (self.req, self.res):
            try:
                f.close()
            except OSError:
                pass


_SERVER: _Server | None = None


def _second_core() -> bool:
    """Whether the process may run on a second core: two usable cores (affinity) and no cgroup CPU quota below
    1.5 cores (a container's ``--cpus``). Not the load average: Linux shares the CPU among processes (and
    sessions), so the helper gains on a busy machine too (5 lists, two CPU-bound processes beside: 3.11 ->
    2.55 s; load 10 on 2 cores: 2.03 -> 1.61 s); only a quota makes its ~0.3 s of extra CPU a loss."""
    try:
        cores = float(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
        try:
            with open("/sys/fs/cgroup/cpu.max") as f:  # cgroup v2: "max 100000" or "<quota> <period>"
                quota, period = f.read().split()[:2]
            if quota != "max":
                cores = min(cores, int(quota) / int(period))
        except (OSError, ValueError):
            pass
        return cores >= 1.5
    except OSError:
        return False


def start() -> bool:
    """Fork the helper that loads the exhaustive kernel (once per process) where a second core may run it; True
    when it runs.

    Call early, from the command line only (a library user's process is not forked behind its back). The
    environment variable ``DARKFIGURE_KERNEL_HELPER`` set to ``0`` never starts it, ``1`` always (where
    ``os.fork`` exists); unset, :func:`_second_core` decides.
    """
    global _SERVER
    if _SERVER is not None or not hasattr(os, "fork") or sys.platform == "darwin":
        return _SERVER is not None
    wanted = os.environ.get("DARKFIGURE_KERNEL_HELPER", "").strip()
    if wanted == "0" or (wanted != "1" and not _second_core()):
        return False
    # loaded before the fork, paid once: both processes need NumPy and SciPy's common base (the search uses
    # scipy.special's ufuncs; numba loads scipy.linalg's BLAS): 0.2 s of CPU the helper would otherwise repeat
    import numpy  # noqa: F401

    from .. import _special  # noqa: F401 - the ufuncs without scipy.special's __init__ (see _special)

    # objects alive now are never collected (modules); frozen, the collector does not write to their pages,
    # which after the fork each process would copy (copy-on-write)
    gc.freeze()
    owner = os.getpid()
    forked = _fork_with_pipes()
    if forked is None:
        return False
    pid, req_r, req_w, res_r, res_w = forked
    if pid == 0:  # the helper
        code = 0
        try:
            os.close(req_w)
            os.close(res_r)
            _tie_to_parent(owner)
            _serve(req_r, res_w)
        except BaseException:  # noqa: BLE001 - the helper must never return into the command
            code = 1
        finally:
            os._exit(code)
    os.close(req_r)
    os.close(res_w)
    _SERVER = _Server(pid, req_w, res_r)
    import atexit

    atexit.register(_stop)
    return True


def _stop() -> None:
    """Close the pipe (the helper reads end of file and exits) and reap the helper when it has ended."""
    global _SERVER
    s, _SERVER = _SERVER, None
    if s is None or os.getpid() != s.owner:
        return
    s.close()
    try:
        os.waitpid(s.pid, os.WNOHANG)
    except OSError:
        pass


def running() -> bool:
    """Whether this process has a usable helper."""
    return _SERVER is not None and _SERVER.usable()


def compiled_status() -> bool | None:
    """The helper's answer of :func:`.exhaustive_fit.kernel_compiled` (read before it loaded the kernel), or
    None when there is no usable helper (the caller asks in its own process)."""
    s = _SERVER
    if s is None or not s.usable():
        return None
    with s.lock:
        try:
            s.read_status()
        except Exception:  # noqa: BLE001 - a helper that died: the caller works alone
            s.close()
            return None
    return s.status[1]


def call(args: tuple, kwargs: dict) -> tuple | None:
    """:func:`.exhaustive_fit._batch_poisson` ``(*args, **kwargs)`` in the helper: its outputs, or None when
    there is no usable helper or it failed (the caller fits in its own process). One exchange per call, not
    per block of models: on a busy machine every exchange waits for both processes to be scheduled."""
    s = _SERVER
    if s is None or not s.usable():
        return None
    with s.lock:
        try:
            s.read_status()
            pickle.dump(("fit", args, kwargs), s.req, protocol=pickle.HIGHEST_PROTOCOL)
            s.req.flush()
            kind, out = pickle.load(s.res)
        except Exception:  # noqa: BLE001 - broken pipe, end of file: the helper is gone
            s.close()
            return None
    if kind != "ok":
        s.close()  # it failed on this batch: the caller fits it (and says what went wrong, if anything)
        return None
    return out


def _tie_to_parent(owner: int) -> None:
    """In a helper: end it when its parent (pid `owner`) ends, even in the middle of compiling the kernel.

    It otherwise ends only when it reads the end of its pipe, which it does not while numba compiles the kernel
    on a cold cache (~2 minutes): a command refused at once left it running, re-parented to init (tester report
    10, F8). The parent-death signal of :func:`darkfigure._pool.worker_pool`'s workers, and its watchdog."""
    from .._pool import _die_with_parent

    _die_with_parent(owner)


def _serve(req_fd: int, res_fd: int) -> None:
    """The helper: say whether the kernel is cached, load it, then fit each batch it is sent until end of file."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the command's; the helper ends with its pipe
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # never hold the caller's terminal or pipes (subprocess.run waits for their end)
        os.dup2(null, fd)
    os.close(null)
    rd = os.fdopen(req_fd, "rb")
    wr = os.fdopen(res_fd, "wb")

    def send(obj) -> None:
        """Pickle `obj` to the caller through the result pipe."""
        pickle.dump(obj, wr, protocol=pickle.HIGHEST_PROTOCOL)
        wr.flush()

    from .exhaustive_fit import _batch_poisson, _warm, kernel_compiled

    send(("status", kernel_compiled()))
    from .._blas import single_threaded

    _warm()  # load the compiled code from numba's cache now, while the command is still importing
    fit = single_threaded(_batch_poisson)  # as in the command: exhaustive_search runs single-threaded
    # a second helper forked from this one (the loaded kernel shared, copied on write): while the command
    # waits for a batch, the two fit half of its models each, on the two cores the command leaves idle
    sub = _fork_sub(fit, (req_fd, res_fd))

    while True:
        try:
            kind, args, kwargs = pickle.load(rd)
        except EOFError:
            return
        try:
            out = ("ok", _split(fit, sub, args, kwargs))
        except Exception as e:  # noqa: BLE001 - reported; the command refits in its own process
            out = ("error", repr(e))
        send(out)


def _fork_with_pipes() -> tuple[int, int, int, int, int] | None:
    """A request pipe and a result pipe, then ``os.fork()``: ``(pid, req_r, req_w, res_r, res_w)`` (pid 0 in the
    child), or None with the pipes closed when the fork fails."""
    req_r, req_w = os.pipe()
    res_r, res_w = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        for fd in (req_r, req_w, res_r, res_w):
            os.close(fd)
        return None
    return pid, req_r, req_w, res_r, res_w


def _fork_sub(fit, close: tuple[int, ...]):
    """Fork the second helper: ``(request file, result file)`` of its pipes, or None when it cannot run. It fits
    the batches it is sent with `fit` until end of file; `close`: the first helper's pipe ends to the command."""
    owner = os.getpid()
    forked = _fork_with_pipes()
    if forked is None:
        return None
    pid, req_r, req_w, res_r, res_w = forked
    if pid == 0:
        code = 0
        try:
            _tie_to_parent(owner)
            for fd in (*close, req_w, res_r):  # the command sees the end of its pipe only when the first helper ends
                os.close(fd)
            rd, wr = os.fdopen(req_r, "rb"), os.fdopen(res_w, "wb")
            while True:
                try:
                    args, kwargs = pickle.load(rd)
                except EOFError:
                    break
                pickle.dump(fit(*args, **kwargs), wr, protocol=pickle.HIGHEST_PROTOCOL)
                wr.flush()
        except BaseException:  # noqa: BLE001 - the first helper then fits the whole batch itself
            code = 1
        finally:
            os._exit(code)
    os.close(req_r)
    os.close(res_w)
    return [os.fdopen(req_w, "wb"), os.fdopen(res_r, "rb")]


#: batches below this many models are fitted by one helper (the exchange would cost more than it saves)
_SPLIT_MIN = 64


def _split(fit, sub, args: tuple, kwargs: dict) -> tuple:
    """:func:`.exhaustive_fit._batch_poisson` ``(*args, **kwargs)`` with every other model fitted by the second
    helper: the same numbers (each model is fitted on its own, whatever else is in its batch), in half the
    time on an idle core. Fitted here alone when there is no second helper, the batch is small, or it fails."""
    x, y, cols, cells = args
    m = cols.shape[0]
    if not sub or m < _SPLIT_MIN:
        return fit(*args, **kwargs)
    mine, theirs = np.arange(0, m, 2), np.arange(1, m, 2)

    def part(rows):
        """The batch arguments (and per-row keyword arrays) restricted to the models in rows `rows`."""
        kw = dict(kwargs)
        for key in ("mu0", "bias"):
            if kw.get(key) is not None:
                kw[key] = np.asarray(kw[key])[rows]
        return (x, y, cols[rows], cells[rows]), kw

    try:
        pickle.dump(part(theirs), sub[0], protocol=pickle.HIGHEST_PROTOCOL)
        sub[0].flush()
    except OSError:
        sub.clear()
        return fit(*args, **kwargs)
    args_a, kw_a = part(mine)
    a = fit(*args_a, **kw_a)
    try:
        b = pickle.load(sub[1])
    except Exception:  # noqa: BLE001 - the second helper died: its half is fitted here
        sub.clear()
        args_b, kw_b = part(theirs)
        b = fit(*args_b, **kw_b)
    out = []
    for oa, ob in zip(a, b):
        o = np.empty((m, *oa.shape[1:]), dtype=oa.dtype)
        o[mine], o[theirs] = oa, ob
        out.append(o)
    return tuple(out)
