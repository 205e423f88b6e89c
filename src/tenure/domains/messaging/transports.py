"""How an email leaves: the outbox alone (no network) or an SMTP server.

A transport sends one message and answers with its transport id (the Message-ID), or raises:
``TransientFailure`` (a 4xx answer, or no connection: nothing was sent, try later),
``PermanentFailure`` (a 5xx answer: this message will never go). Any other exception means
the transport cannot tell whether the message went; the outbox marks it ``unknown``.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Literal, Protocol

from tenure.kit.settings import MessagingSettings


@dataclass(frozen=True)
class Outgoing:
    """One email as a transport sees it (rendered when it was queued)."""

    message_id: int
    to_address: str
    subject: str
    html: str
    text: str
    category: str
    unsubscribe_url: str | None  # marketing mail carries RFC 8058 one-click headers


class TransientFailure(Exception):
    """The server said "not now" (4xx) or could not be reached: nothing was sent."""

    def __init__(self, code: int | None, detail: str) -> None:
        super().__init__(f"{code or 'no connection'}: {detail}")
        self.code = code
        self.detail = detail

    @property
    def reason(self) -> str:
        """A short code for the outbox: ``smtp_451``, ``no_connection``."""
        return f"smtp_{self.code}" if self.code else "no_connection"


class PermanentFailure(Exception):
    """The server refused the message for good (5xx)."""

    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail

    @property
    def reason(self) -> str:
        """A short code for the outbox: ``smtp_550``."""
        return f"smtp_{self.code}"


class Transport(Protocol):
    """Sends one email; returns its transport id (see the module for what it raises)."""

    def send(self, message: Outgoing) -> str:
        """Hand ``message`` over; return its id at the transport."""
        ...


class OutboxOnly:
    """Sends nothing: messages are marked sent and stay readable in the outbox (the demo)."""

    def send(self, message: Outgoing) -> str:
        """Return an id of the outbox's own; no network is involved."""
        return f"<outbox-{message.message_id}@tenure.invalid>"


class Smtp:
    """Sends through an SMTP server with the standard library (one connection per message)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        from_address: str,
        username: str | None = None,
        password: str | None = None,
        security: Literal["starttls", "ssl", "none"] = "starttls",
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port = host, port
        self.from_address = from_address
        self.username, self.password = username, password
        self.security = security
        self.timeout = timeout
        self.envelope_from = parseaddr(from_address)[1]
        self.domain = self.envelope_from.rpartition("@")[2] or "localhost"

    def build(self, message: Outgoing) -> EmailMessage:
        """Return the MIME message: multipart/alternative text + HTML, with its headers."""
        mail = EmailMessage()
        mail["Message-ID"] = make_msgid(idstring=f"m{message.message_id}", domain=self.domain)
        mail["Date"] = formatdate(usegmt=True)
        mail["From"] = self.from_address
        mail["To"] = message.to_address
        mail["Subject"] = message.subject
        if message.category == "marketing" and message.unsubscribe_url:
            mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail

    def send(self, message: Outgoing) -> str:
        """Send ``message``; 4xx → ``TransientFailure``, 5xx → ``PermanentFailure``."""
        mail = self.build(message)
        try:
            client = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            # nothing was handed over (a login refused is the settings' fault: retried, too)
            raise TransientFailure(getattr(exc, "smtp_code", None), str(exc)) from exc
        try:
            refused = client.send_message(mail, self.envelope_from, [message.to_address])
        except smtplib.SMTPRecipientsRefused as exc:
            code, detail = next(iter(exc.recipients.values()))
            raise _classified(code, detail) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise _classified(exc.smtp_code, exc.smtp_error) from exc
        finally:
            _quit(client)
        if refused:  # one recipient only: refused means not sent
            code, detail = next(iter(refused.values()))
            raise _classified(code, detail)
        return str(mail["Message-ID"])

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            context = ssl.create_default_context()
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.security == "starttls":
                client.starttls(context=ssl.create_default_context())
        if self.username:
            client.login(self.username, self.password or "")
        return client


def from_settings(settings: MessagingSettings) -> Transport:
    """Return the transport the settings choose."""
    if settings.transport == "smtp":
        return Smtp(
            settings.smtp_host,
            settings.smtp_port,
            from_address=settings.from_address,
            username=settings.smtp_username,
            password=settings.smtp_password,
            security=settings.smtp_security,
            timeout=settings.smtp_timeout,
        )
    return OutboxOnly()


def _classified(code: int, detail: bytes | str) -> TransientFailure | PermanentFailure:
    text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else detail
    if 400 <= code < 500:
        return TransientFailure(code, text)
    return PermanentFailure(code, text)


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()
