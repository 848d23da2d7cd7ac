"""The demo's shop seed: numbers in several home regions, and a courier who may confirm
deliveries."""

from __future__ import annotations

from simreg.bootstrap import Simreg
from simreg.demo.shop_seed import seed_shop
from simreg.online.numbers import parse_query
from tests.support.world import PASSWORD, World


def test_the_seed_offers_numbers_in_several_regions(simreg: Simreg, world: World) -> None:
    seeded = seed_shop(simreg, password_hash=simreg.staff.hasher.hash(PASSWORD), per_segment=50)
    assert seeded.numbers == 250
    offered = {r.key for r in simreg.numbers.regions()}
    assert {"浙江省杭州市", "广东省广州市", "北京市"} <= offered
    found = simreg.numbers.search(parse_query("0042", "ends", "浙江省杭州市", "", ""))
    assert [n.msisdn for n in found.numbers] == ["13905710042"]
    session = simreg.staff.login(seeded.courier_username, PASSWORD)
    assert session.actor.outlet_id is not None
