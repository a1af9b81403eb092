"""The Sweep page's form: widget values ⇄ `SweepConfig`, presets, CSV uploads.

Pure helpers first (testable without Streamlit), then `dataset_picker`, which draws the dataset
choice including the CSV upload with preview, target picker and validation messages.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

import kdviz.jobs as jobs
from kdviz.config import (
    PRESETS,
    SweepConfig,
    dataset_param_names,
    make_config,
    param_default,
    sweep_field,
    sweep_fields,
)
from kdviz.data.load import MAX_CLASSES, check_openml, list_datasets, load_dataset, read_table
from kdviz.data.registry import generated
from kdviz.errors import ConfigError, KdvizError
from kdviz.figures.plots import dataset_label
from kdviz.figures.talkpack import no_paths
from kdviz.jobs.owners import may_read_upload
from kdviz.jobs.store_owners import grant_upload
from kdviz.kd.students import STUDENTS
from kdviz.plugins import load_plugins
from kdviz.runtime.home import kdviz_home
from kdviz.schema import FieldSpec
from kdviz.teachers import TEACHERS, validate_grid
from ui import runs
from ui import sweep_axes as axes
from ui.identity import actor, owner_id

load_plugins()  # the torch teacher families and students, and $KDVIZ_PLUGINS, register themselves

#: the SweepConfig fields the form sets (kinds, bounds, choices and help come from the schema, kdviz.schema)
FIELDS = ("dataset", "n", "target", "label_noise", "teacher", "capacities", "student", "methods", "scale", "folds",
          "gamma", "c", "c_grid", "cv_folds", "cv_metric", "repeats", "seed", "temperature", "alpha")
#: the form's own values that differ from the config's defaults (the synthetic demo, a quick first run)
OVERRIDES: dict[str, Any] = dict(n=2000, label_noise=0.2, capacities=(1, 2, 4, 8, 16), trees=50, c="cv-fast",
                                 c_grid=(1e-3, 1e-2, 1e-1, 1.0, 10.0), cv_folds=3, cv_metric="brier", repeats=2)
#: how the Sweep page names the two searches of c (kdviz.kd.csearch)
C_SEARCH_CHOICES: dict[str, str] = {"cv-fast": "fast search", "cv": "full cross-validation (paper)"}
#: the widgets' steps (their ranges are the schema's bounds; an open bound moves one step inwards)
STEPS: dict[str, float] = dict(n=500, label_noise=0.05, trees=1, folds=1, repeats=1, seed=1, temperature=0.5,
                               alpha=0.05, teacher_capacity=1)
#: settings the form leaves at their defaults (presets and the CLI set them); every other setting, a
#: registered one included, gets a widget: FIELDS and the axes by name, the rest under "More settings"
NOT_IN_FORM = ("teacher_options", "student_options", "teacher_mode", "test_size", "split", "encoding",
               "categories", "special_values", "student_capacity")
#: the slider of a teacher's tree option (its spec's ``tree_option``), when it has one
TREES_RANGE = (1, 2000)


def form_default(spec: FieldSpec) -> Any:
    """A field's default as a widget holds it (an unset text is empty, not None)."""
    return "" if spec.default is None and spec.kind == "str" else spec.default


def options(field: str) -> list[Any]:
    """The choices of a field now: registries (methods, teachers, students) are read at every call."""
    return list(sweep_field(field).choices() or ())


def widget_range(field: str, teacher: str | None = None) -> tuple[Any, Any]:
    """(min, max) of the widget of a numeric field: the schema's bounds (trees: the teacher spec's bounds of
    its tree option)."""
    if field == "trees":
        spec = TEACHERS.get(teacher or "")
        lim = spec.option_limits.get(spec.tree_option or "") if spec else None
        return tuple(int(x) for x in (lim or TREES_RANGE))
    return sweep_field(field).widget_range(STEPS.get(field, 1))


def help_text(field: str) -> str:
    """A field's tooltip: its description in the schema (the one `kdviz sweep --help` shows)."""
    return sweep_field(field).description


