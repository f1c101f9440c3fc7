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


def _fresh(headers: str, text: str, ctype: str = "text/plain") -> bytes:
    return f"From: Sender <news@sender.example>\n{headers}Content-Type: {ctype}; charset=utf-8\n\n{text}\n".encode()


@pytest.mark.parametrize(
    ("headers", "text"),
    [
        ("Subject: You have been unsubscribed from the devel list\nList-Id: <devel.lists.example>\n", ""),
        ("Subject: How to opt out of data sharing\nList-Unsubscribe: <https://sender.example/u>\n", "Read more."),
        ("Subject: [devel] unsubscribe does not work\nPrecedence: list\n", "Anyone else?"),
        ("Subject: Password changed\nAuto-Submitted: auto-generated\n", "Manage emails or unsubscribe in settings."),
        ("Subject: Weekly digest\n", "3 new posts.\n\nUnsubscribe: https://sender.example/u/1"),
        ("Subject: Weekly digest\n", "3 new posts.\nTo stop these emails, unsubscribe here:\nhttps://sender.example/u/1"),
        ("Subject: Скидки\n", "Скидки до 50%!\n\nОтписаться от рассылки <https://sender.example/u/1>"),
    ],
)  # fmt: skip
def test_list_mail_notifications_and_linked_footers_are_no_opt_out(headers: str, text: str) -> None:
    """Short newsletters and notifications that do not answer us were read as opt-out requests (their sender
    suppressed, the stop applied to any lead at that address): by a subject with the word, or a footer's link."""
    assert classify(parse_message(_fresh(headers, text)), KNOWN).kind is MailKind.OTHER


def test_a_short_html_newsletter_whose_opt_out_is_a_link_is_no_opt_out() -> None:
    html = '<p>Sale!</p><p><a href="https://sender.example/u?x=1"><span>Unsubscribe</span></a></p>'
    assert classify(parse_message(_fresh("Subject: Sale\n", html, "text/html")), KNOWN).kind is MailKind.OTHER


def test_a_fresh_opt_out_request_without_list_headers_still_counts() -> None:
    msg = parse_message(_fresh("Subject: Hello\n", "Please unsubscribe me, I never signed up."))
    assert classify(msg, KNOWN).kind is MailKind.UNSUBSCRIBE


def test_a_lead_answer_whose_html_footer_links_an_opt_out_stays_a_reply() -> None:
    """A company footer ("Unsubscribe from our newsletters") under a lead's yes is a link, not a request to us."""
    html = (
        "<div>Yes, let's talk on Thursday.</div><div>Ivan | Client Ltd</div>"
        '<div style="font-size:9px"><a href="https://client.example/prefs">Unsubscribe from Client Ltd news</a></div>'
    )
    raw = f"From: Ivan <ivan@client.example>\nSubject: Re: Offer\nIn-Reply-To: {OURS}\nContent-Type: text/html\n\n"
    raw += f"{html}\n"
    assert classify(parse_message(raw.encode()), KNOWN).kind is MailKind.REPLY


@pytest.mark.parametrize(
    "text",
    ["Please unsubscribe me.\n\nIvan\nhttps://client.example",
     "Please unsubscribe me, our site is https://client.example",  # a link on the line that the phrase labels not
     "Отпишите меня, пожалуйста. Наш сайт: https://client.example"],
)  # fmt: skip
def test_a_lead_answer_asking_to_opt_out_next_to_a_link_elsewhere_still_counts(text: str) -> None:
    raw = f"From: Ivan <ivan@client.example>\nSubject: Re: Offer\nIn-Reply-To: {OURS}\n\n{text}\n"
    assert classify(parse_message(raw.encode()), KNOWN).kind is MailKind.UNSUBSCRIBE


def _answer(subject: str, text: str) -> bytes:
    return (
        f"From: Support <support@client.example>\nSubject: {Header(subject, 'utf-8').encode()}\nIn-Reply-To: {OURS}\n"
        f"Content-Type: text/plain; charset=utf-8\n\n{text}\n"
    ).encode()


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("[Request received] Offer", "Your request (48213) has been received and is being reviewed."),
        ("Ticket Received - Offer", "We have received your request and a ticket has been created."),
        ("[Ticket#2026113010000012] RE: Offer", "This is an automatically generated message. Thank you."),
        ("Re: Offer", "Thank you for writing to us. We assigned it the ticket number 48213."),
        ("Re: Offer", "Your inquiry #48213 was logged. An agent will contact you."),
        ("Ваше обращение №48213 зарегистрировано", "Мы ответим вам в ближайшее время."),
        ("Re: Offer", "Ваша заявка принята. Это письмо сформировано автоматически, не отвечайте на него."),
    ],
)  # fmt: skip
def test_a_helpdesk_acknowledgement_answering_us_is_an_auto_reply(subject: str, text: str) -> None:
    """A ticket system's acknowledgement without an automation header was the lead's reply: the sequence stopped."""
    verdict = classify(parse_message(_answer(subject, text)), KNOWN)
    assert verdict.kind is MailKind.AUTO_REPLY, verdict
    assert verdict.detail.startswith("acknowledgement: ")


@pytest.mark.parametrize(
    "text",
    ["Thanks, I have received your message and will discuss it with the team.",
     "Got it. Can you open a ticket for this? Our case number is 48213.", "Получил ваше письмо, давайте созвонимся.",
     # a lead speaking of automatic mail, asking whether ours was, or naming a year is no system's acknowledgement
     "Нам интересны автоматические уведомления для клиентов, расскажите подробнее.",
     "Да, интересно. Это автоматическое сообщение? Если нет, перезвоните мне.",
     "Заявка 2024 года получена, давайте созвонимся на неделе."],
)  # fmt: skip
def test_a_person_acknowledging_our_mail_is_still_a_reply(text: str) -> None:
    assert classify(parse_message(_answer("Re: Offer", text)), KNOWN).kind is MailKind.REPLY


def test_a_recall_request_answering_us_is_no_reply() -> None:
    """Outlook's "X would like to recall the message" is no answer; it stopped the sequence as a reply."""
    text = 'Ivan Petrov would like to recall the message, "Re: Offer".'
    verdict = classify(parse_message(_answer("Recall: Offer", text)), KNOWN)
    assert verdict.kind is MailKind.OTHER
    assert verdict.detail == "recall"
