## Warmup in chat: /warmup, /warmup_start, /warmup_pause, /warmup_settings, /why.

warmup-none = This workspace has no mailboxes yet.
warmup-none-manage = This workspace has no mailboxes yet. Import them (/mailbox_import), then start warmup: /warmup_start all
warmup-title = Warmup: { $total } { $total ->
    [one] mailbox
   *[other] mailboxes
}
warmup-stage-not-started = warmup not started
warmup-stage-warming = warming up
warmup-stage-waiting = period over, waiting for good placement
warmup-stage-ready = ready, will go to work at the next check
warmup-stage-graduated = working (maintenance warmup)
warmup-paused-count = Warmup paused: { $count }
warmup-stopped-count = Sending no warmup now ({ $count }): { $states }
warmup-worst = Lowest inbox placement:
warmup-unmeasured = Not enough placement data yet: { $count }
warmup-domain-empty = Domain { $domain } has no mailboxes.
warmup-domain-title = { $domain }: { $count } { $count ->
    [one] mailbox
   *[other] mailboxes
}
warmup-line = { $mark } { $address }: day { $day } of { $days }, today { $sent }/{ $target } · { $placement }
warmup-line-working = { $mark } { $address }: working, maintenance warmup today { $sent }/{ $target } · { $placement }
warmup-line-not-started = { $mark } { $address }: warmup not started
warmup-line-stopped = { $mark } { $address }: warmup passed, sends nothing now ({ $status })
warmup-day = Warmup day { $day } of { $days }
warmup-today = Today: target { $target }, sent { $sent }
warmup-peers-short = Today only { $allowed } of { $wanted } warmup { $wanted ->
    [one] email
   *[other] emails
} found a mailbox to go to: warmup goes to mailboxes on other domains of the workspace. Add mailboxes on another domain, or let the workspace warm in the agency-wide pool (warmup setting pool = agency).
warmup-placement = Inbox: { $percent } % of { $sample } { $sample ->
    [one] email
   *[other] emails
} over 14 days
warmup-placement-none = Placement: not enough data ({ $sample } { $sample ->
    [one] email
   *[other] emails
} of the { $needed } needed)
warmup-paused-note = ⏸ Warmup paused (continue: /warmup_start)
warmup-eta-not-started = Warmup not started: /warmup_start
warmup-eta-warming = Ready for campaigns on { $date } at the earliest, if at least { $threshold } % reach the inbox
warmup-eta-waiting = The warmup period is over ({ $date }); waiting until at least { $threshold } % reach the inbox over a large enough sample
warmup-eta-ready = Ready: goes to work at the next daily check
warmup-eta-graduated = Working with campaigns; maintenance warmup goes on
warmup-eta-graduated-stopped = Warmup passed; it sends nothing now ({ $status })
warmup-eta-graduated-paused = Working with campaigns; maintenance warmup paused
warmup-eta-warming-held = Ready for campaigns on { $date } at the earliest, later by each day its warmup stands still, if at least { $threshold } % reach the inbox
warmup-eta-ready-paused = Ready: goes to work at the daily check after /warmup_start (its warmup is paused)
warmup-eta-ready-stopped = Ready: goes to work at the daily check once the mailbox is back at work (now: { $status })
warmup-started = Warmup started: { $changed }, already running: { $unchanged }, skipped: { $skipped }.
warmup-paused = Warmup paused: { $changed }, already paused: { $unchanged }.
warmup-start-skipped = Not started (the mailbox is paused, disabled or cooling down — /mailbox_resume first): { $mailboxes }
warmup-start-alone = Nobody to warm with: warmup goes only to mailboxes on other domains of the workspace, and none is warming, so no warmup email will go. Add mailboxes on another domain and start their warmup, or warm in the agency-wide pool (/warmup_settings pool agency): { $mailboxes }
warmup-start-dns-unready = Domains whose DNS has not passed a check yet (never checked, a record wrong or not answered): { $domains }. Warmup mail without SPF, DKIM and DMARC lands in spam, and that placement stays with the domain. Check: /dns_check
error-warmup-mailbox-retired = { $address } is retired: it sends and takes no warmup any more.
warmup-settings-title = Warmup settings
warmup-setting-line = { $name } = { $value } (allowed: { $bounds })
warmup-settings-hint = To change one: /warmup_settings name value, e.g. /warmup_settings target_per_day 30
warmup-setting-hint = To change it: /warmup_settings { $name } value
warmup-setting-changed = Warmup setting { $name }: was { $before }, now { $after }.
warmup-setting-continued = { $count ->
    [one] { $count } warming mailbox goes
   *[other] { $count } warming mailboxes go
} on from today's volume, not from one recomputed from the start of warmup: at most { $step } more a day, up to { $target } a day.
warmup-setting-lowered = { $count ->
    [one] { $count } of them already sends more than the new target: its volume comes down to { $target } a day.
   *[other] { $count } of them already send more than the new target: their volume comes down to { $target } a day.
}
why-nothing = { $target }: nothing was held back today.
why-protected = { $target }: protection holds it back today:
why-title = Why less was sent: { $target }, { $day }
why-line = { $mailbox }: wanted { $wanted }, allowed { $allowed } — { $cap }
why-cap-provider = the mail provider's daily limit
why-cap-warmup = today's warmup target
why-cap-health = the limit lowered for the mailbox's health
why-cap-mailbox = the mailbox's daily cap
why-cap-domain = the mailbox's share of its domain's daily cap
why-cap-campaign = the campaign's daily cap
why-cap-workspace = the workspace's daily cap
why-cap-status = the mailbox or domain is paused, disabled or cooling down
why-cap-window = no room left in today's send window
why-cap-peers = no suitable peer mailboxes for warmup

cmd-warmup = warmup: a mailbox, a domain or the workspace summary
cmd-warmup-start = start warmup (a mailbox, a domain or all)
cmd-warmup-pause = pause warmup (a mailbox, a domain or all)
cmd-warmup-settings = warmup settings with their allowed values; change one
cmd-why = why a mailbox or domain sent less than it wanted today
