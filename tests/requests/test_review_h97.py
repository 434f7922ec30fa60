"""Review of cooperation requests (helper 97): a peer's malformed event or subject is refused
naming which one (``history[2].note``, ``subjects[0].kind``), not a bare ``note`` that says
nothing of where in a request of up to 1,000 events it is."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from bigfish.cooperation.wire import parse_request
from bigfish.errors import InputError
from tests.interop.test_sync_hostile import _request as hostile_request


def _request() -> dict[str, Any]:
    """A cooperation request object as a peer serves it: sent, then acknowledged."""
    obj = hostile_request("2025-11-01T00:00:00Z")
    obj["history"].append(
        {
            "event_id": "e3",
            "at": "2025-11-01T00:00:02Z",
            "org": "HOME-ORG",
            "actor": "clerk",
            "from_status": "sent",
            "to_status": "acknowledged",
            "note": "on it",
        }
    )
    return obj


def _set(path: tuple[Any, ...], value: object) -> Callable[[dict[str, Any]], None]:
    def change(obj: dict[str, Any]) -> None:
        target: Any = obj
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_set(("history", 2, "note"), 5), "history[2].note"),
        (_set(("history", 2, "note"), "a\x00b"), "history[2].note"),
        (_set(("history", 2, "note"), "x" * 5001), "history[2].note"),
        (_set(("history", 1, "at"), "yesterday"), "history[1].at"),
        (_set(("history", 1, "at"), "2025-11-01T00:00:01"), "history[1].at"),
        (_set(("history", 1, "at"), "9999-12-31T23:59:59-01:00"), "history[1].at"),
        (_set(("history", 2, "actor"), " "), "history[2].actor"),
        (_set(("history", 2, "actor"), ["clerk"]), "history[2].actor"),
        (_set(("history", 1, "event_id"), 7), "history[1].event_id"),
        (_set(("history", 1, "org"), None), "history[1].org"),
        (_set(("history", 2, "event_id"), "e1"), "history[2].event_id"),
        (_set(("subjects", 0), "+66812345678"), "subjects[0]"),
        (_set(("subjects", 0, "kind"), "phone"), "subjects[0].kind"),
        (_set(("subjects", 0, "value"), ""), "subjects[0].value"),
        (_set(("subjects", 0, "identifier_kind"), "ph\x00ne"), "subjects[0].identifier_kind"),
        (_set(("from_org",), "PEER ORG"), "from_org"),
        (_set(("to_org",), "../x"), "to_org"),
    ],
)
def test_a_malformed_event_or_subject_is_named_by_its_place(
    change: Callable[[dict[str, Any]], None], field: str
) -> None:
    obj = copy.deepcopy(_request())
    change(obj)
    with pytest.raises(InputError) as caught:
        parse_request(obj)
    assert caught.value.field == field, caught.value
    assert str(caught.value).startswith(f"field {field!r}: "), caught.value


def test_a_repeated_event_id_names_both_events() -> None:
    obj = _request()
    obj["history"][2]["event_id"] = "e1"
    with pytest.raises(InputError, match=r"history\[0\] has the same id"):
        parse_request(obj)


def test_the_request_as_served_is_read() -> None:
    request = parse_request(_request())
    assert [e.event_id for e in request.events] == ["e1", "e2", "e3"]
    assert request.events[2].note == "on it"
