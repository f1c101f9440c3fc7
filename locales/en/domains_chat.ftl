## Domains in chat.

domains-none = No domains yet. Add some: /domain_add acme-mail.ru or send a CSV with /domain_add
domains-title = Domains ({ $count })
domains-line = { $name } — { $status } · pool: { $pool } · mail: { $provider }, DNS { $dns }, blacklists { $listed }, mailboxes: { $mailboxes }, days until renewal: { $days }
domains-legend = ✅ fine · ⚠️ fine, with warnings · ❌ DNS errors · 🚫 blacklisted · ◐ partly checked · ❔ not checked
domains-pool-active = active
domains-pool-reserve = reserve
domains-pool-none = none
error-domain-add-empty = Give the domains separated by spaces, commas or semicolons, or send a CSV file (domain; registrar; paid until; mail; pool). Example: { $usage }
domain-add-result = Added: { $added }, already there: { $existing }, with errors: { $errors }.
domain-add-row-error = Row { $line } ({ $value }): { $reason }
domain-add-detected = Mail provider from MX: { $list }
domain-add-provider-unknown = No known mail provider (MX points nowhere we know, or DNS did not answer): { $domains }. Set it: /domain_set <domain> provider yandex360 (or mailru, generic) — until then the DNS plan has no MX, SPF or DKIM.
domain-provider-unset = not set
domain-facts = Status: { $status } · pool: { $pool } · mail: { $provider } · registrar: { $registrar } · paid until: { $expires }
    DMARC: { $dmarc } · DKIM selector: { $selector } · tracking: { $tracking }
    Mailboxes: { $mailboxes } · sent today: { $sent }
domain-never-checked = DNS has not been checked yet: /dns_check
domain-listed = 🚫 Listed on: { $zones } — since { $since }.
domain-not-listed = ✅ Not listed anywhere (every list answered, { $when }).
domain-bl-partial = ◐ Not listed on the lists that answered, but { $zones } could not be checked: { $why } ({ $when }).
domain-bl-unknown = ❔ Blacklists not checked since { $since }: { $why }. That does not mean “clean”.
domain-bl-never = ❔ Blacklists have not been checked yet: /blacklist_check
domain-bl-also-unchecked = Not checked: { $zones } — { $why }.
domain-dns-unknown = ❔ DNS could not be checked since { $since }: { $why }. That means neither “fine” nor “missing”.
domain-dns-partial = ◐ Some records could not be checked ({ $records }): { $why }.
dns-plan-title = DNS plan of { $domain }
dns-plan-unknown = DNS did not answer every question just now, so it cannot be compared with the plan. Try again later.
dns-plan-diff = Differences from the plan: { $count }
dns-plan-in-sync = DNS matches the plan.
dns-apply-manual = No DNS host API access is configured for { $domain }. Set these records by hand:
dns-apply-nothing = { $domain } at { $host }: nothing to change, it already matches the plan.
dns-apply-done = { $domain } at { $host }: { $count } { $count ->
    [one] record
   *[other] records
} changed. Check: /dns_check
dns-apply-confirm = { $domain } at { $host }: these records will be written ({ $count }). Apply?
dns-apply-add = + add { $type } { $name } { $value }
dns-apply-change = ~ change { $type } { $name }: { $old } → { $value }
dns-apply-remove = − remove { $type } { $name } { $value }
dns-apply-button = Apply
dns-check-drift = Changed since the last check: { $records }
dns-check-fixed = Fixed since the last check: { $records }
dns-check-summary = Domains checked: { $total }. Fine: { $ok } · with errors: { $bad } · partly checked: { $partial } · not checked: { $unknown }. Every domain's result is in the file.
blacklist-check-summary = Domains checked: { $total }. Blacklisted: { $bad } · clean: { $ok } · partly checked: { $partial } · not checked: { $unknown }.
dns-check-worst = Worst first:
dns-check-worst-line = { $domain } — { $state }: { $records }
domain-set-done = { $domain }: { $field } { $before } → { $after }.
domain-field-provider = mail
domain-field-registrar = registrar
domain-field-pool = pool
domain-field-tracking = tracking
domain-remove-confirm-delete = Remove { $domain }? It has no mailboxes and no history: it will be deleted with its check results.
domain-remove-confirm-retire = { $domain } has history (mailboxes: { $mailboxes }), so it will be retired, not deleted: nothing will send from it and its history stays. Retire it?
domain-remove-button = Remove
domain-remove-deleted = { $domain } deleted.
domain-remove-retired = { $domain } retired; its history is kept.
domain-resume-confirm = Return { $domain } from cooling to work? Sending from its mailboxes resumes. What the latest checks say:
domain-resume-dns-bad = DNS errors: { $records }. Mail sent with this DNS may land in spam.
domain-resume-button = Return to work
domain-resume-done = The domain { $domain } is back at work: sending from its mailboxes resumes.
dkim-set-done = DKIM for { $domain } saved: selector { $selector }, key of { NUMBER($bits, useGrouping: 0) } { $bits ->
    [one] bit
   *[other] bits
}.
zone-export-done = Zone files: { $count }, in one archive.
zone-export-one = The zone file of { $domain }: { $file }.

cmd-domains = the workspace's domains
cmd-domain-add = add domains (a list or a CSV)
cmd-domain = a domain's card
cmd-dns-plan = a domain's DNS plan and how DNS differs from it
cmd-dns-apply = apply the DNS plan through the API (with confirmation)
cmd-dns-apply-confirm = confirm applying the DNS plan
cmd-dns-check = check DNS records
cmd-blacklist-check = check blacklists
cmd-dkim-set = save a domain's DKIM key
cmd-zone-export = export zone files (all in one archive)
cmd-domain-set = change a domain's setting: provider, registrar, pool, tracking
cmd-domain-remove = remove a domain (one with history is retired)
cmd-domain-remove-confirm = confirm removing a domain
cmd-domain-resume = return a cooling domain to work (asks first)
cmd-domain-resume-confirm = confirm returning a domain to work
registrar-regru = REG.RU
registrar-nicru = RU-CENTER
registrar-timeweb = Timeweb
registrar-selectel = Selectel
registrar-beget = Beget
registrar-r01 = R01
registrar-other = other
