"""Lead files without a database: column guesses, normalization, role and disposable addresses, encoding,
delimiter and format detection, DNS verdicts, the rejection report, the chat options."""

from __future__ import annotations

import codecs
import gzip
import io
import zipfile

import pytest

from bot.command import REGISTRY, file_limit, parse_args
from bot.handlers.leads import parse_options
from engine.dns.check import Lookup, LookupStatus
from engine.errors import UserError
from engine.i18n import translator
from engine.leads.checks import AddressChecker, is_disposable, is_role, normalize
from engine.leads.columns import map_columns
from engine.leads.domains import DomainMail, judge
from engine.leads.importer import ImportOptions, _Head, _head
from engine.leads.reader import (
    MAX_LEAD_FILE_BYTES,
    check_file_size,
    guess_delimiter,
    guess_encoding,
    read_layout,
    rows,
    sniff_format,
    unpacked,
)
from engine.leads.report import Rejection, rejection_csv
from engine.leads.suppression import normalize_value
from engine.reply import Attachment
from engine.uploads import MAX_UPLOAD_BYTES, known_format, utf16_without_bom
from models.enums import LeadVerdict

EN = translator("en")


def records(data: bytes) -> list[tuple[int, list[str]]]:
    return list(rows(io.BytesIO(data), read_layout(data[:65536])))


# column mapping ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["E-mail", "First name", "Last name", "Company"], {"email": 0, "first_name": 1, "last_name": 2, "company": 3}),
        (["Почта", "Имя", "Фамилия", "Организация"], {"email": 0, "first_name": 1, "last_name": 2, "company": 3}),
        (["Электронная почта", "Компания", "Часовой пояс"], {"email": 0, "company": 1, "timezone": 2}),
        (["адрес", "источник", "основание"], {"email": 0, "source": 1, "legal_basis": 2}),
        (["email_address", "Legal basis", "Source"], {"email": 0, "legal_basis": 1, "source": 2}),
        (["Электронный адрес", "Имя"], {"email": 0, "first_name": 1}),
        (["Эл. адрес", "Имя ", " Компания"], {"email": 0, "first_name": 1, "company": 2}),
        (["Имя", "Эл.адрес"], {"first_name": 0, "email": 1}),
        (["Name", "E-mail 1 - Value"], {"first_name": 0, "email": 1}),  # a Google Contacts export
    ],
)
def test_headers_are_guessed_in_russian_and_english(headers: list[str], expected: dict[str, int]) -> None:
    assert map_columns(headers).fields == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Имя", "Рабочий e-mail", "Телефон"], 1),  # a Bitrix24 export
        (["Адрес эл. почты", "Компания"], 0),
        (["Контакт", "Email (раб.)"], 1),  # an amoCRM export
    ],
)
def test_a_header_that_says_email_in_other_words_is_the_email_when_it_is_the_only_one(
    headers: list[str], expected: int
) -> None:
    """A CRM export's "Рабочий e-mail" or "Адрес эл. почты" matched no known header: the whole file was refused
    with "no email column" though one header plainly says so."""
    assert map_columns(headers).fields["email"] == expected


def test_several_headers_that_say_email_are_left_to_the_manager() -> None:
    with pytest.raises(UserError) as caught:
        map_columns(["Имя", "Рабочий e-mail", "Частный e-mail"])
    assert caught.value.key == "error-leads-no-email"
    with pytest.raises(UserError) as postal:  # a postal address is no email
        map_columns(["Имя", "Почтовый адрес"])
    assert postal.value.key == "error-leads-no-email"


def test_unknown_columns_go_to_custom_and_overrides_win() -> None:
    mapping = map_columns(["Почта", "Рабочая почта", "Должность"], {"email": "рабочая почта"})
    assert mapping.fields == {"email": 1}
    assert mapping.custom == {0: "Почта", 2: "Должность"}


