"""A real Knot DNS authoritative server on loopback, plus broken-resolver doubles, for integration tests.

`DnsServer` runs `knotd` in the foreground as a child of the test process, so `stop()` can reap it (with `-d`
the daemon is orphaned to PID 1, which does not reap it here), with its own config, state and zone files under
a base directory. Zones are rewritten as whole files, checked with `knotc zone-check`, loaded with
`knotc zone-reload` (or a config reload for a new zone) and polled over DNS until the new serial is served.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import socketserver
import subprocess
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import NamedTuple, Self

import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.SPF
import dns.rdtypes.ANY.TXT
import dns.rdtypes.txtbase

LOOPBACK = "127.0.0.1"
LOOPBACK6 = "::1"

_TXT_CHUNK = 255  # longest <character-string> in a TXT record (RFC 1035 3.3)
_TXT_TYPES: dict[dns.rdatatype.RdataType, type[dns.rdtypes.txtbase.TXTBase]] = {
    dns.rdatatype.TXT: dns.rdtypes.ANY.TXT.TXT,
    dns.rdatatype.SPF: dns.rdtypes.ANY.SPF.SPF,
}
# RFC 5782 section 5: these must be listed (A 127.0.0.2); 127.0.0.1 / ::FFFF:7F00:1 / "invalid" must not be.
_RFC5782_TEST_POINTS = {"127.0.0.2": "127.0.0.2", "::ffff:7f00:2": "127.0.0.2", "test": "127.0.0.2"}
_RFC5782_REASON = "RFC 5782 test point"


class Record(NamedTuple):
    """One resource record: owner "@", relative ("_dmarc") or absolute ("mx.a.test" or "mx.a.test.").

    An owner without a final dot is taken as absolute when it is the zone or inside it, else as relative to
    the zone. TXT/SPF values are the raw text (no quotes); other values are zone-file rdata, with names
    relative to the zone unless they end in a dot.
    """

    owner: str
    type: str
    value: str
    ttl: int = 300


RecordLike = Record | tuple[str, str, str] | tuple[str, str, str, int]


def make_resolver(host: str, port: int, *, lifetime: float = 2.0) -> dns.asyncresolver.Resolver:
    """Return an async resolver that asks only `host:port`, never caches and gives up after `lifetime` s."""
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = port
    resolver.cache = None
    resolver.lifetime = lifetime
    return resolver


class _LoopbackService(ABC):
    """Something listening on 127.0.0.1 that a resolver can be pointed at; usable as a context manager."""

    host = LOOPBACK

    @property
    @abstractmethod
    def port(self) -> int:
        """The UDP (and TCP) port."""

    @abstractmethod
    def start(self) -> None:
        """Start listening."""

    @abstractmethod
    def stop(self) -> None:
        """Stop listening and release the port."""

    def resolver(self, *, lifetime: float = 2.0) -> dns.asyncresolver.Resolver:
        """An async resolver pointed at this service only."""
        return make_resolver(self.host, self.port, lifetime=lifetime)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class DnsServer(_LoopbackService):
    """Knot DNS serving test zones on 127.0.0.1 (and ::1 when the host has it) on one free high port."""

    ready_timeout = 10.0

    def __init__(self, base_dir: Path | str, *, port: int | None = None) -> None:
        self.base_dir = Path(base_dir).resolve()
        self._port = port
        self._ipv6 = _has_ipv6_loopback()
        self._conf = self.base_dir / "knot.conf"
        self._check_conf = self.base_dir / "zone-check.conf"
        self._pidfile = self.base_dir / "knot.pid"
        self._socket = self.base_dir / "knot.sock"
        self._log = self.base_dir / "knot.log"
        self._db = self.base_dir / "db"
        self._zonedir = self.base_dir / "zones"
        self._zones: dict[str, int] = {}  # zone (punycode, no final dot) -> SOA serial
        self._serial = 0
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        """The port Knot listens on (UDP and TCP); chosen by the first `start()`."""
        if self._port is None:
            raise RuntimeError("DnsServer has not been started")
        return self._port

    @property
    def host6(self) -> str | None:
        """The IPv6 loopback address when Knot also listens there, else None."""
        return LOOPBACK6 if self._ipv6 else None

    @property
    def running(self) -> bool:
        """True while the knotd child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start knotd and return once it answers on UDP and TCP and serves every zone set so far."""
        if self._proc is not None:
            raise RuntimeError("DnsServer is already running")
        knotd = _binary("knotd")
        _binary("knotc")
        for path in (self._db, self._zonedir):
            path.mkdir(parents=True, exist_ok=True)
        auto_port = self._port is None
        for _attempt in range(3):
            if auto_port:
                self._port = _free_port(ipv6=self._ipv6)
            self._proc = self._launch(knotd, port_may_change=auto_port)
            if self._proc is not None:
                return
        raise RuntimeError("knotd could not bind a free port in 3 attempts")

    def _launch(self, knotd: str, *, port_may_change: bool) -> subprocess.Popen[bytes] | None:
        """Run knotd until it is ready; None if it exited because another process took the port meanwhile."""
        self._write_config()
        log_offset = self._log.stat().st_size if self._log.exists() else 0
        with self._log.open("ab") as log:
            proc = subprocess.Popen([knotd, "-c", str(self._conf)], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            self._wait(lambda: proc.poll() is not None or self._ready(), "knotd start")
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        if proc.poll() is None:
            return proc
        startup_log = self._log.read_bytes()[log_offset:].decode(errors="replace")
        if port_may_change and "address already in use" in startup_log:
            return None
        raise RuntimeError(f"knotd exited with {proc.returncode}:\n{startup_log}")

    def stop(self) -> None:
        """Stop knotd (SIGTERM, SIGKILL after 10 s) and reap it; the zones stay for a later `start()`."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def set_zone(self, name: str, records: Iterable[RecordLike]) -> int:
        """Create or replace zone `name` (Unicode or punycode) with SOA, NS and `records`; return its serial.

        When running, returns only after Knot serves the new serial. Raises ValueError (and leaves the
        served zone as it was) if the records are malformed or Knot rejects the zone (CNAME and other data).
        """
        origin = dns.name.from_text(name)
        key = origin.to_text(omit_final_dot=True).lower()
        self._serial = max(self._serial + 1, int(time.time()))
        serial = self._serial
        text = _render_zone(origin, serial, [Record(*record) for record in records])
        self._zonedir.mkdir(parents=True, exist_ok=True)
        path = self._zone_file(key)
        candidate = path.with_name(path.name + ".new")
        candidate.write_text(text, encoding="ascii")
        try:
            self._check_zone(key, candidate)
        except ValueError:
            candidate.unlink()
            raise
        candidate.replace(path)
        is_new = key not in self._zones
        self._zones[key] = serial
        if self.running:
            if is_new:
                self._write_config()
                self._knotc("reload")
            else:
                self._knotc("-b", "zone-reload", key)
            self._wait(lambda: self._serves(key, serial), f"zone {key} with serial {serial}")
        return serial

    def set_dnsbl(
        self,
        zone: str,
        listed: Mapping[str, str | Sequence[str]],
        *,
        reasons: Mapping[str, str] | None = None,
        ttl: int = 300,
        test_points: bool = True,
    ) -> int:
        """Serve a DNSBL zone: each key (IPv4/IPv6 address or domain) answers A with its return code(s).

        Addresses are queried reversed (1.2.3.4 -> 4.3.2.1.<zone>, IPv6 by nibbles), domains as-is
        (bad.example -> bad.example.<zone>); anything else is NXDOMAIN (= not listed). `reasons` adds TXT
        records. The RFC 5782 test points are listed with 127.0.0.2 (127.0.0.2, ::FFFF:7F00:2, "test"), unless
        `test_points` is false: a list seen through a resolver that hides its answers (NXDOMAIN for everything).
        """
        reasons = dict(reasons or {})
        unknown = set(reasons) - set(listed)
        if unknown:
            raise ValueError(f"reasons for entries that are not listed: {sorted(unknown)}")
        origin = dns.name.from_text(zone)
        entries = {**(_RFC5782_TEST_POINTS if test_points else {}), **listed}
        records: list[Record] = []
        for entry, codes in entries.items():
            owner = _dnsbl_owner(entry, origin)
            records += [Record(owner, "A", code, ttl) for code in ([codes] if isinstance(codes, str) else codes)]
            reason = reasons.get(entry, _RFC5782_REASON if entry in _RFC5782_TEST_POINTS else None)
            if reason is not None:
                records.append(Record(owner, "TXT", reason, ttl))
        return self.set_zone(zone, records)

    def remove_zone(self, name: str) -> None:
        """Stop serving zone `name` (REFUSED, unless a parent zone is served) and delete its file."""
        key = dns.name.from_text(name).to_text(omit_final_dot=True).lower()
        if key not in self._zones:
            raise KeyError(key)
        self._drop([key])

    def clear(self) -> None:
        """Remove every zone."""
        self._drop(list(self._zones))

    def _drop(self, keys: list[str]) -> None:
        for key in keys:
            del self._zones[key]
        if self.running:
            self._write_config()
            self._knotc("reload")
            self._wait(lambda: all(self._serves(key, None) for key in keys), f"removal of {', '.join(keys)}")
        for key in keys:
            self._zone_file(key).unlink(missing_ok=True)

    def _zone_file(self, key: str) -> Path:
        return self._zonedir / f"{key}.zone"

    def _write_config(self) -> None:
        listen = [f"{LOOPBACK}@{self.port}"] + ([f"{LOOPBACK6}@{self.port}"] if self._ipv6 else [])
        zones = "".join(f'  - domain: "{key}."\n    file: "{self._zone_file(key)}"\n' for key in self._zones)
        text = (
            f'server:\n    rundir: "{self.base_dir}"\n    pidfile: "{self._pidfile}"\n'
            f"    listen: [ {', '.join(listen)} ]\n"
            f'control:\n    listen: "{self._socket}"\n'
            f'log:\n  - target: "{self._log}"\n    any: info\n'
            f'database:\n    storage: "{self._db}"\n'
            "template:\n  - id: default\n    zonefile-sync: -1\n    zonefile-load: whole\n"
            "    journal-content: none\n"
        ) + (f"zone:\n{zones}" if zones else "")
        tmp = self._conf.with_name(self._conf.name + ".new")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(self._conf)

    def _check_zone(self, key: str, path: Path) -> None:
        """Run Knot's own loader and semantic checks on a zone file without touching the server."""
        self._check_conf.write_text(f'zone:\n  - domain: "{key}."\n    file: "{path}"\n', encoding="utf-8")
        result = subprocess.run(
            [_binary("knotc"), "-x", "-c", str(self._check_conf), "zone-check", key],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise ValueError(f"Knot rejects zone {key}:\n{result.stdout}{result.stderr}")

    def _knotc(self, *args: str) -> None:
        result = subprocess.run(
            [_binary("knotc"), "-x", "-s", str(self._socket), "-t", "10", *args],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise RuntimeError(f"knotc {' '.join(args)} failed:\n{result.stdout}{result.stderr}")

    def _query(self, name: str, *, tcp: bool = False) -> dns.message.Message | None:
        query = dns.message.make_query(name, dns.rdatatype.SOA)
        send = dns.query.tcp if tcp else dns.query.udp
        try:
            return send(query, LOOPBACK, timeout=0.5, port=self.port)
        except (OSError, dns.exception.DNSException):
            return None

    def _serves(self, key: str, serial: int | None) -> bool:
        """True if Knot answers a SOA query for `key` with this serial (None: no SOA, zone not served)."""
        response = self._query(key)
        if response is None:
            return False
        served = [rrset[0].serial for rrset in response.answer if rrset.rdtype == dns.rdatatype.SOA]
        return (served[0] if served else None) == serial

    def _ready(self) -> bool:
        return (
            self._pidfile.exists()
            and self._query(".") is not None
            and self._query(".", tcp=True) is not None
            and all(self._serves(key, serial) for key, serial in self._zones.items())
        )

    def _wait(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while not condition():
            if time.monotonic() > deadline:
                tail = "".join(self._log.read_text(errors="replace").splitlines(keepends=True)[-20:])
                raise TimeoutError(f"Knot did not serve {what} within {self.ready_timeout} s; log:\n{tail}")
            time.sleep(0.005)


class SilentUdpServer(_LoopbackService):
    """A black-hole resolver: one loopback port, UDP and TCP, that takes queries and never answers.

    TCP connections complete (the kernel accepts them into the listen backlog) and then stay silent.
    """

    def __init__(self) -> None:
        self._sockets: tuple[socket.socket, socket.socket] | None = None

    @property
    def port(self) -> int:
        """The UDP and TCP port."""
        if self._sockets is None:
            raise RuntimeError("SilentUdpServer has not been started")
        return int(self._sockets[0].getsockname()[1])

    def start(self) -> None:
        """Bind the UDP and TCP sockets."""
        self._sockets = _free_udp_tcp()
        self._sockets[1].listen(64)

    def stop(self) -> None:
        """Close both sockets."""
        for sock in self._sockets or ():
            sock.close()
        self._sockets = None


class ServfailServer(_LoopbackService):
    """A broken resolver on UDP 127.0.0.1 that answers SERVFAIL to every query (served from a thread)."""

    def __init__(self) -> None:
        self._server: socketserver.UDPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The UDP port."""
        if self._server is None:
            raise RuntimeError("ServfailServer has not been started")
        return int(self._server.server_address[1])

    def start(self) -> None:
        """Bind a free UDP port and answer in a background thread."""
        self._server = socketserver.UDPServer((LOOPBACK, 0), _ServfailHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="servfail-dns",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and close the socket."""
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()
        self._server = self._thread = None


class TruncatingServer(_LoopbackService):
    """A resolver whose every UDP answer is truncated (TC, no records) while its TCP port refuses connections:
    an answer too big for UDP behind a firewall that blocks DNS over TCP. The TCP socket is bound and never
    listens, so the port stays ours and connecting to it is refused."""

    def __init__(self) -> None:
        self._sockets: tuple[socket.socket, socket.socket] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        """The UDP port (its TCP twin refuses)."""
        if self._sockets is None:
            raise RuntimeError("TruncatingServer has not been started")
        return int(self._sockets[0].getsockname()[1])

    def start(self) -> None:
        """Bind both sockets and answer UDP in a background thread."""
        self._sockets = _free_udp_tcp()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(self._sockets[0],), name="tc-dns", daemon=True)
        self._thread.start()

    def _serve(self, udp: socket.socket) -> None:
        udp.settimeout(0.05)
        while not self._stopping.is_set():
            try:
                data, client = udp.recvfrom(4096)
                response = dns.message.make_response(dns.message.from_wire(data))
            except (TimeoutError, dns.exception.DNSException):
                continue
            response.flags |= dns.flags.TC
            udp.sendto(response.to_wire(), client)

    def stop(self) -> None:
        """End the thread, then close both sockets."""
        if self._thread is not None:
            self._stopping.set()
            self._thread.join()
        for sock in self._sockets or ():
            sock.close()
        self._sockets = self._thread = None


class _ServfailHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return
        response = dns.message.make_response(query)
        response.set_rcode(dns.rcode.SERVFAIL)
        sock.sendto(response.to_wire(), self.client_address)


def _render_zone(origin: dns.name.Name, serial: int, records: list[Record]) -> str:
    lines = [f"{origin} 300 IN SOA localhost. hostmaster.{origin} {serial} 3600 600 86400 0"]
    body = [_render_record(origin, record) for record in records]
    if not any(owner == origin and rdtype == dns.rdatatype.NS for owner, rdtype, _ in body):
        lines.append(f"{origin} 300 IN NS localhost.")
    lines += [line for _, _, line in body]
    return "\n".join(lines) + "\n"


def _render_record(origin: dns.name.Name, record: Record) -> tuple[dns.name.Name, dns.rdatatype.RdataType, str]:
    owner = _owner_name(record.owner, origin)
    rdtype = dns.rdatatype.from_text(record.type)
    if rdtype == dns.rdatatype.SOA:
        raise ValueError("the SOA record is generated by DnsServer")
    if record.ttl < 0:
        raise ValueError(f"negative TTL in {record}")
    rdata: dns.rdata.Rdata
    if rdtype in _TXT_TYPES:
        raw = record.value.encode()
        chunks = [raw[i : i + _TXT_CHUNK] for i in range(0, len(raw), _TXT_CHUNK)] or [b""]
        rdata = _TXT_TYPES[rdtype](dns.rdataclass.IN, rdtype, chunks)
    else:
        rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, record.value, origin=origin, relativize=False)
    return owner, rdtype, f"{owner} {record.ttl} IN {dns.rdatatype.to_text(rdtype)} {rdata.to_text()}"


def _owner_name(owner: str, origin: dns.name.Name) -> dns.name.Name:
    name = dns.name.from_text(owner, origin=None)
    if not name.is_absolute():
        as_absolute = name.concatenate(dns.name.root)
        name = as_absolute if as_absolute.is_subdomain(origin) else name.concatenate(origin)
    if not name.is_subdomain(origin):
        raise ValueError(f"owner {owner!r} is outside zone {origin}")
    return name


def _dnsbl_owner(entry: str, origin: dns.name.Name) -> str:
    try:
        labels = ipaddress.ip_address(entry).reverse_pointer.rsplit(".", 2)[0]  # drop in-addr.arpa / ip6.arpa
    except ValueError:
        labels = entry.rstrip(".")
    return dns.name.from_text(labels, origin=origin).to_text()


def _binary(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        raise FileNotFoundError(f"{name} not found: run tests/harness/install.sh (Debian package knot)")
    return path


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind((LOOPBACK6, 0))
    except OSError:
        return False
    return True


def _free_udp_tcp() -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket bound to one free loopback port (a few tries: the UDP port's TCP twin may be taken)."""
    for _attempt in range(20):
        try:
            return _bind_udp_tcp(LOOPBACK, 0)
        except OSError:
            continue
    raise OSError("no free loopback port with both UDP and TCP free")


def _bind_udp_tcp(host: str, port: int) -> tuple[socket.socket, socket.socket]:
    """Bind UDP to host:port (0 = any free) and TCP to the same port; OSError if TCP's is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    udp = socket.socket(family, socket.SOCK_DGRAM)
    try:
        udp.bind((host, port))
        tcp = socket.socket(family, socket.SOCK_STREAM)
        try:
            tcp.bind((host, udp.getsockname()[1]))
        except OSError:
            tcp.close()
            raise
    except OSError:
        udp.close()
        raise
    return udp, tcp


def _free_port(*, ipv6: bool) -> int:
    """A port free for UDP and TCP on 127.0.0.1 (and ::1), found by binding port 0, then released."""
    for _attempt in range(20):
        held: list[socket.socket] = []
        try:
            held += _bind_udp_tcp(LOOPBACK, 0)
            port = int(held[0].getsockname()[1])
            if ipv6:
                held += _bind_udp_tcp(LOOPBACK6, port)
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
        return port
    raise OSError("no loopback port free for both UDP and TCP")
