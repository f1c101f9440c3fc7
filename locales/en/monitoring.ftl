## Monitoring: /health, /thresholds, the protection lines of /why, and the alerts monitoring raises.

cmd-health = health of mailboxes and domains: bounces, blocks, replies, placement (worst first)
cmd-thresholds = protection thresholds with their bounds
cmd-thresholds-set = change a protection threshold (within its bounds)
cmd-sending-resume = resume the workspace's sending after a pause
health-sending-paused = ⛔ Sending is paused in this workspace ({ $reason }). When the cause is fixed: /sending_resume
sending-resumed = Sending is resumed.
sending-not-paused = Sending was not paused.
health-brief = sent { $sent } · hard bounces { $hard } · blocks { $block } · replies { $reply } · opens { $opens } · complaints { $complaints } · unsubscribes { $unsubscribes }
health-workspace-line = 🏢 Workspace: { $metrics }
health-campaign-line = 📨 { $name }: { $metrics }
health-campaigns-more = …and { $count } more { $count ->
    [one] campaign
   *[other] campaigns
}: /campaigns
health-none = No mailboxes to watch yet.
health-none-idle = Nothing to watch yet: { $count ->
    [one] the only mailbox sends nothing
   *[other] none of the { $count } mailboxes sends anything
} — { $states }. Resume a mailbox: /mailbox_resume <address>; start warmup: /warmup_start all
health-none-idle-read = Nothing to watch yet: { $count ->
    [one] the only mailbox sends nothing
   *[other] none of the { $count } mailboxes sends anything
} — { $states }.
health-title = Health: { $count } { $count ->
    [one] mailbox or domain
   *[other] mailboxes and domains
}, worst first (last 7 days)
health-title-one = Health: { $target }
health-more = …and { $count } more. Name a mailbox or a domain: /health <address or domain>
health-hint = A rate counts only from as many sends as the protection rules need (/thresholds): below that it shows “too few sends”, never 0 %.
health-hint-read = A rate counts only from as many sends as the protection rules need: below that it shows “too few sends”, never 0 %.
health-rate = { $percent } % of { $sample }
health-rate-over = { $part } with { $sample } sent — more than were sent: they answer earlier sends
health-not-enough = too few sends ({ $sample } of { $needed } needed)
health-line = { $head }: sent { $sent } · hard bounces { $hard } · blocks { $block } · replies { $reply } · warmup inbox { $placement }
health-not-measured = not measured
health-window-1d = today
health-window-7d = 7 days
health-window-last100 = last 100 sends
health-metrics = { $window }: sent { $sent } · hard bounces { $hard } · blocks { $block } · replies { $reply } · opens { $opens } · warmup inbox { $placement } · complaints { $complaints } · unsubscribes { $unsubscribes } · SMTP errors { $errors } · login errors { $auth }
health-head = { $mark } { $name } ({ $state })
health-cut = volume ×{ $factor } ({ $reason })
health-cooldown = cooling down until { $until }
health-held-until = held until { $until }: its mail server asked it to wait or could not be reached (/mailbox says which)
health-held-by-domain = sends nothing: its domain { $domain } is { $state }
health-inbox-unread = 📭 inbox not read since { $since }: bounces and replies since then are not counted
health-domain-inbox-unread = 📭 the inbox of { $count } of { $total } { $total ->
    [one] mailbox
   *[other] mailboxes
} goes unread: their bounces and replies are not counted
health-domain-stopped = ⛔ { $count } of { $total } { $total ->
    [one] mailbox
   *[other] mailboxes
} send nothing ({ $causes })
health-stopped-auth = disabled after refused logins — { $count }
health-stopped-disabled = disabled — { $count }
health-stopped-cooldown = cooling down — { $count }
thresholds-title = Protection thresholds
thresholds-line = { $name } = { $value } ({ $bounds }; { $origin })
thresholds-origin-default = default
thresholds-origin-agency = agency default
thresholds-origin-workspace = this workspace
thresholds-hint = Change one: /thresholds_set <name> <value> (rates as 4% or 0.04). Admins: /thresholds_set <name> <value> agency sets the agency default.
thresholds-changed = Threshold { $name }: { $before } → { $after } (this workspace).
thresholds-changed-agency = Agency default { $name }: { $before } → { $after }.
error-threshold-unknown = There is no threshold “{ $name }”. Known: { $known }.
error-threshold-value = { $name } cannot be “{ $value }”: allowed { $bounds }.
why-protection-cooldown = ❄️ { $subject } is cooling down until { $until }.
why-protection-cut = 📉 { $subject }: volume cut to ×{ $factor }.
why-protection-held = ⏸ { $subject } is held until { $until }: its mail server asked it to wait or could not be reached (/mailbox { $subject } says which).
why-protection-inbox = 📭 { $subject }: its inbox has not been read since { $since }; its campaign emails are held until it is read again.
why-protection-domain = 🧊 { $subject } is { $state }: none of its mailboxes sends until it is back at work or swapped for a reserve (/approvals).
why-protection-domain-listed = 🧊 { $subject } is { $state }: it is blacklisted on { $zones }. None of its mailboxes sends until it is delisted or swapped for a reserve (/approvals).
why-protection-domain-drift = 🧊 { $subject } is { $state }: its DNS records changed and stayed wrong ({ $records }). None of its mailboxes sends until they are right again (/dns_check) or it is swapped for a reserve (/approvals).
why-protection-numbers = Trigger: { $rule } { $percent } % of { $sample } ({ $window }), threshold { $threshold } %.
why-protections = Protection in force:
monitoring-rule-hard-bounce = hard bounces
monitoring-rule-block-rate = blocks by receivers
monitoring-rule-warmup-spam = warmup mail in spam
monitoring-rule-auth-failures = failed logins
monitoring-rule-smtp-errors = SMTP errors
monitoring-rule-reply-drop = replies dropping
monitoring-rule-open-drop = opens dropping
monitoring-rule-error-spike = a spike of failures and blocks
monitoring-rule-cooldown-over = pause over
monitoring-rule-clean-day = a clean day
monitoring-window-1d = in a day
monitoring-window-7d = over 7 days
monitoring-window-3d-14d = 3 days against 14
monitoring-window-consecutive = in a row
alert-mailbox-cooldown = { $subject } cools down until { $until }: hard bounces { $rate_pct } % of { $sample } { $sample ->
      [one] send
     *[other] sends
  } ({ $window }), threshold { $threshold_pct } %.
