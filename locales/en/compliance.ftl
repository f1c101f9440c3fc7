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
} is too long: { $length } characters, at most { $limit }.
error-legal-control = The { $field ->
    [legal_name] legal name
   *[other] contact
} contains a line break or a control character: the footer must be one line.
error-legal-too-short = The { $field ->
    [legal_name] legal name
   *[other] contact
} is empty or too short (at least { $min } characters with letters or digits).
campaign-refuse-no-legal-name = the sender's legal name for the email footer is not set (149-FZ art. 10): /workspace_legal
campaign-refuse-no-contact = the sender's contact for the email footer is not set (an address, INN/OGRN, an email or a phone): /workspace_legal

forget-done = Data erased { $scope }: leads { $leads }, campaign enrollments { $enrollments }, emails cleared { $messages }, events { $events }, suppressions replaced by a hash { $suppressions }. The address is no longer stored; it can never be written to (only its hash is kept). Copies of the mail in the mailboxes themselves (the provider's folders) are not deleted: remove them there if needed.
forget-confirm = This will erase { $scope }: leads { $leads }, campaign enrollments { $enrollments }, emails { $messages }, events { $events }, suppressions { $suppressions }. It cannot be undone. The button works for 15 minutes.
forget-confirm-button = Erase for good
error-forget-confirm-expired = This confirmation has expired or was already used. Ask again: /forget <address>
forget-nothing = Nothing about this address { $scope }; its hash on the suppression list { $new ->
    [yes] was added
   *[no] was already there
}, it can never be written to.
forget-scope-workspace = in the workspace “{ $workspace }”
forget-scope-global = in every workspace
error-forget-address = "{ $value }" is not an email address. Example: /forget ivan@acme.ru

retention-current = Retention: { $days } days. Events, email texts and leads older than that are deleted daily; statistics counters and the suppression list are kept.
retention-off = No retention is set: data is kept until deleted. Set it: /retention 365
retention-set = Retention: { $days } days (was: { $before }). Old data is deleted every night.
retention-set-off = Retention turned off (was: { $before }): data is no longer deleted automatically.
retention-was-off = not set
error-retention-range = Retention is { $min } to { $max } days, or off.
error-retention-value = "{ $value }" is not a number of days. Example: /retention 365 or /retention off

audit-export-ready = Audit entries: { $rows } ({ $from } to { $to }, UTC). The file is below.
audit-export-empty = No audit entries from { $from } to { $to } (UTC).
audit-col-time = Time
audit-col-workspace = Workspace
audit-col-actor = Who
audit-col-actor-name = Name
audit-col-action = Action
audit-col-subject = Subject
audit-col-data = Details
error-audit-date = The date "{ $value }" ({ $field ->
    [from] from
   *[other] to
}) must be YYYY-MM-DD, e.g. 2026-03-01.
error-audit-range = The period must start no later than it ends and be at most { $days } days long.
error-audit-too-many = More than { $limit } entries in this period: choose a shorter one.

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
