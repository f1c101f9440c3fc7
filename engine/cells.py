"""Spreadsheet cells that stay text (CSV injection), for every CSV we hand out: exports and the rejection report.

Excel and LibreOffice run a cell as a formula when it starts with = + - @ (OWASP's CSV Injection page adds a
tab, a carriage return and a line feed); they skip leading spaces before looking, and a Japanese or Chinese
Excel reads the full-width ＝ ＋ － ＠ as the ASCII ones. A quote mark in front makes any of these text, shown
without the quote.
"""

from __future__ import annotations

import unicodedata
from typing import Final

FORMULA_SIGNS: Final = frozenset("=+-@")
LINE_STARTS: Final = ("\t", "\r", "\n")


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could read `text` as a formula: a sign first (full-width ones too, as NFKC folds
    them), after any leading whitespace, or a tab or line end first."""
    if text.startswith(LINE_STARTS):
        return True
    rest = text.lstrip()
    return bool(rest) and unicodedata.normalize("NFKC", rest[0])[:1] in FORMULA_SIGNS


def safe_text(text: str) -> str:
    """`text` with a leading quote mark when a spreadsheet could run it, else as it is."""
    return "'" + text if formula_like(text) else text
