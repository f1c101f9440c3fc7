from types import SimpleNamespace

import pytest

from bot.command import (
    ARG_MAX_CHARS,
    ECHO_MAX_CHARS,
    REGISTRY,
    TEXT_MAX_CHARS,
    Access,
    Arg,
    ArgMissing,
    Command,
    allowed,
    arg_keys,
    brief,
    check_text,
    parse_args,
    split_line,
)
from engine.access import Actor
from engine.errors import NotFound, UserError
from engine.i18n import translator
from engine.reply import Attachment, Reply
from engine.uploads import MAX_UPLOAD_BYTES
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
    assert split_line("/report@mailfleet_bot\n7d") == ("report", ["7d"])  # a line break ends the command too
    assert split_line("/report\t7d") == ("report", ["7d"])


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
    assert param.items() <= {k: str(v) for k, v in err.value.params.items()}.items()


def test_a_missing_argument_is_named_in_the_language_of_the_message() -> None:
    """`arg-<command>-<arg>` first, then `arg-<arg>`, else the declared name."""
    domain = Command("domain", _noop, Access.READ, (Arg("name"),), example="acme-mail.ru")
    new = Command("workspace_new", _noop, Access.ADMIN, (Arg("slug"), Arg("name")), example="acme ACME")
    odd = Command("odd", _noop, Access.READ, (Arg("zzz"),), example="1")
    for cmd, words, ru, en in [
        (domain, [], "«домен»", '"domain"'),
        (new, ["acme"], "«название»", '"title"'),
        (odd, [], "«zzz»", '"zzz"'),
    ]:
        with pytest.raises(ArgMissing) as err:
            parse_args(cmd, words, None)
        assert ru in translator("ru")(err.value.key, **err.value.params)
        assert en in translator("en")(err.value.key, **err.value.params)


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


# Bounds: every input is bounded before it is parsed ---------------------------------------------------------------

WORDS = Command(
    "words",
    _noop,
    Access.PUBLIC,
    (
        Arg("slug"),
        Arg("n", kind="int", required=False),
        Arg("big", kind="int", required=False, int_type="int8"),
        Arg("note", kind="rest", required=False),
    ),
    example="acme 3 4 hello",
)


def _refusal(words: list[str], file: Attachment | None = None, cmd: Command = WORDS) -> UserError:
    with pytest.raises(UserError) as err:
        parse_args(cmd, words, file)
    return err.value


def test_a_word_is_limited_to_200_characters_by_default_and_quoted_back_short() -> None:
    assert parse_args(WORDS, ["a" * ARG_MAX_CHARS], None)["slug"] == "a" * ARG_MAX_CHARS
    err = _refusal(["a" * 10_000])
    assert err.key == "error-arg-too-long"
    assert (str(err.params["arg"]), err.params["length"], err.params["limit"]) == ("slug", "10000", "200")
    assert err.params["value"] == "a" * (ECHO_MAX_CHARS - 1) + "…"


def test_an_argument_may_declare_its_own_limit_and_rest_takes_a_line() -> None:
    short = Command("s", _noop, Access.PUBLIC, (Arg("slug", max_length=40),))
    assert _refusal(["a" * 41], cmd=short).params["limit"] == "40"
    assert parse_args(WORDS, ["acme", "1", "2", *["word"] * 700], None)["note"] == " ".join(["word"] * 700)


@pytest.mark.parametrize(
    ("words", "value"),
    [
        (["acme", str(2**31 - 1)], 2**31 - 1),
        (["acme", str(-(2**31))], -(2**31)),
        (["acme", "1", str(2**63 - 1)], 2**63 - 1),
    ],
)
def test_integers_up_to_the_column_they_fit(words: list[str], value: int) -> None:
    assert value in parse_args(WORDS, words, None).values()


@pytest.mark.parametrize(
    ("words", "key", "limit"),
    [
        (["acme", "99999999999999999999"], "error-arg-int-range", 2**31 - 1),
        (["acme", str(2**31)], "error-arg-int-range", 2**31 - 1),
        (["acme", "1", str(2**63)], "error-arg-int-range", 2**63 - 1),
        (["acme", "1_000"], "error-arg-not-int", None),
        (["acme", "١٢"], "error-arg-not-int", None),  # Arabic-Indic digits: int() takes them, we do not
        (["acme", "9" * 300], "error-arg-too-long", None),  # never even parsed
    ],
)
def test_integers_out_of_range_or_not_plain_digits_are_refused(words: list[str], key: str, limit: int | None) -> None:
    err = _refusal(words)
    assert err.key == key
    if limit is not None:
        assert err.params["max"] == limit and str(err.params["arg"]) in {"n", "big"}


@pytest.mark.parametrize("number", ["0", "10000001", "99999999999", str(2**63)])
def test_a_number_people_choose_is_refused_with_the_bounds_the_command_takes_never_the_columns(number: str) -> None:
    emails = Command("capacity", _noop, Access.MANAGE, (Arg("emails", kind="int", bounds=(1, 10_000_000)),))
    err = _refusal([number], cmd=emails)
    assert (err.key, err.params["min"], err.params["max"]) == ("error-arg-int-range", 1, 10_000_000)
    assert parse_args(emails, ["10000000"], None) == {"emails": 10_000_000}


