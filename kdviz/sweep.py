"""Plan a distillation sweep as independent seeded tasks, execute them, assemble one tidy table.

Five kinds of task, each content-addressed (`Task.key`) so that identical work is done once; each
returns a typed result (`kdviz.kd.targets`) that `execute` and `assemble` tell apart with ``isinstance``:

- ``teacher``: one capacity-path fit — the full-data teacher (``fold = -1``, used by vanilla,
  corrected and the teacher rows; → `TeacherPredictions`) or the teacher of cross-fitting fold t
  (used by crossfit and enhanced; → `FoldPredictions`), with probabilities for the whole grid;
- ``cv``: the K-fold CV score of one c value of the γ rule, for one (capacity, method) → `CVScore`
  (``c = "cv"``, the paper's full CV);
- ``csearch``: the whole ``cv-fast`` search of c for one (capacity, method) → `CSearch`
  (``c = "cv-fast"``, `kdviz.kd.csearch.fast_search`: adaptive, so one task runs it all);
- ``oracle``: a student trained on the exact targets g(p0), when p0 is known → `OracleError`;
- ``student_batch`` (torch students only): every KD student of one capacity trained in one stacked
  model → `BatchRows`; its params carry ``method_deps`` ({method: [dependency keys]});
- ``student``: one student fit for one (capacity, method, repeat) → one row of the results table
  (a ``dict`` of metrics; read from the capacity's `BatchRows` when there is one).

Teachers are fit once per sweep (seeded by `seed`); `repeats` re-seed the students (the paper's
"student repeats"), so error bands show the variability of the student given the teacher.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from kdviz.config import SweepConfig, data_params, make_config
from kdviz.data.load import Dataset, load_dataset
from kdviz.errors import ConfigError
from kdviz.experiments import Experiment, Progress, Task, register_experiment, run_experiment, task_key
from kdviz.kd.csearch import run_search
from kdviz.kd.distill import one_hot
from kdviz.kd.methods import BASELINE, METHODS, ORACLE_ROW, TEACHER_ROW, crossfit_methods, method_order
from kdviz.kd.metrics import classification_metrics, error_vs_p0, sq_dist, task_score, teacher_errors
from kdviz.kd.students import STUDENTS, make_student
from kdviz.kd.targets import (
    BatchRows,
    CVScore,
    FoldPredictions,
    OracleError,
    TeacherPredictions,
    chosen_c,
    kd_spec,
    teacher_inputs,
)
from kdviz.seeds import spawned_seed, sub_seed
from kdviz.teachers import TEACHERS, make_teacher

COLUMNS = [
    "dataset", "teacher", "capacity_name", "capacity", "method", "repeat", "c", "c_search",
    "test_auc", "test_accuracy", "test_log_loss", "student_error", "oracle_error",
    "teacher_error_l2", "teacher_error_l4", "teacher_error_train", "teacher_label_mse",
    "varied", "axis2_name", "axis2", "n_classes", "scale",
]



# ----------------------------------------------------------------------------------------------
# planning
def load_data(config: SweepConfig, progress: Callable[[str], None] | None = None) -> Dataset:
    return load_dataset(config.dataset, seed=config.seed, test_size=config.test_size,
                        label_noise=config.label_noise, **data_params(config), progress=progress, split=config.split,
                        encoding=config.encoding, categories={k: list(v) for k, v in config.categories.items()},
                        special_values=config.special_values)


def capacity_grid(config: SweepConfig) -> list[int]:
    """The teacher's capacity grid (one capacity, `teacher_capacity`, when the student is varied)."""
    if config.teacher not in TEACHERS:
        make_teacher(config.teacher, [1])  # raises the registry's message (loads torch plug-ins)
    if config.vary == "student":
        return [config.teacher_capacity or max(TEACHERS[config.teacher].default_grid)]
    return list(config.capacities or TEACHERS[config.teacher].default_grid)


def varied_grid(config: SweepConfig) -> list[int]:
    """The capacities of whichever side the sweep varies (the x axis of its charts)."""
    if config.vary == "teacher":
        return capacity_grid(config)
    name = config.student_capacity_name()
    if config.capacities:
        return list(config.capacities)
    grid = student_grid(config.student, name)
    if not grid:
        raise ConfigError(f"no default grid for student option {name!r}; give capacities")
    return list(grid)


