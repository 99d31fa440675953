"""The logged-in person as Flask-Login sees them.

``get_id()`` is the session token (Flask-Login's "alternative token" pattern): the signed session
cookie holds only that, and each request resolves it against ``user_session`` in the database,
so that ending a session on the server ends it in the browser at once.
"""

from __future__ import annotations

from flask_login import UserMixin

from workflows.accounts import Identity


class WebUser(UserMixin):
    def __init__(self, token: str, identity: Identity) -> None:
        self.token = token
        self.identity = identity
        self.profile = identity.profile

    def get_id(self) -> str:
        return self.token
