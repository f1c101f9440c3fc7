"""Translator: long values never turn a message into fluent.runtime's `{???}`."""

from __future__ import annotations

from pathlib import Path

from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import FluentParser
from fluent.syntax import ast as fluent_ast

from engine.i18n import ELLIPSIS, LOCALES, LOCALES_DIR, PARAM_MAX_CHARS, Translator, entries, natural_key, shorten


def test_fluent_alone_gives_up_on_a_long_value() -> None:
    """The root cause: a placeable over 2,500 characters makes fluent.runtime drop the whole message."""
    bundle = FluentBundle(["en"], use_isolating=False)
    bundle.add_resource(FluentResource("hello = Hello, { $name }!"))
    pattern = bundle.get_message("hello").value
    assert pattern is not None
    text, errors = bundle.format_pattern(pattern, {"name": "a" * 5000})
    assert text == "{???}" and errors


def test_a_long_value_is_shortened_and_the_message_still_says_what_is_wrong() -> None:
    for locale in LOCALES:
        text = Translator(locale)(
            "error-arg-not-int", value="9" * 5000, arg="id", command="approve", usage="/approve 17"
        )
        assert "{???}" not in text and "/approve 17" in text
        assert "9" * (PARAM_MAX_CHARS - 1) + ELLIPSIS in text and "9" * PARAM_MAX_CHARS not in text


def test_shorten() -> None:
    assert shorten("abc", 3) == "abc"
    assert shorten("abcd", 3) == "ab" + ELLIPSIS
    assert len(shorten("x" * 10_000, 40)) == 40


def test_ids_are_shown_as_plain_digits() -> None:
    for locale in LOCALES:
        assert "#123456" in Translator(locale)("error-approval-not-found", id=123456)


def _eager(locale: str) -> FluentBundle:
    bundle = FluentBundle([locale], use_isolating=False)
    for path in sorted((LOCALES_DIR / locale).glob("*.ftl")):
        bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
    return bundle


def test_files_parsed_on_demand_give_every_message_as_the_whole_catalog_does() -> None:
    for locale in LOCALES:
        eager, lazy = _eager(locale), Translator(locale)
        assert eager._messages, locale
        for key in sorted(eager._messages):  # in name order: the files are parsed in no order of their own
            pattern = eager.get_message(key).value
            if pattern is not None:
                assert lazy(key) == eager.format_pattern(pattern, {})[0], key
        assert not lazy.has("no-such-message")


def test_a_message_referring_to_one_in_another_file_finds_it(tmp_path: Path) -> None:
    (tmp_path / "xx").mkdir()
    (tmp_path / "xx" / "a.ftl").write_text("-brand = Mailfleet\nhello = Hello from { -brand }, { footer }\n")
    (tmp_path / "xx" / "b.ftl").write_text("# a comment = not a message\nfooter =\n    bye = for now\n")
    t = Translator("xx", directory=tmp_path)
    assert not t.has("bye") and not t.has("a")
    assert t("hello") == "Hello from Mailfleet, bye = for now"


def _parsed_whole_and_by_entry(text: str) -> tuple[list[fluent_ast.BaseNode], list[fluent_ast.BaseNode]]:
    parser = FluentParser(with_spans=False)
    whole = [e for e in parser.parse(text).body if isinstance(e, fluent_ast.Message | fluent_ast.Term)]
    cut = entries(text)
    by_entry = [e for _, source in cut for e in parser.parse(source).body]
    names = [e.id.name if isinstance(e, fluent_ast.Message) else f"-{e.id.name}" for e in whole]
    assert [name for name, _ in cut] == names
    return whole, by_entry


def test_a_catalog_cut_into_entries_parses_as_the_whole_file_does() -> None:
    """Each message is parsed alone when first asked for: the cut must keep every line of it, and no other."""
    files = [path for locale in LOCALES for path in sorted((LOCALES_DIR / locale).glob("*.ftl"))]
    tricky = (
        "### resource comment\n\n## group\n\n"
        "-brand = Mailfleet\n    .gender = neuter\n"
        "# a comment on the message = still a comment\n"
        "count = { $n ->\n[one] one box\n*[other] { $n } boxes\n} in { -brand }\n\n"
        "block =\n    first line\n\n    after a blank line\n{ $x }\n"
        "    .title = A title\n"
        "closing = {\n$x\n}: done\n"
        "last=no spaces\n"
    )
    for text in [*(path.read_text(encoding="utf-8") for path in files), tricky]:
        whole, by_entry = _parsed_whole_and_by_entry(text)
        assert whole, text[:60]
        assert len(by_entry) == len(whole)
        for mine, theirs in zip(by_entry, whole, strict=True):
            assert mine.equals(theirs, ignored_fields=["span", "comment"]), theirs.id.name  # type: ignore[attr-defined]


def test_names_are_ordered_as_people_count_them() -> None:
    names = [
        "d10.example",
        "D2.example",
        "d1.example",
        "client-10",
        "client-2",
        "d01.example",
        "пример2.рф",
        "пример10.рф",
    ]
    assert sorted(names, key=natural_key) == [
        "client-2", "client-10", "d01.example", "d1.example", "D2.example", "d10.example", "пример2.рф", "пример10.рф",
    ]  # fmt: skip
