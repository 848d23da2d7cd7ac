"""What the demo needs for the online shop (RN-10, RN-11): free numbers in segments of several
home regions, so the region search has something to show (with a few "nice" numbers), and
the web shop's own channel with a dispatch outlet and a courier account for deliveries.

Pick-up halls need nothing here: every active outlet of an active own channel is one."""

from __future__ import annotations

from dataclasses import dataclass

from stdnum import luhn

from simreg.bootstrap import Simreg
from simreg.channels.domain import ChannelKind
from simreg.core.actors import Role
from simreg.db import directory
from simreg.db.directory import PoolNumber
from simreg.lines.domain import LineKind
from simreg.online.numbers import segment_region

# Segments (号段) of different home cities, as the numbering plan assigns them.
# Not 1380000: the demo's counter pool (``synthetic.pool_numbers``) starts there.
SHOP_SEGMENTS = ("1381234", "1390571", "1350000", "1590000", "1860101")
# Card numbers of the shop's pool are kept apart from every other demo generator's.
_ICCID_PREFIX = "89861"
_IMSI_PREFIX = "46002"


@dataclass(frozen=True)
class ShopSeed:
    numbers: int
    regions: tuple[str, ...]
    courier_username: str


def shop_numbers(segments: tuple[str, ...], per_segment: int) -> list[PoolNumber]:
    """``per_segment`` numbers from the start of each segment, ending in every digit pattern
    the search is tried with (…0000 to …0199 includes …0088, …0123, …0168)."""
    out = []
    serial = 0
    for segment in segments:
        for i in range(per_segment):
            body = f"{_ICCID_PREFIX}{serial:013d}"
            out.append(
                PoolNumber(
                    msisdn=f"{segment}{i:04d}",
                    iccid=body + luhn.calc_check_digit(body),
                    imsi=f"{_IMSI_PREFIX}{serial:010d}",
                    kind=LineKind.DATA if i % 20 == 19 else LineKind.VOICE,
                )
            )
            serial += 1
    return out


def seed_shop(
    simreg: Simreg,
    *,
    password_hash: str,
    segments: tuple[str, ...] = SHOP_SEGMENTS,
    per_segment: int = 200,
    courier_username: str = "courier",
) -> ShopSeed:
    """Add the shop's numbers and the web shop channel with its courier. Run once, on a
    fresh demo database."""
    now = simreg.clock.now()
    numbers = shop_numbers(segments, per_segment)
    with simreg.engine.begin() as conn:
        added = directory.add_numbers(conn, numbers, now)
        channel = directory.add_channel(
            conn, code="WEB", name="网上营业厅 Web shop", kind=ChannelKind.ONLINE, at=now
        )
        outlet = directory.add_outlet(
            conn,
            channel_id=channel,
            code="WEB-DISPATCH",
            name="网上营业厅配送中心 Web shop dispatch",
            at=now,
        )
        directory.add_staff(
            conn,
            username=courier_username,
            display_name="快递员 Courier",
            role=Role.CLERK,
            at=now,
            outlet_id=outlet,
            password_hash=password_hash,
        )
    regions = tuple(sorted({r.name_zh for s in segments if (r := segment_region(s)) is not None}))
    return ShopSeed(added, regions, courier_username)
