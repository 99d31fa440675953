"""Password hashes: argon2id, with the parameters OWASP recommends as a minimum (19 MiB,
2 passes, 1 lane).

Why not argon2-cffi's default (RFC 9106's 64 MiB, 3 passes, 4 lanes): measured on this project's
2-core machines it costs ~640 ms per check against ~67 ms, and a login holds SQLite's single
write lock while it checks. Parameters live in the hash, so raising them later only needs
``needs_rehash`` (a login re-hashes with the new ones).
"""

from __future__ import annotations

import functools
import secrets
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine import BadData

MIN_LENGTH = 8
MAX_LENGTH = 256  # hashing cost grows with length; nobody types more

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def _normalise(password: str) -> str:
    """NFC, so that "ệ" typed on a phone and on a PC (composed or not) is the same password."""
    return unicodedata.normalize("NFC", password)


def check_policy(password: str, username: str) -> None:
    """Refuse a password that is too short, too long or the username itself."""
    text = _normalise(password)
    if len(text) < MIN_LENGTH:
        raise BadData("password_too_short", min=MIN_LENGTH)
    if len(text) > MAX_LENGTH:
        raise BadData("password_too_long", max=MAX_LENGTH)
    if text.strip().casefold() == username.strip().casefold():
        raise BadData("password_is_username")


def hash_password(password: str) -> str:
    return HASHER.hash(_normalise(password))


def verify(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; a missing or unreadable hash matches nothing. Always does
    the work of one check, so that the time taken does not tell whether the account exists."""
    text = _normalise(password[: MAX_LENGTH + 1])
    target = password_hash if len(text) <= MAX_LENGTH else None
    try:
        matched = HASHER.verify(target or _decoy_hash(), text[:MAX_LENGTH])
    except (VerificationError, InvalidHashError):
        return False
    return matched and target is not None


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's (then re-hash at login)."""
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def random_password(length: int = 12) -> str:
    """A password to read aloud or copy: no 0/O, 1/l/I."""
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


@functools.cache
def _decoy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(16))
