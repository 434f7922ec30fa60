"""JSON bodies read strictly: a key given twice in one object is refused (400 naming the key),
never resolved silently to its last value (`{"tlp": "red", "tlp": "clear"}` would otherwise
widen a marking), and numbers with a fraction are read as exact decimals (a loss amount of
12345678901234567.89 is not rounded through a float). Every router of the API uses
`StrictJsonRoute`; the TAXII POST reads its envelope with `loads`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from bigfish.intake.readers import RepeatedKey, unique_keys


class DuplicateKey(HTTPException):
    """A JSON object of the body gives KEY more than once (400, the key as the field)."""

    def __init__(self, key: str) -> None:
        super().__init__(400, f"the JSON body gives the key {key!r} more than once in one object")
        self.details = {"field": key}


def loads(body: bytes | str) -> Any:
    """BODY as JSON, strictly (see the module); json.JSONDecodeError or UnicodeDecodeError when
    it is not JSON, DuplicateKey when an object repeats a key."""
    try:
        return json.loads(body, object_pairs_hook=unique_keys, parse_float=Decimal)
    except RepeatedKey as exc:
        raise DuplicateKey(exc.key) from None


class _StrictRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """A route whose JSON body is read by `loads`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(_StrictRequest(request.scope, request.receive))

        return strict
