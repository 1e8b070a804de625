"""environment.yml -> EnvSpec: the strict reader for files from anywhere (ours, `conda env export`'s, a stranger's).

Anything that could change what pip or conda run beyond packages, indexes and channels is refused with its
line number: pip options other than the index ones, -r/-c/-e files, direct references, MatchSpec brackets that
add a source, channels the file does not list.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from ..mirrors import PYPI_MIRRORS, PYPI_SIMPLE
from .spec import DEFAULT_CHANNELS, TORCH_PACKAGES, EnvSpec, EnvSpecError, short_repr, validate_env_name, variant_from
from .yml_load import MAX_YML_BYTES, load_yml

_META_RX = re.compile(r"^#\s*torchdesk:\s*(.*)$")

_OPT_WITH_VALUE = {
    "-i": "index", "--index-url": "index",
    "--extra-index-url": "extra",
    "-f": "links", "--find-links": "links",
}


_OPT_FILES = ("-r", "--requirement", "-c", "--constraint", "-e", "--editable")
# The only pip options a file may carry: where packages come from (shown before anything runs), and --pre.
_ALLOWED_OPTIONS = ("--index-url", "--extra-index-url", "--find-links")
_OPT_FLAGS = ("--pre",)
_URL_SCHEMES = ("http", "https", "file")
_CONDA_NAME_RX = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_CHANNEL_RX = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")


def _is_file_option(key: str) -> bool:
    """-r/-c/-e and every spelling pip accepts for them: -rFILE, --requir (pip takes unambiguous prefixes)."""
    if key in ("-r", "-c", "-e") or (len(key) > 2 and key[:2] in ("-r", "-c", "-e") and not key.startswith("--")):
        return True
    return key.startswith("--") and len(key) > 3 and any(f.startswith(key) for f in _OPT_FILES if f.startswith("--"))


def _check_url(value: str, key: str, at: object) -> str:
    """`value` if it is one http(s) or file URL with no spaces, else EnvSpecError naming the line."""
    from urllib.parse import urlsplit

    v = value.strip()
    try:
        parts = urlsplit(v)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in _URL_SCHEMES or any(c.isspace() or not c.isprintable() for c in v) \
            or any(c in v for c in "'\"\\") \
            or not (parts.netloc or parts.scheme.lower() == "file"):
        raise EnvSpecError(f"line {at}: {key} needs one http(s) or file URL (got {short_repr(v)})")
    return v


def _check_prefix(value: object, at: object) -> str:
    """A file's `prefix:`: one absolute folder path, no control characters (it is shown, then created)."""
    import os.path

    text = str(value) if isinstance(value, (str, int, float)) else ""
    if not text or len(text) > 1024 or any(ord(c) < 32 or ord(c) == 127 for c in text) \
            or not (os.path.isabs(text) or re.match(r"^[A-Za-z]:[\\/]", text)):
        raise EnvSpecError(f"line {at}: prefix {short_repr(value)} is not an absolute folder path; give one, or "
                           "use --name / --prefix instead")
    return text


def _check_channel(value: object, at: object) -> str:
    """A conda channel: a name such as conda-forge (or owner/label) or an http(s)/file URL."""
    if not isinstance(value, str):
        raise EnvSpecError(f"line {at}: channel {short_repr(value)} is not a channel name or URL")
    v = value.strip()
    if "://" in v:
        return _check_url(v, "channel", at)
    if not _CHANNEL_RX.match(v):
        raise EnvSpecError(f"line {at}: channel {short_repr(v)} is not a channel name (such as conda-forge) or URL")
    return v


_MATCHSPEC_KEYS = frozenset({"version", "build", "build_number"})


def _check_match_spec(text: str, at: object, channels: Sequence[str]) -> str:
    """`text` if it is a conda MatchSpec naming a package (py-rattler's parser), from a channel the file lists."""
    from rattler import MatchSpec

    try:
        MatchSpec(text)
    except Exception as exc:  # rattler raises its own InvalidMatchSpecError
        raise EnvSpecError(f"line {at}: dependency {short_repr(text)} is not a conda package spec: "
                           f"{str(exc).splitlines()[0][:160]}") from None
    head = re.split(r"[\s=<>!~\[]", text, maxsplit=1)[0].rsplit("::", 1)[-1]
    if text.startswith("-") or not _CONDA_NAME_RX.match(head or "-"):
        raise EnvSpecError(f"line {at}: dependency {short_repr(text)} is not a conda package spec "
                           "(a package name such as ffmpeg, optionally with a version: ffmpeg>=6)")
    brackets = re.search(r"\[(.*)\]", text)
    if brackets:
        # [url=...] installs a package file from anywhere and [channel=...] adds a source the channels: list does
        # not show; only the keys that narrow which build of a listed package is meant are allowed
        for part in brackets.group(1).split(","):
            key = part.split("=", 1)[0].strip().strip("'\"").lower()
            if key and key not in _MATCHSPEC_KEYS:
                raise EnvSpecError(f"line {at}: dependency {short_repr(text)} uses [{short_repr(key)}=...]; only "
                                   f"{', '.join(sorted(_MATCHSPEC_KEYS))} may be given in brackets (a source goes in "
                                   "the file's channels: list)")
    if "::" in text:
        chan = text.rsplit("::", 1)[0]
        if chan not in channels:
            raise EnvSpecError(f"line {at}: dependency {short_repr(text)} names the channel {short_repr(chan)}, which the "
                               "file's channels: list does not; add it there so it is shown before anything runs")
    return text


