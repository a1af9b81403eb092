"""The dataset registry: one :class:`DatasetSpec` per dataset (or per name pattern), looked up by name.

A spec says what a dataset is (description, whether its Bayes probabilities p0 are known, its number
of classes), which parameters it takes (:class:`Param`: default, bounds, one-line help) and how to
load it (``loader(request) -> RawData``). :func:`kdviz.data.load.load_dataset` looks the name up with
:func:`dataset_spec`, checks the parameters with :meth:`DatasetSpec.resolve`, calls the loader and
then splits, encodes and standardizes the rows. A new dataset is one call::

    register_dataset(DatasetSpec(
        name="toy:blobs", description="Two blobs.", n_classes=2,
        params=(Param("n", 500, "rows", kind=int, lo=50),),
        loader=lambda req: RawData(*make_blobs(req.params["n"], centers=2, random_state=req.seed)),
    ))

A name with ``<...>`` (``openml:<name>``, ``csv:<path>``) is a pattern: it matches every name that
starts with the text before ``<``; the rest is :attr:`LoadRequest.arg`. Exact names win over patterns.

Built in: ``synthetic:gmm``, ``synthetic:curve`` (generators and p0 in :mod:`kdviz.data.synthetic`),
``sklearn:breast_cancer|digits|digits_binary|wine``, ``openml:<name>`` (:mod:`kdviz.data.openml`) with
three named OpenML entries, and ``csv:<path>`` (:mod:`kdviz.data.tables`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kdviz.data import synthetic
from kdviz.data.openml import openml_frame
from kdviz.data.tables import DataReport, Progress, prepare_table, read_table
from kdviz.errors import DatasetError

__all__ = ["COMMON_PARAMS", "DatasetSpec", "LoadRequest", "MIN_ROWS", "Param", "RawData", "dataset_spec",
           "generated", "list_datasets", "register_dataset", "takes", "unknown_dataset", "unregister_dataset"]

MIN_ROWS = 50
#: parameters every dataset takes (checked by kdviz.data.load.load_dataset), with their defaults
COMMON_PARAMS: dict[str, Any] = {"seed": 0, "test_size": 0.3, "label_noise": 0.0}


@dataclass(frozen=True)
class Param:
    """One dataset parameter: default (None = unset/all), bounds (``lo``/``hi``, inclusive unless
    ``lo_open``) and a one-line help. ``kind`` is int, float or str."""

    name: str
    default: Any
    help: str
    kind: type = float
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False

    def check(self, value: Any, dataset: str) -> Any:
        """The value converted to ``kind``; DatasetError naming the bounds when it is out of them."""
        if self.kind is str:
            if not isinstance(value, str):
                raise DatasetError(f"{self.name} must be a text ({self.help}), got {value!r}.")
            return value
        is_int = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        ok = is_int if self.kind is int else (is_int or isinstance(value, (float, np.floating)))
        ok = ok and math.isfinite(float(value))
        if ok and self.lo is not None:
            ok = float(value) > self.lo if self.lo_open else float(value) >= self.lo
        if ok and self.hi is not None:
            ok = float(value) <= self.hi
        if not ok:
            raise DatasetError(f"{self.name} must be {self.bounds()}, got {value!r} ({dataset}: {self.help}).")
        return int(value) if self.kind is int else float(value)

    def bounds(self) -> str:
        """``an integer of at least 50``, ``an integer in [1, 200]``, ``a positive number``, …"""
        what = "an integer" if self.kind is int else "a number"
        if self.lo is not None and self.lo == self.hi:
            return f"{self.lo:g}"
        if self.lo == 0 and self.lo_open and self.hi is None:
            return "a positive integer" if self.kind is int else "a positive number"
        if self.lo is not None and self.hi is not None:
            return f"{what} in {'(' if self.lo_open else '['}{self.lo:g}, {self.hi:g}]"
        if self.lo is not None:
            return f"{what} {'above' if self.lo_open else 'of at least'} {self.lo:g}"
        if self.hi is not None:
            return f"{what} of at most {self.hi:g}"
        return what


@dataclass(frozen=True)
class LoadRequest:
    """What a loader gets: the full name, the part a pattern matched, resolved parameters and context."""

    name: str
    arg: str
    params: dict[str, Any]
    seed: int
    cache_dir: str | os.PathLike[str] | None = None
    progress: Progress | None = None


@dataclass
class RawData:
    """A loader's rows before the split.

    ``X`` is an array (numbers; NaN is imputed with the training median) or a DataFrame of clean
    table columns (float64 numeric, object categorical: imputed and one-hot encoded on the training
    rows, see :mod:`kdviz.data.encoding`). Class and feature names default to ``0..k-1`` and ``x1..xd``.
    """

    X: np.ndarray | pd.DataFrame
    y: np.ndarray
    class_names: list[str] | None = None
    feature_names: list[str] | None = None
    p0: np.ndarray | None = None
    p0_fn: Callable[..., np.ndarray] | None = None  # p0 at raw points (with p0_params): Dataset.bayes
    p0_params: dict[str, float] = field(default_factory=dict)
    image_shape: tuple[int, int] | None = None
    report: DataReport | None = None


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset (or a pattern of them): what it is, the parameters it takes and its loader.

    ``subsample``: n (if a parameter) draws a seeded stratified subsample of the loaded rows; False
    when the loader uses n itself (the synthetic generators).
    """

    name: str
    description: str
    loader: Callable[[LoadRequest], RawData] = field(repr=False, compare=False)
    params: tuple[Param, ...] = ()
    has_p0: bool = False
    n_classes: int | None = None
    subsample: bool = True
    #: the number of features when the dataset fixes it (synthetic:curve is 2-D); None: data or ``d`` decide
    dims: int | None = None
    #: how the Playground names it (a 2-D problem with known p0); None: not offered there
    playground_label: str | None = None

    @property
    def template(self) -> bool:
        """True for a pattern such as ``csv:<path>`` (not loadable as written)."""
        return "<" in self.name

    @property
    def prefix(self) -> str:
        return self.name.split("<", 1)[0] if self.template else self.name

    def matches(self, name: str) -> bool:
        if not self.template:
            return name == self.name
        rest = name[len(self.prefix):]
        return name.startswith(self.prefix) and bool(rest) and not (rest.startswith("<") and rest.endswith(">"))

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def resolve(self, given: dict[str, Any]) -> dict[str, Any]:
        """Defaults overridden by the given values that are not None; refuses parameters it does not take."""
        out = self.defaults()
        for key, value in given.items():
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            p = self.param(key)
            if p is None:
                accepts = ", ".join(p.name for p in self.params) or "none besides seed, test_size, label_noise"
                raise DatasetError(f"{self.name} does not take {key} (got {key}={value!r}); it takes: {accepts}. "
                                   f"Leave {key} unset.")
            out[key] = p.check(value, self.name)
        return out

    def describe(self) -> dict[str, Any]:
        """The :func:`list_datasets` entry (a fresh dict)."""
        parameters = {**COMMON_PARAMS, **self.defaults()}
        return {"name": self.name, "description": self.description, "has_p0": self.has_p0,
                "n_classes": self.n_classes, "parameters": parameters, "params": parameters,
                "template": self.template}


