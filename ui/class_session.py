"""A class session on the Lesson and Playground pages (the logic and the store: `kdviz.teaching.classroom`).

    klass = lesson_class("ls", n_steps)     # Lesson, before the step is read: ?class=CODE joins / follows
    klass.revealed(i, seed); klass.vote(i, seed, choice); klass.poll(i, seed); klass.next_disabled(i)
    pg = playground_class("pg", DEFAULTS, KINDS, validate)   # Playground, before the widgets
    pg.share(query)                                            # after them (instructor: share the settings)

The instructor (`ui.identity.is_instructor`) starts a class in the Lesson sidebar and shows its link and
QR code; a browser that opens ``/Lesson?class=CODE`` joins. Students follow the instructor's step (and
shared Playground settings) through a fragment that polls the store once a second; they can stop
following and rejoin with one click. On a predict step their answer is recorded (once per student) and
the instructor sees the counts live and reveals for everyone. Outside a class every method is a no-op.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from kdviz.teaching import lesson as L
from kdviz.teaching.classroom import ClassError, ClassState, open_class_store
from ui import identity
from ui.classroom import Classroom
from ui.links import from_query

PARAM = "class"
_CODE, _FOLLOW, _VOTED, _SEEN = "class_code", "class_follow", "class_voted", "class_seen"
#: the class version this full run draws, and whether the follow fragment is running inline in it: the version
#: counts as seen (_SEEN) only when the page got to its end (`rendered`), so an interrupted rerun is redone
_RENDERING, _INLINE, _SEEN_AT = "class_rendering", "_class_inline", "_class_seen_at"
#: ?cv=: the class version the browser has drawn, in its own address. The page's end writes it; the browser sends it
#: back with each follow tick. A page that reached its end on the server can still fail to reach the browser (under
#: load Streamlit drops a finished run's last messages when a fragment tick starts a new script runner before they
#: were sent): its tick then carries the old version and the page is drawn again.
ACK = "cv"
#: seconds a drawn page may take to reach the browser before its old ?cv= counts as a lost page
_ACK_GRACE = 2.0


def _rendered() -> None:
    ss = st.session_state
    if _RENDERING in ss:
        ss[_SEEN], ss[_SEEN_AT] = ss[_RENDERING], time.monotonic()
        if st.query_params.get(ACK) != str(ss[_SEEN]):
            st.query_params[ACK] = str(ss[_SEEN])


def _browser_behind(version: int) -> bool:
    """In a follow tick: the browser has not drawn `version` (its ?cv= is older) and the page that drew it on the
    server is more than _ACK_GRACE seconds old, or was never drawn."""
    ss = st.session_state
    if st.query_params.get(ACK) == str(version):
        return False
    return ss.get(_SEEN) != version or time.monotonic() - ss.get(_SEEN_AT, 0.0) > _ACK_GRACE


def _store():
    return open_class_store()


def _controls(code: str) -> bool:
    """The class's instructor: the browser that started it, in instructor mode (with a key set: unlocked)."""
    return identity.is_instructor() and _store().is_owner(code, identity.owner_id())


def _code_from_link() -> str | None:
    """The class this browser is in: ?class=CODE (joined now) or the one joined earlier in this session."""
    ss = st.session_state
    raw = st.query_params.get(PARAM)
    if raw:
        try:
            state = _store().get(raw)
        except ClassError as e:
            st.warning(str(e), icon=":material/group_off:")
            return None
        if ss.get(_CODE) != state.code:
            ss[_CODE], ss[_FOLLOW] = state.code, True
            ss.pop(_SEEN, None)
    elif ss.get(_CODE):
        st.query_params[PARAM] = ss[_CODE]
    return ss.get(_CODE)


def join_url(code: str, page: str = "Lesson") -> str:
    try:
        base = (st.context.url or "").split("?")[0].rsplit("/", 1)[0]
    except Exception:  # noqa: BLE001 - not available in tests
        base = ""
    return f"{base}/{page}?{PARAM}={code}"


def qr_png(text: str) -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=8, border=2)
    return buf.getvalue()


