"""The data model on real PostgreSQL: constraints, conditional transitions, the audit trail, secrets at rest."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
from pathlib import Path

import pytest
from tortoise.exceptions import IntegrityError

from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.errors import Conflict, IllegalTransition
from engine.lifecycle import transition_approval, transition_domain, transition_mailbox
from engine.mailboxes import rotate_secrets
from models import Approval, AuditLog, Domain, Mailbox, OutboundMessage, Suppression, Workspace
from models.enums import (
    ApprovalKind,
    ApprovalStatus,
    DomainStatus,
    MailboxStatus,
    MailProvider,
    MessageKind,
    SuppressionReason,
    TlsMode,
)

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.usefixtures("orm")


async def _workspace(slug: str = "acme") -> Workspace:
    return await Workspace.create(slug=slug, name=slug.title())


async def _mailbox(vault: Vault, secret: str = "Sup3r-Secret!") -> Mailbox:
    ws = await _workspace()
    domain = await Domain.create(workspace=ws, name="acme-mail.ru")
    return await Mailbox.create(
        workspace=ws,
        domain=domain,
        address="anna@acme-mail.ru",
        provider=MailProvider.YANDEX360,
        smtp_host="smtp.yandex.ru",
        smtp_port=465,
        smtp_tls=TlsMode.IMPLICIT,
        imap_host="imap.yandex.ru",
        imap_port=993,
        imap_tls=TlsMode.IMPLICIT,
        username="anna@acme-mail.ru",
        secret_enc=vault.encrypt(secret),
    )


async def test_a_domain_belongs_to_one_workspace() -> None:
    a, b = await _workspace("a"), await _workspace("b")
    await Domain.create(workspace=a, name="shared.ru")
    with pytest.raises(IntegrityError):
        await Domain.create(workspace=b, name="shared.ru")


async def test_domain_names_are_stored_as_lowercase_ascii() -> None:
    ws = await _workspace()
    with pytest.raises(IntegrityError):
        await Domain.create(workspace=ws, name="Пример.рф")
    await Domain.create(workspace=ws, name="xn--e1afmkfd.xn--p1ai")


async def test_one_pending_approval_per_subject() -> None:
    ws = await _workspace()
    fields = {
        "workspace": ws,
        "kind": ApprovalKind.DOMAIN_SWAP,
        "subject": "domain:1",
        "requested_at": NOW,
        "expires_at": NOW + dt.timedelta(days=1),
    }
    first = await Approval.create(**fields)
    with pytest.raises(IntegrityError):
        await Approval.create(**fields)
    await transition_approval(first, ApprovalStatus.REJECTED, clock=FrozenClock(NOW), reason="test")
    await Approval.create(**fields)  # a decided approval no longer blocks a new one


async def test_global_suppressions_are_unique_too() -> None:
    await Suppression.create(workspace=None, value="x@y.ru", reason=SuppressionReason.COMPLAINT)
    with pytest.raises(IntegrityError):
        await Suppression.create(workspace=None, value="x@y.ru", reason=SuppressionReason.BOUNCE)


async def test_a_mailbox_with_outbound_mail_is_never_deleted() -> None:
    """`outbound_message.mailbox_id` has no constraint (migration 0027): a trigger keeps what it kept. A mailbox with
    mail fails to delete with the constraint's error and stays; one without mail deletes."""
    box = await _mailbox(Vault([generate_key()]))
    same = (
        "workspace_id", "domain_id", "provider", "smtp_host", "smtp_port", "smtp_tls", "imap_host", "imap_port",
        "imap_tls", "secret_enc",
    )  # fmt: skip
    empty = await Mailbox.create(
        **{f: getattr(box, f) for f in same},
        address="boris@acme-mail.ru",
        username="boris@acme-mail.ru",
    )
    await OutboundMessage.create(
        kind=MessageKind.WARMUP,
        workspace_id=box.workspace_id,
        mailbox=box,
        peer=empty,
        message_id="<w1@acme-mail.ru>",
        scheduled_at=NOW,
    )
    with pytest.raises(IntegrityError, match="cannot be deleted"):
        await Mailbox.filter(id__in=[box.id, empty.id]).delete()
    assert await Mailbox.all().count() == 2
    await OutboundMessage.filter(mailbox_id=box.id).update(mailbox_id=empty.id)
    await Mailbox.filter(id=box.id).delete()
    assert await Mailbox.filter(id=box.id).count() == 0


async def test_legal_transition_moves_stamps_and_audits() -> None:
    ws = await _workspace()
    domain = await Domain.create(workspace=ws, name="acme.ru")
    clock = FrozenClock(NOW)
    await transition_domain(domain, DomainStatus.DNS_PENDING, clock=clock, reason="records planned")
    stored = await Domain.get(id=domain.id)
    assert stored.status is DomainStatus.DNS_PENDING and stored.status_changed_at == NOW
    audit = await AuditLog.get(subject=f"domain:{domain.id}")
    assert audit.data == {"from": "new", "to": "dns_pending", "reason": "records planned"}


async def test_illegal_transition_changes_nothing() -> None:
    ws = await _workspace()
    domain = await Domain.create(workspace=ws, name="acme.ru")
    with pytest.raises(IllegalTransition):
        await transition_domain(domain, DomainStatus.ACTIVE, clock=FrozenClock(NOW), reason="skip ahead")
    assert (await Domain.get(id=domain.id)).status is DomainStatus.NEW
    assert await AuditLog.all().count() == 0


async def test_two_concurrent_transitions_act_once() -> None:
    mailbox = await _mailbox(Vault([generate_key()]))
    clock = FrozenClock(NOW)
    copies = [await Mailbox.get(id=mailbox.id) for _ in range(2)]
    results = await asyncio.gather(
        *(transition_mailbox(m, MailboxStatus.PAUSED, clock=clock, reason="race") for m in copies),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "NoneType"]
    assert all(isinstance(r, Conflict) or r is None for r in results)
    assert await AuditLog.filter(action="mailbox.transition").count() == 1


async def test_a_database_dump_contains_no_plaintext_secret(database_url: str, tmp_path: Path) -> None:
    vault = Vault([generate_key()])
    await _mailbox(vault, secret="Plaintext-Пароль-42")
    dump = subprocess.run(["pg_dump", "--data-only", database_url], capture_output=True, check=True).stdout
    assert b"anna@acme-mail.ru" in dump  # the dump really holds the mailbox row
    assert "Plaintext-Пароль-42".encode() not in dump
    assert b"Plaintext" not in dump


async def test_rotate_keys_reencrypts_every_secret() -> None:
    old, new = generate_key(), generate_key()
    mailbox = await _mailbox(Vault([old]), secret="s1")
    assert await rotate_secrets(Vault([new, old])) == 1
    stored = await Mailbox.get(id=mailbox.id)
    assert Vault([new]).decrypt(stored.secret_enc) == "s1"
    assert "s1" not in repr(stored)
