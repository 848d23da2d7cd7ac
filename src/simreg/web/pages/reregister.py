"""The subscriber's self-service re-registration page, reached from the campaign SMS (RN-13).
No login: the signed, expiring link is the credential, and it names one line only."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from simreg.campaigns.domain import CampaignStatus
from simreg.campaigns.ports import LinkTarget
from simreg.core.errors import DomainError, NotFound
from simreg.lines.domain import LineState, RealNameState
from simreg.registration.domain import RejectionReason
from simreg.web.pages.rendering import negotiate_language
from simreg.web.pages.shared import site
from simreg.web.public_throttle import throttled_link

router = APIRouter(include_in_schema=False, dependencies=[Depends(throttled_link)])


def _masked(msisdn: str) -> str:
    return f"{msisdn[:3]}****{msisdn[-4:]}"


@router.get("/r/{token}")
def reregister_page(request: Request, token: str) -> Response:
    s = site(request)
    language = negotiate_language(request)
    try:
        target = s.simreg.campaigns.open_link(token)
    except NotFound as dead:
        return s.pages.render(
            request, "reregister/dead.html", language, status_code=404, error=dead
        )
    return s.pages.render(
        request,
        "reregister/form.html",
        language,
        **_about(s.simreg.clock.today(), target),
        closed=target.campaign_status is CampaignStatus.CLOSED,
        pending=target.real_name_state is RealNameState.REVERIFICATION_PENDING,
        verified=target.real_name_state is RealNameState.VERIFIED,
        rejected_for=_reasons(target.rejected_for, language),
        token=token,
    )


def _reasons(codes: tuple[str, ...], language: str) -> list[str]:
    """The review's reasons in the subscriber's language (codes that are no longer reasons are
    left out rather than shown raw)."""
    known = {reason.value: reason for reason in RejectionReason}
    reasons = [known[code] for code in codes if code in known]
    return [r.for_subscriber(chinese=language.startswith("zh")) for r in reasons]


@router.post("/r/{token}")
def reregister(
    request: Request,
    token: str,
    document_number: Annotated[str, Form(max_length=40)] = "",
    customer_name: Annotated[str, Form(max_length=100)] = "",
    front: Annotated[UploadFile | None, File()] = None,
    back: Annotated[UploadFile | None, File()] = None,
    portrait: Annotated[UploadFile | None, File()] = None,
) -> Response:
    s = site(request)
    language = negotiate_language(request)
    limit = s.simreg.settings.photo_max_bytes + 1
    photos = {
        kind: upload.file.read(limit)
        for kind, upload in (("front", front), ("back", back), ("portrait", portrait))
        if upload is not None and upload.filename
    }
    try:
        target = s.simreg.campaigns.open_link(token)
        s.simreg.campaigns.reregister(token, document_number, customer_name, photos)
    except NotFound as dead:
        return s.pages.render(
            request, "reregister/dead.html", language, status_code=404, error=dead
        )
    except DomainError as problem:
        return s.pages.render(
            request,
            "reregister/form.html",
            language,
            status_code=422,
            error=problem,
            violations=getattr(problem, "violations", []),
            **_about(s.simreg.clock.today(), target),
            closed=False,
            pending=False,
            verified=False,
            token=token,
            customer_name=customer_name,
            document_number=document_number,
        )
    return s.pages.render(
        request, "reregister/done.html", language, **_about(s.simreg.clock.today(), target)
    )


def _about(today: date, target: LinkTarget) -> dict[str, Any]:
    """What the page says of the line: a suspended one is told it is restored on approval,
    not that it may be suspended, and a deadline already past is not offered."""
    return {
        "msisdn": _masked(target.msisdn),
        "deadline": target.deadline if target.deadline and target.deadline >= today else None,
        "suspended": target.line_state
        in (LineState.SUSPENDED_ONE_WAY, LineState.SUSPENDED_TWO_WAY),
        # Only a campaign's suspension is lifted by approval; of any other, nothing is said.
        "restored_on_approval": target.suspended_by_campaign,
    }
