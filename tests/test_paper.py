"""Issue 13: the y-free γ rule, independent fold teachers, the student and second axes, the paper presets,
the published means (compare, chart overlay)."""

import numpy as np
import pandas as pd
import pytest

from kdviz import sweep as sweep_mod
from kdviz.cli.main import build_parser, config_from_args, main
from kdviz.config import PRESETS, make_config
from kdviz.errors import ConfigError, DatasetError
from kdviz.figures import plots
from kdviz.kd.distill import gamma, kd_target, one_hot
from kdviz.paper import (
    PaperMismatchError,
    compare,
    guess_paper,
    paper_reference,
    published,
    published_cells,
    reference,
)
from kdviz.sweep import load_data, plan, run_sweep, teacher_seed

SMALL = dict(dataset="synthetic:gmm", n=400, label_noise=0.2, teacher_options={"n_estimators": 10}, folds=3,
             repeats=2, c_grid=(0.01, 1.0), cv_folds=2)


def _cfg(**kw):
    return make_config(**{**SMALL, **kw})


# ----------------------------------------------------------------------------------------------
# (e) the y-free γ rule
def _conditional_bias(rule: str, c: float, p0: np.ndarray) -> np.ndarray:
    """E[T | x] − log p0 at p̂ = p0, exactly (both labels weighted by p0)."""
    P = np.column_stack([1 - p0, p0])
    t1 = kd_target(P, one_hot(np.ones(len(p0), dtype=int), 2), "logp", True, rule, c)[:, 1]
    t0 = kd_target(P, one_hot(np.zeros(len(p0), dtype=int), 2), "logp", True, rule, c)[:, 1]
    return p0 * t1 + (1 - p0) * t0 - np.log(p0)


@pytest.mark.parametrize("c", [0.01, 0.1, 1.0, 1000.0])
def test_bound_fast_expected_is_mean_zero_at_p0_for_every_c(c):
    p0 = np.linspace(0.05, 0.95, 19)
    assert np.abs(_conditional_bias("bound_fast_expected", c, p0)).max() < 1e-12
    # the r² rule is not: THEORY §3's closed form, zero only at p0 = 1/2
    r2 = _conditional_bias("bound_fast", c, p0)
    closed = c * (1 - p0) * (2 * p0 - 1) / ((c + (1 - p0) ** 2) * (c + p0**2))
    np.testing.assert_allclose(r2, closed, atol=1e-12)
    assert np.abs(r2[np.abs(p0 - 0.5) > 1e-9]).min() > 1e-5  # ~1/c for large c


def test_bound_fast_expected_weight_is_free_of_the_label():
    p = np.array([[0.8, 0.2], [0.4, 0.6]])
    w_y1 = gamma(p, np.array([[0.0, 1.0], [0.0, 1.0]]), "p", "bound_fast_expected", c=0.5)
    w_y0 = gamma(p, np.array([[1.0, 0.0], [1.0, 0.0]]), "p", "bound_fast_expected", c=0.5)
    np.testing.assert_array_equal(w_y1, w_y0)
    np.testing.assert_allclose(w_y1[:, 1], 0.5 / (0.5 + np.array([0.16, 0.24])))
    with pytest.raises(ConfigError, match="c > 0"):
        gamma(p, p, "p", "bound_fast_expected", c=None)


def test_the_sweep_tunes_c_for_the_new_rule_too():
    cfg = _cfg(capacities=(2,), methods=("corrected",), gamma="bound_fast_expected", repeats=1)
    assert any(t.kind == "cv" for t in plan(cfg, load_data(cfg)))
    df = run_sweep(cfg, jobs=1)
    assert df[df.method == "corrected"].c.isin([0.01, 1.0]).all()
    args = build_parser().parse_args(["sweep", "--gamma", "bound_fast_expected"])
    assert config_from_args(args).gamma == "bound_fast_expected"


# ----------------------------------------------------------------------------------------------
# (f) independent fold teachers, (g) the teacher-error columns of cross-fit rows
def test_each_fold_teacher_gets_its_own_seed_in_path_and_refit_mode(monkeypatch):
    seen = []
    real = sweep_mod.make_teacher

    def spy(name, grid, seed=0, mode="path", **kw):
        seen.append((mode, seed))
        return real(name, grid, seed=seed, mode=mode, **kw)

    monkeypatch.setattr(sweep_mod, "make_teacher", spy)
    seeds = {}
    for mode in ("path", "refit"):
        seen.clear()
        cfg = _cfg(capacities=(1, 3), methods=("crossfit",), teacher_mode=mode, seed=7)
        run_sweep(cfg, jobs=1)
        seeds[mode] = sorted(s for m, s in seen if m == mode)
    assert seeds["path"] == seeds["refit"]  # same draws in both modes
    fold_seeds = [teacher_seed(7, t) for t in range(3)]
    assert len(set(fold_seeds)) == 3 and 7 not in fold_seeds
    assert set(fold_seeds) | {7, teacher_seed(7, -1, 1)} <= set(seeds["path"])


