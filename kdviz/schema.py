"""The schema of a pydantic model, read once from its fields: what the CLI flags and the forms derive from.

`SweepConfig` (kdviz.config) is the one statement of a sweep's settings: each field's type, bounds
(``Field(ge=…, gt=…, le=…, lt=…)``), choices (``Literal[...]`` or a registry) and description.
The CLI's flags (kdviz.cli.main), the Sweep form (ui.sweep_form) and the Playground's sliders read them
from here instead of restating them:

    spec = field_spec("folds", SweepConfig)   # FieldSpec(name="folds", kind="int", lo=2, hi=20, ...)
    spec.flag, spec.choices(), spec.bounds(), spec.range_text(), spec.description
    model_fields(SweepConfig)                 # every field, in declaration order
    kdviz.config.sweep_fields(), kdviz.config.sweep_field("folds")   # the same for SweepConfig

Fields whose choices live in a registry (KD methods, teacher families, students, datasets) carry a
`Choices` marker naming a function; the function is called each time the choices are asked for,
so a method, teacher or student registered later appears. Nothing here imports Streamlit.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import annotated_types as at
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

#: Field kinds (the link codec in ui.links reads the same names)
KINDS = ("int", "float", "str", "bool", "ints", "floats", "strs", "cfloat", "dict")


@dataclass(frozen=True)
class Choices:
    """Annotated marker: the field's valid values come from `source()`, read at call time.

    With ``check=True`` a model validator may refuse other values (see `check_choices`); without it the
    choices are only listed (help texts, select boxes) and the value is checked where it is used.
    """

    source: Callable[[], Iterable[Any]]
    check: bool = False
    open: bool = False  # other values are fine too (e.g. a dataset may be any ``csv:PATH``)

    def values(self) -> tuple[Any, ...]:
        return tuple(self.source())


# -- the registries (imported when asked: a CLI run that never lists them never loads torch) ----------
def kd_method_names() -> tuple[str, ...]:
    from kdviz.kd.methods import kd_methods

    return kd_methods()


def teacher_names() -> tuple[str, ...]:
    from kdviz.plugins import load_plugins
    from kdviz.teachers import TEACHERS

    load_plugins()
    return tuple(TEACHERS)


def student_names() -> tuple[str, ...]:
    from kdviz.kd.students import STUDENTS
    from kdviz.plugins import load_plugins

    load_plugins()
    return tuple(STUDENTS)


def dataset_names() -> tuple[str, ...]:
    from kdviz.data.load import list_datasets

    return tuple(d["name"] for d in list_datasets())


@dataclass(frozen=True)
class FieldSpec:
    """One field of a model: its kind, choices, bounds, default and description."""

    name: str
    kind: str                         # one of KINDS
    optional: bool                    # None is a valid value
    fixed_default: Any
    default_factory: Callable[[], Any] | None
    description: str
    literal: tuple[Any, ...] | None   # the choices of a Literal[...] annotation
    registry: Choices | None          # choices read from a registry at call time
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False             # gt rather than ge
    hi_open: bool = False             # lt rather than le
    min_length: int | None = None
    max_length: int | None = None

    @property
    def default(self) -> Any:
        """The default (a default factory is called now: e.g. every KD method registered so far)."""
        return self.default_factory() if self.default_factory is not None else self.fixed_default

    @property
    def flag(self) -> str:
        """The CLI flag: ``--`` + the field name with ``_`` → ``-``."""
        return "--" + self.name.replace("_", "-")

    def choices(self) -> tuple[Any, ...] | None:
        """The valid values (a registry is read now), or None when the field is not a choice."""
        if self.registry is not None:
            return self.registry.values()
        return self.literal

    def bounds(self) -> tuple[float | None, float | None]:
        """(lower, upper) bound of a numeric field (of each element of a list field); None: unbounded."""
        return self.lo, self.hi

    def widget_range(self, step: float) -> tuple[float | None, float | None]:
        """Closed bounds for a widget moving in `step`s: an open bound moves one step inwards."""
        lo = None if self.lo is None else self.lo + step if self.lo_open else self.lo
        hi = None if self.hi is None else self.hi - step if self.hi_open else self.hi
        cast = int if self.kind in ("int", "ints") else float  # widgets want one number type
        return (None if lo is None else cast(lo)), (None if hi is None else cast(hi))

    def range_text(self) -> str:
        """The bounds in words, e.g. ``[2, 20]`` or ``(0, 100]``; empty when unbounded."""
        if self.lo is None and self.hi is None:
            return ""
        lo = "-∞" if self.lo is None else _num(self.lo)
        hi = "∞" if self.hi is None else _num(self.hi)
        return f"{'(' if self.lo_open or self.lo is None else '['}{lo}, {hi}{')' if self.hi_open or self.hi is None else ']'}"

    def contains(self, value: Any) -> bool:
        """Whether a number lies within the bounds."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo):
            return False
        return not (self.hi is not None and (value >= self.hi if self.hi_open else value > self.hi))

    def help(self, literals: bool = True) -> str:
        """The description, the choices (registries read now) or the range, and the default: for --help and
        tooltips. ``literals=False`` leaves out Literal choices (argparse shows them already)."""
        parts = [self.description] if self.description else []
        choices = self.choices() if (literals or self.registry is not None) else None
        if choices is not None and self.kind != "cfloat":
            more = ", ..." if self.registry is not None and self.registry.open else ""
            parts.append(f"(choose from {', '.join(str(c) for c in choices)}{more})")
        elif self.range_text():
            parts.append(f"(range {self.range_text()})")
        if self.default not in (None, "", ()) and self.kind not in ("ints", "floats", "strs", "dict"):
            parts.append(f"(default {self.default})")
        return " ".join(parts)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e12 else f"{x:g}"


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args:
        rest = tuple(a for a in args if a is not type(None))
        return (rest[0] if len(rest) == 1 else typing.Union[rest]), True  # noqa: UP007
    return tp, False


