"""Lead import, suppression and enrollment against the real PostgreSQL, Redis and a Knot DNS server on loopback
(MX for some domains, an address only, a null MX, NXDOMAIN) and a silent resolver (timeouts)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis
from tortoise import connections
from tortoise.transactions import in_transaction

from engine.access import Actor
from engine.campaigns.enroll import EnrollReport, enroll
from engine.clock import FrozenClock
from engine.errors import Forbidden, NotFound, UserError
from engine.i18n import translator
from engine.leads import importer
from engine.leads.importer import ImportOptions, import_leads
from engine.leads.listing import lead_summary
from engine.leads.suppression import is_suppressed, mark_hard_bounced, suppress, unsuppress
from models import AgencySetting, Campaign, Domain, Enrollment, Lead, Mailbox, OutboundMessage, Suppression, Workspace
from models.enums import (
    CampaignStatus,
    DomainStatus,
    EnrollmentState,
    LeadVerdict,
    LegalBasis,
    MailProvider,
    MessageKind,
    MessageStatus,
    Platform,
    Role,
    TlsMode,
)
from tests.harness.dnsserver import DnsServer, SilentUdpServer

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
ZONE = "leads.test"
TEST = ImportOptions(legal_basis="договор", source="выставка 2026", test_environment=True)


@pytest.fixture(scope="module")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    with DnsServer(tmp_path_factory.mktemp("knot")) as server:
        server.set_zone(
            ZONE,
            [
                ("acme", "MX", "10 mx.acme"),
                ("mx.acme", "A", "192.0.2.10"),
                ("beta", "MX", "10 mx.acme"),
                ("plain", "A", "192.0.2.20"),  # no MX: the address is the implicit MX
                ("nullmx", "MX", "0 ."),
                ("nomail", "TXT", "nothing here"),  # exists, neither MX nor address
            ],
        )
        yield server


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def acme(orm: None) -> Workspace:
    return await Workspace.create(slug="acme", name="ACME")


def manager(ws: Workspace, role: Role = Role.MANAGER) -> Actor:
    return Actor(person_id=None, platform=Platform.CONSOLE, role=role, workspace_id=ws.id)


def csv(*lines: str, header: str = "Почта;Имя;Компания", encoding: str = "cp1251") -> bytes:
    return "\r\n".join([header, *lines, ""]).encode(encoding)


async def test_import_validates_each_domain_once_and_reports_every_rejected_line(
    acme: Workspace, knot: DnsServer, clock: FrozenClock, redis: Redis
) -> None:
    await Suppression.create(workspace=None, value="beta.leads.test", reason="manual")
    data = csv(
        "Anna@ACME.leads.test;Анна;ООО «Ромашка»",  # line 2: valid
        "boris@acme.leads.test;Борис;",  # 3: valid, same domain: no second lookup
        "anna@acme.leads.test;Анна 2;",  # 4: duplicate in the file
        "vera@plain.leads.test;Вера;",  # 5: address only: valid
        "gleb@nullmx.leads.test;Глеб;",  # 6: null MX: invalid
        "dima@gone.leads.test;Дима;",  # 7: NXDOMAIN: invalid
        "zakaz@acme.leads.test;;",  # 8: role: risky, imported
        "x@mailinator.com;;",  # 9: disposable: invalid without asking DNS
        "не-адрес;Ж;",  # 10: syntax
        "ivan@beta.leads.test;Иван;",  # 11: the domain is suppressed everywhere
        "eva@nomail.leads.test;Ева;",  # 12: no MX and no address
    )

    report = await import_leads(manager(acme), data, clock, options=TEST, resolver=knot.resolver(), redis=redis)

    assert (report.rows, report.imported, report.updated, report.duplicates) == (11, 8, 0, 1)  # ivan: not stored
    assert (report.invalid, report.risky, report.unknown, report.suppressed) == (5, 1, 0, 1)
    rejected = {(r.line, r.reason) for r in report.rejections}
    assert rejected == {(4, "duplicate"), (6, "null_mx"), (7, "no_domain"), (9, "disposable"), (10, "syntax"),
                        (11, "suppressed"), (12, "no_mx")}  # fmt: skip
    assert report.dns.looked_up == 6  # acme, plain, nullmx, gone, beta, nomail: once each
    leads = {lead.email: lead for lead in await Lead.filter(workspace=acme)}
    assert "ivan@beta.leads.test" not in leads  # a suppressed address is refused, never stored
    assert leads["anna@acme.leads.test"].first_name == "Анна"
    assert leads["anna@acme.leads.test"].company == "ООО «Ромашка»"
    assert leads["anna@acme.leads.test"].legal_basis is LegalBasis.CONTRACT
    assert (leads["zakaz@acme.leads.test"].verdict, leads["zakaz@acme.leads.test"].verdict_reason) == ("risky", "role")
    assert (leads["gleb@nullmx.leads.test"].verdict, leads["gleb@nullmx.leads.test"].verdict_reason) == (
        LeadVerdict.INVALID,
        "null_mx",
    )
    assert leads["vera@plain.leads.test"].verdict is LeadVerdict.VALID
    assert leads["vera@plain.leads.test"].validated_at == NOW
    assert await redis.get("leads:mx:acme.leads.test") == b"ok"

    again = await import_leads(manager(acme), data, clock, options=TEST, resolver=knot.resolver(), redis=redis)
    assert (again.imported, again.updated, again.dns.looked_up, again.dns.from_redis) == (0, 8, 0, 6)
    assert await Lead.filter(workspace=acme).count() == 8


async def test_a_suppressed_row_is_counted_once_whatever_its_address_check_says(
    acme: Workspace, knot: DnsServer, clock: FrozenClock, redis: Redis
) -> None:
    for value in ("dima@gone.leads.test", "zakaz@acme.leads.test"):
        await Suppression.create(workspace=acme, value=value, reason="manual")
    data = csv("dima@gone.leads.test;Дима;", "zakaz@acme.leads.test;;")  # NXDOMAIN (invalid), a role (risky)

    report = await import_leads(manager(acme), data, clock, options=TEST, resolver=knot.resolver(), redis=redis)

    assert (report.rows, report.invalid, report.risky, report.unknown, report.suppressed) == (2, 0, 0, 0, 2)
    assert [(r.line, r.reason) for r in report.rejections] == [(2, "suppressed"), (3, "suppressed")]
    assert (report.rejected, dict(report.reasons)) == (2, {"suppressed": 2})
    assert await Lead.filter(workspace=acme).count() == 0


async def test_a_dns_timeout_is_unknown_never_valid_or_invalid_and_is_not_cached(
    acme: Workspace, clock: FrozenClock, redis: Redis
) -> None:
    with SilentUdpServer() as silent:
        report = await import_leads(
            manager(acme), csv("anna@acme.leads.test;Анна;"), clock, options=TEST,
            resolver=silent.resolver(lifetime=0.3), redis=redis,
        )  # fmt: skip
    assert (report.imported, report.unknown, report.invalid, dict(report.reasons)) == (1, 1, 0, {"dns_timeout": 1})
    lead = await Lead.get(email="anna@acme.leads.test")
    assert (lead.verdict, lead.verdict_reason) == (LeadVerdict.UNKNOWN, "dns_timeout")
    assert await redis.get("leads:mx:acme.leads.test") is None


async def test_reimport_updates_fields_keeps_what_the_file_leaves_empty_and_never_undoes_a_hard_bounce(
    acme: Workspace, knot: DnsServer, clock: FrozenClock
) -> None:
    first = csv("anna@acme.leads.test;Анна;Ромашка;Москва", "boris@acme.leads.test;Борис;;Тверь",
                header="email;first name;company;Город")  # fmt: skip
    await import_leads(manager(acme), first, clock, options=TEST, resolver=knot.resolver())
    await mark_hard_bounced(["Boris@ACME.leads.test"], now=NOW)

    second = csv("anna@acme.leads.test;;Лютик;", "boris@acme.leads.test;Боря;;", header="email;имя;компания;Город")
    options = ImportOptions(source="выставка", legal_basis="согласие форма 3", test_environment=True)
    report = await import_leads(manager(acme), second, clock, options=options, resolver=knot.resolver())

    assert (report.imported, report.updated) == (0, 2)
    anna = await Lead.get(email="anna@acme.leads.test")
    assert (anna.first_name, anna.company, anna.custom, anna.source, anna.legal_basis, anna.basis_note) == (
        "Анна", "Лютик", {"Город": "Москва"}, "выставка", LegalBasis.CONSENT, "согласие форма 3",
    )  # fmt: skip
    boris = await Lead.get(email="boris@acme.leads.test")
    assert (boris.first_name, boris.verdict, boris.verdict_reason) == ("Боря", LeadVerdict.INVALID, "hard_bounce")


async def test_a_failing_batch_leaves_nothing_written(acme: Workspace, clock: FrozenClock) -> None:
    good = [f"user{i}@acme.leads.test;Имя {i};" for i in range(20)]
    data = csv(*good, f"late@acme.leads.test;{'Я' * 20_000};")  # line 22: a cell no name is that long
    options = ImportOptions(legal_basis="договор", source="s", test_environment=True, batch_rows=5, check_dns=False)
    with pytest.raises(UserError) as caught:
        await import_leads(manager(acme), data, clock, options=options)
    assert (caught.value.key, caught.value.params) == ("error-leads-field-long", {"line": 22, "limit": 10_000})
    assert await Lead.all().count() == 0


async def test_an_import_that_grows_the_table_keeps_its_plans_to_the_keys(
    acme: Workspace, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first import of 1,000,000 rows took 330 s instead of 30: the table's statistics were those of an empty
    table until the import's one transaction committed, so each batch's duplicate merge read every lead of the
    workspace and compared each with every duplicate. The import now analyzes the table as it grows (inside its
    transaction), and the merge finds each lead by its whole key: here, after an import of 400 rows with repeats,
    the statistics know its rows, and the merge's plan of a table analyzed when empty probes keys only."""
    monkeypatch.setattr(importer, "ANALYZE_FIRST", 100)
    monkeypatch.setattr(importer, "ANALYZE_AFTER", 100)
    conn = connections.get("default")
    await conn.execute_script("ANALYZE lead")  # empty: the statistics a new agency starts with
    rows = [f"user{i}@acme.leads.test;Имя {i};" for i in range(400)] + ["USER7@acme.leads.test;;Ромашка"]
    options = ImportOptions(legal_basis="договор", source="s", test_environment=True, batch_rows=50, check_dns=False)
    report = await import_leads(manager(acme), csv(*rows), clock, options=options)
    assert report.imported == 400 and report.duplicates == 1
    believed = await conn.execute_query_dict("SELECT reltuples FROM pg_class WHERE oid = 'lead'::regclass")
    assert believed[0]["reltuples"] >= 300
    assert (await Lead.get(email="user7@acme.leads.test")).company == "Ромашка"

    await conn.execute_script("DELETE FROM lead; ANALYZE lead")
    await conn.execute_query(
        "INSERT INTO lead (workspace_id, email, first_name, last_name, company, custom, source, legal_basis, "
        "verdict, verdict_reason, timezone, created_at) SELECT $1, 'p' || n || '@x.test', '', '', '', '{}', 's', "
        "'contract', 'unknown', '', '', now() FROM generate_series(1, 20000) n",
        [acme.id],
    )
    emails = [f"p{n}@x.test" for n in range(1, 11)]
    blank = [""] * len(emails)
    [plan] = await conn.execute_query_dict(
        "EXPLAIN (FORMAT JSON) " + importer._MERGE, [acme.id, emails, blank, blank, blank, blank, ["{}"] * 10]
    )
    scans = [(n["Node Type"], n.get("Index Name", "")) for n in _nodes(json.loads(plan["QUERY PLAN"])[0]["Plan"])
             if n.get("Relation Name") == "lead" and n["Node Type"] != "ModifyTable"]  # fmt: skip
    assert scans and all(kind == "Index Scan" for kind, _ in scans), scans


