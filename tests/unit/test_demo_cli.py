"""`mailfleet demo`'s arguments: what is wrong is named in one line, without a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.settings import Settings
from mailfleet import services
from mailfleet.cli import _parser, main
from mailfleet.demo import cli as demo_cli
from mailfleet.demo.run import LOG_FILE, clear_previous


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
    assert "about a minute" in hint and "6 to 10 minutes" in hint and "console --demo" in hint


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--clients", "4", "--domains", "6"], "each client needs at least two domains (4 clients, 6 domains)"),
        (["--mailboxes", "20"], "--domains (60) must not exceed --mailboxes (20)"),
    ],
)
def test_sizes_that_do_not_fit_together_are_refused_before_any_service_starts(
    args: list[str], said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the embedded default the services are a PostgreSQL cluster and a Redis: starting them only to say that
    the arguments were wrong took seconds, and the folder was created for nothing."""
    monkeypatch.setattr(services, "services", _no_services)
    assert main(["demo", *args, "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"mailfleet: {said}" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("where", ["a-file", "a-file/below"])
def test_an_output_folder_that_cannot_be_written_is_named_in_one_line(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--out` naming a file (or a folder under one) ended in a FileExistsError traceback, after the database was
    set up; it is said in one line before anything starts."""
    (tmp_path / "a-file").write_text("mine", encoding="utf-8")
    monkeypatch.setattr(services, "services", _no_services)
    assert main(["demo", "--mailboxes", "60", "--domains", "6", "--clients", "2", "--out", str(tmp_path / where)]) == 1
    err = capsys.readouterr().err
    assert f"mailfleet: cannot write the output folder {tmp_path / where}: " in err and "--out" in err
    assert "Traceback" not in err and (tmp_path / "a-file").read_text(encoding="utf-8") == "mine"


def test_a_new_run_removes_what_an_earlier_run_wrote_and_nothing_else(tmp_path: Path) -> None:
    """A smaller run after a bigger one left the bigger one's charts beside its own, its log was appended to the old
    one, and an interrupted run left the previous run's summary: a run clears the demo's own files first."""
    earlier = ["transcript.txt", "summary.txt", LOG_FILE, "medtech-chart-rates.png", "stroymarket-chart-pool.png"]
    mine = ["notes.txt", "medtech-chart-rates.png.bak", "chart-volume.png"]
    for name in earlier + mine:
        (tmp_path / name).write_text("x", encoding="utf-8")
    clear_previous(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(mine)


def _no_services(*args: object, **kwargs: object) -> None:
    raise AssertionError("the services started")
