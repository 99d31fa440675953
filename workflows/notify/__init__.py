"""Notifications: the outbox's messages delivered to people (email over SMTP)."""

from workflows.notify.smtp import SmtpConfig, SmtpTransport, build_message, classify, message_id

__all__ = ["SmtpConfig", "SmtpTransport", "build_message", "classify", "message_id"]
