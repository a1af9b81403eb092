"""Test-wide settings: never write to the user's ~/.kdviz."""

import os
import tempfile


def pytest_configure(config):
    os.environ["KDVIZ_HOME"] = tempfile.mkdtemp(prefix="kdviz-test-home-")
