"""Run heavy pure functions in helper processes, so a server process keeps answering everyone else.

The dashboard's server runs every browser session in one Python process; a teacher fit for a new
Playground setting (≈ 1 s of CPU) there slows every other student's click. ``call("pkg.mod:func",
*args)`` runs the function in a helper process (``python -m kdviz.runtime.offload``, started with subprocess,
never multiprocessing: Streamlit runs pages as ``__main__``) and returns its pickled result; the
calling thread waits without holding the GIL. Up to one helper per core; each serves one call at a
time. A helper that cannot start or dies mid-call is replaced, and the call runs in this process
instead, so the worst case is the old behaviour, never an error. ``KDVIZ_OFFLOAD=0`` turns it off.

Helpers run at a lower priority than the server (``NICE``): a new setting's fit takes the CPU the pages leave.
Several server processes behind one address (``scripts/serve_class.sh``) share their results through
``KDVIZ_OFFLOAD_SHARED``, a directory: the first process to ask computes under a file lock, the others wait
for its file and load it, so a class spread over N processes computes each new setting once, not N times.
The directory lives as long as the server (serve_class.sh removes it) and keeps at most ``SHARED_MAX_BYTES``.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # Windows: no shared directory (each process computes its own)
    fcntl = None

log = logging.getLogger(__name__)
_HEADER = struct.Struct("!Q")


def _send(stream: IO[bytes], obj: Any) -> None:
    blob = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(blob)) + blob)
    stream.flush()


def _recv(stream: IO[bytes]) -> Any:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("helper closed the pipe")
    size = _HEADER.unpack(head)[0]
    blob = stream.read(size)
    if len(blob) < size:
        raise EOFError("helper closed the pipe")
    return pickle.loads(blob)


def resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


class _Helper:
    def __init__(self, modules: tuple[str, ...] = ()) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "kdviz.runtime.offload", *modules], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def call(self, path: str, args: tuple, kwargs: dict) -> tuple[bool, Any]:
        _send(self.proc.stdin, (path, args, kwargs))
        return _recv(self.proc.stdout)

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(5)
        except Exception:  # noqa: BLE001 - best effort at shutdown
            self.proc.kill()


class _Pool:
    """At most `size` helpers; a call made under `first()` takes the next free one before the others waiting."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.idle: list[_Helper] = []
        self.started = 0
        self.firsts = 0  # `first()` calls waiting for a helper
        self.cond = threading.Condition()

    def take(self, first: bool = False) -> _Helper:
        with self.cond:
            self.firsts += first
            try:
                while (not self.idle and self.started >= self.size) or (self.firsts and not first):
                    self.cond.wait()
            finally:
                self.firsts -= first
            if self.idle:
                return self.idle.pop()
            self.started += 1
        return self._start()

    def fill(self, modules: tuple[str, ...]) -> None:
        """Start helpers (each importing `modules`) until there are `size`; they wait idle for calls."""
        while True:
            with self.cond:
                if self.started >= self.size:
                    return
                self.started += 1
            self.give(self._start(modules))

    def _start(self, modules: tuple[str, ...] = ()) -> _Helper:
        """A new helper for a place already counted in `started` (given back if it cannot start)."""
        try:
            return _Helper(modules)
        except Exception:
            with self.cond:
                self.started -= 1
                self.cond.notify_all()
            raise

    def give(self, helper: _Helper | None) -> None:
        with self.cond:
            if helper is None:
                self.started -= 1
            else:
                self.idle.append(helper)
            self.cond.notify_all()


_local = threading.local()


@contextlib.contextmanager
def first() -> Iterator[None]:
    """Calls this thread makes inside take the next free helper before calls waiting outside (what a whole class
    waits for goes before what one student waits for)."""
    before = getattr(_local, "first", False)
    _local.first = True
    try:
        yield
    finally:
        _local.first = before


_pool = _Pool(max(1, os.cpu_count() or 1))
stats = {"offloaded": 0, "local": 0, "shared_loaded": 0, "shared_written": 0}


_prestarted = threading.Event()


def prestart(*modules: str) -> None:
    """Start the pool's helpers now, in the background, each importing `modules` first (once per process): the
    first new setting then finds a warm helper instead of paying for a helper's start while a class waits."""
    if not enabled() or _prestarted.is_set():
        return
    _prestarted.set()

    def run() -> None:
        with contextlib.suppress(Exception):  # a helper that cannot start: started on demand (or computed here)
            _pool.fill(modules)

    threading.Thread(target=run, name="kdviz-offload-prestart", daemon=True).start()


def enabled() -> bool:
    return os.environ.get("KDVIZ_OFFLOAD", "1") != "0"


def call(path: str, *args: Any, **kwargs: Any) -> Any:
    """`resolve(path)(*args, **kwargs)`, computed in a helper process when possible (or loaded from the
    processes' shared directory, when one is set and another process has computed it).

    An exception raised by the function itself is raised here (the same type and message)."""
    shared = os.environ.get("KDVIZ_OFFLOAD_SHARED")
    if shared and fcntl is not None:
        return _shared(Path(shared), path, args, kwargs)
    with _slot() as slot:
        return _compute(slot, path, args, kwargs)


