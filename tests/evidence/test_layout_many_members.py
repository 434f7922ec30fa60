"""A zip of many members with data descriptors (100,000 empty ones fit in 10 MB) is checked in
one pass over its member list: the layout check looked through the whole list again for each
such member, so a small hostile "package" kept `verify` busy for many minutes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import overload

from bigfish.evidence.package import verify as verify_module
from bigfish.evidence.package import verify_package


class _Counted(Sequence[zipfile.ZipInfo]):
    """A member list that counts how often it is walked through."""

    def __init__(self, infos: list[zipfile.ZipInfo]) -> None:
        self.infos = infos
        self.walks = 0

    def __iter__(self) -> Iterator[zipfile.ZipInfo]:
        self.walks += 1
        return iter(self.infos)

    def __len__(self) -> int:
        return len(self.infos)

    @overload
    def __getitem__(self, index: int) -> zipfile.ZipInfo: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[zipfile.ZipInfo]: ...
    def __getitem__(self, index: int | slice) -> zipfile.ZipInfo | Sequence[zipfile.ZipInfo]:
        return self.infos[index]


class _Unseekable(io.BytesIO):
    def seekable(self) -> bool:
        return False

    def seek(self, *_: object) -> int:
        raise io.UnsupportedOperation("seek")

    def tell(self) -> int:
        raise io.UnsupportedOperation("tell")


def test_the_layout_of_many_members_with_data_descriptors_is_checked_in_one_pass(
    tmp_path: Path,
) -> None:
    sink = _Unseekable()
    with zipfile.ZipFile(sink, "w") as zf:  # a stream: every member gets a data descriptor
        for number in range(200):
            zf.writestr(zipfile.ZipInfo(f"m{number}"), b"")
    package = tmp_path / "many.zip"
    package.write_bytes(sink.getvalue())
    with zipfile.ZipFile(package) as zf, package.open("rb") as raw:
        infos = _Counted(zf.infolist())
        assert all(info.flag_bits & 0x08 for info in infos.infos)
        verify_module._check_layout(raw, infos)  # every byte accounted for: no problem
    assert infos.walks <= 2  # a pass or two, whatever the count (was one more per member)
    # And the package is refused for what it is, not for its layout.
    check = verify_package(package)
    assert (check.ok, check.problem) == (False, "manifest.json is missing from the package")
