## Domains: inventory, DNS plan and checks, blacklists, expiry, DMARC, registrar and mail provider APIs.

## Errors

error-domain-invalid = “{ $name }” does not look like a domain name. Example: example.com or пример.рф
error-domain-not-found = Domain { $name } is not in this workspace.
error-domain-not-found-manage = Domain { $name } is not in this workspace. List: /domains
error-domain-gone = This domain (no. { $id }) is no longer in your workspace — perhaps it was already removed. List: /domains
error-domain-retired = Domain { $name } is already retired.
error-domain-remove-changed = { $domain } has changed since you asked to remove it: nothing was done. This is what removing it does now:
error-dns-apply-changed = The records for { $domain } have changed since you reviewed them: nothing was written. This is what will be written now:
error-domain-resume-changed = { $domain } no longer stands as it did when you asked to resume it: nothing was done. This is what the checks say now:
error-domain-names-control = The domain list holds control characters (lines { $lines }) — that does not look like text. Type the domains separated by spaces or send a CSV.
error-domain-set-field = “{ $field }” cannot be set. You can set: { $choices }. Example: /domain_set acme-mail.ru provider yandex360
error-domain-set-provider = Unknown mail provider “{ $value }”. Choose one of: { $choices }.
error-domain-set-registrar = Unknown registrar “{ $value }”. Choose one of: { $choices }.
error-domain-set-pool = Unknown pool “{ $value }”: active or reserve.
error-domain-set-tracking = “{ $value }” cannot be the tracking host: it must be a name inside { $domain }, but not the domain itself (which cannot carry a CNAME). Example: t or t.{ $domain }
error-domain-workspace-unknown = The workspace to import into was not found.
error-domain-import-empty = The file has no rows with a domain.
error-domain-import-too-large = Too many rows: at most { $limit } { $limit ->
    [one] domain
   *[other] domains
} can be added at once. Split the file.
error-domain-import-conflict = Someone else added some of these domains while the import ran. Run it again — the ones already added will be skipped.
error-dkim-invalid = This is not a DKIM key: send the base64 public key (the p= value) or the whole “v=DKIM1; k=rsa; p=…” record.
error-dkim-weak-key = The DKIM key is too short: { NUMBER($bits, useGrouping: 0) } { $bits ->
    [one] bit
   *[other] bits
}, mailbox providers require at least { NUMBER($minimum, useGrouping: 0) }. Generate a 2048-bit key.
error-dkim-selector-required = Give the DKIM selector (for example mail): this mail provider has no default selector.
error-dkim-selector-invalid = “{ $selector }” cannot be a DKIM selector: it is the name before ._domainkey (for example mail) — Latin letters, digits and hyphens.
error-dmarc-step-not-approved = The DMARC step is not approved yet (state: { $status }).
error-provider-auth = { $provider } refused the API login, password or token. Check the credentials in the settings.
error-provider-forbidden = { $provider }: the API account may not do this.
error-provider-domain-not-found = { $provider } does not know this domain (or it is not on its name servers).
error-provider-conflict = { $provider }: it already exists or someone else changed it. Refresh and try again.
error-provider-rate-limited = { $provider } is limiting the request rate. Try later — Mailfleet itself stays under the limit.
error-provider-unavailable = { $provider } is unavailable right now (network or server error). Try later.
error-provider-bad-response = { $provider } answered in an unexpected format. Try later; if it repeats, tell support.
error-provider-failed = { $provider } refused the request (code { $code }).
error-regru-ip-denied = REG.RU does not accept API requests from this IP address. Add the Mailfleet server's address in the API settings of your REG.RU account (takes 5–30 minutes).
error-regru-billing-lock = REG.RU: a billing operation is already running. Try again in a minute.

## Domain import: why a row was skipped

domain-import-bad-name = not a domain name
domain-import-too-long = too long for a domain name: at most { $limit }
domain-import-duplicate = repeated: this domain is already on line { $line }
domain-import-bad-registrar = unknown registrar “{ $value }”; known ones: { $choices }
domain-import-bad-date = date “{ $value }” not understood: use YYYY-MM-DD or DD.MM.YYYY
domain-import-bad-provider = unknown mail provider “{ $value }”: yandex360, mailru or generic
domain-import-bad-pool = unknown role “{ $value }”: active or reserve
domain-import-extra-column = a value “{ $value }” after column { $columns }, the last one (name, registrar, expiry, mail provider, pool role, or those the header names): remove it or move it into its column
domain-import-other-workspace = the domain belongs to another workspace

## DNS records and verdicts

