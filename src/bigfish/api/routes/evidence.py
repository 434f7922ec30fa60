"""Evidence routes: upload, list, show, custody chain, download, package — through the policy.

Every route is a thin shell over `bigfish.evidence.service`. Evidence follows its report's
marking: what the caller cannot see is 404, like what does not exist. Each access is logged in
the signed custody log with the caller's key as the person.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel
from starlette.background import BackgroundTask

from bigfish.accounts import Principal
from bigfish.api.app import answers_head
from bigfish.api.deps import PAGE, Access, requires
from bigfish.api.errors import ApiError
from bigfish.api.schemas import CONFLICT, ERRORS
from bigfish.api.strict import StrictJsonRoute
from bigfish.errors import InputError
from bigfish.evidence.custody import CustodyRecord, Party, utc_text
from bigfish.evidence.model import Acquisition, Disposal, EvidenceRecord
from bigfish.evidence.service import (
    Activity,
    add_evidence,
    evidence_file,
    evidence_page,
    export_package,
    get_evidence,
    list_custody,
)

router = APIRouter(tags=["evidence"], responses={**ERRORS, **CONFLICT}, route_class=StrictJsonRoute)

Reader = Annotated[Principal, Depends(requires(Access.READ))]
Writer = Annotated[Principal, Depends(requires(Access.WRITE))]


class DisposalView(BaseModel):
    """An item's signed `disposed` record: who disposed of it (person and organization), when,
    why, and its seq in the custody log (as `bigfish evidence verify --json` names one)."""

    evidence_id: str
    disposed_by: str | None
    organization: str | None
    at: str
    purpose: str
    seq: int


class EvidenceView(BaseModel):
    """A piece of evidence with its acquisition metadata and last integrity check."""

    evidence_id: str
    org: str
    report_id: str
    sha256: str
    size: int
    media_type: str
    file_name: str | None
    acquired_by: str
    acquired_at: str
    source: str
    method: str
    tool: str | None
    tool_version: str | None
    description: str | None
    tlp: str
    distribution: str
    group: str | None
    integrity: str
    # Set when the item was disposed of: its chain ends there (it may still be looked at).
    disposed: DisposalView | None = None
    # These bytes were evidence of the report before, as an item disposed of, and this item is
    # their new acquisition with its own chain (201 on its upload): the disposal its acquired
    # record names; the same in the detail, the list and a later upload's 200.
    reacquired_after: DisposalView | None = None


class EvidenceList(BaseModel):
    """A page of the evidence the caller may see, and the cursor of the next (None at the end)."""

    evidence: list[EvidenceView]
    next_cursor: str | None = None


class CustodyList(BaseModel):
    """The chain of custody of one piece of evidence, as signed records."""

    custody: list[dict[str, Any]]


def data_dir(request: Request) -> Path:
    """The node's data directory: set by the app factory, else from the environment."""
    configured = getattr(request.app.state, "data_dir", None)
    return Path(configured or os.environ.get("BIGFISH_DATA_DIR", "./bigfish-data"))


def _disposal_view(disposal: Disposal | None) -> DisposalView | None:
    if disposal is None:
        return None
    return DisposalView(
        evidence_id=disposal.evidence_id,
        disposed_by=disposal.disposed_by,
        organization=disposal.organization,
        at=utc_text(disposal.at),
        purpose=disposal.purpose,
        seq=disposal.seq,
    )


def evidence_view(item: EvidenceRecord) -> EvidenceView:
    """The API form of an evidence record."""
    return EvidenceView(
        evidence_id=item.evidence_id,
        org=item.org,
        report_id=item.report_id,
        sha256=item.sha256,
        size=item.size,
        media_type=item.media_type,
        file_name=item.file_name,
        acquired_by=item.acquired_by,
        acquired_at=utc_text(item.acquired_at),
        source=item.source,
        method=item.method,
        tool=item.tool,
        tool_version=item.tool_version,
        description=item.description,
        tlp=item.tlp,
        distribution=item.distribution,
        group=item.group,
        integrity=item.integrity.value,
        disposed=_disposal_view(item.disposal),
        reacquired_after=_disposal_view(item.reacquired_after),
    )


