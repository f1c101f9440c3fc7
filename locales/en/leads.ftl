# Leads: import, validation, suppression

cmd-leads-import = import leads from a CSV (a campaign, source=, basis=, columns like email=Mail)
cmd-leads = the workspace's leads: counts by verdict, a few examples (search by address, name or company)
cmd-suppress = never write to an address or domain again (all: in every workspace, admins only)
cmd-unsuppress = lift the suppression of an address or domain (consent: the person who unsubscribed agreed again)
arg-leads-import-options = campaign and options
arg-leads-query = search
arg-suppress-value = address or domain
arg-unsuppress-value = address or domain

leads-import-result = Rows: { $rows }. New leads: { $imported }, updated: { $updated }, repeated in the file: { $duplicates }, invalid: { $invalid }, risky: { $risky }, not checked: { $unknown }, suppressed: { $suppressed }.
leads-import-no-header = The file has no header row: its first line was read as a lead, the addresses from column { $column }.
leads-import-no-header-unread = { $count ->
    [one] { $count } other column was
   *[other] { $count } other columns were
} not imported (names, companies…): add a header row, e.g. email;Имя;Компания, and send the file again to keep them.
leads-import-title-skipped = Column headers were read from line { $line }; { $count ->
    [one] the line above it was skipped
   *[other] the { $count } lines above it were skipped
} (a title or a date, not leads).
leads-import-unnamed-column = Column { $column } has no header: its values were kept in the field "{ $name }" ({ $placeholder } in a letter). To read it as a lead field, name it by its number when importing, e.g. name=column { $column }.
leads-import-renamed-column = The header "{ $header }" appears more than once: the values of the next such column were kept in the field "{ $name }" ({ $placeholder } in a letter).
leads-import-zone-example = “{ $value }”
leads-import-zone-unknown = The time zone was not understood in { $count } { $count ->
    [one] row
   *[other] rows
} ({ $examples }): those leads are written to in the campaign's time zone. Write it as Europe/Moscow, МСК+4, UTC+3 or a city (Novosibirsk, Новосибирск) and import the file again.
leads-import-enrolled = Added to campaign "{ $campaign }": { $enrolled }.
leads-import-skipped = Not added to the campaign: { $reasons }.
leads-import-reasons = Reasons: { $reasons }.
leads-import-report = Rejected rows ({ $count }) are in the attached file.
leads-report-line = Line
leads-report-email = Email
leads-report-reason = Reason
leads-report-omitted = …and { $count } more { $count ->
    [one] row
   *[other] rows
} (the report holds the first ones)

leads-reason-empty = empty address
leads-reason-syntax = not an email address
leads-reason-local-not-latin = the part before @ is not Latin (such an address cannot be mailed)
leads-reason-duplicate = address repeated in the file (letter case and a +tag aside: the same mailbox) — the row's values were added to the empty fields of the first row with this address
leads-reason-disposable = disposable mail service
leads-reason-role = a department's shared address (info@, sales@…)
leads-reason-no-domain = the domain does not exist
leads-reason-no-mx = the domain takes no mail (no MX or A)
leads-reason-null-mx = the domain refuses mail (null MX)
leads-reason-dns-timeout = DNS did not answer in time, not checked
leads-reason-dns-error = the DNS server failed, not checked
leads-reason-dns-not-checked = DNS not checked
leads-reason-suppressed = suppressed
leads-reason-no-legal-basis = no legal basis (152-FZ)
leads-reason-hard-bounce = the address hard-bounced
leads-reason-left-company = no longer with the company (said an auto-reply): no more mail goes to this address
leads-replacement = the auto-reply names a new contact: { $address } (not added: add them yourself if you want)
leads-reason-extra-cells = more values than the header has columns (a delimiter inside a value? put that value in quotes)
leads-reason-invalid = invalid address
leads-reason-already-enrolled = already in this campaign (itself or the same mailbox under another address: with or without a +tag)
leads-reason-in-other-campaign = already in another running campaign (itself or the same mailbox under another address)
leads-reason-contacted-elsewhere = recently mailed by another client of the agency (at this same mailbox)