def _split_option(line: str) -> tuple[str, str | None] | None:
    """('--index-url', 'URL') for a pip option line; None for a requirement."""
    s = line.strip()
    if not s.startswith("-"):
        return None
    if "=" in s.split(None, 1)[0]:
        opt, _, val = s.partition("=")
        return opt, val.strip() or None
    parts = s.split(None, 1)
    return parts[0], parts[1].strip() if len(parts) > 1 else None


def _is_pypi_like(url: str | None) -> bool:
    if url is None:
        return True
    u = url.rstrip("/")
    return u == PYPI_SIMPLE or any(u == m.url.rstrip("/") for m in PYPI_MIRRORS)


def _conda_python(dep: str) -> str | None:
    # python=3.11, python 3.11.*, python==3.11.9, and `conda env export`'s python=3.11.9=hb806964_0_cpython
    m = re.match(r"^python(?:\s*(?:==?|\s)\s*|\s*=\s*)(3\.\d{1,2})(?:\.[\d*]+)*(?:(?:=|\s+)[A-Za-z0-9_.*]+)?\s*$",
                 dep.strip())
    return m.group(1) if m else None


def read_environment_yml_file(path: str | Path, *, check_name: bool = True) -> EnvSpec:
    """read_environment_yml on a file: at most MAX_YML_BYTES, UTF-8 (a BOM allowed). OSError if unreadable."""
    from ..safeio import read_regular_file

    raw = read_regular_file(path, MAX_YML_BYTES)  # a FIFO or device is an OSError, not a hang
    if len(raw) > MAX_YML_BYTES:
        raise EnvSpecError(f"the file is larger than {MAX_YML_BYTES // 1024} KiB, which no environment.yml needs; "
                           "check you gave the right file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise EnvSpecError(f"line {line} is not UTF-8 text; save the file as UTF-8 and try again") from None
    return read_environment_yml(text, check_name=check_name)


def read_environment_yml(text: str, *, check_name: bool = True) -> EnvSpec:
    """Read an environment.yml (ours or anyone's) into an EnvSpec, pip section and index options included.

    Anything that could change what pip or conda run beyond packages, indexes and channels is refused with its
    line number. check_name=False: the caller gives its own name or prefix (`conda env export` of base writes
    name: base)."""
    from packaging.requirements import InvalidRequirement, Requirement

    data, lines_of = load_yml(text)
    if not isinstance(data, dict):
        raise EnvSpecError("an environment.yml must be a mapping with 'dependencies'")
    meta: dict[str, str] = {}
    for line in text.splitlines():
        m = _META_RX.match(line.strip())
        if m:
            for item in m.group(1).split():
                k, _, v = item.partition("=")
                meta[k] = v
    name = data.get("name")
    prefix = data.get("prefix")
    if name is not None:
        name = str(name)
        if check_name:
            validate_env_name(name)
        prefix = None  # conda itself prefers name
    elif prefix is not None:
        # With check_name=False the caller's own --name/--prefix replaces it.
        prefix = _check_prefix(prefix, lines_of.get("prefix", "?")) if check_name else str(prefix)
    else:
        raise EnvSpecError("the file has neither 'name' nor 'prefix'; give one with --name")
    raw_channels = data.get("channels") or []
    if not isinstance(raw_channels, list):
        raise EnvSpecError(f"line {lines_of.get('channels', '?')}: 'channels' must be a list")
    channels = tuple(_check_channel(c, lines_of.get(("channels", i), "?"))
                     for i, c in enumerate(raw_channels)) or DEFAULT_CHANNELS
    deps = data.get("dependencies") or []
    if not isinstance(deps, list):
        raise EnvSpecError(f"line {lines_of.get('dependencies', '?')}: 'dependencies' must be a list")
    python: str | None = None
    conda_extras: list[str] = []
    pip_lines: list[tuple[object, str]] = []  # (line number, entry)
    for i, dep in enumerate(deps):
        at = lines_of.get(("dependencies", i), "?")
        if isinstance(dep, dict):
            if set(dep) != {"pip"} or not isinstance(dep["pip"], list):
                raise EnvSpecError(f"line {at}: unsupported dependency entry {short_repr(dep)}: "
                                   "only a 'pip:' list may be nested")
            for j, p in enumerate(dep["pip"]):
                if not isinstance(p, (str, int, float)):
                    raise EnvSpecError(f"line {lines_of.get(('pip', j), at)}: pip entry {short_repr(p)} is not a "
                                       "requirement or an option")
                pip_lines.append((lines_of.get(("pip", j), at), str(p)))
            continue
        if not isinstance(dep, (str, int, float)):
            raise EnvSpecError(f"line {at}: dependency {short_repr(dep)} is not a conda package spec")
        d = str(dep).strip()
        head = re.split(r"[\s=<>!~]", d, maxsplit=1)[0].lower()
        if head == "python":
            python = _conda_python(d)
            if python is None:
                raise EnvSpecError(f"line {at}: cannot tell the Python version from {short_repr(d)}; "
                                   "write it as python=3.11")
        elif head == "pip":
            _check_match_spec(d, at, channels)
            continue
        else:
            conda_extras.append(_check_match_spec(d, at, channels))
    if python is None:
        raise EnvSpecError("the file does not say which Python to use (add python=3.11 to dependencies)")

    primary: str | None = None
    extra_urls: list[str] = []
    find_links: str | None = None
    options: list[str] = []
    pins: list[str] = []
    numpy: str | None = None
    extras: list[str] = []
    for where, raw in pip_lines:
        line = raw.split(" #", 1)[0].strip()
        if not line:
            continue
        opt = _split_option(line)
        if opt is not None:
            key, value = opt
            kind = _OPT_WITH_VALUE.get(key)
            if _is_file_option(key):
                # conda reads these relative to the yml; passed on as-is they would be dropped or hit torch's index
                raise EnvSpecError(f"line {where}: pip entry {short_repr(line)} refers to a file or folder next to the yml, "
                                   "which TorchDesk does not read; list those packages in the pip: section instead")
            if kind is None and key not in _OPT_FLAGS:
                raise EnvSpecError(f"line {where}: pip option {short_repr(line)} is not allowed: an environment.yml may "
                                   f"only give {', '.join(_ALLOWED_OPTIONS)} (with an http(s) or file URL) and "
                                   f"{', '.join(_OPT_FLAGS)}")
            if key in _OPT_FLAGS and value:
                raise EnvSpecError(f"line {where}: pip option {key} takes no value (got {short_repr(line)})")
            if kind and not value:
                raise EnvSpecError(f"line {where}: pip option {key} has no value")
            if kind:
                value = _check_url(value or "", key, where)
            if kind == "index":
                primary = value
            elif kind == "extra":
                extra_urls.append(value or "")
            elif kind == "links":
                find_links = value
            else:
                options.append(line)
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement as exc:
            raise EnvSpecError(f"line {where}: pip entry {short_repr(line)} is not a requirement: {exc}") from None
        if req.url:
            # `name @ URL` installs from a place no index lists (and may build and run a setup.py from it):
            # outside every source the confirmation shows, so it is refused, not silently trusted
            raise EnvSpecError(f"line {where}: pip entry {short_repr(line)} is a direct reference (name @ URL), which "
                               "installs from outside the file's indexes; publish the package on an index and add it "
                               "with --extra-index-url, or use --find-links for a folder of wheels")
        n = req.name.lower()
        if n in TORCH_PACKAGES:
            pins.append(line.replace(" ", ""))
        elif n == "numpy" and not req.extras and not req.marker and not req.url and numpy is None:
            numpy = str(req.specifier) or None
            if numpy is None:
                extras.append(line)
        else:
            extras.append(line)

    # Which index is torch's? The one that is not PyPI (or a PyPI mirror); the other one serves the extras.
    torch_index, extras_index = primary, None
    if _is_pypi_like(primary):
        torch_like = [u for u in extra_urls if not _is_pypi_like(u)]
        if torch_like and pins:
            torch_index = torch_like[0]
            extra_urls.remove(torch_like[0])
            extras_index = None if primary is None or primary.rstrip("/") == PYPI_SIMPLE else primary
        elif extras and extra_urls and _is_pypi_like(extra_urls[0]):
            first = extra_urls.pop(0)
            extras_index = None if first.rstrip("/") == PYPI_SIMPLE else first
    elif extra_urls and extras:
        # As we write it: torch's index first, then the extras' index for stock conda's single pip run.
        first = extra_urls.pop(0)
        extras_index = None if first.rstrip("/") == PYPI_SIMPLE else first
    options += [f"--extra-index-url {u}" for u in extra_urls]
    torch_ver = next((p.split("==", 1)[1] for p in pins if p.lower().startswith("torch==")), None)
    local = torch_ver.partition("+")[2] if torch_ver else None
    variant = meta.get("variant") or variant_from(local, torch_index, find_links)
    return EnvSpec(
        python=python,
        name=name,
        prefix=prefix,
        torch_pins=tuple(pins),
        index_url=torch_index,
        find_links=find_links,
        numpy=numpy,
        pip_extras=tuple(extras),
        extras_index_url=extras_index,
        pip_options=tuple(options),
        conda_extras=tuple(conda_extras),
        channels=channels,
        variant=variant,
        cuda=meta.get("cuda"),
    )
