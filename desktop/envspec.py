"""Plan -> EnvSpec -> environment.yml, and back; the same spec as copy/paste shell commands.

The file is one stock conda can rebuild with `conda env create -f environment.yml`: conda-forge, python and
pip as conda packages, the user's extra conda packages, and a `pip:` section that carries the torch build's
index option (the part `conda env export` drops), exact torch/torchvision/torchaudio pins, the numpy
constraint, then the user's extra pip packages.

Extras are kept apart from torch's pins and index: TorchDesk itself installs torch from its index alone and
the extras in a second pip run (with torch held by its pins). Stock conda runs one pip install, so when there
are extras the file adds their index as `--extra-index-url` and says so; torch stays held by exact pins.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Sequence

from .errors import TorchDeskError
from .mirrors import PYPI_MIRRORS, PYPI_SIMPLE, PYTORCH_INDEX, MirrorChoice, conda_channel, pypi_index, torch_source
from .model import Check, Host, Plan

TORCH_PACKAGES = ("torch", "torchvision", "torchaudio")
DEFAULT_CHANNELS = ("conda-forge",)

_NAME_RX = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")
_PY_RX = re.compile(r"^3\.\d{1,2}$")
# A conda match spec as users type it: name, then version/build constraints. No shell metacharacters.
_CONDA_SPEC_RX = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*(\s*[=<>!~]{0,2}\s*[A-Za-z0-9_.*+,|=<>!~ ]*)?$")
_META_RX = re.compile(r"^#\s*torchdesk:\s*(.*)$")
_VARIANT_RX = re.compile(r"^(cu\d{2,3}|cpu|rocm\d+(\.\d+)*|xpu)$")
_LABELLED_RX = re.compile(r"^(cu\d{2,3}|rocm\d+(\.\d+)*)$")
RESERVED_NAMES = ("base", "root")


class EnvSpecError(TorchDeskError, ValueError):
    """A spec or an environment.yml that cannot be used: the message says which part and why."""


@dataclass(frozen=True)
class EnvSpec:
    """Everything needed to build one environment, engine-independent. Exactly one of name / prefix is set."""

    python: str  # "3.11"
    name: str | None = None
    prefix: str | None = None
    torch_pins: tuple[str, ...] = ()  # exact: "torch==2.4.1+cu121", "torchvision==0.19.1+cu121", ...
    index_url: str | None = None  # torch's index (--index-url); None: pip's default (PyPI)
    find_links: str | None = None  # torch's flat wheel page (-f), old releases and some mirrors
    numpy: str | None = None  # a specifier such as "<2"
    pip_extras: tuple[str, ...] = ()  # the user's extra pip packages, installed after torch
    extras_index_url: str | None = None  # where the extras come from; None: PyPI
    pip_options: tuple[str, ...] = ()  # other pip options read from a file (--pre, --trusted-host h), kept as-is
    conda_extras: tuple[str, ...] = ()
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    variant: str | None = None  # cu121 | cpu | rocm6.2 | default
    cuda: str | None = None
    mirrors: MirrorChoice | None = None
    jupyter: bool = False  # also install ipykernel and register a Jupyter kernel (desktop/kernels.py)
    toolchain: bool = False  # also install the matching CUDA toolchain (desktop/toolchain.py)

    # --- derived ----------------------------------------------------------------------------------------------
    @property
    def label(self) -> str:
        """The name, or the prefix for a prefix env."""
        return self.name or self.prefix or "?"

    def pin_version(self, package: str) -> str | None:
        """The exact version pinned for `package`, local label included: '2.4.1+cu121'."""
        for pin in self.torch_pins:
            n, _, v = pin.partition("==")
            if n.strip().lower() == package:
                return v.strip()
        return None

    @property
    def torch(self) -> str | None:
        return self.pin_version("torch")

    def conda_specs(self) -> list[str]:
        """The conda part: python X.Y, pip, then the user's extras (conda match-spec syntax)."""
        return [f"python={self.python}", "pip", *self.conda_extras]

    def torch_requirements(self) -> list[str]:
        """What the first pip run installs from torch's index: the pins and the numpy constraint."""
        reqs = list(self.torch_pins)
        if self.numpy:
            reqs.append(f"numpy{self.numpy}")
        return reqs

    def torch_index_args(self) -> list[str]:
        """pip options that say where torch comes from, and nothing wider."""
        args: list[str] = []
        if self.index_url:
            args += ["--index-url", self.index_url]
        if self.find_links:
            args += ["--find-links", self.find_links]
        return args + self._option_args()

    def _option_args(self) -> list[str]:
        return [a for opt in self.pip_options for a in shlex.split(opt)]

    def extras_index_args(self) -> list[str]:
        args = ["--index-url", self.extras_index_url] if self.extras_index_url else []
        return args + self._option_args()

    def to_plan(self) -> Plan | None:
        """The Plan this spec installs, for checking it against a machine; None if it pins no torch."""
        torch = self.torch
        if torch is None:
            return None
        base, _, local = torch.partition("+")
        vision = self.pin_version("torchvision")
        audio = self.pin_version("torchaudio")
        variant = self.variant or _variant_from(local, self.index_url, self.find_links) or "default"
        return Plan(
            torch=base,
            variant=variant,
            python=self.python,
            torchvision=vision.partition("+")[0] if vision else None,
            torchaudio=audio.partition("+")[0] if audio else None,
            numpy=self.numpy,
            index_url=self.index_url,
            find_links=self.find_links,
            local_version=f"+{local}" if local and self.find_links and not self.index_url else None,
            cuda=self.cuda,
        )


