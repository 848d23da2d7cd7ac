"""Setting up the operator: channels, outlets, enrolled devices and the number pool."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Connection, Table, select
from sqlalchemy.exc import IntegrityError

from simreg.bootstrap import Simreg
from simreg.channels.domain import ChannelKind, ChannelStatus
from simreg.channels.services import enrol_device_at
from simreg.cli.console import CliConsole
from simreg.cli.context import DatabaseUrl, DataDir, opened
from simreg.core.audit import AuditEvent
from simreg.core.errors import DomainError, InvalidInput
from simreg.db import directory
from simreg.db import tables as t
from simreg.db.channel_store import SqlChannelTransaction
from simreg.lines.domain import LineKind, parse_iccid, parse_imsi, parse_msisdn

console = CliConsole()
err = CliConsole(stderr=True)


def _id_of(conn: Connection, table: Table, code: str, what: str) -> int:
    found = conn.execute(select(table.c.id).where(table.c.code == code)).scalar_one_or_none()
    if found is None:
        raise InvalidInput(f"No {what} with code {code}.", code="UNKNOWN-CODE")
    return int(found)


def _agreement(
    number: str | None, valid_until: datetime | None, manager: str | None, signed_on: date
) -> bool:
    """Whether a complete agreement was given; a partial one is refused."""
    given = [number, valid_until, manager]
    if not any(given):
        return False
    if not all(v.strip() if isinstance(v, str) else v for v in given):
        raise InvalidInput(
            "An agreement needs --agreement, --valid-until and --manager together.",
            code="AGREEMENT-INVALID",
            message_zh="协议须同时给出 --agreement、--valid-until 和 --manager。",
        )
    assert valid_until is not None
    if valid_until.date() <= signed_on:
        # The same rule as admission on /channels (AGREEMENT-INVALID).
        raise InvalidInput(
            "The agreement must end after it was signed.",
            code="AGREEMENT-INVALID",
            message_zh="协议到期日须晚于签订日。",
        )
    return True


def _required(what: str, code: str, name: str) -> None:
    """The same rule as the channel service's: no blank code or name."""
    if not code.strip() or not name.strip():
        raise InvalidInput(f"{what} needs a code and a name.", code="CHANNEL-FIELDS")


def _decoded(path: Path) -> io.StringIO:
    """The file's text: UTF-8 (with or without the BOM Excel writes) or GB18030 (GBK, what
    Excel on Chinese Windows saves)."""
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return io.StringIO(data.decode(encoding), newline="")
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        "The file is neither UTF-8 nor GB18030 (GBK) text. Save it as CSV UTF-8.",
        code="IMPORT-ENCODING",
    )


