"""A local pip index on 127.0.0.1 that throttles wheel downloads, for the byte-progress and cancel tests.

It speaks both simple APIs: the JSON one (PEP 691, with PEP 700 `size`) when the client asks for it, and the
HTML one (PEP 503, with PEP 658 metadata links) otherwise; `json_api=False` turns the JSON one off so sizes
must come from HEAD requests. Wheel bodies go out in `chunk` bytes every `delay` seconds; `requests` counts
every request, so a test can prove a server was never asked.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import random
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote


def make_big_wheel(out_dir: Path, name: str, version: str, blob_bytes: int, *, seed: int = 1) -> Path:
    """A pure-Python wheel whose package carries `blob_bytes` of incompressible data (blob.bin)."""
    mod = name.replace("-", "_")
    dist = f"{mod}-{version}.dist-info"
    blob = random.Random(seed).randbytes(blob_bytes)  # deterministic and incompressible
    files: dict[str, bytes] = {
        f"{mod}/__init__.py": f"__version__ = {version!r}\n".encode(),
        f"{mod}/blob.bin": blob,
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: torchdesk-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }

    def h(b: bytes) -> str:
        return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()

    record = "".join(f"{p},{h(c)},{len(c)}\n" for p, c in files.items()) + f"{dist}/RECORD,,\n"
    files[f"{dist}/RECORD"] = record.encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{mod}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for p, c in files.items():
            z.writestr(p, c)
    return path


@dataclass
class ThrottledIndex:
    root: Path  # holds files/
    chunk: int = 256 * 1024
    delay: float = 0.05
    json_api: bool = True
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    wheel_started: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _server: http.server.ThreadingHTTPServer | None = None

    _digests: dict[tuple[str, float], str] = field(default_factory=dict)

    def digest(self, path: Path) -> str:
        """sha256 of a file, remembered by path and mtime (a 200 MB wheel is not hashed per page request)."""
        key = (str(path), path.stat().st_mtime)
        if key not in self._digests:
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            self._digests[key] = h.hexdigest()
        return self._digests[key]

    @property
    def files(self) -> Path:
        return self.root / "files"

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/simple"

    def start(self) -> ThrottledIndex:
        index = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:  # noqa: N802
                index.requests.append(("HEAD", self.path))
                self._answer(body=False)

            def do_GET(self) -> None:  # noqa: N802
                index.requests.append(("GET", self.path))
                self._answer(body=True)

            def _answer(self, body: bool) -> None:
                parts = [unquote(p) for p in self.path.split("?")[0].split("/") if p]
                if len(parts) == 2 and parts[0] == "simple":
                    return self._page(parts[1], body)
                if len(parts) == 2 and parts[0] == "files" and (index.files / parts[1]).is_file():
                    return self._file(index.files / parts[1], body)
                self.send_error(404)

            def _page(self, project: str, body: bool) -> None:
                wheels = sorted(p for p in index.files.glob("*.whl")
                                if p.name.split("-")[0].replace("_", "-").lower() == project.lower())
                if not wheels:
                    return self.send_error(404)
                entries = []
                for w in wheels:
                    meta = w.with_name(w.name + ".metadata")
                    if not meta.exists():
                        with zipfile.ZipFile(w) as z:
                            meta.write_bytes(z.read(next(n for n in z.namelist() if n.endswith("METADATA"))))
                    entries.append((w, index.digest(w), index.digest(meta)))
                if index.json_api and "application/vnd.pypi.simple.v1+json" in self.headers.get("Accept", ""):
                    data = {"meta": {"api-version": "1.1"}, "name": project, "versions": [],
                            "files": [{"filename": w.name, "url": f"../../files/{w.name}", "hashes": {"sha256": d},
                                       "size": w.stat().st_size, "core-metadata": {"sha256": m}}
                                      for w, d, m in entries]}
                    out, ctype = json.dumps(data).encode(), "application/vnd.pypi.simple.v1+json"
                else:
                    links = "".join(f'<a href="../../files/{w.name}#sha256={d}" data-dist-info-metadata="sha256={m}" '
                                    f'data-core-metadata="sha256={m}">{w.name}</a><br/>\n' for w, d, m in entries)
                    out, ctype = f"<!DOCTYPE html><html><body>\n{links}</body></html>\n".encode(), "text/html"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                if body:
                    self.wfile.write(out)

            def _file(self, path: Path, body: bool) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(path.stat().st_size))
                self.end_headers()
                if not body:
                    return
                wheel = path.suffix == ".whl"
                if wheel:
                    index.wheel_started.set()
                try:
                    with open(path, "rb") as f:
                        for block in iter(lambda: f.read(index.chunk), b""):
                            if index._stop.is_set():
                                return
                            self.wfile.write(block)
                            if wheel and index.delay:
                                self.wfile.flush()
                                time.sleep(index.delay)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        class Server(http.server.ThreadingHTTPServer):
            # uv opens a connection per project page at once; with socketserver's backlog of 5 the rest of
            # the SYNs are dropped and retried a second later, which timed as a 1 s stall of the installer
            request_queue_size = 128

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> ThrottledIndex:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def wheel_requests(index: ThrottledIndex) -> list[str]:
    """The paths of the wheel bodies the index has sent (GET of a .whl)."""
    return [p for m, p in index.requests if m == "GET" and p.endswith(".whl")]

