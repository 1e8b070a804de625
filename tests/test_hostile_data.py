"""Hostile and unlucky data updates and data files (issue #10 item 4): signed, https-only, capped, monotonic data,
install URLs only on allowed hosts, and no data file can crash a command.

The update tests talk to a real https server on 127.0.0.1 with a certificate from a CA the test makes; the client
trusts that CA through the explicit `verify=` path (TLS is never switched off). Signatures use a throw-away Ed25519
key made here; the CLI tests point the app at it through TORCHDESK_DATA_PUBLIC_KEY. Nothing touches the real HOME.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from desktop.datasign import sign_bytes, signature_path
from desktop.dataupdate import DataUpdateError, update_matrix
from desktop.matrix import BUNDLED_MATRIX, load_app_matrix, load_signed_matrix, user_matrix_path

ROOT = Path(__file__).resolve().parent.parent
NEWER = "2099.01.01"
EVIL_HOST = "wheels.evil.example"
MiB = 1024 * 1024


# --- keys, certificates, data -------------------------------------------------------------------------------------

@dataclass
class Keys:
    private: Ed25519PrivateKey
    public_pem: Path

    def sign(self, raw: bytes) -> bytes:
        return sign_bytes(raw, self.private)

    @property
    def public(self) -> Any:
        return self.private.public_key()


def make_keys(where: Path) -> Keys:
    key = Ed25519PrivateKey.generate()
    pem = where / f"test-data-key-{len(list(where.glob('test-data-key-*.pub')))}.pub"
    pem.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    return Keys(key, pem)


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return make_keys(tmp_path)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_tls(d: Path) -> tuple[ssl.SSLContext, str]:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it: (server context, CA bundle path)."""
    d.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("TorchDesk test CA")).issuer_name(_name("TorchDesk test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (d / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (d / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "server.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d / "server.pem", d / "server.key")
    return ctx, str(d / "ca.pem")


@pytest.fixture(scope="module")
def tls(tmp_path_factory: Any) -> tuple[ssl.SSLContext, str]:
    return make_tls(Path(tmp_path_factory.mktemp("tls")))


def bundled_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BUNDLED_MATRIX.read_text(encoding="utf-8"))
    data.update(changes)
    return data


def to_bytes(data: Any) -> bytes:
    return json.dumps(data).encode()


def with_index_host(data: dict[str, Any], url: str) -> dict[str, Any]:
    """Point every build of the newest release at `url` (a file that is otherwise valid)."""
    for b in data["torch_releases"][0]["builds"]:
        b["install"] = {"index_url": url + b["variant"]}
    return data


# --- the servers ------------------------------------------------------------------------------------------------

Route = Callable[[http.server.BaseHTTPRequestHandler], None]


@dataclass
class Site:
    """A server on 127.0.0.1 whose answers each test sets; `hits` records every path asked for."""

    base: str
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def file(self, path: str, body: bytes) -> None:
        def send(h: http.server.BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)

        self.routes[path] = send

    def signed(self, path: str, raw: bytes, keys: Keys) -> None:
        self.file(path, raw)
        self.file(path + ".sig", keys.sign(raw))


def _serve(ctx: ssl.SSLContext | None) -> Iterator[Site]:
    site = Site("")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            site.hits.append(self.path)
            route = site.routes.get(self.path.split("?")[0])
            try:
                if route is None:
                    self.send_error(404)
                else:
                    route(self)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                pass  # the client hung up: what a capped download does
            self.close_connection = True

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if ctx is not None:
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    scheme = "https" if ctx is not None else "http"
    site.base = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        t.join()


@pytest.fixture
def https(tls: tuple[ssl.SSLContext, str]) -> Iterator[Site]:
    yield from _serve(tls[0])


@pytest.fixture
def plain(tls: Any) -> Iterator[Site]:
    yield from _serve(None)


@pytest.fixture
def ca(tls: tuple[ssl.SSLContext, str]) -> str:
    return tls[1]