def test_crossfit_teacher_errors_measure_the_out_of_fold_predictions():
    cfg = _cfg(capacities=(1, 8), methods=("vanilla", "crossfit"), repeats=1)
    ds = load_data(cfg)
    tasks = plan(cfg, ds)
    from kdviz.experiments import run_plan

    results = run_plan(tasks, lambda t, d: sweep_mod.execute(t, cfg, ds, d))
    df = sweep_mod.assemble(cfg, ds, tasks, results)
    folds = [results[t.key] for t in tasks if t.kind == "teacher" and t.params["fold"] >= 0]
    for i, cap in enumerate((1, 8)):
        oof, mean_test = sweep_mod.teacher_inputs("crossfit", i, folds, len(ds.y_train))
        row = df[(df.method == "crossfit") & (df.capacity == cap)].iloc[0]
        e2 = np.sqrt(np.mean((oof[:, 1] - ds.p0_train[:, 1]) ** 2))
        assert row.teacher_error_l2 == pytest.approx(e2)
        assert row.teacher_error_l2 == pytest.approx(row.teacher_error_train)
        assert row.teacher_error_l2 != pytest.approx(np.sqrt(np.mean((mean_test[:, 1] - ds.p0_test[:, 1]) ** 2)))


# ----------------------------------------------------------------------------------------------
# (a) the student axis and the second axis
def test_the_student_axis_varies_the_student_and_fixes_the_teacher(monkeypatch):
    built = []
    real = sweep_mod.make_student

    def spy(name, seed=0, **opts):
        built.append(opts.get("n_estimators"))
        return real(name, seed=seed, **opts)

    monkeypatch.setattr(sweep_mod, "make_student", spy)
    cfg = _cfg(vary="student", teacher="rf-trees", teacher_capacity=20, teacher_options={}, capacities=(1, 4),
                      methods=("no_kd", "vanilla", "corrected"), c=1.0)
    df = run_sweep(cfg, jobs=1)
    assert {1, 4} <= set(built)
    assert (df.varied == "student").all() and (df.capacity_name == "n_estimators").all()
    teacher = df[df.method == "teacher"]
    assert teacher.capacity.isna().all() and len(teacher) == 2  # one fixed teacher, one row per repeat
    for m in ("no_kd", "vanilla", "corrected"):
        rows = df[df.method == m]
        assert sorted(rows.capacity.unique()) == [1, 4] and len(rows) == 4
    # a one-tree student is worse than a four-tree one on average
    nokd = df[df.method == "no_kd"].groupby("capacity").test_auc.mean()
    assert nokd[1] < nokd[4]
    fig = plots.capacity_chart(df, "test_auc")
    assert fig.layout.xaxis.title.text == "Student capacity: n_estimators"
    with pytest.raises(ConfigError, match="no option 'width'"):
        run_sweep(_cfg(vary="student", student_capacity="width", capacities=(2,)), jobs=1)


def test_the_second_axis_reruns_the_sweep_per_value_and_draws_gains():
    cfg = _cfg(label_noise=0.0, capacities=(1, 6), methods=("vanilla", "crossfit"),
                      repeats=1, axis2="label_noise", axis2_values=(0.0, 0.3))
    tasks = plan(cfg, load_data(cfg))
    assert {t.params["axis2"] for t in tasks} == {0.0, 0.3}
    df = run_sweep(cfg, jobs=1)
    assert set(df.axis2) == {0.0, 0.3} and (df.axis2_name == "label_noise").all()
    assert len(df[df.method != "teacher"]) == 2 * 2 * 2
    g = plots.gain_table(df, "student_error")
    assert set(g.method) == {"crossfit"} and len(g) == 4
    kd = df.set_index(["method", "axis2", "capacity"]).student_error
    for r in g.itertuples():
        assert r.gain == pytest.approx(kd["vanilla", r.axis2, r.capacity] - kd["crossfit", r.axis2, r.capacity])
    fig = plots.axis2_heatmap(df, "student_error")
    assert [t.type for t in fig.data] == ["heatmap"]
    with pytest.raises(ConfigError, match="axis2"):
        _cfg(axis2="label_noise")
    with pytest.raises(ConfigError, match="not a valid label_noise"):
        _cfg(axis2="label_noise", axis2_values=(0.1, 0.6))


