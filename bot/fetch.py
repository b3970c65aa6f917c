"""Fetching one web page for digesting, safely: the URL may come from anyone in a chat.

- Only http and https. Redirects are followed here, at most five, so that every hop is checked.
- Every hop's host is resolved once, each address is checked, and the connection goes to a checked
  address (the URL's host is kept in the Host header and for TLS). Connecting by name instead would let
  a second DNS answer point somewhere else after the check (DNS rebinding).
- Non-public addresses (private, loopback, link-local, multicast, reserved, unspecified) are refused
  unless `allow_private_urls` is set or the address is in `allowed_private_networks`.
- The body is streamed and cut off past `max_fetch_bytes`, counted after decompression: gzip and deflate
  are decoded here, a bounded step at a time, so a small compressed body that inflates to gigabytes (a
  "gzip bomb") is refused once the limit is passed instead of being inflated first.
- `fetch_timeout` bounds the whole fetch.
- Conditional requests (ETag / Last-Modified): a 304 answer is returned as a page with `not_modified`.
- Every failure is a one-line SourceError: "could not fetch <url>: <reason>" (its `source` the URL, its
  `reason` what follows); an HTTP error status is a
  FetchError that also carries the status and any Retry-After header, for the feed poller. A reason
  that would describe the bot's own network (a private address refused, a host not found, a connection
  refused or timing out: a closed port told from an open one) is only in the error's `detail`, for the
  operator; the message says "that address can't be fetched".
"""

from __future__ import annotations

import codecs
import ipaddress
import re
import socket
import ssl
import time
import zlib
from functools import lru_cache

import httpx
from pydantic import BaseModel, ConfigDict, Field

from .config import Settings
from .errors import FetchError, SourceError, format_size

MAX_REDIRECTS = 5
UNFETCHABLE = "that address can't be fetched"
ACCEPTED_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PAGE_ACCEPT = "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1"
# Only the encodings decoded below (with a bound on each step) are asked for.
ACCEPT_ENCODING = "gzip, deflate"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchedPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str  # the final URL, after redirects
    status: int  # 2xx, or 304 for a conditional request whose resource has not changed
    content_type: str | None  # media type without parameters, lower case; None when the server sent none
    text: str
    content: bytes = Field(default=b"", repr=False)  # the body as received (decompressed), for parsers that read bytes
    content_type_header: str | None = None  # the whole Content-Type header, charset included
    etag: str | None = None
    last_modified: str | None = None

    @property
    def is_html(self) -> bool:
        return self.content_type in HTML_TYPES

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _Inflater:
    """Decodes a Content-Encoding (gzip, deflate or a chain of them) giving out at most `budget`
    bytes per call: decompressobj's max_length keeps every step bounded, whatever the ratio."""

    def __init__(self, encodings: list[str]) -> None:
        # "Content-Encoding: gzip, deflate" means gzip was applied first: undo them in reverse.
        self.encodings = list(reversed(encodings))
        self.stages = [self._new(e) for e in self.encodings]
        # The first bytes of a deflate stage until its 2-byte zlib header has passed the check: a header
        # error means raw deflate (no zlib wrapper), which is then decoded from those bytes on.
        self.unproven: list[bytes | None] = [b"" if e == "deflate" else None for e in self.encodings]

    @staticmethod
    def _new(encoding: str):  # noqa: ANN205 - zlib's decompressor type is not public
        # gzip: wbits 16+; deflate: zlib-wrapped as the standard says (raw deflate, which some servers
        # send instead, is retried in _run).
        return zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)

    def _run(self, n: int, data: bytes, budget: int) -> bytes:
        """Feed `data` to stage n; at most budget + 1 bytes out (one more than allowed means "too big")."""
        out: list[bytes] = []
        size = 0
        while data and size <= budget:
            stage = self.stages[n]
            head = self.unproven[n]
            try:
                chunk = stage.decompress(data, budget + 1 - size)
            except zlib.error:
                if head is None:
                    raise
                self.unproven[n] = None
                self.stages[n] = stage = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, from the start
                chunk = stage.decompress(head + data, budget + 1 - size)
            else:
                if head is not None:
                    self.unproven[n] = None if chunk or len(head) + len(data) >= 2 else head + data
            out.append(chunk)
            size += len(chunk)
            if stage.unconsumed_tail:
                data = stage.unconsumed_tail
            elif stage.eof and stage.unused_data and self.encodings[n] == "gzip":
                # Concatenated gzip members are one body.
                data = stage.unused_data
                self.stages[n] = self._new("gzip")
            else:
                data = b""
        return b"".join(out)

    def decode(self, data: bytes, budget: int) -> bytes:
        for n in range(len(self.stages)):
            data = self._run(n, data, budget)
            if len(data) > budget:
                break
        return data


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64): it is where the packets end up."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(ip: IPAddress) -> bool:
    """False for any address a server-side fetch must not reach by default."""
    for candidate in (ip, _embedded_ipv4(ip)):
        if candidate is None:
            continue
        if (
            candidate.is_private
            or candidate.is_loopback
            or candidate.is_link_local
            or candidate.is_multicast
            or candidate.is_reserved
            or candidate.is_unspecified
            # Not globally routable though none of the above, e.g. 100.64.0.0/10 (carrier-grade NAT).
            or not candidate.is_global
        ):
            return False
    return True


