"""Evidence figures of issue 7, run by hand.

1. Hashing and storing evidence (streamed, 1 MiB buffer): target >= 300 MB/s.
2. Verifying a package of 1,000 files and 10,000 custody records: target <= 5 s.

    .venv/bin/python benchmarks/bench_evidence.py [--mb 1024] [--files 1000] [--records 10000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bigfish.evidence import merkle
from bigfish.evidence.custody import (
    GENESIS,
    CustodyDraft,
    CustodyEvent,
    HashCheck,
    Party,
    load_or_create_node_key,
    seal,
    sign_tree_head,
)
from bigfish.evidence.files import hash_stream, store_stream
from bigfish.evidence.model import EvidenceRecord
from bigfish.evidence.package import PackageContents, verify_package, write_package


def bench_store(workdir: Path, megabytes: int) -> None:
    source = workdir / "big.bin"
    block = os.urandom(1 << 20)
    with source.open("wb") as f:
        for _ in range(megabytes):
            f.write(block)
    # Read once so the page cache holds it: the figure is bigfish's cost, not the disk's.
    with source.open("rb") as f:
        while f.read(1 << 24):
            pass
    began, cpu = time.perf_counter(), time.process_time()
    with source.open("rb") as f:
        stored = store_stream(workdir / "data", f)
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    size_mb = stored.size / 1e6
    print(
        f"store_stream: {size_mb:.0f} MB in {elapsed:.2f} s wall = {size_mb / elapsed:.0f} MB/s "
        f"(hash + write + fsync; {cpu:.2f} s CPU = {size_mb / cpu:.0f} MB/s of CPU)"
    )
    began = time.perf_counter()
    with source.open("rb") as f:
        hash_stream(f)
    elapsed = time.perf_counter() - began
    print(f"hash_stream: {size_mb:.0f} MB in {elapsed:.2f} s = {size_mb / elapsed:.0f} MB/s")


def bench_verify(workdir: Path, files: int, records: int) -> None:
    data_dir = workdir / "node"
    key = load_or_create_node_key(data_dir)
    t0 = datetime(2025, 12, 17, tzinfo=UTC)
    items, blobs = [], {}
    for i in range(files):
        content = f"evidence file {i}\n".encode() * 200  # ~3.4 kB each
        import io

        stored = store_stream(data_dir, io.BytesIO(content))
        blobs[stored.sha256] = stored.path
        items.append(
            EvidenceRecord(
                evidence_id=f"ev-{i:05d}",
                org="TH-AOC",
                report_id="R-1",
                sha256=stored.sha256,
                size=stored.size,
                media_type="text/plain",
                file_name=f"file{i}.txt",
                acquired_by="Somchai",
                acquired_at=t0,
                source="phone",
                method="export",
                tool=None,
                tool_version=None,
                description=None,
                tlp="amber",
                distribution="organization",
                group=None,
                integrity=HashCheck.MATCH,
            )
        )
    log, last, prev = [], {}, GENESIS
    for seq in range(1, records + 1):
        item = items[(seq - 1) % files]
        event = CustodyEvent.ACQUIRED if seq <= files else CustodyEvent.ACCESSED
        draft = CustodyDraft(
            evidence_id=item.evidence_id,
            sha256=item.sha256,
            report="TH-AOC/R-1",
            event=event,
            purpose="case review",
            released_by=Party("Somchai", "TH-AOC"),
            received_by=Party("Lan", "VN-MPS"),
            at=t0 + timedelta(seconds=seq),
            place="node",
            channel="bigfish",
            hash_check=HashCheck.MATCH,
            tlp="amber",
            distribution="organization",
            group=None,
        )
        record = seal(
            draft,
            seq=seq,
            prev_hash=prev,
            evidence_prev_hash=last.get(item.evidence_id, GENESIS),
            key=key,
        )
        log.append(record)
        prev = last[item.evidence_id] = record.record_hash
    tree = merkle.MerkleTree([r.leaf() for r in log])
    frontier = merkle.Frontier()
    for r in log:
        frontier.append(r.leaf())
    head = sign_tree_head(frontier, t0 + timedelta(days=1), key)
    contents = PackageContents(
        "TH-AOC",
        "R-1",
        items,
        blobs,
        log,
        head,
        {r.seq: tree.inclusion_proof(r.seq - 1) for r in log},
    )
    out = workdir / "package.zip"
    began = time.perf_counter()
    write_package(out, contents, key, created_at=t0 + timedelta(days=1))
    written = time.perf_counter() - began
    began = time.perf_counter()
    check = verify_package(out, key.fingerprint)
    elapsed = time.perf_counter() - began
    assert check.ok, check.problem
    print(
        f"package: {files} files, {records} custody records, {out.stat().st_size / 1e6:.1f} MB; "
        f"written in {written:.2f} s, verified in {elapsed:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--records", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_store(Path(tmp), args.mb)
    with tempfile.TemporaryDirectory() as tmp:
        bench_verify(Path(tmp), args.files, args.records)
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
