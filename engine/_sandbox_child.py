"""The sandbox's rules, and the child process that runs BPMN scripts under them.

The rules (``compile_script``) are used both here and, for validation only, by ``engine.sandbox``
in the server process. This module imports nothing from the engine package so that the child
starts fast and carries no server state; the one sibling it shares, ``engine/data_limits.py``
(standard library only), it loads from its file. Run as ``python -m engine._sandbox_child
MEMORY_MB CPU_SECONDS``; it then speaks one JSON object per line on stdin/stdout (see
``engine.sandbox`` for the protocol).
"""

from __future__ import annotations

import ast
import builtins
import gc
import importlib.util
import json
import operator
import os
import resource
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any, Literal

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import INSPECT_ATTRIBUTES


def _sibling(name: str) -> ModuleType:
    """A module of this folder loaded from its file, for the sandbox program: run by path in
    isolated mode, it must not import the engine package (whose __init__ pulls in SQLAlchemy and
    SpiffWorkflow)."""
    spec = importlib.util.spec_from_file_location(f"sandbox_{name}", Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import would (dataclasses look their module up there)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    data_limits = _sibling("data_limits")
else:
    from engine import data_limits

Mode = Literal["eval", "exec"]

FILENAME = "<bpmn-script>"
MAX_RANGE = 1_000_000
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
# Exit status when even reporting a MemoryError failed; the parent maps it to script_memory.
EXIT_OUT_OF_MEMORY = 3

# ---------------------------------------------------------------------------------------------
# Compile-time rules
# ---------------------------------------------------------------------------------------------

_ALLOWED_NODES: frozenset[type[ast.AST]] = frozenset(
    getattr(ast, name)
    for name in [
        "Module",
        "Expression",
        "Expr",
        "Assign",
        "AugAssign",
        "If",
        "For",
        "While",
        "Delete",
        "Pass",
        "Break",
        "Continue",
        "BoolOp",
        "BinOp",
        "UnaryOp",
        "IfExp",
        "Compare",
        "Call",
        "keyword",
        "NamedExpr",
        "Dict",
        "Set",
        "List",
        "Tuple",
        "ListComp",
        "SetComp",
        "DictComp",
        "GeneratorExp",
        "comprehension",
        "JoinedStr",
        "FormattedValue",
        "Constant",
        "Attribute",
        "Subscript",
        "Slice",
        "Starred",
        "Name",
        "Load",
        "Store",
        "Del",
    ]
)
_OPERATORS = (ast.boolop, ast.operator, ast.unaryop, ast.cmpop)

_NODE_MESSAGES: dict[type[ast.AST], str] = {
    ast.Import: "không được import",
    ast.ImportFrom: "không được import",
    ast.FunctionDef: "không được định nghĩa hàm (def)",
    ast.AsyncFunctionDef: "không được định nghĩa hàm (async def)",
    ast.Lambda: "không được dùng lambda",
    ast.ClassDef: "không được định nghĩa lớp (class)",
    ast.Return: "không được dùng return",
    ast.Global: "không được dùng global",
    ast.Nonlocal: "không được dùng nonlocal",
    ast.Try: "không được dùng try/except",
    ast.With: "không được dùng with",
    ast.AsyncWith: "không được dùng async with",
    ast.AsyncFor: "không được dùng async for",
    ast.Raise: "không được dùng raise",
    ast.Assert: "không được dùng assert",
    ast.Yield: "không được dùng yield",
    ast.YieldFrom: "không được dùng yield from",
    ast.Await: "không được dùng await",
    ast.AnnAssign: "không được dùng chú thích kiểu (x: T = ...)",
    ast.Match: "không được dùng match",
    ast.TryStar: "không được dùng try/except*",
}

# Builtins that would reach outside the sandbox (or confuse it). Refused at compile time so the
# BPMN author hears about them at deploy, even though none of them is in the allowlist anyway.
# ``print``/``printed`` are refused because RestrictedPython rewrites them into a collector.
_FORBIDDEN_NAMES = frozenset(
    [
        "open",
        "eval",
        "exec",
        "compile",
        "globals",
        "locals",
        "vars",
        "getattr",
        "setattr",
        "delattr",
        "hasattr",
        "type",
        "input",
        "breakpoint",
        "help",
        "memoryview",
        "object",
        "super",
        "classmethod",
        "staticmethod",
        "property",
        "dir",
        "exit",
        "quit",
        "print",
        "printed",
    ]
)

# str.format can reach attributes through "{0.__class__}"; f-strings cannot (they are compiled).
_FORBIDDEN_ATTRIBUTES = frozenset({"format", "format_map"}) | INSPECT_ATTRIBUTES


@dataclass(frozen=True)
class Compiled:
    """A script compiled under our rules: ``code`` is None exactly when ``error`` says why."""

    code: CodeType | None
    names: frozenset[str]
    error: str | None


def _node_problem(node: ast.AST) -> str | None:
    kind = type(node)
    if kind not in _ALLOWED_NODES and not isinstance(node, _OPERATORS):
        return _NODE_MESSAGES.get(kind, f"không được dùng cú pháp {kind.__name__}")
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            return f"không được dùng tên bắt đầu bằng dấu gạch dưới: {node.id}"
        if node.id in _FORBIDDEN_NAMES:
            return f"không được dùng {node.id}"
    elif isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            return f"không được truy cập thuộc tính .{node.attr}"
        if node.attr in ("format", "format_map"):
            return f"không được dùng .{node.attr}(); hãy dùng f-string"
        if node.attr in _FORBIDDEN_ATTRIBUTES:
            return f"không được truy cập thuộc tính .{node.attr}"
    elif isinstance(node, ast.AugAssign) and not isinstance(node.target, ast.Name):
        return "phép gán kiểu += chỉ dùng được với biến; hãy viết a[k] = a[k] + ..."
    return None


def _problems(tree: ast.AST) -> list[str]:
    found: list[tuple[int, int, int, str]] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        problem = _node_problem(node)
        # Not looking inside a refused construct (an import's aliases are no news).
        if problem is None or type(node) in _ALLOWED_NODES:
            stack.extend(ast.iter_child_nodes(node))
        if problem is not None:
            line = getattr(node, "lineno", 1)
            found.append(
                (
                    line,
                    getattr(node, "col_offset", 0),
                    getattr(node, "end_col_offset", 0) or 0,
                    f"dòng {line}: {problem}",
                )
            )
    # Innermost-first on a line, so "().__class__.__bases__" names __class__ first.
    found.sort(key=lambda item: item[:3])
    unique = list(dict.fromkeys(message for *_, message in found))
    return unique[:3]


@lru_cache(maxsize=2048)
def compile_script(mode: Mode, source: str) -> Compiled:
    """Compile ``source`` under our rules; never runs it. Cached: BPMN texts repeat a lot."""
    try:
        tree = ast.parse(source, FILENAME, mode)
    except SyntaxError as exc:
        return Compiled(None, frozenset(), f"dòng {exc.lineno or 1}: lỗi cú pháp ({exc.msg})")
    except (ValueError, RecursionError, MemoryError) as exc:
        return Compiled(None, frozenset(), f"không đọc được mã lệnh ({type(exc).__name__})")
    names = frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))
    problems = _problems(tree)
    if problems:
        return Compiled(None, names, "; ".join(problems))
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(tree, FILENAME)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return Compiled(None, names, f"không biên dịch được mã lệnh ({exc})")
    if result.errors or result.code is None:
        # Our own checks should have caught everything RestrictedPython refuses.
        return Compiled(None, names, "; ".join(result.errors) or "không biên dịch được mã lệnh")
    return Compiled(result.code, names, None)