def update(site: Site, path: str, keys: Keys, ca: str, dest: Path, current: str = "2026.11.26",
           **kw: Any) -> Any:
    return update_matrix(f"{site.base}{path}", current, dest=dest, public_key=keys.public, verify=ca, **kw)


# --- downloads ----------------------------------------------------------------------------------------------------

def test_a_valid_signed_newer_file_is_accepted_and_stored_with_its_signature(
        https: Site, keys: Keys, ca: str, tmp_path: Path) -> None:
    raw = to_bytes(bundled_data(data_version=NEWER))
    https.signed("/matrix.json", raw, keys)
    dest = tmp_path / "user" / "matrix.json"
    upd = update(https, "/matrix.json", keys, ca, dest)
    assert upd.changed and upd.new_version == NEWER
    assert dest.read_bytes() == raw and signature_path(dest).read_bytes() == keys.sign(raw)
    assert load_signed_matrix(dest, keys.public).data_version == NEWER
    assert sorted(p.name for p in dest.parent.iterdir()) == ["matrix.json", "matrix.json.sig"]  # no temp files left


def test_the_same_version_again_is_up_to_date_and_writes_nothing(https: Site, keys: Keys, ca: str, tmp_path: Path) -> None:
    https.signed("/matrix.json", to_bytes(bundled_data(data_version=NEWER)), keys)
    dest = tmp_path / "user" / "matrix.json"
    upd = update(https, "/matrix.json", keys, ca, dest, current=NEWER)
    assert not upd.changed and not dest.exists()


def test_an_unsigned_file_is_refused(https: Site, keys: Keys, ca: str, tmp_path: Path) -> None:
    https.file("/matrix.json", to_bytes(bundled_data(data_version=NEWER)))
    dest = tmp_path / "user" / "matrix.json"
    with pytest.raises(DataUpdateError, match="no usable signature.*HTTP 404.*unchanged"):
        update(https, "/matrix.json", keys, ca, dest)
    assert not dest.parent.exists()


@pytest.mark.parametrize("how", ["other key", "changed after signing", "garbage"])
def test_a_bad_signature_is_refused(https: Site, keys: Keys, ca: str, tmp_path: Path, how: str) -> None:
    raw = to_bytes(bundled_data(data_version=NEWER))
    https.file("/matrix.json", raw)
    if how == "other key":
        sig = make_keys(tmp_path).sign(raw)
    elif how == "changed after signing":
        sig = keys.sign(raw + b" ")
    else:
        sig = b"not a signature at all\n"
    https.file("/matrix.json.sig", sig)
    dest = tmp_path / "user" / "matrix.json"
    with pytest.raises(DataUpdateError, match="not signed by the TorchDesk maintainers"):
        update(https, "/matrix.json", keys, ca, dest)
    assert not dest.exists()


@pytest.mark.parametrize("offered,current", [("2000.01.01", "2026.11.26"), ("2099.01.01", "2099.02.01")],
                         ids=["older-than-bundled", "older-than-in-use"])
def test_an_older_data_version_is_refused_even_when_signed(https: Site, keys: Keys, ca: str, tmp_path: Path,
                                                           offered: str, current: str) -> None:
    https.signed("/matrix.json", to_bytes(bundled_data(data_version=offered)), keys)
    dest = tmp_path / "user" / "matrix.json"
    with pytest.raises(DataUpdateError, match=f"offers data version {offered}, older than"):
        update(https, "/matrix.json", keys, ca, dest, current=current)
    assert not dest.exists()


def test_a_plain_http_url_is_refused_before_connecting(plain: Site, keys: Keys, ca: str, tmp_path: Path) -> None:
    plain.signed("/matrix.json", to_bytes(bundled_data(data_version=NEWER)), keys)
    dest = tmp_path / "user" / "matrix.json"
    with pytest.raises(DataUpdateError, match="https:// only"):
        update(plain, "/matrix.json", keys, ca, dest)
    assert plain.hits == [] and not dest.exists()


