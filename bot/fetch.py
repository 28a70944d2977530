"""HTTP and files in, bytes out: the only stage that does network I/O.

Timeouts for connect and read plus one hard deadline on the whole request,
headers included; a size cap enforced while decompressing (each step's output
is bounded, so gzip and brotli bombs stop at the cap, and stacked encodings are
refused); redirects followed by hand so each hop passes the SSRF guard;
conditional GET; and charset decoding in the order BOM, HTTP header, <meta>,
XML declaration, detection.
"""

from __future__ import annotations

import codecs
import errno
import ipaddress
import os
import re
import select
import socket
import ssl
import stat
import threading
import time
import typing
import zlib
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import brotli
import charset_normalizer
import httpcore
import httpx

from .errors import FetchError
from .models import Fetched

# The operator's contact comes from bot.toml ([http] contact); this default names no one.
USER_AGENT = "claimbot (news claim monitor)"
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_\-.]+)["']""", re.IGNORECASE)
# Korean pages that say EUC-KR are almost always really CP949, its superset.
_ALIASES = {"euc-kr": "cp949", "euckr": "cp949", "ks_c_5601-1987": "cp949", "ksc5601": "cp949", "x-windows-949": "cp949",
            "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "shift-jis": "cp932", "shift_jis": "cp932",
            "x-sjis": "cp932", "iso-8859-1": "cp1252", "latin-1": "cp1252", "us-ascii": "utf-8", "ascii": "utf-8"}


@dataclass(frozen=True, slots=True)
class FetchOptions:
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 45.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    allow_private: bool = False
    user_agent: str = USER_AGENT


