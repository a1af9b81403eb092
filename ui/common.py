"""Streamlit helpers shared by every page: presentation mode, charts with export buttons, job progress.

    from ui.common import page_setup, presentation_mode, show_chart
    page_setup("Sweep")
    present = presentation_mode()          # sidebar toggle, also on with ?present=1
    show_chart(capacity_chart(df, "test_auc", presentation=present), key="main",
               caption=caption_for("test_auc"))
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from kdviz.cli.tools import format_seconds
from kdviz.figures import export
from kdviz.figures.style import PROJECTOR, apply_theme, fit_for_presentation
from kdviz.figures.talkpack import no_paths
from kdviz.jobs import ACTIVE, JobRecord, Status
from kdviz.runtime import offload
from ui.identity import instructor_sidebar

_PRESENT_STATE = "kdviz_present"
_TRUE = {"1", "true", "yes", "on"}

_PRESENT_CSS = """
<style>
  html, body, [data-testid="stAppViewContainer"] { font-size: 20px; }
  [data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"] { font-size: 1.15rem; }
  h1 { font-size: 2.8rem !important; }
  footer, [data-testid="stDecoration"] { display: none !important; }  /* the ⋮ menu (print, record) stays */
  .block-container { padding-top: 1.5rem; max-width: 96%; }
</style>
"""

#: the projector theme: black background, white text, high-contrast links, dark alerts, metric deltas and
#: inputs (charts follow via show_chart). Built from `kdviz.figures.style.PROJECTOR`, whose text/background pairs
#: are contrast-tested (WCAG AA).
_PROJECTOR_CSS = """
<style>
  [data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stHeader"], [data-testid="stSidebar"],
  [data-testid="stMain"], [data-testid="stBottom"] > div {{ background: {bg} !important; color: {fg} !important; }}
  [data-testid="stMarkdownContainer"], [data-testid="stMarkdownContainer"] *, [data-testid="stWidgetLabel"] *,
  [data-testid="stMetricValue"], [data-testid="stMetricValue"] *, [data-testid="stMetricLabel"] *, h1, h2, h3, h4,
  label, label *, [data-testid="stPageLink"] *, [role="tab"] *, [role="radiogroup"] *, [data-testid="stText"],
  [data-testid="stProgress"] *, [data-testid="stHeadingWithActionElements"] *, [data-testid="stStatusWidget"] *,
  [data-testid="stToolbar"] * {{ color: {fg} !important; }}
  [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * {{ color: {muted} !important; }}
  a, a *, [data-testid="stMarkdownContainer"] a, [data-testid="stMarkdownContainer"] a * {{ color: {link} !important; }}
  code {{ background: {code_bg} !important; color: {code_fg} !important; }}
  [data-testid^="stBaseButton-secondary"], [data-testid="stDownloadButton"] button, [data-testid^="stBaseButton-pills"],
  [data-testid="stExpander"] details, [data-testid="stExpander"] summary, [data-testid="stPopover"] button,
  [data-testid^="stBaseButton-secondaryFormSubmit"]
  {{ background: {panel} !important; color: {fg} !important; border-color: {border} !important; }}
  [data-testid^="stBaseButton"] *, [data-testid="stExpander"] summary * {{ color: {fg} !important; }}
  [data-testid^="stBaseButton"]:disabled, [data-testid^="stBaseButton"]:disabled * {{ color: {disabled} !important; }}
  [data-baseweb="input"], [data-baseweb="input"] input, [data-baseweb="select"] > div, [data-baseweb="textarea"],
  textarea, [data-testid="stNumberInputContainer"] input
  {{ background: {input_bg} !important; color: {fg} !important; border-color: {border} !important; }}
  [data-baseweb="tag"], [data-baseweb="tag"] * {{ background: {panel} !important; color: {fg} !important; }}
  [data-testid="stAlertContainer"] * {{ color: {fg} !important; }}
  [data-testid="stAlertContainer"] a, [data-testid="stAlertContainer"] a * {{ color: {link} !important; }}
  [data-testid="stAlertContainer"]:has([data-testid="stAlertContentSuccess"]) {{ background: {success_bg} !important; }}
  [data-testid="stAlertContainer"]:has([data-testid="stAlertContentInfo"]) {{ background: {info_bg} !important; }}
  [data-testid="stAlertContainer"]:has([data-testid="stAlertContentWarning"]) {{ background: {warning_bg} !important; }}
  [data-testid="stAlertContainer"]:has([data-testid="stAlertContentError"]) {{ background: {error_bg} !important; }}
  [data-testid="stMetricDelta"] {{ background: {delta_bg} !important; color: {fg} !important;
                                   border: 1px solid {border}; }}
  [data-testid="stMetricDelta"] *, [data-testid="stMetricDelta"] svg {{ color: {fg} !important; fill: {fg} !important; }}
</style>
""".format(**PROJECTOR)
THEMES = ("light", "projector")
_THEME_STATE = "kdviz_theme"


NAV = (("app.py", "Home", ":material/home:"), ("pages/1_Playground.py", "Playground", ":material/tune:"),
       ("pages/2_Sweep.py", "Sweep", ":material/show_chart:"), ("pages/3_Theory.py", "Theory", ":material/functions:"),
       ("pages/4_Runs.py", "Runs", ":material/history:"),
       ("pages/5_Lesson.py", "Lesson", ":material/school:"), ("pages/6_Paper.py", "Paper", ":material/article:"))
ROOT = Path(__file__).resolve().parents[1]


def page_setup(title: str, icon: str = ":material/school:", layout: str = "wide") -> None:
    """st.set_page_config with kdviz defaults and the sidebar navigation (call first on every page); the first
    page of a server process also starts its helper processes (kdviz.runtime.offload)."""
    offload.prestart("kdviz.teaching.playground")
    try:
        st.set_page_config(page_title=f"{title} · kdviz", page_icon=icon, layout=layout)
    except st.errors.StreamlitAPIException:  # already set (e.g. in tests)
        pass
    with st.sidebar:
        st.markdown("### kdviz")
        for path, label, emoji in NAV:
            if (ROOT / path).exists():
                page_link(path, label=label, icon=emoji)
        st.divider()
        instructor_sidebar()


def page_link(path: str, label: str, icon: str | None = None, query_params: dict | None = None) -> None:
    """st.page_link that degrades to a plain link when the page is run on its own (tests)."""
    try:
        st.page_link(path, label=label, icon=icon, query_params=query_params)
    except st.errors.StreamlitAPIException:
        name = path.rsplit("/", 1)[-1].removesuffix(".py").split("_", 1)[-1]
        st.markdown(f"[{label}](/{name})")


def presentation_mode() -> bool:
    """Sidebar toggle for presentation mode; a link with ``?present=1`` switches it on.

    In presentation mode a theme choice appears: ``projector`` (dark, high contrast; charts follow) is
    also set by ``?theme=projector`` (which implies presentation mode). Both are kept for the session
    (all pages) and written back to the URL so a shared link keeps them. ``?hide=present`` (or
    ``hide=all``) hides the toggle and keeps the link's choice.
    """
    from ui.classroom import hides, locked

    ss = st.session_state
    if _PRESENT_STATE not in ss:
        ss[_PRESENT_STATE] = str(st.query_params.get("present", "")).lower() in _TRUE
    if _THEME_STATE not in ss:
        ss[_THEME_STATE] = "projector" if st.query_params.get("theme") == "projector" else "light"
        ss[_PRESENT_STATE] = ss[_PRESENT_STATE] or ss[_THEME_STATE] == "projector"
    show = not hides("present")
    on = bool(ss[_PRESENT_STATE])
    if show:
        on = st.sidebar.toggle("Presentation mode", value=on, disabled=locked(),
                               help="Large fonts and a clean chart template for projectors and talks "
                                    "(also: add ?present=1 to the link).")
    ss[_PRESENT_STATE] = on
    theme = ss[_THEME_STATE] if on else "light"
    if on and show:
        theme = st.sidebar.radio("Theme", THEMES, index=THEMES.index(ss[_THEME_STATE]), horizontal=True,
                                 disabled=locked(), key="_kdviz_theme_radio",
                                 help="projector: dark, high contrast (also ?theme=projector); charts follow.")
        ss[_THEME_STATE] = theme
    if on:
        st.query_params["present"] = "1"
        st.markdown(_PRESENT_CSS, unsafe_allow_html=True)
    elif "present" in st.query_params:
        del st.query_params["present"]
    if theme == "projector":
        st.query_params["theme"] = "projector"
        st.markdown(_PROJECTOR_CSS, unsafe_allow_html=True)
    elif "theme" in st.query_params:
        del st.query_params["theme"]
    return on


def current_theme() -> str:
    """"projector" while presentation mode is on with the projector theme, else "light"."""
    ss = st.session_state
    return ss.get(_THEME_STATE, "light") if ss.get(_PRESENT_STATE) else "light"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:60] or "chart"


@functools.lru_cache(maxsize=32)
def _image_bytes(fig_json: str, fmt: str) -> bytes:
    import plotly.io as pio

    return export.figure_bytes(pio.from_json(fig_json), fmt)


def _deferred(fig: go.Figure, fmt: str) -> Callable[[], bytes]:
    def make() -> bytes:
        try:
            return _image_bytes(fig.to_json(), fmt)  # the same chart clicked twice renders once
        except export.ExportError as e:  # the click already happened: hand back the reason as text
            return str(e).encode()

    return make


def export_buttons(fig: go.Figure, key: str, filename: str | None = None) -> None:
    """PNG / SVG / HTML download buttons. Images are rendered only when clicked (kaleido ≈ 3 s)."""
    name = _slug(filename or (fig.layout.title.text or key))
    has_browser = export.browser_available()
    row = st.container(horizontal=True, gap="small")
    for fmt in ("png", "svg"):  # the figure is serialised only when a button is clicked, not on every rerun
        row.download_button(
            f"⬇ {fmt.upper()}", data=_deferred(fig, fmt) if has_browser else b"",
            file_name=f"{name}.{fmt}", mime=export.MIME[fmt], key=f"{key}_dl_{fmt}",
            disabled=not has_browser, on_click="ignore",
            help=None if has_browser else export.NO_BROWSER_MESSAGE,
        )
    row.download_button(
        "⬇ HTML", data=lambda: export.figure_bytes(go.Figure(fig), "html"),
        file_name=f"{name}.html", mime="text/html", key=f"{key}_dl_html", on_click="ignore",
        help="Standalone interactive chart (works offline)",
    )
    if not has_browser:
        row.caption("PNG/SVG unavailable: no Chrome/Chromium on the server. HTML export works.")


class _Marshalled(go.Figure):
    """A figure that hands `st.plotly_chart` a plotly dict made earlier (`marshalled`)."""

    def __init__(self, spec: dict[str, Any]):
        layout = spec.get("layout") or {}
        super().__init__(layout={k: layout[k] for k in ("width", "height") if layout.get(k) is not None})
        self._kdviz_spec = spec

    def to_dict(self) -> dict[str, Any]:
        return self._kdviz_spec


_SPECS: dict[int, dict[str, Any]] = {}  # id of a live figure → its plotly dict


def marshalled(fig: go.Figure) -> go.Figure:
    """`fig` for `st.plotly_chart`, its plotly dict (`fig.to_dict()`, a deep copy: ≈ 20 ms for the
    Playground's heat maps) made once per figure object: the figures pages draw are shared by every
    session and never modified (`kdviz.runtime.cache`), so thirty students moving a slider to the same setting
    pay for it once. The dict is dropped with its figure."""
    spec = _SPECS.get(id(fig))
    if spec is None:
        spec = fig.to_dict()
        _SPECS[id(fig)] = spec
        weakref.finalize(fig, _SPECS.pop, id(fig), None)
    return _Marshalled(spec)


def show_chart(fig: go.Figure, key: str, caption: str | None = None, *, filename: str | None = None,
               exports: bool = True, height: int | str = "content") -> None:
    """Draw a Plotly figure with kdviz's own template (theme=None), its caption and export buttons.

    The figure follows the page's theme (projector: dark, high contrast), exports included."""
    if st.session_state.get(_PRESENT_STATE) and (fig.layout.font.size or 0) >= 18:  # long titles fit the slide
        fig = fit_for_presentation(fig)
    fig = apply_theme(fig, current_theme())
    st.plotly_chart(marshalled(fig), theme=None, key=key, width="stretch", height=height,
                    config={"displaylogo": False, "toImageButtonOptions": {"scale": 2}})
    if caption:
        st.caption(caption)
    if exports:
        export_buttons(fig, key, filename)


def show_error(message: str, *, prefix: str = "") -> None:
    st.error(f"{prefix}{no_paths(message)}", icon=":material/error:")


def status_badge(status: str) -> str:
    """A plain-text status label (no emoji: they need fonts a fresh machine may lack)."""
    return str(status).upper() if status in (Status.FAILED, Status.INTERRUPTED) else str(status)


def job_progress(job_id: str, *, get_job: Callable[[str], JobRecord | None], cancel: Callable[[str], Any],
                 resume: Callable[[str], Any] | None = None, on_update: Callable[[JobRecord], None] | None = None,
                 every: float = 1.0, key: str = "job",
                 queue_place: Callable[[str], tuple[int, float | None] | None] | None = None,
                 may_manage: Callable[[JobRecord], bool] = lambda job: True) -> JobRecord | None:
    """A self-refreshing progress panel (bar, stage, elapsed, ETA, Cancel / Resume) for one background job.

    Runs as an `st.fragment(run_every=every)` while the job is queued or running; when the job ends the
    whole page reruns once and the fragment is then drawn without `run_every`, so it stops ticking.
    `on_update(job)` is called on every tick inside the fragment (e.g. to draw partial results);
    `queue_place(job_id)` gives a queued job's (place, ETA) in the fair queue; `may_manage(job)` is False for a
    run this browser may not cancel or resume (the buttons are disabled; the job layer refuses anyway).
    Returns the job record seen by the first draw (None if the job is gone).
    """
    job = get_job(job_id)
    if job is None:
        st.warning(f"Run {job_id} is not stored any more (deleted?).", icon=":material/search_off:")
        return None
    seen = f"{key}_status_{job_id}"
    st.session_state[seen] = str(job.status)

    @st.fragment(run_every=every if job.active else None)
    def panel() -> None:
        j = get_job(job_id)
        if j is None:  # deleted meanwhile (e.g. from the Runs page)
            st.warning(f"Run {job_id} is not stored any more (deleted?).", icon=":material/search_off:")
            return
        status = j.status
        parts = [status_badge(status)]
        if j.total:
            parts.append(f"{j.done}/{j.total} tasks")
        elif status == Status.QUEUED:
            place = queue_place(job_id) if queue_place is not None else None
            parts.append("waiting for a worker" + (f" · #{place[0]} in the queue" if place else "")
                         + (f" · ETA {format_seconds(place[1])}" if place and place[1] is not None else ""))
        if j.stage and j.stage != status:
            parts.append(j.stage)
        if j.elapsed is not None:
            parts.append(f"elapsed {format_seconds(j.elapsed)}")
        if j.active and j.eta is not None:
            parts.append(f"ETA {format_seconds(j.eta)}")
        text = " · ".join(parts)
        c1, c2 = st.columns([6, 1])
        c1.progress(j.fraction, text=text)  # work weighted by cost, as the ETA counts it
        allowed = may_manage(j)
        not_yours = None if allowed else "Only its owner or the instructor may cancel or resume this run"
        if j.active:
            if c2.button("Cancel", key=f"{key}_cancel_{job_id}", type="secondary", width="stretch",
                         disabled=not allowed, help=not_yours):
                if cancel(job_id) is not False:  # (False: refused, e.g. another student's run; it says why)
                    st.toast("Cancelling the run …")
        elif j.resumable and resume is not None:
            if c2.button("▶ Resume", key=f"{key}_resume_{job_id}", width="stretch", disabled=not allowed,
                         help=not_yours or "Compute only the missing tasks; finished ones come from the store"):
                resume(job_id)
                st.rerun(scope="app")  # the panel ticks again while the job runs
        if status == Status.FAILED:
            show_error(j.error or "unknown error", prefix="The run failed: ")
        elif status in (Status.CANCELLED, Status.INTERRUPTED):
            st.warning(f"The run was {status}; partial results are shown. Resume computes only the missing tasks.")
        if on_update is not None:
            on_update(j)
        if st.session_state.get(seen) in ACTIVE and not j.active:
            st.session_state[seen] = str(status)
            st.rerun(scope="app")
        st.session_state[seen] = str(status)

    panel()
    return job


def talk_pack_button(key: str, charts: list, *, config: dict | None, link: str, results=None,
                     title: str = "kdviz talk pack", filename: str = "kdviz_talk_pack") -> None:
    """"Download talk pack": one zip with each chart as PNG, SVG and HTML, captions.md, the config, the link
    and the results CSV (built when clicked; without chromium: HTML + CSV + config, and the zip says so).
    `charts` holds `kdviz.figures.talkpack.TalkChart`s; they are themed like the page."""
    from kdviz.figures.talkpack import TalkChart, talk_pack

    theme = current_theme()
    themed = [TalkChart(c.name, apply_theme(c.fig, theme), c.caption) for c in charts]
    has_browser = export.browser_available()
    st.download_button(
        "⬇ Download talk pack", data=lambda: talk_pack(themed, config=config, link=link, results=results,
                                                       title=title).data,
        file_name=f"{_slug(filename)}.zip", mime="application/zip", key=f"{key}_talkpack", on_click="ignore",
        help="One zip: every chart of this view as PNG, SVG and interactive HTML, captions (Markdown), the "
             "configuration, the link and the results CSV." + ("" if has_browser else " " + export.NO_BROWSER_MESSAGE))
    if not has_browser:
        st.caption("No Chrome/Chromium on the server: the talk pack holds HTML, CSV and the config, without PNG/SVG.")


def lesson_pack_button(seed: int, *, link: str, present: bool, key: str = "lesson_pack") -> None:
    """"Download the whole lesson": one zip with every step's chart before and after Reveal, captions, the
    questions with this run's answers and a one-page student handout (`kdviz.teaching.lesson_pack`; built when clicked)."""
    from kdviz.teaching.lesson_pack import lesson_pack

    theme = current_theme()
    has_browser = export.browser_available()
    st.download_button(
        "⬇ Download the whole lesson", key=key, on_click="ignore", mime="application/zip",
        data=lambda: lesson_pack(seed, link=link, presentation=present, theme=theme).data,
        file_name=f"kdviz_lesson_seed{seed}.zip",
        help="One zip: every step's chart before and after Reveal (PNG, SVG, HTML), captions, the questions with "
             "this run's answers (answers.md) and a one-page handout for students (handout.html)."
             + ("" if has_browser else " " + export.NO_BROWSER_MESSAGE))
