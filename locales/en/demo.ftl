# mailfleet demo: the story the transcript tells and what the terminal shows

demo-start = demo: { $clients } { $clients ->
    [one] client
   *[other] clients
}, { $domains } { $domains ->
    [one] domain
   *[other] domains
}, { $mailboxes } { $mailboxes ->
    [one] mailbox
   *[other] mailboxes
}, seed { $seed }
demo-inventory = “{ $name }” ({ $slug }): { $domains } { $domains ->
    [one] domain
   *[other] domains
} (reserve: { $reserve }) and { $mailboxes } { $mailboxes ->
    [one] mailbox
   *[other] mailboxes
} at Yandex 360 / Mail.ru — the agency's inventory, recorded as an import (demo)
demo-inventory-warming = { $inventory }; their warmup began { $days } { $days ->
    [one] day
   *[other] days
} before the demo
demo-listed = simulation: { $list } lists { $domain }
demo-the-end = the end of the run
demo-interrupted = interrupted on day { $day } of { $days }: { $path } holds what this run wrote so far (the transcript up to here; no summary, no charts). Run the demo again to start afresh
demo-auto-approved = demo: approved automatically
demo-auto-resumed = demo: the burned domain is replaced, so the manager resumes sending
demo-pressed = demo: pressed “{ $label }”
demo-admin = agency admin
demo-admin-chat = agency console
demo-team-chat = Telegram “{ $name } — managers”
demo-client-chat = Telegram “{ $name } — client”
demo-manager = manager of { $name }
demo-client = client { $name }
demo-weekdays = mon-fri
demo-lead-source = trade-show
demo-lead-basis = contract offer

demo-progress = day { $day }/{ $days } · { $date } · sent { $sent } · warmup inbox { $inbox }, spam { $spam } · replies { $replies }, bounces { $bounces } · { $seconds } s
demo-summary-title = Mailfleet demo: { $weeks } { $weeks ->
    [one] week
   *[other] weeks
}, { $mailboxes } { $mailboxes ->
    [one] mailbox
   *[other] mailboxes
}, { $domains } { $domains ->
    [one] domain
   *[other] domains
}, { $clients } { $clients ->
    [one] client
   *[other] clients
}, seed { $seed }
demo-summary-sent = sent { $sent } { $sent ->
    [one] email
   *[other] emails
}; warmup inbox { $inbox } / spam { $spam }; leads: replies { $replies }, auto-replies { $auto }, bounces { $bounces }, blocked { $blocked }, unsubscribes { $unsubscribes }
demo-summary-chats = chat messages: { $count }, of them { $notices } sent by Mailfleet on its own (alerts, approvals asked, digests, reports); the highlights:
demo-summary-checks = invariants (checked from the database):
demo-check-ok = ok
demo-check-failed = FAIL
demo-check-mailbox-cap = no mailbox over its daily cap on any day
demo-check-mailbox-cap-detail = { $count } { $count ->
    [one] mailbox-day
   *[other] mailbox-days
} over
demo-check-stage = no warming mailbox over its warmup stage on any day
demo-check-stage-detail = { $count } of { $days } warming { $days ->
    [one] mailbox-day
   *[other] mailbox-days
} over
demo-check-campaign-cap = no mailbox over a campaign's per-mailbox cap on any day
demo-check-campaign-cap-detail = { $count } over
demo-check-domain-cap = no domain over { $cap } on any day
demo-check-domain-cap-detail = busiest domain-day { $busiest }
demo-check-duplicates = no lead emailed twice for the same step
demo-check-duplicates-detail = { $count } { $count ->
    [one] duplicate
   *[other] duplicates
}
demo-check-suppressed = no campaign email to a suppressed address
demo-check-suppressed-detail = { $campaign } campaign { $campaign ->
    [one] email
   *[other] emails
} and { $warmup } warmup { $warmup ->
    [one] email
   *[other] emails
} checked
demo-check-unsubscribed = no campaign email after an unsubscribe
demo-summary-time = wall time { $wall } s (CPU of this process { $cpu } s), peak memory { $memory } MiB; by phase: { $phases }
demo-summary-transcript = transcript: { $path }
demo-summary-folder = output folder: { $path } ({ $charts } PNG { $charts ->
    [one] chart
   *[other] charts
}, summary.txt, { $log })
demo-phase = { $name } { $seconds } s
demo-phase-send = sending (inboxes read meanwhile)
demo-phase-sync = recording what the inboxes held
demo-phase-notify = chats
demo-phase-monitor = monitoring
demo-phase-plan_warmup = warmup plan
demo-phase-plan_campaigns = campaign plan
demo-phase-blacklists = blocklists
demo-phase-graduate = graduation
demo-phase-dns = DNS checks
demo-phase-world = simulated world
demo-phase-story = story
