"""`mailfleet demo`'s arguments: what is wrong is named in one line, without a traceback."""

from __future__ import annotations

import pytest

from mailfleet.cli import _parser


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
