"""Mailbox CSV parsing: encodings, separators, column names in two languages, presets, and per-row errors."""

from __future__ import annotations

import pytest

from engine.errors import UserError
from engine.i18n import translator
from engine.mailboxes import ImportRow, RowResult, RowStatus, read_mailbox_csv
from engine.uploads import MAX_UPLOAD_BYTES
from models.enums import AuthKind, MailProvider, TlsMode


async def parse(text: str, encoding: str = "utf-8") -> tuple[list[ImportRow], list[RowResult]]:
    """The real entry point of an upload: `read_mailbox_csv` (decoding, size check, parsing)."""
    return await read_mailbox_csv(text.encode(encoding))


async def test_bom_comma_file_with_presets_and_explicit_hosts() -> None:
    rows, errors = await parse(
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


async def test_cp1251_semicolon_russian_headers_and_a_token() -> None:
    rows, errors = await parse(
        "Почта;Токен;Провайдер;Имя;Логин\r\nivan@alpha.test;y0_AgAAAA;Яндекс;Иван Петров;ivan\r\n", "cp1251"
    )
    assert errors == []
    assert (rows[0].auth_kind, rows[0].secret, rows[0].display_name, rows[0].username) == (
        AuthKind.XOAUTH2, "y0_AgAAAA", "Иван Петров", "ivan",
    )  # fmt: skip


async def test_tab_separated_and_quoted_multiline_cells_keep_line_numbers() -> None:
    rows, errors = await parse(
        'address\tpassword\tprovider\tname\n\n"a@alpha.test"\tpw\tmailru\t"two\nlines"\nb@alpha.test\tpw\tmailru\tB\n'
    )
    assert [(r.row, r.display_name) for r in rows] == [(5, "B")]
    assert [(e.row, e.address, e.key, dict(e.params)) for e in errors] == [
        (3, "a@alpha.test", "error-import-line-break", {"column": "name", "char": "U+000A"})
    ]


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
async def test_row_errors(row: str, key: str) -> None:
    rows, errors = await parse(f"address,password,token,provider,smtp_host,smtp_port,imap_host\n{row}\n")
    assert rows == []
    assert [(e.row, e.status, e.key) for e in errors] == [(2, RowStatus.INVALID, key)]


async def test_bad_tls_mode_and_duplicates() -> None:
    rows, errors = await parse(
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


@pytest.mark.parametrize(("encoding", "bom"), [("cp1251", ""), ("utf-8", "\ufeff"), ("utf-16", "")])
async def test_duplicates_and_a_multiline_cell_are_named_by_the_line_each_row_begins_on(
    encoding: str, bom: str
) -> None:
    """A row whose quoted password held a line break was named by the line it ended on ("line 3", where its
    address is not) as "a control character (U+000A)"; a duplicate after it pointed at the wrong line too."""
    rows, errors = await parse(
        bom + "Адрес;Пароль;Провайдер\r\n"
        'anna@alpha.test;"Пароль\r\nвторая строка";yandex\r\n'  # lines 2–3
        "boris@alpha.test;pw1;yandex\r\n"  # line 4
        "Boris@Alpha.test;pw2;yandex\r\n"  # line 5: the same mailbox, another password
        "vera@alpha.test;pw3;yandex\r\n"  # line 6
        "boris@alpha.test;pw1;yandex\r\n",  # line 7
        encoding,
    )
    assert [(r.row, r.address, r.secret) for r in rows] == [
        (4, "boris@alpha.test", "pw1"),
        (6, "vera@alpha.test", "pw3"),
    ]
    assert [(e.row, e.address, e.key, dict(e.params)) for e in errors] == [
        (2, "anna@alpha.test", "error-import-line-break", {"column": "Пароль", "char": "U+000D"}),
        (5, "boris@alpha.test", "error-import-duplicate", {"first": "4"}),
        (7, "boris@alpha.test", "error-import-duplicate", {"first": "4"}),
    ]
    ru = translator("ru")
    assert ru(errors[0].key, **errors[0].params).startswith("В столбце «Пароль» перенос строки")
    assert "Пароль\r" not in repr(errors)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "error-import-empty"),
        (b"  \n\n", "error-import-empty"),
        (b"name,phone\nAnna,123\n", "error-import-no-header"),
        (b"address,provider\na@alpha.test,yandex\n", "error-import-no-header"),
        (b"x" * (MAX_UPLOAD_BYTES + 1), "error-upload-too-large"),
        (b"address,password\na@alpha.test,\x00pw\n", "error-upload-binary"),  # NUL: not a text file at all
        (b"address,password,name\na@alpha.test,pw,Anna\x1b[31m\n", "error-upload-binary"),
        (
            b'address,password,provider\na@alpha.test,pw,yandex\n"b@alpha.test,pw,yandex\n' + b"x," * 70000,
            "error-import-csv-broken",
        ),
    ],
)
async def test_unusable_files(data: bytes, key: str) -> None:
    with pytest.raises(UserError) as raised:
        await read_mailbox_csv(data)
    assert raised.value.key == key


