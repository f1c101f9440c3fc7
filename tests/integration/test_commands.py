"""The command layer on real PostgreSQL and Redis: invites, roles, isolation, approvals once, notifications."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools

import pytest
from redis.asyncio import Redis

from bot.command import Access, commands, usage
from bot.handlers.workspaces import HELP_GROUPS
from bot.runner import Runner
from engine import alerts, approvals, people
from engine.access import SYSTEM
from engine.agency_chats import agency_chats, agency_readers
from engine.clock import FrozenClock
from engine.errors import NotFound
from engine.i18n import translator
from engine.notify import CHAT_UNREACHABLE, DeliveryFailed, Notification, deliver
from engine.reply import Reply
from models import Alert, Approval, AuditLog, ChatBinding, Delivery, Membership, Person, Workspace
from models.enums import AlertStatus, ApprovalKind, ApprovalStatus, ChatPurpose, Platform, Role, Severity

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
TG = Platform.TELEGRAM
pytestmark = pytest.mark.usefixtures("orm")
RU = translator("ru")
_DENIALS = ("error-forbidden", "error-not-registered")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def runner(clock: FrozenClock) -> Runner:
    return Runner(clock, admins={TG: {"1"}})


async def _say(runner: Runner, user: str, line: str, chat: str = "c1", lang: str = "ru") -> Reply:
    return await runner.run_line(runner.identity(TG, user, f"user{user}", lang), chat, line)


async def _invite(runner: Runner, role: str, workspace: str = "acme") -> str:
    await _say(runner, "1", f"/use {workspace}")
    reply = await _say(runner, "1", f"/invite {role}")
    return next(b.text for b in reply.blocks if b.style == "pre")


async def test_invite_flow_from_nothing_to_a_bound_chat(runner: Runner) -> None:
    assert (await _say(runner, "1", "/workspace_new acme ACME Ltd")).ok
    code = await _invite(runner, "manager")
    stranger = await _say(runner, "42", "/workspaces")
    assert stranger.plain_text() == RU("workspaces-none")
    assert (await _say(runner, "42", "/invite client")).plain_text() == RU("error-not-registered", command="invite")
    joined = await _say(runner, "42", f"/start {code}")
    assert joined.ok and "ACME Ltd" in joined.plain_text()
    again = await _say(runner, "43", f"/start {code}")
    assert not again.ok and again.plain_text() == RU("error-invite-used")
    bound = await _say(runner, "42", "/bind alerts", chat="-100500")
    assert bound.plain_text() == "Этот чат подключён к пространству «ACME Ltd» (acme): оповещения."  # it named none
    binding = await ChatBinding.get(chat_id="-100500")
    assert binding.purposes == ["alerts"] and binding.platform is TG
    members = await _say(runner, "42", "/members")
    assert "user42" in members.plain_text()
    assert "user42 (Telegram) — менеджер" in members.plain_text()  # it read "(telegram)", the raw enum value
    whoami = await _say(runner, "42", "/whoami")
    assert whoami.plain_text() == "Вы: Telegram 42. Роль: менеджер. Текущее пространство: acme."


async def test_an_invite_expires_on_the_clock_of_its_workspace(runner: Runner) -> None:
    """A Vladivostok workspace's invite read 'действует до 2026-12-01 12:00 UTC' for a code that lapses at 22:00
    there: its expiry is shown on the clock of the workspace it was made in, that zone named."""
    await _say(runner, "1", "/workspace_new vvo VVO")
    await _say(runner, "1", "/workspace_settings timezone Asia/Vladivostok")
    text = (await _say(runner, "1", "/invite client")).plain_text()
    assert "2026-12-01 22:00 +10" in text and "UTC" not in text, text  # NOW + 72 hours, 10 hours ahead of UTC


async def test_expired_and_unknown_codes(runner: Runner, clock: FrozenClock) -> None:
    await _say(runner, "1", "/workspace_new acme ACME")
    code = await _invite(runner, "client")
    clock.advance(people.INVITE_TTL + dt.timedelta(seconds=1))
    assert (await _say(runner, "9", f"/start {code}")).plain_text() == RU("error-invite-expired")
    assert (await _say(runner, "9", "/start nonsense")).plain_text() == RU("error-invite-invalid")
    fresh = await _invite(runner, "client")
    wrong_case = await _say(runner, "9", f"/start {fresh.swapcase()}")  # typed from a screenshot
    assert "заглавными и строчными" in wrong_case.plain_text()  # codes are case-sensitive: the message says so
    assert await Membership.all().count() == 0


async def test_a_code_pasted_as_the_bots_link_or_quoted_is_the_code(runner: Runner) -> None:
    """A person who got the bot's start link (t.me/<bot>?start=<code>) as text pasted it after /start, or pasted
    the code with the quotes it was sent in: 'invite code not found' for a valid code. The code is taken out."""
    await _say(runner, "1", "/workspace_new acme ACME")
    pasted = [
        "https://t.me/mailfleet_bot?start={code}",
        "t.me/mailfleet_bot?start={code}",
        "tg://resolve?domain=mailfleet_bot&start={code}",
        "<https://t.me/mailfleet_bot?start={code}>",  # Slack's markup of a link
        "«{code}»",
        "`{code}`",
    ]
    for user, form in enumerate(pasted, start=10):
        code = await _invite(runner, "client")
        joined = await _say(runner, str(user), f"/start {form.format(code=code)}")
        assert joined.ok, (form, joined.plain_text())
    assert await Membership.filter(role=Role.CLIENT).count() == len(pasted)
    link = await _say(runner, "30", "/start https://t.me/mailfleet_bot?start=nonsense")
    assert link.plain_text() == RU("error-invite-invalid")


async def test_a_code_that_gives_nothing_more_changes_nothing_and_is_spent(runner: Runner) -> None:
    """A manager who opened a client's code of their own workspace (to see what the client would see) became a
    client there: no /invite, no /members, and only an admin could give the role back. Now the role stays; the
    code is spent all the same (it may have been typed in a group, where anyone could take it) and a new one is
    suggested."""
    await _say(runner, "1", "/workspace_new acme ACME")
    await _say(runner, "2", f"/start {await _invite(runner, 'manager')}")
    client_code = await _invite(runner, "client")
    tried = await _say(runner, "2", f"/start {client_code}")
    assert not tried.ok and tried.plain_text() == RU("error-invite-member", role="manager")
    assert "менеджер этого пространства" in tried.plain_text() and "/invite" in tried.plain_text()
    assert (await Membership.get(person__external_id="2")).role is Role.MANAGER
    assert (await _say(runner, "2", "/members")).ok
    assert (await _say(runner, "3", f"/start {client_code}")).plain_text() == RU("error-invite-used")
    by_admin = await _say(runner, "1", f"/start {await _invite(runner, 'client')}", lang="en")
    assert by_admin.plain_text() == translator("en")("error-invite-admin")
    assert not await Membership.filter(person__external_id="1").exists()
    assert (await _say(runner, "3", f"/start {await _invite(runner, 'client')}")).ok
    again = await _say(runner, "3", f"/start {await _invite(runner, 'client')}")
    assert again.plain_text() == RU("error-invite-member", role="client")
    promoted = await _say(runner, "3", f"/start {await _invite(runner, 'manager')}")  # a client made a manager
    assert promoted.ok and (await Membership.get(person__external_id="3")).role is Role.MANAGER


async def test_a_member_left_without_a_current_workspace_is_asked_to_choose_one(runner: Runner) -> None:
    """A client of acme, beta and gamma whose access to acme (the current one) was revoked was told "You are not
    connected to Mailfleet yet, ask for an invite code" by /start and every report, and a manager so left was told
    that their role does not allow /domains: they are members, with no current workspace."""
    for slug in ("beta", "gamma", "acme"):
        await _say(runner, "1", f"/workspace_new {slug}")
    for slug in ("beta", "gamma", "acme"):
        await _say(runner, "5", f"/start {await _invite(runner, 'client', slug)}")
        await _say(runner, "6", f"/start {await _invite(runner, 'manager', slug)}")
    await _say(runner, "1", "/use acme")
    members = {m.person.external_id: m.person_id for m in await Membership.all().prefetch_related("person")}
    assert (await _say(runner, "1", f"/revoke {members['5']}")).ok
    assert (await _say(runner, "1", f"/revoke {members['6']}")).ok
    assert (await _say(runner, "5", "/start")).plain_text() == RU("start-known")
    assert (await _say(runner, "5", "/report")).plain_text() == RU("error-no-workspace")
    assert (await _say(runner, "6", "/domains")).plain_text() == RU("error-no-workspace")
    assert (await _say(runner, "5", "/use beta")).ok and (await _say(runner, "5", "/report")).ok
    assert (await _say(runner, "9", "/report")).plain_text() == RU("error-not-registered", command="report")


async def test_a_workspace_title_too_long_is_refused_not_cut(runner: Runner) -> None:
    """A 300-character title was stored cut at 200 characters without a word."""
    long = await _say(runner, "1", "/workspace_new acme " + "Д" * 300, lang="en")
    assert not long.ok and "300 characters, at most 200" in long.plain_text()
    assert await Workspace.all().count() == 0
    assert (await _say(runner, "1", "/workspace_new acme " + "Д" * 200)).ok
    assert (await Workspace.get(slug="acme")).name == "Д" * 200


async def test_client_reads_but_cannot_manage(runner: Runner) -> None:
    await _say(runner, "1", "/workspace_new acme ACME")
    await _say(runner, "5", f"/start {await _invite(runner, 'client')}")
    assert (await _say(runner, "5", "/workspace")).ok
    denied = await _say(runner, "5", "/invite manager")
    assert not denied.ok and denied.plain_text() == RU("error-forbidden", command="invite")
    assert "/invite" in denied.plain_text() and "/help" in denied.plain_text()  # what was refused, where to look
    assert "/invite" not in (await _say(runner, "5", "/help")).plain_text()
    assert "/workspace " in (await _say(runner, "5", "/help")).plain_text() + " "


async def test_manager_cannot_see_or_enter_other_workspaces(runner: Runner) -> None:
    await _say(runner, "1", "/workspace_new acme ACME")
    await _say(runner, "1", "/workspace_new beta Beta")
    await _say(runner, "7", f"/start {await _invite(runner, 'manager', 'acme')}")
    listing = (await _say(runner, "7", "/workspaces")).plain_text()
    assert "acme" in listing and "beta" not in listing
    assert (await _say(runner, "7", "/use beta")).plain_text() == RU("error-workspace-not-found", slug="beta")
    assert (await _say(runner, "7", "/workspace beta")).plain_text() == RU("error-workspace-not-found", slug="beta")
    created = await _say(runner, "7", "/workspace_new gamma Gamma")
    assert created.ok  # a manager creates client workspaces and manages them
    assert await Membership.filter(workspace__slug="gamma", role=Role.MANAGER).count() == 1


async def test_a_slug_longer_than_any_names_no_workspace_in_the_services(runner: Runner) -> None:
    """The services answer a word past the slug column's 40 characters as any unknown workspace: the ORM refuses
    to compare it with the column, and that refusal was an internal error (a button or a caller that did not
    bound the word first)."""
    await _say(runner, "1", "/workspace_new acme ACME")
    actor = await people.resolve_actor(runner.identity(TG, "1", "admin"))
    typed = "acme" + "-x" * 30
    for lookup in (people.workspace_summary, people.use_workspace):
        with pytest.raises(NotFound) as refused:
            await lookup(actor, typed)
        assert refused.value.key == "error-workspace-not-found"


async def test_a_mistyped_command_is_answered_with_the_one_meant(runner: Runner) -> None:
    """/hepl, /domian, /report_campain got "I don't know the command" and the whole list to search. The closest
    command the person may run is now suggested; one they may not run is never suggested."""
    await _say(runner, "1", "/workspace_new acme ACME")
    await _say(runner, "5", f"/start {await _invite(runner, 'client')}")
    near = "error-unknown-command-near"
    assert (await _say(runner, "5", "/hepl")).plain_text() == RU(near, command="hepl", near="help")
    assert (await _say(runner, "5", "/Report_Campain")).plain_text() == RU(
        near, command="report_campain", near="report_campaign"
    )
    assert (await _say(runner, "1", "/invte")).plain_text() == RU(near, command="invte", near="invite")
    assert (await _say(runner, "5", "/invte")).plain_text() == RU("error-unknown-command", command="invte")
    assert (await _say(runner, "5", "/weather")).plain_text() == RU("error-unknown-command", command="weather")
    assert "/approve" not in (await _say(runner, "1", "/aprove 1")).plain_text()  # a button's, never typed


async def test_lang_switches_every_later_reply(runner: Runner) -> None:
    reply = await _say(runner, "1", "/lang en")
    assert reply.plain_text() == translator("en")("lang-set")
    assert (await _say(runner, "1", "/nope")).plain_text() == translator("en")("error-unknown-command", command="nope")
    assert (await _say(runner, "2", "/nope", lang="en-GB")).plain_text().startswith("I don't know")
    assert (await _say(runner, "3", "/nope", lang="de")).plain_text().startswith("Не знаю")


async def test_bad_input_is_explained(runner: Runner) -> None:
    await _say(runner, "1", "/workspace_new acme ACME")
    assert (await _say(runner, "1", "/workspace_new acme Again")).plain_text() == RU(
        "error-workspace-exists", slug="acme"
    )
    # the slug is quoted as it was typed (not lower-cased into something the person never wrote), and short
    assert (await _say(runner, "1", "/workspace_new Bad_Slug x")).plain_text() == RU("error-bad-slug", slug="Bad_Slug")
    assert (await _say(runner, "1", "/workspace_new Тест")).plain_text() == RU("error-bad-slug", slug="Тест")
    long = await _say(runner, "1", "/workspace_new " + "a" * 100)
    assert long.plain_text() == RU("error-bad-slug", slug="a" * 39 + "…")
    missing = await _say(runner, "1", "/use")
    assert missing.awaiting == ("use", []) and "/use acme" in missing.plain_text()


async def _roles(runner: Runner) -> dict[str, str]:
    """Persons by role, all with `acme` as current workspace; `beta` is someone else's."""
    await _say(runner, "1", "/workspace_new beta Beta")
    await _say(runner, "1", "/workspace_new acme ACME")
    await _say(runner, "11", f"/start {await _invite(runner, 'client')}")
    await _say(runner, "12", f"/start {await _invite(runner, 'manager')}")
    await _say(runner, "1", "/use acme")
    await _say(runner, "10", "/start")
    return {"unknown": "10", "client": "11", "manager": "12", "admin": "1"}


