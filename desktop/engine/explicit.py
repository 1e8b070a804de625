"""The embedded engine's child side of installing an explicit list of conda packages (a lock's), with no solve.

Runs only in the engine's child process (`python -m desktop.engine.embedded`, whose docstring says why py-rattler
never runs in the app's own process). The parent (desktop/lockinstall.py) has already fetched and hash-checked
every package that is not in the package cache; it passes a JSON file listing, for each package, its URL, file
name, locked hash and either its package-cache folder (`stem`) or the archive it downloaded.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Callable


def install_explicit(request: dict[str, Any], emit: Callable[[dict[str, Any]], None]) -> int:
    """Build rattler's records for the listed packages and install exactly those into request["prefix"]."""
    from rattler import PackageRecord, RepoDataRecord
    from rattler.install import install

    prefix, cache = Path(request["prefix"]), Path(request["cache"])
    records = []
    what = "the list of the lock's conda packages"
    try:
        packages = json.loads(Path(request["packages_file"]).read_text(encoding="utf-8"))
        for p in packages:
            url, fn, kind, digest = str(p["url"]), str(p["fn"]), str(p["kind"]), str(p["digest"])
            what = f"the lock's conda package {fn}"
            if p.get("archive"):  # downloaded by the parent and checked against its locked hash there
                records.append(asyncio.run(RepoDataRecord.from_package_archive(Path(p["archive"]))))
                continue
            # in the package cache: no download (rattler checks the hash it recorded there)
            rec = PackageRecord.from_index_json(cache / str(p["stem"]) / "info" / "index.json")
            if kind == "md5":
                rec.md5 = bytes.fromhex(digest)
            else:
                rec.sha256 = bytes.fromhex(digest)
            records.append(RepoDataRecord(rec, fn, url, url.rsplit("/", 2)[0] + "/"))
    except Exception as exc:
        emit({"e": ["link", f"could not read {what}: {exc}"]})
        return 1
    emit({"l": f"installing {len(records)} conda packages into {prefix}"})
    try:
        asyncio.run(install(records, target_prefix=prefix, cache_dir=cache, show_progress=False))
    except Exception as exc:
        emit({"e": ["link", f"could not install the lock's conda packages into {prefix}: {exc}"]})
        return 1
    return 0
