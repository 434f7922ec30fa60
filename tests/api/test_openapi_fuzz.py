"""Schemathesis over the OpenAPI document with valid keys of two organizations: no 500 and no
answer that violates the documented schema, for every operation of the API's own routers."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bigfish.api import create_app
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
    )

OWN_TAGS = {"health", "reports", "lookup", "match", "alerts", "admin", "networks", "classify"}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def seeded(store: Store) -> Iterator[Partnership]:
    for p in build_partnership(store):
        p.submit("A", [report("r1"), report("r2", phone="+84912345678", country="VN")])
        p.submit("B", [report("b1")], distribution="partnership", tlp="green")
        yield p


def test_openapi_operations_never_fail_or_break_their_schema(seeded: Partnership) -> None:
    app = create_app(seeded.store)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert OWN_TAGS <= {t for o in operations for t in o.definition.raw.get("tags", [])}
    assert len(operations) >= 20
    keys = [seeded.keys["A-admin"], seeded.keys["B"]]

    for operation in operations:

        @settings(
            max_examples=6,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), who=st.sampled_from(keys))
        def run(case: schemathesis.Case, who: str) -> None:
            headers = {"Authorization": f"Bearer {who}"}
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        run()