def test_an_https_to_http_redirect_is_refused(https: Site, plain: Site, keys: Keys, ca: str, tmp_path: Path) -> None:
    plain.signed("/matrix.json", to_bytes(bundled_data(data_version=NEWER)), keys)

    def redirect(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", f"{plain.base}/matrix.json")
        h.send_header("Content-Length", "0")
        h.end_headers()

    https.routes["/matrix.json"] = redirect
    dest = tmp_path / "user" / "matrix.json"
    with pytest.raises(DataUpdateError, match="redirected to http://.*not https://"):
        update(https, "/matrix.json", keys, ca, dest)
    assert plain.hits == [] and not dest.exists()


def test_an_https_to_https_redirect_is_followed(https: Site, keys: Keys, ca: str, tmp_path: Path) -> None:
    https.signed("/data/matrix.json", to_bytes(bundled_data(data_version=NEWER)), keys)
    for src in ("/matrix.json", "/matrix.json.sig"):
        def redirect(h: http.server.BaseHTTPRequestHandler, src: str = src) -> None:
            h.send_response(301)
            h.send_header("Location", "/data" + src)
            h.send_header("Content-Length", "0")
            h.end_headers()

        https.routes[src] = redirect
    upd = update(https, "/matrix.json", keys, ca, tmp_path / "user" / "matrix.json")
    assert upd.new_version == NEWER and "/data/matrix.json" in https.hits


def _endless(h: http.server.BaseHTTPRequestHandler, declared: int | None = None, limit: int = 64 * MiB) -> None:
    """A 2 GiB-like answer: 64 KiB blocks until the client hangs up (or `limit`, so a client that buffers it all
    still ends and can be measured)."""
    h.send_response(200)
    if declared is not None:
        h.send_header("Content-Length", str(declared))
    h.send_header("Connection", "close")
    h.end_headers()
    block = b"[" * 65536
    sent = 0
    while sent < limit:
        h.wfile.write(block)
        sent += len(block)


def test_an_endless_answer_is_cut_at_the_size_cap_without_eating_memory(https: Site, keys: Keys, ca: str,
                                                                        tmp_path: Path) -> None:
    https.routes["/matrix.json"] = _endless
    dest = tmp_path / "user" / "matrix.json"
    with pytest.raises(DataUpdateError, match="HTTP 404"):  # warm up first: imports and TLS set-up are not the answer
        update(https, "/absent.json", keys, ca, dest)
    tracemalloc.start()
    try:
        with pytest.raises(DataUpdateError, match="sent more than 1 MiB"):
            update(https, "/matrix.json", keys, ca, dest, max_bytes=MiB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB while downloading under a 1 MiB cap"
    assert not dest.exists()


def test_a_declared_2_gib_answer_is_refused_before_its_body(https: Site, keys: Keys, ca: str, tmp_path: Path) -> None:
    https.routes["/matrix.json"] = lambda h: _endless(h, declared=2 * 1024 * MiB)
    with pytest.raises(DataUpdateError, match="sent more than 8 MiB"):
        update(https, "/matrix.json", keys, ca, tmp_path / "user" / "matrix.json")


def test_a_slow_drip_is_cut_by_the_total_time_cap(https: Site, keys: Keys, ca: str, tmp_path: Path) -> None:
    def drip(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(MiB))
        h.end_headers()
        for _ in range(600):  # a byte every 50 ms: each read is quick, the whole would take 14 hours
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.05)

    https.routes["/matrix.json"] = drip
    dest = tmp_path / "user" / "matrix.json"
    # every read gets a byte within 50 ms, so no per-read timeout fires; only the total cap can stop this
    with pytest.raises(DataUpdateError, match="did not finish sending within 1.5 s"):
        update(https, "/matrix.json", keys, ca, dest, max_seconds=1.5, read_timeout=30)
    assert not dest.exists()


def test_a_certificate_the_client_does_not_trust_is_refused(https: Site, keys: Keys, tmp_path: Path) -> None:
    https.signed("/matrix.json", to_bytes(bundled_data(data_version=NEWER)), keys)
    with pytest.raises(DataUpdateError, match="certificate of 127.0.0.1 could not be verified"):
        update_matrix(f"{https.base}/matrix.json", "2026.11.26", dest=tmp_path / "m.json", public_key=keys.public)
    with pytest.raises(TypeError):
        update_matrix(f"{https.base}/matrix.json", "x", dest=tmp_path / "m.json", verify=False)  # type: ignore[arg-type]


def test_signed_invalid_data_is_refused(https: Site, keys: Keys, ca: str, tmp_path: Path) -> None:
    https.signed("/matrix.json", to_bytes({"data_version": NEWER}), keys)
    dest = tmp_path / "user" / "matrix.json"
    with pytest.raises(DataUpdateError, match="not valid compatibility data"):
        update(https, "/matrix.json", keys, ca, dest)
    assert not dest.exists()


def test_signed_data_installing_from_another_host_is_refused_naming_it(https: Site, keys: Keys, ca: str,
                                                                       tmp_path: Path) -> None:
    data = with_index_host(bundled_data(data_version=NEWER), f"https://{EVIL_HOST}/whl/")
    https.signed("/matrix.json", to_bytes(data), keys)
    dest = tmp_path / "user" / "matrix.json"
    with pytest.raises(DataUpdateError, match=f"installs from {EVIL_HOST}, which is not a known package host"):
        update(https, "/matrix.json", keys, ca, dest)
    assert not dest.exists()
    # once the user allows that host, the same file is fine
    upd = update(https, "/matrix.json", keys, ca, dest, extra_hosts=frozenset({EVIL_HOST}))
    assert upd.new_version == NEWER


# --- loading a user copy --------------------------------------------------------------------------------------------

def place_user_copy(raw: bytes, keys: Keys | None) -> Path:
    p = user_matrix_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(raw)
    if keys is not None:
        signature_path(p).write_bytes(keys.sign(raw))
    return p


def test_an_unsigned_user_copy_is_ignored_with_a_warning(home: Path) -> None:
    p = place_user_copy(to_bytes(bundled_data(data_version=NEWER)), None)
    assert str(p).startswith(str(home))
    loaded = load_app_matrix()
    assert loaded.path == str(BUNDLED_MATRIX) and loaded.matrix.data_version != NEWER
    assert str(p) in loaded.warnings[0] and "no signature" in loaded.warnings[0] and "bundled" in loaded.warnings[0]


def test_a_signed_user_copy_is_used_and_a_tampered_one_is_not(home: Path, keys: Keys,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCHDESK_DATA_PUBLIC_KEY", str(keys.public_pem))
    raw = to_bytes(bundled_data(data_version=NEWER))
    p = place_user_copy(raw, keys)
    loaded = load_app_matrix()
    assert loaded.path == str(p) and loaded.matrix.data_version == NEWER and loaded.warnings == ()
    p.write_bytes(raw.replace(b"download.pytorch.org/whl/cu", b"download.pytorch.org/whl/cx", 1))
    loaded = load_app_matrix()
    assert loaded.path == str(BUNDLED_MATRIX) and "signature does not match" in loaded.warnings[0]


def test_a_signed_user_copy_older_than_the_bundled_data_is_not_used(home: Path, keys: Keys,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCHDESK_DATA_PUBLIC_KEY", str(keys.public_pem))
    place_user_copy(to_bytes(bundled_data(data_version="2000.01.01")), keys)
    assert load_app_matrix().path == str(BUNDLED_MATRIX)


def test_a_signed_user_copy_with_a_foreign_index_is_ignored_unless_the_host_was_added(
        home: Path, keys: Keys, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop.hosts import extra_hosts_path, save_extra_hosts

    monkeypatch.setenv("TORCHDESK_DATA_PUBLIC_KEY", str(keys.public_pem))
    p = place_user_copy(to_bytes(with_index_host(bundled_data(data_version=NEWER), f"https://{EVIL_HOST}/whl/")), keys)
    loaded = load_app_matrix()
    assert loaded.path == str(BUNDLED_MATRIX) and EVIL_HOST in loaded.warnings[0]
    assert str(extra_hosts_path()).startswith(str(home))
    save_extra_hosts([f"https://{EVIL_HOST.upper()}/anything"])
    assert load_app_matrix().path == str(p)


def test_a_garbled_allowed_hosts_file_allows_nothing_and_crashes_nothing(home: Path) -> None:
    from desktop.hosts import HostError, extra_hosts_path, normalize_host, read_extra_hosts

    p = extra_hosts_path()
    p.parent.mkdir(parents=True)
    p.write_bytes(b"\xff\xfe\x00 bad host!\n; rm -rf /\nok.example  # mine\n\x00\x01junk\n")
    assert read_extra_hosts() == frozenset({"ok.example"})
    p.write_bytes(b"a.example\n" * 10000)  # far beyond any list a person types
    assert read_extra_hosts() == frozenset()
    with pytest.raises(HostError, match="not a host name"):
        normalize_host("evil host/with spaces")


# --- the CLI with hostile data files --------------------------------------------------------------------------------

def td(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=120)


def nested(depth: int) -> bytes:
    return b'{"data_version": "2099.01.01", "x": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("depth", [40, 100_000])
def test_a_deeply_nested_user_matrix_does_not_crash_recommend(home: Path, keys: Keys, depth: int) -> None:
    p = place_user_copy(nested(depth), keys)  # signed, so the loader really parses it
    r = td("recommend", "--json", "--no-gpu", "--os", "linux", env={"TORCHDESK_DATA_PUBLIC_KEY": str(keys.public_pem)})
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "RecursionError" not in r.stderr
    assert f"ignored {p}" in r.stderr and "nested more than 32 levels deep" in r.stderr and "bundled" in r.stderr
    assert json.loads(r.stdout)["plan"]["torch"]


def test_a_deeply_nested_matrix_file_is_a_clear_error(tmp_path: Path, home: Path) -> None:
    f = tmp_path / "deep.json"
    f.write_bytes(nested(100_000))
    r = td("--matrix-file", str(f), "recommend", "--no-gpu")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert str(f) in r.stderr and "nested more than 32 levels deep" in r.stderr


def test_an_unsigned_user_copy_is_ignored_by_the_cli_with_a_warning(home: Path) -> None:
    p = place_user_copy(to_bytes(bundled_data(data_version=NEWER)), None)
    r = td("recommend", "--json", "--no-gpu", "--os", "linux")
    assert r.returncode == 0, r.stderr
    assert f"torchdesk: warning: ignored {p}" in r.stderr and "no signature" in r.stderr


def test_a_signed_file_pointing_at_another_host_does_not_drive_create(home: Path, keys: Keys, tmp_path: Path,
                                                                      plain: Site) -> None:
    index = f"{plain.base}/simple/"  # a real index on 127.0.0.1 that records what is asked of it
    data = bundled_data(data_version=NEWER)
    for r in data["torch_releases"]:
        for b in r["builds"]:
            b["install"] = {"index_url": index}
    evil = tmp_path / "evil.json"
    evil.write_bytes(to_bytes(data))
    signature_path(evil).write_bytes(keys.sign(evil.read_bytes()))
    env = {"TORCHDESK_DATA_PUBLIC_KEY": str(keys.public_pem), "TORCHDESK_CHANNEL": (tmp_path / "no-channel").as_uri()}
    r = td("--matrix-file", str(evil), "create", "-n", "evil", "--yes", "--no-verify", env=env)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "installs from 127.0.0.1, which is not a known package host" in r.stderr
    assert "Settings > Allowed hosts" in r.stderr
    assert plain.hits == []
    assert not (home / ".local" / "share" / "torchdesk" / "envs" / "evil").exists()
    # the same file as a (signed) user copy: ignored, and the plan comes from the bundled data's own index
    place_user_copy(evil.read_bytes(), keys)
    r = td("recommend", "--json", "--no-gpu", "--os", "linux", env=env)
    assert r.returncode == 0, r.stderr
    assert "127.0.0.1" in r.stderr and "bundled" in r.stderr
    assert json.loads(r.stdout)["plan"]["index_url"].startswith("https://download.pytorch.org/")


# --- the maintainer's signing tool --------------------------------------------------------------------------------

def test_sign_data_tool_round_trip_and_refusals(tmp_path: Path, home: Path) -> None:
    tool = [sys.executable, str(ROOT / "tools" / "sign_data.py")]
    private, public = tmp_path / "keys" / "data.key", tmp_path / "data.pub"
    r = subprocess.run([*tool, "genkey", "--private", str(ROOT / "stray.key"), "--public", str(public)],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "inside the git work tree" in r.stderr and not (ROOT / "stray.key").exists()
    r = subprocess.run([*tool, "genkey", "--private", str(private), "--public", str(public)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert private.stat().st_mode & 0o777 == 0o600
    r = subprocess.run([*tool, "genkey", "--private", str(private), "--public", str(public)], capture_output=True, text=True)
    assert r.returncode != 0 and "never overwritten" in r.stderr
    data = tmp_path / "matrix.json"
    data.write_bytes(to_bytes(bundled_data(data_version=NEWER)))
    r = subprocess.run([*tool, "sign", "--key", str(private), str(data)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([*tool, "verify", "--public", str(public), str(data)], capture_output=True, text=True)
    assert r.returncode == 0 and "signature valid" in r.stdout
    # what the tool signed, the app accepts
    from desktop.datasign import load_public_key

    assert load_signed_matrix(data, load_public_key(public)).data_version == NEWER
    data.write_bytes(data.read_bytes() + b" ")
    r = subprocess.run([*tool, "verify", "--public", str(public), str(data)], capture_output=True, text=True)
    assert r.returncode == 1 and "NOT valid" in r.stderr
    evil = tmp_path / "evil.json"
    evil.write_bytes(to_bytes(with_index_host(bundled_data(data_version=NEWER), f"https://{EVIL_HOST}/whl/")))
    r = subprocess.run([*tool, "sign", "--key", str(private), str(evil)], capture_output=True, text=True)
    assert r.returncode != 0 and EVIL_HOST in r.stderr and not signature_path(evil).exists()


def test_the_shipped_public_key_is_an_ed25519_key_and_no_private_key_is_in_the_repo() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from desktop.datasign import PUBLIC_KEY, load_public_key

    assert isinstance(load_public_key(PUBLIC_KEY), Ed25519PublicKey)
    marker = b"PRIVATE " + b"KEY-----"  # split so this file does not match itself
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True).stdout.split(b"\0")
    for name in tracked:
        p = ROOT / name.decode()
        if name and p.is_file() and p.stat().st_size < 1_000_000:
            assert marker not in p.read_bytes(), p


def test_the_bundled_data_installs_only_from_known_hosts() -> None:
    from desktop.hosts import untrusted_install_urls

    assert untrusted_install_urls(json.loads(BUNDLED_MATRIX.read_text()), frozenset()) == []


@pytest.mark.parametrize("url, says", [
    (f"https://{EVIL_HOST}/whl/", f"installs from {EVIL_HOST}"),
    ("http://download.pytorch.org/whl/", "not https://"),
    ("file:///tmp/wheels/", "not an https:// URL with a host"),
    ("https://user:token@download.pytorch.org/whl/", "not a plain https:// URL"),
    ("https://evil.example\\@download.pytorch.org/whl/", "not a plain https:// URL"),
    ("https://download.pytorch.org.evil.example/whl/", "installs from download.pytorch.org.evil.example"),
])
def test_a_matrix_file_installing_from_elsewhere_is_refused_naming_why(tmp_path: Path, home: Path, url: str,
                                                                       says: str) -> None:
    from desktop.matrix import MatrixError, load_matrix

    f = tmp_path / "m.json"
    f.write_bytes(to_bytes(with_index_host(bundled_data(), url)))
    with pytest.raises(MatrixError, match=re.escape(says)) as ei:
        load_matrix(f)
    assert ei.value.path.startswith("$.torch_releases[0].builds[")


@pytest.mark.parametrize("key, value", [("numpy", " @ https://wheels.evil.example/numpy-9-py3-none-any.whl"),
                                        ("numpy", "<2 --index-url https://wheels.evil.example/"),
                                        ("requires_python", ">=3.9; rm -rf ~")])
def test_a_version_range_in_data_cannot_become_a_url_or_an_option(tmp_path: Path, key: str, value: str) -> None:
    from desktop.matrix import MatrixError, load_matrix

    data = bundled_data()
    data["torch_releases"][0][key] = value
    f = tmp_path / "m.json"
    f.write_bytes(to_bytes(data))
    with pytest.raises(MatrixError, match="is not a version range") as ei:
        load_matrix(f)
    assert ei.value.path == f"$.torch_releases[0].{key}"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_a_fifo_planted_as_the_user_copy_does_not_hang_a_command(home: Path) -> None:
    p = user_matrix_path()
    p.parent.mkdir(parents=True)
    os.mkfifo(p)
    os.mkfifo(signature_path(p))
    r = td("recommend", "--json", "--no-gpu", "--os", "linux")  # td's timeout turns a hang into a failure
    assert r.returncode == 0, r.stderr
    assert f"ignored {p}" in r.stderr and json.loads(r.stdout)["plan"]["torch"]


def test_sign_data_bump_sets_only_data_version_and_always_moves_forward(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import sign_data
    finally:
        sys.path.remove(str(ROOT / "tools"))
    f = tmp_path / "matrix.json"
    original = BUNDLED_MATRIX.read_text(encoding="utf-8")
    f.write_text(original, encoding="utf-8")
    day = datetime.date(2099, 3, 4)
    old, new = sign_data.bump(f, today=day)
    assert new == "2099.03.04"
    assert sign_data.bump(f, today=day) == ("2099.03.04", "2099.03.04.1")  # twice a day still moves forward
    assert f.read_text(encoding="utf-8") == original.replace(f'"data_version": "{old}"', '"data_version": "2099.03.04.1"')
    with pytest.raises(SystemExit, match="not newer"):
        sign_data.bump(f, "2099.03.04")


def test_without_cryptography_a_user_copy_is_refused_with_a_warning_not_a_crash(home: Path, keys: Keys) -> None:
    place_user_copy(to_bytes(bundled_data(data_version=NEWER)), keys)
    code = ("import sys; sys.modules['cryptography'] = None\n"  # as in a bundle built without it
            "from desktop.matrix import load_app_matrix\n"
            "l = load_app_matrix(); print(l.path); print(l.warnings[0])")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60,
                       env={**os.environ, "TORCHDESK_DATA_PUBLIC_KEY": str(keys.public_pem)})
    assert r.returncode == 0, r.stderr
    path, warning = r.stdout.splitlines()
    assert path == str(BUNDLED_MATRIX) and "cryptography package is missing" in warning


def test_sign_data_refuses_data_missing_a_model_of_nvidias_pages(tmp_path: Path, home: Path) -> None:
    """The maintainer cannot publish a table `torchdesk matrix --check` would fail: a model on NVIDIA's CUDA GPU
    pages that the GPU table lost is named, and nothing is signed."""
    tool = [sys.executable, str(ROOT / "tools" / "sign_data.py")]
    private, public = tmp_path / "keys" / "data.key", tmp_path / "data.pub"
    r = subprocess.run([*tool, "genkey", "--private", str(private), "--public", str(public)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    data = bundled_data(data_version=NEWER)
    data["gpus"] = [g for g in data["gpus"] if g["name"] != "Quadro RTX 3000"]
    lost = tmp_path / "matrix.json"
    lost.write_bytes(to_bytes(data))
    r = subprocess.run([*tool, "sign", "--key", str(private), str(lost)], capture_output=True, text=True)
    assert r.returncode != 0 and "'RTX 3000'" in r.stderr and not signature_path(lost).exists(), r.stderr
