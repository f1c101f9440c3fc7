"""The sending engine: every email (warmup now, campaigns next) is reserved as a `planned` row by the planner
(`planner.py`, inside the caps of `caps.py`) and goes out through the outbox (`outbox.py`), which claims, re-checks
and sends it. `ports.py` holds the narrow interfaces the engine reaches SMTP and the Sent folder through;
`sentfolder.py` is the IMAP implementation of the latter (`engine.mail.smtp.SmtpTransport` implements the former).
"""
