"""The published table: :func:`published` (all of it), :func:`reference` (one experiment and scale in
kdviz's vocabulary), :func:`paper_reference` (what a paper preset's chart overlays), :func:`guess_paper`."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from kdviz.errors import ConfigError
from kdviz.kd.methods import METHODS

__all__ = ["CITATION", "EXPERIMENTS", "METHOD_SPLIT", "guess_paper", "paper_reference", "published", "reference"]

PUBLISHED_CSV = Path(__file__).with_name("published_means.csv")
CITATION = ("Dao, Kamath, Syrgkanis & Mackey, Knowledge Distillation as Semiparametric Inference, ICLR 2021; "
            "published means from microsoft/semiparametric-distillation results/*.json (MIT License)")
#: Short experiment names → the table's names.
EXPERIMENTS = {"A": "A_vary_student_trees", "B": "B_vary_teacher_depth"}
#: Which of the authors' runs reports each kdviz method: split "none" (the teacher saw the student's
#: training points) or "crossfit" (out-of-fold teachers), from the method table.
METHOD_SPLIT = {m.name: "crossfit" if m.teacher == "out_of_fold" else "none" for m in METHODS.values()
                if m.kd or m.teacher != "none"}  # not the oracle


@lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    return pd.read_csv(PUBLISHED_CSV, dtype={"capacity": str})


def published() -> pd.DataFrame:
    """The published means (a copy): experiment, dataset, scale, split, capacity_name, capacity, method,
    mean, se, repeats, metric, c_chosen, source."""
    return _table().copy()


def _parse(paper: str) -> tuple[str, str]:
    m = re.fullmatch(r"([a-z]+)-([AB])", str(paper))
    datasets = sorted(_table()["dataset"].unique())
    if not m or m.group(1) not in datasets:
        raise ConfigError(f"unknown paper experiment {paper!r}; use <dataset>-<A|B> with dataset one of "
                          f"{', '.join(datasets)} (e.g. magic-B)")
    return m.group(1), m.group(2)


def reference(paper: str, scale: str = "logp") -> pd.DataFrame:
    """Published rows of one experiment in kdviz's terms: method, capacity (NaN = all), mean, se,
    repeats, c_chosen, split — one row per (method, capacity), each method from its split."""
    dataset, exp = _parse(paper)
    t = _table()
    t = t[(t.experiment == EXPERIMENTS[exp]) & (t.dataset == dataset) & (t.scale == scale)]
    t = t[[METHOD_SPLIT.get(m) == s for m, s in zip(t.method, t.split)]]
    cap = pd.to_numeric(t["capacity"].where(t["capacity"] != "all"), errors="coerce")
    out = t.assign(capacity=cap)[["method", "capacity", "mean", "se", "repeats", "c_chosen", "split"]]
    return out.reset_index(drop=True)


def paper_reference(config: dict | None) -> pd.DataFrame | None:
    """The published rows a run's chart overlays: its config's ``paper`` (set by the paper presets) at its
    scale; None for other runs."""
    if not config or not config.get("paper"):
        return None
    try:
        ref = reference(str(config["paper"]), str(config.get("scale", "logp")))
    except ConfigError:
        return None
    return ref if not ref.empty else None


def guess_paper(results: pd.DataFrame) -> str:
    """The paper experiment a results table reproduces, from its dataset name and varied side."""
    names = " ".join(str(x) for x in results.get("dataset", pd.Series(dtype=str)).dropna().unique()).lower()
    aliases = {"magic": "magic", "adult": "adult", "higgs": "higgs", "heloc": "fico", "fico": "fico",
               "stumble": "stumbleupon", "evergreen": "stumbleupon"}
    found = sorted({v for k, v in aliases.items() if k in names})
    if len(found) != 1:
        raise ConfigError(f"cannot tell which paper dataset {names or 'this table'!r} is; "
                          "name it with --paper <dataset>-<A|B> (e.g. --paper magic-B)")
    varied = results["varied"].dropna().unique() if "varied" in results else []
    if len(varied) == 1:
        exp = "A" if varied[0] == "student" else "B"
    else:  # tables written before the student axis existed vary the teacher
        exp = "B" if (results.get("capacity_name", pd.Series(dtype=str)) == "max_depth").any() else "A"
    return f"{found[0]}-{exp}"