def more_fields() -> tuple[str, ...]:
    """The settings drawn generically (by kind): the dataset parameters besides n and target (the selected
    dataset's are shown) and every setting the form does not name (e.g. a plug-in's)."""
    named = {*FIELDS, *axes.FIELDS, *NOT_IN_FORM}
    return tuple(f for f in sweep_fields() if f not in named)


def kinds() -> dict[str, str]:
    """Every form value's kind (the link codec's): the schema's, read now (a registered setting included)."""
    return {**{f: sweep_field(f).kind for f in (*FIELDS, *more_fields())}, "trees": "int", **axes.KINDS}


def defaults() -> dict[str, Any]:
    return {**{f: form_default(sweep_field(f)) for f in (*FIELDS, *more_fields())}, **OVERRIDES, **axes.DEFAULTS}


def __getattr__(name: str) -> Any:  # form.KINDS, form.DEFAULTS: read live (settings may be registered later)
    if name == "KINDS":
        return kinds()
    if name == "DEFAULTS":
        return defaults()
    raise AttributeError(name)
#: the synthetic demo's data settings; real data (uploads, CSV, OpenML) uses all rows, no label noise
SYNTHETIC_DATA = {"n": 2000, "label_noise": 0.2}
REAL_DATA = {"n": None, "label_noise": 0.0}
UPLOAD_LINK = "upload:"  # links name an upload by its file name, never by the server's path


def uses_temperature(student: str) -> bool:
    """Students trained with Hinton KD (temperature T, mixing α): the torch students (the spec's fact)."""
    return student in STUDENTS and STUDENTS[student].needs_torch
UPLOAD_CHOICE = "Upload a CSV…"
MAX_UPLOAD_MB = 200  # below .streamlit/config.toml's maxUploadSize, so the refusal is a visible message
#: an upload nothing refers to is deleted after this long
UPLOAD_KEEP_S = 24 * 3600
#: above this many rows the form suggests sampling with n
LARGE_ROWS = 100_000


def _tree_option(teacher: str) -> str | None:
    """The teacher option the form's "trees" slider sets (the teacher spec's ``tree_option``)."""
    return TEACHERS[teacher].tree_option if teacher in TEACHERS else None


def uploads_dir() -> Path:
    return kdviz_home() / "uploads"


def data_defaults(dataset: str | None) -> dict[str, Any]:
    """n and label noise for a dataset: the demo's for synthetic data, all rows and none for real data."""
    return dict(SYNTHETIC_DATA if generated(str(dataset or defaults()["dataset"])) else REAL_DATA)


def defaults_for(dataset: str | None) -> dict[str, Any]:
    """The form's defaults when a link names `dataset` (a CSV link without n means all rows)."""
    return {**defaults(), **data_defaults(dataset)}


def from_link_dataset(ds: str) -> str:
    """`upload:NAME` (as links write it) → the upload's `csv:` path on this server."""
    if ds.startswith(UPLOAD_LINK):
        name = Path(ds[len(UPLOAD_LINK):]).name
        return f"csv:{uploads_dir() / name}"
    return ds


def link_values(values: dict[str, Any]) -> dict[str, Any]:
    """Form values as a link shows them: an upload by name, not by the server's path."""
    ds = str(values.get("dataset", ""))
    if ds.startswith("csv:") and Path(ds[4:]).parent == uploads_dir():
        return {**values, "dataset": UPLOAD_LINK + Path(ds[4:]).name}
    return values


def _DATA_PARAMS() -> set[str]:  # noqa: N802
    """Every dataset parameter name (any registered dataset's)."""
    return {p for d in list_datasets() for p in dataset_param_names(d["name"])}


def _more_value(field: str, value: Any) -> Any:
    """A generic widget's value as the config takes it (an empty text is unset)."""
    if value == "" and sweep_field(field).optional:
        return None
    return tuple(value) if isinstance(value, list) else value


