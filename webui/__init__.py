"""giaoviec's web application: ``create_app(config)`` builds it.

Layers: views call the domain (``workflows``) and the engine's public package only, never an ORM
query (an import-linter contract). Each request has one unit of work, committed at the edge
(``webui.edge``). Vietnamese first, English second (Flask-Babel); every page but the login page
needs a login; no traceback ever reaches a page (``webui.errors``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from webui import auth, edge, errors, formatting, home, i18n, security
from webui.admin import bp as admin_blueprint
from webui.audit import bp as audit_blueprint
from webui.dashboard import bp as dashboard_blueprint
from webui.designer import bp as designer_blueprint
from webui.help import bp as help_blueprint
from webui.inbox import bp as inbox_blueprint
from webui.monitor import bp as monitor_blueprint
from webui.plans import bp as plans_blueprint


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The Flask application. ``config`` holds Flask settings and giaoviec's own:

    - ``SECRET_KEY`` (required): signs the session cookie and CSRF tokens;
    - ``GIAOVIEC_ENGINE``: a ``ProcessEngine`` to use as it is (tests give one with a frozen
      clock); else one is built on ``GIAOVIEC_DATABASE_URL`` with the domain's hooks installed;
    - ``GIAOVIEC_BASE_URL``: the address people reach the app at (links in emails);
    - ``SESSION_COOKIE_SECURE`` (default on; off only for plain-http development);
    - ``GIAOVIEC_SESSION_POLICY``, ``GIAOVIEC_THROTTLE_POLICY``: timeouts and login throttling;
    - ``GIAOVIEC_TRUSTED_PROXIES``: how many reverse proxies set X-Forwarded-For (default 0).
    """
    app = Flask(__name__)
    app.config.update(security.DEFAULTS)
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        raise ValueError("SECRET_KEY is required (GIAOVIEC_SECRET_KEY, or the key kept in the instance folder)")
    # Even under TESTING, an exception becomes the friendly 500 page, never a traceback.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    # After-request steps run last-registered first: the commit must come before the headers,
    # so that a failed commit's error page gets them too.
    security.install(app)
    edge.install(app)
    i18n.install(app)
    formatting.install(app)
    auth.install(app)
    errors.install(app)
    for blueprint in (auth.bp, home.bp, help_blueprint, inbox_blueprint, plans_blueprint, designer_blueprint,
                      monitor_blueprint, dashboard_blueprint, audit_blueprint, admin_blueprint):  # fmt: skip
        app.register_blueprint(blueprint)
    return app
