"""A subject the other node of a request would refuse is refused where the request is made.

A phishing link of 2,001 to 4,096 characters is a valid URL here, so a request naming it was
stored and sent; but the other node takes a subject's value of at most 2,000 characters
(`bigfish.cooperation.wire`), so it refused the whole request on every pull and the recipient
never saw it, while the requester's node showed it as sent. A link of a few hundred Thai
characters grows past 2,000 once percent-encoded, so the API's bound on what is typed does not
keep it out."""

from __future__ import annotations

import dataclasses

import pytest

from bigfish.cooperation.model import Subject, SubjectKind
from bigfish.cooperation.service import acting_as, create_request, list_requests
from bigfish.errors import InputError
from bigfish.store import Store
from tests.requests.test_federation import _freeze, _requests, receive, served

_PAGE = "https://login-bank.example/verify?session=" + "a" * 2000  # a valid URL


def test_a_subject_longer_than_the_other_node_takes_is_refused_naming_it(
    nodes: tuple[Store, Store],
) -> None:
    th, vn = nodes
    aoc = acting_as(th, "TH-AOC")
    subjects = (
        Subject(SubjectKind.IDENTIFIER, "BFTVVNVX:0071000123456", "bank_account"),
        Subject(SubjectKind.IDENTIFIER, _PAGE, "url"),
    )
    with pytest.raises(InputError) as refused:
        create_request(th, aoc, dataclasses.replace(_freeze(), subjects=subjects), send=True)
    assert refused.value.field == "subjects[1]"
    assert "2000" in refused.value.message
    # 321 characters as typed (the API takes 2,000), 2,713 once percent-encoded
    thai = Subject(SubjectKind.IDENTIFIER, "https://scam.example/" + "\u0e01" * 300, "url")
    with pytest.raises(InputError) as refused:
        create_request(th, aoc, dataclasses.replace(_freeze(), subjects=(thai,)), send=True)
    assert refused.value.field == "subjects[0]"
    assert list_requests(th, aoc, "outbox") == []
    # what it accepts, the other node accepts too
    shorter = (Subject(SubjectKind.IDENTIFIER, _PAGE[:2000], "url"),)
    sent = create_request(th, aoc, dataclasses.replace(_freeze(), subjects=shorter), send=True)
    assert len(sent.subjects[0].value) <= 2000
    outcome = receive(vn, _requests(served(th, "VN-BANK")))
    assert (outcome.rejected, outcome.rejections) == (0, ())
    bank = acting_as(vn, "VN-BANK")
    assert [r.request_id for r in list_requests(vn, bank, "inbox")] == [sent.request_id]