_REGISTRY: dict[str, DatasetSpec] = {}
_LISTENERS: list[Callable[[DatasetSpec], None]] = []


def on_register(listener: Callable[[DatasetSpec], None]) -> None:
    """Call `listener(spec)` for every dataset registered so far and every one registered later (the
    config adds a setting for each new parameter name: ``kdviz.config``)."""
    _LISTENERS.append(listener)
    for spec in list(_REGISTRY.values()):
        listener(spec)


def register_dataset(spec: DatasetSpec, *, replace: bool = False) -> DatasetSpec:
    """Add a dataset (or pattern) to the registry; refuses a name that is taken unless ``replace``."""
    if ":" not in spec.name:
        raise DatasetError(f"Dataset names look like 'family:name', got {spec.name!r}.")
    if spec.name in _REGISTRY and not replace:
        raise DatasetError(f"Dataset {spec.name!r} is registered already.")
    if len({p.name for p in spec.params}) != len(spec.params) or any(p.name in COMMON_PARAMS for p in spec.params):
        raise DatasetError(f"{spec.name}: parameter names must be unique and not one of {', '.join(COMMON_PARAMS)}.")
    _REGISTRY[spec.name] = spec
    for listener in _LISTENERS:
        listener(spec)
    return spec


def unregister_dataset(name: str) -> None:
    """Remove a registered dataset (tests, plug-ins that reload)."""
    _REGISTRY.pop(name, None)


