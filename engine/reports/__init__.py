"""Reports: totals and rates from `DailyStat` per workspace, campaign, domain and mailbox for a period, and the
daily and weekly digests built from them. `summary` is the interface other areas (charts, costs) call."""

from engine.reports.period import MAX_DAYS, Period, parse_period
from engine.reports.service import Problem, Report, Summary, report, summary

__all__ = ["MAX_DAYS", "Period", "Problem", "Report", "Summary", "parse_period", "report", "summary"]
