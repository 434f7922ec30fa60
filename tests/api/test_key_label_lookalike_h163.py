"""API key labels were unchecked (README's known limitations): an admin could give a new key the
label `ci-runner`, `CI-RUNNER` or `ci-runner` with a Cyrillic `с` beside a live key labelled
ci-runner, and `bigfish key list` showed two keys alike; the label is how an admin tells which
one to revoke. Now a label that would show like another live key's label of the organization
(`looks_alike`, the same label included) is refused, field label, naming that key's label and id;
another organization's labels and revoked keys' labels do not count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.accounts import create_key, list_keys, revoke_key
from bigfish.cli import app
from bigfish.errors import InputError
from bigfish.models import ApiRole
from bigfish.organizations import add_org
from bigfish.store import open_store
from tests.api.helpers import Partnership

LIKE_CI_RUNNER = ["ci-runner", "CI-RUNNER", "\u0441i-runner", "ci-runn\u00e9r", "c\u0456-runner"]


def _post(p: Partnership, label: str, by: str = "A-admin") -> tuple[int, dict[str, object]]:
    answer = p.client.post("/api/v1/keys", json={"label": label}, headers=p.headers(by))
    return answer.status_code, answer.json()


@pytest.mark.parametrize("label", LIKE_CI_RUNNER)
def test_a_label_like_a_live_keys_label_is_refused(partnership: Partnership, label: str) -> None:
    p = partnership
    status, made = _post(p, "ci-runner")
    assert status == 201, made
    before = len(list_keys(p.store, None))
    status, answer = _post(p, label)
    assert status == 422, answer
    error = answer["error"]
    assert isinstance(error, dict) and error["details"] == {"field": "label"}
    assert f"key label {label!r} would show like the label 'ci-runner' of live key " in str(
        error["message"]
    )
    assert str(made["id"]) in str(error["message"])
    assert len(list_keys(p.store, None)) == before


def test_labels_of_other_organizations_and_revoked_keys_do_not_count(
    partnership: Partnership,
) -> None:
    p = partnership
    status, made = _post(p, "ci-runner")
    assert status == 201
    assert _post(p, "ci-runner-2")[0] == 201
    assert _post(p, "CI-RUNNER", by="B-admin")[0] == 201  # B's keys, B's list
    revoke_key(p.store, int(str(made["id"])))
    assert _post(p, "CI-Runner")[0] == 201
    with pytest.raises(InputError) as raised:
        create_key(p.store, org="A", role=ApiRole.ANALYST, label="ci-runner")
    assert raised.value.field == "label" and "'CI-Runner'" in raised.value.message
    labels = sorted(str(k.label) for k in list_keys(p.store, None) if k.label)
    assert labels == ["CI-RUNNER", "CI-Runner", "ci-runner", "ci-runner-2"]


def test_key_create_refuses_a_label_like_a_live_keys_label(tmp_path: Path) -> None:
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'node.db'}"
    store = open_store(url)
    add_org(store, "C", country="KH")
    store.close()
    options = ["--db", url, "--data-dir", str(tmp_path / "data"), "key", "create", "--org", "C"]
    first = runner.invoke(app, [*options, "--label", "bank", "--json"])
    assert first.exit_code == 0, first.output
    refused = runner.invoke(app, [*options, "--label", "B\u00e1nk"])
    assert refused.exit_code == 1, refused.output
    key_id = json.loads(first.stdout)["id"]
    assert "'bank'" in refused.stderr and f"live key {key_id}" in refused.stderr
    assert "bf_" not in refused.stdout


def test_an_organization_admin_neither_meets_nor_learns_platform_keys_labels(
    partnership: Partnership,
) -> None:
    """A's admin never lists the platform keys of A, so their labels neither refuse its label
    nor show in its errors; a platform admin, who lists them, is refused."""
    p = partnership
    platform = {"label": "ops-root", "platform": True, "role": "admin"}
    made = p.client.post("/api/v1/keys", json=platform, headers=p.headers("root"))
    assert made.status_code == 201, made.text
    assert _post(p, "OPS-ROOT")[0] == 201
    status, answer = _post(p, "ops-r00t", by="root")
    assert status == 422, answer
    assert "'ops-root'" in str(answer["error"]) or "'OPS-ROOT'" in str(answer["error"])
