"""An acquisition time up to a day ahead of the node's clock is taken (the acquiring side's clock
and time zone); one further ahead is refused saying so, not merely 'in the future', which a time
20 hours ahead also is."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from bigfish.errors import InputError
from bigfish.evidence.model import Acquisition
from bigfish.evidence.service import add_evidence
from tests.evidence.conftest import Node


def _add(node: Node, content: bytes, at: datetime) -> None:
    add_evidence(
        node.store,
        node.data_dir,
        node.a,
        io.BytesIO(content),
        org="TH-AOC",
        report_id="R-1",
        acquisition=Acquisition(
            acquired_by="Somchai", source="victim's phone", method="copy", acquired_at=at
        ),
    )


def test_a_time_more_than_a_day_ahead_is_refused_naming_the_limit(node: Node) -> None:
    _add(node, b"twenty hours ahead", datetime.now(UTC) + timedelta(hours=20))
    with pytest.raises(InputError) as refused:
        _add(node, b"two days ahead", datetime.now(UTC) + timedelta(days=2))
    assert refused.value.field == "acquired_at"
    assert "more than a day ahead of this node's clock" in str(refused.value)
