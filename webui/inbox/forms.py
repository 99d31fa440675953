"""The forms of the task page, one per kind of action; each has its own prefix so that several
can share a page without clashing ids."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import TextInput

COMMENT_CHARS = 5_000  # as the action layer's limit
TEXT_CHARS = 20_000


class ReportForm(FlaskForm):
    """Lưu dự thảo / gửi báo cáo: the three texts and the attachments."""

    ket_qua = TextAreaField(
        _l("Kết quả thực hiện"), validators=[Optional(), Length(max=TEXT_CHARS)]
    )
    kho_khan = TextAreaField(
        _l("Khó khăn, vướng mắc"), validators=[Optional(), Length(max=TEXT_CHARS)]
    )
    kien_nghi = TextAreaField(
        _l("Kiến nghị, đề xuất"), validators=[Optional(), Length(max=TEXT_CHARS)]
    )
    tep = MultipleFileField(_l("Tệp đính kèm"))


class CommentForm(FlaskForm):
    """Ý kiến kèm theo một thao tác (duyệt, ký, tiếp nhận …): không bắt buộc."""

    comment = TextAreaField(
        _l("Ý kiến (không bắt buộc)"), validators=[Optional(), Length(max=COMMENT_CHARS)]
    )


class RequiredCommentForm(FlaskForm):
    """Trả lại, góp ý: cần nội dung."""

    comment = TextAreaField(_l("Ý kiến (bắt buộc)"), validators=[DataRequired(), Length(max=COMMENT_CHARS)])


class ExtensionForm(FlaskForm):
    # A text field read as dd/mm/yyyy: a browser's date picker follows its own locale (mm/dd/yyyy
    # in an English-language browser), which a Vietnamese office would misread.
    until = DateField(_l("Gia hạn đến ngày (ngày/tháng/năm)"), format="%d/%m/%Y", widget=TextInput(),
                      validators=[InputRequired()], render_kw={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})  # fmt: skip
    comment = TextAreaField(_l("Lý do, ý kiến"), validators=[Optional(), Length(max=COMMENT_CHARS)])


class ReassignForm(FlaskForm):
    to = StringField(_l("Tên đăng nhập người nhận"), validators=[DataRequired(), Length(max=100)])


# --- the inbox list ------------------------------------------------------------------------------


class SaveFilterForm(FlaskForm):
    """Lưu bộ lọc: a name; the filters themselves travel as the inbox's own hidden parameters."""

    name = StringField(_l("Tên bộ lọc"), validators=[DataRequired(), Length(max=100)])


class DeleteFilterForm(FlaskForm):
    """Xóa một bộ lọc đã lưu: nothing but the CSRF token."""


class BulkForm(FlaskForm):
    """Thao tác hàng loạt: the rows are the checked ``task`` boxes, the action the button pressed."""