# ---------------------------------------------------------------------------------------------
# Run-time environment
# ---------------------------------------------------------------------------------------------


def _range(*args: int) -> range:
    result = range(*args)
    try:
        too_long = len(result) > MAX_RANGE
    except OverflowError:
        too_long = True
    if too_long:
        raise ValueError(f"range quá dài (tối đa {MAX_RANGE:,} phần tử)")
    return result


def _getitem(ob: Any, index: Any) -> Any:
    return ob[index]


def _write(ob: Any) -> Any:
    # Only containers the script was given or built may be changed in place.
    if type(ob) in (dict, list):
        return ob
    raise TypeError(
        f"chỉ được gán phần tử của danh sách hoặc từ điển, không phải {type(ob).__name__}"
    )


_INPLACE = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "|=": operator.ior,
    "^=": operator.ixor,
    "&=": operator.iand,
    "@=": operator.imatmul,
}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    return _INPLACE[op](x, y)


def _apply(function: Any, *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


ALLOWED_BUILTINS = [
    "abs",
    "all",
    "any",
    "bool",
    "dict",
    "divmod",
    "enumerate",
    "float",
    "int",
    "isinstance",
    "len",
    "list",
    "max",
    "min",
    "reversed",
    "round",
    "set",
    "sorted",
    "str",
    "sum",
    "tuple",
    "zip",
]

SAFE_BUILTINS: dict[str, Any] = {name: getattr(builtins, name) for name in ALLOWED_BUILTINS}
SAFE_BUILTINS.update(
    range=_range,
    # The hooks RestrictedPython's rewritten code calls; scripts cannot name them ("_" prefix).
    _getattr_=safer_getattr,
    _getitem_=_getitem,
    _getiter_=iter,
    _write_=_write,
    _inplacevar_=_inplacevar,
    _iter_unpack_sequence_=guarded_iter_unpack_sequence,
    _unpack_sequence_=guarded_unpack_sequence,
    _apply_=_apply,
)


def _encode(value: Any, name: str) -> str | Any:
    """The JSON text of variable ``name``'s value, or the ``DataProblem`` that keeps it from being
    stored (a set, NaN, an int key; nested too deep, too many keys, too large)."""
    try:
        return data_limits.encode(value, name)
    except RecursionError:  # a value json.dumps cannot walk is too deep, whatever shape_problem saw
        return data_limits.DataProblem("data_too_deep", {"path": name, "limit": data_limits.MAX_DEPTH})


def _describe(exc: BaseException) -> str:
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    if isinstance(exc, NameError) and exc.name:
        message = f"chưa có biến {exc.name}"
    else:
        message = f"{type(exc).__name__}: {exc}"
    if len(message) > 300:
        message = message[:300] + "…"
    return f"dòng {line}: {message}" if line else message


def _failure(code: str, detail: str) -> str:
    return json.dumps({"ok": False, "code": code, "detail": detail})


def _limit_failure(problem: Any) -> str:
    """A value over the data limits: the parent raises ``ScriptError(code, **params)``."""
    return json.dumps({"ok": False, "code": problem.code, "detail": "", "params": problem.params})


def handle(line: bytes) -> str:
    """Run one request line; return the response line (without newline). May raise MemoryError."""
    try:
        request = json.loads(line)
        mode: Mode = request["op"]
        source: str = request["code"]
        variables: dict[str, Any] = request["vars"]
        if mode not in ("eval", "exec"):
            raise ValueError(mode)
    except (ValueError, KeyError, TypeError, RecursionError):
        return _failure("script_failed", "yêu cầu không hợp lệ")
    compiled = compile_script(mode, source)
    if compiled.code is None:
        return _failure("script_forbidden", compiled.error or "?")
    before = {name: _encode(value, name) for name, value in variables.items()} if mode == "exec" else {}
    namespace: dict[str, Any] = {"__builtins__": SAFE_BUILTINS}
    namespace.update(variables)
    try:
        if mode == "eval":
            value = eval(compiled.code, namespace)
        else:
            exec(compiled.code, namespace)
    except MemoryError:
        raise
    except Exception as exc:  # anything the script raised is its own failure, reported as such
        return _failure("script_failed", _describe(exc))

    if mode == "eval":
        shown = source if len(source) <= 60 else source[:60] + "…"
        text = _encode(value, f"«{shown}»")
        if not isinstance(text, str):
            if text.code != "data_not_json":
                return _limit_failure(text)
            return _failure("script_bad_value", f"kết quả của «{shown}»")
        response = '{"ok":true,"value":' + text + "}"
    else:
        namespace.pop("__builtins__", None)
        parts, bad = [], []
        for name, value in namespace.items():
            text = _encode(value, name)
            if not isinstance(text, str):
                if text.code != "data_not_json":
                    return _limit_failure(text)
                bad.append(name)
            elif text != before.get(name):
                parts.append(json.dumps(name) + ":" + text)
        if bad:
            return _failure("script_bad_value", ", ".join(bad))
        deleted = [name for name in variables if name not in namespace]
        response = (
            '{"ok":true,"updates":{' + ",".join(parts) + '},"deleted":' + json.dumps(deleted) + "}"
        )
    if len(response) > MAX_RESPONSE_BYTES:
        return _failure("script_bad_value", "kết quả quá lớn")
    return response


def _renew_cpu_backstop(seconds: int) -> None:
    # RLIMIT_CPU counts the whole life of the process, so before each request move the soft limit
    # to "used so far + seconds". It only matters if the parent failed to kill us on time.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime) + 1 + seconds
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def main(argv: list[str]) -> int:
    memory_mb, cpu_seconds = int(argv[1]), int(argv[2])
    # Keep the protocol pipe private: anything else writing to fd 1 goes to /dev/null.
    out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    out.write(b'{"ready":true}\n')
    out.flush()
    while True:
        try:
            line = sys.stdin.buffer.readline()
        except MemoryError:
            return EXIT_OUT_OF_MEMORY
        if not line:
            return 0  # the parent closed the pipe (or died): nothing left to serve
        _renew_cpu_backstop(cpu_seconds)
        try:
            response: str | None = handle(line)
        except MemoryError:
            response = None
        try:
            if response is None:
                gc.collect()  # the script's namespace is gone now; give its memory back
                response = _failure("script_memory", "")
            out.write(response.encode("ascii") + b"\n")
            out.flush()
        except MemoryError:
            return EXIT_OUT_OF_MEMORY


if __name__ == "__main__":
    sys.exit(main(sys.argv))
