"""Monitoring and protection: metrics over rolling windows, rules with thresholds, the actions they take."""