def _activity(principal: Principal, purpose: str) -> Activity:
    return Activity(principal.actor, purpose, "bigfish API", "https", principal.org_name)


@router.post(
    "/reports/{org}/{report_id:path}/evidence", response_model=EvidenceView, status_code=201
)
def upload(
    org: str,
    report_id: str,
    request: Request,
    response: Response,
    principal: Writer,
    file: Annotated[UploadFile, File(description="The evidence file.")],
    source: Annotated[str, Form(max_length=500)],
    method: Annotated[str, Form(max_length=500)],
    acquired_by: Annotated[str | None, Form(max_length=200)] = None,
    tool: Annotated[str | None, Form(max_length=200)] = None,
    tool_version: Annotated[str | None, Form(max_length=100)] = None,
    media_type: Annotated[str | None, Form(max_length=200)] = None,
    description: Annotated[str | None, Form(max_length=5000)] = None,
    acquired_at: Annotated[datetime | None, Form()] = None,
) -> EvidenceView:
    """Add a file as evidence of one of the caller's organization's reports (streamed, hashed).
    201 with the new record; 200 with the existing one when the report holds these bytes already
    (the first acquisition stands, nothing is logged). Bytes of an item of the report that was
    disposed of are a new acquisition: 201, `reacquired_after` naming that disposal."""
    acquisition = Acquisition(
        acquired_by=acquired_by or principal.actor,
        source=source,
        method=method,
        tool=tool,
        tool_version=tool_version,
        media_type=media_type or file.content_type or "application/octet-stream",
        description=description,
        file_name=file.filename,
        acquired_at=acquired_at,
        place="bigfish API",
    )
    item = add_evidence(
        request.app.state.store,
        data_dir(request),
        principal.viewer(),
        file.file,
        org=org,
        report_id=report_id,
        acquisition=acquisition,
        recorded_by=principal.actor,
    )
    if item.held_before:  # the same bytes: the first acquisition stands, nothing was created
        response.status_code = 200
    return evidence_view(item)


@router.get("/evidence", response_model=EvidenceList)
def list_(
    request: Request,
    principal: Reader,
    org: Annotated[str | None, Query(max_length=100)] = None,
    report_id: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = PAGE,
) -> EvidenceList:
    """Evidence the caller may see, optionally of one report, a page at a time."""
    try:
        found = evidence_page(
            request.app.state.store,
            data_dir(request),
            principal.viewer(),
            org=org,
            report_id=report_id,
            cursor=cursor,
            limit=limit,
        )
    except InputError as exc:
        if exc.field == "cursor":  # 400, as the API has answered a cursor it did not give
            raise ApiError(400, exc.message, details={"field": "cursor"}) from None
        raise
    return EvidenceList(
        evidence=[evidence_view(i) for i in found.evidence], next_cursor=found.next_cursor
    )


@router.get("/evidence/{evidence_id}", response_model=EvidenceView)
def show(
    evidence_id: str,
    request: Request,
    principal: Reader,
    purpose: Annotated[str, Query(max_length=500)] = "review",
) -> EvidenceView:
    """One piece of evidence, its bytes re-hashed (`integrity`) and the access logged; HEAD
    answers the same and logs nothing (it shows nothing)."""
    item = get_evidence(
        request.app.state.store,
        data_dir(request),
        principal.viewer(),
        evidence_id,
        _activity(principal, purpose),
        recorded_by=principal.actor,
        record_access=not answers_head(request),
    )
    return evidence_view(item)


def _custody_json(record: CustodyRecord) -> dict[str, Any]:
    return record.to_json()


@router.get("/evidence/{evidence_id}/custody", response_model=CustodyList)
def custody(evidence_id: str, request: Request, principal: Reader) -> CustodyList:
    """The signed, hash-chained custody records of one piece of evidence, each as signed: with
    `recorded_by`, the account that wrote it, on records written since bigfish signs it."""
    records = list_custody(request.app.state.store, principal.viewer(), evidence_id)
    return CustodyList(custody=[_custody_json(r) for r in records])


