"""Hostile input at the fetch stage: decompression bombs, SSRF forms, slow headers, unbounded files.

The bombs are served by a real HTTP server on 127.0.0.1 and fetched in a child process, whose peak
memory is what the test asserts on (never time).
"""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import brotli
import httpx
import pytest

from bot.errors import FetchError
from bot.fetch import Fetcher, FetchOptions

from .conftest import ROOT, LocalServer, respond

GIB = 1 << 30


def fetcher(**kw: object) -> Fetcher:
    options = {"allow_private": True, "connect_timeout": 2.0, "read_timeout": 5.0, "total_timeout": 10.0}
    options.update(kw)
    return Fetcher(FetchOptions(**options))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """A GiB of zeros, brotli-compressed (about 1.6 KB), and gzip inside gzip (about 2 KB)."""
    zeros = bytes(1 << 20)
    br = brotli.Compressor(quality=5)
    brotli_bomb = b"".join([br.process(zeros) for _ in range(1024)] + [br.finish()])
    inner = zlib.compressobj(1, zlib.DEFLATED, 31)
    gz = b"".join([inner.compress(zeros) for _ in range(1024)] + [inner.flush()])
    return {"br": brotli_bomb, "gzip, gzip": gzip.compress(gz, 9)}


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child of a large pytest
# process would report the parent's size.
PEAK = """
import re, sys
from bot.errors import FetchError
from bot.fetch import Fetcher, FetchOptions
try:
    Fetcher(FetchOptions(allow_private=True, max_bytes=5_000_000)).get(sys.argv[1])
    outcome = "fetched"
except FetchError as exc:
    outcome = str(exc)
with open("/proc/self/status") as fh:
    print(int(re.search(r"VmHWM:\\s+(\\d+) kB", fh.read()).group(1)) // 1024)
print(outcome)
"""


@pytest.mark.parametrize("encoding", ["br", "gzip, gzip"])
def test_decompression_bombs_never_take_the_process_past_300_mb(http_server: LocalServer, bombs: dict[str, bytes],
                                                                encoding: str) -> None:
    http_server.routes["/bomb"] = respond(200, bombs[encoding], {"Content-Encoding": encoding,
                                                                 "Content-Type": "text/html"})
    out = subprocess.run([sys.executable, "-c", PEAK, http_server.url("/bomb")], capture_output=True, text=True,
                         cwd=ROOT, timeout=120, check=True).stdout.splitlines()
    peak_mb, outcome = int(out[0]), out[1]
    assert "too large" in outcome or "stacked" in outcome
    assert peak_mb < 300, f"peak {peak_mb} MB"


def test_brotli_output_is_cut_at_the_cap_not_after(http_server: LocalServer, bombs: dict[str, bytes]) -> None:
    http_server.routes["/bomb"] = respond(200, bombs["br"], {"Content-Encoding": "br"})
    with pytest.raises(FetchError, match="too large"):
        fetcher(max_bytes=1_000_000).get(http_server.url("/bomb"))


@pytest.mark.parametrize("encoding", ["gzip, gzip", "gzip,br", "deflate, gzip"])
def test_stacked_content_encodings_are_refused(http_server: LocalServer, encoding: str) -> None:
    http_server.routes["/x"] = respond(200, gzip.compress(gzip.compress(b"<p>hi</p>")), {"Content-Encoding": encoding})
    with pytest.raises(FetchError, match="stacked Content-Encoding"):
        fetcher().get(http_server.url("/x"))


@pytest.mark.parametrize(("encoding", "body"), [
    ("gzip", gzip.compress(b"<p>plain page</p>" * 1000)),
    ("x-gzip", gzip.compress(b"<p>plain page</p>" * 1000)),
    ("deflate", zlib.compress(b"<p>plain page</p>" * 1000)),
    ("deflate", zlib.compress(b"<p>plain page</p>" * 1000)[2:-4]),   # raw deflate, as some servers send it
    ("br", brotli.compress(b"<p>plain page</p>" * 1000)),
    ("identity", b"<p>plain page</p>" * 1000),
    ("gzip, identity", gzip.compress(b"<p>plain page</p>" * 1000)),
])
def test_ordinary_compressed_pages_still_read_whole(http_server: LocalServer, encoding: str, body: bytes) -> None:
    http_server.routes["/p"] = respond(200, body, {"Content-Encoding": encoding})
    assert fetcher().get(http_server.url("/p")).content == b"<p>plain page</p>" * 1000


