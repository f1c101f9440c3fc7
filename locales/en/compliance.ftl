# Compliance with Russian law: sender identity, erasure, retention, the audit log

cmd-workspace-legal = the sender's legal name and contact printed in every email (149-FZ art. 10); without arguments, show them
cmd-forget = erase a person's data (leads, emails, events) keeping only a hash on the suppression list; all: in every workspace (admins)
cmd-forget-confirm = confirm erasing a person's data
cmd-retention = how many days data is kept (events, email texts, old leads), or off; without an argument, show it
cmd-audit-export = the audit log as CSV for a period (dates YYYY-MM-DD, by default the last 30 days)

arg-workspace-legal-legal-name = legal-name
arg-workspace-legal-contact = contact
arg-retention-days = days|off
arg-audit-export-from = from
arg-audit-export-to = to
arg-forget-email = email
arg-forget-confirm-token = confirmation

legal-current = Email footer: { $name }, { $contact }
legal-none = The sender identity is not set: campaigns will not start. Set it: /workspace_legal "Vektor LLC, INN 7701234567" Moscow, Lenina st. 1, info@vektor.example
legal-set = Email footer saved: { $name }, { $contact }. It will appear in every campaign email.
error-legal-missing-contact = Give a contact after the name: an address, INN/OGRN, an email or a phone. Example: /workspace_legal "Vektor LLC" Moscow, Lenina st. 1, info@vektor.example
error-legal-too-long = The { $field ->
    [legal_name] legal name
   *[other] contact
} is too long: { $length } { $length ->
    [one] character
   *[other] characters
}, at most { $limit }.
error-legal-control = The { $field ->
    [legal_name] legal name
   *[other] contact
} contains a line break or a control character: the footer must be one line.
error-legal-too-short = The { $field ->
    [legal_name] legal name
   *[other] contact
} is empty or too short (at least { $min } { $min ->
    [one] character
   *[other] characters
} with letters or digits).
campaign-refuse-no-legal-name = the sender's legal name for the email footer is not set (149-FZ art. 10): /workspace_legal
campaign-refuse-no-contact = the sender's contact for the email footer is not set (an address, INN/OGRN, an email or a phone): /workspace_legal

