"""Moved to cyder/staff/control.py (package cyder/staff, the simulated staff at run time): this shim
keeps the old import path working until every caller imports the new one; it is deleted at the end
of issue 13."""

from .staff.control import (
    CLOCK_PATH,
    STATS_PATH,
    StaffActivity,
    activity,
    format_time_of_day,
    parse_time_of_day,
    set_clock,
    staff_hosts,
)

__all__ = ["CLOCK_PATH", "STATS_PATH", "StaffActivity", "activity", "format_time_of_day", "parse_time_of_day",
           "set_clock", "staff_hosts"]
