"""The admin forms (Flask-WTF: CSRF on each). Several share a page, so each has its prefix."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from workflows.org.kinds import LABELS as KIND_LABELS
from workflows.org.kinds import UnitKind
from workflows.roles import ROLE_NAMES

EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Địa chỉ thư điện tử không hợp lệ."))
DAY = Regexp(r"^\s*\d{1,2}/\d{1,2}/\d{4}\s*$", message=_l("Ngày phải có dạng ngày/tháng/năm, ví dụ 02/03/2026."))


class RoleChoices(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def options(pairs: list[tuple[str, Any]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def role_choices() -> list[SelectChoice]:
    return options([(code, names[0]) for code, names in ROLE_NAMES.items()])


class UnitForm(FlaskForm):
    code = StringField(_l("Mã đơn vị"), validators=[DataRequired(), Length(max=100)])
    name = StringField(_l("Tên đơn vị"), validators=[DataRequired(), Length(max=300)])
    short_name = StringField(_l("Tên viết tắt"), validators=[Optional(), Length(max=120)])
    kind = SelectField(_l("Loại đơn vị"), choices=options([(k.value, KIND_LABELS[k]) for k in UnitKind if k not in (UnitKind.DEPARTMENT, UnitKind.EXTERNAL)]))
    email = StringField(_l("Thư điện tử của đơn vị"), validators=[Optional(), EMAIL, Length(max=320)])


class AliasForm(FlaskForm):
    names = TextAreaField(_l("Tên gọi khác (mỗi dòng một tên)"), validators=[DataRequired(), Length(max=5000)])


class ExternalForm(FlaskForm):
    name = StringField(_l("Tên cơ quan ngoài ngành"), validators=[DataRequired(), Length(max=300)])


class UserForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(), Length(max=100)])
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("Thư điện tử"), validators=[Optional(), EMAIL, Length(max=320)])
    unit_code = StringField(_l("Mã đơn vị"), validators=[DataRequired(), Length(max=100)])
    roles = RoleChoices(_l("Vai trò"), choices=role_choices(), validators=[Optional()])
    password = PasswordField(_l("Mật khẩu ban đầu (để trống: đặt sau)"), validators=[Optional(), Length(max=256)])


class RolesForm(FlaskForm):
    roles = RoleChoices(_l("Vai trò"), choices=role_choices(), validators=[Optional()])


class PasswordForm(FlaskForm):
    password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"), validators=[DataRequired(), EqualTo("password", message=_l("Hai lần nhập mật khẩu không khớp."))])


class DelegationForm(FlaskForm):
    giver = StringField(_l("Lãnh đạo ủy quyền (tên đăng nhập)"), validators=[DataRequired(), Length(max=100)])
    receiver = StringField(_l("Người được ủy quyền (tên đăng nhập)"), validators=[DataRequired(), Length(max=100)])
    starts_on = StringField(_l("Từ ngày (dd/mm/yyyy)"), validators=[DataRequired(), DAY])
    ends_on = StringField(_l("Đến ngày (dd/mm/yyyy)"), validators=[DataRequired(), DAY])
    reason = StringField(_l("Căn cứ (số quyết định, lý do)"), validators=[Optional(), Length(max=1000)])


class DayForm(FlaskForm):
    day = StringField(_l("Ngày (dd/mm/yyyy)"), validators=[DataRequired(), DAY])
    kind = SelectField(_l("Loại ngày"), choices=options([("day_off", _l("Ngày nghỉ")), ("makeup", _l("Ngày làm bù"))]))
    note = StringField(_l("Căn cứ, ghi chú"), validators=[Optional(), Length(max=300)])


INHERIT = ""
YES_NO = [(INHERIT, _l("Theo mặc định")), ("1", _l("Có")), ("0", _l("Không"))]
WEEKDAYS = [(INHERIT, _l("Theo mặc định")), ("none", _l("Không gửi")), ("0", _l("Thứ Hai")), ("1", _l("Thứ Ba")),
            ("2", _l("Thứ Tư")), ("3", _l("Thứ Năm")), ("4", _l("Thứ Sáu"))]  # fmt: skip


class PolicyForm(FlaskForm):
    scope_kind = SelectField(_l("Phạm vi"), choices=options([("province", _l("Cả tỉnh, thành phố")), ("process", _l("Một quy trình")), ("plan", _l("Một kế hoạch"))]))
    scope_key = StringField(_l("Mã phạm vi (mã Sở, mã quy trình hoặc số kế hoạch)"), validators=[DataRequired(), Length(max=100)])
    remind_before = StringField(_l("Nhắc trước hạn (số ngày làm việc, cách nhau bởi dấu phẩy)"),
                                validators=[Optional(), Regexp(r"^[\d,\s]*$", message=_l("Chỉ gồm các số và dấu phẩy."))])
    on_the_day = SelectField(_l("Nhắc đúng ngày đến hạn"), choices=options(YES_NO), default=INHERIT)
    overdue_notice = SelectField(_l("Báo quá hạn cho lãnh đạo đơn vị"), choices=options(YES_NO), default=INHERIT)
    escalate_after = StringField(_l("Báo cấp trên sau (số ngày làm việc quá hạn; “0”: không báo)"),
                                 validators=[Optional(), Regexp(r"^\s*\d{1,2}\s*$", message=_l("Một số từ 0 đến 60."))])
    weekly_list_weekday = SelectField(_l("Danh sách việc quá hạn hằng tuần"), choices=options(WEEKDAYS), default=INHERIT)
    digest_hour = StringField(_l("Giờ gửi thư tổng hợp (0–23, chỉ cho cả tỉnh)"),
                              validators=[Optional(), Regexp(r"^\s*\d{1,2}\s*$", message=_l("Một số từ 0 đến 23."))])
    office_unit = StringField(_l("Văn phòng nhận danh sách (mã đơn vị, chỉ cho cả tỉnh)"), validators=[Optional(), Length(max=100)])


class TestMailForm(FlaskForm):
    recipient = StringField(_l("Gửi thư thử đến"), validators=[DataRequired(), EMAIL, Length(max=320)])
