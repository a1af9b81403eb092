"""Classroom links: a teacher hides or locks a page's controls through its link.

    cls = classroom(("capacity", "seed", "link"))      # reads ?hide=… and ?lock=1 (messages on bad values)
    if cls.show("capacity"):
        st.slider(..., disabled=cls.locked)
    ...
    link_builder(cls, query, "Playground")            # checkboxes → a classroom link, next to the page link

`?hide=all` hides every control of the page (the presentation toggle included); `?hide=a,b` the named
ones; `?lock=1` draws them disabled. Unknown names are reported and ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import streamlit as st

from ui.identity import instructor_key, is_instructor
from ui.links import classroom_query, parse_hide, parse_lock
from ui.state import share_link

#: controls every page has (the sidebar's presentation toggle and theme)
COMMON = ("present",)

_HIDE_SIDEBAR_CSS = """
<style>
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"]
  { display: none !important; }
</style>
"""


@dataclass(frozen=True)
class Classroom:
    names: tuple[str, ...]
    hidden: frozenset[str] = frozenset()
    locked: bool = False
    messages: list[str] = field(default_factory=list)

    def show(self, name: str) -> bool:
        return name not in self.hidden

    @property
    def all_hidden(self) -> bool:
        return set(self.names) <= set(self.hidden)


def _flags(names: tuple[str, ...]) -> Classroom:
    hidden, m1 = parse_hide(st.query_params.get("hide"), names)
    locked, m2 = parse_lock(st.query_params.get("lock"))
    return Classroom(names, hidden, locked, m1 + m2)


def hides(name: str) -> bool:
    """Whether the link hides a control every page shares (used before the page's own flags are read)."""
    return not _flags(COMMON).show(name)


def locked() -> bool:
    return _flags(COMMON).locked


def classroom(names: tuple[str, ...]) -> Classroom:
    """The page's classroom flags from its link; shows their messages; hides the sidebar under hide=all."""
    cls = _flags(tuple(dict.fromkeys((*names, *COMMON))))
    for m in cls.messages:
        st.warning(m, icon=":material/link_off:")
    if cls.all_hidden:
        st.markdown(_HIDE_SIDEBAR_CSS, unsafe_allow_html=True)
    return cls


def link_builder(cls: Classroom, query: Mapping[str, str], page_path: str, key: str) -> str:
    """The page's link and, below it, a classroom link built from checkboxes (one per control).

    A page opened from a locked or hidden classroom link offers neither (a student could otherwise build
    themselves an unlocked link), except to the instructor when an instructor key is set."""
    if (cls.locked or cls.hidden) and not (instructor_key() is not None and is_instructor()):
        st.caption(":material/lock: This page was opened from a classroom link: its links are the instructor's to share.")
        return ""
    st.code(share_link(query, page_path), language=None)
    # the checkboxes only when asked for: drawn on every rerun of every session they cost a class's server
    # more than the rest of the sidebar (py-spy, 30 students, 2026-12-03)
    if not st.toggle("Make a classroom link (hide or lock controls)", key=f"{key}_cl_on"):
        return ""
    st.markdown("**Classroom link** — tick the controls to hide from the class:")
    cols = st.columns(4)
    hidden = {n for i, n in enumerate(cls.names)
              if cols[i % 4].checkbox(n, value=n in cls.hidden, key=f"{key}_cl_hide_{n}")}
    lock = st.checkbox("lock the rest (shown but disabled)", value=cls.locked, key=f"{key}_cl_lock")
    link = share_link(classroom_query(query, hidden, cls.names, lock), page_path)
    st.code(link, language=None)
    st.caption("`?hide=all` hides every control, `?hide=a,b` the named ones, `?lock=1` shows them disabled.")
    return link
