"""Levels, effects and signs of a kdviz results table against the published means (issue 17's terms).

    .venv/bin/python benchmarks/paper_effects.py benchmarks/results/paper/magic-B.kdviz.csv magic-B

Levels: each published (method, capacity) mean. Effects: each method minus vanilla and vanilla minus no-KD
at every capacity (on A's p scale, where vanilla was not published: cross-fit and enhanced minus no-KD).
A table with a ``scale`` column is compared scale by scale. A by-hand check for the benchmark notes;
``kdviz paper compare`` is the product's comparison.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from kdviz.paper import reference

TOL = 0.005


def _means(frame: pd.DataFrame, value: str) -> dict[tuple[str, object], float]:
    return {(r.method, r.capacity if pd.notna(r.capacity) else "all"): float(r[value]) for _, r in frame.iterrows()}


def rows(table: pd.DataFrame, paper: str) -> pd.DataFrame:
    out = []
    table = table if "scale" in table else table.assign(scale="logp")
    for scale, part in table.groupby("scale"):
        mine = _means(part.groupby(["method", "capacity"], dropna=False).test_auc.mean().reset_index(), "test_auc")
        pub = _means(reference(paper, str(scale)), "mean")

        def val(d, meth, cap):
            return d.get((meth, cap), d.get((meth, "all"), np.nan))

        for (meth, cap), pm in pub.items():
            out.append(dict(scale=scale, kind="level", name=f"{meth}@{cap}", mine=val(mine, meth, cap), paper=pm))
        caps = sorted({c for (_, c) in pub if c != "all"})
        has_vanilla = any(m == "vanilla" for m, _ in pub)
        for cap in caps:
            if has_vanilla:
                pairs = [(x, "vanilla") for x in ("crossfit", "corrected", "enhanced") if (x, cap) in pub]
                pairs.append(("vanilla", "no_kd"))
            else:
                pairs = [(x, "no_kd") for x in ("crossfit", "enhanced") if (x, cap) in pub]
            for a, b in pairs:
                out.append(dict(scale=scale, kind="effect", name=f"{a}-{b}@{cap}",
                                mine=val(mine, a, cap) - val(mine, b, cap), paper=val(pub, a, cap) - val(pub, b, cap)))
    df = pd.DataFrame(out)
    df["diff"] = df["mine"] - df["paper"]
    df["within"] = df["diff"].abs() <= TOL
    return df


def main() -> None:
    df = rows(pd.read_csv(sys.argv[1]), sys.argv[2])
    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 500)
    print(df.round(4).to_string(index=False))
    for kind in ("level", "effect"):
        d = df[df.kind == kind]
        print(f"{kind}s {int(d.within.sum())}/{int(d['diff'].notna().sum())} within ±{TOL} "
              f"(max |diff| {d['diff'].abs().max():.4f}); not comparable {int(d['diff'].isna().sum())}")
    # the issue's counts: teacher, vanilla, cross-fit, enhanced levels; cross-fit and enhanced minus vanilla
    lv = df[(df.kind == "level") & df.name.str.match(r"(teacher|vanilla|crossfit|enhanced)@")]
    ef = df[(df.kind == "effect") & df.name.str.match(r"(crossfit|enhanced)-vanilla@")]
    if len(ef):
        print(f"[issue 17's cells: levels {int(lv.within.sum())}/{len(lv)}, effects {int(ef.within.sum())}/{len(ef)}]")
    e = df[(df.kind == "effect") & (df.paper.abs() > 0.01)]
    print(f"signs {int((np.sign(e['mine']) == np.sign(e['paper'])).sum())}/{len(e)} of published effects > 0.01")


if __name__ == "__main__":
    main()
