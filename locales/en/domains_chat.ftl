## Domains in chat.

domains-none = No domains yet. Add some: /domain_add acme-mail.ru or send a CSV with /domain_add
domains-title = Domains ({ $count })
domains-line = { $name } — { $status }, { $pool }, DNS { $dns }, blacklists { $listed }, mailboxes: { $mailboxes }, days until renewal: { $days }
domains-pool-active = active
domains-pool-reserve = reserve
error-domain-add-empty = Give the domains separated by spaces or send a CSV file (domain; registrar; paid until; mail; pool). Example: { $usage }
domain-add-result = Added: { $added }, already there: { $existing }, with errors: { $errors }.
domain-add-row-error = Row { $line } ({ $value }): { $reason }
domain-facts = Status: { $status } · pool: { $pool } · mail: { $provider } · registrar: { $registrar } · paid until: { $expires }
    DMARC: { $dmarc } · DKIM selector: { $selector } · tracking: { $tracking }
    Mailboxes: { $mailboxes } · sent today: { $sent }
domain-never-checked = DNS has not been checked yet: /dns_check
domain-listed = 🚫 Listed on: { $zones }
domain-not-listed = ✅ Not found on blacklists.
dns-plan-title = DNS plan of { $domain }
dns-plan-unknown = DNS did not answer every question just now, so it cannot be compared with the plan. Try again later.
dns-plan-diff = Differences from the plan: { $count }
dns-plan-in-sync = DNS matches the plan.
dns-apply-manual = No DNS host API access is configured for { $domain }. Set these records by hand:
dns-apply-nothing = { $domain } at { $host }: nothing to change, it already matches the plan.
dns-apply-done = { $domain } at { $host }: { $calls } changes applied. Check: /dns_check
dns-apply-confirm = { $domain } at { $host }: { $calls } changes to make. Apply?
dns-apply-button = Apply
dns-check-drift = Changed since the last check: { $records }
blacklist-blind = These lists give no answer right now, so their result is unknown: { $zones }
dkim-set-done = DKIM for { $domain } saved: selector { $selector }, key of { $bits } bits.
zone-export-done = Zone files: { $count }.

cmd-domains = the workspace's domains
cmd-domain-add = add domains (a list or a CSV)
cmd-domain = a domain's card
cmd-dns-plan = a domain's DNS plan and how DNS differs from it
cmd-dns-apply = apply the DNS plan through the API (with confirmation)
cmd-dns-apply-confirm = confirm applying the DNS plan
cmd-dns-check = check DNS records
cmd-blacklist-check = check blacklists
cmd-dkim-set = save a domain's DKIM key
cmd-zone-export = export zone files
