"""A class session: an instructor's lesson that students join by a short code (pure, no Streamlit).

    store = open_class_store()                       # classes.sqlite in the kdviz data directory
    c = store.create(owner=instructor_id)            # c.code: five unambiguous letters, e.g. "KXTRA"
    store.join(c.code, student_id, "Ana")            # optional display name
    store.set_step(c.code, instructor_id, step=1, seed=0)
    store.vote(c.code, student_id, 1, 0, "same")     # once per student: a changed answer replaces it
    store.tally(c.code, 1, 0)                        # {"lower": 0, "same": 1, "higher": 0}
    store.reveal(c.code, instructor_id, 1, 0)        # votes on that step close; followers see the students
    store.export_csv(c.code, instructor_id)          # display names and answers, judged by kdviz.teaching.lesson

Everything lives in one SQLite file (WAL), so a class, its step, its reveals and its votes survive a
server restart. Identities are stored as SHA-256 digests, never as given, and never leave the
store: the CSV export names students by display name (or "student 3"). Only the identity that started the
class (its instructor) may move, reveal, share, export or end it.
`ClassStore.snapshot` is what pages poll every second: one read per class per `POLL_TTL` per process,
however many students watch.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kdviz.errors import KdvizError
from kdviz.runtime.home import kdviz_home
from kdviz.runtime.sqlite import PerHome, connect_wal, immediate
from kdviz.teaching import lesson as L

DB_NAME = "classes.sqlite"
#: letters that cannot be mistaken for each other or for digits on a projector (no B/8, G/6, I/1/L, O/0/Q, S/5, Z/2)
CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY"
CODE_LENGTH = 5
NAME_MAX = 30
#: how long a polled snapshot is shared between the sessions of one process (seconds)
POLL_TTL = 0.25

_SCHEMA = """
CREATE TABLE IF NOT EXISTS classes (
    code TEXT PRIMARY KEY, owner TEXT NOT NULL, created REAL NOT NULL, step INTEGER NOT NULL DEFAULT 0,
    seed INTEGER NOT NULL DEFAULT 0, revealed TEXT NOT NULL DEFAULT '[]', settings TEXT,
    settings_version INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL DEFAULT 0, closed REAL);
CREATE TABLE IF NOT EXISTS members (
    code TEXT NOT NULL, member TEXT NOT NULL, name TEXT NOT NULL DEFAULT '', joined REAL NOT NULL,
    PRIMARY KEY (code, member));
CREATE TABLE IF NOT EXISTS votes (
    code TEXT NOT NULL, step INTEGER NOT NULL, seed INTEGER NOT NULL, member TEXT NOT NULL, choice TEXT NOT NULL,
    at REAL NOT NULL, PRIMARY KEY (code, step, seed, member));
"""


class ClassError(KdvizError):
    """A class-session action cannot be done (unknown code, closed votes, not the instructor, …)."""


class ClassNotFound(ClassError):
    """No class with that code."""


class NotAllowed(ClassError):
    """Only the class's instructor may do this."""


@dataclass(frozen=True)
class ClassState:
    code: str
    step: int                       # lesson step index (0-based, as in kdviz.teaching.lesson)
    seed: int
    revealed: frozenset[tuple[int, int]]  # (step, seed) pairs revealed for everyone
    settings: dict[str, str] | None  # the Playground settings the instructor shares (a link query), or None
    settings_version: int
    version: int                    # bumps on every change the followers must see
    closed: bool
    created: float

    def is_revealed(self, step: int, seed: int) -> bool:
        return (int(step), int(seed)) in self.revealed

    @property
    def voting(self) -> bool:
        """Votes are open: the current step asks a question that is not revealed yet, and the class runs."""
        return not self.closed and L.STEPS[self.step].question is not None and not self.is_revealed(self.step, self.seed)


def _digest(identity: str) -> str:
    if not isinstance(identity, str) or not identity:
        raise ClassError("no identity for this browser: reload the page")
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str | None) -> str:
    """A class code as typed or linked ("kxt ra" → "KXTRA"); a clear message if it cannot be one."""
    code = "".join(str(text or "").split()).upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        raise ClassError(f"“{str(text)[:20]}” is not a class code: a code is {CODE_LENGTH} letters from "
                         f"{CODE_ALPHABET} (ask your instructor for the link or the QR code)")
    return code


