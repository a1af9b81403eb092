"""A run's name and tags: set at submit time (``kdviz submit --name … --tag …``, the Sweep form) or
later (the Runs page, `rename`), stored with the job (schema version 3), searchable.

    set_label(store, job_id, name="magic, 10 % noise", tags=["noise", "talk"])
    matches(job, "noise")            # name, tags or id contain it (case-insensitive)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from kdviz.errors import ConfigError
from kdviz.jobs.store_owners import set_name_tags

MAX_NAME = 80
MAX_TAG = 30
MAX_TAGS = 12
_TAG_OK = re.compile(r"^[^,\n\r\t]+$")


def clean_name(name: Any) -> str:
    """A run's name, trimmed; a `ConfigError` says what is wrong with a bad one."""
    if name is None:
        return ""
    if not isinstance(name, str):
        raise ConfigError(f"a run's name must be text, got {type(name).__name__}")
    text = " ".join(name.split())
    if len(text) > MAX_NAME:
        raise ConfigError(f"a run's name has at most {MAX_NAME} characters (this one has {len(text)}); shorten it")
    return text


def clean_tags(tags: Any) -> tuple[str, ...]:
    """Tags as a tuple of distinct trimmed words (a string is split at commas), in the order given."""
    if tags is None:
        return ()
    if isinstance(tags, str):
        tags = tags.split(",")
    if not isinstance(tags, Iterable):
        raise ConfigError(f"tags must be a list of words, got {type(tags).__name__}")
    out: list[str] = []
    for t in tags:
        if not isinstance(t, str):
            raise ConfigError(f"a tag must be text, got {type(t).__name__}")
        t = " ".join(t.split())
        if not t:
            continue
        if len(t) > MAX_TAG or not _TAG_OK.match(t):
            raise ConfigError(f"tag {t[:40]!r}: at most {MAX_TAG} characters, no commas")
        if t.lower() not in (o.lower() for o in out):
            out.append(t)
    if len(out) > MAX_TAGS:
        raise ConfigError(f"a run has at most {MAX_TAGS} tags ({len(out)} given)")
    return tuple(out)


def set_label(store: Any, job_id: str, name: Any = None, tags: Any = None) -> tuple[str, tuple[str, ...]]:
    """Store a run's name and tags (both replaced; validated first, so a bad one changes nothing)."""
    text, words = clean_name(name), clean_tags(tags)
    set_name_tags(store, store.resolve_id(job_id), text, json.dumps(list(words)))
    return text, words


def matches(job: Any, query: str) -> bool:
    """Whether `query` (words, all required, case-insensitive) occurs in the run's name, tags, kind or id."""
    hay = " ".join([job.name or "", *job.tags, job.kind, job.id]).lower()
    return all(w in hay for w in str(query or "").lower().split())
