"""A node key that other users may read is refused, as ssh refuses one: whoever can read it
signs custody records as the node. The message names the file and the fix, never the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bigfish.errors import ConfigError
from bigfish.evidence.node_key import KEY_PATH, load_node_key, load_or_create_node_key


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_node_key_other_users_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    key = load_or_create_node_key(tmp_path)
    path = tmp_path / KEY_PATH
    path.chmod(mode)
    for load in (load_node_key, load_or_create_node_key):
        with pytest.raises(ConfigError) as refused:
            load(tmp_path)
        message = str(refused.value)
        assert str(path) in message and f"{mode:04o}" in message and "chmod 600" in message
        assert "PRIVATE KEY" not in message and key.fingerprint not in message


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_node_key_only_its_owner_can_read_is_used(tmp_path: Path, mode: int) -> None:
    key = load_or_create_node_key(tmp_path)
    (tmp_path / KEY_PATH).chmod(mode)
    assert load_node_key(tmp_path).fingerprint == key.fingerprint
