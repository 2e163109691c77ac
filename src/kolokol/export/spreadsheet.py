"""CSV that a spreadsheet opens as data, never as formulas: the one writer of every CSV Kolokol makes.

Report text is hostile input. A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
is run as a formula by Excel and LibreOffice ("CSV injection", OWASP). Following OWASP's advice:

- a text cell that starts with one of those characters gets a single quote in front (`'=1+1`), which
  spreadsheets show as text; nothing else of the value changes;
- every text cell is enclosed in double quotes (embedded quotes doubled), so a separator inside a
  value (`;` is the list separator of Russian and most European locales) cannot start a new cell;
- numeric columns stay numeric: a number there (`-73.5`, `-3`) is written as it is, unquoted; only
  text that is not a number is guarded like any text cell.

Dates (`2024-03-09`) start with a digit and are never touched.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def safe_text(value: str) -> str:
    """`value` as a spreadsheet shows it as text: a leading formula character gets a quote in front."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def safe_cell(value: Any, *, numeric: bool = False) -> Any:
    """One cell: a number as a number (it cannot be a formula), None as empty, text guarded; in a
    `numeric` column a string that is a number becomes that number."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value if math.isfinite(value) else ""
    text = str(value)
    if numeric and _NUMBER.fullmatch(text):
        return float(text) if any(c in text for c in ".eE") else int(text)
    return safe_text(text)


class SafeCsvWriter:
    """A `csv.DictWriter` over `columns` that guards every cell (`safe_cell`); `numeric` names the
    columns that hold numbers."""

    def __init__(self, out: TextIO, columns: Sequence[str], *, numeric: Iterable[str] = ()) -> None:
        self.columns = list(columns)
        self.numeric = frozenset(numeric)
        unknown = self.numeric - set(self.columns)
        if unknown:
            raise ValueError(f"numeric columns {sorted(unknown)} are not columns")
        self._writer = csv.DictWriter(out, fieldnames=self.columns, lineterminator="\n",
                                      quoting=csv.QUOTE_NONNUMERIC)

    def writeheader(self) -> None:
        self._writer.writerow({c: safe_text(c) for c in self.columns})

    def writerow(self, row: Mapping[str, Any]) -> None:
        """A data row: numbers stay numbers in numeric columns, everything else is guarded text."""
        self._writer.writerow({c: safe_cell(row.get(c), numeric=c in self.numeric) for c in self.columns})

    def writelabels(self, row: Mapping[str, Any]) -> None:
        """A row of labels (an HXL hashtag row): text in every column."""
        self._writer.writerow({c: safe_text(str(row.get(c) or "")) for c in self.columns})
