"""How an email leaves: the outbox alone (no network) or an SMTP server.

A delivery pass opens one ``Session`` of its transport and hands it its messages one after
another; the SMTP session keeps one connection open for the pass. ``send`` answers with the
message's transport id (the Message-ID), or raises:

- ``TransientFailure``: a 4xx answer, or no connection — nothing was sent, try later;
- ``PermanentFailure``: a 5xx answer, or a message that cannot be written (an address that is
  not ASCII, a header with a line break) — this message will never go;
- ``DeliveryUnknown``: the connection broke once the message's data had begun to go out and
  before the server's answer came back — it may have been delivered, so it must not be sent
  again.

Any other exception also means the transport cannot tell whether the message went.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from email import policy
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
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
    """The server refused the message for good (5xx), or it cannot be written at all."""

    def __init__(self, code: int | None, detail: str) -> None:
        super().__init__(f"{code or 'unsendable'}: {detail}")
        self.code = code
        self.detail = detail

    @property
    def reason(self) -> str:
        """A short code for the outbox: ``smtp_550``, ``unsendable``."""
        return f"smtp_{self.code}" if self.code else "unsendable"


class DeliveryUnknown(Exception):
    """The message's data began to go out but no answer came back: it may have been delivered."""


class Session(Protocol):
    """A transport opened for one delivery pass (see the module for what ``send`` raises)."""

    def send(self, message: Outgoing) -> str:
        """Hand ``message`` over; return its id at the transport."""
        ...


class Transport(Protocol):
    """Opens sessions: ``with transport.session() as session: session.send(...)``."""

    def session(self) -> AbstractContextManager[Session]:
        """Open a session for one pass; leaving the block closes it."""
        ...


class OutboxOnly:
    """Sends nothing: messages are marked sent and stay readable in the outbox (the demo)."""

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Open a session that needs no network."""
        yield self

    def send(self, message: Outgoing) -> str:
        """Return an id of the outbox's own; no network is involved."""
        return f"<outbox-{message.message_id}@tenure.invalid>"


class Smtp:
    """Sends through an SMTP server with the standard library; one connection a session."""

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
        ca_file: Path | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.ca_file = ca_file
        self.from_address = from_address
        self.username, self.password = username, password
        self.security = security
        self.timeout = timeout
        self.envelope_from = parseaddr(from_address)[1]
        self.domain = self.envelope_from.rpartition("@")[2] or "localhost"
        self._from_header: bytes | None = None  # the same for every message: made once

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Open a session: it connects at its first message and says QUIT at the end."""
        session = SmtpSession(self)
        try:
            yield session
        finally:
            session.close()

    def send(self, message: Outgoing) -> str:
        """Send one message on a connection of its own (see ``session`` for many)."""
        with self.session() as session:
            return session.send(message)

    def build(self, message: Outgoing) -> tuple[str, bytes]:
        """Return the Message-ID and the MIME message as it goes on the wire (CRLF lines).

        multipart/alternative, text then HTML. Written directly rather than through
        ``email.message.EmailMessage``, which took more time than the rest of a send. The
        Subject is encoded here (RFC 2047); the From header, and any other that is not ASCII
        or too long for a line, goes through the email package's SMTP policy.
        """
        message_id = make_msgid(idstring=f"m{message.message_id}", domain=self.domain)
        # "=_" cannot occur in quoted-printable or base64, and the random part not by chance
        boundary = f"=_tenure_{secrets.token_hex(8)}"
        headers = [
            _header("Message-ID", message_id),
            _header("Date", formatdate(usegmt=True)),
            self._from_header or self._from(),
            _header("To", message.to_address),
            _subject(message.subject),
        ]
        if message.category == "marketing" and message.unsubscribe_url:
            headers.append(_header("List-Unsubscribe", f"<{message.unsubscribe_url}>"))
            headers.append(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
        headers.append(b"MIME-Version: 1.0\r\n")
        headers.append(
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'.encode("ascii")
        )
        mark = f"--{boundary}\r\n".encode("ascii")
        body = [
            b"\r\n",
            mark,
            *_text_part("plain", message.text),
            mark,
            *_text_part("html", message.html),
            f"--{boundary}--\r\n".encode("ascii"),
        ]
        return message_id, b"".join(headers + body)

    def _from(self) -> bytes:
        self._from_header = _header("From", self.from_address)
        return self._from_header

    def connect(self) -> smtplib.SMTP:
        """Open a connection, greeted and (if set) secured and logged in."""
        # the certificate is always checked, against the given authorities or the system's
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.security == "starttls":
                client.starttls(context=context)
        if self.username:
            login(client, self.username, self.password or "")
        client.ehlo_or_helo_if_needed()
        return client


def login(client: smtplib.SMTP, username: str, password: str) -> None:
    """Log in; a user name or password that is not ASCII goes as UTF-8 (RFC 4616, AUTH PLAIN).

    smtplib's own ``login`` encodes both as ASCII and fails on 用户 or pässword; for those this
    speaks AUTH PLAIN (or LOGIN, where the server offers only that) with UTF-8 itself.
    """
    if username.isascii() and password.isascii():
        client.login(username, password)
        return
    client.ehlo_or_helo_if_needed()
    if not client.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("the SMTP server does not offer AUTH")
    offered = client.esmtp_features["auth"].upper().split()
    user, secret = username.encode("utf-8"), password.encode("utf-8")

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii")

    if "PLAIN" in offered:
        code, answer = client.docmd("AUTH", "PLAIN " + b64(b"\0" + user + b"\0" + secret))
    elif "LOGIN" in offered:
        code, answer = client.docmd("AUTH", "LOGIN " + b64(user))
        if code == 334:
            code, answer = client.docmd(b64(secret))
    else:
        raise smtplib.SMTPException(
            f"the SMTP server offers AUTH {' '.join(offered)}; a login that is not ASCII needs "
            "PLAIN or LOGIN"
        )
    if code not in (235, 503):  # 503: logged in already
        raise smtplib.SMTPAuthenticationError(code, answer)


class _Dropped(Exception):
    """The connection broke before the message's data began: nothing was sent."""


