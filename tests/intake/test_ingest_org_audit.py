"""An organization `ingest_file` creates on its way (`--org` naming one the node does not have)
is in the audit log, its row committed with it: actor `console:<OS user>`, action `org add by
ingest`, target `ORG from FILE`, status 201. One row per organization created, none per report
or per later file of the same organization; a refused file creates neither the organization
nor its row; the chain verifies, with the node key's signature once heads are signed."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from bigfish.audit import ALERT_ACTION, ConsoleAudit, HeadSigner, verify_audit
from bigfish.errors import InputError
from bigfish.evidence.node_key import load_or_create_node_key
from bigfish.intake.service import ingest_file
from bigfish.models import Distribution, Marking
from bigfish.organizations import NewOrgs, add_group, add_org, list_orgs
from bigfish.store import Store
from tests.api.helpers import audit_rows

ME = f"console:{getpass.getuser()}"


def _csv(path: Path, count: int) -> Path:
    lines = ["report_id,reported_at,country,phones"]
    lines += [f"R-{i},2025-11-02T10:00:00Z,TH,+66812345{i:03d}" for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_organization_ingest_creates_has_one_audit_row_however_many_reports(
    store: Store, tmp_path: Path
) -> None:
    audit = ConsoleAudit(store, None)
    first = _csv(tmp_path / "th-new.csv", 250)
    result = ingest_file(store, first, org="TH-NEW", batch_size=100, audit=audit)
    assert result.stored == 250
    again = _csv(tmp_path / "more.csv", 30)
    ingest_file(store, again, org="TH-NEW", audit=audit)  # held now: no second row
    assert audit_rows(store) == [(ME, "TH-NEW", "org add by ingest", f"TH-NEW from {first}", 201)]
    assert verify_audit(store).ok


def test_an_organization_the_node_has_gets_no_row(store: Store, tmp_path: Path) -> None:
    add_org(store, "TH-AOC", country="TH")
    ingest_file(store, _csv(tmp_path / "a.csv", 3), org="TH-AOC", audit=ConsoleAudit(store, None))
    assert audit_rows(store) == []


def test_a_refused_file_creates_neither_the_organization_nor_its_row(
    store: Store, tmp_path: Path
) -> None:
    add_org(store, "TH-AOC", country="TH")
    add_group(store, "mekong", owner="TH-AOC", members=[])
    marking = Marking(distribution=Distribution.GROUP, group="mekong")
    with pytest.raises(InputError, match="not a member"):
        ingest_file(
            store,
            _csv(tmp_path / "a.csv", 3),
            org="VN-NEW",
            marking=marking,
            audit=ConsoleAudit(store, None),
        )
    assert [o.name for o in list_orgs(store)] == ["TH-AOC"]
    assert audit_rows(store) == []


def test_an_organization_a_manifest_adds_is_recorded_with_it_and_a_refused_one_not(
    store: Store,
) -> None:
    """`ingest --manifest` adds the organizations it names with their country (`add_org`)."""
    created = NewOrgs(ConsoleAudit(store, None), "org add by ingest", "partnership.json")
    add_org(store, "KH-NEW", country="KH", audit=created)
    with pytest.raises(InputError, match="would show like"):
        add_org(store, "kh-new", country="KH", audit=created)
    with pytest.raises(InputError, match="already exists"):
        add_org(store, "KH-NEW", country="KH", audit=created)
    assert audit_rows(store) == [
        (ME, "KH-NEW", "org add by ingest", "KH-NEW from partnership.json", 201)
    ]
    assert verify_audit(store).ok


def test_the_row_is_signed_as_the_console_signs_once_heads_are_signed(
    store: Store, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    signer = HeadSigner(load_or_create_node_key(data), data)
    audit = ConsoleAudit(store, signer)
    audit.done("TH-AOC", "org add", "TH-AOC", 201)  # heads signed from here on
    ingest_file(store, _csv(tmp_path / "kh.csv", 5), org="KH-NEW", audit=audit)
    check = verify_audit(store, signer)
    assert check.ok and check.signature_checked, check.reason
    # the node key's marks say the head was signed at the new row (a cut back to row 1 shows)
    assert (check.head_seq, signer.for_chain(check.chain_id, None).signed_up_to()) == (2, 2)
    audit.done("KH-NEW", "key create", "1", 201)  # the next row finds the head it expects
    actions = [row[2] for row in audit_rows(store)]
    assert actions == ["org add", "org add by ingest", "key create"]
    assert ALERT_ACTION not in actions
    assert verify_audit(store, signer).signature_checked
