"""A student family with a capacity option (the student axis varies it)."""

from __future__ import annotations

from kdviz.kd.students import RegressorStudent, register_student
from kdviz.teachers.base import TREE_LIMITS

NAME = "toy-student"

register_student(NAME, lambda seed, **o: RegressorStudent("rf", random_state=seed, **o),
                 "a small forest regressor (toy)", {"n_estimators": 3, "max_depth": None},
                 capacity_option="n_estimators", capacity_grids={"n_estimators": (1, 2, 4)},
                 option_limits=TREE_LIMITS)
