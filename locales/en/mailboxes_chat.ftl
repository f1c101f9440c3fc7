## Mailboxes in chat.

mailboxes-none = No mailboxes yet. Import them: /mailbox_import with a CSV file (address, password or token, provider).
mailboxes-none-filtered = No mailboxes match the filter. All mailboxes: /mailboxes
mailboxes-line-cap = { $cap } a day
mailboxes-title = Mailboxes: { $total } (page { $page } of { $pages })
error-mailboxes-filter = I did not understand the filter "{ $word }". Example: { $usage }
mailbox-status-new = new
mailbox-status-warming = warming up
mailbox-status-active = active
mailbox-status-cooldown = cooling down
mailbox-status-paused = paused
mailbox-status-disabled = disabled
mailbox-status-retired = retired
mailbox-facts = Status: { $status } · provider: { $provider } · cap: { $cap } a day (provider's limit: { $limit })
    SMTP: { $smtp } · IMAP: { $imap }
    Warming up since { $warmup }, weeks: { $weeks } · cooling down until: { $cooldown }
mailbox-today = Today: sent { $sent }, replies { $replies }, bounces { $bounces } (of them refused us: { $blocked }), warmup messages in spam { $spam }
mailbox-inbox-read = Inbox read { $when }; spam folder: "{ $folder }" (warmup mail and leads' replies are moved out of it to INBOX)
mailbox-inbox-read-no-spam = Inbox read { $when }; no spam folder found (neither by its \Junk flag nor by a known name): warmup mail that lands in spam is not seen, and mail to this mailbox measures no inbox placement for its senders
mailbox-refused-today = Refused us today: { $count } ({ $reasons })
mailbox-import-result = Import: added { $created }, updated { $updated }, rows with errors { $invalid }, failed the login test { $failed }.
mailbox-import-partial = Only the rows without problems were saved; the rows below were not. Fix them and send them again (a mailbox sent again is updated, never added twice).
mailbox-import-row = Row { $line } ({ $address }): { $result }
error-mailbox-ca-file-missing = Send the CA certificate (a PEM file) with "/mailbox_ca { $address }" as its caption, or "/mailbox_ca { $address } default" to go back to the default trust.
mailbox-ca-not-stored = Not saved: with this trust the login test of { $address } fails, so the mailbox keeps what it had.
mailbox-ca-cleared = { $address } is back to the default trust; both logins work.
mailbox-ca-stored = { $address } now trusts its own CA ({ $count } { $count ->
    [one] certificate
   *[other] certificates
}); both logins work with it.
mailbox-own-ca = TLS: trusts a CA of its own (/mailbox_ca changes it).
mailbox-check-never = Not checked yet: /mailbox_test tests the logins.
mailbox-check-unchecked = Last check ({ $when }): could not check: { $error }
mailbox-check-refused = Last check ({ $when }, failed logins in a row: { $failures }): { $error }
mailbox-check-ok = Last check ({ $when }): the logins work.
mailbox-late-read = Its inbox (still read for answers to the mail it sent before it stopped) cannot be read: last tried { $when } — { $error }; failed tries in a row: { $failures }. Next try not before { $next }, each one later than the last.
mailboxes-line-inbox-unread = 📭 inbox not read
mailbox-tested-since-disabled-ok = Login test since it was disabled ({ $when }): both logins work — /mailbox_resume { $address } puts the mailbox back to work.
mailbox-tested-since-disabled-same = Login test since it was disabled ({ $when }): the same failure it was disabled for — { $error }
mailbox-tested-since-disabled-failed = Login test since it was disabled ({ $when }) failed: { $error }
mailbox-plaintext-warning = { $address }: the login goes over the network unencrypted ({ $protocols }: TLS mode "plain"); use starttls or ssl if the server offers it.
mailbox-import-row-ref = Row { $line } ({ $address })
mailbox-test-result = Login test: { $ok } fine, { $refused } refused, { $unchecked } could not be checked.
mailbox-paused = Mailbox { $address } is paused: sending stopped, incoming mail is still read.
mailbox-resumed = Mailbox { $address } is back at work: { $status }.

cmd-mailboxes = the workspace's mailboxes (pages, filters domain= and status=)
cmd-mailbox = a mailbox's card
cmd-mailbox-import = import mailboxes from a CSV, testing each login
cmd-mailbox-test = test SMTP and IMAP login (an address or all)
cmd-mailbox-ca = trust a private server's CA for a mailbox (a PEM file), or default
cmd-mailbox-pause = pause a mailbox
cmd-mailbox-resume = put a mailbox back to work
mailbox-endpoint = { $host }:{ $port } ({ $tls })
