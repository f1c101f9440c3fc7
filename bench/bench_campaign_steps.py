"""The campaign steps parser at its bounds: 10 steps × 5 variants × 20,000 characters (about 1 MB of text, the
largest sequence accepted), and a typical 3-step sequence typed in chat.

Run from the repository root:  .venv/bin/python -m bench.bench_campaign_steps [--rounds 20]

Prints milliseconds per parse and characters per second; never asserts. The service parses texts over 64 KB in a
worker thread, so the figure for the largest one is time spent off the event loop.
"""

from __future__ import annotations

import argparse
import time

from engine.campaigns.steps import MAX_STEPS, MAX_TEMPLATE_CHARS, MAX_VARIANTS, parse_steps
from engine.i18n import translator


def largest() -> str:
    line = "Здравствуйте, {first_name|коллега}! {{Пишу|Обращаюсь}} по поводу {company}.\n"
    body = (line * (MAX_TEMPLATE_CHARS // len(line)))[: MAX_TEMPLATE_CHARS - 1]
    parts: list[str] = []
    for step in range(1, MAX_STEPS + 1):
        if step > 1:
            parts.append(f"--- шаг {step} через 2 рабочих дня")
        for index in range(MAX_VARIANTS):
            if index:
                parts.append(f"=== вариант {'ABCDE'[index]} вес 10")
            parts.append(f"Тема: Шаг {step}, вариант {index}")
            parts.append(body)
    return "\n".join(parts)


def measure(name: str, text: str, rounds: int) -> None:
    parse_steps(text)  # warm up
    start = time.perf_counter()
    for _ in range(rounds):
        parse_steps(text)
    per_parse_s = (time.perf_counter() - start) / rounds
    print(f"{name}: {len(text):,} chars, {per_parse_s * 1000:.2f} ms a parse, {len(text) / per_parse_s:,.0f} chars/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    measure("typical (the locale sample)", translator("ru")("campaign-steps-sample"), rounds * 100)
    measure("largest accepted", largest(), rounds)


if __name__ == "__main__":
    main()
