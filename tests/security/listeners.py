"""Local listeners for the security tests: plain and TLS HTTP servers on 127.0.0.x free ports that
record what reached them, a test certificate authority, and a resolver stub. Nothing leaves the
machine: every name the code under test resolves goes through the stub."""
from __future__ import annotations

import datetime as dt
import ssl
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class Listener:
    """An HTTP(S) server on ``host``:free port. ``answer(handler)`` decides the reply; every request
    is recorded in ``hits`` (method, path, Host header, SNI name for TLS)."""

    def __init__(self, host: str = "127.0.0.1", answer=None, tls: ssl.SSLContext | None = None, port: int = 0):
        self.hits: list[dict] = []
        self.connections = 0
        self.sni: list[str | None] = []
        listener = self
        answer = answer or (lambda h: h.reply(200, b"ok"))

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status: int, body: bytes = b"", headers: dict | None = None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                listener.hits.append({"method": self.command, "path": self.path, "host": self.headers.get("Host"),
                                      "headers": dict(self.headers.items()), "body": body})
                answer(self)

            do_GET = do_POST = do_PUT = _any

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):
                sock, addr = super().get_request()
                listener.connections += 1
                return sock, addr

        self.server = Server((host, port), Handler)
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: listener.sni.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.host, self.port = self.server.server_address[:2]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/hook", scheme: str = "http", host: str | None = None) -> str:
        return f"{scheme}://{host or self.host}:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class LocalCA:
    """A throw-away certificate authority; ``server_context(name)`` is a TLS server context with a
    certificate for ``name`` signed by it, ``client_context()`` trusts only this CA."""

    def __init__(self):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self._dir = Path(tempfile.mkdtemp(prefix="crowdfix-ca-"))
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "crowdfix test CA")])
        now = dt.datetime.now(dt.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                  content_commitment=False, key_encipherment=False,
                                                  data_encipherment=False, key_agreement=False,
                                                  encipher_only=False, decipher_only=False), critical=True)
                     .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
                     .sign(self.key, hashes.SHA256()))
        self.ca_file = self._dir / "ca.pem"
        from cryptography.hazmat.primitives import serialization
        self.ca_file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def server_context(self, dns_name: str) -> ssl.SSLContext:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.timezone.utc)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_name)]))
                .issuer_name(self.cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                               critical=False)
                .sign(self.key, hashes.SHA256()))
        stem = self._dir / dns_name.replace("*", "_")
        stem.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        stem.with_suffix(".key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                               serialization.PrivateFormat.PKCS8,
                                                               serialization.NoEncryption()))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(stem.with_suffix(".crt"), stem.with_suffix(".key"))
        return ctx

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


class StubResolver:
    """Maps host names to socket addresses; counts the look-ups; unknown names do not resolve."""

    def __init__(self, table: dict | None = None):
        self.table = dict(table or {})
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int):
        self.calls.append((host, port))
        answer = self.table.get(host)
        if callable(answer):
            answer = answer(len([c for c in self.calls if c[0] == host]))
        if not answer:
            raise OSError(f"stub resolver: {host} is not known")
        return [(a, port) if isinstance(a, str) else tuple(a) for a in answer]


def dripping(interval: float = 0.05):
    """An answer that sends its status line and then one header byte at a time, forever."""
    def answer(h):
        h.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        h.wfile.flush()
        try:
            while True:
                h.wfile.write(b"a")
                h.wfile.flush()
                time.sleep(interval)
        except OSError:
            return
    return answer