def test_a_corrupt_compressed_body_is_a_fetch_error(http_server: LocalServer) -> None:
    http_server.routes["/p"] = respond(200, b"this is not gzip at all", {"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="cannot be decompressed"):
        fetcher().get(http_server.url("/p"))


# --- SSRF ------------------------------------------------------------------------------------------

SPECIAL = [
    "http://[64:ff9b::a9fe:a9fe]/",         # NAT64 of 169.254.169.254
    "http://[64:ff9b::7f00:1]/",            # NAT64 of 127.0.0.1
    "http://[64:ff9b:1::a00:1]/",           # local-use NAT64
    "http://[2002:7f00:1::]/",              # 6to4 of 127.0.0.1
    "http://[2002:a9fe:a9fe::1]/",          # 6to4 of the metadata address
    "http://[::127.0.0.1]/",                # IPv4-compatible
    "http://[::a9fe:a9fe]/",
    "http://[::ffff:10.0.0.1]/",            # IPv4-mapped
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo, client 127.0.0.1
    "http://192.0.0.192/",                  # IETF protocol assignments
    "http://192.0.0.9/",
    "http://192.0.2.1/", "http://198.51.100.7/", "http://203.0.113.9/",   # documentation
    "http://198.18.0.1/",                   # benchmarking
    "http://100.64.0.1/",                   # carrier-grade NAT
    "http://192.88.99.1/",                  # 6to4 relay anycast
    "http://240.0.0.1/", "http://255.255.255.255/", "http://0.0.0.0/", "http://224.0.0.1/",
    "http://[100::1]/", "http://[2001:db8::1]/", "http://[fec0::1]/", "http://[fd00::1]/", "http://[fe80::1]/",
    "http://[ff02::1]/", "http://[::]/",
]


@pytest.mark.parametrize("url", SPECIAL)
def test_special_purpose_addresses_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="non-public address"):
        Fetcher(FetchOptions(allow_private=False)).get(url)


@pytest.mark.parametrize("url", SPECIAL)
def test_special_purpose_addresses_are_refused_through_a_redirect(monkeypatch: pytest.MonkeyPatch,
                                                                  url: str) -> None:
    """The first hop is a public site (its name resolves to 8.8.8.8); it redirects to the address."""
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: (
        [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.8.8", 80))] if host == "news.example" else real(host, *a, **k)))
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(302, headers={"Location": url})

    client = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=False)
    with pytest.raises(FetchError, match="non-public address"):
        Fetcher(FetchOptions(allow_private=False), client=client).get("http://news.example/a")
    assert asked == ["http://8.8.8.8/a"]


@pytest.mark.parametrize("address", ["8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "2606:4700::1111"])
def test_public_addresses_and_their_embeddings_pass_the_guard(address: str) -> None:
    from bot.fetch import refusal

    assert refusal(address) is None


# --- slow headers, one deadline per request --------------------------------------------------------

def test_slow_headers_hit_the_request_deadline(http_server: LocalServer) -> None:
    """One header byte every 0.2 s: each read is quick, the request is not. Before, only the body was
    under the total deadline, so this fetch succeeded after the whole drip."""
    def drip(h: BaseHTTPRequestHandler) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n")
        for _ in range(40):
            h.wfile.write(b"X")
            h.wfile.flush()
            time.sleep(0.2)
        h.wfile.write(b": y\r\n\r\nok")

    http_server.routes["/slow"] = drip
    with pytest.raises(FetchError, match="took longer than 1s"):
        fetcher(read_timeout=5.0, total_timeout=1.0).get(http_server.url("/slow"))


def test_abort_ends_a_request_in_flight(http_server: LocalServer) -> None:
    """SIGTERM must not wait for a slow site: abort() makes the request in hand fail at once."""
    started = threading.Event()

    def stall(h: BaseHTTPRequestHandler) -> None:
        started.set()
        time.sleep(8)

    http_server.routes["/stall"] = stall
    f = fetcher(read_timeout=30.0, total_timeout=60.0)
    errors: list[Exception] = []

    def run() -> None:
        try:
            f.get(http_server.url("/stall"))
        except FetchError as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    started.wait(5)
    f.abort()
    worker.join(6)  # the stall is 8 s: an abort that did not work leaves the thread running here
    assert not worker.is_alive() and "shutting down" in str(errors[0])


# --- files ----------------------------------------------------------------------------------------

def test_a_device_that_never_ends_is_cut_at_the_cap() -> None:
    with pytest.raises(FetchError, match="too large"):
        fetcher(max_bytes=100_000).get("/dev/zero")


def test_a_fifo_without_a_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    proc = subprocess.run([sys.executable, "-m", "bot", "extract", str(fifo)], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 1
    assert str(fifo) in proc.stderr and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_a_fifo_with_a_writer_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as fh:
            fh.write(b"<p>from a pipe</p>")

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.1)  # not an assertion on time: the reader must also cope when the writer comes later
    try:
        assert fetcher().get(str(fifo)).content == b"<p>from a pipe</p>"
    finally:
        writer.join(5)
