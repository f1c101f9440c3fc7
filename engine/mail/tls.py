"""Whom SMTP and IMAP connections trust, and where onboarding may connect at all.

Trust: every connection verifies the server's certificate against the system store, plus the deployment's CA
bundle (`MAIL_CA_FILE`), plus the mailbox's own CA (`Mailbox.tls_ca_pem`, for an agency running its own
Postfix/Dovecot or a provider with a private CA). Building an `SSLContext` costs about 45 ms of CPU
(facts/performance.md §1), so one context is built per distinct (CA file, mailbox CA) pair and reused.

Reach: the login tests of an import connect where a manager's CSV says. Left open, that is a port scanner into
the agency's own network, so only mail ports are allowed (`MAIL_ALLOWED_PORTS`) and hosts that resolve to
loopback, private, link-local or other non-public addresses are refused unless `MAIL_ALLOW_PRIVATE_HOSTS`.

When a certificate is not trusted, `peer_certificate` fetches it once more without verification (no credentials
are ever sent on such a connection) so the message can name its issuer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from engine.errors import UserError
from engine.mail.providers import Endpoint
from models.enums import TlsMode

if TYPE_CHECKING:
    from engine.settings import Settings

DEFAULT_MAIL_PORTS: Final = frozenset({25, 465, 587, 2525, 143, 993})
"""SMTP (25, 465, 587 and the common alternative 2525) and IMAP (143, 993)."""

MAX_CA_PEM_BYTES: Final = 32 * 1024  # a root plus an intermediate is about 4 KB; a whole system bundle is not wanted
MAX_CA_CERTIFICATES: Final = 10
_CONTEXT_CACHE: Final = 64  # distinct private CAs in one fleet are a handful; each context holds the system store
_RESOLVE_TIMEOUT_S: Final = 10.0
_PEM_CERT: Final = "-----BEGIN CERTIFICATE-----"


# ------------------------------------------------------------------------------------------- trust


def client_context(ca_pem: str = "", ca_file: str | None = None) -> ssl.SSLContext:
    """The verifying client context that trusts the system store, `ca_file` and `ca_pem`; one per distinct pair.

    `ca_pem` must be validated already (`normalize_ca_pem`); `ca_file` is the start-up-checked MAIL_CA_FILE.
    """
    return _context(ca_pem.strip(), ca_file or None)


@functools.lru_cache(maxsize=_CONTEXT_CACHE)
def _context(ca_pem: str, ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    if ca_pem:
        context.load_verify_locations(cadata=ca_pem)
    return context


def normalize_ca_pem(text: str) -> str:
    """A CA bundle as PEM text, checked and re-serialized ("" stays "": the default trust).

    Raises `UserError`: `error-ca-too-large`, `error-ca-private-key` (a key must never be sent or stored),
    `error-ca-invalid` (no certificate, or one that neither `cryptography` nor OpenSSL can read),
    `error-ca-too-many`.
    """
    text = text.strip().replace("\r\n", "\n")
    if not text:
        return ""
    if len(text.encode("utf-8", "replace")) > MAX_CA_PEM_BYTES:
        raise UserError("error-ca-too-large", limit_kb=str(MAX_CA_PEM_BYTES // 1024))
    if "PRIVATE KEY-----" in text:
        raise UserError("error-ca-private-key")
    if _PEM_CERT not in text or not text.isascii():
        raise UserError("error-ca-invalid")
    try:
        certificates = x509.load_pem_x509_certificates(text.encode("ascii"))
    except ValueError:
        raise UserError("error-ca-invalid") from None
    if len(certificates) > MAX_CA_CERTIFICATES:
        raise UserError("error-ca-too-many", limit=str(MAX_CA_CERTIFICATES))
    pem = "".join(c.public_bytes(Encoding.PEM).decode("ascii") for c in certificates)
    try:
        ssl.create_default_context(cadata=pem)  # OpenSSL must accept it too, or every connection would fail
    except ssl.SSLError:
        raise UserError("error-ca-invalid") from None
    return pem


def check_ca_file(path: str) -> None:
    """Raise `ValueError` (for the settings message) unless `path` is a readable PEM bundle OpenSSL accepts."""
    try:
        with open(path, encoding="ascii") as handle:
            text = handle.read(4 * 1024 * 1024)
    except (OSError, UnicodeDecodeError):
        raise ValueError("expected a readable PEM file of CA certificates") from None
    if _PEM_CERT not in text:
        raise ValueError("expected a PEM file with at least one CA certificate (-----BEGIN CERTIFICATE-----)")
    try:
        ssl.create_default_context(cafile=path)
    except ssl.SSLError:
        raise ValueError("the file's certificates cannot be read (not PEM certificates?)") from None


# ------------------------------------------------------------------------------------------- reach


Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Turns (host, port) into IP address literals; `resolve` in production, a stand-in in tests."""


