import pytest

from bot.command import Access, Arg, ArgMissing, Command, allowed, parse_args, split_line
from engine.access import Actor
from engine.errors import UserError
from engine.reply import Attachment, Reply
from models.enums import Platform, Role


async def _noop(ctx, args) -> Reply:
    return Reply()


CMD = Command(
    "demo",
    _noop,
    Access.MANAGE,
    (Arg("n", kind="int"), Arg("mode", kind="choice", choices=("a", "b")), Arg("note", kind="rest", required=False)),
    example="3 a some note",
)


def test_split_line_handles_bot_suffix_and_quotes() -> None:
    assert split_line('/Workspace_New@mailfleet_bot acme "ACME Ltd"') == ("workspace_new", ["acme", "ACME Ltd"])
    assert split_line("join  abc ") == ("join", ["abc"])
    assert split_line('/x "unbalanced') == ("x", ['"unbalanced'])


def test_parse_binds_every_kind() -> None:
    assert parse_args(CMD, ["3", "B", "hello", "world"], None) == {"n": 3, "mode": "b", "note": "hello world"}
    assert parse_args(CMD, ["3", "a"], None) == {"n": 3, "mode": "a", "note": None}


@pytest.mark.parametrize(
    ("words", "key", "param"),
    [
        ([], "error-arg-missing", {"arg": "n"}),
        (["x", "a"], "error-arg-not-int", {"value": "x"}),
        (["3", "c"], "error-arg-choice", {"choices": "a, b"}),
    ],
)
def test_parse_errors_name_the_problem_and_show_an_example(words, key, param) -> None:
    with pytest.raises(UserError) as err:
        parse_args(CMD, words, None)
    assert err.value.key == key
    assert err.value.params["usage"] == "/demo 3 a some note"
    assert param.items() <= err.value.params.items()


def test_missing_argument_is_resumable() -> None:
    with pytest.raises(ArgMissing) as err:
        parse_args(CMD, ["3"], None)
    assert err.value.missing.name == "mode"


def test_extra_words_are_refused() -> None:
    cmd = Command("one", _noop, Access.PUBLIC, (Arg("slug"),), example="acme")
    with pytest.raises(UserError) as err:
        parse_args(cmd, ["a", "b"], None)
    assert err.value.key == "error-arg-extra" and err.value.params["extra"] == "b"


def test_file_argument() -> None:
    cmd = Command("imp", _noop, Access.MANAGE, (Arg("csv", kind="file"),))
    with pytest.raises(ArgMissing) as err:
        parse_args(cmd, [], None)
    assert err.value.key == "error-file-missing"
    doc = Attachment("a.csv", b"x")
    assert parse_args(cmd, [], doc) == {"csv": doc}


def _actor(role: Role | None, manages_any: bool = False, ws: int | None = 1) -> Actor:
    return Actor(person_id=1, platform=Platform.TELEGRAM, role=role, workspace_id=ws, manages_any=manages_any)


@pytest.mark.parametrize(
    ("access", "expected"),
    [
        (Access.PUBLIC, [True, True, True, True]),
        (Access.READ, [False, True, True, True]),
        (Access.MANAGE, [False, False, True, True]),
        (Access.CREATE, [False, False, True, True]),
        (Access.ADMIN, [False, False, False, True]),
    ],
)
def test_access_levels(access: Access, expected: list[bool]) -> None:
    actors = [_actor(None), _actor(Role.CLIENT), _actor(Role.MANAGER, True), _actor(Role.ADMIN, True)]
    cmd = Command("x", _noop, access)
    assert [allowed(cmd, a) for a in actors] == expected


def test_manager_without_current_workspace_cannot_manage() -> None:
    assert not allowed(Command("x", _noop, Access.MANAGE), _actor(Role.MANAGER, True, ws=None))