def student_grid(student: str, option: str) -> tuple[int, ...]:
    """The default grid of the student axis when `student`'s `option` varies (the spec's ``capacity_grids``)."""
    spec = STUDENTS.get(student)
    return spec.capacity_grids.get(option, ()) if spec else ()


def student_config(config: SweepConfig, capacity: Any) -> SweepConfig:
    """The config whose student has `capacity` (the student axis), or `config` itself."""
    if config.vary != "student" or capacity is None:
        return config
    opts = {**config.student_options, config.student_capacity_name(): int(capacity)}
    return config.model_copy(update={"student_options": opts})


def teacher_seed(seed: int, fold: int = -1, repeat: int = 0) -> int:
    """The seed of one teacher fit, spawned from the run's seed.

    The full-data teacher of repeat 0 (the one vanilla and corrected learn from) keeps `seed`; every
    cross-fitting fold teacher and every further full-data repeat gets its own child seed, so the K
    fold teachers are independent draws (as the authors' unseeded forests are), in path and refit
    mode alike.
    """
    if fold < 0 and repeat == 0:
        return int(seed)
    return spawned_seed(seed, fold + 1, repeat)


def validate(config: SweepConfig, dataset: Dataset) -> None:
    """Refuse impossible combinations before any work is done."""
    grid = capacity_grid(config)
    make_teacher(config.teacher, grid, seed=config.seed, mode=config.teacher_mode, **config.teacher_options)
    make_student(config.student, seed=0, **config.student_options)
    if config.vary == "student":
        name = config.student_capacity_name()
        if name not in STUDENTS[config.student].options:
            raise ConfigError(f"student {config.student!r} has no option {name!r} to vary; "
                              f"choose student_capacity from {', '.join(sorted(STUDENTS[config.student].options))}")
        for cap in varied_grid(config):
            make_student(config.student, seed=0, **student_config(config, cap).student_options)
    counts = np.bincount(dataset.y_train, minlength=dataset.n_classes)
    need = max(config.folds if set(config.methods) & set(crossfit_methods()) else 2, config.cv_folds)
    if counts.min() < need:
        cls = dataset.class_names[int(np.argmin(counts))]
        raise ConfigError(f"class {cls!r} has only {counts.min()} training rows; folds={config.folds} and "
                          f"cv_folds={config.cv_folds} need at least {need} per class — use fewer folds or more data")


_LOADED: dict[str, Dataset] = {}


def dataset_for(config: SweepConfig, base: Dataset) -> Dataset:
    """The dataset of a (second-axis) sub-config: `base` unless its label noise differs (then loaded once
    per setting: the config's data settings, its key fields minus the teacher's and student's own)."""
    if float(config.label_noise) == float(getattr(base, "_label_noise", config.label_noise)):
        return base
    key = repr(sorted((k, repr(v)) for k, v in config.key_fields("data").items()))
    if key not in _LOADED:
        if len(_LOADED) >= 8:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = load_data(config)
    return _LOADED[key]


def axis2_config(config: SweepConfig, value: float) -> SweepConfig:
    """The one-axis config of one second-axis value."""
    for v, sub in config.axis2_configs():
        if v == float(value):
            return sub
    raise ConfigError(f"{value} is not a value of the second axis {config.axis2}")


def plan(config: SweepConfig, dataset: Dataset) -> list[Task]:
    """The sweep's tasks, in an order where every task comes after its dependencies.

    With a second axis, the one-axis plan of every value, each task tagged with ``axis2`` (tasks that
    do not depend on the value, e.g. the teachers when temperature varies, share their keys).
    """
    if config.axis2 is not None:
        tasks: list[Task] = []
        for v, sub in config.axis2_configs():
            tasks += [Task(t.key, t.kind, {**t.params, "axis2": v}, t.deps)
                      for t in _plan_one(sub, dataset_for(sub, dataset))]
        return tasks
    return _plan_one(config, dataset)