dns-record-mx = MX
dns-record-spf = SPF
dns-record-dkim = DKIM
dns-record-dmarc = DMARC
dns-record-tracking = Tracking (CNAME)
dns-verdict-ok = ok
dns-verdict-missing = missing
dns-verdict-mismatch = differs from the plan
dns-verdict-invalid = invalid record
dns-verdict-duplicate = several records instead of one
dns-verdict-nxdomain = the domain does not exist in DNS
dns-verdict-servfail = the DNS server answered with an error
dns-verdict-timeout = the DNS server did not answer

## Why that verdict

dns-problem-missing = No such record.
dns-problem-missing-alias = No such record: the name is an alias (CNAME) of { $alias }, which has no { $type } record.
dns-problem-duplicate = { $count } { $count ->
    [one] record
   *[other] records
} found where there must be one — mail servers treat that as an error.
dns-problem-timeout = The record's state is unknown; it will be checked again.
dns-problem-servfail = SERVFAIL or a refusal: the record's state is unknown.
dns-problem-refused = REFUSED: the server does not serve this zone or does not take our queries; the record's state is unknown.
dns-problem-truncated = The answer did not fit in UDP, and the DNS server could not be reached over TCP (often a firewall closes TCP port 53): the record's state is unknown.
dns-problem-nxdomain = Not delegated, or its registration expired.
dns-problem-nxdomain-below = No records at { $name } yet: it is a name under { $domain }, and nothing is published there. Add the records at the DNS host of { $domain }.
dns-problem-mx-differs = MX points elsewhere: it must be { $expected }.
dns-problem-mx-null = A null MX (“0 .”): the domain declares it accepts no mail — replies and bounces cannot reach it, and receivers may refuse mail from such a domain. It must be { $expected }.
dns-problem-mx-alias = MX names an alias (CNAME): { $aliases }. An MX must name the mail server itself (RFC 2181), or some senders will not deliver. It must be { $expected }.
dns-problem-tag-syntax = Syntax error in “{ $tag }”: expected tag=value.
dns-problem-tag-repeated = Tag { $tag } is repeated.
dns-problem-spf-not-spf = The record does not start with v=spf1.
dns-problem-spf-unknown-term = Unknown SPF term: “{ $term }”.
dns-problem-spf-bad-term = Malformed SPF term: “{ $term }”.
dns-problem-spf-modifier-repeated = Modifier { $modifier } appears more than once.
dns-problem-spf-after-all = Terms after “all” are never evaluated.
dns-problem-spf-too-many-lookups = SPF needs { $count } DNS { $count ->
    [one] lookup
   *[other] lookups
}, at most { $limit } are allowed: receivers will treat SPF as broken. Remove some includes.
dns-problem-spf-void-lookups = SPF refers to names where nothing is found (no such name, or no records of the type): { $terms } — { $count } void DNS { $count ->
    [one] lookup
   *[other] lookups
}, at most { $limit } are allowed: receivers will treat SPF as broken (permerror). Remove the stale names.
dns-problem-spf-unresolved = The SPF record of included { $domain } could not be read; lookups were counted without it.
dns-problem-spf-include-none = { $domain }, named by include or redirect, publishes no SPF record: receivers will treat the whole SPF as broken (permerror).
dns-problem-spf-include-several = { $domain }, named by include or redirect, publishes several SPF records instead of one: receivers will treat the whole SPF as broken (permerror).
dns-problem-spf-include-invalid = The SPF record of { $domain }, named by include or redirect, has a syntax error: receivers will treat the whole SPF as broken (permerror).
dns-problem-spf-no-include = SPF lacks include:{ $include } — the provider's mail will fail SPF.
dns-problem-spf-pass-all = SPF ends with “{ $term }”: any server on the internet may send mail as this domain — the record protects nothing, and spam filters penalize it. It must be ~all or -all.
dns-problem-spf-neutral-all = SPF ends with “{ $term }”: mail from other servers gets a “neutral” result and is not rejected. ~all or -all is better.
dns-problem-spf-no-all = SPF has no “all” at its end: mail from other servers gets a “neutral” result and is not rejected. Better add ~all or -all.
dns-problem-dkim-version = Tag v must come first and be DKIM1.
dns-problem-dkim-key-type = Key type “{ $type }” is not supported: rsa or ed25519.
dns-problem-dkim-no-key = The record has no public key (tag p=).
dns-problem-dkim-revoked = The key is revoked (empty p=): signatures with this selector fail.
dns-problem-dkim-bad-key = The public key cannot be read: broken base64, or not a key.
dns-problem-dkim-weak-key = The key has { NUMBER($bits, useGrouping: 0) } { $bits ->
    [one] bit
   *[other] bits
}: mailbox providers require at least { NUMBER($minimum, useGrouping: 0) }.
dns-problem-dkim-short-key = The key has { NUMBER($bits, useGrouping: 0) } { $bits ->
    [one] bit
   *[other] bits
}: accepted, { NUMBER($recommended, useGrouping: 0) } is recommended.
dns-problem-dkim-other-key = Another key is published, not the one the provider signs with.
dns-problem-dmarc-version = The record must start with v=DMARC1.
dns-problem-dmarc-policy = Policy p=“{ $value }” is invalid: none, quarantine or reject.
dns-problem-dmarc-no-policy = The record has no policy (the p= tag): it needs p=none, p=quarantine or p=reject.
dns-problem-dmarc-tag = Invalid value of tag { $tag }: “{ $value }”.
dns-problem-dmarc-no-rua = No report address (rua): you will not see who sends in the domain's name.
dns-problem-dmarc-rua-unauthorized = DMARC reports go to another domain ({ $domain }), which does not accept them: it lacks the record { $record } TXT “v=DMARC1”. Receivers will not send reports.
dns-problem-dmarc-rua-unchecked = DMARC reports go to another domain ({ $domain }); whether it accepts them (the record { $record }) could not be checked: DNS did not answer.
dns-problem-dmarc-policy-differs = The published policy is { $found }, the plan says { $expected }.
dns-problem-dmarc-pct = pct={ $pct }: p={ $policy } applies to { $pct } % of the mail that fails DMARC; the rest is treated as p={ $rest }.
dns-problem-tracking-differs = The tracking host points elsewhere: it must be { $expected }.
dns-problem-tracking-not-cname = The tracking host has { $found } instead of a CNAME: it needs a CNAME to { $expected }, and that record removed (DNS allows no CNAME beside other records).
dns-problem-tracking-chain = The tracking host reaches its target through a CNAME chain ({ $chain }): it works, but every link has to stay right.
dns-problem-tracking-chain-elsewhere = The tracking host's CNAME chain ({ $chain }) leads elsewhere: it must be { $expected }.
dns-note-spf-unknown = There is no SPF template for this mail provider: add your server's include yourself.
dns-note-dkim-key-unknown = The DKIM key for selector { $selector } is not known yet: take it from the provider's panel or API.
dns-note-dkim-selector-unknown = No DKIM selector is set: give it together with the key.
dns-note-provider-unknown = The mail provider of { $domain } is not set, so the plan has no MX, SPF or DKIM. Set it: /domain_set { $domain } provider yandex360 (or mailru, generic).
dns-note-dmarc-adopted = DNS already publishes a stricter DMARC policy (p={ $policy }): the plan keeps it and never weakens it.
dns-note-dkim-aliased = { $name } is an alias (CNAME) of { $target }: the mail provider publishes the DKIM key there, so the plan keeps the alias and writes no key beside it (DNS hosts refuse any).
dns-note-dmarc-aliased = { $name } is an alias (CNAME) of { $target }: DMARC is published there, so the plan keeps the alias and writes no DMARC record beside it (DNS hosts refuse any). To let Mailfleet publish DMARC itself, remove the alias.

