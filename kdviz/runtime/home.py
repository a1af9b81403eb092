"""Where kdviz keeps its files: ``$KDVIZ_HOME`` if set, else ``~/.kdviz``."""

from __future__ import annotations

import os
from pathlib import Path


def kdviz_home() -> Path:
    """The kdviz data directory (job store, OpenML cache, uploads)."""
    env = os.environ.get("KDVIZ_HOME")
    return Path(env).expanduser() if env else Path.home() / ".kdviz"