# --- validation ---------------------------------------------------------------------------------------------------

def validate_env_name(name: str) -> str:
    """Return `name` if it is a usable env name: letters, digits, . _ -; no path separators or shell metacharacters."""
    if not name:
        raise EnvSpecError("the environment name is empty: give a name such as -n torch-work")
    if len(name) > 64:
        raise EnvSpecError(f"environment name {_short(name, 40)} is {len(name)} characters long: "
                           "use at most 64 letters, digits, '.', '_' and '-'")
    if not _NAME_RX.match(name):
        raise EnvSpecError(
            f"environment name {_short(name)} is not allowed: use letters, digits, '.', '_' and '-' "
            "(no spaces, path separators or shell characters), at most 64 characters"
        )
    if name.lower() in RESERVED_NAMES:
        raise EnvSpecError(f"environment name {name!r} is reserved by conda; pick another")
    return name


def _check_pip_extra(req: str) -> str:
    from packaging.requirements import InvalidRequirement, Requirement

    text = req.strip()
    if text.startswith("-"):
        raise EnvSpecError(f"extra pip package {text!r} looks like a pip option; extras cannot change where packages come from")
    try:
        parsed = Requirement(text)
    except InvalidRequirement as exc:
        raise EnvSpecError(f"extra pip package {text!r} is not a valid requirement: {exc}") from None
    if parsed.name.lower() in TORCH_PACKAGES:
        raise EnvSpecError(f"{parsed.name} is pinned by the plan; choose its version with --torch / --variant, not as an extra")
    return text


def _check_conda_extra(spec: str) -> str:
    text = spec.strip()
    if not _CONDA_SPEC_RX.match(text):
        raise EnvSpecError(f"extra conda package {text!r} is not a conda match spec such as 'ffmpeg' or 'libjpeg-turbo>=3'")
    if re.split(r"[\s=<>!~]", text, maxsplit=1)[0].lower() in ("python", "pip"):
        raise EnvSpecError(f"{text!r}: python and pip are set by the plan; choose Python with --python")
    return text


# --- Plan -> EnvSpec ----------------------------------------------------------------------------------------------