leads-none = No leads yet. Upload a CSV with /leads_import.
leads-none-query = Nothing found.
leads-title = Leads: { $total }
leads-counts = ✅ valid: { $valid } · ⚠️ risky: { $risky } · ❔ not checked: { $unknown } · ❌ invalid: { $invalid }
leads-suppressed = { $value } is suppressed ({ $scope }).
leads-suppressed-already = { $value } was already suppressed ({ $scope }).
leads-suppress-stopped = Active sequences stopped: { $count }.
leads-unsuppressed = { $value } is no longer suppressed ({ $scope }).
leads-unsuppressed-still = { $value } stays closed all the same: { $by ->
    [domain] its domain is suppressed in this workspace (/unsuppress the domain to open it).
    [agency-domain] its domain is on the agency-wide list (an admin lifts it, with all).
   *[agency] it is on the agency-wide list (an admin lifts it, with all).
}
leads-scope-global = in every workspace
leads-scope-workspace = in this workspace

error-leads-format = This file is { $format }, not CSV. Save the sheet as "CSV (comma or semicolon delimited)" and send it again.
error-leads-binary = This is not a text file. Send a CSV (UTF-8 or Windows-1251).
error-leads-archive-entries = The archive must hold exactly one CSV file; it holds { $count }: { $names }.
error-leads-archive-encrypted = The archive is password-protected. Pack the CSV without a password and send it again.
error-leads-archive-broken = The { $format } archive is damaged or cut short and could not be unpacked; nothing was imported. Pack the CSV again and send it.
error-leads-unpacked-too-large = Unpacked, the file is larger than { $limit_mb } MB; nothing was imported. Split it into several files.
error-leads-encoding = Line { $line } cannot be read in the file's encoding: the file seems to mix UTF-8 and Windows-1251. Save it in one encoding.
error-leads-csv = Line { $line }: the CSV is broken ({ $detail }).
error-leads-columns = Line { $line }: { $count } { $count ->
    [one] column
   *[other] columns
}, at most { $limit } allowed.
error-leads-field-long = Line { $line }: a cell is longer than { $limit } { $limit ->
    [one] character
   *[other] characters
}; a quote is probably not closed.
error-leads-control = Line { $line }: a cell holds a control character (NUL, ESC or the like): the file is damaged or not text. Nothing was imported. Remove the character and send the file again.
error-leads-unclosed-quote = Line { $line }: a quote opens and is never closed, so the rest of the file would become one cell. Close the quote (or remove it) and send the file again.
error-leads-empty = The file is empty.
error-leads-no-rows = The file has only its header row ({ $headers }) and no leads. Add rows with addresses under it and send it again.
error-leads-no-email = The file has no email column. Headers found: { $headers }. Name the column, e.g. email=Mail.
error-leads-no-header = The file has no column "{ $header }". Headers found: { $headers }. A column without a header is named by its number, e.g. name=column 2.
error-leads-unknown-field = A lead has no field "{ $field }". You can set: { $fields }.
error-leads-no-basis = No legal basis given (152-FZ, 38-FZ): add a "legal basis" column or basis=…, e.g. basis="consent form 12". Bases: { $choices }.
error-leads-option = Unknown option "{ $word }". Use source=…, basis=…, and columns: { $fields }.
error-leads-campaign-not-found = There is no campaign "{ $name }" in this workspace. List: /campaigns
error-leads-enroll-closed = Campaign "{ $name }" is completed or archived ({ $status }): no leads can be added.
error-leads-query-long = The search is too long: at most { $limit } { $limit ->
    [one] character
   *[other] characters
}.
error-leads-suppress-value = "{ $value }" is neither an address nor a domain.
error-leads-suppress-wildcard = "{ $value }": wildcards are not supported. A domain closes the addresses on that domain only: /suppress { $domain }; a subdomain is closed on its own, e.g. /suppress mail.{ $domain }
error-leads-suppress-list = Nothing was suppressed: { $count ->
    [one] one value of the list is neither an address nor a domain
   *[other] { $count } values of the list are neither addresses nor domains
}. Correct them and send the list again:
{ $problems }
error-leads-suppress-too-many = Too many addresses and domains for one command: { $count }, at most { $max }. Split the list.
error-leads-suppression-not-found = { $value } is not suppressed.
error-leads-suppression-mailbox = { $value } has no entry of its own: its mailbox { $mailbox } is suppressed, which closes every +tag address of it (an unsubscribe closes the whole mailbox). Lift that one: /unsuppress { $mailbox }
error-leads-unsuppress-opt-out = { $value } { $reason ->
    [complaint] marked our mail as spam
   *[other] unsubscribed
} on { $day } (UTC): only the person can undo that (38-FZ art. 18). If they have agreed to receive mail again, say so: /unsuppress { $value } consent