async def test_a_first_import_into_a_campaign_is_enrolled_with_statistics_that_know_its_rows(
    acme: Workspace, clock: FrozenClock
) -> None:
    """1,800 leads imported into a campaign of a new client took 2–6.5 s to enroll: planned from statistics that
    knew no lead of the workspace (an empty table, or the other clients' leads), each candidate was compared with
    every other. The table is analyzed before the batch is enrolled once the import holds `ANALYZE_FIRST` new rows
    (1,000), whatever the table held: here the statistics know the workspace when the import is done."""
    conn = connections.get("default")
    other = await Workspace.create(slug="other", name="Other")
    await conn.execute_query(
        "INSERT INTO lead (workspace_id, email, first_name, last_name, company, custom, source, legal_basis, "
        "verdict, verdict_reason, timezone, created_at) SELECT $1, 'p' || n || '@x.test', '', '', '', '{}', 's', "
        "'contract', 'unknown', '', '', now() FROM generate_series(1, 6000) n",
        [other.id],
    )
    await conn.execute_script("ANALYZE lead")  # the other client's leads: what the statistics know
    await Campaign.create(workspace=acme, name="Весна")
    rows = [f"buyer{i}@client{i % 40}.leads.test;Имя {i};" for i in range(1_500)]
    options = ImportOptions(legal_basis="договор", source="s", test_environment=True, check_dns=False, campaign="Весна")
    report = await import_leads(manager(acme), csv(*rows), clock, options=options)
    assert report.imported == 1_500 and report.enrolled == 1_500
    [known] = await conn.execute_query_dict(
        "SELECT most_common_vals::text::int[] AS ids FROM pg_stats "
        "WHERE tablename = 'lead' AND attname = 'workspace_id'"
    )
    assert acme.id in known["ids"]


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


