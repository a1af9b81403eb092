"""Keep a page's widgets and its URL query parameters in step (shareable links).

    msgs = link_to_widgets("pg", DEFAULTS, KINDS, validate)   # before the widgets are drawn
    ... widgets with key=f"pg.{field}" ...
    widgets_to_link("pg", values, KINDS)                       # after reading them

Opening a link initialises the widgets from it (refused values → defaults + a message); switching
pages and coming back restores this session's last values; after that the widgets hold the state
and every change is written back to the URL, so the address bar is always a link to the view.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from ui.links import decode, encode, from_query, to_query


def wkey(page: str, field: str) -> str:
    return f"{page}.{field}"


def _widget_value(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def link_to_widgets(page: str, defaults: Mapping[str, Any], kinds: Mapping[str, str],
                    validate: Callable[[dict[str, Any]], Any]) -> list[str]:
    ss = st.session_state
    ours = {k: st.query_params[k] for k in st.query_params if k in kinds}
    last = ss.get(f"_{page}_last_query")
    saved = ss.get(f"_{page}_values")
    msgs: list[str] = []
    if ours and ours != last:  # a (new) link: it wins over the widgets
        values, msgs = from_query(ours, defaults, kinds, validate)
        overwrite = True
    else:  # keep live widgets; fill the missing ones (first visit, or back from another page)
        values = dict(saved) if saved is not None else dict(defaults)
        overwrite = False
    for k, v in values.items():
        if k in kinds and (overwrite or wkey(page, k) not in ss):
            ss[wkey(page, k)] = _widget_value(v)
    if overwrite:
        ss[f"_{page}_values"] = dict(values)
    return msgs


def widgets_to_link(page: str, values: Mapping[str, Any], kinds: Mapping[str, str]) -> dict[str, str]:
    q = to_query(values, kinds)
    for k in kinds:
        if k in q and st.query_params.get(k) != q[k]:
            st.query_params[k] = q[k]
        elif k not in q and k in st.query_params:
            del st.query_params[k]
    st.session_state[f"_{page}_last_query"] = q
    st.session_state[f"_{page}_values"] = dict(values)
    return q


def share_link(query: Mapping[str, str], page_path: str = "") -> str:
    """The full link to this view (best effort: st.context.url, else a relative link)."""
    base = ""
    try:
        url = st.context.url or ""
        base = url.split("?")[0]
    except Exception:  # noqa: BLE001 - not available in tests / old clients
        base = ""
    if not base:
        base = f"/{page_path}"
    return f"{base}?{urlencode(dict(query))}"


def link_key(param: str, key: str, kind: str, allowed: Callable[[Any], bool] | None = None) -> str | None:
    """Before a widget is drawn: a new ``?param=`` value sets the widget's state (the whole view in the
    link: chart metric, log-x, overlays …). Returns a message for a value that does not fit."""
    ss = st.session_state
    raw = st.query_params.get(param)
    seen = f"_link_seen_{param}"
    if raw is None or raw == ss.get(seen):
        return None
    ss[seen] = raw
    try:
        v = decode(kind, str(raw)[:300])
        if allowed is not None and not allowed(v):
            raise ValueError
    except ValueError:
        return f"link value {param}={str(raw)[:40]!r} is not valid here; it is ignored"
    ss[key] = list(v) if isinstance(v, tuple) else v
    return None


def key_to_link(param: str, kind: str, value: Any) -> None:
    """After the widget: write its value to ``?param=`` (removed when empty, False or None)."""
    if value is None or value is False or value == () or value == []:
        st.query_params.pop(param, None)
        enc = None
    else:
        enc = encode(kind, tuple(value) if isinstance(value, list) else value)
        if st.query_params.get(param) != enc:
            st.query_params[param] = enc
    st.session_state[f"_link_seen_{param}"] = enc
