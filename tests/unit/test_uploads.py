"""Uploaded files: size first, then encoding, refusing binary and mixed-encoding files with the lines named."""

from __future__ import annotations

import codecs
import gzip
import io
import zipfile

import pytest

from engine.errors import UserError
from engine.uploads import decode_upload, decode_upload_async

ROWS = "домен;регистратор\nпример.рф;regru\n"


@pytest.mark.parametrize(
    "data",
    [
        ROWS.encode(),
        codecs.BOM_UTF8 + ROWS.encode(),
        ROWS.encode("cp1251"),
        ROWS.encode("utf-16"),  # Excel's "Unicode text": UTF-16 with a BOM
        ROWS.encode("utf-16-le"),  # the same without the BOM, as some exporters write it
        ROWS.encode("utf-16-be"),
    ],
    ids=["utf8", "utf8-bom", "cp1251", "utf16", "utf16le-no-bom", "utf16be-no-bom"],
)
def test_every_encoding_russian_tools_write_decodes_to_the_same_text(data: bytes) -> None:
    assert decode_upload(data) == ROWS


def test_size_is_refused_before_decoding() -> None:
    with pytest.raises(UserError) as caught:
        decode_upload(b"\xff" * 2049, max_bytes=2048)
    assert (caught.value.key, caught.value.params) == ("error-upload-too-large", {"limit_kb": "2"})


@pytest.mark.parametrize("data", [b"a.ru\nb\x00.ru\n", bytes(range(256)) * 4, b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_binary_files_are_refused(data: bytes) -> None:
    with pytest.raises(UserError) as caught:
        decode_upload(data)
    assert caught.value.key in {"error-upload-binary", "error-upload-encoding", "error-upload-mixed-encoding",
                                "error-upload-format"}  # fmt: skip


def test_a_nul_byte_names_its_line() -> None:
    with pytest.raises(UserError) as caught:
        decode_upload(b"a.ru\nb.ru\nc\x00.ru\n")
    assert (caught.value.key, caught.value.params) == ("error-upload-binary", {"lines": "3", "count": 1})


def test_utf8_and_cp1251_lines_in_one_file_are_refused_with_the_cp1251_lines_named() -> None:
    data = "Анна;a@x.ru\n".encode() + "Борис;b@x.ru\n".encode("cp1251") + b"c@x.ru\n" + "Вера;v@x.ru\n".encode("cp1251")
    with pytest.raises(UserError) as caught:
        decode_upload(data)
    assert (caught.value.key, caught.value.params) == ("error-upload-mixed-encoding", {"lines": "2, 4", "count": 2})


async def test_a_big_file_decodes_off_the_event_loop_to_the_same_text() -> None:
    data = ROWS.encode("cp1251") * 5000
    assert await decode_upload_async(data) == ROWS * 5000


def _zip(entry: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(entry, "<x/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (_zip("xl/workbook.xml"), "XLSX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "XLS"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (gzip.compress(ROWS.encode()), "GZIP"),
        (_zip("domains.csv"), "XLSX/ZIP"),
    ],
    ids=["xlsx", "xls", "pdf", "gzip", "zip"],
)
def test_a_spreadsheet_pdf_or_archive_is_named_not_called_control_characters(data: bytes, name: str) -> None:
    """A mailbox or domain CSV sent as .xlsx (or a PDF, an archive) was answered "control characters on line 1"
    or "neither UTF-8 nor Windows-1251": the file is named as what it is."""
    with pytest.raises(UserError) as caught:
        decode_upload(data)
    assert (caught.value.key, caught.value.params) == ("error-upload-format", {"format": name})
