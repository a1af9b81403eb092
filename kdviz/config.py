"""The validated configuration of a distillation sweep: every knob, its bounds and its default.

A `SweepConfig` is what the CLI, the dashboard, shareable links and the job store all exchange.
Invalid values are refused with a `ConfigError` whose message names the field.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from kdviz.errors import ConfigError
from kdviz.kd.csearch import C_SEARCHES, fast_fits_max
from kdviz.kd.distill import C_RULES
from kdviz.kd.methods import METHODS, corrected_methods, crossfit_methods, kd_methods
from kdviz.presets import (  # noqa: F401 (re-exported)
    DEFAULT_DATASET,
    DEFAULT_STUDENT,
    DEFAULT_TEACHER,
    PAPER_C_GRID,
    PAPER_DATASETS,
    PAPER_PROTOCOLS,
    PRESETS,
    apply_preset,
    paper_preset,
)
from kdviz.schema import (
    C_MAX,
    Choices,
    FieldSpec,
    KeyScope,
    dataset_names,
    forget,
    key_extra,
    key_fields,
    key_scope,  # noqa: F401 (re-exported)
    model_fields,
    shared,
    student_names,
    teacher_names,
)

#: Config fields a sweep can vary as its second axis (drawn as a heat map of each method's gain).
Axis2Field = Literal["label_noise", "temperature", "alpha", "folds"]
AXIS2_FIELDS = get_args(Axis2Field)

MAX_TOTAL_FITS = 5_000  # a hard ceiling so that no link or config can launch an unbounded run

def check_options(options: dict[str, Any], limits: dict[str, tuple[float, float]]) -> dict[str, Any]:
    """Options within the family's `limits` (the spec's ``option_limits``: a typo such as n_estimators=1e8
    is refused up front instead of running for days); 1e3 for an integer option means 1000."""
    for key, value in options.items():
        if key in limits and value is not None:
            lo, hi = limits[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
                raise ValueError(f"{key} must be a number in [{lo:g}, {hi:g}], got {value!r}")
            if isinstance(value, float) and value.is_integer() and isinstance(lo, int) and isinstance(hi, int):
                options = {**options, key: int(value)}  # 1e3 from a link or flag means 1000
    return options


def _spec(registry: str, name: str) -> Any:
    """The teacher or student spec of `name` (plug-ins loaded when it is not registered yet), or None."""
    from kdviz import plugins
    from kdviz.kd.students import STUDENTS
    from kdviz.teachers import TEACHERS

    table = TEACHERS if registry == "teacher" else STUDENTS
    if name not in table:
        plugins.load_plugins()
    return table.get(name)


# the numeric bounds of c and of c_grid's values are the shared vocabulary's (0, C_MAX]
def _check_c(v: float | str) -> float | str:
    if v != "cv" and not (0 < float(v) <= C_MAX):
        raise ValueError(f"c must be 'cv' or a number in (0, {C_MAX:g}], got {v}")
    return v


def _check_c_grid(v: tuple[float, ...]) -> tuple[float, ...]:
    if any(not (0 < c <= C_MAX) for c in v):
        raise ValueError(f"every c in c_grid must be in (0, {C_MAX:g}], got {list(v)}")
    return tuple(sorted(set(v)))


def _check_sweep_c(v: float | str) -> float | str:
    if v not in C_SEARCHES and not (0 < float(v) <= C_MAX):
        raise ValueError(f"c must be a number in (0, {C_MAX:g}], 'cv' (full cross-validation) or 'cv-fast' "
                         f"(the cheaper search), got {v}")
    return v


#: The bound-fast constant: a number in (0, 1e6] or "cv" (chosen by cross-validation).
CValue = Annotated[float | Literal["cv"], AfterValidator(_check_c)]
#: A sweep's c: a number, "cv" (full cross-validation) or "cv-fast" (`kdviz.kd.csearch.fast_search`).
SweepCValue = Annotated[float | Literal["cv", "cv-fast"], AfterValidator(_check_sweep_c)]
#: A grid of c values, sorted and deduplicated.
CGrid = Annotated[tuple[float, ...], AfterValidator(_check_c_grid)]


#: Which content keys a field enters (`SweepConfig.key_fields`; `kdviz.schema.KeyScope`).
_key = key_extra


class SweepConfig(BaseModel):
    """Everything that determines a sweep's results (execution details such as `jobs` live elsewhere)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # data
    dataset: Annotated[str, Choices(dataset_names, open=True)] = shared("dataset", DEFAULT_DATASET)
    n: int | None = shared("n", None, le=500_000)
    d: int | None = shared("d", None)
    r: float | None = shared("r", None)
    target: str | None = Field(None, max_length=200, description="target column of a CSV dataset")
    test_size: float = Field(0.3, gt=0.05, lt=0.9, description="fraction of the rows held out for testing")
    label_noise: float = shared("label_noise", 0.0)
    split: Literal["stratified", "authors"] = Field(
        "stratified", description="train/test split: 'stratified' (seeded from seed), or 'authors': the paper's "
                                  "train_test_split(test_size, random_state=seed), not stratified, in file order")
    encoding: Literal["onehot", "ordinal"] = Field(
        "onehot", description="categorical columns: one-hot, or 'ordinal' codes with mean imputation (the "
                              "paper's Adult)")
    categories: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="ordinal encoding: the declared order of each column's levels")
    special_values: tuple[float, ...] = Field(
        (), max_length=10, description="numbers coding a missing reading (FICO: -7, -8, -9): each becomes the "
                                       "last, rows coded in every feature are dropped")
    # teacher
    teacher: Annotated[str, Choices(teacher_names)] = shared("teacher", DEFAULT_TEACHER, json_schema_extra=_key("teacher"))
    capacities: tuple[int, ...] | None = Field(None, min_length=1, max_length=30,
                                               description="the capacity grid (default: the family's own)", json_schema_extra=_key("none"))
    teacher_options: dict[str, Any] = Field(default_factory=dict, json_schema_extra=_key("teacher"))
    teacher_mode: Literal["path", "refit"] = Field(
        "path", description="'path': the capacity path of one fit; 'refit': one fit per capacity", json_schema_extra=_key("teacher"))
    # student and KD
    student: Annotated[str, Choices(student_names)] = shared("student", DEFAULT_STUDENT, json_schema_extra=_key("student"))
    student_options: dict[str, Any] = Field(default_factory=dict, json_schema_extra=_key("student"))
    methods: Annotated[tuple[str, ...], Choices(kd_methods)] = shared(
        "methods", default_factory=kd_methods, json_schema_extra=_key("none"))
    scale: Literal["logp", "p"] = shared("scale", "logp", json_schema_extra=_key("student"))
    folds: int = shared("folds", 5, json_schema_extra=_key("none"))
    gamma: Literal["bound_fast", "bound_fast_expected", "full"] = shared(
        "gamma", "bound_fast", json_schema_extra=_key("student"))
    c: SweepCValue = shared("c", "cv", bounds=False, json_schema_extra=_key("student"))
    c_grid: CGrid = shared("c_grid", PAPER_C_GRID, bounds=False, max_length=15, json_schema_extra=_key("student"))
    cv_folds: int = shared("cv_folds", 5, json_schema_extra=_key("student"))
    cv_metric: Literal["brier", "task"] = shared("cv_metric", "task", json_schema_extra=_key("student"))
    temperature: float = Field(4.0, gt=0, le=100, description="Hinton KD temperature (neural students)", json_schema_extra=_key("student"))
    alpha: float = Field(0.5, ge=0, le=1, description="Hinton KD mixing weight (neural students)", json_schema_extra=_key("student"))
    # protocol
    repeats: int = shared("repeats", 3, le=20, json_schema_extra=_key("none"))
    seed: int = shared("seed", 0)
    # which side the capacity grid varies, and an optional second axis
    vary: Literal["teacher", "student"] = Field(
        "teacher", description="'teacher': capacities are the teacher's grid; 'student': the teacher is fixed "
                               "at teacher_capacity and capacities set the student option student_capacity", json_schema_extra=_key("none"))
    teacher_capacity: int | None = Field(None, ge=1, le=100_000,
                                         description="the fixed teacher capacity when vary='student'", json_schema_extra=_key("none"))
    student_capacity: str | None = Field(None, max_length=50,
                                         description="student option varied when vary='student' "
                                                     "(default: n_estimators for rf, width for mlp, ...)", json_schema_extra=_key("none"))
    axis2: Axis2Field | None = Field(
        None, description="a second swept field (a heat map of each method's gain over vanilla); "
                          "each value reruns the capacity sweep", json_schema_extra=_key("none"))
    axis2_values: tuple[float, ...] = Field((), max_length=10, description="the values of axis2", json_schema_extra=_key("none"))
    paper: str | None = Field(None, max_length=40,
                              description="the published experiment this run reproduces, e.g. 'magic-B' "
                                          "(charts overlay the published means)", json_schema_extra=_key("none"))

    @field_validator("methods")
    @classmethod
    def _methods(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        known = kd_methods()
        bad = [m for m in v if m not in known]
        if bad:
            raise ValueError(f"unknown method(s) {', '.join(bad)}; choose from {', '.join(known)}")
        return tuple(m for m in known if m in v)  # canonical order, no duplicates

    @model_validator(mode="wrap")
    @classmethod
    def _options(cls, values: Any, handler: Any) -> SweepConfig:
        if isinstance(values, dict):  # each family's options within its spec's bounds
            values = dict(values)
            for side, default in (("teacher", DEFAULT_TEACHER), ("student", DEFAULT_STUDENT)):
                spec = _spec(side, str(values.get(side, default)))
                opts = values.get(f"{side}_options")
                if spec is not None and isinstance(opts, dict):
                    try:
                        values[f"{side}_options"] = check_options(opts, spec.option_limits)
                    except ValueError as e:
                        raise ValidationError.from_exception_data(cls.__name__, [dict(
                            type="value_error", loc=(f"{side}_options",), input=opts, ctx={"error": e})]) from None
        return handler(values)

    @field_validator("capacities")
    @classmethod
    def _capacities(cls, v: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if v is None:
            return None
        if any(c < 1 for c in v):
            raise ValueError(f"capacities must be positive integers, got {list(v)}")
        return tuple(sorted(set(v)))

    @model_validator(mode="after")
    def _axes(self) -> SweepConfig:
        if self.vary == "student" and self.student_capacity is None and default_student_capacity(self.student) is None:
            raise ValueError(f"student {self.student!r} has no capacity option to vary; set student_capacity "
                             "or vary the teacher")
        if (self.axis2 is None) != (len(self.axis2_values) == 0):
            raise ValueError("axis2 and axis2_values go together: name the field and give its values "
                             f"(got axis2={self.axis2!r}, axis2_values={list(self.axis2_values)})")
        if self.axis2 == "folds" and any(not float(v).is_integer() for v in self.axis2_values):
            raise ValueError(f"axis2 folds values must be whole numbers, got {list(self.axis2_values)}")
        for v in self.axis2_values:
            try:
                SweepConfig(**{**self.model_dump(), self.axis2: v, "axis2": None, "axis2_values": ()})
            except ValidationError as e:
                msg = "; ".join(x["msg"].removeprefix("Value error, ") for x in e.errors())
                raise ValueError(f"axis2 value {v} is not a valid {self.axis2}: {msg}") from None
        return self

    def student_capacity_name(self) -> str:
        """The student option the student axis varies."""
        return self.student_capacity or default_student_capacity(self.student) or "n_estimators"

    def axis2_configs(self) -> list[tuple[float, SweepConfig]]:
        """(value, the one-axis config for that value) for every value of the second axis."""
        out = []
        for v in self.axis2_values:
            value = int(v) if self.axis2 == "folds" else float(v)
            out.append((float(v), self.model_copy(update={self.axis2: value, "axis2": None, "axis2_values": ()})))
        return out

    @model_validator(mode="after")
    def _budget(self) -> SweepConfig:
        fits = self.estimated_fits()
        if fits > MAX_TOTAL_FITS:
            raise ValueError(
                f"this sweep needs about {fits} model fits (limit {MAX_TOTAL_FITS}); "
                "reduce repeats, capacities, folds or the c grid"
            )
        return self

    # ----------------------------------------------------------------------------------------
    def estimated_fits(self) -> int:
        """Number of model fits the sweep performs (teachers + students + CV for c)."""
        if self.axis2 is not None:
            return sum(cfg.estimated_fits() for _v, cfg in self.axis2_configs())
        n_cap = len(self.capacities) if self.capacities else 8
        per_cap = [m for m in self.methods if METHODS[m].teacher != "none"]
        fits = self.repeats + (self.folds if set(self.methods) & set(crossfit_methods()) else 0)
        fits += n_cap * len(per_cap) * self.repeats + self.repeats * (2 * n_cap if self.vary == "student" else 2)
        search = self.c_search()
        if search in C_SEARCHES:
            n_corr = len(set(self.methods) & set(corrected_methods()))
            per = len(self.c_grid) * self.cv_folds if search == "cv" else fast_fits_max(len(self.c_grid), self.cv_folds)
            fits += n_cap * n_corr * per
        return fits

    def c_search(self) -> str | None:
        """Which search chooses c: ``"cv"``, ``"cv-fast"``, ``"fixed"`` (a number) or None (γ rule without c)."""
        if self.gamma not in C_RULES:
            return None
        return self.c if self.c in C_SEARCHES else "fixed"

    def to_dict(self) -> dict[str, Any]:
        return json.loads(self.model_dump_json())

    def key_fields(self, side: str) -> dict[str, Any]:
        """The settings that enter the content key of a `side` ("teacher" or "student") task: every field
        whose key scope is "all" or `side` (read from the schema: a registered field enters every key)."""
        return key_fields(self, ("all", side))


def register_field(name: str, annotation: Any, field: Any, *, key: KeyScope = "all") -> None:
    """Add a setting to `SweepConfig` (a plug-in's, or a dataset's new parameter): the CLI's flags, the
    Sweep form, links and the task keys (every task's, unless `key` says otherwise) pick it up.

    ``register_field("warmup", int, Field(0, ge=0, le=100, description="..."))``; registering a name
    again does nothing (a module reload).
    """
    if name in SweepConfig.model_fields:
        return
    info = FieldInfo.from_annotated_attribute(annotation, field)
    info.json_schema_extra = {**(info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}),
                              **_key(key)}
    SweepConfig.model_fields[name] = info
    SweepConfig.__annotations__[name] = annotation
    SweepConfig.model_rebuild(force=True)
    forget(SweepConfig)


def unregister_field(name: str) -> None:
    """Remove a registered setting (tests that register their own clean up with it)."""
    if SweepConfig.model_fields.pop(name, None) is not None:
        SweepConfig.__annotations__.pop(name, None)
        SweepConfig.model_rebuild(force=True)
        forget(SweepConfig)


def _dataset_params(spec: Any) -> None:
    """A dataset's parameter that no setting holds yet becomes one (None = the dataset's default)."""
    for p in spec.params:
        if p.name in SweepConfig.model_fields:
            continue
        bounds = {("gt" if p.lo_open else "ge"): p.lo} if p.lo is not None else {}
        if p.hi is not None:
            bounds["le"] = p.hi
        register_field(p.name, p.kind | None, Field(None, description=f"{p.help} ({spec.name})", **bounds))


def dataset_param_names(dataset: str) -> tuple[str, ...]:
    """The settings that are parameters of `dataset` (its spec's ``params``; none for an unknown name)."""
    from kdviz.data.registry import dataset_spec
    from kdviz.errors import DatasetError

    try:
        return tuple(p.name for p in dataset_spec(dataset).params)
    except DatasetError:
        return ()


def param_default(dataset: str, name: str) -> Any:
    """The value `dataset` uses for its parameter `name` when the setting is unset (None: it has no such
    parameter, or no default): what a form shows in an empty field, e.g. d = 5 for synthetic:gmm."""
    from kdviz.data.registry import dataset_spec
    from kdviz.errors import DatasetError

    try:
        return next((p.default for p in dataset_spec(dataset).params if p.name == name), None)
    except DatasetError:
        return None


def data_params(config: SweepConfig) -> dict[str, Any]:
    """The dataset's own parameters as `config` sets them (for ``load_dataset``)."""
    return {name: getattr(config, name) for name in dataset_param_names(config.dataset)}


def sweep_fields() -> dict[str, FieldSpec]:
    """Every field of SweepConfig (kind, choices, bounds, default, description): what the CLI and forms read."""
    return model_fields(SweepConfig)


def sweep_field(name: str) -> FieldSpec:
    return model_fields(SweepConfig)[name]


def default_student_capacity(student: str) -> str | None:
    """The option the student axis varies by default: the student spec's ``capacity_option``."""
    from kdviz import plugins
    from kdviz.kd.students import STUDENTS

    if student not in STUDENTS:
        plugins.load_plugins()
    spec = STUDENTS.get(student)
    return spec.capacity_option if spec else None


def data_settings(cfg: dict[str, Any]) -> str:
    """The settings that change the data, in words: ``all rows · no label noise`` or ``n = 2000 · label noise 20 %``."""
    from kdviz.data.registry import generated

    n, noise = cfg.get("n"), float(cfg.get("label_noise") or 0.0)
    rows = f"n = {n}" if n else ("default n" if generated(str(cfg.get("dataset", ""))) else "all rows")
    return f"{rows} · " + (f"label noise {noise:.0%}" if noise else "no label noise")


def _format_error(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        field = ".".join(str(x) for x in e["loc"]) or "config"
        msg = e["msg"].removeprefix("Value error, ")
        if "got" not in msg and e["loc"] and not isinstance(e.get("input"), dict):
            msg += f" (got {e['input']!r})"
        parts.append(f"{field}: {msg}")
    return "invalid configuration — " + "; ".join(parts)


def make_config(**values: Any) -> SweepConfig:
    """Build a `SweepConfig`, turning validation failures into one readable `ConfigError`."""
    try:
        return SweepConfig(**values)
    except ValidationError as err:
        raise ConfigError(_format_error(err)) from None


def load_config_file(path: str | Path, *, keep_preset: bool = False) -> dict[str, Any]:
    """Read a TOML or JSON config file into a dict (validated later by `make_config`).

    The settings are the file's top level or its ``[sweep]`` table; ``preset = "quick"`` starts from
    a preset (its demo n / label noise only on its own dataset: `apply_preset`; `keep_preset` leaves
    the ``preset`` key for the caller to apply). Binary files, other encodings than UTF-8 and files that are not a table of settings
    are refused with a ConfigError.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise ConfigError(f"cannot read config file {p}: {e.strerror or e}") from None
    if b"\x00" in raw[:4096]:
        raise ConfigError(f"config file {p} is a binary file, not TOML or JSON text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(f"config file {p} is not UTF-8 text (byte {e.start}): save it as UTF-8 "
                          "(TOML and JSON files are UTF-8)") from None
    as_json = p.suffix.lower() == ".json" or (p.suffix.lower() != ".toml" and text.lstrip()[:1] in "[{")
    kind = "JSON" if as_json else "TOML"
    try:
        data = json.loads(text) if as_json else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as e:
        raise ConfigError(f"config file {p} is not valid {kind}: {e}") from None
    data = data.get("sweep", data) if isinstance(data, dict) else data
    if not isinstance(data, dict):
        raise ConfigError(f"config file {p} must hold a table of settings (key = value, or a [sweep] table), "
                          f"got {type(data).__name__} {str(data)[:40]!r}; to start from a preset write "
                          'preset = "quick"')
    data = dict(data)
    preset = data.get("preset")
    if preset is not None and preset not in PRESETS:
        raise ConfigError(f"config file {p}: unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    if keep_preset:
        return data
    return apply_preset(data.pop("preset", None), data)[0]


def _watch_datasets() -> None:
    from kdviz.data.registry import on_register

    on_register(_dataset_params)


_watch_datasets()
