"""Channel governance: admission with an agreement, suspension, termination (RN-08), and the
real-name app devices of each outlet (RN-09). Every step records who, when and why."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from simreg.channels.compliance import (
    PenaltyScale,
)
from simreg.channels.domain import (
    TRANSITIONS,
    Channel,
    ChannelKind,
    ChannelStatus,
    check_may_hold_devices,
)
from simreg.channels.inspection_actions import GOVERNORS, InspectionActions
from simreg.channels.ports import ChannelTransaction, ChannelUnitOfWork
from simreg.core.actors import Actor, Role
from simreg.core.audit import AuditEvent
from simreg.core.clock import Clock
from simreg.core.errors import Conflict, InvalidInput, NotFound, RuleViolated, Violation
from simreg.core.photos import CheckedPhoto, PhotoStore


@dataclass(frozen=True)
class Agreement:
    number: str
    signed_on: date
    valid_until: date
    manager_name: str


@dataclass(frozen=True)
class EvidenceStore:
    """How evidence photos are verified and where they are kept (the photo adapters)."""

    check: Callable[[bytes], CheckedPhoto]
    store: PhotoStore


@dataclass
class ImportReport:
    imported: int = 0
    # line, code, reason, reason in Chinese
    rejected: list[tuple[int, str, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Enrolment:
    device_id: int
    serial: str
    token: str  # shown once; only its keyed hash is stored


class ChannelService(InspectionActions):
    def __init__(
        self,
        *,
        uow: ChannelUnitOfWork,
        clock: Clock,
        penalties: PenaltyScale | None = None,
        evidence: EvidenceStore | None = None,
        timezone: str = "UTC",
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.penalties = penalties or PenaltyScale()
        self.evidence = evidence
        self.zone = ZoneInfo(timezone)

    def add_org_unit(
        self, actor: Actor, *, code: str, name: str, level: str, parent: str | None
    ) -> int:
        """Province, city and county units that own channels; a unit sits under the level
        above it."""
        actor.require(Role.ADMIN, Role.CHANNEL_MANAGER)
        levels = ["province", "city", "county"]
        if level not in levels:
            raise InvalidInput("Level is province, city or county.", code="ORG-LEVEL")
        if not code.strip() or not name.strip():
            raise InvalidInput("An organisation unit needs a code and a name.", code="ORG-FIELDS")
        now = self.clock.now()
        with self.uow.begin() as tx:
            if tx.org_unit_id(code) is not None:
                raise Conflict(f"Organisation unit {code} exists.", code="ORG-UNIT-EXISTS")
            parent_id = None
            if level != "province":
                found = tx.org_unit(parent or "")
                if found is None or found[1] != levels[levels.index(level) - 1]:
                    raise InvalidInput(
                        f"A {level} sits under an existing {levels[levels.index(level) - 1]}.",
                        code="ORG-PARENT",
                    )
                parent_id = found[0]
            unit_id = tx.add_org_unit(
                code=code.strip(), name=name.strip(), level=level, parent_id=parent_id, at=now
            )
            tx.record(
                AuditEvent(
                    action="org_unit.created",
                    outcome="ok",
                    at=now,
                    actor_staff_id=actor.staff_id,
                    details={"code": code, "level": level},
                )
            )
            return unit_id

    def register(
        self,
        actor: Actor,
        *,
        code: str,
        name: str,
        kind: ChannelKind,
        org_unit: str | None,
        parent: str | None = None,
    ) -> int:
        """A new channel. Social resellers start as applicants; nobody may sit under one."""
        actor.require(*GOVERNORS)
        if parent:
            # RN-08: no sub-agents. A channel under another channel is refused outright.
            raise RuleViolated(
                [
                    Violation(
                        "RN-08",
                        "Sub-agents are not allowed: no channel may sit under another one.",
                        "严禁发展下级代理：渠道不能挂靠在其他渠道之下。",
                        {"parent": parent},
                    )
                ]
            )
        code, name = code.strip(), name.strip()
        if not code or not name:
            raise InvalidInput("A channel needs a code and a name.", code="CHANNEL-FIELDS")
        now = self.clock.now()
        status = ChannelStatus.APPLIED if kind is ChannelKind.SOCIAL else ChannelStatus.ACTIVE
        with self.uow.begin() as tx:
            if tx.channel_by_code(code) is not None:
                raise Conflict(f"Channel code {code} exists.", code="CHANNEL-EXISTS")
            org_unit_id = tx.org_unit_id(org_unit) if org_unit else None
            if org_unit and org_unit_id is None:
                raise _no_org_unit(org_unit)
            channel_id = tx.add_channel(
                code=code, name=name, kind=kind, status=status, org_unit_id=org_unit_id, at=now
            )
            tx.add_channel_event(
                channel_id=channel_id,
                at=now,
                actor_staff_id=actor.staff_id,
                from_status=None,
                to_status=status,
                reason="registered",
                details={"kind": kind.value},
            )
            return channel_id

    def admit(self, actor: Actor, code: str, agreement: Agreement, reason: str) -> Channel:
        """Admission needs the signed agreement carrying the real-name obligations."""
        if not agreement.number.strip() or agreement.valid_until <= agreement.signed_on:
            raise InvalidInput(
                "The agreement needs a number and must end after it was signed.",
                code="AGREEMENT-INVALID",
                message_zh="协议须有编号，且到期日晚于签订日。",
            )
        if not agreement.manager_name.strip():
            # RN-08 holds a named manager to account for the channel; termination records them.
            raise InvalidInput(
                "Name the operator's manager responsible for this channel.",
                code="AGREEMENT-MANAGER",
                message_zh="请填写对该渠道负责的客户经理。",
            )
        return self._move(actor, code, "admit", reason, agreement=agreement)

    def activate(self, actor: Actor, code: str, reason: str) -> Channel:
        return self._move(actor, code, "activate", reason)

    def suspend(self, actor: Actor, code: str, reason: str) -> Channel:
        return self._move(actor, code, "suspend", reason)

    def reinstate(self, actor: Actor, code: str, reason: str) -> Channel:
        return self._move(actor, code, "reinstate", reason)

    def terminate(
        self,
        actor: Actor,
        code: str,
        reason: str,
        *,
        responsible_unit: str,
        responsible_manager: str,
    ) -> Channel:
        """End the contract: every outlet closes and every app device stops working at once;
        the unit and manager answerable for the channel are recorded (RN-08)."""
        return self._with_accountability(
            actor, code, "terminate", reason, responsible_unit, responsible_manager
        )

    def hold_to_account(
        self,
        actor: Actor,
        code: str,
        reason: str,
        *,
        responsible_unit: str,
        responsible_manager: str,
    ) -> Channel:
        """Record, or correct, the unit and manager answerable for a terminated channel
        (RN-08), kept in its history beside the termination."""
        return self._with_accountability(
            actor, code, "hold_to_account", reason, responsible_unit, responsible_manager
        )

    def _with_accountability(
        self, actor: Actor, code: str, action: str, reason: str, unit: str, manager: str
    ) -> Channel:
        if not unit.strip() or not manager.strip():
            raise InvalidInput(
                "Record the responsible unit and manager when terminating a channel.",
                code="TERMINATION-ACCOUNTABILITY",
                message_zh="解除合作须记录责任单位和责任人。",
            )
        return self._move(
            actor,
            code,
            action,
            reason,
            responsible_unit=unit.strip(),
            responsible_manager=manager.strip(),
        )

    def _move(
        self,
        actor: Actor,
        code: str,
        action: str,
        reason: str,
        *,
        agreement: Agreement | None = None,
        **details: str,
    ) -> Channel:
        actor.require(*GOVERNORS)
        with self.uow.begin() as tx:
            return self._apply(
                tx, actor, _channel(tx, code), action, reason, agreement=agreement, **details
            )

    def _apply(
        self,
        tx: ChannelTransaction,
        actor: Actor,
        channel: Channel,
        action: str,
        reason: str,
        *,
        agreement: Agreement | None = None,
        **details: object,
    ) -> Channel:
        """One lifecycle step inside the caller's transaction, with its event and audit row."""
        if not reason.strip():
            raise InvalidInput(
                "Give a reason; it is kept in the channel's history.",
                code="REASON-REQUIRED",
                message_zh="请填写原因，将记入渠道历史。",
            )
        allowed, target = TRANSITIONS[action]
        now = self.clock.now()
        if channel.status not in allowed:
            raise Conflict(
                f"Cannot {action} channel {channel.code}: it is {channel.status.value}.",
                code="CHANNEL-STATE",
                state=channel.status.value,
                message_zh=f"渠道 {channel.code} 当前状态（{channel.status.label_zh}）"
                "不允许此操作。",
            )
        extra: dict[str, object] = dict(details)
        if agreement is not None:
            tx.record_agreement(
                channel.id,
                number=agreement.number.strip(),
                signed_on=agreement.signed_on,
                valid_until=agreement.valid_until,
                manager_name=agreement.manager_name.strip(),
            )
            extra.update(agreement=agreement.number, valid_until=agreement.valid_until.isoformat())
        if target is ChannelStatus.TERMINATED and channel.status is not target:
            outlets, devices = tx.close_outlets_and_devices(channel.id, now)
            extra.update(outlets_closed=outlets, devices_revoked=devices)
        tx.set_status(channel.id, target)
        tx.add_channel_event(
            channel_id=channel.id,
            at=now,
            actor_staff_id=actor.staff_id,
            from_status=channel.status,
            to_status=target,
            reason=reason.strip(),
            details=extra,
        )
        tx.record(
            AuditEvent(
                action=f"channel.{action}",
                outcome="ok",
                at=now,
                actor_staff_id=actor.staff_id,
                channel_id=channel.id,
                details={"reason": reason.strip(), **extra},
            )
        )
        return Channel(
            channel.id, channel.code, channel.name, channel.kind, target, channel.parent_channel_id
        )

    # -- bulk import ------------------------------------------------------------------------

    def import_rows(self, actor: Actor, rows: Iterable[Mapping[str, str]]) -> ImportReport:
        """Channels and outlets from a spreadsheet export. Good rows are imported in one
        transaction; every refused row is reported with its line number and reason."""
        actor.require(*GOVERNORS)
        now = self.clock.now()
        report = ImportReport()
        with self.uow.begin() as tx:
            seen: set[str] = set()
            for line, row in enumerate(rows, start=2):
                try:
                    self._import_row(
                        tx, actor, {k: (v or "").strip() for k, v in row.items()}, seen, now
                    )
                    report.imported += 1
                except (InvalidInput, Conflict, NotFound, RuleViolated) as refusal:
                    report.rejected.append(
                        (line, refusal.code, refusal.message, refusal.message_zh)
                    )
            tx.record(
                AuditEvent(
                    action="channel.imported",
                    outcome="ok",
                    at=now,
                    actor_staff_id=actor.staff_id,
                    details={"imported": report.imported, "rejected": len(report.rejected)},
                )
            )
        return report

    def _import_row(
        self,
        tx: ChannelTransaction,
        actor: Actor,
        row: dict[str, str],
        seen: set[str],
        now: datetime,
    ) -> None:
        record, code, name = row.get("record", ""), row.get("code", ""), row.get("name", "")
        if not code or not name:
            raise InvalidInput(
                "code and name are required",
                code="IMPORT-FIELDS",
                message_zh="编码和名称必填",
            )
        if code in seen:
            raise Conflict(
                f"{code} appears twice in the file",
                code="IMPORT-DUPLICATE",
                message_zh=f"{code} 在文件中出现两次",
            )
        if record == "channel":
            if row.get("parent"):
                raise RuleViolated(
                    [Violation("RN-08", "sub-agents are not allowed", "严禁发展下级代理", {})]
                )
            try:
                kind = ChannelKind(row.get("kind", ""))
            except ValueError:
                raise InvalidInput(
                    "kind must be own, social or online",
                    code="IMPORT-KIND",
                    message_zh="类型须为 own（自有）、social（社会）或 online（网络）",
                ) from None
            if tx.channel_by_code(code) is not None:
                raise Conflict(
                    f"channel {code} already exists",
                    code="CHANNEL-EXISTS",
                    message_zh=f"渠道 {code} 已存在",
                )
            unit = row.get("org_unit", "")
            unit_id = tx.org_unit_id(unit) if unit else None
            if unit and unit_id is None:
                raise _no_org_unit(unit)
            status = ChannelStatus.APPLIED if kind is ChannelKind.SOCIAL else ChannelStatus.ACTIVE
            channel_id = tx.add_channel(
                code=code, name=name, kind=kind, status=status, org_unit_id=unit_id, at=now
            )
            tx.add_channel_event(
                channel_id=channel_id,
                at=now,
                actor_staff_id=actor.staff_id,
                from_status=None,
                to_status=status,
                reason="imported",
                details={},
            )
        elif record == "outlet":
            channel = tx.channel_by_code(row.get("channel", ""))
            if channel is None:
                raise NotFound(
                    f"no channel {row.get('channel', '')}",
                    code="CHANNEL-UNKNOWN",
                    message_zh=f"渠道 {row.get('channel', '')} 不存在",
                )
            if channel.status is ChannelStatus.TERMINATED:
                raise Conflict(
                    f"channel {channel.code} is terminated",
                    code="CHANNEL-STATE",
                    message_zh=f"渠道 {channel.code} 已解除合作",
                )
            if channel.is_sub_agent:
                raise RuleViolated(
                    [
                        Violation(
                            "RN-08",
                            f"channel {channel.code} is a sub-agent; it gets no outlets",
                            f"渠道 {channel.code} 为下级代理，不得增设网点",
                            {"channel": channel.code},
                        )
                    ]
                )
            if tx.outlet_of(code) is not None:
                raise Conflict(
                    f"outlet {code} already exists",
                    code="OUTLET-EXISTS",
                    message_zh=f"网点 {code} 已存在",
                )
            tx.add_outlet(channel_id=channel.id, code=code, name=name, at=now)
        else:
            raise InvalidInput(
                "record must be channel or outlet",
                code="IMPORT-RECORD",
                message_zh="record 列须为 channel（渠道）或 outlet（网点）",
            )
        seen.add(code)

    # -- real-name app devices (RN-09) -------------------------------------------------------

    def enrol_device(self, actor: Actor, outlet_code: str, serial: str) -> Enrolment:
        actor.require(*GOVERNORS)
        serial = serial.strip()
        if not serial:
            raise InvalidInput(
                "A device needs its serial number.",
                code="DEVICE-SERIAL",
                message_zh="请填写设备序列号。",
            )
        with self.uow.begin() as tx:
            return enrol_device_at(tx, outlet_code, serial, self.clock.now(), actor.staff_id)

    def revoke_device(self, actor: Actor, serial: str, reason: str) -> None:
        actor.require(*GOVERNORS)
        now = self.clock.now()
        with self.uow.begin() as tx:
            found = tx.revoke_device(serial, now)
            if found is None:
                raise NotFound(
                    f"No active device {serial}.",
                    code="DEVICE-UNKNOWN",
                    message_zh=f"没有在用的设备 {serial}。",
                )
            device_id, outlet_id = found
            tx.record(
                AuditEvent(
                    action="device.revoked",
                    outcome="ok",
                    at=now,
                    actor_staff_id=actor.staff_id,
                    outlet_id=outlet_id,
                    device_id=device_id,
                    details={"serial": serial, "reason": reason},
                )
            )


