"""The monitor's forms: CSRF and a reason; the incidents chosen are checkboxes read by the view
(their number is bounded by the action layer)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from workflows.actions.monitor import MAX_REASON

MAX_DATA = 20_000  # characters of JSON; the engine bounds the values themselves


class IncidentsForm(FlaskForm):
    """Chạy lại / đóng / hủy: the reason is required to close or cancel (the action layer says so)."""

    reason = TextAreaField(_l("Lý do (bắt buộc khi đóng sự cố hoặc hủy)"), validators=[Optional(), Length(max=MAX_REASON)])
    correction = TextAreaField(_l("Dữ liệu sửa lại khi chạy lại (JSON, không bắt buộc)"), validators=[Optional(), Length(max=MAX_DATA)])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Lý do hủy"), validators=[Optional(), Length(max=MAX_REASON)])