alert-volume-cut = Sending volume of { $subject } cut to ×{ $factor }: { $rule ->
    [block_rate] blocked by receivers
   *[other] warmup mail landing in spam
  } { $rate_pct } % of { $sample } ({ $window }), threshold { $threshold_pct } %. It climbs back one step per clean day.
alert-mailbox-disabled = { $subject } is disabled: { $rule ->
    [auth_failures] { $part } login { $part ->
        [one] failure
       *[other] failures
    } in a row
   *[other] { $part } SMTP { $part ->
        [one] error
       *[other] errors
    } today
  } (threshold { $threshold }). Check its password or the server, then re-enable it.
alert-engagement-drop = { $subject }: { $rule ->
    [open_drop] opens
   *[other] replies
  } at { $rate_pct } % of { $sample } { $sample ->
      [one] send
     *[other] sends
  }, below { $threshold_pct } % ({ $share_pct } % of its own 14-day level, { $baseline_pct } %).
alert-sending-paused = Sending is paused in { $subject }: { $part } of { $sample } { $sample ->
      [one] attempt
     *[other] attempts
  } today failed or { $part ->
      [one] was
     *[other] were
  } blocked ({ $rate_pct } %, threshold { $threshold_pct } %). Find the cause, then resume sending.
arg-thresholds-set-name = threshold
arg-thresholds-set-value = value
swap-sending-paused = Sending in { $workspace } is still paused after the spike of failures: replacing the domain does not resume it. Once the cause is fixed, resume it.
swap-sending-paused-use = Sending in { $workspace } is still paused after the spike of failures: replacing the domain does not resume it. Once the cause is fixed: /use { $slug }, then /sending_resume
sending-resume-button = Resume sending
arg-sending-resume-workspace = workspace