def spec_from_plan(
    plan: Plan,
    *,
    name: str | None,
    extras: Iterable[str] = (),
    conda_extras: Iterable[str] = (),
    mirrors: MirrorChoice | None = None,
    prefix: str | None = None,
) -> EnvSpec:
    """The EnvSpec that installs `plan`, with the user's extras kept apart and mirrors applied."""
    if (name is None) == (prefix is None):
        raise EnvSpecError("give exactly one of a name or a prefix")
    if name is not None:
        validate_env_name(name)
    index_url, find_links = torch_source(mirrors, plan.variant, plan.index_url, plan.find_links)
    if plan.index_url and plan.index_url.rstrip("/") == PYPI_SIMPLE and mirrors and mirrors.pypi:
        index_url = pypi_index(mirrors)  # torch from PyPI (macOS): the PyPI mirror serves it too
    pins = tuple(r for r in plan.pip_requirements() if r.split("==")[0] in TORCH_PACKAGES)
    if plan.local_version is None and _LABELLED_RX.match(plan.variant) and plan.index_url \
            and plan.index_url.startswith(PYTORCH_INDEX):
        # Every CUDA / ROCm wheel on PyTorch's index carries its build as a local label (torch-2.4.1+cu121-...).
        # Pinning the label makes the pin exact, so no other index (an extra one for the user's extras, a
        # PyPI mirror) can hand over a different build of the same version.
        pins = tuple(f"{p}+{plan.variant}" for p in pins)
    channels = tuple(conda_channel(mirrors, c) for c in DEFAULT_CHANNELS)
    return EnvSpec(
        python=plan.python,
        name=name,
        prefix=prefix,
        torch_pins=pins,
        index_url=index_url,
        find_links=find_links,
        numpy=plan.numpy,
        pip_extras=tuple(_check_pip_extra(e) for e in extras),
        extras_index_url=pypi_index(mirrors),
        conda_extras=tuple(_check_conda_extra(c) for c in conda_extras),
        channels=channels,
        variant=plan.variant,
        cuda=plan.cuda,
        mirrors=mirrors if mirrors is not None and not mirrors.is_default() else None,
    )


# --- EnvSpec -> environment.yml -----------------------------------------------------------------------------------

def _q(value: str) -> str:
    """A YAML scalar for `value`, quoted only where YAML needs it."""
    import yaml

    out = yaml.safe_dump([value], default_flow_style=False, width=10_000)
    return out[2:].rstrip("\n")


def _pip_extras_index_line(spec: EnvSpec) -> str | None:
    """The extras' index as stock conda's single pip run needs it, or None when pip's default already serves them."""
    if not spec.pip_extras:
        return None
    wanted = spec.extras_index_url or PYPI_SIMPLE
    primary = spec.index_url or PYPI_SIMPLE
    if wanted.rstrip("/") == primary.rstrip("/"):
        return None
    return f"--extra-index-url {wanted}"


def write_environment_yml(spec: EnvSpec) -> str:
    """environment.yml text that stock `conda env create -f` rebuilds, index options and all."""
    lines: list[str] = []
    meta = []
    if spec.variant:
        meta.append(f"variant={spec.variant}")
    if spec.cuda:
        meta.append(f"cuda={spec.cuda}")
    if spec.torch:
        lines.append(f"# torch {spec.torch} for Python {spec.python}, written by TorchDesk.")
    lines.append("# Rebuild with: conda env create -f environment.yml")
    if meta:
        lines.append(f"# torchdesk: {' '.join(meta)}")
    if spec.name:
        lines.append(f"name: {_q(spec.name)}")
    else:
        lines.append(f"prefix: {_q(spec.prefix or '')}")
    lines.append("channels:")
    lines += [f"  - {_q(c)}" for c in spec.channels]
    lines.append("dependencies:")
    lines += [f"  - {_q(d)}" for d in spec.conda_specs()]
    pip_lines: list[str] = []
    if spec.index_url:
        pip_lines.append(f"--index-url {spec.index_url}")
    if spec.find_links:
        pip_lines.append(f"--find-links {spec.find_links}")
    extra_idx = _pip_extras_index_line(spec)
    if extra_idx:
        pip_lines.append(extra_idx)
    pip_lines += list(spec.pip_options)
    pip_lines += spec.torch_requirements()
    if pip_lines or spec.pip_extras:
        lines.append("  - pip:")
        lines += [f"      - {_q(p)}" for p in pip_lines]
        if spec.pip_extras:
            if extra_idx:
                lines.append("      # your extra packages (their index is added above; torch stays on its exact pins)")
            else:
                lines.append("      # your extra packages")
            lines += [f"      - {_q(p)}" for p in spec.pip_extras]
    return "\n".join(lines) + "\n"


# --- environment.yml -> EnvSpec -----------------------------------------------------------------------------------

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
MAX_YML_BYTES = 1 << 20  # a real environment.yml is a few KiB; `conda env export` of a big env stays under 100 KiB
MAX_YML_DEPTH = 8  # mapping > dependencies > pip: > entry is 4 deep
_CONDA_NAME_RX = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_CHANNEL_RX = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")


