
# smtp
mail-text = { $text ->
        [implicit-tls-expected] the port expects implicit TLS (SSL)
        [no-xoauth2] the server offers no token login (XOAUTH2)
        [no-password-auth] the server offers no password login (PLAIN or LOGIN)
       *[other] { $text }
    }
smtp-accepted = The server accepted the message.
smtp-login-ok = SMTP login works.
smtp-transient = Temporary server error ({ $code } { $enhanced }): { mail-text }. Will retry in { $minutes } min.
smtp-greylisted = Greylisted by the server; will retry in { $minutes } min.
smtp-mailbox-full = The recipient's mailbox is full; will retry in { $minutes } min.
smtp-server-closing = The server closed the session ({ $code } { $enhanced }): { mail-text }. Will retry in { $minutes } min.
smtp-timeout = The server did not answer in time ({ $phase }); will retry in { $minutes } min.
smtp-disconnected = The server dropped the connection ({ $phase }); will retry in { $minutes } min.
smtp-recipient-rejected = The recipient address does not exist or refuses mail ({ $code } { $enhanced }): { mail-text }. The address is suppressed.
smtp-sender-rejected = The server refuses this mailbox as sender ({ $code } { $enhanced }): { mail-text }. Check the mailbox address and login.
smtp-policy-rejected = The server refused the recipient by policy ({ $code } { $enhanced }): { mail-text }.
smtp-message-rejected = The server refused the message ({ $code } { $enhanced }): { mail-text }.
smtp-message-too-large = The message is too large for the server ({ $code } { $enhanced }).
smtp-auth-failed = Wrong login or password ({ $code } { $enhanced }): { mail-text }. The mailbox needs new credentials.
smtp-auth-app-password = The provider requires an app password for external programs: create one in the mailbox settings and import it.
smtp-auth-no-access = The provider does not allow this mailbox to send over SMTP: enable mail programs (SMTP/IMAP) in its settings.
smtp-auth-temporary = Temporary authentication error ({ $code } { $enhanced }); will retry in { $minutes } min.
smtp-auth-unavailable = The server offers no login method we can use: { mail-text }.
smtp-throttled = The provider is limiting this mailbox ({ $code } { $enhanced }): { mail-text }. Paused for { $minutes } min.
smtp-spam-rejected = The provider rejected the mail as spam ({ $code } { $enhanced }): { mail-text }. Mailbox paused for { $minutes } min.
smtp-connect-refused = Could not connect to { $host }:{ $port }: connection refused (wrong host or port, or the server is down).
smtp-connect-timeout = Could not connect to { $host }:{ $port }: no answer in time (wrong host or port, or a firewall).
smtp-connect-failed = Could not connect to { $host }:{ $port }: { mail-text }.
smtp-host-unknown = The SMTP host name { $host } does not resolve.
smtp-host-refused = Not connecting to the SMTP server: { mail-text } is not a mail port or not a public address (settings MAIL_ALLOWED_PORTS, MAIL_ALLOW_PRIVATE_HOSTS).
smtp-no-greeting = { $host }:{ $port } accepted the connection but never greeted; the port may expect implicit TLS (SSL, usually 465).
smtp-not-smtp = What answers at { $host }:{ $port } is not an SMTP server (it said: “{ mail-text }”): check the port — SMTP is usually 587 (STARTTLS) or 465 (SSL).
smtp-greeting-rejected = The server refused the session at once ({ $code } { $enhanced }): { mail-text }.
smtp-protocol-error = The SMTP server answered unexpectedly ({ $phase }): { mail-text }.
smtp-starttls-unsupported = { $host }:{ $port } does not offer STARTTLS: choose implicit TLS (SSL, usually port 465), or another port.
smtp-tls-mismatch = Port { $port } of { $host } does not speak TLS in the mode given ({ mail-text }): implicit TLS (SSL) is usually port 465, STARTTLS 587.
smtp-tls-required = The server requires an encrypted connection: choose STARTTLS or implicit TLS (SSL).
smtp-tls-certificate = The server's certificate is not trusted: { mail-text }. Set a CA for the mailbox or check the host name.
smtp-tls-failed = The TLS handshake with { $host }:{ $port } failed: { mail-text }.
error-mail-host-private = { $host } resolves to { $ip }, a local or private network address; an admin can allow such mail servers with the setting { $setting }.
error-mail-port-not-allowed = Port { $port } ({ $host }) is not a mail port; allowed: { $allowed }. An admin can allow other ports with the setting { $setting }.
mail-certificate-untrusted = the server's certificate is not trusted (issuer { $issuer }, host { $host }; { $reason }; the certificate is for: { $names }): set a CA or check the host name. A CA can be given in a "ca" column of the import file, with /mailbox_ca, or by the admin for every mailbox (MAIL_CA_FILE).
smtp-dropped-during-data = The connection broke while the message was being sent; it may or may not have been delivered. It will not be resent automatically.
smtp-timeout-during-data = The server did not confirm the message in time; it may or may not have been delivered. It will not be resent automatically.
message-address-invalid = Not a valid email address: { $address }
message-address-local-not-latin = In { $address } the part before @ must be Latin (a–z, digits, . _ -): addresses with non-Latin letters before @ need SMTPUTF8, which our mail servers do not send.
message-id-invalid = Not a valid Message-ID: { $message_id }
message-unsubscribe-url-invalid = The unsubscribe link must be an https:// URL without spaces: { $url }
provider-endpoints-missing = Give both the SMTP and the IMAP server for provider { $provider }.
provider-oauth-token-failed = Could not get a Yandex 360 access token (status { $status }): check the service application's ID and secret.

