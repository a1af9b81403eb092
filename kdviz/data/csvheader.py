"""The first lines of a user's CSV: a title line above the header, the header's names, no header at all.

Used by :func:`kdviz.data.tables.read_table`; every change is returned as a note for the data report:

- :func:`preamble` — a first line that is neither header nor data (UCI's ``adult.test`` starts with
  ``|1x3 Cross validator``): its number of fields differs from that of the lines below, which agree;
- :func:`column_names` — the header as written, with every rename said: an empty cell becomes
  ``Unnamed: <i>``, a repeated name ``<name>.1``, ``<name>.2`` (:data:`DUPLICATES_ATTR` keeps which
  columns shared a name, so a target naming several of them is refused, not guessed);
- :func:`header_is_data` — a "header" that is really the first data row (a file without a header).
"""

from __future__ import annotations

import csv
import io

import pandas as pd

#: ``df.attrs`` key: {name as written: [the column names it became]} for repeated header names
DUPLICATES_ATTR = "kdviz_duplicates"


def _fields(line: str, sep: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=sep), [])
    except csv.Error:
        return []


def preamble(text: str, sep: str) -> tuple[str, str | None]:
    """`text` without a first line that is neither header nor data, and the note saying so.

    The first line is such a line when the next (up to 50) lines split into the same number ≥ 2 of
    fields and it splits into one field, or fewer than half of theirs (a title, a comment).
    """
    body = text.lstrip("\r\n")
    first, _, rest = body.partition("\n")
    lines = [ln for ln in rest.splitlines()[:50] if ln.strip()]
    if len(lines) < 2 or not first.strip():
        return text, None
    counts = [len(_fields(ln, sep)) for ln in lines]
    n = max(set(counts), key=counts.count)
    if n < 2 or counts.count(n) < 0.9 * len(counts):
        return text, None
    m = len(_fields(first, sep))
    if m == n or not (m == 1 or m < n / 2):
        return text, None
    shown = first.strip()
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return rest, (f"skipped the first line {shown!r}: it is neither a header nor data ({m} field"
                  f"{'s' if m != 1 else ''}; the lines below have {n})")


def column_names(text: str, sep: str, n_columns: int) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """(names, notes, duplicates): the header as written (stripped), renames noted.

    An empty header cell in column i (1-based) is named ``Unnamed: <i-1>`` (pandas' name); the second,
    third … column with a name already used gets ``<name>.1``, ``<name>.2`` (the first keeps it).
    """
    try:
        raw = next(csv.reader(io.StringIO(text), delimiter=sep, skipinitialspace=True), [])
    except csv.Error:
        raw = []
    if len(raw) != n_columns:
        raw = [""] * n_columns if not raw else (raw + [""] * n_columns)[:n_columns]
    names: list[str] = []
    empty: list[str] = []
    groups: dict[str, list[int]] = {}
    stripped = [str(r).strip() for r in raw]
    taken = set(stripped)
    for i, name in enumerate(stripped):
        if not name:
            name = f"Unnamed: {i}"
            empty.append(f"column {i + 1} → {name!r}")
        elif name in groups:
            k = len(groups[name])
            while f"{name}.{k}" in taken:
                k += 1
            new = f"{name}.{k}"
            taken.add(new)
            groups[name].append(i)
            names.append(new)
            continue
        groups.setdefault(name, []).append(i)
        names.append(name)
    notes: list[str] = []
    if empty:
        notes.append("empty header cell(s) named: " + ", ".join(empty))
    duplicates = {name: [names[i] for i in idx] for name, idx in groups.items() if len(idx) > 1}
    for name, renamed in duplicates.items():
        cols = ", ".join(str(i + 1) for i in groups[name])
        notes.append(f"the name {name!r} heads columns {cols}: read as " + ", ".join(repr(r) for r in renamed))
    return names, notes, duplicates


def _number(v: str) -> float | None:
    try:
        return float(str(v).strip())
    except ValueError:
        return None


def header_is_data(names: list[str], df: pd.DataFrame) -> bool:
    """Whether the header row is really a data row (a file without a header).

    True when every numeric column is headed by a number, every text column by one of its own
    values (``Private``, ``<=50K.``), and the numbers are not just column indices (``0,1,2,…``).
    """
    nums, texts = [], 0
    for name, col in zip(names, df.columns, strict=True):
        s = df[col]
        if pd.api.types.is_numeric_dtype(s):
            x = _number(name)
            if x is None:
                return False
            nums.append(x)
        else:
            values = set(s.dropna().astype(str).str.strip().unique().tolist())
            if name.strip() not in values:
                return False
            texts += 1
    if not nums and not texts:
        return False
    if not texts and all(x.is_integer() and 0 <= x <= len(names) for x in nums):
        return False
    return True
