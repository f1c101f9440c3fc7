"""An uploaded lead file as a stream of rows: never the whole file as rows in memory.

The bytes are checked for size first, then a sample decides the format (a spreadsheet or any other binary sent by
mistake is refused by name; a file packed as .gz, or alone in a .zip, is read unpacked, at most as large as a plain
file may be: a CSV of a million rows packs under the 20 MB a Telegram bot may download), the encoding (UTF-8, UTF-8
with a BOM, UTF-16 with or without a BOM, Windows-1251 as Russian Excel saves CSV), the line ending (LF or CRLF, or
a bare CR as "CSV (Macintosh)" saves it) and the delimiter (comma, semicolon or tab: `csv.Sniffer` on the sample,
else the most frequent one in the header line). Lines are decoded one at a time as the `csv` reader asks for them,
so a quoted field spanning lines works and a line in another encoding is named by its number. A quote left open runs
to the end of the file: that is refused with the line it opened on, never read as one long cell.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, BinaryIO, Final, cast

from engine.errors import UserError
from engine.uploads import known_format, utf16_encoding

MAX_LEAD_FILE_BYTES: Final = 64 * 1024 * 1024
"""The largest lead file accepted (64 MiB: about a million rows of a few columns)."""
SAMPLE_BYTES: Final = 64 * 1024  # what the format, encoding and delimiter guesses read
MAX_FIELD_CHARS: Final = 10_000  # one cell; a longer one is a broken quote swallowing the file
MAX_COLUMNS: Final = 200
DELIMITERS: Final = ",;\t"
_END: Final = "\x1e"  # a last line fed to the csv reader after the file: inside a quote it ends up in the cell
_READ_BYTES: Final = 64 * 1024  # a chunk of a file whose lines end in a bare CR

_CONTROL: Final = frozenset(range(32)) - {9, 10, 13, 12, 11}
_CONTROL_CHAR: Final = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
"""The same control characters in decoded text, with DEL and the C1 range (U+0080–U+009F, never a letter in a
file of ours: 0x80–0x9F of Windows-1251 decode to letters)."""


@dataclass(frozen=True)
class Layout:
    """What the sample says about a file: its encoding and delimiter."""

    encoding: str  # "utf-8-sig", "utf-8", "utf-16" (with a BOM), "utf-16-le", "utf-16-be" (without), "cp1251"
    delimiter: str
    newline: str = "\n"  # "\r" when lines end in a bare CR (no LF anywhere in the sample)


def check_file_size(size: int, *, max_bytes: int = MAX_LEAD_FILE_BYTES) -> None:
    """Refuse by size alone, before anything reads the file (`error-upload-too-large`)."""
    if size > max_bytes:
        raise UserError("error-upload-too-large", limit_kb=str(max_bytes // 1024))


Opener = Callable[[], BinaryIO]
"""A fresh stream of a lead file from its first byte; a second one moves the first (they share the upload)."""

_GZIP: Final = b"\x1f\x8b"
_ZIP: Final = b"PK\x03\x04"
_NAMES_SHOWN: Final = 5


def unpacked(stream: BinaryIO, sample: bytes, *, max_bytes: int = MAX_LEAD_FILE_BYTES) -> tuple[bytes, BinaryIO]:
    """What to read of an uploaded lead file whose first bytes are `sample`: the file inside a .gz, or the one
    file of a .zip, unpacked as it is read and refused past `max_bytes` (a packed bomb never fills the memory);
    else the upload itself. Returns that file's own first `SAMPLE_BYTES` and a stream of it from its start.
    Raises `UserError`: `error-leads-format` (an Office document, or a ZIP that cannot be opened: named as
    before), `error-leads-archive-entries` (no file or several, named), `error-leads-archive-encrypted`,
    `error-leads-unpacked-too-large` (a ZIP entry that says it is larger); reading raises it too when the
    unpacked bytes pass `max_bytes`, and `error-leads-archive-broken` for a damaged or cut archive."""
    opener: Opener
    if sample.startswith(_GZIP):
        opener = lambda: _Capped.reader(gzip.GzipFile(fileobj=_rewound(stream), mode="rb"), "GZIP", max_bytes)  # noqa: E731
    elif sample.startswith(_ZIP) and known_format(sample) == "XLSX/ZIP":
        opener = _zip_entry(stream, max_bytes)
    else:
        opener = lambda: _rewound(stream)  # noqa: E731
    head = opener().read(SAMPLE_BYTES)
    return head, opener()  # opened again once the sample was read: the two never share a position


def _rewound(stream: BinaryIO) -> BinaryIO:
    stream.seek(0)
    return stream


def _zip_entry(stream: BinaryIO, max_bytes: int) -> Opener:
    try:
        archive = zipfile.ZipFile(stream)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError):
        raise UserError("error-leads-format", format="XLSX/ZIP") from None  # what it was called before it opened
    for prefix, name in (("xl/", "XLSX"), ("word/", "DOCX")):
        if any(i.filename.startswith(prefix) for i in infos):
            raise UserError("error-leads-format", format=name)
    files = [
        i
        for i in infos
        if not i.is_dir()
        and not i.filename.startswith("__MACOSX/")
        and not i.filename.rpartition("/")[2].startswith(".")
    ]
    if len(files) != 1:
        names = ", ".join(i.filename[:80] for i in files[:_NAMES_SHOWN]) + (" …" if len(files) > _NAMES_SHOWN else "")
        raise UserError("error-leads-archive-entries", count=len(files), names=names or "—")
    (entry,) = files
    if entry.flag_bits & 0x1:
        raise UserError("error-leads-archive-encrypted")
    if entry.file_size > max_bytes:
        raise UserError("error-leads-unpacked-too-large", limit_mb=max_bytes // (1024 * 1024))

    def opener() -> BinaryIO:
        try:
            inner = archive.open(entry)
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError):  # NotImplementedError: the method
            raise UserError("error-leads-archive-broken", format="ZIP") from None
        return _Capped.reader(inner, "ZIP", max_bytes)

    return opener


class _Capped(io.RawIOBase):
    """An unpacking stream that stops at `limit` bytes and names a damaged archive in words."""

    def __init__(self, inner: IO[bytes] | io.BufferedIOBase, name: str, limit: int) -> None:
        self._inner, self._name, self._left, self._limit = inner, name, limit, limit

    @classmethod
    def reader(cls, inner: IO[bytes] | io.BufferedIOBase, name: str, limit: int) -> BinaryIO:
        return cast(BinaryIO, io.BufferedReader(cls(inner, name, limit), buffer_size=_READ_BYTES))

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            data = self._inner.read(min(len(buffer), self._left + 1))
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile):  # BadGzipFile is an OSError; CRC: BadZipFile
            raise UserError("error-leads-archive-broken", format=self._name) from None
        if len(data) > self._left:
            raise UserError("error-leads-unpacked-too-large", limit_mb=self._limit // (1024 * 1024))
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def sniff_format(sample: bytes) -> None:
    """Refuse a known binary format by name (`error-leads-format`), or any other binary (`error-leads-binary`)."""
    name = known_format(sample)
    if name is not None:
        raise UserError("error-leads-format", format=name)
    if utf16_encoding(sample[:SAMPLE_BYTES]) is not None:
        return
    if any(byte in _CONTROL for byte in sample[:SAMPLE_BYTES]):
        raise UserError("error-leads-binary")


def guess_encoding(sample: bytes) -> str:
    """The encoding the sample is in. A UTF-8 sequence cut at the end of the sample still counts as UTF-8."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if (utf16 := utf16_encoding(sample)) is not None:
        return utf16
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1251"
    return "utf-8"


