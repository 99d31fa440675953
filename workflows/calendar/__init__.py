"""The business calendar: Vietnamese public holidays, make-up days and working-day arithmetic."""

from workflows.calendar.business import BusinessCalendar

__all__ = ["BusinessCalendar"]
