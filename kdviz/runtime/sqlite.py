"""What kdviz's SQLite stores share (the job store, `kdviz.jobs.store`, and the class store,
`kdviz.teaching.classroom`): a WAL connection and one cached store object per data directory."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

S = TypeVar("S")


def connect_wal(path: Path, timeout: float) -> sqlite3.Connection:
    """A connection in autocommit mode with a busy timeout, WAL journal (readers never block the
    writer) and NORMAL sync; `sqlite3.OperationalError` when WAL cannot be set."""
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise sqlite3.OperationalError(f"cannot switch to WAL mode (got {mode})")
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A short write transaction (``BEGIN IMMEDIATE``: writers queue, readers never block), rolled back
    if the block raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class PerHome:
    """One store object per data directory and process (made again if its file was deleted)."""

    def __init__(self, factory: Callable[[Path], S]):
        self._factory = factory
        self._stores: dict[Path, S] = {}
        self._lock = threading.Lock()

    def get(self, path: Path) -> S:
        path = path.absolute()
        with self._lock:
            store = self._stores.get(path)
            if store is None or not store.path.exists():
                store = self._stores[path] = self._factory(path)
            return store

    def clear(self) -> None:
        """Forget every cached store (as a new process would start)."""
        with self._lock:
            self._stores.clear()
