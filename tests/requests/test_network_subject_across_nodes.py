"""A network's id is this node's own: a request to an organization another node hosts cannot
name one. It travelled as sent ("network 3"), and the recipient's node showed it as a link to
its own network 3, some other network or none, so a bank could act on the wrong accounts. Such
a request names the network's identifiers or reports instead; within the node it names the
network as before."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bigfish.cooperation.model import Subject, SubjectKind
from bigfish.cooperation.service import acting_as, create_request, list_requests
from bigfish.errors import InputError
from bigfish.linking import list_networks
from bigfish.linking.service import rebuild_networks
from bigfish.organizations import add_org
from bigfish.store import Store
from tests.linking.conftest import jsonl_ingest, report
from tests.requests.test_federation import _freeze, _requests, served


def test_a_network_is_named_only_to_an_organization_of_this_node(
    nodes: tuple[Store, Store], tmp_path: Path
) -> None:
    th, _ = nodes
    add_org(th, "TH-DSI", country="TH")  # lives on this node, as TH-AOC does
    ring = [
        report(f"r{i}", ("phone", "+66899999999"), ("phone", f"+6681111111{i}")) for i in (1, 2)
    ]
    jsonl_ingest(tmp_path)(th, "TH-AOC", ring)
    rebuild_networks(th)
    aoc = acting_as(th, "TH-AOC")
    network = str(list_networks(th, aoc).networks[0].id)
    subjects = (
        Subject(SubjectKind.IDENTIFIER, "+66899999999", "phone"),
        Subject(SubjectKind.NETWORK, network),
    )
    with pytest.raises(InputError) as refused:  # VN-BANK lives on the peer
        create_request(th, aoc, dataclasses.replace(_freeze(), subjects=subjects), send=True)
    assert refused.value.field == "subjects[1]"
    assert "identifiers or reports" in refused.value.message
    assert list_requests(th, aoc, "outbox") == [] and _requests(served(th, "VN-BANK")) == []
    local = dataclasses.replace(_freeze(), to_org="TH-DSI", subjects=subjects)
    sent = create_request(th, aoc, local, send=True)
    assert sent.subjects[1] == Subject(SubjectKind.NETWORK, network)
