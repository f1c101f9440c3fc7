## Alerts: the list, acknowledging, the digest, the agency chat

cmd-alerts = open alerts (all: in every workspace of yours)
cmd-ack = acknowledge an alert: "seen, on it"
arg-ack-id = alert number
cmd-agency-chat = receive the agency's alerts in this chat (off: stop)

button-ack = Ack
alert-heading = { $severity ->
    [critical] 🔴 Critical
    [warning] 🟠 Warning
   *[other] ℹ️ For your information
} · alert #{ $id }
alert-resolved-title = ✅ Resolved · alert #{ $id }
alert-resolved = { $kind } ({ $subject }) is no longer seen. It occurred { $count } { $count ->
    [one] time
   *[other] times
}.
alert-resolved-resumed = { $kind } ({ $subject }): a manager resumed sending.
alert-resolved-settled = { $kind } ({ $subject }): later mail or a reader (an answer, a bounce, an open, a click or an unsubscribe) showed that every send it was about went out; they are counted as sent.
alert-resolved-no-longer-read = { $kind } ({ $subject }): the mailbox is disabled and its inbox is no longer read (the month of reading for answers to what it sent is over, or its IMAP server refused the login), so this alert is closed. Answers to it are now seen only in its own mail; /mailbox_resume puts the mailbox back to work if it is still needed.
alert-worker-down = No worker has checked in for more than { $minutes } min (last seen: { $since }). Sending, warmup and checks have stopped. Check the worker processes.
alert-queue-backlog = The send queue is falling behind: { $count } { $count ->
    [one] message has
   *[other] messages have
} waited longer than { $minutes } min. The workers cannot keep up or are not sending.

alerts-digest-title = { $count } more { $count ->
    [one] alert
   *[other] alerts
}: { $kinds }
alerts-digest-kind = • { $kind }: { $count } — { $subjects }{ $more ->
    [0] {""}
   *[other] {" "}and { $more } more
}
alerts-digest-other = • of other kinds: { $count }
alerts-digest-resolved = ✅ Resolved: { $count }
alerts-digest-hint = The full list: /alerts

alerts-none = No open alerts.
alerts-title = Alerts: { $total } ({ $open } open, { $acked } acknowledged)
alerts-line = #{ $id } { $kind } · { $subject } · { $workspace } · ×{ $count }, for { $age }, last { $last } ago
alerts-line-acked = #{ $id } { $kind } · { $subject } · { $workspace } · ×{ $count }, for { $age }, last { $last } ago · acknowledged by { $who }
alerts-agency = agency
alerts-age = { $n } { $unit ->
    [m] min
    [h] h
   *[d] d
}
alert-acked = Alert #{ $id } ({ $kind }, { $subject }) acknowledged. Repeats are counted but not sent until the problem clears.

error-alert-not-found = Alert #{ $id } was not found.
error-alert-acked = Alert #{ $id } was already acknowledged by { $who }.
error-alert-resolved = Alert #{ $id } is already resolved.

agency-chat-bound = This chat now receives the agency's alerts (those of no workspace: blacklist and DNS checks, workers, the queue).
agency-chat-already = This chat already receives the agency's alerts.
agency-chat-unbound = This chat no longer receives the agency's alerts.
agency-chat-not-bound = This chat was not receiving the agency's alerts.
error-agency-chat-client = This chat is a client's chat: the agency's alerts name every workspace, and a client must read nothing of the others. Run /agency_chat in the agency's own chat.
error-agency-chat-limit = There can be at most { $limit } agency { $limit ->
    [one] chat
   *[other] chats
}. Unbind one: /agency_chat off in it.

## Kinds of alerts: how lists, digests and reports name them
alert-kind-blacklist_listed = blocklisted
alert-kind-dns_drift = DNS changed
alert-kind-dnsbl_blind = blocklist check not working
alert-kind-dns_blind = DNS check not working
alert-kind-domain_expiry = domain expiring
alert-kind-mailbox_auth_disabled = mailbox disabled: wrong password
alert-kind-queue_backlog = send queue behind
alert-kind-reserve_empty = domain reserve empty
alert-kind-domain_resumed = domain back at work
alert-kind-send_unknown = send outcome unknown
alert-kind-sending_paused = sending paused
alert-kind-worker_down = worker not answering
alert-kind-mailbox_cooldown = mailbox cooling down
alert-kind-volume_cut = volume cut
alert-kind-mailbox_disabled = mailbox disabled
alert-kind-engagement_drop = engagement drop
alert-kind-inbox_unreachable = inbox not read
alert-kind-inbox_unreadable_disabled = disabled mailbox's inbox not read
alert-kind-smtp_unreachable = mail not going out
alert-kind-chat_unreachable = chat unreachable
