"""Lead import as a manager sees it: a Windows-1251, semicolon CSV uploaded in Telegram and in Slack, answered
with the counts and the rejection report as a file; clients refused. Real transports, Knot DNS, PostgreSQL, Redis."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.runner import Runner
from bot.telegram.render import ERROR_MARK
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.dns.check import ResolverConfig
from engine.domains import DnsConfig
from engine.i18n import translator
from engine.reply import Attachment
from models import Campaign, Enrollment, Lead, Workspace
from models.enums import LeadVerdict, LegalBasis, Platform
from tests.e2e.conftest import CONSOLE_ADMIN, TelegramRig, visible
from tests.e2e.slackrig import Rig, join, seen, slack_rig
from tests.harness.dnsserver import DnsServer

EN = translator("en")
RU = translator("ru")
ANNA = 700401
HEADER = "Электронная почта;Имя;Компания;Должность"
ROWS = (
    "anna@acme.leads.test;Анна;ООО «Ромашка»;директор",  # 2 valid
    "zakaz@acme.leads.test;;;",  # 3 role: risky
    "anna@acme.leads.test;Анна;;",  # 4 duplicate
    "oleg@gone.leads.test;Олег;;",  # 5 NXDOMAIN
    "адрес без собаки;;;",  # 6 syntax
)


def leads_csv() -> bytes:
    return "\r\n".join([HEADER, *ROWS, ""]).encode("cp1251")


@pytest.fixture(scope="module")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    with DnsServer(tmp_path_factory.mktemp("knot")) as server:
        server.set_zone("leads.test", [("acme", "MX", "10 mx.acme"), ("mx.acme", "A", "192.0.2.10")])
        yield server


def services(redis: Redis, knot: DnsServer) -> dict[str, Any]:
    resolver = ResolverConfig((knot.host,), knot.port, 2.0)
    vault = Vault([generate_key()])
    return {"redis": redis, "dns": DnsConfig(resolver), "leads_test_environment": True, "vault": vault}


def report_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


# Telegram ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def runner(orm: None, clock: FrozenClock, redis: Redis, knot: DnsServer) -> Runner:
    return Runner(clock, admins={Platform.CONSOLE: {CONSOLE_ADMIN}}, services=services(redis, knot))


async def person(rig: TelegramRig, user_id: int, role: str) -> Any:
    if not await Workspace.exists(slug="acme"):
        await rig.admin("/workspace_new acme ACME")
    code = await rig.invite("acme", role)
    user = rig.user(user_id, first_name="Anna")
    await user.send_command(f"/start {code}")
    await user.wait_replies()
    return user


async def test_telegram_cp1251_semicolon_upload_gives_counts_and_a_rejection_file(telegram: TelegramRig) -> None:
    anna = await person(telegram, ANNA, "manager")
    workspace = await Workspace.get(slug="acme")
    await Campaign.create(workspace=workspace, name="Весна 2027")

    caption = "/leads_import Весна 2027 source=выставка 2026 basis=договор 12"
    await anna.upload_document("leads.csv", leads_csv(), caption=caption)
    text, report = await anna.wait_replies(2, timeout=30)

    shown = visible(text.text)
    counts = EN("leads-import-result", rows=5, imported=3, updated=0, duplicates=1, invalid=2, risky=1, unknown=0,
                suppressed=0)  # fmt: skip
    assert counts in shown
    assert EN("leads-import-enrolled", campaign="Весна 2027", enrolled=2) in shown
    assert EN("leads-import-report", count=3) in shown
    assert report.document is not None and report.document["file_name"] == "leads-rejected.csv"
    assert report_rows(await anna.download(report)) == [
        ["Line", "Email", "Reason"],
        ["4", "anna@acme.leads.test", EN("leads-reason-duplicate")],
        ["5", "oleg@gone.leads.test", EN("leads-reason-no-domain")],
        ["6", "адрес без собаки", EN("leads-reason-syntax")],
    ]
    anna_lead = await Lead.get(email="anna@acme.leads.test")
    assert (anna_lead.company, anna_lead.custom, anna_lead.source, anna_lead.legal_basis, anna_lead.basis_note) == (
        "ООО «Ромашка»", {"Должность": "директор"}, "выставка 2026", LegalBasis.CONTRACT, "договор 12")  # fmt: skip
    assert await Enrollment.all().count() == 2

    await Lead.filter(id=anna_lead.id).update(company="ООО\r\n«Ромашка»  ")  # a cell with a line break
    await anna.send_command("/leads")
    [overview] = await anna.wait_replies()
    assert EN("leads-counts", valid=1, risky=1, unknown=0, invalid=1) in visible(overview.text)
    assert "✅ anna@acme.leads.test — Анна, ООО «Ромашка»" in visible(overview.text).splitlines()  # one line a lead


def zipped(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("transport_options", [{"download_limit": 2048}])
async def test_telegram_a_list_too_big_to_download_is_refused_first_and_taken_zipped(telegram: TelegramRig) -> None:
    """Telegram lets a bot download 20 MB, and a million-row list is twice that: it used to end in "I could not
    download the file, send it again" (again and again). Over the download limit (2 KB here) the file is refused
    before any download, saying to pack it; the same list zipped is imported like the CSV."""
    anna = await person(telegram, ANNA, "manager")
    big = leads_csv() + b"".join(f"lead{n}@acme.leads.test;Лид {n};;\r\n".encode("cp1251") for n in range(100))
    caption = "/leads_import source=выставка basis=договор 12"
    await anna.upload_document("leads.csv", big, caption=caption)
    [refused] = await anna.wait_replies(timeout=30)
    size_mb = f"{len(big) / 2**20:.1f}"
    assert visible(refused.text) == ERROR_MARK + EN(
        "telegram-file-over-download-limit", name="leads.csv", size_mb=size_mb, limit_mb=0
    )
    assert ".zip" in visible(refused.text) and await Lead.all().count() == 0

    packed = zipped("leads.csv", big)
    assert len(packed) < 2048 < len(big)
    await anna.upload_document("leads.zip", packed, caption=caption, mime_type="application/zip")
    text, _report = await anna.wait_replies(2, timeout=30)
    assert EN("leads-import-report", count=3) in visible(text.text)
    assert await Lead.filter(email__startswith="lead").count() == 100 and await Lead.exists(
        email="anna@acme.leads.test"
    )


async def test_telegram_a_spreadsheet_is_refused_by_name_and_clients_may_not_import(telegram: TelegramRig) -> None:
    anna = await person(telegram, ANNA, "manager")
    await anna.upload_document("leads.xlsx", b"PK\x03\x04" + b"\0" * 300, caption="/leads_import basis=x")
    [refused] = await anna.wait_replies(timeout=30)
    assert visible(refused.text) == ERROR_MARK + EN("error-leads-format", format="XLSX/ZIP")

    client = await person(telegram, ANNA + 1, "client")
    await client.upload_document("leads.csv", leads_csv(), caption="/leads_import basis=x")
    [denied] = await client.wait_replies(timeout=30)
    assert ERROR_MARK in visible(denied.text)
    assert await Lead.all().count() == 0


# Slack ------------------------------------------------------------------------------------------------------------


@pytest.fixture
async def slack(orm: None, redis: Redis, knot: DnsServer) -> AsyncIterator[Rig]:
    async with slack_rig(redis, services(redis, knot)) as rig:
        yield rig


async def test_slack_cp1251_upload_gives_counts_a_rejection_file_and_suppression_works(slack: Rig) -> None:
    await join(slack, "U0MGR", "manager", name="mgr")

    no_source = "\n".join(await slack.upload("leads_import basis=договор", "leads.csv", leads_csv(), user="U0MGR"))
    assert seen(EN("error-leads-no-source")) in no_source
    bad_basis = "\n".join(await slack.upload("leads_import source=сайт basis=устно", "leads.csv", leads_csv(),
                                            user="U0MGR"))  # fmt: skip
    assert "устно" in bad_basis and await Lead.all().count() == 0
    answer = "\n".join(await slack.upload("leads_import source=сайт basis=договор", "leads.csv", leads_csv(),
                                         user="U0MGR"))  # fmt: skip

    counts = EN("leads-import-result", rows=5, imported=3, updated=0, duplicates=1, invalid=2, risky=1, unknown=0,
                suppressed=0)  # fmt: skip
    assert seen(counts) in answer
    await slack.api.wait_call("files.completeUploadExternal")
    [uploaded] = slack.api.files.values()
    assert uploaded.filename == "leads-rejected.csv"
    assert [row[:2] for row in report_rows(uploaded.content)[1:]] == [
        ["4", "anna@acme.leads.test"], ["5", "oleg@gone.leads.test"], ["6", "адрес без собаки"],
    ]  # fmt: skip

    suppressed = await slack.say("suppress Anna@ACME.leads.test", user="U0MGR")
    assert suppressed == [seen(EN("leads-suppressed", value="anna@acme.leads.test", scope=EN("leads-scope-workspace")))]
    again = "\n".join(await slack.upload("leads_import source=сайт basis=договор", "leads.csv", leads_csv(),
                                        user="U0MGR"))  # fmt: skip
    assert seen(EN("leads-import-result", rows=5, imported=0, updated=2, duplicates=1, invalid=2, risky=1, unknown=0,
                   suppressed=1)) in again  # fmt: skip  # the suppressed address is not stored again
    lifted = await slack.say("unsuppress anna@acme.leads.test", user="U0MGR")
    assert lifted == [seen(EN("leads-unsuppressed", value="anna@acme.leads.test", scope=EN("leads-scope-workspace")))]
    assert (await Lead.get(email="zakaz@acme.leads.test")).verdict is LeadVerdict.RISKY
    idn = await slack.say("suppress ПОЧТА.рф", user="U0MGR")  # stored as punycode, named as typed
    assert idn == [seen(EN("leads-suppressed", value="почта.рф", scope=EN("leads-scope-workspace")))]
    assert await slack.say("unsuppress почта.рф", user="U0MGR") == [
        seen(EN("leads-unsuppressed", value="почта.рф", scope=EN("leads-scope-workspace")))
    ]


async def test_telegram_an_address_copied_with_its_display_name_is_suppressed_and_lifted(telegram: TelegramRig) -> None:
    """`/suppress Иван Петров <Ivan@Example.com>` — an address as a mail client shows it — was refused as
    "«<Ivan@Example.com>» does not fit «scope» of /suppress: choose one of: all"; the address is the rest of the
    line, and `all` at its end still means every workspace (admins only)."""
    anna = await person(telegram, ANNA, "manager")
    await anna.send_command("/suppress Иван Петров <Ivan@Example.com>")
    [done] = await anna.wait_replies()
    scope = EN("leads-scope-workspace")
    assert visible(done.text) == EN("leads-suppressed", value="ivan@example.com", scope=scope)
    await anna.send_command("/suppress Иван Петров <ivan@example.com> all")
    [refused] = await anna.wait_replies()
    assert "ivan@example.com" not in visible(refused.text) and visible(refused.text).startswith(ERROR_MARK)
    await anna.send_command("/suppress *.example.com")
    [wildcard] = await anna.wait_replies()
    assert visible(wildcard.text) == ERROR_MARK + EN(
        "error-leads-suppress-wildcard", value="*.example.com", domain="example.com"
    )
    await anna.send_command("/unsuppress Иван Петров <ivan@example.com>")
    [lifted] = await anna.wait_replies()
    assert visible(lifted.text) == EN("leads-unsuppressed", value="ivan@example.com", scope=scope)


# Console ----------------------------------------------------------------------------------------------------------


async def test_counts_of_reasons_have_the_readers_digits(runner: Runner) -> None:
    admin = runner.identity(Platform.CONSOLE, CONSOLE_ADMIN, "admin", "ru")
    assert (await runner.run_line(admin, "console", "/workspace_new acme ACME")).ok
    rows = "\r\n".join(["email;источник;основание", *(f"адрес-{n};сайт;согласие" for n in range(1500)), ""])
    reply = await runner.run(admin, "console", "leads_import", [], Attachment("leads.csv", rows.encode()))
    text = reply.plain_text()
    assert RU("leads-import-result", rows=1500, imported=0, updated=0, duplicates=0, invalid=1500, risky=0, unknown=0,
              suppressed=0) in text  # fmt: skip
    assert RU("leads-import-reasons", reasons=RU("label-count", label=RU("leads-reason-syntax"), count=1500)) in text
    assert "1500" not in text  # "1 500", as the counts above it


async def test_a_list_without_a_header_row_is_imported_and_the_reply_says_what_was_not_read(runner: Runner) -> None:
    admin = runner.identity(Platform.CONSOLE, CONSOLE_ADMIN, "admin", "ru")
    assert (await runner.run_line(admin, "console", "/workspace_new acme ACME")).ok
    rows = "Анна;anna@acme.leads.test;Ромашка;директор\r\nБорис;boris@acme.leads.test;;\r\n".encode("cp1251")
    reply = await runner.run(admin, "console", "leads_import", ["source=сайт", "basis=согласие"],
                             Attachment("leads.csv", rows))  # fmt: skip
    text = reply.plain_text()
    assert reply.ok
    assert RU("leads-import-no-header", column=2) in text and RU("leads-import-no-header-unread", count=3) in text
    assert "Ещё 3 столбца не импортированы" in text
    assert await Lead.all().count() == 2


@pytest.mark.parametrize(
    ("data", "separator"),
    [
        (b"email,name\r\nnot-an-address,Ann\r\n", ","),  # "CSV UTF-8" of an Excel whose list separator is ,
        ("email;name\r\nnot-an-address;Анна\r\n".encode("cp1251"), ";"),  # Russian Excel's "CSV (разделители…)"
        ("email\tname\r\nnot-an-address\tАнна\r\n".encode("utf-16"), ";"),  # "Unicode text": semicolons, as by default
    ],
    ids=["comma", "semicolon", "tab"],
)
async def test_the_rejection_report_is_separated_as_the_upload_was_so_the_same_excel_opens_it_in_columns(
    runner: Runner, data: bytes, separator: str
) -> None:
    """The report was always separated by semicolons: an English Excel, whose list separator is the comma its own
    upload used, showed every row of it in one cell."""
    admin = runner.identity(Platform.CONSOLE, CONSOLE_ADMIN, "admin", "en")
    assert (await runner.run_line(admin, "console", "/workspace_new acme ACME")).ok
    reply = await runner.run(admin, "console", "leads_import", ["source=site", "basis=consent"],
                             Attachment("leads.csv", data))  # fmt: skip
    [report] = reply.files
    assert report.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig")), delimiter=separator))
    assert rows == [["Line", "Email", "Reason"], ["2", "not-an-address", EN("leads-reason-syntax")]]


@pytest.mark.parametrize(
    ("data", "header_line"),
    [
        ("Клиенты на 01.12.2026;;\r\n;;\r\nОтдел продаж;;\r\nemail;Имя;Компания\r\n"
         "anna@acme.leads.test;Анна;Ромашка\r\n"
         "boris@acme.leads.test;Борис;\r\n".encode("cp1251"), 4),  # Russian Excel: the title row is merged cells
        ("Выгрузка из CRM\nОтдел продаж\nemail;Имя;Компания\nanna@acme.leads.test;Анна;Ромашка\n"
         "boris@acme.leads.test;Борис;\n".encode(), 3),  # typed by hand above a LibreOffice export: no separators
    ],
    ids=["excel", "plain"],
)  # fmt: skip
async def test_a_title_above_the_header_row_is_skipped_and_said_not_refused_as_no_email_column(
    runner: Runner, data: bytes, header_line: int
) -> None:
    """A sheet with its title and a line of notes above the header row was refused: "no email column; headers
    found: Клиенты на 01.12.2026". The header is the first line below that names an email column."""
    admin = runner.identity(Platform.CONSOLE, CONSOLE_ADMIN, "admin", "ru")
    assert (await runner.run_line(admin, "console", "/workspace_new acme ACME")).ok
    reply = await runner.run(admin, "console", "leads_import", ["source=сайт", "basis=согласие"],
                             Attachment("leads.csv", data))  # fmt: skip
    assert reply.ok, reply.plain_text()
    assert RU("leads-import-title-skipped", line=header_line, count=2) in reply.plain_text()
    assert dict(await Lead.all().values_list("email", "company")) == {
        "anna@acme.leads.test": "Ромашка", "boris@acme.leads.test": ""}  # fmt: skip
    assert not reply.files  # nothing rejected: the title lines are no leads