# imap and onboarding
mail-detail = { $detail ->
        [connection-refused] connection refused (wrong host or port, or the server is down)
        [host-unknown] the host name does not resolve
        [no-answer] no answer in time
        [no-greeting] the server never greeted
        [capability-unanswered] the server greeted, then fell silent
        [closed-before-greeting] the connection closed before the greeting
        [starttls-not-offered] the server does not offer STARTTLS
        [starttls-refused] the server refused STARTTLS
        [no-sasl-ir] the server cannot take such a password in one step: use a password in Latin letters
        [no-uidvalidity] the server gave no folder version (UIDVALIDITY)
       *[other] { $detail }
    }
imap-login-ok = IMAP login works.
error-imap-auth = The IMAP server refused the login: { mail-detail }. Check the password (or app password) and that mail programs (IMAP) are enabled for the mailbox.
error-imap-connect = Could not connect to the IMAP server { $host }:{ $port }: { mail-detail }.
error-imap-tls = The TLS handshake with the IMAP server { $host }:{ $port } failed: { mail-detail }.
error-imap-no-starttls = The IMAP server { $host }:{ $port } does not offer STARTTLS on this port: choose SSL (usually port 993), or another port.
error-imap-certificate = The IMAP server's certificate is not trusted ({ mail-detail }): set a CA or check the host name.
error-imap-no-tls = Port { $port } of { $host } does not speak TLS directly ({ mail-detail }): choose STARTTLS for it, or implicit TLS (SSL) on port 993.
error-imap-no-greeting = The IMAP server { $host }:{ $port } accepted the connection but said nothing ({ mail-detail }); the port probably expects implicit TLS (SSL, usually 993).
error-imap-timeout = The IMAP server did not answer in time ({ mail-detail }).
error-imap-dropped = The IMAP server closed the connection: { mail-detail }.
error-imap-unavailable = The IMAP server is temporarily unavailable: { mail-detail }.
error-imap-refused = Not connecting to the IMAP server: { mail-detail } is not a mail port or not a public address (settings MAIL_ALLOWED_PORTS, MAIL_ALLOW_PRIVATE_HOSTS).
error-imap-folder = An IMAP folder could not be opened: { mail-detail }.
error-imap-protocol = The IMAP server answered unexpectedly: { mail-detail }.
error-imap-secret = The stored password of this mailbox does not open with this process's encryption keys (ENCRYPTION_KEYS), so no login was tried. Restart Mailfleet with the current key list (the newest key first, then the old ones), or import the password again.
error-imap-charset = The IMAP server cannot take a password with non-Latin characters: it offers no AUTH=PLAIN login, and the LOGIN command takes Latin characters only. The password was not sent. Give the mailbox a password in Latin characters (or an app password).
error-imap-internal = The mailbox could not be read because of an internal Mailfleet error; it has been logged, reference for support: { $detail }.
error-imap-not-imap = What answers at { $host }:{ $port } is not an IMAP server (it said: “{ mail-detail }”): check the port — IMAP is usually 993 (SSL) or 143.
inbox-synced = Mail checked.
inbox-skipped = Mail not checked: the mailbox is { $detail }.
inbox-busy = Mail is being checked by another worker right now; nothing was done twice.
error-inbox-mailbox-not-found = No such mailbox, or it is not one of yours.
error-mailbox-secret = The stored password of this mailbox cannot be decrypted with the current keys: import it again.
error-mailbox-not-found = There is no mailbox { $address } in this workspace.
error-mailbox-status-unknown = Unknown mailbox status "{ $status }": new, warming, active, cooldown, paused, disabled or retired.
error-mailbox-not-paused = { $address } is { $status }: only a paused or disabled mailbox can be resumed.
mailbox-import-created = Added.
mailbox-import-updated = Updated.
error-import-empty = The file is empty.
error-import-no-header = The first line must name the columns: at least "address" and "password" (or "token"); optional: provider, smtp_host, smtp_port, smtp_tls, imap_host, imap_port, imap_tls, display_name, username, ca. The first line of this file: { $headers }.
error-import-header-is-row = The first line is a mailbox ({ $address }), not the names of the columns. Add a header line above it, e.g. address;password;smtp_host;imap_host, and send the file again.
error-import-no-rows = The file has only its header row ({ $headers }) and no mailboxes. Add a row per mailbox under it and send it again.
error-import-too-many-rows = Too many rows: at most { $limit } mailboxes per file.
error-import-row-malformed = The row has more cells than the header has columns (a stray separator?).
error-import-csv-broken = The file cannot be read as CSV from line { $line } on (an unclosed quote?).
error-import-unclosed-quote = Line { $line }: a quote opens and is never closed, so the rest of the file would become one cell. Close the quote (or remove it) and send the file again.
error-import-control-char = The column "{ $column }" holds a control character ({ $char }): remove it and send the file again.
error-import-line-break = The column "{ $column }" has a line break inside a quoted cell, which that column cannot hold. Remove the line break and send the file again.
error-import-duplicate = This address already appears on line { $first }.
error-import-field-missing = The "{ $column }" cell is empty: the mailbox address is missing.
error-import-address-invalid = "{ $value }" is not an email address.
error-import-address-not-latin = In "{ $value }" the part before @ must be Latin (a–z, digits, . _ -); the domain may be Cyrillic.
error-import-secret-missing = Neither a password nor a token is given.
error-import-secret-ambiguous = Give either a password or a token, not both.
error-import-provider-unknown = Unknown provider "{ $value }": yandex360, mailru or generic.
error-import-provider-missing = Give a provider (yandex360, mailru, generic) or the SMTP and IMAP hosts.
error-import-hosts-missing = Provider { $provider } needs both smtp_host and imap_host.
error-import-auth-unsupported = Provider { $provider } does not accept this kind of credential (a token instead of a password?).
error-import-tls-invalid = Unknown TLS mode "{ $value }": ssl, starttls or plain.
error-import-port-invalid = "{ $value }" is not a port number (1–65535).
error-import-host-invalid = "{ $value }" is not a host name.
error-import-domain-foreign = The domain { $domain } does not belong to this workspace: add the domain first.
error-import-mailbox-foreign = This address belongs to another workspace.
error-import-login-failed = The server refused the login; the mailbox was not saved.
error-import-login-unchecked = The login could not be checked (see why below); the mailbox was not saved.
error-import-concurrent = Another import added some of these mailboxes at the same moment; nothing was saved. Send the file again.

