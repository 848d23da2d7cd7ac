"""The back-office review console: a queue by waiting time, one claimed item at a time."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from simreg.channels.domain import Channel, ChannelKind, ChannelStatus
from simreg.core.actors import Role
from simreg.core.errors import Conflict, DomainError, InvalidInput
from simreg.db import queries
from simreg.db.review_queries import claim_holder, record_identity_view, review_item
from simreg.identity.documents import DocumentInvalid, parse_document
from simreg.identity.names import mask_name
from simreg.legacy.staging import HOLDER_NAME_PURPOSE
from simreg.policy.rules import check_document, check_per_id_limit
from simreg.registration.domain import RejectionReason
from simreg.registration.services import RejectRegistration
from simreg.staff.services import Session
from simreg.web.input_guard import checked_text
from simreg.web.pages.session import PageSession, allow
from simreg.web.pages.shared import site

router = APIRouter(include_in_schema=False)
TARGET_MINUTES = 30  # service target for a registration to be decided


@router.get("/review")
def queue(request: Request, session: PageSession) -> Response:
    allow(session, Role.REVIEWER, Role.ADMIN)
    s = site(request)
    with s.simreg.engine.connect() as conn:
        waiting = queries.review_queue(conn, session.actor, now=s.simreg.clock.now(), limit=200)
    return s.render(
        request,
        session,
        "review/queue.html",
        queue=waiting,
        target_seconds=TARGET_MINUTES * 60,
        empty=request.query_params.get("empty") == "1",
    )


@router.post("/review/next")
def next_item(request: Request, session: PageSession) -> Response:
    allow(session, Role.REVIEWER, Role.ADMIN)
    claimed = site(request).simreg.registrations.claim_next(session.actor)
    if claimed is None:
        return RedirectResponse("/review?empty=1", status_code=303)
    return RedirectResponse(f"/review/{claimed}", status_code=303)


def _facts(request: Request, session: Session, item: dict[str, Any]) -> dict[str, Any]:
    """Decrypted data for the reviewer, and the checks re-run on it now."""
    s = site(request)
    vault = s.simreg.vault
    number = vault.fields.decrypt_text(item.pop("_doc_number_enc"), "customer.doc_number")
    name = vault.fields.decrypt_text(item.pop("_name_enc"), "registration.name")
    holder_enc = item.pop("_holder_name_enc", None)
    facts: dict[str, Any] = {"number": number, "name": name, "checks": []}
    if item["source"] in REREGISTRATIONS:
        facts["holder"] = (
            vault.fields.decrypt_text(holder_enc, HOLDER_NAME_PURPOSE) if holder_enc else None
        )
    try:
        document = parse_document(
            item["customer"]["document_type"], number, today=s.simreg.clock.today()
        )
        facts["document"] = document
    except DocumentInvalid as problem:
        facts["document_problem"] = problem
    return facts


def _sealed(
    item: dict[str, Any], facts: dict[str, Any], checks: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A decided item someone else decided: the checks keep their outcome, but the name,
    the number and the name on the line's record are shown masked, as everywhere else."""
    masked = {
        **facts,
        "number": item["customer"]["document_number"],
        "name": item["customer"]["name"],
        "sealed": True,
    }
    masked.pop("holder", None)
    shown = [
        {**c, "args": {**c["args"], "holder": mask_name(c["args"]["holder"])}}
        if c["args"].get("holder")
        else c
        for c in checks
    ]
    return masked, shown


_AUTHORITY_LABELS = {
    "match": "Identity authority: the number belongs to this name (reference %(reference)s)",
    "mismatch": "Identity authority: the name does not match the number (reference %(reference)s)",
    "not_found": "Identity authority: no such document number (reference %(reference)s)",
    "unavailable": "Identity authority: not answered yet",
}


