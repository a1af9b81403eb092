"""Heavy computations in helper processes: the same results as in-process, errors passed on, and a
helper that cannot work falls back to computing here."""

from __future__ import annotations

import numpy as np
import pytest

from kdviz.errors import DatasetError
from kdviz.runtime import offload
from kdviz.teaching import playground

ARGS = ("synthetic:curve", 300, 0.2, 3.0, 0, 20, "rf-depth", 3)


def test_teacher_fits_in_a_helper_equal_the_local_ones():
    before = offload.stats["offloaded"]
    remote = offload.call("kdviz.teaching.playground:fit_teachers", *ARGS)
    assert offload.stats["offloaded"] == before + 1
    local = playground.fit_teachers(*ARGS)
    np.testing.assert_array_equal(remote.full_grid, local.full_grid)
    np.testing.assert_array_equal(remote.oof_train, local.oof_train)
    assert remote.dataset.fingerprint == local.dataset.fingerprint


def test_errors_of_the_function_are_raised_here():
    with pytest.raises(DatasetError, match="Unknown dataset"):
        offload.call("kdviz.data.load:load_dataset", "nope:x")


def test_a_helper_that_cannot_start_means_computing_here(monkeypatch):
    def broken():
        raise OSError("no such executable")

    monkeypatch.setattr(offload, "_Helper", broken)
    monkeypatch.setattr(offload, "_pool", offload._Pool(1))
    before = offload.stats["local"]
    assert offload.call("math:factorial", 5) == 120
    assert offload.stats["local"] == before + 1
    assert offload._pool.started == 0  # the failed start gave its slot back


def test_off_switch(monkeypatch):
    monkeypatch.setenv("KDVIZ_OFFLOAD", "0")
    before = offload.stats["local"]
    assert offload.call("math:factorial", 4) == 24 and offload.stats["local"] == before + 1
