"""The paper's tabular figures as a gallery (pure; the Paper page draws it).

One :class:`Card` per experiment × dataset × scale of the published table. For each card:

- :func:`card_config` — the paper preset (``kdviz.presets.paper_preset``) run on the card's scale;
  :func:`run_config` — what the card's "Run what is missing" submits (the earlier run's uploaded CSV, if any);
- :func:`pick_run` — the newest finished (else active) kdviz run of that preset and scale in a list of jobs;
- :func:`card_agreement` — :func:`kdviz.paper.compare` of that run's rows on the card's scale, or why not;
- :func:`card_figure` — published curves (dashed, ± s.e. bands) and the run (solid, bands) on one chart;
- :func:`card_caption` — the agreement and the c each side chose, computed from the numbers drawn;
- :func:`dataset_status` — whether the card's data is on this machine, else which file to provide.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kdviz.errors import KdvizError
from kdviz.figures.plots import add_reference_traces, capacity_chart, style_figure
from kdviz.kd.methods import method_label
from kdviz.paper.agreement import SIGN_THRESHOLD, Agreement, compare, published_cells
from kdviz.paper.published import EXPERIMENTS, published
from kdviz.presets import PAPER_DATASETS, paper_preset

__all__ = ["Card", "CardState", "card_agreement", "card_caption", "card_config", "card_figure", "cards",
           "dataset_status", "openml_online", "pick_run", "provide_hint", "run_config"]

DATASET_NAMES = {"adult": "Adult", "fico": "FICO HELOC", "higgs": "Higgs", "magic": "MAGIC",
                 "stumbleupon": "StumbleUpon"}
EXPERIMENT_TITLES = {"A": "A: vary the student's trees", "B": "B: vary the teacher's depth"}
SCALE_TITLES = {"logp": "log p scale", "p": "p scale"}
#: the file a user provides when a dataset is not on the machine (upload it on the Sweep page)
PROVIDE = {"adult": "adult-full.csv (UCI Adult training + test rows, 48,842; label column Salary) or OpenML "
                    "'Adult' version 2",
           "fico": "heloc_dataset_v1.csv (FICO HELOC; label column RiskPerformance)",
           "higgs": "a CSV of OpenML 'Higgs' version 2, or the OpenML download once the server is online",
           "magic": "magic04.csv (UCI MAGIC gamma telescope; label column class) or OpenML 'MagicTelescope'",
           "stumbleupon": "stumbleupon.csv (StumbleUpon evergreen; label column label)"}


@dataclass(frozen=True)
class Card:
    experiment: str  # "A" or "B"
    dataset: str     # the published table's name: adult, fico, higgs, magic, stumbleupon
    scale: str       # "logp" or "p"

    @property
    def paper(self) -> str:
        return f"{self.dataset}-{self.experiment}"

    @property
    def key(self) -> str:
        return f"{self.dataset}-{self.experiment}-{self.scale}"

    @property
    def title(self) -> str:
        return (f"{DATASET_NAMES.get(self.dataset, self.dataset)} {EXPERIMENT_TITLES[self.experiment]} · "
                f"{SCALE_TITLES.get(self.scale, self.scale)}")


@dataclass
class CardState:
    """What the page shows on one card: the run found (if any), the agreement (or why there is none)."""

    card: Card
    job: Any = None                  # a kdviz.jobs.JobRecord, or None
    results: pd.DataFrame | None = None
    agreement: Agreement | None = None
    problem: str = ""                # why there is no agreement line


def cards() -> list[Card]:
    """Every experiment × dataset × scale the published table holds, dataset by dataset."""
    exp_of = {v: k for k, v in EXPERIMENTS.items()}
    t = published()
    keys = {(exp_of[e], d, s) for e, d, s in zip(t.experiment, t.dataset, t.scale) if e in exp_of}
    return [Card(e, d, s) for e, d, s in sorted(keys, key=lambda k: (k[1], k[0], k[2] != "logp"))]


def card_config(card: Card) -> dict[str, Any]:
    """The paper preset of the card's experiment and dataset, on the card's scale."""
    return {**paper_preset(card.dataset, card.experiment), "scale": card.scale}


def _run_file(job: Any) -> dict[str, Any]:
    """The dataset and target of a run made on a CSV that is still on the machine (an upload), else {}."""
    from pathlib import Path

    cfg = (job.config or {}) if job is not None else {}
    ds = str(cfg.get("dataset", ""))
    if ds.startswith("csv:") and Path(ds[4:]).is_file():
        return {"dataset": ds, "target": cfg.get("target")}
    return {}


def run_config(card: Card, job: Any = None) -> dict[str, Any]:
    """What "Run what is missing" submits: the card's preset on its scale, on the data of the card's earlier
    run when that was a CSV still on the machine (an upload), so finished tasks are reused."""
    return {**card_config(card), **_run_file(job)}


def _scales_of(job: Any) -> set[str]:
    """The scales a run holds: its ``scale``, or a list of them (``scales``, or "both")."""
    cfg = job.config or {}
    v = cfg.get("scales") or cfg.get("scale", "logp")
    got = {str(x) for x in v} if isinstance(v, (list, tuple)) else {str(v)}
    return {"p", "logp"} if "both" in got else got


def pick_run(card: Card, jobs: Iterable[Any]) -> Any:
    """The newest finished sweep of the card's paper preset on its scale (a CSV upload of the data counts:
    runs are matched by their ``paper`` and ``scale``); else the newest queued/running one; else None."""
    mine = [j for j in jobs if j.kind == "sweep" and (j.config or {}).get("paper") == card.paper
            and card.scale in _scales_of(j)]
    for want in (("done",), ("queued", "running")):
        hit = [j for j in mine if str(j.status) in want]
        if hit:
            return max(hit, key=lambda j: j.created)
    return None


def card_agreement(card: Card, results: pd.DataFrame | None) -> tuple[Agreement | None, str]:
    """`compare` of the run's rows on the card's scale; (None, why) when there is nothing to compare."""
    if results is None or results.empty:
        return None, "no finished kdviz run of this preset yet"
    rows = results[results["scale"] == card.scale] if "scale" in results else results
    try:
        return compare(rows, card.paper, scale=None if "scale" in rows else card.scale, scales=(card.scale,)), ""
    except KdvizError as e:
        return None, str(e)


def _reference(card: Card) -> pd.DataFrame:
    c = published_cells(card.paper)
    return c[c.scale == card.scale].reset_index(drop=True)


def card_figure(card: Card, results: pd.DataFrame | None = None, agreement: Agreement | None = None,
                presentation: bool = False) -> go.Figure:
    """Published curves of the card (dashed, ± 1 published s.e.) and the run's (solid, ± 1 s.e. over repeats)."""
    ref = _reference(card)
    rows = results
    if rows is not None and not rows.empty and "scale" in rows:
        rows = rows[rows["scale"] == card.scale]
    subtitle = "published curves only: no kdviz run yet"
    if agreement is not None:
        a = agreement
        subtitle = (f"levels {a.levels_within}/{len(a.levels)} · effects {a.effects_within}/{len(a.effects)} within "
                    f"±{a.tol_level:g} · signs {a.signs_ok}/{a.signs_checked}")
    if rows is not None and not rows.empty:
        fig = capacity_chart(rows, "test_auc", reference=ref, presentation=presentation, title=card.title)
        drawn = set(rows["method"].unique())
        add_reference_traces(fig, rows, ref, methods=[m for m in ref.method.unique() if m not in drawn])
    else:
        fig = go.Figure()
        add_reference_traces(fig, pd.DataFrame({"capacity": ref.capacity}), ref, methods=list(ref.method.unique()))
        side = "student: n_estimators" if card.experiment == "A" else "teacher: max_depth"
        fig.update_xaxes(title=f"{side.split(':')[0].title()} capacity:{side.split(':')[1]}")
        fig.update_yaxes(title="Test AUC")
        fig = style_figure(fig, presentation)
    fig.update_layout(title=dict(text=card.title, subtitle_text=subtitle + "<br>dashed: published (Dao et al. 2021)"
                                 + ("" if rows is None or rows.empty else "; solid: kdviz")),
                      legend=dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0),
                      margin=dict(t=110), height=640)
    return fig