def _checks(item: dict[str, Any], facts: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    # A self-service re-registration or an online order came in online (RN-13, RN-10); a
    # group customer's actual user is handled by the operator's own account managers (RN-12).
    fallback = ChannelKind.OWN if item["source"] == "enterprise" else ChannelKind.ONLINE
    kind = item["channel"]["kind"] or fallback.value
    channel = Channel(0, item["channel"]["code"] or "", "", ChannelKind(kind), ChannelStatus.ACTIVE)
    held_others = item["customer"]["lines_held"] - (1 if item["state"] == "pending_review" else 0)
    lines_held = item["customer"]["lines_held"]
    found: list[tuple[str, str, dict[str, Any], bool | None]] = [
        ("RN-04", "Valid identity document", {}, "document" in facts),
        (
            "RN-07",
            "Document accepted at this channel",
            {},
            "document" in facts and not check_document(channel, facts["document"], None),
        ),
        (
            "RN-05",
            "Lines held by this document: %(held)s of %(limit)s",
            {"held": lines_held, "limit": limit},
            not check_per_id_limit(held_others, limit),
        ),
        (
            "RN-02",
            _INSPECTION_LABELS.get(item["inspection_method"], "Original inspected (%(method)s)"),
            {"method": item["inspection_method"]},
            # Uploaded by the subscriber: nobody saw the original. Not a failure (the photos
            # are what the reviewer judges), but not a pass either.
            None if item["inspection_method"] == "online_upload" else True,
        ),
        ("RN-03", "Document photographed", {}, {p["kind"] for p in item["photos"]} >= {"front"}),
    ]
    if item["source"] in REREGISTRATIONS:
        holder = facts.get("holder")
        found.append(
            (
                "RN-13",
                _HOLDER_LABELS[bool(holder)],
                {"holder": holder},
                # Not a failure when the record has no name (most legacy lines); a different
                # name is one: an RN-14 transfer named someone else, or the base did.
                None if not holder else _same_name(holder, facts["name"]),
            )
        )
        named = item.get("named_document_matches")
        if named is not None:
            found.append(("RN-14", _NAMED_LABELS[named], {}, named))
    origin = item.get("origin")
    if origin is not None and origin["kind"] == "enterprise":
        # No clerk saw an original and nothing was photographed: the group customer's agreement
        # names the user, and the identity authority vouches for the number and name (RN-12).
        found = [f for f in found if f[0] not in ("RN-02", "RN-03")]
        found.append(
            (
                "RN-12",
                "Actual user of %(enterprise)s, under its real-name agreement",
                {"enterprise": origin["enterprise"]},
                True,
            )
        )
    if origin is not None:
        check = origin["check"] or {"result": "unavailable", "reference": None}
        found.append(
            (
                "RN-10",
                _AUTHORITY_LABELS.get(check["result"], _AUTHORITY_LABELS["unavailable"]),
                {"reference": check["reference"] or "-"},
                check["result"] == "match",
            )
        )
    return [{"code": c, "label": label, "args": args, "ok": ok} for c, label, args, ok in found]


REREGISTRATIONS = frozenset({"self_service", "counter_rereg"})
_NAMED_LABELS = {
    True: "The document an RN-14 transfer named for this line",
    False: "Not the document the RN-14 transfer named for this line",
}
_HOLDER_LABELS = {
    True: "Name on the line's record: %(holder)s",
    False: "No name on the line's record",
}


def _same_name(recorded: str, entered: str) -> bool:
    return "".join(recorded.split()).casefold() == "".join(entered.split()).casefold()


# How the original was seen, in words (each a message of its own, so it is translated whole).
_INSPECTION_LABELS = {
    "chip_reader": "Original inspected: chip read by the ID card reader",
    "visual": "Original inspected by eye",
    "online_upload": "No original seen: photos uploaded by the subscriber",
}


@router.post("/review/{registration_id}/claim")
def claim_item(request: Request, session: PageSession, registration_id: str) -> Response:
    """Opening an item from the queue takes it: a form, so that no link can do so."""
    allow(session, Role.REVIEWER, Role.ADMIN)
    with contextlib.suppress(Conflict):  # the page says another reviewer holds it
        site(request).simreg.registrations.claim(session.actor, registration_id)
    return RedirectResponse(f"/review/{registration_id}", status_code=303)


@router.get("/review/{registration_id}")
def item_page(request: Request, session: PageSession, registration_id: str) -> Response:
    """The item as it stands. Opening it takes nothing (a link anyone can send must not pull
    it from the queue): the decisions are offered to the reviewer holding it, and anyone
    else is told who does, or offered to take it."""
    allow(session, Role.REVIEWER, Role.ADMIN)
    return _item_page(request, session, registration_id, revealed=False)


@router.post("/review/{registration_id}/reveal")
def reveal(request: Request, session: PageSession, registration_id: str) -> Response:
    """A decided item's name, number and photos in full, for a reviewer who did not decide
    it (a complaint, a fraud inquiry): shown once, and audited."""
    allow(session, Role.REVIEWER, Role.ADMIN)
    return _item_page(request, session, registration_id, revealed=True)


def _item_page(
    request: Request, session: Session, registration_id: str, *, revealed: bool
) -> Response:
    s = site(request)
    # Only a reveal writes (its audit row): a plain view stays a read, which on SQLite takes
    # no write lock.
    with s.simreg.engine.begin() if revealed else s.simreg.engine.connect() as conn:
        item = review_item(conn, session.actor, registration_id)
        holder = claim_holder(conn, registration_id, s.simreg.clock.now())
        if revealed and item["sealed"]:
            record_identity_view(
                conn, session.actor, registration_id, "document", s.simreg.clock.now()
            )
    facts = _facts(request, session, item)
    checks = _checks(item, facts, s.simreg.settings.per_id_limit)
    if item["sealed"] and not revealed:
        facts, checks = _sealed(item, facts, checks)
    return s.render(
        request,
        session,
        "review/item.html",
        item=item,
        facts=facts,
        checks=checks,
        reasons=list(RejectionReason),
        claim=_claim_state(holder, session),
        decided=request.query_params.get("decided"),
    )


def _claim_state(holder: tuple[int, str] | None, session: Session) -> dict[str, Any]:
    if holder is None:
        return {"state": "free"}
    if holder[0] == session.actor.staff_id:
        return {"state": "mine"}
    return {"state": "other", "name": holder[1]}


@router.post("/review/{registration_id}/approve")
def approve(request: Request, session: PageSession, registration_id: str) -> Response:
    allow(session, Role.REVIEWER, Role.ADMIN)
    s = site(request)
    try:
        s.simreg.registrations.approve(session.actor, registration_id, open_line=True)
    except DomainError as problem:
        return _item_with_error(request, session, registration_id, problem)
    return RedirectResponse(f"/review/{registration_id}?decided=approved", status_code=303)


@router.post("/review/{registration_id}/reject")
def reject(
    request: Request,
    session: PageSession,
    registration_id: str,
    reasons: Annotated[list[str] | None, Form()] = None,
    comment: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    allow(session, Role.REVIEWER, Role.ADMIN)
    s = site(request)
    try:
        checked_text("comment", comment)
        s.simreg.registrations.reject(
            session.actor, registration_id, RejectRegistration(tuple(reasons or ()), comment)
        )
    except (InvalidInput, DomainError) as problem:
        return _item_with_error(request, session, registration_id, problem)
    return RedirectResponse(f"/review/{registration_id}?decided=rejected", status_code=303)


@router.post("/review/{registration_id}/release")
def release(request: Request, session: PageSession, registration_id: str) -> Response:
    allow(session, Role.REVIEWER, Role.ADMIN)
    site(request).simreg.registrations.release(session.actor, registration_id)
    return RedirectResponse("/review", status_code=303)


@router.get("/review/{registration_id}/photos/{kind}")
def photo(request: Request, session: PageSession, registration_id: str, kind: str) -> Response:
    s = site(request)
    with s.simreg.engine.connect() as conn:
        access = queries.photo_key(conn, session.actor, registration_id, kind)
    if access.audited:
        with s.simreg.engine.begin() as conn:
            record_identity_view(conn, session.actor, registration_id, kind, s.simreg.clock.now())
    return Response(
        s.simreg.photo_store.get(access.store_key),
        media_type=access.content_type,
        headers={"Cache-Control": "private, no-store"},
    )


def _item_with_error(
    request: Request, session: Session, registration_id: str, problem: DomainError
) -> Response:
    s = site(request)
    with s.simreg.engine.connect() as conn:
        item = review_item(conn, session.actor, registration_id)
        holder = claim_holder(conn, registration_id, s.simreg.clock.now())
    facts = _facts(request, session, item)
    checks = _checks(item, facts, s.simreg.settings.per_id_limit)
    if item["sealed"]:  # another reviewer decided it meanwhile
        facts, checks = _sealed(item, facts, checks)
    # Refused because another reviewer took it meanwhile: say who, and offer no decisions.
    claim = _claim_state(holder, session) if holder is not None else {"state": "mine"}
    return s.render(
        request,
        session,
        "review/item.html",
        status_code=409 if isinstance(problem, Conflict) else 422,
        item=item,
        facts=facts,
        checks=checks,
        reasons=list(RejectionReason),
        claim=claim,
        error=problem,
        decided=None,
    )
