"""Run BPMN scripts and conditions in a sandbox: restricted language, separate process, bounded
time and memory.

SpiffWorkflow's default environment runs BPMN text with plain ``eval``/``exec``, so a BPMN file
could run anything on the server. Here every script is

* compiled with RestrictedPython plus our own AST rules (no import, def, lambda, class, try,
  ``_``-names, ``.format`` ...) — in this process for validation (``Sandbox.check``), and again in
  the child before running;
* run in a persistent child process (one per thread) whose address space is capped with
  ``RLIMIT_AS`` and whose CPU time is capped with ``RLIMIT_CPU`` as a backstop; this process
  enforces the wall-clock limit and SIGKILLs the child when it is exceeded.

A text that only compares variables with literals or assigns literals (every condition and
script of the process library) is answered in this process by ``engine.trivial_scripts``, after
the same compile check: it runs no code, so it needs no child (a round trip per gateway saved).

Protocol, one JSON object per line each way (``engine/_sandbox_child.py``): the child first says
``{"ready": true}``; then for each request ``{"op": "eval"|"exec", "code": str, "vars": {...}}``
it answers ``{"ok": true, "value": ...}`` (eval), ``{"ok": true, "updates": {...}, "deleted":
[...]}`` (exec), or ``{"ok": false, "code": <ScriptError code>, "detail": str}`` (for a value
over the data limits of ``engine/data_limits.py``, the limit's code with its ``"params"``). Only
the variables a script names are sent, and values must be JSON (tuples arrive as lists); what
comes back is checked against the data limits again here, since the child runs untrusted code.

Through SpiffWorkflow, use ``PythonScriptEngine(environment=SandboxEnvironment(sandbox))``. Its
engine wraps our errors in ``WorkflowTaskException`` raised inside its ``except`` block, so the
``ScriptError`` is the wrapper's ``__context__`` (WorkflowTaskException keeps only the class name,
``error_type == "ScriptError"``); a few SpiffWorkflow paths call the environment directly and let
the ``ScriptError`` through unwrapped. ``find_script_error(exc)`` handles both.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections import ChainMap
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any, Literal

from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine import data_limits, trivial_scripts
from engine._sandbox_child import EXIT_OUT_OF_MEMORY, MAX_RESPONSE_BYTES, compile_script
from engine.errors import ScriptError

Mode = Literal["eval", "exec"]

STARTUP_TIMEOUT = 15.0  # seconds for a new child to import and say it is ready
_READ_LIMIT = MAX_RESPONSE_BYTES + 64 * 1024  # the child caps itself; this is the backstop
_PROJECT_ROOT = Path(__file__).resolve().parent.parent
_CHILD_PROGRAM = Path(__file__).resolve().with_name("_sandbox_child.py")

# Every child process alive in this process, for killing at exit and for tests to inspect.
_live: dict[int, subprocess.Popen[bytes]] = {}
_live_lock = threading.Lock()


def live_child_pids() -> list[int]:
    """Pids of the sandbox children this process has running now."""
    with _live_lock:
        return sorted(_live)


def _terminate(proc: subprocess.Popen[bytes], owner_pid: int) -> None:
    """SIGKILL and reap one child, close its pipes. Safe to call twice."""
    if os.getpid() != owner_pid:
        return  # a forked copy of the Popen: the process belongs to our parent
    with contextlib.suppress(OSError):
        proc.kill()
    proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
    with _live_lock:
        _live.pop(proc.pid, None)


def _forget_children_after_fork() -> None:
    # In a forked process the children belong to the parent: drop our copies of their pipes and
    # mark them finished so Popen.__del__ neither warns nor waits on someone else's child.
    global _live_lock
    _live_lock = threading.Lock()
    for proc in _live.values():
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        proc.returncode = 0
    _live.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_children_after_fork)


class _Child:
    """One sandbox process, used by a single thread."""

    def __init__(self, memory_mb: int, timeout: float) -> None:
        self.owner_pid = os.getpid()
        self.memory_mb = memory_mb
        self.timeout = timeout
        # The CPU limit is only a backstop for a parent that failed to kill on time.
        cpu_seconds = math.ceil(timeout) + 2
        try:
            self.proc = self._spawn(memory_mb, cpu_seconds)
        except OSError as exc:
            raise ScriptError(
                "script_failed", detail=f"không khởi động được tiến trình chạy mã lệnh ({exc})"
            ) from exc
        with _live_lock:
            _live[self.proc.pid] = self.proc
        # Kills the child when this object is dropped (thread ended), at close(), and at exit.
        self._finalizer = weakref.finalize(self, _terminate, self.proc, self.owner_pid)
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self._stdin = self.proc.stdin
        self._fd = self.proc.stdout.fileno()
        self._poller = select.poll()
        self._poller.register(self._fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        try:
            ready = self._read_line(time.monotonic() + STARTUP_TIMEOUT)
            if ready is None or json.loads(ready) != {"ready": True}:
                raise ValueError(ready)
        except (ScriptError, ValueError):
            self.kill()
            raise ScriptError(
                "script_failed", detail="không khởi động được tiến trình chạy mã lệnh"
            ) from None

    @staticmethod
    def _spawn(memory_mb: int, cpu_seconds: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                sys.executable,
                # Isolated mode, run by path: the child imports neither the engine package
                # (SQLAlchemy, SpiffWorkflow...) nor anything from the current directory.
                "-I",
                "-B",
                str(_CHILD_PROGRAM),
                str(memory_mb),
                str(cpu_seconds),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            cwd=_PROJECT_ROOT,
            env={"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"},
            # Own session: a Ctrl-C at the terminal is for the server, not for the child.
            start_new_session=True,
        )

    @property
    def usable(self) -> bool:
        return self.owner_pid == os.getpid() and self._finalizer.alive and self.proc.poll() is None

    def kill(self) -> None:
        self._finalizer()

    def request(self, payload: bytes) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        try:
            self._stdin.write(payload)
            self._stdin.flush()
        except OSError:  # broken pipe: the child is gone
            raise self._died() from None
        try:
            line = self._read_line(deadline)
        except BaseException:
            # Interrupted mid-request (e.g. KeyboardInterrupt): the child's answer would be read
            # as the answer to the next request, so this child cannot be used again.
            self.kill()
            raise
        if line is None:
            self.kill()
            raise ScriptError("script_timeout", seconds=f"{self.timeout:g}")
        try:
            response = json.loads(line)
        except (ValueError, RecursionError):  # e.g. a value nested too deeply for our decoder
            response = None
        if not isinstance(response, dict):
            raise ScriptError("script_bad_value", name="kết quả không đọc được")
        return response

    def _read_line(self, deadline: float) -> bytes | None:
        """The next line from the child, or None when the deadline passed. Raises on EOF."""
        chunks: list[bytes] = []
        size = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if not self._poller.poll(math.ceil(remaining * 1000)):
                continue
            chunk = os.read(self._fd, 1 << 20)
            if not chunk:
                raise self._died()
            chunks.append(chunk)
            size += len(chunk)
            if chunk.endswith(b"\n"):
                return b"".join(chunks)
            if size > _READ_LIMIT:
                self.kill()
                raise ScriptError("script_bad_value", name="kết quả quá lớn")

    def _died(self) -> ScriptError:
        self.kill()
        code = self.proc.returncode
        if code == -signal.SIGXCPU:
            return ScriptError("script_timeout", seconds=f"{self.timeout:g}")
        if code in (EXIT_OUT_OF_MEMORY, -signal.SIGKILL):  # SIGKILL: likely the kernel OOM killer
            return ScriptError("script_memory", megabytes=self.memory_mb)
        return ScriptError(
            "script_failed", detail=f"tiến trình chạy mã lệnh dừng bất ngờ (mã {code})"
        )


class Sandbox:
    """Runs scripts and conditions in child processes (one per thread, started on first use).

    ``timeout`` is wall-clock seconds per call; ``memory_mb`` caps the child's address space.
    After ``close()`` the sandbox still works: the next call starts a new child.
    """

    def __init__(self, *, timeout: float = 2.0, memory_mb: int = 512) -> None:
        if timeout <= 0 or memory_mb < 64:
            raise ValueError("timeout must be > 0 and memory_mb >= 64")
        self.timeout = timeout
        self.memory_mb = memory_mb
        self._local = threading.local()
        self._children: weakref.WeakSet[_Child] = weakref.WeakSet()
        self._lock = threading.Lock()

    def check(self, code: str, mode: Mode) -> str | None:
        """None if ``code`` compiles under the sandbox rules, else why not (Vietnamese). Never runs it."""
        return compile_script(mode, code).error

    def evaluate(self, expression: str, variables: Mapping[str, Any]) -> Any:
        """The value of ``expression`` given ``variables``; raises ScriptError."""
        return self._call("eval", expression, variables)["value"]

    def execute(self, script: str, variables: MutableMapping[str, Any]) -> None:
        """Run ``script``; on success apply its assignments and deletions to ``variables``.

        On any failure ``variables`` is left exactly as it was (the script ran on a copy)."""
        updates, deleted = self._run_exec(script, variables)
        for name in deleted:
            variables.pop(name, None)
        variables.update(updates)

    def close(self) -> None:
        """Kill every child this sandbox started, in every thread."""
        with self._lock:
            children = list(self._children)
        for child in children:
            child.kill()

    def _run_exec(
        self, script: str, variables: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[str]]:
        response = self._call("exec", script, variables)
        return response["updates"], response["deleted"]

    def _call(self, op: Mode, code: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        compiled = compile_script(op, code)
        if compiled.error is not None:
            raise ScriptError("script_forbidden", detail=compiled.error)
        response = _trivial(op, code, variables)
        if response is not None:  # no code to run: nothing for the child to do
            _check_values(response)
            return response
        # Only what the script names crosses the pipe: task data can be large.
        sent = {name: variables[name] for name in compiled.names if name in variables}
        payload = _encode_request(op, code, sent)
        response = self._child().request(payload)
        if response.get("ok") is True:
            _check_values(response)
            return response
        error_code = response.get("code")
        detail = str(response.get("detail", ""))
        if error_code in _LIMIT_PARAMS:
            params = response.get("params")
            params = params if isinstance(params, dict) else {}
            raise ScriptError(error_code, **{name: str(params.get(name, "?")) for name in _LIMIT_PARAMS[error_code]})
        if error_code == "script_memory":
            raise ScriptError("script_memory", megabytes=self.memory_mb)
        if error_code == "script_bad_value":
            raise ScriptError("script_bad_value", name=detail)
        if error_code == "script_forbidden":
            raise ScriptError("script_forbidden", detail=detail)
        raise ScriptError("script_failed", detail=detail)

    def _child(self) -> _Child:
        child: _Child | None = getattr(self._local, "child", None)
        if child is None or not child.usable:
            if child is not None:
                child.kill()
            child = _Child(self.memory_mb, self.timeout)
            self._local.child = child
            with self._lock:
                self._children.add(child)
        return child


# The data limits the child reports (engine/data_limits.py), with the parameters of their messages.
_LIMIT_PARAMS = {
    "data_too_deep": ("path", "limit"),
    "data_too_many_keys": ("path", "count", "limit"),
    "data_too_large": ("path", "size", "limit"),
}


def _check_values(response: dict[str, Any]) -> None:
    """What the child returned must respect the data limits too: the child runs the untrusted
    code, so this process checks again rather than trust it."""
    values = response["updates"] if "updates" in response else {"kết quả": response.get("value")}
    for name, value in values.items():
        problem = data_limits.encode(value, name)
        if isinstance(problem, str):
            continue
        if problem.code == "data_not_json":
            raise ScriptError("script_bad_value", name=problem.params["path"])
        raise ScriptError(problem.code, **problem.params)


def _trivial(op: Mode, code: str, variables: Mapping[str, Any]) -> dict[str, Any] | None:
    """The child's answer to ``code`` when it only compares, joins and assigns task data's values
    (``engine.trivial_scripts``), without a round trip; None when the child must run it."""
    plan = trivial_scripts.plan_of(op, code)
    if plan is None:
        return None
    if op == "exec":
        done, updates = trivial_scripts.execute(plan, variables)
        return {"ok": True, "updates": updates, "deleted": []} if done else None
    done, value = trivial_scripts.evaluate(plan, variables)
    return {"ok": True, "value": value} if done else None


def _encode_request(op: Mode, code: str, variables: dict[str, Any]) -> bytes:
    try:
        text = json.dumps({"op": op, "code": code, "vars": variables}, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        for name, value in variables.items():
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError, RecursionError):
                raise ScriptError("script_bad_value", name=name) from None
        raise
    return text.encode("ascii") + b"\n"


_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The process-wide Sandbox (default limits); each thread using it gets its own child."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox()
        return _default


def find_script_error(exc: BaseException | None) -> ScriptError | None:
    """The ScriptError behind ``exc`` (itself, or along its ``__cause__``/``__context__`` chain)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, ScriptError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment that runs everything through a ``Sandbox``.

    Task data (``context``) is visible to scripts; the JSON-able parts of ``external_context``
    (SpiffWorkflow passes data objects there) too, unless task data has the same name. Scripts
    change only task data; assignments to names that exist only in ``external_context`` are
    dropped, as with SpiffWorkflow's own TaskDataEnvironment.
    """

    def __init__(self, sandbox: Sandbox | None = None) -> None:
        super().__init__()
        self.sandbox = sandbox or default_sandbox()

    def evaluate(
        self,
        expression: str,
        context: Mapping[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> Any:
        extra = _extras("eval", expression, context, external_context)
        return self.sandbox.evaluate(expression, ChainMap(context, extra) if extra else context)

    def execute(
        self,
        script: str,
        context: MutableMapping[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> bool:
        extra = _extras("exec", script, context, external_context)
        updates, deleted = self.sandbox._run_exec(
            script, ChainMap(context, extra) if extra else context
        )
        for name in deleted:
            if name not in extra:
                context.pop(name, None)
        context.update({k: v for k, v in updates.items() if k not in extra})
        return True

    def call_service(self, context: Any, **kwargs: Any) -> Any:
        raise ScriptError("script_forbidden", detail="service tasks are not supported")


def _extras(
    mode: Mode,
    code: str,
    context: Mapping[str, Any],
    external: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The external-context values ``code`` names that task data does not shadow and JSON can carry."""
    if not external:
        return {}
    extra = {}
    for name in compile_script(mode, code).names:
        if name in external and name not in context:
            try:
                json.dumps(external[name], allow_nan=False)
            except (TypeError, ValueError, RecursionError):
                continue
            extra[name] = external[name]
    return extra
