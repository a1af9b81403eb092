"""Choosing the bound-fast constant c: full K-fold cross-validation, or the cheaper ``cv-fast`` search.

Both searches score a c by training a student on the training rows of a CV fold and scoring it on
the fold's held-out rows (higher is better); they share the folds and the student seed, so a fold
score is the same number in both. They differ in which (c, fold) pairs they pay for:

- ``cv`` (the paper's protocol, THEORY §3): every c of the grid on every one of the K folds —
  ``len(grid) · K`` student fits; the c with the best mean score wins (the smallest on ties).
- ``cv-fast``: a coarse-to-fine bracket on one fold, then successive halving onto a second fold:

  1. *coarse*: every other value of the sorted grid, and its last value, scored on fold 0;
  2. *refine*: the two grid neighbours of the best coarse value, on fold 0 — after this step every
     neighbour of the fold-0 best has been scored, so a score that is unimodal along the grid is
     maximised exactly;
  3. *halve*: the two best values so far are scored on fold 1 too, and the better mean of the two
     folds wins (the smaller c on ties).

  On the paper's nine-value grid that is at most 5 + 2 + 2 = 9 fits instead of 9 · 5 = 45
  (`fast_fits_max`). `benchmarks/bench_c_search.py` measures the time and the agreement of the
  chosen students with full CV's.
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
    "cv-fast": "fast search (coarse-to-fine on one fold, halving onto a second)",
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
    first_fold = min(n_grid, len(coarse_indices(n_grid)) + 2)
    halving = 2 if n_grid >= 2 and n_folds >= 2 else 0
    return first_fold + halving


def fast_search(grid: Sequence[float], n_folds: int, score: FoldScore) -> CSearch:
    """The ``cv-fast`` search (see the module docstring); deterministic given `score`."""
    grid = sorted(set(float(c) for c in grid))
    n = len(grid)
    fold0: dict[int, float] = {}

    def look(i: int) -> None:
        if 0 <= i < n and i not in fold0:
            fold0[i] = score(grid[i], 0)

    for i in coarse_indices(n):
        look(i)
    best = min(fold0, key=lambda i: (-fold0[i], i))
    look(best - 1)
    look(best + 1)
    means = {grid[i]: s for i, s in fold0.items()}
    folds = {grid[i]: 1 for i in fold0}
    if n_folds >= 2 and len(fold0) >= 2:
        finalists = sorted(fold0, key=lambda i: (-fold0[i], i))[:2]
        for i in finalists:
            means[grid[i]] = (fold0[i] + score(grid[i], 1)) / 2
            folds[grid[i]] = 2
        chosen = _best({grid[i]: means[grid[i]] for i in finalists})
    else:
        chosen = _best(means)
    return CSearch(c=chosen, scores=means, folds=folds, fits=sum(folds.values()), search="cv-fast")


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