def known_names() -> str:
    return ", ".join(_REGISTRY)


def dataset_spec(name: str) -> DatasetSpec:
    """The spec of `name`: a registered name (patterns included, as ``csv:<path>``), else the longest
    pattern that matches it (``csv:/data/x.csv`` → the ``csv:<path>`` spec). DatasetError if none.

    A pattern as written has a spec (for forms and flags) but :func:`kdviz.data.load.load_dataset` refuses it.
    """
    if isinstance(name, str):
        name = name.strip()
        if name in _REGISTRY:
            return _REGISTRY[name]
        patterns = sorted((s for s in _REGISTRY.values() if s.template and s.matches(name)),
                          key=lambda s: -len(s.prefix))
        if patterns:
            return patterns[0]
    raise unknown_dataset(name)


def takes(name: str, param: str) -> bool:
    """Whether dataset `name` accepts `param` (e.g. ``d`` for ``synthetic:gmm``); False for unknown names."""
    try:
        return dataset_spec(name).param(param) is not None
    except DatasetError:
        return False


def generated(name: str) -> bool:
    """Whether `name`'s rows are generated (known p0, a default n) rather than read from real data."""
    try:
        spec = dataset_spec(name)
    except DatasetError:
        return False
    n = spec.param("n")
    return spec.has_p0 and n is not None and n.default is not None


def unknown_dataset(name: object) -> DatasetError:
    hint = " (replace <name> with an OpenML dataset name and <path> with a CSV file path)" if isinstance(
        name, str) and ":" in name else ""
    return DatasetError(f"Unknown dataset {name!r}. Known datasets: {known_names()}{hint}.")


def list_datasets() -> list[dict[str, Any]]:
    """The registry: one dict per dataset with ``name, description, has_p0, n_classes, parameters``.

    ``params`` is an alias of ``parameters`` (defaults of the common and the dataset's own parameters);
    ``template`` is True for patterns such as ``openml:<name>`` and ``csv:<path>`` (not loadable as
    written). ``n_classes`` is None when it depends on the file. Use :func:`dataset_spec` for the bounds
    and help of each parameter.
    """
    return [spec.describe() for spec in _REGISTRY.values()]


# --------------------------------------------------------------------------------------------------
# Built-in datasets
# --------------------------------------------------------------------------------------------------

N_REAL = Param("n", None, "rows used: a seeded stratified subsample; unset = all rows", kind=int, lo=MIN_ROWS)
TARGET = Param("target", None, "the label column", kind=str)


def _load_gmm(req: LoadRequest) -> RawData:
    n, d, r = req.params["n"], req.params["d"], req.params["r"]
    X, y, p0 = synthetic.generate_gmm(n, d, r, req.seed)
    return RawData(X, y, ["0", "1"], [f"x{j + 1}" for j in range(d)], p0=p0, p0_fn=synthetic.gmm_p0, p0_params={"r": r})


def _load_curve(req: LoadRequest) -> RawData:
    s = req.params["r"]
    X, y, p0 = synthetic.generate_curve(req.params["n"], s, req.seed)
    return RawData(X, y, ["0", "1"], ["x1", "x2"], p0=p0, p0_fn=synthetic.curve_p0, p0_params={"s": s})


def _load_sklearn(req: LoadRequest) -> RawData:
    from sklearn import datasets as skd

    which = req.name.partition(":")[2]
    if which in ("breast_cancer", "wine"):
        b = skd.load_breast_cancer() if which == "breast_cancer" else skd.load_wine()
        return RawData(b.data, b.target, [str(c) for c in b.target_names], [str(f) for f in b.feature_names])
    b = skd.load_digits()
    features = [f"pixel_{i}_{j}" for i in range(8) for j in range(8)]
    if which == "digits":
        return RawData(b.data, b.target, [str(c) for c in range(10)], features, image_shape=(8, 8))
    return RawData(b.data, (b.target >= 5).astype(np.int64), ["digit 0-4", "digit 5-9"], features,
                   image_shape=(8, 8))


