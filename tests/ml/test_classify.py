"""The classifier contract, the CLI's JSON output, calibration and multilingual smoke tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import bigfish.ml
from bigfish.cli import app
from bigfish.ml import Classification, load_classifier
from bigfish.ml.typology import SCAM_TYPES

DATA = Path(__file__).resolve().parents[2] / "data" / "messages"


def test_public_surface_is_sorted() -> None:
    assert list(bigfish.ml.__all__) == sorted(bigfish.ml.__all__)


def test_classify_returns_a_classification() -> None:
    result = load_classifier().classify("Hey, are we still on for dinner tonight?")
    assert isinstance(result, Classification)
    assert result.label == "legit"
    assert 0.0 <= result.scam_probability < 0.2
    assert result.scam_type is None


def test_batch_matches_single_and_keeps_order() -> None:
    clf = load_classifier()
    texts = ["OTP 123456 do not share", "You WON a £1000 prize! Call 09061701461 to claim", ""]
    assert clf.classify_batch(texts) == [clf.classify(t) for t in texts]
    assert clf.classify_batch([]) == []


@pytest.mark.parametrize(
    ("text", "scam_type"),
    [
        ("งานพาร์ทไทม์ รายได้ต่อวัน 500-3000 บาท แอดไลน์ @job888", "job_task"),
        ("恭喜您中奖了！请点击 http://x.cn/a 领取奖金", "lottery_prize"),
        (
            "Quý khách trúng thưởng 50 triệu đồng, bấm vào link bit.ly/abc để nhận ngay",
            "lottery_prize",
        ),
        ("Congratulations! You have won a prize. Claim now at bit.ly/win", "lottery_prize"),
    ],
)
def test_multilingual_scams(text: str, scam_type: str) -> None:
    result = load_classifier().classify(text)
    assert result.label == "scam"
    assert result.scam_type == scam_type
    assert result.scam_type_probability is not None and result.scam_type_probability > 0.4


def test_probabilities_sum_to_one() -> None:
    probs = load_classifier().probabilities(["a", "ฟรีเครดิต 200฿ คลิก https://lin.ee/Bvu", "hi"])
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_scam_types_are_the_spec_vocabulary() -> None:
    assert set(SCAM_TYPES) == {
        "investment", "romance", "job_task", "impersonation_authority", "impersonation_bank",
        "shopping", "loan", "phishing", "sextortion", "tech_support", "lottery_prize", "other",
    }  # fmt: skip


def test_cli_json_lines_in_order(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"text": "hello mum, home by 6"})
        + "\n"
        + json.dumps({"text": "ฟรีเครดิต 200฿ ทดลองเล่น คลิก https://lin.ee/BvuGAMv"})
        + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["classify", "--input", str(source), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["label"] for r in rows] == ["legit", "scam"]
    for row in rows:
        assert {"label", "scam_probability", "scam_type"} <= row.keys()
        assert isinstance(row["scam_probability"], float)
        assert row["scam_type"] is None or row["scam_type"] in SCAM_TYPES


def test_cli_plain_text_table(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("hello mum\nWIN a prize now, call 09061701461\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["classify", "--input", str(source)])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2


def test_cli_bad_line_is_named_and_keeps_its_place(tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text('{"text": "fine"}\n{"text": 3}\nnot json\n{"text": "hi"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["classify", "--input", str(source), "--json"])
    assert result.exit_code == 1
    assert "bad.jsonl:2" in result.stderr and "bad.jsonl:3" in result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [sorted(r)[0] for r in rows] == ["label", "error", "error", "label"]
    assert [r.get("line") for r in rows] == [None, 2, 3, None]


def test_cli_text_lines_may_start_with_a_brace(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("{URGENT} your account is locked\nhello mum\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["classify", "--input", str(source), "--json"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(app, ["classify", "--help"])
    assert "Example" in result.stdout


def test_whitespace_around_a_text_changes_no_answer(tmp_path: Path) -> None:
    # `bigfish classify` strips each plain-text line, ingest and the API keep a narrative as
    # sent: this text was scam at 0.8095 stripped and at 0.8294 with its whitespace.
    padded, bare = " WIN a prize now, call 09061701461 \t", "WIN a prize now, call 09061701461"
    clf = load_classifier()
    assert clf.classify(padded) == clf.classify(bare)
    assert clf.classify_batch([padded, bare, f"\n{bare}\u3000"]) == [clf.classify(bare)] * 3
    assert np.array_equal(clf.probabilities([padded]), clf.probabilities([bare]))
    source = tmp_path / "in.jsonl"
    source.write_text(f"{json.dumps({'text': padded})}\n{json.dumps({'text': bare})}\n", "utf-8")
    as_json = CliRunner().invoke(app, ["classify", "--input", str(source), "--json"])
    assert as_json.exit_code == 0, as_json.output
    first, second = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert first == second
    assert first["scam_probability"] == clf.classify(bare).scam_probability
