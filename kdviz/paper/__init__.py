"""The paper's published numbers, and yours beside them.

`published_means.csv` (shipped here; see README.md in this folder) holds the means and standard
errors of the test AUC that Dao et al. (ICLR 2021) published for their tabular experiments: MIT-licensed
results of microsoft/semiparametric-distillation (`results/*.json`).

- :func:`published` — the whole table;
- :func:`reference` — the published rows for one paper preset (``"magic-B"``) and scale, in kdviz's
  vocabulary (method, capacity; capacity NaN for the capacity-free rows the authors mark ``all``);
- :func:`compare` — your results table (``kdviz.sweep.COLUMNS``) next to the published means, with a
  ``within`` flag at a tolerance; :func:`format_comparison` prints it and ends with the line
  ``K/M means within ±tol``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from kdviz.csearch import C_SEARCH_LABELS, searches_in
from kdviz.errors import ConfigError
from kdviz.methods import METHODS

__all__ = ["CITATION", "EXPERIMENTS", "METHOD_SPLIT", "compare", "format_comparison", "guess_paper",
           "paper_reference", "published", "reference"]

PUBLISHED_CSV = Path(__file__).with_name("published_means.csv")
CITATION = ("Dao, Kamath, Syrgkanis & Mackey, Knowledge Distillation as Semiparametric Inference, ICLR 2021; "
            "published means from microsoft/semiparametric-distillation results/*.json (MIT License)")
#: Short experiment names → the table's names.
EXPERIMENTS = {"A": "A_vary_student_trees", "B": "B_vary_teacher_depth"}
#: Which of the authors' runs reports each kdviz method: split "none" (the teacher saw the student's
#: training points) or "crossfit" (out-of-fold teachers), from the method table.
METHOD_SPLIT = {m.name: "crossfit" if m.teacher == "crossfit" else "none" for m in METHODS.values()
                if m.kd or m.teacher != "none"}  # not the oracle
DEFAULT_TOL = 0.015


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


def _ours(results: pd.DataFrame, metric: str) -> pd.DataFrame:
    d = results.copy()
    d["capacity"] = pd.to_numeric(d["capacity"], errors="coerce")
    d[metric] = pd.to_numeric(d[metric], errors="coerce")
    d = d[np.isfinite(d[metric])]
    g = d.groupby(["method", "capacity"], dropna=False)
    out = g[metric].agg(yours="mean", yours_sd="std", yours_n="count").reset_index()
    out["yours_se"] = out["yours_sd"].fillna(0.0) / np.sqrt(out["yours_n"])
    if "c" in d:
        cs = g["c"].agg(lambda s: s.dropna().mode().iloc[0] if s.notna().any() else np.nan)
        out = out.merge(cs.rename("c_yours").reset_index(), on=["method", "capacity"], how="left")
    return out.drop(columns="yours_sd")


def compare(results: pd.DataFrame, paper: str | None = None, *, scale: str = "logp", tol: float = DEFAULT_TOL,
            metric: str = "test_auc") -> pd.DataFrame:
    """Your means next to the published ones, one row per published (method, capacity) you ran.

    Columns: method, capacity, yours, yours_se, yours_n, paper, paper_se, diff (yours − paper), within
    (|diff| ≤ tol), c_yours, c_paper. Published rows of methods you did not run are left out;
    capacity-free rows (NaN) pool all your rows of that method.
    """
    if not tol > 0:
        raise ConfigError(f"the tolerance must be positive, got {tol}")
    if metric not in results:
        raise ConfigError(f"the results table has no column {metric!r}; is it a kdviz sweep table?")
    paper = paper or guess_paper(results)
    ref = reference(paper, scale)
    if ref.empty:
        raise ConfigError(f"the paper has no {scale}-scale results for {paper}; try --scale p")
    ours = _ours(results, metric)
    free = ours[ours.capacity.isna()]
    pooled = ours.groupby("method").apply(
        lambda g: pd.Series({"yours": np.average(g.yours, weights=g.yours_n), "yours_n": g.yours_n.sum(),
                             "yours_se": np.nan, "c_yours": np.nan}), include_groups=False).reset_index()
    rows = []
    for r in ref.itertuples():
        if np.isnan(r.capacity):
            match = free[free.method == r.method]
            if match.empty:
                match = pooled[pooled.method == r.method].assign(capacity=np.nan)
        else:
            match = ours[(ours.method == r.method) & (ours.capacity == r.capacity)]
        if match.empty:
            continue
        m = match.iloc[0]
        rows.append(dict(method=r.method, capacity=r.capacity, yours=m.yours, yours_se=m.yours_se,
                         yours_n=int(m.yours_n), paper=r.mean, paper_se=r.se, diff=m.yours - r.mean,
                         c_yours=m.get("c_yours", np.nan), c_paper=r.c_chosen))
    out = pd.DataFrame(rows, columns=["method", "capacity", "yours", "yours_se", "yours_n", "paper", "paper_se",
                                      "diff", "c_yours", "c_paper"])
    out["within"] = out["diff"].abs() <= tol
    out.attrs.update(paper=paper, scale=scale, tol=tol, metric=metric, c_search=searches_in(results))
    return out


def format_comparison(table: pd.DataFrame) -> str:
    """The comparison as text; the last line is ``K/M means within ±tol``."""
    tol = table.attrs.get("tol", DEFAULT_TOL)
    head = (f"{table.attrs.get('metric', 'test_auc')}: yours vs published — {table.attrs.get('paper', '?')}, "
            f"{table.attrs.get('scale', 'logp')} scale\n(published: {CITATION})\n")
    if table.empty:
        return head + "no published mean matches a method and capacity of these results\n0/0 means within " \
                      f"±{tol:g}"
    order = {m: i for i, m in enumerate(METHOD_SPLIT)}
    t = table.assign(_o=table.method.map(order)).sort_values(["_o", "capacity"], na_position="first")
    t = t.assign(capacity=t.capacity.map(lambda c: "all" if np.isnan(c) else f"{c:g}"),
                 within=t.within.map({True: "yes", False: "NO"}),
                 c_yours=t.c_yours.map(lambda c: "" if pd.isna(c) else f"{c:g}"),
                 c_paper=t.c_paper.map(lambda c: "" if pd.isna(c) else f"{c:g}"))
    text = t.to_string(index=False, float_format=lambda v: f"{v:.4f}",
                       columns=["method", "capacity", "yours", "yours_se", "paper", "paper_se", "diff", "within",
                                "c_yours", "c_paper"])
    searches = [C_SEARCH_LABELS.get(s, s) for s in table.attrs.get("c_search", [])]
    if searches:  # which search chose c_yours (the paper's: 5-fold CV over its grid)
        text += "\nc_yours chosen by " + " / ".join(searches)
    return head + text + f"\n{int(table.within.sum())}/{len(table)} means within ±{tol:g}"
