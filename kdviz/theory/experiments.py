"""The four theory experiments, registered with the experiment engine (`kdviz.experiments`).

- ``theory-capacity``  the capacity sweep (`kdviz.sweep`) restricted to synthetic data, where the
  teacher's in-sample, out-of-fold and out-of-sample errors against p0 are all measurable. Its tasks
  *are* the sweep's tasks (same keys), so cached sweep results are reused.
- ``theory-eps``  teacher-error sweep: the controlled teacher at a grid of ε, one task per (ε, repeat).
- ``theory-n``    sample-size sweep: a fixed controlled teacher, one task per (n, repeat).
- ``theory-c``    γ/c sweep: the bound-fast enhanced student at a grid of c for a few teachers, one task
  per (ε, repeat); the c chosen by cross-validation on the labels (never on p0) is recorded.

Every task loads its own seeded synthetic sample: repeat r uses data seed SeedSequence([seed, r]),
the *same* sample for every ε and c (common random numbers, so curves differ only by the dial); the
sample-size sweep takes the first n training rows of one large sample per repeat (nested samples).
Errors are evaluated on `n_eval` fresh points of the same draw.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from kdviz.config import CGrid, CValue, SweepConfig
from kdviz.config import make_config as make_sweep_config
from kdviz.data.load import Dataset, load_dataset
from kdviz.data.registry import dataset_spec, generated, list_datasets, takes
from kdviz.errors import ConfigError
from kdviz.experiments import Experiment, Task, register_experiment, task_key
from kdviz.kd.distill import best_c
from kdviz.kd.methods import BASELINE, METHODS, crossfit_methods, theory_methods, tuned_method
from kdviz.presets import DEFAULT_DATASET, PAPER_C_GRID
from kdviz.schema import SEED_MAX, Choices, check_choices, key_fields, shared
from kdviz.schema import key_extra as _key
from kdviz.seeds import sub_seed
from kdviz.theory.controlled import (
    ControlledTeacher,
    MethodSpec,
    cv_scores,
    measure_run,
    poly_features,
)


def theory_datasets() -> tuple[str, ...]:
    """The datasets the theory experiments run on: generated ones with known p0 (the spec's facts)."""
    return tuple(d["name"] for d in list_datasets() if not d["template"] and generated(d["name"]))

MAX_ROWS_FITTED = 1_000_000_000  # Σ over tasks of training rows × fits: a ceiling on a run's work (≈ minutes)

COLUMNS = [
    "experiment", "dataset", "student", "n", "eps", "kappa", "method", "repeat", "c", "c_cv",
    "student_error", "oracle_error", "bias_error", "variance_error", "excess_error", "correction_var",
    "student_error_p", "teacher_error_l2", "teacher_error_l4", "teacher_error_train",
    "gamma_rule", "series",
]


def series_name(method: str, rule: str | None, c: float | None, cv: bool) -> str:
    """One estimator = one series: the tuned student (γ rule with c) is a different estimator for each c."""
    if METHODS[method].theory != "config":
        return method
    return f"{method}, c by CV per ε" if cv else f"{method}, c = {c:g}"


class TheoryConfig(BaseModel):
    """Knobs shared by the controlled-teacher experiments (ε, n and c sweeps)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: Annotated[str, Choices(theory_datasets, check=True)] = shared("dataset", DEFAULT_DATASET)
    d: int = shared("d", 2, le=10)
    r: float | None = shared("r", 0.5)
    label_noise: float = shared("label_noise", 0.1)
    kappa: float = Field(1.0, gt=0, le=10, description="teacher tempering κ")
    h_seed: int = Field(0, ge=0, le=SEED_MAX, description="seed of the teacher's bias field h")
    student: Literal["linear", "quadratic", "cubic"] = shared("student", "quadratic")
    methods: tuple[str, ...] = shared("methods", default_factory=theory_methods)
    c: CValue = shared("c", "cv", bounds=False)
    c_grid: CGrid = shared("c_grid", PAPER_C_GRID, bounds=False)
    # added after the first runs: they enter a task's key (both) only when either is set (`key_fields`)
    gamma: Literal["bound_fast", "bound_fast_expected"] = shared("gamma", "bound_fast", json_schema_extra=_key("later"))
    c_fixed: CGrid = Field((), max_length=8, description="also show the enhanced student at each of these "
                                                          "fixed c, one series (and one slope) per c",
                           json_schema_extra=_key("later"))
    cv_folds: int = shared("cv_folds", 5)
    cv_metric: Literal["brier", "auc"] = shared("cv_metric", "brier")
    n_eval: int = Field(20_000, ge=500, le=500_000, description="fresh points the errors are averaged over")
    repeats: int = shared("repeats", 5, json_schema_extra=_key("none"))
    seed: int = shared("seed", 0)

    @field_validator("methods")
    @classmethod
    def _methods(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if any(m in METHODS and METHODS[m].theory is None and m in crossfit_methods() for m in v):
            raise ValueError("the controlled teacher never sees the training labels, so cross-fitting "
                             f"changes nothing: use '{BASELINE}' (the capacity sweep shows cross-fitting)")
        known = theory_methods()
        bad = [m for m in v if m not in known]
        if bad:
            raise ValueError(f"unknown method(s) {', '.join(bad)}; choose from {', '.join(known)}")
        return tuple(m for m in known if m in v)

    @model_validator(mode="after")
    def _check(self) -> TheoryConfig:
        errs = check_choices(self)
        if errs:
            raise ValueError("; ".join(errs))
        dims = dataset_spec(self.dataset).dims
        if dims is not None and self.d != dims:
            raise ValueError(f"{self.dataset} is {dims}-dimensional: set d={dims}")
        work = self.estimated_work()
        if work > MAX_ROWS_FITTED:
            raise ValueError(f"this run fits about {work:.2g} training rows (limit {MAX_ROWS_FITTED:.0e}); "
                             "reduce n, repeats or the grid")
        return self

    # overridden by each experiment
    def train_sizes(self) -> list[int]:
        return []

    def dials(self) -> list[float]:
        return []

    def fits_per_task(self) -> int:
        cv = self.cv_folds * len(self.c_grid) if tuned_method() in self.methods and self.c == "cv" else 0
        return 1 + 2 * len(self.methods) + 2 * len(self.c_fixed) + cv

    def estimated_work(self) -> float:
        return float(sum(self.train_sizes()) * len(self.dials()) * self.repeats * self.fits_per_task())

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _grid(v: tuple[float, ...], name: str, low: float, high: float) -> tuple[float, ...]:
    if any(not (low <= x <= high) for x in v):
        raise ValueError(f"every {name} must be in [{low}, {high}], got {list(v)}")
    return tuple(sorted(set(float(x) for x in v)))


#: A grid of bias strengths ε in [0, 5], sorted and deduplicated.
EpsGrid = Annotated[tuple[float, ...], AfterValidator(lambda v: _grid(v, "ε", 0.0, 5.0))]

#: The documented ε range (THEORY §6): the teacher-bias term is in its Taylor regime (local log-log
#: slopes stay within ±0.3 of 2 and 4 on the default GMM) and spans three decades for the corrected
#: student; at n = 20,000 its finite-n excess is bias-dominated from ε ≈ 0.57 (ε2 ≈ 0.08) up.
DEFAULT_EPS_GRID = (0.1, 0.141, 0.2, 0.283, 0.4, 0.566, 0.8, 1.131, 1.6)


class EpsSweepConfig(TheoryConfig):
    """Teacher-error sweep: student error against ε2 for a grid of bias strengths ε."""

    n: int = shared("n", 20_000, ge=100, json_schema_extra=_key("none"))  # the tasks' n
    eps_grid: EpsGrid = Field(DEFAULT_EPS_GRID, min_length=2, max_length=30, json_schema_extra=_key("none"))

    def train_sizes(self) -> list[int]:
        return [self.n]

    def dials(self) -> list[float]:
        return list(self.eps_grid)


class SizeSweepConfig(TheoryConfig):
    """Sample-size sweep: student error against n for one controlled teacher."""

    eps: float = Field(0.8, ge=0, le=5, json_schema_extra=_key("none"))  # the tasks' eps
    n_grid: tuple[int, ...] = Field((500, 1000, 2000, 5000, 10_000, 20_000, 50_000), min_length=2, max_length=20,
                                    json_schema_extra=_key("none"))

    @field_validator("n_grid")
    @classmethod
    def _n(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(not (100 <= x <= 1_000_000) for x in v):
            raise ValueError(f"every n must be in [100, 1000000], got {list(v)}")
        return tuple(sorted(set(int(x) for x in v)))

    def train_sizes(self) -> list[int]:
        return list(self.n_grid)

    def dials(self) -> list[float]:
        return [self.eps]


class CSweepConfig(TheoryConfig):
    """γ/c sweep: the enhanced student at every c of `c_grid`, for each teacher of `eps_grid`."""

    n: int = shared("n", 2_000, ge=100, json_schema_extra=_key("none"))
    eps_grid: EpsGrid = Field((0.3, 0.8, 1.6), min_length=1, max_length=10, json_schema_extra=_key("none"))
    c_grid: CGrid = shared("c_grid", tuple(float(x) for x in np.logspace(-3, 3, 13)), bounds=False, min_length=2)

    def train_sizes(self) -> list[int]:
        return [self.n]

    def dials(self) -> list[float]:
        return list(self.eps_grid)

    def fits_per_task(self) -> int:
        return 3 + 2 * len(self.c_grid) + self.cv_folds * len(self.c_grid)


def _format(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        field = ".".join(str(x) for x in e["loc"]) or "config"
        parts.append(f"{field}: {e['msg'].removeprefix('Value error, ')}")
    return "invalid theory configuration — " + "; ".join(parts)


def _maker(cls: type[TheoryConfig]):
    def make(values: dict[str, Any] | None = None, **kw: Any) -> TheoryConfig:
        try:
            return cls(**{**(values or {}), **kw})
        except ValidationError as err:
            raise ConfigError(_format(err)) from None
    return make


make_eps_config = _maker(EpsSweepConfig)
make_size_config = _maker(SizeSweepConfig)
make_c_config = _maker(CSweepConfig)


# ----------------------------------------------------------------------------------------------
# data: one large seeded sample per repeat, shared by every ε / c / n of that repeat
def data_seed(seed: int, repeat: int) -> int:
    return sub_seed(seed, repeat)


@functools.lru_cache(maxsize=4)
def _sample(dataset: str, d: int, r: float | None, label_noise: float, n_train: int, n_eval: int,
            seed: int) -> Dataset:
    ts = min(0.85, max(0.06, n_eval / (n_train + n_eval)))
    total = int(np.ceil(max(n_train / (1 - ts), n_eval / ts))) + 4
    kw: dict[str, Any] = {"d": d} if takes(dataset, "d") else {}
    return load_dataset(dataset, n=total, seed=seed, test_size=ts, label_noise=label_noise, r=r, **kw)


def sample(config: TheoryConfig, n_train: int, repeat: int) -> Dataset:
    """The repeat's dataset with at least `n_train` training and `n_eval` evaluation rows."""
    return _sample(config.dataset, config.d, config.r, config.label_noise, n_train, config.n_eval,
                   data_seed(config.seed, repeat))


def load_context(config: TheoryConfig) -> dict[str, str]:
    """A tiny probe of the generator: its fingerprint keys the tasks (changes if the generator does)."""
    probe = load_dataset(config.dataset, n=200, seed=config.seed, label_noise=config.label_noise, r=config.r,
                         **({"d": config.d} if takes(config.dataset, "d") else {}))
    return {"fingerprint": probe.fingerprint}


def _fields(config: TheoryConfig) -> dict[str, Any]:
    """The settings a controlled task's key holds, read from the schema (`kdviz.schema.key_fields`): every
    field but those marked ``_key("none")`` (they enter through the task's own eps, n, n_max and repeat),
    and gamma and c_fixed only when set (``_key("later")``: the keys of earlier runs stay valid)."""
    return key_fields(config)


# ----------------------------------------------------------------------------------------------
# planning
def _plan(config: TheoryConfig, ctx: dict[str, str], kind: str, points: list[dict[str, Any]]) -> list[Task]:
    fields = {**_fields(config), "experiment": kind}
    tasks = []
    for r in range(config.repeats):
        for p in points:
            params = {**p, "repeat": r}
            tasks.append(Task(task_key("controlled", {**fields, **params}, ctx["fingerprint"]), "controlled", params))
    return tasks


def plan_eps(config: EpsSweepConfig, ctx: dict[str, str]) -> list[Task]:
    return _plan(config, ctx, "theory-eps", [{"eps": e, "n": config.n, "n_max": config.n} for e in config.eps_grid])


def plan_size(config: SizeSweepConfig, ctx: dict[str, str]) -> list[Task]:
    n_max = max(config.n_grid)
    return _plan(config, ctx, "theory-n", [{"eps": config.eps, "n": n, "n_max": n_max} for n in config.n_grid])


def plan_c(config: CSweepConfig, ctx: dict[str, str]) -> list[Task]:
    return _plan(config, ctx, "theory-c", [{"eps": e, "n": config.n, "n_max": config.n} for e in config.eps_grid])


# ----------------------------------------------------------------------------------------------
# execution
def _spec(config: TheoryConfig, method: str, c: float | None = None) -> MethodSpec:
    """How `method` builds its target in the theory experiments (the method table's ``theory`` fact)."""
    rule = METHODS[method].theory
    if rule == "plain":
        return MethodSpec(method, False)
    if rule == "full":
        return MethodSpec(method, True, "full")
    return MethodSpec(method, True, config.gamma, c)


def _specs(config: TheoryConfig, c_tuned: float | None) -> list[MethodSpec]:
    out = []
    for m in config.methods:
        out.append(_spec(config, m, c_tuned))
        if METHODS[m].theory == "config":
            out += [_spec(config, m, c) for c in config.c_fixed]
    return out


def _label(config: TheoryConfig, spec: MethodSpec, cv: bool) -> dict[str, Any]:
    rule = None if not spec.corrected else spec.rule
    return {"gamma_rule": rule, "series": series_name(spec.method, rule, spec.c, cv)}


def execute(task: Task, config: TheoryConfig, ctx: Any, deps: dict[str, Any]) -> list[dict[str, Any]]:
    """One controlled run: every method's bound terms on one seeded training sample."""
    p = task.params
    ds = sample(config, p["n_max"], p["repeat"])
    n = p["n"]
    if ds.n_train < n:
        raise RuntimeError(f"sample has {ds.n_train} training rows, {n} needed")
    X, y, p0 = ds.X_train[:n], ds.y_train[:n], ds.p0_train[:n]
    teacher = ControlledTeacher(eps=p["eps"], kappa=config.kappa, h_seed=config.h_seed).fit(X)
    cv_seed = data_seed(config.seed, 10_000 + p["repeat"])
    base = {"n": n, "eps": p["eps"], "repeat": p["repeat"]}

    def cv_choice(grid: list[float]) -> float:
        D = poly_features(X, {"linear": 1, "quadratic": 2, "cubic": 3}[config.student])
        scores = cv_scores(D, teacher.predict_proba(X, p0), y, grid, config.cv_folds, cv_seed, config.cv_metric,
                           config.gamma)
        return best_c(scores)

    if isinstance(config, CSweepConfig):
        c_cv = cv_choice(list(config.c_grid))
        specs = [_spec(config, m) for m in theory_methods() if METHODS[m].theory != "config"]
        specs += [_spec(config, tuned_method(), c) for c in config.c_grid]
        rows = measure_run(X, y, p0, ds.X_test, ds.p0_test, teacher, specs, student=config.student)
        return [{**base, **row, "c_cv": c_cv, **_label(config, sp, False)} for sp, row in zip(specs, rows)]

    c_cv = None
    if tuned_method() in config.methods:
        c_cv = cv_choice(list(config.c_grid)) if config.c == "cv" else float(config.c)
    specs = _specs(config, c_cv)
    rows = measure_run(X, y, p0, ds.X_test, ds.p0_test, teacher, specs, student=config.student)
    first = [i == next(j for j, s in enumerate(specs) if s.method == sp.method) for i, sp in enumerate(specs)]
    cv = config.c == "cv"
    return [{**base, **row, "c_cv": c_cv if (cv and row["method"] == tuned_method() and is_first) else None,
             **_label(config, sp, cv and is_first)} for sp, row, is_first in zip(specs, rows, first)]


# ----------------------------------------------------------------------------------------------
# assembling
def make_assemble(kind: str):
    def assemble(config: TheoryConfig, ctx: Any, tasks: list[Task], results: dict[str, Any]) -> pd.DataFrame:
        """One row per (dial, method, repeat) [and c for the c sweep], for every finished task."""
        rows = []
        for t in tasks:
            for row in results.get(t.key) or []:
                rows.append({"experiment": kind, "dataset": config.dataset, "student": config.student,
                             "kappa": config.kappa, **row})
        df = pd.DataFrame(rows).reindex(columns=COLUMNS)
        order = {m: i for i, m in enumerate(theory_methods())}
        df["_m"] = df["method"].map(order)
        df = df.sort_values(["_m", "series", "eps", "n", "c", "repeat"], na_position="first").drop(columns="_m")
        return df.reset_index(drop=True)
    return assemble


# ----------------------------------------------------------------------------------------------
# theory-capacity: the sweep on synthetic data
def make_capacity_config(values: dict[str, Any] | None = None, **kw: Any) -> SweepConfig:
    cfg = make_sweep_config(**{**(values or {}), **kw})
    if cfg.dataset not in theory_datasets():
        raise ConfigError(f"the theory capacity sweep needs synthetic data with known p0 "
                          f"({' or '.join(theory_datasets())}), got {cfg.dataset!r}")
    return cfg


def _capacity_assemble(config: SweepConfig, ds: Dataset, tasks: list[Task], results: dict[str, Any]) -> pd.DataFrame:
    from kdviz.sweep import assemble

    df = assemble(config, ds, tasks, results)
    df.insert(0, "experiment", "theory-capacity")
    # in-sample (vanilla), out-of-fold (cross-fit) and out-of-sample teacher errors, in student-error units
    df["teacher_sq_error_train"] = df["teacher_error_train"] ** 2
    df["teacher_sq_error_test"] = df["teacher_error_l2"] ** 2
    return df


def _register() -> None:
    from kdviz import sweep

    register_experiment(Experiment(
        name="theory-capacity",
        description="capacity sweep on synthetic data: student error and the teacher's in-sample, "
                    "out-of-fold and out-of-sample errors against p0",
        make_config=make_capacity_config, load=sweep.load_data, fingerprint=lambda c, ds: ds.fingerprint,
        plan=sweep.plan, execute=sweep.execute, assemble=_capacity_assemble))
    for name, desc, maker, planner in [
        ("theory-eps", "teacher-error sweep: controlled teacher p̂ = σ(κ·logit p0 + ε·h), student error vs ε2",
         make_eps_config, plan_eps),
        ("theory-n", "sample-size sweep: student error vs n for a fixed controlled teacher",
         make_size_config, plan_size),
        ("theory-c", "γ/c sweep: enhanced student error vs the bound-fast constant c, CV choice marked",
         make_c_config, plan_c),
    ]:
        register_experiment(Experiment(
            name=name, description=desc, make_config=maker, load=load_context,
            fingerprint=lambda c, ctx: ctx["fingerprint"], plan=planner, execute=execute,
            assemble=make_assemble(name)))


_register()
