"""Mail I/O: provider presets, message building, the SMTP transport (and IMAP sync beside them)."""