def more_widget(page: str, field: str, disabled: bool = False) -> None:
    """One generic widget for a setting, by its kind (number, text, choice, switch), with the schema's help."""
    spec = sweep_field(field)
    key, label, help_ = f"{page}.{field}", field.replace("_", " "), spec.help()
    choices = spec.choices()
    if choices is not None and spec.kind in ("str", "int", "float"):
        st.selectbox(label, list(choices), key=key, disabled=disabled, help=help_)
    elif spec.kind == "bool":
        st.checkbox(label, key=key, disabled=disabled, help=help_)
    elif spec.kind in ("int", "float"):
        step = 1 if spec.kind == "int" else 0.01
        lo, hi = spec.widget_range(step)
        st.number_input(label, lo, hi, step=step, key=key, disabled=disabled, help=help_,
                        **({"value": None, "placeholder": empty_text(field, st.session_state.get(f"{page}.dataset"))}
                           if spec.optional else {}))
    else:
        st.text_input(label, key=key, disabled=disabled, help=help_)


def empty_text(field: str, dataset: str | None) -> str | None:
    """What an empty number field of a dataset parameter shows: the value the dataset then uses (an unset
    parameter is the generator's default, e.g. ``5 (default)`` for synthetic:gmm's d), not a blank."""
    default = param_default(str(dataset or defaults()["dataset"]), field)
    return None if default is None else f"{default:g} (default)" if isinstance(default, float) else f"{default} (default)"


def dataset_widgets(dataset: str) -> tuple[str, ...]:
    """The generic widgets of the Data section: `dataset`'s own parameters besides n and target."""
    return tuple(f for f in more_fields() if f in dataset_param_names(dataset))


def other_widgets() -> tuple[str, ...]:
    """The generic widgets of "More settings": the settings that are no dataset's parameter."""
    params = _DATA_PARAMS()
    return tuple(f for f in more_fields() if f not in params)


def builtin_datasets() -> list[str]:
    return [d["name"] for d in list_datasets() if not d.get("template")]


