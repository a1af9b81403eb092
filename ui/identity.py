"""Who is at this browser: a per-browser owner identity and the instructor mode.

    from ui.identity import actor, owner_id, is_instructor
    owner_id()        # "b-…": this browser's owner id (a digest of a random secret kept in a cookie)
    is_instructor()   # True once the "Instructor key" matched (or when no key is configured)
    actor()           # kdviz.jobs.owners.Actor(owner_id(), is_instructor()) for the job layer

The secret lives in a first-party cookie (``kdviz_owner``, SameSite=Strict), set by a tiny script the
first time a browser visits; it never appears in a URL or on a page (pages may show `short_label`, a
one-way digest). The instructor key is read from ``$KDVIZ_INSTRUCTOR_KEY`` or ``instructor_key`` in
``.streamlit/secrets.toml``; once typed correctly in the sidebar, a session cookie holds an HMAC of the
key and this browser's secret (not the key), so a page refresh keeps instructor mode until the browser
closes. Wrong keys are refused after a growing delay and are never logged nor put in a link.
"""

from __future__ import annotations

import time

import streamlit as st

from kdviz.jobs.owners import (
    Actor,
    configured_key,
    instructor_token,
    key_matches,
    new_secret,
    owner_from_secret,
    refusal_delay,
    short_owner,
    token_valid,
    valid_secret,
)

OWNER_COOKIE = "kdviz_owner"
INSTRUCTOR_COOKIE = "kdviz_instructor"
KEY_FIELD = "kdviz_instructor_key"
_SECRET = "_kdviz_secret"
_NEW = "_kdviz_secret_unsaved"
_INSTR = "_kdviz_instructor"
_FAILS = "_kdviz_key_failures"
_REFUSED = "_kdviz_key_refused"
_TOKEN_OUT = "_kdviz_token_unsaved"


def _cookies() -> dict:
    try:
        return dict(st.context.cookies)
    except Exception:  # noqa: BLE001 — no request context (AppTest, bare mode): no cookies
        return {}


def _secret() -> str:
    ss = st.session_state
    secret = ss.get(_SECRET)
    if secret is None:
        cookie = _cookies().get(OWNER_COOKIE)
        if valid_secret(cookie):
            secret = cookie
        else:
            secret = new_secret()
            ss[_NEW] = True
        ss[_SECRET] = secret
    return secret


def owner_id() -> str:
    """This browser's owner id (survives a page refresh; a digest of the cookie's secret, never the secret)."""
    return owner_from_secret(_secret())


def short_label() -> str:
    """A short, non-reversible label of this browser's identity, safe to display."""
    return short_owner(owner_id())


def instructor_key() -> str | None:
    """The configured instructor key (environment first, then secrets.toml); None when none is set."""
    from_secrets = None
    try:
        from_secrets = st.secrets.get("instructor_key")
    except Exception:  # noqa: BLE001 — no secrets.toml, or an unreadable one: no key from there
        from_secrets = None
    return configured_key(from_secrets)


def is_instructor() -> bool:
    """Instructor mode: unlocked in this browser session, or everyone when no key is configured."""
    key = instructor_key()
    if key is None:
        return True
    ss = st.session_state
    if ss.get(_INSTR) == key:  # (re-checked against the current key: a changed key locks everyone out)
        return True
    if token_valid(_cookies().get(INSTRUCTOR_COOKIE), key, _secret()):
        ss[_INSTR] = key
        return True
    return False


def actor() -> Actor:
    """Who this session is, for the job layer's permission checks."""
    return Actor(owner_id(), is_instructor())


def _try_key() -> None:
    ss = st.session_state
    given = ss.get(KEY_FIELD) or ""
    ss[KEY_FIELD] = ""  # the typed key never stays in the session
    key = instructor_key()
    if not given:
        return
    if key is not None and key_matches(given, key):
        ss[_INSTR] = key
        ss[_FAILS] = 0
        ss[_TOKEN_OUT] = instructor_token(key, _secret())
        ss.pop(_REFUSED, None)
        return
    ss[_FAILS] = ss.get(_FAILS, 0) + 1
    time.sleep(refusal_delay(ss[_FAILS]))
    ss[_REFUSED] = True


def _leave() -> None:
    ss = st.session_state
    ss.pop(_INSTR, None)
    ss[_TOKEN_OUT] = ""


def _cookie_script() -> None:
    """Write the owner secret (first visit) and the instructor token (after unlocking) to cookies.

    Sent once; the script then blanks its own text, so the secret does not stay in the page's DOM."""
    ss = st.session_state
    parts = []
    secure = "(location.protocol === 'https:' ? '; Secure' : '')"
    if ss.pop(_NEW, False):
        parts.append(f"if (!document.cookie.split('; ').some(c => c.startsWith('{OWNER_COOKIE}='))) "
                     f"document.cookie = '{OWNER_COOKIE}={ss[_SECRET]}; path=/; max-age=31536000; "
                     f"SameSite=Strict' + {secure};")
    token = ss.pop(_TOKEN_OUT, None)
    if token is not None:
        age = "" if token else "; max-age=0"
        parts.append(f"document.cookie = '{INSTRUCTOR_COOKIE}={token}; path=/; SameSite=Strict{age}' + {secure};")
    if parts:
        # values are hex digits only (valid_secret / hmac hexdigest): nothing to escape
        wipe = ("document.querySelectorAll('script').forEach(s => { if (s.textContent.includes('kdviz_')) "
                "s.textContent = ''; });")
        st.html(f"<script>{' '.join(parts)} {wipe}</script>", unsafe_allow_javascript=True)


def instructor_sidebar() -> None:
    """The sidebar's identity block: the "Instructor key" field (when a key is configured), or the
    instructor-mode badge with a way out. Call inside ``with st.sidebar`` (page_setup does)."""
    _secret()
    key = instructor_key()
    if key is not None:
        if is_instructor():
            st.caption(f":material/school: Instructor mode · you are {short_label()}")
            st.button("Leave instructor mode", key="kdviz_leave_instructor", on_click=_leave)
        else:
            st.text_input("Instructor key", type="password", key=KEY_FIELD, on_change=_try_key,
                          help="Only for the instructor: unlocks instructor mode in this browser until it closes.")
            if st.session_state.get(_REFUSED):
                st.error("That is not the instructor key.", icon=":material/lock:")
            st.caption(f"You are {short_label()} (your runs are yours).")
    _cookie_script()
