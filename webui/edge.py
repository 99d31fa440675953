"""The edge of a request: one unit of work, opened on first use, committed once after the view.

A response, whatever its status, commits (a refused login must keep its failure count and its
audit event); a request that raised is rolled back (``rollback``, called by the error pages).
A commit that fails (a lost race, a busy database) turns into its error page. Static files and
pages that read nothing open no transaction.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g

import engine
from engine import EngineError, ProcessEngine, UnitOfWork

ENGINE_KEY = "giaoviec.engine"


def install(app: Flask) -> None:
    pe = app.config.get("GIAOVIEC_ENGINE")
    if pe is None:
        from workflows.hooks import install as install_hooks
        from workflows.roles import role_catalog

        db = engine.make_engine(app.config.get("GIAOVIEC_DATABASE_URL"))
        pe = install_hooks(ProcessEngine(db, clock=engine.SystemClock(), roles=role_catalog()))
    app.extensions[ENGINE_KEY] = pe
    app.after_request(_commit)
    app.teardown_request(_close)


def process_engine() -> ProcessEngine:
    return current_app.extensions[ENGINE_KEY]


def work() -> UnitOfWork:
    """The request's unit of work (actor "anonymous" until a session names its person)."""
    uow = g.get("_uow")
    if uow is None:
        uow = process_engine().unit_of_work("anonymous").__enter__()
        g._uow = uow
    return uow


def act_as(username: str) -> None:
    """From now on this request's changes are audited as done by ``username``."""
    work().actor = username


def rollback(exc: BaseException) -> EngineError | None:
    """Roll the request's work back; return the engine's reading of ``exc`` if it has one (a
    database error becomes ``ConflictError`` or ``DatabaseBusy``)."""
    uow = g.pop("_uow", None)
    if uow is None:
        return exc if isinstance(exc, EngineError) else None
    try:
        uow.__exit__(type(exc), exc, exc.__traceback__)
    except EngineError as translated:
        return translated
    return exc if isinstance(exc, EngineError) else None


def _commit(response: Response) -> Response:
    uow = g.pop("_uow", None)
    if uow is None:
        return response
    try:
        uow.__exit__(None, None, None)
    except EngineError as exc:
        from webui.errors import engine_error_page

        return engine_error_page(exc)
    return response


def _close(exc: BaseException | None) -> None:
    """Whatever was left open (an error before the after-request step) is rolled back."""
    uow = g.pop("_uow", None)
    if uow is not None:
        uow.__exit__(RuntimeError, RuntimeError("request ended"), None)
