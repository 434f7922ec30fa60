"""The statistics report for ministers and summits (`bigfish report`), and the statistics the web
overview shares with it, all computed through the sharing policy."""

from __future__ import annotations

from bigfish.reporting.document import ReportResult, render_html, write_report
from bigfish.reporting.period import ALL_TIME, Period, parse_period
from bigfish.reporting.stats import Flow, Statistics, Tally, compute_statistics

__all__ = [
    "ALL_TIME",
    "Flow",
    "Period",
    "ReportResult",
    "Statistics",
    "Tally",
    "compute_statistics",
    "parse_period",
    "render_html",
    "write_report",
]
