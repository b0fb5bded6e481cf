"""Server-side HTTP requests to URLs someone else gave us (partner webhooks, Web Push endpoints).

Safe by construction, in one place:
1. the URL is read once (:func:`chalicelib.domain.urls.parse_url`, strict: nothing two parsers
   could read differently), and optionally its host must be one of ``allowed_hosts`` exactly;
2. the host is resolved once; every address it resolves to must be public (no loopback, private,
   link-local, metadata, multicast or reserved address; loopback only on the local stage);
3. the connection goes to the address that was checked (no second resolution, so DNS rebinding
   cannot swap it), while TLS still sends SNI for the host name and verifies the certificate
   against it;
4. redirects are never followed (a 3xx is an answer like any other, reported as not delivered);
5. the whole exchange has one deadline (a watchdog closes the socket when it passes, so a server
   that drips bytes cannot hold us) and at most ``max_body`` bytes of the answer are read;
6. failures come back as a short reason ("refused: private address", "timed out",
   "TLS certificate not valid for this host"), never the peer's text or a stack trace.

Only the standard library (``http.client``, ``socket``, ``ssl``): nothing heavy at import.
"""
from __future__ import annotations

import http.client
import socket
import ssl
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterable

from chalicelib.domain.urls import Target, UrlRefused, address_refusal, host_allowed, parse_url

DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_BODY = 16 * 1024
# special-use and common intranet top-level names: never a partner's public endpoint
_INTERNAL_SUFFIXES = {"localhost", "local", "localdomain", "internal", "intranet", "lan", "home", "corp",
                      "private", "test", "invalid", "onion"}


class OutboundRefused(Exception):
    """We did not send: the URL or its addresses are not allowed. ``reason`` is short and safe."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class OutboundResponse:
    status: int | None          # None when nothing was answered (refused, unreachable, timed out)
    reason: str | None          # short, safe to log and show: None for a 2xx
    body: bytes = b""
    headers: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


# (host, port) -> socket addresses (ip, port), as getaddrinfo gives them
Resolver = Callable[[str, int], Iterable[tuple[str, int]]]


def _system_resolver(host: str, port: int) -> list[tuple[str, int]]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    out: list[tuple[str, int]] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        if (sockaddr[0], sockaddr[1]) not in out:
            out.append((sockaddr[0], sockaddr[1]))
    return out


# Tests replace these with ``set_resolver`` / ``set_tls_context`` (nothing leaves the machine).
_resolver: Resolver = _system_resolver
_tls_context_factory: Callable[[], ssl.SSLContext] = ssl.create_default_context


def set_resolver(resolver: Resolver | None) -> None:
    global _resolver
    _resolver = resolver or _system_resolver


def set_tls_context(factory: Callable[[], ssl.SSLContext] | None) -> None:
    global _tls_context_factory
    _tls_context_factory = factory or ssl.create_default_context


def _local_stage() -> bool:
    from chalicelib.settings import get_settings
    return get_settings().stage == "local"


def check_url(url: str, *, allowed_hosts: Iterable[str] | None = None, allow_loopback: bool | None = None,
              require_https: bool = True, resolve: bool = True) -> tuple[Target, list[tuple[str, int]]]:
    """Parse and check ``url`` without sending: returns the target and its checked addresses
    (empty when ``resolve`` is False). Raises :class:`OutboundRefused` with a short reason."""
    loopback_ok = _local_stage() if allow_loopback is None else allow_loopback
    try:
        target = parse_url(url)
    except UrlRefused as exc:
        raise OutboundRefused(f"refused: {exc.reason}") from None
    if target.ip_literal:
        literal_refusal = address_refusal(target.host, allow_loopback=loopback_ok)
        if literal_refusal:
            raise OutboundRefused(f"refused: {literal_refusal}")
    loopback_target = loopback_ok and target.host in ("localhost", "127.0.0.1", "::1")
    if not target.ip_literal and not loopback_target and (
            "." not in target.host or target.host.rsplit(".", 1)[-1] in _INTERNAL_SUFFIXES
            or target.host.endswith((".home.arpa", ".in-addr.arpa", ".ip6.arpa"))):
        raise OutboundRefused("refused: internal host name")
    if allowed_hosts is not None and not host_allowed(target.host, allowed_hosts) and not loopback_target:
        raise OutboundRefused("refused: host is not allowed")
    if target.scheme != "https" and require_https and not loopback_target:
        raise OutboundRefused("refused: https is required")
    if not loopback_target and target.port != 443 and target.port < 1024:
        raise OutboundRefused("refused: port not allowed (443 or 1024-65535)")
    if not resolve:
        return target, []
    if target.ip_literal:
        return target, [(target.host, target.port)]
    try:
        addresses = list(_resolver(target.host, target.port))
    except (OSError, UnicodeError):
        raise OutboundRefused("host name does not resolve") from None
    if not addresses:
        raise OutboundRefused("host name does not resolve")
    for address, _port in addresses:  # one non-public answer refuses the host: no picking the "good" one
        refusal = address_refusal(address, allow_loopback=loopback_ok)
        if refusal:
            raise OutboundRefused(f"refused: host resolves to a {refusal}")
    return target, addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, address: tuple[str, int], timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address
        self.on_socket: Callable[[socket.socket], None] = lambda s: None

    def connect(self):
        self.sock = socket.create_connection(self._address, self.timeout)
        self.on_socket(self.sock)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, address: tuple[str, int], timeout: float, context: ssl.SSLContext):
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self._address = address
        self._tls = context
        self.on_socket: Callable[[socket.socket], None] = lambda s: None

    def connect(self):
        raw = socket.create_connection(self._address, self.timeout)
        self.on_socket(raw)
        # SNI and certificate verification for the host name, on the connection to the checked address
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def request(method: str, url: str, *, body: bytes | None = None, headers: dict | None = None,
            allowed_hosts: Iterable[str] | None = None, timeout: float = DEFAULT_TIMEOUT,
            max_body: int = DEFAULT_MAX_BODY, allow_loopback: bool | None = None) -> OutboundResponse:
    """Send one request to a URL someone else gave us. Never raises for network trouble: the
    answer's ``status`` is None and ``reason`` says why in a few words."""
    try:
        target, addresses = check_url(url, allowed_hosts=allowed_hosts, allow_loopback=allow_loopback)
    except OutboundRefused as exc:
        return OutboundResponse(None, exc.reason)
    last = OutboundResponse(None, "not reachable")
    for address in addresses[:3]:
        last = _send(target, address, method, body, headers or {}, timeout, max_body)
        if last.status is not None or last.reason not in ("not reachable",):
            return last
    return last


