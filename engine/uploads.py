"""Uploaded text files (lists and CSVs sent in chat): bounded, decoded, and refused when they are not text.

Russian Excel saves CSV as Windows-1251, its "Unicode text" as UTF-16 with a BOM (some exporters leave the BOM
out: `utf16_without_bom`), everything else writes UTF-8.
A file that mixes UTF-8 lines with Windows-1251 lines (two exports pasted together) cannot be decoded as either
without garbling some rows, so it is refused with the line numbers of the minority encoding, never stored half
right. Callers check the size before anything else and parse big files off the event loop
(`decode_upload_async`).
"""

from __future__ import annotations

import asyncio
import codecs
from typing import Final

from engine.errors import UserError

MAX_UPLOAD_BYTES: Final = 2 * 1024 * 1024
"""The largest file accepted anywhere (2 MiB: about 40,000 CSV rows, far above any one import)."""

OFF_LOOP_BYTES: Final = 64 * 1024
"""Files larger than this are decoded in a worker thread, so other chat users' commands are not held up."""

_LINES_NAMED: Final = 5  # how many offending line numbers an error names
_SAMPLE_BYTES: Final = 64 * 1024  # where an Office file's ZIP names its first entries (xl/…, word/…)
# magic numbers of what people send instead of a CSV: (prefix, name shown to the person)
_FORMATS: Final = (
    (b"PK\x03\x04", "XLSX/ZIP"),
    (b"PK\x05\x06", "ZIP"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "XLS"),
    (b"%PDF", "PDF"),
    (b"\x1f\x8b", "GZIP"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7Z"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"{\\rtf", "RTF"),
)
_CONTROL: Final = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r", "\f", "\v"}


def check_size(size: int, *, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Refuse a file by its size alone, before reading or parsing it (`error-upload-too-large`)."""
    if size > max_bytes:
        raise UserError("error-upload-too-large", limit_kb=str(max_bytes // 1024))


_ZIPPED_DOCUMENTS: Final = (
    (b"word/", "DOCX"),
    (b"xl/", "XLSX"),
    (b"application/vnd.oasis.opendocument.spreadsheet", "ODS"),
    (b"application/vnd.oasis.opendocument.text", "ODT"),
    (b"Index/Document.iwa", "Numbers"),
)
"""What in a ZIP's first bytes names the document it is: the entries of Office files, the stored `mimetype` entry
an OpenDocument file (LibreOffice, OpenOffice) must begin with, the index of an Apple Numbers (iWork) file."""


_MARKUP: Final = ((b"<html", "HTML"), (b"<!doctype html", "HTML"), (b"<table", "HTML"), (b"<?xml", "XML"),
                  (b"begin:vcard", "VCF"))  # fmt: skip
"""How a web page, an XML file or a contact card file begins: CRMs (Bitrix24, amoCRM) and 1C export "Excel" lists
as an HTML table in a file named .xls, Excel 2003 saved "XML Spreadsheet", and phones and mail clients export
contacts as .vcf (its "EMAIL:ivan@acme.ru" line was taken for a header); our CSV reader can read none of them."""


def _markup(sample: bytes) -> str | None:
    head = sample[:512].removeprefix(codecs.BOM_UTF8).lstrip().lower()
    return next((name for start, name in _MARKUP if head.startswith(start)), None)


def known_format(sample: bytes) -> str | None:
    """The name of a known non-text format the file starts with ("DOCX", "XLSX", "ODS", "PDF", …), else None.
    A document saved as a ZIP is named by what is inside (`_ZIPPED_DOCUMENTS`): an .ods is a ZIP of several
    files too, and was answered "an archive must hold one CSV, this one holds 4: mimetype, content.xml, …". A web
    page or an XML file is named too (`_MARKUP`)."""
    for magic, name in _FORMATS:
        if sample.startswith(magic):
            if magic == b"PK\x03\x04":
                return next((document for marker, document in _ZIPPED_DOCUMENTS if marker in sample), name)
            return name
    return _markup(sample)


def decode_upload(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """The text of an uploaded file.

    Raises `UserError`: `error-upload-too-large`, `error-upload-format` (a spreadsheet, a PDF, an archive…:
    named), `error-upload-binary` (NUL or other control bytes: not a text file), `error-upload-mixed-encoding`
    (UTF-8 and Windows-1251 lines in one file; names the lines), `error-upload-encoding` (neither UTF-8 nor
    Windows-1251).
    """
    check_size(len(data), max_bytes=max_bytes)
    if (name := known_format(data[:_SAMPLE_BYTES])) is not None:  # an .xlsx sent for a CSV: say so, by name
        raise UserError("error-upload-format", format=name)
    text = _decode(data)
    bad = [n for n, line in enumerate(text.splitlines(), 1) if not _CONTROL.isdisjoint(line)]
    if bad:
        raise UserError("error-upload-binary", lines=_numbers(bad), count=len(bad))
    return text


async def decode_upload_async(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """`decode_upload`, in a worker thread when the file is big."""
    check_size(len(data), max_bytes=max_bytes)
    if len(data) <= OFF_LOOP_BYTES:
        return decode_upload(data, max_bytes=max_bytes)
    return await asyncio.to_thread(decode_upload, data, max_bytes=max_bytes)


def utf16_encoding(sample: bytes) -> str | None:
    """The codec of a UTF-16 file from its first bytes: "utf-16" with a BOM, `utf16_without_bom`'s byte order
    without one; None when it is not UTF-16."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return utf16_without_bom(sample)


def utf16_without_bom(sample: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" when `sample` is UTF-16 text saved without a BOM (some exporters write it so),
    else None. Its ASCII (addresses, digits, separators) puts a NUL in every other byte and almost never in the
    others, and it decodes to text in the alphabets our files hold (Latin, Cyrillic, punctuation) with no control
    character but tab and line ends. Text in any 8-bit encoding holds no NUL at all: a stray NUL is still binary."""
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even, odd = sample[0 : pairs * 2 : 2].count(0), sample[1 : pairs * 2 : 2].count(0)
    for order, nuls, others in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if nuls * 4 >= pairs and others * 100 <= pairs:
            try:  # not final: the sample may end inside a surrogate pair
                text = codecs.getincrementaldecoder(order)().decode(sample[: pairs * 2], final=False)
            except UnicodeDecodeError:
                return None
            return order if _looks_like_text(text) else None
    return None


def _looks_like_text(text: str) -> bool:
    """At least 98 % Latin, Cyrillic or punctuation, and no control character but tab and line ends."""
    readable = sum(
        1
        for ch in text
        if " " <= ch < "\u0250" or "\u0400" <= ch <= "\u052f" or "\u2000" <= ch <= "\u206f" or ch in "\t\r\n№"
    )
    return readable * 100 >= len(text) * 98 and not any(ch < " " and ch not in "\t\r\n" for ch in text)


def _decode(data: bytes) -> str:
    order = utf16_encoding(data[:4096])
    if order is not None:
        try:
            return data.decode(order)
        except UnicodeDecodeError:
            raise UserError("error-upload-encoding") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lines = data.removeprefix(codecs.BOM_UTF8).splitlines()
    utf8 = [n for n, line in enumerate(lines, 1) if not line.isascii() and _is_utf8(line)]
    if utf8:  # some lines are UTF-8 with Cyrillic or other non-ASCII text, others are not
        other = [n for n, line in enumerate(lines, 1) if not _is_utf8(line)]
        raise UserError("error-upload-mixed-encoding", lines=_numbers(other), count=len(other))
    try:
        return data.decode("cp1251")
    except UnicodeDecodeError:  # 0x98 is the one byte Windows-1251 leaves undefined
        raise UserError("error-upload-encoding") from None


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _numbers(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:_LINES_NAMED])
    return shown + (" …" if len(lines) > _LINES_NAMED else "")
