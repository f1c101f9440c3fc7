"""`/reserve` and `/approvals` end to end through the Telegram emulator (and the agency view at the console), on
real PostgreSQL and Redis. Domains, checks and mailboxes are written straight into the database."""

from __future__ import annotations

import datetime as dt

from engine.domains.reserve import Proposal, propose_swap
from engine.i18n import translator
from models import AuditLog, BlacklistCheck, DnsCheck, Domain, Mailbox, Workspace
from models.enums import (
    DnsRecordKind,
    DnsVerdict,
    DomainStatus,
    ListingResult,
    MailboxStatus,
    MailProvider,
    PoolRole,
    TlsMode,
)
from tests.e2e.conftest import NOW, TelegramRig, visible
from tests.harness.telegram import TelegramUser

EN = translator("en")
ANNA = 700555


async def domain(slug: str, name: str, *, pool: PoolRole, status: DomainStatus, graduated: int) -> Domain:
    ws = await Workspace.get(slug=slug)
    d = await Domain.create(workspace=ws, name=name, pool_role=pool, status=status, mail_provider=MailProvider.GENERIC)
    for record in (DnsRecordKind.MX, DnsRecordKind.SPF, DnsRecordKind.DKIM, DnsRecordKind.DMARC):
        await DnsCheck.create(domain=d, record=record, verdict=DnsVerdict.OK, checked_at=NOW)
    await BlacklistCheck.create(domain=d, target=name, zone="dbl.test", result=ListingResult.CLEAN, checked_at=NOW)
    for n in range(max(graduated, 1)):
        await Mailbox.create(
            workspace=ws, domain=d, address=f"out{n}@{name}", provider=MailProvider.GENERIC, smtp_host="127.0.0.1",
            smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="127.0.0.1", imap_port=993,
            imap_tls=TlsMode.IMPLICIT, username=f"out{n}@{name}", secret_enc=b"x",
            status=MailboxStatus.ACTIVE if graduated else MailboxStatus.WARMING,
            warmup_started_on=NOW.date() - dt.timedelta(days=10 if not graduated else 90),
        )  # fmt: skip
    return d


async def ask(user: TelegramUser, line: str) -> tuple[str, list[dict[str, str]]]:
    await user.send_command(line)
    [reply] = await user.wait_replies()
    return visible(reply.text), reply.buttons


async def test_reserve_and_approvals_in_telegram(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    await telegram.admin("/workspace_new beta Beta")
    code = await telegram.invite("acme", "manager")
    anna = telegram.user(ANNA, first_name="Anna")
    await ask(anna, f"/start {code}")
    burned = await domain("acme", "burned.test", pool=PoolRole.ACTIVE, status=DomainStatus.COOLING, graduated=2)
    for n in range(3):
        await domain("acme", f"live{n}.test", pool=PoolRole.ACTIVE, status=DomainStatus.ACTIVE, graduated=2)
    await domain("acme", "spare.test", pool=PoolRole.RESERVE, status=DomainStatus.ACTIVE, graduated=2)
    await domain("acme", "young.test", pool=PoolRole.RESERVE, status=DomainStatus.WARMING, graduated=0)
    await domain("beta", "beta1.test", pool=PoolRole.ACTIVE, status=DomainStatus.ACTIVE, graduated=1)
    old = await domain("acme", "old.test", pool=PoolRole.ACTIVE, status=DomainStatus.BURNED, graduated=1)
    await AuditLog.create(
        workspace_id=old.workspace_id, action="domain.transition", subject=f"domain:{old.id}",
        data={"from": "cooling", "to": "burned"}, created_at=NOW - dt.timedelta(days=2),
    )  # fmt: skip

    text, _ = await ask(anna, "/reserve")
    assert EN("reserve-title") in text
    pool = {"total": 7, "active": 3, "ready": 1, "warming": 1, "cooling": 1, "burned": 1}
    assert EN("reserve-pool", **pool) in text
    assert EN("reserve-enough", ready=1, target=1) in text
    assert EN("reserve-line-ready", domain="spare.test", graduated=2, placement=EN("reserve-placement-none")) in text
    young = EN("reserve-line-warming", domain="young.test", reasons=EN("reserve-not-ready-no-graduated"), weeks=5)
    assert young in text

    agency = (await telegram.admin("/reserve all")).plain_text()
    t = translator("ru")  # the console admin reads Russian
    assert t("reserve-title-agency") in agency
    assert t("reserve-pool", total=8, active=4, ready=1, warming=1, cooling=1, burned=1) in agency
    assert t("reserve-workspace", workspace="beta", active=1, ready=0, warming=0, burned=0) in agency

    text, buttons = await ask(anna, "/approvals")
    assert text == EN("approvals-none") and not buttons
    text, _ = await ask(anna, "/swap live0.test")
    assert text == EN("swap-not-needed", domain="live0.test", status=EN("state-domain-active"))
    text, buttons = await ask(anna, "/swap burned.test")
    proposal = await propose_swap(burned.id, telegram.clock, reason="listed", detail={})  # the DNSBL check's call
    assert proposal.outcome is Proposal.REUSED  # the request /swap made
    assert EN("swap-proposed", id=proposal.approval_id) in text and "spare.test" in text
    assert [b["text"] for b in buttons] == [EN("button-approve"), EN("button-reject")]
    text, buttons = await ask(anna, "/approvals")
    assert EN("approvals-title", count=1) in text and "burned.test" in text
    approve = f"{EN('button-approve')} #{proposal.approval_id}"
    assert [b["text"] for b in buttons] == [approve, f"{EN('button-reject')} #{proposal.approval_id}"]

    await anna.send_command("/approvals")
    [listing] = await anna.wait_replies()
    query = await anna.press(listing.callback_data(approve), listing)
    assert (await anna.wait_callback_answer(query))["show_alert"] is False
    _, result = await anna.wait_replies(2)
    assert EN("approval-approved", id=proposal.approval_id, subject=burned.name) in visible(result.text)
    assert "burned.test → spare.test" in visible(result.text)
    assert (await Domain.get(id=burned.id)).status is DomainStatus.RETIRED
    text, _ = await ask(anna, "/approvals")
    assert text == EN("approvals-none")