def poll_chart(tally: Mapping[str, int], labels: Mapping[str, str], answer: str | None = None) -> go.Figure:
    """The class's answers per choice (after the reveal the computed answer is green, the rest grey)."""
    keys = list(tally)
    colors = ["#4C78A8"] * len(keys) if answer is None else ["#2CA02C" if k == answer else "#BBBBBB" for k in keys]
    fig = go.Figure(go.Bar(x=[labels[k] for k in keys], y=[tally[k] for k in keys], marker_color=colors,
                           text=[tally[k] for k in keys], textposition="outside", name="answers"))
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=30, b=10), yaxis_title="students",
                      title=f"The class's answers ({sum(tally.values())})",
                      yaxis=dict(rangemode="tozero", dtick=max(1, max(tally.values(), default=1) // 5)))
    return fig


# ----------------------------------------------------------------------------------------------
@dataclass
class LessonClass:
    code: str | None = None
    instructs: bool = False
    state: ClassState | None = None

    @property
    def following(self) -> bool:
        return self.student and bool(st.session_state.get(_FOLLOW, True))

    @property
    def student(self) -> bool:
        return self.code is not None and not self.instructs

    def rendered(self) -> None:
        """Call at the end of the page: the class state it drew counts as seen."""
        if self.student:
            _rendered()

    def revealed(self, i: int, seed: int) -> bool:
        return self.state is not None and self.state.is_revealed(i, seed)

    def _voting_here(self, i: int, seed: int) -> bool:
        s = self.state
        return s is not None and s.voting and (i, seed) == (s.step, s.seed)

    def waits(self, i: int, seed: int) -> bool:
        """A student on the class's open question: the instructor reveals it, not the student's Reveal."""
        return self.student and self._voting_here(i, seed)

    def nav_disabled(self) -> bool:
        return self.following

    def next_disabled(self, i: int) -> bool:
        """Students cannot go past the class's current predict step before the reveal."""
        s = self.state
        return self.following or (self.student and s is not None and s.voting and i >= s.step)

    def vote(self, i: int, seed: int, choice: str | None) -> None:
        """Record a student's answer on the class's open question (a changed answer replaces it)."""
        if not self.student or not self._voting_here(i, seed):
            return
        ss, key = st.session_state, (self.code, i, seed)
        if choice is not None and ss.get(_VOTED, {}).get(key) != choice:
            try:
                _store().vote(self.code, identity.owner_id(), i, seed, choice)
            except ClassError as e:
                st.warning(str(e), icon=":material/how_to_vote:")
                return
            ss.setdefault(_VOTED, {})[key] = choice
        st.caption("Your answer goes to the class poll (you can change it until the instructor reveals)."
                   if choice is not None else "Pick an answer: it goes to the class poll. The instructor reveals.")

    def poll(self, i: int, seed: int) -> None:
        """Instructor on a predict step: the class's answers live, and **Reveal for everyone**."""
        if not self.instructs or self.state is None:
            return
        if self.revealed(i, seed):
            out = L.outcome(i, seed)
            tally = _store().tally(self.code, i, seed)
            held = tally.get(out.answer, 0) if out else 0
            st.plotly_chart(poll_chart(tally, L.STEPS[i].question.choices, out.answer if out else None),
                            key="class_poll_final")
            st.caption(f"{held} of {sum(tally.values())} answers held in this run (green: the answer this "
                       "run's numbers support).")
            return
        if (i, seed) != (self.state.step, self.state.seed):
            return
        code = self.code

        @st.fragment(run_every=1)
        def live() -> None:
            tally = _store().tally(code, i, seed)
            n, members = sum(tally.values()), _store().member_count(code)
            st.markdown(f"**Class poll** — {n} of {members} students answered: "
                        + ", ".join(f"{L.STEPS[i].question.choices[k].split(' (')[0]} **{v}**" for k, v in tally.items()))
            st.plotly_chart(poll_chart(tally, L.STEPS[i].question.choices), key="class_poll_live")
            if st.button("Reveal for everyone", type="primary", icon=":material/visibility:", key="class_reveal"):
                _store().reveal(code, identity.owner_id(), i, seed)
                st.rerun()

        live()


def _instructor_sidebar(klass: LessonClass, P: str) -> None:
    ss = st.session_state
    with st.sidebar:
        st.markdown("### Class")
        if klass.code is None:
            if st.button("Start a class", icon=":material/groups:", key="class_start",
                         help="A short code, a link and a QR code: students who open it follow your steps."):
                try:
                    state = _store().create(identity.owner_id(), int(ss[f"{P}.step"]) - 1, int(ss[f"{P}.seed"]))
                except ClassError as e:
                    st.warning(str(e), icon=":material/group_off:")
                    return
                ss[_CODE], ss[_SEEN] = state.code, state.version
                st.query_params[PARAM] = state.code
                st.rerun()
            return
        st.markdown(f"Class **{klass.code}** · {_store().member_count(klass.code)} students")
        st.download_button("Poll results (CSV)", icon=":material/download:", key="class_csv",
                           data=lambda: _store().export_csv(klass.code, identity.owner_id()),
                           file_name=f"kdviz_class_{klass.code}_poll.csv", mime="text/csv",
                           help="Every answer with the student's display name, judged by this run's numbers.")
        if st.button("End the class", icon=":material/logout:", key="class_end"):
            _store().close_class(klass.code, identity.owner_id())
            ss.pop(_CODE, None)
            st.query_params.pop(PARAM, None)
            st.rerun()


def _join_panel(code: str, open_: bool) -> None:
    url = join_url(code)
    with st.expander(f"Class **{code}** — join link and QR code for the projector", icon=":material/qr_code_2:",
                     expanded=open_):
        c1, c2 = st.columns([1, 2])
        c1.image(qr_png(url), width=220)
        c2.markdown(f"## {code}\nStudents open this link (or scan the code):")
        c2.code(url, language=None)


def _student_bar(klass: LessonClass, lesson: bool = True) -> None:
    """A student's line: following or exploring, with one button to switch. A fragment polls the class every
    second and draws nothing: when the class changed (a step, a reveal, shared settings, the end) it reruns
    the page, which draws the new state (thirty students' polls cost the server little)."""
    ss, code, state = st.session_state, klass.code, klass.state
    ss[_RENDERING] = state.version  # this run draws the class as of this version (seen once the page ends)
    if state.closed:
        st.info(f"Class {code} has ended: explore on your own.", icon=":material/school:")
        return
    following = klass.following
    bar = st.container(horizontal=True, vertical_alignment="center")  # the button wraps below on a narrow page
    bar.markdown(f":material/groups: Class **{code}** · " + (
        (f"following the instructor (step {state.step + 1})" if lesson else
         "following the settings the instructor shares") if following else
        f"exploring on your own — the class is on step {state.step + 1} of the lesson"), width="content")
    if bar.button("Stop following" if following else "Follow the instructor", key="class_follow_btn",
                  icon=":material/explore:" if following else ":material/sync:", width="content"):
        ss[_FOLLOW] = not following
        ss.pop(_SEEN, None)
        st.rerun()

    @st.fragment(run_every=1)
    def watch() -> None:
        try:
            version = _store().snapshot(code).version
        except ClassError:  # the page's next full run shows the error; keep polling
            return
        inline = ss.pop(_INLINE, False)  # inline in a full run: compare with what this run draws
        if (ss.get(_RENDERING) != version) if inline else _browser_behind(version):
            st.rerun()  # the class moved (or the browser missed the page that showed it): redraw the page

    ss[_INLINE] = True
    watch()


def lesson_class(P: str, cls: Classroom) -> LessonClass:
    """The Lesson page's class: start (instructor), join and follow (students); call before reading the step.
    A locked or hidden classroom link offers no "Start a class"."""
    ss = st.session_state
    code = _code_from_link()
    klass = LessonClass()
    if code is not None:
        try:
            state = _store().get(code)
            instructs = _controls(code)
            if not instructs and not state.closed and not ss.get(f"_class_joined_{code}"):
                _store().join(code, identity.owner_id())
                ss[f"_class_joined_{code}"] = True
        except ClassError as e:
            st.warning(str(e), icon=":material/group_off:")
            state, instructs = None, False
        if state is not None and state.closed and instructs:
            ss.pop(_CODE, None)
            st.query_params.pop(PARAM, None)
        else:
            klass = LessonClass(code, instructs, state)
    if identity.is_instructor() and (klass.instructs or (klass.code is None and not cls.locked and not cls.all_hidden)):
        _instructor_sidebar(klass, P)
    if klass.code is None or klass.state is None:
        return klass
    step_key, seed_key, state = f"{P}.step", f"{P}.seed", klass.state
    L.prepare(state.seed, state.step)  # this step's page and the next one, ahead of the class (once per process)
    if klass.instructs:
        if ss.get(_SEEN) is None:  # a fresh session (refresh, restart): continue where the class is
            ss[step_key], ss[seed_key] = state.step + 1, state.seed
        elif (int(ss[step_key]) - 1, int(ss[seed_key])) != (state.step, state.seed):
            state = klass.state = _store().set_step(code, identity.owner_id(), int(ss[step_key]) - 1,
                                                    int(ss[seed_key]))
        ss[_SEEN] = state.version
        _join_panel(code, open_=state.step == 0)
        return klass

    def follow(s: ClassState) -> None:
        ss[step_key], ss[seed_key] = s.step + 1, s.seed

    def rename() -> None:
        try:
            _store().join(code, identity.owner_id(), ss.get("class_name", ""))
        except ClassError as e:
            ss["_class_msg"] = str(e)

    with st.sidebar:
        st.markdown("### Class")
        st.text_input("Your name (optional)", key="class_name", max_chars=30, on_change=rename,
                      help="Shown to the instructor in the poll results only; leave empty to stay anonymous.")
        if ss.get("_class_msg"):
            st.warning(ss.pop("_class_msg"), icon=":material/group_off:")
    if klass.following:
        follow(state)
    _student_bar(klass)
    if not klass.following and state.voting and int(ss[step_key]) - 1 > state.step:
        ss[step_key] = state.step + 1
        st.info(f"The class has not revealed step {state.step + 1} yet: you can explore up to it.",
                icon=":material/lock:")
    i, seed = int(ss[step_key]) - 1, int(ss[seed_key])
    pred = f"lesson_pred_{i}_{seed}"
    if pred not in ss and L.STEPS[i].question is not None:  # after a refresh: the answer recorded earlier
        mine = _store().my_vote(code, identity.owner_id(), i, seed)
        if mine is not None:
            ss[pred] = mine
            ss.setdefault(_VOTED, {})[(code, i, seed)] = mine
    return klass


# ----------------------------------------------------------------------------------------------
@dataclass
class PlaygroundClass:
    code: str | None = None
    instructs: bool = False

    def share(self, query: Mapping[str, str]) -> None:
        """Instructor: a sidebar switch that shares these settings with the class (kept in step while on).
        Students: the settings are drawn (call after the widgets)."""
        if not self.instructs:
            _rendered()
            return
        on = st.sidebar.toggle("Share these settings with the class", key="class_share_pg",
                               help="Students who follow you see this Playground with your settings.")
        try:
            _store().share_settings(self.code, identity.owner_id(), dict(query) if on else None)
        except ClassError as e:
            st.sidebar.warning(str(e), icon=":material/group_off:")


def playground_class(P: str, defaults: Mapping[str, Any], kinds: Mapping[str, str],
                     validate: Callable[[dict], Any]) -> PlaygroundClass:
    """The Playground in a class: followers take the instructor's shared settings (call before the widgets)."""
    ss = st.session_state
    code = ss.get(_CODE) or (st.query_params.get(PARAM) and _code_from_link())
    if not code:
        return PlaygroundClass()
    try:
        if _controls(code):
            return PlaygroundClass(code, True)
        state = _store().get(code)
    except ClassError as e:
        st.warning(str(e), icon=":material/group_off:")
        return PlaygroundClass()
    klass = LessonClass(code, False, state)

    def follow(s: ClassState) -> None:
        if s.settings and ss.get("_class_pg_applied") != s.settings_version:
            values, msgs = from_query(s.settings, defaults, kinds, validate)
            for k, v in values.items():
                if k in kinds:
                    ss[f"{P}.{k}"] = list(v) if isinstance(v, tuple) else v
            ss["_class_pg_applied"] = s.settings_version

    if klass.following:
        follow(state)
    _student_bar(klass, lesson=False)
    if state.settings is None:
        st.caption("Your instructor is not sharing Playground settings right now.")
    return PlaygroundClass(code, False)