def _c_text(agreement: Agreement) -> str:
    lv = agreement.levels
    lv = lv[lv.c_paper.notna() | lv.c_yours.notna()]
    if lv.empty:
        return ""
    parts = []
    for m, g in lv.groupby("method", sort=False):
        pairs = ", ".join(f"{'all' if pd.isna(r.capacity) else f'{r.capacity:g}'}: "
                          f"{_g(r.c_paper)} / {_g(r.c_yours)}" for r in g.itertuples())
        parts.append(f"{method_label(m)} — {pairs}")
    same = int((np.isclose(lv.c_paper, lv.c_yours)).sum())
    return f"c chosen by CV (paper / kdviz), {same} of {len(lv)} the same: " + "; ".join(parts)


def _g(v: float) -> str:
    return "?" if pd.isna(v) else f"{v:g}"


def card_caption(state: CardState) -> str:
    """The card's caption, computed from the agreement it shows."""
    a = state.agreement
    if a is None:
        n = len(_reference(state.card))
        return f"{n} published cells; {state.problem or 'nothing to compare yet'}."
    text = a.summary_line() + "."
    eff = a.effects
    if len(eff):
        worst = eff.loc[eff["diff"].abs().idxmax()]
        cap = "all" if pd.isna(worst.capacity) else f"{worst.capacity:g}"
        text += (f" Largest effect gap: {worst.effect} at {cap}, kdviz {worst.yours:+.4f} vs paper "
                 f"{worst.paper:+.4f}.")
    wrong = eff[eff.sign_checked & ~eff.sign_ok]
    if len(wrong):
        text += f" Sign differs from a published effect > {SIGN_THRESHOLD:g} at {len(wrong)} cell(s)."
    if len(a.missing):
        reasons = a.missing.reason.value_counts()
        text += " Not compared: " + "; ".join(f"{n} × {r}" for r, n in reasons.items()) + "."
    c = _c_text(a)
    return text + (f" {c}." if c else "")


