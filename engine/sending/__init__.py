"""Sending: the effective caps, the planner that reserves capacity with `planned` rows, and (from the sender's
part) the outbox that claims and sends them."""
