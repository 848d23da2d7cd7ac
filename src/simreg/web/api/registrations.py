"""Registrations: submit (clerks, through the app), read, review, activate, cancel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import Field, field_validator

from simreg.core.actors import Role
from simreg.db import queries
from simreg.db.review_queries import record_identity_view
from simreg.registration.domain import RegistrationState, RejectionReason
from simreg.registration.services import RejectRegistration, SubmitRegistration
from simreg.web.api.body import Body
from simreg.web.auth import App, CurrentActor
from simreg.web.input_guard import checked_text, has_control_characters

router = APIRouter(prefix="/api/v1", tags=["registrations"])


def _read_limited(upload: UploadFile, limit: int) -> bytes:
    # Read one byte past the limit so an oversized upload is refused without reading it all.
    return upload.file.read(limit + 1)


@router.post("/registrations", status_code=201, summary="Submit a registration for review")
def submit_registration(
    app: App,
    actor: CurrentActor,
    msisdn: Annotated[
        str, Form(description="number picked from the pool, or the line re-registered")
    ],
    document_type: Annotated[str, Form(description="resident_id, passport, ...")],
    document_number: Annotated[str, Form()],
    customer_name: Annotated[str, Form()],
    original_inspected: Annotated[
        bool, Form(description="RN-02: original document inspected")
    ] = False,
    inspection_method: Annotated[str | None, Form(description="chip_reader or visual")] = None,
    resubmission_of: Annotated[str | None, Form()] = None,
    reregistration: Annotated[
        bool,
        Form(description="RN-13: the number is a legacy line in service, re-registered (补登)"),
    ] = False,
    photo_front: Annotated[UploadFile | None, File()] = None,
    photo_back: Annotated[UploadFile | None, File()] = None,
    photo_portrait: Annotated[UploadFile | None, File()] = None,
) -> dict[str, Any]:
    for field, value in [
        ("msisdn", msisdn),
        ("document_type", document_type),
        ("document_number", document_number),
        ("customer_name", customer_name),
        ("inspection_method", inspection_method),
        ("resubmission_of", resubmission_of),
    ]:
        checked_text(field, value)
    limit = app.settings.photo_max_bytes
    uploads = {"front": photo_front, "back": photo_back, "portrait": photo_portrait}
    photos = {kind: _read_limited(up, limit) for kind, up in uploads.items() if up is not None}
    registration = app.registrations.submit(
        actor,
        SubmitRegistration(
            msisdn=msisdn,
            document_type=document_type,
            document_number=document_number,
            customer_name=customer_name,
            original_inspected=original_inspected,
            inspection_method=inspection_method,
            photos=photos,
            resubmission_of=resubmission_of or None,
            reregistration=reregistration,
        ),
    )
    with app.engine.connect() as conn:
        return queries.registration_detail(conn, actor, registration.id)


@router.get("/registrations", summary="List registrations (clerks: their own outlet)")
def list_registrations(
    app: App,
    actor: CurrentActor,
    state: Annotated[RegistrationState | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    with app.engine.connect() as conn:
        items = queries.list_registrations(
            conn, actor, state=state.value if state else None, limit=limit, offset=offset
        )
    return {"items": items}


@router.get("/registrations/{registration_id}", summary="Read a registration and its status")
def get_registration(app: App, actor: CurrentActor, registration_id: str) -> dict[str, Any]:
    with app.engine.connect() as conn:
        return queries.registration_detail(conn, actor, registration_id)


@router.get(
    "/registrations/{registration_id}/photos/{kind}",
    summary="A document photo, decrypted, for review",
    response_class=Response,
)
def get_photo(app: App, actor: CurrentActor, registration_id: str, kind: str) -> Response:
    with app.engine.connect() as conn:
        access = queries.photo_key(conn, actor, registration_id, kind)
    if access.audited:
        with app.engine.begin() as conn:
            record_identity_view(conn, actor, registration_id, kind, app.clock.now())
    return Response(
        app.photo_store.get(access.store_key),
        media_type=access.content_type,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/review/queue", summary="Registrations waiting for central review, oldest first")
def review_queue(
    app: App, actor: CurrentActor, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> dict[str, Any]:
    with app.engine.connect() as conn:
        return queries.review_queue(conn, actor, now=app.clock.now(), limit=limit)


@router.post("/registrations/{registration_id}/approve", summary="Approve after central review")
def approve(app: App, actor: CurrentActor, registration_id: str) -> dict[str, Any]:
    app.registrations.approve(actor, registration_id)
    with app.engine.connect() as conn:
        return queries.registration_detail(conn, actor, registration_id)


class RejectBody(Body):
    reasons: list[str] = Field(
        min_length=1, description="codes: " + ", ".join(r.value for r in RejectionReason)
    )
    comment: str | None = Field(default=None, max_length=1000)

    @field_validator("reasons", "comment")
    @classmethod
    def _no_control_characters(cls, value: object) -> object:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(x, str) and has_control_characters(x) for x in texts):
            raise ValueError("control characters are not allowed")
        return value


@router.post("/registrations/{registration_id}/reject", summary="Reject with reason codes")
def reject(app: App, actor: CurrentActor, registration_id: str, body: RejectBody) -> dict[str, Any]:
    app.registrations.reject(
        actor, registration_id, RejectRegistration(tuple(body.reasons), body.comment)
    )
    with app.engine.connect() as conn:
        return queries.registration_detail(conn, actor, registration_id)


@router.post("/registrations/{registration_id}/activate", summary="Open service (RN-06)")
def activate(app: App, actor: CurrentActor, registration_id: str) -> dict[str, Any]:
    app.registrations.activate(actor, registration_id)
    with app.engine.connect() as conn:
        return queries.registration_detail(conn, actor, registration_id)


class CancelBody(Body):
    reason: str | None = Field(default=None, max_length=500)

    @field_validator("reason")
    @classmethod
    def _no_control_characters(cls, value: str | None) -> str | None:
        if value is not None and has_control_characters(value):
            raise ValueError("control characters are not allowed")
        return value


@router.post("/registrations/{registration_id}/cancel", summary="Withdraw or cancel")
def cancel(
    app: App, actor: CurrentActor, registration_id: str, body: CancelBody | None = None
) -> dict[str, Any]:
    app.registrations.cancel(actor, registration_id, body.reason if body else None)
    with app.engine.connect() as conn:
        return queries.registration_detail(conn, actor, registration_id)


@router.get("/rejection-reasons", summary="Reason codes a reviewer can give")
def rejection_reasons(actor: CurrentActor) -> dict[str, Any]:
    actor.require(*Role)
    return {
        "items": [
            {"code": r.value, "label": r.label_en, "label_zh": r.label_zh} for r in RejectionReason
        ]
    }
