"""Compliance with Russian law (FACTS §6): sender identity, erasure on request, retention, the audit log."""
