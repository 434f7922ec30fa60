"""Content-addressed storage: nothing is kept that did not reach the disk whole."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from bigfish.errors import StoreError
from bigfish.evidence.files import blob_path, store_stream
from tests.evidence.conftest import BIG, stored_files


def test_a_full_disk_stores_nothing_and_says_so(tmp_path: Path, full_disk: str) -> None:
    content = os.urandom(BIG)
    with pytest.raises(StoreError, match="could not store evidence file") as raised:
        store_stream(tmp_path, io.BytesIO(content))
    expected = "short write" if full_disk == "short write" else "No space left on device"
    assert expected in str(raised.value)
    assert stored_files(tmp_path) == []  # the partial upload is gone, no blob under its digest


def test_a_corrupt_stored_copy_is_replaced_by_the_verified_new_bytes(tmp_path: Path) -> None:
    content = b"chat export\n" * 1000
    first = store_stream(tmp_path, io.BytesIO(content))
    first.path.chmod(0o644)
    first.path.write_bytes(content[:100])  # truncated, as a full disk once left it
    again = store_stream(tmp_path, io.BytesIO(content))
    assert again.path == blob_path(tmp_path, first.sha256)
    assert again.path.read_bytes() == content
    assert stored_files(tmp_path) == [again.path]
