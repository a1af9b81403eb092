"""Export figures as PNG, SVG (kaleido + a Chrome/Chromium browser) or standalone HTML (always).

    from kdviz.figures.export import figure_bytes, browser_available
    png = figure_bytes(fig, "png")          # raises ExportError with a clear message if no browser
    html = figure_bytes(fig, "html")        # self-contained (plotly.js embedded), works offline;
                                            # a capacity chart gets animation frames (▶ Play on the slide)

Nothing here imports Streamlit.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

from kdviz.errors import KdvizError

FORMATS = ("png", "svg", "html")
MIME = {"png": "image/png", "svg": "image/svg+xml", "html": "text/html"}
_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

NO_BROWSER_MESSAGE = (
    "PNG/SVG export needs a Chrome or Chromium browser on the machine running kdviz, and none was found "
    "(install one, e.g. `apt-get install chromium`, or set BROWSER_PATH). "
    "HTML export works without it and keeps the chart interactive."
)


class ExportError(KdvizError):
    """A figure could not be exported; the message says why and what to do."""


@functools.lru_cache(maxsize=1)
def browser_path() -> str | None:
    """Path of the browser kaleido will use, or None."""
    env = os.environ.get("BROWSER_PATH")
    if env and Path(env).exists():
        return env
    for name in _BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    try:  # kaleido's own lookup (also finds a browser downloaded with `kaleido_get_chrome`)
        from choreographer.browsers.chromium import Chromium

        return Chromium.find_browser(skip_local=False)
    except Exception:  # pragma: no cover - depends on the machine
        return None


def browser_available() -> bool:
    return browser_path() is not None


def _check_format(fmt: str) -> str:
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    return fmt


def _size(fig: go.Figure, width: int | None, height: int | None) -> tuple[int, int]:
    return int(width or fig.layout.width or 1100), int(height or fig.layout.height or 600)


def figure_bytes(fig: go.Figure, fmt: str, *, scale: float = 2.0, width: int | None = None,
                 height: int | None = None) -> bytes:
    """The figure as PNG / SVG / standalone HTML bytes."""
    fmt = _check_format(fmt)
    if fmt == "html":
        from kdviz.figures.style import animate_capacity, is_capacity_chart

        if is_capacity_chart(fig):
            fig = animate_capacity(fig)
        return pio.to_html(fig, include_plotlyjs=True, full_html=True,
                           config={"displaylogo": False, "responsive": True}).encode("utf-8")
    if not browser_available():
        raise ExportError(NO_BROWSER_MESSAGE)
    w, h = _size(fig, width, height)
    try:
        return pio.to_image(fig, format=fmt, width=w, height=h, scale=scale if fmt == "png" else 1)
    except Exception as e:  # kaleido / browser failures: say so in words
        raise ExportError(f"{fmt.upper()} export failed ({type(e).__name__}: {str(e)[:200]}). "
                          "HTML export is still available.") from e


def write_figures(figs: Sequence[go.Figure], paths: Sequence[str | os.PathLike[str]], *,
                  scale: float = 2.0) -> list[Path]:
    """Write several figures in one browser session (≈ one kaleido start-up for all of them).

    The format of each file comes from its suffix (.png, .svg, .html).
    """
    if len(figs) != len(paths):
        raise ExportError(f"got {len(figs)} figures but {len(paths)} paths")
    out = [Path(p) for p in paths]
    images = [(f, p) for f, p in zip(figs, out) if _check_format(p.suffix) != "html"]
    for f, p in zip(figs, out):
        if p.suffix.lower() == ".html":
            p.write_bytes(figure_bytes(f, "html"))
    if images:
        if not browser_available():
            raise ExportError(NO_BROWSER_MESSAGE)
        try:
            pio.write_images([f for f, _ in images], [str(p) for _, p in images],
                             width=[_size(f, None, None)[0] for f, _ in images],
                             height=[_size(f, None, None)[1] for f, _ in images], scale=scale)
        except Exception as e:
            raise ExportError(f"image export failed ({type(e).__name__}: {str(e)[:200]})") from e
    return out
