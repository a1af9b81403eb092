"""A teacher family with a tree option (forms offer a slider for it) and Playground steps."""

from __future__ import annotations

from kdviz.teachers import RFDepthTeacher, TeacherSpec, register_teacher
from kdviz.teachers.base import TREE_LIMITS

NAME = "toy-forest"

register_teacher(TeacherSpec(
    name=NAME, capacity_name="max_depth", default_grid=(1, 2, 4), min_capacity=1, max_capacity=16,
    description="A small random forest (toy); capacity = depth.", options={"n_estimators": 7},
    tree_option="n_estimators", option_limits=TREE_LIMITS, playground_steps=(1, 2, 4),
    playground_options={"n_estimators": 5},
), RFDepthTeacher)
