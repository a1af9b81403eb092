"""Run heavy pure functions in helper processes, so a server process keeps answering everyone else.

The dashboard's server runs every browser session in one Python process; a teacher fit for a new
Playground setting (≈ 1 s of CPU) there slows every other student's click. ``call("pkg.mod:func",
*args)`` runs the function in a helper process (``python -m kdviz.runtime.offload``, started with subprocess,
never multiprocessing: Streamlit runs pages as ``__main__``) and returns its pickled result; the
calling thread waits without holding the GIL. Up to one helper per core; each serves one call at a
time. A helper that cannot start or dies mid-call is replaced, and the call runs in this process
instead, so the worst case is the old behaviour, never an error. ``KDVIZ_OFFLOAD=0`` turns it off.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

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
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "kdviz.runtime.offload"], stdin=subprocess.PIPE,
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
    def __init__(self, size: int) -> None:
        self.size = size
        self.idle: list[_Helper] = []
        self.started = 0
        self.cond = threading.Condition()

    def take(self) -> _Helper:
        with self.cond:
            while not self.idle and self.started >= self.size:
                self.cond.wait()
            if self.idle:
                return self.idle.pop()
            self.started += 1
        try:
            return _Helper()
        except Exception:
            with self.cond:
                self.started -= 1
                self.cond.notify()
            raise

    def give(self, helper: _Helper | None) -> None:
        with self.cond:
            if helper is None:
                self.started -= 1
            else:
                self.idle.append(helper)
            self.cond.notify()


_pool = _Pool(max(1, os.cpu_count() or 1))
stats = {"offloaded": 0, "local": 0}


def enabled() -> bool:
    return os.environ.get("KDVIZ_OFFLOAD", "1") != "0"


def call(path: str, *args: Any, **kwargs: Any) -> Any:
    """`resolve(path)(*args, **kwargs)`, computed in a helper process when possible.

    An exception raised by the function itself is raised here (the same type and message)."""
    if enabled():
        helper = None
        try:
            helper = _pool.take()
            ok, value = helper.call(path, args, kwargs)
        except Exception as e:  # noqa: BLE001 - a broken helper must never break the page
            log.warning("kdviz.runtime.offload: helper failed (%s); computing %s in this process", e, path)
            if helper is not None:  # (a helper that failed to start has given its slot back already)
                helper.close()
                _pool.give(None)
        else:
            _pool.give(helper)
            stats["offloaded"] += 1
            if ok:
                return value
            raise value
    stats["local"] += 1
    return resolve(path)(*args, **kwargs)


def _serve() -> None:
    """The helper's loop: read a call, answer (True, result) or (False, exception), until stdin closes."""
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
    _serve()