def test_a_blank_or_repeated_header_keeps_its_column_under_a_name_of_its_own() -> None:
    """`Email;;Компания` dropped the names typed under the blank header without a word, and `Телефон;Телефон`
    kept the second phone only (one JSON key for both)."""
    mapping = map_columns(["Email", "", "Телефон", "Компания", "телефон ", "Телефон 2", " "])
    assert mapping.fields == {"email": 0, "company": 3}
    assert mapping.custom == {1: "column_2", 2: "Телефон", 4: "телефон 3", 5: "Телефон 2", 6: "column_7"}
    assert mapping.renamed == {1: "", 4: "телефон", 6: ""}


@pytest.mark.parametrize("named", ["столбец 2", "Столбец_2", "column_2", "Column 2", "колонка 2", "#2"])
def test_a_column_is_named_by_its_number_in_an_override(named: str) -> None:
    """A blank header cell has no name to give in `name=…`: the reply calls the column "столбец 2" (its key
    `column_2`), and either was "no such column"."""
    mapping = map_columns(["Email", "", "Компания"], {"name": named})
    assert (mapping.fields, mapping.custom) == ({"first_name": 1, "email": 0, "company": 2}, {})


def test_a_header_wins_over_a_column_number_and_a_number_past_the_file_is_no_column() -> None:
    assert map_columns(["Email", "Телефон", "столбец 2", ""], {"name": "столбец 2"}).fields["first_name"] == 2
    for past in ("столбец 4", "column_0", "column_12345"):
        with pytest.raises(UserError) as missing:
            map_columns(["Email", "", "Компания"], {"name": past})
        assert missing.value.key == "error-leads-no-header"


def head_of(data: bytes) -> _Head:
    return _head(iter(records(data)), ImportOptions(test_environment=True))


@pytest.mark.parametrize(
    ("data", "line", "fields"),
    [
        ("Контактные данные (email, телефон);;\nEmail;Имя;Компания\nivan@acme.ru;Иван;Ромашка\n",
         2, {"email": 0, "first_name": 1, "company": 2}),
        ("Клиенты на 01.12.2026;;\nКонтактные данные (email, телефон);;\nРабочий e-mail;Имя;Компания\n"
         "ivan@acme.ru;Иван;Ромашка\n", 3, {"email": 0, "first_name": 1, "company": 2}),  # both only mention it
        ("Рабочий e-mail;Телефон\nivan@acme.ru;+7 900\n", 1, {"email": 0}),  # a Bitrix24 header is still one
    ],
    ids=["heading", "heading-and-title", "phrase-header"],
)  # fmt: skip
def test_a_heading_that_mentions_email_is_no_header_when_a_line_below_names_the_columns(
    data: str, line: int, fields: dict[str, int]
) -> None:
    """A group heading "Контактные данные (email, телефон)" above "Email;Имя;Компания" was taken for the header:
    the heading's cell became the email column and the real header a rejected row."""
    head = head_of(data.encode())
    assert (head.line, head.title_lines, head.cmap.fields) == (line, line - 1, fields)
    assert [number for number, _ in head.records] == [line + 1]


def test_a_file_without_an_email_column_names_the_headers_it_found() -> None:
    with pytest.raises(UserError) as caught:
        map_columns(["Имя", "Телефон"])
    assert caught.value.key == "error-leads-no-email" and caught.value.params["headers"] == "Имя, Телефон"
    with pytest.raises(UserError) as missing:
        map_columns(["Имя", "Телефон"], {"email": "Почта"})
    assert missing.value.key == "error-leads-no-header" and missing.value.params["header"] == "Почта"
    with pytest.raises(UserError) as unknown:
        map_columns(["Почта"], {"phone": "Телефон"})
    assert unknown.value.key == "error-leads-unknown-field"


