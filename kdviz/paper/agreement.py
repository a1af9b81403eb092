"""How close a results table comes to the published means — an agreement test that can fail.

:func:`compare` matches every published cell of one paper experiment (method × capacity × scale)
with your rows of the same method, capacity and scale, and reports

- **levels**: your mean − the published mean, each with its standard error;
- **effects**: each method minus vanilla (minus no-KD where the paper published no vanilla on that
  scale, as Experiment A's p-scale runs) and vanilla minus no-KD, at each capacity, on both sides —
  the differences the paper is about, which a table can miss while its levels look close;
- **signs**: whether your effect has the sign of every published effect larger than 0.01;
- every published cell that could not be compared, with the reason (method, capacity or scale not run).

`Agreement.summary_line()` is ``levels K1/M1 within ±0.005; effects K2/M2 within ±0.005; signs S/T of
published effects > 0.01``. A table from another experiment, dataset or scale, or with no comparable
cell, raises :class:`PaperMismatchError` (the CLI exits 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kdviz.errors import ConfigError
from kdviz.kd.csearch import C_SEARCH_LABELS, searches_in
from kdviz.kd.methods import BASELINE, LABELS_ONLY, METHODS, TEACHER_ROW
from kdviz.paper.published import CITATION, EXPERIMENTS, METHOD_SPLIT, _parse, guess_paper, published

__all__ = ["DEFAULT_TOL", "SIGN_THRESHOLD", "Agreement", "PaperMismatchError", "compare", "published_cells"]

DEFAULT_TOL = 0.005
SIGN_THRESHOLD = 0.01
#: the capacity each experiment varies, as a results table names it
CAPACITY_NAMES = {"A": "n_estimators", "B": "max_depth"}
_LEVEL_COLS = ["scale", "method", "capacity", "yours", "yours_se", "yours_n", "paper", "paper_se", "diff",
               "within", "c_yours", "c_paper"]
_EFFECT_COLS = ["scale", "effect", "method", "baseline", "capacity", "yours", "yours_se", "paper", "paper_se",
                "diff", "within", "sign_checked", "sign_ok"]
_MISSING_COLS = ["kind", "scale", "method", "capacity", "reason"]


class PaperMismatchError(ConfigError):
    """The results cannot be compared with the paper experiment asked for (another experiment, dataset or
    scale, or not one comparable cell)."""


def published_cells(paper: str) -> pd.DataFrame:
    """Every published cell of one experiment, both scales, in kdviz's terms: scale, method, capacity (NaN =
    the authors' ``all``), mean, se, repeats, c_chosen, split. Each method comes from the run that reports
    it (the teacher: 5 fresh forests, split none); no-KD, which ignores the teacher, from the crossfit
    run where the paper has no split-none row on that scale (Experiment A's p scale)."""
    dataset, exp = _parse(paper)
    t = published()
    t = t[(t.experiment == EXPERIMENTS[exp]) & (t.dataset == dataset) & t.method.isin(list(METHOD_SPLIT))]
    t = t.assign(capacity=pd.to_numeric(t["capacity"].where(t["capacity"] != "all"), errors="coerce"))
    own = t[t.split == t.method.map(METHOD_SPLIT)]
    nokd = t[(t.method == LABELS_ONLY) & (t.split != "none")]
    have = set(zip(own[own.method == LABELS_ONLY].scale, own[own.method == LABELS_ONLY].capacity.fillna(-1)))
    nokd = nokd[[(s, c) not in have for s, c in zip(nokd.scale, nokd.capacity.fillna(-1))]]
    out = pd.concat([own, nokd], ignore_index=True)
    order = {m: i for i, m in enumerate(METHODS)}
    out = out.assign(_o=out.method.map(order)).sort_values(["scale", "_o", "capacity"], na_position="first")
    return out[["scale", "method", "capacity", "mean", "se", "repeats", "c_chosen", "split"]].reset_index(drop=True)


@dataclass
class Agreement:
    """The outcome of :func:`compare`: per-cell tables, the counts and the summary line."""

    paper: str
    scales: tuple[str, ...]
    levels: pd.DataFrame
    effects: pd.DataFrame
    missing: pd.DataFrame
    tol_level: float = DEFAULT_TOL
    tol_effect: float = DEFAULT_TOL
    metric: str = "test_auc"
    notes: list[str] = field(default_factory=list)

    @property
    def levels_within(self) -> int:
        return int(self.levels.within.sum())

    @property
    def effects_within(self) -> int:
        return int(self.effects.within.sum())

    @property
    def signs_checked(self) -> int:
        return int(self.effects.sign_checked.sum())

    @property
    def signs_ok(self) -> int:
        return int((self.effects.sign_checked & self.effects.sign_ok).sum())

    def share(self, kind: str) -> float:
        """Share of the published levels (or effects) within tolerance, counting each one not compared as
        outside (so a table cannot pass by leaving cells out); NaN when there are none."""
        t = self.levels if kind == "levels" else self.effects
        n = len(t) + int((self.missing.kind == kind.removesuffix("s")).sum())
        return float(t.within.sum() / n) if n else float("nan")

    def share_signs(self) -> float:
        """Share of the published effects larger than SIGN_THRESHOLD whose sign you reproduce (NaN: none)."""
        return self.signs_ok / self.signs_checked if self.signs_checked else float("nan")

    def passes(self, require: float) -> bool:
        """Levels, effects and signs: each share ≥ `require` (effects and signs only where the paper has any)."""
        shares = (self.share("levels"), self.share("effects"), self.share_signs())
        return not np.isnan(shares[0]) and all(np.isnan(v) or v >= require for v in shares)

    def summary_line(self) -> str:
        return (f"levels {self.levels_within}/{len(self.levels)} within ±{self.tol_level:g}; "
                f"effects {self.effects_within}/{len(self.effects)} within ±{self.tol_effect:g}; "
                f"signs {self.signs_ok}/{self.signs_checked} of published effects > {SIGN_THRESHOLD:g}")

    def table(self) -> pd.DataFrame:
        """Levels, effects and missing cells in one long table (``kind`` = level / effect / missing)."""
        lv = self.levels.assign(kind="level", effect=self.levels.method)
        return pd.concat([lv, self.effects.assign(kind="effect"), self.missing.assign(kind="missing")],
                         ignore_index=True)

    def text(self) -> str:
        """The report as plain text; its last line is :meth:`summary_line`."""
        out = [f"{self.metric}: yours vs published — {self.paper}, scale {', '.join(self.scales) or '?'}",
               f"(published: {CITATION})", ""]
        out += [f"note: {n}" for n in self.notes]
        out.append(f"Levels (yours − paper; within ±{self.tol_level:g}):")
        out.append(_fmt(self.levels, ["scale", "method", "capacity", "yours", "yours_se", "yours_n", "paper",
                                      "paper_se", "diff", "within", "c_yours", "c_paper"]))
        out.append("")
        out.append(f"Effects (method − vanilla, vanilla − no_kd; within ±{self.tol_effect:g}; sign checked where "
                   f"|paper| > {SIGN_THRESHOLD:g}):")
        out.append(_fmt(self.effects, ["scale", "effect", "capacity", "yours", "yours_se", "paper", "paper_se",
                                       "diff", "within", "sign"]) if len(self.effects) else "  (none)")
        if len(self.missing):
            out += ["", f"Not compared ({len(self.missing)} published cells):",
                    _fmt(self.missing, ["kind", "scale", "method", "capacity", "reason"])]
        out += ["", self.summary_line()]
        return "\n".join(out)


def _fmt(t: pd.DataFrame, cols: list[str]) -> str:
    t = t.copy()
    t["capacity"] = t.capacity.map(lambda c: "all" if pd.isna(c) else f"{c:g}")
    if "within" in t:
        t["within"] = t.within.map({True: "yes", False: "NO"})
    if "sign_checked" in t:
        t["sign"] = [("ok" if ok else "WRONG") if chk else "" for chk, ok in zip(t.sign_checked, t.sign_ok)]
    for c in ("c_yours", "c_paper"):
        if c in t:
            t[c] = t[c].map(lambda v: "" if pd.isna(v) else f"{v:g}")
    if "yours_n" in t:
        t["yours_n"] = t.yours_n.map(lambda v: "" if pd.isna(v) else f"{int(v)}")
    return t.to_string(index=False, columns=cols, float_format=lambda v: f"{v:.4f}", na_rep="")


# ----------------------------------------------------------------------------------------------
def _check_table(results: pd.DataFrame, paper: str | None, metric: str) -> str:
    """The paper experiment of this table; PaperMismatchError when it is another one or not a results table."""
    if results is None or results.empty:
        raise PaperMismatchError("the results table has no rows; run the paper preset first "
                                 "(kdviz sweep --preset paper-<dataset>-<A|B> --out results.csv)")
    missing = [c for c in (metric, "method", "capacity") if c not in results]
    if missing:
        raise PaperMismatchError(f"the results table has no column {', '.join(map(repr, missing))}; "
                                 "is it a kdviz sweep table (kdviz sweep --out)?")
    try:
        guessed = guess_paper(results)
    except ConfigError:
        if paper is None:
            raise PaperMismatchError("cannot tell which paper experiment this table reproduces; name it with "
                                     "--paper <dataset>-<A|B> (e.g. --paper magic-B)") from None
        guessed = None
    paper = paper or guessed
    dataset, exp = _parse(paper)
    if guessed is not None and guessed != paper:
        raise PaperMismatchError(f"this results table is {guessed} (its dataset and varied side), not {paper}; "
                                 f"compare it with --paper {guessed}, or pass the table of a {paper} run")
    if "varied" in results:
        varied = set(results["varied"].dropna())
        want = "student" if exp == "A" else "teacher"
        if varied and varied != {want}:
            raise PaperMismatchError(f"Experiment {exp} varies the {want}; this table varies the "
                                     f"{', '.join(sorted(map(str, varied)))}")
    if "capacity_name" in results:
        names = set(results["capacity_name"].dropna())
        if names and names != {CAPACITY_NAMES[exp]}:
            raise PaperMismatchError(f"Experiment {exp} varies {CAPACITY_NAMES[exp]}; this table varies "
                                     f"{', '.join(sorted(map(str, names)))}")
    if "axis2" in results and results["axis2"].dropna().nunique() > 1:
        raise PaperMismatchError("this table varies a second axis (axis2); the paper's experiments have none — "
                                 "compare one axis2 value at a time")
    return paper


def _ours(results: pd.DataFrame, metric: str, scale: str | None) -> pd.DataFrame:
    """One value per (scale, method, capacity, repeat) — the mean of the rows there — and the c used."""
    d = pd.DataFrame({"method": results["method"].astype(str),
                      "capacity": pd.to_numeric(results["capacity"], errors="coerce"),
                      "value": pd.to_numeric(results[metric], errors="coerce"),
                      "c": pd.to_numeric(results["c"], errors="coerce") if "c" in results else np.nan})
    d["repeat"] = results["repeat"].to_numpy() if "repeat" in results else np.arange(len(results))
    if "scale" in results:
        d["scale"] = results["scale"].fillna(scale or "logp").astype(str).to_numpy()
        if scale is not None and set(d.scale) != {scale}:
            raise PaperMismatchError(f"you asked for the {scale} scale; this table holds "
                                     f"{', '.join(sorted(set(d.scale)))} (drop --scale to compare each row "
                                     "against its own scale)")
    else:
        d["scale"] = scale or "logp"
    d = d[np.isfinite(d.value)]
    return d.groupby(["scale", "method", "capacity", "repeat"], dropna=False).agg(
        value=("value", "mean"), c=("c", "first")).reset_index()


def _series(ours: pd.DataFrame, scale: str, method: str, capacity: float) -> tuple[pd.Series | None, str]:
    """Your values of one cell per repeat, or None and why not. A capacity-free published cell (``all``) takes
    your capacity-free rows, else the mean over your capacities per repeat."""
    at_scale = ours[ours.scale == scale]
    if at_scale.empty:
        return None, f"scale {scale} not run"
    m = at_scale[at_scale.method == method]
    if m.empty:
        return None, "method not run"
    if np.isnan(capacity):
        free = m[m.capacity.isna()]
        use = free if not free.empty else m
        return use.groupby("repeat").value.mean(), ""
    hit = m[m.capacity == capacity]
    if hit.empty:
        free = m[m.capacity.isna()]  # a capacity-free row of yours (a fixed teacher) fits every capacity
        if not free.empty:
            return free.groupby("repeat").value.mean(), ""
        return None, f"capacity {capacity:g} not run"
    return hit.set_index("repeat").value, ""


def _k(capacity: float) -> float:
    """A capacity as a dict key (NaN — the authors' ``all`` — is not equal to itself)."""
    return -1.0 if pd.isna(capacity) else float(capacity)


def _mean_se(s: pd.Series) -> tuple[float, float]:
    return float(s.mean()), (float(s.std(ddof=1) / np.sqrt(len(s))) if len(s) > 1 else float("nan"))


def _diff_se(a: pd.Series, b: pd.Series) -> tuple[float, float]:
    """Mean and s.e. of a − b: paired over common repeats (≥ 2), else as independent means."""
    common = a.index.intersection(b.index)
    if len(common) >= 2 and len(a) == len(b) == len(common):
        return _mean_se(a.loc[common] - b.loc[common])
    (ma, sa), (mb, sb) = _mean_se(a), _mean_se(b)
    return ma - mb, float(np.hypot(sa, sb))


def _published_at(cells: pd.DataFrame, scale: str, method: str, capacity: float) -> pd.Series | None:
    c = cells[(cells.scale == scale) & (cells.method == method)]
    hit = c[c.capacity == capacity] if not np.isnan(capacity) else c[c.capacity.isna()]
    if hit.empty:
        hit = c[c.capacity.isna()]
    return hit.iloc[0] if not hit.empty else None


def compare(results: pd.DataFrame, paper: str | None = None, *, scale: str | None = None,
            tol_level: float = DEFAULT_TOL, tol_effect: float = DEFAULT_TOL, metric: str = "test_auc",
            methods: tuple[str, ...] | list[str] | None = None,
            scales: tuple[str, ...] | list[str] | None = None) -> Agreement:
    """Compare a results table (``kdviz.sweep.COLUMNS``; a ``scale`` column, else every row is on `scale`,
    default logp) with the published means of `paper` (``"magic-B"``; default: guessed from the table).

    `methods` restricts the published cells compared (e.g. teacher, vanilla, crossfit, enhanced), `scales` to
    those scales (the Paper page's cards: one scale each).
    Raises PaperMismatchError for another experiment / dataset / scale, or when no cell is comparable.
    """
    for name, tol in (("level", tol_level), ("effect", tol_effect)):
        if not (np.isfinite(tol) and tol > 0):
            raise ConfigError(f"the {name} tolerance must be a positive number, got {tol}")
    paper = _check_table(results, paper, metric)
    cells = published_cells(paper)
    if methods:
        unknown = sorted(set(methods) - set(METHOD_SPLIT))
        if unknown:
            raise ConfigError(f"unknown method(s) {', '.join(unknown)}; the paper reports {', '.join(METHOD_SPLIT)}")
        cells = cells[cells.method.isin(list(methods))]
    if scales:
        cells = cells[cells.scale.isin(list(scales))]
    ours = _ours(results, metric, scale)
    if ours.empty:
        raise PaperMismatchError(f"the results table has no finite {metric!r} value; is it a finished run?")
    ran = tuple(sorted(set(ours.scale))) or ((scale or "logp"),)
    notes: list[str] = []
    if searches := [C_SEARCH_LABELS.get(s, s) for s in searches_in(results)]:
        notes.append("c_yours chosen by " + " / ".join(searches) + " (the paper's: 5-fold CV over its grid)")
    # published cells on a scale you did not run count only for methods the paper has on no scale you ran
    ran_methods = set(cells[cells.scale.isin(ran)].method)
    skipped = cells[~cells.scale.isin(ran) & cells.method.isin(ran_methods)]
    if len(skipped):
        notes.append(f"{len(skipped)} published cells on the {', '.join(sorted(set(skipped.scale)))} scale are "
                     f"not compared: this table holds the {', '.join(ran)} scale, where the paper has the same "
                     "methods")
    every = cells
    cells = cells.drop(index=skipped.index)
    levels, missing, series = [], [], {}
    for r in cells.itertuples():
        s, why = _series(ours, r.scale, r.method, r.capacity)
        if s is None or s.empty:
            missing.append(dict(kind="level", scale=r.scale, method=r.method, capacity=r.capacity,
                                reason=why or f"no finite {metric}"))
            continue
        series[(r.scale, r.method, _k(r.capacity))] = s
        mean, se = _mean_se(s)
        cell = ours[(ours.scale == r.scale) & (ours.method == r.method)]
        cell = cell[cell.capacity == r.capacity] if not np.isnan(r.capacity) else cell
        cs = cell.c.dropna()
        levels.append(dict(scale=r.scale, method=r.method, capacity=r.capacity, yours=mean, yours_se=se,
                           yours_n=len(s), paper=r.mean, paper_se=r.se, diff=mean - r.mean,
                           c_yours=float(cs.mode().iloc[0]) if len(cs) else np.nan, c_paper=r.c_chosen))
    if not levels:
        reasons = sorted({m["reason"] for m in missing})
        raise PaperMismatchError(f"no published cell of {paper} has a counterpart in this table "
                                 f"({'; '.join(reasons[:4]) or 'nothing published'}); is it a run of the "
                                 f"paper-{paper} preset?")
    effects = _effects(cells, every, ours, series, tol_effect, missing)
    lv = pd.DataFrame(levels, columns=[c for c in _LEVEL_COLS if c != "within"])
    lv["within"] = lv["diff"].abs() <= tol_level + 1e-12
    return Agreement(paper=paper, scales=ran, levels=lv[_LEVEL_COLS], effects=effects,
                     missing=pd.DataFrame(missing, columns=_MISSING_COLS), tol_level=tol_level,
                     tol_effect=tol_effect, metric=metric, notes=notes)


def _effects(cells: pd.DataFrame, every: pd.DataFrame, ours: pd.DataFrame, series: dict, tol: float,
             missing: list) -> pd.DataFrame:
    """Each method minus its baseline (vanilla, else no-KD) and vanilla minus no-KD, per scale and capacity,
    for the published `cells` compared (baselines looked up among `every` published cell)."""
    rows = []
    for r in cells[~cells.method.isin([TEACHER_ROW, LABELS_ONLY]) & cells.capacity.notna()].itertuples():
        base_name = LABELS_ONLY if r.method == BASELINE else BASELINE
        base = _published_at(every, r.scale, base_name, r.capacity)
        if base is None and r.method != BASELINE:
            base_name, base = LABELS_ONLY, _published_at(every, r.scale, LABELS_ONLY, r.capacity)
        if base is None:
            continue  # the paper published no baseline for it: not a published effect
        name = f"{r.method} − {base_name}"
        a = series.get((r.scale, r.method, _k(r.capacity)))
        b = series.get((r.scale, base_name, _k(base.capacity)))
        if a is None or b is None:
            why = [w for w, s in ((r.method, a), (base_name, b)) if s is None]
            missing.append(dict(kind="effect", scale=r.scale, method=name, capacity=r.capacity,
                                reason=f"{' and '.join(why)} not compared at this cell"))
            continue
        if np.isnan(base.capacity) and not np.isnan(r.capacity):  # a capacity-free baseline: yours per capacity
            s, _ = _series(ours, r.scale, base_name, r.capacity)
            b = s if s is not None and not s.empty else b
        yours, yse = _diff_se(a, b)
        paper = float(r.mean - base["mean"])
        pse = float(np.hypot(r.se, base["se"]))
        checked = abs(paper) > SIGN_THRESHOLD
        rows.append(dict(scale=r.scale, effect=name, method=r.method, baseline=base_name, capacity=r.capacity,
                         yours=yours, yours_se=yse, paper=paper, paper_se=pse, diff=yours - paper,
                         within=abs(yours - paper) <= tol + 1e-12, sign_checked=checked,
                         sign_ok=bool(checked and np.sign(yours) == np.sign(paper))))
    return pd.DataFrame(rows, columns=_EFFECT_COLS).astype({"within": bool, "sign_checked": bool, "sign_ok": bool})