async def test_a_control_character_past_the_sample_is_refused_by_its_line_not_stored(
    acme: Workspace, clock: FrozenClock
) -> None:
    """The first 64 KiB are checked for NUL, escape and the like as a whole; a row further down with one (a NUL
    PostgreSQL refuses; an escape sequence a terminal runs when /leads shows the name in the console) is named
    by its line, and nothing is written."""
    good = [f"user{i}@acme.leads.test;Имя {i};" for i in range(3000)]  # about 100 KiB
    options = ImportOptions(legal_basis="договор", source="s", test_environment=True, batch_rows=500, check_dns=False)
    for bad in ("Iv\x00an", "\x1b]0;owned\x07Ivan", "Ivan\x9b2J"):
        data = csv(*good, f"late@acme.leads.test;{bad};", encoding="utf-8")
        with pytest.raises(UserError) as caught:
            await import_leads(manager(acme), data, clock, options=options)
        assert (caught.value.key, caught.value.params) == ("error-leads-control", {"line": 3002})
        assert await Lead.all().count() == 0


async def test_no_legal_basis_no_email_column_and_a_spreadsheet_are_refused_before_anything(
    acme: Workspace, clock: FrozenClock
) -> None:
    data = csv("anna@acme.leads.test;Анна;")
    with pytest.raises(UserError) as no_basis:
        await import_leads(manager(acme), data, clock, options=ImportOptions(test_environment=True))
    assert no_basis.value.key == "error-leads-no-basis"
    with pytest.raises(UserError) as no_email:
        await import_leads(manager(acme), csv("Анна;Ромашка", header="Имя;Компания"), clock, options=TEST)
    assert no_email.value.params == {"headers": "Имя, Компания"}
    with pytest.raises(UserError) as sheet:
        await import_leads(manager(acme), b"PK\x03\x04" + b"\0" * 200, clock, options=TEST)
    assert sheet.value.key == "error-leads-format"
    with pytest.raises(UserError) as big:
        await import_leads(
            manager(acme), data, clock, options=ImportOptions(legal_basis="договор", source="s", max_bytes=10)
        )
    assert big.value.key == "error-upload-too-large"
    assert await Lead.all().count() == 0


async def test_blank_lines_above_the_header_are_skipped_and_a_header_alone_or_blank_lines_are_refused(
    acme: Workspace, clock: FrozenClock
) -> None:
    report = await import_leads(manager(acme), b"\r\n\r\n" + csv("anna@acme.leads.test;Анна;"), clock, options=TEST)
    assert (report.rows, report.imported) == (1, 1)
    with pytest.raises(UserError) as header_only:  # an export of an empty sheet, or of its header only
        await import_leads(manager(acme), csv(header="Почта;Имя;Компания"), clock, options=TEST)
    assert (header_only.value.key, header_only.value.params) == (
        "error-leads-no-rows",
        {"headers": "Почта, Имя, Компания"},
    )
    with pytest.raises(UserError) as blank:
        await import_leads(manager(acme), b"\n\n;;\n", clock, options=TEST)
    assert blank.value.key == "error-leads-empty"
    assert await Lead.all().count() == 1