P, R, M, C, A = Access.PUBLIC, Access.READ, Access.MANAGE, Access.CREATE, Access.ADMIN
PERMITTED = {  # (role, current workspace is own or someone else's) -> access levels that role may use
    ("unknown", "own"): {P},
    ("unknown", "other"): {P},
    ("client", "own"): {P, R},
    ("client", "other"): {P},
    ("manager", "own"): {P, R, M, C},
    ("manager", "other"): {P, C},
    ("admin", "own"): {P, R, M, C, A},
    ("admin", "other"): {P, R, M, C, A},
}


async def test_isolation_matrix_over_every_command(runner: Runner) -> None:
    """Every registered command × every role × own/other workspace: allowed exactly when the role permits it."""
    users = await _roles(runner)
    beta = await Workspace.get(slug="beta")
    failures = []
    for cmd, (role, user), where in itertools.product(commands(), users.items(), ("own", "other")):
        if where == "other":  # the person's current workspace points at a workspace they are not a member of
            await Person.filter(platform=TG, external_id=user).update(current_workspace_id=beta.id)
        reply = await _say(runner, user, f"/{cmd.name} {cmd.example}")
        await Person.filter(platform=TG, external_id=user).update(
            current_workspace_id=(await Workspace.get(slug="acme")).id
        )
        expected_allowed = cmd.access in PERMITTED[role, where]
        denials = {translator(lang)(key, command=cmd.name) for lang in ("ru", "en") for key in _DENIALS}
        denied = not reply.ok and reply.plain_text() in denials
        if denied == expected_allowed:
            failures.append(f"/{cmd.name} as {role} in {where}: {reply.plain_text()!r}")
    assert failures == []