# normalization and offline checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "email"),
    [
        ("  Ivan.Petrov@Example.COM ", "ivan.petrov@example.com"),
        ("<anna@acme.ru>", "anna@acme.ru"),
        ("Иван Петров <Ivan@Acme.ru>", "ivan@acme.ru"),  # a contact as a mail program exports it
        ('"Petrov, Ivan" <ivan@acme.ru> ', "ivan@acme.ru"),
        ("mailto:olga@acme.ru", "olga@acme.ru"),
        ("MAILTO: olga@acme.ru", "olga@acme.ru"),
        ("a@acme.ru, b@acme.ru", None),  # two addresses in a cell: which one?
        ("<a@acme.ru> <b@acme.ru>", None),
        ("oleg@почта.рф", "oleg@xn--80a1acny.xn--p1ai"),
        ("OLEG@ПОЧТА.РФ", "oleg@xn--80a1acny.xn--p1ai"),
        ("иван@mail.ru", None),  # a non-ASCII local part needs SMTPUTF8
        ("no-at-sign.ru", None),
        ("two@@signs.ru", None),
        ("a b@acme.ru", None),
        ("x@localhost", None),
        ("x@acme.test", None),  # a reserved name outside tests
        ("", None),
    ],
)
def test_normalization(raw: str, email: str | None) -> None:
    assert normalize(raw) == email


@pytest.mark.parametrize(
    "raw",
    [
        "ivan@acme.ru.",  # the end of a sentence it was copied from
        "ivan@acme.ru,",
        "ivan@acme.ru;",
        "\u200bivan@acme.ru",  # a zero-width space from a web page: was "not in Latin letters"
        "ivan@acme.ru\u200b",
        "\u200eivan@acme.ru\u2060",  # direction mark, word joiner
        "iv\u00adan@acme.ru",  # a soft hyphen a word processor put in
        "«ivan@acme.ru»",
        "'ivan@acme.ru'",
        '"Ivan@Acme.ru".',
        "mailto:ivan@acme.ru?subject=Заказ",  # a link's address copied with its query
    ],
)
def test_an_address_as_people_paste_it_is_the_address(raw: str) -> None:
    """Each of these was rejected as "not an email address" although it plainly holds one: invisible characters,
    quotes and the punctuation of the sentence it was copied from are no part of an address."""
    assert AddressChecker().check(raw) == AddressChecker().check("ivan@acme.ru")


def test_verdicts_offline() -> None:
    checker = AddressChecker()
    assert checker.check("иван@почта.рф").reason == "local_not_latin"  # it looks like an address: say what is wrong
    assert checker.check("ivan@@почта.рф").reason == "syntax"
    assert checker.check("anna@acme.ru").verdict is LeadVerdict.VALID
    assert checker.check("zakaz@acme.ru").reason == "role"
    assert checker.check("zakaz@acme.ru").verdict is LeadVerdict.RISKY
    assert checker.check("x@mailinator.com").verdict is LeadVerdict.INVALID
    assert checker.check("x@mailinator.com").reason == "disposable"
    assert checker.check("").reason == "empty"
    assert checker.check("bad@").reason == "syntax"
    assert AddressChecker(test_environment=True).check("a@alpha.test").email == "a@alpha.test"


@pytest.mark.parametrize("email", ["info@acme.ru", "sales+spb@acme.ru", "office@acme.ru", "zakaz@shop.ru",
                                   "noreply@acme.ru", "buh.msk@acme.ru", "support@acme.ru"])  # fmt: skip
def test_role_accounts(email: str) -> None:
    assert is_role(email)


@pytest.mark.parametrize("email", ["ivan@acme.ru", "infoman@acme.ru", "anna.sales@acme.ru"])
def test_people_are_not_role_accounts(email: str) -> None:
    assert not is_role(email)


def test_disposable_domains_and_their_subdomains() -> None:
    assert is_disposable("mailinator.com") and is_disposable("eu.mailinator.com")
    assert not is_disposable("yandex.ru") and not is_disposable("com")


# encoding, delimiter, format --------------------------------------------------------------------------------------


def test_cp1251_semicolon_file() -> None:
    data = "Почта;Имя;Компания\r\nanna@acme.ru;Анна;ООО «Ромашка»\r\n".encode("cp1251")
    layout = read_layout(data)
    assert (layout.encoding, layout.delimiter) == ("cp1251", ";")
    assert records(data) == [(1, ["Почта", "Имя", "Компания"]), (2, ["anna@acme.ru", "Анна", "ООО «Ромашка»"])]