# bounce reasons (classifier)
bounce-reason-user-unknown = no such recipient
bounce-reason-mailbox-disabled = mailbox disabled or suspended
bounce-reason-host-unknown = the recipient's domain does not exist or accepts no mail
bounce-reason-mailbox-full = mailbox full
bounce-reason-expired = delivery time expired
bounce-reason-message-too-large = message too large
bounce-reason-system-error = the recipient's server failed
bounce-reason-network-error = network error
bounce-reason-blocked = our IP or domain is blocked (blocklist, reputation)
bounce-reason-spam-detected = the message was judged spam
bounce-reason-policy = refused by the recipient server's rules
bounce-reason-auth-failure = SPF, DKIM, DMARC or PTR check failed
bounce-reason-rate-limited = sending rate limit exceeded
bounce-reason-greylisted = temporarily deferred (greylisting)
bounce-reason-undefined = no reason given
bounce-class-hard = address is gone
bounce-class-soft = temporary failure
bounce-class-block = the receiver refused us

error-ca-too-many = Too many certificates: at most { $limit } in one CA file.
error-ca-invalid = This is not a CA certificate in PEM form (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----).
error-ca-private-key = This file contains a private key: never send it. Send only the CA certificate (-----BEGIN CERTIFICATE-----).
error-ca-too-large = The CA file is too large: at most { $limit_kb } KB (a CA certificate is 1–2 KB).
alert-inbox-unreachable = The inbox of { $mailbox } { $read ->
        [never] has never been read (mailbox added { $since })
       *[other] has not been read since { $since }
    }: its IMAP server keeps failing ({ mail-detail }). Replies, bounces and unsubscribe requests to this mailbox go unnoticed, so its campaign emails are held until its inbox is read again (warmup goes on). Check the mailbox's IMAP settings and the server.
alert-inbox-unreadable-disabled = { $mailbox } is disabled, but its inbox is still read for the answers to the mail it sent before (replies, bounces, unsubscribe requests) until { $until }, and its IMAP server cannot be reached ({ mail-detail }); failed tries in a row: { $failures }. Next try not before { $next }, then less and less often. Check the mailbox's IMAP settings and the server, or retire the mailbox.