@router.get("/evidence/{evidence_id}/content", response_class=FileResponse)
def download(
    evidence_id: str,
    request: Request,
    principal: Reader,
    purpose: Annotated[str, Query(max_length=500)] = "download",
) -> FileResponse:
    """The bytes, the access logged; 409 when they no longer match their digest (logged too),
    and 409 when the item was disposed of: its bytes are no longer released (nothing logged;
    its record, chain and re-hash stay available). HEAD answers the same and logs nothing: no
    bytes are read."""
    item, path = evidence_file(
        request.app.state.store,
        data_dir(request),
        principal.viewer(),
        evidence_id,
        _activity(principal, purpose),
        recorded_by=principal.actor,
        record_access=not answers_head(request),
    )
    return FileResponse(
        path,
        media_type=item.media_type,
        filename=download_name(item.file_name, item.sha256),
        headers={"Digest": f"sha-256={item.sha256}"},
    )


_DOWNLOAD_NAME_LIMIT = 200


def download_name(file_name: str | None, sha256: str) -> str:
    """The name a download is offered under: the last component of FILE_NAME as uploaded (a
    name may hold "/", "\\" or ".."), without control characters, at most 200 characters with
    its extension kept; the digest when nothing usable is left."""
    name = re.split(r"[/\\]", file_name or "")[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    if name in ("", ".", ".."):
        return sha256
    if len(name) > _DOWNLOAD_NAME_LIMIT:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and 0 < len(extension) <= 20:
            name = stem[: _DOWNLOAD_NAME_LIMIT - len(extension) - 1] + "." + extension
        else:
            name = name[:_DOWNLOAD_NAME_LIMIT]
    return name


def _file_name(name: str) -> str:
    """NAME as one file name: what is not a letter, digit, dot or dash becomes "_" (a
    report_id may hold "/" or ".."), at most 200 characters."""
    return re.sub(r"[^\w.-]+|^\.+", "_", name, flags=re.ASCII)[-200:]


@router.post("/reports/{org}/{report_id:path}/evidence/package", response_class=FileResponse)
def package(
    org: str,
    report_id: str,
    request: Request,
    principal: Writer,
    purpose: Annotated[str, Query(max_length=500)] = "disclosure to a partner",
    to_org: Annotated[str | None, Query(max_length=200)] = None,
    to_person: Annotated[str | None, Query(max_length=200)] = None,
) -> FileResponse:
    """The evidence package of a report (zip), verifiable offline with `bigfish evidence verify`.

    TO_ORG (an organization this node knows) and TO_PERSON say who receives it: the `exported`
    records name them, as `bigfish evidence export --to-org --to-person` does. Headers:
    `X-Bigfish-Key-Fingerprint`, `X-Bigfish-Evidence-Files` (the files it carries) and, when
    the report holds items disposed of (carried as their entry and chain, without bytes),
    `X-Bigfish-Disposed` (their ids, comma-separated), as `evidence export --json` says."""
    workdir = Path(tempfile.mkdtemp(prefix="bigfish-package-"))
    out = workdir / _file_name(f"{org}-{report_id}-evidence.zip")
    try:
        result = export_package(
            request.app.state.store,
            data_dir(request),
            principal.viewer(),
            org=org,
            report_id=report_id,
            out=out,
            activity=_activity(principal, purpose),
            recipient=Party(to_person, to_org),
            recorded_by=principal.actor,
        )
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    headers = {
        "X-Bigfish-Key-Fingerprint": result.key_fingerprint,
        "X-Bigfish-Evidence-Files": str(result.evidence),
    }
    if result.disposed:
        headers["X-Bigfish-Disposed"] = ", ".join(result.disposed)
    return FileResponse(
        result.path,
        media_type="application/zip",
        filename=out.name,
        headers=headers,
        background=BackgroundTask(shutil.rmtree, workdir, ignore_errors=True),
    )