def _send(target: Target, address: tuple[str, int], method: str, body: bytes | None, headers: dict, timeout: float,
          max_body: int) -> OutboundResponse:
    if target.scheme == "https":
        conn: http.client.HTTPConnection = _PinnedHTTPSConnection(target, address, timeout, _tls_context_factory())
    else:
        conn = _PinnedHTTPConnection(target, address, timeout)
    expired = threading.Event()
    sockets: list[socket.socket] = []

    def _deadline():
        expired.set()
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    conn.on_socket = sockets.append  # type: ignore[attr-defined]
    watchdog = threading.Timer(timeout, _deadline)
    watchdog.daemon = True
    watchdog.start()
    try:
        sent_headers = {k: v for k, v in headers.items() if k.lower() != "host"}
        conn.request(method, target.path, body=body, headers=sent_headers)
        resp = conn.getresponse()
        data = resp.read(max_body + 1)
        if len(data) > max_body:
            data = data[:max_body]
        status = resp.status
        if expired.is_set():
            return OutboundResponse(None, "timed out")
        if 200 <= status < 300:
            reason = None
        elif 300 <= status < 400:
            reason = f"HTTP {status} (redirects are not followed)"
        else:
            reason = f"HTTP {status}"
        return OutboundResponse(status, reason, data, {k.lower(): v for k, v in resp.getheaders()})
    except ssl.SSLCertVerificationError:
        return OutboundResponse(None, "TLS certificate not valid for this host")
    except ssl.SSLError:
        return OutboundResponse(None, "TLS handshake failed")
    except (socket.timeout, TimeoutError):
        return OutboundResponse(None, "timed out")
    except ConnectionRefusedError:
        return OutboundResponse(None, "not reachable")
    except (OSError, http.client.HTTPException, ValueError):
        return OutboundResponse(None, "timed out" if expired.is_set() else "connection failed")
    finally:
        watchdog.cancel()
        conn.close()