async def test_a_row_with_more_values_than_the_header_is_rejected_not_imported_shifted(
    acme: Workspace, clock: FrozenClock
) -> None:
    """An unquoted "Petrov, Boris" in a comma file pushed "Boris" into the company and dropped "Beta" silently:
    a value past the header's last column means the row is shifted. Excel's trailing empty cells are no values."""
    data = csv('anna@acme.leads.test,"Ivanova, Anna",ACME', "boris@acme.leads.test,Petrov, Boris,Beta",
               "vera@acme.leads.test,Vera,,,", header="email,name,company", encoding="utf-8")  # fmt: skip
    options = dataclasses.replace(TEST, check_dns=False)
    report = await import_leads(manager(acme), data, clock, options=options)
    assert [(r.line, r.raw, r.reason) for r in report.rejections] == [(3, "boris@acme.leads.test", "extra_cells")]
    assert (report.rows, report.imported, report.invalid) == (3, 2, 1)
    assert dict(await Lead.all().values_list("email", "company")) == {
        "anna@acme.leads.test": "ACME", "vera@acme.leads.test": ""}  # fmt: skip


async def test_a_file_without_a_header_row_is_read_from_its_first_line_and_says_so(
    acme: Workspace, clock: FrozenClock
) -> None:
    """A bare list of addresses, or an export without its header row, was refused as "no email column; headers
    found: anna@…, Анна": its first line is a lead, and the file's addresses are read from the column holding them."""
    options = dataclasses.replace(TEST, check_dns=False)
    bare = await import_leads(manager(acme), b"anna@acme.leads.test\nboris@acme.leads.test\nANNA@acme.leads.test\n",
                              clock, options=options)  # fmt: skip
    assert (bare.rows, bare.imported, bare.duplicates, bare.headerless_column, bare.unread_columns) == (3, 2, 1, 1, 0)
    data = csv("Анна;vera@acme.leads.test;Ромашка", "Глеб;gleb@acme.leads.test;", header="Борис;boris@acme.leads.test;")
    report = await import_leads(manager(acme), data, clock, options=options)
    assert (report.rows, report.imported, report.updated, report.headerless_column, report.unread_columns) == (
        3, 2, 1, 2, 1)  # fmt: skip
    assert await Lead.filter(email="vera@acme.leads.test", first_name="", company="").exists()  # only addresses
    with pytest.raises(UserError) as named:  # a column override says the file has a header: it must name it
        await import_leads(manager(acme), data, clock, options=dataclasses.replace(options, columns={"email": "Почта"}))
    assert named.value.key == "error-leads-no-header"


async def test_rows_without_a_basis_are_rejected_when_the_column_is_empty(acme: Workspace, clock: FrozenClock) -> None:
    data = csv("anna@acme.leads.test;согласие;МСК+2;сайт", "boris@acme.leads.test;;Europe/Moscow;сайт",
               "vera@acme.leads.test;договор;Урал;", "gleb@acme.leads.test;устно;;сайт",
               header="email;основание;часовой пояс;источник")  # fmt: skip
    report = await import_leads(manager(acme), data, clock, options=ImportOptions(test_environment=True))
    assert [(r.line, r.reason) for r in report.rejections] == [
        (3, "no_legal_basis"), (4, "no_source"), (5, "bad_legal_basis")]  # fmt: skip
    zones = {lead.email: (lead.legal_basis, lead.timezone, lead.source) for lead in await Lead.all()}
    assert zones == {"anna@acme.leads.test": (LegalBasis.CONSENT, "Asia/Yekaterinburg", "сайт")}
    with_source = ImportOptions(source="выставка", test_environment=True)  # vera: the default source fills in
    await import_leads(manager(acme), data, clock, options=with_source)
    vera = await Lead.get(email="vera@acme.leads.test")
    assert (vera.legal_basis, vera.timezone, vera.source) == (LegalBasis.CONTRACT, "", "выставка")  # no zone "Урал"


async def test_a_zone_written_as_a_city_is_read_and_one_not_understood_is_said(
    acme: Workspace, clock: FrozenClock
) -> None:
    """A CRM export's "Часовой пояс" holding "Москва" or "г. Новосибирск" was stored as no zone at all, with
    nothing said: those leads got mail at the campaign's hours. Cities are read; what is not understood is counted
    and quoted in the report."""
    data = csv("a@acme.leads.test;г. Новосибирск", "b@acme.leads.test;Ростов-на-Дону", "c@acme.leads.test;New York",
               "d@acme.leads.test;Урал", "e@acme.leads.test;GMT+5:30", "f@acme.leads.test;Урал",
               "g@acme.leads.test;", header="email;часовой пояс")  # fmt: skip
    options = ImportOptions(source="выставка", legal_basis="согласие", test_environment=True)
    report = await import_leads(manager(acme), data, clock, options=options)
    zones = {lead.email[0]: lead.timezone for lead in await Lead.all()}
    assert zones == {"a": "Asia/Novosibirsk", "b": "Europe/Moscow", "c": "America/New_York", "d": "", "e": "",
                     "f": "", "g": ""}  # fmt: skip
    assert (report.zones_unknown, report.zone_examples) == (3, ["Урал", "GMT+5:30"])


async def test_clients_are_refused_and_workspaces_isolated(acme: Workspace, clock: FrozenClock) -> None:
    other = await Workspace.create(slug="other", name="Other")
    theirs = await Campaign.create(workspace=other, name="Их")
    await import_leads(manager(acme), csv("anna@acme.leads.test;А;"), clock, options=TEST)
    with pytest.raises(Forbidden):
        await import_leads(manager(acme, Role.CLIENT), csv("a@acme.leads.test;А;"), clock, options=TEST)
    with pytest.raises(NotFound):
        await import_leads(manager(acme), csv("a@acme.leads.test;А;"), clock,
                           options=ImportOptions(campaign="Их", legal_basis="договор", source="s",
                                                 test_environment=True))  # fmt: skip
    lead = await Lead.get(email="anna@acme.leads.test")
    with pytest.raises(NotFound):
        await enroll(manager(acme), theirs.id, [lead.id], clock)
    assert (await lead_summary(manager(other))).total == 0
    assert (await lead_summary(manager(acme), "ACME")).total == 1


