"""SMTP over STARTTLS with a certificate made at test time, and logins that are not ASCII.

The server is aiosmtpd on loopback with a self-signed certificate from ``openssl req -x509``
in the test's temporary folder; the transport trusts it through ``smtp_ca_file`` only.
"""

from __future__ import annotations

import email
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tenure.domains.messaging.transports import Outgoing, Smtp, TransientFailure, from_settings
from tenure.kit.settings import MessagingSettings

USER, PASSWORD = "销售部@acme.test", "pässwörd-密码"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
ACCEPTED = {(USER, PASSWORD), ("plain", "secret")}


@dataclass
class Server:
    """What the TLS server saw: messages, whether they came over TLS, who logged in."""

    port: int
    certificate: Path
    received: list[EmailMessage] = field(default_factory=list)
    over_tls: list[bool] = field(default_factory=list)
    logins: list[tuple[str, str, bool]] = field(default_factory=list)  # user, mechanism, ok

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.original_content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        self.over_tls.append(session.ssl is not None)
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        user, password = data.login.decode("utf-8"), data.password.decode("utf-8")
        ok = (user, password) in ACCEPTED
        self.logins.append((user, mechanism, ok))
        return AuthResult(success=ok, handled=False)  # False: aiosmtpd answers 535


def _certificate(folder: Path) -> tuple[Path, Path]:
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            OPENSSL,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],  # fmt: skip
        check=True,
        capture_output=True,
    )
    return key, cert


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[Server]:
    """aiosmtpd on loopback: STARTTLS required before MAIL and before AUTH."""
    key, cert = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = Server(port, cert)
    controller = Controller(
        server,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=server.authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def _message(to: str = "lin@customers.test") -> Outgoing:
    return Outgoing(
        message_id=1,
        to_address=to,
        subject="您好 — a note",
        html="<p>你好</p>",
        text="你好",
        category="service",
        unsubscribe_url=None,
    )


def _transport(server: Server, **settings: Any) -> Smtp:
    chosen = MessagingSettings(
        transport="smtp",
        smtp_host="127.0.0.1",
        smtp_port=server.port,
        smtp_security="starttls",
        smtp_ca_file=server.certificate,
        smtp_timeout=10,
        from_address="Acme 商店 <hello@acme.test>",
        **settings,
    )
    transport = from_settings(chosen)
    assert isinstance(transport, Smtp)
    return transport


def test_starttls_with_a_certificate_the_settings_trust(tls_server: Server) -> None:
    message_id = _transport(tls_server).send(_message())
    [got] = tls_server.received
    assert tls_server.over_tls == [True]
    assert got["Message-ID"] == message_id
    assert got["Subject"] == "您好 — a note"


def test_the_certificate_is_checked(tls_server: Server) -> None:
    # without the CA file the self-signed certificate is not trusted: nothing goes
    untrusting = Smtp(
        "127.0.0.1",
        tls_server.port,
        from_address="hello@acme.test",
        security="starttls",
        timeout=10,
    )
    with pytest.raises(TransientFailure, match="CERTIFICATE_VERIFY_FAILED"):
        untrusting.send(_message())
    assert tls_server.received == []


def test_a_login_that_is_not_ascii_goes_as_utf8(tls_server: Server) -> None:
    _transport(tls_server, smtp_username=USER, smtp_password=PASSWORD).send(_message())
    assert tls_server.logins == [(USER, "PLAIN", True)]
    assert len(tls_server.received) == 1


def test_a_wrong_password_is_refused_and_nothing_is_sent(tls_server: Server) -> None:
    transport = _transport(tls_server, smtp_username=USER, smtp_password="wrong-密码")  # noqa: S106
    with pytest.raises(TransientFailure, match="535"):
        transport.send(_message())
    assert tls_server.logins == [(USER, "PLAIN", False)]
    assert tls_server.received == []


def test_an_ascii_login_still_goes_through_smtplib(tls_server: Server) -> None:
    login = {"smtp_username": "plain", "smtp_password": "secret"}
    _transport(tls_server, **login).send(_message())
    assert [(user, ok) for user, _, ok in tls_server.logins] == [("plain", True)]
    assert len(tls_server.received) == 1