class Fetcher:
    """Fetches URLs and local files. Swap it for a fake in tests of later stages."""

    def __init__(self, options: FetchOptions, client: httpx.Client | None = None) -> None:
        self.options = options
        self._aborted = threading.Event()
        self.client = client or httpx.Client(
            headers={"User-Agent": options.user_agent, "Accept-Encoding": "gzip, deflate, br"},
            timeout=httpx.Timeout(options.read_timeout, connect=options.connect_timeout),
            follow_redirects=False,
            transport=_DeadlineTransport(_DeadlineBackend(self._aborted)),
        )

    def close(self) -> None:
        self.client.close()

    def abort(self) -> None:
        """Make every request in flight, and every later one, fail at once (the service is stopping)."""
        self._aborted.set()

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        if url[:5].lower() == "file:" or "://" not in url:
            return self._file(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            return self._http(url, headers)
        except (ValueError, UnicodeError, httpx.InvalidURL) as exc:  # malformed hosts, ports, IDNA
            raise FetchError(url[:300], f"malformed URL ({type(exc).__name__})", "check the link") from None

    def _http(self, url: str, headers: dict[str, str]) -> Fetched:
        deadline = time.monotonic() + self.options.total_timeout
        _request.deadline = deadline  # the network backend cuts every connect and read at this instant
        try:
            return self._hops(url, headers, deadline)
        finally:
            _request.deadline = None

    def _hops(self, url: str, headers: dict[str, str], deadline: float) -> Fetched:
        current = url
        for _hop in range(self.options.max_redirects + 1):
            if self._aborted.is_set():
                raise FetchError(url, "interrupted: shutting down", "it will be fetched on the next run")
            address = self._guard(current)
            target, hop_headers, extensions = _pinned(current, address, headers)
            try:
                with self.client.stream("GET", target, headers=hop_headers, extensions=extensions) as response:
                    if response.status_code in (301, 302, 303, 307, 308):
                        location = response.headers.get("location")
                        if not location:
                            raise FetchError(url, f"HTTP {response.status_code} redirect without a Location")
                        current = urljoin(current, location)
                        continue
                    return self._read(url, current, response, deadline)
            except httpx.TimeoutException:
                if self._aborted.is_set():
                    raise FetchError(url, "interrupted: shutting down", "it will be fetched on the next run") from None
                if time.monotonic() >= deadline - 0.05:
                    raise FetchError(url, f"took longer than {self.options.total_timeout:.0f}s in all",
                                     "the site is too slow; it will be retried later") from None
                raise FetchError(url, "timed out", "the site is slow or down; it will be retried later") from None
            except httpx.HTTPError as exc:
                raise FetchError(url, f"connection failed ({type(exc).__name__}: {exc})",
                                 "check the URL; it will be retried later") from None
        raise FetchError(url, f"more than {self.options.max_redirects} redirects", "the site may have a redirect loop")

    def _read(self, url: str, final: str, response: httpx.Response, deadline: float) -> Fetched:
        headers = {k.lower(): v for k, v in response.headers.items()}
        if response.status_code == 304:
            return Fetched(url=url, final_url=final, content=b"", headers=headers, status=304, not_modified=True,
                           etag=headers.get("etag"), last_modified=headers.get("last-modified"),
                           max_age=_max_age(headers))
        if response.status_code >= 400:
            retry_after = _retry_after(headers.get("retry-after"))
            hint = {404: "the page is gone; remove the feed or fix its URL", 410: "the page is gone for good",
                    429: "the site asks us to slow down", 403: "the site refuses us; check robots and access"}
            raise FetchError(url, f"HTTP {response.status_code}",
                             hint.get(response.status_code, "it will be retried later"),
                             status=response.status_code, retry_after=retry_after)
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.options.max_bytes:
            raise FetchError(url, f"too large ({int(declared):,} bytes > {self.options.max_bytes:,})",
                             "raise limits.max_page_bytes if this page is genuine")
        decoder = _decoder_for(url, headers.get("content-encoding", ""))
        chunks: list[bytes] = []
        size = 0
        try:
            # Raw bytes, decoded here: httpx's decoders have no output limit, so one small brotli or
            # gzip-in-gzip chunk could expand to gigabytes before the size check below ever ran.
            for raw in response.iter_raw():
                for chunk in decoder.feed(raw):
                    size += len(chunk)
                    if size > self.options.max_bytes:
                        raise FetchError(url, f"too large (over {self.options.max_bytes:,} bytes)",
                                         "raise limits.max_page_bytes if this page is genuine")
                    chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise FetchError(url, f"took longer than {self.options.total_timeout:.0f}s in all",
                                     "the site is too slow; it will be retried later")
        except _CorruptBody as exc:
            raise FetchError(url, f"the {exc} body cannot be decompressed", "the site sent a broken response; "
                             "it will be retried later") from None
        return Fetched(url=url, final_url=final, content=b"".join(chunks), headers=headers,
                       status=response.status_code, etag=headers.get("etag"),
                       last_modified=headers.get("last-modified"), max_age=_max_age(headers))

    def _file(self, url: str) -> Fetched:
        path = Path(unquote(urlsplit(url).path) if url[:5].lower() == "file:" else url)
        try:
            content = self._read_file(path)
        except FileNotFoundError:
            raise FetchError(str(path), "no such file", "check the path") from None
        except IsADirectoryError:
            raise FetchError(str(path), "is a directory, not a file", "name a file inside it") from None
        except OSError as exc:
            raise FetchError(str(path), f"cannot be read ({exc.strerror})", "check its permissions") from None
        return Fetched(url=url, final_url=path.resolve().as_uri(), content=content)

    def _read_file(self, path: Path) -> bytes:
        """Read at most max_bytes, whatever the file claims to be: st_size is 0 for /dev/zero and for
        pipes. Opened without blocking, so a FIFO with no writer is an error, not a hang."""
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                raise IsADirectoryError(errno.EISDIR, "is a directory")
            deadline = time.monotonic() + self.options.total_timeout
            chunks: list[bytes] = []
            size = 0
            waiting = select.poll()
            waiting.register(fd, select.POLLIN | select.POLLHUP)
            while True:
                try:
                    chunk = os.read(fd, 1 << 16)
                except BlockingIOError:  # a pipe or terminal whose writer has not written yet
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise FetchError(str(path), f"nothing arrived in {self.options.total_timeout:.0f}s",
                                         "check that something writes to it") from None
                    waiting.poll(min(left, 1.0) * 1000)
                    continue
                if not chunk:
                    break
                size += len(chunk)
                if size > self.options.max_bytes:
                    raise FetchError(str(path), f"too large (over {self.options.max_bytes:,} bytes)",
                                     "raise limits.max_page_bytes if this file is genuine")
                chunks.append(chunk)
        finally:
            os.close(fd)
        if not chunks and stat.S_ISFIFO(mode):
            raise FetchError(str(path), "a pipe with no writer: nothing to read", "start the program that writes "
                             "to it first, or pass a file")
        return b"".join(chunks)

    def _guard(self, url: str) -> str | None:
        """Refuse every special-purpose address unless allowed (SSRF), including IPv4 addresses
        embedded in IPv6 ones (IPv4-mapped and -compatible, NAT64, 6to4, Teredo).

        Returns the checked address to connect to, so a DNS answer that changes between this
        check and the connection (rebinding) cannot send the request somewhere else.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchError(url, f"scheme {parts.scheme!r} is not allowed", "only http and https are fetched")
        if self.options.allow_private or not parts.hostname:
            return None
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        except socket.gaierror:
            raise FetchError(url, f"host {parts.hostname!r} not found", "check the URL") from None
        for info in infos:
            why = refusal(info[4][0])
            if why:
                raise FetchError(url, f"refused: {parts.hostname} resolves to a non-public address ({why})",
                                 "set limits.allow_private_addresses = true for intranet feeds")
        return str(ipaddress.ip_address(infos[0][4][0])) if infos else None


# IANA's special-purpose registries (IPv4 and IPv6), listed explicitly rather than trusting
# ipaddress.is_global, which has changed between Python releases and lets 192.0.0.0/24 through.
_SPECIAL = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
    "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/96", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
    "2620:4f:8000::/48", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def refusal(address: str) -> str | None:
    """Why an address may not be fetched from, or None when it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    embedded: ipaddress.IPv4Address | None = None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            embedded = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            embedded = ip.sixtofour
        elif ip.teredo is not None:
            embedded = ip.teredo[1]
        elif ip in _NAT64 or (int(ip) >> 32 == 0 and int(ip) > 0xFFFF):  # NAT64, IPv4-compatible ::a.b.c.d
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if embedded is not None:
        inner = refusal(str(embedded))
        if inner:
            return f"{ip}, which carries {inner}"
    if ip.version == 6 and ip.teredo is not None:
        return f"{ip}: Teredo"
    if any(ip.version == network.version and ip in network for network in _SPECIAL):
        return str(ip)
    if not ip.is_global or ip.is_multicast:
        return str(ip)
    return None


class _RequestState(threading.local):
    deadline: float | None = None


_request = _RequestState()


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every wait ends at the request's deadline, or at once when the fetcher is
    aborted. httpx's read timeout is per read, so a site sending one header byte a second never
    tripped it; reads here wait in short slices and check both between them."""

    def __init__(self, stream: httpcore.NetworkStream, aborted: threading.Event) -> None:
        self._stream = stream
        self._aborted = aborted

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        give_up = time.monotonic() + timeout if timeout is not None else None
        while True:
            if self._aborted.is_set():
                raise httpcore.ReadTimeout("aborted")
            wait = _remaining(give_up)
            if wait is not None and wait <= 0:
                raise httpcore.ReadTimeout("deadline")
            try:
                return self._stream.read(max_bytes, min(wait, 0.25) if wait is not None else 0.25)
            except httpcore.ReadTimeout:
                continue

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout)),
                               self._aborted)

    def get_extra_info(self, info: str) -> object:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, aborted: threading.Event) -> None:
        self._backend = httpcore.SyncBackend()
        self._aborted = aborted

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        if self._aborted.is_set():
            raise httpcore.ConnectTimeout("aborted")
        return _DeadlineStream(self._backend.connect_tcp(host, port, _bounded(timeout), local_address,
                                                         socket_options), self._aborted)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _remaining(give_up: float | None) -> float | None:
    """Seconds left before this wait's own timeout or the request's deadline, whichever is first."""
    ends = [t for t in (give_up, _request.deadline) if t is not None]
    return min(ends) - time.monotonic() if ends else None


def _bounded(timeout: float | None) -> float | None:
    left = _remaining(None)
    if left is None:
        return timeout
    left = max(left, 0.001)
    return left if timeout is None else min(timeout, left)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport over a connection pool whose sockets honour the request deadline."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        super().__init__()
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(), network_backend=backend,
                                             max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)


class _CorruptBody(Exception):
    pass


class _Decoder:
    """Content-Encoding decoding whose every step yields at most _STEP bytes, so the size cap is
    checked before a small compressed body can expand to gigabytes."""

    _STEP = 1 << 16

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._zlib: typing.Any = None
        self._brotli: typing.Any = None
        self._first = True
        if coding == "gzip":
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._zlib = zlib.decompressobj()
        elif coding == "br":
            self._brotli = brotli.Decompressor()

    def feed(self, data: bytes) -> typing.Iterator[bytes]:
        try:
            if self._zlib is not None:
                yield from self._inflate(data)
            elif self._brotli is not None:
                out = self._brotli.process(data, output_buffer_limit=self._STEP)
                while True:
                    if out:
                        yield out
                    if self._brotli.can_accept_more_data():
                        break
                    out = self._brotli.process(b"", output_buffer_limit=self._STEP)
            elif data:
                yield data
        except (zlib.error, brotli.error):
            raise _CorruptBody(self.coding) from None

    def _inflate(self, data: bytes) -> typing.Iterator[bytes]:
        if self._first and self.coding == "deflate" and data:
            self._first = False
            try:  # "deflate" should be zlib-wrapped; some servers send it raw
                zlib.decompressobj().decompress(data[:64], 1)
            except zlib.error:
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        while data and not self._zlib.eof:
            out = self._zlib.decompress(data, self._STEP)
            data = self._zlib.unconsumed_tail
            if out:
                yield out


def _decoder_for(url: str, header: str) -> _Decoder:
    codings = [c.strip().lower() for c in header.split(",") if c.strip() and c.strip().lower() != "identity"]
    codings = ["gzip" if c == "x-gzip" else c for c in codings]
    if len(codings) > 1:
        raise FetchError(url, f"refused: stacked Content-Encoding {header.strip()!r}",
                         "a page is compressed once; several layers are how decompression bombs are built")
    return _Decoder(codings[0] if codings and codings[0] in ("gzip", "deflate", "br") else "identity")


def _pinned(url: str, address: str | None, headers: dict[str, str]
            ) -> tuple[str, dict[str, str], dict[str, object] | None]:
    """The request aimed at the checked address: the URL's host becomes the address, the Host header
    and (for https) the TLS server name and certificate check keep the real host name."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if address is None or host == address:
        return url, headers, None
    host = host.encode("idna").decode("ascii")  # 한국일보.kr: the Host header and the TLS name are ASCII
    literal = f"[{address}]" if ":" in address else address
    netloc = literal + (f":{parts.port}" if parts.port else "")
    target = parts._replace(netloc=netloc).geturl()
    host_header = host + (f":{parts.port}" if parts.port else "")
    return target, {**headers, "Host": host_header}, ({"sni_hostname": host} if parts.scheme == "https" else None)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _max_age(headers: dict[str, str]) -> float | None:
    m = re.search(r"max-age\s*=\s*(\d+)", headers.get("cache-control", ""))
    return float(m.group(1)) if m else None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def charset_of(content: bytes, content_type: str | None = None) -> str:
    """The encoding to read bytes with: BOM, header, <meta>, XML declaration, then detection."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if content.startswith(bom):
            return name
    m = re.search(r"charset\s*=\s*([^\s;]+)", content_type or "", re.IGNORECASE)
    codec = _codec(m.group(1)) if m else None
    if codec and _decodes(content, codec):
        return codec
    head = content[:4096]
    for pattern in (_META_CHARSET, _XML_DECL):
        found = pattern.search(head)
        codec = _codec(found.group(1).decode("ascii", "ignore")) if found else None
        if codec and _decodes(content, codec):
            return codec
    if _decodes(content, "utf-8"):
        return "utf-8"
    best = charset_normalizer.from_bytes(content[:200_000]).best()
    return (_codec(best.encoding) if best else None) or "utf-8"


def _decodes(content: bytes, codec: str) -> bool:
    try:
        content[:200_000].decode(codec)
    except UnicodeDecodeError as exc:
        return exc.start >= 199_990  # a multibyte character cut by the sample is fine
    except LookupError:
        return False
    return True


def decode(content: bytes, content_type: str | None = None) -> str:
    # NUL carries no meaning in a page, and PostgreSQL cannot store it in text.
    return content.decode(charset_of(content, content_type), errors="replace").replace("\x00", "")


_XML_DECL_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")


def feed_as_utf8(fetched: Fetched) -> Fetched:
    """Feed bytes as UTF-8, read with the charset logic pages get (a declared charset counts only
    when the bytes decode with it), so an EUC-KR feed labelled UTF-8 is read as Korean rather than
    as Latin-1 mojibake. The XML declaration and the header are rewritten to say UTF-8."""
    content_type = fetched.headers.get("content-type")
    text = fetched.content.decode(charset_of(fetched.content, content_type), errors="replace")
    text = _XML_DECL_ENCODING.sub(r"\1\2utf-8\2", text.lstrip("\ufeff"), count=1)
    headers = dict(fetched.headers)
    if content_type:
        media = content_type.split(";", 1)[0].strip()
        headers["content-type"] = f"{media}; charset=utf-8"
    return replace(fetched, content=text.encode("utf-8"), headers=headers)
