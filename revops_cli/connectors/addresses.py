"""Addresses revops never connects to, whatever `webhooks.allow_hosts` says, and how to spot them in disguise.

Never: cloud metadata services (169.254.169.254, 169.254.170.2, fd00:ec2::254, Alibaba's 100.100.100.200,
Oracle's 192.0.0.192) and link-local networks (169.254.0.0/16, fe80::/10), also when one hides inside an
IPv6 address (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, 6to4 2002::/16, Teredo 2001::/32,
NAT64 64:ff9b::/96 and the local-use 64:ff9b:1::/48) or is written as a decimal, octal or hex IPv4
number (2852039166, 0251.0376.0251.0376, 0xa9fea9fe, 169.254.43518).

A plain library: the webhook SSRF guard (`connectors/webhooks.py`) builds on it, and the clients whose
base URL comes from settings (the HTTP search provider, the Slack Web API) call `check_outbound_url`.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Any, Callable, Iterable, Union

from revops_cli.errors import ActionError

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

METADATA_IPS = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192"))
LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))

_SIXTOFOUR = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")
_NUMERIC_V4 = re.compile(r"^[0-9a-fA-FxX.]+$")


class OutboundRefused(ActionError):
    """An outbound URL points at an address revops never connects to."""


def _v4(bits: int) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(bits & 0xFFFFFFFF)


def embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    n = int(ip)
    out: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        out.append(ip.ipv4_mapped)
    if ip in _V4_COMPATIBLE and n > 1:
        out.append(_v4(n))
    if ip in _SIXTOFOUR:
        out.append(_v4(n >> 80))
    if ip in _TEREDO:
        out.append(_v4(n >> 64))                 # the Teredo server
        out.append(_v4(~n))                      # the client, stored inverted in the low 32 bits
    if ip in _NAT64:
        out.append(_v4(n))
    if ip in _NAT64_LOCAL:
        # RFC 6052 puts the IPv4 address after a /48../96 prefix; the prefix length is not in the address,
        # so every position is a candidate (bits 64-71 are the reserved "u" octet).
        out.append(_v4(n))                                                   # /96
        out.append(_v4(((n >> 64) & 0xFFFF) << 16 | ((n >> 40) & 0xFFFF)))   # /48
        out.append(_v4(((n >> 64) & 0xFF) << 24 | ((n >> 32) & 0xFFFFFF)))   # /56
        out.append(_v4(n >> 24))                                             # /64
    return list(dict.fromkeys(out))


def never_allowed(ip: IPAddress) -> str | None:
    """Why revops never connects to `ip` (a metadata or link-local address, plain or embedded), or None."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        ip = ipaddress.IPv6Address(str(ip).split("%")[0])
    for candidate in (ip, *embedded_ipv4(ip)):
        inside = f" ({candidate} inside {ip})" if candidate != ip else ""
        if candidate in METADATA_IPS:
            return f"a cloud metadata address{inside}"
        if any(candidate.version == net.version and candidate in net for net in LINK_LOCAL):
            return f"a link-local address{inside}"
    return None


def ip_literal(host: str) -> IPAddress | None:
    """The address a URL host names without DNS: an IP literal, or an IPv4 number in any form the C
    resolver accepts (decimal 2852039166, octal 0251.0376.0251.0376, hex 0xa9fea9fe, short 169.254.43518)."""
    host = host.strip().strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and _NUMERIC_V4.match(host) and any(ch.isdigit() for ch in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except (OSError, ValueError):
            return None
    return None


def resolve_host(host: str, port: int, resolver: Callable[..., Any] = socket.getaddrinfo) -> list[IPAddress]:
    """Every address a host name resolves to (an IP literal: itself). Raises OSError when it does not resolve."""
    literal = ip_literal(host)
    if literal is not None:
        return [literal]
    addresses: list[IPAddress] = []
    for info in resolver(host, port, 0, socket.SOCK_STREAM):
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if ip not in addresses:
            addresses.append(ip)
    return addresses


def check_outbound_url(url: str, setting: str, *, resolver: Callable[..., Any] = socket.getaddrinfo) -> None:
    """Refuse a configured base URL (search.url, slack.api_url) whose host is or resolves to a metadata or
    link-local address. A host that does not resolve is left to the client's own connection error."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(str(url).strip())
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return
    if not host:
        return
    try:
        addresses = resolve_host(host, port, resolver)
    except (OSError, UnicodeError, ValueError):
        return
    refuse_never_allowed(addresses, f"{setting} host {host}", setting)


def refuse_never_allowed(addresses: Iterable[IPAddress], what: str, setting: str) -> None:
    for ip in addresses:
        reason = never_allowed(ip)
        if reason:
            raise OutboundRefused(f"{what} resolves to {ip}, {reason}; revops never connects there",
                                  f"metadata and link-local addresses are refused whatever the allow list says; "
                                  f"fix {setting}")
