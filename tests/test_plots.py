"""kdviz.figures.plots and kdviz.figures.export on a small hand-made results table (no fitting)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from kdviz.figures import export, plots
from kdviz.figures.style import style_figure
from kdviz.kd.methods import METHODS, kd_methods
from kdviz.sweep import COLUMNS


def _table(repeats: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    caps = [1, 2, 4, 8]
    for i, cap in enumerate(caps):
        rows.append(dict(method="teacher", capacity=cap, repeat=0, test_auc=0.7 + 0.05 * i,
                         teacher_error_l2=0.3 - 0.05 * i, student_error=np.nan))
        for m, base in (("vanilla", 0.70), ("crossfit", 0.75), ("enhanced", 0.78)):
            for r in range(repeats):
                rows.append(dict(method=m, capacity=cap, repeat=r, test_auc=base + 0.01 * i + 0.01 * rng.standard_normal(),
                                 student_error=0.05 - 0.005 * i + 0.001 * r, oracle_error=0.01))
    for r in range(repeats):
        rows.append(dict(method="no_kd", capacity=np.nan, repeat=r, test_auc=0.72 + 0.01 * r, student_error=0.06,
                         oracle_error=0.01))
    df = pd.DataFrame(rows).reindex(columns=COLUMNS)
    df["dataset"], df["teacher"], df["capacity_name"] = "synthetic:gmm", "rf-depth", "max_depth"
    df["oracle_error"] = 0.01
    return df


def test_method_colours_symbols_and_labels_are_distinct():
    assert {"teacher", "oracle", *kd_methods()} == set(METHODS)
    for attr in ("color", "symbol", "label"):
        values = [getattr(m, attr) for m in METHODS.values()]
        assert len(set(values)) == len(values), attr


def test_summarize_mean_and_standard_error():
    df = _table(repeats=3)
    s = plots.summarize(df[df.method == "vanilla"], "test_auc")
    sub = df[(df.method == "vanilla") & (df.capacity == 2)]["test_auc"]
    row = s[s.capacity == 2].iloc[0]
    assert row["mean"] == pytest.approx(sub.mean())
    assert row["se"] == pytest.approx(sub.std(ddof=1) / np.sqrt(3))
    assert row["n"] == 3


def test_capacity_chart_has_method_curves_teacher_and_no_kd_line():
    df = _table()
    fig = plots.capacity_chart(df, "test_auc", log_x=True)
    spec = json.loads(fig.to_json())
    names = [t.get("name") for t in spec["data"]]
    for m in ("vanilla", "crossfit", "enhanced", "teacher", "no_kd"):
        assert METHODS[m].label in names
    vanilla = next(t for t in spec["data"] if t.get("name") == "Vanilla KD")
    assert vanilla["line"]["color"] == METHODS["vanilla"].color
    assert list(vanilla["x"]) == [1, 2, 4, 8]
    nokd = next(t for t in spec["data"] if t.get("name") == METHODS["no_kd"].label)
    assert nokd["y"][0] == nokd["y"][1] == pytest.approx(0.73)  # a horizontal line at the mean
    assert list(nokd["x"]) == [1, 8]
    assert spec["layout"]["xaxis"]["type"] == "log"
    assert "depth" in spec["layout"]["xaxis"]["title"]["text"]
    assert "AUC" in spec["layout"]["yaxis"]["title"]["text"]
    # a band per method with repeats
    assert any(t.get("fill") == "toself" and t.get("legendgroup") == "vanilla" for t in spec["data"])


def test_student_error_chart_uses_teacher_eps2_squared_and_oracle_floor():
    fig = plots.capacity_chart(_table(), "student_error")
    teacher = next(t for t in fig.data if t.name.startswith("Teacher"))
    assert np.allclose(teacher.y, (np.array([0.3, 0.25, 0.2, 0.15])) ** 2)
    assert any("Oracle" in (t.name or "") for t in fig.data)


def test_empty_and_missing_metric_give_a_message_not_an_error():
    fig = plots.capacity_chart(pd.DataFrame(columns=COLUMNS), "test_auc")
    assert "no results" in fig.layout.annotations[0].text
    df = _table()
    df["student_error"] = np.nan
    fig = plots.capacity_chart(df, "student_error")
    assert "p0" in fig.layout.annotations[0].text


def test_presentation_style_is_larger():
    plain = plots.capacity_chart(_table(), "test_auc")
    big = plots.capacity_chart(_table(), "test_auc", presentation=True)
    assert big.layout.font.size > plain.layout.font.size
    assert big.layout.xaxis.title.font.size >= 20


def test_charts_say_what_the_bands_are():
    assert plots.capacity_chart(_table(3)).layout.title.subtitle.text == "mean ± 1 standard error over 3 repeats"
    assert plots.capacity_chart(_table(1)).layout.title.subtitle.text == "one repeat: no error band"
    both = plots.overlay_chart({"a": _table(2), "b": _table(5)})
    assert both.layout.title.subtitle.text == "mean ± 1 standard error over 2–5 repeats"


def test_overlay_chart_one_dash_per_run():
    a, b = _table(), _table()
    b["test_auc"] += 0.05
    fig = plots.overlay_chart({"run A": a, "run B": b}, "test_auc")
    dashes = {t.line.dash for t in fig.data if t.name and t.name.endswith("Vanilla KD")}
    assert dashes == {"solid", "dash"}
    colours = {t.line.color for t in fig.data if t.name and t.name.endswith("Vanilla KD")}
    assert colours == {METHODS["vanilla"].color}


def test_html_export_is_standalone():
    html = export.figure_bytes(plots.capacity_chart(_table(), "test_auc"), "html")
    assert html.lstrip().lower().startswith(b"<!doctype html>") and b"plotly" in html and len(html) > 1_000_000  # plotly.js embedded


def test_image_export_without_browser_says_so(monkeypatch):
    monkeypatch.setattr(export, "browser_available", lambda: False)
    with pytest.raises(export.ExportError, match="Chrome or Chromium"):
        export.figure_bytes(plots.capacity_chart(_table(), "test_auc"), "png")
    with pytest.raises(export.ExportError, match="unknown export format"):
        export.figure_bytes(plots.capacity_chart(_table(), "test_auc"), "gif")


def test_uploaded_csv_titles_show_the_file_name_not_the_server_path():
    from kdviz.figures.plots import dataset_label

    assert dataset_label("csv:/home/u/.kdviz/uploads/d3e80dd37455_magic small.csv") == "magic small.csv"
    assert dataset_label("openml:MagicTelescope") == "openml:MagicTelescope"
    # results tables on pages name an upload ``upload:<content hash>_<file>`` (no server path): the chart
    # shows the user's file name
    assert dataset_label("upload:e773ef50738f_my_data.csv") == "my_data.csv"
    assert dataset_label("csv:C:\\Users\\u\\e773ef50738f_my_data.csv") == "my_data.csv"
    df = _table().assign(dataset="upload:e773ef50738f_my_data.csv")
    title = plots.capacity_chart(df, "test_auc").layout.title.text
    assert title.endswith("— my_data.csv") and "e773ef50738f" not in title and "upload:" not in title


def test_png_and_svg_export_with_the_browser(tmp_path):
    import os

    if not export.browser_available():
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian chromium for PNG/SVG export (.ci/run installs it)")
        pytest.skip("no Chrome/Chromium here: PNG/SVG export needs one (apt-get install chromium)")
    fig = style_figure(plots.capacity_chart(_table(), "test_auc"), presentation=True)
    paths = export.write_figures([fig, fig], [tmp_path / "a.png", tmp_path / "a.svg"])
    png, svg = (p.read_bytes() for p in paths)
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    assert b"<svg" in svg[:2000] and b"Vanilla KD" in svg


def test_heat_map_panels_are_square_and_zoom_together():
    xs = ys = np.linspace(-2, 2, 5)
    panels = [(f"panel {i}", np.full((5, 5), 0.5)) for i in range(5)]
    layout = plots.heatmap_grid(panels, xs, ys, cols=3).to_dict()["layout"]
    xaxes = [k for k in layout if k.startswith("xaxis")]
    yaxes = [k for k in layout if k.startswith("yaxis")]
    assert len(xaxes) == len(yaxes) == 6
    # one x scale and one y scale for every panel, y anchored to x: equal square panels, one linked zoom
    assert all(layout[k].get("matches") == "x" for k in xaxes if k != "xaxis")
    assert all(layout[k].get("matches") == "y" for k in yaxes if k != "yaxis")
    assert layout["yaxis"]["scaleanchor"] == "x" and layout["yaxis"]["scaleratio"] == 1