@pytest.mark.parametrize(
    ("cell", "column", "char"),
    [
        ("Anna\tBoris", "Имя", "U+0009"),
        ("Anna\u202etxt.exe", "Имя", "U+202E"),  # right-to-left override: shows as something else
        ("Anna\u2028Boris", "Имя", "U+2028"),  # line separator
        ("Anna\x85", "Имя", "U+0085"),  # a C1 control (NEL)
        ("Anna\x7f", "Имя", "U+007F"),
    ],
)
async def test_a_control_character_in_any_cell_is_a_row_error_naming_row_and_column(
    cell: str, column: str, char: str
) -> None:
    text = f'Адрес,Пароль,Провайдер,Имя\na@alpha.test,pw,yandex,Ok\nb@alpha.test,pw,yandex,"{cell}"\n'
    rows, errors = await parse(text)
    assert [r.address for r in rows] == ["a@alpha.test"]
    assert [(e.row, e.address, e.status, e.key, dict(e.params)) for e in errors] == [
        (3, "b@alpha.test", RowStatus.INVALID, "error-import-control-char", {"column": column, "char": char})
    ]


async def test_a_control_character_in_the_password_is_reported_without_the_password() -> None:
    _rows, [error] = await parse("address,password,provider\na@alpha.test,p\x7fw,yandex\n")
    assert (error.key, error.params["column"], error.params["char"]) == (
        "error-import-control-char",
        "password",
        "U+007F",
    )
    assert "p\x7fw" not in repr(error)


@pytest.mark.parametrize(
    "rows",
    [
        'a@alpha.test;"Qw3rty;yandex\nb@alpha.test;S3cret-b;yandex\n',  # a password that begins with a quote
        '"a@alpha.test;S3cret-a;yandex\nb@alpha.test;S3cret-b;yandex',  # a stray quote; no line break at the end
    ],
)
async def test_a_quote_left_open_is_refused_with_its_line_never_swallowing_the_rows_after_it(rows: str) -> None:
    """A quote that never closes made the rest of the file one cell: the reply said "row 3: a control character
    in the password" (or showed `a@alpha.test;S3cret-a;yandexb@alpha.test;S3cret-b…` as the address), and the rows
    it swallowed were neither imported nor named."""
    with pytest.raises(UserError) as raised:
        await parse("address;password;provider\n" + rows)
    assert (raised.value.key, raised.value.params) == ("error-import-unclosed-quote", {"line": "2"})
    assert "строка 2: кавычка открыта" in translator("ru")(raised.value.key, **raised.value.params).lower()


async def test_a_quote_closed_on_a_later_line_never_shows_the_secrets_it_joined_to_the_address() -> None:
    text = 'address;password;provider\n"a@alpha.test;S3cret-a;yandex\nb@alpha.test";S3cret-b;yandex\n'
    _rows, [error] = await parse(text)
    assert (error.row, error.key, error.params["column"]) == (2, "error-import-line-break", "address")
    assert "S3cret" not in repr(error)


async def test_a_file_mixing_utf8_and_cp1251_is_refused_naming_the_lines() -> None:
    data = (
        b"address;password;provider;display_name\n"
        + "a@alpha.test;pw;yandex;Анна\n".encode()
        + "b@alpha.test;pw;yandex;Борис\n".encode("cp1251")
    )
    with pytest.raises(UserError) as raised:
        await read_mailbox_csv(data)
    assert (raised.value.key, raised.value.params) == ("error-upload-mixed-encoding", {"lines": "3", "count": 1})


async def test_a_big_file_is_decoded_and_parsed_off_the_loop_with_the_same_result() -> None:
    lines = ["address,password,provider"] + [f"user{n}@alpha.test,pw,yandex" for n in range(3000)]
    data = "\n".join(lines).encode()
    assert len(data) > 64 * 1024
    rows, errors = await read_mailbox_csv(data)
    assert (len(rows), errors) == (3000, [])


async def test_a_cyrillic_local_part_is_a_row_error_saying_it_must_be_latin() -> None:
    rows, errors = await parse("address,password,provider\nанна@пример.рф,pw,yandex\nanna@пример.рф,pw,yandex\n")
    assert [r.address for r in rows] == ["anna@xn--e1afmkfd.xn--p1ai"]
    [error] = errors
    assert (error.row, error.status, error.key) == (2, RowStatus.INVALID, "error-import-address-not-latin")
    assert "латиниц" in translator("ru")(error.key, **error.params) and "анна@пример.рф" in error.params["value"]


