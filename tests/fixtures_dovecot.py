"""A real Dovecot IMAP server on loopback, started by the tests themselves.

`dovecot_server` (session) finds Dovecot (`python -m tests.local_servers install`
installs it before the tests), then runs a private unprivileged instance on 127.0.0.1
with a free port for plain IMAP/STARTTLS and another for IMAPS, using a throw-away
certificate for 127.0.0.1 (its file is `DovecotServer.cert_file`). It is stopped
with doveadm at the end, even when tests fail.

`imap_account` (function) is a fresh user with an empty mailbox, so tests never
share state. Its helpers work through a second, ordinary IMAP connection, as
another mail client (webmail, a colleague) would: `append` with an INTERNALDATE,
`set_flags`, `listing`, `recreate_folder` (a new UIDVALIDITY), `uidvalidity`.

`dovecot_factory` starts extra instances with extra configuration lines (for
example a server that does not offer MOVE), and, given `introspection_url`, one
that also accepts XOAUTH2 and OAUTHBEARER logins whose access tokens it checks with
that OAuth2 token introspection endpoint (RFC 7662, see fixtures_oauth2.py).
Passwords keep working there for LOGIN and AUTHENTICATE PLAIN.
"""

from __future__ import annotations

import base64
import datetime as dt
import imaplib
import ipaddress
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from imap_tools.imap_utf7 import utf7_encode
from local_servers import binary, dovecot_found, free_port, missing_message

from mailbot.config import Connections

START_TIMEOUT = 30.0
CLIENT_TIMEOUT = 10.0
WITHOUT_MOVE = "imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE UIDPLUS"
_user_numbers = itertools.count(1)

CONFIG = """\
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{base}/cert.pem
ssl_key = <{base}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{base}/mail/%u
default_login_user = {login_user}
default_internal_user = {internal_user}
imap_idle_notify_interval = 1 secs
first_valid_uid = 1
first_valid_gid = 1
auth_failure_delay = 0
mail_max_userip_connections = 100
login_trusted_networks = 127.0.0.1
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {base}/users/%u
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={base}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
{extra}
"""


# Dovecot 2.3 oauth2 passdb: without tokeninfo_url it POSTs token=... to the
# introspection URL and accepts the login when the answer names the user and says active.
OAUTH2_PASSDB = """\
auth_mechanisms = plain login xoauth2 oauthbearer
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {settings_file}
}}
"""
OAUTH2_SETTINGS = """\
introspection_mode = post
introspection_url = {introspection_url}
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 10000
"""


def require_dovecot() -> None:
    if not dovecot_found():
        pytest.fail(missing_message("dovecot"))


