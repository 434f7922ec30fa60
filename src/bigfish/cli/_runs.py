"""What the run listings (`bigfish ingest --runs`, `bigfish sync runs`) share: how a run stands,
what the text listing says of it, and its times as the listings print them."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum


class RunStatus(StrEnum):
    """How a run stands; the value is what `--json` prints."""

    FINISHED = "finished"
    FAILED = "failed"
    DID_NOT_FINISH = "did_not_finish"
    NOT_ENDED = "not_ended"


#: What the text listing says of each status (FAILED adds the error after a colon).
STATUS_TEXT = {
    RunStatus.FINISHED: "finished",
    RunStatus.FAILED: "failed",
    RunStatus.DID_NOT_FINISH: "did not finish (killed or machine stopped)",
    RunStatus.NOT_ENDED: "under way, or stopped without ending",
}


def status_said(status: RunStatus, error: str | None) -> str:
    """STATUS as the text listing says it, a failure with its ERROR."""
    return STATUS_TEXT[status] + (f": {error}" if status is RunStatus.FAILED else "")


def when(moment: datetime | None) -> str | None:
    """MOMENT in ISO 8601 with its offset (SQLite reads times back naive, in UTC)."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds")