async def test_a_column_without_a_header_or_with_a_repeated_one_is_named_in_the_reply(runner: Runner) -> None:
    """Values under a blank header cell, and the first of two "Телефон" columns, were dropped without a word."""
    admin = runner.identity(Platform.CONSOLE, CONSOLE_ADMIN, "admin", "ru")
    assert (await runner.run_line(admin, "console", "/workspace_new acme ACME")).ok
    data = "Email;;Телефон;Телефон\r\nanna@acme.leads.test;Анна;+7 900;+7 901\r\n".encode()
    reply = await runner.run(admin, "console", "leads_import", ["source=сайт", "basis=согласие"],
                             Attachment("leads.csv", data))  # fmt: skip
    assert reply.ok, reply.plain_text()
    text = reply.plain_text()
    assert RU("leads-import-unnamed-column", column=2, name="column_2", placeholder="{column_2}") in text
    assert RU("leads-import-renamed-column", header="Телефон", name="Телефон 2", placeholder="{телефон_2}") in text
    assert dict(await Lead.all().values_list("email", "custom")) == {
        "anna@acme.leads.test": {"column_2": "Анна", "Телефон": "+7 900", "Телефон 2": "+7 901"}}  # fmt: skip
    # the reply names the column "столбец 2": that name (or its key) reads it as a lead field; the file has no
    # header to name it by, and `name=column_2` was "no column column_2 in the file"
    for named in ("столбец 2", "column_2"):
        again = await runner.run(admin, "console", "leads_import", ["source=сайт", "basis=согласие", f"name={named}"],
                                 Attachment("leads.csv", data))  # fmt: skip
        assert again.ok, again.plain_text()
        assert await Lead.filter(email="anna@acme.leads.test", first_name="Анна").exists()
        await Lead.all().update(first_name="")
    missing = await runner.run(admin, "console", "leads_import", ["source=сайт", "basis=согласие", "name=столбец 9"],
                               Attachment("leads.csv", data))  # fmt: skip
    assert not missing.ok
    assert missing.plain_text() == RU("error-leads-no-header", header="столбец 9", headers="Email, Телефон, Телефон")


async def test_a_time_zone_not_understood_is_said_in_the_reply(runner: Runner) -> None:
    """A lead's zone that is no zone ("Урал") was dropped without a word: its lead got mail at the campaign's hours."""
    admin = runner.identity(Platform.CONSOLE, CONSOLE_ADMIN, "admin", "ru")
    assert (await runner.run_line(admin, "console", "/workspace_new acme ACME")).ok
    data = "Email;Часовой пояс\r\na@acme.leads.test;Урал\r\nb@acme.leads.test;г. Екатеринбург\r\n".encode("cp1251")
    reply = await runner.run(admin, "console", "leads_import", ["source=сайт", "basis=согласие"],
                             Attachment("leads.csv", data))  # fmt: skip
    assert reply.ok, reply.plain_text()
    assert (
        RU("leads-import-zone-unknown", count=1, examples=RU("leads-import-zone-example", value="Урал"))
        in reply.plain_text()
    )
    assert "Часовой пояс не понят в 1 строке («Урал»)" in reply.plain_text()
    assert dict(await Lead.all().values_list("email", "timezone")) == {
        "a@acme.leads.test": "", "b@acme.leads.test": "Asia/Yekaterinburg"}  # fmt: skip
