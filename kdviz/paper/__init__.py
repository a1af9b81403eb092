"""The paper's published numbers, and yours beside them.

`published_means.csv` (shipped here; see README.md in this folder) holds the means and standard
errors of the test AUC that Dao et al. (ICLR 2021) published for their tabular experiments: MIT-licensed
results of microsoft/semiparametric-distillation (`results/*.json`).

- :func:`published` — the whole table; :func:`reference` — the published rows for one paper preset
  (``"magic-B"``) and scale, in kdviz's vocabulary (method, capacity; NaN for the authors' ``all``);
- :func:`compare` — an agreement test that can fail: your results table against every published cell,
  levels and effects (method − vanilla, vanilla − no-KD) with both sides' standard errors, every cell it
  could not compare with the reason; returns an :class:`Agreement` whose ``summary_line()`` is
  ``levels K1/M1 within ±0.005; effects K2/M2 within ±0.005; signs S/T of published effects > 0.01``;
- :mod:`kdviz.paper.gallery` — the Paper page's cards (one per experiment × dataset × scale) and charts.
"""

from kdviz.paper.agreement import (
    DEFAULT_TOL,
    SIGN_THRESHOLD,
    Agreement,
    PaperMismatchError,
    compare,
    published_cells,
)
from kdviz.paper.published import (
    CITATION,
    EXPERIMENTS,
    METHOD_SPLIT,
    guess_paper,
    paper_reference,
    published,
    reference,
)

__all__ = ["CITATION", "DEFAULT_TOL", "EXPERIMENTS", "METHOD_SPLIT", "SIGN_THRESHOLD", "Agreement",
           "PaperMismatchError", "compare", "guess_paper", "paper_reference", "published", "published_cells",
           "reference"]
