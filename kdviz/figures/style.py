"""kdviz's look for any Plotly figure: the standard and presentation styles, the projector (dark)
theme, and capacity-chart animation frames for exported HTML. Pure functions, no Streamlit."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go


def style_figure(fig: go.Figure, presentation: bool = False) -> go.Figure:
    """Apply kdviz's look in place and return the figure.

    presentation=True: large fonts, thicker lines, the Plotly ``presentation`` template on white,
    legend below the plot (room for the curves on a projector).
    """
    top = 30 if fig.layout.title.subtitle.text else 0  # room for a subtitle under the title
    if presentation:
        wrap_title(fig)
    if presentation and fig.layout.title.text and "<br>" in fig.layout.title.text:
        top += 32 * fig.layout.title.text.count("<br>")
    if presentation:
        entries = [t.name or "" for t in fig.data if t.showlegend is not False and t.name]
        # a few short entries fit in one row under the x-axis title; more would wrap onto it (and a column on
        # the right squeezes the plot on a 1280-px screen): one entry per row at the bottom, the figure grows
        below = len(entries) <= 4 and sum(len(n) + 6 for n in entries) <= 70
        rows = 0 if below else len(entries)
        grown = 0  # styled before: the rows it added to the height already
        if fig.layout.legend.entrywidthmode == "fraction" and fig.layout.margin.b and fig.layout.height:
            grown = 26 * max(0, round((fig.layout.margin.b - 130) / 26))
        fig.update_layout(
            template="plotly_white+presentation",
            font=dict(size=20),
            title_font=dict(size=26),
            legend=dict(font=dict(size=18), orientation="h", yanchor="top", y=-0.22, x=0) if below
            else dict(font=dict(size=16), orientation="h", entrywidthmode="fraction", entrywidth=1,
                      yref="container", y=0, yanchor="bottom", xref="container", x=0, tracegroupgap=0),
            margin=dict(l=90, r=30, t=80 + top, b=150 if below else 130 + 26 * rows),
            height=max(int(fig.layout.height or 0) - grown, 620) + 26 * rows,
        )
        fig.update_xaxes(title_font=dict(size=22), tickfont=dict(size=18), showline=True, linewidth=2,
                         linecolor="#333")
        fig.update_yaxes(title_font=dict(size=22), tickfont=dict(size=18), showline=True, linewidth=2,
                         linecolor="#333")
        fig.update_traces(selector=dict(type="scatter", mode="lines+markers"), line_width=4, marker_size=12)
    else:
        long_names = max((len(t.name or "") for t in fig.data if t.showlegend is not False), default=0) > 45
        fig.update_layout(
            template="plotly_white",
            font=dict(size=13),
            # long legend entries on the right would squeeze the plot: put them below it
            legend=dict(orientation="h", yanchor="top", y=-0.15, x=0) if long_names
            else dict(orientation="v", yanchor="top", y=1, x=1.02),
            margin=dict(l=70, r=20, t=60 + top, b=60),
        )
        if long_names:
            fig.update_layout(height=int(fig.layout.height or 450) + 40 * sum(t.showlegend is not False for t in fig.data) // 2)
        fig.update_xaxes(showline=True, linecolor="#888", mirror=False)
        fig.update_yaxes(showline=True, linecolor="#888", mirror=False)
    # plain tick labels (0.001, 10000), never SI prefixes (1m, 100μ) a class may not know
    fig.update_xaxes(exponentformat="none")
    fig.update_yaxes(exponentformat="none")
    return fig


TITLE_WRAP = 46  # characters per title line in presentation mode (26-px font, a chart 740 px wide)


def wrap_title(fig: go.Figure, width: int = TITLE_WRAP) -> bool:
    """Break a long one-line title onto lines of at most `width` characters, in place; whether it did."""
    import textwrap

    text = fig.layout.title.text
    if not text or "<br>" in text or len(text) <= width:
        return False
    fig.update_layout(title_text="<br>".join(textwrap.wrap(text, width)))
    return True


def fit_for_presentation(fig: go.Figure) -> go.Figure:
    """A copy whose long title is wrapped (its top margin grown to match), for a figure titled after styling."""
    import textwrap

    fig = go.Figure(fig)
    before = fig.layout.margin.t
    if wrap_title(fig):
        fig.update_layout(margin_t=(before or 80) + 32 * fig.layout.title.text.count("<br>"))
    if fig.layout.legend.entrywidthmode == "fraction":  # one entry per row: a long one on two lines
        extra = 0
        for tr in fig.data:
            if tr.name and len(tr.name) > 56 and "<br>" not in tr.name and tr.showlegend is not False:
                tr.name = "<br>".join(textwrap.wrap(tr.name, 56))
                extra += tr.name.count("<br>")
        if extra:
            fig.update_layout(margin_b=(fig.layout.margin.b or 130) + 22 * extra,
                              height=(fig.layout.height or 620) + 22 * extra)
    return fig


def drop_title_for_presentation(fig: go.Figure, presentation: bool) -> go.Figure:
    """Presentation mode keeps charts uncluttered: the page already says what the chart is."""
    if presentation:
        fig.update_layout(title_text="")
    return fig


# ----------------------------------------------------------------------------------------------
# projector theme
#: the projector theme's colours: one source for the page (ui.common builds its CSS from these) and the charts
PROJECTOR = dict(
    bg="#000000", fg="#FFFFFF", grid="#3A3A3A", line="#BBBBBB", muted="#D0D0D0", link="#7FD4FF",
    code_bg="#222222", code_fg="#FFE066", panel="#1A1A1A", border="#BBBBBB", disabled="#A0A0A0",
    success_bg="#0E3B1F", info_bg="#0B2E4A", warning_bg="#4A3800", error_bg="#4D0F12",
    delta_bg="#1A1A1A", boundary="#FFFFFF", input_bg="#111111",
)
#: every text-on-background pair the projector page and its charts draw (WCAG AA: contrast ≥ 4.5:1)
PROJECTOR_TEXT_PAIRS: dict[str, tuple[str, str]] = {
    "page text": ("fg", "bg"), "captions": ("muted", "bg"), "links": ("link", "bg"), "code": ("code_fg", "code_bg"),
    "buttons and expanders": ("fg", "panel"), "disabled buttons": ("disabled", "panel"),
    "text inputs": ("fg", "input_bg"), "success alerts (lesson verdict)": ("fg", "success_bg"),
    "info alerts": ("fg", "info_bg"), "warning alerts": ("fg", "warning_bg"), "error alerts": ("fg", "error_bg"),
    "links in alerts": ("link", "info_bg"), "metric values and labels": ("fg", "bg"),
    "metric deltas": ("fg", "delta_bg"), "chart text": ("fg", "bg"), "chart axis lines": ("line", "bg"),
}
#: Playground / lesson heat maps on a dark page: blue → near-black (p = 0.5) → red, the boundary line white
PROBA_SCALE_DARK = [[0.0, "#4F9BE0"], [0.5, "#141414"], [1.0, "#F0565B"]]
_DARK_SWAP = {"#000000": "#FFFFFF", "#000": "#FFFFFF", "#111": "#EEEEEE", "#222": "#DDDDDD", "#333": "#DDDDDD",
              "#444444": "#CCCCCC", "#555": "#DDDDDD", "#555555": "#DDDDDD", "#7F7F7F": "#BBBBBB",
              "#888": "#BBBBBB", "black": "#FFFFFF"}


def _rgb(color: str) -> tuple[float, float, float] | None:
    c = color.strip()
    if c.startswith("#"):
        h = c[1:]
        if len(h) == 3:
            h = "".join(ch * 2 for ch in h)
        if len(h) != 6:
            return None
        return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]
    m = c.replace(" ", "")
    if m.startswith(("rgb(", "rgba(")):
        parts = m[m.index("(") + 1:-1].split(",")
        return tuple(float(v) / 255 for v in parts[:3])  # type: ignore[return-value]
    return None


def luminance(color: str) -> float:
    """WCAG relative luminance of a hex or rgb() colour."""
    rgb = _rgb(color)
    if rgb is None:
        raise ValueError(f"not a colour: {color!r}")
    lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_on(color: Any, bg: str = PROJECTOR["bg"], ratio: float = 3.0) -> Any:
    """`color` lightened toward white (same hue) until it stands out on `bg` by `ratio` (keeps its alpha)."""
    if not isinstance(color, str):
        return color
    color = _DARK_SWAP.get(color, color)
    rgb = _rgb(color)
    if rgb is None or contrast(color, bg) >= ratio:
        return color
    alpha = color[color.rindex(",") + 1:-1] if color.replace(" ", "").startswith("rgba(") else None
    for t in np.linspace(0.05, 1.0, 20):
        mixed = [v + (1 - v) * t for v in rgb]
        hexed = "#" + "".join(f"{round(v * 255):02X}" for v in mixed)
        if contrast(hexed, bg) >= ratio:
            break
    if alpha is not None:
        return "rgba(" + ",".join(str(round(v * 255)) for v in mixed) + f",{alpha})"
    return hexed


def _swap(color: Any) -> Any:
    return _DARK_SWAP.get(color, color) if isinstance(color, str) else color


def _dark_trace(tr: Any) -> None:
    """One trace in the projector theme: every line, marker and error bar readable on black; heat maps get
    the dark colour scale and the 50 % boundary line turns white."""
    if tr.type in ("heatmap", "contour") and getattr(tr, "colorscale", None) is not None:
        scale = [[float(a), str(b)] for a, b in tr.colorscale]
        if len(scale) == 3 and scale[1][1].upper() == "#F7F7F7" and tr.zmin == 0 and tr.zmax == 1:
            tr.colorscale = PROBA_SCALE_DARK
    if tr.type == "contour":
        tr.line.color = PROJECTOR["boundary"]
        tr.line.width = max(tr.line.width or 0, 2)
        return
    if getattr(tr, "line", None) is not None and tr.line.color is not None:
        tr.line.color = readable_on(tr.line.color)
    marker = getattr(tr, "marker", None)
    if marker is not None and isinstance(marker.color, str):
        marker.color = readable_on(marker.color)
    if marker is not None and getattr(marker, "line", None) is not None and isinstance(marker.line.color, str):
        thin = marker.line.width is not None and marker.line.width < 1  # a hairline outline (points on a heat map)
        marker.line.color = "#000000" if thin else readable_on(marker.line.color)
    for err in ("error_y", "error_x"):
        e = getattr(tr, err, None)
        if e is not None and e.color is not None:
            e.color = readable_on(e.color)
    if getattr(tr, "fillcolor", None) and tr.fill in ("toself", "tonexty", "tozeroy"):
        tr.fillcolor = readable_on(tr.fillcolor, ratio=1.5)


def apply_theme(fig: go.Figure, theme: str = "light") -> go.Figure:
    """A copy of `fig` in `theme`: "light" returns it unchanged; "projector" is dark and high-contrast
    (black background, white text and axes, every trace colour lifted to ≥ 3:1 against black, grey
    annotations lightened, heat maps on a dark diverging scale with a white 50 % boundary)."""
    if theme != "projector":
        return fig
    fig = go.Figure(fig)
    big = (fig.layout.font.size or 0) >= 18  # presentation mode: keep the presentation template's sizes
    fig.update_layout(template="plotly_dark+presentation" if big else "plotly_dark",
                      paper_bgcolor=PROJECTOR["bg"], plot_bgcolor=PROJECTOR["bg"], font_color=PROJECTOR["fg"],
                      legend_font_color=PROJECTOR["fg"], title_font_color=PROJECTOR["fg"],
                      legend_bgcolor="rgba(0,0,0,0)")
    fig.update_xaxes(gridcolor=PROJECTOR["grid"], linecolor=PROJECTOR["line"], zerolinecolor=PROJECTOR["grid"])
    fig.update_yaxes(gridcolor=PROJECTOR["grid"], linecolor=PROJECTOR["line"], zerolinecolor=PROJECTOR["grid"])
    for tr in fig.data:
        _dark_trace(tr)
    for a in fig.layout.annotations:
        a.font.color = PROJECTOR["fg"] if a.font.color in (None, "#555", "#333", "#222") else readable_on(
            a.font.color, ratio=4.5)
    for sh in fig.layout.shapes:
        if sh.line is not None and sh.line.color is not None:
            sh.line.color = readable_on(sh.line.color)
    return fig


# ----------------------------------------------------------------------------------------------
# animation: a capacity chart whose curves grow capacity by capacity (plays offline in exported HTML)
CAPACITY_META = "kdviz:capacity"


def is_capacity_chart(fig: go.Figure) -> bool:
    return fig.layout.meta == CAPACITY_META


def _upto(tr: Any, cap: float) -> dict[str, Any] | None:
    """A trace's x/y cut at capacity `cap` (bands: both edges), or None for traces that stay fixed."""
    if tr.x is None or tr.y is None or tr.type != "scatter":
        return None
    x, y = np.asarray(tr.x, dtype=float), np.asarray(tr.y, dtype=float)
    if tr.fill == "toself" and len(x) == 4 and np.unique(x).size == 2:  # a flat band (no-KD, oracle): fixed
        return None
    if tr.fill == "toself" and len(x) % 2 == 0 and len(x) > 2:  # a band: forward edge then the reverse edge
        h = len(x) // 2
        keep = x[:h] <= cap
        xf, hi, lo = x[:h][keep], y[:h][keep], y[h:][::-1][keep]
        return dict(x=np.concatenate([xf, xf[::-1]]).tolist(), y=np.concatenate([hi, lo[::-1]]).tolist())
    if len(x) <= 2 and tr.mode == "lines":  # a flat reference line (no-KD, oracle): always shown
        return None
    keep = x <= cap
    out: dict[str, Any] = dict(x=x[keep].tolist(), y=y[keep].tolist())
    if tr.customdata is not None:
        out["customdata"] = np.asarray(tr.customdata)[keep].tolist()
    if tr.error_y is not None and tr.error_y.array is not None:  # the whole error-bar spec, in every frame
        out["error_y"] = dict(type="data", array=np.asarray(tr.error_y.array)[keep].tolist(), visible=True,
                              color=tr.error_y.color, thickness=tr.error_y.thickness, width=tr.error_y.width)
    return out


