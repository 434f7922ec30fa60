"""The cell keys of a statistics report (`bigfish.reporting.disclosure.CellKeys`): every report
VIEWER sees in the period, keyed by a node secret, added up per cell.

The secret is the node's: `report_secret` derives it from the node key under the data directory
(an Ed25519 signature is deterministic, so the node key signing one fixed text gives the same
secret every time, and no one without the key can compute it). The same secret must serve every
report of a node: with another, the same cells get other changes, and the two reports averaged
give their exact losses more closely.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa

from bigfish.evidence.node_key import NodeKey
from bigfish.linking.views import NetworkSummary
from bigfish.reporting.disclosure import CellKeys, cell_key, record_key
from bigfish.reporting.period import Period
from bigfish.reporting.stats import in_period_for, month_of
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations, reports

#: What the node key signs to give the report's secret (another text, another secret).
_SECRET_PURPOSE = b"bigfish statistics report: record keys, version 1"


def report_secret(node_key: NodeKey) -> bytes:
    """The secret of the record keys of the node of NODE_KEY: SHA-256 of its signature of a
    fixed text (the same for every report of the node)."""
    return hashlib.sha256(bytes.fromhex(node_key.sign(_SECRET_PURPOSE))).digest()


def report_cell_keys(
    store: Store,
    viewer: Viewer,
    period: Period,
    secret: bytes,
    networks: Sequence[NetworkSummary] = (),
) -> CellKeys:
    """The cell keys of the report for VIEWER over PERIOD, its groups named as
    `compute_statistics` names them, and of NETWORKS by their reports as shown."""
    query = (
        sa.select(
            organizations.c.name,
            reports.c.report_id,
            reports.c.country,
            month_of(reports.c.reported_at, store.dialect),
            reports.c.scam_type,
            reports.c.loss_usd,
            reports.c.loss_amount,
            reports.c.loss_currency,
        )
        .join(organizations, organizations.c.id == reports.c.org_id)
        .where(in_period_for(viewer, period))
    )
    total = 0
    tables: dict[str, defaultdict[str, int]] = {
        name: defaultdict(int) for name in ("country", "month", "typology", "currency")
    }
    with store.connect() as conn:
        for org, report_id, country, month, scam_type, usd, amount, currency in conn.execute(query):
            key = record_key(secret, str(org), str(report_id))
            total += key
            tables["country"][str(country or "unknown")] += key
            tables["month"][str(month or "unknown")] += key
            tables["typology"][str(scam_type or "unknown")] += key
            if usd is None and amount is not None:
                tables["currency"][str(currency or "unknown")] += key

    def keyed(name: str) -> dict[str, int]:
        return {group: cell_key([k]) for group, k in tables[name].items()}

    return CellKeys(
        total=cell_key([total]),
        by_country=keyed("country"),
        by_month=keyed("month"),
        by_typology=keyed("typology"),
        currencies=keyed("currency"),
        networks={
            n.id: cell_key(record_key(secret, ref.org, ref.report_id) for ref in n.reports)
            for n in networks
        },
    )
