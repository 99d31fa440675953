"""How pages write instants and roles: dd/mm/yyyy in Asia/Ho_Chi_Minh, role names in the page's
language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from webui.i18n import TIMEZONE, language
from workflows.roles import ROLE_NAMES

ZONE = ZoneInfo(TIMEZONE)


def install(app: Flask) -> None:
    app.add_template_filter(datetime_vn)
    app.add_template_filter(role_name)


def datetime_vn(instant: datetime) -> str:
    return instant.astimezone(ZONE).strftime("%d/%m/%Y %H:%M")


def role_name(code: str) -> str:
    names = ROLE_NAMES.get(code)
    if names is None:
        return code
    return names[0] if language() == "vi" else names[1]
