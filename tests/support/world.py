"""A small operator for tests: channels of every kind, staff of every role, a number pool."""

from __future__ import annotations

import io
import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image

from simreg.bootstrap import Simreg
from simreg.channels.compliance import quarter_of
from simreg.channels.domain import ChannelKind, ChannelStatus
from simreg.core.actors import Actor, Role
from simreg.core.settings import Settings
from simreg.db import directory
from simreg.demo.synthetic import person_name, pool_numbers, resident_id
from simreg.registration.domain import Registration
from simreg.registration.services import SubmitRegistration


def jpeg(
    width: int = 320, height: int = 200, colour: tuple[int, int, int] = (200, 210, 230)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


PASSWORD = "correct-horse-42"
FRONT = jpeg(colour=(210, 220, 240))
BACK = jpeg(colour=(230, 220, 200))
# Inspections are planned for this quarter or later (PERIOD-PAST), on the operator's calendar.
THIS_QUARTER = quarter_of(datetime.now(ZoneInfo(Settings.model_fields["timezone"].default)).date())


@dataclass
class World:
    simreg: Simreg
    actors: dict[str, Actor]
    tokens: dict[str, str]
    device_tokens: dict[str, str]
    outlets: dict[str, int]
    pool_size: int
    _numbers: Any = None
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def __post_init__(self) -> None:
        self._numbers = iter(n.msisdn for n in pool_numbers(0, self.pool_size))

    def number(self) -> str:
        return str(next(self._numbers))

    def resident_id(self) -> str:
        return resident_id(self.rng)

    def command(self, **overrides: Any) -> SubmitRegistration:
        values: dict[str, Any] = {
            "msisdn": self.number(),
            "document_type": "resident_id",
            "document_number": self.resident_id(),
            "customer_name": person_name(self.rng),
            "original_inspected": True,
            "inspection_method": "chip_reader",
            "photos": {"front": FRONT, "back": BACK},
        }
        values.update(overrides)
        return SubmitRegistration(**values)

    def submit(self, who: str = "clerk_hall", **overrides: Any) -> Registration:
        return self.simreg.registrations.submit(self.actors[who], self.command(**overrides))

    def headers(self, who: str, device: str | None = None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.tokens[who]}"}
        if device:
            out["X-Device-Token"] = self.device_tokens[device]
        return out


def build_world(simreg: Simreg, *, pool_size: int = 400) -> World:
    now = simreg.clock.now()
    vault = simreg.vault
    actors: dict[str, Actor] = {}
    tokens: dict[str, str] = {}
    device_tokens: dict[str, str] = {}
    outlets: dict[str, int] = {}
    devices: dict[str, int] = {}
    serial = itertools.count(1)
    password_hash = simreg.staff.hasher.hash(PASSWORD)
    with simreg.engine.begin() as conn:
        own = directory.add_channel(conn, code="OWN", name="Own hall", kind=ChannelKind.OWN, at=now)
        social = directory.add_channel(
            conn, code="SOC", name="Reseller", kind=ChannelKind.SOCIAL, at=now
        )
        sub = directory.add_channel(
            conn,
            code="SUB",
            name="Sub-agent",
            kind=ChannelKind.SOCIAL,
            at=now,
            parent_channel_id=social,
        )
        ended = directory.add_channel(
            conn,
            code="END",
            name="Terminated reseller",
            kind=ChannelKind.SOCIAL,
            at=now,
            status=ChannelStatus.TERMINATED,
        )
        for name, channel, active in [
            ("hall", own, True),
            ("hall2", own, True),
            ("shop", social, True),
            ("shop2", social, True),
            ("sub", sub, True),
            ("ended", ended, True),
            ("closed", own, False),
        ]:
            outlets[name] = directory.add_outlet(
                conn, channel_id=channel, code=name.upper(), name=name, at=now, active=active
            )
        for name in ("shop", "shop2", "sub", "ended"):
            devices[name] = directory.enrol_device(
                conn, outlet_id=outlets[name], serial=f"DEV-{next(serial)}", at=now
            )
            device_tokens[name] = directory.issue_token(
                conn, vault.tokens, at=now, device_id=devices[name]
            )
        people = [
            ("clerk_hall", Role.CLERK, "hall", None),
            ("clerk_hall2", Role.CLERK, "hall2", None),
            ("clerk_shop", Role.CLERK, "shop", "shop"),
            ("clerk_shop2", Role.CLERK, "shop2", "shop2"),
            ("clerk_sub", Role.CLERK, "sub", "sub"),
            ("clerk_ended", Role.CLERK, "ended", "ended"),
            ("clerk_closed", Role.CLERK, "closed", None),
            ("reviewer", Role.REVIEWER, None, None),
            ("reviewer2", Role.REVIEWER, None, None),
            ("admin", Role.ADMIN, None, None),
            ("auditor", Role.AUDITOR, None, None),
            ("call_centre", Role.CALL_CENTRE, None, None),
            ("risk", Role.RISK_ANALYST, None, None),
            ("manager", Role.CHANNEL_MANAGER, None, None),
        ]
        for username, role, outlet, device in people:
            outlet_id = outlets[outlet] if outlet else None
            staff_id = directory.add_staff(
                conn,
                username=username,
                display_name=username,
                role=role,
                at=now,
                outlet_id=outlet_id,
                password_hash=password_hash,
            )
            tokens[username] = directory.issue_token(conn, vault.tokens, at=now, staff_id=staff_id)
            actors[username] = Actor(
                staff_id, username, role, outlet_id, devices[device] if device else None
            )
        directory.add_numbers(conn, pool_numbers(0, pool_size), now)
    return World(simreg, actors, tokens, device_tokens, outlets, pool_size)