async def test_approval_is_decided_once_even_when_pressed_twice_at_once(runner: Runner, clock) -> None:
    await _say(runner, "1", "/workspace_new acme ACME")
    await _say(runner, "12", f"/start {await _invite(runner, 'manager')}")
    ws = await Workspace.get(slug="acme")
    approval = await approvals.request(ws.id, ApprovalKind.DOMAIN_SWAP, "domain:1", {"to": "b.ru"}, clock=clock)
    assert approval is not None
    assert await approvals.request(ws.id, ApprovalKind.DOMAIN_SWAP, "domain:1", {}, clock=clock) is None
    first, second = await asyncio.gather(
        _say(runner, "12", f"/approve {approval.id}"), _say(runner, "1", f"/reject {approval.id}")
    )
    assert sorted([first.ok, second.ok]) == [False, True]
    loser = first if not first.ok else second
    assert (
        RU("error-approval-decided", id=approval.id, status="approved", who="", via="").split(":")[0].split()[0]
        in loser.plain_text()
    )
    stored = await Approval.get(id=approval.id)
    assert stored.status in (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED) and stored.decided_via is TG
    assert loser.plain_text().endswith("(Telegram).")  # the platform by its name, not the stored "telegram"
    en = await _say(runner, "12", f"/approve {approval.id}", lang="en")
    assert en.plain_text().endswith("(Telegram).") and "telegram" not in en.plain_text()


async def test_approval_of_another_workspace_does_not_exist_for_you(runner: Runner, clock) -> None:
    await _say(runner, "1", "/workspace_new beta Beta")
    beta = await Workspace.get(slug="beta")
    await _say(runner, "1", "/workspace_new acme ACME")
    await _say(runner, "12", f"/start {await _invite(runner, 'manager')}")
    approval = await approvals.request(beta.id, ApprovalKind.DMARC_STEP, "domain:9", {}, clock=clock)
    assert approval is not None
    reply = await _say(runner, "12", f"/approve {approval.id}")
    assert reply.plain_text() == RU("error-approval-not-found", id=approval.id)
    assert (await Approval.get(id=approval.id)).status is ApprovalStatus.PENDING