def _channel(tx: ChannelTransaction, code: str) -> Channel:
    channel = tx.channel_by_code(code)
    if channel is None:
        raise NotFound(f"No channel {code}.", code="CHANNEL-UNKNOWN", message_zh="渠道不存在。")
    return channel


def _no_org_unit(code: str) -> NotFound:
    return NotFound(
        f"No organisation unit {code}.",
        code="ORG-UNIT-UNKNOWN",
        message_zh=f"组织单元 {code} 不存在。",
    )


def enrol_device_at(
    tx: ChannelTransaction, outlet_code: str, serial: str, now: datetime, staff_id: int | None
) -> Enrolment:
    """Enrol a device inside the caller's transaction: the one path for the service and for
    `simreg setup device-enrol`, which runs before any staff member exists (``staff_id``
    None). Where a device may go is check_may_hold_devices; a serial goes in once."""
    found = tx.outlet_state(outlet_code)
    if found is None:
        raise NotFound(
            f"No outlet {outlet_code}.",
            code="OUTLET-UNKNOWN",
            message_zh=f"网点 {outlet_code} 不存在。",
        )
    outlet_id, channel_id, outlet_open = found
    check_may_hold_devices(tx.channel_by_id(channel_id), outlet_code, outlet_open)
    device_id = tx.add_device(outlet_id=outlet_id, serial=serial, at=now)
    if device_id is None:
        raise Conflict(
            f"A device with serial {serial} was enrolled before (perhaps since revoked); each "
            "device is enrolled once.",
            code="DEVICE-EXISTS",
            message_zh=f"序列号 {serial} 的设备已登记过（可能已吊销）；每台设备只能登记一次。",
            serial=serial,
        )
    token = tx.issue_device_token(device_id, now)
    tx.record(
        AuditEvent(
            action="device.enrolled",
            outcome="ok",
            at=now,
            actor_staff_id=staff_id,
            channel_id=channel_id,
            outlet_id=outlet_id,
            device_id=device_id,
            details={"serial": serial},
        )
    )
    return Enrolment(device_id, serial, token)
