"""The searches of the bound-fast constant c (kdviz.kd.csearch): full CV and the cheaper ``cv-fast``."""

import math

import pytest

from kdviz.config import PAPER_C_GRID, make_config
from kdviz.errors import ConfigError
from kdviz.kd.csearch import coarse_indices, fast_fits_max, fast_search, full_search, run_search
from kdviz.kd.targets import chosen_c
from kdviz.sweep import load_data, plan, run_sweep


class Counting:
    """A fold score with a known best c: −(log10 c − log10 best)², plus a per-fold offset; counts its calls."""

    def __init__(self, best: float, fold_offset: float = 0.0):
        self.best, self.offset, self.calls = best, fold_offset, []

    def __call__(self, c: float, fold: int) -> float:
        self.calls.append((c, fold))
        return -((math.log10(c) - math.log10(self.best)) ** 2) + self.offset * fold


@pytest.mark.parametrize("best", PAPER_C_GRID)
def test_the_fast_search_finds_the_known_best_c_anywhere_on_the_grid(best):
    score = Counting(best, fold_offset=0.3)
    res = fast_search(PAPER_C_GRID, 5, score)
    assert res.c == best and res.search == "cv-fast"
    assert full_search(PAPER_C_GRID, 5, Counting(best)).c == best
    # the fit count is what the module claims: each (c, fold) paid once, at most (5 + 2) · 2 = 14 of 45
    assert len(score.calls) == len(set(score.calls)) == res.fits == sum(res.folds.values())
    assert res.fits <= fast_fits_max(len(PAPER_C_GRID), 5) == 14
    assert {f for _c, f in score.calls} == {0, 1} and set(res.folds.values()) == {2}


def test_fit_counts_of_both_searches():
    full = Counting(1.0)
    assert full_search(PAPER_C_GRID, 5, full).fits == len(full.calls) == 45
    assert coarse_indices(9) == [0, 2, 4, 6, 8] and coarse_indices(4) == [0, 2, 3]
    for n in range(1, 16):
        grid = [10.0 ** k for k in range(n)]
        for k in (2, 3, 5):
            worst = max(fast_search(grid, k, Counting(b)).fits for b in grid)
            assert worst == fast_fits_max(n, k) <= n * k
    assert fast_fits_max(5, 3) == 10  # the exploration presets' grid: 10 fits instead of 15


def test_the_fast_search_decides_on_the_mean_of_two_folds():
    """Fold 0 prefers 0.1 by a hair, fold 1 prefers 10 clearly: the two-fold mean decides; the refinement
    then scores 10's only neighbour, 1.0, which is worse."""
    table = {0: {1e-3: 0.0, 0.1: 1.01, 10.0: 1.0, 1.0: 0.2}, 1: {1e-3: 0.0, 0.1: 0.5, 10.0: 1.5, 1.0: 0.2}}
    res = fast_search((1e-3, 1e-2, 0.1, 1.0, 10.0), 3, lambda c, f: table[f][c])
    assert res.c == 10.0 and res.scores[10.0] == pytest.approx(1.25)
    assert sorted(res.scores) == [1e-3, 0.1, 1.0, 10.0] and res.fits == 8


def test_ties_go_to_the_smaller_c_and_the_search_is_deterministic():
    flat = lambda c, f: 0.5  # noqa: E731
    assert fast_search(PAPER_C_GRID, 5, flat).c == full_search(PAPER_C_GRID, 5, flat).c == 1e-5
    a, b = (run_search("cv-fast", PAPER_C_GRID, 5, Counting(10.0)) for _ in range(2))
    assert a == b
    with pytest.raises(ConfigError, match="cv-fast"):
        run_search("cv-faster", PAPER_C_GRID, 5, flat)


def test_c_option_validates():
    assert make_config(c="cv-fast").c == "cv-fast" and make_config(c="cv-fast").c_search() == "cv-fast"
    assert make_config(c=0.1).c_search() == "fixed" and make_config(c="cv", gamma="full").c_search() is None
    with pytest.raises(ConfigError, match="cv-fast"):
        make_config(c="fast")
    with pytest.raises(ConfigError):
        make_config(c=-1.0)
    full, fast = make_config(), make_config(c="cv-fast")  # 8 capacities × 2 corrected methods
    assert full.estimated_fits() - fast.estimated_fits() == 8 * 2 * (45 - 14)


def test_cli_and_links_accept_cv_fast():
    from kdviz.cli.main import build_parser, config_from_args
    from ui.links import decode

    args = build_parser().parse_args(["sweep", "--c", "CV-Fast"])
    assert config_from_args(args).c == "cv-fast"
    assert decode("cfloat", "cv-fast") == "cv-fast" and decode("cfloat", "cv") == "cv"


