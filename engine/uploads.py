"""Uploaded text files (lists and CSVs sent in chat): bounded, decoded, and refused when they are not text.

Russian Excel saves CSV as Windows-1251, its "Unicode text" as UTF-16 with a BOM, everything else writes UTF-8.
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
_CONTROL: Final = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r", "\f", "\v"}


def check_size(size: int, *, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Refuse a file by its size alone, before reading or parsing it (`error-upload-too-large`)."""
    if size > max_bytes:
        raise UserError("error-upload-too-large", limit_kb=str(max_bytes // 1024))


def decode_upload(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """The text of an uploaded file.

    Raises `UserError`: `error-upload-too-large`, `error-upload-binary` (NUL or other control bytes: not a text
    file), `error-upload-mixed-encoding` (UTF-8 and Windows-1251 lines in one file; names the lines),
    `error-upload-encoding` (neither UTF-8 nor Windows-1251).
    """
    check_size(len(data), max_bytes=max_bytes)
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


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
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