def test_utf8_bom_comma_file_with_quoted_fields_over_lines() -> None:
    data = (
        codecs.BOM_UTF8 + 'email,name,note\nanna@acme.ru,"Анна, старшая","строка 1\nстрока 2"\nb@acme.ru,Б,\n'.encode()
    )
    layout = read_layout(data)
    assert (layout.encoding, layout.delimiter) == ("utf-8-sig", ",")
    assert records(data) == [
        (1, ["email", "name", "note"]),
        (3, ["anna@acme.ru", "Анна, старшая", "строка 1\nстрока 2"]),
        (4, ["b@acme.ru", "Б", ""]),
    ]


def test_tab_delimited_utf8_and_utf16() -> None:
    text = "email\tname\nanna@acme.ru\tАнна\n"
    assert read_layout(text.encode()).delimiter == "\t"
    assert guess_encoding(text.encode()) == "utf-8"
    utf16 = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    assert records(utf16)[1] == (2, ["anna@acme.ru", "Анна"])
    for order in ("utf-16-le", "utf-16-be"):  # without a BOM, as some exporters write it: read, not "binary"
        assert guess_encoding(text.encode(order)) == order
        assert read_layout(text.encode(order)).delimiter == "\t"
        assert records(text.encode(order)) == [(1, ["email", "name"]), (2, ["anna@acme.ru", "Анна"])]


def test_a_stray_nul_in_8_bit_text_is_still_binary_not_utf16() -> None:
    for data in (b"email\nanna@acme.ru\x00\n", "почта\nанна@пример.рф\x00\n".encode("cp1251")):
        assert utf16_without_bom(data) is None
        with pytest.raises(UserError) as caught:
            records(data)
        assert caught.value.key == "error-leads-binary"


def test_a_utf8_sequence_cut_by_the_sample_is_still_utf8() -> None:
    data = ("email;имя\n" + "a@b.ru;Ж\n" * 10).encode()
    assert guess_encoding(data[:-2]) == "utf-8"  # ends in the middle of "Ж"


def test_delimiter_fallback_counts_the_header() -> None:
    assert guess_delimiter("email;name") == ";"
    assert guess_delimiter("email") == ","


def test_a_utf8_line_in_a_cp1251_file_is_named() -> None:
    data = "Почта;Имя\nanna@acme.ru;Анна\n".encode("cp1251") + "b@acme.ru;Борис\n".encode()
    with pytest.raises(UserError) as caught:
        records(data)
    assert caught.value.key == "error-leads-encoding" and caught.value.params["line"] == 3


def test_a_file_with_bare_cr_line_ends_is_read_line_by_line() -> None:
    """Excel's "CSV (Macintosh)" ends lines in a bare CR: it was refused with Python's English "new-line
    character seen in unquoted field" inside a Russian reply."""
    data = 'Почта;Имя\ranna@acme.ru;Анна\rb@acme.ru;"Борис\rБ."\r'.encode("cp1251")
    assert read_layout(data).newline == "\r"
    assert records(data) == [
        (1, ["Почта", "Имя"]),
        (2, ["anna@acme.ru", "Анна"]),
        (4, ["b@acme.ru", "Борис\rБ."]),
    ]
    big = b"email;name\r" + b"a@acme.ru;x\r" * 10_000  # longer than one read of the stream
    assert len(records(big)) == 10_001 and records(big)[-1] == (10_001, ["a@acme.ru", "x"])


