"""Campaign content: how fast templates parse, messages render and tracking tokens verify (pure code, no I/O).

Run from the repository root:  .venv/bin/python -m bench.bench_compose [--messages 20000]

Prints, never asserts: parse time of a typical and of a maximum-size (20,000-character) template, rendered
messages per second (`render_message`: spintax, fields, footer, unsubscribe line; plain text and HTML with
tracked links and pixel), the content check of a three-variant step, and token verifications per second.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from engine.campaigns.compose import Identity, lead_fields, render_message
from engine.campaigns.content import check_content
from engine.campaigns.template import MAX_TEMPLATE_CHARS, parse
from engine.tracking import TrackingLinks

SUBJECT = "{{Вопрос|Идея|Предложение}} для {company|вашей компании}"
BODY = (
    "{{Добрый день|Здравствуйте|Привет}}, {first_name|коллега}!\n\n"
    "{{Мы помогаем|Наша команда помогает}} компаниям вроде {company|вашей} "
    "{{сократить время|тратить меньше времени}} на обработку заявок: {{в среднем на 30 %|до трети}}.\n"
    "Кейс: https://acme.example/case?utm=cold\n\n"
    "{{Удобно созвониться|Найдётся 15 минут}} на этой неделе?\n\n{sender_name}"
)


def timed(label: str, rounds: int, action: Callable[[], object]) -> None:
    started = time.perf_counter()
    for _ in range(rounds):
        action()
    elapsed = time.perf_counter() - started
    print(f"{label:<52} {rounds / elapsed:>12,.0f}/s   {elapsed / rounds * 1e6:>10,.1f} µs each")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    links = TrackingLinks("https://t.example.com", b"k" * 32)
    identity = Identity("ООО «Ромашка»", "Москва, ул. Ленина, 1", "ru")
    subject, body = parse(SUBJECT, where="subject"), parse(BODY, where="body")
    fields = lead_fields(email="oleg@example.ru", first_name="Олег", company="Рога и копыта", sender_name="Анна")
    biggest = ("{{a {first_name}|b}} " * (MAX_TEMPLATE_CHARS // 21))[:MAX_TEMPLATE_CHARS]
    biggest = biggest[: biggest.rfind("}}") + 2]

    timed(f"parse a typical body ({len(BODY)} chars)", 2_000, lambda: parse(BODY, where="body"))
    timed(f"parse a maximum template ({len(biggest)} chars)", 50, lambda: parse(biggest, where="body"))
    for html_part in (False, True):
        counter = iter(range(1, 10**9))

        def render(html_part: bool = html_part, counter: object = counter) -> object:
            row = next(counter)  # type: ignore[call-overload]
            return render_message(
                subject=subject,
                body=body,
                fields=fields,
                identity=identity,
                rng=random.Random(row),
                tracking=links,
                row_id=row,
                html_part=html_part,
                track_clicks=html_part,
            )

        timed(f"render_message ({'HTML, tracked' if html_part else 'plain text'})", args.messages, render)
    variants = [(SUBJECT, BODY), (SUBJECT, BODY + " Бесплатно!!"), ("Re: {first_name}", BODY)]
    timed(
        "check_content, 3 variants",
        200,
        lambda: check_content(variants, known_fields=(), locale="ru", has_identity=True),
    )
    token = links.click_url(123_456_789, 1).rsplit("/", 1)[1]
    timed("TrackingLinks.verify", 100_000, lambda: links.verify(token))


if __name__ == "__main__":
    main()