@pytest.mark.parametrize("number", ["99999999999999999999", str(2**31), str(-(2**31) - 1)])
def test_an_id_past_its_column_is_not_found_like_a_wrong_one_never_a_range(number: str) -> None:
    ids = Command("pick", _noop, Access.MANAGE, (Arg("id", kind="int", not_found="error-approval-not-found"),))
    with pytest.raises(NotFound) as err:
        parse_args(ids, [number], None)
    assert (err.value.key, err.value.params) == ("error-approval-not-found", {"id": int(number)})
    assert parse_args(ids, [str(2**31 - 1)], None) == {"id": 2**31 - 1}
    assert _refusal(["x1"], cmd=ids).key == "error-arg-not-int"  # not a number at all: said so


@pytest.mark.parametrize("bad", ["ac\x00me", "ac\x1bme", "ac\x7fme", "ac\ud800me", "ac\u0085me"])
def test_control_characters_and_lone_surrogates_are_refused_with_their_position(bad: str) -> None:
    err = _refusal([bad])
    assert (err.key, err.params["position"], str(err.params["arg"])) == ("error-arg-control", "3", "slug")
    assert _refusal(["acme", "1", "2", "a", bad]).key == "error-arg-control"  # in the rest of the line too


def test_unicode_text_is_fine() -> None:
    assert parse_args(WORDS, ["пример.рф", "1", "2", "Привет,", "мир\t!"], None)["note"] == "Привет, мир\t!"


def test_wrong_values_are_quoted_back_shortened() -> None:
    extra = _refusal(["a", "1", "2", "x"], cmd=Command("one", _noop, Access.PUBLIC, (Arg("slug"),)))
    assert extra.key == "error-arg-extra"
    long_extra = Command("one", _noop, Access.PUBLIC, (Arg("slug"),))
    assert len(_refusal(["a", "x" * 150], cmd=long_extra).params["extra"]) == ECHO_MAX_CHARS
    assert _refusal(["acme", "y" * 150]).params["value"] == "y" * (ECHO_MAX_CHARS - 1) + "…"


def test_a_whole_message_longer_than_a_command_line_is_refused_before_it_is_split() -> None:
    check_text("x" * TEXT_MAX_CHARS)
    with pytest.raises(UserError) as err:
        check_text("x" * (TEXT_MAX_CHARS + 1))
    assert err.value.key == "error-text-too-long" and err.value.params["limit"] == str(TEXT_MAX_CHARS)


def test_a_file_over_the_upload_limit_is_refused_before_the_handler() -> None:
    cmd = Command("imp", _noop, Access.MANAGE, (Arg("csv", kind="file"),))
    assert parse_args(cmd, [], Attachment("a.csv", b"x" * MAX_UPLOAD_BYTES))["csv"].filename == "a.csv"
    err = _refusal([], Attachment("a.csv", b"x" * (MAX_UPLOAD_BYTES + 1)), cmd=cmd)
    assert err.key == "error-upload-too-large"


def test_brief_cuts_a_long_list_and_says_how_many_more() -> None:
    ctx = SimpleNamespace(t=translator("en"))
    names = [f"d{n}.test" for n in range(25)]
    assert brief(ctx, names[:20]) == ", ".join(names[:20])  # type: ignore[arg-type]
    assert brief(ctx, names) == ", ".join(names[:20]) + ", … and 5 more"  # type: ignore[arg-type]
    assert brief(ctx, names, limit=2, sep="\n") == "d0.test\nd1.test\n… and 23 more"  # type: ignore[arg-type]


def test_every_argument_of_every_command_has_a_name_in_both_languages() -> None:
    """What an error about an argument calls it (`arg_keys`): never the declared English identifier."""
    from bot.runner import Runner  # noqa: F401, PLC0415 - registers every command

    for locale in ("ru", "en"):
        t = translator(locale)
        missing = [
            f"{c.name}.{a.name}" for c in REGISTRY.values() for a in c.args if not any(map(t.has, arg_keys(c, a)))
        ]
        assert missing == [], locale


def test_an_argument_error_names_the_argument_in_the_readers_language() -> None:
    from bot.runner import Runner  # noqa: F401, PLC0415 - registers every command

    with pytest.raises(ArgMissing) as missing:
        parse_args(REGISTRY["campaign_new"], [], None)
    assert str(missing.value.params["arg"]) == "name"  # what logs show
    assert translator("ru")(missing.value.key, **missing.value.params) == (
        "Не хватает аргумента «кампания» для /campaign_new. Пример: /campaign_new q1-acme"
    )
    assert '"campaign"' in translator("en")(missing.value.key, **missing.value.params)
    with pytest.raises(ArgMissing) as no_file:
        parse_args(REGISTRY["leads_import"], ["q1"], None)
    assert "«" + translator("ru")("arg-csv") + "»" in translator("ru")(no_file.value.key, **no_file.value.params)