forget-done = Data erased { $scope }: leads { $leads }, campaign enrollments { $enrollments }, emails cleared { $messages }, events cleared of the person (kept for the counts) { $events }, suppressions replaced by a hash { $suppressions }. The address is no longer stored; it can never be written to (only its hash is kept). Copies of the mail in the mailboxes themselves (the provider's folders) are not deleted: remove them there if needed.
forget-confirm = This will erase { $scope }: leads { $leads }, campaign enrollments { $enrollments }, emails { $messages }, events (cleared of the person, kept for the counts) { $events }, suppressions { $suppressions }. It cannot be undone. The button works for 15 minutes.
forget-confirm-button = Erase for good
error-forget-confirm-expired = This confirmation has expired or was already used. Ask again: /forget <address>
forget-nothing = Nothing about this address { $scope }; its hash on the suppression list { $new ->
    [yes] was added
   *[no] was already there
}, it can never be written to.
forget-scope-workspace = in the workspace “{ $workspace }”
forget-scope-global = in every workspace
error-forget-address = "{ $value }" is not an email address. Example: /forget ivan@acme.ru

retention-current = Retention: { $days } { $days ->
    [one] day
   *[other] days
}. Events, email texts and leads older than that are deleted daily; statistics counters and the suppression list are kept.
retention-off = No retention is set: data is kept until deleted. Set it: /retention 365
retention-set = Retention: { $days } { $days ->
    [one] day
   *[other] days
} (was: { $before }). Old data is deleted every night.
retention-set-off = Retention turned off (was: { $before }): data is no longer deleted automatically.
retention-was-off = not set
error-retention-range = Retention is { $min } to { $max } { $max ->
    [one] day
   *[other] days
}, or off.
error-retention-value = "{ $value }" is not a number of days. Example: /retention 365 or /retention off

audit-export-ready = Audit entries: { $rows } ({ $from } to { $to }, UTC). The file is below.
audit-export-empty = No audit entries from { $from } to { $to } (UTC).
audit-col-time = Time
audit-col-workspace = Workspace
audit-col-actor = Who
audit-col-actor-name = Name
audit-col-action = Action
audit-col-action-code = Action code
audit-col-subject = Subject
audit-col-subject-code = Subject code
audit-col-details = Details
audit-col-data = Details (JSON)
error-audit-date = The date "{ $value }" ({ $field ->
    [from] from
   *[other] to
}) must be YYYY-MM-DD, e.g. 2026-03-01.
error-audit-range = The period must start no later than it ends and be at most { $days } { $days ->
    [one] day
   *[other] days
} long.
error-audit-too-many = More than { $limit } { $limit ->
    [one] entry
   *[other] entries
} in this period: choose a shorter one.

legal-basis-consent = consent
legal-basis-contract = contract
legal-basis-public-contact = published business contact
legal-basis-none = not recorded
export-col-source = Source
export-col-legal-basis = Legal basis
export-col-basis-note = Basis evidence
error-leads-bad-basis = The basis "{ $value }" is not recognised: its first word must be one of: { $choices }. Example: basis="contract 12".
error-leads-no-source = No lead source given (where the addresses came from: 38-FZ, 152-FZ): add a "source" column or source=…, e.g. source="exhibition 2026".
leads-reason-bad-legal-basis = legal basis not recognised
leads-reason-no-source = no source

# Audit actions in words (the export's Action column; the code stays beside it)
audit-action-command = a command
audit-action-alert-ack = alert acknowledged
audit-action-approval-decide = approval request decided
audit-action-approval-transition = approval request changed state
audit-action-agency-chat-bind = agency chat bound
audit-action-agency-chat-unbind = agency chat unbound
audit-action-chat-unbind = chat disconnected from the workspace
audit-action-chat-move = chat moved to its new id (a Telegram group became a supergroup)
audit-action-agency-chat-move = agency chat moved to its new id (a Telegram group became a supergroup)
audit-action-campaign-create = campaign created
audit-action-campaign-settings = campaign settings changed
audit-action-campaign-steps = campaign steps set
audit-action-campaign-group = campaign mailbox group set
audit-action-campaign-start = campaign started
audit-action-campaign-resume = campaign resumed
audit-action-campaign-pause = campaign paused
audit-action-campaign-test = campaign test email sent
audit-action-campaign-transition = campaign changed state
audit-action-compliance-forget = person's data erased
audit-action-leads-unsuppress = suppression lifted
audit-action-costs-setting = price changed
audit-action-domain-import = domains added
audit-action-domain-set = domain setting changed
audit-action-domain-delete = domain deleted
audit-action-domain-dmarc-adopted = DMARC policy adopted as found
audit-action-domain-dns-apply = DNS plan applied
audit-action-domain-dkim-set = DKIM key saved
audit-action-domain-swap-proposed = domain swap proposed
audit-action-domain-swap-stale = domain swap request outdated
audit-action-domain-swap = domain replaced with a reserve one
audit-action-domain-transition = domain changed state
audit-action-mailbox-transition = mailbox changed state
audit-action-monitoring-cooldown = mailbox paused for bounces
audit-action-monitoring-return = mailbox back from its pause
audit-action-monitoring-cut = sending volume cut
audit-action-monitoring-restore = sending volume raised back
audit-action-monitoring-disable = mailbox disabled after failures
audit-action-monitoring-pause = workspace sending paused
audit-action-monitoring-resume = workspace sending resumed
audit-action-monitoring-threshold = protection threshold changed
audit-action-retention-purge = old data deleted by the retention period
audit-action-warmup-start = warmup started
audit-action-warmup-pause = warmup paused
audit-action-warmup-setting = warmup setting changed
audit-action-workspace-create = workspace created
audit-action-invite-redeem = invite code used (joined the workspace)
audit-action-workspace-setting = workspace setting changed
audit-action-workspace-sender-identity = sender details changed
audit-action-workspace-retention = retention period changed