@pytest.mark.parametrize(
    "header",
    [
        "E-mail;Пароль ;Имя ;SMTP Host;IMAP Host",
        "Эл. адрес;Пароль приложения;Имя отправителя;SMTP сервер;IMAP сервер",
        "Электронная почта;PASSWORD;Display-Name;smtp-host;imap_host",
    ],
)
async def test_column_names_as_people_write_them_in_either_language(header: str) -> None:
    rows, errors = await parse(f"{header}\nanna@alpha.test;pw;Анна;smtp.alpha.test;imap.alpha.test\n")
    assert errors == []
    assert [(r.address, r.secret, r.display_name, r.smtp.host, r.imap.host) for r in rows] == [
        ("anna@alpha.test", "pw", "Анна", "smtp.alpha.test", "imap.alpha.test")
    ]


async def test_an_empty_address_cell_names_the_column_as_the_file_does() -> None:
    _rows, [error] = await parse("Почта;Пароль;Провайдер\n;pw;yandex\n")
    assert (error.row, error.address, error.key, dict(error.params)) == (
        2, "", "error-import-field-missing", {"column": "Почта"}
    )  # fmt: skip
    assert translator("en")(error.key, **error.params) == 'The "Почта" cell is empty: the mailbox address is missing.'


async def test_a_header_alone_is_refused_in_words_not_answered_added_0() -> None:
    with pytest.raises(UserError) as raised:
        await parse("address;password;provider\r\n\r\n;;\r\n")
    assert (raised.value.key, raised.value.params) == (
        "error-import-no-rows", {"headers": "address, password, provider"}
    )  # fmt: skip


async def test_a_header_the_import_does_not_know_is_quoted_back() -> None:
    with pytest.raises(UserError) as raised:
        await parse("Ящик электронной почты;Пароль\nanna@alpha.test;pw\n")
    assert (raised.value.key, raised.value.params) == (
        "error-import-no-header", {"headers": "Ящик электронной почты, Пароль"}
    )  # fmt: skip


async def test_a_file_without_a_header_names_its_first_mailbox_and_never_its_password() -> None:
    with pytest.raises(UserError) as raised:
        await parse("anna@пример.рф;S3cret-pass;yandex\nboris@alpha.test;pw;yandex\n")
    assert (raised.value.key, raised.value.params) == ("error-import-header-is-row", {"address": "anna@пример.рф"})


async def test_a_shifted_row_never_quotes_a_cell_that_may_be_part_of_a_secret() -> None:
    """A row with more cells than the header was reported with its first cell, which is the password when the
    password column comes first; a row padded with empty cells (as Excel pads them) is no shifted row."""
    rows, errors = await parse(
        "password;address;provider\nS3c;ret;anna@alpha.test;yandex\npw;boris@alpha.test;yandex;;\n"
    )
    assert [r.address for r in rows] == ["boris@alpha.test"]
    assert [(e.row, e.address, e.key) for e in errors] == [(2, "", "error-import-row-malformed")]
    assert "S3c" not in repr(errors)


async def test_an_address_copied_with_its_name_gives_the_mailbox_that_name() -> None:
    """`Анна Петрова <anna@alpha.test>`, as a mail client copies an address, was refused as not an address: the
    address is read out of it, and the name becomes the mailbox's display name unless the file has a name column
    (which wins, even empty cells there fall back to it)."""
    rows, errors = await parse(
        "email;password;provider\n"
        "Анна Петрова <Anna@Alpha.test>;pw;yandex\n"
        '"""Petrov, Boris"" <boris@alpha.test>";pw;yandex\n'  # as Excel quotes a cell with quotes
        "<vera@alpha.test>;pw;yandex\n"
        "Gleb <not an address>;pw;yandex\n"
    )
    assert [(r.address, r.display_name) for r in rows] == [
        ("anna@alpha.test", "Анна Петрова"),
        ("boris@alpha.test", "Petrov, Boris"),
        ("vera@alpha.test", ""),
    ]
    assert [(e.row, e.key) for e in errors] == [(5, "error-import-address-invalid")]
    named, _ = await parse("email,password,provider,name\nAnna <anna@alpha.test>,pw,yandex,Anna P.\n")
    assert named[0].display_name == "Anna P."


async def test_a_password_in_the_address_column_is_not_quoted_back() -> None:
    """Columns swapped against the header put each password where the address should be, and every row's error
    quoted it back ('"Qwerty!2026" is not an email address') into the chat. A cell without @ is shown by its first
    characters only; a mistyped address (it has an @) is still shown whole."""
    _, errors = await parse("email;password\nQwerty!2026;anna@alpha.test\nboris@@alpha.test;pw2\n")
    said = [translator("en")(e.key, **e.params) for e in errors]
    assert [(e.row, e.address) for e in errors] == [(2, "Qwe…"), (3, "boris@@alpha.test")]
    assert not any("Qwerty" in text for text in said) and '"boris@@alpha.test" is not an email address.' in said