def _allowed(ip: IPAddress, settings: Settings) -> bool:
    return settings.allow_private_urls or is_public_address(ip) or any(ip in net for net in settings.allowed_private_networks)


class _Fetch:
    """One fetch of one URL: holds what every error message needs (the URL the caller asked for)."""

    def __init__(self, url: str, settings: Settings) -> None:
        self.asked = url
        self.settings = settings
        self.deadline = time.monotonic() + settings.fetch_timeout

    def fail(self, reason: str) -> SourceError:
        return SourceError(reason, source=self.asked, action="fetch")

    def unfetchable(self, reason: str) -> SourceError:
        """A failure whose reason would tell a chat member about the bot's network (a private address, a
        host only the bot can resolve, a closed port against an open one) or name an operator setting:
        they read UNFETCHABLE, the operator's log and terminal read the reason."""
        return SourceError(UNFETCHABLE, source=self.asked, action="fetch", detail=reason, kind="unfetchable")

    def parse(self, raw: str | httpx.URL, hop: str = "") -> httpx.URL:
        try:
            url = httpx.URL(raw)
        except (httpx.InvalidURL, ValueError, TypeError):
            raise self.fail(f"{hop}not a valid URL") from None
        if url.scheme not in ("http", "https"):
            raise self.fail(f"{hop}only http and https URLs can be fetched, not {url.scheme or 'a URL without a scheme'}")
        if not url.host:
            raise self.fail(f"{hop}the URL has no host")
        return url

    def resolve(self, url: httpx.URL, hop: str) -> list[IPAddress]:
        """Every address the host resolves to, all of them checked: any one could be the one used."""
        host = url.raw_host.decode("ascii")
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise self.unfetchable(f"{hop}the host {url.host} was not found") from None
        addresses: list[IPAddress] = []
        for info in infos:
            ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if ip not in addresses:
                addresses.append(ip)
        for ip in addresses:
            if not _allowed(ip, self.settings):
                raise self.unfetchable(f"{hop}refusing a private address {ip}; set NEWSDIGEST_ALLOW_PRIVATE_URLS=1 to allow it")
        if not addresses:
            raise self.unfetchable(f"{hop}the host {url.host} was not found")
        return addresses

    def timeout(self) -> httpx.Timeout:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise self.unfetchable("timed out")
        return httpx.Timeout(remaining)

    def open(self, client: httpx.Client, url: httpx.URL, addresses: list[IPAddress]) -> httpx.Response:
        """Send the request to the checked addresses in turn (the next one only if connecting fails)."""
        headers = {"Host": url.netloc.decode("ascii")}
        # For https the certificate is verified against the real host name, sent as SNI.
        extensions = {"sni_hostname": url.raw_host.decode("ascii")} if url.scheme == "https" else {}
        error: httpx.ConnectError | None = None
        for ip in addresses:
            request = client.build_request(
                "GET", url.copy_with(host=str(ip)), headers=headers, extensions=extensions, timeout=self.timeout()
            )
            try:
                return client.send(request, stream=True)
            except httpx.ConnectError as exc:
                error = exc
        assert error is not None  # addresses is never empty
        raise error

    def read(self, response: httpx.Response) -> bytes:
        limit = self.settings.max_fetch_bytes
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            raise self.fail(f"the page is {format_size(int(declared))}; the limit is {format_size(limit)}")
        encodings = [e.strip().lower() for e in response.headers.get("content-encoding", "").split(",")]
        encodings = [e for e in encodings if e and e != "identity"]
        unknown = [e for e in encodings if e not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise self.fail(f"the server sent it in an encoding the bot cannot read ({unknown[0]})")
        inflater = _Inflater(["gzip" if e == "x-gzip" else e for e in encodings]) if encodings else None
        chunks: list[bytes] = []
        size = 0
        # Raw bytes, decoded here: the limit is on what this process holds (decompressed), and no
        # single step may inflate past it (httpx's own decoder inflates a whole network read at once).
        for raw in response.iter_raw():
            if inflater is not None:
                try:
                    chunk = inflater.decode(raw, limit - size)
                except zlib.error:
                    raise self.fail(f"its {', '.join(encodings)} encoding is damaged") from None
            else:
                chunk = raw
            size += len(chunk)
            if size > limit:
                raise self.fail(f"the page is larger than the {format_size(limit)} limit")
            if time.monotonic() > self.deadline:  # a server dripping bytes must not hold the bot forever
                raise self.fail("timed out")
            chunks.append(chunk)
        return b"".join(chunks)


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """The certificate store, loaded once per process: loading it takes ~15 ms, more than fetching a
    page from a nearby server. (The context is only read after this, so threads may share it.)"""
    return httpx.create_ssl_context(trust_env=False)


def _media_type(response: httpx.Response) -> str | None:
    raw = response.headers.get("content-type", "")
    return raw.split(";", 1)[0].strip().lower() or None


def _decode(body: bytes, response: httpx.Response, media_type: str | None) -> str:
    """The declared charset (header, then for HTML a <meta> tag), else UTF-8; bad bytes become U+FFFD."""
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    charset = response.charset_encoding
    if charset is None and media_type in HTML_TYPES:
        found = _META_CHARSET.search(body[:4096])
        charset = found.group(1).decode("ascii") if found else None
    try:
        codecs.lookup(charset or "utf-8")
    except LookupError:
        charset = None
    return body.decode(charset or "utf-8", errors="replace")


def _reason(exc: Exception) -> str:
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", str(exc).strip())
    return text[:200] or type(exc).__name__


def fetch_url(
    url: str,
    settings: Settings,
    *,
    accept: frozenset[str] = ACCEPTED_TYPES,
    accept_header: str = PAGE_ACCEPT,
    kind: str = "a web page or plain text",
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchedPage:
    """GET `url` under the rules above and return the decoded page; raises SourceError on any failure.

    `accept` is the set of media types taken (a response without a Content-Type is taken too), `kind`
    what the refusal of another type says the URL should have been. `etag` / `last_modified` make the
    request conditional: a 304 comes back as a page whose `not_modified` is true and whose text is empty.
    """
    fetch = _Fetch(url, settings)
    current = fetch.parse(url.strip())
    hop = ""
    headers = {"User-Agent": settings.user_agent, "Accept": accept_header, "Accept-Encoding": ACCEPT_ENCODING}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    # trust_env=False: a proxy from the environment would connect by name and bypass the address check.
    with httpx.Client(headers=headers, follow_redirects=False, trust_env=False, verify=_tls_context()) as client:
        try:
            for _ in range(MAX_REDIRECTS + 1):
                addresses = fetch.resolve(current, hop)
                response = fetch.open(client, current, addresses)
                try:
                    status = response.status_code
                    if status in _REDIRECTS:
                        location = response.headers.get("location")
                        if not location:
                            raise fetch.fail(f"HTTP {status} redirect without a Location")
                        target = current.join(location)
                        hop = f"it redirects to {target}; "
                        current = fetch.parse(target, hop)
                        continue
                    if status == 304 and (etag or last_modified):
                        return FetchedPage(url=str(current), status=status, content_type=None, text="",
                                           etag=response.headers.get("etag") or etag,
                                           last_modified=response.headers.get("last-modified") or last_modified)
                    if not 200 <= status < 300:
                        raise FetchError(f"HTTP {status} {response.reason_phrase}".strip(), source=fetch.asked,
                                         status=status, retry_after=response.headers.get("retry-after"))
                    media_type = _media_type(response)
                    if media_type is not None and media_type not in accept:
                        raise fetch.fail(f"it is {media_type}, not {kind}")
                    body = fetch.read(response)
                    return FetchedPage(url=str(current), status=status, content_type=media_type,
                                       text=_decode(body, response, media_type), content=body,
                                       content_type_header=response.headers.get("content-type"),
                                       etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"))
                finally:
                    response.close()  # also drops a body left unread (redirects, refusals)
        except httpx.TimeoutException:
            raise fetch.unfetchable(f"{hop}timed out") from None
        except httpx.ConnectError as exc:
            raise fetch.unfetchable(f"{hop}could not connect ({_reason(exc)})") from None
        except httpx.HTTPError as exc:
            raise fetch.unfetchable(f"{hop}{_reason(exc)}") from None
    raise fetch.fail(f"too many redirects (more than {MAX_REDIRECTS})")
