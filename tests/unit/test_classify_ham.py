"""Ordinary mail that must not be read as a reply, an opt-out or a hard bounce (a sweep of real-world ham: mailing-list
posts, newsletters, notifications, read receipts, delay warnings, helpdesk acknowledgements; see
tests/fixtures/mail/README.md). Each case here is a format or wording the classifier got wrong."""

from __future__ import annotations

from email.header import Header

import pytest

from engine.mail.classify import MailKind, classify, parse_message

KNOWN = frozenset({"<cmp.41.1.a8f3@alpha.test>"})
OURS = "<cmp.41.1.a8f3@alpha.test>"


def _mdn(subject: str, text: str, disposition: str = "displayed") -> bytes:
    return (
        f"From: Lead <lead@example.test>\nSubject: {Header(subject, 'utf-8').encode()}\nIn-Reply-To: {OURS}\n"
        "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n"
        f"--b\nContent-Type: text/plain; charset=utf-8\n\n{text}\n\n"
        "--b\nContent-Type: message/disposition-notification\n\n"
        f"Final-Recipient: rfc822;lead@example.test\nOriginal-Message-ID: {OURS}\n"
        f"Disposition: automatic-action/MDN-sent-automatically; {disposition}\n\n--b--\n"
    ).encode()


@pytest.mark.parametrize(
    ("subject", "text", "disposition"),
    [
        ("已读: Offer", "您的邮件已于 2026年11月30日 10:00 被阅读。", "displayed"),
        ("開封済み: Offer", "メッセージは 2026/11/30 10:00 に開封されました。", "displayed"),
        ("Przeczytane: Offer", "Wiadomość została przeczytana 30 listopada 2026.", "displayed"),
        ("Okundu: Offer", "İletiniz 30 Kasım 2026 tarihinde okundu.", "displayed"),
        ("Disposition notification", "The message sent to lead@example.test has been displayed.", "displayed"),
        ("Уведомление о прочтении (удалено) - Offer", "Письмо было удалено без прочтения.", "deleted"),
    ],
)  # fmt: skip
def test_a_disposition_notification_in_any_language_is_no_reply(subject: str, text: str, disposition: str) -> None:
    """An RFC 8098 report answering our Message-ID was judged by its subject alone: in a language the receipt
    rules did not know it became a reply, and a reply stops the sequence."""
    verdict = classify(parse_message(_mdn(subject, text, disposition)), KNOWN)
    assert verdict.kind is MailKind.OTHER, verdict
    assert verdict.related_id == OURS
    assert verdict.detail == f"receipt: {disposition}"