async def test_the_overview_finds_a_lead_by_its_name_as_well(acme: Workspace, clock: FrozenClock) -> None:
    """`/leads Иван` said "Nothing found" next to a listed "ivan@… — Иван": only the address and the company
    were searched."""
    data = csv("ivan@acme.leads.test;Иван;Ромашка", "petr@acme.leads.test;Пётр;Альфа")
    await import_leads(manager(acme), data, clock, options=TEST)
    await Lead.filter(email="ivan@acme.leads.test").update(last_name="Петров")
    for query in ("иван", "ИВАН", "Иван Петров", "петров", "ромашка", "ivan@"):
        found = await lead_summary(manager(acme), query)
        assert [line.email for line in found.examples] == ["ivan@acme.leads.test"], query
        assert found.total == 1
    assert (await lead_summary(manager(acme), "Сидоров")).total == 0


async def test_the_overview_finds_an_address_of_a_cyrillic_domain_as_it_shows_it(
    acme: Workspace, clock: FrozenClock
) -> None:
    """`/leads` lists `olga@почта.рф` (stored in punycode), and `/leads olga@почта.рф` or `/leads почта.рф`, the
    address as shown, said "Nothing found"."""
    await import_leads(manager(acme), csv("Olga@Почта.РФ;Ольга;", "ivan@acme.leads.test;Иван;"), clock,
                       options=dataclasses.replace(TEST, check_dns=False))  # fmt: skip
    for query in ("olga@почта.рф", "ПОЧТА.РФ", "почта", "@почта.рф", "olga@xn--80a1acny"):
        found = await lead_summary(manager(acme), query)
        assert [line.email for line in found.examples] == ["olga@xn--80a1acny.xn--p1ai"], query
        assert found.total == 1
    assert (await lead_summary(manager(acme), "ольга")).total == 1  # the name, as before
    assert (await lead_summary(manager(acme), "почта.ру")).total == 0


async def test_suppression_by_address_and_domain_in_one_query_and_global_for_admins(
    acme: Workspace, clock: FrozenClock
) -> None:
    other = await Workspace.create(slug="other", name="Other")
    await suppress(manager(acme), "Anna@Acme.ru", clock)
    await suppress(manager(acme), "почта.рф", clock)
    with pytest.raises(Forbidden):
        await suppress(manager(acme), "spam.ru", clock, everywhere=True)
    admin = Actor(person_id=None, platform=Platform.CONSOLE, role=Role.ADMIN, workspace_id=None)
    await suppress(admin, "spam.ru", clock, everywhere=True)
    emails = ["anna@acme.ru", "boris@acme.ru", "oleg@xn--80a1acny.xn--p1ai", "x@spam.ru"]
    assert await is_suppressed(acme.id, emails) == {"anna@acme.ru", "oleg@xn--80a1acny.xn--p1ai", "x@spam.ru"}
    assert await is_suppressed(other.id, emails) == {"x@spam.ru"}
    again = await suppress(manager(acme), "anna@acme.ru", clock)
    assert not again.created
    await unsuppress(manager(acme), "anna@acme.ru", clock)
    with pytest.raises(NotFound):
        await unsuppress(manager(acme), "anna@acme.ru", clock)
    with pytest.raises(UserError):
        await suppress(manager(acme), "not a thing", clock)


# enrollment -------------------------------------------------------------------------------------------------------


async def mailbox(ws: Workspace) -> Mailbox:
    domain = await Domain.create(workspace=ws, name=f"{ws.slug}-mail.test", status=DomainStatus.ACTIVE)
    return await Mailbox.create(
        workspace=ws, domain=domain, address=f"a@{domain.name}", display_name="A", provider=MailProvider.GENERIC,
        smtp_host="127.0.0.1", smtp_port=2525, smtp_tls=TlsMode.PLAIN, imap_host="127.0.0.1", imap_port=1143,
        imap_tls=TlsMode.PLAIN, username=f"a@{domain.name}", secret_enc=b"x",
    )  # fmt: skip


async def sent(ws: Workspace, email: str, days_ago: int) -> None:
    """Another workspace wrote to `email` `days_ago` days ago."""
    lead = await Lead.create(workspace=ws, email=email, legal_basis=LegalBasis.CONTRACT)
    box = await mailbox(ws)
    at = NOW - dt.timedelta(days=days_ago)
    await OutboundMessage.create(
        kind=MessageKind.CAMPAIGN, workspace=ws, mailbox=box, lead=lead, message_id=f"<{email}-{days_ago}@t>",
        status=MessageStatus.SENT, scheduled_at=at, sent_at=at,
    )  # fmt: skip


