"""Outbox messages as email over SMTP: configuration from a URL, message building, the transport.

Errors are sorted by whether trying again can help. A reply the server gives about this message
(RCPT, DATA) decides by its code: 5xx is permanent, 4xx transient. Anything before the first
message-specific command (connecting, TLS, login) says nothing about the message: the transport
is down or misconfigured, so the message waits and the rest of the batch is not tried.
"""

from __future__ import annotations

import html
import os
import smtplib
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from engine import (
    Claimed,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    TransportUnavailable,
)

URL_ENV = "GIAOVIEC_SMTP_URL"
SENDER_ENV = "GIAOVIEC_MAIL_FROM"
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
SUBMISSION_PORT = 587  # smtp:// with STARTTLS and no port: the submission port, not relay port 25
DEFAULT_TIMEOUT = 30.0
LINK_LABEL = "Mở nhiệm vụ"  # read by the recipient, so Vietnamese
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: Address
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    implicit_tls: bool = False  # smtps://: TLS from the first byte
    starttls: bool = False  # smtp://…?starttls=1: upgrade the plain connection
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_url(cls, url: str, sender: str) -> SmtpConfig:
        """``smtp://user:pass@host:587?starttls=1``, ``smtps://user:pass@host:465``,
        ``smtp://localhost:8025``; user and password are percent-decoded."""
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise ValueError(
                f"{URL_ENV}: the scheme must be smtp:// or smtps://, not {scheme or 'none'!r}"
            )
        if not parts.hostname:
            raise ValueError(
                f"{URL_ENV}: no host (expected e.g. smtp://mail.example.vn:587?starttls=1)"
            )
        if parts.path not in ("", "/") or parts.fragment:
            raise ValueError(
                f"{URL_ENV}: unexpected path or fragment after the host {parts.hostname!r}"
            )
        try:
            port = parts.port
        except ValueError:
            raise ValueError(
                f"{URL_ENV}: the port of {parts.hostname!r} must be a number from 1 to 65535"
            ) from None
        options = _options(parts.query)
        starttls = _flag(options.pop("starttls", "0"), "starttls")
        timeout = _timeout(options.pop("timeout", str(DEFAULT_TIMEOUT)))
        if options:
            raise ValueError(
                f"{URL_ENV}: unknown option(s) {', '.join(sorted(options))} (known: starttls, timeout)"
            )
        if scheme == "smtps" and starttls:
            raise ValueError(f"{URL_ENV}: smtps:// is TLS already; starttls=1 is for smtp://")
        if parts.password is not None and not parts.username:
            raise ValueError(f"{URL_ENV}: a password without a user name")
        if port is None:
            port = SUBMISSION_PORT if starttls else DEFAULT_PORTS[scheme]
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        if not (username or "").isascii() or not (password or "").isascii():
            # smtplib encodes AUTH as ASCII; refusing here beats failing at every delivery.
            raise ValueError(
                f"{URL_ENV}: the user name and password must be ASCII (smtplib cannot send others)"
            )
        return cls(
            host=parts.hostname, port=port, sender=parse_sender(sender), username=username, password=password,
            implicit_tls=scheme == "smtps", starttls=starttls, timeout=timeout,
        )  # fmt: skip

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpConfig:
        """From ``GIAOVIEC_SMTP_URL`` and ``GIAOVIEC_MAIL_FROM``."""
        env = os.environ if environ is None else environ
        url, sender = env.get(URL_ENV, "").strip(), env.get(SENDER_ENV, "").strip()
        if not url:
            raise ValueError(
                f"{URL_ENV} is not set (e.g. smtp://user:pass@mail.example.vn:587?starttls=1)"
            )
        if not sender:
            raise ValueError(
                f'{SENDER_ENV} is not set (e.g. "Sở GDĐT Hải Phòng <noreply@haiphong.edu.vn>")'
            )
        return cls.from_url(url, sender)


def parse_sender(sender: str) -> Address:
    """``"Sở GDĐT Hải Phòng <noreply@haiphong.edu.vn>"`` or a bare address, as one Address."""
    display_name, addr_spec = parseaddr(sender)
    try:
        address = Address(display_name=display_name, addr_spec=addr_spec)
    except (ValueError, IndexError) as exc:  # the email package raises both for bad addresses
        raise ValueError(f"{SENDER_ENV}: {sender!r} is not an email address ({exc})") from None
    if not address.username or not address.domain:
        raise ValueError(f"{SENDER_ENV}: {sender!r} is not an email address with a domain")
    return address


def _options(query: str) -> dict[str, str]:
    try:
        return dict(parse_qsl(query, strict_parsing=bool(query)))
    except ValueError:
        raise ValueError(
            f"{URL_ENV}: cannot read the options {query!r} (expected e.g. ?starttls=1&timeout=20)"
        ) from None


def _flag(value: str, name: str) -> bool:
    if value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise ValueError(f"{URL_ENV}: {name}={value!r} must be 1 or 0")


def _timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 600:
        raise ValueError(f"{URL_ENV}: timeout={value!r} must be a number of seconds from 0 to 600")
    return seconds


# --- the message ----------------------------------------------------------------------------


def message_id(outbox_id: uuid.UUID, config: SmtpConfig) -> str:
    """The same for every attempt at one outbox message, so a resend is recognisably a resend."""
    return f"<{outbox_id}@{config.sender.domain}>"


