"""Modern English smishing against the shipped classifier (messages not in the seed set).

The English labelled data was the 2011 UCI collection alone, and today's bank phishing, parcel
and toll fees, government refunds and "Hi Mum" messages were called legit (the artifact before
the seed set: 2 of these 20 scams called scam, 12 unwanted; the KBank line legit, P(scam) 0.02).
These 40 messages were written apart from data/seed/english-sms.tsv, none equal to a seed
message after normalization (checked below), so they were never trained on.
"""

from __future__ import annotations

from pathlib import Path

from bigfish.ml import load_classifier
from bigfish.ml.features import normalize_text

SEED = Path(__file__).resolve().parents[2] / "data" / "seed" / "english-sms.tsv"

SCAMS = [
    "URGENT: your KBank account is suspended. Verify now at bit.ly/kbank-verify",
    (
        "CommBank: your account access is restricted. Please confirm your identity at "
        "cba-secure-restore.net today"
    ),
    (
        "OCBC alert: a new device was registered to your account. Not you? Cancel at "
        "ocbc-device-cancel.com"
    ),
    "Your Australia Post parcel is on hold. Pay the $1.80 redelivery fee: auspost-hold-pay.com",
    (
        "Royal Mail: we could not deliver your item. A fee of £2.10 is outstanding, pay here "
        "royalmail-itemfee.uk"
    ),
    (
        "Linkt reminder: your toll account is overdue $9.45. Pay now to avoid a $35 admin "
        "fee: linkt-overdue-pay.com"
    ),
    "HMRC: you have an unclaimed tax rebate of £241.60. Claim it online: hmrc-rebate-online.uk",
    (
        "ATO notice: you are entitled to a refund of $612.35. Provide your card details at "
        "ato-refund-portal.net"
    ),
    (
        "Hi Mum, it's me, I've broken my phone so this is my new number. Can you message me "
        "on WhatsApp? Need a hand with something x"
    ),
    (
        "Hello, we are recruiting remote workers. Earn 400-900 RM daily by liking videos. "
        "Contact our HR on WhatsApp +60 12-883 0921"
    ),
    (
        "Our crypto trading group earned 280% last month. Deposit $300 and our experts do the"
        " rest: t.me/crypto_gains_club"
    ),
    (
        "Singtel: your line will be barred today due to an unpaid amount of S$58.90. Settle "
        "immediately at singtel-unpaid.com"
    ),
    (
        "This is the Singapore Police Force. Your identity has been used in a money "
        "laundering case. Call Inspector Wong on +65 8812 3340 now."
    ),
    (
        "Hi, I accidentally sent my verification code to your phone. Could you please text it"
        " back to me?"
    ),
    (
        "Microsoft Security: your computer has been blocked due to a virus. Call "
        "1-888-402-1190 immediately for support."
    ),
    (
        "Congratulations! Your number was selected as the winner of a $1,000 Coles gift card."
        " Claim before tonight: coles-winner-claim.com"
    ),
    (
        "Maybank: your account will be frozen within 24 hours. Update your details at "
        "maybank-secure-update.my"
    ),
    (
        "E-ZPass: your toll balance of $4.80 is unpaid. Pay within 24 hours to avoid a fine: "
        "ezpass-unpaid-notice.com"
    ),
    (
        "DHL: your parcel is held at customs. Pay the clearance fee of $2.99 to release it: "
        "dhl-release-parcel.com"
    ),
    (
        "Netflix: your account is suspended because your payment failed. Update your billing "
        "now: netflix-account-restore.com"
    ),
]
LEGIT = [
    (
        "CommBank: 118204 is your NetCode to approve a new payee. Do not share it; we will "
        "never ask for it."
    ),
    "DBS: your OTP for the transfer of SGD 80.00 is 529031. Do not share this OTP with anyone.",
    "402918 is your Google sign-in code. Do not share it.",
    "HSBC: A payment of £23.99 to NETFLIX.COM was made with your card ending 2210.",
    (
        "Westpac: We've stopped a suspicious payment on your card. Please call the number on "
        "the back of your card. We will never ask for your password."
    ),
    "Australia Post: your parcel from Kmart will be delivered today. Track it in the AusPost app.",
    "Royal Mail: your parcel from John Lewis will arrive today between 12:30 and 13:30.",
    "Reminder: your appointment with Dr Lim at Raffles Medical is on Friday 14 June at 9:15am.",
    "Hi mum, I'll be home around 7, can you save me some dinner?",
    "Are we still on for coffee tomorrow at 10?",
    "Thanks for dinner last night, it was great to see you all",
    "Your Uber driver is arriving in 2 minutes in a grey Camry.",
    "Maybank: You have received RM120.00 from AHMAD ZAKI via DuitNow.",
    "Your WhatsApp code is 482-119. Don't share this code with anyone.",
    (
        "Telstra: your bill of $65.00 is ready in the My Telstra app and will be paid by "
        "direct debit on 20 March."
    ),
    "Can you grab some eggs on your way back? We're out",
    "The school bus will be 15 minutes late this afternoon due to roadworks.",
    "Your prescription is ready for collection at Priceline Pharmacy.",
    "Hi team, the meeting tomorrow is moved to 11am in the small room.",
    "Dad, can you pick me up from football at 6 please?",
]


# A second check, written by another author of the project without reading the seed set
# (data/seed/english-check-second.tsv): the artifact before the seed set called 1 of its 12
# scams scam (7 unwanted) and 11 of its 12 legit messages legit; the shipped one 12 and 12.
_SECOND = [
    line.split("\t", 1)
    for line in (SEED.parent / "english-check-second.tsv").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
OTHER_SCAMS = [text for label, text in _SECOND if label == "scam"]
OTHER_LEGIT = [text for label, text in _SECOND if label == "legit"]

FLOOR_SCAMS = 17
FLOOR_LEGIT = 18


def test_none_is_in_the_seed_set() -> None:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    seed = {normalize_text(line.split("\t", 1)[1]).strip() for line in lines if line.strip()}
    assert not [
        t for t in SCAMS + LEGIT + OTHER_SCAMS + OTHER_LEGIT if normalize_text(t).strip() in seed
    ]


def test_the_known_bank_phishing_is_no_longer_legit() -> None:
    result = load_classifier().classify(SCAMS[0])
    assert result.label == "scam"
    assert result.scam_probability > 0.5


def test_modern_scams_are_called_scam() -> None:
    results = load_classifier().classify_batch(SCAMS)
    # Measured: 20 of 20 (the artifact before the seed set: 2 of 20).
    assert sum(r.label == "scam" for r in results) >= FLOOR_SCAMS


def test_modern_legit_messages_stay_legit() -> None:
    results = load_classifier().classify_batch(LEGIT)
    # Measured: 19 of 20 (an HSBC card alert naming NETFLIX.COM is called scam).
    assert sum(r.label == "legit" for r in results) >= FLOOR_LEGIT


def test_the_second_check_scams_are_called_scam_and_its_legit_messages_legit() -> None:
    model = load_classifier()
    scams = model.classify_batch(OTHER_SCAMS)
    legit = model.classify_batch(OTHER_LEGIT)
    assert sum(r.label == "scam" for r in scams) >= 11
    assert sum(r.label == "legit" for r in legit) >= 11