class SmtpSession:
    """One connection kept open for a pass's messages (not shared between threads).

    A connection that breaks before a message's data began (MAIL, RCPT, DATA, or a 421
    answer to them) is opened again once for that message: the server has nothing of it, so
    sending it on the new one is safe. One that breaks once the data has begun makes that
    message ``DeliveryUnknown``, and the next message opens a new connection. Once the server
    cannot be reached, the session's remaining messages fail at once (transient) instead of
    each waiting for the timeout.
    """

    def __init__(self, transport: Smtp) -> None:
        self.transport = transport
        self.client: smtplib.SMTP | None = None
        self.unreachable: TransientFailure | None = None

    def send(self, message: Outgoing) -> str:
        """Send ``message``; see the class and the module for the failures."""
        if not message.to_address.isascii():
            raise PermanentFailure(None, "the address is not ASCII (SMTPUTF8 is not used)")
        try:
            message_id, wire = self.transport.build(message)
        except ValueError as exc:  # a header with a line break in it
            raise PermanentFailure(None, str(exc)) from exc
        data = _dot_stuffed(wire)
        for attempt in (1, 2):
            client = self._connected()
            try:
                self._transaction(client, message.to_address, data)
            except _Dropped as exc:
                self._drop()
                if attempt == 2:
                    raise TransientFailure(None, f"connection lost: {exc}") from exc
            except (TransientFailure, PermanentFailure):
                raise  # an answer: the connection is in a known state
            except BaseException:
                self._drop()  # in no known state: the next message starts afresh
                raise
            else:
                return message_id
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Say QUIT (or just close when the server has gone)."""
        if self.client is not None:
            try:
                self.client.quit()
            except (OSError, smtplib.SMTPException):
                self.client.close()
            self.client = None

    def _connected(self) -> smtplib.SMTP:
        if self.unreachable is not None:
            raise TransientFailure(self.unreachable.code, self.unreachable.detail)
        if self.client is None:
            try:
                self.client = self.transport.connect()
            except (OSError, smtplib.SMTPException) as exc:
                # nothing was handed over (a login refused is the settings' fault: retried, too)
                self.unreachable = TransientFailure(getattr(exc, "smtp_code", None), str(exc))
                raise self.unreachable from exc
        return self.client

    def _transaction(self, client: smtplib.SMTP, to_address: str, data: bytes) -> None:
        """MAIL, RCPT, DATA, then the data: a break once the data has begun leaves it unsure.

        Until the server's 354 (go ahead) it has nothing of the message, so a break is safe to
        retry. From the first byte of the data on, it is not: a server should drop a message
        whose end never came, but one whose end came and whose answer was lost has been
        delivered, and the two cannot be told apart from here.
        """
        try:
            self._expect(client, client.mail(self.transport.envelope_from), (250,))
            self._expect(client, client.rcpt(to_address), (250, 251))
            client.putcmd("data")
            self._expect(client, client.getreply(), (354,))
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            raise _Dropped(str(exc)) from exc
        try:
            client.send(data)
            code, detail = client.getreply()
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            raise DeliveryUnknown(f"the connection broke during the data: {exc}") from exc
        if code != 250:
            if code == 421:  # the server answered, then closes: this message was refused
                self._drop()
            raise _classified(code, detail)

    def _expect(
        self, client: smtplib.SMTP, reply: tuple[int, bytes], good: tuple[int, ...]
    ) -> None:
        code, detail = reply
        if code in good:
            return
        if code == 421:  # "closing the connection": a new one may take the message
            raise _Dropped(_text(detail))
        try:
            client.rset()  # the envelope is dropped; the connection goes on
        except (OSError, smtplib.SMTPException):
            self._drop()
        raise _classified(code, detail)

    def _drop(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


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
            ca_file=settings.smtp_ca_file,
        )
    return OutboxOnly()


_WIRE = policy.SMTP  # CRLF line ends, RFC 2047 for what is not ASCII, folded at 78
_LINE = 78
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def _header(name: str, value: str) -> bytes:
    """One header line (CRLF); a line break in ``value`` is refused (ValueError)."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"the {name} header may not contain a line break")
    if value.isascii():
        if len(name) + 2 + len(value) <= _LINE:
            return f"{name}: {value}\r\n".encode("ascii")
        if " " not in value and len(value) < 990:  # one long word: it may only move down
            return f"{name}:\r\n {value}\r\n".encode("ascii")
    return _WIRE.fold_binary(name, _WIRE.header_factory(name, value))


