"""Excel's escapes of the characters a workbook's XML cannot hold (helper 164). Excel writes a CR
in a cell as _x000D_ (XML reads a CR as a line feed) and a control character as its _xHHHH_;
openpyxl refuses to write a control character at all. Intake read an inline string's _x000D_ as
those seven characters: a narrative with Windows line breaks, exported as a workbook and
ingested again, came back changed. It now reads the escapes of those characters (and _x005F_,
an underscore, before one) as Excel does; other _xHHHH_ are read as openpyxl reads them."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.intake.readers import read_xlsx
from bigfish.intake.xlsx import escape_control, unescape_control

from .test_crafted_files import inline, workbook

_CANNOT_HOLD = [chr(c) for c in (*range(0x09), 0x0B, 0x0C, 0x0D, *range(0x0E, 0x20))]
TEXT = st.lists(
    st.sampled_from([*"_x05FfDdEe0129AB \t\n", "\ufffe", "\uffff", "_x000D_", *_CANNOT_HOLD])
).map("".join)


@settings(max_examples=500)
@given(TEXT)
def test_escaped_text_reads_back_as_it_was(text: str) -> None:
    escaped = escape_control(text)
    assert unescape_control(escaped) == text
    assert not set(escaped) & {*_CANNOT_HOLD, "\ufffe", "\uffff"}


def test_excel_s_escapes_of_an_inline_string_are_read_as_excel_reads_them(
    tmp_path: Path,
) -> None:
    """Before: 'a_x000D_\\nb_x0007_' was read as it is written."""
    narratives = {
        "r1": ("a_x000D_\nb_x0007_", "a\r\nb\x07"),
        "r2": ("_x005F_x000D_ is text", "_x000D_ is text"),
        "r3": ("_x0041_ and _x005F_x0041_", "_x0041_ and _x005F_x0041_"),  # as openpyxl
    }
    rows = [
        "<row>" + "".join(inline(c) for c in (rid, "2025-03-01", "TH")) + "<c/>" * 4
        + inline(written) + "</row>"
        for rid, (written, _) in narratives.items()
    ]  # fmt: skip
    data = workbook(tmp_path / "book.xlsx", rows).read_bytes()
    read = {
        r.fields["report_id"]: r.fields["narrative"]
        for r in read_xlsx(io.BytesIO(data), Path("book.xlsx"))
    }
    assert read == {rid: text for rid, (_, text) in narratives.items()}