@pytest.mark.parametrize("end", ["", "\n"])
def test_a_quote_left_open_is_refused_with_the_line_it_opened_on_not_read_as_one_cell(end: str) -> None:
    """`"Ромашка` without its closing quote swallowed every later row into one cell: a small file imported one
    lead out of twenty with no word, a big one was refused with "field larger than field limit (131072)"."""
    small = ('email;company\n\na@acme.ru;Альфа\nb@acme.ru;"Ромашка\n' + "c@acme.ru;Бета\n" * 20).encode()
    with pytest.raises(UserError) as caught:
        records(small.rstrip(b"\n") + end.encode())
    assert (caught.value.key, caught.value.params) == ("error-leads-unclosed-quote", {"line": 4})
    assert "4" in EN(caught.value.key, **caught.value.params)
    big = small + "c@acme.ru;Бета\n".encode() * 20_000
    with pytest.raises(UserError) as long:
        records(big)
    assert (long.value.key, long.value.params) == ("error-leads-field-long", {"line": 4, "limit": 10_000})
    closed = 'email;company\na@acme.ru;"ООО ""Ромашка"",\nфилиал"'
    assert records((closed + end).encode())[-1] == (3, ["a@acme.ru", 'ООО "Ромашка",\nфилиал'])


def test_a_windows_1251_file_whose_sample_is_all_latin_is_read_as_windows_1251() -> None:
    """A Russian Excel export whose first 64 KiB of rows are Latin only was guessed UTF-8 from its sample, and its
    first Cyrillic row was refused as "UTF-8 and Windows-1251 mixed in one file"."""
    latin = b"Email;Name;Company\r\n" + b"john@acme.com;John;Acme\r\n" * 4000
    assert len(latin) > 65536 and read_layout(latin[:65536]).encoding == "utf-8"
    data = latin + "ivan@romashka.ru;Иван;Ромашка\r\n".encode("cp1251")
    assert records(data)[-1] == (4002, ["ivan@romashka.ru", "Иван", "Ромашка"])
    assert records(latin + "ivan@romashka.ru;Иван;Ромашка\r\n".encode())[-1][1][1] == "Иван"
    mixed = latin + "ivan@romashka.ru;Иван;x\r\n".encode("cp1251") + "b@acme.ru;Борис;x\r\n".encode()
    with pytest.raises(UserError) as caught:
        records(mixed)
    assert (caught.value.key, caught.value.params) == ("error-leads-encoding", {"line": 4003})


def xlsx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name"),
    [(xlsx(), "XLSX/ZIP"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "XLS"), (b"%PDF-1.4\n", "PDF")],
)
def test_a_spreadsheet_or_archive_is_refused_by_name(data: bytes, name: str) -> None:
    with pytest.raises(UserError) as caught:
        sniff_format(data)
    assert caught.value.key == "error-leads-format" and caught.value.params == {"format": name}
    assert name in EN(caught.value.key, **caught.value.params)


def test_an_office_document_is_named_by_what_is_inside_its_zip() -> None:
    def office(entry: str) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr(entry, "<x/>")
        return out.getvalue()

    assert known_format(office("word/document.xml")) == "DOCX"
    assert known_format(office("xl/workbook.xml")) == "XLSX"
    assert known_format(b"email;name\n") is None
    with pytest.raises(UserError) as caught:
        sniff_format(office("word/document.xml"))
    assert caught.value.params == {"format": "DOCX"}


def test_other_binary_is_refused() -> None:
    with pytest.raises(UserError) as caught:
        sniff_format(b"email\x00\x01\x02")
    assert caught.value.key == "error-leads-binary"


def test_size_is_checked_first() -> None:
    check_file_size(64 * 1024 * 1024)
    with pytest.raises(UserError) as caught:
        check_file_size(64 * 1024 * 1024 + 1)
    assert caught.value.key == "error-upload-too-large"


# DNS verdicts -----------------------------------------------------------------------------------------------------


