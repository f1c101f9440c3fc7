## Reports (/report, /report_campaign, /report_domain, /report_mailbox) and the daily and weekly digests
cmd-report = Report of the workspace for a period: today, yesterday, 7d, 30d (any number of days; weeks: 2w), month, a month (november or 2026-11), a day (2026-11-05) or 2026-11-01..2026-11-30
cmd-report-campaign = Report of one campaign for a period
cmd-report-domain = Report of one domain for a period (managers)
cmd-report-mailbox = Report of one mailbox for a period (managers)
report-title-workspace = 📊 { $subject }: { $period }
report-title-campaign = 📊 Campaign { $subject }: { $period }
report-title-domain = 📊 Domain { $subject }: { $period }
report-title-mailbox = 📊 Mailbox { $subject }: { $period }
report-period-day = { $day }
report-period-range = { $start } – { $end } ({ $days } { $days ->
    [one] day
   *[other] days
})
report-numbers = Sent: { $sent }{ $warmup ->
        [0] {""}
       *[other] {" "}(of them warmup { $warmup })
    } · delivered: { $delivered }
    Opens: { $opens }
    Replies: { $replies }
    Hard bounces: { $bounces }
    Blocks: { $blocks }
    Opted out in the period: { $unsubscribes } (each person once, those whose sequence had ended too) · complaints: { $complaints }
report-placement = Warmup in inbox: { $placement }
report-before-start-workspace = No numbers for this period: the workspace started on { $since }.
report-before-start-campaign = No numbers for this period: the campaign started on { $since }.
report-before-start-domain = No numbers for this period: the domain started on { $since }.
report-before-start-mailbox = No numbers for this period: the mailbox started on { $since }.
report-since-workspace = The workspace started on { $since }: the numbers are of its { $days } { $days ->
    [one] day
   *[other] days
} in the period.
report-since-campaign = The campaign started on { $since }: the numbers are of its { $days } { $days ->
    [one] day
   *[other] days
} in the period.
report-since-domain = The domain started on { $since }: the numbers are of its { $days } { $days ->
    [one] day
   *[other] days
} in the period.
report-since-mailbox = The mailbox started on { $since }: the numbers are of its { $days } { $days ->
    [one] day
   *[other] days
} in the period.
report-rate = { $percent } % ({ $part } of { $sample })
report-rate-over = { $part } — more than the { $sample } { $sample ->
    [one] send
   *[other] sends
} the rate is taken of: they answer earlier sends
report-not-measured = not measured
report-not-enough = not enough data ({ $sample } of { $needed } needed)
report-too-few = too few sends ({ $sample } of { $needed } needed)
report-problems-title = Worst mailboxes and domains:
report-problem-mailbox = • { $name }: hard bounces { $bounces } · blocks { $blocks }
report-problem-domain = • domain { $name }: hard bounces { $bounces } · blocks { $blocks }
report-problem-retired = (retired)
report-alerts-title = Open alerts: { $count }
report-alert-line = • { $kind }: { $subject }
report-cooldowns-title = Mailboxes in cooldown: { $count }
report-cooldown-line = • { $address } until { $until }
report-more = … and { $count } more
report-campaigns-title = Campaigns that sent or heard back: { $count }
report-campaign-line = • { $name }: sent { $sent } · replies { $replies } · hard bounces { $bounces } · unsubscribes { $unsubscribes }{ $complaints ->
        [0] {""}
       *[other] {" · complaints "}{ $complaints }
    }
report-campaign-line-late = • { $name }: sent nothing in the week; answers to earlier mail: replies { $replies } · hard bounces { $bounces } · unsubscribes { $unsubscribes }{ $complaints ->
        [0] {""}
       *[other] {" · complaints "}{ $complaints }
    }
error-report-period = “{ $value }” is not a period. Use today, yesterday, 7d, 30d (any number of days: 7 days; or weeks: 2w, 2 weeks), month, a month (november or 2026-11), a day (2026-11-05 or 05.11.2026) or 2026-11-01..2026-11-30 (or 01.11.2026–30.11.2026).
error-report-period-order = In { $value } the end comes before the start.
error-report-period-long = { $value } is too long: a report covers at most { $days } { $days ->
    [one] day
   *[other] days
}.
error-report-period-future = The period { $value } has not begun yet: today is { $today }.
digest-daily-title = 📰 Daily digest: { $subject }, { $day }
digest-weekly-title = 📰 Weekly report: { $subject }, { $start } – { $end }
digest-body = { $body }
digest-sent = Sent: { $sent }{ $warmup ->
        [0] {""}
       *[other] {" "}(of them warmup { $warmup })
    } · replies: { $replies }
digest-actions-title = Actions taken: { $count }
digest-action-monitoring-cooldown = • { $subject }: paused for hard bounces
digest-action-monitoring-return = • { $subject }: pause over, the mailbox sends again
digest-action-monitoring-cut = • { $subject }: sending volume cut
digest-action-monitoring-restore = • { $subject }: sending volume raised a step after a clean day
digest-action-monitoring-disable = • { $subject }: mailbox disabled after login or SMTP failures
digest-action-monitoring-pause = • the workspace's sending paused: too many failures and blocks
digest-action-monitoring-resume = • the workspace's sending resumed
digest-action-domain-swap = • domain { $subject } replaced with a reserve domain
digest-action-domain-cooling = • domain { $subject }: sending paused (cooling)
digest-alerts-title = Alerts of the day: { $count }
digest-alert-line = • { $kind }: { $subject } — { $state ->
        [opened] raised, still open
        [opened-resolved] raised and resolved
       *[resolved] resolved
    }
digest-decided = Requests decided: { $count } (approved { $approved }, rejected { $rejected })
digest-no-problems = No problems.
digest-approvals = Waiting for approval: { $count }
arg-period = period
arg-report-campaign-name = campaign