def _short(value: object, limit: int = 80) -> str:
    """repr(value) cut to `limit` characters, for error messages about hostile input."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "...'"


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
        raise EnvSpecError(f"line {at}: {key} needs one http(s) or file URL (got {_short(v)})")
    return v


def _check_prefix(value: object, at: object) -> str:
    """A file's `prefix:`: one absolute folder path, no control characters (it is shown, then created)."""
    import os.path

    text = str(value) if isinstance(value, (str, int, float)) else ""
    if not text or len(text) > 1024 or any(ord(c) < 32 or ord(c) == 127 for c in text) \
            or not (os.path.isabs(text) or re.match(r"^[A-Za-z]:[\\/]", text)):
        raise EnvSpecError(f"line {at}: prefix {_short(value)} is not an absolute folder path; give one, or "
                           "use --name / --prefix instead")
    return text


def _check_channel(value: object, at: object) -> str:
    """A conda channel: a name such as conda-forge (or owner/label) or an http(s)/file URL."""
    if not isinstance(value, str):
        raise EnvSpecError(f"line {at}: channel {_short(value)} is not a channel name or URL")
    v = value.strip()
    if "://" in v:
        return _check_url(v, "channel", at)
    if not _CHANNEL_RX.match(v):
        raise EnvSpecError(f"line {at}: channel {_short(v)} is not a channel name (such as conda-forge) or URL")
    return v


_MATCHSPEC_KEYS = frozenset({"version", "build", "build_number"})


def _check_match_spec(text: str, at: object, channels: Sequence[str]) -> str:
    """`text` if it is a conda MatchSpec naming a package (py-rattler's parser), from a channel the file lists."""
    from rattler import MatchSpec

    try:
        MatchSpec(text)
    except Exception as exc:  # rattler raises its own InvalidMatchSpecError
        raise EnvSpecError(f"line {at}: dependency {_short(text)} is not a conda package spec: "
                           f"{str(exc).splitlines()[0][:160]}") from None
    head = re.split(r"[\s=<>!~\[]", text, maxsplit=1)[0].rsplit("::", 1)[-1]
    if text.startswith("-") or not _CONDA_NAME_RX.match(head or "-"):
        raise EnvSpecError(f"line {at}: dependency {_short(text)} is not a conda package spec "
                           "(a package name such as ffmpeg, optionally with a version: ffmpeg>=6)")
    brackets = re.search(r"\[(.*)\]", text)
    if brackets:
        # [url=...] installs a package file from anywhere and [channel=...] adds a source the channels: list does
        # not show; only the keys that narrow which build of a listed package is meant are allowed
        for part in brackets.group(1).split(","):
            key = part.split("=", 1)[0].strip().strip("'\"").lower()
            if key and key not in _MATCHSPEC_KEYS:
                raise EnvSpecError(f"line {at}: dependency {_short(text)} uses [{_short(key)}=...]; only "
                                   f"{', '.join(sorted(_MATCHSPEC_KEYS))} may be given in brackets (a source goes in "
                                   "the file's channels: list)")
    if "::" in text:
        chan = text.rsplit("::", 1)[0]
        if chan not in channels:
            raise EnvSpecError(f"line {at}: dependency {_short(text)} names the channel {_short(chan)}, which the "
                               "file's channels: list does not; add it there so it is shown before anything runs")
    return text


def _strict_loader(text: str) -> Any:
    """A PyYAML SafeLoader over `text` that refuses anchors, aliases and deep nesting while composing.

    An alias bomb (a few hundred bytes that expand to gigabytes) is refused at its first anchor, before any
    expansion; nesting is capped before PyYAML's recursive composer can hit Python's recursion limit."""
    import yaml

    class Loader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
            event = self.peek_event()  # type: ignore[no-untyped-call]  # types-PyYAML leaves the parser API untyped
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise EnvSpecError(f"line {event.start_mark.line + 1}: YAML anchors and aliases (& and *) are "
                                   "not allowed in an environment.yml; write each entry out")
            self.depth += 1
            if self.depth > MAX_YML_DEPTH:
                raise EnvSpecError(f"line {event.start_mark.line + 1}: the file is nested more than "
                                   f"{MAX_YML_DEPTH} levels deep, which no environment.yml needs")
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return Loader(text)


