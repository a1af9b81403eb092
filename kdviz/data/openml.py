"""OpenML datasets: fetched once with scikit-learn, cached as CSV, read back through the CSV reader.

``openml:<name>[@V]`` asks for version V (default 1) of an OpenML dataset. The first load fetches it
with ``sklearn.datasets.fetch_openml`` and writes ``<name>-v<V>.csv`` plus a small JSON (the default
target) under the cache (``$KDVIZ_HOME/cache/openml`` unless ``cache_dir`` is given); every later load
reads that CSV with :func:`kdviz.data.tables.read_table`, offline. When OpenML cannot be reached and the
dataset is not cached, :func:`check_openml` and :func:`openml_frame` fail within a few seconds with a
message naming the offline way (``csv:<path>``).
"""

from __future__ import annotations

import json
import os
import re
import socket
import tempfile
from pathlib import Path

import pandas as pd

from kdviz.data.tables import read_table, short_message
from kdviz.errors import DatasetError
from kdviz.runtime.home import kdviz_home

__all__ = ["OPENML_HOST", "check_openml", "openml_frame", "openml_version"]

OPENML_HOST = "www.openml.org"
OPENML_PORT = 443
OPENML_TIMEOUT_S = 3.0


def _default_cache_dir() -> Path:
    return kdviz_home() / "cache" / "openml"


def _cache_root(cache_dir: str | os.PathLike[str] | None) -> Path:
    return Path(cache_dir).expanduser() if cache_dir is not None else _default_cache_dir()


def _openml_reachable(timeout: float = OPENML_TIMEOUT_S) -> bool:
    """True when a TCP connection to the OpenML server opens within ``timeout`` seconds."""
    try:
        with socket.create_connection((OPENML_HOST, OPENML_PORT), timeout=timeout):
            return True
    except OSError:
        return False


def _fetch_openml(name: str, data_home: str, version: int = 1) -> tuple[pd.DataFrame, str | None]:
    from sklearn.datasets import fetch_openml

    bunch = fetch_openml(name=name, version=version, data_home=data_home, as_frame=True)
    frame = bunch.frame
    targets = list(bunch.target_names or [])
    if frame is None:
        frame = pd.concat([bunch.data, bunch.target], axis=1)
    return frame, (str(targets[0]) if targets else None)


def check_openml(name: str, cache_dir: str | os.PathLike[str] | None = None) -> None:
    """Raise DatasetError now (not at Run) when `name` is neither cached nor downloadable."""
    root = _cache_root(cache_dir)
    stem = _openml_stem(name)
    if not ((root / f"{stem}.csv").exists() and (root / f"{stem}.json").exists()) and not _openml_reachable():
        raise DatasetError(_offline_message(name, root))


def openml_version(name: str) -> tuple[str, int]:
    """``"Adult@2"`` → ("Adult", 2); a plain name is version 1."""
    base, sep, ver = name.partition("@")
    if not sep:
        return name, 1
    if not ver.isdigit() or int(ver) < 1:
        raise DatasetError(f"OpenML version must be a positive integer, as in 'openml:{base}@2', got {ver!r}")
    return base, int(ver)


def _openml_stem(name: str) -> str:
    base, version = openml_version(name)
    return re.sub(r"[^A-Za-z0-9_.-]", "_", base) + f"-v{version}"


def _offline_message(name: str, root: Path) -> str:
    return (f"OpenML ({OPENML_HOST}) cannot be reached, and {name!r} is not cached in {root}. "
            f"Download the dataset as CSV on a machine with internet access (e.g. from "
            f"https://www.openml.org/search?type=data&q={name}) and load it with 'csv:<path>' and "
            "target=<label column>, or upload the CSV on the Sweep page.")


def openml_frame(name: str, cache_dir: str | os.PathLike[str] | None = None) -> tuple[pd.DataFrame, str | None]:
    """The OpenML table and its default target, read through the CSV reader from the cache (fetched once).

    ``name@V`` asks for version V (default 1), e.g. ``Adult@2`` as the paper loads it.
    """
    stem = _openml_stem(name)
    name, version = openml_version(name)
    root = _cache_root(cache_dir)
    csv_path, meta_path = root / f"{stem}.csv", root / f"{stem}.json"
    if not (csv_path.exists() and meta_path.exists()):
        if not _openml_reachable():
            raise DatasetError(_offline_message(name, root))
        try:
            home = str(root / "sklearn")
            frame, default_target = _fetch_openml(name, home) if version == 1 else _fetch_openml(name, home, version)
        except Exception as exc:  # any fetch failure becomes a user-facing message
            raise DatasetError(
                f"Fetching {name!r} (version {version}) from OpenML failed: {short_message(exc)}. Check the dataset name "
                "on openml.org, or download it as CSV and use 'csv:<path>' with target=<label column>."
            ) from exc
        root.mkdir(parents=True, exist_ok=True)
        _atomic_write(csv_path, frame.to_csv(index=False).encode("utf-8"))
        _atomic_write(meta_path, json.dumps({"name": name, "version": version, "target": default_target}).encode())
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError) as exc:
        raise DatasetError(
            f"The OpenML cache entry {meta_path} is corrupt; delete it and load again."
        ) from exc
    return read_table(csv_path), meta.get("target")


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
