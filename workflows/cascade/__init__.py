"""Dispatch: a plan's tasks fanned out into one process instance per (task, unit, period)."""