async def test_an_id_beyond_any_row_is_not_found_like_a_wrong_one(runner: Runner) -> None:
    """A number too big for the id column names no row: the answer is the command's own "not found", never the
    column's bounds (nor a database error)."""
    await _say(runner, "1", "/workspace_new acme ACME")
    await _say(runner, "12", f"/start {await _invite(runner, 'manager')}")
    huge, wrong = "99999999999999999999", "777777"
    for command, key in (
        ("approve", "error-approval-not-found"), ("reject", "error-approval-not-found"),
        ("ack", "error-alert-not-found"), ("revoke", "error-member-not-found"),
        ("domain_remove_confirm", "error-domain-gone"), ("dns_apply_confirm", "error-domain-gone"),
        ("domain_resume_confirm", "error-domain-gone"),
    ):  # fmt: skip
        assert (await _say(runner, "12", f"/{command} {wrong}")).plain_text() == RU(key, id=int(wrong)), command
        for number in (huge, str(2**63), "-" + huge):
            reply = await _say(runner, "12", f"/{command} {number}")
            assert not reply.ok and reply.plain_text() == RU(key, id=int(number)), (command, reply.plain_text())
    assert (await _say(runner, "12", "/approve 1x")).plain_text().startswith(RU("error-arg-not-int", value="1x",
        arg="x", command="approve", usage="/approve 17").split("(")[0])  # fmt: skip


