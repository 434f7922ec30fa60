"""JSON bodies read strictly: a key given twice in one object is refused (400 naming the key),
never resolved silently to its last value (`{"tlp": "red", "tlp": "clear"}` would otherwise
widen a marking), and numbers with a fraction are read as exact decimals (a loss amount of
12345678901234567.89 is not rounded through a float). Every router of the API uses
`StrictJsonRoute`; the TAXII POST reads its envelope with `loads`. A body nested deeper than
Python's parser goes, or holding an integer of more than 4300 digits, is a 400 that says so.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from bigfish.api.deps import admit, route_access
from bigfish.intake.readers import RepeatedKey, unique_keys


class DuplicateKey(HTTPException):
    """A JSON object of the body gives KEY more than once (400, the key as the field)."""

    def __init__(self, key: str) -> None:
        super().__init__(400, f"the JSON body gives the key {key!r} more than once in one object")
        self.details = {"field": key}


class UnreadableJson(HTTPException):
    """JSON this node will not read: nested deeper than Python's parser goes, or an integer of
    more digits than Python converts (400; both escaped as a 500 or as "not UTF-8")."""

    def __init__(self, why: str) -> None:
        super().__init__(400, f"the JSON body {why}")
        self.details = {"field": "body"}


def loads(body: bytes | str) -> Any:
    """BODY as JSON, strictly (see the module); json.JSONDecodeError or UnicodeDecodeError when
    it is not JSON, DuplicateKey when an object repeats a key, UnreadableJson when it is
    nested too deep or holds an integer of more than 4300 digits."""
    try:
        return json.loads(body, object_pairs_hook=unique_keys, parse_float=Decimal)
    except RepeatedKey as exc:
        raise DuplicateKey(exc.key) from None
    except RecursionError:
        raise UnreadableJson("is nested too deep (arrays or objects within each other)") from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # int(): "Exceeds the limit (4300 digits) for integer string …"
        if "digits" not in str(exc):
            raise
        raise UnreadableJson(
            f"holds an integer of more than {sys.get_int_max_str_digits()} digits"
        ) from None


class _StrictRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """A route whose JSON body is read by `loads`, and only once the caller's key, role and
    rate limit let it in (`bigfish.api.deps.admit`): nothing of a body is read for a caller
    the route would refuse."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        level = route_access(self)  # the route's own dependencies are known by now

        async def strict(request: Request) -> Response:
            if level is not None:
                admit(request, level)
            return await handler(_StrictRequest(request.scope, request.receive))

        return strict
