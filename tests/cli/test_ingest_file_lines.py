"""`bigfish ingest` prints each file's line in the order of the files, each once what it says
is known (`FileLines`): a file whose alerts went to webhooks once their deliveries are done,
which may be after a later file's. While a progress bar is shown, rich takes sys.stdout over
(what is written there goes above the bar, on stderr), so a line is then printed only by the
command's own thread, never by the delivery thread that ended its deliveries."""

from __future__ import annotations

import json
import threading

import pytest

from bigfish.alerts import Deliveries
from bigfish.cli._ingest_runs import FileLines
from bigfish.intake import IngestResult


def _result(name: str) -> IngestResult:
    return IngestResult(name, "A", 1, 1, 0, 0, None, run_id=1)


def _printed(capsys: pytest.CaptureFixture[str]) -> list[tuple[str, int | None, int | None]]:
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return [(line["file"], line.get("webhooks"), line.get("webhooks_failed")) for line in lines]


def _on_a_delivery_thread(lines: FileLines, place: int, done: Deliveries) -> None:
    thread = threading.Thread(target=lines.sent, args=(place, done))
    thread.start()
    thread.join()


def test_a_files_line_waits_for_the_line_of_the_file_before(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = FileLines(as_json=True)
    lines.ingested(0, _result("a1.csv"), alerting=True)
    lines.ingested(1, _result("a2.csv"), alerting=False)
    lines.refused(2, {"file": "a3.csv", "org": "A", "error": "not a CSV"})
    assert capsys.readouterr().out == ""  # a1's deliveries go on
    _on_a_delivery_thread(lines, 0, Deliveries(1, 1, ("organization B: answered 503",)))
    assert _printed(capsys) == [("a1.csv", 1, 1), ("a2.csv", 0, 0), ("a3.csv", None, None)]


def test_with_a_progress_bar_only_the_commands_thread_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = FileLines(as_json=True, on_callers_thread=True)
    lines.ingested(0, _result("a1.csv"), alerting=True)
    _on_a_delivery_thread(lines, 0, Deliveries(1, 0))
    assert capsys.readouterr().out == ""
    assert not lines.waiting()
    lines.flush()
    assert _printed(capsys) == [("a1.csv", 1, 0)]


def test_failed_deliveries_are_named_with_their_files_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = FileLines(as_json=False)
    lines.ingested(0, _result("a1.csv"), alerting=True)
    problem = "organization B: webhook delivery to https://hooks.b.example:443 failed"
    lines.sent(0, Deliveries(0, 1, (problem,)))
    shown = capsys.readouterr()
    assert shown.out.strip().endswith("; webhooks delivered 0, failed 1")
    assert "a1.csv: 1 of 1 webhook deliveries failed" in shown.err
    assert problem in shown.err