def test_temperature_as_second_axis_shares_the_teachers():
    cfg = _cfg(capacities=(2,), methods=("vanilla",), repeats=1, axis2="temperature",
                      axis2_values=(2.0, 4.0))
    tasks = plan(cfg, load_data(cfg))
    teachers = [t.key for t in tasks if t.kind == "teacher"]
    assert len(teachers) == 2 and len(set(teachers)) == 1


# ----------------------------------------------------------------------------------------------
# (b) the paper presets
@pytest.mark.parametrize("dataset", ["adult", "fico", "higgs", "magic", "stumbleupon"])
def test_paper_presets_follow_the_authors_protocols(dataset):
    b = make_config(**PRESETS[f"paper-{dataset}-B"])
    assert (b.vary, b.teacher, b.capacities, b.teacher_options) == (
        "teacher", "rf-depth", (1, 2, 3, 5, 10, 15, 20), {"n_estimators": 100})
    assert b.student_options == {"n_estimators": 10}
    a = make_config(**PRESETS[f"paper-{dataset}-A"])
    assert (a.vary, a.teacher, a.teacher_capacity, a.teacher_options) == (
        "student", "rf-trees", 500, {"max_depth": None})
    assert a.capacities == (1, 2, 3, 5, 10, 15, 20, 30, 40) and a.student_capacity_name() == "n_estimators"
    for cfg, exp in ((a, "A"), (b, "B")):
        assert (cfg.folds, cfg.repeats, cfg.seed, cfg.scale, cfg.test_size) == (10, 5, 2357, "logp", 0.3)
        assert cfg.c == "cv" and cfg.cv_folds == 5 and cfg.cv_metric == "task" and len(cfg.c_grid) == 9
        assert cfg.paper == f"{dataset}-{exp}"


def test_a_preset_runs_offline_from_a_csv_with_the_capacities_overridden(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path))
    args = build_parser().parse_args(["sweep", "--preset", "paper-magic-A", "--dataset", "csv:/x.csv",
                                      "--target", "class", "--capacities", "2,3"])
    cfg = config_from_args(args)
    assert (cfg.dataset, cfg.target, cfg.capacities, cfg.vary, cfg.paper) == (
        "csv:/x.csv", "class", (2, 3), "student", "magic-A")
    # OpenML cannot be reached here: the message says so and names the offline way
    import kdviz.data.openml as openml

    monkeypatch.setattr(openml, "_openml_reachable", lambda *a, **k: False)
    with pytest.raises(DatasetError, match="cannot be reached"):
        load_data(make_config(**PRESETS["paper-higgs-B"]))
    rc = main(["sweep", "--preset", "paper-higgs-B", "--quiet"])
    assert rc == 1


# ----------------------------------------------------------------------------------------------
# (c) published means: compare and overlay
def _fake_results(paper: str, shift: float = 0.0) -> pd.DataFrame:
    """A results table whose means are the published ones (+ shift), two repeats each."""
    ref = reference(paper)
    rows = []
    for r in ref.itertuples():
        for rep, d in enumerate((-0.001, 0.001)):
            rows.append(dict(dataset="csv:/data/magic04.csv", teacher="rf-depth", capacity_name="max_depth",
                             capacity=r.capacity, method=r.method, repeat=rep, test_auc=r.mean + shift + d,
                             c=r.c_chosen, varied="teacher"))
    return pd.DataFrame(rows)


def test_published_means_ship_with_kdviz_and_name_their_source():
    t = published()
    assert set(t.dataset) == {"adult", "fico", "higgs", "magic", "stumbleupon"}
    assert t.source.str.endswith(".json").all()
    ref = reference("magic-B")
    row = ref[(ref.method == "enhanced") & (ref.capacity == 1)].iloc[0]
    assert row["mean"] == pytest.approx(0.91288) and row.split == "crossfit"
    assert ref[ref.method == "no_kd"].capacity.isna().all()
    with pytest.raises(ConfigError, match="unknown paper experiment"):
        reference("iris-B")


_DATA = {"magic": "csv:/data/magic04.csv", "adult": "csv:/data/adult-full.csv"}


