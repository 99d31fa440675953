"""Identifiers: UUIDs that sort by creation time (the UUIDv7 layout), for index locality."""

from __future__ import annotations

import os
import uuid
from datetime import datetime


def new_id(now: datetime) -> uuid.UUID:
    """A UUIDv7 from ``now`` (injected, never the wall clock) and 74 random bits."""
    millis = int(now.timestamp() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis << 80) | (0x7 << 76) | ((rand >> 68) & 0xFFF) << 64 | (0b10 << 62) | (rand & ((1 << 62) - 1))
    return uuid.UUID(int=value)
