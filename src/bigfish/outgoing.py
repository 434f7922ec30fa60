"""Outgoing HTTP: the address guard every server-side fetch uses, bounded reads and deadlines.

`check_outgoing_url(url, allowed_peers)` refuses a URL whose host resolves to a loopback,
link-local, private, shared, multicast, reserved or unspecified address, unless an administrator
allowed that exact origin (``scheme://host:port``). `guarded_request` connects to the addresses
that were checked (no second DNS answer can slip in), the next one only when the one before
could not be connected to, re-checks every redirect (a POST follows only a 307 or 308: its
301/302/303 is a failure naming where it leads), sends credentials only to the origin
they were given for and, when asked, reads at most so many bytes of the answer (decompressed:
`AnswerTooLarge`). `DeadlineTransport` ends every request by one deadline
whatever the peer does; the lookup of the name before it ends by that deadline too
(`resolve_within`). Webhook deliveries (`bigfish.webhooks`) and TAXII pulls
(`bigfish.interop.sync`) go out through here.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from bigfish.errors import InputError, PeerError

Resolver = Callable[[str, int], list[str]]
_DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: The redirects that by definition repeat the method and the body (RFC 9110 15.4.8, 15.4.9).
_REPEATS = frozenset({307, 308})
#: Methods that follow every redirect: a 301/302/303 turns a POST into a GET, or sends it, body
#: and signature, to where its sender was not told to (a webhook's alert); that is refused.
_FOLLOWS_ANY_REDIRECT = frozenset({"GET", "HEAD"})
#: Lookups left waiting on the resolver at once (`resolve_within`): each holds a thread until
#: the resolver gives up; past this many, a lookup is refused at once instead of leaving one
#: more thread behind a resolver that does not answer.
MAX_PENDING_LOOKUPS = 16
_pending_lookups = threading.BoundedSemaphore(MAX_PENDING_LOOKUPS)
#: Headers that carry credentials: never sent on to another origin after a redirect.
_CREDENTIALS = frozenset({"authorization", "proxy-authorization", "cookie"})


class AnswerTooLarge(PeerError):
    """An answer whose body is longer than `guarded_request`'s MAX_BODY_BYTES."""


@dataclass(frozen=True, slots=True)
class OutgoingTarget:
    """A URL that passed the guard, with the addresses it may be reached at."""

    url: str
    origin: str
    host: str
    port: int
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address HOST resolves to, in the system's order of preference (getaddrinfo's: an
    IPv6 address after the IPv4 ones on a host that has no IPv6 route, say); a call connects to
    the first."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise PeerError(f"cannot resolve {host!r}: {exc}") from None
    # not sorted: as text, "2606:…" comes before "93.…", and every call went over IPv6
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def resolve_within(resolver: Resolver, host: str, port: int, seconds: float) -> list[str]:
    """RESOLVER's addresses for HOST, or a PeerError naming HOST when it has not answered
    within SECONDS. A lookup cannot be interrupted (getaddrinfo waits as long as the system's
    resolver is configured to): it runs on a thread of its own, which is abandoned, and left to
    end by itself, when the time is up; at most MAX_PENDING_LOOKUPS are left at once."""
    if seconds <= 0:
        raise PeerError(f"cannot resolve {host!r}: no time left before the deadline")
    pending = _pending_lookups  # the one the lookup releases, whatever the global is then
    if not pending.acquire(blocking=False):
        raise PeerError(
            f"cannot resolve {host!r}: {MAX_PENDING_LOOKUPS} earlier lookups are still "
            "waiting for the resolver"
        )
    answer: list[str] = []
    failure: list[BaseException] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            answer.extend(resolver(host, port))
        except BaseException as exc:  # handed to the caller, whatever it is
            failure.append(exc)
        finally:
            pending.release()
            done.set()

    threading.Thread(target=lookup, name="bigfish-resolve", daemon=True).start()
    if not done.wait(seconds):
        raise PeerError(f"cannot resolve {host!r}: no answer within {seconds:.3g} s")
    if failure:
        raise failure[0]
    return answer


def origin_of(url: str) -> str:
    """``scheme://host:port`` of URL, lower case, with the default port written out."""
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:  # an unclosed [IPv6] bracket
        raise InputError(f"{url!r} is not a URL ({exc})", field="url") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise InputError("an outgoing URL is http:// or https:// with a host", field="url")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise InputError(
            f"{url!r}: the port is not a number from 0 to 65535", field="url"
        ) from None
    host = parts.hostname.lower().rstrip(".")
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def is_internal(address: str) -> bool:
    """True for addresses a server-side fetch must not reach without an explicit allowance."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address carried inside an IPv6 one reaches that IPv4 address: mapped
        # (::ffff:a.b.c.d), 6to4 (2002:AABB:CCDD::) through a relay, Teredo's client.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and is_internal(str(embedded)):
            return True
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.is_site_local:
            # fec0::/10, the private range before unique local addresses (RFC 3879 deprecated
            # it, networks that kept it still route it): `is_global` counts it public
            return True
    return (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def check_outgoing_url(
    url: str,
    allowed_peers: Iterable[str],
    resolver: Resolver | None = None,
    *,
    resolve_timeout: float | None = None,
) -> OutgoingTarget:
    """URL if it may be fetched: every address its host resolves to is public, or its exact
    origin is in ALLOWED_PEERS. Raises PeerError naming the refused address. With
    RESOLVE_TIMEOUT, a lookup that takes longer is a PeerError naming the host."""
    origin = origin_of(url)
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    port = int(origin.rsplit(":", 1)[1])
    allowed = {origin_of(peer) for peer in allowed_peers}
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        resolve = resolver or system_resolver
        if resolve_timeout is None:
            addresses = resolve(host, port)
        else:
            addresses = resolve_within(resolve, host, port, resolve_timeout)
    if not addresses:
        raise PeerError(f"{host!r} resolves to no address")
    if origin not in allowed:
        for address in addresses:
            if is_internal(address):
                raise PeerError(
                    f"refused: {origin} resolves to the internal address {address}; "
                    "an administrator must allow this exact peer"
                )
    return OutgoingTarget(url.strip(), origin, host, port, tuple(addresses))


def sendable_url(url: str) -> httpx.URL:
    """URL as httpx sends it; a URL the guard's parser accepts but httpx does not (a control
    character) is a PeerError, as every other failure of an outgoing call."""
    try:
        return httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise PeerError(f"{origin_of(url)}: not a URL that can be sent ({exc})") from None


def guarded_request(
    method: str,
    url: str,
    allowed: Iterable[str],
    *,
    content: bytes = b"",
    headers: dict[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    resolver: Resolver | None = None,
    timeout: float = 10.0,
    read_body: bool = True,
    max_body_bytes: int | None = None,
    ends: float | None = None,
) -> httpx.Response:
    """An HTTP request through the guard, pinned to the checked address, following at most
    three redirects, each checked again. A GET or HEAD follows any redirect; another method (a
    webhook's POST) only a 307 or 308, which repeat it, body and headers; its 301, 302 or 303
    is a PeerError naming the status and the Location. Each lookup of a name takes at most
    TIMEOUT seconds, and ends by ENDS (a time.monotonic() instant, the transport's deadline)
    when given.
    Credentials (Authorization, Cookie) go only to the origin (scheme, host and port) they
    were given for: a redirect elsewhere drops them.
    Without READ_BODY the answer's body is never read (its status and headers are): a peer
    that answers with an endless body costs nothing. With MAX_BODY_BYTES, at most that much
    of the answer's body is read (as decompressed), nothing of a redirect's, and a longer body
    is AnswerTooLarge (a PeerError) naming the limit."""
    stream = not read_body or max_body_bytes is not None
    peers = list(allowed)
    headers = dict(headers or {})
    if max_body_bytes is not None:
        headers.setdefault("Accept-Encoding", ", ".join(_BOUNDED_ENCODINGS))
    first = origin_of(url)
    with httpx.Client(transport=transport, timeout=timeout, follow_redirects=False) as client:
        for _ in range(_MAX_REDIRECTS + 1):
            left = timeout if ends is None else min(timeout, ends - time.monotonic())
            target = check_outgoing_url(url, peers, resolver, resolve_timeout=left)
            if target.origin != first:
                headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIALS}
            response = _send_pinned(client, method, url, target, content, headers, stream)
            if not read_body:
                response.close()
            if response.status_code in _REDIRECTS and "location" in response.headers:
                response.close()
                location = response.headers["location"]
                if method not in _FOLLOWS_ANY_REDIRECT and response.status_code not in _REPEATS:
                    raise _refused_redirect(method, response.status_code, url, location, target)
                url = _redirected(url, location, target.origin)
                continue
            if read_body and max_body_bytes is not None:
                return _bounded(response, max_body_bytes, target.origin)
            return response
    raise PeerError(f"more than {_MAX_REDIRECTS} redirects")


def _send_pinned(
    client: httpx.Client,
    method: str,
    url: str,
    target: OutgoingTarget,
    content: bytes,
    headers: dict[str, str],
    stream: bool,
) -> httpx.Response:
    """METHOD URL sent to the first of TARGET's checked addresses that takes the connection.
    The next address is tried only when one could not be connected to (refused, unreachable,
    no connection in time: nothing of the request was sent, so nothing is sent twice), so a
    name whose first address this node cannot reach (IPv6 without a route) is still reached."""
    parsed = sendable_url(url)
    for tried, address in enumerate(target.addresses, 1):
        request = client.build_request(
            method,
            parsed.copy_with(host=address),
            content=content,
            headers={"Host": parsed.netloc.decode("ascii"), **headers},
            extensions={"sni_hostname": target.host},
        )
        try:
            return client.send(request, stream=stream)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            if tried == len(target.addresses):
                raise
        except httpx.InvalidURL:  # a Location httpx cannot even parse: not an HTTPError
            raise PeerError(f"{target.origin} redirected to a URL that is not one") from None
    raise PeerError(f"{target.origin} resolves to no address")


def _redirected(url: str, location: str, origin: str) -> str:
    """Where a redirect from URL to LOCATION leads; PeerError naming ORIGIN, the peer that
    answered it, when that is not an http(s) URL (an InputError would blame the caller's URL,
    and end a schedule that a peer's failure never ends)."""
    target = urljoin(url, location)
    try:
        origin_of(target)
    except InputError:
        raise PeerError(
            f"{origin} redirected to {location[:200]!r}, not an http(s) URL with a host and port"
        ) from None
    return target


def _refused_redirect(
    method: str, status: int, url: str, location: str, target: OutgoingTarget
) -> PeerError:
    """The failure of METHOD to URL answered STATUS (301, 302, 303) with LOCATION: it names
    the status and where it leads (scheme, host, port and path, at most 200 characters; a
    query, which may carry a token, shown as ``?…``), so that an administrator can register the
    new URL."""
    try:
        parts = urlsplit(urljoin(url, location.strip()))
        port = f":{parts.port}" if parts.port else ""
        host = f"[{parts.hostname}]" if parts.hostname and ":" in parts.hostname else parts.hostname
        shown = f"{parts.scheme}://{host or ''}{port}{parts.path}" + ("?…" if parts.query else "")
    except ValueError:  # an unclosed [IPv6] bracket, a port that is not a number
        shown = "a Location that is not a URL"
    if len(shown) > 200:
        shown = shown[:199] + "…"
    return PeerError(
        f"{target.origin} answered {status} to a {method}, moving it to {shown}: "
        f"a {method} follows only a 307 or 308 redirect (update the registered URL)"
    )


def bounded_get(
    url: str,
    allowed: Iterable[str],
    *,
    headers: dict[str, str],
    deadline: float,
    read_timeout: float,
    max_body_bytes: int,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Response:
    """A GET of URL through the guard that ends within DEADLINE seconds in all (each read
    within READ_TIMEOUT) and reads at most MAX_BODY_BYTES of the answer (AnswerTooLarge); any
    other failure is a PeerError naming the host, and for a timeout which limit it hit."""
    ends = time.monotonic() + deadline
    try:
        return guarded_request(
            "GET",
            url,
            allowed,
            headers=headers,
            transport=transport or DeadlineTransport(ends),
            timeout=read_timeout,
            max_body_bytes=max_body_bytes,
            ends=ends,
        )
    except httpx.TimeoutException:
        if time.monotonic() < ends:
            raise PeerError(
                f"{urlsplit(url).netloc}: no answer within {read_timeout:g} s"
            ) from None
        raise PeerError(f"{urlsplit(url).netloc}: no whole answer within {deadline:g} s") from None
    except httpx.HTTPError as exc:
        raise PeerError(f"{urlsplit(url).netloc}: {type(exc).__name__}") from None


#: What a bounded read asks for and decodes: zlib's output can be bounded, brotli's (httpx
#: decodes it whole, 405 bytes into 256 MiB) and zstd's are refused.
_BOUNDED_ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": 15}


def _bounded(response: httpx.Response, limit: int, origin: str) -> httpx.Response:
    """RESPONSE (open, unread) with its body read, or AnswerTooLarge naming ORIGIN when the
    body is longer than LIMIT bytes once decompressed: refused unread when its Content-Length
    says so, else as soon as the bytes read pass the limit (a compressed piece is expanded
    only up to the limit). PeerError for an encoding other than gzip or deflate."""
    # the message, not the error: an error held in a local keeps this frame, and the body
    # read so far, alive until the cyclic collector runs (320 MiB traced after four tries)
    too_long = f"{origin} answered a body of more than {limit} bytes, more than this node reads"
    try:
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            raise AnswerTooLarge(too_long)
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity", *_BOUNDED_ENCODINGS):
            raise PeerError(
                f"{origin} answered a body encoded as {encoding[:40]!r}, which this node "
                "does not read (it asks for gzip or deflate)"
            )
        wbits = _BOUNDED_ENCODINGS.get(encoding)
        unpack = None if wbits is None else zlib.decompressobj(wbits)
        pieces: Iterable[bytes]
        try:
            pieces, unpack = [response.content], None  # given whole (an in-memory transport)
        except httpx.ResponseNotRead:
            pieces = response.iter_raw()
        chunks: list[bytes] = []
        size = 0
        for raw in pieces:
            data = raw
            while data:
                if unpack is None:
                    piece, data = data, b""
                else:
                    try:
                        piece = unpack.decompress(data, limit + 1 - size)
                    except zlib.error:
                        raise PeerError(
                            f"{origin} answered a body that is not {encoding}"
                        ) from None
                    data = unpack.unconsumed_tail
                size += len(piece)
                if size > limit:
                    raise AnswerTooLarge(too_long)
                chunks.append(piece)
    finally:
        response.close()
    # the body as read (decompressed): no header may ask for it to be decoded again
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code, headers=headers, content=b"".join(chunks), request=response.request
    )


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by its backend's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, backend: _DeadlineBackend) -> None:
        self._inner = inner
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._backend.left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._backend.left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, self._backend.left(timeout))
        return _DeadlineStream(inner, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, every operation bounded by one monotonic DEADLINE."""

    def __init__(self, deadline: float) -> None:
        self._sockets = httpcore.SyncBackend()
        self._deadline = deadline

    def left(self, timeout: float | None) -> float:
        """The time an operation may take: its own timeout, cut to what is left."""
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("the deadline passed")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._sockets.connect_tcp(
            host, port, self.left(timeout), local_address, socket_options
        )
        return _DeadlineStream(stream, self)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("outgoing calls go over TCP only")

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, max(self._deadline - time.monotonic(), 0.0)))


class _Body(httpx.SyncByteStream):
    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        # httpcore's errors while the body is read, as httpx's (what callers catch)
        try:
            yield from self._response.iter_stream()
        except httpcore.TimeoutException as exc:
            raise httpx.TimeoutException(str(exc)) from None
        except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise httpx.TransportError(str(exc)) from None

    def close(self) -> None:
        self._response.close()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The one TLS context of the process (httpx's defaults: certifi's CA bundle, certificates
    and host names checked). Building it reads the CA bundle, about 65 ms, which every webhook
    delivery and TAXII page paid anew; a context is safe to share between connections and
    threads, and nothing changes it once made."""
    return httpx.create_ssl_context()


class DeadlineTransport(httpx.BaseTransport):
    """An HTTP transport whose requests all end by one DEADLINE (time.monotonic()); httpx's
    own timeouts bound each read, so a peer sending a byte at a time is never cut off."""

    def __init__(self, deadline: float) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=_tls_context(), network_backend=_DeadlineBackend(deadline)
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        url = httpcore.URL(
            scheme=request.url.raw_scheme,
            host=request.url.raw_host,
            port=request.url.port,
            target=request.url.raw_path,
        )
        try:
            answer = self._pool.handle_request(
                httpcore.Request(
                    method=request.method,
                    url=url,
                    headers=request.headers.raw,
                    content=request.stream,
                    extensions=request.extensions,
                )
            )
        except httpcore.ConnectTimeout as exc:  # no connection: the next address may answer
            raise httpx.ConnectTimeout(str(exc), request=request) from None
        except httpcore.TimeoutException as exc:
            raise httpx.TimeoutException(str(exc), request=request) from None
        except httpcore.ConnectError as exc:
            raise httpx.ConnectError(str(exc), request=request) from None
        except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise httpx.TransportError(str(exc), request=request) from None
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_Body(answer),
            extensions=answer.extensions,
        )

    def close(self) -> None:
        self._pool.close()
