"""Getting in and finding your way: /start, /help, /lang, /whoami, workspaces, invites, members, chat bindings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.command import (
    LINES_SHOWN,
    REGISTRY,
    Access,
    Arg,
    Command,
    Ctx,
    allowed,
    arg_keys,
    brief,
    command,
    commands,
    usage,
)
from engine import people
from engine.clock import local_time
from engine.errors import UserError
from engine.i18n import Translator, translator
from engine.people import SLUG_MAX_CHARS
from engine.reply import Button, Reply
from models.enums import ChatPurpose, Platform, Role

# ctx.services key: callables told that a person's role changed without them acting (a revocation), so a
# transport can update what it shows them (the Telegram command menu of their private chat).
PERSON_CHANGED = "person_changed"
PersonChanged = Callable[[people.PersonRef], Awaitable[None]]
WORKSPACE_NAME_MAX = 200  # the column's length: a longer title is refused, not cut without a word
WORKSPACE_BUTTONS = 60  # /use buttons of /workspaces: an agency's 4–20 clients and more, within Telegram's 100
WORKSPACE_BUTTONS_A_ROW = 3  # slugs of up to 40 characters stay readable three a row on a phone


@command("start", Access.PUBLIC, Arg("code", required=False), example="Xy7kQ2mN9pR4sT1v", aliases=("join",))
async def start(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """With an invite code: join its workspace. Without: a greeting for a first or a returning contact."""
    if args["code"]:
        workspace = await people.redeem_invite(ctx.identity, args["code"], ctx.clock)
        return Reply().add(ctx.t("start-joined", workspace=workspace.name, slug=workspace.slug))
    if not (ctx.actor.role or ctx.actor.manages_any or ctx.actor.member_of):
        return Reply().add(ctx.t("start-unknown"))
    if ctx.actor.first_contact:
        return Reply().add(ctx.t("start-first-admin" if ctx.actor.is_admin else "start-first"))
    return Reply().add(ctx.t("start-known"))


@command("help", Access.PUBLIC, Arg("command", required=False), example="use")
async def help_(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """The commands this person may run, with their arguments; `/help <command>` explains one."""
    if args["command"]:
        return _help_one(ctx, args["command"])
    reply = Reply().add(ctx.t("help-title"), "title")
    for group, cmds in help_sections(lambda c: allowed(c, ctx.actor)).items():
        lines = [f"{_usage(ctx.t, c)} — {ctx.t(c.help_key)}" for c in cmds]
        reply.add(ctx.t(f"help-group-{group}"), "title").add("\n".join(lines))
    return reply.add(ctx.t("help-more"))


def help_sections(shown: Callable[[Command], bool]) -> dict[str, list[Command]]:
    """The typed commands `shown` keeps (never buttons' commands), by /help section in the sections' order, each
    section's commands by role (what more people may run first); empty sections left out. The Telegram menu
    lists them in this order too."""
    groups: dict[str, list[Command]] = {group: [] for group in HELP_GROUPS}
    for cmd in commands():
        if not cmd.button_only and shown(cmd):
            groups.setdefault(help_group(cmd), []).append(cmd)
    return {group: sorted(cmds, key=lambda c: c.access) for group, cmds in groups.items() if cmds}


HELP_GROUPS: tuple[str, ...] = (
    "start",
    "reports",
    "charts",
    "domains",
    "mailboxes",
    "warmup",
    "monitoring",
    "alerts",
    "reserve",
    "campaigns",
    "leads",
    "compliance",
    "costs",
    "team",
)
"""The sections of /help, in their order: getting in first, then each feature (a module of bot/handlers/), the
team (workspaces, invites, members, chats) last. Each has a heading `help-group-<name>` in the catalogs."""


_SECTION_OF_MODULE = {"workspaces": "team", "workspace_settings": "team"}
"""Feature modules listed under another section than their own name."""


def help_group(cmd: Command) -> str:
    """The /help section of a command: what anyone may run is getting in; the workspace's own settings, its
    members and chats are the team; any other command is under its feature's module."""
    if cmd.access is Access.PUBLIC:
        return "start"
    feature = cmd.module.rsplit(".", 1)[-1]
    return _SECTION_OF_MODULE.get(feature, feature)


def _help_one(ctx: Ctx, name: str) -> Reply:
    """One command in full; a command the person may not run does not exist for them."""
    cmd = REGISTRY.get(name.strip().lstrip("/").lower())
    if cmd is None or cmd.button_only or not allowed(cmd, ctx.actor):
        raise UserError("error-help-unknown", command=name.strip().lstrip("/"))
    reply = Reply().add(_usage(ctx.t, cmd), "title").add(ctx.t(cmd.help_key))
    if cmd.example:
        reply.add(ctx.t("help-example", example=f"/{cmd.name} {cmd.example}"))
    if cmd.file_arg is not None:  # Slack has no captions: its own way, not Telegram's with /mailfleet in front
        reply.add(ctx.t("help-file-slack" if ctx.platform is Platform.SLACK else "help-file", command=cmd.name))
    if cmd.aliases:
        reply.add(ctx.t("help-aliases", aliases=", ".join(f"/{a}" for a in cmd.aliases)))
    return reply


def _usage(t: Translator, cmd: Command) -> str:
    """The command's syntax with its arguments named in the reader's language (`arg-<command>-<arg>`, else
    `arg-<arg>`, else the declared name)."""

    def label(arg: Arg) -> str:
        for key in arg_keys(cmd, arg):
            if t.has(key):
                return t(key)
        return arg.name

    return usage(cmd, label)


@command("lang", Access.PUBLIC, Arg("locale", kind="choice", choices=("ru", "en")), example="en")
async def lang(ctx: Ctx, args: dict[str, Any]) -> Reply:
    chosen = await people.set_locale(ctx.actor, args["locale"])
    return Reply().add(translator(chosen)("lang-set"))


@command("whoami", Access.PUBLIC)
async def whoami(ctx: Ctx, args: dict[str, Any]) -> Reply:
    slug = await people.workspace_slug(ctx.actor.workspace_id)
    role = ctx.actor.role.value if ctx.actor.role else "none"
    return Reply().add(
        ctx.t(
            "whoami",
            platform=ctx.t(f"platform-{ctx.platform.value}"),
            id=ctx.identity.external_id,
            role=ctx.t(f"role-{role}"),
            workspace=slug or "-",
        )
    )


@command(
    "workspace_new",
    Access.CREATE,
    Arg("slug"),
    Arg("name", kind="rest", required=False, max_length=WORKSPACE_NAME_MAX),
    example='acme "ACME Ltd"',
)
async def workspace_new(ctx: Ctx, args: dict[str, Any]) -> Reply:
    workspace = await people.create_workspace(ctx.actor, args["slug"], args["name"] or args["slug"], ctx.clock)
    return Reply().add(ctx.t("workspace-created", slug=workspace.slug, name=workspace.name))


@command("workspaces", Access.PUBLIC)
async def workspaces(ctx: Ctx, args: dict[str, Any]) -> Reply:
    rows = await people.list_workspaces(ctx.actor)
    if not rows:
        return Reply().add(ctx.t("workspaces-none-create" if ctx.actor.manages_any else "workspaces-none"))
    lines = [("▶ " if w.current else "• ") + f"{w.slug} — {w.name} ({ctx.t(f'role-{w.role}')})" for w in rows]
    reply = Reply().add(ctx.t("workspaces-title"), "title").add("\n".join(lines))
    others = [w for w in rows if not w.current]
    shown = others[:WORKSPACE_BUTTONS]
    reply.buttons = [
        [Button(w.slug, "use", w.slug) for w in shown[start : start + WORKSPACE_BUTTONS_A_ROW]]
        for start in range(0, len(shown), WORKSPACE_BUTTONS_A_ROW)
    ]
    if len(others) > len(shown):  # the rest are listed above: /use reaches them
        reply.add(ctx.t("workspaces-more", shown=len(shown), count=len(others) - len(shown)))
    return reply


@command("workspace", Access.READ, Arg("slug", required=False, max_length=SLUG_MAX_CHARS), example="acme")
async def workspace(ctx: Ctx, args: dict[str, Any]) -> Reply:
    s = await people.workspace_summary(ctx.actor, args["slug"])
    return (
        Reply()
        .add(ctx.t("workspace-title", name=s.name, slug=s.slug), "title")
        .add(
            ctx.t(
                "workspace-counts",
                domains=s.domains,
                mailboxes=s.mailboxes,
                campaigns=s.campaigns,
                leads=s.leads,
                members=s.members,
                chats=s.chats,
            )
        )
    )


@command("use", Access.PUBLIC, Arg("slug", max_length=SLUG_MAX_CHARS), example="acme")
async def use(ctx: Ctx, args: dict[str, Any]) -> Reply:
    chosen = await people.use_workspace(ctx.actor, args["slug"])
    return Reply().add(ctx.t("use-done", slug=chosen.slug, name=chosen.name))


@command(
    "invite", Access.MANAGE, Arg("role", kind="choice", choices=("manager", "client")), example="client", private=True
)
async def invite(ctx: Ctx, args: dict[str, Any]) -> Reply:
    invite = await people.create_invite(ctx.actor, Role(args["role"]), ctx.clock)
    where = {"workspace": invite.workspace_name, "slug": invite.workspace_slug}
    return (
        Reply()
        .add(
            ctx.t(
                "invite-created",
                role=ctx.t(f"role-{invite.role.value}"),
                expires=local_time(invite.expires_at, invite.workspace_timezone),
                **where,
            )
        )
        .add(invite.code, "pre")
        .add(ctx.t("invite-how", code=invite.code, **where))
    )


@command("members", Access.MANAGE)
async def members(ctx: Ctx, args: dict[str, Any]) -> Reply:
    rows = await people.list_members(ctx.actor)
    if not rows:
        return Reply().add(ctx.t("members-none"))
    lines = [
        f"#{m.person_id} {m.display_name or m.external_id} ({ctx.t(f'platform-{m.platform}')})"
        f" — {ctx.t(f'role-{m.role}')}"
        for m in rows
    ]
    return Reply().add(ctx.t("members-title"), "title").add("\n".join(lines))


@command("revoke", Access.MANAGE, Arg("person", kind="int", not_found="error-member-not-found"), example="12")
async def revoke(ctx: Ctx, args: dict[str, Any]) -> Reply:
    revoked = await people.revoke_member(ctx.actor, args["person"], ctx.clock)
    hooks: list[PersonChanged] = ctx.services.get(PERSON_CHANGED, [])
    for changed in hooks:
        await changed(revoked)
    return Reply().add(ctx.t("revoke-done", id=args["person"]))


@command(
    "bind",
    Access.MANAGE,
    Arg("purpose", kind="choice", choices=("alerts", "reports", "all", "client")),
    example="alerts",
)
async def bind(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """`all` is what the managers get; `client` (the client's chat: the weekly report only) is never part of it."""
    every = [ChatPurpose.ALERTS, ChatPurpose.REPORTS]
    purposes = every if args["purpose"] == "all" else [ChatPurpose(args["purpose"])]
    if not ctx.chat_id:
        raise UserError("error-bind-no-chat")
    binding = await people.bind_chat(ctx.actor, ctx.platform, ctx.chat_id, purposes, ctx.clock)
    names = ", ".join(ctx.t(f"purpose-{p}") for p in binding.purposes)
    workspace = await binding.workspace  # a manager of several binds the current one: the reply names it
    return Reply().add(ctx.t("bind-done", workspace=workspace.name, slug=workspace.slug, purposes=names))


@command("chats", Access.MANAGE)
async def chats(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """The chats the current workspace writes to, numbered for /unbind, this one marked."""
    workspace, bindings = await people.list_chats(ctx.actor)
    title = ctx.t("chats-title", workspace=workspace.name, slug=workspace.slug)
    if not bindings:
        return Reply().add(title, "title").add(ctx.t("chats-none"))
    lines = [
        ctx.t(
            "chats-line",
            id=b.id,
            platform=ctx.t(f"platform-{b.platform.value}"),
            chat=b.chat_id,
            here="yes" if (b.platform, b.chat_id) == (ctx.platform, ctx.chat_id) else "no",
            purposes=", ".join(ctx.t(f"purpose-{p}") for p in b.purposes),
            since=local_time(b.created_at, workspace.timezone),
        )
        for b in bindings
    ]
    return Reply().add(title, "title").add(brief(ctx, lines, limit=LINES_SHOWN, sep="\n")).add(ctx.t("chats-how"))


@command(
    "unbind", Access.MANAGE, Arg("chat", kind="int", required=False, not_found="error-chat-not-found"), example="3"
)
async def unbind(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Without a number: this chat; with one: that chat of /chats (a chat the bot was removed from)."""
    binding = await people.unbind_chat(
        ctx.actor, ctx.clock, binding_id=args["chat"], platform=ctx.platform, chat_id=ctx.chat_id
    )
    workspace = await binding.workspace
    here = (binding.platform, binding.chat_id) == (ctx.platform, ctx.chat_id)
    return Reply().add(
        ctx.t(
            "unbind-done",
            here="yes" if here else "no",
            platform=ctx.t(f"platform-{binding.platform.value}"),
            chat=binding.chat_id,
            workspace=workspace.name,
            slug=workspace.slug,
        )
    )
