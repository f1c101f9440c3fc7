"""`mailfleet demo`'s arguments: what is wrong is named in one line, without a traceback."""

from __future__ import annotations

import pytest

from engine.settings import Settings
from mailfleet.cli import _parser
from mailfleet.demo import cli as demo_cli


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--start", "2025-13-01"], "argument --start: '2025-13-01' is not a date: write it as YYYY-MM-DD"),
        (["--start", "yesterday"], "argument --start: 'yesterday' is not a date: write it as YYYY-MM-DD"),
        (["--clients", "7"], "argument --clients: 7 is outside 1–6"),
        (["--mailboxes", "abc"], "argument --mailboxes: 'abc' is not a whole number"),
    ],
)
def test_a_bad_argument_is_named_with_what_it_should_be(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(["demo", *args])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err and "fromisoformat" not in err


def test_a_good_start_is_a_date() -> None:
    assert str(_parser().parse_args(["demo", "--start", "2026-03-02"]).start) == "2026-03-02"


def test_run_without_a_chat_offers_a_demo_that_parses_and_says_how_long_the_full_one_takes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TELEGRAM_TOKEN", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    demo_cli.adjust(Settings(_env_file=None), _parser().parse_args(["run"]))
    hint = capsys.readouterr().err
    offered = next(line.split() for line in hint.splitlines() if line.strip().startswith("mailfleet demo"))
    args = _parser().parse_args(offered[1:])  # the command as printed is accepted as it is
    assert (args.mailboxes, args.domains, args.clients, args.weeks) == (60, 6, 2, 3)
    assert "about a minute" in hint and "about an hour" in hint and "console --demo" in hint
