"""AppTest of pages/3_Theory.py: the charts carry fitted slopes, reference lines and honest labels."""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from kdviz.experiments import run_experiment
from kdviz.theory import make_c_config, make_capacity_config, make_eps_config, make_size_config

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "3_Theory.py")
if str(ROOT) not in sys.path:  # the page imports `ui` from the repository root, as `streamlit run` allows
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="module")
def tables():
    """Small seeded results for each chart (a few seconds in all)."""
    return {
        "eps": run_experiment("theory-eps", make_eps_config(n=4000, repeats=2, eps_grid=(0.2, 0.4, 0.8, 1.6),
                                                            c_grid=(0.1, 10.0), cv_folds=2), jobs=1),
        "n": run_experiment("theory-n", make_size_config(n_grid=(500, 2000, 8000), repeats=2, c=10.0,
                                                         n_eval=4000), jobs=1),
        "c": run_experiment("theory-c", make_c_config(n=1000, eps_grid=(0.8,), c_grid=(0.01, 1.0, 100.0),
                                                      repeats=2, cv_folds=2, n_eval=4000), jobs=1),
        "capacity": run_experiment("theory-capacity", make_capacity_config(
            dataset="synthetic:curve", n=600, label_noise=0.2, capacities=(1, 4, 12),
            teacher_options={"n_estimators": 10}, methods=("vanilla", "crossfit"), folds=3, repeats=2), jobs=1),
    }


def _specs(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def _names(spec: dict) -> list[str]:
    return [t.get("name") or "" for t in spec["data"]]


def _texts(spec: dict) -> list[str]:
    """Every human-readable string in a chart: trace names, titles, axis titles, annotations."""
    out = _names(spec)
    lay = spec.get("layout", {})
    for v in lay.values():
        if isinstance(v, dict) and isinstance(v.get("title"), dict):
            out.append(v["title"].get("text") or "")
    out.append((lay.get("title") or {}).get("text") or "")
    out += [a.get("text") or "" for a in lay.get("annotations", [])]
    return out


def _arr(v) -> np.ndarray:
    """A plotly JSON array: a list, or a typed array {"dtype", "bdata"} (base64)."""
    if isinstance(v, dict):
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).astype(float)
    return np.asarray(v, dtype=float)


def _title(spec: dict) -> str:
    return (spec.get("layout", {}).get("title") or {}).get("text") or ""


