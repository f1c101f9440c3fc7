"""The sending engine: every email (warmup now, campaigns next) goes out through the outbox in `outbox.py`.

`ports.py` holds the narrow interfaces the engine reaches SMTP and the Sent folder through; `sentfolder.py` is
the IMAP implementation of the latter (`engine.mail.smtp.SmtpTransport` already implements the former).
"""
