"""One schema (issue 10): SweepConfig's fields drive the CLI flags and the Sweep form; registries are read live.

A toy KD method, teacher family and student registered after import appear in `kdviz sweep --help`,
the parser, the Sweep form's choices (and the page), the method label and a chart's legend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from apptools import no_exceptions, page

from kdviz import plugins, teachers
from kdviz.cli.main import build_parser, config_from_args, main, sweep_flags
from kdviz.config import SweepConfig, make_config, sweep_field, sweep_fields
from kdviz.data.load import load_dataset
from kdviz.data.registry import DatasetSpec, RawData, register_dataset, unregister_dataset
from kdviz.errors import ConfigError
from kdviz.figures.plots import capacity_chart
from kdviz.kd import methods as kd_methods_module
from kdviz.kd import students
from kdviz.kd.methods import Method, method_label, register_method
from kdviz.schema import model_fields
from kdviz.teaching.playground import PlaygroundParams


@pytest.fixture
def toys():
    """A toy KD method, teacher family and student, removed afterwards."""
    plugins.load_plugins()
    register_method(Method("toy", "Toy KD", "#123456", "hexagon"))
    teachers.register_teacher(teachers.TeacherSpec("toy-teacher", "depth", (1, 2), 1, 10, "a toy teacher"),
                              lambda **kw: None)
    students.register_student("toy-student", lambda seed, **o: None, "a toy student")
    register_dataset(DatasetSpec("toy:blobs", "two seeded blobs", _toy_blobs, has_p0=False, n_classes=2))
    yield
    kd_methods_module.METHODS.pop("toy", None)
    teachers.unregister_teacher("toy-teacher")
    students.unregister_student("toy-student")
    unregister_dataset("toy:blobs")


def _toy_blobs(req):
    rng = np.random.default_rng(req.seed)
    y = np.repeat([0, 1], 100)
    return RawData(X=rng.normal(size=(200, 2)) + y[:, None], y=y, class_names=["a", "b"])


def test_fields_read_from_the_config():
    f = sweep_fields()
    assert f["folds"].kind == "int" and f["folds"].bounds() == (2, 20) and f["folds"].range_text() == "[2, 20]"
    assert f["label_noise"].range_text() == "[0, 0.5)" and f["label_noise"].widget_range(0.05) == (0.0, 0.45)
    assert f["temperature"].lo_open and f["temperature"].widget_range(0.5) == (0.5, 100.0)
    assert f["capacities"].kind == "ints" and f["capacities"].optional
    assert f["c"].kind == "cfloat" and f["c_grid"].kind == "floats" and f["methods"].kind == "strs"
    assert f["gamma"].choices() == ("bound_fast", "bound_fast_expected", "full")
    assert f["axis2"].optional and set(f["axis2"].choices()) == {"label_noise", "temperature", "alpha", "folds"}
    assert f["n"].optional and f["n"].default is None and f["repeats"].default == 3
    assert "cross-fitting" in f["folds"].description
    assert all(spec.description for name, spec in f.items() if not name.endswith("_options"))
    assert set(f) == set(SweepConfig.model_fields)


def test_every_field_has_a_flag_named_after_it():
    flags = sweep_flags()
    assert flags["--c-grid"].name == "c_grid" and flags["--test-size"].name == "test_size"
    assert {s.name for s in flags.values()} == set(SweepConfig.model_fields) - {"teacher_options", "student_options"}
    args = build_parser().parse_args(["sweep", "--folds", "3", "--c-grid", "0.1,1", "--scale", "p", "--c", "cv"])
    cfg = config_from_args(args)
    assert (cfg.folds, cfg.c_grid, cfg.scale, cfg.c) == (3, (0.1, 1.0), "p", "cv")


def test_registered_toys_appear_in_the_cli(toys, capsys):
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "toy:blobs" in out.rsplit("--dataset DATASET", 1)[1].split(" --", 1)[0]
    assert "toy-teacher" in out and "toy-student" in out and "toy" in out.rsplit("--methods METHODS", 1)[1].split(" --", 1)[0]
    assert "K, the number of cross-fitting folds (range [2, 20])" in out  # the field's description and bounds
    args = build_parser().parse_args(["sweep", "--methods", "vanilla,toy", "--teacher", "toy-teacher",
                                      "--student", "toy-student"])
    cfg = config_from_args(args)
    assert cfg.methods == ("vanilla", "toy") and cfg.teacher == "toy-teacher" and cfg.student == "toy-student"
    assert "toy" in sweep_field("methods").choices() and "toy-teacher" in sweep_field("teacher").choices()


def test_registered_toys_appear_in_the_sweep_form(toys):
    from ui import sweep_form as form

    assert "toy" in form.options("methods") and "toy:blobs" in form.builtin_datasets()
    assert "toy-teacher" in form.options("teacher") and "toy-student" in form.options("student")
    at = page("pages/2_Sweep.py").run()
    no_exceptions(at)
    assert "Toy KD" in at.sidebar.multiselect(key="sw.methods").options
    assert "toy-teacher" in at.sidebar.selectbox(key="sw.teacher").options
    assert "toy:blobs" in next(s for s in at.selectbox if s.label == "Dataset").options
    assert any(o.startswith("toy-student") for o in at.sidebar.selectbox(key="sw.student").options)
    assert at.sidebar.slider(key="sw.folds").min == 2 and at.sidebar.slider(key="sw.folds").max == 20


def test_registered_method_appears_in_labels_and_the_legend(toys):
    assert method_label("toy") == "Toy KD"
    df = pd.DataFrame([
        {"dataset": "synthetic:gmm", "teacher": "rf-depth", "capacity_name": "max_depth", "capacity": c,
         "method": m, "repeat": 0, "test_auc": 0.7 + 0.01 * c}
        for c in (1, 2) for m in ("teacher", "vanilla", "toy")
    ])
    names = {t.name for t in capacity_chart(df, "test_auc").data}
    assert "Toy KD" in names and "Vanilla KD" in names


def test_playground_params_bounds_are_its_fields():
    f = model_fields(PlaygroundParams)
    assert f["n"].bounds() == (100, 3000) and f["folds"].bounds() == (2, 10)
    assert f["resolution"].choices() == (30, 45, 60, 90) and f["teacher"].choices()[0] == "rf-depth"
    a, b = PlaygroundParams(methods=("crossfit", "vanilla")), PlaygroundParams(methods=("vanilla", "crossfit"))
    assert a == b and hash(a) == hash(b) and a.methods == ("vanilla", "crossfit")  # a cache key by value
    with pytest.raises(ConfigError, match=r"invalid playground settings — n must be between 100 and 3000, got 5"):
        PlaygroundParams(n=5)
    with pytest.raises(ConfigError, match="resolution must be one of 30, 45, 60, 90"):
        PlaygroundParams(resolution=31)
    assert PlaygroundParams().replace(capacity=4).capacity == 4


def test_registered_dataset_loads_and_runs_a_sweep(toys):
    ds = load_dataset("toy:blobs", seed=1)
    assert ds.n_classes == 2 and ds.n_train + len(ds.y_test) == 200 and ds.class_names == ["a", "b"]
    from kdviz.sweep import run_sweep

    df = run_sweep(make_config(dataset="toy:blobs", capacities=(1, 2), teacher_options={"n_estimators": 5},
                               methods=("vanilla", "toy"), folds=2, repeats=1, c=1.0), jobs=1)
    assert set(df["method"]) == {"teacher", "vanilla", "toy"} and df["dataset"].eq("toy:blobs").all()
    assert "toy:blobs" in (capacity_chart(df, "test_auc").layout.title.text or "")


# -- one vocabulary: the settings the sweep, theory and Playground models share are defined once ------------
def _families() -> dict[str, list[type]]:
    from kdviz.theory.experiments import CSweepConfig, EpsSweepConfig, SizeSweepConfig, TheoryConfig

    return {"sweep": [SweepConfig], "theory": [TheoryConfig, EpsSweepConfig, SizeSweepConfig, CSweepConfig],
            "playground": [PlaygroundParams]}


def _within(spec_bound: tuple, term_bound: tuple, side: str) -> bool:
    (value, is_open), (base, base_open) = spec_bound, term_bound
    if base is None:
        return True
    if value is None:
        return False
    tighter = value > base if side == "lo" else value < base
    return tighter or (value == base and (is_open or not base_open))


def test_shared_settings_have_one_description_and_bounds_inside_it():
    from kdviz.schema import VOCABULARY

    families = _families()
    names = {fam: {n for m in models for n in model_fields(m)} for fam, models in families.items()}
    shared_names = {n for n in set().union(*names.values()) if sum(n in s for s in names.values()) > 1}
    assert shared_names <= set(VOCABULARY), f"shared but defined per model: {shared_names - set(VOCABULARY)}"
    for models in families.values():
        for model in models:
            for name, spec in model_fields(model).items():
                if name not in VOCABULARY:
                    continue
                term, where = VOCABULARY[name], f"{model.__name__}.{name}"
                assert spec.description == term.description, where
                for side, mine in (("lo", (spec.lo, spec.lo_open)), ("hi", (spec.hi, spec.hi_open))):
                    if spec.kind in ("int", "float") or mine[0] is not None:  # cfloat, grids: their validators
                        assert _within(mine, term.bound(side), side), (where, side, mine, term.bound(side))
                if term.min_length is not None:
                    assert spec.min_length is not None and spec.min_length >= term.min_length, where
                if term.max_length is not None and spec.max_length is not None:
                    assert spec.max_length <= term.max_length, where


def test_models_narrow_the_shared_bounds_and_the_forms_read_the_narrowed_ones():
    from kdviz.schema import VOCABULARY, shared
    from kdviz.theory.experiments import EpsSweepConfig

    assert model_fields(PlaygroundParams)["n"].bounds() == (100, 3000)  # the Playground stays interactive
    assert model_fields(SweepConfig)["n"].bounds() == (50, 500_000)
    assert model_fields(EpsSweepConfig)["n"].bounds() == (100, 1_000_000) == (100, VOCABULARY["n"].le)
    noise = model_fields(PlaygroundParams)["label_noise"]
    assert noise.bounds() == (0.0, 0.45) and not noise.hi_open and noise.description == VOCABULARY["label_noise"].description
    with pytest.raises(ConfigError, match="label_noise must be between 0 and 0.45"):
        PlaygroundParams(label_noise=0.46)
    with pytest.raises(TypeError, match="outside the shared definition"):
        shared("n", 10, le=2_000_000)  # a model may narrow a shared range, never widen it
    with pytest.raises(TypeError, match="outside the shared definition"):
        shared("label_noise", 0.0, le=0.5)  # [0, 0.5] is wider than [0, 0.5)


def test_field_spec_reads_bounds_as_pydantic_validates_them():
    """Stacked Annotated Fields: the last of each constraint holds; of ge and gt (le and lt) the tighter."""
    from typing import Annotated

    from pydantic import BaseModel, Field

    from kdviz.schema import field_spec

    Noise = Annotated[float, Field(ge=0.0, lt=0.5, description="noise")]

    class M(BaseModel):
        a: Annotated[Noise, Field(le=0.45)] = 0.1
        b: Annotated[Noise, Field(le=0.6)] = 0.1
        c: Annotated[Annotated[int, Field(ge=1, le=100)], Field(le=10)] = 1

    assert (field_spec("a", M).hi, field_spec("a", M).hi_open) == (0.45, False)
    assert (field_spec("b", M).hi, field_spec("b", M).hi_open) == (0.5, True)  # lt=0.5 still holds
    assert field_spec("c", M).bounds() == (1, 10)
    for name, bad in (("a", 0.46), ("b", 0.55), ("c", 11)):
        with pytest.raises(ValueError):
            M(**{name: bad})
