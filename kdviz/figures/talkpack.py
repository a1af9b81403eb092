"""A talk pack: one zip with everything a speaker needs from a view (pure, no Streamlit).

    pack = talk_pack([TalkChart("capacity", fig, caption)], config=cfg, link=url, results=df)
    pack.data      # the zip's bytes
    pack.names     # the files in it
    pack.notes     # what is missing and why (e.g. no chromium: no PNG/SVG)

Contents: ``charts/<name>.png``, ``.svg`` (kaleido + chromium, one browser session for all of them),
``.html`` (interactive, offline; capacity charts carry animation frames), ``captions.md`` (each
chart's title and caption), ``config.json``, ``link.txt``, ``results.csv`` (or ``results_<name>.csv``
for several tables) and ``README.txt`` listing the files and anything missing.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from kdviz.figures import export


@dataclass(frozen=True)
class TalkChart:
    name: str
    fig: go.Figure
    caption: str = ""


@dataclass
class TalkPack:
    data: bytes
    names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:60] or "chart"


def _title(fig: go.Figure) -> str:
    return fig.layout.title.text or ""


def captions_markdown(charts: Sequence[TalkChart], title: str, link: str) -> str:
    lines = [f"# {title}", "", f"View: {link}", ""]
    for c in charts:
        lines += [f"## {_title(c.fig) or c.name}", "", f"Files: `charts/{_slug(c.name)}.png|svg|html`", ""]
        if c.caption:
            lines += [c.caption.strip(), ""]
    return "\n".join(lines)


#: ``csv:DIR/FILE`` inside a text (up to a space or a quote; not ``csv:<path>``); its file name is group 1
_CSV_IN_TEXT = re.compile(r"csv:(?:[^\s'\"`,;()<]*[/\\])([^\s/\\'\"`,;()]+)")
#: an absolute POSIX path inside a text (not a URL's or a ratio's slash); its last part is group 1
_ABS_IN_TEXT = re.compile(r"(?<![\w:/.~-])(?:/[^\s/'\"`,;()]+)*/([^\s/'\"`,;()]+)")


def no_paths(value: Any) -> Any:
    """`value` with no server path: every ``csv:PATH`` dataset reduced to ``upload:FILE`` and every absolute
    path in a text to its file name (in a pack, a results CSV, a run's JSON, an error on a page).
    Mappings and lists are cleaned item by item; other values are returned as they are."""
    if isinstance(value, Mapping):
        return {k: no_paths(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [no_paths(v) for v in value]
    if isinstance(value, str) and value.startswith("csv:") and not value.startswith("csv:<"):
        return "upload:" + value.replace("\\", "/").rsplit("/", 1)[-1]
    if isinstance(value, str) and ("/" in value or "csv:" in value):
        return _ABS_IN_TEXT.sub(r"\1", _CSV_IN_TEXT.sub(r"upload:\1", value))
    return value


def table_no_paths(df: pd.DataFrame) -> pd.DataFrame:
    """A results table with no server path in any text column (uploads named by file: ``upload:FILE``).
    The same table is returned when there is nothing to clean."""
    def texts(col: pd.Series) -> bool:
        return (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)
                or isinstance(col.dtype, pd.CategoricalDtype))

    dirty = [c for c in df.columns if texts(df[c])
             and df[c].astype(str).str.contains("/|csv:", regex=True).any()]
    return df.assign(**{str(c): df[c].astype(object).map(no_paths) for c in dirty}) if dirty else df


def add_images(files: dict[str, bytes], notes: list[str], figures: Sequence[tuple[str, Any]],
               formats: Sequence[str]) -> None:
    """Render each (name, figure) in each image format in one kaleido session into ``files["charts/NAME.FMT"]``;
    a failed export adds a note instead."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"{name}.{fmt}" for name, _ in figures for fmt in formats]
        try:
            export.write_figures([fig for _, fig in figures for _ in formats], paths)
            for p in paths:
                files[f"charts/{p.name}"] = p.read_bytes()
        except export.ExportError as e:
            notes.append(f"PNG/SVG are missing: {e}")


def talk_pack(charts: Sequence[TalkChart], *, config: Mapping[str, Any] | None = None, link: str = "",
              results: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None, title: str = "kdviz talk pack",
              images: bool | None = None) -> TalkPack:
    """Build the zip. `images=None` renders PNG/SVG when a browser is available (`False`: never)."""
    notes: list[str] = []
    files: dict[str, bytes] = {}
    names = [_slug(c.name) for c in charts]
    for c, n in zip(charts, names):
        files[f"charts/{n}.html"] = export.figure_bytes(c.fig, "html")
    want_images = export.browser_available() if images is None else images
    if want_images and charts:
        add_images(files, notes, [(n, c.fig) for n, c in zip(names, charts)], ("png", "svg"))
    elif charts:
        notes.append("PNG/SVG are missing: " + (export.NO_BROWSER_MESSAGE if images is None else "not requested."))
    files["captions.md"] = captions_markdown(charts, title, link).encode()
    files["config.json"] = json.dumps(no_paths(dict(config or {})), indent=1, default=str).encode()
    files["link.txt"] = (link + "\n").encode()
    if isinstance(results, pd.DataFrame):
        files["results.csv"] = table_no_paths(results).to_csv(index=False).encode()
    elif results:
        for k, df in results.items():
            if df is not None and len(df):
                files[f"results_{_slug(k)}.csv"] = table_no_paths(df).to_csv(index=False).encode()
    if not any(k.endswith(".csv") for k in files):
        notes.append("No results table: this view has no results yet.")
    return zip_pack(files, [title], notes)


def zip_pack(files: dict[str, bytes], intro: list[str], notes: list[str]) -> TalkPack:
    """`files` zipped with a README.txt: the `intro` lines, the list of files and what is missing."""
    readme = [*intro, "", "Files:", *[f"- {k}" for k in sorted(files)], ""]
    if notes:
        readme += ["Missing:", *[f"- {n}" for n in notes], ""]
    files["README.txt"] = "\n".join(readme).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in files.items():
            z.writestr(k, v)
    return TalkPack(buf.getvalue(), sorted(files), notes)
