"""The whole lesson in one zip (pure, no Streamlit): every step's chart before and after Reveal, the
captions, the questions with this run's answers, and a one-page handout for students.

    pack = lesson_pack(seed=0, link=url)          # a kdviz.figures.talkpack.TalkPack: .data (zip bytes), .names, .notes
    pack = lesson_pack(seed=0, formats=())        # HTML charts only (no browser needed, fast)

Contents:

- ``charts/stepN_<key>_before.html|png|svg``: steps with a question, as a class sees them before Reveal
  (the question asked, the students hidden); ``…_after``: the revealed chart. Steps without a question
  have one chart, ``charts/stepN_<key>.…``.
- ``results/stepN_<key>_before.csv`` holds only what is on the "before" chart (never the students' numbers:
  those are the answers); ``…_after.csv`` (or ``stepN_<key>.csv``) holds the step's whole table.
- ``captions.md``: each step's text, what to look for and each chart's caption (computed from the run).
- ``answers.md``: the questions with the answer this run's numbers support, and those numbers (for the
  instructor; not in the handout).
- ``handout.md`` and ``handout.html``: one page for students: each step's idea and question with room to
  write a prediction, no answers.
- ``config.json`` (seed, each step's settings), ``link.txt``, ``README.txt``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from kdviz.figures import export
from kdviz.figures.style import apply_theme
from kdviz.figures.talkpack import TalkPack, add_images, zip_pack
from kdviz.teaching import lesson as L

IMAGE_FORMATS = ("png", "svg")


def _name(i: int, when: str = "") -> str:
    return f"step{i + 1}_{L.STEPS[i].key}" + (f"_{when}" if when else "")


def _before_table(i: int, seed: int) -> pd.DataFrame:
    """What a class may see before Reveal: the step's table without any student's numbers."""
    t = L.table(i, seed)
    if "method" in t:
        t = t[t["method"] == "teacher"].reset_index(drop=True)
        return t.drop(columns=[c for c in t.columns if "student" in str(c).lower()])
    if "quantity" in t:
        return t[~t["quantity"].str.startswith("student")].reset_index(drop=True)
    return t.iloc[0:0]


def charts(seed: int = 0, *, presentation: bool = False, theme: str = "light") -> list[tuple[str, go.Figure, str]]:
    """(file stem, figure, caption) of every chart of the lesson, "before" ahead of "after" for each question."""
    out = []
    for i, step in enumerate(L.STEPS):
        whens = ("before", "after") if step.question is not None else ("",)
        for when in whens:
            revealed = when != "before"
            fig = apply_theme(go.Figure(L.step_figure(i, seed, revealed=revealed, presentation=presentation)), theme)
            out.append((_name(i, when), fig, L.chart_caption(i, seed, revealed)))
    return out


def captions_markdown(seed: int, items: Sequence[tuple[str, go.Figure, str]], link: str) -> str:
    lines = [f"# kdviz lesson (seed {seed})", "", f"View: {link}" if link else "", ""]
    by_step = {}
    for stem, _, cap in items:
        by_step.setdefault(int(stem[4:].split("_", 1)[0]) - 1, []).append((stem, cap))
    for i, step in enumerate(L.STEPS):
        lines += [f"## {i + 1}. {step.title}", "", step.text, "", f"**What to look for:** {step.look_for}", ""]
        for stem, cap in by_step.get(i, []):
            when = "Before Reveal" if stem.endswith("_before") else "After Reveal" if stem.endswith("_after") else "Chart"
            lines += [f"*{when}* (`charts/{stem}.*`): {cap}", ""]
    return "\n".join(lines)


def answers_markdown(seed: int) -> str:
    lines = [f"# Answers for the instructor (seed {seed})", "",
             "Each answer is the one this run's numbers support (another seed may differ).", ""]
    for i, step in enumerate(L.STEPS):
        if step.question is None:
            continue
        out = L.outcome(i, seed)
        q = step.question
        lines += [f"## {i + 1}. {step.title}", "", f"**Question:** {q.prompt}", ""]
        lines += [f"- {label}" + ("  ← **this run's answer**" if key == out.answer else "")
                  for key, label in q.choices.items()]
        lines += ["", f"**The numbers:** {out.text}." + (" (Unclear: the difference is within two standard errors over the seeds.)"
                                                         if out.unclear else ""), ""]
    return "\n".join(lines)


def handout_markdown(seed: int, link: str = "") -> str:
    """One page for students: each step's idea and its question with room for a prediction (no answers)."""
    lines = ["# What does a student learn from an imperfect teacher?", "",
             "*Knowledge distillation in six steps (kdviz lesson"
             + (f", seed {seed}" if seed else "") + "). Predict first, then look.*", ""]
    for i, step in enumerate(L.STEPS):
        lines += [f"## {i + 1}. {step.title}", "", f"Look for: {step.look_for}", ""]
        if step.question is not None:
            lines += [f"**Predict:** {step.question.prompt}", ""]
            lines += [f"- [ ] {label}" for label in step.question.choices.values()]
            lines += ["", "My reason: ______________________________________________", ""]
    if link:
        lines += ["---", "", f"Open the lesson: {link}", ""]
    return "\n".join(lines)


