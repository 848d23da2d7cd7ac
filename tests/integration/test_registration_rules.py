"""Each RN rule refuses a registration on a real database, and a refusal changes nothing
except the audit record of the refusal."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from simreg.core.errors import DomainError, RuleViolated
from simreg.db import tables as t
from simreg.demo.synthetic import pool_numbers
from simreg.registration.services import RejectRegistration
from tests.support.world import FRONT, World

STATEFUL = [t.customers, t.lines, t.registrations, t.registration_photos]


def snapshot(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        counts = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in STATEFUL
        }
        counts["lines_available"] = conn.execute(
            select(func.count()).where(t.lines.c.state == "available")
        ).scalar_one()
        counts["held"] = conn.execute(select(func.sum(t.customers.c.held_lines))).scalar()
    return counts


def refusals(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(t.audit_events.c.action, t.audit_events.c.codes, t.audit_events.c.outlet_id)
                .where(t.audit_events.c.outcome == "refused")
                .order_by(t.audit_events.c.id)
            )
        )


def photo_files(world: World) -> int:
    root = world.simreg.settings.photo_dir
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def refused(world: World, who: str = "clerk_hall", **overrides: Any) -> DomainError:
    before, files = snapshot(world.simreg.engine), photo_files(world)
    with pytest.raises(DomainError) as caught:
        world.submit(who, **overrides)
    assert snapshot(world.simreg.engine) == before, "a refused registration changed data"
    assert photo_files(world) == files, "a refused registration left photo files behind"
    return caught.value


@pytest.mark.parametrize(
    ("who", "overrides", "code"),
    [
        ("clerk_hall", {"original_inspected": False}, "RN-02"),
        ("clerk_hall", {"inspection_method": None}, "RN-02"),
        ("clerk_hall", {"photos": {"front": FRONT}}, "RN-03"),
        ("clerk_hall", {"photos": {}}, "RN-03"),
        ("clerk_hall", {"document_number": "11010519491231002"}, "RN-04"),
        ("clerk_hall", {"document_number": "110105194912310021"}, "RN-04"),
        (
            "clerk_shop",
            {
                "document_type": "passport",
                "document_number": "E12345678",
                "photos": {"front": FRONT},
            },
            "RN-07",
        ),
        ("clerk_shop", {"document_type": "temporary_resident_id"}, "RN-07"),
        ("clerk_sub", {}, "RN-08"),
        ("clerk_ended", {}, "RN-08"),
        ("clerk_closed", {}, "RN-08"),
        (
            "clerk_hall",
            {"document_type": "business_licence", "document_number": "91110000600037341L"},
            "RN-12",
        ),
    ],
)
def test_rule_refuses_and_nothing_changes_but_the_refusal_audit(
    world: World, who: str, overrides: dict[str, Any], code: str
) -> None:
    error = refused(world, who, **overrides)

    assert isinstance(error, RuleViolated)
    assert code in [v.code for v in error.violations]
    assert all(v.message and v.message_zh for v in error.violations)
    (audit,) = refusals(world.simreg.engine)
    assert audit.action == "registration.submit"
    assert code in audit.codes.split(",")
    assert audit.outlet_id == world.outlets[who.removeprefix("clerk_")]


def test_malformed_document_number_names_its_reason(world: World) -> None:
    error = refused(world, document_number="110105194902310021")
    assert isinstance(error, RuleViolated)
    (violation,) = [v for v in error.violations if v.code == "RN-04"]
    assert violation.data["reason"] in {"DOC-DATE", "DOC-CHECKSUM"}


def test_social_channel_without_the_enrolled_app_device_is_refused_rn09(world: World) -> None:
    clerk = world.actors["clerk_shop"]
    no_device = type(clerk)(clerk.staff_id, clerk.username, clerk.role, clerk.outlet_id, None)
    other_device = type(clerk)(
        clerk.staff_id,
        clerk.username,
        clerk.role,
        clerk.outlet_id,
        world.actors["clerk_shop2"].device_id,
    )
    for actor in (no_device, other_device):
        with pytest.raises(RuleViolated) as caught:
            world.simreg.registrations.submit(actor, world.command())
        assert [v.code for v in caught.value.violations] == ["RN-09"]


def test_own_hall_accepts_every_personal_document_type(world: World) -> None:
    registration = world.submit(
        "clerk_hall",
        document_type="passport",
        document_number="E12345678",
        photos={"front": FRONT},
    )
    assert registration.state.value == "pending_review"


def test_sixth_line_for_one_document_is_refused_rn05_whatever_the_outlet(world: World) -> None:
    number = world.resident_id()
    for who in ("clerk_hall", "clerk_shop", "clerk_hall2", "clerk_shop2", "clerk_hall"):
        world.submit(who, document_number=number)

    error = refused(world, "clerk_shop", document_number=number)

    assert isinstance(error, RuleViolated)
    assert [v.code for v in error.violations] == ["RN-05"]
    assert error.violations[0].data == {"held_lines": 5, "per_id_limit": 5}


def test_typed_variants_of_one_number_count_as_one_document(world: World) -> None:
    number = "11010519491231002X"
    typed = [
        "11010519491231002x",
        "110105 19491231 002X",
        "１１０１０５１９４９１２３１００２Ｘ",
        "110105-19491231-002X",
        number,
    ]
    for variant in typed:
        world.submit(document_number=variant)
    error = refused(world, document_number=number)
    assert isinstance(error, RuleViolated) and error.code == "RN-05"


def test_rejected_and_cancelled_lines_do_not_count_towards_the_limit(world: World) -> None:
    number = world.resident_id()
    regs = [world.submit(document_number=number) for _ in range(5)]
    world.simreg.registrations.reject(
        world.actors["reviewer"], regs[0].id, RejectRegistration(("photo_unreadable",))
    )
    world.simreg.registrations.cancel(world.actors["clerk_hall"], regs[1].id)

    world.submit(document_number=number)
    world.submit(document_number=number)
    error = refused(world, document_number=number)
    assert error.code == "RN-05"


def test_limit_is_a_setting(world: World) -> None:
    world.simreg.registrations.per_id_limit = 2
    number = world.resident_id()
    world.submit(document_number=number)
    world.submit(document_number=number)
    assert refused(world, document_number=number).code == "RN-05"


def test_pending_lines_count_towards_the_limit(world: World) -> None:
    number = world.resident_id()
    for _ in range(5):
        world.submit(document_number=number)  # none reviewed yet
    assert refused(world, document_number=number).code == "RN-05"


def test_unknown_number_and_taken_number_are_refused_without_changes(world: World) -> None:
    assert refused(world, msisdn="13999999999").code == "LINE-NOT-FOUND"
    taken = world.number()
    world.submit(msisdn=taken)
    assert refused(world, msisdn=taken).code == "LINE-TAKEN"
    assert refused(world, msisdn="12345").code == "LINE-MSISDN"


def test_bad_photo_is_refused_with_its_reason(world: World) -> None:
    error = refused(world, photos={"front": FRONT, "back": b"not an image"})
    assert error.code == "PHOTO-NOT-IMAGE"
    # Which of the photos to take again, in both languages.
    assert error.details["photo"] == "back"
    assert error.message.startswith("Back of the document: ")
    assert error.message_zh.startswith("证件背面：")


def test_data_card_is_registered_like_a_voice_line(world: World) -> None:
    data_card = next(n.msisdn for n in pool_numbers(0, world.pool_size) if n.kind.value == "data")
    registration = world.submit(msisdn=data_card)
    with world.simreg.engine.connect() as conn:
        kind = conn.execute(
            select(t.lines.c.kind).where(t.lines.c.id == registration.line_id)
        ).scalar_one()
    assert kind == "data"