def _kind(tp: Any) -> tuple[str, tuple[Any, ...] | None]:
    """(kind, Literal choices) of an annotation without its Optional."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return _kind(args[0])
    if origin is Literal:
        kind = "int" if all(isinstance(a, int) and not isinstance(a, bool) for a in args) else \
            "float" if all(isinstance(a, (int, float)) for a in args) else "str"
        return kind, args
    if origin in (typing.Union, types.UnionType):  # float | Literal["cv"]
        kinds = {_kind(a)[0] for a in args}
        literals = tuple(x for a in args for x in (_kind(a)[1] or ()))
        if kinds <= {"float", "str"} and "cv" in literals:
            return "cfloat", literals
        raise TypeError(f"no field kind for {tp!r}")
    if origin in (tuple, list):
        inner = _kind(args[0])[0]
        return {"int": "ints", "float": "floats", "str": "strs"}[inner], _kind(args[0])[1]
    if origin is dict or tp is dict:
        return "dict", None
    for py, kind in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if tp is py:
            return kind, None
    raise TypeError(f"no field kind for {tp!r}")


def _spec(name: str, info: Any) -> FieldSpec:
    tp, optional = _strip_optional(info.annotation)
    kind, literal = _kind(tp)
    if typing.get_origin(tp) is typing.Annotated:
        extra_meta = typing.get_args(tp)[1:]
    else:
        extra_meta = ()
    meta = [*info.metadata, *extra_meta]
    # as pydantic validates: the last constraint of each kind holds (an Annotated Field stacked on a
    # shared type replaces its Le, say), and of ge/gt (le/lt) both hold, so the tighter one is the bound
    last = {type(m): m for m in meta if isinstance(m, (at.Ge, at.Gt, at.Le, at.Lt, at.MinLen, at.MaxLen))}
    registry = next((m for m in meta if isinstance(m, Choices)), None)
    bounds: dict[str, Any] = {}
    lows = [(m.ge, False) for m in [last.get(at.Ge)] if m] + [(m.gt, True) for m in [last.get(at.Gt)] if m]
    highs = [(m.le, False) for m in [last.get(at.Le)] if m] + [(m.lt, True) for m in [last.get(at.Lt)] if m]
    if lows:
        lo, lo_open = max(lows, key=lambda b: (b[0], b[1]))
        bounds.update(lo=lo, lo_open=lo_open)
    if highs:
        hi, hi_open = min(highs, key=lambda b: (b[0], not b[1]))
        bounds.update(hi=hi, hi_open=hi_open)
    if at.MinLen in last:
        bounds["min_length"] = last[at.MinLen].min_length
    if at.MaxLen in last:
        bounds["max_length"] = last[at.MaxLen].max_length
    default = None if info.default is PydanticUndefined else info.default
    return FieldSpec(name, kind, optional, default, info.default_factory, info.description or "", literal, registry,
                     **bounds)


@functools.cache
def _fields(model: type[BaseModel]) -> dict[str, FieldSpec]:
    return {name: _spec(name, info) for name, info in model.model_fields.items()
            if _kind_or_none(info) is not None}


def _kind_or_none(info: Any) -> str | None:
    try:
        return _kind(_strip_optional(info.annotation)[0])[0]
    except TypeError:
        return None


def forget(model: type[BaseModel]) -> None:
    """Read `model`'s fields afresh (after a field was added: ``kdviz.config.register_field``)."""
    _fields.cache_clear()


