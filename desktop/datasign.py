"""Ed25519 detached signatures on compatibility data (matrix.json + matrix.json.sig).

The app ships only the maintainer's public key (resources/data-signing-key.pub). The private key never enters the
repository; tools/sign_data.py makes key pairs and signs files. A signature file is one line: the 64-byte Ed25519
signature over the exact bytes of matrix.json, base64-encoded.

TORCHDESK_DATA_PUBLIC_KEY names another public key file: for the tests (which sign with a throw-away key) and for
an organisation that publishes its own signed data. Whoever can set it can already change what the app runs.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import Any

from .errors import TorchDeskError
from .schema import RESOURCES

PUBLIC_KEY = RESOURCES / "data-signing-key.pub"
KEY_ENV = "TORCHDESK_DATA_PUBLIC_KEY"
MAX_SIGNATURE_BYTES = 1024


class SignatureError(TorchDeskError):
    """The data is not signed, or not by the key the app trusts: a sentence for the user."""


def signature_path(path: Path | str) -> Path:
    """matrix.json -> matrix.json.sig, beside it."""
    p = Path(path)
    return p.with_name(p.name + ".sig")


def public_key_path() -> Path:
    """The public key data must be signed with: $TORCHDESK_DATA_PUBLIC_KEY, else the one shipped in resources/."""
    env = os.environ.get(KEY_ENV)
    return Path(env).expanduser() if env else PUBLIC_KEY


def _no_crypto() -> SignatureError:
    return SignatureError("signatures cannot be checked because the cryptography package is missing; reinstall "
                          "TorchDesk")


def load_public_key(path: Path | str | None = None) -> Any:
    """Read an Ed25519 public key (PEM SubjectPublicKeyInfo). Raises SignatureError if it is missing or not one."""
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
    except ImportError:
        raise _no_crypto() from None

    p = Path(path) if path is not None else public_key_path()
    try:
        raw = p.read_bytes()
        key = load_pem_public_key(raw[:16384])
    except (OSError, ValueError) as exc:
        raise SignatureError(f"cannot read the data-signing public key {p} ({exc}); reinstall TorchDesk") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SignatureError(f"{p} is not an Ed25519 public key; reinstall TorchDesk")
    return key


def decode_signature(text: bytes) -> bytes:
    """The 64 raw signature bytes from a .sig file's content. Raises SignatureError for anything else."""
    if len(text) > MAX_SIGNATURE_BYTES:
        raise SignatureError("the signature file is far too large to be an Ed25519 signature")
    try:
        sig = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the signature file is not base64 text") from None
    if len(sig) != 64:
        raise SignatureError(f"the signature is {len(sig)} bytes long, an Ed25519 signature is 64")
    return sig


def verify_signature(data: bytes, signature_text: bytes, key: Any = None) -> None:
    """Check that `signature_text` (a .sig file's content) signs exactly `data`. Raises SignatureError."""
    try:
        from cryptography.exceptions import InvalidSignature
    except ImportError:
        raise _no_crypto() from None
    sig = decode_signature(signature_text)
    pub = key if key is not None else load_public_key()
    try:
        pub.verify(sig, data)
    except InvalidSignature:
        raise SignatureError("its signature does not match: it was changed after signing, or signed by another "
                             "key than the one TorchDesk trusts") from None


def sign_bytes(data: bytes, private_key: Any) -> bytes:
    """The .sig file content for `data` (maintainer side: tools/sign_data.py)."""
    return base64.b64encode(private_key.sign(data)) + b"\n"
