"""Tests for kdviz.data.load: registry, synthetic generators, real datasets, CSV refusals, OpenML offline."""

from __future__ import annotations

import io
import pickle
import socket
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kdviz.data.load as data
import kdviz.data.openml as openml
from kdviz.data.load import Dataset, list_datasets, load_dataset, read_table
from kdviz.errors import DatasetError

_REAL_REACHABLE = openml._openml_reachable


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach OpenML: the connectivity check and the fetch are stubbed by default."""

    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("tests must not fetch from OpenML")

    monkeypatch.setattr(openml, "_fetch_openml", refuse)
    monkeypatch.setattr(openml, "_openml_reachable", lambda timeout=3.0: False)


def _check_basic(ds: Dataset) -> None:
    assert ds.X_train.dtype == np.float64 and ds.X_test.dtype == np.float64
    assert ds.y_train.dtype == np.int64 and ds.y_test.dtype == np.int64
    assert ds.X_train.shape[1] == ds.X_test.shape[1] == len(ds.feature_names)
    assert ds.X_train.shape[0] == ds.y_train.shape[0] and ds.X_test.shape[0] == ds.y_test.shape[0]
    assert len(ds.class_names) == ds.n_classes
    assert set(np.unique(ds.y_test)) == set(range(ds.n_classes))
    assert ds.y_train.min() >= 0 and ds.y_train.max() < ds.n_classes
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0.0, atol=1e-9)
    std = ds.X_train.std(axis=0)
    assert np.all((np.abs(std - 1.0) < 1e-9) | (std < 1e-12))
    assert np.isfinite(ds.X_train).all() and np.isfinite(ds.X_test).all()
    assert len(ds.fingerprint) == 64 and set(ds.fingerprint) <= set("0123456789abcdef")


# ---------------------------------------------------------------------------------------------- GMM


def test_gmm_shapes_split_and_scaling() -> None:
    ds = load_dataset("synthetic:gmm")
    _check_basic(ds)
    assert ds.X_train.shape == (2800, 5) and ds.X_test.shape == (1200, 5)
    assert ds.n_classes == 2 and ds.image_shape is None
    assert ds.p0_train is not None and ds.p0_test is not None
    assert ds.p0_train.shape == (2800, 2) and ds.p0_test.shape == (1200, 2)
    np.testing.assert_allclose(ds.p0_train.sum(axis=1), 1.0)
    # stratified: class-1 share equal in train and test up to rounding
    assert abs(ds.y_train.mean() - ds.y_test.mean()) < 2e-3
    ds2 = load_dataset("synthetic:gmm", n=500, d=3, r=1.0, test_size=0.2)
    assert ds2.X_train.shape == (400, 3) and ds2.X_test.shape == (100, 3)


def test_gmm_p0_is_the_bayes_probability() -> None:
    ds = load_dataset("synthetic:gmm", n=20000, seed=3)
    assert ds.p0_train is not None and ds.p0_test is not None
    y = np.concatenate([ds.y_train, ds.y_test])
    p1 = np.concatenate([ds.p0_train[:, 1], ds.p0_test[:, 1]])
    # Y ~ Bernoulli(p0_1): mean of Y matches mean p0 within sampling error (4 sd)
    assert abs(y.mean() - p1.mean()) < 4 * np.sqrt(0.25 / len(y))
    # calibration within bins of p0
    for lo, hi in [(0.0, 0.2), (0.4, 0.6), (0.8, 1.0)]:
        m = (p1 >= lo) & (p1 < hi)
        assert m.sum() > 500
        assert abs(y[m].mean() - p1[m].mean()) < 4 * np.sqrt(0.25 / m.sum())
    # the Bayes rule is clearly better than chance; with d=5, r=0.5 its accuracy is Φ(r√d) ≈ 0.87
    acc = ((p1 > 0.5) == y).mean()
    assert 0.84 < acc < 0.90
    # p0_1 = σ(2r Σ x_j) in raw units: recompute through bayes() on the raw-scale formula
    mean, scale = ds._scaler_mean, ds._scaler_scale
    assert mean is not None and scale is not None
    raw = ds.X_test * scale + mean
    np.testing.assert_allclose(ds.p0_test[:, 1], 1 / (1 + np.exp(-2 * 0.5 * raw.sum(axis=1))), rtol=1e-12)
    # class 1 is the +μ component: positive coordinate sums mostly class 1
    assert ds.y_test[raw.sum(axis=1) > 1].mean() > 0.8


def test_bayes_matches_p0_and_survives_pickle() -> None:
    ds = load_dataset("synthetic:gmm", n=300, label_noise=0.2)
    ds2 = pickle.loads(pickle.dumps(ds))
    np.testing.assert_allclose(ds2.bayes(ds.X_train), ds.p0_train, atol=1e-12)
    np.testing.assert_allclose(ds2.bayes(ds.X_test), ds.p0_test, atol=1e-12)
    grid = np.zeros((4, 5))
    out = ds.bayes(grid)
    assert out is not None and out.shape == (4, 2)
    with pytest.raises(DatasetError, match="shape"):
        ds.bayes(np.zeros((3, 2)))
    assert load_dataset("sklearn:wine").bayes(np.zeros((1, 13))) is None


def test_determinism_and_fingerprint() -> None:
    a = load_dataset("synthetic:gmm", n=400, seed=1, label_noise=0.1)
    b = load_dataset("synthetic:gmm", n=400, seed=1, label_noise=0.1)
    for f in ("X_train", "y_train", "X_test", "y_test", "p0_train", "p0_test"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert a.fingerprint == b.fingerprint
    others = [
        load_dataset("synthetic:gmm", n=400, seed=2, label_noise=0.1),
        load_dataset("synthetic:gmm", n=400, seed=1, label_noise=0.2),
        load_dataset("synthetic:gmm", n=401, seed=1, label_noise=0.1),
        load_dataset("synthetic:gmm", n=400, seed=1, label_noise=0.1, r=0.6),
    ]
    prints = {a.fingerprint} | {o.fingerprint for o in others}
    assert len(prints) == 5
    w1, w2 = load_dataset("sklearn:wine", seed=0), load_dataset("sklearn:wine", seed=0)
    assert w1.fingerprint == w2.fingerprint
    assert load_dataset("sklearn:wine", seed=1).fingerprint != w1.fingerprint


# ------------------------------------------------------------------------------------- label noise


def test_label_noise_rate_and_p0_update_binary() -> None:
    eta = 0.2
    clean = load_dataset("synthetic:gmm", n=10000, seed=5)
    noisy = load_dataset("synthetic:gmm", n=10000, seed=5, label_noise=eta)
    np.testing.assert_array_equal(clean.X_train, noisy.X_train)
    np.testing.assert_array_equal(clean.y_test, noisy.y_test)  # test labels stay clean
    flipped = (clean.y_train != noisy.y_train).mean()
    n = len(clean.y_train)
    assert abs(flipped - eta) < 4 * np.sqrt(eta * (1 - eta) / n)
    assert clean.p0_train is not None and noisy.p0_train is not None
    assert clean.p0_test is not None and noisy.p0_test is not None
    p = clean.p0_train
    np.testing.assert_allclose(noisy.p0_train, (1 - eta) * p + eta * (1 - p), atol=1e-12)
    np.testing.assert_allclose(
        noisy.p0_test, (1 - eta) * clean.p0_test + eta * (1 - clean.p0_test), atol=1e-12
    )
    # the noisy p0 describes the noisy training labels
    assert abs(noisy.y_train.mean() - noisy.p0_train[:, 1].mean()) < 4 * np.sqrt(0.25 / n)


def test_label_noise_multiclass_uniform_other_class() -> None:
    eta = 0.3
    changed_all, total = 0, 0
    for seed in range(8):  # pool seeds: the rate must be η, not η·(k−1)/k
        clean = load_dataset("sklearn:digits", seed=seed)
        noisy = load_dataset("sklearn:digits", seed=seed, label_noise=eta)
        changed = clean.y_train != noisy.y_train
        changed_all += int(changed.sum())
        total += len(changed)
    assert abs(changed_all / total - eta) < 4 * np.sqrt(eta * (1 - eta) / total)
    # flips go to another class, spread evenly over all offsets 1..9
    offsets = (noisy.y_train[changed] - clean.y_train[changed]) % 10
    counts = np.bincount(offsets, minlength=10)
    assert counts[0] == 0 and counts[1:].min() > 0.4 * counts[1:].mean()
    np.testing.assert_array_equal(clean.y_test, noisy.y_test)
    # multiclass p0 update formula, checked through the private helper
    p = np.array([[0.7, 0.2, 0.1]])
    np.testing.assert_allclose(
        data._noisy_p0(p, 0.3), [[0.7 * 0.7 + 0.3 * 0.3 / 2, 0.14 + 0.3 * 0.4, 0.07 + 0.3 * 0.45]]
    )


# ------------------------------------------------------------------------------------------- curve


def test_curve_dataset() -> None:
    from sklearn.tree import DecisionTreeClassifier

    ds = load_dataset("synthetic:curve", label_noise=0.1)
    _check_basic(ds)
    assert ds.X_train.shape == (700, 2) and ds.feature_names == ["x1", "x2"]
    assert ds.p0_test is not None and ds.p0_train is not None
    # boundary is curved: p0 = 1/2 along x2 = 1.2 sin(1.5 x1)
    x1 = np.linspace(-2, 2, 9)
    mean, scale = ds._scaler_mean, ds._scaler_scale
    assert mean is not None and scale is not None
    on_curve = (np.column_stack([x1, 1.2 * np.sin(1.5 * x1)]) - mean) / scale
    out = ds.bayes(on_curve)
    assert out is not None
    np.testing.assert_allclose(out[:, 1], 0.5, atol=1e-12)
    bayes_acc = ((ds.p0_test[:, 1] > 0.5) == ds.y_test).mean()

    def err(depth: int) -> tuple[float, float]:
        t = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(ds.X_train, ds.y_train)
        assert ds.p0_test is not None and ds.p0_train is not None
        out_err = float(np.mean((t.predict_proba(ds.X_test)[:, 1] - ds.p0_test[:, 1]) ** 2))
        in_err = float(np.mean((t.predict_proba(ds.X_train)[:, 1] - ds.p0_train[:, 1]) ** 2))
        return out_err, in_err

    shallow, mid, deep = err(1), err(4), err(None)  # type: ignore[arg-type]
    assert shallow[0] > 1.5 * mid[0]  # a stump underfits the curve
    assert deep[1] > 3 * mid[1]  # a full tree memorises the noisy labels
    assert bayes_acc > 0.75
    sharp = load_dataset("synthetic:curve", r=10.0, n=200)
    assert sharp.p0_train is not None
    assert np.mean(np.abs(sharp.p0_train[:, 1] - 0.5) > 0.4) > 0.5
    with pytest.raises(DatasetError, match=r"synthetic:curve does not take d \(got d=3\); it takes: n, r"):
        load_dataset("synthetic:curve", d=3)
    assert load_dataset("synthetic:curve", d=None, n=100).n_features == 2  # unset is fine


# --------------------------------------------------------------------------------------- sklearn


@pytest.mark.parametrize(
    ("name", "k", "d", "shape"),
    [
        ("sklearn:breast_cancer", 2, 30, None),
        ("sklearn:digits", 10, 64, (8, 8)),
        ("sklearn:digits_binary", 2, 64, (8, 8)),
        ("sklearn:wine", 3, 13, None),
    ],
)
def test_sklearn_datasets(name: str, k: int, d: int, shape: tuple[int, int] | None) -> None:
    ds = load_dataset(name)
    _check_basic(ds)
    assert ds.n_classes == k and ds.X_train.shape[1] == d and ds.image_shape == shape
    assert ds.p0_train is None and ds.p0_test is None
    total = len(ds.y_train) + len(ds.y_test)
    assert abs(len(ds.y_test) - 0.3 * total) <= k


def test_digits_binary_rule_and_subsample() -> None:
    full = load_dataset("sklearn:digits", seed=0)
    binary = load_dataset("sklearn:digits_binary", seed=0)
    # digits_binary is exactly the rule digit >= 5
    share = (np.concatenate([full.y_train, full.y_test]) >= 5).mean()
    assert abs(np.concatenate([binary.y_train, binary.y_test]).mean() - share) < 1e-12
    sub = load_dataset("sklearn:digits", n=500, seed=0)
    assert len(sub.y_train) + len(sub.y_test) == 500
    counts = np.bincount(np.concatenate([sub.y_train, sub.y_test]), minlength=10)
    assert counts.min() >= 45 and counts.max() <= 55  # stratified subsample of a balanced set
    assert load_dataset("sklearn:digits", n=5000).X_train.shape == full.X_train.shape


# ------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"name": "synthetic:nope"}, "Unknown dataset.*synthetic:gmm.*sklearn:wine"),
        ({"name": "mnist"}, "Unknown dataset"),
        ({"name": "openml:<name>"}, "Unknown dataset"),
        ({"name": "synthetic:gmm", "test_size": 0.05}, "test_size"),
        ({"name": "synthetic:gmm", "test_size": 0.95}, "test_size"),
        ({"name": "synthetic:gmm", "label_noise": 0.5}, "label_noise"),
        ({"name": "synthetic:gmm", "label_noise": -0.1}, "label_noise"),
        ({"name": "synthetic:gmm", "n": 49}, "at least 50"),
        ({"name": "synthetic:gmm", "d": 0}, "d "),
        ({"name": "synthetic:gmm", "r": 0.0}, "r must be a positive"),
        ({"name": "synthetic:gmm", "r": -1.0}, "r must be a positive"),
        ({"name": "synthetic:gmm", "seed": -1}, "seed"),
    ],
)
def test_parameter_validation(kwargs: dict[str, object], pattern: str) -> None:
    name = kwargs.pop("name")
    with pytest.raises(DatasetError, match=pattern):
        load_dataset(name, **kwargs)  # type: ignore[arg-type]


def test_list_datasets() -> None:
    reg = list_datasets()
    names = [e["name"] for e in reg]
    for expected in (
        "synthetic:gmm",
        "synthetic:curve",
        "sklearn:breast_cancer",
        "sklearn:digits",
        "sklearn:digits_binary",
        "sklearn:wine",
        "openml:MagicTelescope",
        "csv:<path>",
    ):
        assert expected in names
    for e in reg:
        assert {"name", "description", "has_p0", "n_classes", "parameters", "params", "template"} <= set(e)
    by = {e["name"]: e for e in reg}
    common = ["seed", "test_size", "label_noise"]
    assert list(by["synthetic:gmm"]["params"]) == [*common, "n", "d", "r"]
    assert list(by["synthetic:curve"]["params"]) == [*common, "n", "r"]
    assert list(by["sklearn:wine"]["params"]) == [*common, "n"]
    assert list(by["csv:<path>"]["params"]) == list(by["openml:adult"]["params"]) == [*common, "n", "target"]
    assert by["synthetic:gmm"]["has_p0"] and by["synthetic:gmm"]["parameters"]["n"] == 4000
    assert by["csv:<path>"]["n_classes"] is None and by["csv:<path>"]["template"]
    assert by["sklearn:digits"]["n_classes"] == 10 and not by["sklearn:digits"]["has_p0"]
    by["synthetic:gmm"]["parameters"]["n"] = 1  # callers cannot corrupt the registry
    assert {e["name"]: e for e in list_datasets()}["synthetic:gmm"]["parameters"]["n"] == 4000
    # every concrete, offline entry loads
    for e in reg:
        if e["name"].startswith(("synthetic:", "sklearn:")):
            assert load_dataset(e["name"], n=200).n_classes == e["n_classes"]


# -------------------------------------------------------------------------------------------- CSV


def _mixed_frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    num = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "age": np.round(rng.uniform(20, 70, n), 1),
            "colour": rng.choice(["red", "green", "blue"], n),
            "score": num,
            "label": np.where(num + rng.normal(scale=0.5, size=n) > 0, "yes", "no"),
        }
    )
    df.loc[[3, 7], "age"] = np.nan
    df.loc[[5], "colour"] = np.nan
    df.loc[[11, 12], "label"] = np.nan
    return df


def test_csv_success_encoding_onehot_imputation(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    _mixed_frame().to_csv(path, index=False)
    before = sorted(p.name for p in tmp_path.iterdir())
    ds = load_dataset(f"csv:{path}", target="label", seed=0)
    _check_basic(ds)
    assert ds.class_names == ["no", "yes"] and ds.n_classes == 2
    assert ds.feature_names == ["age", "colour=blue", "colour=green", "colour=red", "score"]
    assert len(ds.y_train) + len(ds.y_test) == 118  # rows with a missing target dropped
    assert ds.p0_train is None and ds.bayes(ds.X_test) is None
    raw_cols = np.vstack([ds.X_train, ds.X_test])
    # each one-hot row has exactly one active level: standardized columns, so check via re-thresholding
    active = sum((raw_cols[:, j] > raw_cols[:, j].min() + 1e-9).astype(int) for j in (1, 2, 3))
    assert np.all(active == 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    again = load_dataset(f"csv:{path}", target="label", seed=0)
    assert again.fingerprint == ds.fingerprint


def test_csv_numeric_labels_sorted_numerically_and_semicolons(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    y = np.repeat([2, 10, 1], 20)
    text = "f1;f2;cls\n" + "".join(
        f"{a:.3f};{b:.3f};{c}\n" for a, b, c in zip(rng.normal(size=60), rng.normal(size=60), y)
    )
    path = tmp_path / "semi.csv"
    path.write_text(text)
    ds = load_dataset(f"csv:{path}", target="cls")
    assert ds.class_names == ["1", "2", "10"] and ds.feature_names == ["f1", "f2"]
    assert np.bincount(np.concatenate([ds.y_train, ds.y_test])).tolist() == [20, 20, 20]


def _write(tmp_path: Path, df: pd.DataFrame, name: str = "t.csv") -> Path:
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


def test_csv_refusals(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    base = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60), "y": np.repeat(["p", "q"], 30)})
    ok = _write(tmp_path, base, "ok.csv")
    before = sorted(p.name for p in tmp_path.iterdir())

    with pytest.raises(DatasetError, match="File not found"):
        load_dataset(f"csv:{tmp_path / 'missing.csv'}", target="y")
    with pytest.raises(DatasetError, match="directory"):
        load_dataset(f"csv:{tmp_path}", target="y")
    with pytest.raises(DatasetError, match=r"--target.*'a', 'b', 'y'"):
        load_dataset(f"csv:{ok}")
    with pytest.raises(DatasetError, match=r"'label' not found.*'a', 'b', 'y'"):
        load_dataset(f"csv:{ok}", target="label")

    one = _write(tmp_path, base.assign(y="p"), "one.csv")
    with pytest.raises(DatasetError, match="only one class"):
        load_dataset(f"csv:{one}", target="y")

    few = base.copy()
    few.loc[:3, "y"] = "rare"
    few_path = _write(tmp_path, few, "few.csv")
    with pytest.raises(DatasetError, match=r"'rare' has 4 rows.*at least 10"):
        load_dataset(f"csv:{few_path}", target="y")

    many = base.assign(y=[f"c{i % 30}" for i in range(60)])
    with pytest.raises(DatasetError, match=r"30 distinct values; at most 20") as exc:
        load_dataset(f"csv:{_write(tmp_path, many, 'many.csv')}", target="y")
    assert "continuous" not in str(exc.value)

    cont = base.assign(y=rng.normal(size=60))
    with pytest.raises(DatasetError, match="looks continuous"):
        load_dataset(f"csv:{_write(tmp_path, cont, 'cont.csv')}", target="y")

    nofeat = pd.DataFrame({"empty": [np.nan] * 60, "y": np.repeat(["p", "q"], 30)})
    with pytest.raises(DatasetError, match="No feature columns left"):
        load_dataset(f"csv:{_write(tmp_path, nofeat, 'nofeat.csv')}", target="y")
    only_target = pd.DataFrame({"y": np.repeat(["p", "q"], 30)})
    with pytest.raises(DatasetError, match="No feature columns left"):
        load_dataset(f"csv:{_write(tmp_path, only_target, 'only.csv')}", target="y")

    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"PK\x03\x04\x00\x00binary\xff\xfe")
    with pytest.raises(DatasetError, match="binary"):
        load_dataset(f"csv:{junk}", target="y")

    # refusals wrote nothing new besides the fixtures this test created itself
    created = {"one.csv", "few.csv", "many.csv", "cont.csv", "nofeat.csv", "only.csv", "junk.csv"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(set(before) | created)


def test_csv_subsample_and_label_noise(tmp_path: Path) -> None:
    path = _write(tmp_path, _mixed_frame(n=400))
    ds = load_dataset(f"csv:{path}", target="label", n=100, label_noise=0.2)
    assert len(ds.y_train) + len(ds.y_test) == 100
    assert ds.p0_train is None


# ------------------------------------------------------------------------------------- read_table


def test_read_table_sources() -> None:
    raw = b"a,b,y\n1,2,x\n3,4,z\n"
    for src in (raw, io.BytesIO(raw), io.StringIO(raw.decode())):
        df = read_table(src)
        assert list(df.columns) == ["a", "b", "y"] and df.shape == (2, 3)
    buf = io.BytesIO(raw)
    read_table(buf)
    assert buf.read() == raw  # position restored for re-reading the upload
    tab = read_table(b"a\tb\n1\t?\n")
    assert list(tab.columns) == ["a", "b"] and pd.isna(tab.loc[0, "b"])


@pytest.mark.parametrize(
    ("payload", "pattern"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x00\x01\x02\x03\xff\xfe" * 50, "binary"),
        (bytes(range(128, 256)) * 20, "binary"),
        (b"a,b\n1,2\n3,4,5,6\n", "could not be parsed"),
        (b"a,b,c\n", "no data rows"),
    ],
)
def test_read_table_bad_bytes(payload: bytes, pattern: str) -> None:
    with pytest.raises(DatasetError, match=pattern):
        read_table(payload)


# ----------------------------------------------------------------------------------------- OpenML


def test_openml_fails_fast_offline(tmp_path: Path) -> None:
    t0 = time.perf_counter()
    with pytest.raises(DatasetError) as exc:
        load_dataset("openml:MagicTelescope", cache_dir=tmp_path)
    assert time.perf_counter() - t0 < 10
    msg = str(exc.value)
    assert "cannot be reached" in msg and "csv:<path>" in msg and "target" in msg and "Sweep page" in msg
    assert list(tmp_path.iterdir()) == []


def test_real_connectivity_check_returns_false_on_closed_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real check (saved before the autouse stub) answers False quickly; loopback only."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(openml, "OPENML_HOST", "127.0.0.1")
    monkeypatch.setattr(openml, "OPENML_PORT", port)
    t0 = time.perf_counter()
    assert _REAL_REACHABLE(timeout=1.0) is False
    assert time.perf_counter() - t0 < 5


def test_openml_fetch_goes_through_csv_pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _mixed_frame(n=200)
    frame["colour"] = frame["colour"].astype("category")
    calls: list[str] = []

    def fake_fetch(name: str, data_home: str) -> tuple[pd.DataFrame, str]:
        calls.append(name)
        return frame, "label"

    monkeypatch.setattr(openml, "_openml_reachable", lambda timeout=3.0: True)
    monkeypatch.setattr(openml, "_fetch_openml", fake_fetch)
    ds = load_dataset("openml:toy", cache_dir=tmp_path, seed=0)
    assert calls == ["toy"]
    csv_path = tmp_path / "toy-v1.csv"
    assert csv_path.exists() and (tmp_path / "toy-v1.json").exists()
    via_csv = load_dataset(f"csv:{csv_path}", target="label", seed=0)
    np.testing.assert_array_equal(ds.X_train, via_csv.X_train)
    assert ds.feature_names == via_csv.feature_names and ds.class_names == ["no", "yes"]
    # cached now: works offline and does not fetch again
    monkeypatch.setattr(openml, "_openml_reachable", lambda timeout=3.0: False)
    again = load_dataset("openml:toy", cache_dir=tmp_path, seed=0)
    assert again.fingerprint == ds.fingerprint and calls == ["toy"]
    with pytest.raises(DatasetError, match="not found"):
        load_dataset("openml:toy", cache_dir=tmp_path, target="nope")


def test_openml_fetch_failure_is_user_facing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str, data_home: str) -> tuple[pd.DataFrame, str]:
        raise ValueError("No active dataset nosuch found.")

    monkeypatch.setattr(openml, "_openml_reachable", lambda timeout=3.0: True)
    monkeypatch.setattr(openml, "_fetch_openml", broken)
    with pytest.raises(DatasetError, match=r"Fetching 'nosuch'.*No active dataset.*csv:<path>"):
        load_dataset("openml:nosuch", cache_dir=tmp_path)
    assert not list(tmp_path.glob("*.csv"))


def test_default_cache_dir_uses_kdviz_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path))
    assert openml._default_cache_dir() == tmp_path / "cache" / "openml"
    with pytest.raises(DatasetError, match=str(tmp_path / "cache" / "openml")):
        load_dataset("openml:adult")


# --------------------------------------------------------------------------------------- registry


@pytest.fixture
def toy_registry():
    """Registers toy datasets for one test and removes them afterwards."""
    from kdviz.data import registry as datasets

    names: list[str] = []

    def register(spec: datasets.DatasetSpec) -> None:
        datasets.register_dataset(spec)
        names.append(spec.name)

    yield register
    for name in names:
        datasets.unregister_dataset(name)


def test_a_toy_dataset_is_one_call(toy_registry) -> None:
    from sklearn.datasets import make_blobs

    from kdviz.data.load import Param, RawData

    toy_registry(data.DatasetSpec(
        name="toy:blobs", description="Two blobs.", n_classes=2, subsample=False,
        params=(Param("n", 300, "rows generated", kind=int, lo=50),),
        loader=lambda req: RawData(*make_blobs(req.params["n"], centers=2, random_state=req.seed)),
    ))
    ds = load_dataset("toy:blobs", seed=1, label_noise=0.1)
    _check_basic(ds)
    assert ds.n_train + ds.n_test == 300 and ds.feature_names == ["x1", "x2"] and ds.class_names == ["0", "1"]
    assert load_dataset("toy:blobs", n=120).n_train + load_dataset("toy:blobs", n=120).n_test == 120
    entry = {e["name"]: e for e in list_datasets()}["toy:blobs"]
    assert entry["parameters"] == {"seed": 0, "test_size": 0.3, "label_noise": 0.0, "n": 300}
    assert not entry["template"] and entry["description"] == "Two blobs."
    with pytest.raises(DatasetError, match=r"toy:blobs does not take d \(got d=3\); it takes: n"):
        load_dataset("toy:blobs", d=3)
    with pytest.raises(DatasetError, match="registered already"):
        data.register_dataset(data.dataset_spec("toy:blobs"))


def test_a_toy_pattern_passes_what_it_matched(toy_registry) -> None:
    from kdviz.data.load import RawData

    def loader(req) -> RawData:
        k = int(req.arg)
        rng = np.random.default_rng(req.seed)
        y = np.repeat(np.arange(k), 30)
        return RawData(rng.normal(size=(len(y), 2)) + y[:, None], y)

    toy_registry(data.DatasetSpec(name="toy:<k>", description="k shifted blobs.", loader=loader))
    assert load_dataset("toy:3").n_classes == 3 and load_dataset("toy:4").n_classes == 4
    assert data.dataset_spec("toy:3").name == "toy:<k>"
    with pytest.raises(DatasetError, match="Unknown dataset"):
        load_dataset("toy:<k>")  # the pattern as written
    with pytest.raises(DatasetError, match=r"toy:<k> does not take n.*takes: none"):
        load_dataset("toy:3", n=60)


def test_dataset_spec_gives_bounds_and_help() -> None:
    gmm = data.dataset_spec("synthetic:gmm")
    d = gmm.param("d")
    assert d is not None and (d.default, d.lo, d.hi, d.kind) == (5, 1, 200, int) and d.help
    assert gmm.has_p0 and gmm.n_classes == 2 and gmm.defaults() == {"n": 4000, "d": 5, "r": 0.5}
    assert data.dataset_spec(" csv:/data/x.csv ").name == "csv:<path>"
    assert data.dataset_spec("openml:Adult@2").name == "openml:<name>"
    assert data.dataset_spec("openml:adult").name == "openml:adult"  # an exact name wins
    assert data.dataset_spec("csv:<path>").template  # a pattern has a spec (forms), but does not load
    with pytest.raises(DatasetError, match=r"d must be an integer in \[1, 200\], got 201 \(synthetic:gmm"):
        load_dataset("synthetic:gmm", d=201)
    with pytest.raises(DatasetError, match=r"n must be an integer of at least 50, got 10 \(sklearn:wine"):
        load_dataset("sklearn:wine", n=10)


@pytest.mark.parametrize(("name", "kwargs", "accepts"), [
    ("sklearn:wine", {"target": "class"}, "n"),
    ("sklearn:digits", {"r": 1.0}, "n"),
    ("synthetic:gmm", {"target": "y"}, "n, d, r"),
    ("csv:/nonexistent.csv", {"d": 4}, "n, target"),
])
def test_parameters_a_dataset_does_not_take_are_refused(name: str, kwargs: dict, accepts: str) -> None:
    key = next(iter(kwargs))
    with pytest.raises(DatasetError, match=rf"does not take {key} .*it takes: {accepts}\. Leave {key} unset"):
        load_dataset(name, **kwargs)


def test_unset_parameters_are_fine_everywhere() -> None:
    for name in ("synthetic:gmm", "synthetic:curve", "sklearn:wine"):
        ds = load_dataset(name, n=None, d=None, r=None, target=None)
        assert ds.n_train > 0
    assert load_dataset("synthetic:gmm", target="").n_features == 5  # an empty target is unset


# ---------------------------------------------------------------------- encoding on training rows


def _split_of(labels: np.ndarray, seed: int = 0, test_size: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """The rows load_dataset puts in train and test (the split depends on the labels, seed, test_size)."""
    y = np.unique(labels, return_inverse=True)[1]
    return data._split(y, seed, test_size)


def test_a_level_only_in_the_test_rows_is_no_feature(tmp_path: Path) -> None:
    df = _mixed_frame(n=200).dropna(subset=["label"]).reset_index(drop=True)
    _, test_idx = _split_of(df["label"].to_numpy())
    df.loc[test_idx[:3], "colour"] = "violet"
    ds = load_dataset(f"csv:{_write(tmp_path, df)}", target="label", seed=0)
    _check_basic(ds)
    assert ds.feature_names == ["age", "colour=blue", "colour=green", "colour=red", "score"]
    # the violet rows (the first three test rows) are in no level: all three one-hot columns at 0
    at_min = np.isclose(ds.X_test[:, 1:4], ds.X_train[:, 1:4].min(axis=0)).all(axis=1)
    assert at_min.tolist() == [True] * 3 + [False] * (ds.n_test - 3)
    assert any("only in the test rows" in n and "'colour' 3 rows" in n for n in ds.report.notes)


def test_the_categorical_fill_is_the_training_mode() -> None:
    from kdviz.data.encoding import encode_split

    # training rows: a×5, b×3, missing×2; test rows: b×10, missing×2. All rows: b is the mode; training: a.
    colour = ["a"] * 5 + ["b"] * 3 + [np.nan] * 2 + ["b"] * 10 + [np.nan] * 2
    frame = pd.DataFrame({"colour": np.array(colour, dtype=object)})
    train, test = np.arange(10), np.arange(10, 22)
    X_train, X_test, names = encode_split(frame, train, test)
    assert names == ["colour=a", "colour=b"]
    np.testing.assert_array_equal(X_train[8:], [[1.0, 0.0], [1.0, 0.0]])  # missing → a
    np.testing.assert_array_equal(X_test[10:], [[1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_array_equal(X_test[:10], [[0.0, 1.0]] * 10)


def test_the_numeric_fill_is_the_training_median(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 200
    label = np.repeat(["no", "yes"], n // 2)
    train_idx, test_idx = _split_of(label)
    v = rng.normal(size=n)
    v[test_idx] += 100.0  # the all-rows median moves, the training median does not
    v[train_idx[:5]] = np.nan
    v[test_idx[:4]] = np.nan
    df = pd.DataFrame({"v": v, "w": rng.normal(size=n), "label": label})
    ds = load_dataset(f"csv:{_write(tmp_path, df)}", target="label", seed=0)
    med = np.nanmedian(v[train_idx])
    assert abs(med - np.nanmedian(v)) > 0.5  # the two medians really differ
    filled = np.where(np.isnan(v[train_idx]), med, v[train_idx])
    expected = (med - filled.mean()) / filled.std()
    np.testing.assert_allclose(ds.X_train[:5, 0], expected, rtol=1e-12)
    np.testing.assert_allclose(ds.X_test[:4, 0], expected, rtol=1e-12)
    assert "'v' 9" in ds.summary()


def _adult_like(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    work = rng.choice(["Private", "Self-emp", "Gov", "?"], n, p=[0.6, 0.2, 0.15, 0.05])
    country = rng.choice([f"country{i:02d}" for i in range(60)], n)  # 60 levels: 49 kept + <other>
    edu = rng.choice(["HS", "Bachelors", "Masters", "Doctorate"], n)
    age = rng.integers(17, 90, n).astype(float)
    age[rng.random(n) < 0.02] = np.nan
    label = np.where(rng.random(n) < 0.25, ">50K", "<=50K")
    return pd.DataFrame({"age": age, "workclass": work, "education": edu, "hours": rng.integers(1, 99, n),
                         "native-country": country, "Salary": label})


def test_adult_like_feature_count_is_stable(tmp_path: Path) -> None:
    path = tmp_path / "adult.csv"
    _adult_like().to_csv(path, index=False)
    counts = set()
    for seed in range(3):
        ds = load_dataset(f"csv:{path}", target="Salary", seed=seed)
        _check_basic(ds)
        counts.add(ds.n_features)
        assert "workclass=Private" in ds.feature_names and "workclass=?" not in ds.feature_names
        assert "native-country=<other>" in ds.feature_names
        assert sum(f.startswith("native-country=") for f in ds.feature_names) == 50
    # age, hours; workclass 3 levels ("?" is missing); education 4; native-country 49 + <other>
    assert counts == {2 + 3 + 4 + 50}


def test_numeric_tables_without_gaps_pass_through_unchanged(tmp_path: Path) -> None:
    """A numeric CSV gives bit-identical arrays to the same numbers loaded as an array (sklearn:wine)."""
    from sklearn.datasets import load_wine

    b = load_wine(as_frame=True)
    path = _write(tmp_path, b.frame)
    via_csv = load_dataset(f"csv:{path}", target="target", seed=4, label_noise=0.1)
    direct = load_dataset("sklearn:wine", seed=4, label_noise=0.1)
    for f in ("X_train", "X_test", "y_train", "y_test"):
        np.testing.assert_array_equal(getattr(via_csv, f), getattr(direct, f))
    assert via_csv.feature_names == direct.feature_names
