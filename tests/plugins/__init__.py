"""Plug-in modules of tests/test_plugins.py: each registers one thing, named in ``$KDVIZ_PLUGINS``."""
