"""Urging (đôn đốc): reminders before the deadline, overdue notices and escalation up the tree,
sent as one digest per person per day (see ``workflows.escalation.run``)."""