def test_dns_verdicts_never_turn_a_failure_into_valid_or_invalid() -> None:
    answer = Lookup(LookupStatus.ANSWER, ("10 mx.acme.ru.",))
    assert judge(answer, None) is DomainMail.OK
    assert judge(Lookup(LookupStatus.ANSWER, ("0 .",)), None) is DomainMail.NULL_MX
    assert judge(Lookup(LookupStatus.NXDOMAIN), None) is DomainMail.NO_DOMAIN
    assert judge(Lookup(LookupStatus.NODATA), Lookup(LookupStatus.ANSWER, ("192.0.2.1",))) is DomainMail.OK
    assert judge(Lookup(LookupStatus.NODATA), Lookup(LookupStatus.NODATA)) is DomainMail.NO_MX
    for failed in (LookupStatus.TIMEOUT, LookupStatus.SERVFAIL):
        verdict = judge(Lookup(failed), None)
        assert not verdict.known and verdict in (DomainMail.TIMEOUT, DomainMail.ERROR)
    assert judge(Lookup(LookupStatus.NODATA), Lookup(LookupStatus.TIMEOUT)) is DomainMail.TIMEOUT


# report and chat options ------------------------------------------------------------------------------------------


def test_rejection_report_is_utf8_with_bom_localized_and_formula_safe() -> None:
    t = translator("ru")
    data = rejection_csv([Rejection(2, "=cmd|calc", "syntax"), Rejection(5, "анна@", "duplicate")], t, omitted=3)
    assert data.startswith(codecs.BOM_UTF8)
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "Строка;Email;Причина"
    assert "2;'=cmd|calc;не адрес электронной почты" in text
    assert "5;анна@;повтор адреса в файле" in text
    assert "3" in text.splitlines()[-1]


def test_rejection_report_quotes_a_formula_behind_spaces_or_in_full_width() -> None:
    rejections = [Rejection(2, "  =cmd|calc", "syntax"), Rejection(3, "＝cmd|calc", "syntax")]
    text = rejection_csv(rejections, translator("en")).decode("utf-8-sig")
    assert "2;'  =cmd|calc;" in text and "3;'＝cmd|calc;" in text


def test_chat_options_group_words_into_campaign_values_and_columns() -> None:
    options = parse_options("Весна 2027 source=выставка Экспо basis=договор 12 email=Электронная почта")
    assert options.campaign == "Весна 2027"
    assert options.source == "выставка Экспо" and options.legal_basis == "договор 12"
    assert dict(options.columns) == {"email": "Электронная почта"}
    assert parse_options(None).campaign is None
    with pytest.raises(UserError) as caught:
        parse_options("phone=Телефон")
    assert caught.value.key == "error-leads-option"


def test_the_lead_import_takes_files_up_to_its_own_limit_other_commands_keep_the_default() -> None:
    assert file_limit("leads_import", 1024) == MAX_LEAD_FILE_BYTES
    assert file_limit("mailbox_import", 1024) == 1024
    big = Attachment("leads.csv", b"email\n" + b"a@b.ru\n" * (MAX_UPLOAD_BYTES // 7 + 1))
    assert parse_args(REGISTRY["leads_import"], ["basis=x"], big)["csv"] is big
    with pytest.raises(UserError) as caught:
        parse_args(REGISTRY["mailbox_import"], [], big)
    assert caught.value.key == "error-upload-too-large"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("@Example.com", ("example.com", True)),
        ("*@example.org", ("example.org", True)),
        ("@ПРИМЕР.РФ", ("xn--e1afmkfd.xn--p1ai", True)),
        ("Ivan@ПРИМЕР.РФ", ("ivan@xn--e1afmkfd.xn--p1ai", False)),
        ("acme.ru", ("acme.ru", True)),
        ("Иван Петров <Ivan@Example.com>", ("ivan@example.com", False)),  # copied from a mail client's From
        ("<ivan@example.com>", ("ivan@example.com", False)),
    ],
)
def test_a_domain_is_suppressed_however_a_mail_filter_would_write_it(value: str, expected: tuple[str, bool]) -> None:
    """`/suppress @example.com` was refused as "neither an address nor a domain", and `/suppress *@example.org`
    suppressed the literal address "*@example.org": the domain stayed open."""
    assert normalize_value(value) == expected


