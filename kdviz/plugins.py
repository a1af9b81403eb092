"""Plug-ins: the modules that fill kdviz's registries, loaded by the entry points.

The registries (`kdviz.teachers`, `kdviz.kd.students`, `kdviz.experiments`) never import the modules
that register into them — that would make an import cycle (``kdviz.neural`` imports
``kdviz.teachers`` to subclass its base class). Instead the long-running entry points (``app.py``,
the job worker) call :func:`load_plugins` at start, and a registry lookup of an unknown name calls
it lazily: the CLI (``--help`` lists the registries; ``kdviz jobs`` starts without torch) and a
notebook's ``make_teacher("mlp-epochs", ...)`` work without any set-up.

Your own plug-ins (a dataset, a teacher or student family, a config field, an experiment: each one
``register_*`` call in a module of yours) are named in ``$KDVIZ_PLUGINS`` (comma-separated module names)
or passed as ``load_plugins(extra)``; the job workers import the same modules, so a background run knows
them. This is the one loader: the app, the CLI, the workers and the registries' lookups all call it.

This module imports nothing from kdviz statically: the plug-ins are named in lists and imported
with :func:`importlib.import_module`.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterable

__all__ = ["OPTIONAL_PLUGINS", "PLUGINS", "load_plugins", "load_user_plugins", "plugin_modules", "skipped_plugins"]

#: Always there: the built-in experiments (``sweep``; ``theory-*``).
PLUGINS: tuple[str, ...] = ("kdviz.sweep", "kdviz.theory")
#: Registered when their dependencies import: the torch teacher families and students.
OPTIONAL_PLUGINS: tuple[str, ...] = ("kdviz.neural",)

_lock = threading.RLock()
_done = False  # every plug-in imported
_loading = False  # this process is importing them (a nested call returns at once)
_skipped: dict[str, str] = {}
_users: set[str] = set()  # the user plug-ins imported so far


def plugin_modules() -> tuple[str, ...]:
    """Modules named in ``$KDVIZ_PLUGINS`` (comma-separated): registrations from outside kdviz (a user's
    package, tests); the job workers import them too."""
    return tuple(m.strip() for m in os.environ.get("KDVIZ_PLUGINS", "").split(",") if m.strip())


def load_plugins(extra: Iterable[str] = ()) -> None:
    """Import every plug-in module (idempotent, thread-safe): kdviz's own, then ``$KDVIZ_PLUGINS`` and `extra`.

    A missing optional dependency (``ImportError`` from an optional plug-in, e.g. no torch) only
    leaves its names unregistered; :func:`skipped_plugins` says why. A user plug-in that cannot be
    imported is a ConfigError naming it.
    """
    _load_builtin()
    load_user_plugins(extra)


def load_user_plugins(extra: Iterable[str] = ()) -> None:
    """Import only ``$KDVIZ_PLUGINS`` and `extra` (the CLI does at start: its flags include their settings,
    without importing torch for the built-in torch plug-ins)."""
    for name in (*plugin_modules(), *extra):
        if name in _users:
            continue
        with _lock:
            try:
                importlib.import_module(name)
            except ImportError as e:
                from kdviz.errors import ConfigError

                raise ConfigError(f"cannot import the kdviz plugin module {name!r} (from KDVIZ_PLUGINS): {e}") from None
            _users.add(name)


def _load_builtin() -> None:
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
