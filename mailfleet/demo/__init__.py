"""`mailfleet demo`: the whole product on a simulated clock and a simulated outside world (see `run`)."""
