## Common messages: errors, getting in, help, workspaces, invites, members, chats.

error-unknown-command = I don't know the command /{ $command }. All commands: /help
error-unknown-command-slack = I don't know the command /mailfleet { $command }. All commands: /mailfleet help
error-unknown-command-near = I don't know the command /{ $command }. Did you mean /{ $near }? All commands: /help
error-unknown-command-near-slack = I don't know the command /mailfleet { $command }. Did you mean /mailfleet { $near }? All commands: /mailfleet help
error-not-registered = You are not connected to Mailfleet yet. Ask your agency manager for an invite code and send: /start <code>
error-forbidden = Your role does not allow /{ $command }. /help lists the commands you may run.
error-internal = Something went wrong. The error has been logged; reference for support: { $ref }
error-unavailable = A service Mailfleet needs (its database or Redis) is not answering right now; nothing was changed. Try again in a minute. Reference for support: { $ref }
error-arg-missing = /{ $command } needs the argument "{ $arg }". Example: { $usage }
error-file-missing = /{ $command } needs the file "{ $arg }": send it as a document (a CSV, for example). Example: { $usage }
error-arg-not-int = "{ $value }" is not a number (argument "{ $arg }" of /{ $command }). Example: { $usage }
error-arg-choice = "{ $value }" does not fit "{ $arg }" of /{ $command }: choose one of { $choices }. Example: { $usage }
error-arg-extra = Too many arguments for /{ $command }: { $extra }. Example: { $usage }
error-arg-too-long = "{ $value }" is too long for "{ $arg }" of /{ $command }: { $length } characters, at most { $limit }. Example: { $usage }
error-arg-int-range = "{ $value }" does not fit "{ $arg }" of /{ $command }: a number from { $min } to { $max }. Example: { $usage }
error-arg-control = "{ $arg }" of /{ $command } contains a control character (position { $position }): type it as plain text. Example: { $usage }
error-text-too-long = The message is too long for a command: { $length } characters, at most { $limit }. Send a file for long lists.
error-illegal-transition = { $machine } cannot go from "{ $current }" to "{ $target }".
error-already-in-state = { $machine } is already { $state }.
error-stale-state = { $machine } has just changed its state (it was "{ $current }"). Refresh and try again.
error-no-workspace = Choose a workspace first: /workspaces, then /use <name>.
error-chat-not-yours = This chat is connected to another workspace: other people read it, so your workspace's data is not shown here. Ask the bot in a private chat.
error-chat-archived = The workspace this chat is connected to is closed (archived): nothing of it or of any other workspace is answered here any more. Ask the bot in a private chat.
error-chat-choose-workspace = This chat is connected to several workspaces, and your current one is not among them. Choose one of them: /workspaces, then /use <name>.
error-chat-use-private = In this chat only the workspaces connected to it can be chosen: other people read it. Choose another workspace in a private chat with the bot.
error-bad-slug = "{ $slug }" cannot name a workspace: 2–40 characters, lowercase Latin letters, digits and hyphens, e.g. acme-spb.
error-workspace-not-found = There is no workspace "{ $slug }" (or you have no access to it).
error-workspace-exists = The workspace "{ $slug }" already exists. Choose another name.
error-bad-role = The role "{ $role }" does not fit: manager or client.
error-invite-invalid = This invite code was not found. Check that you copied all of it, capital and small letters as they are (Xy7k is not xy7k).
error-invite-used = This invite code has been used already. Ask for a new one.
error-invite-expired = This invite code has expired. Ask for a new one.
error-invite-archived = The workspace of this invite is closed (archived): the code opens nothing any more. If another workspace expects you, ask for a new code.
error-invite-member = You are already { $role ->
        [manager] a manager
       *[other] a client
    } of this workspace, and your role is unchanged. The code is now used up: make a new one with /invite for the person it was meant for.
error-invite-admin = You are an agency admin and already see every workspace: you need no invite code. The code is now used up: make a new one with /invite for the person it was meant for.
error-revoke-self = You cannot revoke your own access.
error-member-not-found = This workspace has no member #{ $id }. See /members
error-chat-not-found = This workspace has no chat #{ $id }. See /chats
error-unbind-not-bound = This chat is not connected to the current workspace; there is nothing to disconnect. Connected chats: /chats
error-bad-locale = The language "{ $locale }" is not supported: ru or en.
error-bind-no-chat = Run this command in the chat or channel you want to connect.
error-bind-client-chat = This chat is connected to another workspace, and a client's chat belongs to one workspace only: a client must never read another workspace's alerts or reports. Connect a separate chat.
error-bind-taken = This chat already receives the notifications of another workspace, which you do not manage: its members would read this workspace's alerts and reports. Connect a separate chat, or ask an agency admin.
error-bind-client-agency-chat = This chat receives the agency's alerts, which name every workspace: it cannot be a client's chat. Connect a separate chat for the client.
error-approval-not-found = Approval request #{ $id } was not found.
error-approval-expired = Request #{ $id } has expired and no longer applies.
error-approval-decided = { $status ->
    [expired] Request #{ $id } has expired and no longer applies.
   *[other] Request #{ $id } was already { $status ->
        [approved] approved
        [rejected] rejected
        [applied] carried out
       *[other] closed
    }: { $who } ({ $via ->
        [telegram] Telegram
        [slack] Slack
        [console] console
       *[other] { $via }
    }).
}

