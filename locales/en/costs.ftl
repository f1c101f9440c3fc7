## Costs and capacity: /cost, /cost_set, /capacity.

cmd-cost = the month's cost of the fleet (domains, mailboxes, servers) beside a SaaS platform; admins: all
cmd-cost-set = change one price of the cost model (admins: agency)
cmd-capacity = campaign emails the fleet can send today and in the coming weeks; does a volume fit
cost-title = Monthly cost: { $workspace }
cost-title-agency = Monthly cost: the agency
cost-month = Domains: { $domains } → { $domains_cost } · mailboxes: { $mailboxes } → { $mailboxes_cost } · servers: { $servers_cost }
    Total: { $total } a month ({ $per_mailbox } a mailbox). The same fleet on a SaaS platform: { $saas_total } a month.
cost-workspace-line = { $workspace }: { $total } (domains { $domains }, mailboxes { $mailboxes }; on SaaS { $saas_total })
cost-prices = Prices: domain { $domain_year } a year · mailbox { $mailbox_month } a month · servers { $servers } × { $server_month } a month · SaaS plan { $saas_month } a month + { $saas_seat_month } a mailbox-seat
cost-hint = Change a price: /cost_set <name> <value> (e.g. /cost_set mailbox_month 90). Admins add “agency” for the agency's default; servers and the SaaS plan are the agency's.
cost-changed = Price { $name }: { $before } → { $after } (this workspace).
cost-changed-agency = Agency price { $name }: { $before } → { $after }.
error-cost-setting-unknown = There is no price “{ $name }”. Known: { $known }.
error-cost-setting = { $name } cannot be “{ $value }”: a whole number from { $low } to { $high }.
error-cost-currency = Prices are in roubles: { $name } cannot be “{ $value }”. Convert it to roubles: a whole number from { $low } to { $high }.
error-cost-agency-only = { $name } is shared by the whole agency: an admin sets it with /cost_set { $name } <value> agency.
capacity-title = Sending capacity (campaign emails)
capacity-today = Today: { $emails } campaign { $emails ->
    [one] email
   *[other] emails
} from { $senders } of { $mailboxes } { $mailboxes ->
    [one] mailbox
   *[other] mailboxes
} (besides { $warmup } warmup { $warmup ->
    [one] email
   *[other] emails
}).
capacity-no-mailboxes = The workspace has no mailboxes to send from (the reserve aside), so no campaign email can go out. Add mailboxes: /mailbox_import, then /warmup_start all.
capacity-idle = { $count } of { $mailboxes } { $mailboxes ->
    [one] mailbox sends
   *[other] mailboxes send
} nothing today: { $causes }.
capacity-idle-paused = paused — { $count }
capacity-idle-disabled = disabled — { $count }
capacity-idle-cooldown = cooling down — { $count }
capacity-idle-domain = domain cooling or burned — { $count }
capacity-idle-warmup_paused = warmup paused — { $count }
capacity-idle-new = warmup not started — { $count }
capacity-idle-paused-fix = • Paused: put back to work with /mailbox_resume <address>.
capacity-idle-disabled-fix = • Disabled (refused logins or protection): why — /health; fix the login, check it with /mailbox_test <address>, then /mailbox_resume <address>.
capacity-idle-cooldown-fix = • Cooling down: they come back by themselves when it ends (the date is in /health).
capacity-idle-domain-fix = • Domain cooling or burned: its state and a swap from the reserve — /domains.
capacity-idle-warmup_paused-fix = • Warmup paused: continue with /warmup_start <address or domain>.
capacity-idle-new-fix = • Warmup not started: /warmup_start all.
capacity-warming = The mailboxes are still warming: the first start sending campaigns on { $start }.
capacity-today-off = No running campaign sends today: it is not one of their days.
capacity-days = Counted: only { $days } — the days your running campaigns send ({ $count } a week).
capacity-days-all = Counted: every day of the week — no campaign is running to limit the days; a campaign that sends Mon–Fri gets 5/7 of it.
capacity-week = Week { $number } ({ $start } – { $end }): { $emails } ({ $low }–{ $high } a day)
capacity-week-even = Week { $number } ({ $start } – { $end }): { $emails } ({ $low } a day)
capacity-reserve = The reserve would add about { $emails } a day once warm and put into service (not counted above).
capacity-reserve-warm = The ready reserve would add about { $emails } a day once put into service (not counted above).
capacity-hint = Does a client's volume fit? /capacity <emails> <weeks>, e.g. /capacity 12000 1
capacity-fits = ✅ { $emails } { $emails ->
    [one] email fits
   *[other] emails fit
} in { $weeks } { $weeks ->
    [one] week
   *[other] weeks
}: the fleet can send { $available }.
capacity-short = ❌ { $emails } { $emails ->
    [one] email does not fit
   *[other] emails do not fit
} in { $weeks } { $weeks ->
    [one] week
   *[other] weeks
}: the fleet can send { $available }.
capacity-wait = As warming mailboxes graduate, they would fit in the { $weeks } { $weeks ->
    [one] week
   *[other] weeks
} from { $start }.
capacity-add = For this pace the fleet lacks { $per_day } a day → add { $mailboxes } { $mailboxes ->
    [one] mailbox
   *[other] mailboxes
} on { $domains } { $domains ->
    [one] domain
   *[other] domains
} ({ $mailbox_cap } a day a mailbox, { $domain_cap } a day a domain; { $per_mailbox } campaign { $per_mailbox ->
    [one] email
   *[other] emails
} a day each at full share). New mailboxes send campaigns after { $warmup_weeks } { $warmup_weeks ->
    [one] week
   *[other] weeks
} of warmup and at full volume after { $full_weeks } { $full_weeks ->
    [one] week
   *[other] weeks
} (from { $full_on }): they do not help sooner.
capacity-workspace-cap = The workspace's own daily cap limits it too: raise it as well.
error-capacity-emails = “{ $value }” emails: a number from 1 to { $high }.
error-capacity-weeks = “{ $value }” weeks: a number from 1 to { $high }.
arg-cost-set-name = price
arg-cost-set-value = whole roubles or a count
arg-capacity-emails = emails
arg-capacity-weeks = weeks
