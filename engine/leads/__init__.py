"""Leads: CSV import (streamed), column mapping, normalization, validation, the rejection report, suppression.

Pure policy lives in `columns` (header guesses), `reader` (encoding, delimiter, format refusal), `checks`
(normalization, syntax, role accounts, disposable domains); `domains` asks DNS about each domain once;
`importer`, `suppression` and `listing` are the services over the database.
"""
