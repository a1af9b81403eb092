"""Batched execution of a sweep's torch students: every (method, repeat) of one capacity in one model.

``kdviz.sweep`` plans one ``student`` task per (capacity, method, repeat); each trains one network.
For torch students that wastes most of the time on per-step overhead (``benchmarks/bench_neural.py``).
:func:`run_student_batch` trains all the KD students of one capacity at once and returns the same
rows the per-task path returns (same seeds, same teacher inputs, same c), keyed ``"method:repeat"``.
The sweep can use it with a ``student_batch`` task per capacity that its ``student`` tasks depend on
(see the report / docstring of :func:`run_student_batch`); without that change the per-task path
works unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kdviz.distill import one_hot
from kdviz.metrics import classification_metrics, error_vs_p0
from kdviz.neural.students import STUDENT_OPTIONS, fit_kd_many

BATCHABLE = tuple(STUDENT_OPTIONS)


def supports_batching(student: str) -> bool:
    """True for the torch students (``mlp``, ``cnn``, ``torch-linear``)."""
    return student in BATCHABLE


def run_student_batch(config: Any, dataset: Any, cap: int, methods: list[str], deps: dict[str, Any],
                      dep_keys: tuple[str, ...]) -> dict[str, Any]:
    """Train every (method, repeat) student of capacity index ``cap`` in one stacked model.

    Args:
        config: the ``SweepConfig``; dataset: the ``Dataset``.
        cap: index of the capacity in the grid.
        methods: KD methods to train (``no_kd`` is planned per repeat elsewhere and is skipped).
        deps: results of this task's dependencies (teacher tasks and, for bound_fast with c="cv",
            the cv tasks of the corrected methods, as planned per method by ``kdviz.sweep.plan``).
        dep_keys: ``{method: keys}`` flattened as ``"method|key"`` strings (so the task's params stay
            JSON-serialisable): which dependency belongs to which method.

    Returns:
        ``{"batch_rows": {"method:repeat": row}}`` where ``row`` is exactly what
        ``kdviz.sweep._student_row`` returns for that student (metrics and ``student_error``).
    """
    from kdviz.distill import C_RULES
    from kdviz.methods import METHODS
    from kdviz.seeds import sub_seed
    from kdviz.sweep import _spec, choose_c, teacher_inputs

    ds = dataset
    by_method: dict[str, list[str]] = {}
    for mk in dep_keys:
        m, k = mk.split("|", 1)
        by_method.setdefault(m, []).append(k)
    jobs, names = [], []
    for m in methods:
        if METHODS[m].teacher == "none":
            continue
        mdeps = [deps[k] for k in by_method.get(m, [])]
        teachers = [d for d in mdeps if isinstance(d, dict) and "test" in d]
        p_train, _ = teacher_inputs(m, cap, teachers, len(ds.y_train))
        c = None
        if METHODS[m].corrected and config.gamma in C_RULES:
            cv = {d["c"]: d["score"] for d in mdeps if isinstance(d, dict) and "score" in d}
            c = choose_c(config, cv) if config.c == "cv" else float(config.c)
        for r in range(config.repeats):
            jobs.append((sub_seed(config.seed, r, 2), p_train, _spec(config, m, c)))
            names.append(f"{m}:{r}")
    if not jobs:
        return {"batch_rows": {}}
    from kdviz.students import make_student

    student = make_student(config.student, seed=0, **config.student_options)
    Y = one_hot(ds.y_train, ds.n_classes)
    scores = fit_kd_many(student, ds.X_train, Y, jobs).predict_scores(ds.X_test)
    rows = {name: {**classification_metrics(np.asarray(s), ds.y_test), "student_error": error_vs_p0(s, ds.p0_test)}
            for name, s in zip(names, scores)}
    return {"batch_rows": rows}