def to_config_dict(v: dict[str, Any]) -> dict[str, Any]:
    """Form values → keyword arguments of `make_config`."""
    opt = _tree_option(v["teacher"])
    takes = dataset_param_names(str(v["dataset"]))
    more = {f: _more_value(f, v.get(f)) for f in more_fields() if f not in _DATA_PARAMS() or f in takes}
    return dict(
        **more,
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
    v = defaults()
    for k in more_fields():
        if cfg.get(k) is not None:
            v[k] = cfg[k]
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
    opt = _tree_option(v["teacher"])
    v["trees"] = (cfg.get("teacher_options") or {}).get(opt, OVERRIDES["trees"]) if opt else OVERRIDES["trees"]
    v.update(axes.from_config(cfg))
    return v


def preset_values(name: str) -> dict[str, Any]:
    return from_config_dict(make_config(**PRESETS[name]).to_dict())  # the CLI's exact configuration


#: The chart metric a preset opens with (else test AUC, the paper's). Against a shallow teacher the
#: loss correction shows in the distance to p0 (GMM: 0.018 vs vanilla's 0.032) far more than in AUC.
PRESET_METRICS = {"underfitting-teacher": "student_error"}


def validate_values(v: dict[str, Any]) -> SweepConfig:
    """Validate form (or link) values; ConfigError with a readable message otherwise."""
    for name in STEPS:  # the widgets' ranges: links outside them are refused, like invalid configs
        x, (lo, hi) = v.get(name), widget_range(name, v.get("teacher"))
        if x is not None and not (isinstance(x, (int, float)) and not isinstance(x, bool) and lo <= x <= hi):
            raise ConfigError(f"{name} must be between {lo:g} and {hi:g} here, got {x!r}")
    for name, what in (("teacher", "teacher family"), ("student", "student")):
        if v[name] not in options(name):
            raise ConfigError(f"unknown {what} {v[name]!r}; choose from {', '.join(options(name))}")
    if v["capacities"] and v.get("vary") != "student":  # a student grid is checked by the student
        validate_grid(TEACHERS[v["teacher"]], list(v["capacities"]))
    ds = from_link_dataset(str(v["dataset"]))
    v = {**v, "dataset": ds}
    if ds.startswith("csv:"):
        path = Path(ds[4:]).expanduser().resolve()
        if uploads_dir().resolve() not in path.parents:
            raise ConfigError("CSV datasets must be uploaded on the Sweep page (links cannot name server files)")
        if not upload_allowed(path):  # (the same answer whether it exists or not: nothing leaks)
            raise ConfigError(f"there is no upload {dataset_label(ds)!r} of yours on this server (uploads are "
                              "private to whoever uploaded them); upload the CSV on the Sweep page")
        if not path.exists():
            raise ConfigError(f"the uploaded file {path.name} is no longer on the server; upload it again")
        if not v.get("target"):
            raise ConfigError("pick the target column of the uploaded CSV")
        _checked_target(str(path), str(v["target"]), path.stat().st_mtime)  # refuse unusable data before Run
    elif ds not in builtin_datasets() and not re.fullmatch(r"openml:[A-Za-z0-9_.\-]{1,100}(@[0-9]{1,3})?", ds):
        raise ConfigError(f"unknown dataset {ds!r}; choose from {', '.join(builtin_datasets())}")
    elif ds.startswith("openml:"):
        _openml_available(ds[7:], int(time.time() // 60))  # offline and not cached: say so before Run
    return make_config(**to_config_dict(v))


@functools.lru_cache(maxsize=64)
def _openml_available(name: str, minute: int) -> None:  # cached per minute: the check may wait 3 s
    check_openml(name)


def upload_allowed(path: Path) -> bool:
    """Whether this browser may use or preview the upload at `path`: its uploader or the instructor."""
    try:
        return may_read_upload(jobs.open_store(), Path(path).name, actor())
    except KdvizError:
        return False


def prune_uploads(in_use: set[str], keep_s: float = UPLOAD_KEEP_S) -> list[Path]:
    """Delete uploads older than `keep_s` that no stored run refers to; returns what was deleted."""
    gone = []
    now = time.time()
    for f in uploads_dir().glob("*.csv"):
        try:
            if f"csv:{f}" not in in_use and now - f.stat().st_mtime > keep_s:
                f.unlink()
                gone.append(f)
        except OSError:  # another session removed it meanwhile
            continue
    return gone


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
def _checked_target(path: str, target: str, mtime: float) -> tuple[str, tuple[str, ...]]:
    return check_target(Path(path), target)


def check_target(path: Path, target: str) -> tuple[str, tuple[str, ...]]:
    """The data summary with this target and the notes (raises DatasetError with the reason)."""
    ds = load_dataset(f"csv:{path}", target=target)
    counts = pd.Series(ds.y_train).value_counts().sort_index()
    classes = ", ".join(f"{ds.class_names[i]} ({c})" for i, c in counts.items())
    notes = list(ds.report.notes)
    if ds.report.rows_used > LARGE_ROWS:
        notes.append(f"{ds.report.rows_used:,} rows, and every fit uses all of them: set “Rows to use n” "
                     "to 50,000 for a faster first look")
    return f"{ds.summary()} — training rows per class: {classes}", tuple(notes)


# ----------------------------------------------------------------------------------------------
# Streamlit part
def dataset_picker(page: str) -> None:
    """Dataset select box; 'Upload a CSV…' shows the uploader, preview, target picker and checks.

    Writes the choice into the widget keys f"{page}.dataset" and f"{page}.target".
    """
    ss = st.session_state
    kd, kt = f"{page}.dataset", f"{page}.target"
    options = builtin_datasets()
    current = ss[kd] = from_link_dataset(ss.get(kd, defaults()["dataset"]))
    if str(current).startswith("csv:") and not upload_allowed(Path(current[4:])):
        st.warning(f"There is no upload {dataset_label(current)!r} of yours here (uploads are private to whoever "
                   "uploaded them); upload the CSV yourself.", icon=":material/lock:")
        current = ss[kd] = defaults()["dataset"]
    if str(current).startswith("csv:"):
        options.append(current)
    options.append(UPLOAD_CHOICE)
    descr = {d["name"]: d["description"] for d in list_datasets()}
    ck, synced = f"_{page}_ds_choice", f"_{page}_ds_synced"
    if ss.get(synced) != current and current in options:
        ss[ck] = current  # follow links / presets (a change the select box did not make)
    ss[synced] = current
    choice = st.selectbox("Dataset", options,
                          format_func=lambda s: "CSV: " + dataset_label(s) if s.startswith("csv:") else s,
                          key=ck)
    if choice != UPLOAD_CHOICE:
        _switch_dataset(page, choice)
        ss[synced] = choice
        if descr.get(choice):
            st.caption(descr[choice])
        if choice.startswith("openml:"):
            st.caption("Needs internet the first time (then cached under KDVIZ_HOME/cache/openml).")
        if choice.startswith("csv:"):
            _target_picker(Path(choice[4:]), kt)
        return
    up = st.file_uploader(f"CSV file (header row, one column is the class label; ≤ {MAX_UPLOAD_MB} MB; "
                          "comma, semicolon or tab separated; UTF-8, UTF-16 or Latin-1)",
                          type=["csv", "txt", "tsv"], key=f"_{page}_upload")
    if up is None:
        st.info("Choose a CSV file. The other settings stay as they are until it is loaded.")
        return
    if up.size > MAX_UPLOAD_MB * 1e6:
        st.error(f"{up.name} is {up.size / 1e6:.0f} MB; uploads are limited to {MAX_UPLOAD_MB} MB. Take a sample "
                 "of its rows, or run it from the command line: kdviz sweep --dataset csv:PATH --target COLUMN "
                 "--n 50000", icon=":material/error:")
        return
    data = up.getvalue()
    try:
        with st.spinner(f"Reading {up.name} ({up.size / 1e6:.1f} MB)…"):
            df = read_table(data)
    except KdvizError as e:
        st.error(f"Cannot use {up.name}: {no_paths(str(e))}", icon=":material/error:")
        return
    path = save_upload(data, up.name)
    try:
        grant_upload(jobs.open_store(), path.name, owner_id())  # private to this browser (and the instructor)
    except KdvizError as e:
        st.error(f"Cannot record the upload: {e}", icon=":material/error:")
        return
    prune_uploads(runs.datasets_in_use() | {f"csv:{path}"})
    _switch_dataset(page, f"csv:{path}")
    ss[synced] = ss[kd]
    st.success(f"Loaded {up.name}: {df.shape[0]} rows × {df.shape[1]} columns.", icon=":material/description:")
    _target_picker(path, kt, df)


def _switch_dataset(page: str, dataset: str) -> None:
    """The user picked `dataset`: between synthetic and real data, n and label noise follow the data."""
    ss = st.session_state
    kd = f"{page}.dataset"
    before = ss.get(kd)
    ss[kd] = dataset
    if before != dataset and data_defaults(before) != data_defaults(dataset):
        for k, v in data_defaults(dataset).items():
            ss[f"{page}.{k}"] = v


def _target_picker(path: Path, key: str, df: pd.DataFrame | None = None) -> None:
    if not upload_allowed(path):  # never preview another browser's rows
        st.error("This upload is private to whoever uploaded it; upload the CSV yourself.", icon=":material/lock:")
        return
    try:
        df = df if df is not None else read_table(path)
    except KdvizError as e:
        st.error(no_paths(str(e)), icon=":material/error:")
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
        with st.spinner("Checking the data…"):
            summary, notes = _checked_target(str(path), ss[key], path.stat().st_mtime)
        st.caption(":material/check_circle: " + summary)
        if notes:
            st.warning("\n".join(f"- {n}" for n in notes), icon=":material/info:")
    except KdvizError as e:
        st.error(no_paths(str(e)), icon=":material/error:")


def label_fields(page: str, disabled: bool = False) -> tuple[str, tuple[str, ...], str | None]:
    """The run's Name and Tags fields (beside Run): (name, tags, error message or None). The name is
    shown instead of the run's id in overlays, legends, links and packs; both can be edited on Runs."""
    from kdviz.jobs.labels import clean_name, clean_tags

    c1, c2 = st.columns(2)
    name = c1.text_input("Run name (optional)", key=f"{page}_run_name", max_chars=80, disabled=disabled,
                         placeholder="e.g. magic, 20 % label noise",
                         help="Shown instead of the run's id in overlays, legends and packs; editable on Runs.")
    tags = c2.text_input("Tags (optional)", key=f"{page}_run_tags", disabled=disabled,
                         placeholder="comma-separated, e.g. talk, noise", help="Search runs by tag on the Runs page.")
    try:
        return clean_name(name), clean_tags(tags), None
    except ConfigError as e:
        return "", (), str(e)