def _published_table(paper: str, scales=("logp",), vanilla_everywhere: bool = False) -> pd.DataFrame:
    """A results table built from the published means: each cell's two repeats are mean ± s.e., so its mean and
    s.e. are the published ones. `vanilla_everywhere`: every KD method gets its own (published) vanilla curve."""
    dataset, exp = paper.split("-")
    cells = published_cells(paper)
    cells = cells[cells.scale.isin(scales)]
    rows = []
    for r in cells.itertuples():
        mean = r.mean
        if vanilla_everywhere and r.method in ("crossfit", "corrected", "enhanced"):
            v = cells[(cells.scale == r.scale) & (cells.method == "vanilla") & (cells.capacity == r.capacity)]
            if v.empty:
                continue
            mean = v["mean"].iloc[0]
        for rep, sign in enumerate((-1, 1)):
            rows.append(dict(dataset=_DATA[dataset], teacher="rf-depth" if exp == "B" else "rf-trees",
                             capacity_name="max_depth" if exp == "B" else "n_estimators", capacity=r.capacity,
                             method=r.method, repeat=rep, test_auc=mean + sign * r.se, c=r.c_chosen,
                             varied="teacher" if exp == "B" else "student", scale=r.scale))
    return pd.DataFrame(rows)


def test_the_published_means_themselves_pass_every_cell(tmp_path, capsys):
    assert guess_paper(_published_table("magic-B")) == "magic-B"
    a = compare(_published_table("magic-B"))
    assert len(a.levels) == 36 and a.levels.within.all() and a.missing.empty
    assert len(a.effects) == 28 and a.effects.within.all()
    assert a.levels.yours_se.to_numpy() == pytest.approx(a.levels.paper_se.to_numpy())
    assert a.summary_line() == ("levels 36/36 within ±0.005; effects 28/28 within ±0.005; "
                                f"signs {a.signs_checked}/{a.signs_checked} of published effects > 0.01")
    # an effect is the method minus vanilla at the same depth, on both sides
    enh = a.effects[(a.effects.effect == "enhanced − vanilla") & (a.effects.capacity == 1)].iloc[0]
    ref = reference("magic-B").set_index(["method", "capacity"])["mean"]
    assert enh.paper == pytest.approx(ref["enhanced", 1] - ref["vanilla", 1]) and enh.yours == pytest.approx(enh.paper)
    path = tmp_path / "res.csv"
    _published_table("magic-B").to_csv(path, index=False)
    assert main(["paper", "compare", str(path), "--require", "0.9"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == a.summary_line()


def test_experiment_a_compares_each_published_cell_on_its_own_scale():
    both = compare(_published_table("magic-A", scales=("logp", "p")))
    assert both.missing.empty and both.levels.within.all() and both.effects.within.all()
    assert set(both.levels[both.levels.scale == "p"].method) == {"crossfit", "enhanced", "no_kd"}
    assert {"crossfit − no_kd", "enhanced − no_kd"} <= set(both.effects[both.effects.scale == "p"].effect)
    # a log-p-only run: the p-scale cross-fit and enhanced cells are listed, not dropped
    logp = compare(_published_table("magic-A").drop(columns="scale"))
    lost = logp.missing[logp.missing.kind == "level"]
    assert set(lost.method) == {"crossfit", "enhanced"} and len(lost) == 18
    assert (lost.reason == "scale p not run").all()
    assert logp.share("levels") < 0.9 and not logp.passes(0.9)
    assert "Not compared (36 published cells)" in logp.text()


def test_a_table_whose_methods_equal_their_vanilla_curve_fails(tmp_path, capsys):
    bad = _published_table("magic-B", vanilla_everywhere=True)
    a = compare(bad)
    assert a.share("effects") < 0.75  # most effects are out
    big = a.effects[a.effects.sign_checked]
    assert not big[big.method != "vanilla"].sign_ok.any()  # "no effect" has the sign of no published effect
    path = tmp_path / "vanilla.csv"
    bad.to_csv(path, index=False)
    assert main(["paper", "compare", str(path), "--require", "0.9"]) == 1
    out = capsys.readouterr()
    assert out.out.strip().splitlines()[-1] == a.summary_line() and "below --require 0.9" in out.err
    # the tolerances are settable; however wide, the signs still fail it: 4/12 (only vanilla − no-KD)
    assert main(["paper", "compare", str(path), "--tol-level", "0.2", "--tol-effect", "0.2", "--require", "0.9"]) == 1
    assert capsys.readouterr().out.strip().splitlines()[-1] == (
        "levels 36/36 within ±0.2; effects 28/28 within ±0.2; signs 4/12 of published effects > 0.01")


def test_no_comparable_cell_or_another_experiment_exits_2(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    pd.DataFrame(columns=["dataset", "method", "capacity", "test_auc"]).to_csv(empty, index=False)
    assert main(["paper", "compare", str(empty), "--paper", "magic-B"]) == 2
    assert "no rows" in capsys.readouterr().err
    other = _published_table("magic-B")
    other["method"] = "oracle"  # nothing the paper reports
    with pytest.raises(PaperMismatchError, match="no published cell of magic-B"):
        compare(other)
    path = tmp_path / "a.csv"
    _published_table("magic-A").to_csv(path, index=False)
    assert main(["paper", "compare", str(path), "--paper", "magic-B"]) == 2
    assert "is magic-A" in capsys.readouterr().err
    adult = tmp_path / "adult.csv"
    _published_table("adult-B").to_csv(adult, index=False)
    assert main(["paper", "compare", str(adult), "--paper", "magic-B"]) == 2
    assert main(["paper", "compare", str(path), "--scale", "p"]) == 2  # its rows are log p
    assert "holds logp" in capsys.readouterr().err
    assert main(["paper", "compare", str(path), "--require", "2"]) == 1  # a share is at most 1
    junk = tmp_path / "junk.csv"
    pd.DataFrame({"dataset": ["csv:magic04.csv"], "method": ["vanilla"], "capacity": ["x"],
                  "test_auc": ["abc"]}).to_csv(junk, index=False)
    assert main(["paper", "compare", str(junk)]) == 2
    assert "no finite 'test_auc'" in capsys.readouterr().err


def test_charts_of_a_paper_preset_draw_the_dashed_paper_series():
    df = _fake_results("magic-B")
    ref = paper_reference(make_config(**PRESETS["paper-magic-B"]).to_dict())
    fig = plots.capacity_chart(df, "test_auc", reference=ref)
    paper = [t for t in fig.data if t.name and t.name.startswith("paper: ") and t.mode]
    lines = [t for t in paper if "s.e." not in t.name]
    assert {t.name for t in lines} >= {"paper: Enhanced KD (cross-fit + correction)", "paper: Vanilla KD"}
    assert all(t.line.dash == "dash" for t in lines)
    assert any("s.e." in t.name and t.fill == "toself" for t in paper)  # the band
    enh = next(t for t in lines if t.name.startswith("paper: Enhanced"))
    assert enh.y[0] == pytest.approx(0.91288)
    assert paper_reference({"dataset": "synthetic:gmm"}) is None


# ----------------------------------------------------------------------------------------------
# (d) one slope per estimator on the Theory page
def test_enhanced_at_fixed_c_and_the_cv_choice_are_separate_series_with_their_own_slopes():
    from kdviz.experiments import run_experiment
    from kdviz.theory.experiments import make_eps_config
    from kdviz.theory.plots import eps_chart, slope_table

    cfg = make_eps_config(n=1500, n_eval=1500, repeats=2, eps_grid=(0.2, 0.5, 1.0), c_fixed=(0.1, 1000.0),
                          c_grid=(1e-3, 1.0, 1e3), cv_folds=2, gamma="bound_fast_expected")
    df = run_experiment("theory-eps", cfg, jobs=1)
    assert set(df.series) == {"vanilla", "corrected", "enhanced, c by CV per ε", "enhanced, c = 0.1",
                              "enhanced, c = 1000"}
    assert (df[df.method == "enhanced"].gamma_rule == "bound_fast_expected").all()
    fixed = df[df.series == "enhanced, c = 0.1"]
    assert (fixed.c == 0.1).all() and fixed.c_cv.isna().all()
    table = slope_table(df)
    assert {"method", "γ rule", "c"} <= set(table.columns) and table[["method", "γ rule", "c"]].ne("").all().all()
    enh = table[table.method == "enhanced"]
    assert {"0.1", "1000"} <= set(enh.c) and any(c.startswith("CV per ε") for c in enh.c)
    assert set(enh["γ rule"]) == {"bound_fast_expected"}
    bias = table[table.measured.str.startswith("bias")].set_index("c")["fitted slope"]
    assert bias["1000"] > bias["0.1"] + 1  # large c: the full correction's steep slope; small c: first order
    names = [t.name for t in eps_chart(df).data]
    assert any(n.startswith("Enhanced KD, γ y-free c/(c + p̂(1−p̂)), c = 0.1: teacher-bias term") for n in names)
    assert any("c by CV per ε: teacher-bias term" in n for n in names)


def test_openml_versions_as_the_authors_load_them(tmp_path, monkeypatch):
    import kdviz.data.load as data
    import kdviz.data.openml as openml

    frame = pd.DataFrame({"x": np.tile(np.arange(10.0), 10), "y": ["a", "b"] * 50})
    calls = []

    def fake_fetch(name, data_home, version=1):
        calls.append((name, version))
        return frame, "y"

    monkeypatch.setattr(openml, "_openml_reachable", lambda timeout=3.0: True)
    monkeypatch.setattr(openml, "_fetch_openml", fake_fetch)
    data.load_dataset("openml:Adult@2", cache_dir=tmp_path)
    assert calls == [("Adult", 2)] and (tmp_path / "Adult-v2.csv").exists()
    assert PRESETS["paper-adult-B"]["dataset"] == "openml:Adult@2"
    with pytest.raises(DatasetError, match="positive integer"):
        data.load_dataset("openml:Adult@x", cache_dir=tmp_path)


def test_the_student_axis_varies_a_torch_students_width():
    pytest.importorskip("torch")
    cfg = make_config(dataset="synthetic:gmm", n=300, vary="student", teacher="rf-depth", teacher_capacity=3,
                      teacher_options={"n_estimators": 10}, student="mlp", student_options={"epochs": 3},
                      capacities=(2, 16), methods=("vanilla", "crossfit"), folds=2, repeats=1)
    tasks = plan(cfg, load_data(cfg))
    assert sorted(t.params["capacity"] for t in tasks if t.kind == "student_batch") == [2, 16]
    df = run_sweep(cfg, jobs=1)
    kd = df[df.method != "teacher"]
    assert (kd.capacity_name == "width").all() and sorted(kd.capacity.unique()) == [2, 16]
    assert kd.groupby("capacity").test_auc.first().nunique() == 2


def test_the_gallery_cards_pick_their_run_and_caption_what_they_draw(tmp_path):
    from types import SimpleNamespace

    from kdviz.figures.talkpack import TalkChart, talk_pack
    from kdviz.paper.gallery import (
        Card,
        CardState,
        card_agreement,
        card_caption,
        card_figure,
        cards,
        pick_run,
        run_config,
    )

    assert len(cards()) == len(published().groupby(["experiment", "dataset", "scale"])) == 20
    card = Card("A", "magic", "p")
    assert run_config(card)["scale"] == "p" and run_config(card)["paper"] == "magic-A"

    def job(i, status, scale, created, paper="magic-A", dataset="openml:MagicTelescope"):
        return SimpleNamespace(id=i, kind="sweep", status=status, created=created,
                               config={"paper": paper, "scale": scale, "dataset": dataset})

    jobs = [job("old", "done", "p", 1), job("new", "done", "p", 2), job("logp", "done", "logp", 3),
            job("run", "running", "p", 4), job("b", "done", "p", 5, paper="magic-B")]
    assert pick_run(card, jobs).id == "new" and pick_run(Card("A", "magic", "logp"), jobs).id == "logp"
    assert pick_run(card, jobs[3:4]).id == "run" and pick_run(Card("A", "adult", "p"), jobs) is None
    upload = tmp_path / "magic04.csv"
    upload.write_text("a,class\n1,g\n")
    assert run_config(card, job("u", "done", "p", 1, dataset=f"csv:{upload}"))["dataset"] == f"csv:{upload}"

    # a two-scale table: the p card compares its own scale only, and lists nothing of the other
    table = _published_table("magic-A", scales=("logp", "p"))
    a, why = card_agreement(card, table)
    assert why == "" and set(a.levels.scale) == {"p"} and a.missing.empty
    fig = card_figure(card, table, a)
    names = [t.name for t in fig.data]
    assert "Enhanced KD (cross-fit + correction)" in names and "paper: Enhanced KD (cross-fit + correction)" in names
    assert f"levels {len(a.levels)}/{len(a.levels)}" in fig.layout.title.subtitle.text
    caption = card_caption(CardState(card, None, table, a))
    assert caption.startswith(a.summary_line()) and "Largest effect gap" in caption
    none, why = card_agreement(card, None)
    assert none is None and "no finished kdviz run" in why
    bare = card_figure(card)
    assert all(t.name.startswith("paper: ") for t in bare.data) and "published curves only" in bare.layout.title.subtitle.text
    pack = talk_pack([TalkChart("paper_magic-A-p", fig, caption)], images=False)
    assert "charts/paper_magic-A-p.html" in pack.names