def model_fields(model: type[BaseModel]) -> dict[str, FieldSpec]:
    """Every field of `model` (whose type has a kind), in declaration order."""
    return dict(_fields(model))


def field_spec(name: str, model: type[BaseModel]) -> FieldSpec:
    """One field of `model` (for SweepConfig: ``kdviz.config.sweep_field``)."""
    return _fields(model)[name]


def choices(name: str, model: type[BaseModel]) -> tuple[Any, ...] | None:
    """The valid values of a field now (registries read at call time)."""
    return field_spec(name, model).choices()


def bounds(name: str, model: type[BaseModel]) -> tuple[float | None, float | None]:
    return field_spec(name, model).bounds()


def check_choices(model: BaseModel) -> list[str]:
    """Messages for the fields of `model` whose `Choices(check=True)` does not hold its value."""
    errs = []
    for spec in _fields(type(model)).values():
        if spec.registry is None or not spec.registry.check:
            continue
        allowed = spec.choices() or ()
        value = getattr(model, spec.name)
        values = value if spec.kind in ("ints", "floats", "strs") else (value,)
        bad = [v for v in values if v not in allowed]
        if bad or (spec.kind in ("ints", "floats", "strs") and not values and spec.min_length):
            shown = ", ".join(map(str, allowed))
            what = "a non-empty subset of" if spec.kind in ("ints", "floats", "strs") else "one of"
            errs.append(f"{spec.name} must be {what} {shown}, got {value!r}")
    return errs


# -- the shared vocabulary: one definition of every setting the sweep, theory and Playground models share --
@dataclass(frozen=True)
class Term:
    """A setting's one definition: its description and its widest bounds (of each element, for a grid;
    ``min_length``/``max_length`` of a grid or list). A model narrows the bounds, never widens them."""

    description: str
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    min_length: int | None = None
    max_length: int | None = None

    def bound(self, side: str) -> tuple[float | None, bool]:
        """(value, open) of the "lo" or "hi" bound."""
        closed, opened = (self.ge, self.gt) if side == "lo" else (self.le, self.lt)
        return (opened, True) if opened is not None else (closed, False)


SEED_MAX = 2**31 - 1
C_MAX = 1e6  # c is a number in (0, C_MAX]

#: The settings the sweep (kdviz.config.SweepConfig), the theory experiments (kdviz.theory.experiments)
#: and the Playground (kdviz.teaching.playground.PlaygroundParams) share, each defined once: models
#: declare them with `shared` (tests/test_schema.py checks that every shared name does).
VOCABULARY: dict[str, Term] = {
    "dataset": Term("the data: a registered dataset (where any data is taken: sklearn:NAME, openml:NAME or "
                    "csv:PATH)", min_length=3, max_length=500),
    "n": Term("the sample size: rows generated (synthetic data) or subsampled, before the train/test split "
              "(the theory sweeps count training rows)", ge=50, le=1_000_000),
    "d": Term("dimension of synthetic:gmm (synthetic:curve is 2-D)", ge=1, le=200),
    "r": Term("separation (synthetic:gmm) or sharpness (synthetic:curve) of p0", gt=0, le=20),
    "label_noise": Term("fraction of training labels flipped", ge=0.0, lt=0.5),
    "teacher": Term("teacher family", max_length=50),
    "student": Term("student model", max_length=50),
    "methods": Term("the KD methods to compare", min_length=1),
    "scale": Term("the KD target's scale: probabilities p or log p"),
    "folds": Term("K, the number of cross-fitting folds", ge=2, le=20),
    "gamma": Term("γ rule of the corrected student: bound_fast c/(c + r²), bound_fast_expected c/(c + p̂(1−p̂)) "
                  "(y-free: mean-zero when p̂ = p0), full γ*"),
    "c": Term(f"bound-fast constant c in (0, {C_MAX:g}], or how to choose it from c_grid: 'cv' = K-fold "
              "cross-validation (the paper's), 'cv-fast' (the sweep) = coarse-to-fine over the grid on 2 of the "
              "folds (at most 14 student fits instead of 45 on the paper's grid)", gt=0, le=C_MAX),
    "c_grid": Term("the values of c that cross-validation chooses from", gt=0, le=C_MAX, min_length=1,
                   max_length=25),
    "cv_folds": Term("folds of the cross-validation that chooses c", ge=2, le=10),
    "cv_metric": Term("how CV scores each c: 'task' = AUC (binary) or accuracy, as in the paper ('auc': AUC); "
                      "'brier' = squared error of the probabilities against the held-out labels, which "
                      "estimates the distance to p0 up to a constant"),
    "repeats": Term("repetitions with fresh seeds (charts show mean ± s.e.)", ge=1, le=50),
    "seed": Term("random seed of the whole run", ge=0, le=SEED_MAX),
}

