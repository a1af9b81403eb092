"""Who may do what with a run: owners, the instructor, and the checks the job layer enforces.

A browser holds a random *secret* (a cookie, never in a URL); the job store records only its
`owner_from_secret` digest, and pages display only `short_owner` of that — neither can be turned back
into the secret, so nothing shown on a screen or put in a link lets another browser act as its owner.

An `Actor` (owner, instructor?) is passed to the job layer's cancel / delete / resume / rerun-over /
share; `check_manage` raises `PermissionDenied` (a `KdvizError`) unless the actor owns the run or is
the instructor. Without an instructor key configured, every user is their own instructor (kdviz
behaves as a single-user tool). The CLI acts as the instructor (it runs on the server).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass

from kdviz.errors import KdvizError

#: the owner of runs started from the command line or before runs had owners (the server's operator)
SERVER_OWNER = "server"
_SECRET_RE = re.compile(r"^[0-9a-f]{32,64}$")
DEFAULT_CAP = 2  # runs queued or running per student


class PermissionDenied(KdvizError):
    """The actor may not do this to that run (it belongs to someone else)."""


class QueueFull(KdvizError):
    """The student already has as many runs queued or running as the instructor allows."""


@dataclass(frozen=True)
class Actor:
    """Who asks: `owner` (an `owner_from_secret` digest, or `SERVER_OWNER`) and whether they are the instructor."""

    owner: str
    instructor: bool = False

    @property
    def short(self) -> str:
        return short_owner(self.owner)


#: the command line and library callers: the server's operator, allowed everything
SERVER = Actor(SERVER_OWNER, instructor=True)


def new_secret() -> str:
    """A fresh per-browser secret (128 random bits, hex)."""
    return secrets.token_hex(16)


def valid_secret(secret: str | None) -> bool:
    return bool(secret) and bool(_SECRET_RE.match(str(secret)))


def owner_from_secret(secret: str) -> str:
    """The owner id recorded with a browser's runs: a one-way digest of its secret."""
    if not valid_secret(secret):
        raise KdvizError("not a valid browser identity")
    return "b-" + hashlib.sha256(f"kdviz-owner\n{secret}".encode()).hexdigest()[:24]


def short_owner(owner: str | None) -> str:
    """A short, non-reversible label of an owner for display ("you" is for pages to say)."""
    if not owner or owner == SERVER_OWNER:
        return "server"
    return "#" + hashlib.sha256(f"kdviz-label\n{owner}".encode()).hexdigest()[:6]


# ----------------------------------------------------------------------------------------------
# the instructor key
def configured_key(secrets_value: str | None = None) -> str | None:
    """The instructor key: ``$KDVIZ_INSTRUCTOR_KEY``, else `secrets_value` (from secrets.toml); None: no key."""
    key = os.environ.get("KDVIZ_INSTRUCTOR_KEY") or secrets_value
    key = str(key).strip() if key is not None else ""
    return key or None


def key_matches(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of a typed key with the configured one (False when either is empty)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(str(given).strip().encode(), str(expected).encode())


def instructor_token(key: str, secret: str) -> str:
    """What a browser keeps (a session cookie) once its instructor key matched: tied to both the key and
    that browser's secret, so it reveals neither, dies with a key change, and is useless in another browser."""
    return hmac.new(key.encode(), f"kdviz-instructor\n{secret}".encode(), hashlib.sha256).hexdigest()


def token_valid(token: str | None, key: str | None, secret: str | None) -> bool:
    if not token or not key or not valid_secret(secret):
        return False
    return hmac.compare_digest(str(token).encode(), instructor_token(key, str(secret)).encode())


def refusal_delay(failures: int) -> float:
    """Seconds to wait before answering the `failures`-th wrong key (grows, capped): guessing is slow."""
    return min(8.0, 1.0 * 2 ** max(0, failures - 1))


# ----------------------------------------------------------------------------------------------
# permissions
def may_manage(actor: Actor, owner: str | None) -> bool:
    """Whether `actor` may cancel, delete, resume or rerun-over a run owned by `owner`."""
    return actor.instructor or (owner is not None and hmac.compare_digest(actor.owner, owner))


def check_manage(actor: Actor, owner: str | None, action: str, job_id: str) -> None:
    if not may_manage(actor, owner):
        raise PermissionDenied(f"cannot {action} run {job_id[:8]}: it belongs to {short_owner(owner)}; "
                               "only its owner or the instructor may")


def may_see(actor: Actor, owner: str | None, shared: bool) -> bool:
    """Whether `actor` sees a run: their own, the shared ones, all of them for the instructor."""
    return actor.instructor or shared or (owner is not None and actor.owner == owner)


def student_cap() -> int:
    """The default number of runs a student may have queued or running (``$KDVIZ_STUDENT_CAP``, default 2)."""
    try:
        return max(1, int(os.environ.get("KDVIZ_STUDENT_CAP", DEFAULT_CAP)))
    except ValueError:
        return DEFAULT_CAP


# ----------------------------------------------------------------------------------------------
# uploads: private to whoever uploaded them (and the instructor); `store` is a kdviz.jobs.Store
def may_read_upload(store: object, name: str, actor: Actor) -> bool:
    """Whether `actor` may use or preview the upload `name`: its uploaders and the instructor."""
    from kdviz.jobs.store_owners import owns_upload

    return actor.instructor or owns_upload(store, name, actor.owner)