# failures in a few words: what a mailbox card, the list and the alerts name (`engine.mail.problem_key`)
mail-problem-other = a mail server failure
mail-problem-smtp-auth-app-password = SMTP: an app password is required
mail-problem-smtp-auth-failed = SMTP: wrong login or password
mail-problem-smtp-auth-no-access = SMTP: mail programs are disabled for the mailbox
mail-problem-smtp-auth-temporary = SMTP: temporary login error
mail-problem-smtp-auth-unavailable = SMTP: no login method we can use
mail-problem-smtp-connect-failed = SMTP: could not connect
mail-problem-smtp-connect-refused = SMTP: connection refused (wrong host or port, or the server is down)
mail-problem-smtp-connect-timeout = SMTP: the server does not answer (wrong host or port, or a firewall)
mail-problem-smtp-disconnected = SMTP: the server dropped the connection
mail-problem-smtp-dropped-during-data = SMTP: the connection broke while sending
mail-problem-smtp-greeting-rejected = SMTP: the server refused the session at once
mail-problem-smtp-greylisted = SMTP: greylisted, retried later
mail-problem-smtp-host-refused = SMTP: the server is not allowed by the settings (not a mail port or not a public address)
mail-problem-smtp-host-unknown = SMTP: the host name does not resolve
mail-problem-smtp-mailbox-full = the recipient's mailbox is full
mail-problem-smtp-message-rejected = SMTP: the server refused the message
mail-problem-smtp-message-too-large = SMTP: the message is too large
mail-problem-smtp-no-greeting = SMTP: the server never greeted (does the port expect SSL?)
mail-problem-smtp-not-smtp = not an SMTP server on this port
mail-problem-smtp-policy-rejected = SMTP: refused by the server's policy
mail-problem-smtp-protocol-error = SMTP: an unexpected answer from the server
mail-problem-smtp-recipient-rejected = the recipient address does not exist
mail-problem-smtp-sender-rejected = SMTP: the server refuses the mailbox as sender
mail-problem-smtp-server-closing = SMTP: the server closed the session
mail-problem-smtp-spam-rejected = SMTP: the message was refused as spam
mail-problem-smtp-starttls-unsupported = SMTP: the server does not offer STARTTLS
mail-problem-smtp-throttled = SMTP: the provider is limiting sending
mail-problem-smtp-timeout = SMTP: the server did not answer in time
mail-problem-smtp-timeout-during-data = SMTP: the server did not confirm the message in time
mail-problem-smtp-tls-certificate = SMTP: the server's certificate is not trusted
mail-problem-smtp-tls-failed = SMTP: the TLS handshake failed
mail-problem-smtp-tls-mismatch = SMTP: the TLS mode does not fit the port
mail-problem-smtp-tls-required = SMTP: the server requires encryption
mail-problem-smtp-transient = SMTP: a temporary server error
mail-problem-imap-auth = IMAP: the server refused the login
mail-problem-imap-connect = IMAP: could not connect
mail-problem-imap-tls = IMAP: the TLS handshake failed
mail-problem-imap-no-tls = IMAP: the port does not speak TLS directly
mail-problem-imap-certificate = IMAP: the server's certificate is not trusted
mail-problem-imap-no-greeting = IMAP: the server says nothing (does the port expect SSL?)
mail-problem-imap-timeout = IMAP: the server did not answer in time
mail-problem-imap-dropped = IMAP: the server closed the connection
mail-problem-imap-unavailable = IMAP: the server is temporarily unavailable
mail-problem-imap-refused = IMAP: the server is not allowed by the settings (not a mail port or not a public address)
mail-problem-imap-folder = IMAP: a folder cannot be opened
mail-problem-imap-protocol = IMAP: an unexpected answer from the server
mail-problem-imap-not-imap = not an IMAP server on this port
mail-problem-imap-no-starttls = IMAP: the server does not offer STARTTLS
mail-problem-imap-secret = IMAP: the stored password does not open with this process's keys (ENCRYPTION_KEYS)
mail-problem-imap-charset = IMAP: the server cannot take a password with non-Latin characters
mail-problem-imap-internal = IMAP: an internal error while reading the mailbox
mail-problem-mail-port-not-allowed = not one of the allowed mail ports (setting MAIL_ALLOWED_PORTS)
mail-problem-mail-host-private = the server is on a local or private network (setting MAIL_ALLOW_PRIVATE_HOSTS)
mail-problem-mail-certificate-untrusted = the server's certificate is not trusted
mail-problem-mailbox-secret = the stored password cannot be decrypted
mail-problem-sent-folder-missing = the mailbox has no Sent folder
mail-problem-recovery-no-account = the mailbox is gone or its password cannot be decrypted
mail-problem-not-found = the folder was searched: they are not there
mail-provider-yandex360 = Yandex 360
mail-provider-mailru = Mail.ru
mail-provider-generic = own server
tls-implicit = SSL/TLS
tls-starttls = STARTTLS
tls-plain = no encryption
