"""Network failures in plain words (desktop/neterrors.py), from real failures: local servers on 127.0.0.1 that refuse,
stall, answer 503 or speak plain http to a TLS client, a refused proxy, and the unresolvable `nonexistent.invalid`
(RFC 6761 guarantees .invalid never resolves). Each class is produced by the real fetchers: py-rattler's gateway,
requests, and pip in a subprocess."""

from __future__ import annotations

import json

import asyncio
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from desktop.neterrors import (MIRROR_HINT_APP, MIRROR_HINT_CLI, NetFailure, classify, explain, explain_job_failure,
                               explain_text, read_log_tail)

DNS_URL = "https://nonexistent.invalid/simple"


class _Handler(http.server.BaseHTTPRequestHandler):
    mode = "503"
    stop: threading.Event

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.mode == "stall":
            self.stop.wait(60)  # accept, then say nothing: the client's read timeout fires
            return
        self.send_response(int(self.mode))
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def server() -> Iterator[callable]:  # type: ignore[valid-type]
    """serve(mode) -> port of a 127.0.0.1 server answering `mode` ("503", "404") or stalling ("stall")."""
    servers: list[http.server.ThreadingHTTPServer] = []
    stop = threading.Event()

    def serve(mode: str) -> int:
        handler = type("H", (_Handler,), {"mode": mode, "stop": stop})
        s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        s.daemon_threads = True
        threading.Thread(target=s.serve_forever, daemon=True).start()
        servers.append(s)
        return int(s.server_address[1])

    yield serve
    stop.set()
    for s in servers:
        s.shutdown()
        s.server_close()


def _sentence_ok(text: str | None, host: str) -> str:
    assert text is not None
    assert host in text, text
    assert text.count("\n") == 0 and text.endswith(".") and text[0].isupper(), text
    assert "Caused by" not in text and "Errno" not in text and "0x" not in text, text
    return text


# --- requests: the exception chain ------------------------------------------------------------------------------

def _requests_error(url: str, **kw: object) -> BaseException:
    try:
        r = requests.get(url, timeout=kw.pop("timeout", 5), **kw)  # type: ignore[arg-type]
        r.raise_for_status()
    except requests.RequestException as exc:
        return exc
    raise AssertionError(f"{url} did not fail")


def test_requests_refused(refused_port: int) -> None:
    f = classify(_requests_error(f"http://127.0.0.1:{refused_port}/simple/torch/"))
    assert f is not None and (f.kind, f.host) == ("refused", f"127.0.0.1:{refused_port}")
    _sentence_ok(explain(f), f"127.0.0.1:{refused_port}")


def test_requests_dns() -> None:
    f = classify(_requests_error(DNS_URL + "/torch/"))
    assert f is not None and (f.kind, f.host) == ("dns", "nonexistent.invalid")
    assert "offline" in _sentence_ok(explain(f), "nonexistent.invalid")


def test_requests_503(server) -> None:  # type: ignore[no-untyped-def]
    port = server("503")
    f = classify(_requests_error(f"http://127.0.0.1:{port}/simple/torch/"))
    assert f is not None and (f.kind, f.status, f.host) == ("http", 503, f"127.0.0.1:{port}")
    text = _sentence_ok(explain(f, mirror_hint=MIRROR_HINT_APP), f"127.0.0.1:{port}")
    assert "503 Service Unavailable" in text and "Settings" in text


def test_requests_404_is_not_called_a_server_problem(server) -> None:  # type: ignore[no-untyped-def]
    port = server("404")
    f = classify(_requests_error(f"http://127.0.0.1:{port}/simple/torch/"))
    assert f is not None and (f.kind, f.status) == ("http", 404)
    text = explain(f)
    assert "404 Not Found" in text and "address is wrong" in text and "problem on its side" not in text


def test_requests_stall_is_a_timeout(server) -> None:  # type: ignore[no-untyped-def]
    port = server("stall")
    f = classify(_requests_error(f"http://127.0.0.1:{port}/simple/torch/", timeout=0.5))
    assert f is not None and (f.kind, f.host) == ("timeout", f"127.0.0.1:{port}")
    assert "did not answer in time" in _sentence_ok(explain(f), f"127.0.0.1:{port}")


def test_requests_plain_http_spoken_to_as_tls(server) -> None:  # type: ignore[no-untyped-def]
    port = server("404")
    f = classify(_requests_error(f"https://127.0.0.1:{port}/simple/torch/"))
    assert f is not None and (f.kind, f.host) == ("tls", f"127.0.0.1:{port}")
    assert "HTTPS_PROXY" in _sentence_ok(explain(f), f"127.0.0.1:{port}")


