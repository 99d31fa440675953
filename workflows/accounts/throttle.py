"""Login throttling: pure rules over the stored counters and ``now``.

Why this shape: a throttle keyed on the account alone lets anyone lock a real person out by
typing wrong passwords for their username. So nothing here ever counts an account alone:

- **The (account, address) pair** gets growing delays: the first three failures are free (people
  mistype), then each failure blocks the pair for 5 s, 10 s, 20 s … up to 15 min. A success
  clears the pair. An attacker elsewhere slows down only their own pair; the real person, at
  their own address, is not affected.
- **The address alone** is a leaky bucket: each failure adds one, one leaks away every 36 s (100
  an hour), and above 50 the address waits until the bucket is back at 50. A school office
  behind one NAT address, where people mistype a few times a day, never comes near it; a
  password sprayer trying many accounts from one address is held to 100 guesses an hour. A
  success does *not* empty the bucket, or one valid account would reset the sprayer's count.

Attempts refused while blocked are not counted, so a blocked person does not extend their wait,
and they cost no password hashing. Residual risks, accepted and documented: an attacker behind
the *same* address as the victim can slow that address (at most to the bucket's rate, never
indefinitely); many addresses guessing one account are each held to their pair's delays (the
audit trail shows them to inspectors: ``user_login_failed`` events).

IPv6 addresses count by their /64 network, since one subscriber usually holds a whole /64.
"""

from __future__ import annotations

import ipaddress
import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    pair_free_failures: int = 3
    pair_first_delay: timedelta = timedelta(seconds=5)
    pair_max_delay: timedelta = timedelta(minutes=15)
    pair_forget_after: timedelta = timedelta(hours=24)
    address_capacity: int = 50
    address_leak_every: timedelta = timedelta(seconds=36)


DEFAULT_THROTTLING = ThrottlePolicy()


@dataclass(frozen=True)
class Counter:
    """A key's state: failures held against it, when that was last changed, and any block."""

    level: float = 0.0
    updated_at: datetime | None = None
    blocked_until: datetime | None = None


def wait_seconds(counter: Counter, now: datetime) -> int:
    """Whole seconds until the key may try again (0: now)."""
    if counter.blocked_until is None or counter.blocked_until <= now:
        return 0
    return math.ceil((counter.blocked_until - now).total_seconds())


def pair_delay(failures: int, policy: ThrottlePolicy) -> timedelta:
    """The block after the ``failures``-th failure in a row (none while still free)."""
    extra = failures - policy.pair_free_failures
    if extra <= 0:
        return timedelta(0)
    # The exponent is capped so that a long attack cannot overflow the multiplication.
    return min(policy.pair_first_delay * 2 ** min(extra - 1, 30), policy.pair_max_delay)


def pair_after_failure(counter: Counter, now: datetime, policy: ThrottlePolicy) -> Counter:
    quiet = counter.updated_at is None or now - counter.updated_at >= policy.pair_forget_after
    failures = (0 if quiet else int(counter.level)) + 1
    delay = pair_delay(failures, policy)
    return Counter(failures, now, now + delay if delay else None)


def pair_after_success(now: datetime) -> Counter:
    return Counter(0.0, now, None)


def address_level(counter: Counter, now: datetime, policy: ThrottlePolicy) -> float:
    """The bucket's level at ``now``, after leaking since it was last changed."""
    if counter.updated_at is None:
        return 0.0
    leaked = (now - counter.updated_at) / policy.address_leak_every
    return max(0.0, counter.level - leaked)


def address_after_failure(counter: Counter, now: datetime, policy: ThrottlePolicy) -> Counter:
    level = address_level(counter, now, policy) + 1
    over = level - policy.address_capacity
    return Counter(level, now, now + policy.address_leak_every * over if over > 0 else None)


def address_key(address: str) -> str:
    """The address as throttled: IPv4 as is, IPv6 by its /64, anything unparsable as given."""
    raw = (address or "").strip()
    try:
        ip = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def account_key(username: str) -> str:
    """The username as throttled and looked up: trimmed, NFC, case-folded, bounded."""
    return unicodedata.normalize("NFC", (username or "").strip()).casefold()[:100]


def pair_key(username: str, address: str) -> str:
    return f"{account_key(username)}\n{address_key(address)}"