# What and in which state: the names in messages about state changes
machine-domain = The domain
machine-mailbox = The mailbox
machine-message = The message
machine-campaign = The campaign
machine-approval = The request
state-domain-new = new
state-domain-dns-pending = waiting for DNS
state-domain-warming = warming up
state-domain-active = active
state-domain-cooling = cooling down
state-domain-burned = burned
state-domain-retired = retired
state-mailbox-new = new
state-mailbox-warming = warming up
state-mailbox-active = active
state-mailbox-cooldown = cooling down
state-mailbox-paused = paused
state-mailbox-disabled = disabled
state-mailbox-retired = retired
state-message-planned = planned
state-message-queued = queued
state-message-sending = being sent
state-message-sent = sent
state-message-failed = failed
state-message-bounced = bounced
state-message-cancelled = cancelled
state-message-unknown = in an unknown state
state-campaign-draft = a draft
state-campaign-running = running
state-campaign-paused = paused
state-campaign-completed = completed
state-campaign-archived = archived
state-approval-pending = pending
state-approval-approved = approved
state-approval-rejected = rejected
state-approval-expired = expired
state-approval-applied = carried out

start-unknown = Hello! This is Mailfleet — outreach mailbox management. To begin, send your invite code: /start <code>
start-known = Welcome back! Commands: /help
start-first = Hello! This is Mailfleet — outreach mailbox management. Your commands: /help
start-first-admin = Hello! This is Mailfleet, and you are an agency admin. Start with a workspace for a client: /workspace_new <name> <title>. All commands: /help
start-joined = Done: you are connected to the workspace "{ $workspace }" ({ $slug }). Commands: /help
help-title = Commands available to you
help-group-start = Getting started
help-group-reports = Reports
help-group-charts = Charts and exports
help-group-domains = Domains and DNS
help-group-mailboxes = Mailboxes
help-group-warmup = Warmup
help-group-monitoring = Health and protection
help-group-alerts = Alerts
help-group-reserve = Reserve and domain swaps
help-group-campaigns = Campaigns
help-group-leads = Leads and suppression
help-group-compliance = Law and data
help-group-costs = Costs and capacity
help-group-team = Workspaces, team and chats
list-more = … and { $count } more
list-page = Page { $page } of { $pages }: turn pages with the buttons or /{ $command } <page number>
label-count = { $label }: { $count }
help-more = One command in detail: /help <command>, e.g. /help use
help-example = Example: { $example }
help-file = The file: in Telegram send it as a document captioned /{ $command }, in Slack as a direct message to the bot with the command's name as text, in the console as @path.
help-file-slack = The file: send it to me in a direct message with "{ $command } …" (the command without /mailfleet) as the message text.
help-aliases = Also as: { $aliases }
error-help-unknown = None of your commands is /{ $command }. All of yours: /help
error-help-unknown-slack = None of your commands is /mailfleet { $command }. All of yours: /mailfleet help
lang-set = Interface language: English.
whoami = You are { $platform } { $id }. Role: { $role }. Current workspace: { $workspace }.

role-admin = agency admin
role-manager = manager
role-client = client
role-none = no role

platform-telegram = Telegram
platform-slack = Slack
platform-console = console

purpose-alerts = alerts
purpose-reports = reports
purpose-client = the client's chat (the weekly report only)

