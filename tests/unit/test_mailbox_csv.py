"""Mailbox CSV parsing: encodings, separators, column names in two languages, presets, and per-row errors."""

from __future__ import annotations

import pytest

from engine.errors import UserError
from engine.mailboxes import MAX_FILE_BYTES, ImportRow, RowResult, RowStatus, parse_mailbox_csv
from models.enums import AuthKind, MailProvider, TlsMode


def parse(text: str, encoding: str = "utf-8") -> tuple[list[ImportRow], list[RowResult]]:
    return parse_mailbox_csv(text.encode(encoding))


def test_bom_comma_file_with_presets_and_explicit_hosts() -> None:
    rows, errors = parse(
        "\ufeffEmail,Password,Provider,Display Name,smtp_host,smtp_port,imap_host,imap_tls\n"
        "anna@alpha.test,pw1,yandex,Anna,,,,\n"
        "boris@alpha.test,pw2,,Boris,smtp.alpha.test,587,imap.alpha.test,plain\n"
    )
    assert errors == []
    anna, boris = rows
    assert (anna.row, anna.provider, anna.smtp.host, anna.smtp.port, anna.smtp.tls) == (
        2, MailProvider.YANDEX360, "smtp.yandex.ru", 465, TlsMode.IMPLICIT,
    )  # fmt: skip
    assert (anna.imap.host, anna.imap.port, anna.display_name, anna.username) == (
        "imap.yandex.ru",
        993,
        "Anna",
        anna.address,
    )
    assert (boris.provider, boris.smtp.tls, boris.imap.port, boris.imap.tls) == (
        MailProvider.GENERIC, TlsMode.STARTTLS, 143, TlsMode.PLAIN,
    )  # fmt: skip


def test_cp1251_semicolon_russian_headers_and_a_token() -> None:
    rows, errors = parse(
        "Почта;Токен;Провайдер;Имя;Логин\r\nivan@alpha.test;y0_AgAAAA;Яндекс;Иван Петров;ivan\r\n", "cp1251"
    )
    assert errors == []
    assert (rows[0].auth_kind, rows[0].secret, rows[0].display_name, rows[0].username) == (
        AuthKind.XOAUTH2, "y0_AgAAAA", "Иван Петров", "ivan",
    )  # fmt: skip


def test_tab_separated_and_quoted_multiline_cells_keep_line_numbers() -> None:
    rows, errors = parse(
        'address\tpassword\tprovider\tname\n\n"a@alpha.test"\tpw\tmailru\t"two\nlines"\nb@alpha.test\tpw\tmailru\tB\n'
    )
    assert errors == []
    assert [(r.row, r.display_name) for r in rows] == [(4, "two\nlines"), (5, "B")]


@pytest.mark.parametrize(
    ("row", "key"),
    [
        ("bad address,pw,,yandex,,,", "error-import-address-invalid"),
        ("a@alpha.test,,,yandex,,,", "error-import-secret-missing"),
        ("a@alpha.test,pw,tok,yandex,,,", "error-import-secret-ambiguous"),
        ("a@alpha.test,pw,,gmail,,,", "error-import-provider-unknown"),
        ("a@alpha.test,pw,,,,,", "error-import-provider-missing"),
        ("a@alpha.test,pw,,generic,smtp.x.test,,", "error-import-hosts-missing"),
        ("a@alpha.test,,tok,mailru,,,", "error-import-auth-unsupported"),
        ("a@alpha.test,pw,,,smtp.x.test,99999,imap.x.test", "error-import-port-invalid"),
        ("a@alpha.test,pw,,,smtp x.test,25,imap.x.test", "error-import-host-invalid"),
        ("a@alpha.test,pw,,,smtp.x.test,25,imap.x.test,,tls13", "error-import-row-malformed"),
    ],
)
def test_row_errors(row: str, key: str) -> None:
    rows, errors = parse(f"address,password,token,provider,smtp_host,smtp_port,imap_host\n{row}\n")
    assert rows == []
    assert [(e.row, e.status, e.key) for e in errors] == [(2, RowStatus.INVALID, key)]


def test_bad_tls_mode_and_duplicates() -> None:
    rows, errors = parse(
        "address,password,provider,smtp_host,smtp_tls,imap_host\n"
        "a@alpha.test,pw,yandex,,,\n"
        "A@alpha.test,pw,yandex,,,\n"
        "b@alpha.test,pw,,smtp.x.test,tls13,imap.x.test\n"
    )
    assert [r.address for r in rows] == ["a@alpha.test"]
    assert [(e.row, e.key, dict(e.params)) for e in errors] == [
        (3, "error-import-duplicate", {"first": "2"}),
        (4, "error-import-tls-invalid", {"value": "tls13"}),
    ]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "error-import-empty"),
        (b"  \n\n", "error-import-empty"),
        (b"name,phone\nAnna,123\n", "error-import-no-header"),
        (b"address,provider\na@alpha.test,yandex\n", "error-import-no-header"),
        (b"x" * (MAX_FILE_BYTES + 1), "error-import-too-large"),
    ],
)
def test_unusable_files(data: bytes, key: str) -> None:
    with pytest.raises(UserError) as raised:
        parse_mailbox_csv(data)
    assert raised.value.key == key
