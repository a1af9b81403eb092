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
    bounds: dict[str, Any] = {}
    registry = None
    for m in meta:
        if isinstance(m, Choices):
            registry = m
        elif isinstance(m, at.Ge):
            bounds.update(lo=m.ge, lo_open=False)
        elif isinstance(m, at.Gt):
            bounds.update(lo=m.gt, lo_open=True)
        elif isinstance(m, at.Le):
            bounds.update(hi=m.le, hi_open=False)
        elif isinstance(m, at.Lt):
            bounds.update(hi=m.lt, hi_open=True)
        elif isinstance(m, at.MinLen):
            bounds["min_length"] = m.min_length
        elif isinstance(m, at.MaxLen):
            bounds["max_length"] = m.max_length
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
