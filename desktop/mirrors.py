"""Mirror presets: where conda-forge, PyTorch's wheels and PyPI can be fetched from instead of the origin.

Users pick a preset by id (`tuna`, `aliyun`, ...) or give their own URL. A PyTorch wheel mirror replaces
the build's index; a plain PyPI mirror does NOT carry PyTorch's `+cuXXX` wheels, so it only serves the
user's extra packages (and torch builds that PyPI itself hosts).

Each preset names where its URL layout comes from, as the matrix data does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import TorchDeskError

CONDA_FORGE = "conda-forge"
PYTORCH_INDEX = "https://download.pytorch.org/whl"
PYPI_SIMPLE = "https://pypi.org/simple"


@dataclass(frozen=True)
class Mirror:
    """One well-known mirror of one kind of package source."""

    id: str
    kind: str  # conda | torch | pypi
    label: str
    url: str  # torch: may hold {variant}; conda: the conda-forge channel URL
    mode: str = "index"  # torch only: "index" (PEP 503 --index-url) or "find-links" (flat page, pip -f)
    source: str = ""


# Channel URLs as each mirror's own help page gives them (the `custom_channels: conda-forge:` entry).
CONDA_MIRRORS: tuple[Mirror, ...] = (
    Mirror("tuna", "conda", "Tsinghua University (TUNA)", "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/conda-forge",
           source="mirrors.tuna.tsinghua.edu.cn/help/anaconda"),
    Mirror("ustc", "conda", "USTC", "https://mirrors.ustc.edu.cn/anaconda/cloud/conda-forge",
           source="mirrors.ustc.edu.cn/help/anaconda.html"),
    Mirror("bfsu", "conda", "Beijing Foreign Studies University", "https://mirrors.bfsu.edu.cn/anaconda/cloud/conda-forge",
           source="mirrors.bfsu.edu.cn/help/anaconda"),
    Mirror("sjtu", "conda", "Shanghai Jiao Tong University", "https://mirror.sjtu.edu.cn/anaconda/cloud/conda-forge",
           source="mirror.sjtu.edu.cn/docs/anaconda"),
    Mirror("nju", "conda", "Nanjing University", "https://mirror.nju.edu.cn/anaconda/cloud/conda-forge",
           source="mirror.nju.edu.cn/mirrorz-help/anaconda"),
    Mirror("aliyun", "conda", "Alibaba Cloud", "https://mirrors.aliyun.com/anaconda/cloud/conda-forge",
           source="developer.aliyun.com/mirror/anaconda"),
    Mirror("prefix", "conda", "prefix.dev (CDN)", "https://prefix.dev/conda-forge", source="prefix.dev/channels/conda-forge"),
)

# PyTorch's own wheels (with +cuXXX local versions). These mirrors publish flat directories per build,
# used with `pip install -f`.
TORCH_MIRRORS: tuple[Mirror, ...] = (
    Mirror("aliyun", "torch", "Alibaba Cloud pytorch-wheels", "https://mirrors.aliyun.com/pytorch-wheels/{variant}",
           mode="find-links", source="developer.aliyun.com/mirror/pytorch"),
    Mirror("sjtu", "torch", "Shanghai Jiao Tong University pytorch-wheels", "https://mirror.sjtu.edu.cn/pytorch-wheels/{variant}",
           mode="find-links", source="mirror.sjtu.edu.cn/docs/pytorch-wheels"),
)

PYPI_MIRRORS: tuple[Mirror, ...] = (
    Mirror("tuna", "pypi", "Tsinghua University (TUNA)", "https://pypi.tuna.tsinghua.edu.cn/simple",
           source="mirrors.tuna.tsinghua.edu.cn/help/pypi"),
    Mirror("ustc", "pypi", "USTC", "https://mirrors.ustc.edu.cn/pypi/simple", source="mirrors.ustc.edu.cn/help/pypi.html"),
    Mirror("aliyun", "pypi", "Alibaba Cloud", "https://mirrors.aliyun.com/pypi/simple", source="developer.aliyun.com/mirror/pypi"),
    Mirror("bfsu", "pypi", "Beijing Foreign Studies University", "https://mirrors.bfsu.edu.cn/pypi/web/simple",
           source="mirrors.bfsu.edu.cn/help/pypi"),
)

_BY_KIND = {"conda": CONDA_MIRRORS, "torch": TORCH_MIRRORS, "pypi": PYPI_MIRRORS}


class MirrorError(TorchDeskError, ValueError):
    """An unknown preset id or a malformed custom URL."""


@dataclass(frozen=True)
class MirrorChoice:
    """What the user picked for each kind: a preset id, a custom URL, or None (the origin)."""

    conda: str | None = None
    torch: str | None = None
    pypi: str | None = None

    def is_default(self) -> bool:
        return self.conda is None and self.torch is None and self.pypi is None


def presets(kind: str) -> tuple[Mirror, ...]:
    """The well-known mirrors of one kind: 'conda', 'torch' or 'pypi'."""
    try:
        return _BY_KIND[kind]
    except KeyError:
        raise MirrorError(f"unknown mirror kind {kind!r} (conda, torch or pypi)") from None


def find_mirror(kind: str, value: str) -> Mirror:
    """A preset by id, or a custom Mirror for a URL ('https://...' or 'file://...')."""
    if "://" in value:
        if not value.startswith(("https://", "http://", "file://")):
            raise MirrorError(f"mirror URL must start with https://, http:// or file:// (got {value!r})")
        mode = "index"
        if kind == "torch" and value.rstrip("/").endswith(".html"):
            mode = "find-links"
        return Mirror("custom", kind, "custom", value.rstrip("/"), mode=mode)
    for m in presets(kind):
        if m.id == value.lower():
            return m
    ids = ", ".join(m.id for m in presets(kind))
    raise MirrorError(f"unknown {kind} mirror {value!r}; known: {ids}, or give a URL")


def conda_channel(choice: MirrorChoice | None, channel: str = CONDA_FORGE) -> str:
    """The URL (or name) to use for `channel` under the user's conda mirror choice."""
    if choice is None or choice.conda is None or channel != CONDA_FORGE:
        return channel
    return find_mirror("conda", choice.conda).url


def torch_source(choice: MirrorChoice | None, variant: str, index_url: str | None,
                 find_links: str | None) -> tuple[str | None, str | None]:
    """(index_url, find_links) for torch's build under the user's torch mirror choice.

    Builds served from the PyTorch index move to the mirror; builds whose wheels live on PyPI (index_url is
    PyPI) stay where they are, since a torch-wheel mirror does not carry them.
    """
    if choice is None or choice.torch is None:
        return index_url, find_links
    if index_url is not None and not index_url.startswith(PYTORCH_INDEX):
        return index_url, find_links
    m = find_mirror("torch", choice.torch)
    url = m.url.replace("{variant}", variant)
    if m.mode == "find-links":
        return None, url
    return url, None


def pypi_index(choice: MirrorChoice | None) -> str | None:
    """The index URL for the user's extra pip packages, or None for pip's default (PyPI)."""
    if choice is None or choice.pypi is None:
        return None
    return find_mirror("pypi", choice.pypi).url
