"""Shareable links: a page's whole configuration ⇄ URL query parameters (pure functions, no Streamlit).

Every value read from a link is decoded by type, length-checked and validated by the page's own
validator (`make_config` for sweeps, `PlaygroundParams.validated` for the Playground). A bad value
is refused with a message naming it and the default takes its place, so a link can never start an
invalid or unbounded run (`MAX_TOTAL_FITS` is enforced by `make_config`).

Field kinds: "int", "float", "str", "bool", "strs" (comma-separated strings), "ints"
(comma-separated integers), "floats", "cfloat" (a float or the words "cv" / "cv-fast").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kdviz.errors import KdvizError

MAX_VALUE_CHARS = 300


class LinkError(KdvizError):
    pass


def _decode(kind: str, raw: str) -> Any:
    raw = raw.strip()
    if kind == "str":
        return raw
    if raw == "" and kind in ("int", "float", "cfloat"):
        return None  # a cleared field (e.g. n = all rows)
    if kind == "int":
        return int(raw)
    if kind == "float":
        v = float(raw)
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError("not a finite number")
        return v
    if kind == "cfloat":
        return raw.lower() if raw.lower() in ("cv", "cv-fast") else _decode("float", raw)
    if kind == "bool":
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError("expected 1 or 0")
    if kind == "strs":
        return tuple(x.strip() for x in raw.split(",") if x.strip())
    if kind == "ints":
        return tuple(int(x) for x in raw.split(",") if x.strip())
    if kind == "floats":
        return tuple(_decode("float", x) for x in raw.split(",") if x.strip())
    raise LinkError(f"unknown field kind {kind!r}")


def decode(kind: str, raw: str) -> Any:
    """A link value of `kind` (raises ValueError when it does not decode)."""
    return _decode(kind, raw)


def encode(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind in ("strs", "ints"):
        return ",".join(str(v) for v in value)
    if kind == "floats":
        return ",".join(f"{v:g}" for v in value)
    if kind == "bool":
        return "1" if value else "0"
    if kind in ("float", "cfloat") and isinstance(value, float):
        return f"{value:g}"
    return str(value)


def to_query(values: Mapping[str, Any], kinds: Mapping[str, str]) -> dict[str, str]:
    """The query parameters of a configuration (every field, so the link is self-contained; a cleared
    field is written empty, so that opening the link does not bring back its default)."""
    return {k: encode(kinds[k], values[k]) for k in kinds if k in values}


def from_query(query: Mapping[str, str], defaults: Mapping[str, Any], kinds: Mapping[str, str],
               validate: Callable[[dict[str, Any]], Any]) -> tuple[dict[str, Any], list[str]]:
    """Decode the page's fields from `query`; returns (values, messages about refused values).

    Unknown query keys are ignored (other pages' or Streamlit's). A value that does not decode, is
    too long or fails `validate` alone is replaced by its default; if the combination still fails
    (e.g. too many fits together) every linked value is dropped and the defaults are used.
    """
    values = dict(defaults)
    messages: list[str] = []
    candidates: dict[str, Any] = {}
    for key, kind in kinds.items():
        if key not in query:
            continue
        raw = str(query[key])
        if len(raw) > MAX_VALUE_CHARS:
            messages.append(f"link value for {key!r} is too long ({len(raw)} characters, limit "
                            f"{MAX_VALUE_CHARS}); using the default")
            continue
        try:
            candidates[key] = _decode(kind, raw)
        except (ValueError, TypeError):
            messages.append(f"link value {key}={raw[:40]!r} is not a valid {kind}; using the default "
                            f"{encode(kind, defaults.get(key))!r}")
    # accept values one by one; a value that depends on another (a CSV dataset on its target column)
    # is retried once the other has been accepted
    accepted: dict[str, Any] = {}
    refused: dict[str, str] = {}
    pending = list(candidates)
    progress = True
    while pending and progress:
        progress = False
        for key in list(pending):
            try:
                validate({**values, **accepted, key: candidates[key]})
            except KdvizError as e:
                refused[key] = _short(e)
                continue
            accepted[key] = candidates[key]
            refused.pop(key, None)
            pending.remove(key)
            progress = True
    for key in pending:
        raw = encode(kinds[key], candidates[key])
        messages.append(f"link value {key}={raw[:40]!r} refused ({refused[key]}); using the default "
                        f"{encode(kinds[key], defaults.get(key))!r}")
    values.update(accepted)
    if accepted:
        try:
            validate(values)
        except KdvizError as e:
            messages.append(f"the linked settings together are refused ({_short(e)}); using the defaults")
            values = dict(defaults)
    return values, messages


def _short(e: Exception, limit: int = 220) -> str:
    msg = " ".join(str(e).split())
    msg = msg.removeprefix("invalid configuration — ").removeprefix("invalid playground settings — ")
    return msg if len(msg) <= limit else msg[: limit - 1] + "…"


# ----------------------------------------------------------------------------------------------
# classroom links: ?hide=all | ?hide=a,b hides controls, ?lock=1 shows them disabled
def parse_hide(raw: str | None, names: tuple[str, ...]) -> tuple[frozenset[str], list[str]]:
    """The controls a link hides (``all`` = every one of `names`), and messages about unknown names."""
    if raw is None or not str(raw).strip():
        return frozenset(), []
    raw = str(raw)[:MAX_VALUE_CHARS]
    asked = [x.strip().lower() for x in raw.split(",") if x.strip()]
    if "all" in asked:
        return frozenset(names), []
    unknown = [x for x in asked if x not in names]
    msgs = [f"link value hide={raw[:60]!r}: unknown control(s) {', '.join(map(repr, unknown))} ignored; this page's "
            f"controls are {', '.join(names)} (or all)"] if unknown else []
    return frozenset(x for x in asked if x in names), msgs


def parse_lock(raw: str | None) -> tuple[bool, list[str]]:
    if raw is None or not str(raw).strip():
        return False, []
    try:
        return bool(_decode("bool", str(raw)[:20])), []
    except ValueError:
        return False, [f"link value lock={str(raw)[:20]!r} is not 1 or 0; controls stay unlocked"]


def classroom_query(query: Mapping[str, str], hidden: set[str] | frozenset[str], names: tuple[str, ...],
                    lock: bool) -> dict[str, str]:
    """A view's query plus the classroom flags (``hide=all`` when every control is hidden)."""
    out = {k: v for k, v in query.items() if k not in ("hide", "lock")}
    if hidden:
        out["hide"] = "all" if set(names) <= set(hidden) else ",".join(n for n in names if n in hidden)
    if lock:
        out["lock"] = "1"
    return out