class RecordingNotifier:
    """A transport stand-in for the delivery logic; the real ones are tested end to end."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.sent: list[tuple[str, Reply]] = []

    async def send(self, chat_id: str, reply: Reply) -> str:
        self.sent.append((chat_id, reply))
        return str(len(self.sent))


async def test_notifications_are_deduplicated_and_rate_limited(redis: Redis, clock: FrozenClock) -> None:
    ws = await people.create_workspace(SYSTEM, "acme", "ACME")
    for chat in ("a", "b"):
        await ChatBinding.create(workspace=ws, platform=TG, chat_id=chat, purposes=["alerts"])
    await ChatBinding.create(workspace=ws, platform=Platform.SLACK, chat_id="C1", purposes=["reports"])
    tg = RecordingNotifier(TG)
    note = Notification(
        "alert:1",
        ws.id,
        ChatPurpose.ALERTS,
        "approval-approved",
        "approval-rejected",
        {"id": 1, "subject": "domain:1"},
        [("button-approve", "approve", "1")],
    )
    report = await deliver(note, {TG: tg}, redis, clock)
    assert sorted(report.sent) == ["telegram:a", "telegram:b"] and report.unavailable == []
    assert tg.sent[0][1].buttons[0][0].command == "approve"
    again = await deliver(note, {TG: tg}, redis, clock)
    assert again.sent == [] and sorted(again.duplicate) == ["telegram:a", "telegram:b"]
    assert await Delivery.all().count() == 2
    # Telegram's pace of one message a second in a chat, counted in Redis: the next one waits for its slot
    limited = await deliver(
        Notification("late", ws.id, ChatPurpose.ALERTS, "lang-set", "lang-set"), {TG: tg}, redis, clock
    )
    assert sorted(limited.deferred) == ["telegram:a", "telegram:b"] and 0 < limited.retry_after_s <= 1
    await asyncio.sleep(limited.retry_after_s)
    later = await deliver(
        Notification("late", ws.id, ChatPurpose.ALERTS, "lang-set", "lang-set"), {TG: tg}, redis, clock
    )
    assert sorted(later.sent) == ["telegram:a", "telegram:b"]


async def test_a_manager_of_two_workspaces_decides_in_either(runner: Runner, clock) -> None:
    await _say(runner, "1", "/workspace_new beta Beta")
    await _say(runner, "1", "/workspace_new acme ACME")
    await _say(runner, "12", f"/start {await _invite(runner, 'manager', 'acme')}")
    await _say(runner, "12", f"/start {await _invite(runner, 'manager', 'beta')}")
    await _say(runner, "12", "/use acme")
    beta = await Workspace.get(slug="beta")
    approval = await approvals.request(beta.id, ApprovalKind.DOMAIN_SWAP, "domain:3", {}, clock=clock)
    assert approval is not None
    assert (await _say(runner, "12", f"/approve {approval.id}")).ok
    assert (await Approval.get(id=approval.id)).status is ApprovalStatus.APPROVED


class RefusingNotifier(RecordingNotifier):
    async def send(self, chat_id: str, reply: Reply) -> str:
        if chat_id == "gone":
            raise DeliveryFailed("channel_not_found")
        return await super().send(chat_id, reply)


async def test_a_chat_that_cannot_receive_does_not_block_the_others(redis: Redis, clock: FrozenClock) -> None:
    ws = await people.create_workspace(SYSTEM, "acme", "ACME")
    for chat in ("gone", "ok"):
        await ChatBinding.create(workspace=ws, platform=TG, chat_id=chat, purposes=["alerts"])
    report = await deliver(
        Notification("a1", ws.id, ChatPurpose.ALERTS, "lang-set", "lang-set"), {TG: RefusingNotifier(TG)}, redis, clock
    )
    assert report.sent == ["telegram:ok"] and report.failed == ["telegram:gone"]


SLUG_ARGS = {"slug", "workspace"}


async def test_a_workspace_that_is_not_yours_is_answered_like_one_that_does_not_exist(runner: Runner) -> None:
    """Every command that takes a workspace slug × every role: someone else's workspace and a missing one get the
    same answer, so nobody learns which workspaces exist."""
    users = await _roles(runner)
    await _say(runner, "12", "/workspace_new gamma Gamma")  # the manager's second workspace
    await _say(runner, "12", "/use acme")
    # /workspace_new names a workspace to be: that a name is taken has to be said (slugs are unique)
    slug_commands = [c for c in commands() if any(a.name in SLUG_ARGS for a in c.args) and c.name != "workspace_new"]
    assert {c.name for c in slug_commands} >= {"use", "workspace"}
    differences = []
    for cmd, role in itertools.product(slug_commands, ("unknown", "client", "manager")):
        user = users[role]
        other = (await _say(runner, user, f"/{cmd.name} beta")).plain_text().replace("beta", "<slug>")
        missing = (await _say(runner, user, f"/{cmd.name} zeta")).plain_text().replace("zeta", "<slug>")
        if other != missing:
            differences.append(f"/{cmd.name} as {role}: {other!r} != {missing!r}")
        await Person.filter(platform=TG, external_id=user).update(
            current_workspace_id=(await Workspace.get(slug="acme")).id
        )
    assert differences == []
    # and one's own workspaces still answer
    assert (await _say(runner, "11", "/workspace acme")).ok
    own = await _say(runner, "12", "/workspace gamma")
    assert own.ok and RU("workspace-title", name="Gamma", slug="gamma") in own.plain_text()
    assert (await _say(runner, "1", "/workspace beta")).ok  # the agency admin sees every workspace


async def test_help_shows_the_syntax_of_the_commands_the_role_may_run(runner: Runner) -> None:
    users = await _roles(runner)
    client = (await _say(runner, users["client"], "/help")).plain_text()
    manager = (await _say(runner, users["manager"], "/help")).plain_text()
    assert "/use <пространство> — " in client and "/workspace [<пространство>] — " in client
    assert "/invite" not in client and "/members" not in client and "/domain_add" not in client
    assert "/invite manager|client — " in manager and "/bind alerts|reports|all|client — " in manager
    assert "/domain_add [<домены…>] [<CSV-файл>] — " in manager
    assert "/approve" not in manager  # buttons' commands are not typed
    unknown = (await _say(runner, users["unknown"], "/help", lang="en")).plain_text()
    assert "/start [<invite code>] — " in unknown and "/workspace " not in unknown
    assert manager.index("/start ") < manager.index("/domains ") < manager.index("/invite ")


async def test_help_for_one_command_shows_it_in_full_and_hides_what_the_role_cannot_run(runner: Runner) -> None:
    users = await _roles(runner)
    one = await _say(runner, users["client"], "/help /use", lang="en")
    assert [b.text for b in one.blocks] == [
        "/use <workspace>",
        translator("en")("cmd-use"),
        translator("en")("help-example", example="/use acme"),
    ]
    hidden = await _say(runner, users["client"], "/help invite", lang="en")
    assert not hidden.ok and hidden.plain_text() == translator("en")("error-help-unknown", command="invite")
    assert (await _say(runner, users["client"], "/help nope", lang="en")).plain_text() == hidden.plain_text().replace(
        "invite", "nope"
    )
    start = (await _say(runner, users["manager"], "/help join")).plain_text()
    assert RU("help-aliases", aliases="/join") in start
    upload = (await _say(runner, users["manager"], "/help domain_add")).plain_text()
    assert RU("help-file", command="domain_add") in upload


def test_every_argument_has_a_name_in_both_languages() -> None:
    for locale in ("ru", "en"):
        t = translator(locale)
        unnamed = [
            f"{c.name}.{a.name}"
            for c in commands()
            for a in c.args
            if a.kind != "choice"
            and not t.has(f"arg-{c.name}-{a.name}".replace("_", "-"))
            and not t.has(f"arg-{a.name}".replace("_", "-"))
        ]
        assert unnamed == [], locale
    assert usage(next(c for c in commands() if c.name == "use")) == "/use <slug>"


async def test_start_tells_a_first_contact_from_a_returning_one(runner: Runner) -> None:
    assert (await _say(runner, "1", "/start")).plain_text() == RU("start-first-admin")  # bootstrapped by the settings
    assert (await _say(runner, "1", "/start")).plain_text() == RU("start-known")
    assert (await _say(runner, "9", "/start")).plain_text() == RU("start-unknown")
    assert (await _say(runner, "9", "/start")).plain_text() == RU("start-unknown")
    first = await Person.get(platform=TG, external_id="1")
    assert first.is_admin


async def test_the_invite_and_the_welcome_name_the_workspace(runner: Runner) -> None:
    await _say(runner, "1", '/workspace_new acme "ACME Ltd"')
    reply = await _say(runner, "1", "/invite client")
    code = next(b.text for b in reply.blocks if b.style == "pre")
    created, _, how = (b.text for b in reply.blocks)
    assert "«ACME Ltd» (acme)" in created and RU("role-client") in created
    assert how == RU("invite-how", code=code, workspace="ACME Ltd", slug="acme")
    joined = await _say(runner, "5", f"/start {code}")
    assert joined.plain_text() == RU("start-joined", workspace="ACME Ltd", slug="acme")


async def test_hints_suggest_only_what_the_role_may_run(runner: Runner) -> None:
    stranger = (await _say(runner, "9", "/workspaces")).plain_text()
    assert stranger == RU("workspaces-none") and "/workspace_new" not in stranger
    admin = (await _say(runner, "1", "/workspaces")).plain_text()
    assert admin == RU("workspaces-none-create")


async def test_a_client_reads_reports_and_nothing_of_the_fleet(runner: Runner) -> None:
    """A client's role is the workspace's reports (ARCHITECTURE: "client — read-only reports of one workspace"): it
    could list the fleet's domains and mailboxes, open their cards, the deferrals of /why and the thresholds. Those
    are the managers' now; the reports, /health, the warmup's progress, the campaigns' names, charts and exports
    stay."""
    await _say(runner, "1", "/workspace_new acme ACME")
    code = await _invite(runner, "client")
    await _say(runner, "5", f"/start {code}")
    for line in ("/domains", "/domain acme-mail.ru", "/mailboxes", "/mailbox a@acme-mail.ru", "/why a@acme-mail.ru",
                 "/thresholds"):  # fmt: skip
        command = line.split()[0][1:]
        assert (await _say(runner, "5", line)).plain_text() == RU("error-forbidden", command=command)
    for line, key in [("/domains", "domains-none"), ("/mailboxes", "mailboxes-none")]:
        assert (await _say(runner, "1", line)).plain_text() == RU(key)
    assert (await _say(runner, "5", "/warmup")).plain_text() == RU("warmup-none")  # no hint at what it may not run
    assert (await _say(runner, "1", "/warmup")).plain_text() == RU("warmup-none-manage")
    for line in ("/report", "/campaigns", "/health", "/warmup"):
        assert RU("error-forbidden", command=line[1:]) != (await _say(runner, "5", line)).plain_text()
    shown = (await _say(runner, "5", "/help")).plain_text()
    assert "/report" in shown and "/mailboxes" not in shown and "/why" not in shown


async def test_help_is_grouped_by_what_the_commands_are_for(runner: Runner) -> None:
    """/help listed some seventy commands as one block, /chart before /domains and /report among campaigns: each
    section now has a heading, and a role sees only the sections it has commands in."""
    users = await _roles(runner)
    manager = await _say(runner, users["manager"], "/help")
    headings = [b.text for b in manager.blocks if b.style == "title"]
    assert headings[0] == RU("help-title")
    assert headings[1:] == [RU(f"help-group-{group}") for group in HELP_GROUPS]  # a manager has them all
    listings = [b.text for b in manager.blocks if b.style == "text"][:-1]  # the last: how to see one in full
    sections = dict(zip(headings[1:], listings, strict=True))
    assert sections[RU("help-group-start")].startswith("/start ")
    assert "/domain_add " in sections[RU("help-group-domains")] and "/report " in sections[RU("help-group-reports")]
    assert "/invite " in sections[RU("help-group-team")] and "/campaign_new " in sections[RU("help-group-campaigns")]
    assert "/ack <номер оповещения> — " in sections[RU("help-group-alerts")]  # it was "<номер запроса>"
    client = await _say(runner, users["client"], "/help", lang="en")
    en = translator("en")
    shown = [b.text for b in client.blocks if b.style == "title"]
    theirs = dict(zip(shown[1:], [b.text for b in client.blocks if b.style == "text"][:-1], strict=True))
    assert en("help-group-costs") not in shown and en("help-group-reports") in shown
    # of the campaigns, a client reads the list (to ask for a campaign's report), nothing that changes one
    assert [line.split()[0] for line in theirs[en("help-group-campaigns")].splitlines()] == ["/campaigns"]


async def test_a_manager_lists_the_chats_and_disconnects_one_here_or_by_number(runner: Runner, clock) -> None:
    """A chat could be bound but never unbound: one the bot was removed from kept its `chat_unreachable` alert
    counting forever, and a group that should stop hearing of a client had no way out. /chats lists them, numbered
    and this one marked; /unbind disconnects this chat or the one numbered, audited, and an unreachable chat's alert
    is resolved once nothing writes to it any more. A second /unbind, another workspace's number, a client: refused."""
    await _say(runner, "1", "/workspace_new acme ACME")
    await _say(runner, "1", "/workspace_new beta Beta")
    await _say(runner, "2", f"/start {await _invite(runner, 'manager', 'acme')}")
    await _say(runner, "3", f"/start {await _invite(runner, 'client', 'acme')}")
    assert "Ни один чат" in (await _say(runner, "2", "/chats")).plain_text()
    await _say(runner, "2", "/bind all", chat="-100500")
    await _say(runner, "2", "/bind alerts", chat="-100600")
    await _say(runner, "1", "/use beta")
    assert (await _say(runner, "1", "/bind reports", chat="-100500")).ok  # the same group hears of beta too
    group, gone = await ChatBinding.filter(workspace__slug="acme").order_by("id")
    in_beta = await ChatBinding.get(workspace__slug="beta")
    listed = (await _say(runner, "2", "/chats", chat="-100500")).plain_text()
    assert f"#{group.id} Telegram -100500 (этот чат) — оповещения, отчёты · с 2026-11-28 15:00" in listed, listed
    assert f"#{gone.id} Telegram -100600 — оповещения · с" in listed and f"#{in_beta.id} " not in listed
    assert "/unbind" in listed
    assert (await _say(runner, "3", "/chats")).plain_text() == RU("error-forbidden", command="chats")
    assert (await _say(runner, "3", "/unbind", chat="-100500")).plain_text() == RU("error-forbidden", command="unbind")
    for chat in ("-100500", "-100600"):  # both refused a message once
        await alerts.raise_alert(
            workspace_id=None, kind=CHAT_UNREACHABLE, severity=Severity.WARNING, subject=f"chat:telegram:{chat}",
            key="delivery", data={}, now=clock.now(),
        )  # fmt: skip

    here = await _say(runner, "2", "/unbind", chat="-100500")
    assert here.plain_text() == "Этот чат больше не получает оповещений и отчётов пространства «ACME» (acme)."
    again = await _say(runner, "2", "/unbind", chat="-100500")  # pressed twice
    assert not again.ok and again.plain_text() == RU("error-unbind-not-bound")
    there = await _say(runner, "2", f"/unbind {gone.id}")
    assert there.plain_text() == "Telegram -100600 больше не получает оповещений и отчётов пространства «ACME» (acme)."
    assert (await _say(runner, "2", f"/unbind {gone.id}")).plain_text() == RU("error-chat-not-found", id=gone.id)
    other = await _say(runner, "2", f"/unbind {in_beta.id}")  # beta's chat: no such chat in acme
    assert other.plain_text() == RU("error-chat-not-found", id=in_beta.id)
    assert await ChatBinding.filter(workspace__slug="acme").count() == 0 and await ChatBinding.exists(id=in_beta.id)
    states = {a.subject: a.status for a in await Alert.filter(kind=CHAT_UNREACHABLE)}
    assert states == {"chat:telegram:-100500": AlertStatus.OPEN, "chat:telegram:-100600": AlertStatus.RESOLVED}
    entries = await AuditLog.filter(action="chat.unbind").order_by("id").values_list("subject", "data")
    assert entries == [
        ("telegram:-100500", {"purposes": ["alerts", "reports"]}),
        ("telegram:-100600", {"purposes": ["alerts"]}),
    ]