@dataclasses.dataclass(frozen=True, slots=True)
class MailPolicy:
    """What a deployment allows onboarding to do: the CA file it trusts, the ports and hosts it may reach, and
    how it resolves host names (`resolver`; None: the system's, `resolve`)."""

    ca_file: str | None = None
    allowed_ports: frozenset[int] = DEFAULT_MAIL_PORTS
    allow_private_hosts: bool = False
    resolver: Resolver | None = None

    @classmethod
    def from_settings(cls, settings: Settings | None) -> MailPolicy:
        """The deployment's policy (MAIL_CA_FILE, MAIL_ALLOWED_PORTS, MAIL_ALLOW_PRIVATE_HOSTS); defaults if None."""
        if settings is None:
            return cls()
        return cls(
            ca_file=str(settings.mail_ca_file) if settings.mail_ca_file else None,
            allowed_ports=frozenset(settings.mail_allowed_ports),
            allow_private_hosts=settings.mail_allow_private_hosts,
        )

    def context(self, ca_pem: str = "") -> ssl.SSLContext:
        return client_context(ca_pem, self.ca_file)

    def port_allowed(self, port: int) -> bool:
        return port in self.allowed_ports

    def ports_text(self) -> str:
        return ", ".join(str(p) for p in sorted(self.allowed_ports))


@dataclasses.dataclass(frozen=True, slots=True)
class Refusal:
    """Why onboarding may not connect to an endpoint: `key` names a locale message, `params` fill it."""

    key: str
    params: dict[str, str]


@dataclasses.dataclass(frozen=True, slots=True)
class Reach:
    """The verdict on one endpoint: the vetted addresses to connect to, or why no connection may be made.

    A client given a `Reach` connects to `addresses` and never resolves the host name again, so a name whose
    answer changes between the check and the connection (DNS rebinding, a zero TTL) cannot lead it elsewhere;
    TLS is still verified against the host name. No addresses and no refusal: the name did not resolve.
    """

    endpoint: Endpoint
    addresses: tuple[str, ...] = ()
    refusal: Refusal | None = None


async def vet(endpoint: Endpoint, policy: MailPolicy) -> Reach:
    """Resolve `endpoint` once and judge it by `policy`: a port outside MAIL_ALLOWED_PORTS or (unless
    MAIL_ALLOW_PRIVATE_HOSTS) any non-public address refuses it. A name that does not resolve is not refused
    here: the connection attempt reports it in its own words.
    """
    where = {"host": endpoint.host, "port": str(endpoint.port)}
    if not policy.port_allowed(endpoint.port):
        refused = Refusal(
            "error-mail-port-not-allowed", where | {"allowed": policy.ports_text(), "setting": "MAIL_ALLOWED_PORTS"}
        )
        return Reach(endpoint, refusal=refused)
    addresses = tuple(await (policy.resolver or resolve)(endpoint.host, endpoint.port))
    if not policy.allow_private_hosts:
        for address in addresses:
            if not public_address(address):
                private = where | {"ip": address, "setting": "MAIL_ALLOW_PRIVATE_HOSTS"}
                return Reach(endpoint, refusal=Refusal("error-mail-host-private", private))
    return Reach(endpoint, addresses)


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order (an IP literal is itself); [] when it does not
    resolve in time."""
    with contextlib.suppress(ValueError):
        return [str(ipaddress.ip_address(host.strip("[]")))]
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(_RESOLVE_TIMEOUT_S):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def open_socket(addresses: Sequence[str], port: int) -> socket.socket:
    """A connected, non-blocking TCP socket to the first of `addresses` (IP literals) that accepts.

    Never resolves a name. Raises `socket.gaierror` when there is no address (the name did not resolve), else
    the last connection error; time limits are the caller's.
    """
    loop = asyncio.get_running_loop()
    error: OSError = socket.gaierror(socket.EAI_NONAME, "the host name does not resolve")
    for address in addresses:
        infos = await loop.getaddrinfo(address, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
        family, kind, proto, _, sockaddr = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    raise error


_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix: the last 32 bits are IPv4
_NAT64_LOCAL: Final = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215 local-use translation: never global
_IPV4_COMPATIBLE: Final = ipaddress.IPv6Network("::/96")  # deprecated (RFC 4291 §2.5.5.1); `::` and `::1` too


def public_address(address: str) -> bool:
    """True for a globally routable address. An IPv6 address that carries an IPv4 one (IPv4-mapped, NAT64,
    6to4, Teredo) is public only if that IPv4 address is; IPv4-compatible and local-use NAT64 never are."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _global(ip.ipv4_mapped)
        if ip in _IPV4_COMPATIBLE or ip in _NAT64_LOCAL:
            return False
        return _global(ip) and all(_global(v4) for v4 in _embedded_ipv4(ip))
    return _global(ip)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    if ip in _NAT64:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    return []