def test_a_wildcard_domain_is_refused_with_what_a_domain_covers() -> None:
    """`/suppress *.example.com` was "neither an address nor a domain": the manager was not told that a domain
    covers itself only, nor what to type instead."""
    with pytest.raises(UserError) as caught:
        normalize_value("*.example.com")
    assert (caught.value.key, caught.value.params["domain"]) == ("error-leads-suppress-wildcard", "example.com")


@pytest.mark.parametrize("value", ["@", "*@", "@a@b.ru", "a@b@c", "example", "Иван <>", "Иван <ivan>"])
def test_what_is_neither_an_address_nor_a_domain_is_refused(value: str) -> None:
    with pytest.raises(UserError) as caught:
        normalize_value(value)
    assert caught.value.key == "error-leads-suppress-value"


# packed lead files --------------------------------------------------------------------------------------------------

PLAIN = "Почта;Имя\n" + "".join(f"lead{n}@acme.test;Иван {n}\n" for n in range(3000))
PLAIN_CP1251 = PLAIN.encode("cp1251")


def unpacked_records(data: bytes, max_bytes: int = MAX_LEAD_FILE_BYTES) -> list[tuple[int, list[str]]]:
    sample, stream = unpacked(io.BytesIO(data), data[:65536], max_bytes=max_bytes)
    return list(rows(stream, read_layout(sample)))