async def test_a_chat_another_workspace_writes_to_takes_this_ones_only_when_nobody_reads_what_is_not_theirs(
    runner: Runner,
) -> None:
    """A manager of beta ran /bind alerts in acme's client's chat (both were in that group): beta's alerts went to
    acme's client. A client's chat is one workspace's; a chat another workspace writes to takes this one's
    notifications only from someone who manages that one too (an admin, a manager of both)."""
    await _say(runner, "1", "/workspace_new acme ACME")
    await _say(runner, "1", "/workspace_new beta Beta")
    await _say(runner, "2", f"/start {await _invite(runner, 'manager', 'acme')}")
    await _say(runner, "3", f"/start {await _invite(runner, 'manager', 'beta')}")
    both = await _invite(runner, "manager", "acme")
    await _say(runner, "4", f"/start {await _invite(runner, 'manager', 'beta')}")
    await _say(runner, "4", f"/start {both}")  # manages acme and beta, acme current
    assert (await _say(runner, "2", "/bind client", chat="-700")).ok  # acme's client's chat
    assert (await _say(runner, "2", "/bind alerts", chat="-800")).ok  # acme's managers' chat
    for who, chat in (("3", "-700"), ("4", "-700")):  # a manager of beta, a manager of both: never a client's chat
        await _say(runner, who, "/use beta")
        refused = await _say(runner, who, "/bind alerts", chat=chat)
        assert refused.plain_text() == RU("error-bind-client-chat"), refused.plain_text()
    taken = await _say(runner, "3", "/bind all", chat="-800")
    assert taken.plain_text() == RU("error-bind-taken") and "acme" not in taken.plain_text().lower()
    assert (await _say(runner, "3", "/bind client", chat="-800")).plain_text() == RU("error-bind-client-chat")
    await _say(runner, "1", "/use beta")
    assert (await _say(runner, "1", "/bind client", chat="-700")).plain_text() == RU("error-bind-client-chat")
    assert (await _say(runner, "4", "/bind reports", chat="-800")).ok  # manages acme too: one ops chat for both
    bound = (
        await ChatBinding.filter(chat_id__in=["-700", "-800"]).order_by("id").values_list("workspace__slug", "chat_id")
    )
    assert bound == [("acme", "-700"), ("acme", "-800"), ("beta", "-800")]
    assert (await _say(runner, "2", "/bind reports", chat="-800")).ok  # acme's own chat: acme binds it at will


