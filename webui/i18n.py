"""Vietnamese first, English second: the language of a page is the person's choice (a cookie set
by ``/lang/<code>``), Vietnamese by default, whatever the browser asks for."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request
from flask_babel import Babel, get_locale

LANGUAGES = ("vi", "en")
COOKIE = "giaoviec_lang"
TIMEZONE = "Asia/Ho_Chi_Minh"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def install(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "vi")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=_select_locale)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.context_processor(lambda: {"current_language": language(), "languages": LANGUAGES})


def _select_locale() -> str:
    chosen = request.cookies.get(COOKIE)
    return chosen if chosen in LANGUAGES else "vi"


def language() -> str:
    """The page's language code, for the domain's messages (``engine.render(code, lang)``)."""
    return str(get_locale() or "vi")
