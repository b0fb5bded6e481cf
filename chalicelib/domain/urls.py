"""One strict reading of a URL someone else gave us, and which addresses are public.

Validators (push subscriptions, webhook endpoints) and the outbound HTTP client
(``chalicelib.adapters.outbound``) use the same :func:`parse_url`, and the client sends to the
host, port and path that this parse produced: there is no second reading of the text by another
library that could disagree (``https://127.0.0.1\\@fcm.googleapis.com/`` is one URL to Python's
``urlsplit`` — host ``fcm.googleapis.com`` — and another to a WHATWG parser — host ``127.0.0.1``).
So anything two parsers might read differently is refused outright: user info (``@``), back-slashes,
white space and control characters, percent-encoded or non-ASCII host names, numeric host
shortcuts (``127.1``, ``0x7f.0.0.1``, ``2130706433``), fragments.

Pure: no I/O, no AWS import.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

MAX_URL_LENGTH = 2048
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_PATH_CHARS = re.compile(r"^[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$")


class UrlRefused(ValueError):
    """The URL is not one we will call; ``reason`` is short and safe to show and log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    scheme: str           # "https" or "http"
    host: str             # lower-case host name, or the IP literal without brackets
    port: int
    path: str             # path and query, starting with "/"
    ip_literal: bool

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")

    @property
    def url(self) -> str:
        return self.origin + self.path


def parse_url(url: str) -> Target:
    """The one reading of ``url``; raises :class:`UrlRefused` for anything ambiguous."""
    if not isinstance(url, str) or not url:
        raise UrlRefused("no URL")
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused("URL too long")
    if any(ord(c) <= 0x20 or ord(c) >= 0x7F for c in url):
        raise UrlRefused("URL has spaces, control or non-ASCII characters")
    if "\\" in url:
        raise UrlRefused("URL has a back-slash")
    if "#" in url:
        raise UrlRefused("URL has a fragment")
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("http", "https"):
        raise UrlRefused("URL must start with https://")
    cut = min([i for i in (rest.find("/"), rest.find("?")) if i >= 0], default=len(rest))
    authority, path = rest[:cut], rest[cut:]
    path = path if path.startswith("/") else "/" + path
    if "@" in authority:
        raise UrlRefused("URL has user info (@)")
    if not authority:
        raise UrlRefused("URL has no host")
    if not _PATH_CHARS.match(path):
        raise UrlRefused("URL path has characters that must be percent-encoded")
    host, port = _split_port(authority)
    default = 443 if scheme == "https" else 80
    port = default if port is None else port
    ip = _ip_literal(host)
    if ip is not None:
        return Target(scheme, ip.compressed, port, path, True)
    host = host.lower().rstrip(".") if host.endswith(".") and not host.endswith("..") else host.lower()
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise UrlRefused("URL host is not a valid host name")
    if labels[-1].isdigit() or re.fullmatch(r"0x[0-9a-f]*", labels[-1]):
        raise UrlRefused("URL host is a numeric address in a non-standard form")
    return Target(scheme, host, port, path, False)


def _split_port(authority: str) -> tuple[str, int | None]:
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise UrlRefused("URL has an unclosed [")
        host, rest = authority[1:end], authority[end + 1:]
        if not host:
            raise UrlRefused("URL has no host")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise UrlRefused("URL host in [] is not an IPv6 address") from None
        if rest and not rest.startswith(":"):
            raise UrlRefused("URL has characters after the host")
        port_text = rest[1:] if rest else None
    else:
        host, colon, port_text = authority.partition(":")
        port_text = port_text if colon else None
        if "[" in host or "]" in host:
            raise UrlRefused("URL host is not a valid host name")
    if port_text is None:
        return host, None
    if not port_text.isdigit() or len(port_text) > 5 or not 1 <= int(port_text) <= 65535:
        raise UrlRefused("URL port is not a number from 1 to 65535")
    return host, int(port_text)


def _ip_literal(host: str):
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def host_allowed(host: str, allowed) -> bool:
    """``host`` (from :func:`parse_url`) is in ``allowed``: an entry is an exact host name, or
    ``.suffix`` for the sub-domains of a service that names one host per region (label boundary)."""
    for entry in allowed:
        if entry.startswith("."):
            if host.endswith(entry) and len(host) > len(entry):
                return True
        elif host == entry:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# addresses

_METADATA = {ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254",
                                                 "100.100.100.200", "192.0.0.192")}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_refusal(address: str, *, allow_loopback: bool = False) -> str | None:
    """Why we will not connect to ``address`` (an IP string), or None when it is public.
    Loopback is allowed only when ``allow_loopback`` (the local stage)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_refusal(str(embedded), allow_loopback=allow_loopback)
    if ip.is_loopback:
        return None if allow_loopback else "loopback address"
    if ip in _METADATA:
        return "cloud metadata address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_private:
        return "private address"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved or not ip.is_global:
        return "not a public address"
    return None
