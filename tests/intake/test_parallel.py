"""Worker processes and their transport change nothing that is stored: every column of every
report, mention and identifier is what the inline path stores."""

from __future__ import annotations

import pickle
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigfish.intake import ingest_file, load_mapping, service
from bigfish.intake.readers import read_csv
from bigfish.models import Marking
from bigfish.store import open_store
from bigfish.store.schema import identifiers, mentions, reports
from bigfish.synth import generate

_VOLATILE = {"created_at", "updated_at", "ingest_run"}


def _dump(url: str) -> dict[str, list[tuple[object, ...]]]:
    store = open_store(url)
    out = {}
    with store.connect() as conn:
        for table in (reports, mentions, identifiers):
            columns = [c for c in table.c if c.name not in _VOLATILE]
            query = sa.select(*columns).order_by(*columns[:3])
            out[table.name] = [tuple(r) for r in conn.execute(query)]
    store.close()
    return out


@pytest.fixture(scope="module")
def partnership(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth")
    generate(folder, reports=2500, seed=5)
    return folder


@pytest.mark.parametrize(
    ("name", "mapping"),
    [("th-aoc.csv", None), ("vn-police.csv", "vn-police.map.toml"), ("ph-cicc.jsonl", None)],
)
def test_workers_store_exactly_what_inline_does(
    tmp_path: Path,
    partnership: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    mapping: str | None,
) -> None:
    monkeypatch.setattr(service, "_CHUNK", 97)  # many chunks, out of step with the batches
    column_map = load_mapping(partnership / mapping) if mapping else None
    dumps = []
    for workers in (0, 2):
        url = f"sqlite:///{tmp_path / f'w{workers}.db'}"
        store = open_store(url)
        ingest_file(
            store, partnership / name, org="a", mapping=column_map, workers=workers,
            batch_size=300,
        )  # fmt: skip
        store.close()
        dumps.append(_dump(url))
    assert dumps[0] == dumps[1]
    assert len(dumps[0]["reports"]) > 100 and len(dumps[0]["mentions"]) > 100
    assert any(r[-3] is not None for r in dumps[0]["reports"])  # classified narratives


def test_transport_round_trips_every_record_and_result(partnership: Path) -> None:
    path = partnership / "th-aoc.csv"
    with path.open("rb") as raw:
        records = list(read_csv(raw, path))[:300]
    prepared = service._prepare_chunk(records, None, Marking(), str(path), None)
    for objects in (records, prepared):
        assert pickle.loads(ForkingPickler.dumps(objects)) == objects


def test_workers_reject_exactly_what_inline_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rejects of a mapped file (stray quotes, per-row markings, bad amounts, too many
    fields, over-long attributes) and what is stored are the same with and without workers."""
    monkeypatch.setattr(service, "_CHUNK", 7)
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Case"\nreported_at = "Date"\nloss_amount = "Amount"\n'
        '[formats]\ndate = "%d/%m/%Y"\nthousands_separator = ","\n'
        '[defaults]\ncountry = "TH"\nloss_currency = "THB"\n',
        encoding="utf-8",
    )
    lines = ["Case,Date,Amount,tlp,Notes"]
    for i in range(60):
        lines += [
            f'c{i},05/01/2025,"1,234",,ok',
            f'q{i},05/01/2025,1,,"quoted "word" inside"',
            f"t{i},05/01/2025,1,red,",
            f'a{i},05/01/2025,"12,34",,',
            f"w{i},05/01/2025,1,,,extra",
            f"l{i},05/01/2025,1,,{'x' * 10_001}",
        ]
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    column_map = load_mapping(mapping)
    outcomes = []
    for workers in (0, 2):
        url = f"sqlite:///{tmp_path / f'w{workers}.db'}"
        store = open_store(url)
        result = ingest_file(store, path, org="a", mapping=column_map, workers=workers)
        store.close()
        rejects = path.with_name(path.name + ".rejects.jsonl").read_text("utf-8")
        outcomes.append(((result.received, result.stored, result.rejected), rejects, _dump(url)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == (360, 60, 300)
    assert '"report_id": "q0"' in outcomes[0][1] and '"field": "tlp"' in outcomes[0][1]
