"""Every failure becomes a page a person can act on, and the request's work is rolled back."""

from __future__ import annotations

import secrets

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from engine import ConflictError, DatabaseBusy, EngineError, Forbidden, NotFound
from webui.edge import rollback
from webui.i18n import language


def install(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(EngineError, _engine)
    app.register_error_handler(Exception, _unexpected)


def page(status: int, title: str, message: str, *, reference: str | None = None) -> Response:
    html = render_template("errors/error.html", status=status, title=title, message=message, reference=reference)
    return Response(html, status=status, mimetype="text/html")


def _texts(status: int) -> tuple[str, str]:
    return {
        400: (_("Yêu cầu không hợp lệ"), _("Trang nhận được dữ liệu không hợp lệ. Vui lòng quay lại và thử lại.")),
        403: (_("Không có quyền truy cập"), _("Bạn không có quyền xem trang này hoặc thực hiện thao tác này.")),
        404: (_("Không tìm thấy trang"), _("Trang bạn tìm không tồn tại hoặc đã được chuyển đi.")),
        405: (_("Thao tác không được hỗ trợ"), _("Trang này không nhận cách gửi yêu cầu đó.")),
        409: (_("Dữ liệu vừa thay đổi"), _("Người khác vừa thay đổi dữ liệu này. Vui lòng tải lại trang rồi thử lại.")),
        413: (_("Tệp hoặc dữ liệu quá lớn"), _("Dữ liệu gửi lên vượt quá giới hạn cho phép.")),
        429: (_("Quá nhiều yêu cầu"), _("Vui lòng chờ một lát rồi thử lại.")),
        503: (_("Hệ thống đang bận"), _("Hệ thống đang bận. Vui lòng thử lại sau ít phút.")),
    }.get(status, (_("Đã xảy ra lỗi"), _("Hệ thống gặp sự cố ngoài dự kiến. Vui lòng thử lại sau.")))


def _csrf(exc: CSRFError) -> Response:
    rollback(exc)
    return page(400, _("Biểu mẫu đã hết hạn"),
                _("Biểu mẫu không còn hợp lệ (có thể trang đã mở quá lâu). Vui lòng tải lại trang rồi gửi lại."))  # fmt: skip


def _http(exc: HTTPException) -> Response:
    rollback(exc)
    status = exc.code or 500
    response = page(status, *_texts(status))
    allowed = getattr(exc, "valid_methods", None)
    if allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


def _engine(exc: EngineError) -> Response:
    return engine_error_page(rollback(exc) or exc)


def engine_error_page(exc: EngineError) -> Response:
    """The page for an error the engine or the domain raised on purpose, with its own words."""
    status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, Forbidden) else \
        503 if isinstance(exc, DatabaseBusy) else 409 if isinstance(exc, ConflictError) else 400  # fmt: skip
    return page(status, _texts(status)[0], exc.message(language()))


def _unexpected(exc: Exception) -> Response:
    meaning = rollback(exc)
    if meaning is not None:
        return engine_error_page(meaning)
    reference = secrets.token_hex(4)
    current_app.logger.exception("unexpected failure %s on %s %s", reference, request.method, request.path)
    return page(500, *_texts(500), reference=reference)
