"""Warmup content: varied, personal, plain and deterministic; replies quote and stay in the thread."""

from __future__ import annotations

import random
import re

import pytest

from engine.warmup import Composed, Persona
from engine.warmup.content import (
    LOCALES,
    _load,
    compose_reply,
    compose_warmup,
    spin,
)

ANNA = Persona("Анна Петрова", "Альфа Трейд", "anna@alpha.test")
BOB = Persona("Bob Smith", "Beta Ltd", "bob@beta.test")
NOBODY = Persona("", "", "x@gamma.test")
REVEALING = re.compile(r"warm|прогрев|http|www\.|<img|<a |@|\{|\}|\[|\]|mailfleet", re.IGNORECASE)


def _many(locale: str, n: int = 300) -> list[Composed]:
    rng = random.Random(7)
    return [compose_warmup(rng, sender=ANNA, recipient=BOB, locale=locale) for _ in range(n)]


@pytest.mark.parametrize("locale", LOCALES)
def test_messages_are_varied_and_plain(locale: str) -> None:
    messages = _many(locale)
    assert len({m.subject for m in messages}) >= 40
    assert len({m.body for m in messages}) >= 250  # nearly every one of 300 is different
    for m in messages:
        assert not REVEALING.search(m.subject + m.body), m
        assert "\n" not in m.subject and m.subject == m.subject.strip() and m.subject[0].isupper()
        assert m.body.endswith("\n") and "\n\n\n" not in m.body


def test_the_language_is_the_locale() -> None:
    ru, en = _many("ru", 50), _many("en", 50)
    assert all(re.search("[а-яё]", m.subject + m.body, re.IGNORECASE) for m in ru)
    assert not any(
        re.search("[а-яё]", m.subject + m.body.replace(ANNA.name, "").replace(ANNA.company, ""), re.I) for m in en
    )


def test_the_same_seed_writes_the_same_message() -> None:
    first = compose_warmup(random.Random(42), sender=ANNA, recipient=BOB, locale="ru")
    again = compose_warmup(random.Random(42), sender=ANNA, recipient=BOB, locale="ru")
    other = [compose_warmup(random.Random(s), sender=ANNA, recipient=BOB, locale="ru") for s in range(43, 48)]
    assert first == again and any(o != first for o in other)


def test_personas_fill_in_and_missing_names_leave_no_gaps() -> None:
    messages = [compose_warmup(random.Random(s), sender=ANNA, recipient=BOB, locale="en") for s in range(200)]
    assert any("Bob," in m.body or "Bob!" in m.body or "Hi Bob" in m.body for m in messages)  # first name only
    assert not any("Smith" in m.body for m in messages)
    assert any("Анна Петрова" in m.body for m in messages) and any("Альфа Трейд" in m.body for m in messages)
    for seed in range(200):
        m = compose_warmup(random.Random(seed), sender=NOBODY, recipient=NOBODY, locale="ru")
        assert not re.search(r"(^|\n)[ ,.!]|, !| ,|[ \t]\n", m.body), m.body
        assert m.body.strip()


def test_persona_values_are_text_never_templates_or_extra_lines() -> None:
    tricky = Persona("{Eve|Mallory}\r\nBcc: x", "[my_name] Corp", "eve@evil.test")
    bodies = [compose_warmup(random.Random(s), sender=tricky, recipient=BOB, locale="en").body for s in range(50)]
    assert any("{Eve|Mallory} Bcc: x" in b for b in bodies)  # taken literally, on one line
    assert not any("\r" in b or "\nBcc" in b or "Mallory}\n" in b for b in bodies)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_reply_answers_on_topic_and_quotes_the_parent(locale: str) -> None:
    rng = random.Random(5)
    for _ in range(100):
        parent = compose_warmup(rng, sender=ANNA, recipient=BOB, locale=locale)
        reply = compose_reply(
            rng, parent_subject=parent.subject, parent_body=parent.body, sender=BOB, recipient=ANNA, locale=locale
        )
        assert reply.subject == f"Re: {parent.subject}"
        quoted = [line for line in reply.body.splitlines() if line.startswith(">")]
        assert [q.removeprefix("> ").removeprefix(">") for q in quoted] == parent.body.rstrip().splitlines()
        assert not REVEALING.search(reply.body.replace(ANNA.address, "")), reply.body
        second = compose_reply(
            rng, parent_subject=reply.subject, parent_body=reply.body, sender=ANNA, recipient=BOB, locale=locale
        )
        assert second.subject == reply.subject  # never "Re: Re: …"
        assert any(line.startswith(">> ") for line in second.body.splitlines())


def test_a_reply_recognises_the_topic() -> None:
    reply_texts = {
        compose_reply(
            random.Random(s),
            parent_subject="Lunch on Friday?",
            parent_body="Fancy lunch on Friday?\n",
            sender=BOB,
            recipient=ANNA,
            locale="en",
        ).body
        for s in range(60)
    }
    on_topic = re.compile(r"Friday works|Thursday I can do|not before noon|after one|pick the place|your choice")
    assert sum(bool(on_topic.search(b.split(">")[0])) for b in reply_texts) >= 30  # 80 % on topic, 20 % generic


def test_russian_reply_prefixes_are_not_stacked() -> None:
    reply = compose_reply(
        random.Random(1), parent_subject="Ответ: Встреча", parent_body="Да.\n", sender=BOB, recipient=ANNA, locale="ru"
    )
    assert reply.subject == "Ответ: Встреча"


def test_every_template_of_the_corpus_spins() -> None:
    rng = random.Random(0)
    for corpus in _load().values():
        templates = [*corpus.greetings, *corpus.closings, *corpus.signatures, corpus.attribution]
        templates += [*corpus.reply_openers, *corpus.generic_replies]
        for topic in corpus.topics:
            templates += [*topic.subjects, *topic.bodies, *topic.replies]
            assert topic.keywords and len(topic.subjects) >= 2 and len(topic.bodies) >= 2 and topic.replies
        assert len(corpus.topics) >= 8
        for template in templates:
            for _ in range(5):
                assert not re.search(r"[{}|]", spin(template, rng)), template


def test_spintax() -> None:
    rng = random.Random(3)
    assert {spin("{a|b{c|d}}x", rng) for _ in range(200)} == {"ax", "bcx", "bdx"}
    assert spin("{|y}", random.Random(0)) in {"", "y"}
    for bad in ("{a|b", "a}b", "a|b"):
        with pytest.raises(ValueError, match="unbalanced"):
            spin(bad, rng)


def test_unknown_locale() -> None:
    with pytest.raises(ValueError, match="de"):
        compose_warmup(random.Random(0), sender=ANNA, recipient=BOB, locale="de")