def build_message(claimed: Claimed, config: SmtpConfig) -> EmailMessage:
    """The email of an outbox message whose payload has ``subject``, ``text`` and optionally
    ``html`` and ``link`` (to the task). A payload that can never become an email is permanent."""
    payload = claimed.payload
    subject, text = _text(payload, "subject"), _text(payload, "text")
    link = _link(payload.get("link"))
    message = EmailMessage(policy=policy.SMTP)
    # Titles imported from spreadsheets carry line breaks; a header may not.
    message["Subject"] = " ".join(subject.split())
    message["From"] = config.sender
    message["To"] = _recipient(claimed.recipient)
    message["Date"] = format_datetime(claimed.claimed_at)
    message["Message-ID"] = message_id(claimed.id, config)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to this
    body = f"{text}\n\n{LINK_LABEL}: {link}\n" if link else text
    # Quoted-printable keeps the body 7-bit whatever the relay, and ASCII still readable.
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    page = payload.get("html") or _html_from_text(text, link)
    if not isinstance(page, str):
        raise PermanentDeliveryError("payload.html must be text")
    message.add_alternative(page, subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def _text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PermanentDeliveryError(f"payload.{key} is missing or empty")
    return value


def _link(value: Any) -> str | None:
    if value is None or value == "":
        return None
    # Only web links: a javascript: or data: URL in a notification is an injection.
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
        raise PermanentDeliveryError(f"payload.link must be an http(s) URL, not {value!r}")
    return value


def _recipient(recipient: str | None) -> Address:
    display_name, addr_spec = parseaddr(recipient or "")
    try:
        address = Address(display_name=display_name, addr_spec=addr_spec)
    except (ValueError, IndexError) as exc:
        raise PermanentDeliveryError(
            f"recipient {recipient!r} is not an email address ({exc})"
        ) from None
    if not address.username or not address.domain:
        raise PermanentDeliveryError(f"recipient {recipient!r} is not an email address")
    return address


def _html_from_text(text: str, link: str | None) -> str:
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    rendered = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>\n" for p in paragraphs)
    if link:
        rendered += f'<p><a href="{html.escape(link, quote=True)}">{LINK_LABEL}</a></p>\n'
    return (
        f'<!DOCTYPE html>\n<html lang="vi"><meta charset="utf-8"><body>\n{rendered}</body></html>\n'
    )


# --- the transport --------------------------------------------------------------------------


def classify(exc: Exception) -> DeliveryError:
    """What an error while sending one message means: permanent (5xx) or transient."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(
            f"{rcpt}: {code} {_decode(msg)}" for rcpt, (code, msg) in exc.recipients.items()
        )
        kind = (
            PermanentDeliveryError
            if codes and all(500 <= c < 600 for c in codes)
            else TransientDeliveryError
        )
        return kind(f"recipient refused: {detail}")
    if isinstance(exc, smtplib.SMTPResponseException):
        kind = PermanentDeliveryError if 500 <= exc.smtp_code < 600 else TransientDeliveryError
        return kind(f"{exc.smtp_code} {_decode(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):  # e.g. a non-ASCII address, no SMTPUTF8
        return PermanentDeliveryError(f"the server cannot take this message: {exc}")
    return TransientDeliveryError(f"{type(exc).__name__}: {exc}")  # disconnects, timeouts, resets


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


class SmtpTransport:
    """Sends outbox messages over SMTP. Entered as a context manager (``deliver_due`` does so),
    it keeps one connection for the whole batch; otherwise it connects per message."""

    def __init__(self, config: SmtpConfig, *, tls: ssl.SSLContext | None = None) -> None:
        self.config = config
        self._tls = tls
        self._smtp: smtplib.SMTP | None = None
        self._batch = False

    def __enter__(self) -> SmtpTransport:
        self._batch = True
        return self

    def __exit__(self, *_exc: object) -> None:
        self._batch = False
        self._disconnect()

    def send(self, claimed: Claimed) -> None:
        message = build_message(claimed, self.config)
        smtp = self._connection()
        try:
            refused = smtp.send_message(message, from_addr=self.config.sender.addr_spec,
                                        to_addrs=[message["To"].addresses[0].addr_spec])  # fmt: skip
        except (smtplib.SMTPException, OSError) as exc:
            # After an error the session's state is unknown: the next message starts afresh.
            self._disconnect()
            raise classify(exc) from exc
        finally:
            if not self._batch:
                self._disconnect()
        if refused:  # only when some of several recipients were refused; we send to one
            raise classify(smtplib.SMTPRecipientsRefused(refused))

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        cfg = self.config
        tls = self._tls or ssl.create_default_context()
        try:
            if cfg.implicit_tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=cfg.timeout, context=tls
                )
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportUnavailable(
                f"cannot connect to {cfg.host}:{cfg.port}: {_describe(exc)}"
            ) from exc
        try:
            if cfg.starttls:
                smtp.starttls(context=tls)
            if cfg.username:
                smtp.login(cfg.username, cfg.password or "")
        except (smtplib.SMTPException, OSError, UnicodeError) as exc:
            # UnicodeError: smtplib sends AUTH as ASCII (from_url refuses such credentials).
            smtp.close()
            raise TransportUnavailable(
                f"{cfg.host}:{cfg.port} refused the session: {_describe(exc)}"
            ) from exc
        self._smtp = smtp
        return smtp

    def _disconnect(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()  # the server is gone already; just drop our end


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_decode(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"
