"""The Sweep page's form: widget values ⇄ `SweepConfig`, presets, CSV uploads.

Pure helpers first (testable without Streamlit), then `dataset_picker`, which draws the dataset
choice including the CSV upload with preview, target picker and validation messages.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from kdviz.config import METHODS, PRESETS, SweepConfig, make_config
from kdviz.data import MAX_CLASSES, list_datasets, load_dataset, read_table
from kdviz.errors import ConfigError, KdvizError
from kdviz.students import STUDENTS
from kdviz.students import load_plugins as load_student_plugins
from kdviz.teachers import TEACHERS, load_plugins, validate_grid
from ui import sweep_axes as axes

load_plugins()  # the torch teacher families and students register themselves
load_student_plugins()

#: the form's fields (query-parameter names) and their kinds (see ui.links)
KINDS: dict[str, str] = dict(
    dataset="str", n="int", target="str", label_noise="float", teacher="str", capacities="ints",
    trees="int", student="str", methods="strs", scale="str", folds="int", gamma="str", c="cfloat",
    c_grid="floats", cv_folds="int", cv_metric="str", repeats="int", seed="int", temperature="float",
    alpha="float",
)
DEFAULTS: dict[str, Any] = dict(
    dataset="synthetic:gmm", n=2000, target="", label_noise=0.2, teacher="rf-depth", capacities=(1, 2, 4, 8, 16),
    trees=50, student="rf", methods=METHODS, scale="logp", folds=5, gamma="bound_fast", c="cv",
    c_grid=(1e-3, 1e-2, 1e-1, 1.0, 10.0), cv_folds=3, cv_metric="brier", repeats=2, seed=0, temperature=4.0,
    alpha=0.5,
)
KINDS.update(axes.KINDS)  # vary the teacher or the student, a second axis, the paper tag (ui.sweep_axes)
DEFAULTS.update(axes.DEFAULTS)
#: the widgets' ranges (links outside them are refused, like invalid configs)
FORM_LIMITS = {"trees": (1, 500), "label_noise": (0.0, 0.45), "repeats": (1, 20), "folds": (2, 20),
               "temperature": (0.5, 20.0), "alpha": (0.0, 1.0)}
#: students trained with Hinton KD (temperature T, mixing α): the torch students
NEURAL_STUDENTS = tuple(k for k, s in STUDENTS.items() if s.factory.__module__.startswith("kdviz.neural"))
UPLOAD_CHOICE = "Upload a CSV…"
MAX_UPLOAD_MB = 50
_TREE_OPTION = {"rf-depth": "n_estimators", "rf-trees": None, "knn-k": None, "gb-stages": None}


def uploads_dir() -> Path:
    return Path(os.environ.get("KDVIZ_HOME", "~/.kdviz")).expanduser() / "uploads"


def builtin_datasets() -> list[str]:
    return [d["name"] for d in list_datasets() if not d.get("template")]


def to_config_dict(v: dict[str, Any]) -> dict[str, Any]:
    """Form values → keyword arguments of `make_config`."""
    opt = _TREE_OPTION.get(v["teacher"])
    return dict(
        dataset=v["dataset"], n=v.get("n") or None, target=v.get("target") or None, label_noise=v["label_noise"],
        teacher=v["teacher"], capacities=tuple(v["capacities"]) or None,
        teacher_options={opt: v["trees"]} if opt and v.get("trees") else {},
        student=v["student"], methods=tuple(v["methods"]), scale=v["scale"], folds=v["folds"], gamma=v["gamma"],
        c=v["c"], c_grid=tuple(v["c_grid"]), cv_folds=v["cv_folds"], cv_metric=v["cv_metric"],
        repeats=v["repeats"], seed=v["seed"],
        temperature=v["temperature"], alpha=v["alpha"], **axes.to_config(v),
    )


def from_config_dict(cfg: dict[str, Any]) -> dict[str, Any]:
    """A configuration (e.g. a preset or a stored run) → form values (missing fields: defaults)."""
    v = dict(DEFAULTS)
    for k in ("dataset", "label_noise", "teacher", "student", "scale", "folds", "gamma", "c", "cv_folds",
              "cv_metric", "repeats", "seed", "temperature", "alpha"):
        if k in cfg and cfg[k] is not None:
            v[k] = cfg[k]
    v["n"] = cfg.get("n")
    v["target"] = cfg.get("target") or ""
    if cfg.get("capacities"):
        v["capacities"] = tuple(cfg["capacities"])
    elif "teacher" in cfg:
        v["capacities"] = tuple(TEACHERS[v["teacher"]].default_grid) if v["teacher"] in TEACHERS else ()
    if cfg.get("methods"):
        v["methods"] = tuple(cfg["methods"])
    if cfg.get("c_grid"):
        v["c_grid"] = tuple(cfg["c_grid"])
    opt = _TREE_OPTION.get(v["teacher"])
    v["trees"] = (cfg.get("teacher_options") or {}).get(opt, DEFAULTS["trees"]) if opt else DEFAULTS["trees"]
    v.update(axes.from_config(cfg))
    return v


def preset_values(name: str) -> dict[str, Any]:
    return from_config_dict(make_config(**PRESETS[name]).to_dict())  # the CLI's exact configuration


#: The chart metric a preset opens with (else test AUC, the paper's). Against a shallow teacher the
#: loss correction shows in the distance to p0 (GMM: 0.018 vs vanilla's 0.032) far more than in AUC.
PRESET_METRICS = {"underfitting-teacher": "student_error"}


def validate_values(v: dict[str, Any]) -> SweepConfig:
    """Validate form (or link) values; ConfigError with a readable message otherwise."""
    for name, (lo, hi) in FORM_LIMITS.items():
        x = v.get(name)
        if x is not None and not (isinstance(x, (int, float)) and lo <= x <= hi):
            raise ConfigError(f"{name} must be between {lo:g} and {hi:g} here, got {x!r}")
    if v["teacher"] not in TEACHERS:
        raise ConfigError(f"unknown teacher family {v['teacher']!r}; choose from {', '.join(TEACHERS)}")
    if v["capacities"] and v.get("vary") != "student":  # a student grid is checked by the student
        validate_grid(TEACHERS[v["teacher"]], list(v["capacities"]))
    ds = str(v["dataset"])
    if ds.startswith("csv:"):
        path = Path(ds[4:]).expanduser().resolve()
        if uploads_dir().resolve() not in path.parents:
            raise ConfigError("CSV datasets must be uploaded on the Sweep page (links cannot name server files)")
        if not path.exists():
            raise ConfigError(f"the uploaded file {path.name} is no longer on the server; upload it again")
        if not v.get("target"):
            raise ConfigError("pick the target column of the uploaded CSV")
        _checked_target(str(path), str(v["target"]), path.stat().st_mtime)  # refuse unusable data before Run
    elif ds not in builtin_datasets() and not re.fullmatch(r"openml:[A-Za-z0-9_.\-]{1,100}(@[0-9]{1,3})?", ds):
        raise ConfigError(f"unknown dataset {ds!r}; choose from {', '.join(builtin_datasets())}")
    return make_config(**to_config_dict(v))


def save_upload(data: bytes, filename: str) -> Path:
    """Store an uploaded CSV under KDVIZ_HOME/uploads (content-addressed, so re-uploads are free)."""
    d = uploads_dir()
    d.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(filename).stem)[:40] or "upload"
    path = d / f"{hashlib.sha256(data).hexdigest()[:12]}_{stem}.csv"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


def guess_target(columns: list[str]) -> str:
    for name in ("target", "label", "class", "y", "Class", "Label", "Target"):
        if name in columns:
            return name
    return columns[-1]


@functools.lru_cache(maxsize=32)
def _checked_target(path: str, target: str, mtime: float) -> str:
    return check_target(Path(path), target)


def check_target(path: Path, target: str) -> str:
    """A one-line summary of the dataset with this target (raises DatasetError with the reason)."""
    ds = load_dataset(f"csv:{path}", target=target)
    counts = pd.Series(ds.y_train).value_counts().sort_index()
    classes = ", ".join(f"{ds.class_names[i]} ({c})" for i, c in counts.items())
    return (f"{ds.n_train + ds.n_test} rows, {ds.n_features} features after encoding, "
            f"{ds.n_classes} classes — training rows per class: {classes}")


# ----------------------------------------------------------------------------------------------
# Streamlit part
def dataset_picker(page: str) -> None:
    """Dataset select box; 'Upload a CSV…' shows the uploader, preview, target picker and checks.

    Writes the choice into the widget keys f"{page}.dataset" and f"{page}.target".
    """
    ss = st.session_state
    kd, kt = f"{page}.dataset", f"{page}.target"
    options = builtin_datasets()
    current = ss.get(kd, DEFAULTS["dataset"])
    if str(current).startswith("csv:"):
        options.append(current)
    options.append(UPLOAD_CHOICE)
    descr = {d["name"]: d["description"] for d in list_datasets()}
    ck = f"_{page}_ds_choice"
    if ss.get(ck) != UPLOAD_CHOICE and current in options:
        ss[ck] = current  # follow links / presets
    choice = st.selectbox("Dataset", options,
                          format_func=lambda s: "CSV: " + Path(s[4:]).name.split("_", 1)[-1] if s.startswith("csv:")
                          else s, key=ck)
    if choice != UPLOAD_CHOICE:
        ss[kd] = choice
        if descr.get(choice):
            st.caption(descr[choice])
        if choice.startswith("openml:"):
            st.caption("Needs internet the first time (then cached under KDVIZ_HOME/cache/openml).")
        if choice.startswith("csv:"):
            _target_picker(Path(choice[4:]), kt)
        return
    up = st.file_uploader(f"CSV file (header row, one column is the class label; ≤ {MAX_UPLOAD_MB} MB)",
                          type=["csv", "txt", "tsv"], key=f"_{page}_upload")
    if up is None:
        st.info("Choose a CSV file. The other settings stay as they are until it is loaded.")
        return
    data = up.getvalue()
    try:
        df = read_table(data)
    except KdvizError as e:
        st.error(f"Cannot use {up.name}: {e}", icon="⚠️")
        return
    path = save_upload(data, up.name)
    ss[kd] = f"csv:{path}"
    st.success(f"Loaded {up.name}: {df.shape[0]} rows × {df.shape[1]} columns.", icon="📄")
    _target_picker(path, kt, df)


def _target_picker(path: Path, key: str, df: pd.DataFrame | None = None) -> None:
    try:
        df = df if df is not None else read_table(path)
    except KdvizError as e:
        st.error(str(e), icon="⚠️")
        return
    cols = [str(c) for c in df.columns]
    ss = st.session_state
    if ss.get(key) not in cols:
        ss[key] = guess_target(cols)
    with st.expander("Preview (first rows)", expanded=True):
        st.dataframe(df.head(8), hide_index=True, height=220)
    st.selectbox("Target column (the class label)", cols, key=key,
                 help=f"Classification only: 2 to {MAX_CLASSES} classes, at least 10 rows each.")
    try:
        st.caption(":material/check_circle: " + _checked_target(str(path), ss[key], path.stat().st_mtime))
    except KdvizError as e:
        st.error(str(e), icon="⚠️")
