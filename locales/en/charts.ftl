# Charts and exports (engine/charts/, engine/exports.py, bot/handlers/charts.py)

cmd-chart = a PNG chart: volume (sends by domain), rates (replies, hard bounces, blocks), warmup, pool (domains); a period in days, e.g. 14d
cmd-export-campaign = a CSV of the campaign's results per step and variant
cmd-export-leads = a CSV of the campaign's leads: state, steps sent, replied, bounced, unsubscribed

chart-error-period = The period "{ $period }" does not fit: give a number of days from 1 to { $max }, e.g. 14 or 14d.
chart-empty = No data for this period
chart-volume-title = Sent by domain, last { $days } { $days ->
    [one] day
   *[other] days
}
chart-volume-axis = emails per day
chart-volume-other = other domains
chart-rates-title = Replies, hard bounces and blocks, last { $days } { $days ->
    [one] day
   *[other] days
}
chart-rate-reply = replies
chart-rate-hard-bounce = hard bounces
chart-rate-block = blocks
chart-rates-gaps = Gaps are days with too few emails to tell (not 0 %).
chart-rates-too-few = { $sent } { $sent ->
    [one] email
   *[other] emails
} in this period: too few to tell any day's rates (not 0 %)
chart-warmup-title = Warmup: mailboxes by stage today
chart-warmup-mailboxes = mailboxes
chart-warmup-checks = Warmup checks, last { $days } { $days ->
    [one] day
   *[other] days
}: inbox and spam
chart-warmup-inbox = inbox
chart-warmup-spam = spam
chart-warmup-no-checks = No warmup checks in this period
chart-pool-title = Domains: active and reserve
chart-pool-axis = domains
chart-pool-active = active
chart-pool-ready = ready in reserve
chart-pool-warming = warming in reserve
chart-pool-cooling = cooling
chart-pool-burned = burned this month
chart-pool-empty = The workspace has no domains yet: /domain_add
chart-pool-empty-client = The workspace has no domains yet
chart-pool-target = reserve wanted

export-campaign-ready = Campaign results per step and variant: { $rows } { $rows ->
    [one] row
   *[other] rows
}. The file is below (opens in Excel).
export-campaign-empty = Campaign { $name } has not sent any email yet: there are no results to export. Ask again once it has sent.
export-campaign-retention = The workspace keeps data for { $days } { $days ->
    [one] day
   *[other] days
} (/retention): the file counts the emails sent since { $since } and what came of them; the replies, bounces and opt-outs of earlier emails are erased. /report_campaign keeps every count.
export-campaign-retention-empty = Campaign { $name } has sent nothing since { $since }, and the workspace keeps data for { $days } { $days ->
    [one] day
   *[other] days
} (/retention): the replies, bounces and opt-outs of its earlier emails are erased, so there are no results to export. /report_campaign keeps every count.
export-leads-ready = Campaign leads: { $rows }. The file is below (opens in Excel).
export-leads-retention = The workspace keeps data for { $days } { $days ->
    [one] day
   *[other] days
} (/retention): replies, bounces and opt-outs before { $since } are erased, so “no” in those columns is certain only for the emails sent since then; the State column still says where each lead stands.
export-leads-empty = Campaign { $name } has no leads yet: there is nothing to export. Add them: /leads_import { $name } and a CSV file.
export-leads-empty-client = Campaign { $name } has no leads yet: there is nothing to export yet.
export-too-big = The export is over { $limit } MB, more than a chat can carry. Split the campaign or ask an admin.
export-not-enough = not enough data
export-yes = yes
export-no = no
export-col-step = Step
export-col-variant = Variant
export-col-sent = Sent
export-col-replies = Replies
export-col-hard-bounces = Hard bounces
export-col-unsubscribes = Unsubscribes
export-col-reply-rate = Replies, %
export-col-hard-bounce-rate = Hard bounces, %
export-col-unsubscribe-rate = Unsubscribes, %
export-col-email = Email
export-col-name = Name
export-col-company = Company
export-col-state = State
export-col-steps-sent = Steps sent
export-col-last-sent = Last sent
export-col-replied = Replied
export-col-bounced = Bounced
export-col-unsubscribed = Unsubscribed
export-col-verdict = Address check
export-state-active = active
export-state-completed = sequence completed
export-state-replied = replied
export-state-bounced = bounced
export-state-unsubscribed = unsubscribed
export-state-stopped = stopped
export-state-left-company = stopped: no longer with the company
export-verdict-valid = valid
export-verdict-risky = risky
export-verdict-unknown = not checked
export-verdict-invalid = invalid

arg-chart-period = period in days
arg-export-campaign-name = campaign
arg-export-leads-name = campaign
