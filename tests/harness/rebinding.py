"""A resolver for `MailPolicy(resolver=…)` whose answer for a name changes after the first question, like a
zero-TTL name under an attacker: a client that resolves again instead of using the vetted address is caught."""

from __future__ import annotations


class Rebinding:
    def __init__(self, first: list[str], later: list[str]) -> None:
        self.first, self.later = first, later
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        again = (host, port) in self.asked
        self.asked.append((host, port))
        return self.later if again else self.first
