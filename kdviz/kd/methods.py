"""The KD methods, and the other series a chart draws: one table, read by every consumer.

A :class:`Method` says where a student's teacher predictions come from (``teacher``: none, the
full-data teacher, or the out-of-fold teachers of cross-fitting), whether the loss correction is
added, which teacher error bounds its bias term (THEORY §3–§5: ε2², or ε4⁴ with the correction),
how the theory experiments correct it, and how charts draw it. The config's choices, the CLI's
``--methods``, the Sweep form, the plots' labels and colours, the captions and the theory pages all
read :data:`METHODS`; a new method is one :func:`register_method` call (plus, if its training
differs, the student code that reads its ``teacher`` / ``corrected`` facts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kdviz.errors import ConfigError


@dataclass(frozen=True)
class Method:
    name: str
    label: str                     # legend / table name
    color: str                     # Okabe–Ito colours: distinguishable with common colour-vision deficiencies
    symbol: str                    # marker, so curves stay distinguishable in grey-scale print
    #: where the student's p̂ comes from: no teacher (labels only), the full-data teacher, or the out-of-fold
    #: teachers of cross-fitting
    teacher: Literal["none", "full", "out_of_fold"] = "full"
    corrected: bool = False        # adds the loss correction (needs γ and, for the bound-fast rules, c)
    kd: bool = True                # a KD method a run can choose (False: the teacher / oracle reference rows)
    #: its target in the theory experiments (controlled teacher): "plain" KD, corrected with "full" γ = γ*,
    #: or with the "config"'s γ rule and c; None: not run there (cross-fitting changes nothing for a
    #: controlled teacher, which never saw the points).
    theory: Literal["plain", "full", "config"] | None = None

    @property
    def bias_power(self) -> int:
        """The power of the teacher error in its bias term: 2 (ε2²) or 4 with the correction (ε4⁴)."""
        return 4 if self.corrected else 2

    @property
    def error_metric(self) -> str:
        """The results column that measures the teacher error bounding this method."""
        return "teacher_error_l4" if self.corrected else "teacher_error_l2"


#: Every series, in display order. KD methods first in the order runs list them.
METHODS: dict[str, Method] = {}


def register_method(method: Method) -> Method:
    """Add (or replace) a method; it appears in the config's choices, the CLI, the form and the charts."""
    METHODS[method.name] = method
    return method


#: The reference rows of a results table: the teacher itself, and the student trained on the exact p0.
TEACHER_ROW = "teacher"
ORACLE_ROW = "oracle"
#: The methods by role, for the prose that names them (captions, the lesson, the paper comparison);
#: everything else reads their facts. BASELINE: the method every gain and caption compares with.
LABELS_ONLY = "no_kd"
BASELINE = "vanilla"
CROSSFIT = "crossfit"
CORRECTED = "corrected"
ENHANCED = "enhanced"

for _m in (
    Method(TEACHER_ROW, "Teacher", "#000000", "diamond", kd=False),
    Method(LABELS_ONLY, "No KD (labels only)", "#7F7F7F", "line-ew", teacher="none"),
    Method(BASELINE, "Vanilla KD", "#D55E00", "circle", theory="plain"),
    Method(CROSSFIT, "Cross-fit KD", "#0072B2", "square", teacher="out_of_fold"),
    Method(CORRECTED, "Loss-corrected KD", "#E69F00", "triangle-up", corrected=True, theory="full"),
    Method(ENHANCED, "Enhanced KD (cross-fit + correction)", "#009E73", "star", teacher="out_of_fold",
           corrected=True, theory="config"),
    Method(ORACLE_ROW, "Oracle student (trained on p0)", "#CC79A7", "x", teacher="none", kd=False),
):
    register_method(_m)


def kd_methods() -> tuple[str, ...]:
    """The methods a run can choose, in display order."""
    return tuple(m.name for m in METHODS.values() if m.kd)


def crossfit_methods() -> tuple[str, ...]:
    """Methods whose student learns from out-of-fold teachers."""
    return tuple(m.name for m in METHODS.values() if m.kd and m.teacher == "out_of_fold")


def labels_only_methods() -> tuple[str, ...]:
    """Methods whose student learns from the labels alone (no teacher): drawn flat, one row per repeat."""
    return tuple(m.name for m in METHODS.values() if m.kd and m.teacher == "none")


def is_labels_only(name: str) -> bool:
    return name in METHODS and METHODS[name].kd and METHODS[name].teacher == "none"


def reference_rows() -> tuple[str, ...]:
    """The rows that are no KD student of the teacher: the teacher itself, the labels-only and oracle students."""
    return tuple(m.name for m in METHODS.values() if not m.kd or m.teacher == "none")


def corrected_methods() -> tuple[str, ...]:
    """Methods that add the loss correction."""
    return tuple(m.name for m in METHODS.values() if m.kd and m.corrected)


def theory_methods() -> tuple[str, ...]:
    """Methods the theory experiments can run (a controlled teacher: no cross-fitting, no labels-only)."""
    return tuple(m.name for m in METHODS.values() if m.kd and m.theory is not None)


def tuned_method() -> str:
    """The theory experiments' method whose correction uses the config's γ rule and c."""
    return next(m.name for m in METHODS.values() if m.theory == "config")


def get_method(name: str) -> Method:
    if name not in METHODS:
        raise ConfigError(f"unknown method {name!r}; choose from {', '.join(kd_methods())}")
    return METHODS[name]


def method_label(name: str) -> str:
    return METHODS[name].label if name in METHODS else name


def method_color(name: str) -> str:
    return METHODS[name].color if name in METHODS else "#444444"


def method_order() -> tuple[str, ...]:
    return tuple(METHODS)


def ordered(names) -> list[str]:
    """`names` in the table's display order (names the table does not know last, sorted)."""
    names = set(names)
    return [m for m in METHODS if m in names] + sorted(names - set(METHODS))


from kdviz.callmod import make_callable  # noqa: E402  (kdviz.methods() in a notebook: a table)

make_callable(__name__, "list_methods")
