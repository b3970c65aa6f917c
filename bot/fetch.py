"""Fetching one web page for digesting, safely: the URL may come from anyone in a chat.

- Only http and https. Redirects are followed here, at most five, so that every hop is checked.
- Every hop's host is resolved once, each address is checked, and the connection goes to a checked
  address (the URL's host is kept in the Host header and for TLS). Connecting by name instead would let
  a second DNS answer point somewhere else after the check (DNS rebinding).
- Non-public addresses (private, loopback, link-local, multicast, reserved, unspecified) are refused
  unless `allow_private_urls` is set or the address is in `allowed_private_networks`.
- The body is streamed and cut off past `max_fetch_bytes`; `fetch_timeout` bounds the whole fetch.
- Every failure is a one-line SourceError: "could not fetch <url>: <reason>".
"""

from __future__ import annotations

import codecs
import ipaddress
import re
import socket
import time

import httpx
from pydantic import BaseModel, ConfigDict

from .config import Settings
from .errors import SourceError, format_size

MAX_REDIRECTS = 5
ACCEPTED_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchedPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str  # the final URL, after redirects
    status: int
    content_type: str | None  # media type without parameters, lower case; None when the server sent none
    text: str

    @property
    def is_html(self) -> bool:
        return self.content_type in HTML_TYPES


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
            or not candidate.is_global  # e.g. 100.64.0.0/10, carrier-grade NAT
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
        return SourceError(f"could not fetch {self.asked}: {reason}")

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
            raise self.fail(f"{hop}the host {url.host} was not found") from None
        addresses: list[IPAddress] = []
        for info in infos:
            ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if ip not in addresses:
                addresses.append(ip)
        for ip in addresses:
            if not _allowed(ip, self.settings):
                raise self.fail(f"{hop}refusing a private address {ip}; set NEWSDIGEST_ALLOW_PRIVATE_URLS=1 to allow it")
        if not addresses:
            raise self.fail(f"{hop}the host {url.host} was not found")
        return addresses

    def timeout(self) -> httpx.Timeout:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise self.fail("timed out")
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
        chunks: list[bytes] = []
        size = 0
        # iter_bytes counts decompressed bytes: the limit is on what this process holds, gzip or not.
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise self.fail(f"the page is larger than the {format_size(limit)} limit")
            if time.monotonic() > self.deadline:  # a server dripping bytes must not hold the bot forever
                raise self.fail("timed out")
            chunks.append(chunk)
        return b"".join(chunks)


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


def fetch_url(url: str, settings: Settings) -> FetchedPage:
    """GET `url` under the rules above and return the decoded page; raises SourceError on any failure."""
    fetch = _Fetch(url, settings)
    current = fetch.parse(url.strip())
    hop = ""
    headers = {"User-Agent": settings.user_agent, "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1"}
    # trust_env=False: a proxy from the environment would connect by name and bypass the address check.
    with httpx.Client(headers=headers, follow_redirects=False, trust_env=False) as client:
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
                    if not 200 <= status < 300:
                        raise fetch.fail(f"HTTP {status} {response.reason_phrase}".strip())
                    media_type = _media_type(response)
                    if media_type is not None and media_type not in ACCEPTED_TYPES:
                        raise fetch.fail(f"it is {media_type}, not a web page or plain text")
                    body = fetch.read(response)
                    return FetchedPage(url=str(current), status=status, content_type=media_type, text=_decode(body, response, media_type))
                finally:
                    response.close()  # also drops a body left unread (redirects, refusals)
        except httpx.TimeoutException:
            raise fetch.fail("timed out") from None
        except httpx.ConnectError as exc:
            raise fetch.fail(f"could not connect ({_reason(exc)})") from None
        except httpx.HTTPError as exc:
            raise fetch.fail(_reason(exc)) from None
    raise fetch.fail(f"too many redirects (more than {MAX_REDIRECTS})")
