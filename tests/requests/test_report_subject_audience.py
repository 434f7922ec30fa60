"""A request names a report (ORG/REPORT_ID) only to an organization that may see it, unless the
requester owns the report. A group member could name another organization's group-only report
in a request to an organization outside the group, which then learned that the report exists,
who filed it and its id: the sharing policy's audience was widened by a request."""

from __future__ import annotations

from pathlib import Path

import pytest

from bigfish.cooperation.model import Subject, SubjectKind
from bigfish.cooperation.service import acting_as, create_request, list_requests
from bigfish.errors import InputError
from bigfish.models import TLP, Distribution, Marking
from bigfish.organizations import add_group, add_org
from bigfish.store import Store
from tests.linking.conftest import jsonl_ingest, report
from tests.requests.test_requests import _draft


def test_a_report_is_named_only_to_an_organization_that_may_see_it(
    store: Store, tmp_path: Path
) -> None:
    for name, cc in (("TH-AOC", "TH"), ("KH-NPA", "KH"), ("PH-CICC", "PH")):
        add_org(store, name, country=cc)
    add_group(store, "mekong", owner="TH-AOC", members=["KH-NPA"])
    ingest = jsonl_ingest(tmp_path)
    grouped = Marking(TLP.AMBER, Distribution.GROUP, "mekong")
    ingest(store, "TH-AOC", [report("R-1", ("phone", "+66812345678"))], grouped)
    ingest(store, "KH-NPA", [report("K-1", ("phone", "+85512345678"))], grouped)
    kh = acting_as(store, "KH-NPA")
    named = (Subject(SubjectKind.REPORT, "TH-AOC/R-1"),)

    # KH-NPA sees TH-AOC's report through the group; PH-CICC is outside it.
    with pytest.raises(InputError) as refused:
        create_request(store, kh, _draft(to_org="PH-CICC", subjects=named), send=True)
    assert refused.value.field == "subjects[0]"
    assert "PH-CICC" in refused.value.message and "TH-AOC/R-1" in refused.value.message
    assert list_requests(store, kh, "outbox") == []
    assert list_requests(store, acting_as(store, "PH-CICC"), "inbox") == []

    # Within the group, and the owner about its own report, a report is named as before.
    th = acting_as(store, "TH-AOC")
    kh_named = (Subject(SubjectKind.REPORT, "KH-NPA/K-1"),)
    assert create_request(store, th, _draft(subjects=kh_named)).subjects == kh_named
    own = (Subject(SubjectKind.REPORT, "KH-NPA/K-1"),)
    sent = create_request(store, kh, _draft(to_org="PH-CICC", subjects=own), send=True)
    assert sent.subjects == own
    shared = _draft(to_org="TH-AOC", subjects=named)
    assert create_request(store, kh, shared).subjects == named