async def test_the_codes_a_revoked_member_made_lapse_with_their_access(runner: Runner) -> None:
    """A manager let go kept the codes they had made the day before: one of them, opened from another account,
    made them a manager again. Their unused codes for that workspace lapse when their access is revoked; codes
    others made, and theirs for a workspace they still manage, still work."""
    await _say(runner, "1", "/workspace_new acme ACME")
    await _say(runner, "1", "/workspace_new beta Beta")
    await _say(runner, "2", f"/start {await _invite(runner, 'manager', 'beta')}")
    await _say(runner, "2", f"/start {await _invite(runner, 'manager', 'acme')}")
    admins = await _invite(runner, "client", "acme")

    async def code_of_2(role: str) -> str:
        reply = await _say(runner, "2", f"/invite {role}")
        return next(b.text for b in reply.blocks if b.style == "pre")

    own = [await code_of_2("manager"), await code_of_2("client")]
    await _say(runner, "2", "/use beta")
    in_beta = await code_of_2("client")
    person = await Person.get(external_id="2")
    await _say(runner, "1", "/use acme")
    assert (await _say(runner, "1", f"/revoke {person.id}")).ok
    for user, code in zip(("20", "21"), own, strict=True):  # another account of theirs, or someone they sent it to
        assert (await _say(runner, user, f"/start {code}")).plain_text() == RU("error-invite-expired")
    assert (await _say(runner, "22", f"/start {admins}")).ok
    assert (await _say(runner, "23", f"/start {in_beta}")).ok
    assert await Membership.filter(workspace__slug="acme").values_list("person__external_id", flat=True) == ["22"]


async def test_a_clients_chat_never_receives_the_agencys_alerts(runner: Runner) -> None:
    """/agency_chat run in a client's chat sent the client the agency's alerts, which name every workspace (a chat
    of another client unreachable, a blacklist checker blind). Refused both ways round."""
    await _say(runner, "1", "/workspace_new acme ACME")
    assert (await _say(runner, "1", "/bind client", chat="-900")).ok
    refused = await _say(runner, "1", "/agency_chat", chat="-900", lang="en")
    assert refused.plain_text() == translator("en")("error-agency-chat-client")
    assert (await _say(runner, "1", "/agency_chat", chat="-901")).ok
    assert (await _say(runner, "1", "/bind client", chat="-901")).plain_text() == RU("error-bind-client-agency-chat")
    assert (await _say(runner, "1", "/bind alerts", chat="-901")).ok  # a managers' chat may hear both
    assert [c.chat_id for c in await agency_chats()] == ["-901"]
    assert await ChatBinding.filter(chat_id="-901").values_list("purposes", flat=True) == [["alerts"]]


async def test_who_came_in_and_what_was_created_is_in_the_audit_log(runner: Runner, clock: FrozenClock) -> None:
    """The audit log had no entry for a person joining a client's workspace (nor for a code that changed
    nothing), and /workspace_new's entry was written in the workspace the admin was in before, without naming
    the one created: an access review could not say who got in, or when."""
    await _say(runner, "1", "/workspace_new acme ACME")
    await _say(runner, "1", "/workspace_new beta Beta")
    code = await _invite(runner, "client")
    await _say(runner, "2", f"/start {code}")
    await _say(runner, "2", f"/start {await _invite(runner, 'client')}")  # a client already: nothing changes
    await _say(runner, "2", f"/start {await _invite(runner, 'manager')}")
    acme, beta = await Workspace.get(slug="acme"), await Workspace.get(slug="beta")
    person = await Person.get(external_id="2")
    created = await AuditLog.filter(action="workspace.create").order_by("id").values_list("workspace_id", "subject")
    assert created == [(acme.id, f"workspace:{acme.id}"), (beta.id, f"workspace:{beta.id}")]
    joins = await AuditLog.filter(action="invite.redeem").order_by("id")
    assert [(e.workspace_id, e.actor_id, e.data["role"], e.data["result"]) for e in joins] == [
        (acme.id, person.id, "client", "joined"),
        (acme.id, person.id, "client", "unchanged"),
        (acme.id, person.id, "manager", "raised"),
    ]
    assert {e.created_at for e in joins} == {clock.now()}
    assert not await AuditLog.filter(action="invite.redeem", workspace_id=beta.id).exists()