## State of the checks

dns-state-bad = has errors
dns-state-ok = fine
dns-state-partial = partly checked
dns-state-unknown = not checked
dns-csv-domain = Domain
dns-csv-state = State
dns-csv-why = Reasons

## Blacklists (DNSBL)

dnsbl-result-listed = listed
dnsbl-result-clean = not listed
dnsbl-result-error = check failed
dnsbl-code-sbl = Spamhaus SBL: spam source
dnsbl-code-css = Spamhaus CSS: snowshoe spam
dnsbl-code-xbl = Spamhaus XBL: infected or exploited host
dnsbl-code-drop = Spamhaus DROP: network controlled by spammers
dnsbl-code-pbl = Spamhaus PBL: address should not send mail directly
dnsbl-code-bcl = Spamhaus BCL: botnet controller
dnsbl-code-dbl-spam = Spamhaus DBL: low-reputation domain (spam)
dnsbl-code-dbl-phish = Spamhaus DBL: phishing
dnsbl-code-dbl-malware = Spamhaus DBL: malware
dnsbl-code-dbl-botnet = Spamhaus DBL: botnet command and control
dnsbl-code-dbl-abused = Spamhaus DBL: abused legitimate domain
dnsbl-code-uribl-black = URIBL black: domain seen in spam
dnsbl-code-uribl-grey = URIBL grey: domain seen in bulk mail
dnsbl-code-uribl-red = URIBL red: recently seen in spam
dnsbl-code-surbl-phish = SURBL: phishing
dnsbl-code-surbl-malware = SURBL: malware
dnsbl-code-surbl-abuse = SURBL: spam and abuse
dnsbl-code-surbl-cracked = SURBL: cracked site
dnsbl-code-barracuda = Barracuda: address listed
dnsbl-code-spamcop = SpamCop: recipients reported the address
dnsbl-code-unknown = listed, with an undocumented code
dnsbl-error-refused = the list refused to answer (typically a query through public DNS); the check is blind
dnsbl-error-public-resolver = Spamhaus does not answer public DNS resolvers: use your own resolver or a DQS key
dnsbl-error-excessive = Spamhaus: query limit exceeded; a DQS key is needed
dnsbl-error-typo = Spamhaus: wrong zone name or DQS key
dnsbl-error-ip-in-domain-list = an IP address was sent to a domain list
dnsbl-error-unexpected = the list gave an answer that makes no sense
dnsbl-error-timeout = the list did not answer in time
dnsbl-error-test-point = the list does not list even its own test entry: its “not listed” means nothing (often: queries through a public DNS); the check is blind
dnsbl-error-servfail = the DNS server returned an error when asking the list

