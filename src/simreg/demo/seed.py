"""Seed a fresh database with a believable operator: channels, staff, numbers, customers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from rich.progress import Progress
from sqlalchemy import Connection, insert, update

from simreg.bootstrap import Simreg
from simreg.channels.domain import ChannelKind, ChannelStatus
from simreg.core.actors import Actor, Role
from simreg.core.errors import DomainError
from simreg.db import directory
from simreg.db import tables as t
from simreg.demo.enterprise_seed import EnterpriseDemo, seed_enterprise
from simreg.demo.history import HistorySeed, seed_history
from simreg.demo.identity_authority import AUTHORITY_POPULATION, known_person
from simreg.demo.legacy_seed import LegacySeed, seed_legacy_base
from simreg.demo.shop_seed import ShopSeed, seed_shop
from simreg.demo.story import (
    REVIEWER_PACE,
    SteppingClock,
    review_wait,
    story_start,
    working_hours,
)
from simreg.demo.synthetic import person_name, pool_numbers, resident_id, specimen_photo
from simreg.registration.services import (
    RegistrationService,
    RejectRegistration,
    SubmitRegistration,
)
from simreg.simulators.identity_authority import Person

# Every demo account shares it; a demo database holds only synthetic people.
DEMO_PASSWORD = "simreg-demo-2026"  # noqa: S105


@dataclass
class DemoAccess:
    tokens: dict[str, str] = field(default_factory=dict)  # username -> bearer token
    password: str = DEMO_PASSWORD
    device_token: str = ""
    device_serial: str = ""
    free_numbers: list[str] = field(default_factory=list)
    fresh_resident_id: str = ""
    full_resident_id: str = ""  # a document already holding the limit, for trying RN-05
    counts: dict[str, int] = field(default_factory=dict)
    legacy: LegacySeed | None = None
    enterprise: EnterpriseDemo | None = None  # RN-12: the group customer and its roster CSV
    shop: ShopSeed | None = None  # RN-10/RN-11: the online shop's numbers and courier
    shop_customer: Person | None = None
    history: HistorySeed | None = None  # the past the report pages show


STAFF = [
    ("admin", "系统管理员 Admin", Role.ADMIN, None),
    ("reviewer", "审核员 李审 (Reviewer)", Role.REVIEWER, None),
    ("reviewer2", "审核员 周核 (Reviewer)", Role.REVIEWER, None),
    ("reviewer3", "审核员 夜班 吴审 (Reviewer, late shift)", Role.REVIEWER, None),
    ("clerk.hall", "营业员 王柜 (own hall)", Role.CLERK, "hall"),
    ("clerk.shop", "营业员 陈店 (social outlet)", Role.CLERK, "shop"),
    ("clerk.subagent", "营业员 赵代 (sub-agent outlet)", Role.CLERK, "subagent"),
    ("auditor", "稽核 Auditor", Role.AUDITOR, None),
    ("manager", "渠道经理 周管 (Channel manager)", Role.CHANNEL_MANAGER, None),
    ("agent", "外呼坐席 孙呼 (Call centre)", Role.CALL_CENTRE, None),
    ("risk", "安全分析 钱控 (Risk analyst)", Role.RISK_ANALYST, None),
    ("account.manager", "集团客户经理 吴企 (Account manager)", Role.ACCOUNT_MANAGER, None),
]


def seed_demo(
    simreg: Simreg,
    *,
    customers: int = 300,
    numbers: int = 2000,
    seed: int = 20130901,
    progress: bool = True,
    legacy_lines: int = 3000,
) -> DemoAccess:
    rng = random.Random(seed)
    now = simreg.clock.now()
    access = DemoAccess()
    password_hash = simreg.staff.hasher.hash(DEMO_PASSWORD)
    with simreg.engine.begin() as conn:
        own = directory.add_channel(
            conn, code="GD-OWN-001", name="广州天河自有营业厅", kind=ChannelKind.OWN, at=now
        )
        social = directory.add_channel(
            conn,
            code="GD-SOC-017",
            name="天河通讯专营店（社会渠道）",
            kind=ChannelKind.SOCIAL,
            at=now,
        )
        sub = directory.add_channel(
            conn,
            code="GD-SOC-017-A",
            name="岗顶手机摊（下级代理）",
            kind=ChannelKind.SOCIAL,
            at=now,
            parent_channel_id=social,
        )
        directory.add_channel(
            conn, code="GD-WEB", name="网上营业厅", kind=ChannelKind.ONLINE, at=now
        )
        directory.add_channel(
            conn,
            code="GD-SOC-009",
            name="已解约代理商",
            kind=ChannelKind.SOCIAL,
            at=now,
            status=ChannelStatus.TERMINATED,
        )
        _organise(conn, now, own=own, social=social, sub=sub)
        outlets = {
            "hall": directory.add_outlet(
                conn, channel_id=own, code="TH-HALL-01", name="天河营业厅 1号柜台", at=now
            ),
            "shop": directory.add_outlet(
                conn, channel_id=social, code="TH-SHOP-17", name="天河通讯专营店", at=now
            ),
            "subagent": directory.add_outlet(
                conn, channel_id=sub, code="GD-SUB-A1", name="岗顶手机摊", at=now
            ),
        }
        access.device_serial = "APP-TH17-0001"
        device = directory.enrol_device(
            conn, outlet_id=outlets["shop"], serial=access.device_serial, at=now
        )
        access.device_token = directory.issue_token(
            conn, simreg.vault.tokens, at=now, device_id=device, label="demo app device"
        )
        staff_ids: dict[str, int] = {}
        for username, name, role, outlet in STAFF:
            staff_ids[username] = directory.add_staff(
                conn,
                username=username,
                display_name=name,
                role=role,
                at=now,
                outlet_id=outlets[outlet] if outlet else None,
                password_hash=password_hash,
            )
            access.tokens[username] = directory.issue_token(
                conn, simreg.vault.tokens, at=now, staff_id=staff_ids[username], label="demo"
            )
        directory.add_numbers(conn, pool_numbers(0, numbers), now)

    hall_clerk = Actor(staff_ids["clerk.hall"], "clerk.hall", Role.CLERK, outlets["hall"])
    shop_clerk = Actor(
        staff_ids["clerk.shop"], "clerk.shop", Role.CLERK, outlets["shop"], device_id=device
    )
    reviewers = [Actor(staff_ids[name], name, Role.REVIEWER) for name in REVIEWER_PACE]
    zone = ZoneInfo(simreg.settings.timezone)
    clock = SteppingClock(story_start(now))
    service = _service_on(simreg, clock)
    front, back = specimen_photo("FRONT"), specimen_photo("BACK")
    msisdns = iter(n.msisdn for n in pool_numbers(0, numbers))
    counts = {"active": 0, "rejected": 0, "pending_review": 0, "refused": 0}

    access.full_resident_id = resident_id(rng)
    people = [(access.full_resident_id, person_name(rng))] * 5
    people += [(resident_id(rng), person_name(rng)) for _ in range(customers)]
    pending_tail = max(1, len(people) // 8)
    decided = len(people) - pending_tail
    # Decided customers came in over the story at working hours, two days clear of today so
    # no review wait runs past the present; the queue's tail was submitted just now.
    span = now - timedelta(days=2) - clock.current
    opened = clock.current
    queue_from = now - timedelta(seconds=20 * pending_tail + 600)
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("Seeding demo customers", total=len(people))
        for i, (number, name) in enumerate(people):
            clerk = shop_clerk if i % 3 == 0 else hall_clerk
            if i < decided:
                slot = opened + span * ((i + rng.random()) / decided)
                clock.current = max(clock.current, working_hours(slot, zone))
            else:
                clock.current = max(clock.current, queue_from) + timedelta(seconds=20)
            try:
                registration = service.submit(
                    clerk,
                    SubmitRegistration(
                        msisdn=next(msisdns),
                        document_type="resident_id",
                        document_number=number,
                        customer_name=name,
                        original_inspected=True,
                        inspection_method="chip_reader" if i % 4 else "visual",
                        photos={"front": front, "back": back},
                    ),
                )
            except DomainError:
                counts["refused"] += 1
                continue
            if i >= decided:
                counts["pending_review"] += 1
                bar.advance(task)
                continue
            reviewer = rng.choice(reviewers)
            clock.advance(review_wait(rng, reviewer.username))
            if i % 11 == 7:
                service.reject(reviewer, registration.id, _reject_reason(i))
                counts["rejected"] += 1
            else:
                service.approve(reviewer, registration.id)
                service.activate(reviewer, registration.id)
                counts["active"] += 1
            bar.advance(task)
    access.counts = counts
    access.free_numbers = [next(msisdns) for _ in range(10)]
    access.fresh_resident_id = resident_id(rng)
    if legacy_lines:
        access.legacy = seed_legacy_base(
            simreg,
            manager=Actor(staff_ids["manager"], "manager", Role.CHANNEL_MANAGER),
            risk=Actor(staff_ids["risk"], "risk", Role.RISK_ANALYST),
            lines=legacy_lines,
        )
    access.enterprise = seed_enterprise(simreg)
    access.shop = seed_shop(simreg, password_hash=password_hash)
    access.history = seed_history(simreg, staff_ids=staff_ids, hall=(own, outlets["hall"]), rng=rng)
    # Someone the identity authority knows and nobody has registered yet, for an online order.
    access.shop_customer = known_person(AUTHORITY_POPULATION - 1)
    return access


def _service_on(simreg: Simreg, clock: SteppingClock) -> RegistrationService:
    base = simreg.registrations
    return RegistrationService(
        uow=base.uow,
        vault=base.vault,
        photo_store=base.photo_store,
        check_photo=base.check_photo,
        clock=clock,
        per_id_limit=base.per_id_limit,
        enforce_per_id_limit=True,
    )


def _reject_reason(i: int) -> RejectRegistration:
    options = [("photo_unreadable",), ("name_mismatch",), ("not_original",)]
    return RejectRegistration(options[i % 3], "请重新拍摄证件原件 / retake the original")


def _organise(conn: Connection, now: datetime, *, own: int, social: int, sub: int) -> None:
    """Org units owning the channels, the reseller's agreement, and one applicant."""
    province = _org_unit(conn, "GD", "广东省", "province", None, now)
    city = _org_unit(conn, "GD-GZ", "广州市", "city", province, now)
    county = _org_unit(conn, "GD-GZ-TH", "天河区", "county", city, now)
    conn.execute(
        update(t.channels).where(t.channels.c.id.in_([own, social, sub])).values(org_unit_id=county)
    )
    conn.execute(
        update(t.channels)
        .where(t.channels.c.id == social)
        .values(
            agreement_no="GD-RN-2026-017",
            agreement_signed_on=date(2026, 1, 5),
            agreement_valid_until=date(2028, 1, 4),
            manager_name="陈店长",
        )
    )
    applicant = directory.add_channel(
        conn,
        code="GD-SOC-031",
        name="珠江新城手机店（申请中）",
        kind=ChannelKind.SOCIAL,
        at=now,
        status=ChannelStatus.APPLIED,
    )
    conn.execute(update(t.channels).where(t.channels.c.id == applicant).values(org_unit_id=county))


def _org_unit(
    conn: Connection, code: str, name: str, level: str, parent: int | None, now: datetime
) -> int:
    return int(
        conn.execute(
            insert(t.org_units)
            .values(code=code, name=name, level=level, parent_id=parent, created_at=now)
            .returning(t.org_units.c.id)
        ).scalar_one()
    )