def clean_name(name: str | None) -> str:
    """A display name: printable, single spaces, at most NAME_MAX characters ('' = anonymous)."""
    text = "".join(ch for ch in str(name or "") if ch.isprintable())
    return " ".join(text.split())[:NAME_MAX]


def _check_step(step: int, seed: int) -> tuple[int, int]:
    step, seed = int(step), int(seed)
    if not 0 <= step < len(L.STEPS):
        raise ClassError(f"step must be between 1 and {len(L.STEPS)}, got {step + 1}")
    if not 0 <= seed <= 2**31 - 1:
        raise ClassError(f"seed must be between 0 and {2**31 - 1}, got {seed}")
    return step, seed


# ----------------------------------------------------------------------------------------------
class ClassStore:
    """The class sessions of one kdviz data directory (``home/classes.sqlite``); thread-safe."""

    def __init__(self, home: str | os.PathLike | None = None, *, timeout: float = 15.0):
        self.home = Path(home).expanduser() if home else kdviz_home()
        self.path = self.home / DB_NAME
        self.timeout = timeout
        self._local = threading.local()
        self._snap: dict[str, tuple[float, ClassState]] = {}
        self._snap_lock = threading.Lock()
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ClassError(f"cannot create the kdviz data directory ({e.strerror or e}); "
                             "set KDVIZ_HOME to a writable directory") from None
        with self._errors():
            self._conn().executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            with self._errors():
                conn = connect_wal(self.path, self.timeout)
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as e:
            raise ClassError(f"the class store failed ({e}); try again, or set KDVIZ_HOME to a writable "
                             "directory") from None

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        with self._errors(), immediate(self._conn()) as conn:
            yield conn

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._errors():
            return self._conn().execute(sql, params).fetchall()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- reading ----------------------------------------------------------------------------------
    def get(self, code: str) -> ClassState:
        code = normalize_code(code)
        rows = self._query("SELECT code, step, seed, revealed, settings, settings_version, version, closed, created "
                           "FROM classes WHERE code = ?", (code,))
        if not rows:
            raise ClassNotFound(f"there is no class {code} on this server: check the code, or ask your "
                                "instructor for the link")
        code, step, seed, revealed, settings, sv, version, closed, created = rows[0]
        state = ClassState(code, int(step), int(seed), frozenset(tuple(p) for p in json.loads(revealed)),
                           json.loads(settings) if settings else None, int(sv), int(version), closed is not None,
                           float(created))
        self._remember(state)
        return state

    def snapshot(self, code: str, max_age: float = POLL_TTL) -> ClassState:
        """`get`, shared between callers of this process for `max_age` seconds (what pages poll)."""
        now, code = time.monotonic(), normalize_code(code)
        with self._snap_lock:
            hit = self._snap.get(code)
        if hit is not None and now - hit[0] <= max_age:
            return hit[1]
        return self.get(code)

    def _remember(self, state: ClassState) -> None:
        """Cache a freshly read state unless a newer one is cached (readers race; versions only grow)."""
        with self._snap_lock:
            old = self._snap.get(state.code)
            if old is None or old[1].version <= state.version:
                self._snap[state.code] = (time.monotonic(), state)

    def is_owner(self, code: str, identity: str) -> bool:
        rows = self._query("SELECT owner FROM classes WHERE code = ?", (normalize_code(code),))
        return bool(rows) and rows[0][0] == _digest(identity)

    def is_member(self, code: str, identity: str) -> bool:
        return bool(self._query("SELECT 1 FROM members WHERE code = ? AND member = ?",
                                (normalize_code(code), _digest(identity))))

    def member_count(self, code: str) -> int:
        return int(self._query("SELECT COUNT(*) FROM members WHERE code = ?", (normalize_code(code),))[0][0])

    def member_name(self, code: str, identity: str) -> str:
        rows = self._query("SELECT name FROM members WHERE code = ? AND member = ?",
                           (normalize_code(code), _digest(identity)))
        return rows[0][0] if rows else ""

    def my_vote(self, code: str, identity: str, step: int, seed: int) -> str | None:
        rows = self._query("SELECT choice FROM votes WHERE code = ? AND step = ? AND seed = ? AND member = ?",
                           (normalize_code(code), int(step), int(seed), _digest(identity)))
        return rows[0][0] if rows else None

    def tally(self, code: str, step: int, seed: int) -> dict[str, int]:
        """Answers per choice on (step, seed), every choice listed (0 where nobody picked it)."""
        q = L.STEPS[_check_step(step, seed)[0]].question
        counts = dict(self._query("SELECT choice, COUNT(*) FROM votes WHERE code = ? AND step = ? AND seed = ? "
                                  "GROUP BY choice", (normalize_code(code), int(step), int(seed))))
        return {k: int(counts.get(k, 0)) for k in (q.choices if q else ())}

    # -- writing ----------------------------------------------------------------------------------
    def _bump(self, c: sqlite3.Connection, code: str, sql: str = "", params: tuple = ()) -> None:
        c.execute(f"UPDATE classes SET version = version + 1{sql} WHERE code = ?", (*params, code))

    def _control(self, c: sqlite3.Connection, code: str, identity: str) -> None:
        """Raise unless `identity` started the class (its instructor); the class must exist."""
        rows = c.execute("SELECT owner FROM classes WHERE code = ?", (code,)).fetchall()
        if not rows:
            raise ClassNotFound(f"there is no class {code} on this server")
        if rows[0][0] != _digest(identity):
            raise NotAllowed(f"only the instructor of class {code} can do this")

    def create(self, owner: str, step: int = 0, seed: int = 0) -> ClassState:
        step, seed = _check_step(step, seed)
        for _ in range(20):
            code = new_code()
            with self.write() as c:
                if c.execute("SELECT 1 FROM classes WHERE code = ?", (code,)).fetchall():
                    continue
                c.execute("INSERT INTO classes (code, owner, created, step, seed) VALUES (?, ?, ?, ?, ?)",
                          (code, _digest(owner), time.time(), step, seed))
            return self.get(code)
        raise ClassError("could not find a free class code; try again")  # pragma: no cover - 1.9 M codes

    def set_step(self, code: str, identity: str, step: int, seed: int) -> ClassState:
        code, (step, seed) = normalize_code(code), _check_step(step, seed)
        with self.write() as c:
            self._control(c, code, identity)
            if c.execute("SELECT 1 FROM classes WHERE code = ? AND step = ? AND seed = ?", (code, step, seed)).fetchall():
                return self.get(code)
            self._bump(c, code, ", step = ?, seed = ?", (step, seed))
        return self.get(code)

    def reveal(self, code: str, identity: str, step: int, seed: int) -> ClassState:
        code, (step, seed) = normalize_code(code), _check_step(step, seed)
        with self.write() as c:
            self._control(c, code, identity)
            pairs = {tuple(p) for p in json.loads(c.execute("SELECT revealed FROM classes WHERE code = ?",
                                                            (code,)).fetchone()[0])}
            if (step, seed) not in pairs:
                self._bump(c, code, ", revealed = ?", (json.dumps(sorted(pairs | {(step, seed)})),))
        return self.get(code)

    def share_settings(self, code: str, identity: str, settings: Mapping[str, str] | None) -> ClassState:
        """Share Playground settings (a link query of strings) with the class; None stops sharing."""
        code = normalize_code(code)
        value = None if settings is None else json.dumps({str(k): str(v) for k, v in settings.items()}, sort_keys=True)
        if value is not None and len(value) > 4000:
            raise ClassError("these settings are too long to share")
        with self.write() as c:
            self._control(c, code, identity)
            if c.execute("SELECT settings IS ? FROM classes WHERE code = ?", (value, code)).fetchone()[0]:
                return self.get(code)
            self._bump(c, code, ", settings = ?, settings_version = settings_version + 1", (value,))
        return self.get(code)

    def close_class(self, code: str, identity: str) -> ClassState:
        code = normalize_code(code)
        with self.write() as c:
            self._control(c, code, identity)
            self._bump(c, code, ", closed = ?", (time.time(),))
        return self.get(code)

    def join(self, code: str, identity: str, name: str | None = None) -> ClassState:
        """Join (or rejoin) a class; a given name replaces the earlier one ('' = anonymous)."""
        state = self.get(code)
        if state.closed:
            raise ClassError(f"class {state.code} has ended; ask your instructor for a new link")
        with self.write() as c:
            c.execute("INSERT INTO members (code, member, name, joined) VALUES (?, ?, ?, ?) "
                      "ON CONFLICT (code, member) DO NOTHING", (state.code, _digest(identity), "", time.time()))
            if name is not None:
                c.execute("UPDATE members SET name = ? WHERE code = ? AND member = ?",
                          (clean_name(name), state.code, _digest(identity)))
        return state

    def vote(self, code: str, identity: str, step: int, seed: int, choice: str) -> None:
        """Record this student's answer on the class's current predict step (a changed answer replaces it)."""
        step, seed = _check_step(step, seed)
        state = self.get(code)
        q = L.STEPS[step].question
        if q is None:
            raise ClassError(f"step {step + 1} asks no question")
        if choice not in q.choices:
            raise ClassError(f"“{str(choice)[:30]}” is not an answer to step {step + 1}: pick one of "
                             f"{', '.join(q.choices)}")
        if state.closed:
            raise ClassError(f"class {state.code} has ended: answers are no longer recorded")
        if (step, seed) != (state.step, state.seed):
            raise ClassError(f"the class is on step {state.step + 1} (seed {state.seed}): answers are recorded "
                             "for the class's current step only; press “Follow the instructor”")
        if state.is_revealed(step, seed):
            raise ClassError(f"step {step + 1} has been revealed: answers are closed")
        member = _digest(identity)
        with self.write() as c:
            if not c.execute("SELECT 1 FROM members WHERE code = ? AND member = ?", (state.code, member)).fetchall():
                raise ClassError(f"join class {state.code} first (open the class link)")
            c.execute("INSERT INTO votes (code, step, seed, member, choice, at) VALUES (?, ?, ?, ?, ?, ?) "
                      "ON CONFLICT (code, step, seed, member) DO UPDATE SET choice = excluded.choice, at = excluded.at",
                      (state.code, step, seed, member, choice, time.time()))

    # -- after class --------------------------------------------------------------------------------
    def results(self, code: str, identity: str) -> list[dict[str, Any]]:
        """Every recorded answer, judged by this run's numbers (`kdviz.teaching.lesson.outcome`); students by display
        name, or "student k" in joining order. No identities."""
        code = normalize_code(code)
        with self.write() as c:
            self._control(c, code, identity)
        members = self._query("SELECT member, name FROM members WHERE code = ? ORDER BY joined, rowid", (code,))
        names = {m: (n or f"student {k}") for k, (m, n) in enumerate(members, start=1)}
        rows, outcomes = [], {}
        for step, seed, member, choice in self._query(
                "SELECT step, seed, member, choice FROM votes WHERE code = ? ORDER BY step, seed, at", (code,)):
            if (step, seed) not in outcomes:
                outcomes[step, seed] = L.outcome(step, seed)
            q, out = L.STEPS[step].question, outcomes[step, seed]
            rows.append({"step": step + 1, "step_title": L.STEPS[step].title, "seed": seed,
                         "student": names.get(member, "student ?"), "answer": choice,
                         "answer_text": q.choices.get(choice, choice) if q else choice,
                         "answer_of_this_run": out.answer if out else "",
                         "held": bool(out and out.answer == choice)})
        return rows

    def export_csv(self, code: str, identity: str) -> str:
        rows = self.results(code, identity)
        buf = io.StringIO()
        cols = ["step", "step_title", "seed", "student", "answer", "answer_text", "answer_of_this_run", "held"]
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({**r, "student": _csv_safe(r["student"])})
        return buf.getvalue()


def _csv_safe(text: str) -> str:
    """A display name that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


_STORES = PerHome(ClassStore)


def open_class_store(home: str | os.PathLike | None = None) -> ClassStore:
    """The (per-process, cached) class store of a data directory (default: `kdviz_home()`)."""
    return _STORES.get(Path(home).expanduser() if home else kdviz_home())