def openml_online() -> bool:
    """Whether OpenML answers now (a few seconds when offline: call once per page, not per card)."""
    from kdviz.data.openml import _openml_reachable

    return _openml_reachable()


def dataset_status(card: Card, *, online: bool = False, job: Any = None) -> tuple[bool, str]:
    """(True, "") when :func:`run_config` can load its data here; else (False, which file to provide).
    An OpenML dataset counts when it is cached, or when `online` (OpenML answers: it downloads once)."""
    from pathlib import Path

    from kdviz.data.openml import _cache_root, _openml_stem

    ds = str(run_config(card, job).get("dataset", ""))
    if ds.startswith("openml:"):
        name = ds[len("openml:"):]
        root = _cache_root(None)  # never shown: a server path
        if online or ((root / f"{_openml_stem(name)}.csv").exists() and (root / f"{_openml_stem(name)}.json").exists()):
            return True, ""
        why = f"OpenML '{name}' is not cached on this server and OpenML cannot be reached"
    elif ds.startswith("csv:"):
        if Path(ds[4:]).is_file():
            return True, ""
        why = f"{DATASET_NAMES.get(card.dataset, card.dataset)} is not on this server"
    else:
        return True, ""
    return False, f"{why}: {provide_hint(card)}"


def provide_hint(card: Card) -> str:
    src = PAPER_DATASETS.get(card.dataset, {}).get("source", "")
    scale = "" if card.scale == "logp" else ", set the KD target scale to p"
    return (f"provide {PROVIDE.get(card.dataset, src)} — upload it on the Sweep page, load the preset "
            f"paper-{card.paper} there and pick the upload{scale} (runs of that preset appear on this card)")
