"""SpiffWorkflow timer events that read the injected clock instead of the wall clock.

SpiffWorkflow's timer event definitions call the wall clock deep inside ``has_fired``; ours take
the step's instant from ``engine.clock.current_step_time()``. They also fire *at* the due instant
(``<=``), which is what a row with ``due_at <= now`` promised the sweeper.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from engine.clock import current_step_time


def _event_value(my_task: Any, expression: str) -> Any:
    return my_task.workflow.script_engine.evaluate(my_task, expression)


class ClockedTimeDate(TimeDateEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        value = my_task._get_internal_data("event_value")
        if value is None:
            value = _event_value(my_task, self.expression)
            TimerEventDefinition.get_datetime(
                value
            )  # fail now, not at fire time, if it is not a date
            my_task._set_internal_data(event_value=value)
        if TimerEventDefinition.get_datetime(value) <= current_step_time():
            my_task._set_internal_data(event_fired=True)
        return bool(my_task._get_internal_data("event_fired", False))


class ClockedDuration(DurationTimerEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        value = my_task._get_internal_data("event_value")
        now = current_step_time()
        if value is None:
            parsed = TimerEventDefinition.parse_iso_duration(_event_value(my_task, self.expression))
            value = (now + TimerEventDefinition.get_timedelta_from_start(parsed, now)).isoformat()
            my_task._set_internal_data(event_value=value)
        if TimerEventDefinition.get_datetime(value) <= now:
            my_task._set_internal_data(event_fired=True)
        return bool(my_task._get_internal_data("event_fired", False))


class ClockedCycle(CycleTimerEventDefinition):
    def cycle_complete(self, my_task: Any) -> bool:
        now = current_step_time()
        value = my_task._get_internal_data("event_value")
        if value is None:
            cycles, start, duration = parse_cycle(_event_value(my_task, self.expression), now)
            value = {
                "cycles": cycles,
                "next": start.isoformat(),
                "duration": duration.total_seconds(),
            }
        ready = False
        if value["cycles"] != 0:
            next_event = datetime.fromisoformat(value["next"])
            if next_event <= now:
                value["next"] = (next_event + timedelta(seconds=value["duration"])).isoformat()
                value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=value)
        return ready


def parse_cycle(expression: str, now: datetime) -> tuple[int, datetime, timedelta]:
    """``R[n]/start/duration``, ``R[n]/duration/end`` or ``R[n]/duration`` (which starts from ``now``)."""
    parts = expression.upper().replace("--", "/").strip("R").split("/")
    if len(parts) == 2 and parts[1].startswith("P"):
        cycles = int(parts[0]) if parts[0] else -1
        duration = TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(parts[1]), now
        )
        return cycles, now + duration, duration
    return TimerEventDefinition.parse_iso_recurring_interval(expression)


CLOCKED: dict[type, type] = {
    TimeDateEventDefinition: ClockedTimeDate,
    DurationTimerEventDefinition: ClockedDuration,
    CycleTimerEventDefinition: ClockedCycle,
}


def timer_due(event_definition: Any, internal_data: dict[str, Any]) -> datetime | None:
    """When a waiting timer task fires next, from the value its definition computed."""
    value = internal_data.get("event_value")
    if value is None:
        return None
    if isinstance(event_definition, CycleTimerEventDefinition):
        return datetime.fromisoformat(value["next"]) if value.get("cycles", 0) != 0 else None
    return TimerEventDefinition.get_datetime(value)


def reschedule(event_definition: Any, internal_data: dict[str, Any], due: datetime) -> None:
    """Move a waiting timer's next firing to ``due`` (what ``timer_due`` will then return)."""
    value = internal_data.get("event_value")
    if isinstance(event_definition, CycleTimerEventDefinition) and isinstance(value, dict):
        internal_data["event_value"] = {**value, "next": due.isoformat()}
    else:
        internal_data["event_value"] = due.isoformat()
