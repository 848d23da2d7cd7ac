"""Setting up who and what may register: channels, outlets, devices, staff, tokens, numbers.

Used by the CLI and the demo seed; issue-4 governance will grow this into its own feature.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from simreg.channels.domain import ChannelKind, ChannelStatus
from simreg.core.actors import Actor, Role
from simreg.core.crypto import BlindIndex
from simreg.core.errors import InvalidInput, Unauthenticated
from simreg.db import tables as t
from simreg.db.repositories import aware
from simreg.lines.domain import LineKind, LineState, parse_iccid, parse_imsi, parse_msisdn


def add_channel(
    conn: Connection,
    *,
    code: str,
    name: str,
    kind: ChannelKind,
    at: datetime,
    status: ChannelStatus = ChannelStatus.ACTIVE,
    parent_channel_id: int | None = None,
) -> int:
    return int(
        conn.execute(
            insert(t.channels)
            .values(
                code=code,
                name=name,
                kind=kind.value,
                status=status.value,
                parent_channel_id=parent_channel_id,
                created_at=at,
            )
            .returning(t.channels.c.id)
        ).scalar_one()
    )


def add_outlet(
    conn: Connection,
    *,
    channel_id: int,
    code: str,
    name: str,
    at: datetime,
    active: bool = True,
    address: str | None = None,
) -> int:
    return int(
        conn.execute(
            insert(t.outlets)
            .values(
                channel_id=channel_id,
                code=code,
                name=name,
                address=address,
                active=active,
                created_at=at,
            )
            .returning(t.outlets.c.id)
        ).scalar_one()
    )


def enrol_device(
    conn: Connection, *, outlet_id: int, serial: str, at: datetime, active: bool = True
) -> int:
    return int(
        conn.execute(
            insert(t.devices)
            .values(outlet_id=outlet_id, serial=serial, active=active, enrolled_at=at)
            .returning(t.devices.c.id)
        ).scalar_one()
    )


def add_staff(
    conn: Connection,
    *,
    username: str,
    display_name: str,
    role: Role,
    at: datetime,
    outlet_id: int | None = None,
    password_hash: str | None = None,
) -> int:
    if role is Role.CLERK and outlet_id is None:
        raise InvalidInput("A clerk must be bound to an outlet.", code="STAFF-OUTLET")
    return int(
        conn.execute(
            insert(t.staff)
            .values(
                username=username,
                display_name=display_name,
                role=role.value,
                outlet_id=outlet_id,
                active=True,
                created_at=at,
                password_hash=password_hash,
            )
            .returning(t.staff.c.id)
        ).scalar_one()
    )


def issue_token(
    conn: Connection,
    index: BlindIndex,
    *,
    at: datetime,
    staff_id: int | None = None,
    device_id: int | None = None,
    label: str = "",
    expires_at: datetime | None = None,
) -> str:
    """A new bearer token; only its keyed hash is stored, so it is shown exactly once."""
    token = "sr_" + secrets.token_urlsafe(32)
    conn.execute(
        insert(t.api_tokens).values(
            token_index=index.digest(token),
            staff_id=staff_id,
            device_id=device_id,
            label=label,
            created_at=at,
            expires_at=expires_at,
        )
    )
    return token


def revoke_staff_tokens(
    conn: Connection, staff_id: int, at: datetime, *, but: str | None = None
) -> int:
    """Revoke every live token of a staff member except ``but`` (the one just issued)."""
    query = update(t.api_tokens).where(
        t.api_tokens.c.staff_id == staff_id, t.api_tokens.c.revoked_at.is_(None)
    )
    if but is not None:
        query = query.where(t.api_tokens.c.token_index != but)
    result = conn.execute(query.values(revoked_at=at))
    return int(result.rowcount)


def revoke_token(conn: Connection, index: BlindIndex, token: str, at: datetime) -> bool:
    result = conn.execute(
        update(t.api_tokens)
        .where(
            t.api_tokens.c.token_index == index.digest(token), t.api_tokens.c.revoked_at.is_(None)
        )
        .values(revoked_at=at)
    )
    return result.rowcount == 1


def authenticate(
    conn: Connection,
    index: BlindIndex,
    token: str,
    device_token: str | None = None,
    *,
    now: datetime,
) -> Actor:
    """The staff member behind a bearer token, and the enrolled device if one was presented."""
    row = conn.execute(
        select(
            t.staff.c.id,
            t.staff.c.username,
            t.staff.c.role,
            t.staff.c.outlet_id,
            t.api_tokens.c.expires_at,
        )
        .join(t.api_tokens, t.api_tokens.c.staff_id == t.staff.c.id)
        .where(
            t.api_tokens.c.token_index == index.digest(token),
            t.api_tokens.c.revoked_at.is_(None),
            t.staff.c.active.is_(True),
        )
    ).one_or_none()
    if row is None:
        raise Unauthenticated()
    expires_at = aware(row.expires_at)
    if expires_at is not None and expires_at <= now:
        raise Unauthenticated(
            "The API token has expired; ask an administrator for a new one "
            "(simreg staff token USERNAME).",
            code="TOKEN-EXPIRED",
            message_zh="API 令牌已过期，请联系管理员重新签发（simreg staff token 用户名）。",
            expired_at=expires_at.isoformat(),
        )
    device_id = None
    if device_token:
        device_id = device_for_token(conn, index, device_token)
        if device_id is None:
            raise Unauthenticated(
                "The device token is unknown or revoked; re-enrol the device.",
                code="DEVICE-UNAUTHENTICATED",
                message_zh="设备令牌无效或已吊销，请重新登记设备。",
            )
    return Actor(
        staff_id=row.id,
        username=row.username,
        role=Role(row.role),
        outlet_id=row.outlet_id,
        device_id=device_id,
    )


def device_for_token(conn: Connection, index: BlindIndex, device_token: str) -> int | None:
    """The enrolled device a device token belongs to, unless revoked."""
    found = conn.execute(
        select(t.api_tokens.c.device_id).where(
            t.api_tokens.c.token_index == index.digest(device_token),
            t.api_tokens.c.revoked_at.is_(None),
            t.api_tokens.c.device_id.is_not(None),
        )
    ).scalar_one_or_none()
    return int(found) if found is not None else None


def device_outlet(conn: Connection, device_id: int) -> int:
    return int(
        conn.execute(select(t.devices.c.outlet_id).where(t.devices.c.id == device_id)).scalar_one()
    )


@dataclass(frozen=True)
class PoolNumber:
    msisdn: str
    iccid: str
    imsi: str
    kind: LineKind = LineKind.VOICE


def numbers_in_pool(conn: Connection, msisdns: list[str]) -> set[str]:
    """Which of these numbers the operator has already (in any state)."""
    found: set[str] = set()
    for start in range(0, len(msisdns), 500):
        found.update(
            conn.execute(
                select(t.lines.c.msisdn).where(t.lines.c.msisdn.in_(msisdns[start : start + 500]))
            ).scalars()
        )
    return found


def add_numbers(conn: Connection, numbers: Iterable[PoolNumber], at: datetime) -> int:
    """Load numbers into the pool as available lines; every field is validated first."""
    rows = [
        {
            "msisdn": parse_msisdn(n.msisdn),
            "iccid": parse_iccid(n.iccid),
            "imsi": parse_imsi(n.imsi),
            "kind": n.kind.value,
            "state": LineState.AVAILABLE.value,
            "updated_at": at,
        }
        for n in numbers
    ]
    if rows:
        conn.execute(insert(t.lines), rows)
    return len(rows)