_HANDOUT_CSS = """body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:46rem;margin:1.2rem auto;
font-size:11pt;line-height:1.35;color:#111;background:#fff}h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.1rem;
margin:.9rem 0 .2rem}p{margin:.25rem 0}ul{margin:.2rem 0;padding-left:1.4rem;list-style:none}li:before{content:'☐ ';}
@media print{body{margin:0;font-size:10pt}@page{size:A4;margin:1.4cm}}"""


def markdown_to_html(text: str, title: str) -> str:
    """A standalone HTML page from Markdown (markdown-it, HTML in the source escaped)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).render(text.replace("- [ ] ", "- "))
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_HANDOUT_CSS}</style></head><body>{body}</body></html>")


def lesson_pack(seed: int = 0, *, link: str = "", presentation: bool = False, theme: str = "light",
                formats: Sequence[str] | None = None) -> TalkPack:
    """The whole lesson as one zip. `formats` are the image formats besides HTML (default PNG and SVG when a
    browser is available; one kaleido session renders all of them)."""
    notes: list[str] = []
    files: dict[str, bytes] = {}
    items = charts(seed, presentation=presentation, theme=theme)
    for stem, fig, _ in items:
        files[f"charts/{stem}.html"] = export.figure_bytes(fig, "html")
    want = tuple(IMAGE_FORMATS if formats is None else formats)
    if want and formats is None and not export.browser_available():
        notes.append("PNG/SVG are missing: " + export.NO_BROWSER_MESSAGE)
        want = ()
    if want:
        add_images(files, notes, [(stem, fig) for stem, fig, _ in items], want)
    for i, step in enumerate(L.STEPS):
        if step.question is not None:
            files[f"results/{_name(i, 'before')}.csv"] = _before_table(i, seed).to_csv(index=False).encode()
            files[f"results/{_name(i, 'after')}.csv"] = L.table(i, seed).to_csv(index=False).encode()
        else:
            files[f"results/{_name(i)}.csv"] = L.table(i, seed).to_csv(index=False).encode()
    files["captions.md"] = captions_markdown(seed, items, link).encode()
    files["answers.md"] = answers_markdown(seed).encode()
    handout = handout_markdown(seed, link)
    files["handout.md"] = handout.encode()
    files["handout.html"] = markdown_to_html(handout, "kdviz lesson handout").encode()
    settings: dict[str, Any] = {}
    for i in range(len(L.STEPS)):
        p = L.params(i, seed)
        settings[_name(i)] = p.to_dict() if p is not None else L.try_link(i, seed)[1]
    files["config.json"] = json.dumps({"seed": seed, "theme": theme, "steps": settings}, indent=1,
                                      default=str).encode()
    files["link.txt"] = (link + "\n").encode()
    return zip_pack(files, ["kdviz lesson pack", "", "Before Reveal: charts/*_before.* (students hidden; "
                            "results/*_before.csv has no student numbers). After: charts/*_after.*. answers.md is "
                            "for the instructor; handout.html is for students."], notes)
