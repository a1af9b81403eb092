"""The validated configuration of a distillation sweep: every knob, its bounds and its default.

A `SweepConfig` is what the CLI, the dashboard, shareable links and the job store all exchange.
Invalid values are refused with a `ConfigError` whose message names the field.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from kdviz.errors import ConfigError

METHODS = ("no_kd", "vanilla", "crossfit", "corrected", "enhanced")
#: Methods whose teacher predictions come from K out-of-fold teachers.
CROSSFIT_METHODS = ("crossfit", "enhanced")
#: Methods that add the loss correction (and so need γ and, for bound_fast, c).
CORRECTED_METHODS = ("corrected", "enhanced")
#: The paper's grid for the bound-fast constant c (THEORY §3).
PAPER_C_GRID = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)

MAX_TOTAL_FITS = 5_000  # a hard ceiling so that no link or config can launch an unbounded run

#: Bounds of the numeric teacher/student options (any family): a typo such as n_estimators=1e8
#: is refused up front instead of running for days.
OPTION_LIMITS: dict[str, tuple[float, float]] = {
    "n_estimators": (1, 2000), "max_depth": (1, 200), "epochs": (1, 2000), "width": (1, 4096),
    "depth": (1, 8), "channels": (1, 256), "batch_size": (1, 65_536), "lr": (1e-7, 10.0),
    "learning_rate": (1e-6, 10.0), "weight_decay": (0.0, 10.0), "ridge_alpha": (0.0, 1e8),
}


def _check_options(options: dict[str, Any]) -> dict[str, Any]:
    for key, value in options.items():
        if key in OPTION_LIMITS and value is not None:
            lo, hi = OPTION_LIMITS[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
                raise ValueError(f"{key} must be a number in [{lo:g}, {hi:g}], got {value!r}")
            if isinstance(value, float) and value.is_integer() and key not in ("lr", "learning_rate",
                                                                               "weight_decay", "ridge_alpha"):
                options = {**options, key: int(value)}  # 1e3 from a link or flag means 1000
    return options


def _check_c(v: float | str) -> float | str:
    if v != "cv" and not (0 < float(v) <= 1e6):
        raise ValueError(f"c must be 'cv' or a number in (0, 1e6], got {v}")
    return v


def _check_c_grid(v: tuple[float, ...]) -> tuple[float, ...]:
    if any(not (0 < c <= 1e6) for c in v):
        raise ValueError(f"every c in c_grid must be in (0, 1e6], got {list(v)}")
    return tuple(sorted(set(v)))


#: The bound-fast constant: a number in (0, 1e6] or "cv" (chosen by cross-validation).
CValue = Annotated[float | Literal["cv"], AfterValidator(_check_c)]
#: A grid of c values, sorted and deduplicated.
CGrid = Annotated[tuple[float, ...], AfterValidator(_check_c_grid)]


class SweepConfig(BaseModel):
    """Everything that determines a sweep's results (execution details such as `jobs` live elsewhere)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # data
    dataset: str = Field("synthetic:gmm", min_length=3, max_length=500)
    n: int | None = Field(None, ge=50, le=500_000, description="rows (synthetic) or subsample size")
    d: int | None = Field(None, ge=1, le=200, description="dimension of synthetic:gmm")
    r: float | None = Field(None, gt=0, le=20, description="separation / sharpness of synthetic data")
    target: str | None = Field(None, max_length=200, description="target column of a CSV dataset")
    test_size: float = Field(0.3, gt=0.05, lt=0.9)
    label_noise: float = Field(0.0, ge=0.0, lt=0.5)
    # teacher
    teacher: str = Field("rf-depth", max_length=50)
    capacities: tuple[int, ...] | None = Field(None, min_length=1, max_length=30)
    teacher_options: dict[str, Any] = Field(default_factory=dict)
    teacher_mode: Literal["path", "refit"] = "path"
    # student and KD
    student: str = Field("rf", max_length=50)
    student_options: dict[str, Any] = Field(default_factory=dict)
    methods: tuple[str, ...] = Field(METHODS, min_length=1)
    scale: Literal["p", "logp"] = "logp"
    folds: int = Field(5, ge=2, le=20, description="K, the number of cross-fitting folds")
    gamma: Literal["full", "bound_fast"] = "bound_fast"
    c: CValue = "cv"
    c_grid: CGrid = Field(PAPER_C_GRID, min_length=1, max_length=15)
    cv_folds: int = Field(5, ge=2, le=10)
    cv_metric: Literal["task", "brier"] = Field(
        "task", description="how CV scores each c: 'task' = AUC (binary) or accuracy, as in the paper; "
                            "'brier' = squared error of the probabilities against the held-out labels, which "
                            "estimates the distance to p0 up to a constant")
    temperature: float = Field(4.0, gt=0, le=100, description="Hinton KD temperature (neural students)")
    alpha: float = Field(0.5, ge=0, le=1, description="Hinton KD mixing weight (neural students)")
    # protocol
    repeats: int = Field(3, ge=1, le=20)
    seed: int = Field(0, ge=0, le=2**31 - 1)

    @field_validator("methods")
    @classmethod
    def _methods(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [m for m in v if m not in METHODS]
        if bad:
            raise ValueError(f"unknown method(s) {', '.join(bad)}; choose from {', '.join(METHODS)}")
        return tuple(m for m in METHODS if m in v)  # canonical order, no duplicates

    @field_validator("teacher_options", "student_options")
    @classmethod
    def _options(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _check_options(v)

    @field_validator("capacities")
    @classmethod
    def _capacities(cls, v: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if v is None:
            return None
        if any(c < 1 for c in v):
            raise ValueError(f"capacities must be positive integers, got {list(v)}")
        return tuple(sorted(set(v)))

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
        n_cap = len(self.capacities) if self.capacities else 8
        per_cap = [m for m in self.methods if m != "no_kd"]
        fits = 1 + (self.folds if any(m in CROSSFIT_METHODS for m in self.methods) else 0)
        fits += n_cap * len(per_cap) * self.repeats + self.repeats * 2
        if self.c == "cv" and self.gamma == "bound_fast":
            n_corr = sum(m in CORRECTED_METHODS for m in self.methods)
            fits += n_cap * n_corr * len(self.c_grid) * self.cv_folds
        return fits

    def digest(self) -> str:
        """A stable content hash of the configuration."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return json.loads(self.model_dump_json())


def data_settings(cfg: dict[str, Any]) -> str:
    """The settings that change the data, in words: ``all rows · no label noise`` or ``n = 2000 · label noise 20 %``."""
    n, noise = cfg.get("n"), float(cfg.get("label_noise") or 0.0)
    synthetic = str(cfg.get("dataset", "")).startswith("synthetic:")
    rows = f"n = {n}" if n else ("default n" if synthetic else "all rows")
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


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a TOML or JSON config file into a dict (validated later by `make_config`).

    The settings are the file's top level or its ``[sweep]`` table; ``preset = "quick"`` starts from
    a preset. Binary files, other encodings than UTF-8 and files that are not a table of settings
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
    preset = data.pop("preset", None)
    if preset is not None:
        if preset not in PRESETS:
            raise ConfigError(f"config file {p}: unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
        data = {**PRESETS[preset], **data}
    return data


#: Ready-made configurations (the dashboard's "start here" buttons and `kdviz sweep --preset`).
PRESETS: dict[str, dict[str, Any]] = {
    # Interactive: finishes in seconds on 2 cores.
    "quick": dict(dataset="synthetic:gmm", n=2000, label_noise=0.2, capacities=(1, 2, 4, 8, 16),
                  teacher_options={"n_estimators": 50}, folds=5, repeats=2,
                  c_grid=(1e-3, 1e-2, 1e-1, 1.0, 10.0), cv_folds=3, cv_metric="brier"),
    "overfitting-teacher": dict(dataset="synthetic:gmm", n=3000, label_noise=0.2,
                                capacities=(2, 4, 8, 16, 24), teacher_options={"n_estimators": 50},
                                methods=("no_kd", "vanilla", "crossfit"), folds=5, repeats=3),
    "underfitting-teacher": dict(dataset="synthetic:gmm", n=3000, label_noise=0.2, capacities=(1, 2, 3),
                                 teacher_options={"n_estimators": 50},
                                 methods=("no_kd", "vanilla", "crossfit", "enhanced"), folds=5, repeats=3,
                                 c_grid=(1e-3, 1e-2, 1e-1, 1.0, 10.0), cv_folds=3, cv_metric="brier"),
    # THEORY §4: the paper's MAGIC protocol (needs the MAGIC CSV; heavy: minutes on 2 cores).
    "paper-magic": dict(dataset="openml:MagicTelescope", capacities=(1, 2, 3, 5, 10, 15, 20),
                        teacher_options={"n_estimators": 100}, student_options={"n_estimators": 10},
                        methods=("no_kd", "vanilla", "crossfit", "enhanced"), folds=10, repeats=5),
}
