"""The Playground's computation: a 2-D problem with known p0, one teacher capacity path, the students.

    params = PlaygroundParams(capacity=12, label_noise=0.2)
    res = compute(params)        # cached: moving the capacity slider refits only the students
    res.p0, res.teacher, res.students["crossfit"]   # P(class 1) on a res.xs × res.ys grid
    res.numbers                  # student error vs p0, teacher in-sample / out-of-sample error

Caching (in-process, shared by every session — the results are pure functions of the parameters):

1. `_teacher_fits(data, teacher, folds, seed)`: the dataset, the heat-map grid, and ONE capacity-path
   fit of the full-data teacher and of each cross-fitting fold teacher, predicted on the training
   points, the test points and the grid for every capacity on the slider. The slackest part
   (≈ 0.3–1 s), done once per data/teacher setting.
2. `_student(…, capacity, method, …)`: one student fit (≈ 20–50 ms) → P(class 1) on the grid and its
   error vs p0 on the test points.

So the capacity slider, the method checkboxes, the student and c only touch step 2.
Nothing here imports Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kdviz.data.load import Dataset, load_dataset
from kdviz.data.registry import dataset_spec, list_datasets, takes
from kdviz.errors import ConfigError
from kdviz.kd.distill import one_hot
from kdviz.kd.methods import BASELINE, CROSSFIT, METHODS, kd_methods, method_label
from kdviz.kd.metrics import error_vs_p0, teacher_errors
from kdviz.kd.students import STUDENTS, KDSpec, make_student
from kdviz.presets import PLAYGROUND_DEFAULTS, PLAYGROUND_METHODS
from kdviz.runtime import offload
from kdviz.runtime.cache import single_flight_lru
from kdviz.schema import Choices, check_choices, model_fields, shared
from kdviz.sweep import crossfit_folds, teacher_seed
from kdviz.teachers import TEACHERS, make_teacher


def playground_datasets() -> dict[str, str]:
    """The datasets the Playground offers (2-D, known p0: the spec's ``playground_label``) → their names there."""
    return {d["name"]: dataset_spec(d["name"]).playground_label for d in list_datasets()
            if not d["template"] and dataset_spec(d["name"]).playground_label}


def playground_teachers() -> tuple[str, ...]:
    """The teacher families the Playground offers: those with ``playground_steps`` (its capacity slider)."""
    return tuple(name for name, spec in TEACHERS.items() if spec.playground_steps)


def playground_students() -> tuple[str, ...]:
    """The students the Playground offers: those with ``playground_options``."""
    return tuple(name for name, spec in STUDENTS.items() if spec.playground_options is not None)


def capacity_steps(teacher: str) -> tuple[int, ...]:
    """The capacity slider's steps of a family, least to most flexible where possible."""
    return TEACHERS[teacher].playground_steps


RESOLUTIONS = (30, 45, 60, 90)
#: The Playground's (and so the lesson's) γ rule for its corrected students: the y-free
#: w = c/(c + p̂(1 − p̂)) (THEORY §3), whose correction has mean zero when p̂ = p0 for every c — so
#: "a perfect teacher is left alone (on average)" is true of the student drawn. (The paper's r² rule
#: c/(c + r²) is not mean-zero at p̂ = p0; the Sweep and Theory pages offer both.)
PLAYGROUND_GAMMA = "bound_fast_expected"


class PlaygroundParams(BaseModel):
    """Everything the Playground draws depends on (frozen and hashable by value: the cache key).

    Bounds and choices are the fields' own (the Playground's sliders read them through kdviz.schema);
    invalid values are refused at construction with a ConfigError naming the field and its valid range.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # the settings the sweep and theory models share are theirs (kdviz.schema.VOCABULARY), narrowed for
    # interactivity: small n, and sliders over useful ranges
    dataset: Annotated[str, Choices(lambda: tuple(playground_datasets()), check=True)] = shared(
        "dataset", PLAYGROUND_DEFAULTS["dataset"])
    n: int = shared("n", 600, ge=100, le=3000)
    label_noise: float = shared("label_noise", 0.2, le=0.45)
    r: float = shared("r", 3.0, ge=0.5, le=10.0)
    teacher: Annotated[str, Choices(playground_teachers, check=True)] = shared("teacher", PLAYGROUND_DEFAULTS["teacher"])
    capacity: int = Field(8, description="the teacher's capacity: one of its playground_steps")
    student: Annotated[str, Choices(playground_students, check=True)] = shared("student", PLAYGROUND_DEFAULTS["student"])
    methods: Annotated[tuple[str, ...], Choices(kd_methods)] = shared("methods", PLAYGROUND_METHODS)
    scale: Literal["logp", "p"] = shared("scale", "logp")
    folds: int = shared("folds", 5, le=10)
    # small: good for accurate teachers; shallow (biased) teachers want ≈ 0.1 (THEORY §6). The γ rule is
    # the y-free c/(c + p̂(1 − p̂)) (PLAYGROUND_GAMMA): mean-zero when p̂ = p0
    c: float = shared("c", 0.01, ge=1e-4, le=1e3)
    seed: int = shared("seed", 0)
    resolution: Annotated[int, Choices(lambda: RESOLUTIONS, check=True)] = 60

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as err:
            raise ConfigError("invalid playground settings — " + _playground_errors(err)) from None

    @field_validator("methods")
    @classmethod
    def _methods(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if any(m not in kd_methods() for m in v):
            raise ValueError(f"methods must be a non-empty subset of {', '.join(kd_methods())}")
        return tuple(m for m in kd_methods() if m in v)  # canonical order

    @model_validator(mode="after")
    def _choices(self) -> PlaygroundParams:
        errs = check_choices(self)
        if self.teacher in playground_teachers() and self.capacity not in capacity_steps(self.teacher):
            errs.append(f"capacity for {self.teacher} must be one of {list(capacity_steps(self.teacher))}, "
                        f"got {self.capacity!r}")
        if errs:
            raise ValueError("; ".join(errs))
        return self

    def validated(self) -> PlaygroundParams:
        """The parameters (validated when they were made; kept for callers that ask explicitly)."""
        return self

    def replace(self, **changes: Any) -> PlaygroundParams:
        """A copy with `changes`, validated."""
        return PlaygroundParams(**{**self.model_dump(), **changes})

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()


_RANGE_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _playground_errors(err: ValidationError) -> str:
    parts = []
    fields = model_fields(PlaygroundParams)
    for e in err.errors():
        name = str(e["loc"][0]) if e["loc"] else ""
        spec = fields.get(name)
        msg = e["msg"].removeprefix("Value error, ")
        if spec is not None and spec.lo is not None and spec.hi is not None and e["type"] in _RANGE_ERRORS:
            msg = f"{name} must be between {spec.lo:g} and {spec.hi:g}, got {e['input']!r}"
        elif name and not msg.startswith(name):
            msg = f"{name}: {msg} (got {e['input']!r})"
        parts.append(msg)
    return "; ".join(parts)


@dataclass
class TeacherFits:
    dataset: Dataset
    xs: np.ndarray
    ys: np.ndarray
    grid_points: np.ndarray      # (res², 2)
    p0_grid: np.ndarray          # (res, res) P(class 1)
    capacities: tuple[int, ...]
    full_train: np.ndarray       # (G, n_train, k) in-sample teacher
    full_test: np.ndarray        # (G, n_test, k)
    full_grid: np.ndarray        # (G, res², k)
    oof_train: np.ndarray        # (G, n_train, k) each point scored by the fold teacher that never saw it
    fold_test: np.ndarray        # (G, n_test, k) mean of the fold teachers
    fold_grid: np.ndarray        # (G, res², k)
    fit_seconds: float = 0.0


@dataclass
class PlaygroundResult:
    params: PlaygroundParams
    xs: np.ndarray
    ys: np.ndarray
    X_train: np.ndarray
    y_train: np.ndarray
    p0: np.ndarray                                   # (res, res)
    teacher: np.ndarray                              # (res, res), the full-data teacher
    students: dict[str, np.ndarray] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)
    student_errors: dict[str, float] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------
def _data(dataset: str, n: int, label_noise: float, r: float, seed: int) -> Dataset:
    kw = dict(d=2) if takes(dataset, "d") else {}
    if takes(dataset, "r"):
        kw["r"] = r
    return load_dataset(dataset, seed=seed, n=n, label_noise=label_noise, **kw)


def _grid(ds: Dataset, res: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = np.vstack([ds.X_train, ds.X_test])
    lo = np.quantile(X, 0.005, axis=0) - 0.15
    hi = np.quantile(X, 0.995, axis=0) + 0.15
    xs, ys = np.linspace(lo[0], hi[0], res), np.linspace(lo[1], hi[1], res)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.column_stack([gx.ravel(), gy.ravel()])


@single_flight_lru(maxsize=12)
def _teacher_fits(dataset: str, n: int, label_noise: float, r: float, seed: int, resolution: int,
                  teacher: str, folds: int) -> TeacherFits:
    # the fits for a new data setting run in a helper process: the server keeps answering everyone else
    return offload.call("kdviz.teaching.playground:fit_teachers", dataset, n, label_noise, r, seed, resolution, teacher,
                        folds)


def fit_teachers(dataset: str, n: int, label_noise: float, r: float, seed: int, resolution: int,
                 teacher: str, folds: int) -> TeacherFits:
    """The teacher's capacity path on the full training set and on each cross-fitting fold (uncached)."""
    import time

    t0 = time.perf_counter()
    ds = _data(dataset, n, label_noise, r, seed)
    xs, ys, pts = _grid(ds, resolution)
    p0_grid = ds.bayes(pts)[:, 1].reshape(resolution, resolution)
    caps = tuple(c for c in capacity_steps(teacher) if c <= TEACHERS[teacher].max_capacity)
    opts = TEACHERS[teacher].playground_options

    def fit(X: np.ndarray, y: np.ndarray, fold: int = -1):
        # the sweep's seeds: the full-data teacher keeps `seed`, each fold teacher is its own draw
        return make_teacher(teacher, list(caps), seed=teacher_seed(seed, fold), **opts).fit(X, y, ds.n_classes)

    full = fit(ds.X_train, ds.y_train)
    full_train, full_test, full_grid = (full.predict_proba_path(A) for A in (ds.X_train, ds.X_test, pts))
    oof = np.zeros_like(full_train)
    fold_test = np.zeros_like(full_test)
    fold_grid = np.zeros_like(full_grid)
    for fold, (tr, held) in enumerate(crossfit_folds(ds.y_train, folds, seed)):
        t = fit(ds.X_train[tr], ds.y_train[tr], fold)
        oof[:, held] = t.predict_proba_path(ds.X_train[held])
        fold_test += t.predict_proba_path(ds.X_test) / folds
        fold_grid += t.predict_proba_path(pts) / folds
    return TeacherFits(ds, xs, ys, pts, p0_grid, caps, full_train, full_test, full_grid, oof, fold_test,
                       fold_grid, time.perf_counter() - t0)


def teacher_fits(p: PlaygroundParams) -> TeacherFits:
    return _teacher_fits(p.dataset, p.n, p.label_noise, p.r, p.seed, p.resolution, p.teacher, p.folds)


@single_flight_lru(maxsize=512)
def _student(p: PlaygroundParams, method: str) -> tuple[np.ndarray, float]:
    """(P(class 1) on the grid (res, res), error vs p0 on the test points) of one student."""
    fits = teacher_fits(p)
    ds = fits.dataset
    g = fits.capacities.index(p.capacity)
    Y = one_hot(ds.y_train, ds.n_classes)
    source = METHODS[method].teacher
    p_hat = None if source == "none" else fits.oof_train[g] if source == "out_of_fold" else fits.full_train[g]
    spec = KDSpec(scale=p.scale, corrected=METHODS[method].corrected, gamma=PLAYGROUND_GAMMA, c=p.c)
    student = make_student(p.student, seed=p.seed, **STUDENTS[p.student].playground_options)
    student.fit_kd(ds.X_train, Y, p_hat, spec)
    grid_scores = np.clip(student.predict_scores(fits.grid_points)[:, 1], 0.0, 1.0)
    err = error_vs_p0(student.predict_scores(ds.X_test), ds.p0_test)
    return grid_scores.reshape(p.resolution, p.resolution), err


def compute(params: PlaygroundParams) -> PlaygroundResult:
    """Everything the Playground shows for one setting (validated; cached)."""
    p = params.validated()
    fits = teacher_fits(p)
    ds = fits.dataset
    g = fits.capacities.index(p.capacity)
    res = PlaygroundResult(
        params=p, xs=fits.xs, ys=fits.ys, X_train=ds.X_train, y_train=ds.y_train, p0=fits.p0_grid,
        teacher=fits.full_grid[g][:, 1].reshape(p.resolution, p.resolution),
    )
    for m in p.methods:
        res.students[m], res.student_errors[m] = _student(p.model_copy(update={"methods": ()}), m)
    in_sample = teacher_errors(fits.full_train[g], ds.p0_train)[0]
    out_sample = teacher_errors(fits.full_test[g], ds.p0_test)[0]
    oof = teacher_errors(fits.oof_train[g], ds.p0_train)[0]
    res.numbers = {
        "teacher_in_sample": in_sample ** 2,       # ε2² on the training points (what vanilla learns from)
        "teacher_out_of_sample": out_sample ** 2,  # ε2² on fresh test points
        "teacher_out_of_fold": oof ** 2,           # ε2² of the cross-fitted p̂ on the training points
        "teacher_label_fit": float(np.mean((fits.full_train[g][:, 1] - ds.y_train) ** 2)),
        "n_train": float(ds.n_train),
        "teacher_fit_seconds": fits.fit_seconds,
    }
    return res


@single_flight_lru(maxsize=256)
def figure(params: PlaygroundParams, presentation: bool = False):
    """The Playground's heat maps for one setting (p0, the teacher, each student), built once per setting
    and shared by every browser session: callers must not modify it (copy with `go.Figure(fig)` first)."""
    from kdviz.figures.plots import heatmap_grid
    from kdviz.figures.style import drop_title_for_presentation

    res = compute(params)
    p = res.params
    n = res.numbers
    cap_name = TEACHERS[p.teacher].capacity_name
    panels = [("True probabilities p0", res.p0), (f"Teacher p̂ ({cap_name} = {p.capacity})", res.teacher)]
    subs = ["what every student should learn", f"error vs p0: {n['teacher_out_of_sample']:.4f} (fresh points)"]
    for m, Z in res.students.items():
        panels.append((f"Student: {method_label(m)}", Z))
        subs.append(f"error vs p0: {res.student_errors[m]:.4f}")
    fig = heatmap_grid(panels, res.xs, res.ys, points=(res.X_train, res.y_train), presentation=presentation,
                       cols=3 if not presentation else len(panels) if len(panels) <= 5 else 3, subtitles=subs)
    fig.update_layout(title=f"P(class 1) — {playground_datasets()[p.dataset]}, n = {p.n}, label noise {p.label_noise:.0%}")
    return drop_title_for_presentation(fig, presentation)


@single_flight_lru(maxsize=16)
def home_chart(label_noise: float, presentation: bool = False):
    """Home's live mini-chart (student error against teacher depth, vanilla vs cross-fit) and its computed
    caption; built once per setting for every session (callers must not modify the figure)."""
    from kdviz.figures.plots import capacity_chart
    from kdviz.teaching.captions import caption_for

    table = capacity_curve(PlaygroundParams(label_noise=label_noise, resolution=30), (BASELINE, CROSSFIT))
    fig = capacity_chart(table, "student_error", presentation=presentation,
                         title="Live: student error as the teacher grows (2-D problem)")
    if not presentation:  # presentation: kdviz.figures.style sizes the legend and margins to fit
        fig.update_layout(height=440, legend=dict(orientation="h", yanchor="top", y=-0.25, x=0, xanchor="left"),
                          margin=dict(b=110))
    return fig, caption_for("student_error", table)


def cache_clear() -> None:
    _teacher_fits.cache_clear()
    _student.cache_clear()
    figure.cache_clear()
    home_chart.cache_clear()


def capacity_curve(params: PlaygroundParams, methods: tuple[str, ...] = (BASELINE, CROSSFIT)):
    """A tidy table (kdviz.sweep columns) of student error vs p0 over every capacity on the slider.

    One row per (capacity, method) plus the teacher's own rows, so `kdviz.figures.plots.capacity_chart(table,
    "student_error")` draws it (Home's live mini-chart).
    """
    import pandas as pd

    p = params.replace(methods=tuple(methods))
    fits = teacher_fits(p)
    ds = fits.dataset
    rows = []
    spec = TEACHERS[p.teacher]
    base = dict(dataset=p.dataset, teacher=p.teacher, capacity_name=spec.capacity_name, repeat=0)
    for g, cap in enumerate(fits.capacities):
        e2, e4 = teacher_errors(fits.full_test[g], ds.p0_test)
        rows.append({**base, "capacity": cap, "method": "teacher", "teacher_error_l2": e2, "teacher_error_l4": e4,
                     "teacher_error_train": teacher_errors(fits.full_train[g], ds.p0_train)[0]})
        for m in p.methods:
            q = p.model_copy(update={"capacity": cap, "methods": ()})
            rows.append({**base, "capacity": cap, "method": m, "student_error": _student(q, m)[1]})
    return pd.DataFrame(rows)