async def test_a_revoked_manager_no_longer_gets_the_workspaces_alerts_in_their_private_chat(runner: Runner) -> None:
    """A manager had bound their private chat for alerts and reports; revoked, they went on receiving the
    workspace's alerts, digests and approval requests there. Revoking takes their private chat off the workspace
    (audited as an unbinding); a group they bound stays, and so does their private chat for a workspace they keep."""
    await _say(runner, "1", "/workspace_new beta Beta")
    await _say(runner, "1", "/workspace_new acme ACME")
    await _say(runner, "2", f"/start {await _invite(runner, 'manager', 'beta')}")
    await _say(runner, "2", f"/start {await _invite(runner, 'manager', 'acme')}")
    assert (await _say(runner, "2", "/bind all", chat="2")).ok  # their private chat: its id is theirs
    assert (await _say(runner, "2", "/bind alerts", chat="-700")).ok  # the team's group
    assert (await _say(runner, "2", "/use beta")).ok and (await _say(runner, "2", "/bind alerts", chat="2")).ok
    person = await Person.get(external_id="2")
    await _say(runner, "1", "/use acme")
    assert (await _say(runner, "1", f"/revoke {person.id}")).ok
    acme = await Workspace.get(slug="acme")
    assert [b.chat_id for b in await people.chats_for(acme.id, ChatPurpose.ALERTS)] == ["-700"]
    assert [b.chat_id for b in await people.chats_for(acme.id, ChatPurpose.REPORTS)] == []
    beta = await Workspace.get(slug="beta")
    assert [b.chat_id for b in await people.chats_for(beta.id, ChatPurpose.ALERTS)] == ["2"]
    assert await AuditLog.filter(workspace_id=acme.id, action="chat.unbind", subject="telegram:2").count() == 1


async def test_a_revoked_slack_manager_no_longer_gets_the_workspaces_alerts_in_their_dm(runner: Runner) -> None:
    """A Slack DM's id (`D…`) is not its person's, as a Telegram private chat's is: revoked, a Slack manager went on
    receiving the workspace's alerts and approval requests in the DM they had bound. Revoking takes the DMs they
    bound off the workspace; a channel they bound stays, and so does another manager's DM."""
    await _say(runner, "1", "/workspace_new acme ACME")

    async def slack(user: str, line: str, chat: str) -> Reply:
        return await runner.run_line(runner.identity(Platform.SLACK, user, user, "ru"), chat, line)

    for user in ("U0ANNA", "U0BORIS"):
        assert (await slack(user, f"/start {await _invite(runner, 'manager')}", "D0ANY")).ok
    assert (await slack("U0ANNA", "/bind all", "D0ANNA")).ok  # her DM with the app
    assert (await slack("U0ANNA", "/bind alerts", "C0TEAM")).ok  # the team's channel
    assert (await slack("U0BORIS", "/bind alerts", "D0BORIS")).ok
    anna = await Person.get(external_id="U0ANNA")
    assert (await _say(runner, "1", f"/revoke {anna.id}")).ok
    acme = await Workspace.get(slug="acme")
    assert [b.chat_id for b in await people.chats_for(acme.id, ChatPurpose.ALERTS)] == ["C0TEAM", "D0BORIS"]
    assert await AuditLog.filter(workspace_id=acme.id, action="chat.unbind", subject="slack:D0ANNA").count() == 1


async def test_an_admins_workspaces_in_a_bound_group_are_the_groups_own(runner: Runner) -> None:
    """An agency admin's /workspaces in a client's group listed every client of the agency there, /whoami named
    the admin's current one and /use switched to any; in a shared chat they list, show and choose its own."""
    await _say(runner, "1", "/workspace_new beta Beta")
    await _say(runner, "1", "/workspace_new acme ACME")
    assert (await _say(runner, "1", "/bind client", chat="-900")).ok
    await _say(runner, "1", "/use beta")
    admin = runner.identity(TG, "1", "user1", "ru")
    listed = (await runner.run_line(admin, "-900", "/workspaces", shared=True)).plain_text()
    assert "acme — ACME" in listed and "beta" not in listed, listed
    whoami = (await runner.run_line(admin, "-900", "/whoami", shared=True)).plain_text()
    assert whoami.endswith("Текущее пространство: acme."), whoami
    refused = await runner.run_line(admin, "-900", "/use beta", shared=True)
    assert refused.plain_text() == RU("error-chat-use-private")
    assert "beta" in (await _say(runner, "1", "/workspaces")).plain_text()  # elsewhere: every workspace


async def test_an_admin_taken_off_the_settings_list_is_no_admin_once_the_chat_process_starts(runner: Runner) -> None:
    """A person met as an admin kept the flag for good: an admin the agency took off ADMIN_TELEGRAM_IDS (someone
    who left) still managed every workspace and got the agency's alerts in their private chat."""
    await _say(runner, "1", "/workspace_new acme ACME")
    await Person.create(platform=TG, external_id="9", display_name="left", is_admin=True)  # listed until yesterday
    before = {c.chat_id for c in await agency_readers()}  # no agency chat bound: each admin's private chat
    assert "9" in before

    assert await people.sync_admins(runner.admins) == (0, 1)  # runner.admins: what the settings list now

    assert (await _say(runner, "9", "/workspaces")).plain_text() == RU("workspaces-none")
    assert (await _say(runner, "9", "/domains")).plain_text() in {RU(k, command="domains") for k in _DENIALS}
    assert {c.chat_id for c in await agency_readers()} == before - {"9"}
    assert (await _say(runner, "1", "/workspaces")).ok  # a listed one stays an admin
    await Person.filter(external_id="1").update(is_admin=False)
    assert await people.sync_admins(runner.admins) == (1, 0)
    assert (await Person.get(external_id="1")).is_admin
