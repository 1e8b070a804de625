"""Maintainer tool: make the data-signing key pair, sign a matrix.json, verify a signature.

    python tools/sign_data.py genkey --private ~/keys/torchdesk-data.key --public desktop/resources/data-signing-key.pub
    python tools/sign_data.py sign --key ~/keys/torchdesk-data.key desktop/resources/matrix.json   # -> matrix.json.sig
    python tools/sign_data.py bump desktop/resources/matrix.json    # data_version -> today (sign --bump does both)
    python tools/sign_data.py verify desktop/resources/matrix.json [--public PATH]

The private key stays with the maintainer, outside every repository (genkey refuses a path inside a git work
tree and writes it 0600). Only the public key is committed; the app trusts exactly that key (desktop/datasign.py).
`sign` refuses a file that is not valid data (schema, cross-table checks, allowed install hosts), so a broken or
foreign-host file is never published with a good signature.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from desktop.datasign import (  # noqa: E402
    PUBLIC_KEY,
    SignatureError,
    load_public_key,
    sign_bytes,
    signature_path,
    verify_signature,
)


def _inside_git_tree(p: Path) -> Path | None:
    for d in [p.parent, *p.parent.parents]:
        if (d / ".git").exists():
            return d
    return None


def genkey(private: Path, public: Path, *, allow_in_repo: bool = False) -> None:
    """Write a new Ed25519 key pair: the private key (PEM, 0600, never overwritten) and the public key (PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = private.expanduser().resolve()
    repo = _inside_git_tree(private)
    if repo is not None and not allow_in_repo:
        raise SystemExit(f"sign_data: {private} is inside the git work tree {repo}; keep the private key outside "
                         "every repository (for example in ~/keys/)")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    private.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SystemExit(f"sign_data: {private} already exists; it is never overwritten (pick another path)") from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    public.parent.mkdir(parents=True, exist_ok=True)
    public.write_bytes(pub)


def _load_private(path: Path):  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(path.expanduser().read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"sign_data: cannot read the private key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SystemExit(f"sign_data: {path} is not an Ed25519 private key")
    return key


_DATA_VERSION = re.compile(r'("data_version"\s*:\s*")([^"\\]*)(")')


def next_data_version(old: str, today: datetime.date) -> str:
    """Today's YYYY.MM.DD, or YYYY.MM.DD.N when `old` is already today's (apps take only a newer version)."""
    from desktop.matrix import data_version_newer

    new = today.strftime("%Y.%m.%d")
    n = 0
    while not data_version_newer(new, old):
        n += 1
        new = today.strftime("%Y.%m.%d") + f".{n}"
        if n > 1000:
            raise SystemExit(f"sign_data: data_version {old!r} is not below today's date; give --version")
    return new


def bump(data_file: Path, version: str | None = None, today: datetime.date | None = None) -> tuple[str, str]:
    """Set data_version in place (nothing else in the file changes) to `version` or the next one; returns (old, new)."""
    from desktop.matrix import data_version_newer

    text = data_file.read_text(encoding="utf-8")
    found = _DATA_VERSION.findall(text)
    if len(found) != 1:
        raise SystemExit(f"sign_data: {data_file} has {len(found)} data_version fields, expected exactly one")
    old = found[0][1]
    new = version or next_data_version(old, today or datetime.datetime.now(datetime.timezone.utc).date())
    if not data_version_newer(new, old):
        raise SystemExit(f"sign_data: {new} is not newer than {old}; apps would refuse it")
    data_file.write_text(_DATA_VERSION.sub(lambda m: m.group(1) + new + m.group(3), text), encoding="utf-8")
    return old, new


def sign(data_file: Path, key_file: Path, out: Path | None = None) -> Path:
    """Check `data_file` is valid data, then write its detached signature (default: beside it, .sig)."""
    from desktop.gpucoverage import coverage_problems
    from desktop.matrix import MatrixError, consistency_problems, parse_matrix_bytes, read_matrix_bytes

    raw = read_matrix_bytes(data_file)
    try:
        m = parse_matrix_bytes(raw, data_file)  # untrusted rules: the published file meets what the app demands
    except MatrixError as exc:
        raise SystemExit(f"sign_data: refusing to sign invalid data: {exc}") from None
    problems = consistency_problems(m) + coverage_problems(m)  # what `torchdesk matrix --check` demands
    if problems:
        raise SystemExit(f"sign_data: refusing to sign inconsistent data: {problems[0]}")
    key = _load_private(key_file)
    target = out or signature_path(data_file)
    target.write_bytes(sign_bytes(raw, key))
    return target


def verify(data_file: Path, public: Path | None = None, sig: Path | None = None) -> None:
    """Raise SignatureError unless `sig` (default: beside the file) signs `data_file` under `public`."""
    key = load_public_key(public)
    verify_signature(data_file.read_bytes(), (sig or signature_path(data_file)).read_bytes(), key)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="sign_data.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("genkey", help="make a new key pair")
    g.add_argument("--private", type=Path, required=True, help="where the private key goes (outside any repo)")
    g.add_argument("--public", type=Path, default=PUBLIC_KEY, help=f"where the public key goes (default {PUBLIC_KEY})")
    bp = sub.add_parser("bump", help="set data_version to today's date (or --version), changing nothing else")
    bp.add_argument("file", type=Path)
    bp.add_argument("--version", help="the new data_version, e.g. 2026.12.01")
    s = sub.add_parser("sign", help="sign a matrix.json (writes FILE.sig)")
    s.add_argument("file", type=Path)
    s.add_argument("--bump", action="store_true", help="bump data_version first (see `bump`)")
    s.add_argument("--key", type=Path, required=True, help="the private key file")
    s.add_argument("--out", type=Path, help="signature path (default: FILE.sig)")
    v = sub.add_parser("verify", help="check FILE.sig against the public key")
    v.add_argument("file", type=Path)
    v.add_argument("--public", type=Path, help=f"public key (default {PUBLIC_KEY})")
    v.add_argument("--sig", type=Path, help="signature path (default: FILE.sig)")
    a = ap.parse_args(argv)
    if a.cmd == "genkey":
        genkey(a.private, a.public)
        print(f"private key: {a.private.expanduser()} (keep it secret, outside any repository)\npublic key: {a.public}")
    elif a.cmd == "bump":
        old, new = bump(a.file, a.version)
        print(f"{a.file}: data_version {old} -> {new}")
    elif a.cmd == "sign":
        if a.bump:
            old, new = bump(a.file)
            print(f"{a.file}: data_version {old} -> {new}")
        print(f"signed: {sign(a.file, a.key, a.out)}")
    else:
        try:
            verify(a.file, a.public, a.sig)
        except (SignatureError, OSError) as exc:
            print(f"sign_data: {a.file}: NOT valid: {exc}", file=sys.stderr)
            return 1
        print(f"{a.file}: signature valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
