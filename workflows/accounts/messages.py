"""The accounts' messages (Vietnamese first, English second), added to the engine's catalog."""

from __future__ import annotations

from engine import register

MESSAGES: dict[str, tuple[str, str]] = {
    "password_too_short": ("Mật khẩu phải có ít nhất {min} ký tự.", "The password must have at least {min} characters."),
    "password_too_long": ("Mật khẩu dài quá {max} ký tự.", "The password is longer than {max} characters."),
    "password_is_username": ("Mật khẩu không được trùng tên đăng nhập.", "The password must not be the username."),
    "password_mismatch": ("Hai lần nhập mật khẩu không khớp.", "The two passwords differ."),
}

register(MESSAGES)
