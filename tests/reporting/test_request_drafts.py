"""The statistics count a cooperation request for its recipient only once it was sent: a draft
is its requester's alone (a recipient gets 404 for it everywhere else)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bigfish.cooperation.model import (
    RequestDraft,
    RequestStatus,
    RequestType,
    Subject,
    SubjectKind,
    Urgency,
)
from bigfish.cooperation.service import acting_as, create_request, transition
from bigfish.organizations import add_org
from bigfish.reporting import compute_statistics
from bigfish.store import Store


def _draft(deadline: datetime | None = None) -> RequestDraft:
    """A preservation request to KH-NPA, due in three days unless DEADLINE says when."""
    return RequestDraft(
        to_org="KH-NPA",
        request_type=RequestType.PRESERVATION,
        legal_basis="budapest-29",
        summary="Preserve subscriber and IP logs of this number",
        subjects=(Subject(SubjectKind.IDENTIFIER, "+855 12 345 678", "phone"),),
        urgency=Urgency.URGENT,
        deadline=deadline or datetime.now(UTC) + timedelta(days=3),
        created_by="Somchai",
    )


def test_a_draft_is_counted_for_its_requester_not_its_recipient(store: Store) -> None:
    for name, cc in (("TH-AOC", "TH"), ("KH-NPA", "KH")):
        add_org(store, name, country=cc)
    th, kh = acting_as(store, "TH-AOC"), acting_as(store, "KH-NPA")
    draft = create_request(store, th, _draft())
    assert compute_statistics(store, th).requests_by_status == (("draft", 1),)
    assert compute_statistics(store, kh).requests_by_status == ()
    transition(store, th, draft.request_id, RequestStatus.SENT, None, actor="Somchai")
    assert compute_statistics(store, kh).requests_by_status == (("sent", 1),)
