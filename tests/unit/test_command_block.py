"""A `block` argument (a text of several lines after the command, e.g. campaign steps) keeps its lines."""

from __future__ import annotations

import pytest

from bot.command import REGISTRY, answer_words, parse_args, split_command
from engine.errors import UserError


def test_the_lines_after_the_command_are_one_argument_verbatim() -> None:
    line = '/campaign_steps q1\nТема: "Привет", {first_name}\n\n  отступ\n--- шаг 2 через 3 дня\nещё'
    name, words = split_command(line)
    assert (name, words) == (
        "campaign_steps",
        ["q1", 'Тема: "Привет", {first_name}\n\n  отступ\n--- шаг 2 через 3 дня\nещё'],
    )
    args = parse_args(REGISTRY[name], words, None)
    assert args["steps"] == words[1] and args["file"] is None


def test_words_after_the_name_on_the_first_line_start_the_block() -> None:
    assert split_command("/campaign_steps q1 Subject: hi\nbody")[1] == ["q1", "Subject: hi\nbody"]
    assert split_command("/campaign_steps q1")[1] == ["q1"]
    assert split_command("/campaign_steps\nSubject: hi")[1] == []  # the name is asked for first


def test_other_commands_split_as_before() -> None:
    assert split_command('/campaign_group q1 a.ru\nb.ru "c d"') == ("campaign_group", ["q1", "a.ru", "b.ru", "c d"])


def test_an_answer_to_the_pending_block_is_kept_whole() -> None:
    assert answer_words("campaign_steps", ["q1"], "Тема: x\n\nтело") == ["Тема: x\n\nтело"]
    assert answer_words("campaign_steps", [], "q1") == ["q1"]
    assert answer_words("campaign_group", ["q1"], "a.ru b.ru") == ["a.ru", "b.ru"]


def test_a_block_still_refuses_other_control_characters() -> None:
    with pytest.raises(UserError) as caught:
        parse_args(REGISTRY["campaign_steps"], ["q1", "Тема: x\n\x00"], None)
    assert caught.value.key == "error-arg-control"