workspace-created = Created the workspace "{ $name }" ({ $slug }); it is now your current one.
workspaces-none = You are not in any workspace yet. Ask your manager for an invite code and send: /start <code>
workspaces-none-create = There are no workspaces yet. Create one: /workspace_new <name> <title>
workspaces-title = Workspaces
workspaces-more = Buttons for the first { $shown }; choose any of the other { $count } with /use <name> from the list above.
workspace-title = { $name } ({ $slug })
workspace-counts = Domains: { $domains } · mailboxes: { $mailboxes } · campaigns: { $campaigns } · leads: { $leads } · members: { $members } · chats: { $chats }
use-done = Current workspace: "{ $name }" ({ $slug }).
invite-created = Invite to the workspace "{ $workspace }" ({ $slug }) for the role "{ $role }", valid until { $expires }. One-time code:
invite-how = Pass this on: an invite to "{ $workspace }" ({ $slug }); in Telegram send the bot /start { $code }, in Slack /mailfleet join { $code }
members-none = The workspace has no members yet.
members-title = Members
revoke-done = Member #{ $id } no longer has access.
bind-done = This chat is connected to the workspace "{ $workspace }" ({ $slug }): { $purposes }.
chats-title = Chats of the workspace "{ $workspace }" ({ $slug })
chats-none = No chat receives this workspace's alerts or reports. Connect one: /bind alerts in it.
chats-line = #{ $id } { $platform } { $chat }{ $here ->
        [yes] {" "}(this chat)
       *[other] {""}
    } — { $purposes } · since { $since }
chats-how = Disconnect a chat: /unbind <number>, or /unbind in the chat itself.
unbind-done = { $here ->
        [yes] This chat no longer receives
       *[other] { $platform } { $chat } no longer receives
    } the alerts and reports of the workspace "{ $workspace }" ({ $slug }).

approval-approved = Request #{ $id } ({ $subject }) approved.
approval-rejected = Request #{ $id } ({ $subject }) rejected.
button-approve = Approve
button-reject = Reject

# Command arguments in /help: arg-<argument>, or arg-<command>-<argument> where a command means something else
arg-scope = scope
arg-state = state
arg-chart = chart
arg-reset = reset
arg-locale = language
arg-role = role
arg-purpose = chat purpose
arg-code = invite code
arg-command = command
arg-slug = workspace
arg-name = domain
arg-workspace-new-slug = name
arg-workspace-new-name = title
arg-person = member number
arg-chat = chat number
arg-id = request number
arg-names = domains
arg-csv = CSV file
arg-selector = selector
arg-key = key
arg-filters = filters
arg-page = page number
arg-address = address
arg-domain-set-field = provider|registrar|pool|tracking
arg-domain-set-value = value
arg-domain-id = domain number
arg-pem = CA certificate (PEM file)
arg-target = mailbox or domain
arg-which = mailbox, domain or all
arg-setting = setting
arg-warmup-settings-value = value

cmd-start = start, or accept an invite
cmd-help = the commands available to you
cmd-lang = interface language (ru or en)
cmd-whoami = who I am and in which workspace
cmd-workspace-new = create a client workspace
cmd-workspaces = my workspaces
cmd-workspace = workspace summary
cmd-use = choose the current workspace
cmd-invite = invite a manager or a client
cmd-members = workspace members
cmd-revoke = revoke a member's access
cmd-bind = connect this chat to alerts or reports; client: the client's chat, the weekly report only
cmd-chats = the workspace's connected chats
cmd-unbind = disconnect a chat from the workspace: this one, or by its number in /chats
cmd-approve = approve a request
cmd-reject = reject a request

alert-chat-unreachable = Notifications cannot be delivered to the { $platform ->
        [slack] Slack channel
       *[other] Telegram chat
    } { $chat } (workspace { $workspace }): { $reason }. Invite the bot back into it, or disconnect it (/chats, /unbind <number>) and connect another chat with /bind there.
alert-title = { $severity ->
    [critical] 🔴 Critical
    [warning] 🟠 Warning
   *[other] ℹ️ For your information
}
approval-title = Your decision is needed (request #{ $id })
approval-dns-apply = Apply the DNS plan of { $domain } ({ $calls } { $calls ->
    [one] change
   *[other] changes
} at the DNS host)?

error-upload-too-large = The file is too large: at most { $limit_kb } KB.
error-upload-format = This file is { $format }, not text. Save it as CSV (UTF-8) and send it again.
error-upload-binary = This is not a text file (control characters on { $count ->
    [one] line
   *[other] lines
} { $lines }). Send a CSV or a plain list.
error-upload-mixed-encoding = The file mixes two encodings: { $count ->
    [one] line { $lines } is
   *[other] lines { $lines } are
} in Windows-1251, the rest in UTF-8. Save the whole file in one encoding (UTF-8 is best) and send it again.
error-upload-encoding = The file is neither UTF-8 nor Windows-1251 text. Save it as CSV UTF-8 and send it again.
error-console-file = Cannot read the file { $path }: { $reason ->
        [missing] there is no such file
        [denied] permission denied
        [directory] it is a directory
       *[other] a read error
    }.

error-warmup-setting = The warmup setting "{ $name }" cannot be "{ $value }": allowed { $bounds }.
error-warmup-setting-unknown = There is no warmup setting "{ $name }". Settings: { $known }.
