"""kdviz: knowledge distillation as semiparametric inference, made visible.

In a notebook or a plain Python session::

    import kdviz
    res = kdviz.sweep(preset="quick", repeats=1)    # a tqdm bar; progress=False for silence
    res.plot()                                       # a Plotly figure; res.df is the tidy table

- :func:`kdviz.sweep` → :class:`kdviz.Results` (``.df``, ``.config``, ``.plot()``, ``.summary()``,
  ``.compare_paper()``, ``.to_csv()``);
- background runs: :func:`kdviz.submit`, :func:`kdviz.jobs` (``kdviz.jobs()`` lists them),
  :func:`kdviz.results`;
- :func:`kdviz.load_dataset` (the data alone), :func:`kdviz.list_datasets`, ``kdviz.presets()`` and
  ``kdviz.methods()`` (tables of the presets and KD methods; the modules ``kdviz.presets`` and
  ``kdviz.kd.methods`` hold ``PRESETS`` and ``METHODS``).

Importing kdviz is cheap: everything is imported on first use (no torch, no scikit-learn).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: name → (module, attribute): what ``kdviz.<name>`` gives, imported on first use
_LAZY = {
    "Results": ("kdviz.api", "Results"),
    "submit": ("kdviz.api", "submit"),
    "results": ("kdviz.api", "results"),
    "list_presets": ("kdviz.api", "list_presets"),
    "list_methods": ("kdviz.api", "list_methods"),
    "list_datasets": ("kdviz.api", "list_datasets"),
    "load_dataset": ("kdviz.data.load", "load_dataset"),
    "Dataset": ("kdviz.data.load", "Dataset"),
    "SweepConfig": ("kdviz.config", "SweepConfig"),
    "make_config": ("kdviz.config", "make_config"),
    "KdvizError": ("kdviz.errors", "KdvizError"),
    # modules that can also be called (kdviz.callmod): kdviz.sweep(...) runs a sweep (kdviz.api.sweep),
    # kdviz.jobs(), kdviz.presets(), kdviz.methods() give tables
    "sweep": ("kdviz.sweep", None),
    "jobs": ("kdviz.jobs", None),
    "presets": ("kdviz.presets", None),
    "methods": ("kdviz.kd.methods", None),
}

# (no __all__: API documentation tools then walk every submodule; dir(kdviz) lists the names)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'kdviz' has no attribute {name!r}")
    module, attr = _LAZY[name]
    value = importlib.import_module(module)
    value = value if attr is None else getattr(value, attr)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
