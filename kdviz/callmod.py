"""Modules that can be called: ``kdviz.sweep(...)``, ``kdviz.jobs()``, ``kdviz.presets()``, ``kdviz.methods()``.

``kdviz.sweep``, ``kdviz.jobs``, ``kdviz.presets`` and ``kdviz.kd.methods`` are modules (what other modules
import; Python binds ``kdviz.<name>`` to the submodule once it is imported) and, for a notebook, the
functions of :mod:`kdviz.api` of the same name: a module's class is switched to one whose ``__call__``
looks the function up in :mod:`kdviz.api` at call time (no import cycle), so both uses work.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


class CallableModule(types.ModuleType):
    """A module whose call runs ``kdviz.api.<__kdviz_call__>`` (a table of what the module holds)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``kdviz.api.<name>`` (see its documentation)."""
        fn = getattr(importlib.import_module("kdviz.api"), self.__dict__["__kdviz_call__"])
        return fn(*args, **kwargs)


def make_callable(module_name: str, api_function: str) -> None:
    """Let ``module_name`` be called as ``kdviz.api.<api_function>``."""
    module = sys.modules[module_name]
    module.__dict__["__kdviz_call__"] = api_function
    if not isinstance(module, CallableModule):
        module.__class__ = CallableModule
