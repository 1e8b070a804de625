"""Check for data updates: fetch a newer matrix.json, validate it with the core loader, store it for next time.

Qt-free (it runs as a background job). The bundled copy is never touched: `default_matrix()` prefers a valid
downloaded copy at `user_matrix_path()` and falls back to the bundled one.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import TorchDeskError

DEFAULT_DATA_URL = "https://raw.githubusercontent.com/torchdesk/torchdesk/main/desktop/resources/matrix.json"


class DataUpdateError(TorchDeskError):
    """A sentence for the user: what went wrong and that the data in use did not change."""


@dataclass(frozen=True)
class DataUpdate:
    url: str
    path: str
    old_version: str
    new_version: str

    @property
    def changed(self) -> bool:
        return self.old_version != self.new_version


def update_matrix(url: str, current_version: str, *, dest: Path | None = None, timeout: float = 20.0,
                  session: Any = None) -> DataUpdate:
    """Download `url`, validate it as a matrix.json, and store it at `dest` (default: user_matrix_path())."""
    import requests

    from ..matrix import load_matrix, user_matrix_path
    from ..schema import MatrixError

    dest = dest or user_matrix_path()
    get = (session or requests).get
    try:
        resp = get(url, timeout=timeout)
    except requests.exceptions.ConnectionError:
        raise DataUpdateError(f"Could not reach {url}: this computer seems to be offline (or the address is wrong). "
                              f"The data in use ({current_version}) is unchanged; try again when online.") from None
    except requests.exceptions.Timeout:
        raise DataUpdateError(f"{url} did not answer within {timeout:.0f} s. The data in use ({current_version}) "
                              "is unchanged.") from None
    except requests.exceptions.RequestException as exc:
        raise DataUpdateError(f"Could not download {url}: {exc}. The data in use ({current_version}) is unchanged.") from None
    if resp.status_code != 200:
        raise DataUpdateError(f"{url} answered HTTP {resp.status_code}. Check the address in Settings; the data in "
                              f"use ({current_version}) is unchanged.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="matrix-", suffix=".json", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(resp.content)
        try:
            new = load_matrix(tmp)
        except MatrixError as exc:
            raise DataUpdateError(f"The downloaded file is not valid compatibility data ({exc.path}: {exc.problem}); "
                                  f"it was not installed and {current_version} stays in use.") from None
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    from ..matrix import default_matrix

    default_matrix.cache_clear()
    return DataUpdate(url, str(dest), current_version, new.data_version)