def test_page_charts_show_fitted_slopes_reference_lines_and_honest_labels(tables):
    at = AppTest.from_file(PAGE, default_timeout=30)
    for key, df in tables.items():
        at.session_state[f"theory_df_{key}"] = df
    at.run()
    assert not at.exception, at.exception
    specs = _specs(at)
    assert len(specs) == 4
    by_title = {_title(s).split(":")[0]: s for s in specs}
    eps = by_title["Teacher-error sweep"]
    names = _names(eps)
    assert any(re.search(r"Vanilla KD: teacher-bias term, fitted slope \d\.\d\d \[", n) for n in names), names
    assert any(re.search(r"Loss-corrected KD: teacher-bias term, fitted slope \d\.\d\d \[", n) for n in names)
    assert any(n.startswith("reference slope 2") for n in names)
    assert any(n.startswith("reference slope 4") for n in names)
    assert any("oracle floor" in n for n in names)
    # the reference lines really have slopes 2 and 4 on the log-log axes
    for tr in eps["data"]:
        m = re.match(r"reference slope (\d)", tr.get("name") or "")
        if m:
            x, y = _arr(tr["x"]), _arr(tr["y"])
            assert np.polyfit(np.log(x), np.log(y), 1)[0] == pytest.approx(int(m.group(1)), abs=1e-6)
    size = by_title["Sample-size sweep at a fixed teacher (ε = 0.8)"]
    assert any("fitted scaling (constants unknown)" in n for n in _names(size))
    assert any("fitted plateau" in n for n in _names(size))
    c = by_title["γ/c sweep (n = 1,000)"]
    assert any(n.startswith("CV-chosen c") for n in _names(c))
    assert c["layout"]["xaxis"]["type"] == "log"
    cap = by_title["Capacity sweep"]
    assert any("in-sample" in n for n in _names(cap)) and any("out-of-sample" in n for n in _names(cap))
    # no chart claims a bound or a prediction without saying the curve is fitted
    for s in specs:
        for text in _texts(s):
            low = text.lower()
            if "bound" in low.replace("bound-fast", "") or "predict" in low or "scaling" in low:
                assert "fitted" in low, text
    # captions: what the theory says / what to look for, under every chart
    captions = [c.value for c in at.caption]
    assert sum("What the theory says" in c and "What to look for" in c for c in captions) == 4
    # the slope table of the teacher-error sweep: a computed theory column beside the order
    table = next(d.value for d in at.dataframe if "fitted slope" in d.value.columns)
    assert {"theory (this ε range)", "order as ε → 0"} <= set(table.columns)
    assert table["theory (this ε range)"].nunique() > 2  # computed per estimator, not a typed 2/4
    # chart 2's caption: no "(theory 4)" against a note; chart 4's caption describes the computed shape
    assert not any("(theory 4)" in c for c in captions)
    c_cap = next(c for c in captions if "γ/c" in c or "ε = 0.8:" in c)
    assert "ε = 0.8:" in c_cap and ("bump" in c_cap or "U shape" in c_cap or "no interior minimum" in c_cap)
    assert "the CV choice c =" in c_cap


def test_preset_button_runs_in_process_and_draws_the_slopes():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception
    next(t for t in at.sidebar.toggle if t.label == "Run in this process").set_value(True)
    at.sidebar.number_input[0].set_value(2)  # repeats
    at.run()
    at.button(key="theory_run_eps").click().run()
    assert not at.exception, at.exception
    eps = next(s for s in _specs(at) if _title(s).startswith("Teacher-error sweep"))
    names = _names(eps)
    assert any("Vanilla KD: teacher-bias term, fitted slope" in n for n in names), names
    assert any(n.startswith("reference slope 4") for n in names)


def test_link_round_trip_and_refused_values():
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.query_params["seed"] = "7"
    at.query_params["repeats"] = "3"
    at.run()
    assert not at.exception, at.exception
    assert at.sidebar.number_input(key="th.seed").value == 7
    assert at.sidebar.number_input(key="th.repeats").value == 3
    at.sidebar.number_input(key="th.seed").set_value(11).run()
    assert at.query_params["seed"] == "11" and at.query_params["repeats"] == "3"

    bad = AppTest.from_file(PAGE, default_timeout=30)
    bad.query_params["repeats"] = "999"
    bad.query_params["seed"] = "x"
    bad.run()
    assert not bad.exception, bad.exception
    warnings = " ".join(w.value for w in bad.warning)
    assert "repeats" in warnings and "seed" in warnings
    assert bad.sidebar.number_input(key="th.repeats").value == 0  # the defaults took their place
    assert bad.sidebar.number_input(key="th.seed").value == 0


def test_classroom_links_hide_or_lock_the_theory_controls(tables):
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.query_params.update({"hide": "all"})
    for key, df in tables.items():
        at.session_state[f"theory_df_{key}"] = df
    at.run()
    assert not at.exception
    assert not at.button and not at.number_input and not at.toggle and not at.get("download_button")
    assert len(_specs(at)) == 4
    # every chart's caption states this run's outcome, computed from its table
    outcomes = [c.value for c in at.caption if "**In this run:**" in c.value]
    assert len(outcomes) == 4 and any("fitted bias slope" in o for o in outcomes)
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.query_params.update({"lock": "1"})
    at.run()
    assert at.button and all(b.disabled for b in at.button) and all(n.disabled for n in at.number_input)
