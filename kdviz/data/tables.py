"""Reading users' tables (CSV uploads, ``csv:`` paths, the OpenML cache) as what they are.

:func:`read_table` turns bytes into a DataFrame: it detects the text encoding (UTF-8 with or without
BOM, UTF-16 with or without BOM, Latin-1), the delimiter (``, ; tab |``, the one that splits every
line into the same number of fields) and decimal commas; columns that are mostly numbers are read as
numbers, their few stray cells ("unknown", "n/a") as missing; ±inf is missing too. Everything it
changes is reported in ``df.attrs["kdviz_notes"]``.

:func:`prepare_table` turns that DataFrame into labels and clean feature columns for one target column
and returns a :class:`DataReport` saying what was dropped, merged and missing. Imputation and one-hot
encoding are fitted later, on the training rows only (:mod:`kdviz.data.encoding`).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from kdviz.data.csvheader import DUPLICATES_ATTR, column_names, header_is_data, preamble
from kdviz.errors import DatasetError

MAX_CLASSES = 20
MIN_ROWS_PER_CLASS = 10
MAX_CATEGORY_LEVELS = 50
#: a column whose non-missing cells are numbers at least this often is numeric (the rest: missing)
NUMERIC_SHARE = 0.9
#: files above this size are parsed in chunks with progress messages
CHUNKED_BYTES = 4_000_000
_CHUNK_ROWS = 100_000
_SEPARATORS = (",", ";", "\t", "|")
_SEP_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
TARGET_HINT = "--target on the command line, the target picker on the Sweep page, target= in Python"

Progress = Callable[[str], None]


@dataclass
class DataReport:
    """What loading did to a table: rows, dropped rows/columns, missing cells, merges and notes."""

    rows_read: int = 0
    rows_used: int = 0
    dropped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self, n_features: int, n_classes: int) -> str:
        """``data: 32561 rows, 105 features after encoding, 2 classes (dropped: …; missing: …)``."""
        rows = f"{self.rows_used} rows" + (f" of {self.rows_read}" if self.rows_used < self.rows_read else "")
        parts = [f"dropped: {', '.join(self.dropped)}" if self.dropped else "",
                 f"missing: {', '.join(self.missing)}" if self.missing else ""]
        extra = "; ".join(p for p in parts if p)
        return (f"data: {rows}, {n_features} features after encoding, {n_classes} classes"
                + (f" ({extra})" if extra else ""))


# --------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------


def read_table(source: str | os.PathLike[str] | bytes | IO[bytes] | IO[str],
               progress: Progress | None = None) -> pd.DataFrame:
    """Parse a CSV from a path, raw bytes or a file-like (e.g. a Streamlit upload).

    ``?``, ``NA`` and empty cells are missing. What was detected or changed is listed in
    ``df.attrs["kdviz_notes"]``. Raises DatasetError for an unreadable, empty, binary or ragged file.
    """
    raw = _read_bytes(source)
    label = str(source) if isinstance(source, (str, os.PathLike)) else "the uploaded data"
    notes: list[str] = []
    if progress and len(raw) > CHUNKED_BYTES:
        progress(f"reading {label} ({len(raw) / 1e6:.1f} MB)")
    text = _decode(raw, label, notes)
    if not text.strip():
        raise DatasetError(f"{label} is empty: expected a CSV file with a header row and data rows.")
    sep = _detect_separator(text)
    skipped = None
    if not _consistent(text, sep):  # e.g. a title line above the header
        rest_sep = _detect_separator(text.lstrip("\r\n").partition("\n")[2])
        text_body, skipped = preamble(text, rest_sep)
    if skipped:
        text, sep = text_body, rest_sep
        notes.append(skipped)
    if sep != ",":
        notes.append(f"{_SEP_NAMES[sep]}-separated")
    df = _parse(text, sep, label, progress)
    names, renames, duplicates = column_names(text, sep, df.shape[1])
    df.columns = names
    number_notes: list[str] = []
    _read_numbers(df, decimal_comma_possible=sep != ",", notes=number_notes)
    if header_is_data(names, df):
        df = _parse(text, sep, label, progress, header=None)
        df.columns = [f"column{i + 1}" for i in range(df.shape[1])]
        _read_numbers(df, decimal_comma_possible=sep != ",", notes=notes)
        notes.append(f"the first row looks like data, not a header ({', '.join(names[:4])}, …): read as data; "
                     f"the columns are named column1 … column{df.shape[1]} (e.g. --target column{df.shape[1]})")
    else:
        notes.extend(number_notes + renames)
        if duplicates:
            df.attrs[DUPLICATES_ATTR] = duplicates
    df.attrs["kdviz_notes"] = notes
    return df


def _parse(text: str, sep: str, label: str, progress: Progress | None, header: int | None = 0) -> pd.DataFrame:
    kw = dict(sep=sep, na_values=["?"], skipinitialspace=True, index_col=False, low_memory=False, header=header)
    try:
        if progress and len(text) > CHUNKED_BYTES:
            chunks = []
            for chunk in pd.read_csv(io.StringIO(text), chunksize=_CHUNK_ROWS, **kw):
                chunks.append(chunk)
                progress(f"parsed {sum(len(c) for c in chunks):,} rows")
            df = pd.concat(chunks, ignore_index=True)
        else:
            df = pd.read_csv(io.StringIO(text), **kw)
    except pd.errors.EmptyDataError as exc:
        raise DatasetError(f"{label} contains no data: expected a header row and data rows.") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise DatasetError(
            f"{label} could not be parsed as CSV ({short_message(exc)}). Check that every row has the same "
            "number of fields as the header and that the delimiter is consistent."
        ) from exc
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise DatasetError(f"{label} has a header but no data rows.")
    return df


def _read_bytes(source: str | os.PathLike[str] | bytes | IO[bytes] | IO[str]) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise DatasetError(
                f"File not found: {path}. Check the path (absolute, or relative to {Path.cwd()})."
            )
        if path.is_dir():
            raise DatasetError(f"{path} is a directory; give the path of a CSV file.")
        try:
            return path.read_bytes()
        except OSError as exc:
            raise DatasetError(f"Cannot read {path}: {exc.strerror or exc}. Check its permissions.") from exc
    if hasattr(source, "read"):
        pos = source.tell() if hasattr(source, "seekable") and source.seekable() else None
        try:
            data = source.read()
        except (OSError, ValueError) as exc:
            raise DatasetError(f"Cannot read the uploaded data: {exc}.") from exc
        if pos is not None:
            source.seek(pos)
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    raise DatasetError(
        f"Cannot read a table from {type(source).__name__}: give a path, bytes or a file object."
    )


def _decode(raw: bytes, label: str, notes: list[str]) -> str:
    """Text of the file: UTF-8 (BOM or not), UTF-16 (BOM, or the zero bytes of ASCII text), Latin-1."""
    head = raw[:8192]
    utf16 = None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        utf16 = "utf-16"
    elif len(head) >= 4 and b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
            utf16 = "utf-16-le"
        elif even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
            utf16 = "utf-16-be"
    if utf16:
        try:
            text = raw.decode(utf16)
        except UnicodeDecodeError:
            pass
        else:
            notes.append("read as UTF-16 text")
            return text.lstrip("\ufeff")
    if b"\x00" in head:
        raise DatasetError(
            f"{label} looks like a binary file (Excel, zip, ...), not a CSV. Export it as CSV and try again."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
        high = sum(1 for b in head if b >= 128)
        if controls > 0.01 * len(head) or high > 0.3 * len(head):
            raise DatasetError(
                f"{label} looks like a binary file, not a text CSV. Export it as CSV (UTF-8) and try again."
            ) from None
        notes.append("read as Latin-1 text (not valid UTF-8)")
        return raw.decode("latin-1")


def _detect_separator(text: str) -> str:
    """The separator that splits the first lines into the same number (≥ 2) of fields."""
    lines = [ln for ln in text.lstrip().splitlines()[:50] if ln.strip()]
    best, best_key = None, (0, 0)
    for sep in _SEPARATORS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=sep)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        consistent = sum(c == counts[0] for c in counts) / len(counts)
        key = (consistent >= 0.9, counts[0])
        if key > best_key:
            best, best_key = sep, key
    if best is None:  # one column, or nothing consistent: the header's most frequent separator
        return max(_SEPARATORS, key=lines[0].count) if lines else ","
    return best


def _consistent(text: str, sep: str) -> bool:
    """Whether `sep` splits the first line and (nearly) all of the next 49 into the same number ≥ 2 of fields."""
    lines = [ln for ln in text.lstrip().splitlines()[:50] if ln.strip()]
    try:
        counts = [len(row) for row in csv.reader(lines, delimiter=sep)]
    except csv.Error:
        return False
    return bool(counts) and counts[0] >= 2 and sum(c == counts[0] for c in counts) >= 0.9 * len(counts)


_DECIMAL_COMMA = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")


def _as_numbers(s: pd.Series, decimal_comma: bool) -> pd.Series:
    t = s.astype(str).str.strip()
    if decimal_comma:
        ok = t.str.match(_DECIMAL_COMMA)
        t = t.where(~ok, t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    return pd.to_numeric(t, errors="coerce")


def _read_numbers(df: pd.DataFrame, *, decimal_comma_possible: bool, notes: list[str]) -> None:
    """Mostly-numeric text columns become numbers (in place); stray cells become missing, reported."""
    comma_cols: list[str] = []
    stray: list[str] = []
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        present = s.notna()
        n = int(present.sum())
        if n == 0:
            continue
        best, best_ok, comma = None, 0, False
        for dc in (False, True) if decimal_comma_possible else (False,):
            num = _as_numbers(s[present], dc)
            ok = int(num.notna().sum())
            if ok > best_ok:
                best, best_ok, comma = num, ok, dc
        if best is None or best_ok < NUMERIC_SHARE * n:
            continue
        values = pd.Series(np.nan, index=s.index, dtype=np.float64)
        values[present] = best.to_numpy(dtype=np.float64, na_value=np.nan)
        df[col] = values
        if comma:
            comma_cols.append(col)
        bad = s[present][best.isna().to_numpy()]
        if len(bad):
            examples = ", ".join(repr(str(v)) for v in pd.unique(bad.astype(str))[:3])
            stray.append(f"{col!r}: {len(bad)} non-numeric cell{'s' if len(bad) > 1 else ''} ({examples})")
    if comma_cols:
        notes.append(f"decimal commas read as numbers in {len(comma_cols)} column(s): "
                     + ", ".join(repr(c) for c in comma_cols[:8]) + (" …" if len(comma_cols) > 8 else ""))
    if stray:
        notes.append("read as missing in numeric columns: " + "; ".join(stray[:8])
                     + (" …" if len(stray) > 8 else ""))


# --------------------------------------------------------------------------------------------------
# Features and labels
# --------------------------------------------------------------------------------------------------


def short_message(exc: BaseException, limit: int = 200) -> str:
    msg = " ".join(str(exc).split())
    return msg if len(msg) <= limit else msg[: limit - 3] + "..."


def _list_columns(columns: list[str], limit: int = 40) -> str:
    shown = ", ".join(repr(c) for c in columns[:limit])
    return shown + (f", ... ({len(columns)} columns)" if len(columns) > limit else "")


def _label_key(v: str) -> str:
    return v.strip().rstrip(".").strip().casefold()


def _merge_label_variants(values: pd.Series, report: DataReport) -> pd.Series:
    """Labels that differ only by case, spaces or a trailing dot (`>50K` / `>50K.`) are one class; the
    note lists every variant of every merged class with its rows (`' no'` with its leading space)."""
    values = values.astype(str)
    counts = values.value_counts()
    groups: dict[str, list[str]] = {}
    for v in counts.index:
        groups.setdefault(_label_key(v), []).append(v)
    mapping: dict[str, str] = {}
    merges = []
    for variants in groups.values():
        keep = max(variants, key=lambda v: (counts[v], v == v.strip(), -len(v))).strip()
        for v in variants:
            mapping[v] = keep
        if len(variants) > 1:
            listing = ", ".join(f"{v!r} ({counts[v]} rows)" for v in sorted(variants, key=lambda v: -counts[v]))
            merges.append(f"{keep!r} ← {listing}")
    if merges:
        report.notes.append("labels merged (they differ only by case, spaces or a trailing dot): "
                            + "; ".join(merges))
    return values.map(mapping)


def encode_target(col: pd.Series, target: str, report: DataReport | None = None) -> tuple[np.ndarray, list[str]]:
    report = report if report is not None else DataReport()
    if pd.api.types.is_bool_dtype(col):
        col = col.astype(np.int64)
    numeric = pd.api.types.is_numeric_dtype(col)
    if not numeric:
        col = _merge_label_variants(col, report)
    values = col.to_numpy()
    uniques = pd.unique(values)
    n_unique = len(uniques)
    if n_unique < 2:
        only = repr(uniques[0].item() if hasattr(uniques[0], "item") else uniques[0]) if n_unique else "nothing"
        raise DatasetError(
            f"Target column {target!r} has only one class ({only}); distillation needs at least two. "
            "Pick another target column."
        )
    if n_unique > MAX_CLASSES:
        hint = (
            " It looks continuous (a regression target); kdviz only does classification: bin it into "
            "a few classes first, or pick a categorical column."
            if numeric
            else " Pick a target with fewer classes or merge rare classes."
        )
        raise DatasetError(
            f"Target column {target!r} has {n_unique} distinct values; at most {MAX_CLASSES} classes are "
            f"supported.{hint}"
        )
    if numeric:
        levels = sorted(uniques.tolist())
        names = [str(int(v)) if float(v).is_integer() else str(v) for v in levels]
    else:
        levels = sorted(str(v) for v in uniques)
        values = np.array([str(v) for v in values], dtype=object)
        names = levels
    lookup = {v: i for i, v in enumerate(levels)}
    y = np.array([lookup[v] for v in values.tolist()], dtype=np.int64)
    counts = np.bincount(y, minlength=len(levels))
    small = [(names[i], int(c)) for i, c in enumerate(counts) if c < MIN_ROWS_PER_CLASS]
    if small:
        listing = ", ".join(f"{cls!r} has {cnt} rows" for cls, cnt in small)
        raise DatasetError(
            f"Too few rows per class in target {target!r}: {listing}; every class needs at least "
            f"{MIN_ROWS_PER_CLASS}. Remove or merge the rare classes, or use more data."
        )
    return y, names


def _id_like(s: pd.Series) -> bool:
    """Unique per row: a text ID (or free text), or an integer row number (consecutive values)."""
    present = s.dropna()
    if len(present) < 20:
        return False
    if pd.api.types.is_numeric_dtype(s):
        if present.nunique() != len(present) or not np.all(np.mod(present, 1) == 0):
            return False
        v = np.sort(present.to_numpy(dtype=np.float64))
        return bool(np.all(np.diff(v) == 1))
    n_unique = present.astype(str).str.strip().nunique()
    return n_unique > MAX_CATEGORY_LEVELS and n_unique >= 0.95 * len(present)


def clean_features(features: pd.DataFrame, report: DataReport | None = None) -> pd.DataFrame:
    """The usable feature columns as they are: numbers as float64 (±inf → missing), text as stripped str.

    Empty and ID-like columns (unique per row) are dropped, missing cells counted; both go into the
    report. Nothing is imputed or encoded here: :func:`kdviz.data.encoding.encode_split` fits that on the
    training rows. Numeric columns have dtype float64, categorical ones object (str, or NaN if missing).
    """
    report = report if report is not None else DataReport()
    columns: dict[str, np.ndarray] = {}
    for col in features.columns:
        s = features[col]
        if s.isna().all():
            report.dropped.append(f"column {col!r} (empty)")
            continue
        if pd.api.types.is_bool_dtype(s):
            columns[str(col)] = s.to_numpy(dtype=np.float64)
            continue
        if _id_like(s):
            report.dropped.append(f"column {col!r} (unique per row: an ID)")
            continue
        if pd.api.types.is_numeric_dtype(s):
            x = s.to_numpy(dtype=np.float64, na_value=np.nan)
            inf = np.isinf(x)
            if inf.any():
                report.missing.append(f"{col!r} {int(inf.sum())} infinite")
                x = np.where(inf, np.nan, x)
            if np.isnan(x).all():
                report.dropped.append(f"column {col!r} (no finite values)")
                continue
            nan = int(np.isnan(x).sum() - inf.sum())
            if nan:
                report.missing.append(f"{col!r} {nan}")
            columns[str(col)] = x
            continue
        present = s.notna().to_numpy()
        text = np.full(len(s), np.nan, dtype=object)
        text[present] = [str(v).strip() for v in s[present].tolist()]
        if not present.all():
            report.missing.append(f"{col!r} {int((~present).sum())}")
        columns[str(col)] = text
    return pd.DataFrame(columns, index=pd.RangeIndex(len(features)))


def prepare_table(df: pd.DataFrame, target: str | None) -> tuple[pd.DataFrame, np.ndarray, list[str], DataReport]:
    """Feature columns (see :func:`clean_features`), labels, class names and the report, for one target."""
    columns = [str(c) for c in df.columns]
    report = DataReport(rows_read=len(df), notes=list(df.attrs.get("kdviz_notes", [])))
    if not target:
        raise DatasetError(
            f"Name the label column ({TARGET_HINT}). Available columns: {_list_columns(columns)}."
        )
    if target not in df.columns:
        raise DatasetError(
            f"Target column {target!r} not found ({TARGET_HINT}). Available columns: {_list_columns(columns)}."
        )
    same = df.attrs.get(DUPLICATES_ATTR, {}).get(target)
    if same:
        where = ", ".join(f"{name!r} (column {columns.index(name) + 1})" for name in same)
        raise DatasetError(
            f"Target {target!r} matches {len(same)} columns, all headed {target!r} in the file: {where}. "
            f"Rename them in the file so that each name is unique, or pick one by the name kdviz gave it, "
            f"e.g. --target {same[1]!r} (target={same[1]!r} in Python)."
        )
    labelled = df[target].notna()
    if not labelled.all():
        report.dropped.append(f"{int((~labelled).sum())} rows with a missing target")
        df = df[labelled]
    if df.empty:
        raise DatasetError(f"Target column {target!r} is empty (all values missing). Pick another column.")
    y, class_names = encode_target(df[target], target, report)
    features = clean_features(df.drop(columns=[target]), report)
    if features.shape[1] == 0:
        raise DatasetError(
            f"No feature columns left: besides the target {target!r} the table has no usable columns "
            f"({', '.join(report.dropped) or 'all others are missing'}). Add feature columns to the file."
        )
    report.rows_used = len(y)
    return features, y, class_names, report