def _global(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


# ------------------------------------------------------------------------------------------- explaining a failure


@dataclasses.dataclass(frozen=True, slots=True)
class CertificateInfo:
    """Who issued the certificate a server presented, and which names it is valid for."""

    issuer: str
    names: tuple[str, ...]


def _unverified() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # only to read the certificate: nothing is sent on this connection
    return context


async def peer_certificate(
    endpoint: Endpoint,
    protocol: Literal["smtp", "imap"],
    *,
    timeout_s: float,
    addresses: Sequence[str] | None = None,
) -> CertificateInfo | None:
    """The certificate `endpoint` presents, fetched without verifying it; None if that fails too.

    `addresses` (a `Reach`'s vetted ones) are connected to instead of resolving the host name again.
    """
    try:
        async with asyncio.timeout(timeout_s):
            der = await _fetch_certificate(endpoint, protocol, addresses)
    except (OSError, TimeoutError, EOFError, ValueError, asyncio.IncompleteReadError):
        return None
    if der is None:
        return None
    try:
        certificate = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    return CertificateInfo(issuer=certificate.issuer.rfc4514_string() or "—", names=_names(certificate))


async def _fetch_certificate(
    endpoint: Endpoint, protocol: Literal["smtp", "imap"], addresses: Sequence[str] | None
) -> bytes | None:
    implicit = endpoint.tls is TlsMode.IMPLICIT
    tls_options: dict[str, Any] = {"ssl": _unverified(), "server_hostname": endpoint.host} if implicit else {}
    if addresses is None:
        reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port, **tls_options)
    else:
        sock = await open_socket(addresses, endpoint.port)
        reader, writer = await asyncio.open_connection(sock=sock, **tls_options)  # asyncio owns `sock` now

    try:
        if not implicit:
            await (_smtp_starttls(reader, writer) if protocol == "smtp" else _imap_starttls(reader, writer))
            await writer.start_tls(_unverified(), server_hostname=endpoint.host)
        ssl_object = writer.get_extra_info("ssl_object")
        return ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()


async def _smtp_reply(reader: asyncio.StreamReader) -> bytes:
    while True:
        line = await reader.readline()
        if not line:
            raise EOFError("connection closed")
        if line[3:4] != b"-":
            return line


async def _smtp_starttls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _smtp_reply(reader)
    writer.write(b"EHLO [127.0.0.1]\r\n")
    await _smtp_reply(reader)
    writer.write(b"STARTTLS\r\n")
    if not (await _smtp_reply(reader)).startswith(b"220"):
        raise ValueError("STARTTLS refused")


async def _imap_starttls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readline()
    writer.write(b"c1 STARTTLS\r\n")
    while True:
        line = await reader.readline()
        if not line:
            raise EOFError("connection closed")
        if line.startswith(b"c1 "):
            if not line[3:].upper().startswith(b"OK"):
                raise ValueError("STARTTLS refused")
            return


def _names(certificate: x509.Certificate) -> tuple[str, ...]:
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return tuple(str(a.value) for a in certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME))
    names = [str(n) for n in san.get_values_for_type(x509.DNSName)]
    names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return tuple(names)
