"""HTTP and files in, bytes out: the only stage that does network I/O.

Timeouts for connect and read plus a cap on the whole request, a size cap
enforced while streaming (after decompression, so gzip bombs stop early),
redirects followed by hand so each hop passes the SSRF guard, conditional GET,
and charset decoding in the order BOM, HTTP header, <meta>, XML declaration,
detection.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
import socket
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import charset_normalizer
import httpx

from .errors import FetchError
from .models import Fetched

USER_AGENT = "claimbot/0.1 (news claim monitor; +https://github.com/claimbot/claimbot)"
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
        self.client = client or httpx.Client(
            headers={"User-Agent": options.user_agent, "Accept-Encoding": "gzip, deflate, br"},
            timeout=httpx.Timeout(options.read_timeout, connect=options.connect_timeout),
            follow_redirects=False,
        )

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        if url.startswith("file:") or "://" not in url:
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
        current = url
        for _hop in range(self.options.max_redirects + 1):
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
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.options.max_bytes:
                raise FetchError(url, f"too large (over {self.options.max_bytes:,} bytes)",
                                 "raise limits.max_page_bytes if this page is genuine")
            if time.monotonic() > deadline:
                raise FetchError(url, f"took longer than {self.options.total_timeout:.0f}s in all",
                                 "the site is too slow; it will be retried later")
            chunks.append(chunk)
        return Fetched(url=url, final_url=final, content=b"".join(chunks), headers=headers,
                       status=response.status_code, etag=headers.get("etag"),
                       last_modified=headers.get("last-modified"), max_age=_max_age(headers))

    def _file(self, url: str) -> Fetched:
        path = Path(unquote(urlsplit(url).path) if url.startswith("file:") else url)
        try:
            size = path.stat().st_size
            if size > self.options.max_bytes:
                raise FetchError(str(path), f"too large ({size:,} bytes > {self.options.max_bytes:,})",
                                 "raise limits.max_page_bytes if this file is genuine")
            content = path.read_bytes()
        except FileNotFoundError:
            raise FetchError(str(path), "no such file", "check the path") from None
        except IsADirectoryError:
            raise FetchError(str(path), "is a directory, not a file", "name a file inside it") from None
        except OSError as exc:
            raise FetchError(str(path), f"cannot be read ({exc.strerror})", "check its permissions") from None
        return Fetched(url=url, final_url=path.resolve().as_uri(), content=content)

    def _guard(self, url: str) -> str | None:
        """Refuse loopback, private, link-local and metadata addresses unless allowed (SSRF).

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
            address = ipaddress.ip_address(info[4][0])
            if not address.is_global or address.is_multicast:
                raise FetchError(url, f"refused: {parts.hostname} resolves to a non-public address ({address})",
                                 "set limits.allow_private_addresses = true for intranet feeds")
        return str(ipaddress.ip_address(infos[0][4][0])) if infos else None


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
    return content.decode(charset_of(content, content_type), errors="replace")