_NARROW = ("ge", "gt", "le", "lt", "min_length", "max_length")


def shared(name: str, default: Any = PydanticUndefined, *, bounds: bool = True, **kw: Any) -> Any:
    """The model field `name` of the shared vocabulary: its description and bounds, narrowed by any
    ``ge``/``gt``/``le``/``lt``/``min_length``/``max_length`` in `kw` (which must lie inside the shared
    bounds: TypeError otherwise, at import). Other `kw` (``default_factory``, ``json_schema_extra``) go to
    ``Field``. ``bounds=False``: the type checks the numeric bounds itself (e.g. ``float | "cv"`` with a
    validator), the Field states only the lengths.

        n: int = shared("n", 600, ge=100, le=3000)     # the Playground keeps n small
    """
    from pydantic import Field

    term = VOCABULARY[name]
    narrow = {k: kw.pop(k) for k in _NARROW if k in kw}
    out: dict[str, Any] = {}
    for side, keys in (("lo", ("ge", "gt")), ("hi", ("le", "lt"))):
        base, base_open = term.bound(side)
        mine = [(narrow[k], k in ("gt", "lt")) for k in keys if k in narrow]
        if len(mine) > 1:
            raise TypeError(f"{name}: give one {side} bound, got {keys}")
        value, is_open = mine[0] if mine else (base, base_open)
        if mine and base is not None and not _inside(side, value, is_open, base, base_open):
            raise TypeError(f"{name}: {side} bound {value} is outside the shared definition's {base}")
        if value is not None and bounds:
            out[keys[is_open]] = value
    for k in ("min_length", "max_length"):
        base = getattr(term, k)
        value = narrow.get(k, base)
        if base is not None and value is not None and (value < base if k == "min_length" else value > base):
            raise TypeError(f"{name}: {k} {value} is outside the shared definition's {base}")
        if value is not None:
            out[k] = value
    if "default_factory" not in kw:
        kw["default"] = default
    return Field(**kw, **out, description=term.description)


def _inside(side: str, value: float, is_open: bool, base: float, base_open: bool) -> bool:
    """Whether a bound (value, open) is at least as tight as the base bound on `side`."""
    if side == "lo":
        return value > base or (value == base and (is_open or not base_open))
    return value < base or (value == base and (is_open or not base_open))


# -- content keys: which task keys a field enters (its ``json_schema_extra["key"]``) ------------------
#: "all": every task's (the default, so a new field can never be left out of a key); "teacher" or
#: "student": the sweep's teacher fits', or every task after them (`kdviz.config.SweepConfig.key_fields`);
#: "none": the field acts through the tasks' own parameters (the grid, the method, the repeat, the fold);
#: "later": added after the first runs, so that the keys of those runs stay valid: the "later" fields enter
#: every key together, and only when one of them differs from its default.
KeyScope = Literal["all", "teacher", "student", "none", "later"]


def key_extra(scope: KeyScope) -> dict[str, Any]:
    """A field's ``json_schema_extra`` naming its key scope: ``Field(..., json_schema_extra=key_extra("none"))``."""
    return {"key": scope}


def key_scope(info: Any) -> str:
    """The key scope of a model field (its ``json_schema_extra["key"]``; "all" when it says none)."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return str(extra.get("key", "all"))


def key_fields(model: BaseModel, scopes: tuple[str, ...] = ("all",)) -> dict[str, Any]:
    """The settings of `model` (as JSON values) that enter a content key: every field whose key scope is
    in `scopes`, and the "later" fields when one of them is set away from its default."""
    import json

    values = json.loads(model.model_dump_json())
    infos = type(model).model_fields
    out = {name: values[name] for name, info in infos.items() if key_scope(info) in scopes}
    later = [name for name, info in infos.items() if key_scope(info) == "later"]
    if any(values[name] != json.loads(json.dumps(infos[name].get_default(call_default_factory=True), default=str))
           for name in later):
        out.update({name: values[name] for name in later})
    return out
