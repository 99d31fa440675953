"""The daily audit anchor email: each inspector (thanh tra) receives the head of the audit chain
once a day, outside the system's reach once delivered. The line it carries is an anchor file line:
pasted into a file, ``giaoviec audit verify --anchor FILE`` checks the trail against it.

At most one per inspector and day: the outbox's ``dedupe_key`` ("audit-anchor:<username>:<day>").
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from engine import Anchor, OutboxMessage, UnitOfWork, add_outbox_message, anchor_line
from workflows.org.models import OrgUnit, User, UserRole
from workflows.timeframes import LOCAL_TZ

KIND = "audit_anchor"
ROLE = "inspector"


def dedupe_key(username: str, day: date) -> str:
    return f"audit-anchor:{username}:{day.isoformat()}"


def queue_anchor_mail(uow: UnitOfWork, head: Anchor) -> int:
    """Queue today's anchor email to every active inspector with an address who has not had it;
    return how many were queued. Flushes, never commits."""
    day = head.published_at.astimezone(LOCAL_TZ).date()
    inspectors = uow.session.execute(
        select(User.username, User.email, User.full_name)
        .join(UserRole, UserRole.user_id == User.id).join(OrgUnit, OrgUnit.id == User.unit_id)
        .where(UserRole.role == ROLE, User.active, OrgUnit.active, User.email.is_not(None), User.email != "")
        .order_by(User.username)
    ).all()  # fmt: skip
    keys = {dedupe_key(username, day) for username, _, _ in inspectors}
    sent = set(uow.session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys)))) if keys else set()
    queued = 0
    for username, email, full_name in inspectors:
        if dedupe_key(username, day) in sent:
            continue
        add_outbox_message(uow, KIND, compose(full_name, head), recipient=email, dedupe_key=dedupe_key(username, day))
        queued += 1
    return queued


def compose(full_name: str, head: Anchor) -> dict[str, str]:
    """The payload (subject, text) of one inspector's email."""
    local = head.published_at.astimezone(LOCAL_TZ)
    text = "\n".join([
        f"Kính gửi {full_name},",
        "",
        f"Đầu chuỗi nhật ký kiểm toán của hệ thống Giao việc lúc {local:%H:%M ngày %d/%m/%Y}:",
        f"niêm phong số {head.seq}, mã băm {head.hash}.",
        "",
        "Xin lưu giữ thư này. Nếu về sau có người sửa hoặc xóa nhật ký trước thời điểm trên, việc đối chiếu sẽ phát hiện:",
        "chép dòng dưới đây vào một tệp văn bản rồi chạy  giaoviec audit verify --anchor TỆP",
        "",
        anchor_line(head),
        "",
        "Thư gửi tự động, mỗi ngày một thư; xin không trả lời thư này.",
    ])  # fmt: skip
    return {"subject": f"[Giao việc] Mốc neo nhật ký kiểm toán ngày {local:%d/%m/%Y}", "text": text}
