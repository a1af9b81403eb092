"""Data: the dataset registry, reading users' tables, encoding, OpenML and the synthetic generators."""