def _from_frame(req: LoadRequest, df: pd.DataFrame, target: str | None) -> RawData:
    if req.progress and df.size > 1_000_000:
        req.progress(f"encoding {df.shape[0]:,} rows × {df.shape[1]} columns")
    features, y, class_names, report = prepare_table(df, target)
    if len(y) < MIN_ROWS:
        raise DatasetError(f"{req.name} has only {len(y)} labelled rows; at least {MIN_ROWS} are needed.")
    return RawData(features, y, class_names, list(features.columns), report=report)


def _load_csv(req: LoadRequest) -> RawData:
    df = read_table(Path(req.arg).expanduser(), progress=req.progress)
    return _from_frame(req, df, req.params["target"])


def _load_openml(req: LoadRequest) -> RawData:
    df, default_target = openml_frame(req.name.partition(":")[2], req.cache_dir)
    return _from_frame(req, df, req.params["target"] or default_target)


_SKLEARN = {
    "breast_cancer": ("Wisconsin breast cancer (569 rows, 30 features); class 1 = benign.", 2),
    "digits": ("8×8 handwritten digits (1797 rows, 64 pixels, 10 classes).", 10),
    "digits_binary": ("8×8 handwritten digits as a binary task: class 1 = digit ≥ 5.", 2),
    "wine": ("Wine cultivars (178 rows, 13 features, 3 classes).", 3),
}
_OPENML = {
    "MagicTelescope": "MAGIC gamma telescope (19,020 rows, 10 features), the paper's main tabular "
    "dataset. Downloaded from OpenML once, then cached.",
    "adult": "UCI adult income (48,842 rows, categorical features one-hot encoded). "
    "Downloaded from OpenML once, then cached.",
    "Higgs": "Higgs boson (98,050 rows, 28 features). Downloaded from OpenML once, then cached; use n to "
    "subsample.",
}


def _register_builtins() -> None:
    register_dataset(DatasetSpec(
        name="synthetic:gmm",
        description="Two Gaussians at ±r·1_d, labels redrawn from the exact Bayes probabilities "
        "p0_1(x) = σ(2r·Σx_j). Known p0: every bound term is measurable.",
        loader=_load_gmm, has_p0=True, n_classes=2, subsample=False,
        playground_label="Two Gaussians (2-D)",
        params=(Param("n", 4000, "rows generated (before the split)", kind=int, lo=MIN_ROWS),
                Param("d", 5, "number of features", kind=int, lo=1, hi=200),
                Param("r", 0.5, "mean size: the components sit at ±r·1_d", lo=0, lo_open=True)),
    ))
    register_dataset(DatasetSpec(
        name="synthetic:curve",
        description="2-D, X uniform on [-2,2]², curved Bayes boundary x2 = 1.2·sin(1.5·x1), "
        "p0_1 = σ(r·h(x)) with sharpness r. Shallow trees underfit, deep trees memorise label noise.",
        loader=_load_curve, has_p0=True, n_classes=2, subsample=False, dims=2,
        playground_label="Curved boundary (2-D)",
        params=(Param("n", 1000, "rows generated (before the split)", kind=int, lo=MIN_ROWS),
                Param("r", 3.0, "sharpness s of p0_1 = σ(s·h(x))", lo=0, lo_open=True)),
    ))
    for key, (description, k) in _SKLEARN.items():
        register_dataset(DatasetSpec(name=f"sklearn:{key}", description=description, loader=_load_sklearn,
                                     n_classes=k, params=(N_REAL,)))
    for key, description in _OPENML.items():
        register_dataset(DatasetSpec(name=f"openml:{key}", description=description, loader=_load_openml,
                                     params=(N_REAL, TARGET)))
    register_dataset(DatasetSpec(
        name="openml:<name>", loader=_load_openml, params=(N_REAL, TARGET),
        description="Any OpenML dataset by name (version 1, or name@V); the default target unless `target` "
        "is given.",
    ))
    register_dataset(DatasetSpec(
        name="csv:<path>", loader=_load_csv, params=(N_REAL, TARGET),
        description="A local CSV file; `target` names the label column. String labels are encoded, "
        "categorical features one-hot encoded, missing values imputed (fitted on the training rows).",
    ))


_register_builtins()
