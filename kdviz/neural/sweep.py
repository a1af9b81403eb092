"""Batched execution of a sweep's torch students: every (method, repeat) of one capacity in one model.

``kdviz.sweep`` plans one ``student`` task per (capacity, method, repeat); each trains one network.
For torch students that wastes most of the time on per-step overhead (``benchmarks/bench_neural.py``).
So for a torch student the sweep also plans one ``student_batch`` task per capacity, which runs
:func:`run_student_batch`: it trains all the KD students of that capacity at once and returns the
rows the per-task path would (same seeds, same teacher inputs, same c) as a `kdviz.kd.targets.BatchRows`;
the capacity's ``student`` tasks depend on it and read their row from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from kdviz.kd.distill import one_hot
from kdviz.kd.methods import METHODS
from kdviz.kd.metrics import classification_metrics, error_vs_p0
from kdviz.kd.students import STUDENTS, make_student
from kdviz.kd.targets import BatchRows, chosen_c, kd_spec, teacher_inputs
from kdviz.neural.students import fit_kd_many
from kdviz.seeds import sub_seed


def supports_batching(student: str) -> bool:
    """True for the torch students (the spec's ``needs_torch``): one stacked model trains them all."""
    return student in STUDENTS and STUDENTS[student].needs_torch


def run_student_batch(config: Any, dataset: Any, cap: int, methods: list[str], deps: dict[str, Any],
                      method_deps: Mapping[str, Sequence[str]]) -> BatchRows:
    """Train every (method, repeat) student of capacity index ``cap`` in one stacked model.

    Args:
        config: the ``SweepConfig``; dataset: the ``Dataset``.
        cap: index of the capacity in the grid.
        methods: KD methods to train (``no_kd`` is planned per repeat elsewhere and is skipped).
        deps: results of this task's dependencies (teacher tasks and, for a γ rule with c="cv" or
            "cv-fast", the cv or csearch tasks of the corrected methods, as planned per method by
            ``kdviz.sweep.plan``).
        method_deps: ``{method: [dependency keys]}`` (the task's ``method_deps`` param): which
            dependency belongs to which method.

    Returns:
        `BatchRows` whose ``rows["method:repeat"]`` is exactly what ``kdviz.sweep._student_row``
        returns for that student (metrics and ``student_error``).
    """
    ds = dataset
    jobs, names = [], []
    for m in methods:
        if METHODS[m].teacher == "none":
            continue
        mdeps = [deps[k] for k in method_deps.get(m, [])]
        p_train, _ = teacher_inputs(m, cap, mdeps, len(ds.y_train))
        c = chosen_c(config, m, mdeps)
        for r in range(config.repeats):
            jobs.append((sub_seed(config.seed, r, 2), p_train, kd_spec(config, m, c)))
            names.append(BatchRows.name(m, r))
    if not jobs:
        return BatchRows({})
    student = make_student(config.student, seed=0, **config.student_options)
    Y = one_hot(ds.y_train, ds.n_classes)
    scores = fit_kd_many(student, ds.X_train, Y, jobs).predict_scores(ds.X_test)
    rows = {name: {**classification_metrics(np.asarray(s), ds.y_test), "student_error": error_vs_p0(s, ds.p0_test)}
            for name, s in zip(names, scores)}
    return BatchRows(rows)
