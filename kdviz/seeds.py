"""Seeds derived from a run's seed: every random stream in kdviz comes from here.

All of them are numpy ``SeedSequence`` children, so streams with different parts are independent and
the same parts always give the same numbers.
"""

from __future__ import annotations

import numpy as np


def sub_seed(*parts: int) -> int:
    """An integer seed for the stream named by `parts` (e.g. ``sub_seed(seed, repeat, 1)``)."""
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])


def sub_rng(*parts: int) -> np.random.Generator:
    """A generator for the stream named by `parts`."""
    return np.random.default_rng(np.random.SeedSequence([int(p) for p in parts]))


def spawned_seed(seed: int, *key: int) -> int:
    """The seed of child `key` spawned from `seed` (``SeedSequence(seed, spawn_key=key)``)."""
    return int(np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in key)).generate_state(1)[0])