def _load_yml(text: str) -> tuple[Any, dict[Any, int]]:
    """The parsed file and the line number of each top-level key, channel, dependency and pip entry."""
    import yaml

    if len(text) > MAX_YML_BYTES:
        raise EnvSpecError(f"the file is larger than {MAX_YML_BYTES // 1024} KiB, which no environment.yml needs")
    if "\x00" in text:
        raise EnvSpecError("the file contains NUL characters: it is not a text file")
    loader = _strict_loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise EnvSpecError(f"not valid YAML: {str(exc)[:300]}") from None
    except RecursionError:  # belt and braces: the depth cap should stop it first
        raise EnvSpecError("the file is nested too deeply to be an environment.yml") from None
    finally:
        loader.dispose()
    lines: dict[Any, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = getattr(key, "value", None)
            if not isinstance(k, str):
                continue
            lines[k] = key.start_mark.line + 1
            if k in ("channels", "dependencies") and isinstance(value, yaml.SequenceNode):
                for i, item in enumerate(value.value):
                    lines[(k, i)] = item.start_mark.line + 1
                    if k == "dependencies" and isinstance(item, yaml.MappingNode):
                        for pk, pv in item.value:
                            if getattr(pk, "value", None) == "pip" and isinstance(pv, yaml.SequenceNode):
                                for j, entry in enumerate(pv.value):
                                    lines[("pip", j)] = entry.start_mark.line + 1
    return data, lines


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


def _is_torch_like(url: str) -> bool:
    return url.startswith(PYTORCH_INDEX) or "pytorch" in url.lower() or "/whl/" in url + "/"


def _variant_from(local: str | None, index_url: str | None, find_links: str | None) -> str | None:
    if local and _VARIANT_RX.match(local):
        return local
    for url in (index_url, find_links):
        if url:
            tail = url.rstrip("/").rsplit("/", 1)[-1]
            if _VARIANT_RX.match(tail):
                return tail
    return None


def _conda_python(dep: str) -> str | None:
    # python=3.11, python 3.11.*, python==3.11.9, and `conda env export`'s python=3.11.9=hb806964_0_cpython
    m = re.match(r"^python(?:\s*(?:==?|\s)\s*|\s*=\s*)(3\.\d{1,2})(?:\.[\d*]+)*(?:(?:=|\s+)[A-Za-z0-9_.*]+)?\s*$",
                 dep.strip())
    return m.group(1) if m else None


def read_environment_yml_file(path: str | Path, *, check_name: bool = True) -> EnvSpec:
    """read_environment_yml on a file: at most MAX_YML_BYTES, UTF-8 (a BOM allowed). OSError if unreadable."""
    from .safeio import read_regular_file

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

    data, lines_of = _load_yml(text)
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
                raise EnvSpecError(f"line {at}: unsupported dependency entry {_short(dep)}: "
                                   "only a 'pip:' list may be nested")
            for j, p in enumerate(dep["pip"]):
                if not isinstance(p, (str, int, float)):
                    raise EnvSpecError(f"line {lines_of.get(('pip', j), at)}: pip entry {_short(p)} is not a "
                                       "requirement or an option")
                pip_lines.append((lines_of.get(("pip", j), at), str(p)))
            continue
        if not isinstance(dep, (str, int, float)):
            raise EnvSpecError(f"line {at}: dependency {_short(dep)} is not a conda package spec")
        d = str(dep).strip()
        head = re.split(r"[\s=<>!~]", d, maxsplit=1)[0].lower()
        if head == "python":
            python = _conda_python(d)
            if python is None:
                raise EnvSpecError(f"line {at}: cannot tell the Python version from {_short(d)}; "
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
                raise EnvSpecError(f"line {where}: pip entry {_short(line)} refers to a file or folder next to the yml, "
                                   "which TorchDesk does not read; list those packages in the pip: section instead")
            if kind is None and key not in _OPT_FLAGS:
                raise EnvSpecError(f"line {where}: pip option {_short(line)} is not allowed: an environment.yml may "
                                   f"only give {', '.join(_ALLOWED_OPTIONS)} (with an http(s) or file URL) and "
                                   f"{', '.join(_OPT_FLAGS)}")
            if key in _OPT_FLAGS and value:
                raise EnvSpecError(f"line {where}: pip option {key} takes no value (got {_short(line)})")
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
            raise EnvSpecError(f"line {where}: pip entry {_short(line)} is not a requirement: {exc}") from None
        if req.url:
            # `name @ URL` installs from a place no index lists (and may build and run a setup.py from it):
            # outside every source the confirmation shows, so it is refused, not silently trusted
            raise EnvSpecError(f"line {where}: pip entry {_short(line)} is a direct reference (name @ URL), which "
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
    variant = meta.get("variant") or _variant_from(local, torch_index, find_links)
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


# --- what a spec will use, for the confirmation; credentials ------------------------------------------------------

def describe_sources(spec: EnvSpec) -> list[str]:
    """Every channel, index, find-links page and pip option the job will use: what the user agrees to."""
    from .secrets import mask_text

    lines = [f"  conda channels: {' '.join(spec.channels)}",
             f"  conda packages: {' '.join(spec.conda_specs())}"]
    if spec.torch_requirements():
        lines.append(f"  pip install {' '.join(spec.torch_requirements())}")
        lines.append(f"    from: {' '.join(spec.torch_index_args()) or 'PyPI (pip default index)'}")
    if spec.pip_extras:
        lines.append(f"  pip install {' '.join(spec.pip_extras)}  (torch held at its pins)")
        lines.append(f"    from: {' '.join(spec.extras_index_args()) or 'PyPI (pip default index)'}")
    return [mask_text(line) for line in lines]


def without_credentials(spec: EnvSpec) -> EnvSpec:
    """The same spec with user names, passwords and tokens taken out of every URL (for files meant to be kept)."""
    from .secrets import strip_credentials, strip_credentials_text

    def clean(url: str | None) -> str | None:
        return strip_credentials(url) if url else url

    return replace(spec, index_url=clean(spec.index_url), find_links=clean(spec.find_links),
                   extras_index_url=clean(spec.extras_index_url),
                   pip_options=tuple(strip_credentials_text(o) for o in spec.pip_options),
                   pip_extras=tuple(strip_credentials_text(e) for e in spec.pip_extras),
                   channels=tuple(clean(c) or c for c in spec.channels))


def spec_has_credentials(spec: EnvSpec) -> bool:
    """True if any URL in the spec carries a user name, password or token."""
    return without_credentials(spec) != spec


# --- shell commands -----------------------------------------------------------------------------------------------

def shell_commands(spec: EnvSpec, *, conda: str = "conda") -> list[str]:
    """The same plan as POSIX shell commands for copy/paste (conda, then the env's own pip, twice)."""
    q = shlex.quote
    target = ["-n", spec.name] if spec.name else ["-p", spec.prefix or ""]
    chans: list[str] = []
    for c in spec.channels:
        chans += ["-c", c]
    create = [conda, "create", "-y", *target, "--override-channels", *chans, *spec.conda_specs()]
    run = [conda, "run", *target, "python", "-m", "pip", "install"]
    cmds = [" ".join(q(a) for a in create)]
    if spec.torch_requirements():
        cmds.append(" ".join(q(a) for a in [*run, *spec.torch_index_args(), *spec.torch_requirements()]))
    if spec.pip_extras:
        # torch's pins ride along so the extras cannot move torch off the chosen build.
        cmds.append(" ".join(q(a) for a in [*run, *spec.extras_index_args(), *spec.pip_extras, *spec.torch_pins]))
    return cmds


# --- checking a spec against a machine ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SpecCheck:
    """Whether an imported spec runs here: ok is None when it could not be checked."""

    ok: bool | None
    summary: str
    checks: tuple[Check, ...] = field(default_factory=tuple)


def describe_host(host: Host) -> str:
    """'your RTX 5090', 'your 2 GPUs (A100, RTX 4090)', 'this machine (no NVIDIA GPU)'."""
    gpus = host.nvidia_gpus
    who = "that machine" if host.hypothetical else "this machine"
    if not gpus:
        return f"{who} (no NVIDIA GPU)"
    names = sorted({g.name.replace("NVIDIA ", "").replace("GeForce ", "") for g in gpus})
    owner = "the" if host.hypothetical else "your"
    if len(gpus) == 1:
        return f"{owner} {names[0]}"
    return f"{owner} {len(gpus)} GPUs ({', '.join(names)})"


def check_spec(spec: EnvSpec, host: Host, matrix: Any) -> SpecCheck:
    """'this yml asks for torch 2.4.1+cu121, and it will / will not run on your RTX 5090 because ...'.

    Uses the resolver's `check_plan`; when that is unavailable the result says so (ok=None).
    """
    plan = spec.to_plan()
    where = describe_host(host)
    if plan is None:
        return SpecCheck(None, f"this yml pins no torch build, so there is nothing to check against {where}")
    asks = f"this yml asks for torch {spec.torch}" + (f" on Python {spec.python}")
    try:
        from .resolve import check_plan
    except ImportError:  # hook: the resolver's per-plan check is not available in this build
        return SpecCheck(None, f"{asks}; it cannot be checked against {where} (the resolver's check_plan is missing)")
    checks = tuple(check_plan(matrix, host, plan))
    failed = [c for c in checks if not c.ok]
    if not failed:
        return SpecCheck(True, f"{asks}, and it will run on {where}", checks)
    because = "; ".join(c.detail for c in failed)
    return SpecCheck(False, f"{asks}, and it will not run on {where} because {because}", checks)


def with_target(spec: EnvSpec, *, name: str | None = None, prefix: str | None = None) -> EnvSpec:
    """The same spec aimed at another name or prefix."""
    if name is not None:
        return replace(spec, name=validate_env_name(name), prefix=None)
    if prefix is not None:
        return replace(spec, name=None, prefix=prefix)
    return spec


def with_sources(spec: EnvSpec, *, channels: Sequence[str] | None = None, index_url: str | None = None,
                 extras_index_url: str | None = None) -> EnvSpec:
    """Point the spec at other package sources (a local channel, a private index): --channel / --pip-index-url."""
    out = spec
    if channels:
        out = replace(out, channels=tuple(channels))
    if index_url:
        out = replace(out, index_url=index_url, find_links=None)
    if extras_index_url:
        out = replace(out, extras_index_url=extras_index_url)
    return out


def export_env_yml(prefix: Path | str, *, matrix: Any = None, host: Host | None = None) -> str:
    """environment.yml text that rebuilds an existing environment.

    An env TorchDesk built carries the file it was built from (conda-meta/torchdesk-environment.yml): that is
    returned as it is. For any other env, Python and torch are read off its files (nothing is run) and the
    matching release and build are looked up in the compatibility data.
    """
    from .detect.conda import read_env
    from .resolve import plan_for

    p = Path(prefix)
    recorded = p / "conda-meta" / "torchdesk-environment.yml"
    if recorded.is_file():
        from .secrets import strip_credentials_text

        with open(recorded, "rb") as f:
            raw = f.read(MAX_YML_BYTES + 1)
        if len(raw) > MAX_YML_BYTES:
            raise EnvSpecError(f"{recorded} is larger than {MAX_YML_BYTES // 1024} KiB: it is not the file "
                               "TorchDesk wrote; delete it to export from the environment's packages instead")
        # Older records (and hand-edited ones) may still carry a token: the export never does.
        return strip_credentials_text(raw.decode("utf-8", errors="replace"))
    env = read_env(p, p.name)
    if not env.python:
        raise EnvSpecError(f"{p} has no Python in conda-meta/: is it a conda environment?")
    if not env.torch:
        raise EnvSpecError(f"{p} has no torch installed: there is no PyTorch build to export")
    if matrix is None:
        from .matrix import default_matrix

        matrix = default_matrix()
    version, _, local = env.torch.partition("+")
    python = ".".join(env.python.split(".")[:2])
    if host is None:
        host = Host(os={"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux"))
    variant = local or None
    if variant is None:
        release = matrix.release(version)
        variant = release.default_variant.get(host.platform) if release else None
    plan = plan_for(matrix, host, version, variant or "", python) if variant else None
    if plan is None:
        raise EnvSpecError(
            f"torch {env.torch} in {p} is not in the compatibility data ({matrix.data_version}): "
            "TorchDesk cannot tell which index serves that build"
        )
    return write_environment_yml(spec_from_plan(plan, name=env.name))
