"""Issue 17: the authors' exact data protocol — their split, ordinal encoding with mean imputation, FICO's
special values — as options of `load_dataset`, set by the paper presets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from kdviz.config import PRESETS, make_config
from kdviz.data.load import load_dataset
from kdviz.errors import DatasetError
from kdviz.presets import ADULT_CATEGORIES, PAPER_A_SCALES, PAPER_DATASETS, paper_data_options
from kdviz.sweep import COLUMNS, load_data, run_sweep


def _write(tmp_path, df: pd.DataFrame, name: str = "t.csv") -> str:
    path = tmp_path / name
    df.to_csv(path, index=False)
    return f"csv:{path}"


def _numeric_table(n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 5.0, 0.2] + [0.0, 3.0, -1.0]
    y = (X[:, 0] + rng.normal(size=n) > 0.4).astype(int)
    return pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "label": np.where(y == 1, "yes", "no")})


def test_the_authors_split_is_sklearns_train_test_split_in_file_order(tmp_path):
    df = _numeric_table()
    ds = load_dataset(_write(tmp_path, df), target="label", seed=2357, test_size=0.3, split="authors")
    X = df[["a", "b", "c"]].to_numpy()
    y = (df["label"] == "yes").to_numpy().astype(int)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=2357)
    ss = StandardScaler().fit(X_tr)
    np.testing.assert_allclose(ds.X_train, ss.transform(X_tr), atol=1e-12)
    np.testing.assert_allclose(ds.X_test, ss.transform(X_te), atol=1e-12)
    assert (ds.y_train == y_tr).all() and (ds.y_test == y_te).all()
    # the default stays kdviz's stratified split, which differs
    default = load_dataset(_write(tmp_path, df), target="label", seed=2357)
    assert not np.array_equal(default.y_test, ds.y_test) or not np.allclose(default.X_test, ds.X_test)
    with pytest.raises(DatasetError, match="split must be one of"):
        load_dataset(_write(tmp_path, df), target="label", split="random")


def _adult_like(n: int = 200, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    work = rng.choice(["Private", "State-gov", "Self-emp-inc", None], size=n, p=[0.5, 0.2, 0.2, 0.1])
    sex = rng.choice(["Male", "Female"], size=n)
    age = rng.integers(18, 80, size=n).astype(float)
    label = np.where(rng.random(n) < 0.3, ">50K", "<=50K")
    label = np.where(np.arange(n) >= 2 * n // 3, np.char.add(label.astype(str), "."), label)  # test file: ">50K."
    return pd.DataFrame({"age": age, "workclass": work, "sex": sex, "Salary": label})


def test_ordinal_encoding_codes_levels_in_the_declared_order_with_mean_imputation(tmp_path):
    df = _adult_like()
    declared = {"workclass": list(ADULT_CATEGORIES["workclass"]), "sex": list(ADULT_CATEGORIES["sex"])}
    ds = load_dataset(_write(tmp_path, df), target="Salary", seed=2357, split="authors", encoding="ordinal",
                      categories=declared)
    assert ds.class_names == ["<=50K", ">50K"] and ds.feature_names == ["age", "workclass", "sex"]
    # the expected rows, computed independently: adult.names order, NaN for missing, SimpleImputer() on train
    codes = df.assign(workclass=df["workclass"].map({lv: i for i, lv in enumerate(declared["workclass"])}),
                      sex=df["sex"].map({"Female": 0, "Male": 1}))
    X = codes[["age", "workclass", "sex"]].to_numpy(dtype=float)
    y = df["Salary"].str.rstrip(".").eq(">50K").to_numpy().astype(int)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=2357)
    imp = SimpleImputer().fit(X_tr)
    ss = StandardScaler().fit(imp.transform(X_tr))
    np.testing.assert_allclose(ds.X_train, ss.transform(imp.transform(X_tr)), atol=1e-12)
    np.testing.assert_allclose(ds.X_test, ss.transform(imp.transform(X_te)), atol=1e-12)
    assert (ds.y_test == y_te).all()
    # sorted (not declared) codes give other features: the declared order matters
    alpha = load_dataset(_write(tmp_path, df), target="Salary", seed=2357, split="authors", encoding="ordinal")
    assert not np.allclose(alpha.X_train[:, 1], ds.X_train[:, 1])
    onehot = load_dataset(_write(tmp_path, df), target="Salary", seed=2357, split="authors")
    assert onehot.n_features > 3  # one-hot stays the default


def test_undeclared_levels_follow_sorted_and_test_only_levels_are_imputed(tmp_path):
    from kdviz.data.encoding import encode_split, ordinal_codes
    from kdviz.data.tables import DataReport

    assert ordinal_codes(pd.Series(["b", "z", "a", None]), ["z"]) == ["z", "a", "b"]
    frame = pd.DataFrame({"c": pd.Series(["x", "y", "x", "w"], dtype=object), "n": [1.0, np.nan, 3.0, 4.0]})
    report = DataReport()
    X_tr, X_te, names = encode_split(frame, np.array([0, 1, 2]), np.array([3]), report, "ordinal")
    assert names == ["c", "n"]
    np.testing.assert_allclose(X_tr, [[0, 1], [1, 2], [0, 3]])  # n's gap: the training mean 2
    np.testing.assert_allclose(X_te, [[1 / 3, 4]])  # 'w' has no code: the mean code
    assert any("'c' 1 row" in note for note in report.notes)


def test_fico_special_values_become_minus_9_and_all_coded_rows_go(tmp_path):
    rng = np.random.default_rng(3)
    n = 120
    df = pd.DataFrame({"x1": rng.integers(0, 90, n).astype(float), "x2": rng.integers(0, 50, n).astype(float),
                       "RiskPerformance": rng.choice(["Bad", "Good"], n)})
    df.loc[0:9, ["x1", "x2"]] = -9.0  # 10 rows with no data at all
    df.loc[10:14, "x1"] = -7.0
    df.loc[15:19, "x2"] = -8.0
    df.loc[20:22, ["x1", "x2"]] = [-7.0, -8.0]  # coded in every column, with other codes: dropped too
    ds = load_dataset(_write(tmp_path, df), target="RiskPerformance", seed=2357, split="authors",
                      special_values=(-7, -8, -9))
    assert ds.n_train + ds.n_test == n - 13
    assert any("13 rows" in d for d in ds.report.dropped)
    # independently: the authors' preprocessing, then their split
    ref = df.copy()
    for col in ("x1", "x2"):
        ref.loc[ref[col].isin([-7, -8, -9]), col] = -9
    ref = ref[(ref[["x1", "x2"]].T != -9).any()]
    X_tr, X_te = train_test_split(ref[["x1", "x2"]].to_numpy(), test_size=0.3, random_state=2357)
    ss = StandardScaler().fit(X_tr)
    np.testing.assert_allclose(ds.X_test, ss.transform(X_te), atol=1e-12)


@pytest.mark.parametrize("dataset", sorted(PAPER_DATASETS))
def test_paper_presets_carry_the_authors_data_protocol(dataset):
    for exp in ("A", "B"):
        cfg = make_config(**PRESETS[f"paper-{dataset}-{exp}"])
        assert cfg.split == "authors" and cfg.seed == 2357 and cfg.test_size == 0.3
        assert cfg.encoding == ("ordinal" if dataset in ("adult", "higgs") else "onehot")
        assert cfg.special_values == ((-7.0, -8.0, -9.0) if dataset == "fico" else ())
        assert paper_data_options(cfg.paper)["split"] == "authors"
    if dataset == "adult":
        cfg = make_config(**PRESETS["paper-adult-B"])
        assert cfg.categories["workclass"][:2] == ("Private", "Self-emp-not-inc")
    # Experiment A on the scale of each published curve
    a_logp, a_p = (make_config(**PRESETS[f"paper-{dataset}-A{s}"]) for s in ("", "-p"))
    assert (a_logp.scale, a_p.scale) == ("logp", "p") and a_logp.paper == a_p.paper == f"{dataset}-A"
    assert a_logp.methods == PAPER_A_SCALES["logp"] and a_p.methods == PAPER_A_SCALES["p"]
    # everything else keeps kdviz's defaults
    assert make_config(**PRESETS["quick"]).split == "stratified"
    assert make_config(**PRESETS["paper-magic"]).encoding == "onehot"


def test_a_sweep_reads_the_protocol_options_and_tags_rows_with_their_scale(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path))
    path = _write(tmp_path, _numeric_table(300))
    cfg = make_config(dataset=path, target="label", split="authors", seed=5, capacities=(1, 2),
                      teacher_options={"n_estimators": 5}, student_options={"n_estimators": 3},
                      methods=("no_kd", "vanilla"), repeats=1, scale="p")
    ds = load_data(cfg)
    ref = load_dataset(path, target="label", seed=5, split="authors")
    np.testing.assert_array_equal(ds.X_test, ref.X_test)
    table = run_sweep(cfg, jobs=1)
    assert "scale" in COLUMNS and set(table["scale"]) == {"p"}


def test_the_sweep_form_keeps_the_data_protocol_of_a_paper_preset():
    from ui import sweep_form as form

    for name in ("paper-adult-B", "paper-fico-A-p", "paper-magic-B", "quick"):
        want = make_config(**PRESETS[name])
        got = make_config(**form.to_config_dict(form.preset_values(name)))
        assert (got.split, got.encoding, got.categories, got.special_values, got.scale) == (
            want.split, want.encoding, want.categories, want.special_values, want.scale), name