def _run(
    database_url: str | None,
    data_dir: Path | None,
    action: Callable[[Simreg, Connection], str],
) -> None:
    with opened(database_url, data_dir) as simreg:
        try:
            with simreg.engine.begin() as conn:
                message = action(simreg, conn)
        except IntegrityError:
            err.print(
                "[red]DUPLICATE[/red]: a code, serial or number already exists; nothing changed."
            )
            raise typer.Exit(2) from None
    console.print(message, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    @app.command("channel-add")
    def channel_add(
        code: str,
        name: Annotated[str, typer.Option()],
        kind: Annotated[ChannelKind, typer.Option()],
        agreement: Annotated[
            str | None,
            typer.Option(help="a social reseller's signed agreement number (RN-08)"),
        ] = None,
        valid_until: Annotated[
            datetime | None, typer.Option(formats=["%Y-%m-%d"], help="the agreement's end")
        ] = None,
        manager: Annotated[
            str | None, typer.Option(help="the operator's manager answerable for the channel")
        ] = None,
        signed_on: Annotated[
            datetime | None,
            typer.Option(formats=["%Y-%m-%d"], help="when the agreement was signed (today)"),
        ] = None,
        database_url: DatabaseUrl = None,
        data_dir: DataDir = None,
    ) -> None:
        """Add a channel: an own hall or online shop opens at once; a social reseller opens
        with its signed agreement (--agreement, --valid-until, --manager), or else waits as
        an applicant to be admitted on /channels. No channel sits under another (RN-08)."""

        def act(simreg: Simreg, conn: Connection) -> str:
            _required("A channel", code, name)
            now = simreg.clock.now()
            status = ChannelStatus.ACTIVE
            if kind is ChannelKind.SOCIAL:
                signed = _agreement(agreement, valid_until, manager, (signed_on or now).date())
                status = ChannelStatus.ACTIVE if signed else ChannelStatus.APPLIED
            channel_id = directory.add_channel(
                conn, code=code.strip(), name=name.strip(), kind=kind, at=now, status=status
            )
            if kind is ChannelKind.SOCIAL and status is ChannelStatus.ACTIVE:
                assert agreement and valid_until and manager
                channels = SqlChannelTransaction(conn, simreg.vault.tokens)
                channels.record_agreement(
                    channel_id,
                    number=agreement.strip(),
                    signed_on=(signed_on or now).date(),
                    valid_until=valid_until.date(),
                    manager_name=manager.strip(),
                )
                channels.record(
                    AuditEvent(
                        action="channel.admit",
                        outcome="ok",
                        at=now,
                        channel_id=channel_id,
                        details={"agreement": agreement.strip(), "by": "simreg setup"},
                    )
                )
            if status is ChannelStatus.APPLIED:
                return (
                    f"channel {code} (social) registered as an applicant; admit it on /channels "
                    "once its agreement is signed"
                )
            return f"channel {code} ({kind.value}) admitted"

        _run(database_url, data_dir, act)

    @app.command("outlet-add")
    def outlet_add(
        code: str,
        channel: Annotated[str, typer.Option(help="channel code")],
        name: Annotated[str, typer.Option()],
        database_url: DatabaseUrl = None,
        data_dir: DataDir = None,
    ) -> None:
        """Open an outlet under a channel."""

        def act(simreg: Simreg, conn: Connection) -> str:
            _required("An outlet", code, name)
            channel_id = _id_of(conn, t.channels, channel, "channel")
            directory.add_outlet(
                conn,
                channel_id=channel_id,
                code=code.strip(),
                name=name.strip(),
                at=simreg.clock.now(),
            )
            return f"outlet {code} opened under {channel}"

        _run(database_url, data_dir, act)

    @app.command("device-enrol")
    def device_enrol(
        serial: str,
        outlet: Annotated[str, typer.Option(help="outlet code")],
        database_url: DatabaseUrl = None,
        data_dir: DataDir = None,
    ) -> None:
        """Enrol a real-name app device at an outlet and print its token (shown once)."""

        def act(simreg: Simreg, conn: Connection) -> str:
            # The service's own path, with no staff member yet to act as.
            channels = SqlChannelTransaction(conn, simreg.vault.tokens)
            enrolment = enrol_device_at(channels, outlet, serial, simreg.clock.now(), None)
            return f"device {serial} enrolled at {outlet}; device token: {enrolment.token}"

        _run(database_url, data_dir, act)

    @app.command("numbers-import")
    def numbers_import(
        csv_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
        database_url: DatabaseUrl = None,
        data_dir: DataDir = None,
    ) -> None:
        """Load numbers into the pool from CSV (msisdn,iccid,imsi[,kind]); all or nothing."""

        def act(simreg: Simreg, conn: Connection) -> str:
            rows: list[directory.PoolNumber] = []
            first_seen: dict[str, int] = {}
            for line_no, row in enumerate(csv.DictReader(_decoded(csv_file)), start=2):
                try:
                    number = directory.PoolNumber(
                        msisdn=parse_msisdn(row["msisdn"]),
                        iccid=parse_iccid(row["iccid"]),
                        imsi=parse_imsi(row["imsi"]),
                        kind=LineKind((row.get("kind") or "voice").strip()),
                    )
                except (KeyError, ValueError, TypeError) as exc:
                    raise InvalidInput(
                        f"Line {line_no}: missing or unknown field ({exc}). Nothing was imported.",
                        code="IMPORT-ROW",
                    ) from None
                except DomainError as error:
                    raise InvalidInput(
                        f"Line {line_no}: {error.message} Nothing was imported.", code=error.code
                    ) from None
                if number.msisdn in first_seen:
                    raise InvalidInput(
                        f"Line {line_no}: {number.msisdn} is also on line "
                        f"{first_seen[number.msisdn]}. Nothing was imported.",
                        code="DUPLICATE",
                    )
                first_seen[number.msisdn] = line_no
                rows.append(number)
            taken = directory.numbers_in_pool(conn, list(first_seen))
            if taken:
                first = min(taken, key=first_seen.__getitem__)
                raise InvalidInput(
                    f"Line {first_seen[first]}: {first} is already in the pool"
                    + (f" ({len(taken)} numbers of the file are)" if len(taken) > 1 else "")
                    + ". Nothing was imported.",
                    code="DUPLICATE",
                )
            count = directory.add_numbers(conn, rows, simreg.clock.now())
            return f"{count} numbers added to the pool"

        _run(database_url, data_dir, act)
