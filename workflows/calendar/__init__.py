"""The business calendar: Vietnamese public holidays, make-up days and working-day arithmetic."""

from workflows.calendar.business import BusinessCalendar, national_calendar

__all__ = ["BusinessCalendar", "national_calendar"]