def animate_capacity(fig: go.Figure) -> go.Figure:
    """A copy of a capacity chart with one animation frame per capacity (curves grow left to right),
    ▶ Play / Pause buttons and a capacity slider; the axes are fixed so nothing jumps."""
    fig = go.Figure(fig)
    idx = [i for i, tr in enumerate(fig.data) if _upto(tr, np.inf) is not None]
    caps = sorted({float(c) for i in idx for c in np.asarray(fig.data[i].x, dtype=float)})
    if len(caps) < 2:
        return fig
    xs = np.concatenate([np.asarray(t.x, dtype=float) for t in fig.data if t.x is not None])
    ys = np.concatenate([np.asarray(t.y, dtype=float) for t in fig.data if t.y is not None])
    xs, ys = xs[np.isfinite(xs)], ys[np.isfinite(ys)]
    if fig.layout.xaxis.type == "log":
        lo, hi = np.log10(xs[xs > 0].min()), np.log10(xs.max())
        pad = 0.04 * (hi - lo or 1)
        fig.update_xaxes(range=[lo - pad, hi + pad], autorange=False)
    else:
        pad = 0.04 * (xs.max() - xs.min() or 1)
        fig.update_xaxes(range=[xs.min() - pad, xs.max() + pad], autorange=False)
    if fig.layout.yaxis.range is None:
        ypad = 0.06 * (ys.max() - ys.min() or abs(ys.max()) or 1)
        fig.update_yaxes(range=[ys.min() - ypad, ys.max() + ypad], autorange=False)
    names = [f"{c:g}" for c in caps]
    fig.frames = [go.Frame(name=n, traces=idx, data=[go.Scatter(**_upto(fig.data[i], c)) for i in idx])
                  for n, c in zip(names, caps)]
    for i in idx:  # the first frame is what a slide shows before Play
        fig.data[i].update(**_upto(fig.data[i], caps[0]))
    step_ms = 1000  # one capacity a second; every frame is redrawn whole (error bars and bands do not tween)
    # the title block at the top, then the ▶ Play / Pause buttons, then the slider just above the plot: stacked,
    # so that none covers another however narrow the chart (the slider's own label needs ≈ 80 px)
    t = (fig.layout.margin.t or 60) + 130
    height = int(fig.layout.height or 450) + 130  # a fixed height: the stacking below is in pixels
    plot_h = max(height - t - int(fig.layout.margin.b or 60), 150)
    fig.update_layout(
        margin=dict(t=t), height=height, title=dict(yref="container", y=1.0, yanchor="top", pad=dict(t=12)),
        updatemenus=[dict(type="buttons", direction="left", x=0.0, xanchor="left", y=1.0 + 82 / plot_h,
                          yanchor="bottom", pad=dict(b=4), showactive=False, buttons=[
                              dict(label="▶ Play", method="animate",
                                   args=[None, dict(frame=dict(duration=step_ms, redraw=True), fromcurrent=True,
                                                    transition=dict(duration=0), mode="immediate")]),
                              dict(label="Pause", method="animate",
                                   args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate")])])],
        sliders=[dict(active=0, x=0.0, len=1.0, y=1.0, yanchor="bottom", pad=dict(b=8, t=0),
                      currentvalue=dict(prefix="teacher capacity ≤ "),
                      steps=[dict(label=n, method="animate",
                                  args=[[n], dict(frame=dict(duration=0, redraw=True), mode="immediate")])
                             for n in names])],
    )
    return fig
