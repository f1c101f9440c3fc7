"""Bounce classification over the real-world corpus in tests/fixtures/bounces (see its README).

Run from the repository root:  .venv/bin/python -m bench.bench_classify [--rounds 20]

Prints, against `expected.csv`: detection (a bounce was recognised at all), reason accuracy, class accuracy
(hard/soft/block) with a confusion table, recipient accuracy, how many verdicts would suppress an address that
is not gone (the costly mistake), and throughput in messages per second for parsing (compat32, as the inbox
does) plus classification. Figures are printed, never asserted; `tests/unit/test_bounce_corpus.py` asserts the
accuracy floors with the same `evaluate`.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

from engine.mail.classify import MailKind, Verdict, classify

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "bounces"
BOUNCES = frozenset({MailKind.BOUNCE_HARD, MailKind.BOUNCE_SOFT, MailKind.BOUNCE_BLOCK})


@dataclass(frozen=True, slots=True)
class Expected:
    file: str
    kind: MailKind
    reason: str
    recipient: str  # "" = not asserted


@dataclass
class Scores:
    total: int = 0
    detected: int = 0
    reason_ok: int = 0
    class_ok: int = 0
    recipient_total: int = 0
    recipient_ok: int = 0
    wrong_suppressions: int = 0  # hard verdicts on bounces that are not hard
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def rate(self, part: int, whole: int | None = None) -> float:
        whole = self.total if whole is None else whole
        return part / whole if whole else 0.0


def expectations(corpus: Path = CORPUS) -> list[Expected]:
    with (corpus / "expected.csv").open(encoding="utf-8", newline="") as handle:
        return [
            Expected(row["file"], MailKind(row["kind"]), row["reason"], row["recipient"].lower())
            for row in csv.DictReader(handle)
        ]


def verdict_of(path: Path) -> Verdict:
    return classify(BytesParser(policy=compat32).parsebytes(path.read_bytes()), frozenset())


def evaluate(corpus: Path = CORPUS) -> Scores:
    scores = Scores()
    for want in expectations(corpus):
        got = verdict_of(corpus / want.file)
        scores.total += 1
        scores.detected += got.kind in BOUNCES
        reason = got.reason.value if got.reason else "-"
        scores.reason_ok += reason == want.reason
        scores.class_ok += got.kind is want.kind
        scores.confusion[(want.kind.value, got.kind.value)] += 1
        scores.wrong_suppressions += got.kind is MailKind.BOUNCE_HARD and want.kind is not MailKind.BOUNCE_HARD
        if want.recipient:
            scores.recipient_total += 1
            scores.recipient_ok += (got.address or "") == want.recipient
        if got.kind is not want.kind or reason != want.reason:
            scores.misses.append(
                f"{want.file}: want {want.kind.value}/{want.reason}, got {got.kind.value}/{reason} ({got.status})"
            )
    return scores


def throughput(corpus: Path, rounds: int) -> float:
    raws = [(corpus / e.file).read_bytes() for e in expectations(corpus)]
    started = time.perf_counter()
    for _ in range(rounds):
        for raw in raws:
            classify(BytesParser(policy=compat32).parsebytes(raw), frozenset())
    return len(raws) * rounds / (time.perf_counter() - started)


HOSTILE: dict[str, str] = {
    "one 200,000-character word": "a" * 200_000,
    "100,000 blank lines": "\n \n" * 50_000,
    "100,000 '<'": "<" * 100_000,
    "50,000 'a@b.'": "a@b." * 50_000,
}
"""Bodies that made a regular expression rescan from every position (quadratic) before; each must stay linear."""


def hostile_worst_ms() -> dict[str, float]:
    """Milliseconds to classify a bounce-looking message whose body is each hostile input (anyone can send one)."""
    times = {}
    for name, junk in HOSTILE.items():
        raw = ("From: MAILER-DAEMON@relay.test\nTo: u@alpha.test\nSubject: Undelivered Mail Returned to Sender\n\n"
               f"This is the mail system.\n\n{junk}\n550 5.1.1 user unknown\n").encode()  # fmt: skip
        started = time.perf_counter()
        classify(BytesParser(policy=compat32).parsebytes(raw), frozenset())
        times[name] = (time.perf_counter() - started) * 1000
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="passes over the corpus for the throughput figure")
    parser.add_argument("--misses", action="store_true", help="list every sample whose class or reason differs")
    args = parser.parse_args()
    s = evaluate()
    print(f"samples:            {s.total}")
    print(f"detected as bounce: {s.detected}/{s.total} = {s.rate(s.detected):.1%}")
    print(f"reason correct:     {s.reason_ok}/{s.total} = {s.rate(s.reason_ok):.1%}")
    print(f"class correct:      {s.class_ok}/{s.total} = {s.rate(s.class_ok):.1%}  (hard/soft/block)")
    print(f"recipient correct:  {s.recipient_ok}/{s.recipient_total} = {s.rate(s.recipient_ok, s.recipient_total):.1%}")
    print(f"wrong suppressions: {s.wrong_suppressions} (hard verdicts on bounces that are soft or block)")
    kinds = ["bounce_hard", "bounce_soft", "bounce_block"]
    print("confusion (rows expected, columns got):", " ".join(f"{k:>12}" for k in [*kinds, "other"]))
    for want in kinds:
        cells = [s.confusion[(want, got)] for got in kinds]
        other = sum(n for (w, g), n in s.confusion.items() if w == want and g not in kinds)
        print(f"  {want:<38}", " ".join(f"{n:>12}" for n in [*cells, other]))
    print(f"throughput:         {throughput(CORPUS, args.rounds):,.0f} messages/s (parse + classify, one core)")
    for name, ms in hostile_worst_ms().items():
        print(f"hostile body, {name}: {ms:,.0f} ms")
    if args.misses:
        print("\n".join(["misses:", *s.misses]))


if __name__ == "__main__":
    main()