SMALL = dict(dataset="synthetic:gmm", n=600, label_noise=0.2, capacities=(1, 12), teacher_options={"n_estimators": 10},
             folds=3, repeats=1, c_grid=(1e-3, 1e-2, 1e-1, 1.0, 10.0), cv_folds=3, cv_metric="brier", seed=3)


def test_the_task_key_includes_the_search():
    full, fast = make_config(**SMALL, c="cv"), make_config(**SMALL, c="cv-fast")
    ds = load_data(full)
    tf, tq = plan(full, ds), plan(fast, ds)
    kinds = lambda ts: {t.kind for t in ts}  # noqa: E731
    assert "cv" in kinds(tf) and "csearch" not in kinds(tf)
    assert "csearch" in kinds(tq) and "cv" not in kinds(tq)
    # the teachers are shared; every student of a corrected method depends on its search
    teach = lambda ts: {t.key for t in ts if t.kind == "teacher"}  # noqa: E731
    assert teach(tf) == teach(tq)
    corr = lambda ts: {t.key for t in ts if t.kind == "student" and t.params["method"] in ("corrected", "enhanced")}  # noqa: E731
    assert corr(tf) and not corr(tf) & corr(tq)
    assert len([t for t in tq if t.kind == "csearch"]) == 2 * 2  # one per (capacity, corrected method)


def test_a_sweep_with_cv_fast_says_which_search_chose_c_and_matches_full_cv_here():
    full = run_sweep(make_config(**SMALL, c="cv"), jobs=1)
    fast = run_sweep(make_config(**SMALL, c="cv-fast"), jobs=1)
    corr = fast.method.isin(("corrected", "enhanced"))
    assert set(fast.loc[corr, "c_search"]) == {"cv-fast"} and set(full.loc[corr, "c_search"]) == {"cv"}
    assert fast.loc[~corr, "c_search"].isna().all()
    # on this small GMM both searches choose the same c in every cell, so the students are identical
    assert list(fast.loc[corr, "c"]) == list(full.loc[corr, "c"])
    assert fast.loc[corr, "test_auc"].tolist() == full.loc[corr, "test_auc"].tolist()


def test_chosen_c_needs_the_search_result():
    cfg = make_config(c="cv-fast")
    with pytest.raises(RuntimeError, match="c search"):
        chosen_c(cfg, "enhanced", [])
    assert chosen_c(cfg, "vanilla", []) is None
    assert chosen_c(make_config(c=0.5), "enhanced", []) == 0.5


def test_the_sweep_page_defaults_to_the_fast_search_and_offers_full_cv(tmp_path, monkeypatch):
    from apptools import no_exceptions, page

    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path))
    at = page("pages/2_Sweep.py", {"dataset": "synthetic:gmm", "n": "300"}).run()
    no_exceptions(at)
    assert at.session_state["sw.c"] == "cv-fast"
    search = next(r for r in at.radio if r.key == "sw.c")
    assert list(search.options) == ["fast search", "full cross-validation (paper)"]
    search.set_value("cv").run()
    no_exceptions(at)
    assert at.session_state["sw.c"] == "cv" and at.query_params.get("c") == "cv"
    at = page("pages/2_Sweep.py", {"c": "cv"}).run()  # a link to full CV keeps it
    assert at.session_state["sw.c"] == "cv"


@pytest.mark.parametrize("case", ["magic-B", "adult-B"])
def test_the_fast_search_agrees_with_full_cv_on_the_paper_protocols_measured_fold_scores(case):
    """Issue 21's agreement, replayed on the fold scores and test AUCs measured on the real data at full size
    (benchmarks/c_search_replay.py): the searches in kdviz.kd.csearch choose, and the students they pick must be
    within ±0.002 of full CV's in ≥ 90 % of the cells and never worse by more than 0.005."""
    import json
    from pathlib import Path

    cells = json.loads((Path(__file__).parents[1] / "benchmarks" / "results" /
                        f"c_search_replay_{case}_all.json").read_text())
    assert len(cells) == 14
    diffs, fits = [], []
    for cell in cells:
        folds = {float(c): v for c, v in cell["folds"].items()}
        test = {float(c): v for c, v in cell["test"].items()}

        def score(c, f, folds=folds):
            return folds[c][f]

        full, fast = full_search(sorted(folds), 5, score), fast_search(sorted(folds), 5, score)
        diffs.append(test[fast.c] - test[full.c])
        fits.append(fast.fits)
    assert sum(abs(d) <= 0.002 for d in diffs) >= 0.9 * len(diffs), diffs
    assert min(diffs) >= -0.005 and max(fits) <= 14
