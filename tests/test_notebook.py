"""The example notebook runs (nbclient + ipykernel) and draws a figure; the API reference builds (pdoc)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "quickstart.ipynb"


def test_the_quickstart_notebook_runs_and_draws_a_figure(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    figures = [o["data"]["application/vnd.plotly.v1+json"] for o in outputs
               if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert figures, "the notebook should display a Plotly figure"
    fig = figures[-1]
    names = {t.get("name") for t in fig["data"]}
    assert "Vanilla KD" in names and len(fig["data"]) >= 5  # one curve (+ band) per method, the teacher
    assert "error vs p0" in json.dumps(fig["layout"]["yaxis"]["title"]).lower()
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("kdviz sweep — synthetic:gmm" in h and "<table" in h for h in html)  # Results._repr_html_


def test_the_api_reference_builds_from_the_docstrings(tmp_path):
    pytest.importorskip("pdoc")
    out = tmp_path / "api"
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_api_docs.py"), str(out)],
                       capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr[-2000:]
    api = (out / "kdviz" / "api.html").read_text()
    assert "def sweep" in api or "sweep" in api
    assert "compare_paper" in api and "Results" in api and "kdviz.paper.compare" in api
    assert (out / "index.html").exists() and (out / "kdviz.html").exists()