def zipped(*entries: tuple[str, bytes], encrypted: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    packed = bytearray(out.getvalue())
    if encrypted:  # zipfile writes no encrypted entries: the "encrypted" flag set in both headers, as a tool sets it
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            packed[packed.index(signature) + offset] |= 0x1
    return bytes(packed)


def refusal(data: bytes, max_bytes: int = MAX_LEAD_FILE_BYTES) -> tuple[str, dict[str, object]]:
    with pytest.raises(UserError) as caught:
        unpacked_records(data, max_bytes)
    return caught.value.key, caught.value.params


def test_a_lead_file_packed_as_gz_or_alone_in_a_zip_reads_like_the_file() -> None:
    """A million rows are about 40 MB of CSV, twice what a Telegram bot may download: a .gz or a .zip of the file
    (five to ten times smaller) was refused as "a GZIP/ZIP file". Unpacked as it is read, it gives the same rows,
    Windows-1251 and all; a folder, macOS's __MACOSX shadow files and hidden files in the zip are not "files"."""
    expected = records(PLAIN_CP1251)
    assert len(expected) == 3001 and expected[1] == (2, ["lead0@acme.test", "Иван 0"])
    assert unpacked_records(gzip.compress(PLAIN_CP1251)) == expected
    archive = zipped(("export/", b""), ("export/leads.csv", PLAIN_CP1251), ("__MACOSX/export/._leads.csv", b"\0\1"),
                     ("export/.DS_Store", b"\0"))  # fmt: skip
    assert unpacked_records(archive) == expected
    assert unpacked_records(PLAIN_CP1251) == expected  # and an unpacked file is read as it is


def test_a_zip_of_several_files_none_or_a_password_is_refused_in_words() -> None:
    assert refusal(zipped(("a.csv", b"email\n"), ("b.csv", b"email\n"))) == (
        "error-leads-archive-entries", {"count": 2, "names": "a.csv, b.csv"}
    )  # fmt: skip
    assert refusal(zipped(("docs/", b""))) == ("error-leads-archive-entries", {"count": 0, "names": "—"})
    assert refusal(zipped(("leads.csv", PLAIN_CP1251), encrypted=True)) == ("error-leads-archive-encrypted", {})
    assert refusal(zipped(("xl/workbook.xml", b"<x/>"), ("[Content_Types].xml", b"<x/>"))) == (
        "error-leads-format", {"format": "XLSX"}
    )  # fmt: skip
    assert refusal(zipped(("inner.zip", zipped(("a.csv", b"email\n"))))) == (
        "error-leads-format",
        {"format": "XLSX/ZIP"},
    )
    for key, params in [refusal(zipped(("a.csv", b"x"))[:-30] + b"\0" * 30)]:  # its directory is gone
        assert key == "error-leads-format" and "XLSX/ZIP" in EN(key, **params)


def test_a_damaged_or_oversized_archive_is_refused_however_far_it_gets() -> None:
    """A bomb never fills the memory: reading stops at the size a plain file may have (a zip says its size up
    front; a gzip is counted as it unpacks). A cut or corrupted archive is named, not read half."""
    bomb = b"email\n" + b"a" * 400_000
    assert refusal(gzip.compress(bomb), max_bytes=100_000) == ("error-leads-unpacked-too-large", {"limit_mb": 0})
    assert refusal(zipped(("a.csv", bomb)), max_bytes=100_000)[0] == "error-leads-unpacked-too-large"
    assert refusal(gzip.compress(PLAIN_CP1251)[:-2000]) == ("error-leads-archive-broken", {"format": "GZIP"})
    damaged = bytearray(zipped(("leads.csv", PLAIN_CP1251)))
    damaged[200:260] = bytes(60)  # inside the compressed data: the CRC (or the inflate) fails
    assert refusal(bytes(damaged)) == ("error-leads-archive-broken", {"format": "ZIP"})
    assert "MB" in EN("error-leads-unpacked-too-large", limit_mb=64) and "ZIP" in EN(
        "error-leads-archive-broken", format="ZIP"
    )


def test_a_libreoffice_or_numbers_spreadsheet_is_refused_by_name_not_as_an_archive_of_several_files() -> None:
    """An .ods or .numbers is a ZIP of several files: it was answered "an archive must hold exactly one CSV, this
    one holds 4: mimetype, content.xml, …", which tells a manager nothing about what to do."""
    ods = io.BytesIO()
    with zipfile.ZipFile(ods, "w", zipfile.ZIP_DEFLATED) as archive:  # as LibreOffice writes it: mimetype first, stored
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        for name in ("content.xml", "styles.xml", "meta.xml", "META-INF/manifest.xml"):
            archive.writestr(name, "<x/>")
    numbers = zipped(("Index/Document.iwa", b"\0\1\2"), ("Metadata/Properties.plist", b"<x/>"),
                     ("preview.jpg", b"\xff\xd8\xff"))  # fmt: skip
    assert refusal(ods.getvalue()) == ("error-leads-format", {"format": "ODS"})
    assert refusal(numbers) == ("error-leads-format", {"format": "Numbers"})
    assert "ODS" in translator("ru")("error-leads-format", format="ODS")


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ('\ufeff<html xmlns:x="urn:schemas-microsoft-com:office:excel">\n<head><meta charset="utf-8"></head><body>\n'
         "<table>\n<tr><th>Имя</th><th>E-mail</th></tr>\n<tr><td>Иван</td><td>ivan@acme.ru</td></tr>\n</table>\n"
         "</body></html>\n", "HTML"),  # Bitrix24's "Excel" export: an HTML table in a file named .xls
        ('<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">\n<Worksheet>'
         "<Table>\n<Row><Cell><Data>Email</Data></Cell></Row>\n<Row><Cell><Data>ivan@acme.ru</Data></Cell></Row>\n"
         "</Table></Worksheet></Workbook>\n", "XML"),  # Excel 2003 "XML Spreadsheet"
        ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Иван Петров\r\nEMAIL;TYPE=INTERNET:ivan@acme.ru\r\nEND:VCARD\r\n",
         "VCF"),  # a phone's or a mail client's contacts export
    ],
    ids=["html", "xml", "vcf"],
)  # fmt: skip
def test_a_crm_excel_export_that_is_a_web_page_is_refused_by_name(data: str, name: str) -> None:
    """A CRM's "export to Excel" is often an HTML table in a file named .xls: it was read as CSV, a line that
    mentions E-mail taken for the header, and every row rejected as "not an email address" (or the file refused
    for "no email column, headers found: <html xmlns:x=…>")."""
    assert refusal(data.encode()) == ("error-leads-format", {"format": name})
