"""Real Postfix + Dovecot on loopback high ports, built from nothing in one directory.

``MailServer(base_dir, domains=[...], users_per_domain=N).start()`` writes every config file, a self-signed
certificate and the user maps, starts both daemons and returns when all ports answer. Faults that real
providers produce are switched per SASL login with ``set_fault`` / ``set_faults`` / ``clear_faults``.
Everything is synchronous (subprocess) so it fits session- and module-scoped pytest fixtures.

Configs, queue, certificate and logs live in ``base_dir``; mailboxes, user lists and Postfix's
data_directory live in a ``mailfleet-mail-*`` temp dir linked as ``base_dir/runtime`` and deleted by
``stop()`` (see ``_prepare_dirs`` for why).
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Self

HOST = "127.0.0.1"
POSTFIX = "/usr/sbin/postfix"
POSTSUPER = "/usr/sbin/postsuper"
POSTQUEUE = "/usr/sbin/postqueue"
DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
SIEVEC = "/usr/bin/sievec"
OPENSSL = "/usr/bin/openssl"
REQUIRED_BINARIES = (POSTFIX, POSTSUPER, POSTQUEUE, DOVECOT, DOVEADM, SIEVEC, OPENSSL)

VMAIL_UID = 5000  # numeric owner of every mailbox; needs no /etc/passwd entry
SPECIAL_FOLDERS = {"Sent": r"\Sent", "Drafts": r"\Drafts", "Junk": r"\Junk", "Trash": r"\Trash"}
START_TIMEOUT_S = 30.0  # both daemons answer within about 0.6 s on 2 cores; leave room for a loaded CI box
_MAX_SOCKET_DIR = 80  # sun_path holds 107 bytes; Dovecot's longest socket name under base_dir is ~25
STOP_TIMEOUT_S = 15.0  # Dovecot waits for its children (about 1 s) before it exits
_EX_NO_MAILBOX = 68  # doveadm's exit code for a folder that does not exist (an unknown user is 67)


class Fault(StrEnum):
    """Provider behaviours that can be switched on for one SASL login (on both submission ports).

    kind                 server answer                                 aiosmtplib raises
    rate_limit           450 4.7.1 at MAIL FROM                        SMTPSenderRefused
    tempfail             451 4.7.1 at RCPT TO                          SMTPRecipientsRefused
    reject               554 5.7.1 at RCPT TO                          SMTPRecipientsRefused
    data_reject          550 5.7.1 after DATA                          SMTPDataError
    blocked              554 5.7.1 "… blocked using …" at RCPT TO      SMTPRecipientsRefused
    disconnect_mid_data  421 4.4.2 after DATA, then Postfix hangs up   SMTPDataError, client disconnected
    auth_fail            535 5.7.8 at AUTH; IMAP LOGIN fails too       SMTPAuthenticationError
    smtp_auth_fail       535 5.7.8 at AUTH; IMAP LOGIN still works     SMTPAuthenticationError
                         (a wrong or revoked SMTP password: a provider's app password, say)
    """

    TEMPFAIL = "tempfail"
    REJECT = "reject"
    AUTH_FAIL = "auth_fail"
    SMTP_AUTH_FAIL = "smtp_auth_fail"
    DATA_REJECT = "data_reject"
    BLOCKED = "blocked"
    RATE_LIMIT = "rate_limit"
    DISCONNECT_MID_DATA = "disconnect_mid_data"


# Postfix access map (= SMTP stage) and reply of each fault that Postfix produces; AUTH_FAIL and SMTP_AUTH_FAIL live
# in Dovecot (Postfix asks it for SASL logins, as service `smtp`).
_DOVECOT_FAULTS: frozenset[Fault] = frozenset({Fault.AUTH_FAIL, Fault.SMTP_AUTH_FAIL})
_FAULT_REPLIES: dict[Fault, tuple[str, str]] = {
    Fault.RATE_LIMIT: ("mail_faults", "450 4.7.1 Error: too much mail from {login}"),
    Fault.TEMPFAIL: ("rcpt_faults", "451 4.7.1 Service temporarily unavailable, try again later"),
    Fault.REJECT: ("rcpt_faults", "554 5.7.1 Message rejected: sender flagged as spam"),
    Fault.DATA_REJECT: ("data_faults", "550 5.7.1 Message content rejected"),
    Fault.BLOCKED: ("rcpt_faults", "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using bl.example"),
    Fault.DISCONNECT_MID_DATA: ("data_faults", "421 4.4.2 Connection dropped during data transfer"),
}
_FAULT_MAPS = ("mail_faults", "rcpt_faults", "data_faults")

# The copy Postfix makes of every submitted message (sender_bcc_maps to <login>+sent@<domain>) is filed in the
# sender's Sent folder, as Gmail, Yandex and Mail.ru do with mail sent over SMTP: crash recovery looks there.
_SIEVE_SPAM = """require ["fileinto", "mailbox", "envelope", "subaddress"];
if envelope :detail "to" "sent" {
  fileinto :create "Sent";
  stop;
}
if header :is "X-Test-Spam" "yes" {
  fileinto :create "Junk";
  stop;
}
"""


@dataclass(frozen=True, slots=True)
class JunkRule:
    """A provider spam filter that files part of one sender domain's mail into Junk (a Sieve rule before delivery).

    Mail whose From address is on `sender_domain` and whose Message-ID starts with one of `id_prefixes` (after
    the "<") is filed into Junk; no prefixes: all of that domain's mail. With Message-IDs of random hex, a
    prefix set is a known share (each hex digit: 1/16). `catches` says whether it files a message.
    """

    sender_domain: str
    id_prefixes: tuple[str, ...] = ()

    def catches(self, sender: str, message_id: str) -> bool:
        domain = parseaddr(sender)[1].rpartition("@")[2].lower()
        mid = message_id.strip().lower()
        return domain == self.sender_domain.lower() and (
            not self.id_prefixes or any(mid.startswith("<" + p.lower()) for p in self.id_prefixes)
        )

    def sieve(self) -> str:
        test = f'address :domain :is "from" "{_sieve_string(self.sender_domain)}"'
        if self.id_prefixes:
            patterns = ", ".join(f'"<{_sieve_string(p)}*"' for p in self.id_prefixes)
            test = f'allof ({test}, header :matches "Message-ID" [{patterns}])'
        return f'if {test} {{\n  fileinto :create "Junk";\n  stop;\n}}\n'


def _sieve_string(text: str) -> str:
    if any(c in text for c in '"\\*?\r\n'):
        raise ValueError(f"not a plain Sieve literal: {text!r}")
    return text


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One message as Dovecot stores it: where, and the headers `MailServer.messages` was asked for (unfolded;
    "" when absent), by lower-case name."""

    address: str
    folder: str
    uid: int
    headers: dict[str, str]


class MailServerError(RuntimeError):
    """A daemon did not start, stop or answer as expected."""


@dataclass(frozen=True, slots=True)
class Ports:
    """Loopback TCP ports of one running MailServer."""

    submission: int  # SASL AUTH, STARTTLS offered (587-style)
    submissions: int  # implicit TLS + SASL AUTH (465-style)
    mx: int  # inbound MX: no AUTH, only the virtual domains, unknown users refused at RCPT
    imap: int  # plaintext IMAP
    imaps: int  # implicit-TLS IMAP
    lmtp: int  # Dovecot LMTP used by Postfix


class _Layout:
    """Every path a MailServer uses under its base directory."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.cert = base / "tls" / "cert.pem"  # the servers' certificate, issued by the test CA
        self.key = base / "tls" / "key.pem"
        self.ca = base / "tls" / "ca.pem"  # the self-signed test CA (what a private mail server's clients trust)
        self.ca_key = base / "tls" / "ca-key.pem"
        self.postfix = base / "postfix"  # config_directory: main.cf, master.cf, maps
        self.queue = base / "postfix-queue"  # outside the config dir, which Postfix wants root-owned throughout
        self.postfix_pid = self.queue / "pid" / "master.pid"
        self.postfix_log = base / "postfix.log"
        self.dovecot = base / "dovecot"
        self.dovecot_conf = self.dovecot / "dovecot.conf"
        self.dovecot_run = self.dovecot / "run"
        self.dovecot_pid = self.dovecot_run / "master.pid"
        self.dovecot_log = base / "dovecot.log"
        self.daemon_output = base / "daemons.out"
        self.runtime_link = base / "runtime"  # -> the tree unprivileged processes open by path (_prepare_dirs)

    @property
    def runtime(self) -> Path:
        return self.runtime_link.resolve()

    @property
    def users(self) -> Path:
        return self.runtime / "users"

    @property
    def denied(self) -> Path:
        return self.runtime / "denied"

    def denied_for(self, service: str) -> Path:
        """Logins refused for one Dovecot auth service only (`smtp`: Postfix's SASL); a missing file denies none."""
        return self.runtime / f"denied-{service}"

    @property
    def sieve_before(self) -> Path:
        return self.runtime / "sieve"

    @property
    def mail(self) -> Path:
        return self.runtime / "mail"

    @property
    def postfix_data(self) -> Path:
        return self.runtime / "postfix-data"


class MailServer:
    """Postfix (submission, submissions, MX) + Dovecot (IMAP, IMAPS, LMTP, Sieve) for a set of virtual domains.

    Users are ``user1@<domain>`` .. ``user<N>@<domain>`` with one shared password, or the explicit
    ``users`` list of ``(address, password)``. The SASL login is the full address, and the envelope sender
    must equal it. ``special_use=False`` makes a server without RFC 6154 flags or auto-created folders (older
    Russian providers): the spam folder is then only known by its name, and a deleted folder stays deleted.
    """

    host = HOST

    def __init__(
        self,
        base_dir: str | os.PathLike[str],
        *,
        domains: Sequence[str] = ("alpha.test", "beta.test"),
        users_per_domain: int = 5,
        password: str = "pw",
        users: Sequence[tuple[str, str]] | None = None,
        junk_rules: Sequence[JunkRule] = (),
        special_use: bool = True,
    ) -> None:
        self._junk_rules = tuple(junk_rules)
        self._special_use = special_use
        self._layout = _Layout(Path(base_dir).resolve())
        if users is None:
            users = [(f"user{n}@{d}", password) for d in domains for n in range(1, users_per_domain + 1)]
        self.users: list[tuple[str, str]] = [(address.lower(), pw) for address, pw in users]
        self.domains: list[str] = sorted({d.lower() for d in domains} | {a.split("@")[1] for a, _ in self.users})
        self._ports: Ports | None = None
        self._procs: list[subprocess.Popen[bytes]] = []
        self._logins = {address for address, _ in self.users}
        self._faults: dict[str, Fault] = {}
        self._denied_mtime = 0.0

    # ----------------------------------------------------------------- public API

    @property
    def base_dir(self) -> Path:
        """The directory holding configs, queue, mailboxes and logs."""
        return self._layout.base

    @property
    def ports(self) -> Ports:
        """Ports of the running server (``start()`` picks them)."""
        if self._ports is None:
            raise MailServerError("MailServer is not started")
        return self._ports

    @property
    def cafile(self) -> Path:
        """PEM of the self-signed test CA that issued the certificate (SAN IP:127.0.0.1) every TLS port presents."""
        return self._layout.ca

    @property
    def log_files(self) -> list[Path]:
        """Postfix log, Dovecot log, and the daemons' own start-up output."""
        return [self._layout.postfix_log, self._layout.dovecot_log, self._layout.daemon_output]

    @property
    def faults(self) -> dict[str, Fault]:
        """Faults currently switched on, by login."""
        return dict(self._faults)

    def ssl_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only the harness's test CA."""
        return ssl.create_default_context(cafile=str(self.cafile))

    def start(self) -> Self:
        """Write all configuration, start Postfix and Dovecot, and wait until every port answers."""
        if missing := missing_binaries():
            raise MailServerError(f"missing {', '.join(missing)}: run tests/harness/install.sh")
        if os.geteuid() != 0:
            raise MailServerError("Postfix and Dovecot must be started as root (they drop privileges themselves)")
        if len(str(self._layout.dovecot_run)) > _MAX_SOCKET_DIR:
            raise MailServerError(f"{self.base_dir} is too long a path for the daemons' unix sockets")
        shutdown(self.base_dir)  # leftovers of a crashed run in the same directory
        self._ports = _free_ports()
        self._faults.clear()
        self._prepare_dirs()
        self._ensure_certificate()
        self._write_dovecot()
        self._write_postfix()
        _run([SIEVEC, str(self._layout.sieve_before)])
        self._launch()
        return self

    def stop(self) -> None:
        """Stop both daemons, reap the ones started here, and delete the mailboxes (configs and logs stay)."""
        shutdown(self.base_dir)
        for proc in self._procs:
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:  # it never got as far as writing its pid file
                proc.kill()
                proc.wait()
        self._procs = []
        self._ports = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def set_fault(self, login: str, kind: Fault | str) -> None:
        """Switch one fault on for ``login`` (replacing any fault it had)."""
        self.set_faults({login: kind})

    def set_faults(self, faults: Mapping[str, Fault | str]) -> None:
        """Switch several faults on at once: one Postfix reload (about 0.2 s) for all Postfix-side faults.

        ``auth_fail`` needs no reload but waits up to 1 s, until Dovecot has re-read its deny list.
        """
        self._apply_faults({**self._faults, **{login.lower(): Fault(kind) for login, kind in faults.items()}})

    def clear_faults(self) -> None:
        """Switch every fault off."""
        self._apply_faults({})

    def reset(self) -> None:
        """Empty the Postfix queue and every existing mailbox, and clear faults."""
        _run([POSTSUPER, "-c", str(self._layout.postfix), "-d", "ALL"])
        homes = [
            f"{user.name}@{domain.name}"
            for domain in self._layout.mail.iterdir()
            for user in domain.iterdir()
            if (user / "Maildir").is_dir()
        ]
        if homes:
            user_list = self._layout.dovecot / "reset-users"
            user_list.write_text("\n".join(homes) + "\n")
            self._doveadm("expunge", "-F", str(user_list), "mailbox", "*", "all")
        if self._faults:
            self.clear_faults()

    def count(self, address: str, folder: str = "INBOX") -> int:
        """Number of messages in one folder of one mailbox (0 if the folder does not exist)."""
        proc = self._doveadm("-f", "flow", "mailbox", "status", "-u", address, "messages", folder, check=False)
        if proc.returncode == _EX_NO_MAILBOX:
            return 0
        if proc.returncode != 0:
            raise MailServerError(f"doveadm mailbox status {address} {folder}: {proc.stderr.strip()}")
        return int(proc.stdout.rsplit("messages=", 1)[1])

    def renumber(self, address: str, folder: str = "INBOX") -> int:
        """Give a folder a new UIDVALIDITY, as a server does when it rebuilds its index or a provider migrates the
        mailbox: every UID known before means nothing now. Returns the new value."""
        status = self._doveadm("-f", "flow", "mailbox", "status", "-u", address, "uidvalidity", folder)
        validity = int(status.stdout.rsplit("uidvalidity=", 1)[1]) + 1
        self._doveadm("mailbox", "update", "-u", address, "--uid-validity", str(validity), folder)
        return validity

    def settle(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Wait until Postfix's queue is empty: everything accepted so far is delivered (or bounced, and the
        bounce delivered). Raises `MailServerError` when mail is still queued after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while _run([POSTQUEUE, "-c", str(self._layout.postfix), "-j"]).stdout.strip():
            if time.monotonic() > deadline:
                raise MailServerError(f"mail still queued after {timeout_s} s; see {self._layout.postfix_log}")
            time.sleep(0.02)

    def messages(self, folders: Sequence[str], headers: Sequence[str]) -> list[StoredMessage]:
        """Every message of every mailbox in `folders`, with the named headers (one doveadm run for all users)."""
        names = [h.lower() for h in headers]
        query = ["mailbox", folders[0]]
        for folder in folders[1:]:
            query += ["OR", "mailbox", folder]
        fields = " ".join(["mailbox", "uid", *(f"hdr.{n}" for n in names)])
        proc = self._doveadm("-f", "json", "fetch", "-A", fields, *query)
        return [
            StoredMessage(
                address=row["username"],
                folder=row["mailbox"],
                uid=int(row["uid"]),
                headers={n: " ".join(row.get(f"hdr.{n}", "").split()) for n in names},
            )
            for row in json.loads(proc.stdout or "[]")
        ]

    # ----------------------------------------------------------------- configuration

    def _prepare_dirs(self) -> None:
        lay = self._layout
        for d in (lay.cert.parent, lay.postfix, lay.queue, lay.dovecot_run):
            d.mkdir(parents=True, exist_ok=True)
        # Unprivileged processes open some files by absolute path (Dovecot auth as "dovecot": the user lists;
        # mail access as VMAIL_UID: Sieve and mailboxes; Postfix as "postfix": data_directory), so those live
        # where every ancestor stays searchable -- not under pytest's tmp root, which each new pytest session
        # resets to 0700. Everything else is opened by root or relative to a daemon's working directory.
        runtime = Path(tempfile.mkdtemp(prefix="mailfleet-mail-"))
        runtime.chmod(0o711)
        lay.runtime_link.symlink_to(runtime)
        lay.sieve_before.mkdir()
        lay.mail.mkdir()
        os.chown(lay.mail, VMAIL_UID, VMAIL_UID)
        for domain in self.domains:
            (lay.mail / domain).mkdir()
            os.chown(lay.mail / domain, VMAIL_UID, VMAIL_UID)
        private = lay.queue / "private"  # Dovecot puts Postfix's SASL socket here before Postfix runs
        private.mkdir(mode=0o700, exist_ok=True)
        os.chown(private, pwd.getpwnam("postfix").pw_uid, 0)

    def _ensure_certificate(self) -> None:
        """A private CA and a server certificate it issued, as an agency running its own Postfix/Dovecot has."""
        lay = self._layout
        if lay.cert.exists() and lay.key.exists() and lay.ca.exists():
            return
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        _run(
            [
                OPENSSL, "req", "-x509", *ec, "-days", "3650", "-subj", "/O=Mailfleet harness/CN=Mailfleet Test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout", str(lay.ca_key), "-out", str(lay.ca),
            ]
        )  # fmt: skip
        request = lay.cert.with_suffix(".csr")
        _run([OPENSSL, "req", "-new", *ec, "-subj", "/CN=127.0.0.1", "-keyout", str(lay.key), "-out", str(request)])
        extensions = lay.cert.with_suffix(".ext")
        extensions.write_text(
            "subjectAltName = IP:127.0.0.1, DNS:localhost\nbasicConstraints = CA:FALSE\n"
            "keyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\n"
        )
        _run(
            [
                OPENSSL, "x509", "-req", "-in", str(request), "-CA", str(lay.ca), "-CAkey", str(lay.ca_key),
                "-set_serial", "2", "-days", "3650", "-extfile", str(extensions), "-out", str(lay.cert),
            ]
        )  # fmt: skip
        lay.key.chmod(0o600)
        lay.ca_key.chmod(0o600)

    def _write_dovecot(self) -> None:
        lay, ports = self._layout, self.ports
        # user:password:uid:gid:gecos:home:shell: -- LMTP refuses users whose userdb entry lacks uid/gid/home
        lines = []
        for address, pw in self.users:
            local, domain = address.split("@")
            lines.append(f"{address}:{{PLAIN}}{pw}:{VMAIL_UID}:{VMAIL_UID}::{lay.mail}/{domain}/{local}::\n")
        _write(lay.users, "".join(lines))
        _write(lay.denied, "")
        _write(lay.sieve_before / "spam.sieve", _SIEVE_SPAM + "".join(r.sieve() for r in self._junk_rules))
        folders = "\n".join(
            f"  mailbox {name} {{\n    special_use = {flag}\n    auto = subscribe\n  }}"
            for name, flag in SPECIAL_FOLDERS.items()
            if self._special_use
        )
        _write(
            lay.dovecot_conf,
            f"""# generated by tests/harness/mailserver.py
base_dir = {lay.dovecot_run}
state_dir = {lay.dovecot}/state
log_path = {lay.dovecot_log}
listen = {HOST}
protocols = imap lmtp
ssl = yes
ssl_cert = <{lay.cert}
ssl_key = <{lay.key}
auth_mechanisms = plain login
disable_plaintext_auth = no
auth_failure_delay = 0
first_valid_uid = {VMAIL_UID}
last_valid_uid = {VMAIL_UID}
mail_location = maildir:~/Maildir
mail_fsync = never
# no per-process stats connections: they add a 5 s handshake timeout to shutdown
stats_writer_socket_path =
default_client_limit = 5000
postmaster_address = postmaster@{self.domains[0]}
# deny=yes: logins listed there fail (the auth_fail fault); re-read on change, no reload needed
passdb {{
  driver = passwd-file
  args = {lay.denied}
  deny = yes
}}
# the same for one service (%s): denied-smtp refuses SASL logins of Postfix only (the smtp_auth_fail fault)
passdb {{
  driver = passwd-file
  args = {lay.runtime}/denied-%s
  deny = yes
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {lay.users}
}}
userdb {{
  driver = passwd-file
  args = {lay.users}
}}
namespace inbox {{
  inbox = yes
  separator = /
{folders}
}}
protocol imap {{
  mail_max_userip_connections = 2000
}}
protocol lmtp {{
  mail_plugins = $mail_plugins sieve
}}
plugin {{
  sieve_before = {lay.sieve_before}
}}
service imap {{
  process_limit = 2000
  service_count = 0
}}
service imap-login {{
  process_limit = 1000
  service_count = 0
  process_min_avail = 2
  inet_listener imap {{
    address = {HOST}
    port = {ports.imap}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {ports.imaps}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = {HOST}
    port = {ports.lmtp}
  }}
}}
service auth {{
  unix_listener {lay.queue}/private/auth {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
# one wrong password must not slow every later login from 127.0.0.1
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
""",
        )

    def _write_postfix(self) -> None:
        lay, ports = self._layout, self.ports
        cfg = lay.postfix
        _write_postfix(cfg / "vmailbox", "".join(f"{address} ok\n" for address, _ in self.users))
        _write_postfix(cfg / "senders", "".join(f"{address} {address}\n" for address, _ in self.users))
        for name in _FAULT_MAPS:
            _write_postfix(cfg / name, "")
        _write_postfix(cfg / "sent_copies", "/^([^@+]+)@(.+)$/ ${1}+sent@${2}\n")
        undeliverable = "error:5.1.2 the mail harness delivers only to its own virtual domains"
        _write_postfix(
            cfg / "main.cf",
            f"""# generated by tests/harness/mailserver.py
compatibility_level = 3.6
queue_directory = {lay.queue}
data_directory = {lay.postfix_data}
maillog_file = {lay.postfix_log}
maillog_file_prefixes = /var, /dev/stdout, {lay.base}
myhostname = mx.mailfleet-harness.test
mydomain = mailfleet-harness.test
myorigin = $myhostname
mydestination =
inet_interfaces = {HOST}
inet_protocols = ipv4
alias_maps =
alias_database =
biff = no
# never touch DNS: the machine's resolver may point off-box
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
smtpd_peername_lookup = no
virtual_mailbox_domains = {" ".join(self.domains)}
virtual_mailbox_maps = texthash:{cfg}/vmailbox
virtual_transport = lmtp:inet:{HOST}:{ports.lmtp}
recipient_delimiter = +
local_transport = {undeliverable}
default_transport = {undeliverable}
relay_transport = {undeliverable}
smtpd_banner = $myhostname ESMTP
smtpd_tls_chain_files = {lay.key}, {lay.cert}
smtpd_tls_security_level = may
smtpd_tls_auth_only = no
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_sender_login_maps = texthash:{cfg}/senders
# evaluate restrictions where they are listed, so each fault fires at its own SMTP stage
smtpd_delay_reject = no
smtpd_relay_restrictions = reject_unauth_destination
mf_sender_restrictions = check_sasl_access texthash:{cfg}/mail_faults, reject_sender_login_mismatch
mf_recipient_restrictions = check_sasl_access texthash:{cfg}/rcpt_faults
mf_data_restrictions = check_sasl_access texthash:{cfg}/data_faults
# fast tests: no tarpitting, quick retries
in_flow_delay = 0
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
smtpd_junk_command_limit = 1000
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 60s
default_process_limit = 500
""",
        )
        submission = (
            "-o smtpd_sasl_auth_enable=yes -o smtpd_reject_unlisted_recipient=no"
            " -o smtpd_relay_restrictions=permit_sasl_authenticated,reject"
            " -o smtpd_sender_restrictions=$mf_sender_restrictions"
            " -o smtpd_recipient_restrictions=$mf_recipient_restrictions"
            " -o smtpd_end_of_data_restrictions=$mf_data_restrictions"
            " -o cleanup_service_name=subcleanup"
        )
        services = [
            f"{HOST}:{ports.submission} inet n - n - - smtpd -o syslog_name=postfix/submission {submission}",
            f"{HOST}:{ports.submissions} inet n - n - - smtpd -o syslog_name=postfix/submissions"
            f" -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt {submission}",
            f"{HOST}:{ports.mx} inet n - n - - smtpd -o syslog_name=postfix/mx",
            "cleanup unix n - n - 0 cleanup",
            f"subcleanup unix n - n - 0 cleanup -o sender_bcc_maps=regexp:{cfg}/sent_copies",
            "qmgr unix n - n 300 1 qmgr",
            "tlsmgr unix - - n 1000? 1 tlsmgr",
            "rewrite unix - - n - - trivial-rewrite",
            "bounce unix - - n - 0 bounce",
            "defer unix - - n - 0 bounce",
            "trace unix - - n - 0 bounce",
            "verify unix - - n - 1 verify",
            "flush unix n - n 1000? 0 flush",
            "proxymap unix - - n - - proxymap",
            "proxywrite unix - - n - 1 proxymap",
            "smtp unix - - n - - smtp",
            "relay unix - - n - - smtp",
            "showq unix n - n - - showq",
            "error unix - - n - - error",
            "retry unix - - n - - error",
            "discard unix - - n - - discard",
            "lmtp unix - - n - - lmtp",
            "anvil unix - - n - 1 anvil",
            "scache unix - - n - 1 scache",
            "postlog unix-dgram n - n - 1 postlogd",
        ]
        _write_postfix(
            cfg / "master.cf",
            "# generated by tests/harness/mailserver.py\n" + "\n".join(services) + "\n",
        )

    # ----------------------------------------------------------------- processes

    def _launch(self) -> None:
        # Foreground children, so stop() can reap them (PID 1 here reaps orphans only lazily); each in its own
        # session, so they outlive a `mail_cli up` that exits.
        lay = self._layout
        with lay.daemon_output.open("ab") as out:
            self._procs = [
                subprocess.Popen(
                    cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
                for cmd in (
                    [DOVECOT, "-F", "-c", str(lay.dovecot_conf)],
                    [POSTFIX, "-c", str(lay.postfix), "start-fg"],
                )
            ]
        context = self.ssl_context()
        p = self.ports
        pending: list[tuple[int, ssl.SSLContext | None]] = [(p.submission, None), (p.mx, None), (p.imap, None)]
        pending += [(p.lmtp, None), (p.submissions, context), (p.imaps, context)]
        deadline = time.monotonic() + START_TIMEOUT_S
        while pending := [(port, tls) for port, tls in pending if not _greets(port, tls)]:
            exited = [proc.args for proc in self._procs if proc.poll() is not None]
            if exited or time.monotonic() > deadline:
                self.stop()
                problem = f"{exited} exited" if exited else f"no greeting on ports {[port for port, _ in pending]}"
                raise MailServerError(f"{problem}; see {self.log_files}")
            time.sleep(0.02)

    def _apply_faults(self, faults: dict[str, Fault]) -> None:
        if unknown := sorted(faults.keys() - self._logins):
            raise MailServerError(f"faults for logins this server does not have: {unknown}")
        postfix_before = {login: kind for login, kind in self._faults.items() if kind not in _DOVECOT_FAULTS}
        postfix_after = {login: kind for login, kind in faults.items() if kind not in _DOVECOT_FAULTS}
        if postfix_after != postfix_before:
            entries: dict[str, list[str]] = {name: [] for name in _FAULT_MAPS}
            for login, kind in postfix_after.items():
                name, reply = _FAULT_REPLIES[kind]
                entries[name].append(f"{login} {reply.format(login=login)}\n")
            for name, lines in entries.items():
                _write_postfix(self._layout.postfix / name, "".join(lines))
            self._reload_postfix()
        for kind, path, service in (
            (Fault.AUTH_FAIL, self._layout.denied, "imap"),
            (Fault.SMTP_AUTH_FAIL, self._layout.denied_for("smtp"), "smtp"),
        ):
            denied_before = {login for login, k in self._faults.items() if k is kind}
            denied_after = {login for login, k in faults.items() if k is kind}
            if denied_after != denied_before:
                # Dovecot re-reads a passwd-file when its mtime (whole seconds) or size differs: one second per version.
                self._denied_mtime = max(time.time(), self._denied_mtime + 1)
                _write(path, "".join(f"{login}:\n" for login in sorted(denied_after)), mtime=self._denied_mtime)
                self._await_auth(denied_before ^ denied_after, denied_after, service)
        self._faults = faults

    def _await_auth(self, logins: set[str], denied: set[str], service: str) -> None:
        """Wait until Dovecot answers for ``logins`` as the deny list says; it stats the file at most once a second."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while logins := {login for login in logins if self._login_allowed(login, service) == (login in denied)}:
            if time.monotonic() > deadline:
                raise MailServerError(f"Dovecot did not pick up the auth faults of {sorted(logins)}")
            time.sleep(0.05)

    def _login_allowed(self, login: str, service: str) -> bool:
        # A passdb lookup, not an auth test: failed authentications are answered only every 0.5 s.
        return self._doveadm("auth", "lookup", "-x", f"service={service}", login, check=False).returncode == 0

    def _reload_postfix(self) -> None:
        """Reload Postfix (texthash maps are only re-read by new processes) and warm both submission ports."""
        log = self._layout.postfix_log
        logged = log.stat().st_size
        _run([POSTFIX, "-c", str(self._layout.postfix), "reload"])
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            with log.open("rb") as f:
                f.seek(logged)
                if b" reload -- " in f.read():  # master: "reload -- version 3.7.11, configuration ..."
                    break
            if time.monotonic() > deadline:
                raise MailServerError(f"Postfix did not log its reload; see {log}")
            time.sleep(0.02)
        # One throw-away session per port, so the test's first session does not pay for spawning the new
        # smtpd and tlsmgr processes.
        context = self.ssl_context()
        for port, tls in ((self.ports.submission, None), (self.ports.submissions, context)):
            if not _greets(port, tls):
                raise MailServerError(f"port {port} does not answer after a reload; see {log}")

    def _doveadm(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _run([DOVEADM, "-c", str(self._layout.dovecot_conf), *args], check=check)


def missing_binaries() -> list[str]:
    """Required executables (Postfix, Dovecot, Pigeonhole, OpenSSL) that are not installed."""
    return [b for b in REQUIRED_BINARIES if not os.access(b, os.X_OK)]


def shutdown(base_dir: str | os.PathLike[str]) -> None:
    """Stop the Postfix and Dovecot started in ``base_dir`` (if running), wait until all their processes exit,
    and delete the mailboxes; configs and logs stay for post-mortems."""
    lay = _Layout(Path(base_dir).resolve())
    masters = [
        pid
        for pid in (_leader_pid(lay.postfix_pid, "master"), _leader_pid(lay.dovecot_pid, "dovecot"))
        if pid is not None
    ]
    for pid in masters:  # each master stops its own children
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    if not _wait_gone(masters):
        for pid in masters:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        if not _wait_gone(masters):
            raise MailServerError(f"processes of {masters} survived SIGKILL")
    for pid_file in (lay.postfix_pid, lay.dovecot_pid):
        pid_file.unlink(missing_ok=True)
    if lay.runtime_link.is_symlink():
        shutil.rmtree(lay.runtime, ignore_errors=True)
        lay.runtime_link.unlink()


def _leader_pid(pid_file: Path, comm: str) -> int | None:
    """The pid in ``pid_file`` if it is a live ``comm`` process leading its own group (not a reused pid)."""
    try:
        pid = int(pid_file.read_text().split()[0])
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, IndexError, ValueError):
        return None
    name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
    return pid if name == comm and fields[0] != "Z" and int(fields[2]) == pid else None


def _wait_gone(groups: list[int]) -> bool:
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _live_members(groups):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _live_members(groups: Iterable[int]) -> bool:
    """Whether any non-zombie process belongs to one of the process groups (the daemons are group leaders)."""
    wanted = set(groups)
    if not wanted:
        return False
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # state ppid pgrp ... after "pid (comm)"
        if fields[0] != "Z" and int(fields[2]) in wanted:
            return True
    return False


def _free_ports() -> Ports:
    """Ask the kernel for six distinct free loopback ports."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(6)]
        for s in sockets:
            s.bind((HOST, 0))
        return Ports(*(s.getsockname()[1] for s in sockets))


def _greets(port: int, context: ssl.SSLContext | None) -> bool:
    """Whether the service on ``port`` completes (TLS and) its SMTP/LMTP/IMAP greeting."""
    try:
        with socket.create_connection((HOST, port), timeout=2) as raw:
            conn = context.wrap_socket(raw, server_hostname=HOST) if context else raw
            with conn:
                return conn.recv(512).startswith((b"220 ", b"* OK"))
    except OSError:
        return False


def _write(path: Path, text: str, *, mtime: float | None = None) -> None:
    """Replace a file atomically, optionally with a given modification time."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    if mtime is not None:
        os.utime(tmp, (mtime, mtime))
    tmp.replace(path)


def _write_postfix(path: Path, text: str) -> None:
    """Write a Postfix config or texthash file.

    Postfix will not read such a file while its mtime is less than a couple of seconds old (it polls until
    it is, which stalls every start and reload), so the file is dated a minute back.
    """
    _write(path, text, mtime=time.time() - 60)


def _run(cmd: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise MailServerError(f"{cmd} exited {proc.returncode}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc
