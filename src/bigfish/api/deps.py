"""Authentication and the declared access policy of every route.

Every route declares who may call it with ``Depends(requires(Access.X))``; the dependency
authenticates the caller (``Authorization: Bearer <key>``, or HTTP Basic with the key as the
password, which TAXII clients send), checks the role, refuses unknown query parameters (and on
the API one given twice: 400), applies the per-key rate limit (429) and tells the audit log
who is asking. A test walks every registered route and fails when one lacks such a
declaration (`route_access`).

Roles: ``readonly`` reads; ``analyst`` reads and submits; ``admin`` also manages its own
organization's keys, users, groups and webhooks; ``sync`` (a federated peer) may call only the
routes declared ``Access.SYNC``.
"""

from __future__ import annotations

import base64
import binascii
import math
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from starlette.routing import BaseRoute

from bigfish.accounts import Principal, authenticate_key
from bigfish.api.errors import ApiError
from bigfish.models import ApiRole
from bigfish.sharing.policy import Viewer
from bigfish.store import Store


class Access(StrEnum):
    """Who may call a route."""

    PUBLIC = "public"  # nobody needs a key (health, the public check)
    READ = "read"  # readonly, analyst, admin
    WRITE = "write"  # analyst, admin
    ADMIN = "admin"  # an organization's admin (a platform admin included)
    PLATFORM = "platform"  # a platform admin only
    SYNC = "sync"  # TAXII and sync: a peer's sync key, and every reading role


_ROLES: dict[Access, frozenset[ApiRole]] = {
    Access.READ: frozenset({ApiRole.READONLY, ApiRole.ANALYST, ApiRole.ADMIN}),
    Access.WRITE: frozenset({ApiRole.ANALYST, ApiRole.ADMIN}),
    Access.ADMIN: frozenset({ApiRole.ADMIN}),
    Access.PLATFORM: frozenset({ApiRole.ADMIN}),
    Access.SYNC: frozenset(ApiRole),
}

AUDIT_SCOPE_KEY = "bigfish.audit"


@dataclass
class AuditContext:
    """Who a request was, filled in by the access dependency and read by the audit middleware."""

    actor: str = "anonymous"
    org: str | None = None


class RateLimiter:
    """A token bucket per credential, in this process's memory (each worker has its own).

    Buckets that have filled up again are dropped whenever MAX_BUCKETS are held (a full bucket
    is what an absent one means), and the earliest of the others beyond half of MAX_BUCKETS:
    the public check keys its buckets by the caller's address, and every address of an IPv6
    network would otherwise have added one for good."""

    MAX_BUCKETS = 100_000

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _drop_full(self, now: float) -> None:
        kept = {
            who: (tokens, last)
            for who, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self.rate < self.burst
        }
        if len(kept) > self.MAX_BUCKETS // 2:  # so many busy callers: forget the earliest
            kept = dict(list(kept.items())[len(kept) - self.MAX_BUCKETS // 2 :])
        self._buckets = kept

    def retry_after(self, who: str) -> int:
        """0 when WHO may go ahead (a token is taken), else the seconds to wait."""
        if self.rate <= 0:
            return 0
        now = time.monotonic()
        with self._lock:
            if len(self._buckets) >= self.MAX_BUCKETS and who not in self._buckets:
                self._drop_full(now)
            tokens, last = self._buckets.get(who, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[who] = (tokens - 1.0, now)
                return 0
            self._buckets[who] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))


def _credential(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip() or None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


def _unauthorized(message: str) -> ApiError:
    return ApiError(
        401, message, headers={"WWW-Authenticate": 'Bearer realm="bigfish", Basic realm="bigfish"'}
    )


def authenticate(request: Request) -> Principal:
    """The principal of the request's key, or 401."""
    secret = _credential(request)
    if secret is None:
        raise _unauthorized("an API key is required: Authorization: Bearer <key>")
    store: Store = request.app.state.store
    with store.connect() as conn:
        principal = authenticate_key(conn, secret)
    if principal is None:
        raise _unauthorized("the API key is unknown or revoked")
    return principal


def _allowed_query(route: Any) -> frozenset[str] | None:
    dependant: Dependant | None = getattr(route, "dependant", None)
    if dependant is None:
        return None
    cached: frozenset[str] | None = getattr(route, "_bigfish_query", None)
    if cached is None:
        names: set[str] = set()
        stack = [dependant]
        while stack:
            dep = stack.pop()
            names.update(p.alias for p in dep.query_params)
            stack.extend(dep.dependencies)
        cached = frozenset(names)
        route._bigfish_query = cached
    return cached


def _check_query(request: Request) -> None:
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:  # no database stores a NUL in text
            raise ApiError(
                400, f"query parameter {name!r} contains a NUL character", details={"field": name}
            )
    if "\x00" in request.url.path:
        raise ApiError(400, "the path contains a NUL character")
    allowed = _allowed_query(request.scope.get("route"))
    if allowed is None:
        return
    unknown = sorted(set(request.query_params.keys()) - allowed)
    if unknown:
        raise ApiError(
            400,
            f"unknown query parameter {unknown[0]!r}",
            details={"field": unknown[0], "allowed": sorted(allowed)},
        )
    if request.url.path.startswith("/api/"):
        # Read as its last value, `?org=A&org=B` listed B's reports only: refused, as a JSON
        # key given twice is (no API route takes a list in its query).
        once_each(request)


def once_each(request: Request) -> None:
    """Refuse a query parameter given twice, 400 naming it (the API's routes and TAXII's)."""
    counts = Counter(name for name, _ in request.query_params.multi_items())
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        raise ApiError(
            400,
            f"query parameter {repeated[0]!r} is given more than once",
            details={"field": repeated[0]},
        )


def may_call(principal: Principal, level: Access) -> bool:
    """Whether PRINCIPAL's role may call a route declared LEVEL (not PUBLIC)."""
    return principal.role in _ROLES[level] and (level is not Access.PLATFORM or principal.platform)


def take_rate_token(request: Request, principal: Principal) -> None:
    """Take one of PRINCIPAL's rate-limit tokens, or raise 429 with Retry-After."""
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        wait = limiter.retry_after(principal.actor)
        if wait:
            raise ApiError(
                429,
                "too many requests for this key",
                headers={"Retry-After": str(wait)},
            )


def tell_audit(request: Request, principal: Principal) -> None:
    """Name PRINCIPAL in the request's audit record."""
    context = request.scope.get(AUDIT_SCOPE_KEY)
    if isinstance(context, AuditContext):
        context.actor, context.org = principal.actor, principal.org_name


#: Where `admit` leaves (level, principal) of a request it let in, for the route's dependency.
_ADMITTED_SCOPE_KEY = "bigfish.admitted"


def _enforce(request: Request, level: Access) -> Principal | None:
    _check_query(request)
    if level is Access.PUBLIC:
        return None
    principal = authenticate(request)
    tell_audit(request, principal)
    if not may_call(principal, level):
        raise ApiError(403, f"this needs the {level.value} access level")
    take_rate_token(request, principal)
    return principal


def admit(request: Request, level: Access) -> None:
    """Enforce LEVEL on REQUEST as its route's dependency would (400, 401, 403, 429) before the
    route reads the body: FastAPI reads and parses a JSON body before it runs the dependencies,
    which let a caller without a key have 32 MB parsed on the event loop and told it what was
    wrong with its JSON. The dependency then takes the caller found here (one key lookup and
    one rate-limit token a request, as before)."""
    request.scope[_ADMITTED_SCOPE_KEY] = (level, _enforce(request, level))


def requires(level: Access) -> Callable[[Request], Awaitable[Principal | None]]:
    """The dependency that declares and enforces LEVEL; it returns the caller (None if public).

    It runs on the event loop: the key lookup is one indexed read, cheaper than a hop to the
    thread pool and back."""

    async def dependency(request: Request) -> Principal | None:
        admitted = request.scope.get(_ADMITTED_SCOPE_KEY)
        if admitted is not None and admitted[0] is level:
            principal: Principal | None = admitted[1]
            return principal
        return _enforce(request, level)

    dependency.bigfish_access = level  # type: ignore[attr-defined]
    dependency.__name__ = f"requires_{level.value}"
    return dependency


def hand_off_reports(request: Request, report_pks: Sequence[int]) -> None:
    """Hand the reports a request wrote (REPORT_PKS, their keys) to the app's webhook dispatcher
    (`app.state.on_reports`, when there is one), which delivers their alerts off the request
    path; nothing when none was written."""
    notify: Callable[[Sequence[int]], object] | None = getattr(
        request.app.state, "on_reports", None
    )
    if notify is not None and report_pks:
        notify(report_pks)


def viewer_of(principal: Principal) -> Viewer:
    """The policy viewer of PRINCIPAL."""
    return principal.viewer()


def route_access(route: BaseRoute | Any) -> Access | None:
    """The access level ROUTE declares, or None when it declares none."""
    dependant: Dependant | None = getattr(route, "dependant", None)
    declared = getattr(route, "bigfish_access", None)
    if isinstance(declared, Access):
        return declared
    if dependant is None:
        return None
    stack = [dependant]
    while stack:
        dep = stack.pop()
        level = getattr(dep.call, "bigfish_access", None)
        if isinstance(level, Access):
            return level
        stack.extend(dep.dependencies)
    return None


#: Items a page of a list holds unless the caller asks for fewer or more (`limit`).
PAGE = 100
