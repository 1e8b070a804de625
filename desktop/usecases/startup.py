"""What the app does first, off its GUI thread: load the compatibility data, detect this machine, plan for it."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable

from ..matrix import Matrix
from ..model import Host, Preferences
from .planning import Recommendation, recommend


@dataclass(frozen=True)
class Startup:
    """What start-up found: the data, the machine, the first recommendation."""

    matrix: Matrix
    matrix_path: str
    matrix_warnings: tuple[str, ...]
    host: Host
    recommendation: Recommendation
    seconds: float


def start_up(env: dict[str, str] | None, on_line: Callable[[str], None]) -> Startup:
    """Load the data (a broken downloaded copy falls back to the bundled one, said so), detect, recommend."""
    from ..detect import detect_host
    from ..matrix import load_app_matrix, load_matrix_with_fallback, user_matrix_path

    t0 = time.perf_counter()
    try:
        loaded = load_app_matrix()
    except Exception as exc:  # noqa: BLE001 - a broken downloaded copy must never stop the app
        # load_matrix_with_fallback turns most bad copies into warnings; anything else it lets through
        # (a file that is not UTF-8, say) gets the same treatment here: the bundled copy, and say so.
        bundled = load_matrix_with_fallback()
        loaded = replace(bundled, warnings=(f"ignored {user_matrix_path()}: {type(exc).__name__}: {exc} - "
                                            "using the bundled data instead", *bundled.warnings))
    on_line(f"compatibility data {loaded.matrix.data_version} from {loaded.path}")
    host = detect_host(matrix=loaded.matrix, env=env)
    rec = recommend(loaded.matrix, host, Preferences())
    return Startup(loaded.matrix, loaded.path, loaded.warnings, host, rec, time.perf_counter() - t0)
