"""Plug-ins: the modules that fill kdviz's registries, loaded by the entry points.

The registries (`kdviz.teachers`, `kdviz.students`, `kdviz.experiments`) never import the modules
that register into them — that would make an import cycle (``kdviz.neural`` imports
``kdviz.teachers`` to subclass its base class). Instead the long-running entry points (``app.py``,
the job worker) call :func:`load_plugins` at start, and a registry lookup of an unknown name calls
it lazily: the CLI (``--help`` lists the registries; ``kdviz jobs`` starts without torch) and a
notebook's ``make_teacher("mlp-epochs", ...)`` work without any set-up.

This module imports nothing from kdviz statically: the plug-ins are named in lists and imported
with :func:`importlib.import_module`.
"""

from __future__ import annotations

import importlib
import threading

__all__ = ["OPTIONAL_PLUGINS", "PLUGINS", "load_plugins", "skipped_plugins"]

#: Always there: the built-in experiments (``sweep``; ``theory-*``).
PLUGINS: tuple[str, ...] = ("kdviz.sweep", "kdviz.theory")
#: Registered when their dependencies import: the torch teacher families and students.
OPTIONAL_PLUGINS: tuple[str, ...] = ("kdviz.neural",)

_lock = threading.RLock()
_done = False  # every plug-in imported
_loading = False  # this process is importing them (a nested call returns at once)
_skipped: dict[str, str] = {}


def load_plugins() -> None:
    """Import every plug-in module (idempotent, thread-safe).

    A missing optional dependency (``ImportError`` from an optional plug-in, e.g. no torch) only
    leaves its names unregistered; :func:`skipped_plugins` says why.
    """
    global _done, _loading
    if _done:
        return
    with _lock:  # another thread waits here until the registries are complete
        if _done or _loading:  # _loading: a lookup made while a plug-in imports (same thread)
            return
        _loading = True
        try:
            for name in PLUGINS:
                importlib.import_module(name)
            for name in OPTIONAL_PLUGINS:
                try:
                    importlib.import_module(name)
                except ImportError as e:
                    _skipped[name] = str(e)
            _done = True
        finally:
            _loading = False


def skipped_plugins() -> dict[str, str]:
    """Optional plug-ins that could not be imported, with the reason."""
    return dict(_skipped)