@contextlib.contextmanager
def _slot() -> Iterator[dict]:
    """{"helper": a helper of the pool, or None (offloading off, or none could start: computed here)}."""
    slot: dict = {"helper": None}
    if enabled():
        try:
            slot["helper"] = _pool.take(getattr(_local, "first", False))
        except Exception as e:  # noqa: BLE001 - (a helper that failed to start has given its place back)
            log.warning("kdviz.runtime.offload: no helper (%s); computing in this process", e)
    try:
        yield slot
    finally:
        if slot["helper"] is not None:
            _pool.give(slot["helper"])


def _compute(slot: dict, path: str, args: tuple, kwargs: dict) -> Any:
    helper = slot["helper"]
    if helper is not None:
        try:
            ok, value = helper.call(path, args, kwargs)
        except Exception as e:  # noqa: BLE001 - a broken helper must never break the page
            log.warning("kdviz.runtime.offload: helper failed (%s); computing %s in this process", e, path)
            helper.close()
            _pool.give(None)
            slot["helper"] = None
        else:
            stats["offloaded"] += 1
            if ok:
                return value
            raise value
    stats["local"] += 1
    return resolve(path)(*args, **kwargs)


#: the shared directory's size bound; the least recently used results go first
SHARED_MAX_BYTES = 512 * 2**20
_MISS = object()


def _shared(directory: Path, path: str, args: tuple, kwargs: dict) -> Any:
    key = hashlib.sha256(pickle.dumps((path, args, sorted(kwargs.items())), protocol=4)).hexdigest()[:40]
    file = directory / f"{key}.pkl"
    value = _load(file)
    if value is not _MISS:
        return value
    # a helper first, then the result's lock: whoever holds a lock is computing, never waiting for a helper
    with _slot() as slot:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            lock = open(directory / f"{key}.lock", "ab")  # noqa: SIM115 - closed below
        except OSError as e:  # an unwritable or vanished directory: computed as if there were none
            log.warning("kdviz.runtime.offload: shared results unavailable (%s)", type(e).__name__)
            return _compute(slot, path, args, kwargs)
        value = _locked(lock, file, slot, path, args, kwargs)
    _evict(directory)
    return value


def _locked(lock: IO[bytes], file: Path, slot: dict, path: str, args: tuple, kwargs: dict) -> Any:
    """The result in `file`, or computed and written there, under `lock` (held by one process at a time)."""
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process computing it: wait for its file (the GIL is free)
        try:
            value = _load(file)
            if value is not _MISS:
                return value
            value = _compute(slot, path, args, kwargs)  # the function's own exception: raised, nothing written
            tmp = file.with_name(f"{file.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
            try:
                tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
                os.replace(tmp, file)
                stats["shared_written"] += 1
            except OSError as e:  # a full disk: this result is not shared, the page still gets it
                tmp.unlink(missing_ok=True)
                log.warning("kdviz.runtime.offload: result not shared (%s)", type(e).__name__)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return value


def _load(file: Path) -> Any:
    try:
        value = pickle.loads(file.read_bytes())
    except FileNotFoundError:
        return _MISS
    except Exception:  # noqa: BLE001 - a truncated or unreadable file: computed again and replaced
        file.unlink(missing_ok=True)
        return _MISS
    with contextlib.suppress(OSError):
        os.utime(file)  # recently used: evicted last
    stats["shared_loaded"] += 1
    return value


def _evict(directory: Path) -> None:
    files = []
    for f in directory.glob("*.pkl"):
        try:
            st = f.stat()
        except FileNotFoundError:  # evicted by another process meanwhile
            continue
        files.append((st.st_mtime, st.st_size, f))
    total = sum(size for _, size, _ in files)
    for _, size, f in sorted(files):
        if total <= SHARED_MAX_BYTES:
            return
        f.unlink(missing_ok=True)
        f.with_suffix(".lock").unlink(missing_ok=True)
        total -= size


#: a helper's scheduling priority below the server's (Unix nice): a computation for one student's new setting
#: runs on the CPU the pages leave, so a class's clicks keep their latency while it runs
NICE = 10


def _serve(modules: list[str]) -> None:
    """The helper's loop: import `modules`, then read a call, answer (True, result) or (False, exception), until
    stdin closes."""
    if hasattr(os, "nice"):
        os.nice(NICE)
    os.environ["KDVIZ_OFFLOAD"] = "0"  # a helper computes what its function offloads itself (no helpers of its own)
    for module in modules:
        importlib.import_module(module)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the answers
    while True:
        try:
            path, args, kwargs = _recv(stdin)
        except EOFError:
            return
        try:
            answer = (True, resolve(path)(*args, **kwargs))
        except Exception as e:  # noqa: BLE001 - handed back to the caller
            answer = (False, e)
        _send(stdout, answer)


if __name__ == "__main__":
    _serve(sys.argv[1:])
