"""Credentials in URLs (`https://user:token@host/simple`): masked wherever TorchDesk prints, logs or stores one.

pip and conda accept a private index's token in the URL's user-info part. TorchDesk passes such a URL to pip
unchanged (it has to), but every line it shows or writes goes through `mask_text`, and files meant to be shared
(the env's record, `export`) carry the URL without its user-info (`strip_credentials`): pip then asks for the
credentials, or reads them from ~/.netrc or a keyring.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MASK = "****"

# scheme://userinfo@ : userinfo has no '/', '@' or whitespace (RFC 3986 3.2.1). pip redacts the same way
# (pip._internal.utils.misc.redact_auth_from_url: "user:****" when there is a password, "****" for a bare token).
_USERINFO_RX = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/\s@'\"]+)@")


def _masked_userinfo(userinfo: str) -> str:
    user, sep, _password = userinfo.partition(":")
    return f"{user}:{MASK}" if sep else MASK


def mask_url(url: str) -> str:
    """`url` with its password (or bare token) replaced by ****: https://user:****@host/simple."""
    return _USERINFO_RX.sub(lambda m: m.group("scheme") + _masked_userinfo(m.group("userinfo")) + "@", url, count=1)


def mask_text(text: str) -> str:
    """Every URL credential in free text (a log line, a command line, an error message) masked."""
    if "@" not in text:
        return text
    return _USERINFO_RX.sub(lambda m: m.group("scheme") + _masked_userinfo(m.group("userinfo")) + "@", text)


def has_credentials(url: str | None) -> bool:
    """True if `url` carries a user name, password or token."""
    return bool(url) and _USERINFO_RX.search(url or "") is not None


def strip_credentials(url: str) -> str:
    """`url` without its user-info part: https://host/simple."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _USERINFO_RX.sub(lambda m: m.group("scheme"), url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def strip_credentials_text(text: str) -> str:
    """Every URL in free text without its user-info part."""
    if "@" not in text:
        return text
    return _USERINFO_RX.sub(lambda m: m.group("scheme"), text)