async def test_enroll_skips_each_rule_counts_it_and_sets_next_due_now(acme: Workspace, clock: FrozenClock) -> None:
    other = await Workspace.create(slug="other", name="Other")
    await sent(other, "recent@acme.leads.test", days_ago=10)
    await sent(await Workspace.create(slug="third", name="Third"), "old@acme.leads.test", days_ago=40)
    running = await Campaign.create(workspace=acme, name="Осень", status=CampaignStatus.RUNNING)
    target = await Campaign.create(workspace=acme, name="Весна")
    emails = ["ok@acme.leads.test", "busy@acme.leads.test", "recent@acme.leads.test", "old@acme.leads.test",
              "sup@acme.leads.test", "x@blocked.leads.test", "bad@acme.leads.test"]  # fmt: skip
    leads = {e: await Lead.create(workspace=acme, email=e, legal_basis=LegalBasis.CONTRACT, verdict=LeadVerdict.VALID)
             for e in emails}  # fmt: skip
    await Lead.filter(email="bad@acme.leads.test").update(verdict=LeadVerdict.INVALID)
    await Enrollment.create(campaign=running, lead=leads["busy@acme.leads.test"])
    await suppress(manager(acme), "sup@acme.leads.test", clock)
    await suppress(manager(acme), "blocked.leads.test", clock)
    ids = [lead.id for lead in leads.values()]

    report = await enroll(manager(acme), target.id, ids, clock)

    assert report.enrolled == 2
    assert report.skipped == {"in_other_campaign": 1, "contacted_elsewhere": 1, "suppressed": 2, "invalid": 1}
    enrolled = await Enrollment.filter(campaign=target).prefetch_related("lead")
    assert sorted(e.lead.email for e in enrolled) == ["ok@acme.leads.test", "old@acme.leads.test"]
    assert {(e.state, e.current_step, e.next_due_at) for e in enrolled} == {(EnrollmentState.ACTIVE, 0, NOW)}

    again = await enroll(manager(acme), target.id, ids, clock)
    assert again.enrolled == 0 and again.skipped["already_enrolled"] == 2

    await AgencySetting.create(key="contact_window_days", value=5)
    later = await Campaign.create(workspace=acme, name="Зима")
    await Campaign.filter(id=target.id).update(status=CampaignStatus.COMPLETED)
    await Campaign.filter(id=running.id).update(status=CampaignStatus.COMPLETED)
    shorter = await enroll(manager(acme), later.id, ids, clock)
    assert shorter.enrolled == 4  # ok, old, busy (its campaign ended), recent (10 days > 5)
    with pytest.raises(UserError) as closed:
        await enroll(manager(acme), target.id, ids, clock)
    assert closed.value.key == "error-leads-enroll-closed"
    assert translator("ru")(closed.value.key, **closed.value.params).endswith(
        f"({translator('ru')('state-campaign-completed')}): добавлять в неё лидов нельзя."
    )


async def test_import_into_a_campaign_enrolls_in_the_same_transaction(acme: Workspace, clock: FrozenClock) -> None:
    campaign = await Campaign.create(workspace=acme, name="Весна 2027")
    data = csv(*[f"user{i}@acme.leads.test;;" for i in range(12)], "info@acme.leads.test;;", "x@mailinator.com;;")
    options = ImportOptions(campaign="Весна 2027", legal_basis="договор", source="s", test_environment=True,
                            batch_rows=5, check_dns=False)  # fmt: skip
    report = await import_leads(manager(acme), data, clock, options=options)
    assert (report.imported, report.enrolled, report.invalid, report.unknown, report.risky) == (14, 13, 1, 12, 1)
    assert await Enrollment.filter(campaign=campaign).count() == 13
    assert report.campaign == "Весна 2027"
    by_other_case = dataclasses.replace(options, campaign="ВЕСНА 2027")  # as /campaign finds it
    assert (await import_leads(manager(acme), data, clock, options=by_other_case)).campaign == "Весна 2027"
    with pytest.raises(NotFound) as unknown:
        await import_leads(manager(acme), data, clock, options=dataclasses.replace(options, campaign="Лето"))
    assert unknown.value.params == {"name": "Лето"}


async def test_addresses_of_one_mailbox_in_one_file_are_one_lead(acme: Workspace, clock: FrozenClock) -> None:
    """`ivan@`, `Ivan+news@` and `IVAN+promo@` reach one inbox (Gmail, Yandex, Outlook deliver a +tag to its
    mailbox): the +tagged rows were two more leads, each enrolled, and the person got every letter three times."""
    campaign = await Campaign.create(workspace=acme, name="Весна")
    data = csv("ivan@acme.leads.test;Иван;", "Ivan+news@acme.leads.test;;", "IVAN+promo@ACME.leads.test;;",
               "ivana@acme.leads.test;Ивана;")  # fmt: skip
    options = dataclasses.replace(TEST, campaign="Весна", check_dns=False)
    report = await import_leads(manager(acme), data, clock, options=options)
    assert (report.imported, report.duplicates, report.enrolled) == (2, 2, 2)
    assert [(r.line, r.reason) for r in report.rejections] == [(3, "duplicate"), (4, "duplicate")]
    assert sorted(await Lead.all().values_list("email", flat=True)) == ["ivan@acme.leads.test", "ivana@acme.leads.test"]
    assert await Enrollment.filter(campaign=campaign).count() == 2


async def test_a_repeated_row_fills_what_the_kept_row_left_empty_and_never_overwrites(
    acme: Workspace, clock: FrozenClock
) -> None:
    """Line 2 `ivan@;;` and line 5 `IVAN@;Иван;Ромашка`: the name and company of line 5 were lost, as the row
    was only counted a duplicate. The first row is stored by then (batches of two here), so its lead is filled."""
    await Lead.create(workspace=acme, email="sup@acme.leads.test", legal_basis=LegalBasis.CONTRACT)
    await suppress(manager(acme), "sup@acme.leads.test", clock)
    data = csv("ivan@acme.leads.test;;;", "petr+x@acme.leads.test;;;", "anna@acme.leads.test;Анна;;",
               "IVAN@acme.leads.test;Иван;Ромашка;", "ivan+b@acme.leads.test;Иоанн;Другая;директор",
               "petr@acme.leads.test;Пётр;;", "sup@acme.leads.test;;;", "SUP+a@acme.leads.test;Сергей;;",
               header="Почта;Имя;Компания;Должность")  # fmt: skip
    options = dataclasses.replace(TEST, check_dns=False, batch_rows=2)
    report = await import_leads(manager(acme), data, clock, options=options)
    assert (report.imported, report.duplicates, report.suppressed) == (3, 4, 1)
    assert [(r.line, r.reason) for r in report.rejections if r.reason == "duplicate"] == [
        (5, "duplicate"), (6, "duplicate"), (7, "duplicate"), (9, "duplicate")]  # fmt: skip
    leads = {e: (f, c, x) for e, f, c, x in await Lead.all().values_list("email", "first_name", "company", "custom")}
    assert leads == {
        "ivan@acme.leads.test": ("Иван", "Ромашка", {"Должность": "директор"}),
        "petr+x@acme.leads.test": ("Пётр", "", {}),
        "anna@acme.leads.test": ("Анна", "", {}),
        "sup@acme.leads.test": ("", "", {}),  # suppressed: nothing of the file is written to it
    }