def _write_certificate(cert_file: Path, key_file: Path) -> None:
    """A self-signed certificate for 127.0.0.1; clients that trust the file trust the server."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


@dataclass
class DovecotServer:
    """One private Dovecot instance; `add_user` makes an account on it."""

    base: Path
    port: int
    tls_port: int
    host: str = "127.0.0.1"
    started: bool = False

    @property
    def config(self) -> Path:
        return self.base / "dovecot.conf"

    @property
    def cert_file(self) -> Path:
        return self.base / "cert.pem"

    def start(self, extra: str = "", introspection_url: str | None = None) -> None:
        root = os.geteuid() == 0
        me = pwd.getpwuid(os.geteuid()).pw_name
        mail = self.base / "mail"
        mail.mkdir()
        (self.base / "users").mkdir()
        _write_certificate(self.cert_file, self.base / "key.pem")
        if introspection_url:
            extra = self._oauth2_passdb(introspection_url) + extra
        self.config.write_text(
            CONFIG.format(
                base=self.base,
                port=self.port,
                tls_port=self.tls_port,
                extra=extra,
                login_user="dovenull" if root else me,
                internal_user="dovecot" if root else me,
                mail_user="dovecot" if root else me,
                mail_group="dovecot" if root else me,
            )
        )
        if root:
            os.chmod(self.base, 0o755)
            shutil.chown(mail, "dovecot", "dovecot")
        # The daemon inherits stdout/stderr: send them to a file, never to a pipe we wait on.
        with open(self.base / "start.log", "wb") as output:
            result = subprocess.run(
                [binary("dovecot"), "-c", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                timeout=START_TIMEOUT,
            )
        if result.returncode != 0:
            started = (self.base / "start.log").read_text(errors="replace").strip()
            pytest.fail(f"Dovecot did not start: {started}\n{self.log_tail()}")
        self.started = True
        self._wait_for_port()

    def _oauth2_passdb(self, introspection_url: str) -> str:
        settings_file = self.base / "dovecot-oauth2.conf.ext"
        settings_file.write_text(OAUTH2_SETTINGS.format(introspection_url=introspection_url))
        return OAUTH2_PASSDB.format(settings_file=settings_file)

    def _wait_for_port(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(200).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        pytest.fail(
            f"Dovecot did not answer on {self.host}:{self.port} within {START_TIMEOUT:.0f} s\n{self.log_tail()}"
        )

    def stop(self) -> None:
        if self.started:
            subprocess.run(
                [binary("doveadm"), "-c", str(self.config), "stop"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=30,
            )
            self.started = False
        if not os.environ.get("MAILBOT_KEEP_DOVECOT"):
            shutil.rmtree(self.base, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        log = self.base / "dovecot.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"

    def add_user(self, name: str, password: str) -> None:
        """One passwd-file per user (never re-read stale); base64 allows any character, even ':'."""
        encoded = base64.b64encode(password.encode()).decode()
        (self.base / "users" / name).write_text(f"{name}:{{PLAIN.B64}}{encoded}::::::nodelay\n")


def start_dovecot(extra: str = "", introspection_url: str | None = None) -> DovecotServer:
    require_dovecot()
    server = DovecotServer(Path(tempfile.mkdtemp(prefix="mbdc-")), free_port(), free_port())
    try:
        server.start(extra, introspection_url)
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def dovecot_server():
    server = start_dovecot()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dovecot_factory():
    """Start extra Dovecot instances (stopped after the test): `dovecot_factory(extra_config, introspection_url=None)`."""
    servers: list[DovecotServer] = []

    def start(extra: str = "", introspection_url: str | None = None) -> DovecotServer:
        servers.append(start_dovecot(extra, introspection_url))
        return servers[-1]

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


# --- accounts ----------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    """A message as another client sees it."""

    uid: int
    flags: frozenset[str]
    size: int
    internaldate: str


@dataclass
class ImapAccount:
    server: DovecotServer
    user: str
    password: str
    folder: str = "INBOX"
    _clients: list = field(default_factory=list)

    def url(self, scheme: str = "imap", folder: str | None = None, with_password: bool = True) -> str:
        port = self.server.tls_port if scheme == "imaps" else self.server.port
        secret = f":{quote(self.password, safe='')}" if with_password else ""
        return (
            f"{scheme}://{quote(self.user, safe='')}{secret}@{self.server.host}:{port}/{quote(folder or self.folder)}"
        )

    def connections(self, smtp_url: str, db_url: str) -> Connections:
        """mailbot's connections with this account as the inbox (its password apart from the URL)."""
        return Connections(
            inbox_url=self.url(with_password=False), inbox_password=self.password, smtp_url=smtp_url, db_url=db_url
        )

    def client(self) -> imaplib.IMAP4:
        """The logged-in connection of 'another mail client' (opened once, then reused)."""
        if not self._clients:
            client = imaplib.IMAP4(self.server.host, self.server.port, timeout=CLIENT_TIMEOUT)
            client.login(self.user, self.password)
            self._clients.append(client)
        client = self._clients[0]
        if client.state == "SELECTED":
            client.unselect()
        return client

    def append(self, raw: bytes, internaldate: dt.datetime, flags=(), folder: str | None = None) -> int:
        """Real IMAP APPEND; returns the new UID (Dovecot answers APPENDUID)."""
        client = self.client()
        flag_list = f"({' '.join(flags)})" if flags else None
        typ, data = client.append(_quoted(folder or self.folder), flag_list, internaldate, raw)
        assert typ == "OK", data
        return int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1))

    def set_flags(self, uid: int, *flags: str, folder: str | None = None) -> None:
        client = self.client()
        client.select(_quoted(folder or self.folder))
        typ, data = client.uid("STORE", str(uid), "+FLAGS", f"({' '.join(flags)})")
        assert typ == "OK", data

    def listing(self, folder: str | None = None) -> list[Listed]:
        client = self.client()
        typ, _ = client.select(_quoted(folder or self.folder), readonly=True)
        assert typ == "OK"
        typ, data = client.uid("FETCH", "1:*", "(UID FLAGS RFC822.SIZE INTERNALDATE)")
        result = []
        for item in data:
            if not isinstance(item, bytes) or b"UID" not in item:
                continue
            uid = int(re.search(rb"UID (\d+)", item).group(1))
            size = int(re.search(rb"RFC822\.SIZE (\d+)", item).group(1))
            date = re.search(rb'INTERNALDATE "([^"]+)"', item).group(1).decode()
            flags = frozenset(f.decode() for f in imaplib.ParseFlags(item))
            result.append(Listed(uid, flags, size, date))
        return sorted(result, key=lambda m: m.uid)

    def create_folder(self, folder: str) -> None:
        typ, data = self.client().create(_quoted(folder))
        assert typ == "OK", data

    def recreate_folder(self, folder: str) -> None:
        """Delete and create the folder again: its messages are gone and it has a new UIDVALIDITY."""
        client = self.client()
        assert client.delete(_quoted(folder))[0] == "OK"
        assert client.create(_quoted(folder))[0] == "OK"

    def uidvalidity(self, folder: str | None = None) -> int:
        typ, data = self.client().status(_quoted(folder or self.folder), "(UIDVALIDITY)")
        assert typ == "OK", data
        return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))

    def close(self) -> None:
        for client in self._clients:
            try:
                client.logout()
            except Exception:
                pass
        self._clients.clear()


def _quoted(folder: str) -> str:
    """A folder name as IMAP wants it: modified UTF-7, quoted."""
    return '"' + utf7_encode(folder).decode() + '"'


@contextmanager
def _fresh_account(server, name: str, password: str) -> Iterator[ImapAccount]:
    """A new user `name<N>@haiduong.gov.vn` (password `password` + N) with an empty INBOX."""
    number = next(_user_numbers)
    account = ImapAccount(server, f"{name}{number}@haiduong.gov.vn", f"{password}{number}")
    server.add_user(account.user, account.password)
    try:
        yield account
    finally:
        account.close()


@pytest.fixture
def imap_account(dovecot_server):
    """A fresh user with an empty INBOX on the session's Dovecot."""
    with _fresh_account(dovecot_server, "baocao", "p@ss:w/rd%") as account:
        yield account


@pytest.fixture
def second_imap_account(dovecot_server):
    """Another fresh user with an empty INBOX on the session's Dovecot (a deployment's second mailbox)."""
    with _fresh_account(dovecot_server, "vanban", "vb:p@ss/") as account:
        yield account
