"""The embedded engine's child side of installing an explicit list of conda packages (a lock's), with no solve.

Runs only in the engine's child process (`python -m desktop.engine.embedded`, whose docstring says why py-rattler
never runs in the app's own process). The parent (desktop/lockinstall.py) has already fetched and hash-checked
package it passes: a JSON file lists, for each package, its URL, file name, locked hash and either an archive it
hashed against the lock or, for a package whose sha256 the lock gives, the package-cache folder (`stem`) whose
recorded sha256 is the locked one (desktop/lockinstall.py `_fetch_conda`).
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
    origins: dict[str, str] = {}  # conda-meta record -> the lock's URL, for the packages installed from an archive
    what = "the list of the lock's conda packages"
    try:
        packages = json.loads(Path(request["packages_file"]).read_text(encoding="utf-8"))
        for p in packages:
            url, fn, kind, digest = str(p["url"]), str(p["fn"]), str(p["kind"]), str(p["digest"])
            what = f"the lock's conda package {fn}"
            if p.get("archive"):  # hashed against the lock by the parent; rattler extracts it unless its cache
                # holds an extraction whose recorded sha256 is this archive's (the record carries it)
                rec = asyncio.run(RepoDataRecord.from_package_archive(Path(p["archive"])))
                if kind == "md5":
                    rec.md5 = bytes.fromhex(digest)
                records.append(rec)
                origins[f"{rec.name.normalized}-{rec.version}-{rec.build}.json"] = url
                continue
            if kind != "sha256":
                raise ValueError("only an archive proves an md5-locked package")
            # the cache's extraction, whose recorded sha256 the parent found to be the locked one; the record
            # carries that sha256, so rattler takes the extraction only while its record still says so
            found = PackageRecord.from_index_json(cache / str(p["stem"]) / "info" / "index.json")
            found.sha256 = bytes.fromhex(digest)
            records.append(RepoDataRecord(found, fn, url, url.rsplit("/", 2)[0] + "/"))
    except Exception as exc:
        emit({"e": ["link", f"could not read {what}: {exc}"]})
        return 1
    emit({"l": f"installing {len(records)} conda packages into {prefix}"})
    try:
        asyncio.run(install(records, target_prefix=prefix, cache_dir=cache, show_progress=False))
        for name, url in origins.items():  # the record names where the lock got the file, not our temporary copy
            meta = prefix / "conda-meta" / name
            data = json.loads(meta.read_text(encoding="utf-8"))
            data["url"], data["channel"] = url, url.rsplit("/", 2)[0]
            meta.write_text(json.dumps(data, indent=2), encoding="utf-8")
    except Exception as exc:
        emit({"e": ["link", f"could not install the lock's conda packages into {prefix}: {exc}"]})
        return 1
    return 0
