"""The seams of the sending engine: the only ways it reaches the mail servers.

The real implementations are `engine.mail.smtp.SmtpTransport` (a `MailSender` as it is) and
`engine.sending.sentfolder.ImapSentFolder`; a demo or a simulation can put its own world behind them without the
engine knowing.
"""

from __future__ import annotations

import ssl
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Protocol

from engine.mail.message import BuiltMessage
from engine.mail.providers import Credentials, Endpoint
from engine.mail.smtp import SmtpResult


@dataclass(frozen=True, slots=True)
class Account:
    """How to reach one mailbox: its SMTP and IMAP endpoints, the login, and the TLS trust to use."""

    mailbox_id: int
    address: str
    smtp: Endpoint
    imap: Endpoint
    credentials: Credentials = field(repr=False)
    tls_context: ssl.SSLContext | None = field(default=None, repr=False)
    display_name: str = ""
    domain_id: int = 0
    workspace_id: int = 0


class MailSender(Protocol):
    """Hands one built message to the mailbox's SMTP server. Never raises for network or SMTP trouble: the
    `SmtpResult` says what happened (see `engine.mail.smtp`)."""

    async def send(
        self,
        endpoint: Endpoint,
        credentials: Credentials,
        message: BuiltMessage,
        *,
        attempt: int = 0,
        tls_context: ssl.SSLContext | None = None,
    ) -> SmtpResult: ...


class SentFolderError(Exception):
    """The Sent folder could not be searched (login, folder missing, network). `key` names the reason."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(f"{key}: {detail}" if detail else key)
        self.key = key
        self.detail = detail


class SentFolder(Protocol):
    """Looks for messages in a mailbox's Sent folder by Message-ID: how a crashed send is resolved."""

    async def find(self, account: Account, message_ids: Collection[str]) -> set[str]:
        """The subset of `message_ids` (as given, with angle brackets) present in the Sent folder.

        Raises `SentFolderError` when the folder cannot be searched: "not found" must never be guessed.
        """
        ...
