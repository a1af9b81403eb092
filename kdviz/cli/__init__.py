"""The ``kdviz`` command line."""

from kdviz.cli.main import main

__all__ = ["main"]
