"""A missing or damaged model artifact is a ConfigError naming the file, never a traceback."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bigfish.errors import ConfigError
from bigfish.ml.model import default_model_path, load_weights

SHIPPED = default_model_path()


def _copy(tmp_path: Path) -> Path:
    npz = tmp_path / "model.npz"
    shutil.copy(SHIPPED, npz)
    shutil.copy(SHIPPED.with_suffix(".json"), npz.with_suffix(".json"))
    return npz


def _truncate(npz: Path) -> None:
    data = npz.read_bytes()
    npz.write_bytes(data[: len(data) // 2])


def _flip_a_byte(npz: Path) -> None:
    data = bytearray(npz.read_bytes())
    data[len(data) // 3] ^= 0xFF
    npz.write_bytes(bytes(data))


def _drop_arrays(npz: Path) -> None:
    np.savez(npz, idf=np.zeros(3))


def _header(change: Callable[[dict[str, object]], object]) -> Callable[[Path], None]:
    def edit(npz: Path) -> None:
        path = npz.with_suffix(".json")
        header = json.loads(path.read_text())
        path.write_text(json.dumps(change(header)))

    return edit


DAMAGE: dict[str, Callable[[Path], None]] = {
    "npz missing": lambda npz: npz.unlink(),
    "json missing": lambda npz: npz.with_suffix(".json").unlink(),
    "npz truncated": _truncate,
    "npz byte flipped": _flip_a_byte,
    "npz not a zip": lambda npz: npz.write_bytes(b"not a model"),
    "arrays missing": _drop_arrays,
    "json not JSON": lambda npz: npz.with_suffix(".json").write_text("{"),
    "json a list": lambda npz: npz.with_suffix(".json").write_text("[]"),
    "hashing missing": _header(lambda h: {k: v for k, v in h.items() if k != "hashing"}),
    "labels wrong": _header(lambda h: {**h, "labels": ["a", "b", "c"]}),
    "width wrong": _header(lambda h: {**h, "hashing": {"bits": 8, "n_min": 1, "n_max": 5}}),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_model_is_a_config_error_naming_the_file(tmp_path: Path, damage: str) -> None:
    npz = _copy(tmp_path)
    DAMAGE[damage](npz)
    with pytest.raises(ConfigError) as raised:
        load_weights(npz)
    assert "model" in str(raised.value)
    assert str(tmp_path / "model.") in str(raised.value)


def test_an_intact_copy_loads(tmp_path: Path) -> None:
    assert load_weights(_copy(tmp_path)).labels == load_weights(SHIPPED).labels
