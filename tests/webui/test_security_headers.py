"""Cookies and security headers on every kind of response."""

from __future__ import annotations

from tests.fixtures.webapp import SECRET, login, web_config
from tests.workflows.accounts.people import OFFICER
from webui import create_app
from webui.security import CONTENT_SECURITY_POLICY


def test_every_response_carries_the_security_headers(client):
    login(client, OFFICER)
    for path, status in (("/login", 200), ("/", 200), ("/help", 200), ("/khong-co", 404), ("/static/css/app.css", 200)):
        response = client.get(path)
        response.close()  # a static file's handle is closed by its reader
        assert response.status_code == status, path
        headers = response.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in headers["Permissions-Policy"]
        if path.startswith("/static/"):
            assert headers.get("Cache-Control") != "no-store"
        else:
            assert headers["Cache-Control"] == "no-store"  # a shared office computer keeps no page


def test_the_policy_allows_no_inline_script_no_eval_and_no_framing():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY and "*" not in CONTENT_SECURITY_POLICY


def test_pages_have_no_inline_script_or_style(client):
    login(client, OFFICER)
    for path in ("/login", "/", "/help", "/help/leader", "/khong-co"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "<script " not in html.replace('<script src="/static/vendor/htmx.min.js" defer>', "")
        assert "<style" not in html and " style=" not in html and " on" + "click=" not in html


def test_session_cookies_are_secure_httponly_and_samesite_lax_by_default(pe):
    from tests.workflows.accounts.people import load_people

    load_people(pe)
    app = create_app({"SECRET_KEY": SECRET, "GIAOVIEC_ENGINE": pe})
    client = app.test_client()
    cookie = client.get("/login", base_url="https://giaoviec.example").headers["Set-Cookie"]
    assert cookie.startswith("giaoviec_session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Expires" not in cookie  # a browser-session cookie; the server enforces the timeouts
    assert client.get("/login", base_url="https://giaoviec.example").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_plain_http_development_turns_secure_cookies_off(pe):
    app = create_app(web_config(pe))
    response = app.test_client().get("/login")
    assert "Secure" not in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers


def test_the_language_cookie_follows_the_same_rules(client):
    cookie = client.get("/lang/en?next=/login").headers["Set-Cookie"]
    assert cookie.startswith("giaoviec_lang=en") and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_an_app_without_a_secret_key_refuses_to_start(pe):
    import pytest

    with pytest.raises(ValueError, match="SECRET_KEY"):
        create_app({"GIAOVIEC_ENGINE": pe})