async def test_a_column_without_a_header_or_with_a_repeated_one_is_kept_and_said(
    acme: Workspace, clock: FrozenClock
) -> None:
    """`Email;;Компания` lost the names typed under the blank header, `Телефон;Телефон` the first phone: both
    silently. Each keeps its values under a name of its own; an empty column (Excel's trailing `;`) is no news."""
    data = csv("anna@acme.leads.test;Анна;Ромашка;+7 900;+7 901;", "boris@acme.leads.test;;Бета;;+7 902;",
               header="Email;;Компания;Телефон;Телефон;", encoding="utf-8")  # fmt: skip
    report = await import_leads(manager(acme), data, clock, options=dataclasses.replace(TEST, check_dns=False))
    assert (report.imported, report.rejected) == (2, 0)
    assert (report.unnamed_columns, report.renamed_columns) == ([(2, "column_2")], [("Телефон", "Телефон 2")])
    assert dict(await Lead.all().values_list("email", "custom")) == {
        "anna@acme.leads.test": {"column_2": "Анна", "Телефон": "+7 900", "Телефон 2": "+7 901"},
        "boris@acme.leads.test": {"Телефон 2": "+7 902"},
    }


async def test_who_opted_out_as_ivan_is_neither_imported_nor_enrolled_as_ivan_plus_a_tag(
    acme: Workspace, clock: FrozenClock
) -> None:
    """An unsubscribed `ivan@` imported later as `ivan+a@` (one inbox) was stored and enrolled, and mailed again."""
    campaign = await Campaign.create(workspace=acme, name="Весна")
    tagged = await Lead.create(workspace=acme, email="petr+old@acme.leads.test", legal_basis=LegalBasis.CONTRACT)
    await suppress(manager(acme), "ivan@acme.leads.test", clock)
    await suppress(manager(acme), "petr@acme.leads.test", clock)
    options = dataclasses.replace(TEST, campaign="Весна", check_dns=False)
    report = await import_leads(manager(acme), csv("Ivan+a@acme.leads.test;Иван;", "anna+b@acme.leads.test;;"),
                                clock, options=options)  # fmt: skip
    assert (report.suppressed, report.imported, report.enrolled) == (1, 1, 1)
    assert await Lead.filter(email__startswith="ivan").count() == 0
    assert await is_suppressed(acme.id, ["petr+old@acme.leads.test", "+x@acme.leads.test", "petra+x@acme.leads.test"]
                               ) == {"petr+old@acme.leads.test"}  # fmt: skip
    assert (await enroll(manager(acme), campaign.id, [tagged.id], clock)).skipped == {"suppressed": 1}


async def test_one_mailbox_imported_in_two_files_is_enrolled_once(acme: Workspace, clock: FrozenClock) -> None:
    """`ivan@` imported into «Весна», later `Ivan+a@` (one inbox) into «Весна» or into another running campaign:
    both were enrolled and the person got every letter twice; the rules "already in this campaign" and "in another
    running campaign" hold for the mailbox. Of two addresses of one mailbox enrolled at once, only the plain one is."""
    spring = await Campaign.create(workspace=acme, name="Весна")
    autumn = await Campaign.create(workspace=acme, name="Осень", status=CampaignStatus.RUNNING)
    options = dataclasses.replace(TEST, campaign="Весна", check_dns=False)
    first = await import_leads(manager(acme), csv("ivan@acme.leads.test;Иван;"), clock, options=options)
    assert first.enrolled == 1
    again = await import_leads(manager(acme), csv("Ivan+a@acme.leads.test;;", "anna+b@acme.leads.test;;"), clock,
                               options=options)  # fmt: skip
    assert (again.imported, again.enrolled, again.skipped) == (2, 1, {"already_enrolled": 1})
    await Campaign.filter(id=spring.id).update(status=CampaignStatus.RUNNING)
    elsewhere = dataclasses.replace(options, campaign="Осень")
    third = await import_leads(manager(acme), csv("IVAN+b@acme.leads.test;;", "anna@acme.leads.test;;"), clock,
                               options=elsewhere)  # fmt: skip
    assert (third.enrolled, third.skipped) == (0, {"in_other_campaign": 2})
    assert sorted(await Enrollment.filter(campaign=spring).values_list("lead__email", flat=True)) == [
        "anna+b@acme.leads.test", "ivan@acme.leads.test"]  # fmt: skip
    assert await Enrollment.filter(campaign=autumn).count() == 0
    # leads of one mailbox stored apart, none enrolled yet, enrolled together: the person once, by the plain address
    winter = await Campaign.create(workspace=acme, name="Зима")
    await Campaign.filter(id__in=[spring.id, autumn.id]).update(status=CampaignStatus.COMPLETED)
    pair = [await Lead.create(workspace=acme, email=e, legal_basis=LegalBasis.CONTRACT)
            for e in ("petr+x@acme.leads.test", "petr@acme.leads.test")]  # fmt: skip
    together = await enroll(manager(acme), winter.id, [lead.id for lead in pair], clock)
    assert (together.enrolled, together.skipped) == (1, {"already_enrolled": 1})
    assert await Enrollment.filter(campaign=winter).values_list("lead__email", flat=True) == ["petr@acme.leads.test"]