def test_requests_refused_proxy(refused_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = f"http://127.0.0.1:{refused_port}"
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    f = classify(_requests_error("https://pypi.example.org/simple/torch/", proxies={"https": proxy}))
    assert f is not None and f.kind == "proxy"
    text = explain(f)
    assert "HTTPS_PROXY" in text and proxy in text and "refused the connection" not in text


# --- py-rattler: the Rust error chain, as the embedded engine's solve raises it -----------------------------------

def _rattler_error(url: str, timeout_s: int | None = None) -> str:
    rattler = pytest.importorskip("rattler")
    gateway = rattler.Gateway(client=rattler.Client(timeout=timeout_s)) if timeout_s else None

    async def solve() -> None:
        await rattler.solve([url], ["python"], gateway=gateway, platforms=["linux-64", "noarch"],
                            timeout=timedelta(seconds=30))

    try:
        asyncio.run(solve())
    except Exception as exc:  # noqa: BLE001 - rattler's GatewayError and friends
        return str(exc)
    raise AssertionError(f"{url} did not fail")


@pytest.mark.parametrize("mode,kind", [("refused", "refused"), ("dns", "dns"), ("503", "http"), ("tls", "tls"),
                                       ("stall", "timeout"), ("404", "http")])
def test_rattler_fetch(mode: str, kind: str, server, refused_port: int, tmp_path: Path,  # type: ignore[no-untyped-def]
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # rattler's cache and config
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    host = {"refused": f"127.0.0.1:{refused_port}", "dns": "nonexistent.invalid"}.get(mode)
    if host is None:
        host = f"127.0.0.1:{server('404' if mode == 'tls' else mode)}"
    url = f"{'https' if mode == 'tls' else 'http'}://{host}/channel"
    chain = _rattler_error(url, timeout_s=1 if mode == "stall" else None)
    assert "\n" in chain or "error" in chain.lower(), chain
    f = classify(chain)
    assert f is not None and (f.kind, f.host) == (kind, host), chain
    _sentence_ok(explain(f), host)


# --- pip: its output lines, as the create job logs them ----------------------------------------------------------

def _pip_lines(index_url: str, **env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith(("PIP_", "HTTP_PROXY", "HTTPS_PROXY"))}
    clean.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", **env)
    r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--dest", os.devnull, "--index-url",
                        index_url, "--timeout", "1", "--retries", "1", "torch-not-here==2.5.1"],
                       capture_output=True, text=True, env=clean, timeout=120)
    assert r.returncode != 0
    return [f"Looking in indexes: {index_url}", *(r.stdout + r.stderr).splitlines()]


@pytest.mark.parametrize("mode,kind", [("refused", "refused"), ("dns", "dns"), ("stall", "timeout"), ("tls", "tls"),
                                       ("proxy", "proxy")])
def test_pip_output(mode: str, kind: str, server, refused_port: int) -> None:  # type: ignore[no-untyped-def]
    env: dict[str, str] = {}
    if mode == "refused":
        host = f"127.0.0.1:{refused_port}"
        url = f"http://{host}/simple"
    elif mode == "dns":
        host, url = "nonexistent.invalid", DNS_URL
    elif mode == "proxy":
        host, url = "pypi.example.org", "https://pypi.example.org/simple"
        env["HTTPS_PROXY"] = f"http://127.0.0.1:{refused_port}"
    else:
        host = f"127.0.0.1:{server('stall' if mode == 'stall' else '404')}"
        url = f"{'https' if mode == 'tls' else 'http'}://{host}/simple"
    lines = _pip_lines(url, **env)
    message = "pip could not install the torch build: Could not find a version that satisfies the requirement"
    text = explain_job_failure(message, lines)
    assert text is not None, "\n".join(lines)
    assert classify(next(ln for ln in reversed(lines) if classify(ln))).kind == kind, "\n".join(lines)
    if mode == "proxy":
        assert "HTTPS_PROXY" in text
    else:
        _sentence_ok(text, host)


# --- texts: what other layers hand over ----------------------------------------------------------------------------

def test_a_cut_warning_still_names_the_host() -> None:
    # wheels.py keeps 120 characters of the exception: the reason ("refused") is cut off, the host is not.
    cut = ("could not read http://127.0.0.1:9/simple/torch/ (ConnectionError: HTTPConnectionPool(host='127.0.0.1', "
           "port=9): Max retries exceeded with url: /simple/torch/ (Caused by NewConnectionErro)")
    f = classify(cut)
    assert f is not None and (f.kind, f.host) == ("connect", "127.0.0.1:9")
    assert "NewConnectionErro" not in explain(f)


@pytest.mark.parametrize("text", [
    "the environment was created at /x but failed verification: torch.cuda.is_available() is False",
    "not enough free space in /tmp: this environment needs about 1.5 GiB and only 0.2 GiB is free",
    "could not solve python=3.11 pip from file:///ch: Cannot solve the request because of: No candidates were found",
    "linking openssl-3.0 and ca-certificates-2024 into the environment",
])
def test_not_a_network_failure(text: str) -> None:
    assert classify(text) is None and explain_text(text) is None


