"""An EVM address written with a capital "0X" (as upper-cased text and some wallets show it)
is read by `normalize` but was not found in narratives, whose pattern wanted "0x"."""

from __future__ import annotations

from bigfish.identifiers import extract, normalize

ADDRESS = "0X52908400098527886E0F7030069857D2E4169EE7"
CANONICAL = "0x52908400098527886e0f7030069857d2e4169ee7"


def test_a_capital_x_address_is_found_as_normalize_reads_it() -> None:
    assert normalize("crypto_wallet", ADDRESS).canonical == CANONICAL
    text = f"CHUYỂN USDT VÀO VÍ {ADDRESS} NGAY"
    [item] = extract(text)
    assert (text[item.start : item.end], item.identifier.canonical) == (ADDRESS, CANONICAL)
    assert item.identifier.chain == "evm"


def test_a_capital_x_address_with_a_bad_checksum_is_not_found() -> None:
    assert extract("ví 0X52908400098527886E0F7030069857D2E4169Ee7") == []
