"""Parsing a domain list or CSV: encodings, delimiters, headers, per-row reasons, duplicates in the file."""

from __future__ import annotations

import datetime as dt

from engine.domains import ImportRow, names_list, parse_import
from engine.uploads import decode_upload
from models.enums import MailProvider, PoolRole


def test_plain_list_one_domain_per_line() -> None:
    rows, errors = parse_import("alpha.ru\n\n  Пример.РФ  \nbeta.online\n")
    assert [r.name for r in rows] == ["alpha.ru", "xn--e1afmkfd.xn--p1ai", "beta.online"]
    assert [r.line for r in rows] == [1, 3, 4]
    assert errors == []
    assert rows[0] == ImportRow(1, "alpha.ru")


def test_semicolon_csv_in_cp1251_with_a_russian_header() -> None:
    text = "домен;регистратор;истекает;почта;роль\nпример.рф;REG.RU;31.12.2026;яндекс;резерв\n"
    rows, errors = parse_import(decode_upload(text.encode("cp1251")))
    assert errors == []
    assert rows == [
        ImportRow(2, "xn--e1afmkfd.xn--p1ai", "reg.ru", dt.date(2026, 12, 31), MailProvider.YANDEX360, PoolRole.RESERVE)
    ]


def test_comma_csv_positional_columns_in_utf8_with_bom() -> None:
    text = "alpha.ru,nic.ru,2027-01-15,mailru,active\nbeta.ru,,,generic,\n"
    rows, errors = parse_import(decode_upload(b"\xef\xbb\xbf" + text.encode()))
    assert errors == []
    assert [(r.name, r.registrar, r.expires_on, r.provider, r.pool_role) for r in rows] == [
        ("alpha.ru", "nic.ru", dt.date(2027, 1, 15), MailProvider.MAILRU, PoolRole.ACTIVE),
        ("beta.ru", "", None, MailProvider.GENERIC, PoolRole.ACTIVE),
    ]


def test_header_may_reorder_columns() -> None:
    rows, errors = parse_import("pool,name\nreserve,alpha.ru\n")
    assert errors == [] and rows == [ImportRow(2, "alpha.ru", pool_role=PoolRole.RESERVE)]


def test_headers_as_spreadsheets_and_registrars_name_them() -> None:
    """ "Domain Name" (a registrar's export) was no header: its line was refused as "not a domain name" and the
    columns after it were read by position."""
    text = "Domain Name;Expiration Date;Mail_Provider;Pool-Role\nalpha.ru;2027-01-15;mailru;reserve\n"
    rows, errors = parse_import(text)
    assert errors == []
    assert rows == [ImportRow(2, "alpha.ru", "", dt.date(2027, 1, 15), MailProvider.MAILRU, PoolRole.RESERVE)]
    rows, errors = parse_import("Доменное имя;Дата окончания\nпример.рф;31.12.2026\n")
    assert errors == [] and [(r.name, r.expires_on) for r in rows] == [("xn--e1afmkfd.xn--p1ai", dt.date(2026, 12, 31))]


def test_every_bad_row_gets_its_reason_and_the_good_ones_stay() -> None:
    text = "\n".join(
        [
            "name;registrar;expiry;provider;pool",
            "good.ru;reg.ru;2027-01-01;yandex;active",
            "not a domain;reg.ru;;;",
            "baddate.ru;reg.ru;31/02/2027;;",
            "badprov.ru;reg.ru;;gmail;",
            "badpool.ru;reg.ru;;;main",
            f"longreg.ru;{'r' * 40};;;",
            "GOOD.ru;;;;",
            "sixth.ru;reg.ru;;;reserve;notes here",
            "trailing.ru;reg.ru;;;;;",
        ]
    )
    rows, errors = parse_import(text)
    assert [r.name for r in rows] == ["good.ru", "trailing.ru"]
    assert [(e.line, e.value, e.key) for e in errors] == [
        (3, "not a domain", "domain-import-bad-name"),
        (4, "baddate.ru", "domain-import-bad-date"),
        (5, "badprov.ru", "domain-import-bad-provider"),
        (6, "badpool.ru", "domain-import-bad-pool"),
        (7, "longreg.ru", "domain-import-bad-registrar"),
        (8, "GOOD.ru", "domain-import-duplicate"),
        (9, "sixth.ru", "domain-import-extra-column"),
    ]
    assert errors[-2].params == {"line": 2}
    assert errors[-1].params == {"value": "notes here", "columns": 5}


def test_empty_input() -> None:
    assert parse_import("\n \n") == ([], [])


def test_an_unknown_registrar_is_refused_naming_the_value_and_the_known_ones() -> None:
    rows, errors = parse_import("alpha.ru;b.ru\nbeta.ru;REG.RU\ngamma.ru;Timeweb\n")
    assert [(r.name, r.registrar) for r in rows] == [("beta.ru", "reg.ru"), ("gamma.ru", "timeweb")]
    [error] = errors
    assert (error.line, error.value, error.key) == (1, "alpha.ru", "domain-import-bad-registrar")
    assert error.params["value"] == "b.ru"
    assert {"regru", "nicru", "timeweb", "other"} <= set(str(error.params["choices"]).split(", "))


def test_a_typed_list_takes_spaces_commas_and_semicolons_as_separators() -> None:
    typed = "a.ru;b.ru c.ru , d.ru,e.ru ; f.ru\tg.ru"
    rows, errors = parse_import(names_list(typed))
    assert errors == [] and [r.name for r in rows] == [f"{c}.ru" for c in "abcdefg"]
    assert all(r.registrar == "" for r in rows)
