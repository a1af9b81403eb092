"""Choosing the bound-fast constant c: full K-fold cross-validation, or the cheaper ``cv-fast`` search.

Both searches score a c by training a student on the training rows of a CV fold and scoring it on
the fold's held-out rows (higher is better); they share the folds and the student seed, so a fold
score is the same number in both. They differ in which (c, fold) pairs they pay for:

- ``cv`` (the paper's protocol, THEORY §3): every c of the grid on every one of the K folds —
  ``len(grid) · K`` student fits; the c with the best mean score wins (the smallest on ties).
- ``cv-fast``: a coarse-to-fine bracket scored on two of the K folds (fold-level halving of the
  data the search pays for):

  1. *coarse*: every other value of the sorted grid, and its last value, each scored on folds 0 and 1;
  2. *refine*: the two grid neighbours of the best coarse value (best mean over the two folds) —
     after this step every neighbour of the best has been scored, so a two-fold score that is
     unimodal along the grid is maximised exactly;
  3. the best two-fold mean wins (the smaller c on ties).

  On the paper's nine-value grid that is at most (5 + 2) · 2 = 14 fits instead of 9 · 5 = 45
  (`fast_fits_max`). Measured on the paper's protocol B at full size (`benchmarks/c_search_replay.py`,
  every fold score and every c's test AUC, the searches replayed): the fast search's students are within
  ±0.002 of full CV's in 14/14 cells on MAGIC (worst −0.0005) and 14/14 on Adult (worst −0.0008); on
  the synthetic presets it picks full CV's c in 20/20 cells. On small subsamples (MAGIC n = 4000)
  neighbouring c's scores differ by less than one fold's noise and it agreed in only 7/14 cells; one
  fold alone (7–9 fits) was worse still (`benchmarks/results/c_search.md`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kdviz.errors import ConfigError

#: The searches that choose c from a grid (the values of the ``c`` setting besides a number).
C_SEARCHES: tuple[str, ...] = ("cv", "cv-fast")
#: How each search is named in captions and legends.
C_SEARCH_LABELS: dict[str, str] = {
    "cv": "full cross-validation",
    "cv-fast": "fast search (coarse-to-fine over the grid on 2 of the CV folds)",
    "fixed": "fixed by the user",
}

#: The short names of charts' subtitles.
C_SEARCH_SHORT: dict[str, str] = {"cv": "full CV", "cv-fast": "fast search", "fixed": "fixed"}

#: (c, fold index) → the held-out score of a student trained with that c on that fold's training rows.
FoldScore = Callable[[float, int], float]


@dataclass(frozen=True)
class CSearch:
    """The outcome of a c search (the result of a sweep's ``csearch`` task).

    Attributes:
        c: the chosen c.
        scores: {c: mean held-out score over the folds it was scored on} for every c scored.
        folds: {c: number of folds that c was scored on}.
        fits: the student fits the search cost (the sum of `folds`).
        search: which search ran (``"cv"`` or ``"cv-fast"``).
    """

    c: float
    scores: dict[float, float]
    folds: dict[float, int]
    fits: int
    search: str


def _best(scores: dict[float, float]) -> float:
    top = max(scores.values())
    return min(c for c, s in scores.items() if s == top)


def full_search(grid: Sequence[float], n_folds: int, score: FoldScore) -> CSearch:
    """Every c on every fold (the paper's CV)."""
    grid = sorted(set(float(c) for c in grid))
    means = {c: sum(score(c, f) for f in range(n_folds)) / n_folds for c in grid}
    return CSearch(c=_best(means), scores=means, folds={c: n_folds for c in grid},
                   fits=len(grid) * n_folds, search="cv")


def coarse_indices(n: int) -> list[int]:
    """The grid positions the fast search scores first: every other one, and the last."""
    return sorted(set(range(0, n, 2)) | {n - 1})


def fast_fits_max(n_grid: int, n_folds: int) -> int:
    """The most student fits `fast_search` can cost on a grid of `n_grid` values (never more than full CV)."""
    return min(n_grid, len(coarse_indices(n_grid)) + 2) * min(2, n_folds)


def fast_search(grid: Sequence[float], n_folds: int, score: FoldScore) -> CSearch:
    """The ``cv-fast`` search (see the module docstring); deterministic given `score`."""
    grid = sorted(set(float(c) for c in grid))
    n, folds = len(grid), list(range(min(2, n_folds)))
    means: dict[int, float] = {}

    def look(i: int) -> None:
        if 0 <= i < n and i not in means:
            means[i] = sum(score(grid[i], f) for f in folds) / len(folds)

    for i in coarse_indices(n):
        look(i)
    best = min(means, key=lambda i: (-means[i], i))
    look(best - 1)
    look(best + 1)
    scores = {grid[i]: s for i, s in means.items()}
    return CSearch(c=_best(scores), scores=scores, folds={c: len(folds) for c in scores},
                   fits=len(scores) * len(folds), search="cv-fast")


def run_search(search: str, grid: Sequence[float], n_folds: int, score: FoldScore) -> CSearch:
    """Run the search named `search` (one of `C_SEARCHES`)."""
    if search == "cv":
        return full_search(grid, n_folds, score)
    if search == "cv-fast":
        return fast_search(grid, n_folds, score)
    raise ConfigError(f"unknown c search {search!r}; choose from {', '.join(C_SEARCHES)}")


def searches_in(*tables) -> list[str]:
    """The searches that chose c in results tables (their ``c_search`` column), in `C_SEARCH_SHORT` order."""
    found = set()
    for df in tables:
        if df is not None and "c_search" in df:
            found |= {str(v) for v in df["c_search"].dropna().unique()}
    return [s for s in C_SEARCH_SHORT if s in found] + sorted(found - set(C_SEARCH_SHORT))


def c_search_subtitle(*tables) -> str:
    """A chart subtitle's part naming which search chose c (``c by fast search``), or ``""``."""
    names = searches_in(*tables)
    if not names:
        return ""
    if names == ["fixed"]:
        return "c fixed"
    return "c by " + " / ".join(C_SEARCH_SHORT.get(s, s) for s in names)