def test_conda_style_http_status_and_gateway_timeout() -> None:
    f = classify("CondaHTTPError: HTTP 503 SERVICE UNAVAILABLE for url <https://conda.anaconda.org/x/linux-64/repodata.json>")
    assert f is not None and (f.kind, f.status, f.host) == ("http", 503, "conda.anaconda.org")
    g = classify("HTTP status server error (504 Gateway Timeout) for url (https://mirror.example/x/repodata.json)")
    assert g is not None and (g.kind, g.status) == ("http", 504)


def test_the_message_wins_over_older_log_lines() -> None:
    tail = ["warning: could not read https://old.example/simple/torch/ (ConnectTimeout: timed out)"]
    text = explain_job_failure("could not solve python from http://127.0.0.1:9/c: error sending request for url "
                               "(http://127.0.0.1:9/c/noarch/repodata.json)\nCaused by: Connection refused (os error 111)",
                               tail)
    assert text is not None and text.startswith("The server at 127.0.0.1:9 refused")


_SERVER = "The server at h.example:8 "


@pytest.mark.parametrize("kind,status,reason,sentence", [
    ("dns", None, None, "The name h.example:8 could not be looked up (DNS), so it could not be reached: you seem to be "
                        "offline, or the address is wrong; check the network connection, or HINT."),
    ("refused", None, None, _SERVER + "refused the connection: nothing answers at that address; check the address, "
                                      "or HINT."),
    ("timeout", None, None, _SERVER + "did not answer in time: the network is slow or something blocks it; try "
                                      "again, or HINT."),
    ("unreachable", None, None, _SERVER + "cannot be reached (no network route): you seem to be offline; check the "
                                          "network connection and try again."),
    ("connect", None, None, "Could not connect to h.example:8: you seem to be offline, or the server is down; check "
                            "the network connection, or HINT."),
    ("tls", None, None, "The secure (TLS) connection to h.example:8 failed: a proxy or firewall may be intercepting "
                        "it, or the server is not what the address says; if you are behind a proxy, set HTTPS_PROXY, "
                        "or HINT."),
    ("proxy", None, None, "The proxy could not be used to reach h.example:8: check or set HTTPS_PROXY to a proxy "
                          "that works, or unset it if you need none."),
    ("http", 503, "Service Unavailable", _SERVER + "answered 503 Service Unavailable: it has a problem on its side; "
                                                   "try again later, or HINT."),
    ("http", 500, None, _SERVER + "answered 500: it has a problem on its side; try again later, or HINT."),
    ("http", 401, "Unauthorized", _SERVER + "refused access (401 Unauthorized): the source needs a login or does not "
                                            "allow this; check the address and its credentials, or HINT."),
    ("http", 403, "Forbidden", _SERVER + "refused access (403 Forbidden): the source needs a login or does not allow "
                                         "this; check the address and its credentials, or HINT."),
    ("http", 429, "Too Many Requests", _SERVER + "answered 429 Too Many Requests: it is limiting requests; wait a few "
                                                 "minutes and try again, or HINT."),
    ("http", 404, "Not Found", _SERVER + "answered 404 Not Found: the address is wrong or this source does not carry "
                                         "the package; check the address, or HINT."),
    ("http", None, None, _SERVER + "answered an error: the address is wrong or this source does not carry the "
                                   "package; check the address, or HINT."),
])
def test_explain_every_kind_and_status(kind: str, status: int | None, reason: str | None, sentence: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(var, raising=False)
    assert explain(NetFailure(kind, "h.example:8", status, reason), mirror_hint="HINT") == sentence


def test_explain_names_the_proxy_setting_and_a_missing_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    assert explain(NetFailure("proxy", "h.example:8")).startswith(
        "The proxy in HTTPS_PROXY (http://127.0.0.1:9) could not be used to reach h.example:8: ")
    assert explain(NetFailure("refused", None)).startswith("The server at the package server refused")


def test_hints_per_face() -> None:
    f = NetFailure("refused", "h:1")
    assert "--conda-mirror" in explain(f, mirror_hint=MIRROR_HINT_CLI)
    assert "Settings" in explain(f, mirror_hint=MIRROR_HINT_APP)


def test_read_log_tail(tmp_path: Path) -> None:
    p = tmp_path / "job.log"
    p.write_text("".join(f"line {i}\n" for i in range(500)))
    assert read_log_tail(p, 3) == ["line 497", "line 498", "line 499"]
    assert read_log_tail(tmp_path / "missing.log") == [] and read_log_tail(None) == []


# --- the CLI's failure report: a real create against the failing sources ------------------------------------------

def _cli_create(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    from desktop.cli import main

    code = main(["create", "--python", "3.11", "--variant", "cpu", "-n", "netfail", "--yes", "--no-verify", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _assert_reported_once(code: int, out: str, err: str, host: str, phrase: str) -> None:
    assert code == 1, err
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and host in errors[0] and phrase in errors[0], err
    # the live log (stdout) may show pip's own lines; the report (stderr) and the engine chain stay out of both
    assert "Caused by" not in out + err and "Errno" not in err and "NewConnectionErro" not in err, out + err
    warnings = [ln for ln in err.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == len(set(warnings)), err
    log = Path(err.rsplit("the full error is in the log: ", 1)[1].strip())
    raw = log.read_text()  # the raw error stays in the log: the engine's chain or pip's retry lines
    assert "== failed: " in raw and ("for url (" in raw or "Retrying" in raw), raw


@pytest.mark.parametrize("mode,phrase", [("refused", "refused the connection"), ("dns", "you seem to be offline"),
                                         ("503", "503 Service Unavailable")])
def test_cli_create_solve_failure_in_one_sentence(mode: str, phrase: str, server, refused_port: int,  # type: ignore[no-untyped-def]
                                                  home: Path, capsys) -> None:
    host = {"refused": f"127.0.0.1:{refused_port}", "dns": "nonexistent.invalid"}.get(mode)
    host = host or f"127.0.0.1:{server(mode)}"
    code, out, err = _cli_create(capsys, "--channel", f"http://{host}/channel", "--pip-index-url", f"http://{host}/simple")
    _assert_reported_once(code, out, err, host, phrase)
    assert "(solve failed)" in err and "--conda-mirror" in err


def test_cli_create_pip_failure_read_from_the_log(repo, refused_port: int, home: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    host = f"127.0.0.1:{refused_port}"
    code, out, err = _cli_create(capsys, "--channel", repo.channel_url, "--pip-index-url", f"http://{host}/simple")
    _assert_reported_once(code, out, err, host, "refused the connection")
    assert "(pip failed)" in err
    # the preflight's two pins on one unreachable index: one network warning, not the cut exception text twice
    assert sum("could not read" in ln for ln in err.splitlines()) == 1, err


def test_an_earlier_stage_warning_is_not_blamed_for_a_later_failure() -> None:
    # A Debian python in the env lacks pip: the pip stage fails for that, not for the preflight's unreachable index.
    tail = ["== preflight: x with embedded",
            "warning: could not read http://127.0.0.1:9/simple/torch/ (ConnectionError: HTTPConnectionPool("
            "host='127.0.0.1', port=9): Max retries exceeded with url: /simple/torch/ (Caused by NewConnection)",
            "== pip: installing torch==2.15.0+cpu", "$ /envs/x/bin/python -m pip install torch==2.15.0+cpu",
            "/envs/x/bin/python: No module named pip", "removing the partial environment /envs/x",
            "== failed: pip could not install the torch build: pip exited with code 1"]
    assert explain_job_failure("pip could not install the torch build: pip exited with code 1", tail) is None
    retry = ("WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection "
             "broken by 'NewConnectionError('<HTTPConnection object at 0x7f>: Failed to establish a new connection: "
             "[Errno 111] Connection refused')': /simple/torch/")
    text = explain_job_failure("pip could not install the torch build: No matching distribution",
                               [*tail[:4], "Looking in indexes: http://127.0.0.1:9/simple", retry])
    assert text is not None and text.startswith("The server at 127.0.0.1:9 refused")


def test_plain_warnings_once_and_uncut() -> None:
    from desktop.neterrors import plain_warnings

    cut = ("could not read http://127.0.0.1:9/simple/{} (ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=9)"
           ": Max retries exceeded with url: /simple/{} (Caused by NewConnectionErro)")
    got = plain_warnings([cut.format("torch/", "torch/"), "torch==2.5.1 was not checked",
                          cut.format("torchvision/", "torchvision/"), "torch==2.5.1 was not checked"])
    assert len(got) == 2 and got[1] == "torch==2.5.1 was not checked"
    assert got[0].startswith("could not read http://127.0.0.1:9/simple/torch/: Could not connect to 127.0.0.1:9")
    assert "NewConnectionErro" not in got[0]


def test_cli_create_non_network_failure_keeps_its_message(tmp_path: Path, home: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    channel = tmp_path / "empty-channel"
    for sub in ("noarch", "linux-64"):
        (channel / sub).mkdir(parents=True)
        (channel / sub / "repodata.json").write_text(json.dumps({"info": {"subdir": sub}, "packages": {}}))
    code, out, err = _cli_create(capsys, "--channel", channel.as_uri(), "--pip-index-url", (tmp_path / "none").as_uri())
    assert code == 1
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "could not solve" in errors[0] and "refused" not in err and "offline" not in errors[0]
    assert "what to do: see the log" not in err and "log (the full output): " in err