## Alerts and DMARC

alert-dns-drift = DNS record { $record } of { $domain } changed or disappeared. Before: { $before } Now: { $after }
alert-blacklist-listed = { $target } is listed on { $zone }: { $meaning } (code { $code }). The domain is cooling down; sending from it is paused.
alert-domain-resumed = The domain { $domain } is back at work: { $how ->
        [hand] it was resumed by hand
       *[other] every cause of its cooling has cleared — every blocklist answered "not listed", every DNS record is right, no swap is waiting
    }. Sending from its mailboxes resumes.
error-resume-not-cooling = The domain { $domain } is not cooling (it is { $state }): there is nothing to resume.
error-resume-listed = The domain { $domain } is still blocklisted: { $zones }. It can go back to work once it is delisted.
error-resume-swap-waiting = A swap of { $domain } for a reserve domain is waiting for a decision. Reject it first, or let it be carried out.
alert-dnsbl-blind = Checks against { $zone } have not worked since { $since }: { $reason ->
        [timeout] the list does not answer in time
        [test-point] the list does not list even its own test entry, so its “not listed” means nothing (often: queries through a public DNS)
        [public-resolver] Spamhaus does not answer public DNS resolvers — use your own resolver or a DQS key
        [excessive] the query limit is exceeded — a DQS key is needed
        [refused] the list refuses to answer (often: queries through a public DNS)
        [servfail] the DNS server returns an error
       *[other] the list gives an answer that makes no sense
    }. Domains are “not checked” on this list, not “clean”.
alert-dns-blind = DNS checks are not working: the resolvers { $resolvers } (DNS_RESOLVERS) answered nothing about { $blind } of { $total } { $total ->
        [one] domain
       *[other] domains
    }: { $reason ->
        [timeout] they do not answer in time
        [refused] they refuse to answer (REFUSED)
        [truncated] large answers do not come through over TCP
       *[servfail] they return an error (SERVFAIL)
    }. Until they answer, the domains' records are “not checked” and a DNS change goes unnoticed: drift protection is off. Check the resolvers or the DNS_RESOLVERS setting.
alert-domain-expiry = Domain { $domain } expires on { $expires_on } ({ $days_left } { $days_left ->
    [one] day
   *[other] days
} left). Renew it at the registrar.
dmarc-step-proposal = Domain { $domain } stayed clean { $days ->
    [0] for the whole clean period
    [one] for { $days } day
   *[other] for { $days } days
}: SPF, DKIM and DMARC right, on no blacklist, no mail refused for failed authentication. Tighten DMARC from { $from } to { $to }? This will be published: { $value }
dmarc-step-set-record = Publish this record: { $name } TXT “{ $value }”. Then check: /dns_check { $domain }
dmarc-step-set-aliased = { $alias } is an alias (CNAME) of { $name }, so the record is changed there: { $name } TXT “{ $value }”. Then check: /dns_check { $domain }
dmarc-step-sent = The record { $name } TXT “{ $value }” was sent to the DNS host; DNS does not serve it yet (a change can take a while to show). Check later: /dns_check { $domain }
dmarc-step-sent-unchecked = The record { $name } TXT “{ $value }” was sent to the DNS host; whether DNS serves it could not be checked: DNS did not answer. Check later: /dns_check { $domain }
dmarc-step-applied = DMARC of { $domain } is now { $policy }: DNS serves the record.
error-dmarc-step-superseded = { $domain } already publishes p={ $current }, stricter than or equal to the approved p={ $to }: nothing was changed (a policy is never weakened).
