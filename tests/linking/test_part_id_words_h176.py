"""`bigfish network PART_ID` at the console (the operator sees every network whole) printed
"(network 7 was merged into network 5)" for a viewer's part id: the id was never merged, it
names a group of the network that a viewer who cannot see all of it is shown apart. A merged
id keeps its words."""

from __future__ import annotations

from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.linking import get_network
from bigfish.store import Store
from tests.linking.conftest import Ingest
from tests.linking.test_part_ids_h136 import OP, _glued


def test_the_console_names_a_part_id_as_a_part_not_a_merge(
    store: Store, store_url: str, ingest: Ingest
) -> None:
    _, whole, part = _glued(store, ingest)
    detail = get_network(store, OP, part)
    assert detail.summary.id == whole and detail.redirected_from == part
    shown = CliRunner().invoke(app, ["--db", store_url, "network", str(part)])
    assert shown.exit_code == 0, shown.output
    assert "was merged into" not in shown.output, shown.output
    assert (
        f"(network {part} is the id of a part of network {whole}: a viewer that cannot see "
        "all of it is shown that part under it)"
    ) in shown.output, shown.output
    assert (
        "redirected_from"
        in CliRunner().invoke(app, ["--db", store_url, "network", str(part), "--json"]).output
    )