async def test_the_contact_window_of_another_workspace_holds_for_the_mailbox(
    acme: Workspace, clock: FrozenClock
) -> None:
    """Another client of the agency wrote to `ivan@` 10 days ago: `ivan+a@` (one inbox) was enrolled all the same,
    and the person heard from two clients within the window; it is skipped now, and so is `ivan@` after a write to
    `ivan+b@`."""
    for slug, email, days_ago in (("b", "ivan@", 10), ("c", "petr+b@", 10), ("d", "anna+c@", 40)):
        await sent(await Workspace.create(slug=slug, name=slug), f"{email}acme.leads.test", days_ago=days_ago)
    target = await Campaign.create(workspace=acme, name="Весна")
    emails = ["ivan+a@acme.leads.test", "petr@acme.leads.test", "anna@acme.leads.test", "ivana@acme.leads.test"]
    ids = [(await Lead.create(workspace=acme, email=e, legal_basis=LegalBasis.CONTRACT)).id for e in emails]
    report = await enroll(manager(acme), target.id, ids, clock)
    assert (report.enrolled, report.skipped) == (2, {"contacted_elsewhere": 2})
    assert sorted(await Enrollment.filter(campaign=target).values_list("lead__email", flat=True)) == [
        "anna@acme.leads.test", "ivana@acme.leads.test"]  # fmt: skip


async def test_suppressing_a_mailbox_stops_the_enrollments_of_its_plus_tag_addresses_at_once(
    acme: Workspace, clock: FrozenClock
) -> None:
    """`/suppress ivan@` left `ivan+a@`'s enrollment active (until the planner stopped it); it stops now, as the
    exact address's, and its unsent rows are cancelled. `ivan+a@` suppressed stops neither `ivan@` nor `ivan+b@`."""
    campaign = await Campaign.create(workspace=acme, name="Весна", status=CampaignStatus.RUNNING)
    emails = ["ivan+a@acme.leads.test", "ivana@acme.leads.test", "petr@acme.leads.test", "petr+b@acme.leads.test"]
    leads = {e: await Lead.create(workspace=acme, email=e, legal_basis=LegalBasis.CONTRACT) for e in emails}
    enrolled = {e: await Enrollment.create(campaign=campaign, lead=lead) for e, lead in leads.items()}
    queued = await OutboundMessage.create(
        kind=MessageKind.CAMPAIGN, workspace=acme, mailbox=await mailbox(acme), lead=leads["ivan+a@acme.leads.test"],
        enrollment=enrolled["ivan+a@acme.leads.test"], message_id="<ivan-a@t>", status=MessageStatus.QUEUED,
        scheduled_at=NOW, campaign=campaign,
    )  # fmt: skip
    assert (await suppress(manager(acme), "Ivan@acme.leads.test", clock)).stopped == 1
    assert (await suppress(manager(acme), "petr+a@acme.leads.test", clock)).stopped == 0
    stopped = await Enrollment.filter(campaign=campaign, state=EnrollmentState.STOPPED).values_list("lead__email")
    assert stopped == [("ivan+a@acme.leads.test",)]  # not ivana@, petr@, petr+b@
    assert (await OutboundMessage.get(id=queued.id)).status == MessageStatus.CANCELLED


async def test_two_enrollments_of_one_person_at_the_same_moment_enroll_them_once(
    acme: Workspace, clock: FrozenClock, database_url: str
) -> None:
    """Two imports into two running campaigns of one workspace at once (`ivan@` into «Весна», `Ivan+a@` into
    «Осень»): each checked "already in a running campaign" before the other had committed, both enrolled, and the
    person got both sequences. The second now waits for the first and skips the person."""
    spring = await Campaign.create(workspace=acme, name="Весна", status=CampaignStatus.RUNNING)
    autumn = await Campaign.create(workspace=acme, name="Осень", status=CampaignStatus.RUNNING)
    ivan = await Lead.create(workspace=acme, email="ivan@acme.leads.test", legal_basis=LegalBasis.CONTRACT)
    tagged = await Lead.create(workspace=acme, email="ivan+a@acme.leads.test", legal_basis=LegalBasis.CONTRACT)
    enrolled, release = asyncio.Event(), asyncio.Event()

    async def first() -> EnrollReport:
        async with in_transaction():  # as an import: its enrollment commits with the whole file, later
            report = await enroll(manager(acme), spring.id, [ivan.id], clock)
            enrolled.set()
            await release.wait()
        return report

    holder = asyncio.ensure_future(first())
    await asyncio.wait_for(enrolled.wait(), 20)
    looker = await asyncpg.connect(database_url)
    try:
        second = asyncio.ensure_future(enroll(manager(acme), autumn.id, [tagged.id], clock))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while not second.done() and loop.time() < deadline:  # it either waits for the first (the lock) or is done
            waiting = await looker.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if waiting:
                break
            await asyncio.sleep(0.02)
    finally:
        await looker.close()
    release.set()
    reports = await asyncio.wait_for(asyncio.gather(holder, second), 20)
    assert [r.enrolled for r in reports] == [1, 0]
    assert reports[1].skipped == {"in_other_campaign": 1}
    assert await Enrollment.filter(lead_id__in=[ivan.id, tagged.id]).values_list("campaign_id", flat=True) == [
        spring.id
    ]
