"""What machine is this: GPUs, driver, OS and conda installations, one module per source.

`detect_host` returns a `Host`; it never raises and never hangs. `host.SOURCES` is the order the sources run in.
Parsers (pure, over captured text) are in `parse`, conda discovery in `conda`, the I/O in `probe.Probe`.
"""

from __future__ import annotations

from .context import Source
from .host import SOURCES, detect_from, detect_host, host_from_json, host_to_json
from .probe import Probe, RunResult

__all__ = ["Probe", "RunResult", "SOURCES", "Source", "detect_from", "detect_host", "host_from_json",
           "host_to_json"]