def _plan_one(config: SweepConfig, dataset: Dataset) -> list[Task]:
    validate(config, dataset)
    fp = dataset.fingerprint
    grid = capacity_grid(config)
    # content keys: every setting the schema says a task depends on (SweepConfig.key_fields)
    tfields = {**config.key_fields("teacher"), "grid": grid}
    sfields = config.key_fields("student")
    tasks: list[Task] = []

    def add(kind: str, params: dict, fields: dict, deps: tuple[str, ...] = ()) -> Task:
        t = Task(task_key(kind, {**fields, **params}, fp, deps), kind, params, deps)
        tasks.append(t)
        return t

    full = add("teacher", {"fold": -1}, tfields)
    for r in range(1, config.repeats):  # fresh full-data teachers: the teacher row over repeats
        add("teacher", {"fold": -1, "repeat": r}, tfields)
    sources = {"full": (full.key,)}
    if set(config.methods) & set(crossfit_methods()):
        sources["out_of_fold"] = tuple(add("teacher", {"fold": t, "folds": config.folds}, tfields).key
                                    for t in range(config.folds))
    kd_methods = [m for m in config.methods if METHODS[m].teacher != "none"]
    teacher_deps = {m: sources[METHODS[m].teacher] for m in kd_methods}

    by_student = config.vary == "student"
    points = [(0, cap) for cap in varied_grid(config)] if by_student else list(enumerate(grid))
    for r in range(config.repeats):
        for m in (m for m in config.methods if METHODS[m].teacher == "none"):  # labels only: no teacher
            if by_student:  # the labels-only student has the same capacity grid
                for cap in varied_grid(config):
                    add("student", {"method": m, "repeat": r, "capacity": cap}, sfields)
            else:
                add("student", {"method": m, "repeat": r}, sfields)
        if dataset.p0_train is not None:
            add(ORACLE_ROW, {"repeat": r}, sfields)
    search = config.c_search()
    cv_fields = {**sfields, "cv_folds": config.cv_folds, "cv_metric": config.cv_metric}
    for i, cap in points:
        method_deps: dict[str, tuple[str, ...]] = {}
        for m in kd_methods:
            method_deps[m] = teacher_deps[m]
            if METHODS[m].corrected and search == "cv":
                method_deps[m] += tuple(add("cv", {"cap": i, "capacity": cap, "method": m, "c": c}, cv_fields,
                                            teacher_deps[m]).key for c in config.c_grid)
            elif METHODS[m].corrected and search == "cv-fast":  # one task: the search adapts to its scores
                method_deps[m] += (add("csearch", {"cap": i, "capacity": cap, "method": m},
                                       {**cv_fields, "search": search, "c_grid": config.c_grid},
                                       teacher_deps[m]).key,)
        batch: tuple[str, ...] = ()
        if kd_methods and _batch_runner(config.student):  # torch students: one model trains them all
            by_method = {m: list(ks) for m, ks in sorted(method_deps.items())}  # JSON-serialisable
            union = tuple(dict.fromkeys(k for ks in method_deps.values() for k in ks))
            batch = (add("student_batch", {"cap": i, "capacity": cap, "method_deps": by_method},
                         {**sfields, "c": config.c, "methods": kd_methods, "repeats": config.repeats}, union).key,)
        for m in kd_methods:
            for r in range(config.repeats):
                add("student", {"cap": i, "capacity": cap, "method": m, "repeat": r},
                    {**sfields, "c": config.c}, batch + method_deps[m])
    return tasks


def _batch_runner(student: str) -> Callable[..., BatchRows] | None:
    """The batched trainer for students that train many copies in one model (torch), else None."""
    spec = STUDENTS.get(student)
    if spec is not None and not spec.needs_torch:
        return None  # a scikit-learn student: do not import torch
    try:
        from kdviz.neural.sweep import run_student_batch, supports_batching
    except ImportError:
        return None
    return run_student_batch if supports_batching(student) else None


# ----------------------------------------------------------------------------------------------
# execution of one task
def _teacher_task(task: Task, config: SweepConfig, ds: Dataset) -> TeacherPredictions | FoldPredictions:
    grid = capacity_grid(config)
    fold = task.params["fold"]
    seed = teacher_seed(config.seed, fold, task.params.get("repeat", 0))
    teacher = make_teacher(config.teacher, grid, seed=seed, mode=config.teacher_mode, **config.teacher_options)
    if fold < 0:
        teacher.fit(ds.X_train, ds.y_train, ds.n_classes)
        return TeacherPredictions(train=teacher.predict_proba_path(ds.X_train),
                                  test=teacher.predict_proba_path(ds.X_test))
    train_idx, held_idx = crossfit_folds(ds.y_train, config.folds, config.seed)[fold]
    teacher.fit(ds.X_train[train_idx], ds.y_train[train_idx], ds.n_classes)
    return FoldPredictions(idx=held_idx, oof=teacher.predict_proba_path(ds.X_train[held_idx]),
                           test=teacher.predict_proba_path(ds.X_test))