def _subject(value: str) -> bytes:
    """Write the Subject line: RFC 2047 base64 words when it is not ASCII, one word a line.

    Each word carries at most 39 bytes of UTF-8, cut between characters, so every line stays
    within 78 characters; a reader joins adjacent encoded words without the space between.
    Written here because the email package's policy took a tenth of a send for it.
    """
    if value.isascii() or "\r" in value or "\n" in value:
        return _header("Subject", value)
    words, chunk = [], b""
    for char in value:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > 39:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    encoded_words = (f"=?utf-8?b?{binascii.b2a_base64(w, newline=False).decode()}?=" for w in words)
    return ("Subject: " + "\r\n ".join(encoded_words) + "\r\n").encode("ascii")


def _text_part(subtype: str, content: str) -> list[bytes]:
    """Write a text part: 7bit when it can be, else the shorter of quoted-printable and base64."""
    lines = content.splitlines()
    if content.isascii() and all(len(line) <= _LINE for line in lines):
        encoding, body = "7bit", "\r\n".join(lines).encode("ascii")
    else:
        raw = "\n".join(lines).encode("utf-8")
        quoted = binascii.b2a_qp(raw, istext=True).replace(b"\n", b"\r\n")
        if len(quoted) <= len(raw) * 4 // 3 + 4:
            encoding, body = "quoted-printable", quoted
        else:
            encoding = "base64"
            chunks = (raw[i : i + 57] for i in range(0, len(raw), 57))
            body = b"".join(binascii.b2a_base64(c).replace(b"\n", b"\r\n") for c in chunks)
    return [
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'.encode("ascii"),
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n".encode("ascii"),
        body.rstrip(b"\r\n") + b"\r\n",
    ]


def _dot_stuffed(wire: bytes) -> bytes:
    """Return the DATA of ``wire``: leading dots doubled, then ``.CRLF`` (RFC 5321 4.5.2)."""
    return _LEADING_DOT.sub(b"..", wire) + b".\r\n"


def _classified(code: int, detail: bytes | str) -> TransientFailure | PermanentFailure:
    if 400 <= code < 500:
        return TransientFailure(code, _text(detail))
    return PermanentFailure(code, _text(detail))


def _text(detail: bytes | str) -> str:
    return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else detail
