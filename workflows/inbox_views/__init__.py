"""Inbox views a person keeps: saved filters (a name and the inbox's query), one list per person."""
