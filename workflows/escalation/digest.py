"""One email a day per person: every reminder, overdue notice and escalation of the day, grouped
by kind, one line per item, in Vietnamese. At most one per person and day is the outbox's
``dedupe_key`` ("digest:<username>:<day>"), so no two runs can both write one.
"""

from __future__ import annotations

import heapq
import html
import re
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from engine import OutboxMessage, UnitOfWork, add_outbox_message
from workflows.escalation.policy import DUE_TODAY, ESCALATED, OVERDUE, REMINDER, WEEKLY

KIND = "digest"
MAX_LINES = 200  # per section: a province's weekly list may hold thousands; the page has them all
SHORT = 90  # characters of a task's content on one line
_CHUNK = 1_000

SECTIONS = (ESCALATED, OVERDUE, WEEKLY, DUE_TODAY, REMINDER)  # most urgent first
TITLES = {
    ESCALATED: "Đơn vị cấp dưới quá hạn, chuyển cấp trên đôn đốc",
    OVERDUE: "Việc của đơn vị đã quá hạn",
    WEEKLY: "Danh sách việc quá hạn toàn tỉnh (hằng tuần)",
    DUE_TODAY: "Việc đến hạn hôm nay",
    REMINDER: "Việc sắp đến hạn",
}
PHASE_WORDS = {"new": "chưa tiếp nhận", "returned": "bị trả lại"}


@dataclass(frozen=True)
class Person:
    username: str
    email: str
    full_name: str


@dataclass(frozen=True)
class Item:
    """One line of a digest: one instance, one kind of notice."""

    instance_id: uuid.UUID
    kind: str  # "nhac_truoc_3", "den_han", "qua_han", "vuot_cap", "danh_sach_tuan"
    unit_name: str
    content: str
    period: str | None
    last_day: date
    remaining: int  # working days left after today
    late: int  # working days late
    phase: str

    @property
    def section(self) -> str:
        return REMINDER if self.kind.startswith(REMINDER) else self.kind


def link(base_url: str, instance_id: uuid.UUID | None = None) -> str:
    """The page of one instance, or of the person's tasks: the one place that knows the URL."""
    base = base_url.rstrip("/")
    return f"{base}/tasks?instance={instance_id}" if instance_id else f"{base}/tasks"


def _vn_number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _short(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= SHORT:
        return flat
    cut = flat[: SHORT - 1].rsplit(" ", 1)[0]
    return f"{cut}…"


def status_words(item: Item) -> str:
    if item.section == REMINDER and item.remaining > 0:
        words = f"còn {item.remaining} ngày làm việc"
    elif item.section in (REMINDER, DUE_TODAY):
        words = "đến hạn hôm nay"
    else:
        words = f"quá hạn {item.late} ngày làm việc" if item.late else "đã quá hạn"
        if item.kind == ESCALATED:
            words += ", chuyển cấp trên"
    phase = PHASE_WORDS.get(item.phase)
    return f"{words}; {phase}" if phase else words


@lru_cache(maxsize=8192)  # a province has a few thousand unit names; a weekly list, every one
def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    # "Trường 2" before "Trường 10", as a person counts
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part)


def _order(item: Item) -> tuple[Any, ...]:
    # The latest first, the nearest deadline first.
    return (-item.late, item.remaining, _natural(item.unit_name), item.content)


def _sections(items: Sequence[Item]) -> list[tuple[str, int, list[Item]]]:
    """(section, how many items, its first ``MAX_LINES`` in order) for each section present."""
    by_section: defaultdict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_section[item.section].append(item)
    return [(s, len(group), heapq.nsmallest(MAX_LINES, group, key=_order)) for s in SECTIONS if (group := by_section.get(s))]


def _describe(item: Item) -> tuple[str, str]:
    """(what, when and how): the parts of a line, plain text."""
    what = _short(item.content) + (f" ({item.period})" if item.period else "")
    return what, f"hạn {item.last_day:%d/%m/%Y} — {status_words(item)}"


def compose(person: Person, day: date, items: Sequence[Item], base_url: str) -> dict[str, str]:
    """The outbox payload (subject, text, html, link) of one person's digest."""
    sections = _sections(items)
    text = [f"Kính gửi {person.full_name},", "", f"Hệ thống Giao việc đôn đốc ngày {day:%d/%m/%Y}:"]
    page = [f"<p>Kính gửi {html.escape(person.full_name)},</p>",
            f"<p>Hệ thống Giao việc đôn đốc ngày {day:%d/%m/%Y}:</p>"]  # fmt: skip
    for section, count, shown in sections:
        heading = f"{TITLES[section]} ({_vn_number(count)})"
        text += ["", f"{heading}:"]
        page += [f"<h3>{html.escape(heading)}</h3>", "<ul>"]
        for item in shown:
            what, when = _describe(item)
            text.append(f"- {item.unit_name}: {what} — {when}")
            href = html.escape(link(base_url, item.instance_id), quote=True)
            page.append(f'<li><a href="{href}">{html.escape(item.unit_name)}</a>: {html.escape(what)} — {html.escape(when)}</li>')
        if count > len(shown):
            more = f"… và {_vn_number(count - len(shown))} việc khác (xem trên hệ thống)"
            text.append(more)
            page.append(f"<li>{html.escape(more)}</li>")
        page.append("</ul>")
    footer = "Thư gửi tự động, mỗi ngày một thư; xin không trả lời thư này."
    text += ["", footer]
    page.append(f"<p>{html.escape(footer)}</p>")
    instances = {i.instance_id for i in items}
    target = link(base_url, next(iter(instances))) if len(instances) == 1 else link(base_url)
    label = "Mở nhiệm vụ" if len(instances) == 1 else "Mở danh sách nhiệm vụ"
    page.append(f'<p><a href="{html.escape(target, quote=True)}">{label}</a></p>')
    body = "\n".join(page)
    return {
        "subject": f"[Giao việc] Đôn đốc ngày {day:%d/%m/%Y}: {_vn_number(len(items))} việc",
        "text": "\n".join(text),
        "html": f'<!DOCTYPE html>\n<html lang="vi"><meta charset="utf-8"><body>\n{body}\n</body></html>\n',
        "link": target,
    }


def dedupe_key(username: str, day: date) -> str:
    return f"digest:{username}:{day.isoformat()}"


def queue_digests(
    uow: UnitOfWork, day: date, people: Mapping[str, Person], items: Mapping[str, Sequence[Item]], base_url: str
) -> tuple[dict[str, uuid.UUID], int]:
    """Queue each person's digest; return the outbox id per username and how many are new.

    A person who already has the day's digest (their items came from another province's run)
    keeps it: the invariant is one message a day, and their notices point at that message.
    """
    keys = {dedupe_key(username, day): username for username in items}
    found: dict[str, uuid.UUID] = {}
    names = list(keys)
    for first in range(0, len(names), _CHUNK):
        query = select(OutboxMessage.dedupe_key, OutboxMessage.id).where(OutboxMessage.dedupe_key.in_(names[first : first + _CHUNK]))
        found.update((keys[key], outbox_id) for key, outbox_id in uow.session.execute(query) if key)
    created = 0
    for username, mine in sorted(items.items()):
        if username in found:
            continue
        person = people[username]
        instances = {i.instance_id for i in mine}
        message = add_outbox_message(
            uow, KIND, compose(person, day, mine, base_url), recipient=person.email,
            instance_id=next(iter(instances)) if len(instances) == 1 else None, dedupe_key=dedupe_key(username, day),
        )  # fmt: skip
        found[username] = message.id
        created += 1
    return found, created
