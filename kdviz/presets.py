"""Ready-made configurations: the values of every preset, in one place.

`PRESETS` are sweep configurations (the dashboard's "start here" buttons, `kdviz sweep --preset`, and
``preset = "..."`` in a config file); `paper_preset` builds the authors' protocols; the theory page's
capacity preset and the Playground's default students are here too. Everything is validated where
it is used (`kdviz.config.make_config`, the theory configs, `PlaygroundParams`).
"""

from __future__ import annotations

from typing import Any

from kdviz.kd.methods import kd_methods

#: The paper's grid for the bound-fast constant c (THEORY §3).
PAPER_C_GRID = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)

#: The students the Playground shows first: vanilla, and the two enhancements' combination.
PLAYGROUND_METHODS = ("vanilla", "crossfit", "enhanced")
#: what a sweep uses unless told otherwise (kdviz.config), and the Playground's first view
DEFAULT_DATASET, DEFAULT_TEACHER, DEFAULT_STUDENT = "synthetic:gmm", "rf-depth", "rf"
PLAYGROUND_DEFAULTS = dict(dataset="synthetic:curve", teacher="rf-depth", student="rf")
#: Home's link to the Playground with an overfitting teacher (its query parameters)
BENCH_NEURAL = dict(dataset="sklearn:digits", teacher="mlp-epochs", student="mlp")  # benchmarks/bench_neural.py
PLAYGROUND_OVERFITTING = {"capacity": "20", "label_noise": "0.3", "teacher": "rf-depth"}

#: The Theory page's capacity sweep (an overfitting teacher on the curved-boundary data).
THEORY_CAPACITY = dict(dataset="synthetic:curve", n=3000, label_noise=0.2, capacities=(1, 2, 3, 5, 8, 12, 20),
                       teacher_options={"n_estimators": 50}, methods=("vanilla", "crossfit", "enhanced"), folds=5,
                       repeats=2, c_grid=(1e-2, 1e-1, 1.0, 10.0), cv_folds=3)

#: Ready-made configurations (the dashboard's "start here" buttons and `kdviz sweep --preset`).
PRESETS: dict[str, dict[str, Any]] = {
    # Interactive: finishes in seconds on 2 cores. The exploration presets choose c by the fast search
    # (kdviz.kd.csearch: ≤ 10 student fits per capacity and method on these grids instead of 15).
    "quick": dict(dataset="synthetic:gmm", n=2000, label_noise=0.2, capacities=(1, 2, 4, 8, 16),
                  teacher_options={"n_estimators": 50}, folds=5, repeats=2, c="cv-fast",
                  c_grid=(1e-3, 1e-2, 1e-1, 1.0, 10.0), cv_folds=3, cv_metric="brier"),
    "overfitting-teacher": dict(dataset="synthetic:gmm", n=3000, label_noise=0.2,
                                capacities=(2, 4, 8, 16, 24), teacher_options={"n_estimators": 50},
                                methods=("no_kd", "vanilla", "crossfit"), folds=5, repeats=3, c="cv-fast"),
    "underfitting-teacher": dict(dataset="synthetic:gmm", n=3000, label_noise=0.2, capacities=(1, 2, 3),
                                 teacher_options={"n_estimators": 50},
                                 methods=("no_kd", "vanilla", "crossfit", "enhanced"), folds=5, repeats=3,
                                 c="cv-fast", c_grid=(1e-3, 1e-2, 1e-1, 1.0, 10.0), cv_folds=3,
                                 cv_metric="brier"),
    # THEORY §4: the paper's MAGIC protocol (needs the MAGIC CSV; heavy: minutes on 2 cores).
    "paper-magic": dict(dataset="openml:MagicTelescope", capacities=(1, 2, 3, 5, 10, 15, 20),
                        teacher_options={"n_estimators": 100}, student_options={"n_estimators": 10},
                        methods=("no_kd", "vanilla", "crossfit", "enhanced"), folds=10, repeats=5),
}

