"""The import forms: the upload, and the dry run's header fields (kept while names are mapped)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from workflows.timeframes.model import MAX_YEAR, MIN_YEAR


class HeaderFields(FlaskForm):
    year = IntegerField(_l("Năm của kế hoạch"), validators=[DataRequired(), NumberRange(MIN_YEAR, MAX_YEAR)])
    number = StringField(_l("Số ký hiệu (ví dụ 637/KH-SGDĐT)"), validators=[Optional(), Length(max=100)])
    title = StringField(_l("Trích yếu (để trống: lấy từ tệp)"), validators=[Optional(), Length(max=1000)])


class UploadForm(HeaderFields):
    file = FileField(_l("Tệp phụ lục (XLSX hoặc CSV)"), validators=[FileRequired(_l("Vui lòng chọn tệp."))])


class ReviewForm(HeaderFields):
    """The dry run's form: the file travels back as it came (base64), so that nothing is kept on
    the server before the plan is saved, and every recheck reads it again with the same bounds."""

    upload = HiddenField(validators=[DataRequired()])
    filename = HiddenField(validators=[DataRequired(), Length(max=500)])