def guess_delimiter(text: str) -> str:
    """Comma, semicolon or tab: the csv sniffer on whole lines of the sample, else the header's most frequent."""
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may end mid-line
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:  # the header is the first line that has a delimiter: a title above it may have none
        header = next((line for line in lines if any(d in line for d in DELIMITERS)), "")
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_layout(sample: bytes) -> Layout:
    """Format check, encoding and delimiter from the first bytes of a file."""
    sniff_format(sample)
    encoding = guess_encoding(sample)
    text = sample.decode(encoding, errors="ignore")
    newline = "\r" if "\r" in text and "\n" not in text else "\n"
    return Layout(encoding, guess_delimiter(text), newline)


def rows(stream: BinaryIO, layout: Layout) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for every record, the header first. The line number is where the record ends
    (1-based), as a spreadsheet shows it. Raises `UserError`: `error-leads-encoding` (a line the file's
    encoding cannot read, or a UTF-8 line in a Windows-1251 file), `error-leads-unclosed-quote` (a quote still
    open at the end of the file, with the line the record began on), `error-leads-field-long` (a cell longer
    than `MAX_FIELD_CHARS`: a quote left open in a big file), `error-leads-control` (a NUL, an escape or another
    control character, which PostgreSQL refuses or a terminal runs), `error-leads-csv` (any other broken
    record)."""
    lines = itertools.chain(_lines(stream, layout.encoding, layout.newline), (_END,))
    reader = csv.reader(lines, delimiter=layout.delimiter, strict=False)
    while True:
        start = reader.line_num + 1  # the line this record begins on
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if str(exc).startswith("field larger than field limit"):  # the csv module's own cap, past ours
                raise UserError("error-leads-field-long", line=start, limit=MAX_FIELD_CHARS) from None
            raise UserError("error-leads-csv", line=reader.line_num, detail=str(exc)[:100]) from None
        if record == [_END]:
            return
        if record and record[-1].endswith(_END):
            raise UserError("error-leads-unclosed-quote", line=start)
        if len(record) > MAX_COLUMNS:
            raise UserError("error-leads-columns", line=reader.line_num, count=len(record), limit=MAX_COLUMNS)
        if record and max(map(len, record)) > MAX_FIELD_CHARS:
            raise UserError("error-leads-field-long", line=start, limit=MAX_FIELD_CHARS)
        if any(_CONTROL_CHAR.search(cell) for cell in record):  # past the sample, which `sniff_format` checked
            raise UserError("error-leads-control", line=start)
        yield reader.line_num, record


def _lines(stream: BinaryIO, encoding: str, newline: str = "\n") -> Iterator[str]:
    """Decoded lines. A file guessed UTF-8 from a sample of plain ASCII is really decided by its first line that
    is not: a Windows-1251 file whose first rows are all Latin is Windows-1251, not "mixed"."""
    if encoding.startswith("utf-16"):
        yield from io.TextIOWrapper(stream, encoding=encoding, newline="")
        return
    first = True
    undecided = encoding == "utf-8"
    for number, line in enumerate(_cr_lines(stream) if newline == "\r" else stream, 1):
        raw = line.removeprefix(codecs.BOM_UTF8) if first and encoding == "utf-8-sig" else line
        first = False
        if raw.isascii():
            yield raw.decode("ascii")
            continue
        if undecided and not _is_utf8(raw):
            encoding = "cp1251"
        undecided = False
        yield _decode_line(raw, encoding, number)


def _cr_lines(stream: BinaryIO) -> Iterator[bytes]:
    """The lines of a file whose lines end in a bare CR, each with its CR, read a chunk at a time."""
    rest = b""
    while chunk := stream.read(_READ_BYTES):
        *lines, rest = (rest + chunk).split(b"\r")
        for line in lines:
            yield line + b"\r"
    if rest:
        yield rest


def _decode_line(raw: bytes, encoding: str, number: int) -> str:
    if encoding == "cp1251":
        if _is_utf8(raw):  # a UTF-8 line pasted into a Windows-1251 export
            raise UserError("error-leads-encoding", line=number)
        try:
            return raw.decode("cp1251")
        except UnicodeDecodeError:  # 0x98 is the one byte Windows-1251 leaves undefined
            raise UserError("error-leads-encoding", line=number) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError("error-leads-encoding", line=number) from None


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
