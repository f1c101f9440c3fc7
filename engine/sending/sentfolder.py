"""The Sent folder over IMAP: where a send interrupted by a crash is looked for before anything else happens.

Providers file what a mailbox submits over SMTP into its Sent folder themselves (Gmail, Yandex, Mail.ru do; the
test harness does it with a Postfix `sender_bcc_maps` copy filed by Sieve), so a message found there was taken by
the server and must be recorded as sent, never sent again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from engine.mail.imap import ImapError, find_folder, imap_session
from engine.mail.providers import SENT
from engine.mail.tls import MailPolicy
from engine.sending.ports import Account, SentFolderError


class ImapSentFolder:
    """`SentFolder` over IMAP: one session per lookup, one `UID SEARCH HEADER Message-ID` per id."""

    def __init__(self, *, timeout_s: float = 60.0, policy: MailPolicy | None = None) -> None:
        self._timeout_s = timeout_s
        self._policy = policy  # the deployment's ports and hosts (None: no check, as in tests)

    async def find(self, account: Account, message_ids: Collection[str]) -> set[str]:
        """The ids found in the account's Sent folder; `SentFolderError` when it cannot be searched."""
        if not message_ids:
            return set()
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._find(account, message_ids)
        except ImapError as exc:
            raise SentFolderError(exc.key, exc.detail) from None
        except TimeoutError:
            raise SentFolderError("error-imap-timeout", "no-answer") from None  # a code: `mail-detail`

    async def _find(self, account: Account, message_ids: Collection[str]) -> set[str]:
        async with imap_session(
            account.imap, account.credentials, ssl_context=account.tls_context, policy=self._policy
        ) as session:
            folder = find_folder(await session.list_folders(), SENT)
            if folder is None:
                raise SentFolderError("error-sent-folder-missing", account.address)
            await session.select(folder.name)
            found: set[str] = set()
            for message_id in message_ids:
                if await session.search_uids("HEADER", "Message-ID", _quoted(message_id)):
                    found.add(message_id)
            return found


def _quoted(value: str) -> str:
    """An IMAP quoted string (RFC 3501 §4.3): backslash and double quote escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
