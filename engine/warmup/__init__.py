"""Warmup: mailboxes of one agency writing to each other for weeks, so that providers learn to trust them.

`settings` holds the knobs a workspace may turn (with safe bounds); the ramp, pairing, content, marker,
placement and graduation live in modules of their own.
"""
