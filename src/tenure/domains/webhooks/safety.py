"""Which URLs a webhook may go to: http(s) only, and no private addresses unless allowed (SSRF).

A playbook author writes the URL; without this check a webhook step could make the server
call its own admin ports, the cloud's metadata service (169.254.169.254) or machines on the
private network. The check runs when a delivery is queued (a clear error for the author) and
again before each attempt (the name may resolve elsewhere by then).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from tenure.kit.errors import InvalidInput


class UnsafeUrl(InvalidInput):
    """A URL a webhook must not be sent to; the message says why."""


class Unresolvable(InvalidInput):
    """A host name that does not resolve now (perhaps only for now: delivery retries)."""


def is_public(address: str) -> bool:
    """Whether ``address`` is a public unicast address (not loopback, private, link-local …)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for private, loopback, link-local, shared (100.64/10), reserved and
    # unspecified addresses, IPv4 and IPv6 alike
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL that is not http(s), or (unless allowed) resolves to a private address.

    Raises ``UnsafeUrl`` with the reason, or ``Unresolvable`` if the host does not resolve.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl(f"webhook URL {_shown(url)}: only http:// and https:// are allowed")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise UnsafeUrl(f"webhook URL {_shown(url)}: the port is not a number") from None
    if not host:
        raise UnsafeUrl(f"webhook URL {_shown(url)}: no host")
    if allow_private:
        return
    for address in _addresses(host, port or (443 if parts.scheme == "https" else 80)):
        if not is_public(address):
            raise UnsafeUrl(
                f"webhook URL {_shown(url)}: {host} is a private, loopback or link-local "
                f"address ({address}); set webhooks.allow_private to send there"
            )


def _addresses(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Unresolvable(f"webhook host {host} does not resolve") from None
    return [str(info[4][0]) for info in found]


def _shown(url: str) -> str:
    """Show the URL without user, password, path or query (they may hold secrets)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{host}/…" if parts.scheme else "(no scheme)"
