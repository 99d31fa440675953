"""The engine's exceptions. Each carries a message code so callers can render it in any language."""

from __future__ import annotations

from typing import Any

from engine.messages import DEFAULT_LANGUAGE, Problem, render


class EngineError(Exception):
    """Base of every error the engine raises on purpose; ``str()`` is the Vietnamese message."""

    code = "bad_data"

    def __init__(self, message_code: str | None = None, /, **params: Any) -> None:
        self.code = message_code or self.code
        self.params = params
        super().__init__(render(self.code, DEFAULT_LANGUAGE, **params))

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return render(self.code, lang, **self.params)


class NotFound(EngineError):
    """A definition, instance, task or incident that does not exist."""


class InvalidState(EngineError):
    """The command does not apply to the object in its present state (e.g. a task completed twice)."""


class Forbidden(EngineError):
    """The actor may not do this (role, unit, or delegation period)."""


class ConflictError(EngineError):
    """Another step changed the instance first; nothing of this step was applied."""

    code = "conflict"


class DatabaseBusy(ConflictError):
    """SQLite could not get its write lock in time; nothing was applied."""

    code = "database_busy"


class BadData(EngineError):
    """The caller's data is unusable (not JSON, wrong shape)."""

    code = "bad_data"


class ScriptError(EngineError):
    """A BPMN script or condition was refused, timed out, ran out of memory or raised."""

    code = "script_failed"


class StepFailed(EngineError):
    """A step failed inside the process; the instance stays at its last wait state with an incident.

    ``command`` says how to run the step again (``engine.commands.retry_incident``);
    ``new_instance`` is an instance that did not exist before the step (a start whose first
    steps failed): it is kept at its initial state so that the start is not lost.
    """

    code = "step_failed"

    def __init__(
        self,
        *,
        instance_id: Any,
        element_id: str | None,
        error_code: str,
        detail: str,
        command: dict[str, Any],
        new_instance: Any = None,
    ) -> None:
        self.instance_id = instance_id
        self.element_id = element_id
        self.error_code = error_code
        self.detail = detail
        self.command = command
        self.new_instance = new_instance
        super().__init__(element=element_id or "?", detail=detail, incident="?")


class DeployError(EngineError):
    """The BPMN was refused; ``problems`` lists every reason, each naming its element."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.code = problems[0].code if problems else "bad_data"
        self.params = problems[0].params if problems else {"detail": "?"}
        Exception.__init__(self, "; ".join(p.message() for p in problems))

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return "; ".join(p.message(lang) for p in self.problems)
