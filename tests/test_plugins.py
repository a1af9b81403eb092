"""Plug-ins (issue 22): a dataset with a new parameter, a student with a capacity option, a teacher with a
tree option and a config setting, each registered by one module of its own (tests/plugins/, named in
$KDVIZ_PLUGINS), appear in `kdviz sweep --help`, the Sweep form, the task key and (dataset, teacher) the
Playground — with no edit anywhere else."""

from __future__ import annotations

import pytest
from apptools import no_exceptions, page

from kdviz import plugins
from kdviz.cli.main import main
from kdviz.config import make_config, unregister_field
from kdviz.data.registry import unregister_dataset
from kdviz.kd.students import unregister_student
from kdviz.sweep import load_data, plan
from kdviz.teachers import unregister_teacher

MODULES = ("plugins.toy_dataset", "plugins.toy_student", "plugins.toy_teacher", "plugins.toy_field")
DATASET, PARAM, STUDENT, TEACHER, FIELD = "toy:tilted", "tilt", "toy-student", "toy-forest", "toy_rounds"


@pytest.fixture(scope="module")
def toys():
    mp = pytest.MonkeyPatch()
    mp.setenv("KDVIZ_PLUGINS", ",".join(MODULES))
    plugins.load_plugins()
    yield
    mp.undo()
    unregister_dataset(DATASET)
    unregister_student(STUDENT)
    unregister_teacher(TEACHER)
    for name in (FIELD, PARAM):
        unregister_field(name)
    plugins._users.difference_update(MODULES)


def test_each_appears_in_sweep_help(toys, capsys):
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"--{PARAM}" in text and "slope of the Bayes boundary" in text
    assert f"--{FIELD.replace('_', '-')}" in text and "toy warm-up rounds" in text
    assert STUDENT in text and TEACHER in text and DATASET in text


def _keys(**kw) -> set[str]:
    cfg = make_config(**{"dataset": DATASET, "capacities": (1, 2), "repeats": 1, "folds": 2, "c": 1.0,
                         "cv_folds": 2, "methods": ("vanilla", "crossfit"), **kw})
    return {t.key for t in plan(cfg, load_data(cfg))}


def test_each_changes_the_task_key(toys):
    base = _keys()
    assert _keys(**{PARAM: 1.5}).isdisjoint(base)  # the dataset's own parameter
    assert _keys(**{FIELD: 3}).isdisjoint(base)  # a registered setting enters every key
    assert _keys(student=STUDENT) != base and _keys(teacher=TEACHER) != base
    assert _keys(teacher=TEACHER, teacher_options={"n_estimators": 3}) != _keys(teacher=TEACHER)
    student_axis = make_config(dataset=DATASET, student=STUDENT, vary="student", teacher_capacity=2, repeats=1,
                               methods=("vanilla",), c=1.0)
    assert student_axis.student_capacity_name() == "n_estimators"


def test_each_appears_in_the_sweep_form(toys):
    at = page("pages/2_Sweep.py", {"dataset": DATASET})
    at.run()
    no_exceptions(at)
    assert at.session_state["sw.dataset"] == DATASET
    assert any(w.label == PARAM for w in at.sidebar.number_input)  # the dataset's parameter
    assert any(w.label == FIELD.replace("_", " ") for w in at.sidebar.number_input)  # the setting
    teacher = next(s for s in at.sidebar.selectbox if s.label == "Teacher family")
    student = next(s for s in at.sidebar.selectbox if s.label == "Student")
    assert TEACHER in teacher.options and any(o.startswith(STUDENT) for o in student.options)
    teacher.set_value(TEACHER).run()
    no_exceptions(at)
    assert any("n_estimators" in s.label for s in at.sidebar.slider)  # the tree option's slider


def test_dataset_and_teacher_appear_in_the_playground(toys):
    at = page("pages/1_Playground.py")
    at.run()
    no_exceptions(at)
    problem = next(s for s in at.sidebar.selectbox if s.label == "Problem")
    teacher = next(s for s in at.sidebar.selectbox if s.label == "Teacher family")
    assert DATASET in problem.options or "Tilted line (2-D)" in problem.options
    assert TEACHER in teacher.options
