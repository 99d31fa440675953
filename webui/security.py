"""Cookies, CSRF and the security headers every response carries.

CSRF: Flask-WTF's ``CSRFProtect`` checks every POST/PUT/PATCH/DELETE, forms and HTMX alike.
Forms carry the hidden ``csrf_token`` field. Every page also carries the token twice, for
scripts: ``<meta name="csrf-token" content="…">`` in the head, and
``hx-headers='{"X-CSRFToken": "…"}'`` on ``<body>``, which HTMX sends as a header with every
request it makes from that page (no script needed, so nothing for the CSP to allow). Tokens are
bound to the session and live as long as it does (the server ends sessions: see
``workflows.accounts.sessions``).

Content-Security-Policy: scripts and styles from this origin only, no inline script, no
``eval``; the ``htmx-config`` meta tag turns HTMX's eval and inline indicator styles off so that
it works under this policy.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

DEFAULTS = {
    "SESSION_COOKIE_NAME": "giaoviec_session",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": True,
    "WTF_CSRF_TIME_LIMIT": None,
    "GIAOVIEC_TRUSTED_PROXIES": 0,
}

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "font-src 'self'",
    "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
))  # fmt: skip

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

csrf = CSRFProtect()


def install(app: Flask) -> None:
    csrf.init_app(app)
    proxies = int(app.config["GIAOVIEC_TRUSTED_PROXIES"])
    if proxies:
        # Only behind proxies we were told of: otherwise anyone could forge X-Forwarded-For and
        # escape the per-address login throttle.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    app.after_request(_headers)


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        # Pages show personal work; a shared office computer must not keep them in its cache.
        response.headers["Cache-Control"] = "no-store"
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def client_address() -> str:
    return request.remote_addr or "unknown"


def user_agent() -> str:
    return request.headers.get("User-Agent", "")[:300]
