"""The Temporal engine's TLS, mutual TLS and API key against a real server.

``temporal server start-dev`` speaks plain gRPC only, so each test puts a TLS-terminating TCP
proxy in front of it (Python's ssl, ALPN h2 as gRPC needs): a server certificate for localhost
signed by a test CA, and for mutual TLS a client certificate signed by the same CA is required.
The real ``pmosync`` command must get through with the right files, and end in one line naming
the address when the client certificate is missing or the server's certificate is not trusted.
Plain gRPC to the proxy fails (tested by hand), so passing the first test means TLS was used.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cli import assert_one_clean_line, run_pmosync
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from temporal_env import TemporalServer, temporal_server, unique_queue

from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import generate_org

pytestmark = pytest.mark.slow  # a long suite: `make test-slow` (CI runs it)

__all__ = ["temporal_server"]  # the module fixture, imported for pytest

API_KEY = "supersecret-xyz"


# --- certificates --------------------------------------------------------------------------


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))  # fmt: skip


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool = False, sans=(),
                 usage=None) -> x509.Certificate:  # fmt: skip
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                          content_commitment=False, key_encipherment=False, data_encipherment=False,
                          key_agreement=False, encipher_only=False, decipher_only=False),
            critical=True,
        )  # fmt: skip
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    else:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(path: Path, certificate: x509.Certificate) -> Path:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


@dataclass
class Pki:
    folder: Path
    ca: Path  # the CA that signed the server's and the client's certificates
    other_ca: Path  # a CA that signed nothing here
    server_cert: Path
    server_key: Path


def make_pki(folder: Path) -> Pki:
    """A test CA, the server's certificate (localhost, 127.0.0.1), a client certificate
    (client.pem/client.key), and an unrelated CA; all PEM files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, other_key, server_key, client_key = _key(), _key(), _key(), _key()
    ca = _certificate("pmosync test CA", ca_key, "pmosync test CA", ca_key, ca=True)
    other = _certificate("some other CA", other_key, "some other CA", other_key, ca=True)
    sans = (x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    server = _certificate("localhost", server_key, "pmosync test CA", ca_key, sans=sans,
                          usage=ExtendedKeyUsageOID.SERVER_AUTH)  # fmt: skip
    client = _certificate("pmosync-client", client_key, "pmosync test CA", ca_key,
                          usage=ExtendedKeyUsageOID.CLIENT_AUTH)  # fmt: skip
    _write_key(folder / "server.key", server_key)
    _write_key(folder / "client.key", client_key)
    _pem(folder / "client.pem", client)
    return Pki(
        folder,
        _pem(folder / "ca.pem", ca),
        _pem(folder / "other-ca.pem", other),
        _pem(folder / "server.pem", server),
        folder / "server.key",
    )


# --- the TLS-terminating proxy -------------------------------------------------------------


@dataclass
class TlsProxy:
    """Accepts TLS on 127.0.0.1:port and pipes the plaintext to the dev server's port.

    Records what it saw: the common names of the client certificates presented on completed
    handshakes, the reasons of the handshakes that failed (OpenSSL's, e.g.
    PEER_DID_NOT_RETURN_A_CERTIFICATE), and how many plaintext bytes clients sent through it."""

    upstream: tuple[str, int]
    context: ssl.SSLContext
    listener: socket.socket = field(init=False)
    client_names: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    bytes_in: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closing: bool = False

    def __post_init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.listener.getsockname()[1]}"

    def close(self) -> None:
        self._closing = True
        self.listener.close()

    def _accept(self) -> None:
        while not self._closing:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            secure = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as error:
            with self._lock:  # a client without a certificate, or one that distrusts ours
                self.refused.append(getattr(error, "reason", None) or type(error).__name__)
            raw.close()
            return
        peer = secure.getpeercert()
        if peer:
            names = [v for rdn in peer["subject"] for k, v in rdn if k == "commonName"]
            with self._lock:
                self.client_names.extend(names)
        try:
            plain = socket.create_connection(self.upstream)
        except OSError:
            secure.close()
            return
        threading.Thread(target=self._pipe, args=(plain, secure, False), daemon=True).start()
        self._pipe(secure, plain, True)

    def _pipe(self, source: socket.socket, sink: socket.socket, inbound: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if inbound:
                    with self._lock:
                        self.bytes_in += len(chunk)
                sink.sendall(chunk)
        except (ssl.SSLError, OSError):
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.close()


def _proxy(server: TemporalServer, pki: Pki, *, mutual: bool) -> TlsProxy:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    context.set_alpn_protocols(["h2"])
    if mutual:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(pki.ca)
    host, port = server.address.rsplit(":", 1)
    return TlsProxy((host, int(port)), context)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def mtls_proxy(temporal_server, pki) -> Iterator[TlsProxy]:
    proxy = _proxy(temporal_server, pki, mutual=True)
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def tls_proxy(temporal_server, pki) -> Iterator[TlsProxy]:
    proxy = _proxy(temporal_server, pki, mutual=False)
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def sandbox():
    with AsanaSandbox(generate_org(seed=5, size="XS")) as running:
        yield running


# --- configs -------------------------------------------------------------------------------


def _config(folder: Path, pki: Pki, sandbox: AsanaSandbox, address: str, tls: str,
            extra: str = "") -> Path:  # fmt: skip
    """A YAML beside copies of the PEM files (relative paths are read beside the YAML)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("ca.pem", "other-ca.pem", "client.pem", "client.key"):
        (folder / name).write_bytes((pki.folder / name).read_bytes())
    path = folder / "pmosync.yaml"
    temporal = (
        "engine: temporal\n"
        "temporal:\n"
        f'  address: "{address}"\n'
        f"  task_queue: {unique_queue()}\n"
        f"  tls: {tls}\n"
    )
    connector = (
        "connectors:\n"
        "  asana:\n"
        "    type: asana\n"
        f"    token: {sandbox.token}\n"
        f'    workspace: "{sandbox.org.workspace.gid}"\n'
        f"    base_url: {sandbox.base_url}\n"
        '    schedule: "0 7 * * MON"\n'
    )
    store = f"store: sqlite:///{folder}/s.db\n"
    path.write_text(store + temporal + extra + connector, encoding="utf-8")
    return path


MUTUAL = (
    "{server_ca: ca.pem, client_cert: client.pem, client_key: client.key, server_name: localhost}"
)


# --- the tests -----------------------------------------------------------------------------


def test_mutual_tls_applies_lists_and_checks(tmp_path, mtls_proxy, pki, sandbox):
    config = _config(tmp_path, pki, sandbox, mtls_proxy.address, MUTUAL)
    applied = run_pmosync("schedules", "apply", "-c", config)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "1 changed, 0 unchanged" in applied.stdout, applied.stdout
    listed = run_pmosync("schedules", "list", "-c", config)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "asana" in listed.stdout and "0 7 * * MON" in listed.stdout, listed.stdout
    checked = run_pmosync("check", "-c", config)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    target = f"Temporal at {mtls_proxy.address} (namespace default)"
    assert f"temporal: ok: {target} answers" in checked.stdout, checked.stdout
    assert "temporal: ok: 1 schedule(s) as in the YAML" in checked.stdout
    # the proxy terminated TLS and saw our client certificate: the traffic went through it
    assert "pmosync-client" in mtls_proxy.client_names


def test_mutual_tls_without_the_client_certificate_is_one_line(tmp_path, mtls_proxy, pki, sandbox):
    config = _config(tmp_path, pki, sandbox, mtls_proxy.address,
                     "{server_ca: ca.pem, server_name: localhost}")  # fmt: skip
    before = len(mtls_proxy.refused)
    line = assert_one_clean_line(run_pmosync("schedules", "list", "-c", config), 1)
    assert f"Temporal at {mtls_proxy.address}" in line, line
    assert "may require a client certificate: temporal.tls.client_cert" in line, line
    # the server side refused it for the missing certificate, nothing else
    assert "PEER_DID_NOT_RETURN_A_CERTIFICATE" in mtls_proxy.refused[before:], mtls_proxy.refused


def test_a_server_certificate_of_another_ca_is_one_line(tmp_path, mtls_proxy, pki, sandbox):
    tls = MUTUAL.replace("server_ca: ca.pem", "server_ca: other-ca.pem")
    config = _config(tmp_path, pki, sandbox, mtls_proxy.address, tls)
    line = assert_one_clean_line(run_pmosync("schedules", "list", "-c", config), 1)
    assert f"Temporal at {mtls_proxy.address}" in line, line
    assert "not signed by a CA this client trusts" in line, line  # the client distrusted it
    assert "tonic::" not in line, line


def test_the_system_roots_do_not_trust_the_test_ca(tmp_path, tls_proxy, pki, sandbox):
    config = _config(tmp_path, pki, sandbox, tls_proxy.address, "{}")
    line = assert_one_clean_line(run_pmosync("schedules", "list", "-c", config), 1)
    assert f"Temporal at {tls_proxy.address}" in line, line
    assert "not signed by a CA this client trusts" in line, line  # the client distrusted it
    assert "tonic::" not in line, line


def test_an_api_key_over_tls_works_and_never_shows(tmp_path, tls_proxy, pki, sandbox):
    config = _config(tmp_path, pki, sandbox, tls_proxy.address,
                     "{server_ca: ca.pem, server_name: localhost}",
                     f"  api_key: {API_KEY}\n")  # fmt: skip
    before = tls_proxy.bytes_in
    for command in (("schedules", "apply"), ("schedules", "list"), ("check",)):
        result = run_pmosync(*command, "-c", config)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
        assert API_KEY not in result.stdout + result.stderr, command
    assert tls_proxy.bytes_in > before  # the requests went through the TLS proxy
