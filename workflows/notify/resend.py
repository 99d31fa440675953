"""Resending an email the outbox gave up on: an administrator fixed the cause (an address, the
mail server) and asks for another round of attempts.

The message keeps its id, so the email carries the same Message-ID as the earlier attempts (a
recipient's mail program recognises a resend). A command in the caller's unit of work, audited.
"""

from __future__ import annotations

import uuid

from engine import InvalidState, NotFound, OutboxMessage, UnitOfWork, register

register({
    "outbox_not_found": ("Không tìm thấy thư {id}.", "No email {id}."),
    "outbox_not_failed": ("Thư {id} không ở trạng thái gửi lỗi ({status}).", "The email {id} has not failed ({status})."),
})  # fmt: skip


def resend_failed(uow: UnitOfWork, message_id: uuid.UUID) -> OutboxMessage:
    """Put a failed message back in the queue, due now, with a fresh count of attempts."""
    row = uow.session.get(OutboxMessage, message_id)
    if row is None:
        raise NotFound("outbox_not_found", id=str(message_id))
    if row.status != "failed":
        raise InvalidState("outbox_not_failed", id=str(message_id), status=row.status)
    uow.audit("outbox_resend_requested", instance_id=row.instance_id, subject=f"outbox:{row.id}",
              data={"kind": row.kind, "recipient": row.recipient, "attempts": row.attempts, "last_error": row.last_error})  # fmt: skip
    row.status, row.attempts, row.next_attempt_at = "pending", 0, uow.now
    uow.session.flush()
    return row
