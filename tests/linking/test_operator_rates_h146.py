"""Review h146: an operator's rate table (BIGFISH_RATES, `bigfish link --rates`) is used whole
or not at all; a row that is not one currency's rate is refused naming the file, line and field.

Before: a currency given twice kept its last rate, USD could be 2 (every loss in dollars halved),
"BAHT!" or an empty code was a currency, "35,9" read as 35 (the ",9" a silent extra field),
"3_5" as 35, "1e-400" as a rate that made every loss infinite, a blank line moved every line
number after it, no error named its field, and any size of file was read into memory."""

from __future__ import annotations

import contextlib
import os
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from bigfish.errors import InputError
from bigfish.fx import RATES_ENV, load_rates, node_rates, to_usd

HEADER = "currency,units_per_usd\n"


def _table(tmp_path: Path, body: str, name: str = "our-rates.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, "utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "line", "field", "says"),
    [
        ("USD,1\nTHB,33.5\nTHB,3.35\n", 4, "currency", "THB has a rate already, on line 3"),
        ("THB,33.5\nthb,3.35\n", 3, "currency", "THB has a rate already, on line 2"),
        ("USD,2\n", 2, "units_per_usd", "USD is 1 unit per US dollar"),
        ("THB,33.5\n,35\n", 3, "currency", "unknown ISO 4217 currency ''"),
        ("BAHT!,35\n", 2, "currency", "unknown ISO 4217 currency 'BAHT!'"),
        ("XYZ,35\n", 2, "currency", "unknown ISO 4217 currency 'XYZ'"),
        ("THB,0\n", 2, "units_per_usd", "positive"),
        ("THB,-33.5\n", 2, "units_per_usd", "not a decimal rate '-33.5'"),
        ("THB,NaN\n", 2, "units_per_usd", "not a decimal rate 'NaN'"),
        ("THB,sNaN\n", 2, "units_per_usd", "not a decimal rate 'sNaN'"),
        ("THB,Infinity\n", 2, "units_per_usd", "not a decimal rate 'Infinity'"),
        ("THB,1e-400\n", 2, "units_per_usd", "not a decimal rate '1e-400'"),
        ("THB,1E+400\n", 2, "units_per_usd", "not a decimal rate '1E+400'"),
        ("THB,3_5\n", 2, "units_per_usd", "not a decimal rate '3_5'"),
        ("THB,\u0663\u0665\n", 2, "units_per_usd", "not a decimal rate"),  # Arabic-Indic 35
        ("THB,\n", 2, "units_per_usd", "not a decimal rate ''"),
        ("THB\n", 2, "units_per_usd", "not a decimal rate ''"),
        ("THB,1" + "0" * 30 + "\n", 2, "units_per_usd", "at most 30 characters"),
        ("USD,1\n\nTHB,abc\n", 4, "units_per_usd", "not a decimal rate 'abc'"),
        ("THB,35,9\n", 2, None, "more fields than the header's 2"),
    ],
)
def test_a_row_that_is_not_a_rate_is_refused_by_file_line_and_field(
    tmp_path: Path, body: str, line: int, field: str | None, says: str
) -> None:
    path = _table(tmp_path, body)
    with pytest.raises(InputError) as caught:
        load_rates(path)
    error = caught.value
    assert (error.file, error.line, error.field) == (str(path), line, field)
    assert says in error.message


def test_a_bad_table_is_not_used_in_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _table(tmp_path, "USD,1\nTHB,10\n")
    monkeypatch.setenv(RATES_ENV, str(path))
    assert node_rates()["THB"] == 10
    path.write_text(HEADER + "USD,1\nTHB,20\nMYR,4.4\nMYR,44\n", "utf-8")  # rewritten, wrongly
    with pytest.raises(InputError) as caught:
        node_rates()  # neither the old table nor the rows above the bad one
    assert (caught.value.line, caught.value.field) == (5, "currency")


def test_a_table_of_only_a_header_is_refused(tmp_path: Path) -> None:
    path = _table(tmp_path, "")
    with pytest.raises(InputError, match="no rates") as caught:
        load_rates(path)
    assert caught.value.file == str(path)


def test_a_file_far_larger_than_any_rate_table_is_refused_unread(tmp_path: Path) -> None:
    path = _table(tmp_path, "THB,33.5\n" * 120_000)  # 1.1 MB: about 400 times a whole table
    with pytest.raises(InputError, match="not a rate table") as caught:
        load_rates(path)
    assert caught.value.file == str(path)


def test_empty_fields_after_a_rate_are_a_spreadsheets_trailing_commas(tmp_path: Path) -> None:
    path = _table(tmp_path, "THB,33.5,\nVND,25500,,\n")
    assert dict(load_rates(path)) == {
        "THB": Decimal("33.5"),
        "VND": Decimal(25500),
        "USD": Decimal(1),
    }


def test_a_pipe_without_end_is_not_read_past_the_limit(tmp_path: Path) -> None:
    """A FIFO (or a device) has no size to stat: it was read whole, however long."""
    fifo = tmp_path / "rates.fifo"
    os.mkfifo(fifo)
    rows = (HEADER + "THB,33.5\n" * 120_000).encode("utf-8")  # 1.1 MB: about 400 tables

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError), fifo.open("wb") as pipe:
            pipe.write(rows)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        with pytest.raises(InputError, match="not a rate table") as caught:
            load_rates(fifo)
    finally:
        writer.join()
    assert caught.value.file == str(fifo)


def test_lower_case_codes_a_bom_and_spaces_are_read_and_usd_is_always_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "thb , 35 \r\nvnd,25500\r\n").encode("utf-8"))
    rates = load_rates(path)
    assert dict(rates) == {"THB": Decimal(35), "VND": Decimal(25500), "USD": Decimal(1)}
    # a table without a USD row still counts losses in dollars, at one to one
    assert to_usd(Decimal(100), "usd", rates) == 100.0
    assert to_usd(Decimal(350), "THB", rates) == 10.0
