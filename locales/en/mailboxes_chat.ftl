## Mailboxes in chat.

mailboxes-none = No mailboxes yet. Import them: /mailbox_import with a CSV file (address, password or token, provider).
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
mailbox-today = Today: sent { $sent }, replies { $replies }, bounces { $bounces }, warmup messages in spam { $spam }
mailbox-last-error = Last error ({ $when }, failed logins in a row: { $failures }): { $error }
mailbox-import-result = Import: added { $created }, updated { $updated }, rows with errors { $invalid }, failed the login test { $failed }.
mailbox-import-row = Row { $line } ({ $address }): { $result }
mailbox-test-result = Login test: { $ok } fine, { $failed } with errors.
mailbox-paused = Mailbox { $address } is paused: sending stopped, incoming mail is still read.
mailbox-resumed = Mailbox { $address } is back at work: { $status }.

cmd-mailboxes = the workspace's mailboxes (pages, filters domain= and status=)
cmd-mailbox = a mailbox's card
cmd-mailbox-import = import mailboxes from a CSV, testing each login
cmd-mailbox-test = test SMTP and IMAP login (an address or all)
cmd-mailbox-pause = pause a mailbox
cmd-mailbox-resume = put a mailbox back to work