#: Adult's categorical levels in the order UCI's adult.names declares them (= the nominal order of
#: OpenML's Adult v2 ARFF, whose codes the authors' ``fetch_openml`` returned).
ADULT_CATEGORIES: dict[str, tuple[str, ...]] = {
    "workclass": ("Private", "Self-emp-not-inc", "Self-emp-inc", "Federal-gov", "Local-gov", "State-gov",
                  "Without-pay", "Never-worked"),
    "education": ("Bachelors", "Some-college", "11th", "HS-grad", "Prof-school", "Assoc-acdm", "Assoc-voc", "9th",
                  "7th-8th", "12th", "Masters", "1st-4th", "10th", "Doctorate", "5th-6th", "Preschool"),
    "marital-status": ("Married-civ-spouse", "Divorced", "Never-married", "Separated", "Widowed",
                       "Married-spouse-absent", "Married-AF-spouse"),
    "occupation": ("Tech-support", "Craft-repair", "Other-service", "Sales", "Exec-managerial", "Prof-specialty",
                   "Handlers-cleaners", "Machine-op-inspct", "Adm-clerical", "Farming-fishing", "Transport-moving",
                   "Priv-house-serv", "Protective-serv", "Armed-Forces"),
    "relationship": ("Wife", "Own-child", "Husband", "Not-in-family", "Other-relative", "Unmarried"),
    "race": ("White", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other", "Black"),
    "sex": ("Female", "Male"),
    "native-country": ("United-States", "Cambodia", "England", "Puerto-Rico", "Canada", "Germany",
                       "Outlying-US(Guam-USVI-etc)", "India", "Japan", "Greece", "South", "China", "Cuba", "Iran",
                       "Honduras", "Philippines", "Italy", "Poland", "Jamaica", "Vietnam", "Mexico", "Portugal",
                       "Ireland", "France", "Dominican-Republic", "Laos", "Ecuador", "Taiwan", "Haiti", "Columbia",
                       "Hungary", "Guatemala", "Nicaragua", "Scotland", "Thailand", "Yugoslavia", "El-Salvador",
                       "Trinadad&Tobago", "Peru", "Hong", "Holand-Netherlands"),
}

#: The paper's tabular datasets: where the authors load each one from and how they prepare it
#: (datamodules/tabular.py of microsoft/semiparametric-distillation). FICO and StumbleUpon come from
#: the user's own files.
PAPER_DATASETS: dict[str, dict[str, Any]] = {
    # OpenML Adult v2 (= UCI adult.data + adult.test): nominal columns as ordinal codes, mean imputation
    "adult": dict(dataset="openml:Adult@2", encoding="ordinal", categories=ADULT_CATEGORIES,
                  source="OpenML Adult version 2 (48,842 rows)"),
    # −7/−8/−9 all become −9; rows that are −9 in every feature are dropped
    "fico": dict(dataset="csv:heloc_dataset_v1.csv", target="RiskPerformance", special_values=(-7.0, -8.0, -9.0),
                 source="FICO HELOC (heloc_dataset_v1.csv, your own copy)"),
    "higgs": dict(dataset="openml:Higgs@2", encoding="ordinal", source="OpenML Higgs version 2"),
    "magic": dict(dataset="openml:MagicTelescope", source="OpenML MagicTelescope (= UCI magic04)"),
    "stumbleupon": dict(dataset="csv:stumbleupon.csv", target="label",
                        source="StumbleUpon evergreen (your own CSV, label column 'label')"),
}
#: The authors' two tabular experiments (cfg/tabular_vary_teacher.yaml and cfg/tabular.yaml).
PAPER_PROTOCOLS: dict[str, dict[str, Any]] = {
    # B: vary the teacher — RF teacher (100 trees) with max_depth varied, 10-tree RF regressor student
    "B": dict(vary="teacher", teacher="rf-depth", capacities=(1, 2, 3, 5, 10, 15, 20),
              teacher_options={"n_estimators": 100}, student="rf", student_options={"n_estimators": 10},
              methods=kd_methods()),
    # A: vary the student — 500-tree RF teacher (unlimited depth), student RF regressor with n_trees varied
    "A": dict(vary="student", teacher="rf-trees", teacher_capacity=500, teacher_options={"max_depth": None},
              student="rf", student_capacity="n_estimators", capacities=(1, 2, 3, 5, 10, 15, 20, 30, 40),
              methods=kd_methods()),
}
#: The scale of each published curve of Experiment A: the authors published no-KD, vanilla and the
#: corrected student on the log p scale (their run without cross-fitting) and no-KD, cross-fit and
#: enhanced on the p scale (their cross-fitting run). ``paper-<dataset>-A`` runs the first,
#: ``paper-<dataset>-A-p`` the second; together they cover every published cell. B is published on
#: both scales with every method; its presets run log p.
PAPER_A_SCALES: dict[str, tuple[str, ...]] = {"logp": ("no_kd", "vanilla", "corrected"),
                                              "p": ("no_kd", "crossfit", "enhanced")}
#: The authors' protocol: their split (``train_test_split(test_size=0.3, random_state=2357)``, not
#: stratified, rows in OpenML's order) with StandardScaler on the training rows, K = 10, 5 repeats.
_PAPER_COMMON = dict(scale="logp", split="authors", folds=10, repeats=5, seed=2357, test_size=0.3, c="cv",
                     c_grid=PAPER_C_GRID, cv_folds=5, cv_metric="task")


def paper_preset(dataset: str, experiment: str, scale: str | None = None) -> dict[str, Any]:
    """The authors' exact protocol of Experiment A or B on one of their five datasets.

    ``scale``: Experiment A's scale (``"logp"``, the default, or ``"p"``): the methods the authors
    published on that scale (:data:`PAPER_A_SCALES`). B runs every method on log p unless told.
    """
    src = {k: v for k, v in PAPER_DATASETS[dataset].items() if k != "source"}
    out = {**_PAPER_COMMON, **PAPER_PROTOCOLS[experiment], **src, "paper": f"{dataset}-{experiment}"}
    if scale is not None:
        out["scale"] = scale
    if experiment == "A":
        out["methods"] = PAPER_A_SCALES[out["scale"]]
    return out


PRESETS.update({f"paper-{d}-{e}": paper_preset(d, e) for d in PAPER_DATASETS for e in ("A", "B")})
PRESETS.update({f"paper-{d}-A-p": paper_preset(d, "A", "p") for d in PAPER_DATASETS})

#: The config fields that prepare a paper dataset's rows (the split, encoding and special values).
PAPER_DATA_FIELDS = ("split", "encoding", "categories", "special_values")


def paper_data_options(paper: str | None) -> dict[str, Any]:
    """The data preparation of the paper experiment ``paper`` (``"adult-B"``): the authors' split, and the
    dataset's encoding and special values — what a form that only carries the ``paper`` tag adds back.
    Empty for None or an unknown tag."""
    dataset, _, experiment = str(paper or "").partition("-")
    if dataset not in PAPER_DATASETS or experiment not in PAPER_PROTOCOLS:
        return {}
    preset = paper_preset(dataset, experiment)
    return {k: preset[k] for k in PAPER_DATA_FIELDS if k in preset}



#: A preset's demo data settings: they belong to the preset's own dataset.
DEMO_DATA_FIELDS = ("n", "label_noise")


def apply_preset(name: str | None, given: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(the preset's values overridden by `given`, notes): what ``--preset NAME`` plus flags means.

    The preset's demo data settings (n, label noise) apply only to the preset's own dataset: on other
    data (``csv:``, an upload, another built-in) they are dropped, with a note, unless `given` sets them.
    """
    if not name:
        return dict(given), []
    preset = PRESETS[name]
    values = {**preset, **given}
    notes = []
    if "dataset" in given and given["dataset"] != preset.get("dataset"):
        dropped = [f for f in DEMO_DATA_FIELDS if f in preset and f not in given]
        for f in dropped:
            del values[f]
        if dropped:
            shown = ", ".join(f"{f} = {preset[f]}" for f in dropped)
            notes.append(f"preset {name!r}: its demo data settings ({shown}) are for {preset.get('dataset')}, "
                         f"not {given['dataset']}; dropped (all rows, no label noise) — set --n / "
                         "--label-noise to choose them")
    return values, notes


from kdviz.callmod import make_callable  # noqa: E402  (kdviz.presets() in a notebook: a table)

make_callable(__name__, "list_presets")