def crossfit_folds(y: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffled, stratified, seeded K-fold split of the training set used for cross-fitting."""
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(skf.split(np.zeros(len(y)), y))


def _student_row(config: SweepConfig, ds: Dataset, method: str, seed: int, p_train: np.ndarray | None,
                 c: float | None) -> dict[str, Any]:
    Y = one_hot(ds.y_train, ds.n_classes)
    student = make_student(config.student, seed=seed, **config.student_options)
    student.fit_kd(ds.X_train, Y, p_train, kd_spec(config, method, c))
    scores = student.predict_scores(ds.X_test)
    return {**classification_metrics(scores, ds.y_test), "student_error": error_vs_p0(scores, ds.p0_test)}


def cv_fold_scorer(config: SweepConfig, ds: Dataset, method: str, p_train: np.ndarray) -> Callable[[float, int], float]:
    """(c, fold) → the held-out score of a student trained with c on that CV fold's training rows.

    Both searches of c (`kdviz.kd.csearch`) use it: the same folds and student seed, so a fold score is
    the same number whichever search asks for it."""
    Y = one_hot(ds.y_train, ds.n_classes)
    splits = crossfit_folds(ds.y_train, config.cv_folds, sub_seed(config.seed, 1))

    def score(c: float, fold: int) -> float:
        tr, va = splits[fold]
        student = make_student(config.student, seed=config.seed, **config.student_options)
        student.fit_kd(ds.X_train[tr], Y[tr], p_train[tr], kd_spec(config, method, c))
        return task_score(student.predict_scores(ds.X_train[va]), ds.y_train[va], config.cv_metric)

    return score


def _cv_score(config: SweepConfig, ds: Dataset, method: str, c: float, p_train: np.ndarray) -> float:
    score = cv_fold_scorer(config, ds, method, p_train)
    return float(np.mean([score(c, f) for f in range(config.cv_folds)]))


def execute(task: Task, config: SweepConfig, dataset: Dataset, deps: dict[str, Any]) -> Any:
    """Run one task. `deps` maps each key in `task.deps` to that task's result."""
    p = task.params
    if "axis2" in p:
        config = axis2_config(config, p["axis2"])
        dataset = dataset_for(config, dataset)
    ds = dataset
    if task.kind != "teacher":
        config = student_config(config, p.get("capacity") if config.vary == "student" else None)
    if task.kind == "teacher":
        return _teacher_task(task, config, ds)
    if task.kind == ORACLE_ROW:
        seed = sub_seed(config.seed, p["repeat"], 0)
        return OracleError(_student_row(config, ds, BASELINE, seed, ds.p0_train, None)["student_error"])
    if task.kind == "student_batch":
        return _batch_runner(config.student)(config, ds, p["cap"], list(config.methods), deps, p["method_deps"])
    method = p["method"]
    if METHODS[method].teacher == "none":
        return _student_row(config, ds, method, sub_seed(config.seed, p["repeat"], 1), None, None)
    p_train, p_test = teacher_inputs(method, p["cap"], deps.values(), len(ds.y_train))
    if task.kind == "cv":
        return CVScore(c=p["c"], score=_cv_score(config, ds, method, p["c"], p_train))
    if task.kind == "csearch":
        return run_search(config.c, config.c_grid, config.cv_folds, cv_fold_scorer(config, ds, method, p_train))
    c = chosen_c(config, method, deps.values())
    batch = next((d for d in deps.values() if isinstance(d, BatchRows)), None)
    if batch is not None:
        row = dict(batch.rows[BatchRows.name(method, p["repeat"])])
    else:
        row = _student_row(config, ds, method, sub_seed(config.seed, p["repeat"], 2), p_train, c)
    # cross-fit rows: the out-of-fold predictions the student learned from (not the fold teachers' mean)
    crossfit = METHODS[method].teacher == "out_of_fold"
    e2, e4 = teacher_errors(p_train, ds.p0_train) if crossfit else teacher_errors(p_test, ds.p0_test)
    Y = one_hot(ds.y_train, ds.n_classes)
    row.update(c=c, c_search=config.c_search() if c is not None else None, teacher_error_l2=e2, teacher_error_l4=e4,
               teacher_error_train=teacher_errors(p_train, ds.p0_train)[0],
               teacher_label_mse=float(np.mean(sq_dist(p_train, Y))))
    return row


# ----------------------------------------------------------------------------------------------
# assembling the tidy table
def assemble(config: SweepConfig, dataset: Dataset, tasks: list[Task], results: dict[str, Any]) -> pd.DataFrame:
    """One row per (capacity, method, repeat) for every finished task (partial results allowed).

    Teacher rows: one per repeat (fresh full-data forests, as the paper reports its teacher); when
    the student is varied they have no capacity (the teacher is fixed) and no_kd rows have one.
    """
    if config.axis2 is not None:
        frames = []
        for v, sub in config.axis2_configs():
            part = [t for t in tasks if t.params.get("axis2") == v]
            frames.append(_assemble_one(sub, dataset_for(sub, dataset), part, results)
                          .assign(axis2_name=config.axis2, axis2=v))
        return pd.concat(frames, ignore_index=True).reindex(columns=COLUMNS)
    return _assemble_one(config, dataset, tasks, results)


def _assemble_one(config: SweepConfig, dataset: Dataset, tasks: list[Task], results: dict[str, Any]) -> pd.DataFrame:
    grid = capacity_grid(config)
    spec = TEACHERS[config.teacher]
    by_student = config.vary == "student"
    cap_name = config.student_capacity_name() if by_student else spec.capacity_name
    base = dict(dataset=config.dataset, teacher=config.teacher, capacity_name=cap_name, varied=config.vary,
                n_classes=dataset.n_classes, scale=config.scale)  # n_classes > 2: test_auc is the one-vs-rest macro AUC
    rows: list[dict[str, Any]] = []
    oracle: dict[int, float] = {}
    for t in tasks:
        res = results.get(t.key)
        if res is None:
            continue
        if isinstance(res, OracleError):
            oracle[t.params["repeat"]] = res.oracle_error
        elif isinstance(res, TeacherPredictions):
            Y = one_hot(dataset.y_train, dataset.n_classes)
            for i, cap in enumerate(grid):
                e2, e4 = teacher_errors(res.test[i], dataset.p0_test)
                rows.append({**base, "capacity": np.nan if by_student else cap, "method": TEACHER_ROW,
                             "repeat": t.params.get("repeat", 0),
                             **classification_metrics(res.test[i], dataset.y_test),
                             "student_error": np.nan, "teacher_error_l2": e2, "teacher_error_l4": e4,
                             "teacher_error_train": teacher_errors(res.train[i], dataset.p0_train)[0],
                             "teacher_label_mse": float(np.mean(sq_dist(res.train[i], Y)))})
        elif t.kind == "student":
            cap = t.params.get("capacity", np.nan)
            rows.append({**base, "capacity": cap, "method": t.params["method"], "repeat": t.params["repeat"], **res})
    df = pd.DataFrame(rows)
    df = df.reindex(columns=COLUMNS)
    df["oracle_error"] = df["repeat"].map(oracle).astype(float)
    order = {m: i for i, m in enumerate(method_order())}
    df["_m"] = df["method"].map(order)
    df = df.sort_values(["_m", "capacity", "repeat"], na_position="first").drop(columns="_m")
    return df.reset_index(drop=True)


def run_sweep(config: SweepConfig, *, jobs: int | None = None, progress: Progress | None = None,
              dataset: Dataset | None = None) -> pd.DataFrame:
    """Run a capacity sweep and return its tidy results table."""
    return run_experiment("sweep", config, jobs=jobs, progress=progress, context=dataset)


register_experiment(Experiment(
    name="sweep",
    description="teacher-capacity sweep: students of every KD method against teacher capacity",
    make_config=lambda d: make_config(**d),
    load=load_data,
    fingerprint=lambda config, ds: ds.fingerprint,
    plan=plan,
    execute=execute,
    assemble=assemble,
))


from kdviz.callmod import make_callable  # noqa: E402  (kdviz.sweep(...) in a notebook: kdviz.api.sweep)

make_callable(__name__, "sweep")
