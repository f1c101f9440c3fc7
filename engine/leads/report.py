"""The rejection report: one CSV row per line of the upload that was not imported (or imported flagged), with
the reason in the reader's language. UTF-8 with a BOM, so Excel opens it with Cyrillic intact; separated as the
upload was (comma or semicolon: the list separator of the Excel that saved it, which is the one that opens the
report in columns), semicolons otherwise, as Excel in Russia has them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from engine.cells import safe_text

REASON_PREFIX = "leads-reason-"
EXCEL_SEPARATORS = ",;"  # the list separators Excel splits a double-clicked .csv on (by its regional settings)


@dataclass(frozen=True, slots=True)
class Rejection:
    line: int  # where the record ends in the file (1-based, the header is line 1)
    raw: str  # the email cell as it was
    reason: str  # syntax, empty, duplicate, disposable, no_mx, no_domain, null_mx, suppressed, no_legal_basis, …


def reason_key(reason: str) -> str:
    """The locale message naming a reason (`no_mx` → `leads-reason-no-mx`)."""
    return REASON_PREFIX + reason.replace("_", "-")


def rejection_csv(
    rejections: Iterable[Rejection], t: Callable[..., str], *, omitted: int = 0, delimiter: str = ";"
) -> bytes:
    """The report as bytes (UTF-8 with BOM), in line order, separated by `delimiter` when it is a comma or a
    semicolon (the upload's), else by semicolons. `omitted` rows past the report's cap are announced in a last
    line."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter if delimiter in EXCEL_SEPARATORS else ";", lineterminator="\r\n")
    writer.writerow([t("leads-report-line"), t("leads-report-email"), t("leads-report-reason")])
    for r in sorted(rejections, key=lambda r: r.line):
        writer.writerow([r.line, _safe(r.raw), t(reason_key(r.reason))])
    if omitted:
        writer.writerow(["", "", t("leads-report-omitted", count=omitted)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _safe(value: Any) -> str:
    """A cell Excel will not run as a formula (CSV injection, `engine.cells`): such a cell gets a quote mark."""
    return safe_text(str(value)[:320])
