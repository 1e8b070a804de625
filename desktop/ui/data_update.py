"""Tools > Check for data updates: the window's entry to the core's dataupdate.update_matrix.

All the checks (https only, size and time caps, signature, newer data_version, schema, allowed hosts) live in
desktop/dataupdate.py; this shell only supplies the app's defaults, so the window runs it as a background job.
"""

from __future__ import annotations

from ..dataupdate import DataUpdate
from ..dataupdate import update_matrix as _core_update


def update_matrix(url: str, current_version: str) -> DataUpdate:
    """Fetch and install newer signed data from `url` into the user data folder, with the app's limits."""
    return _core_update(url, current_version)
