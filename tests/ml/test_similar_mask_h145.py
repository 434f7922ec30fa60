"""Links written without a scheme or defanged (`t.me/name`, `bit.ly/3xYz12`, `invest-gold88[.]com`,
`hxxps://…`) are masked like `https://…` links (helper 145's review): left in, they made two
tellings of one script with other links score 0.29 instead of 1.0, under the least score kept."""

from __future__ import annotations

import pytest

from bigfish.ml.similar import char_ngram_vectors, mask_identifiers

SCRIPT = "Join my group to earn profit daily. "
OTHERS = [
    "Someone called from the post office saying a parcel in my name held illegal goods.",
    "A woman I met on a dating app introduced me to a gold trading platform.",
]


def _words(text: str) -> list[str]:
    return [w for w in text.split() if any(c.isalnum() for c in w)]


@pytest.mark.parametrize(
    "link",
    [
        "t.me/gold_mentor_88",
        "bit.ly/3xYz12",
        "invest-gold88[.]com",
        "invest-gold88(.)com/login?id=7",
        "www[.]invest-gold88[.]com",
        "hxxps://invest-gold88[.]com/a",
        "hXXp[:]//invest-gold88.com",
        "line.me/ti/p/~scam88",
        "1688-gold.app",
        "(bit.ly/3xYz12)",
    ],
)
def test_a_link_without_a_scheme_or_defanged_is_masked(link: str) -> None:
    for text, words in (
        (f"Visit {link} today.", ["Visit", "today."]),
        (f"Visit {link}.", ["Visit"]),
    ):
        masked = mask_identifiers(text)
        assert "#" in masked and _words(masked) == words, masked


def test_one_script_with_other_bare_links_is_one_script() -> None:
    first = SCRIPT + "t.me/gold_mentor_88 and invest-gold88[.]com, pay to bit.ly/3xYz12"
    second = SCRIPT + "t.me/crypto_kingz_77 and tradefx-pro99[.]net, pay to tinyurl.com/ab9k2m"
    vectors = char_ngram_vectors([first, second, *OTHERS])
    assert float((vectors[0] @ vectors[1].T).toarray()[0, 0]) > 0.99


def test_words_and_numbers_stay_as_they_were() -> None:
    text = "I paid 5.000 baht, e.g. at 3.14 p.m. to U.S. Bank; ครับ.ค่ะ done."
    assert mask_identifiers(text) == "I paid  #  baht, e.g. at  #  p.m. to U.S. Bank; ครับ.ค่ะ done."


def test_a_long_run_of_labels_is_read_once() -> None:
    # Labels tried again from every start inside the run would be quadratic (hours here).
    assert mask_identifiers("a." * 200_000) == "a." * 200_000
    assert mask_identifiers("ab." * 100_000 + "com").strip() == "#"


WALLETS = [
    ("TJRabPrwbZy45sbavfcjinPJC18kjpRTv8", "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf"),
    ("0xAB5801A7D398351B8BE11C439E05C5B3259AEC9B", "0xde0B295669a9FD93d5F28D9Ec85E40f4cb697BAe"),
    ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"),
    ("1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"),
    ("GB82WEST12345698765432", "DE89370400440532013000"),
]


@pytest.mark.parametrize(("first", "second"), WALLETS)
def test_one_script_with_other_wallets_or_ibans_is_one_script(first: str, second: str) -> None:
    # Rings rotate wallets and accounts as they do phones: their letters were left in.
    script = "Send the fee in USDT to my wallet {} before Friday."
    masked = mask_identifiers(script.format(first))
    assert _words(masked) == [
        "Send",
        "the",
        "fee",
        "in",
        "USDT",
        "to",
        "my",
        "wallet",
        "before",
        "Friday.",
    ]
    vectors = char_ngram_vectors([script.format(first), script.format(second), *OTHERS])
    assert float((vectors[0] @ vectors[1].T).toarray()[0, 0]) > 0.99
